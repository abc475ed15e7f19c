"""Writers of a segment (:func:`binlog.open_writer`) or of a rolling log
(:func:`binlog.open_log_writer`)."""

from __future__ import annotations

import threading
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple,
                    Union)

from ._fast import _WriterCore
from ._native import ffi, lib
from .callbacks import SEGMENT_CALLBACK, SegmentInfo
from .errors import END, check
from .options import Options, native_options

#: A payload: a bytes-like object (any contiguous buffer: bytes, bytearray,
#: memoryview, array.array, mmap...), or a list or tuple of them gathered
#: in order.
Payload = Union[bytes, bytearray, memoryview, Sequence[Union[bytes, bytearray, memoryview]]]
#: A record of :meth:`Writer.append_batch`: (type, payload) or
#: (type, payload, metadata) or (type, payload, metadata, timestamp_ns).
BatchEntry = Tuple[Any, ...]

# binlog_writer_write, for the C append of _WriterCore (binlog._fast).
_WRITE_ADDRESS = int(ffi.cast("uintptr_t", ffi.addressof(lib, "binlog_writer_write")))


class Writer(_WriterCore):
    """Appends records to a segment or a rolling log.

    Thread-safe: threads may append at once (each call releases the GIL).
    Use it as a context manager, or call :meth:`close`: closing flushes,
    seals the segment and releases the log's lock.

    :meth:`append` is implemented in C (the base class, from
    ``binlog._fast``): a call with a ``str`` type name and a ``bytes``
    payload goes to the library without running Python code; any other
    call runs :meth:`_append_general`, with the same results.
    """

    def __init__(self, handle: Any, keep: List[Any]) -> None:
        self._w = handle
        self._bind(int(ffi.cast("uintptr_t", handle)), _WRITE_ADDRESS)
        # Callback handles the library may call while the writer lives.
        self._keep = keep
        self._types: Dict[str, bytes] = {}
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
        """Appends one record and returns its sequence number. The payload
        (see :data:`Payload`) is passed to the library without a copy; a
        list or tuple of parts is gathered in order.

        :meth:`append` runs this for any call but the common one (see the
        class's description); call :meth:`append`."""
        name = self._types.get(type_name) or self._type_bytes(type_name)
        try:
            seq = self._seq_slots.seq
        except AttributeError:
            seq = self._seq_slot()
        if metadata is None and timestamp_ns is None:
            if type(payload) is bytes:
                code = lib.binlog_writer_write(self._w, name, len(name), payload, len(payload), seq)
            elif isinstance(payload, (list, tuple)):
                iov, keep = _iovecs(payload)
                code = lib.binlog_writer_writev(self._w, name, len(name), iov, len(keep), seq)
            else:
                data = _buffer(payload)
                code = lib.binlog_writer_write(self._w, name, len(name), data, len(data), seq)
        else:
            entry, keep = _entry(name, payload, metadata, timestamp_ns)
            code = lib.binlog_writer_write_entry(self._w, entry, seq)
        if code:
            check(code)
        return seq[0]

    if TYPE_CHECKING:  # _WriterCore.append, in C, takes what this takes
        append = _append_general

    def append_batch(self, entries: Iterable[BatchEntry]) -> int:
        """Appends records under one lock, checked whole before any is
        written; returns the first one's sequence number."""
        keep: List[Any] = []
        built = []
        for e in entries:
            name = self._types.get(e[0]) or self._type_bytes(e[0])
            entry, parts = _entry(name, e[1], e[2] if len(e) > 2 else None, e[3] if len(e) > 3 else None)
            built.append(entry[0])
            keep.append((entry, parts))
        array = ffi.new("binlog_entry[]", built)
        seq = self._seq_slot()
        check(lib.binlog_writer_write_batch(self._w, array, len(built), seq))
        return seq[0]

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
        out = ffi.new("uint64_t *")
        check(lib.binlog_writer_next_seq(self._w, out))
        return out[0]

    @property
    def durable_seq(self) -> int:
        """Every record below this sequence number is on stable storage."""
        out = ffi.new("uint64_t *")
        check(lib.binlog_writer_durable_seq(self._w, out))
        return out[0]

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
        out = ffi.new("uint64_t *")
        check(lib.binlog_writer_callback_failures(self._w, out))
        return out[0]

    @property
    def dropped_unshipped(self) -> int:
        """Logs only: how many sealed segments ``retention_hard_max_bytes``
        deleted before a :class:`binlog.Shipper` had uploaded them (their
        records are neither local nor in the bucket any more). Works after
        :meth:`close` too."""
        out = ffi.new("uint64_t *")
        check(lib.binlog_writer_dropped_unshipped(self._w, out))
        return out[0]

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
        self._bind(0, 0)
        if w != ffi.NULL:
            lib.binlog_writer_free(w)

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers -------------------------------------------------------------

    def _type_bytes(self, type_name: str) -> bytes:
        encoded = type_name.encode("utf-8")
        self._types[type_name] = encoded
        return encoded

    def _seq_slot(self) -> Any:
        # One uint64_t per thread: appends of several threads run at once.
        slot = getattr(self._seq_slots, "seq", None)
        if slot is None:
            slot = self._seq_slots.seq = ffi.new("uint64_t *")
        return slot


def _buffer(payload: Any) -> Any:
    """The bytes of a payload (or of one part), without a copy. Text is
    refused: which encoding it should have is the caller's choice."""
    if isinstance(payload, str):
        raise TypeError("a payload is bytes-like, not str: encode the text first "
                        "(payload.encode('utf-8'))")
    try:
        return ffi.from_buffer(payload)
    except TypeError:
        raise TypeError(f"a payload is a bytes-like object or a list or tuple of them, "
                        f"not {type(payload).__name__}") from None


def _iovecs(parts: Sequence[Any]) -> Tuple[Any, List[Any]]:
    keep = [_buffer(p) for p in parts]
    iov = ffi.new("binlog_iovec[]", [(b, len(b)) for b in keep])
    return iov, keep


def _entry(name: bytes, payload: Payload, metadata: Optional[Mapping[str, str]],
           timestamp_ns: Optional[int]) -> Tuple[Any, List[Any]]:
    """A ``binlog_entry[1]`` and the objects its pointers point into."""
    keep: List[Any] = [name]
    entry = ffi.new("binlog_entry[1]")
    e = entry[0]
    e.type_name = ffi.from_buffer(name)
    e.type_len = len(name)
    if isinstance(payload, (list, tuple)):
        iov, parts = _iovecs(payload)
        keep += [iov, parts]
        e.parts = iov
        e.part_count = len(parts)
    else:
        data = _buffer(payload)
        keep.append(data)
        e.payload = data
        e.payload_len = len(data)
    if metadata:
        meta = ffi.new("binlog_meta[]", len(metadata))
        for i, (k, v) in enumerate(metadata.items()):
            kb, vb = k.encode("utf-8"), v.encode("utf-8")
            keep += [kb, vb]
            meta[i].key, meta[i].key_len = ffi.from_buffer(kb), len(kb)
            meta[i].value, meta[i].value_len = ffi.from_buffer(vb), len(vb)
        keep.append(meta)
        e.meta, e.meta_count = meta, len(metadata)
    e.timestamp_ns = -(2**63) if timestamp_ns is None else timestamp_ns
    return entry, keep
