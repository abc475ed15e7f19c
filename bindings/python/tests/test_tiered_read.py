"""binlog.open_log_tiered_reader: a log whose compressed sealed segments
were shipped to the real versitygw of `make test-python` (conftest.py)
and removed locally reads as one stream with its live local segment;
seeks and type filters reach into the bucket; a missing object is a gap,
a damaged one an error naming its s3:// URL."""

import pytest

import binlog
from conftest import PER, RECORDS, SEALED, payload, read_counting_threads, record_type


def _ship(s3, directory, keep_local=0):
    """Ships log "orders" of ``directory``; its local copies past the
    newest ``keep_local`` go."""
    with binlog.Shipper(directory, "orders", **s3.ship_options(keep_local=keep_local)) as s:
        assert s.ship_once().removed_local == SEALED - keep_local


def _records(reader):
    return [(r.seq, r.type, bytes(r.payload)) for r in reader]


EVERY_RECORD = [(i, record_type(i), payload(i)) for i in range(RECORDS)]


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


def test_an_object_deleted_from_the_bucket_is_a_gap_not_an_error(aws_env, compressed_log, tmp_path):
    _ship(aws_env, tmp_path)
    aws_env.object_file(aws_env.key(1, PER)).unlink()
    with binlog.open_log_tiered_reader(tmp_path, "orders", aws_env.url) as r:
        got = _records(r)
        assert r.gap_count == 1
    assert got == EVERY_RECORD[:PER] + EVERY_RECORD[2 * PER:]


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
    reads, threads_seen = [], []
    for threads in (0, 3):
        with binlog.open_log_tiered_reader(tmp_path, "orders", aws_env.url, batch_records=8) as r:
            r.decode_threads(threads)
            records, most = read_counting_threads(r)
        reads.append(records)
        threads_seen.append(most)
    assert reads[0] == reads[1] == EVERY_RECORD
    assert threads_seen[1] > threads_seen[0], "no thread decompressed ahead"


def test_a_remote_that_is_not_an_s3_url_is_refused(aws_env, compressed_log, tmp_path):
    with pytest.raises(binlog.InvalidArgumentError, match="s3://"):
        binlog.open_log_tiered_reader(tmp_path, "orders", "http://not-s3/x")
