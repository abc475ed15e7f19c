"""Writer options: the setters of ``binlog_options`` as one dataclass."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Callable, List, Mapping, Optional, Sequence, Tuple, TypedDict, TypeVar

from ._native import ffi, lib
from .callbacks import CLOCK, SEGMENT_CALLBACK, SegmentInfo
from .cstrings import PathArg, c_path
from .enums import Durability, Period
from .errors import check
from .schemas import TypeSchema, add_schema

if TYPE_CHECKING:
    from ._native import CData

SegmentCallback = Callable[[SegmentInfo], Any]


@dataclass(frozen=True)
class Compression:
    """Compress sealed segments of a log to ``.binlog.zst`` once
    ``after_segments`` newer sealed segments exist (on a thread of the log's
    own; closing the log compresses those still due, its last segment
    too); ``level`` is zstd's
    (0: its default), ``frame_size`` the original bytes per frame (0: 1 MiB);
    ``type_copies_per_mille`` the share of a segment's record bytes, in
    thousandths, that second copies of its rare types may take so that a
    filter over one reads only its copy (``None``: the default, 50; 0: none;
    docs/FORMAT.md 17.5)."""

    after_segments: int = 0
    level: int = 0
    frame_size: int = 0
    type_copies_per_mille: Optional[int] = None


@dataclass(frozen=True)
class ConsumerBound:
    """How long retention waits for a log's consumers: a sealed segment a
    consumer has not committed past stays while the sealed segments from
    it on take at most ``max_bytes`` and it was sealed at most
    ``max_age_ms`` ago (0: no such bound; both 0: no wait)."""

    max_bytes: int = 0
    max_age_ms: int = 0


@dataclass(frozen=True)
class Options:
    """Options of a new writer; ``None`` leaves the library's default.

    Those marked *logs only* are refused (:class:`binlog.InvalidArgumentError`)
    by a segment writer. See ``include/binlog.h`` for each setter's ranges.
    """

    log_name: Optional[str] = None
    content_type: Optional[str] = None
    #: Header parameters of new segments, in order.
    params: Mapping[str, str] = field(default_factory=dict)
    #: Schemas of types (:class:`binlog.TypeSchema`), one per type, in
    #: new segments' headers; checked at open (``InvalidSchemaError``).
    schemas: Sequence[TypeSchema] = ()
    #: The Ed25519 secret key file (``binlog keys new KEY`` writes KEY)
    #: that signs every seal, chaining a log's segments, so that
    #: :func:`binlog.verify` with ``trust=`` its public key finds records
    #: changed and segments deleted, inserted or reordered. A forward-secure
    #: epoch key file (``binlog keys epochs``) signs with each epoch's key,
    #: verified trusting the master key.
    signing_key: Optional[PathArg] = None
    max_record_size: Optional[int] = None
    #: Bytes buffered before records go to the OS (default 1 MiB).
    buffer_size: Optional[int] = None
    #: Microseconds a record may wait in the buffer (default 10 ms; 0: none).
    flush_delay_us: Optional[int] = None
    durability: Optional[Durability] = None
    #: N for ``Durability.EVERY_N``, milliseconds for ``INTERVAL_MS``.
    durability_param: int = 0
    sync_wait_spin_us: Optional[int] = None
    first_seq: Optional[int] = None
    #: Segments only.
    segment_no: Optional[int] = None
    #: Segments only: creation time, ns since the Unix epoch.
    created_ns: Optional[int] = None
    sparse_interval: Optional[int] = None
    #: Logs only: roll before a segment passes this size.
    max_segment_bytes: Optional[int] = None
    #: Logs only: roll after this many records.
    max_segment_records: Optional[int] = None
    #: Logs only: roll when a new UTC period starts.
    period: Optional[Period] = None
    #: Logs only: seal rolled-away segments on the log's background thread.
    seal_in_background: Optional[bool] = None
    #: Logs only.
    compression: Optional[Compression] = None
    #: Logs only: retention limits (0 = no such limit).
    retention_max_segments: Optional[int] = None
    retention_max_bytes: Optional[int] = None
    retention_max_age_ms: Optional[int] = None
    #: Logs only: keep every sealed segment a :class:`binlog.Shipper` has
    #: not uploaded yet (as its journal ``<name>.ship`` says), whatever the
    #: limits above say; only ``retention_hard_max_bytes`` deletes one. A
    #: library built without the shipper (cargo feature "s3") refuses it
    #: when the log opens (:class:`binlog.InvalidArgumentError`).
    retention_until_shipped: Optional[bool] = None
    #: Logs only: keep at most this many bytes of sealed segments, uploaded
    #: or not (0 = no such limit); with ``retention_until_shipped``,
    #: :attr:`binlog.Writer.dropped_unshipped` counts those it deleted
    #: before a shipper uploaded them.
    retention_hard_max_bytes: Optional[int] = None
    #: Logs only: retention waits for consumers within this bound.
    retention_wait_for_consumers: Optional[ConsumerBound] = None
    #: Logs only: called for every segment event, from the first OPENED on.
    on_segment: Sequence[SegmentCallback] = ()
    #: Logs only: the wall clock, ns since the epoch (for tests of rolls).
    clock: Optional[Callable[[], int]] = None
    #: Signed logs only (a segment writer ignores it): besides each second,
    #: sign a checkpoint of the live segment into ``<log>.head`` each time
    #: the next sequence number reaches a multiple of this (0: each second
    #: only).
    checkpoint_records: Optional[int] = None


class OptionKeywords(TypedDict, total=False):
    """The fields of :class:`Options` as keyword arguments of
    :func:`binlog.open_writer` and :func:`binlog.open_log_writer`
    (``**options: Unpack[OptionKeywords]``): a misspelled or mistyped option
    is an error of a type checker, and a :class:`TypeError` naming it when
    the call runs. ``tests/test_writer_options.py`` checks that it lists
    exactly the fields of :class:`Options`."""

    # BEGIN GENERATED by bindings/gen_tables.py: option keywords
    log_name: Optional[str]
    content_type: Optional[str]
    params: Mapping[str, str]
    schemas: Sequence[TypeSchema]
    signing_key: Optional[PathArg]
    max_record_size: Optional[int]
    buffer_size: Optional[int]
    flush_delay_us: Optional[int]
    durability: Optional[Durability]
    durability_param: int
    sync_wait_spin_us: Optional[int]
    first_seq: Optional[int]
    segment_no: Optional[int]
    created_ns: Optional[int]
    sparse_interval: Optional[int]
    max_segment_bytes: Optional[int]
    max_segment_records: Optional[int]
    period: Optional[Period]
    seal_in_background: Optional[bool]
    compression: Optional[Compression]
    retention_max_segments: Optional[int]
    retention_max_bytes: Optional[int]
    retention_max_age_ms: Optional[int]
    retention_until_shipped: Optional[bool]
    retention_hard_max_bytes: Optional[int]
    retention_wait_for_consumers: Optional[ConsumerBound]
    on_segment: Sequence[SegmentCallback]
    clock: Optional[Callable[[], int]]
    checkpoint_records: Optional[int]
    # END GENERATED


F = TypeVar("F", bound=Callable[..., Any])


def with_keywords_of(options_class: type) -> Callable[[F], F]:
    """Gives a function taking ``options=None, **kwargs`` the signature
    ``help`` and ``inspect.signature`` show: its own parameters, then each
    field of the dataclass ``options_class`` as a keyword-only parameter
    with its type and default."""

    def decorate(func: F) -> F:
        own = [p for p in inspect.signature(func).parameters.values()
               if p.kind is not inspect.Parameter.VAR_KEYWORD]
        keywords = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY,
                                      default=None, annotation=f.type)
                    for f in fields(options_class)]
        func.__signature__ = inspect.Signature(own + keywords)  # type: ignore[attr-defined]
        return func

    return decorate


def options_from(options_class: Any, options: Any, kwargs: Mapping[str, Any]) -> Any:
    """``options``, or an ``options_class`` made of the keyword arguments
    (:class:`TypeError` naming an unknown one), not both."""
    if options is not None and kwargs:
        raise TypeError("give options or keyword arguments, not both")
    if not kwargs:
        return options
    known = {f.name for f in fields(options_class)}
    unknown = sorted(set(kwargs) - known)
    if unknown:
        raise TypeError(f"unknown option {unknown[0]!r}; the options are the fields of "
                        f"{options_class.__name__}: {', '.join(sorted(known))}")
    return options_class(**kwargs)


def utf8(text: str) -> bytes:
    return text.encode("utf-8")


def native_options(options: Options) -> Tuple[CData, List[object]]:
    """A ``binlog_options *`` (freed when collected) and the handles of the
    callbacks it holds, which must live as long as the writer."""
    out = ffi.new("binlog_options **")
    check(lib.binlog_options_new(out))
    opts = ffi.gc(out[0], lib.binlog_options_free)
    keep: List[object] = []
    o = options
    for text, set_text in ((o.log_name, lib.binlog_options_set_log_name),
                           (o.content_type, lib.binlog_options_set_content_type)):
        if text is not None:
            encoded = utf8(text)
            check(set_text(opts, encoded, len(encoded)))
    for key, value in o.params.items():
        k, v = utf8(key), utf8(value)
        check(lib.binlog_options_add_param(opts, k, len(k), v, len(v)))
    if o.signing_key is not None:
        check(lib.binlog_options_set_signing_key(opts, c_path("signing_key", o.signing_key)))
    for schema in o.schemas:
        add_schema(opts, schema)
    _set_numbers(opts, o)
    if o.durability is not None:
        check(lib.binlog_options_set_durability(opts, int(o.durability), o.durability_param))
    if (c := o.compression) is not None:
        check(lib.binlog_options_set_compression(opts, True, c.after_segments, c.level, c.frame_size))
        if c.type_copies_per_mille is not None:
            check(lib.binlog_options_set_compression_type_copies(opts, c.type_copies_per_mille))
    if (b := o.retention_wait_for_consumers) is not None:
        check(lib.binlog_options_set_retention_wait_for_consumers(opts, b.max_bytes, b.max_age_ms))
    # Each callback as (its setter, the C function that calls it, it).
    callbacks: List[Tuple[Callable[..., int], CData, object]] = [
        (lib.binlog_options_add_segment_callback, SEGMENT_CALLBACK, c) for c in o.on_segment]
    if o.clock is not None:
        callbacks.append((lib.binlog_options_set_clock, CLOCK, o.clock))
    for setter, trampoline, callback in callbacks:
        keep.append(handle := ffi.new_handle(callback))
        check(setter(opts, trampoline, handle))
    return opts, keep


# The options set by a setter of their name with one number or bool:
# (field, setter).
_NUMBERS = (
    # BEGIN GENERATED by bindings/gen_tables.py: numeric options
    ("max_record_size", lib.binlog_options_set_max_record_size),
    ("buffer_size", lib.binlog_options_set_buffer_size),
    ("flush_delay_us", lib.binlog_options_set_flush_delay_us),
    ("sync_wait_spin_us", lib.binlog_options_set_sync_wait_spin_us),
    ("first_seq", lib.binlog_options_set_first_seq),
    ("segment_no", lib.binlog_options_set_segment_no),
    ("created_ns", lib.binlog_options_set_created_ns),
    ("sparse_interval", lib.binlog_options_set_sparse_interval),
    ("max_segment_bytes", lib.binlog_options_set_max_segment_bytes),
    ("max_segment_records", lib.binlog_options_set_max_segment_records),
    ("period", lib.binlog_options_set_period),
    ("seal_in_background", lib.binlog_options_set_seal_in_background),
    ("retention_max_segments", lib.binlog_options_set_retention_max_segments),
    ("retention_max_bytes", lib.binlog_options_set_retention_max_bytes),
    ("retention_max_age_ms", lib.binlog_options_set_retention_max_age_ms),
    ("retention_until_shipped", lib.binlog_options_set_retention_until_shipped),
    ("retention_hard_max_bytes", lib.binlog_options_set_retention_hard_max_bytes),
    ("checkpoint_records", lib.binlog_options_set_checkpoint_records),
    # END GENERATED
)


def _set_numbers(opts: CData, o: Options) -> None:
    for name, setter in _NUMBERS:
        value = getattr(o, name)
        if value is not None:
            check(setter(opts, value))
