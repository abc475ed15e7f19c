"""Result codes become exceptions in a hierarchy, carrying the library's
message (file and offset) and the code's name."""

import errno
import os
from pathlib import Path

import pytest

import binlog
from binlog._native import ffi, lib


def test_every_result_code_the_library_names_has_its_exception_class():
    code = 2
    while ffi.string(lib.binlog_result_name(code)) != b"BINLOG_UNKNOWN_RESULT":
        cls = binlog.errors.ERRORS_BY_CODE[code]
        assert cls.code == code
        name = ffi.string(lib.binlog_result_name(code)).decode()
        assert cls("m").name == name
        words = name[len("BINLOG_ERR_"):].split("_")
        assert words[0].lower() in cls.__name__.lower()
        code += 1
    assert code - 2 == len(binlog.errors.ERRORS_BY_CODE) == 32


def test_a_missing_file_is_a_file_not_found_error_naming_it(tmp_path):
    missing = tmp_path / "missing.binlog"
    with pytest.raises(FileNotFoundError) as raised:
        binlog.open_reader(missing)
    assert isinstance(raised.value, binlog.NotFoundError)
    assert str(missing) in str(raised.value)
    assert raised.value.name == "BINLOG_ERR_NOT_FOUND"
    # As the built-in OSError of open() would have it, and without Rust's
    # " (os error 2)" in the message.
    assert raised.value.errno == errno.ENOENT
    assert raised.value.filename == raised.value.path == str(missing)
    assert raised.value.strerror == os.strerror(errno.ENOENT)
    assert raised.value.offset is None
    assert "os error" not in str(raised.value)


def test_damaged_data_raises_a_corruption_error_naming_file_and_offset(tmp_path):
    path = tmp_path / "d.binlog"
    with binlog.open_writer(path) as w:
        for i in range(10):
            w.append("t", b"record %d" % i * 20)
    data = bytearray(path.read_bytes())
    at = data.index(b"record 5")
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))
    with binlog.open_reader(path) as r:
        with pytest.raises(binlog.CorruptionError) as raised:
            list(r)
    assert str(path) in str(raised.value) and "offset" in str(raised.value)
    assert raised.value.path == str(path)
    assert raised.value.offset is not None and f"offset {raised.value.offset}:" in str(raised.value)
    # The record with the flipped byte starts before it, after the header.
    assert 0 < raised.value.offset < at


def test_a_text_payload_is_refused_with_a_message_saying_to_encode_it(tmp_path):
    with binlog.open_writer(tmp_path / "t.binlog") as w:
        for call in (lambda: w.append("t", "text"),
                     lambda: w.append("t", ["part", b"bytes"]),
                     lambda: w.append("t", "text", {"k": "v"}),
                     lambda: w.append_batch([("t", "text")])):
            with pytest.raises(TypeError, match=r"not str: encode the text first"):
                call()
        with pytest.raises(TypeError, match=r"bytes-like object .* not int"):
            w.append("t", 42)
        assert w.next_seq == 0  # nothing was written


def test_a_file_that_is_no_segment_is_not_a_binlog(tmp_path):
    path = tmp_path / "x.binlog"
    path.write_bytes(b"hello, this is text " * 10)
    with pytest.raises(binlog.NotABinlogError):
        binlog.open_reader(path)


def test_a_closed_writer_raises_closed_error_which_is_a_value_error(tmp_path):
    w = binlog.open_writer(tmp_path / "c.binlog")
    w.close()
    w.close()  # twice is fine
    with pytest.raises(ValueError) as raised:
        w.append("t", b"x")
    assert isinstance(raised.value, binlog.ClosedError)


def test_a_record_above_the_maximum_size_is_refused_and_nothing_of_a_batch_is_written(tmp_path):
    path = tmp_path / "big.binlog"
    with binlog.open_writer(path, max_record_size=1024) as w:
        with pytest.raises(binlog.RecordTooLargeError):
            w.append("t", b"x" * 2000)
        with pytest.raises(binlog.RecordTooLargeError):
            w.append_batch([("t", b"ok"), ("t", b"x" * 2000)])
        assert w.next_seq == 0
    with binlog.open_reader(path) as r:
        assert list(r) == []


def test_a_second_writer_of_a_log_is_locked_out(tmp_path):
    with binlog.open_log_writer(tmp_path, "l"):
        with pytest.raises(binlog.LockedError):
            binlog.open_log_writer(tmp_path, "l")


def test_segment_only_options_are_refused_by_a_log_and_log_options_by_a_segment(tmp_path):
    with pytest.raises(binlog.InvalidArgumentError):
        binlog.open_log_writer(tmp_path, "l", segment_no=3)
    with pytest.raises(binlog.InvalidArgumentError):
        binlog.open_writer(tmp_path / "s.binlog", max_segment_bytes=1 << 20)
    with pytest.raises(TypeError):
        binlog.open_writer(tmp_path / "s.binlog", binlog.Options(), first_seq=1)


# Every C string (NUL-terminated) argument of every entry point, with a
# NUL byte where cutting the string would leave a name the call would take:
# a file or log to create, or the segment and log "orders" the test made.
# (The shipper's options and the tiered reader's remote: their own tests.)
NUL_ARGUMENTS = [
    pytest.param("path", lambda d: binlog.open_writer(f"{d}/new.binlog\0.old"), id="open_writer"),
    pytest.param("path", lambda d: binlog.open_writer(os.fsencode(f"{d}/new.binlog\0")),
                 id="open_writer-bytes"),
    pytest.param("directory", lambda d: binlog.open_log_writer(f"{d}/new\0x", "orders"),
                 id="open_log_writer-directory"),
    pytest.param("log name", lambda d: binlog.open_log_writer(d, "new\0x"), id="open_log_writer-name"),
    pytest.param("path", lambda d: binlog.open_reader(f"{d}/one.binlog\0x"), id="open_reader"),
    pytest.param("path", lambda d: binlog.open_reader(f"{d}/one.binlog\0x", salvage=True),
                 id="open_reader-salvage"),
    pytest.param("directory", lambda d: binlog.open_log_reader(f"{d}\0x", "orders"),
                 id="open_log_reader-directory"),
    pytest.param("log name", lambda d: binlog.open_log_reader(d, "orders\0x"), id="open_log_reader-name"),
    pytest.param("directory", lambda d: binlog.open_glob(f"{d}\0x", "*.binlog"), id="open_glob-directory"),
    pytest.param("pattern", lambda d: binlog.open_glob(d, "*.binlog\0x"), id="open_glob-pattern"),
    pytest.param("directory", lambda d: binlog.list_segments(Path(f"{d}\0x"), "orders"),
                 id="list_segments-directory"),
    pytest.param("log name", lambda d: binlog.list_segments(d, "orders\0x"), id="list_segments-name"),
    pytest.param("directory", lambda d: binlog.open_log_tiered_reader(f"{d}\0x", "orders", "s3://bucket/p"),
                 id="open_log_tiered_reader-directory"),
    pytest.param("directory", lambda d: binlog.Shipper(f"{d}\0x", "orders", url="s3://bucket/p"),
                 id="Shipper-directory"),
]


def _files_and_sizes(root):
    return sorted((str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*"))


@pytest.mark.parametrize("named, call", NUL_ARGUMENTS)
def test_a_nul_byte_in_a_c_string_argument_is_refused_naming_it_and_creates_nothing(tmp_path, named, call):
    with binlog.open_writer(tmp_path / "one.binlog") as w:
        w.append("t", b"1")
    with binlog.open_log_writer(tmp_path, "orders") as w:
        w.append("t", b"1")
    before = _files_and_sizes(tmp_path)
    with pytest.raises(binlog.InvalidArgumentError, match=f"^{named} contains a NUL byte ") as refused:
        call(tmp_path)
    assert isinstance(refused.value, ValueError)
    assert _files_and_sizes(tmp_path) == before


def test_every_exception_class_is_reachable_from_the_package_and_listed_in_binlog_errors():
    for cls in binlog.errors.ERRORS_BY_CODE.values():
        assert getattr(binlog, cls.__name__) is cls
        assert cls.__name__ in binlog.errors.__all__
