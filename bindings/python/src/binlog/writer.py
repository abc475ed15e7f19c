"""Writers of a segment (:func:`binlog.open_writer`) or of a rolling log
(:func:`binlog.open_log_writer`)."""

from __future__ import annotations

import threading
from typing import (TYPE_CHECKING, Any, Callable, Iterable, List, Mapping, Optional, Sequence, Tuple,
                    Union)

from ._fast import _WriterCore
from ._native import ffi, lib
from .callbacks import SEGMENT_CALLBACK, SegmentInfo
from .errors import END, Closing, check, u64
from .options import Options, native_options

if TYPE_CHECKING:
    from ._native import CData

#: A payload: a bytes-like object (any contiguous buffer: bytes, bytearray,
#: memoryview, array.array, mmap...), or a list or tuple of them gathered
#: in order.
Payload = Union[bytes, bytearray, memoryview, Sequence[Union[bytes, bytearray, memoryview]]]
#: A record of :meth:`Writer.append_batch`: (type, payload) or
#: (type, payload, metadata) or (type, payload, metadata, timestamp_ns).
BatchEntry = Tuple[Any, ...]

# The library's write calls, for the C appends of _WriterCore (binlog._fast).
_WRITE_ADDRESSES = tuple(int(ffi.cast("uintptr_t", ffi.addressof(lib, f"binlog_writer_write{call}")))
                         for call in ("", "_entry", "_batch"))


class Writer(_WriterCore, Closing):
    """Appends records to a segment or a rolling log.

    Thread-safe: threads may append at once (each call releases the GIL).
    Use it as a context manager, or call :meth:`close`: closing flushes,
    seals the segment and releases the log's lock.

    :meth:`append` and :meth:`append_batch` are implemented in C: a record
    of a ``str`` type name, a ``bytes`` payload, ``dict[str, str]``
    metadata (or ``None``) and an ``int`` timestamp (or ``None``) goes to
    the library without running Python code; any other runs the same
    library calls through cffi, or raises the ``TypeError`` naming what is
    wrong.
    """

    def __init__(self, handle: CData, keep: List[object]) -> None:
        self._w = handle
        self._bind(int(ffi.cast("uintptr_t", handle)), *_WRITE_ADDRESSES)
        # Callback handles the library may call while the writer lives.
        self._keep = keep
        self._seq_slots = threading.local()
        self._sealed_out = ffi.new("binlog_segment_info *")

    @classmethod
    def _open(cls, opener: Callable[..., int], args: Tuple[Any, ...], options: Optional[Options]) -> "Writer":
        opts, keep = native_options(options) if options is not None else (ffi.NULL, [])
        out = ffi.new("binlog_writer **")
        check(opener(*args, opts, out))
        return cls(out[0], keep)

    # -- writing -------------------------------------------------------------

    def _append_general(
        self,
        type_name: str,
        payload: Payload,
        metadata: Optional[Mapping[str, str]] = None,
        timestamp_ns: Optional[int] = None,
    ) -> int:
        """:meth:`append` of a record not of the common types (see the class)."""
        name = _type_bytes(type_name)
        seq = self._seq_slot()
        if metadata is None and timestamp_ns is None:
            if isinstance(payload, (list, tuple)):
                iov, keep = _iovecs(payload)
                code = lib.binlog_writer_writev(self._w, name, len(name), iov, len(keep), seq)
            else:
                data = _buffer(payload)
                code = lib.binlog_writer_write(self._w, name, len(name), data, len(data), seq)
        else:
            entry, held = _entry(name, payload, metadata, timestamp_ns)  # held: alive until the call returns
            code = lib.binlog_writer_write_entry(self._w, entry, seq)
        if code:
            check(code)
        return int(seq[0])

    def _append_batch_general(self, entries: Iterable[BatchEntry]) -> int:
        """:meth:`append_batch` of records not all of the common types."""
        if not isinstance(entries, Iterable) or isinstance(entries, (str, bytes)):
            raise TypeError(f"entries must be an iterable of tuples, not {type(entries).__name__}")
        keep: List[object] = []
        built = []
        for i, e in enumerate(entries):
            if not isinstance(e, (tuple, list)) or not 2 <= len(e) <= 4:
                raise TypeError(f"entries[{i}] must be a tuple (type_name, payload[, metadata"
                                f"[, timestamp_ns]]), not {type(e).__name__}")
            try:
                name = _type_bytes(e[0])
                entry, parts = _entry(name, e[1], e[2] if len(e) > 2 else None, e[3] if len(e) > 3 else None)
            except TypeError as err:
                raise TypeError(f"entries[{i}]: {err}") from None
            built.append(entry[0])
            keep.append((entry, parts))
        array = ffi.new("binlog_entry[]", built)
        seq = self._seq_slot()
        check(lib.binlog_writer_write_batch(self._w, array, len(built), seq))
        return int(seq[0])

    def flush(self) -> None:
        """Hands buffered records to the OS, where readers see them."""
        check(lib.binlog_writer_flush(self._w))

    def sync(self) -> None:
        """Flushes and fdatasyncs: every record so far is on stable storage."""
        check(lib.binlog_writer_sync(self._w))

    def roll(self) -> None:
        """Logs only: starts the next segment now (the current one sealed)."""
        check(lib.binlog_writer_roll(self._w))

    @property
    def next_seq(self) -> int:
        """The sequence number the next record will get."""
        return u64(lib.binlog_writer_next_seq, self._w)

    @property
    def durable_seq(self) -> int:
        """Every record below this sequence number is on stable storage."""
        return u64(lib.binlog_writer_durable_seq, self._w)

    # -- segment events ------------------------------------------------------

    def on_segment(self, callback: Callable[[SegmentInfo], Any]) -> None:
        """Logs only: calls ``callback`` for later segment events, on the
        thread that caused them (the log's background thread included)."""
        handle = ffi.new_handle(callback)
        check(lib.binlog_writer_on_segment(self._w, SEGMENT_CALLBACK, handle))
        self._keep.append(handle)

    def poll_sealed(self) -> List[SegmentInfo]:
        """Logs only: the segments sealed since the last poll, oldest
        first (works after :meth:`close` too)."""
        sealed = []
        while check(lib.binlog_writer_poll_sealed(self._w, self._sealed_out)) != END:
            sealed.append(SegmentInfo.from_c(self._sealed_out))
        return sealed

    @property
    def callback_failures(self) -> int:
        """How many segment callbacks raised or could not run."""
        return u64(lib.binlog_writer_callback_failures, self._w)

    @property
    def dropped_unshipped(self) -> int:
        """Logs only: how many sealed segments ``retention_hard_max_bytes``
        deleted before a :class:`binlog.Shipper` had uploaded them (their
        records are neither local nor in the bucket any more). Works after
        :meth:`close` too."""
        return u64(lib.binlog_writer_dropped_unshipped, self._w)

    # -- lifetime ------------------------------------------------------------

    def close(self) -> None:
        """Flushes, seals and closes; later calls raise
        :class:`binlog.ClosedError` (polling excepted). Closing twice is fine."""
        check(lib.binlog_writer_close(self._w))

    def __del__(self) -> None:
        # Freed (closed first if need be) here, not by an ffi.gc
        # destructor, whose turn among a garbage cycle's finalizers could
        # come before this object's: the close seals and may call the
        # callbacks, whose handles (_keep) must still be alive.
        w = getattr(self, "_w", ffi.NULL)
        self._w = ffi.NULL
        self._bind(0, 0, 0, 0)
        if w != ffi.NULL:
            lib.binlog_writer_free(w)

    # -- helpers -------------------------------------------------------------

    def _seq_slot(self) -> CData:
        # One uint64_t per thread: appends of several threads run at once.
        if (slot := getattr(self._seq_slots, "seq", None)) is None:
            slot = self._seq_slots.seq = ffi.new("uint64_t *")
        return slot


def _type_bytes(type_name: str) -> bytes:
    if not isinstance(type_name, str):
        raise TypeError(f"type_name must be a str, not {type(type_name).__name__}")
    return type_name.encode("utf-8")


def _buffer(payload: Any) -> CData:
    """The bytes of a payload (or of one part), without a copy. Text is
    refused: which encoding it should have is the caller's choice."""
    if isinstance(payload, str):
        raise TypeError("payload must be bytes-like, not str: encode the text first "
                        "(payload.encode('utf-8'))")
    try:
        return ffi.from_buffer(payload)
    except TypeError:
        raise TypeError(f"payload must be a bytes-like object or a list or tuple of them, "
                        f"not {type(payload).__name__}") from None


def _iovecs(parts: Sequence[Any]) -> Tuple[CData, List[CData]]:
    keep = [_buffer(p) for p in parts]
    iov = ffi.new("binlog_iovec[]", [(b, len(b)) for b in keep])
    return iov, keep


def _entry(name: bytes, payload: Payload, metadata: Optional[Mapping[str, str]],
           timestamp_ns: Optional[int]) -> Tuple[CData, List[object]]:
    """A ``binlog_entry[1]`` and the objects its pointers point into."""
    keep: List[object] = [name]
    entry = ffi.new("binlog_entry[1]")
    e = entry[0]
    e.type_name, e.type_len = ffi.from_buffer(name), len(name)
    if isinstance(payload, (list, tuple)):
        iov, parts = _iovecs(payload)
        keep += [iov, parts]
        e.parts, e.part_count = iov, len(parts)
    else:
        data = _buffer(payload)
        keep.append(data)
        e.payload, e.payload_len = data, len(data)
    if metadata is not None and not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a mapping of str to str, not {type(metadata).__name__}")
    if timestamp_ns is not None and not isinstance(timestamp_ns, int):
        raise TypeError(f"timestamp_ns must be an int or None, not {type(timestamp_ns).__name__}")
    if metadata:
        meta = ffi.new("binlog_meta[]", len(metadata))
        for i, (k, v) in enumerate(metadata.items()):
            if not isinstance(k, str) or not isinstance(v, str):
                # The value is left out: it may be a secret.
                raise TypeError(f"metadata must map str to str, not {type(k).__name__} "
                                f"to {type(v).__name__}")
            kb, vb = k.encode("utf-8"), v.encode("utf-8")
            keep += [kb, vb]
            meta[i].key, meta[i].key_len = ffi.from_buffer(kb), len(kb)
            meta[i].value, meta[i].value_len = ffi.from_buffer(vb), len(vb)
        keep.append(meta)
        e.meta, e.meta_count = meta, len(metadata)
    e.timestamp_ns = -(2**63) if timestamp_ns is None else timestamp_ns
    return entry, keep
