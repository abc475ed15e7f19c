"""Many logs read as one stream by time: :class:`MergedReader`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Tuple

from ._native import ffi, lib
from .cstrings import c_string
from .errors import END, Closing, check
from .reader import _damage, _gap, _text, _wait_ms
from .arrow import merged_table
from .records import Damage, Gap
from .schemas import TypeSchema, find_schema
from .summary import Summary, summary_of

if TYPE_CHECKING:
    from ._native import CData

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


class MergedReader(Closing):
    """Reads many logs as one stream ordered by timestamp (ties by log
    name, then sequence number), each record a :class:`MergedRecord`
    naming its log. Each log is read in its own order: one whose
    timestamps go backwards is not reordered. Iterate it, or call
    :meth:`next`; one thread at a time."""

    def __init__(self, handle: CData) -> None:
        self._h: Optional[CData] = handle
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

    def next(self, timeout: Optional[float] = None) -> Optional[MergedRecord]:
        """The next record in merged order, or ``None`` once every log is
        read to its end for now (a call after that looks at every log
        again). With a ``timeout`` (seconds), when no log has a record,
        first waits up to that long for one to be written to any log
        (without holding the GIL), following each log across its rolls:
        each call looks again at every log at its end and returns the
        smallest of the logs' next records present then, so a record a
        slower log writes after later ones of other logs were returned
        comes when it is found, not held back. An error names the log's
        file or object; that log is then read no further."""
        if timeout is None:
            return self._take(lib.binlog_merged_reader_next(
                self._handle(), self._rec, self._log, self._log_len))
        deadline = time.monotonic() + timeout
        while True:
            rec = self._take(lib.binlog_merged_reader_next_wait(
                self._handle(), _wait_ms(deadline), self._rec, self._log, self._log_len))
            if rec is not None or time.monotonic() >= deadline:
                return rec

    def follow(self, idle_timeout: Optional[float] = None) -> Iterator[MergedRecord]:
        """Every record, waiting for new ones as the writers add them (see
        :meth:`next` for the order); ends once ``idle_timeout`` seconds
        pass without a record (never if ``None``)."""
        while True:
            rec = self.next(1e9 if idle_timeout is None else idle_timeout)
            if rec is None:
                return
            yield rec

    def _take(self, code: int) -> Optional[MergedRecord]:
        """The record a reading call that returned ``code`` left in
        ``_rec`` (copied), or ``None`` at the end."""
        if check(code) == END:
            return None
        r = self._rec
        return MergedRecord(
            log=_text(self._log[0], self._log_len[0]),
            seq=r.seq,
            timestamp_ns=r.timestamp_ns,
            type=_text(r.type_name, r.type_len),
            payload=bytes(ffi.buffer(r.payload, r.payload_len)),
            metadata=dict(self._entries()),
        )

    def _entries(self) -> List[Tuple[str, str]]:
        """The last record's metadata entries (key, value), in order."""
        meta = [self._rec.meta[i] for i in range(self._rec.meta_count)]
        return [(_text(m.key, m.key_len), _text(m.value, m.value_len)) for m in meta]

    def skip_damaged(self, skip: bool = True) -> None:
        """Every log's reader skips damaged regions in the middle of a
        segment (see :meth:`damages`); by default a log's damage raises,
        naming its file and offset, and that log is read no further."""
        check(lib.binlog_merged_reader_skip_damaged(self._handle(), skip))

    def gaps(self) -> List[Tuple[str, Gap]]:
        """Every gap the logs met so far, each with its log's name, by
        log name and each log's oldest first (as :meth:`binlog.Reader.gaps`
        gives a log's)."""
        count = ffi.new("size_t *")
        check(lib.binlog_merged_reader_gaps(self._handle(), ffi.NULL, ffi.NULL, 0, count))
        out = ffi.new("binlog_gap[]", count[0])
        logs = ffi.new("binlog_iovec[]", count[0])
        check(lib.binlog_merged_reader_gaps(self._handle(), out, logs, count[0], count))
        n = min(count[0], len(out))
        return [(_text(logs[i].base, logs[i].len), _gap(out[i])) for i in range(n)]

    def damages(self) -> List[Tuple[str, Damage]]:
        """The damaged regions the logs skipped so far, each with its
        log's name, by log name and each log's in the order met, each with
        the segment file or object URL it is in (as
        :meth:`binlog.Reader.damages` gives a log's)."""
        count = ffi.new("size_t *")
        check(lib.binlog_merged_reader_damages(self._handle(), ffi.NULL, ffi.NULL, 0, count))
        out = ffi.new("binlog_damage2[]", count[0])
        logs = ffi.new("binlog_iovec[]", count[0])
        check(lib.binlog_merged_reader_damages(self._handle(), out, logs, count[0], count))
        n = min(count[0], len(out))
        return [(_text(logs[i].base, logs[i].len), _damage(out[i])) for i in range(n)]

    def __iter__(self) -> Iterator[MergedRecord]:
        return iter(self.next, None)

    def __next__(self) -> MergedRecord:
        """The next record there now (``next(reader)``); StopIteration if none is."""
        record = self.next()
        if record is None:
            raise StopIteration
        return record

    def summary(self) -> Summary:
        """Reads on to the end (its time window applies) and summarizes
        the records it read from where it stood, in merged order."""
        return summary_of(lambda out: lib.binlog_summary_of_merged(self._handle(), out))

    def type_schema(self, type_name: str) -> Optional[TypeSchema]:
        """The schema of ``type_name`` in the segment the last record came
        from (:meth:`binlog.Reader.type_schema`); ``None`` if it has none,
        before the first record, and after :meth:`seek_position` until
        the next."""
        return find_schema(lib.binlog_merged_reader_type_schema, self._handle(), type_name)

    def to_arrow(self, batch_size: int = 65536) -> Any:
        """The records left as a ``pyarrow.Table``: a ``log`` column, then
        :meth:`binlog.Reader.to_arrow`'s (read one by one: the library has
        no batch read of a merged stream)."""
        return merged_table(((r, self._entries()) for r in self), batch_size)

    def to_pandas(self, batch_size: int = 65536) -> Any:
        """:meth:`to_arrow` as a ``pandas.DataFrame``."""
        return self.to_arrow(batch_size).to_pandas()

    def position(self) -> str:
        """The position token of where this reader stands in each of its
        logs: :meth:`seek_position` of a merged reader of them goes on
        there."""
        out = ffi.new("const char **")
        check(lib.binlog_merged_reader_position(self._handle(), out))
        return str(ffi.string(out[0]), "utf-8")

    def seek_position(self, token: str) -> None:
        """Puts each log ``token`` names where it says (the others stay);
        :class:`binlog.InvalidArgumentError` for a log not merged here or
        text that is no token."""
        check(lib.binlog_merged_reader_seek_position(self._handle(), c_string("token", token)))

    def segments(self) -> Tuple[int, int]:
        """(segments whose records were read so far, segments the time
        window passed over unread), over every log."""
        read, passed = ffi.new("uint64_t *"), ffi.new("uint64_t *")
        check(lib.binlog_merged_reader_segments(self._handle(), read, passed))
        return read[0], passed[0]

    def close(self) -> None:
        """Frees the reader; closing again does nothing."""
        if self._h is not None:
            # Runs the destructor ffi.gc gave it (binlog_merged_reader_free) now.
            ffi.release(self._h)
            self._h = None

    def _handle(self) -> CData:
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
