"""Readers of a segment, a rolling log, or the files a wildcard matches."""

from __future__ import annotations

import os
import time
from collections import deque
from itertools import chain
from operator import length_hint
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, List, Optional

from ._fast import Batch
from ._native import ffi, lib
from .batch_buffers import BatchBuffers
from .cstrings import c_string
from .enums import GapReason, TailKind
from .errors import END, BufferTooSmallError, Closing, InvalidArgumentError, check, u64
from .schemas import TypeSchema, find_schema
from .process_owned import OpeningProcess
from .arrow import reader_table
from .records import BATCH_META, BATCH_RECORD, Damage, Gap, Header, Record, Tail
from .summary import Summary, summary_of

if TYPE_CHECKING:
    from ._native import CData

assert ffi.sizeof("binlog_batch_record") == BATCH_RECORD.size
assert ffi.sizeof("binlog_batch_meta") == BATCH_META.size

#: Bytes of records one call copies out (grown for a larger record).
BATCH_BYTES = 256 * 1024
MAX_BATCH_BYTES = 4 << 30
BATCH_RECORDS = 4096
#: Any decode thread count above 4 means 4; a larger one than C's
#: ``uint32_t`` holds is passed as its largest.
MAX_DECODE_THREADS = 0xFFFFFFFF
# A follower's longest single wait, so that a signal (Ctrl-C) is handled
# between two waits: the GIL is released during each.
LONGEST_WAIT_MS = 200


class Reader(Closing):
    """Reads records in order; iterate over it for the records there now.

    Every record's CRC is checked. Records come a batch at a time (one
    library call copies up to ``batch_records`` of them, in up to
    :data:`BATCH_BYTES`); those of a batch not taken yet stay for the next
    call, whichever it is. So a log or glob reader's :attr:`header` is that
    of the segment of the last record *fetched*, which may be ahead of the
    last one taken; open it with ``batch_records=1`` to follow segments
    record by record (a library call per record). Not
    thread-safe: use a reader from one thread at a time. A context
    manager; :meth:`close` releases the file and mapping.
    """

    def __init__(self, handle: CData, batch_records: int = BATCH_RECORDS,
                 opened_in: Optional[OpeningProcess] = None) -> None:
        if batch_records < 1:
            raise ValueError(f"batch_records must be at least 1, not {batch_records}")
        self._r = handle
        # Set for a reader only its opening process may close (a tiered
        # reader's bucket client: process_owned.py).
        self._opened_in = opened_in
        self._cap = batch_records
        self._records = bytearray(batch_records * BATCH_RECORD.size)
        self._records_c = ffi.from_buffer("binlog_batch_record[]", self._records)
        self._records_view = memoryview(self._records)
        self._count = ffi.new("size_t *")
        self._buffers = BatchBuffers(BATCH_BYTES)
        self._pending: Iterator[Record] = iter(())
        # The descriptions and count of the last batch fetched.
        self._fields, self._fetched = b"", 0

    # -- records -------------------------------------------------------------

    def __iter__(self) -> Iterator[Record]:
        """The records there now, to the end of what has been written."""
        # chain's C loop takes each record from the batch's iterator; the
        # generator runs once per batch, not once per record.
        return chain.from_iterable(self._batches())

    def __next__(self) -> Record:
        """The next record there now (``next(reader)``); StopIteration at
        the end of what has been written (a later call may find more)."""
        record = self.next()
        if record is None:
            raise StopIteration
        return record

    def _batches(self) -> Iterator[Iterator[Record]]:
        yield self._pending
        while self._fill(0):
            yield self._pending

    def next(self, timeout: Optional[float] = None) -> Optional[Record]:
        """The next record, or ``None`` if there is none now; with a
        ``timeout`` (seconds), first waits up to that long for one
        (without holding the GIL)."""
        record = next(self._pending, None)
        if record is not None or (timeout is None and not self._fill(0)):
            return record
        if timeout is not None:
            deadline = time.monotonic() + timeout
            while not self._fill(_wait_ms(deadline)):
                if time.monotonic() >= deadline:
                    return None
        return next(self._pending)

    def follow(self, idle_timeout: Optional[float] = None) -> Iterator[Record]:
        """Every record, waiting for new ones as the writer adds them
        (into new segments as a log rolls); ends once ``idle_timeout``
        seconds pass without a record (never if ``None``)."""
        while True:
            yield from self._pending
            deadline = None if idle_timeout is None else time.monotonic() + idle_timeout
            while not self._fill(_wait_ms(deadline)):
                if deadline is not None and time.monotonic() >= deadline:
                    return

    def _fill(self, timeout_ms: int) -> bool:
        """Takes the next batch into ``_pending``; False at the end."""
        size = BATCH_BYTES
        buf = self._buffers.get()
        while True:
            code = lib.binlog_reader_next_batch(
                self._r, ffi.from_buffer(buf), size, self._records_c, self._cap,
                timeout_ms, self._count)
            # A record larger than the buffer: a larger one for this call
            # only (the library uses up to 4 GiB of one).
            if code != BufferTooSmallError.code or size > MAX_BATCH_BYTES:
                break
            size *= 2
            buf = bytearray(size)
        if check(code) == END:
            return False
        count = self._count[0]
        fields = bytes(self._records_view[: count * BATCH_RECORD.size])
        self._fields, self._fetched = fields, count
        # Each Record made in C as it is taken: no Python code per record.
        self._pending = Batch(fields, count, buf)
        return True

    # -- position ------------------------------------------------------------

    def seek_seq(self, seq: int) -> None:
        """Goes to the first record with a sequence number >= ``seq``."""
        self._pending = iter(())
        check(lib.binlog_reader_seek_seq(self._r, seq))

    def seek_time(self, timestamp_ns: int) -> None:
        """Goes to the first record, in write order, at or after ``timestamp_ns``."""
        self._pending = iter(())
        check(lib.binlog_reader_seek_time(self._r, timestamp_ns))

    def position(self) -> str:
        """The position token (printable text) of where this log reader
        stands: :meth:`seek_position` of any reader of the same log goes
        on there, across rolls, compression, shipping and retention.
        :class:`binlog.InvalidArgumentError` for a reader of one segment."""
        self._rewind()
        out = ffi.new("const char **")
        check(lib.binlog_reader_position(self._r, out))
        return str(ffi.string(out[0]), "utf-8")

    def seek_position(self, token: str) -> None:
        """Goes where ``token`` (from :meth:`position`) says; records since
        deleted are a gap (:attr:`GapReason.RETENTION`). A token of another
        log, or text that is no token: :class:`binlog.InvalidArgumentError`."""
        self._pending = iter(())
        check(lib.binlog_reader_seek_position(self._r, c_string("token", token)))

    def _untaken(self) -> Optional[int]:
        """The seq of the first record fetched but not taken yet; None if
        the library's reader stands where the caller does."""
        left = length_hint(self._pending)
        if left and isinstance(self._pending, Batch):
            at = (self._fetched - left) * BATCH_RECORD.size
            return int(BATCH_RECORD.unpack_from(self._fields, at)[0])
        self._rewind()
        return None

    def _rewind(self) -> None:
        """Puts the library's reader back where the caller stands: at the
        first record fetched but not taken yet (fetched again later)."""
        first = next(self._pending, None)
        if first is not None:
            deque(self._pending, 0)  # so that a `for` loop over it moves on
            self.seek_seq(first.seq)

    def summary(self) -> Summary:
        """Reads on to the end (its type filter applies) and summarizes
        the records it read from where the caller stood."""
        self._rewind()
        return summary_of(lambda out: lib.binlog_summary_of_reader(self._r, out))

    def filter_types(self, types: Iterable[str]) -> None:
        """Reads only records of these types (through a sealed segment's
        per-type index); an empty list reads every type again."""
        pending = list(self._pending)
        names = [t.encode("utf-8") for t in types]
        iov = ffi.new("binlog_iovec[]", [(ffi.from_buffer(n), len(n)) for n in names])
        check(lib.binlog_reader_filter_types(self._r, iov, len(names)))
        wanted = {str(n, "utf-8") for n in names}
        self._pending = iter([r for r in pending if not wanted or r.type in wanted])

    # -- about the segment ---------------------------------------------------

    @property
    def header(self) -> Header:
        """The header of the segment of the last record fetched (see the
        class's description): a segment reader's one segment from the
        open on; a log reader's, after a seek, the segment the seek landed
        in, and :class:`binlog.NotFoundError` before a record or a seek."""
        h = ffi.new("binlog_header *")
        check(lib.binlog_reader_header(self._r, h))
        params = {_text(p.key, p.key_len): _text(p.value, p.value_len)
                  for p in (h.params[i] for i in range(h.param_count))}
        return Header(h.major, h.minor, h.created_ns, h.segment_no, h.first_seq,
                      _text(h.log_name, h.log_name_len), _text(h.content_type, h.content_type_len),
                      _text(h.writer, h.writer_len), params)

    def type_schema(self, type_name: str) -> Optional[TypeSchema]:
        """The schema of ``type_name`` in the header :attr:`header` gives
        (a segment reader's from the open on); ``None`` if it has none, or
        there is no header yet (a log reader before a record or a seek)."""
        return find_schema(lib.binlog_reader_type_schema, self._r, type_name)

    def to_arrow(self, batch_size: int = 65536) -> Any:
        """The records left, as a ``pyarrow.Table`` (columns ``seq``,
        ``time``, ``type``, ``meta``, ``payload``; ``meta`` as ``binlog
        export`` writes it: a list of ``{key, value}`` entries in order, a
        key written twice kept twice) built ``batch_size`` records at a
        time without a Python object per record; needs ``pip install
        'libbinlog[arrow]'``."""
        self._rewind()
        return reader_table(self._r, batch_size)

    def to_pandas(self, batch_size: int = 65536) -> Any:
        """:meth:`to_arrow` as a ``pandas.DataFrame``."""
        return self.to_arrow(batch_size).to_pandas()

    def tail(self) -> Tail:
        """How the segment ended, once the records ran out."""
        t = ffi.new("binlog_tail *")
        check(lib.binlog_reader_tail(self._r, t))
        return Tail(TailKind(t.kind), t.offset, t.len)

    @property
    def gap_count(self) -> int:
        """How many gaps a log reader met (see :meth:`gaps`); 0 for a segment reader."""
        return u64(lib.binlog_reader_gap_count, self._r)

    def gaps(self) -> List[Gap]:
        """Every gap a log reader met so far, oldest first (none for a
        segment reader): what it could not return, where and why, the same
        for a log read from its directory, from compressed segments or
        from a bucket."""
        count = ffi.new("size_t *")
        check(lib.binlog_reader_gaps(self._r, ffi.NULL, 0, count))
        out = ffi.new("binlog_gap[]", count[0])
        check(lib.binlog_reader_gaps(self._r, out, count[0], count))
        return [_gap(g) for g in out[0:min(count[0], len(out))]]

    def skip_damaged(self, skip: bool = True) -> None:
        """Skip damaged regions in the middle of a segment (see :meth:`damages`)."""
        check(lib.binlog_reader_skip_damaged(self._r, skip))

    def decode_threads(self, threads: int) -> None:
        """How many threads a full scan of a compressed segment (local, or
        an object in the bucket) decompresses its next frames on, ahead of
        the reader: at most 4 are used; 0 or 1 decompresses each frame on
        the calling thread when the reader reaches it. By default the
        machine's cores (at most 4) for a remote object, 0 for a local
        file. Records, damage and errors are the same either way. The
        threads are the library's own; they end when the reader closes or
        leaves the segment, and a child after fork() has none. A negative
        count is :class:`binlog.InvalidArgumentError`."""
        if threads < 0:
            raise InvalidArgumentError(f"decode threads {threads} is negative")
        check(lib.binlog_reader_decode_threads(self._r, min(threads, MAX_DECODE_THREADS)))

    def damages(self) -> List[Damage]:
        """The damaged regions skipped so far, in the order met, each
        with the segment file or object URL it is in
        (``binlog_reader_damages2``)."""
        count = ffi.new("size_t *")
        check(lib.binlog_reader_damages2(self._r, ffi.NULL, 0, count))
        out = ffi.new("binlog_damage2[]", count[0])
        check(lib.binlog_reader_damages2(self._r, out, count[0], count))
        return [_damage(d) for d in out[0:count[0]]]

    # -- event loops ---------------------------------------------------------

    def fileno(self) -> int:
        """A descriptor that polls readable when records may have come
        (for ``selectors``/``asyncio``); call :meth:`rearm`, then read to
        the end, each time it does."""
        fd = ffi.new("int *")
        check(lib.binlog_reader_poll_fd(self._r, fd))
        return int(fd[0])

    def rearm(self) -> None:
        """Takes the changes :meth:`fileno` reported: it polls readable
        again at the next one. Call it before reading the new records."""
        check(lib.binlog_reader_poll_rearm(self._r))

    # -- lifetime ------------------------------------------------------------

    def close(self) -> None:
        """Releases the file and mapping; records already returned stay
        valid. A tiered reader opened before a fork() is only let go of in
        the child (its bucket client is the parent's): later calls there
        raise :class:`binlog.NullPointerError`."""
        self._pending = iter(())
        if self._opened_in is not None and not self._opened_in.is_current():
            self._r = ffi.NULL
            return
        check(lib.binlog_reader_close(self._r))


def _wait_ms(deadline: Optional[float]) -> int:
    if deadline is None:
        return LONGEST_WAIT_MS
    return max(0, min(LONGEST_WAIT_MS, int((deadline - time.monotonic()) * 1000)))


def _gap(g: CData) -> Gap:
    """A ``binlog_gap`` as a :class:`Gap` (its path copied)."""
    def known(has: bool, value: int) -> Optional[int]:
        return value if has else None
    return Gap(GapReason(g.reason), _path(g), known(g.has_offset, g.offset),
               known(g.has_from_seq, g.from_seq), known(g.has_to_seq, g.to_seq))


def _damage(d: CData) -> Damage:
    """A ``binlog_damage2`` as a :class:`Damage` (its path copied)."""
    return Damage(d.offset, d.resume_offset, d.from_seq, d.to_seq, _path(d))


def _path(c: CData) -> str:
    """The ``path`` of a ``binlog_gap`` or ``binlog_damage2`` (copied)."""
    return os.fsdecode(bytes(ffi.buffer(c.path, c.path_len)))


def _text(ptr: CData, length: int) -> str:
    return str(ffi.buffer(ptr, length), "utf-8") if length else ""


def open_with(opener: Callable[..., int], *args: object, batch_records: int = BATCH_RECORDS,
              this_process_only: bool = False) -> Reader:
    """The reader ``opener`` opens; with ``this_process_only``, one that a
    child after fork() must not free (process_owned.py)."""
    out = ffi.new("binlog_reader **")
    check(opener(*args, out))
    if not this_process_only:
        return Reader(ffi.gc(out[0], lib.binlog_reader_free), batch_records)
    opened_in = OpeningProcess()
    return Reader(opened_in.gc(out[0], lib.binlog_reader_free), batch_records, opened_in)


__all__: List[str] = ["Reader"]
