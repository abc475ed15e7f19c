"""Many logs read as one stream by time (binlog.open_merged_reader): the
order (timestamp, log name, sequence number), each record naming its log,
and a time window that reads only the segments it overlaps."""

import pytest

import binlog


def _log(directory, name, times, per=100):
    with binlog.open_log_writer(directory, name, max_segment_records=per) as w:
        for ts in times:
            w.append("event", name.encode(), timestamp_ns=ts)


def test_logs_merge_by_time_then_log_name_then_seq(tmp_path):
    _log(tmp_path, "web-b", [5, 5, 7])
    _log(tmp_path, "web-a", [5, 7, 7])
    _log(tmp_path, "db", [1])
    with binlog.open_merged_reader(tmp_path, pattern="web-*") as r:
        records = list(r)
    assert all(x.payload == x.log.encode() for x in records)
    got = [(x.timestamp_ns, x.log, x.seq) for x in records]
    assert got == [(5, "web-a", 0), (5, "web-b", 0), (5, "web-b", 1),
                   (7, "web-a", 1), (7, "web-a", 2), (7, "web-b", 2)]


def test_a_time_window_reads_only_the_segments_it_overlaps(tmp_path):
    for name in ("a", "b"):
        _log(tmp_path, name, range(1000, 1100), per=10)
    with binlog.open_merged_reader(tmp_path) as r:
        r.time_window(1030, 1040)
        got = [(x.timestamp_ns, x.log, x.seq, x.payload) for x in r]
        assert r.segments() == (2, 12)
    assert got == [(1030 + i // 2, "ab"[i % 2], 30 + i // 2, "ab"[i % 2].encode())
                   for i in range(20)]


def test_no_log_matching_is_not_found(tmp_path):
    _log(tmp_path, "a", [1])
    with pytest.raises(binlog.NotFoundError, match="web-"):
        binlog.open_merged_reader(tmp_path, pattern="web-*")
    with pytest.raises(binlog.InvalidArgumentError):
        binlog.open_merged_reader()
