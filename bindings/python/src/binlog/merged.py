"""Many logs read as one stream by time: :class:`MergedReader`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterator, Optional, Tuple

from ._native import ffi, lib
from .errors import END, check

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


@dataclass(frozen=True)
class MergedRecord:
    """A record of a merged read, copied out of the library, with the
    name of its ``log``."""

    log: str
    seq: int
    timestamp_ns: int
    type: str
    payload: bytes
    metadata: Dict[str, str]


class MergedReader:
    """Reads many logs as one stream ordered by timestamp (ties by log
    name, then sequence number), each record a :class:`MergedRecord`
    naming its log. Each log is read in its own order: one whose
    timestamps go backwards is not reordered. Iterate it, or call
    :meth:`next`; one thread at a time."""

    def __init__(self, handle: Any) -> None:
        self._h = handle
        self._rec = ffi.new("binlog_record *")
        self._log = ffi.new("const uint8_t **")
        self._log_len = ffi.new("size_t *")

    def time_window(self, from_ns: Optional[int] = None, to_ns: Optional[int] = None) -> None:
        """Reads only records with timestamps in ``[from_ns, to_ns)``
        (``None``: that end open); a sealed segment whose seal says none
        of its records is in it is not read. Call before the first
        record."""
        lo = INT64_MIN if from_ns is None else from_ns
        hi = INT64_MAX if to_ns is None else to_ns
        check(lib.binlog_merged_reader_time_window(self._handle(), lo, hi))

    def next(self) -> Optional[MergedRecord]:
        """The next record in merged order, or ``None`` once every log is
        read to its end for now. An error names the log's file or object;
        that log is then read no further."""
        if check(lib.binlog_merged_reader_next(self._handle(), self._rec, self._log,
                                               self._log_len)) == END:
            return None
        r = self._rec
        meta = {}
        for i in range(r.meta_count):
            m = r.meta[i]
            key = bytes(ffi.buffer(m.key, m.key_len)).decode()
            meta[key] = bytes(ffi.buffer(m.value, m.value_len)).decode()
        return MergedRecord(
            log=bytes(ffi.buffer(self._log[0], self._log_len[0])).decode(),
            seq=r.seq,
            timestamp_ns=r.timestamp_ns,
            type=bytes(ffi.buffer(r.type_name, r.type_len)).decode(),
            payload=bytes(ffi.buffer(r.payload, r.payload_len)),
            metadata=meta,
        )

    def __iter__(self) -> Iterator[MergedRecord]:
        while True:
            rec = self.next()
            if rec is None:
                return
            yield rec

    def segments(self) -> Tuple[int, int]:
        """(segments whose records were read so far, segments the time
        window passed over unread), over every log."""
        read = ffi.new("uint64_t *")
        passed = ffi.new("uint64_t *")
        check(lib.binlog_merged_reader_segments(self._handle(), read, passed))
        return read[0], passed[0]

    def close(self) -> None:
        """Frees the reader; closing again does nothing."""
        if self._h is not None:
            # Runs the destructor ffi.gc gave it (binlog_merged_reader_free) now.
            ffi.release(self._h)
            self._h = None

    def __enter__(self) -> "MergedReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _handle(self) -> Any:
        if self._h is None:
            raise ValueError("the merged reader is closed")
        return self._h


def open_merged(directory: Optional[bytes], remote: Optional[bytes],
                pattern: Optional[bytes]) -> MergedReader:
    """The merged reader of the C call's arguments (``None``: NULL)."""
    out = ffi.new("binlog_merged_reader **")
    null = ffi.NULL
    check(lib.binlog_merged_reader_open(directory or null, remote or null, pattern or null, out))
    return MergedReader(ffi.gc(out[0], lib.binlog_merged_reader_free))
