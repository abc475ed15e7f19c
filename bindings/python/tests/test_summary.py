"""binlog.summarize, Reader.summary and MergedReader.summary: the
library's summary of a segment, a log directory and a reader from where it
stands."""

import pytest

import binlog


def test_a_segment_per_type_in_order_of_first_record(tmp_path):
    path = tmp_path / "s.binlog"
    with binlog.open_writer(path) as w:
        for t, p in (("b", b"xyz"), ("a", b""), ("b", b"12345")):
            w.append(t, p)
    s = binlog.summarize(path)
    assert (s.records, s.payload_bytes, s.first_seq, s.last_seq) == (3, 8, 0, 2)
    assert s.bytes == sum(t.bytes for t in s.types) > s.payload_bytes
    assert [t.name for t in s.types] == ["b", "a"]
    b = s.type("b")
    assert (b.records, b.payload_bytes, b.first_seq, b.last_seq) == (2, 8, 0, 2)
    assert s.min_ns <= b.first_ns <= b.last_ns <= s.max_ns
    assert s.type("c") is None


def test_a_log_and_a_reader_from_where_it_stands(tmp_path):
    with binlog.open_log_writer(tmp_path, "orders", max_segment_records=4) as w:
        for i in range(10):
            w.append("even" if i % 2 == 0 else "odd", bytes([i]))
    s = binlog.summarize(tmp_path)
    assert (s.records, s.last_seq, s.type("odd").records) == (10, 9, 5)
    with binlog.open_log_reader(tmp_path, "orders") as r:
        assert [r.next().seq for _ in range(3)] == [0, 1, 2]
        rest = r.summary()
        assert (rest.records, rest.first_seq) == (7, 3)
        assert r.next() is None


def test_a_merged_reader_from_where_it_stands_in_merged_order(tmp_path):
    for name, times in (("a", [10, 30, 50]), ("b", [20, 40])):
        with binlog.open_log_writer(tmp_path, name, max_segment_records=2) as w:
            for ts in times:
                w.append("event", name.encode(), timestamp_ns=ts)
    with binlog.open_merged_reader(tmp_path) as r:
        assert r.next().timestamp_ns == 10
        s = r.summary()
        assert (s.records, s.first_ns, s.last_ns, s.first_seq, s.last_seq) == (4, 20, 50, 0, 2)
        assert [(t.name, t.payload_bytes) for t in s.types] == [("event", 4)]
        assert r.next() is None
    with pytest.raises(ValueError):
        r.summary()


def test_nothing_and_errors(tmp_path):
    path = tmp_path / "empty.binlog"
    binlog.open_writer(path).close()
    s = binlog.summarize(path)
    assert (s.records, s.first_seq, s.max_ns, s.types) == (0, None, None, ())
    with pytest.raises(binlog.NotFoundError):
        binlog.summarize(tmp_path / "missing")


def test_a_log_with_no_segment_has_every_count_zero(tmp_path):
    binlog.open_log_writer(tmp_path, "idle").close()
    s = binlog.summarize(tmp_path)
    assert (s.records, s.bytes, s.first_seq, s.types) == (0, 0, None, ())
