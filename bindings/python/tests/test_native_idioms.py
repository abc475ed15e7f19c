"""What Python code expects of the package: TypeErrors naming the
argument, a payload json.loads takes, next(reader), glob's path patterns;
and the C appends of metadata and batches writing what the general path
writes."""

import json

import pytest

import binlog


def _records(path):
    with binlog.open_reader(path) as r:
        return [(x.seq, x.timestamp_ns if x.timestamp_ns < 10**6 else None, x.type, x.payload, x.metadata)
                for x in r]


@pytest.mark.parametrize("call, named", [
    (lambda w: w.append("t", b"x", {"a": 1}), "metadata"),
    (lambda w: w.append("t", b"x", {1: "a"}), "metadata"),
    (lambda w: w.append("t", b"x", [("a", "b")]), "metadata"),
    (lambda w: w.append(7, b"x"), "type_name"),
    (lambda w: w.append(None, b"x", {"a": "b"}), "type_name"),
    (lambda w: w.append(["t"], bytearray(b"x")), "type_name"),
    (lambda w: w.append("t", 5), "payload"),
    (lambda w: w.append("t", "text"), "payload"),
    (lambda w: w.append("t", b"x", None, "now"), "timestamp_ns"),
    (lambda w: w.append("t"), "append"),
    (lambda w: w.append_batch([("t", b"ok"), ("t", b"x", {"a": None})]), "entries[1]: metadata"),
    (lambda w: w.append_batch([("t", b"ok"), (None, b"x")]), "entries[1]: type_name"),
    (lambda w: w.append_batch([("t", b"ok"), b"t"]), "entries[1]"),
    (lambda w: w.append_batch(3), "entries"),
])
def test_wrong_types_raise_typeerror_naming_the_argument(tmp_path, call, named):
    with binlog.open_writer(tmp_path / "t.binlog") as w:
        with pytest.raises(TypeError) as raised:
            call(w)
        assert w.next_seq == 0
    assert named in str(raised.value)
    assert "_append_general" not in str(raised.value) and "attribute" not in str(raised.value)


def test_a_payload_is_bytes_json_loads_takes_and_payload_view_is_a_view_of_the_same_bytes(tmp_path):
    path = tmp_path / "j.binlog"
    with binlog.open_writer(path) as w:
        w.append("order", b'{"id": 1}')
    with binlog.open_reader(path) as r:
        (rec,) = list(r)
    assert json.loads(rec.payload) == {"id": 1}
    assert type(rec.payload) is bytes
    view = rec.payload_view
    assert isinstance(view, memoryview) and view.readonly and view == b'{"id": 1}'


def test_next_of_a_reader_takes_one_record_and_raises_stopiteration_at_the_end(tmp_path):
    with binlog.open_log_writer(tmp_path, "n") as w:
        w.append("t", b"a")
        w.append("t", b"b")
    with binlog.open_log_reader(tmp_path, "n") as r:
        assert next(r).payload == b"a"
        assert [x.payload for x in r] == [b"b"]
        with pytest.raises(StopIteration):
            next(r)
    with binlog.open_merged_reader(tmp_path, pattern="n") as m:
        assert next(m).payload == b"a"
        assert [x.payload for x in m] == [b"b"]
        assert next(m, None) is None


def test_open_glob_takes_a_path_pattern_as_glob_does(tmp_path):
    (tmp_path / "sub").mkdir()
    for first, name in enumerate(("test-2.binlog", "test-1.binlog", "other.binlog", "sub/test-3.binlog")):
        with binlog.open_writer(tmp_path / name, first_seq=10 - first) as w:
            w.append("t", name.encode())
    with binlog.open_glob(f"{tmp_path}/test-*.binlog") as r:
        assert [x.payload for x in r] == [b"test-1.binlog", b"test-2.binlog"]
    with binlog.open_glob(tmp_path, "sub/test-*.binlog") as r:
        assert [x.payload for x in r] == [b"sub/test-3.binlog"]
    with pytest.raises(binlog.InvalidArgumentError, match="file name only"):
        binlog.open_glob(tmp_path / "s*" / "test-*.binlog")


def test_metadata_timestamps_and_batches_of_any_types_write_what_they_say(tmp_path):
    many = {f"k{i}": f"v{i}" for i in range(40)}  # more than the C path's stack holds
    path = tmp_path / "m.binlog"
    with binlog.open_writer(path) as w:
        assert w.append("a", b"1", {"x": "y"}) == 0
        assert w.append("b", b"2", many, 77) == 1
        assert w.append("c", bytearray(b"3"), metadata={"é": "ü"}, timestamp_ns=78) == 2
        assert w.append_batch([("d", b"4"), ("e", b"5", {"x": "z"}, 79), ("f", b"6", None, 80)]) == 3
        # One entry not of the common types (a list of parts) sends the batch the general way.
        assert w.append_batch([("g", b"7", {"x": "w"}), ("h", [b"8", b"9"])]) == 6
        assert w.append_batch([]) == 8
    assert _records(path) == [
        (0, None, "a", b"1", {"x": "y"}), (1, 77, "b", b"2", many), (2, 78, "c", b"3", {"é": "ü"}),
        (3, None, "d", b"4", {}), (4, 79, "e", b"5", {"x": "z"}), (5, 80, "f", b"6", {}),
        (6, None, "g", b"7", {"x": "w"}), (7, None, "h", b"89", {})]


def test_a_batch_with_an_invalid_entry_writes_none_of_it_and_names_the_entry(tmp_path):
    with binlog.open_writer(tmp_path / "b.binlog", max_record_size=1024) as w:
        with pytest.raises(binlog.RecordTooLargeError, match="entry 2 of 3"):
            w.append_batch([("t", b"a", {"k": "v"}), ("t", b"b"), ("t", b"x" * 2000)])
        assert w.next_seq == 0
