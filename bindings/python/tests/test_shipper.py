"""binlog.Shipper against the real versitygw of `make test-python`
(conftest.py): each sealed segment, compressed, becomes one object once;
local copies go only after their upload; the options reach the library;
errors are the binding's exception classes naming the object or file;
a child after fork() leaves the parent's shipper alone."""

import dataclasses
import datetime
import gc
import os
import threading

import pytest

import binlog
from support import PER, SEALED, exit_code_in_child


def _local(directory):
    """The log's files: {segment number: bytes}."""
    return {f.segment_no: open(f.path, "rb").read() for f in binlog.list_segments(directory, "orders")}


def test_ship_once_uploads_each_sealed_compressed_segment_once_as_its_bytes(s3, compressed_log, tmp_path):
    before = _local(tmp_path)
    with binlog.Shipper(tmp_path, "orders", **s3.ship_options(virtual_hosted_style=False)) as s:
        assert s.ship_once() == binlog.ShipReport(uploaded=SEALED, already_uploaded=0, removed_local=0)
        assert s.ship_once() == binlog.ShipReport(0, 0, 0)
    keys = [s3.key(n, n * PER) for n in range(SEALED)]
    assert s3.segment_objects() == [s3.object_file(k) for k in keys]
    assert [p.read_bytes() for p in s3.segment_objects()] == [before[n] for n in range(SEALED)]
    assert _local(tmp_path) == before, "no local copy removed without keep_local"


def test_keep_local_zero_removes_local_copies_only_after_their_upload(s3, compressed_log, tmp_path):
    before = _local(tmp_path)
    s = binlog.Shipper(tmp_path, "orders", **s3.ship_options(keep_local=0))
    assert _local(tmp_path) == before, "opening uploads and removes nothing"
    # Segment 2's key is a directory: the server refuses its upload.
    blocked = s3.object_file(s3.key(2, 2 * PER))
    os.makedirs(blocked / "x")
    with pytest.raises(binlog.RemoteRequestError) as failed:
        s.ship_once()
    assert f"s3://{s3.bucket}/{s3.key(2, 2 * PER)}" in str(failed.value)
    assert _local(tmp_path) == before, "a pass that failed removed a local copy"
    assert [p.read_bytes() for p in s3.segment_objects()[:2]] == [before[0], before[1]]

    (blocked / "x").rmdir()
    blocked.rmdir()
    assert s.ship_once() == binlog.ShipReport(uploaded=2, already_uploaded=0, removed_local=SEALED)
    s.close()
    assert list(_local(tmp_path)) == [SEALED], "only the live segment is left"
    assert [p.read_bytes() for p in s3.segment_objects()] == [before[n] for n in range(SEALED)]


def test_keep_local_keeps_the_newest_sealed_segments(s3, compressed_log, tmp_path):
    with binlog.Shipper(tmp_path, "orders", **s3.ship_options(keep_local=1)) as s:
        assert s.ship_once().removed_local == SEALED - 1
    assert list(_local(tmp_path)) == [SEALED - 1, SEALED]


def test_segments_above_the_multipart_threshold_go_up_in_parts(s3, compressed_log, tmp_path):
    with binlog.Shipper(tmp_path, "orders", **s3.ship_options(multipart_threshold=1)) as s:
        assert s.ship_once().uploaded == SEALED
    # versitygw keeps an object's ETag in an extended attribute; that of
    # a multipart upload ends with its count of parts.
    etags = [os.getxattr(p, "user.etag") for p in s3.segment_objects()]
    assert len(etags) == SEALED and all(e.endswith(b'-1"') for e in etags), etags


def test_the_connection_comes_from_the_environment_when_not_given(aws_env, compressed_log, tmp_path):
    with binlog.Shipper(tmp_path, "orders", url=aws_env.url) as s:
        assert s.ship_once().uploaded == SEALED
    assert len(aws_env.segment_objects()) == SEALED


def test_a_second_log_of_the_same_name_is_refused_at_a_claimed_prefix(s3, compressed_log, tmp_path):
    with binlog.Shipper(tmp_path, "orders", **s3.ship_options()) as s:
        s.ship_once()
    other = tmp_path / "other"
    with binlog.open_log_writer(other, "orders", max_segment_records=2) as w:
        for i in range(5):
            w.append("t", b"other %d" % i)
    with pytest.raises(binlog.WrongLogError) as refused:
        binlog.Shipper(other, "orders", **s3.ship_options())
    assert f"s3://{s3.bucket}/{s3.prefix}/orders/claim" in str(refused.value)
    assert "claimed by another log" in str(refused.value)
    assert len(s3.segment_objects()) == SEALED, "the other log's segments went up"


def test_a_second_shipper_of_the_log_is_locked_out_until_the_first_closes(s3, compressed_log, tmp_path):
    first = binlog.Shipper(tmp_path, "orders", **s3.ship_options())
    with pytest.raises(binlog.LockedError, match=r"orders\.ship\.lock"):
        binlog.Shipper(tmp_path, "orders", **s3.ship_options())
    with first:
        pass
    with binlog.Shipper(tmp_path, "orders", **s3.ship_options()) as second:
        assert second.ship_once().uploaded == SEALED


def test_close_twice_is_fine_and_ship_once_after_close_raises_closed(s3, compressed_log, tmp_path):
    s = binlog.Shipper(tmp_path, "orders", **s3.ship_options())
    s.close()
    s.close()
    with pytest.raises(binlog.ClosedError, match="shipper is closed") as closed:
        s.ship_once()
    assert str(tmp_path) in str(closed.value) and closed.value.code == binlog.ClosedError.code


def test_threads_shipping_at_once_take_turns_and_upload_each_segment_once(s3, compressed_log, tmp_path):
    reports, errors = [], []

    def ship(s):
        try:
            reports.append(s.ship_once())
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    with binlog.Shipper(tmp_path, "orders", **s3.ship_options()) as s:
        threads = [threading.Thread(target=ship, args=(s,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert sum(r.uploaded for r in reports) == SEALED and len(reports) == 4


def test_wrong_credentials_are_refused_naming_the_bucket(s3, compressed_log, tmp_path):
    wrong = s3.ship_options(credentials=(s3.access_key, "wrong-secret"))
    with pytest.raises(binlog.PermissionDeniedError, match="s3://"):
        binlog.Shipper(tmp_path, "orders", **wrong)
    assert s3.segment_objects() == []


def test_a_region_other_than_the_bucket_s_is_refused_naming_the_claim(s3, compressed_log, tmp_path):
    with pytest.raises(binlog.RemoteRequestError, match="eu-west-3") as refused:
        binlog.Shipper(tmp_path, "orders", **s3.ship_options(region="eu-west-3"))
    assert f"s3://{s3.bucket}/{s3.prefix}/orders/claim" in str(refused.value)


def test_bad_options_are_refused_before_anything_is_shipped(s3, compressed_log, tmp_path):
    with pytest.raises(binlog.InvalidArgumentError, match="no destination"):
        binlog.Shipper(tmp_path, "orders", endpoint=s3.endpoint)
    with pytest.raises(binlog.InvalidArgumentError, match="s3://bucket"):
        binlog.Shipper(tmp_path, "orders", url="http://not-s3/x")
    with pytest.raises(TypeError):
        binlog.Shipper(tmp_path, "orders", binlog.ShipOptions(url=s3.url), keep_local=0)
    with pytest.raises(TypeError):
        binlog.Shipper(tmp_path, "orders", bucket="b")
    with pytest.raises(binlog.InvalidArgumentError, match="keep_local must be at least 0"):
        binlog.Shipper(tmp_path, "orders", **s3.ship_options(keep_local=-1))
    with pytest.raises(binlog.InvalidArgumentError, match="multipart_threshold must be at least 0"):
        binlog.Shipper(tmp_path, "orders", **s3.ship_options(multipart_threshold=-1))
    assert s3.segment_objects() == []


def test_an_object_lock_is_refused_where_the_bucket_has_none_and_cleared_lets_it_open(s3, compressed_log, tmp_path):
    # The test bucket has no Object Lock: a shipper asked to lock does not open.
    locked = binlog.ShipOptions(**s3.ship_options(object_lock=binlog.LockMode.GOVERNANCE, object_lock_days=30))
    with pytest.raises(binlog.InvalidArgumentError, match="objects cannot be locked in this bucket") as refused:
        binlog.Shipper(tmp_path, "orders", locked)
    assert "Object Lock" in str(refused.value)
    with pytest.raises(binlog.InvalidArgumentError, match="object lock of 0 days"):
        binlog.Shipper(tmp_path, "orders", dataclasses.replace(locked, object_lock_days=0))
    with pytest.raises(TypeError, match="object_lock must be a binlog.LockMode, not str"):
        binlog.Shipper(tmp_path, "orders", **s3.ship_options(object_lock="governance", object_lock_days=30))
    with pytest.raises(binlog.InvalidArgumentError, match="object_lock_days must be at least 0"):
        binlog.Shipper(tmp_path, "orders", dataclasses.replace(locked, object_lock_days=-1))
    assert s3.segment_objects() == []
    # Set, then taken back: the shipper locks nothing and ships.
    with binlog.Shipper(tmp_path, "orders", dataclasses.replace(locked, object_lock=binlog.LockMode.NONE)) as s:
        assert s.ship_once().uploaded == SEALED


def test_options_may_be_a_ship_options_and_the_report_is_frozen(s3, compressed_log, tmp_path):
    options = binlog.ShipOptions(**s3.ship_options(keep_local=0))
    assert s3.secret_key not in repr(options) and s3.url in repr(options)
    with binlog.Shipper(tmp_path, "orders", options) as s:
        report = s.ship_once()
    assert report == binlog.ShipReport(SEALED, 0, SEALED)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.uploaded = 0


@pytest.mark.parametrize("option, nul_in, named", [
    ("url", lambda s3: s3.url + "\0/elsewhere", "url"),
    ("endpoint", lambda s3: s3.endpoint + "\0/x", "endpoint"),
    ("region", lambda s3: s3.region + "\0x", "region"),
    ("credentials", lambda s3: (s3.access_key + "\0x", s3.secret_key), "access key id"),
    ("credentials", lambda s3: (s3.access_key, s3.secret_key + "\0x"), "secret access key"),
])
def test_a_string_option_with_a_nul_byte_is_refused_naming_it_not_cut_short(s3, compressed_log, tmp_path,
                                                                            option, nul_in, named):
    with pytest.raises(binlog.InvalidArgumentError, match=f"^{named} contains a NUL byte") as refused:
        binlog.Shipper(tmp_path, "orders", **s3.ship_options(**{option: nul_in(s3)}))
    assert s3.secret_key not in str(refused.value)
    with pytest.raises(binlog.InvalidArgumentError, match="log name contains a NUL byte"):
        binlog.Shipper(tmp_path, "orders\0x", **s3.ship_options())
    assert s3.segment_objects() == []


def test_a_child_after_fork_lets_go_of_the_parent_s_shipper_and_the_parent_ships_on(s3, compressed_log, tmp_path):
    # Its runtime has threads when the child is forked: the resolver's.
    with binlog.Shipper(tmp_path, "orders", **s3.ship_options(endpoint=s3.endpoint_by_name)) as s:
        assert s.ship_once().uploaded == SEALED

        def close():
            with pytest.raises(binlog.ClosedError, match="parent process"):
                s.ship_once()  # the parent's: refused, not run on its runtime
            s.close()  # its handle dropped: the finalizer runs here
            s.close()
            with pytest.raises(binlog.ClosedError):
                s.ship_once()
            gc.collect()

        assert exit_code_in_child(close) == 0
        assert s.ship_once() == binlog.ShipReport(0, 0, 0), "the parent's shipper ships on"
        with pytest.raises(binlog.LockedError):
            binlog.Shipper(tmp_path, "orders", **s3.ship_options())


def test_prune_remote_deletes_the_oldest_objects_and_keeps_the_newest(s3, compressed_log, tmp_path):
    with binlog.Shipper(tmp_path, "orders", **s3.ship_options()) as s:
        assert s.ship_once().uploaded == SEALED
    dry = binlog.prune_remote("orders", dry_run=True, remote_keep_count=1, **s3.ship_options())
    assert dry == binlog.PruneReport(deleted=SEALED - 1, finished=0, kept=1, pruned_through=SEALED - 2)
    assert len(s3.segment_objects()) == SEALED, "a dry run deletes nothing"
    assert binlog.prune_remote("orders", remote_keep_count=1, **s3.ship_options()) == dry
    assert [p.name for p in s3.segment_objects()] == [s3.object_file(s3.key(SEALED - 1, (SEALED - 1) * PER)).name]
    with pytest.raises(binlog.InvalidArgumentError):
        binlog.prune_remote("orders", remote_keep_count=-1, **s3.ship_options())


def test_a_prune_stopped_by_an_object_lock_reports_the_locked_object(s3, compressed_log, tmp_path):
    locked = s3.ship_options(url=f"s3://{os.environ['BINLOG_TEST_S3_LOCKED_BUCKET']}/{s3.prefix}",
                             object_lock=binlog.LockMode.GOVERNANCE, object_lock_days=1)
    with binlog.Shipper(tmp_path, "orders", **locked) as s:
        assert s.ship_once() == binlog.ShipReport(uploaded=SEALED, already_uploaded=0, removed_local=0)
    # Keeping one object would delete segment 0's, which its lock keeps.
    report = binlog.prune_remote("orders", remote_keep_count=1, **locked)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (report.deleted, report.kept) == (0, SEALED)
    lock = report.locked
    assert lock is not None and (lock.key, lock.segment, lock.legal_hold) == (s3.key(0, 0), 0, False)
    assert lock.retain_until is not None and lock.retain_until > now, f"a retention date after {now}"
    # The prune of the shipper's remote retention stops at the same object.
    with binlog.Shipper(tmp_path, "orders", remote_keep_count=1, **locked) as s:
        assert s.ship_once().prune_locked == lock
