"""Rolling logs: rolls by size, records and period, retention,
compression, segment callbacks and polling, the listing of files."""

import os
import threading

import pytest

import binlog
from support import EVERY_RECORD, SEALED, no_decoding_threads_within, scan_counting_decoding_threads

NS_PER_MIN = 60 * 10**9


def _write(directory, count, **options):
    """Writes ``count`` records, closes, and polls every segment sealed."""
    with binlog.open_log_writer(directory, "log", **options) as w:
        for i in range(count):
            w.append("t", b"%06d" % i + b"." * 200)
    return w.poll_sealed()


def test_a_log_rolls_by_size_and_reads_back_as_one_stream(tmp_path):
    sealed = _write(tmp_path, 1000, max_segment_bytes=16 * 1024)
    files = binlog.list_segments(tmp_path, "log")
    assert len(files) > 5 and all(f.bytes <= 16 * 1024 for f in files)
    assert all(f.state == binlog.SegmentState.SEALED for f in files)
    assert [s.path for s in sealed] == [f.path for f in files]
    with binlog.open_log_reader(tmp_path, "log") as r:
        assert [int(bytes(x.payload[:6])) for x in r] == list(range(1000))


def test_a_log_name_the_directory_holds_no_file_of_is_not_found_naming_it(tmp_path):
    _write(tmp_path, 3)
    with pytest.raises(binlog.NotFoundError, match="no log 'lgo'") as missing:
        binlog.open_log_reader(tmp_path, "lgo")
    assert isinstance(missing.value, FileNotFoundError)
    assert missing.value.filename == str(tmp_path)
    with binlog.open_log_reader(tmp_path, "log") as r:
        assert len(list(r)) == 3


@pytest.mark.parametrize("batch_records", [1, 7, 64, 4096])
def test_batches_of_any_size_read_across_segment_ends_in_order(tmp_path, batch_records):
    _write(tmp_path, 1000, max_segment_records=33)
    with binlog.open_log_reader(tmp_path, "log", batch_records=batch_records) as r:
        records = list(r)
    assert [x.seq for x in records] == list(range(1000))
    assert [int(bytes(x.payload[:6])) for x in records] == list(range(1000))


def test_segment_callbacks_see_every_open_and_seal_in_order(tmp_path):
    events = []
    sealed = _write(tmp_path, 100, max_segment_records=10, on_segment=[events.append])
    kinds = [e.event for e in events]
    assert kinds == [binlog.SegmentEvent.OPENED] + [binlog.SegmentEvent.SEALED, binlog.SegmentEvent.OPENED] * 9 + [binlog.SegmentEvent.SEALED]
    assert [e.record_count for e in events if e.event == binlog.SegmentEvent.SEALED] == [10] * 10
    assert [e.first_seq for e in sealed] == list(range(0, 100, 10))


# cffi reports the callback's exception as unraisable (printed, not raised).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_callback_that_raises_counts_as_failed_and_stops_nothing(tmp_path):
    def fail(info):
        raise RuntimeError("boom")

    with binlog.open_log_writer(tmp_path, "log", max_segment_records=5) as w:
        w.on_segment(fail)
        for i in range(20):
            w.append("t", b"x")
    assert w.callback_failures == 7  # 3 rolls (SEALED, OPENED) and the close (SEALED)
    with binlog.open_log_reader(tmp_path, "log") as r:
        assert len(list(r)) == 20


def test_a_period_roll_follows_the_clock_given(tmp_path):
    now = [1_700_000_000 * 10**9]
    with binlog.open_log_writer(tmp_path, "log", period=binlog.Period.MINUTE, clock=lambda: now[0]) as w:
        w.append("t", b"a")
        now[0] += NS_PER_MIN
        w.append("t", b"b")
        now[0] += NS_PER_MIN
        w.append("t", b"c")
    files = binlog.list_segments(tmp_path, "log")
    assert [(f.first_seq, f.last_seq) for f in files] == [(0, 0), (1, 1), (2, 2)]


def test_retention_keeps_the_newest_sealed_segments(tmp_path):
    _write(tmp_path, 100, max_segment_records=10, retention_max_segments=3)
    files = binlog.list_segments(tmp_path, "log")
    # The close sealed the last segment too: three sealed segments stay.
    assert [f.first_seq for f in files] == [70, 80, 90]
    with binlog.open_log_reader(tmp_path, "log") as r:
        assert [x.seq for x in r] == list(range(70, 100))
        assert r.gap_count == 0  # removed before the reader opened: the log starts at 70


def test_a_segment_removed_from_a_log_is_a_gap_naming_the_segment_after_it(tmp_path):
    _write(tmp_path, 15, max_segment_records=5)
    files = binlog.list_segments(tmp_path, "log")
    os.unlink(files[1].path)
    with binlog.open_log_reader(tmp_path, "log") as r:
        assert [x.seq for x in r] == list(range(5)) + list(range(10, 15))
        # A local segment's name (its creation time) is not known: the gap
        # names the segment after it.
        assert r.gaps() == [binlog.Gap(binlog.GapReason.MISSING, files[2].path, None, 5, 10)]


def test_sealed_segments_compress_and_read_back(tmp_path):
    compressed = []
    three = threading.Event()

    def on_segment(info):
        if info.event == binlog.SegmentEvent.COMPRESSED:
            compressed.append(info.path)
            if len(compressed) == 3:
                three.set()

    with binlog.open_log_writer(tmp_path, "log", max_segment_records=50, on_segment=[on_segment],
                                compression=binlog.Compression(level=3)) as w:
        for i in range(200):
            w.append("t", b"%d" % i * 50)
        assert three.wait(30), f"{len(compressed)} segments compressed"
    files = binlog.list_segments(tmp_path, "log")
    assert [f.path for f in files[:3]] == compressed[:3]
    assert all(f.compressed and f.path.endswith(".binlog.zst") and f.original_bytes > f.bytes
               for f in files[:3])
    with binlog.open_log_reader(tmp_path, "log") as r:
        assert [bytes(x.payload) for x in r] == [b"%d" % i * 50 for i in range(200)]


def test_decode_threads_0_and_3_read_the_same_records_of_compressed_segments(compressed_log, tmp_path):
    assert all(f.compressed for f in binlog.list_segments(tmp_path, "orders")[:SEALED])
    assert no_decoding_threads_within(10), "decoding threads of earlier readers are still running"
    with binlog.open_log_reader(tmp_path, "orders", batch_records=8) as r:
        records, mid_scan = scan_counting_decoding_threads(r, 0)
    assert records == EVERY_RECORD
    assert mid_scan == 0, "a scan with no decode threads ran some"
    with binlog.open_log_reader(tmp_path, "orders", batch_records=8) as r:
        records, mid_scan = scan_counting_decoding_threads(r, 3)
    assert records == EVERY_RECORD
    assert 0 < mid_scan <= 3, "no binlog-decode thread while a scan with 3 decode threads is under way"
    with pytest.raises(binlog.ClosedError):
        r.decode_threads(2)


def test_decode_threads_refuses_a_negative_count_and_takes_one_beyond_uint32_as_the_most(compressed_log,
                                                                                        tmp_path):
    with binlog.open_log_reader(tmp_path, "orders", batch_records=8) as r:
        with pytest.raises(binlog.InvalidArgumentError, match="decode threads -1 is negative"):
            r.decode_threads(-1)
        # 2**32 cut to C's uint32_t would be 0 threads: capped, it is the most (4).
        records, mid_scan = scan_counting_decoding_threads(r, 2**32)
    assert records == EVERY_RECORD
    assert 0 < mid_scan <= 4, "a count beyond uint32_t did not reach the library as the most"
    with binlog.open_log_reader(tmp_path, "orders") as r:
        r.decode_threads(2**64)
        assert len(list(r)) == len(EVERY_RECORD)


def test_threads_append_to_one_writer_at_once(tmp_path):
    with binlog.open_log_writer(tmp_path, "log", max_segment_bytes=64 * 1024) as w:
        seqs = []

        def run(n):
            seqs.extend(w.append("t", b"%d-%d" % (n, i)) for i in range(2000))

        threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(seqs) == list(range(8000))
    with binlog.open_log_reader(tmp_path, "log") as r:
        assert len({bytes(x.payload) for x in r}) == 8000


def test_a_writer_dropped_unclosed_is_sealed_and_its_callbacks_still_run(tmp_path):
    events = []
    w = binlog.open_log_writer(tmp_path, "log", on_segment=[events.append])
    w.append("t", b"x")
    del w  # no close: collected
    assert [e.event for e in events] == [binlog.SegmentEvent.OPENED, binlog.SegmentEvent.SEALED]
    assert [f.state for f in binlog.list_segments(tmp_path, "log")] == [binlog.SegmentState.SEALED]


def test_roll_starts_the_next_segment_now_and_seals_the_current_one(tmp_path):
    with binlog.open_log_writer(tmp_path, "log", seal_in_background=False) as w:
        w.append("t", b"a")
        w.roll()
        assert [s.first_seq for s in w.poll_sealed()] == [0]
        w.append("t", b"b")
        states = [f.state for f in binlog.list_segments(tmp_path, "log")]
        assert states == [binlog.SegmentState.SEALED, binlog.SegmentState.ACTIVE]
