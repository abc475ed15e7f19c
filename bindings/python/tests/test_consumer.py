"""Named consumers (binlog.open_consumer, open_merged_consumer): a reader
that resumes after its last commit, never past a record it did not
return, even one a batch fetched; one handle per name; position tokens
of any log reader; retention that waits for consumers; removal."""

import pytest

import binlog
from support import PER, RECORDS, SEALED, payload


def _log(directory, name="orders", count=10, **options):
    with binlog.open_log_writer(directory, name, **options) as w:
        for i in range(count):
            w.append("order", b"%s %d" % (name.encode(), i), timestamp_ns=1000 + i)


def _seqs(reader, n):
    return [reader.next().seq for _ in range(n)]


def test_a_consumer_resumes_after_its_commit_not_after_what_a_batch_fetched(tmp_path):
    _log(tmp_path)
    with binlog.open_consumer(tmp_path, "orders", "billing") as c:
        assert c.committed == 0
        # One library call fetched all ten; the caller took four.
        assert _seqs(c, 4) == [0, 1, 2, 3]
        c.commit()
        assert c.committed == 4
        assert bytes(next(c).payload) == b"orders 4"
    with binlog.open_consumer(tmp_path, "orders", "billing") as c:
        assert c.committed == 4
        assert [r.seq for r in c] == list(range(4, 10))
        c.commit()
        with pytest.raises(StopIteration):
            next(c)
    with binlog.open_consumer(tmp_path, "orders", "billing") as c:
        assert c.committed == 10
        assert c.next() is None


def test_a_commit_in_a_for_loop_commits_the_records_taken_by_then(tmp_path):
    _log(tmp_path)
    with binlog.open_consumer(tmp_path, "orders", "billing") as c:
        for record in c:
            if record.seq == 6:
                c.commit()
                break
    with binlog.open_consumer(tmp_path, "orders", "billing") as c:
        assert next(c).seq == 7


def test_records_taken_but_not_committed_are_read_again(tmp_path):
    _log(tmp_path)
    with binlog.open_consumer(tmp_path, "orders", "billing", batch_records=2) as c:
        assert _seqs(c, 3) == [0, 1, 2]
        c.commit()
        assert _seqs(c, 3) == [3, 4, 5]  # not committed: the consumer "crashes"
    with binlog.open_consumer(tmp_path, "orders", "billing") as c:
        assert _seqs(c, 3) == [3, 4, 5]


def test_commit_seq_commits_up_to_a_record_returned_and_refuses_one_not_returned(tmp_path):
    _log(tmp_path)
    with binlog.open_consumer(tmp_path, "orders", "billing") as c:
        with pytest.raises(binlog.InvalidArgumentError, match="not returned"):
            c.commit(0)
        assert _seqs(c, 5) == [0, 1, 2, 3, 4]
        # Fetched by the batch but not returned to the caller: refused.
        with pytest.raises(binlog.InvalidArgumentError, match="not returned"):
            c.commit(5)
        # Past everything fetched: the library refuses it.
        with pytest.raises(binlog.InvalidArgumentError):
            c.commit_seq(50)
        c.commit(2)
        assert c.committed == 3
    with binlog.open_consumer(tmp_path, "orders", "billing") as c:
        assert next(c).seq == 3


def test_commit_seq_before_the_last_commit_is_refused_and_a_seek_then_commit_moves_back(tmp_path):
    _log(tmp_path)
    with binlog.open_consumer(tmp_path, "orders", "billing") as c:
        assert _seqs(c, 9) == list(range(9))
        c.commit(7)
        with pytest.raises(binlog.InvalidArgumentError, match=r"billing\.consumer.*record 3.*seek"):
            c.commit(3)
        assert c.committed == 8
        # Moving back on purpose: seek there, take a record of the batch
        # fetched, commit.
        c.seek_seq(2)
        assert next(c).seq == 2
        c.commit()
        assert c.committed == 3


def test_a_second_open_of_a_held_name_is_locked(tmp_path):
    _log(tmp_path)
    with binlog.open_consumer(tmp_path, "orders", "billing"):
        with pytest.raises(binlog.LockedError):
            binlog.open_consumer(tmp_path, "orders", "billing")
        with binlog.open_consumer(tmp_path, "orders", "audit") as other:
            assert next(other).seq == 0
    with binlog.open_consumer(tmp_path, "orders", "billing") as c:
        assert next(c).seq == 0


def test_where_a_new_consumer_starts(tmp_path):
    _log(tmp_path)
    with binlog.open_consumer(tmp_path, "orders", "late", start="end") as c:
        assert c.next() is None
        assert c.committed == 10
    with binlog.open_consumer(tmp_path, "orders", "from-seq", seq=6) as c:
        assert next(c).seq == 6
    with binlog.open_consumer(tmp_path, "orders", "from-time", time_ns=1008) as c:
        assert next(c).seq == 8
    # A consumer with a position ignores start.
    with binlog.open_consumer(tmp_path, "orders", "from-seq", start="end") as c:
        assert next(c).seq == 6


def test_open_consumer_refuses_wrong_types_and_values(tmp_path):
    _log(tmp_path)
    with pytest.raises(TypeError, match="start"):
        binlog.open_consumer(tmp_path, "orders", "c", start=0)
    with pytest.raises(ValueError, match="start"):
        binlog.open_consumer(tmp_path, "orders", "c", start="middle")
    with pytest.raises(TypeError, match="seq"):
        binlog.open_consumer(tmp_path, "orders", "c", seq="3")
    with pytest.raises(TypeError, match="time_ns"):
        binlog.open_consumer(tmp_path, "orders", "c", time_ns=1.5)
    with pytest.raises(ValueError, match="one of"):
        binlog.open_consumer(tmp_path, "orders", "c", seq=1, time_ns=1)
    with pytest.raises(ValueError, match="one of"):
        binlog.open_consumer(tmp_path, "orders", "c", start="end", seq=1)
    with pytest.raises(ValueError, match="seq"):
        binlog.open_consumer(tmp_path, "orders", "c", seq=-1)
    with pytest.raises(TypeError, match="consumer name"):
        binlog.open_consumer(tmp_path, "orders", 7)
    with pytest.raises(binlog.InvalidArgumentError):
        binlog.open_consumer(tmp_path, "orders", "../escape")
    with pytest.raises(binlog.InvalidArgumentError):
        binlog.open_consumer(tmp_path, "orders", "c", remote="http://not-s3")
    assert not list(tmp_path.glob("*.consumer"))


def test_a_token_from_one_reader_seeks_another_to_the_same_record(tmp_path):
    _log(tmp_path, count=30, max_segment_records=7)
    with binlog.open_log_reader(tmp_path, "orders") as a, \
            binlog.open_log_reader(tmp_path, "orders") as b:
        assert _seqs(a, 12) == list(range(12))  # the batch fetched all 30
        token = a.position()
        assert isinstance(token, str) and token.isprintable()
        assert a.next().seq == 12  # taking the token moved nothing
        b.seek_position(token)
        assert b.next().seq == 12
        assert [r.seq for r in b] == list(range(13, 30))
    with binlog.open_consumer(tmp_path, "orders", "c") as c:
        c.seek_position(token)
        assert next(c).seq == 12
        with binlog.open_log_reader(tmp_path, "orders") as d:
            d.seek_position(c.position())
            assert d.next().seq == 13
        c.commit()
        assert c.committed == 13


def test_a_token_of_another_log_or_garbage_is_refused(tmp_path):
    _log(tmp_path, "orders")
    _log(tmp_path, "payments")
    with binlog.open_log_reader(tmp_path, "orders") as r:
        token = r.position()
    with binlog.open_log_reader(tmp_path, "payments") as r:
        with pytest.raises(binlog.InvalidArgumentError, match="orders"):
            r.seek_position(token)
        with pytest.raises(binlog.InvalidArgumentError):
            r.seek_position(token[:-1] + ("0" if token[-1] != "0" else "1"))
        with pytest.raises(binlog.InvalidArgumentError):
            r.seek_position("no token")
        with pytest.raises(TypeError, match="token"):
            r.seek_position(b"bytes")
        assert r.next().seq == 0
    with binlog.open_reader(binlog.list_segments(tmp_path, "orders")[0].path) as segment:
        with pytest.raises(binlog.InvalidArgumentError):
            segment.position()


def test_a_merged_consumer_resumes_each_log(tmp_path):
    _log(tmp_path, "a", count=5)
    _log(tmp_path, "b", count=5)
    with binlog.open_merged_consumer(tmp_path, "both") as m:
        got = [(r.log, r.seq) for r in (m.next() for _ in range(5))]
        assert got == [("a", 0), ("b", 0), ("a", 1), ("b", 1), ("a", 2)]
        m.commit()
        token = m.position()
        with pytest.raises(binlog.LockedError):
            binlog.open_merged_consumer(tmp_path, "both")
    with binlog.open_merged_consumer(tmp_path, "both") as m:
        assert [(r.log, r.seq) for r in m] == [("b", 2), ("a", 3), ("b", 3), ("a", 4), ("b", 4)]
    with binlog.open_merged_reader(tmp_path) as r:
        r.seek_position(token)
        assert (r.next().log, r.next().log) == ("b", "a")
    with binlog.open_merged_consumer(tmp_path, "only-b", pattern="b", seq=3) as m:
        assert [(r.log, r.seq) for r in m] == [("b", 3), ("b", 4)]
    with binlog.open_merged_reader(tmp_path, pattern="a") as r:
        with pytest.raises(binlog.InvalidArgumentError, match="not merged here"):
            r.seek_position(token)


def _read_after_retention(directory, name, **options):
    """What consumer "slow", committed at record 0 before 60 records were
    written in segments of 10 with retention keeping one, reads."""
    with binlog.open_log_writer(directory, name, max_segment_records=10,
                                retention_max_segments=1, **options) as w:
        w.append("order", b"first")
        w.flush()
        binlog.open_consumer(directory, name, "slow").close()
        for i in range(59):
            w.append("order", b"%d" % i)
    with binlog.open_consumer(directory, name, "slow") as c:
        return [r.seq for r in c], c.gaps()


def test_retention_waits_for_a_consumer_within_its_bound(tmp_path):
    bound = binlog.ConsumerBound(max_bytes=1 << 30)
    seqs, gaps = _read_after_retention(tmp_path, "kept", retention_wait_for_consumers=bound)
    assert seqs == list(range(60)) and gaps == []
    seqs, gaps = _read_after_retention(tmp_path, "dropped")
    assert seqs[0] > 0 and seqs[-1] == 59
    assert [g.reason for g in gaps] == [binlog.GapReason.RETENTION]
    options = binlog.Options(retention_wait_for_consumers=bound)
    with pytest.raises(binlog.InvalidArgumentError):
        binlog.open_writer(tmp_path / "one.binlog", options)


def test_remove_consumer(tmp_path):
    _log(tmp_path)
    with binlog.open_consumer(tmp_path, "orders", "billing") as c:
        assert _seqs(c, 5) == list(range(5))
        c.commit()
        with pytest.raises(binlog.LockedError):
            binlog.remove_consumer(tmp_path, "billing")
    assert (tmp_path / "billing.consumer").exists()
    binlog.remove_consumer(tmp_path, "billing")
    assert not (tmp_path / "billing.consumer").exists()
    with pytest.raises(binlog.NotFoundError):
        binlog.remove_consumer(tmp_path, "billing")
    with binlog.open_consumer(tmp_path, "orders", "billing") as c:
        assert next(c).seq == 0


def test_a_consumer_with_remote_reads_the_shipped_segments_and_resumes_in_them(
        aws_env, compressed_log, tmp_path):
    with binlog.Shipper(tmp_path, "orders", **aws_env.ship_options(keep_local=0)) as s:
        assert s.ship_once().removed_local == SEALED
    with binlog.open_consumer(tmp_path, "orders", "c", remote=aws_env.url) as c:
        assert [(r.seq, bytes(r.payload)) for r in (next(c) for _ in range(PER + 5))] == \
            [(i, payload(i)) for i in range(PER + 5)]
        c.commit()
        token = c.position()
    with binlog.open_consumer(tmp_path, "orders", "c", remote=aws_env.url) as c:
        assert [r.seq for r in c] == list(range(PER + 5, RECORDS))
        assert c.gap_count == 0
    with binlog.open_consumer(tmp_path, "orders", "local-only") as c:
        assert next(c).seq == SEALED * PER, "without the bucket"
    with binlog.open_log_tiered_reader(tmp_path, "orders", aws_env.url) as r:
        r.seek_position(token)
        assert r.next().seq == PER + 5
