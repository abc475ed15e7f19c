"""The C options through Python: durability, buffering, flush delay,
record limits; refused values raise InvalidArgumentError; options are
typed keyword parameters (a misspelled one is a TypeError and a type
checker's error)."""

import dataclasses
import inspect
import subprocess
import sys

import pytest

import binlog


def test_durability_every_record_makes_each_record_durable_before_append_returns(tmp_path):
    with binlog.open_writer(tmp_path / "d.binlog", durability=binlog.Durability.EVERY_RECORD) as w:
        for i in range(3):
            w.append("t", b"x")
            assert w.durable_seq == i + 1


def test_durability_none_leaves_records_not_durable_until_sync(tmp_path):
    with binlog.open_writer(tmp_path / "n.binlog", durability=binlog.Durability.NONE) as w:
        w.append("t", b"x")
        w.append("t", b"y")
        assert w.durable_seq == 0
        w.sync()
        assert w.durable_seq == 2


def test_a_record_waits_in_the_buffer_until_flush_when_the_delay_is_unbounded(tmp_path):
    path = tmp_path / "b.binlog"
    with binlog.open_writer(path, flush_delay_us=2**64 - 1, buffer_size=1 << 20) as w:
        w.append("t", b"buffered")
        with binlog.open_reader(path) as r:
            assert r.next() is None
            w.flush()
            assert bytes(r.next().payload) == b"buffered"


def test_out_of_range_option_values_are_refused(tmp_path):
    for bad in [dict(durability=binlog.Durability.EVERY_N, durability_param=0),
                dict(sparse_interval=0), dict(buffer_size=2 << 30),
                dict(compression=binlog.Compression(level=99)),
                dict(compression=binlog.Compression(type_copies_per_mille=1001))]:
        with pytest.raises(binlog.InvalidArgumentError):
            binlog.open_log_writer(tmp_path, "l", **bad)


def test_a_log_with_type_copies_set_or_off_reads_back_its_records(tmp_path):
    for share in [0, 50]:
        with binlog.open_log_writer(tmp_path, f"c{share}", max_segment_records=2,
                                    compression=binlog.Compression(type_copies_per_mille=share)) as w:
            for i in range(5):
                w.append("t", b"x%d" % i)
        with binlog.open_log_reader(tmp_path, f"c{share}") as r:
            assert [bytes(rec.payload) for rec in r] == [b"x%d" % i for i in range(5)]


def test_an_options_object_and_keyword_arguments_configure_alike(tmp_path):
    opts = binlog.Options(first_seq=40, max_segment_records=2)
    with binlog.open_log_writer(tmp_path, "a", opts) as w:
        assert [w.append("t", b"x") for _ in range(3)] == [40, 41, 42]
    with binlog.open_log_writer(tmp_path, "b", first_seq=40, max_segment_records=2) as w:
        assert [w.append("t", b"x") for _ in range(3)] == [40, 41, 42]
    assert len(binlog.list_segments(tmp_path, "a")) == len(binlog.list_segments(tmp_path, "b")) == 2


def test_a_misspelled_option_is_a_type_error_naming_it_and_opens_nothing(tmp_path):
    with pytest.raises(TypeError, match=r"unknown option 'max_segmnt_bytes'"):
        binlog.open_log_writer(tmp_path, "a", max_segmnt_bytes=1 << 20)
    with pytest.raises(TypeError, match=r"unknown option 'durabilty'"):
        binlog.open_writer(tmp_path / "s.binlog", durabilty=binlog.Durability.NONE)
    with pytest.raises(TypeError, match=r"unknown option 'keep_locall'"):
        binlog.Shipper(tmp_path, "a", url="s3://b/p", keep_locall=1)
    assert list(tmp_path.iterdir()) == []


def test_help_shows_every_option_as_a_typed_keyword_parameter():
    names = [f.name for f in dataclasses.fields(binlog.Options)]
    for opener in (binlog.open_writer, binlog.open_log_writer):
        params = inspect.signature(opener).parameters
        keywords = [p for p in params.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]
        assert [p.name for p in keywords] == names
        assert all(p.annotation is not inspect.Parameter.empty for p in keywords)
        assert "options" in params
    ship = inspect.signature(binlog.Shipper).parameters
    assert [n for n, p in ship.items() if p.kind is inspect.Parameter.KEYWORD_ONLY] == \
        [f.name for f in dataclasses.fields(binlog.ShipOptions)]
    append = inspect.signature(binlog.Writer.append)
    assert list(append.parameters) == ["self", "type_name", "payload", "metadata", "timestamp_ns"]


def test_the_option_keywords_a_type_checker_sees_are_the_fields_of_the_options():
    assert list(binlog.OptionKeywords.__annotations__) == \
        [f.name for f in dataclasses.fields(binlog.Options)]
    assert list(binlog.ShipKeywords.__annotations__) == \
        [f.name for f in dataclasses.fields(binlog.ShipOptions)]


def test_a_type_checker_finds_a_misspelled_or_mistyped_option(tmp_path):
    good = tmp_path / "good.py"
    good.write_text(
        "import binlog\n"
        "w = binlog.open_log_writer('d', 'n', max_segment_bytes=1, period=binlog.Period.HOUR)\n"
        "s: int = w.append('t', b'x')\n")
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import binlog\n"
        "binlog.open_log_writer('d', 'n', max_segmnt_bytes=1)\n"
        "binlog.open_writer('s.binlog', buffer_size='big')\n")
    mypy = [sys.executable, "-m", "mypy", "--no-incremental", "--follow-imports=silent",
            "--ignore-missing-imports", "--strict-optional"]
    ok = subprocess.run(mypy + [str(good)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    found = subprocess.run(mypy + [str(bad)], capture_output=True, text=True)
    assert found.returncode == 1, found.stdout + found.stderr
    assert 'bad.py:2: error: Unexpected keyword argument "max_segmnt_bytes"' in found.stdout
    assert 'bad.py:3: error: Argument "buffer_size"' in found.stdout
