"""binlog.open_log_tiered_reader: a log whose compressed sealed segments
were shipped to the real versitygw of `make test-python` (conftest.py)
and removed locally reads as one stream with its live local segment;
seeks and type filters reach into the bucket; a follower of a directory
without the log reads the segments shipped after it reached the end; a
missing object is a gap, a damaged one an error naming its s3:// URL; a
child after fork() leaves the parent's reader alone."""

import gc

import pytest

import binlog
from support import (EVERY_RECORD, MID_SCAN, PER, RECORDS, SEALED, exit_code_in_child,
                     no_decoding_threads_within, payload, scan_counting_decoding_threads)


def _ship(s3, directory, keep_local=0):
    """Ships log "orders" of ``directory``; its local copies past the
    newest ``keep_local`` go."""
    with binlog.Shipper(directory, "orders", **s3.ship_options(keep_local=keep_local)) as s:
        assert s.ship_once().removed_local == SEALED - keep_local


def _records(reader):
    return [(r.seq, r.type, bytes(r.payload)) for r in reader]


@pytest.mark.parametrize("keep_local", [0, 2])
def test_remote_local_and_live_segments_read_as_one_stream_in_order(aws_env, compressed_log, tmp_path,
                                                                   keep_local):
    _ship(aws_env, tmp_path, keep_local)
    assert len(binlog.list_segments(tmp_path, "orders")) == keep_local + 1
    with binlog.open_log_tiered_reader(tmp_path, "orders", aws_env.url) as r:
        assert _records(r) == EVERY_RECORD
        assert r.gap_count == 0
        # The live segment's next record, read as the writer adds it.
        assert compressed_log.append("trade", b"after") == RECORDS
        compressed_log.flush()
        late = r.next(timeout=10)
        assert late is not None and (late.seq, bytes(late.payload)) == (RECORDS, b"after")
    with binlog.open_log_reader(tmp_path, "orders") as local:
        assert [x.seq for x in local][0] == (SEALED - keep_local) * PER, "without the bucket"


def test_seek_seq_into_a_remote_segment_reads_on_from_there(aws_env, compressed_log, tmp_path):
    _ship(aws_env, tmp_path)
    with binlog.open_log_tiered_reader(tmp_path, "orders", aws_env.url) as r:
        r.seek_seq(PER + 123)
        assert _records(r) == EVERY_RECORD[PER + 123:]
        r.seek_seq(3)
        first = r.next()
        assert (first.seq, bytes(first.payload)) == (3, payload(3))


def test_a_type_filter_reads_only_that_type_across_the_bucket_and_the_live_segment(aws_env, compressed_log,
                                                                                  tmp_path):
    _ship(aws_env, tmp_path)
    with binlog.open_log_tiered_reader(tmp_path, "orders", aws_env.url) as r:
        r.filter_types(["quote"])
        got = _records(r)
    assert got == [x for x in EVERY_RECORD if x[1] == "quote"]
    assert got[-1][0] >= SEALED * PER, "the live segment's quotes are read too"


def test_an_object_deleted_from_the_bucket_is_a_gap_naming_its_url_not_an_error(aws_env, compressed_log,
                                                                                tmp_path):
    _ship(aws_env, tmp_path)
    aws_env.object_file(aws_env.key(1, PER)).unlink()
    with binlog.open_log_tiered_reader(tmp_path, "orders", aws_env.url) as r:
        got = _records(r)
        assert r.gap_count == 1
        # Named by its plain key: whether it was compressed is not known.
        url = f"s3://{aws_env.bucket}/{aws_env.key(1, PER, compressed=False)}"
        assert r.gaps() == [binlog.Gap(binlog.GapReason.MISSING, url, None, PER, 2 * PER)]
    assert got == EVERY_RECORD[:PER] + EVERY_RECORD[2 * PER:]



def test_a_follower_reads_segments_shipped_after_it_reached_the_end_and_times_out_with_nothing_new(
        aws_env, tmp_path):
    """A follower on a host that has the bucket alone: its directory holds
    none of the log."""
    written, elsewhere = tmp_path / "written", tmp_path / "elsewhere"
    written.mkdir()
    elsewhere.mkdir()

    def ship(uploaded):
        with binlog.Shipper(written, "orders", **aws_env.ship_options()) as s:
            assert s.ship_once().uploaded == uploaded

    def follow(r, n):
        got = []
        for _ in range(n):
            record = r.next(timeout=20)  # bounds a hang only
            assert record is not None, f"after {got}"
            got.append(bytes(record.payload))
        return b"".join(got)

    with binlog.open_log_writer(written, "orders", max_segment_records=2) as w:
        for p in b"abcde":  # segments 0 and 1 sealed, 2 live
            w.append("t", bytes([p]))
        ship(2)
        with binlog.open_log_tiered_reader(elsewhere, "orders", aws_env.url) as r:
            assert follow(r, 4) == b"abcd"
            assert r.next(timeout=0.5) is None, "nothing new"
            for p in b"fg":  # seals segment 2 (e, f)
                w.append("t", bytes([p]))
            ship(1)
            assert follow(r, 2) == b"ef"
            assert r.next(timeout=0.5) is None, "g is not shipped"


def test_a_corrupted_object_raises_an_error_naming_its_url(aws_env, compressed_log, tmp_path):
    _ship(aws_env, tmp_path)
    key = aws_env.key(2, 2 * PER)
    damaged = aws_env.object_file(key)
    data = bytearray(damaged.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = b"\x55" * 64
    damaged.write_bytes(bytes(data))
    got = []
    with binlog.open_log_tiered_reader(tmp_path, "orders", aws_env.url) as r:
        with pytest.raises(binlog.CorruptionError) as error:
            for x in r:
                got.append((x.seq, x.type, bytes(x.payload)))
    assert f"s3://{aws_env.bucket}/{key}" in str(error.value)
    assert 2 * PER <= len(got) < 3 * PER and got == EVERY_RECORD[:len(got)]


def test_decode_threads_0_and_3_read_the_same_records_from_the_bucket(aws_env, compressed_log, tmp_path):
    _ship(aws_env, tmp_path)
    assert no_decoding_threads_within(10), "decoding threads of earlier readers are still running"
    with binlog.open_log_tiered_reader(tmp_path, "orders", aws_env.url, batch_records=8) as r:
        records, mid_scan = scan_counting_decoding_threads(r, 0)
    assert records == EVERY_RECORD
    assert mid_scan == 0, "a scan with no decode threads ran some"
    with binlog.open_log_tiered_reader(tmp_path, "orders", aws_env.url, batch_records=8) as r:
        records, mid_scan = scan_counting_decoding_threads(r, 3)
    assert records == EVERY_RECORD
    assert 0 < mid_scan <= 3, "no binlog-decode thread while a scan with 3 decode threads is under way"


def test_a_remote_that_is_not_an_s3_url_is_refused(aws_env, compressed_log, tmp_path):
    with pytest.raises(binlog.InvalidArgumentError, match="s3://"):
        binlog.open_log_tiered_reader(tmp_path, "orders", "http://not-s3/x")


def test_a_remote_or_name_with_a_nul_byte_is_refused_not_cut_short(aws_env, compressed_log, tmp_path):
    _ship(aws_env, tmp_path)
    with pytest.raises(binlog.InvalidArgumentError, match="remote contains a NUL byte"):
        binlog.open_log_tiered_reader(tmp_path, "orders", aws_env.url + "\0/elsewhere")
    with pytest.raises(binlog.InvalidArgumentError, match="log name contains a NUL byte"):
        binlog.open_log_tiered_reader(tmp_path, "orders\0x", aws_env.url)


def test_a_child_after_fork_lets_go_of_the_parent_s_readers_and_the_parent_reads_on(aws_env, compressed_log,
                                                                                   tmp_path, monkeypatch):
    _ship(aws_env, tmp_path)
    # The readers' runtimes have threads when the child is forked: the resolver's.
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_env.endpoint_by_name)
    scanning = binlog.open_log_tiered_reader(tmp_path, "orders", aws_env.url, batch_records=8)
    scanning.decode_threads(3)
    first = [(r.seq, r.type, bytes(r.payload)) for _, r in zip(range(MID_SCAN), scanning)]
    held = [binlog.open_log_tiered_reader(tmp_path, "orders", aws_env.url)]

    def close_and_collect():
        scanning.close()
        scanning.close()
        with pytest.raises(binlog.NullPointerError):
            scanning.next()
        held.clear()
        gc.collect()

    assert exit_code_in_child(close_and_collect) == 0
    assert first + _records(scanning) == EVERY_RECORD
    assert _records(held[0]) == EVERY_RECORD
    scanning.close()
    held[0].close()
