"""Retention of a shipped log (``retention_until_shipped``,
``retention_hard_max_bytes``, ``Writer.dropped_unshipped``) with a real
binlog.Shipper and the versitygw of `make test-python` (conftest.py): a
sealed segment not yet uploaded outlives the retention limits, goes once
a shipper uploaded it, and only the hard byte cap deletes it before."""

import pytest

import binlog

#: The retention limits each test of ``until_shipped`` runs with: one
#: segment by count, or one byte of sealed segments.
LIMITS = [dict(retention_max_segments=1), dict(retention_max_bytes=1)]


def _segments(directory, name="orders"):
    return [s.segment_no for s in binlog.list_segments(directory, name)]


def _write(w, n):
    for i in range(n):
        w.append("t", b"payload %d" % i)


@pytest.mark.parametrize("limit", LIMITS, ids=["max_segments", "max_bytes"])
def test_until_shipped_keeps_unshipped_segments_past_the_limit_until_a_shipper_uploads_them(
        s3, tmp_path, limit):
    with binlog.open_log_writer(tmp_path, "orders", max_segment_records=2,
                                retention_until_shipped=True, **limit) as w:
        _write(w, 7)  # segments 0..2 sealed, 3 live
        assert _segments(tmp_path) == [0, 1, 2, 3], "an unshipped segment was deleted"
        with binlog.Shipper(tmp_path, "orders", **s3.ship_options()) as s:
            assert s.ship_once().uploaded == 3
        assert _segments(tmp_path) == [0, 1, 2, 3], "retention runs when a segment is sealed"
        _write(w, 2)  # seals 3, not uploaded: 0..2 go, 3 stays
        assert _segments(tmp_path) == [3, 4]
        assert len(s3.segment_objects()) == 3
        assert w.dropped_unshipped == 0


@pytest.mark.parametrize("limit,kept", [(LIMITS[0], [2, 3]), (LIMITS[1], [3])],
                         ids=["max_segments", "max_bytes"])
def test_without_until_shipped_the_same_limits_delete_unshipped_segments(tmp_path, limit, kept):
    with binlog.open_log_writer(tmp_path, "orders", max_segment_records=2, **limit) as w:
        _write(w, 7)
        assert _segments(tmp_path) == kept
        assert w.dropped_unshipped == 0, "only the hard cap counts what it drops"


def test_the_hard_cap_deletes_unshipped_segments_and_counts_them(s3, tmp_path):
    with binlog.open_log_writer(tmp_path, "orders", max_segment_records=2, retention_until_shipped=True,
                                retention_hard_max_bytes=1) as w:
        _write(w, 7)  # seals 0..2, each over the cap before any upload
        assert _segments(tmp_path) == [3]
        assert w.dropped_unshipped == 3
        with binlog.Shipper(tmp_path, "orders", **s3.ship_options()) as s:
            assert s.ship_once().uploaded == 0, "the dropped segments are gone for the shipper too"
    assert s3.segment_objects() == []
    assert w.dropped_unshipped == 3, "the count is read after close too"


def test_the_hard_cap_counts_only_the_segments_no_shipper_uploaded(s3, tmp_path):
    with binlog.open_log_writer(tmp_path, "orders", max_segment_records=2, retention_until_shipped=True) as w:
        _write(w, 7)  # segments 0..2 sealed, 3 live
    with binlog.Shipper(tmp_path, "orders", **s3.ship_options()) as s:
        assert s.ship_once().uploaded == 4, "closing sealed 3"
    with binlog.open_log_writer(tmp_path, "orders", max_segment_records=2, retention_until_shipped=True,
                                retention_hard_max_bytes=1) as w:
        _write(w, 5)  # seals 4 and 5, never uploaded; the cap deletes 0..5
        assert _segments(tmp_path) == [6]
        assert w.dropped_unshipped == 2
    assert len(s3.segment_objects()) == 4


def test_shipped_retention_options_are_logs_only(tmp_path):
    for option in (dict(retention_until_shipped=True), dict(retention_hard_max_bytes=1 << 20)):
        with pytest.raises(binlog.InvalidArgumentError, match="apply to logs"):
            binlog.open_writer(tmp_path / "one.binlog", **option)
    assert list(tmp_path.iterdir()) == []


def test_dropped_unshipped_of_a_segment_writer_is_refused(tmp_path):
    with binlog.open_writer(tmp_path / "one.binlog") as w:
        with pytest.raises(binlog.InvalidArgumentError, match="needs a log writer"):
            w.dropped_unshipped


def test_an_options_object_carries_the_shipped_retention(s3, tmp_path):
    options = binlog.Options(max_segment_records=2, retention_max_segments=1, retention_until_shipped=True,
                             retention_hard_max_bytes=1 << 30)
    with binlog.open_log_writer(tmp_path, "orders", options) as w:
        _write(w, 7)
        assert _segments(tmp_path) == [0, 1, 2, 3]
        assert w.dropped_unshipped == 0


def test_dropped_unshipped_counts_what_close_dropped_and_reads_after_close(tmp_path):
    with binlog.open_log_writer(tmp_path, "sizes", max_segment_records=2) as w:
        _write(w, 3)  # segment 0 holds 2 records, as each full one below
    full = binlog.list_segments(tmp_path, "sizes")[0].bytes
    # Room for one full sealed segment: each seal drops the one before.
    w = binlog.open_log_writer(tmp_path, "orders", max_segment_records=2, retention_until_shipped=True,
                               retention_hard_max_bytes=full + 1)
    _write(w, 7)  # seals 0..2: 0 and 1 dropped
    assert w.dropped_unshipped == 2
    w.close()  # seals 3: 2 dropped
    assert w.dropped_unshipped == 3
    assert _segments(tmp_path) == [3]
