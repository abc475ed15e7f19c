"""Shipping a log's sealed segments to an S3-compatible bucket
(``binlog_shipper``), for a tiered reader
(:func:`binlog.open_log_tiered_reader`) to read back."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Tuple, TypedDict

from ._native import ffi, lib
from .cstrings import c_path, c_string
from .enums import LockMode
from .errors import ClosedError, InvalidArgumentError, TakingTurns, check
from .options import options_from, with_keywords_of
from .process_owned import OpeningProcess

if TYPE_CHECKING:
    from ._native import CData
    from typing_extensions import Unpack

@dataclass(frozen=True)
class PruneLock:
    """The object an S3 Object Lock kept from a prune
    (``binlog_last_prune_lock``): the oldest the limits would have
    deleted, which the prune stopped before, keeping every newer one too."""

    #: The object's key in the bucket.
    key: str
    #: Its segment's number.
    segment: int
    #: When its retention ends, as the server wrote it
    #: (``2026-11-18T11:06:40Z``); ``None`` when a legal hold keeps it.
    retain_until: Optional[str]
    legal_hold: bool


def _lock_kept(result: int) -> Optional[PruneLock]:
    """Checks ``result``, a prune's (of ``binlog_remote_prune`` or
    ``binlog_shipper_ship_once``, on this thread): what an Object Lock kept
    from it."""
    check(result)
    out = ffi.new("binlog_prune_lock *")
    check(lib.binlog_last_prune_lock(out))
    if out.key == ffi.NULL:
        return None
    until = None if out.retain_until == ffi.NULL else ffi.string(out.retain_until).decode()
    return PruneLock(ffi.string(out.key).decode(), out.segment, until, out.legal_hold)


@dataclass(frozen=True)
class ShipReport:
    """What one :meth:`Shipper.ship_once` did, in segments."""

    #: Uploaded (and verified by a HEAD) by this pass.
    uploaded: int
    #: Found in the bucket already with the same bytes (an upload a crash
    #: interrupted after the server stored it).
    already_uploaded: int
    #: Local copies removed, their copies in the bucket verified.
    removed_local: int
    #: The object an Object Lock kept from the prune of the remote
    #: retention that ends the pass; ``None`` if none.
    prune_locked: Optional[PruneLock] = None


@dataclass(frozen=True)
class ShipOptions:
    """Where and how a :class:`Shipper` ships a log; ``None`` leaves the
    library's default, which for the connection is the environment's
    (``AWS_ENDPOINT_URL``, ``AWS_REGION``, ``AWS_ACCESS_KEY_ID``,
    ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``,
    ``AWS_VIRTUAL_HOSTED_STYLE_REQUEST``)."""

    #: Where the log goes (required): ``s3://bucket[/prefix]``; its objects
    #: are named ``<prefix>/<log name>/...``.
    url: Optional[str] = None
    #: The server's URL, for S3-compatible servers (``http://host:port``).
    endpoint: Optional[str] = None
    region: Optional[str] = None
    #: ``(access_key_id, secret_access_key)``; left out of the repr.
    credentials: Optional[Tuple[str, str]] = field(default=None, repr=False)
    #: ``bucket.host/key`` if true, ``host/bucket/key`` (the default) if false.
    virtual_hosted_style: Optional[bool] = None
    #: Removes a local segment once its verified copy is in the bucket,
    #: keeping the newest ``keep_local`` sealed segments (0: every one
    #: uploaded goes); ``None`` removes none.
    keep_local: Optional[int] = None
    #: Segments larger than this many bytes go up as multipart uploads
    #: (default 64 MiB).
    multipart_threshold: Optional[int] = None
    #: How long failed requests are retried, in seconds, before a call
    #: gives up (default 180; whole milliseconds): a server that is down,
    #: refuses connections or stops answering fails the call in about
    #: this long with :class:`RemoteError`, naming the server's URL and
    #: the cause.
    retry_timeout: Optional[float] = None
    #: How much of the log the bucket keeps: at most this many segment
    #: objects, bytes of them, or seconds since an object's last record
    #: (``None``: no such limit). With one set, each :meth:`Shipper.ship_once`
    #: ends with a prune, and :func:`prune_remote` applies them.
    remote_keep_count: Optional[int] = None
    remote_keep_bytes: Optional[int] = None
    remote_keep_age: Optional[float] = None
    #: Locks each segment object and signed head the shipper creates under
    #: S3 Object Lock (WORM), as this :class:`binlog.LockMode` says, for
    #: ``object_lock_days`` (1 to 36500) from its upload; the shipper then
    #: raises :class:`binlog.InvalidArgumentError`, saying so, if the bucket
    #: does not have Object Lock enabled. ``None`` or ``LockMode.NONE``:
    #: no lock.
    object_lock: Optional[LockMode] = None
    object_lock_days: int = 0


@dataclass(frozen=True)
class PruneReport:
    """What one :func:`prune_remote` did (or, dry, would do)."""

    #: Segment objects deleted, those a prune killed before left included.
    deleted: int
    #: How many of ``deleted`` a prune killed before had left.
    finished: int
    #: Segment objects kept.
    kept: int
    #: Every segment up to this one is pruned; ``None`` if none is.
    pruned_through: Optional[int]
    #: The object an Object Lock kept; ``None`` if none.
    locked: Optional[PruneLock] = None


class ShipKeywords(TypedDict, total=False):
    """The fields of :class:`ShipOptions` as keyword arguments of
    :class:`Shipper` (a misspelled one is a type checker's error and a
    :class:`TypeError` naming it)."""

    # BEGIN GENERATED by bindings/gen_tables.py: ship keywords
    url: Optional[str]
    endpoint: Optional[str]
    region: Optional[str]
    credentials: Optional[Tuple[str, str]]
    virtual_hosted_style: Optional[bool]
    keep_local: Optional[int]
    multipart_threshold: Optional[int]
    retry_timeout: Optional[float]
    remote_keep_count: Optional[int]
    remote_keep_bytes: Optional[int]
    remote_keep_age: Optional[float]
    object_lock: Optional[LockMode]
    object_lock_days: int
    # END GENERATED


def _native_ship_options(o: ShipOptions) -> CData:
    """A ``binlog_ship_options *`` of ``o``, freed when collected."""
    out = ffi.new("binlog_ship_options **")
    check(lib.binlog_ship_options_new(out))
    opts = ffi.gc(out[0], lib.binlog_ship_options_free)
    for name, text, set_text in (("url", o.url, lib.binlog_ship_options_set_url),
                                 ("endpoint", o.endpoint, lib.binlog_ship_options_set_endpoint),
                                 ("region", o.region, lib.binlog_ship_options_set_region)):
        if text is not None:
            check(set_text(opts, c_string(name, text)))
    if o.credentials is not None:
        key_id, secret = o.credentials
        key_id_c, secret_c = c_string("access key id", key_id), c_string("secret access key", secret)
        check(lib.binlog_ship_options_set_credentials(opts, key_id_c, secret_c))
    if o.virtual_hosted_style is not None:
        check(lib.binlog_ship_options_set_path_style(opts, not o.virtual_hosted_style))
    if o.keep_local is not None:
        check(lib.binlog_ship_options_set_keep_local(opts, _count("keep_local", o.keep_local)))
    if o.multipart_threshold is not None:
        check(lib.binlog_ship_options_set_multipart_threshold(opts, _count("multipart_threshold", o.multipart_threshold)))
    if o.retry_timeout is not None:
        check(lib.binlog_ship_options_set_retry_timeout(opts, retry_timeout_ms(o.retry_timeout)))
    limits = (o.remote_keep_count, o.remote_keep_bytes, o.remote_keep_age)
    if any(v is not None for v in limits):
        none = 2**64 - 1
        count = none if o.remote_keep_count is None else _count("remote_keep_count", o.remote_keep_count)
        size = none if o.remote_keep_bytes is None else _count("remote_keep_bytes", o.remote_keep_bytes)
        age = none if o.remote_keep_age is None else int(_count("remote_keep_age", o.remote_keep_age) * 1e9)
        check(lib.binlog_ship_options_set_remote_retention(opts, count, size, age))
    if o.object_lock is not None:
        if not isinstance(o.object_lock, LockMode):
            raise TypeError(f"object_lock must be a binlog.LockMode, not {type(o.object_lock).__name__}")
        days = _count("object_lock_days", o.object_lock_days)
        check(lib.binlog_ship_options_set_object_lock(opts, o.object_lock, days))
    return opts


def retry_timeout_ms(seconds: float) -> int:
    """A retry timeout in seconds as the C API takes it (milliseconds)."""
    if not 0 < seconds < float("inf"):
        raise InvalidArgumentError(f"retry_timeout must be a positive, finite number of seconds, not {seconds}")
    return max(1, round(seconds * 1000))


def _count(name: str, value: Any) -> Any:
    if value < 0:
        raise InvalidArgumentError(f"{name} must be at least 0, not {value}")
    return value


class Shipper(TakingTurns):
    """Ships the sealed segments of log ``name`` in ``directory`` to an
    S3-compatible bucket: each (compressed, when the log compresses) with
    a create-only PUT checked by a HEAD, never overwriting an object, and
    a local copy removed only once its copy in the bucket is verified.

    Options: a :class:`ShipOptions`, or its fields as keyword arguments
    (``url`` is required). Opening takes the log's ship lock
    (:class:`binlog.LockedError` if another shipper holds it), claims the
    prefix for the log (:class:`binlog.WrongLogError` if another log of
    the same name holds it), and compares the local segments with the
    journal ``<name>.ship`` and the bucket; nothing is uploaded until
    :meth:`ship_once`. The writer keeps writing meanwhile. A library
    built without the archive tier (``make lib ARCHIVE=0``) raises
    :class:`binlog.InvalidArgumentError` saying so.

    Thread-safe (calls take turns; each releases the GIL). A context
    manager; :meth:`close` releases the ship lock, and a later
    :meth:`ship_once` raises :class:`binlog.ClosedError`. Errors name the
    object (``s3://...``) or file. After fork(), a child opens its own: one
    opened before the fork belongs to the parent, and closing or
    collecting it in the child lets go of it without freeing it (its
    runtime's threads are the parent's).
    """

    @with_keywords_of(ShipOptions)
    def __init__(self, directory: "str | os.PathLike[str]", name: str,
                 options: Optional[ShipOptions] = None, **kwargs: Unpack[ShipKeywords]) -> None:
        ship_options = options_from(ShipOptions, options, kwargs)
        super().__init__(f"{os.fsdecode(directory)}: log {name}")
        self._opened_in = OpeningProcess()
        opts = _native_ship_options(ship_options if ship_options is not None else ShipOptions())
        out = ffi.new("binlog_shipper **")
        check(lib.binlog_shipper_open(c_path("directory", directory), c_string("log name", name), opts, out))
        self._h = self._opened_in.gc(out[0], lib.binlog_shipper_free)

    def ship_once(self) -> ShipReport:
        """Uploads every sealed segment not yet in the bucket, in order,
        then removes the local copies ``keep_local`` allows. An object
        holding other bytes than its segment is
        :class:`binlog.RemoteConflictError` (never overwritten); a failure
        leaves the journal where the pass stopped (the next pass, or a new
        shipper, resumes)."""
        report = ffi.new("binlog_ship_report *")
        if not self._opened_in.is_current():
            # The lock may be held by a parent's thread that does not exist
            # here, and the runtime's threads are the parent's too.
            raise ClosedError(f"shipper belongs to the parent process (fork): {self._description}")
        with self._lock:
            if self._h is None:
                raise ClosedError(f"shipper is closed: {self._description}")
            lock = _lock_kept(lib.binlog_shipper_ship_once(self._h, report))
        return ShipReport(report.uploaded, report.already_uploaded, report.removed_local, lock)

    def close(self) -> None:
        """Frees the shipper and releases the log's ship lock; closing
        again does nothing. In a child after fork() it only lets go of the
        parent's shipper (and skips the lock, which a thread of the parent
        that does not exist here may hold)."""
        if not self._opened_in.is_current():
            self._h = None
            return
        super().close()


@with_keywords_of(ShipOptions)
def prune_remote(name: str, options: Optional[ShipOptions] = None, dry_run: bool = False,
                 **kwargs: Unpack[ShipKeywords]) -> PruneReport:
    """Deletes the oldest segment objects of log ``name`` at ``url`` beyond
    the ``remote_keep_*`` limits (``binlog_remote_prune``): oldest first,
    never the newest, a prune killed before finished first; with
    ``dry_run`` only says what would go. Another pruner holding the claim
    raises :class:`binlog.LockedError`; credentials that may not delete,
    :class:`binlog.PermissionDeniedError` naming the object. Readers
    report the pruned records as gaps of reason ``retention``."""
    ship_options = options_from(ShipOptions, options, kwargs)
    opts = _native_ship_options(ship_options if ship_options is not None else ShipOptions())
    out = ffi.new("binlog_prune_report *")
    lock = _lock_kept(lib.binlog_remote_prune(opts, c_string("log name", name), dry_run, out))
    through = None if out.pruned_through == 2**64 - 1 else out.pruned_through
    return PruneReport(out.deleted, out.finished, out.kept, through, lock)


__all__ = ["PruneLock", "PruneReport", "ShipOptions", "ShipReport", "Shipper", "prune_remote"]
