"""Many logs read as one stream by time (binlog.open_merged_reader): the
order (timestamp, log name, sequence number), each record naming its log,
a time window that reads only the segments it overlaps, gaps and damage
named with their log, and following live logs."""

import os
import threading
import time

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


def test_gaps_and_damage_name_their_log(tmp_path):
    _log(tmp_path, "g-a", range(20), per=10)
    _log(tmp_path, "g-b", range(30), per=10)
    _log(tmp_path, "g-c", range(20))
    os.remove(binlog.list_segments(tmp_path, "g-b")[1].path)
    damaged = binlog.list_segments(tmp_path, "g-c")[0].path
    with binlog.open_reader(damaged) as one:
        offsets = [x.offset for x in one]
    data = bytearray(open(damaged, "rb").read())
    data[offsets[6] - 2] ^= 0x5A
    open(damaged, "wb").write(bytes(data))
    with binlog.open_merged_reader(tmp_path, pattern="g-*") as r:
        r.skip_damaged()
        assert len(list(r)) == 20 + 20 + 19
        gaps = r.gaps()
        damages = r.damages()
    assert len(gaps) == 1, gaps
    log, gap = gaps[0]
    assert log == "g-b"
    assert (gap.reason, gap.from_seq, gap.to_seq) == (binlog.GapReason.MISSING, 10, 20)
    assert damages == [("g-c", binlog.Damage(offsets[5], offsets[6], 5, 6, damaged))]


def _put(w, name, ts):
    """One record at ``ts`` (its payload the log's name), flushed: a
    reader sees it at once."""
    w.append("event", name.encode(), timestamp_ns=ts)
    w.flush()


def test_next_with_a_timeout_follows_appends_to_two_logs_and_times_out(tmp_path):
    with binlog.open_log_writer(tmp_path, "f-a", max_segment_records=2) as a, \
            binlog.open_log_writer(tmp_path, "f-b", max_segment_records=2) as b:
        _put(a, "f-a", 1)
        _put(b, "f-b", 2)
        with binlog.open_merged_reader(tmp_path, pattern="f-*") as r:
            first = [r.next(timeout=30), r.next(timeout=30)]
            assert [(x.timestamp_ns, x.log, x.seq) for x in first] == [(1, "f-a", 0), (2, "f-b", 0)]
            assert r.next(timeout=0.05) is None

            def write():
                time.sleep(0.1)
                for ts in range(10, 13):
                    _put(a, "f-a", ts)
                    _put(b, "f-b", ts + 100)

            t = threading.Thread(target=write)
            t.start()
            got = []
            for x in r.follow(idle_timeout=30):
                got.append((x.log, x.seq))
                if len(got) == 6:
                    break
            t.join()
    for log in ("f-a", "f-b"):
        assert [q for (name, q) in got if name == log] == [1, 2, 3], got
