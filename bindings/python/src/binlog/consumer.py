"""Named consumers: readers that go on after their last durable commit."""

from __future__ import annotations

from typing import Optional, Tuple

from ._native import ffi, lib
from .cstrings import PathArg, c_path, c_string
from .errors import InvalidArgumentError, check, u64
from .merged import MergedReader
from .process_owned import OpeningProcess
from .reader import BATCH_RECORDS, Reader


class Consumer(Reader):
    """Consumer ``name`` of a log (:func:`open_consumer`): a
    :class:`Reader` that starts after the consumer's last commit; iterate
    it, or take one record with ``next(consumer)`` (``StopIteration`` if
    none is there now). At-least-once: records taken but not committed
    are read again by the consumer opened next (after any crash)."""

    def commit(self, seq: Optional[int] = None) -> None:
        """Commits every record taken so far, in one write and one
        fdatasync; records a batch fetched but the caller has not taken
        are not committed. With ``seq``: up to record ``seq``, one taken
        since the last commit or the last one committed, else
        :class:`InvalidArgumentError` naming the consumer's file (a commit
        by number never moves the consumer back: to do that, seek there and
        commit)."""
        n = self._untaken()
        if seq is None and n:  # where the caller stands, without fetching the batch again
            code = lib.binlog_consumer_commit_seq(self._r, n - 1)
            if code != InvalidArgumentError.code:  # else a seek moved it before the last commit
                check(code)
                return
        if n is not None and (seq is None or seq >= n):
            self._rewind()  # the library's reader stands where the caller does
        check(lib.binlog_consumer_commit(self._r) if seq is None
              else lib.binlog_consumer_commit_seq(self._r, seq))

    commit_seq = commit

    @property
    def committed(self) -> int:
        """The sequence number the last commit goes on at."""
        return u64(lib.binlog_consumer_committed, self._r)


class MergedConsumer(MergedReader):
    """Consumer ``name`` of many logs read as one stream
    (:func:`open_merged_consumer`), a :class:`MergedReader`."""

    def commit(self) -> None:
        """Commits every record returned so far, in every log, in one
        durable write."""
        check(lib.binlog_merged_consumer_commit(self._handle()))


def start_of(start: str, seq: Optional[int], time_ns: Optional[int]) -> Tuple[int, int, int]:
    """C's ``start``, ``seq`` and ``ts_ns`` (``binlog_start``)."""
    if not isinstance(start, str) or start not in ("first", "end"):
        kind = ValueError if isinstance(start, str) else TypeError
        raise kind(f"start must be 'first' or 'end', not {start!r}")
    for what, v, lo, hi in (("seq", seq, 0, 1 << 64), ("time_ns", time_ns, -(1 << 63), 1 << 63)):
        if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
            raise TypeError(f"{what} must be an int, not {type(v).__name__}")
        if v is not None and not lo <= v < hi:
            raise ValueError(f"{what} {v} is out of range")
    if (seq is not None) + (time_ns is not None) + (start != "first") > 1:
        raise ValueError("give one of start='end', seq or time_ns, not several")
    if seq is not None:
        return lib.BINLOG_START_SEQ, seq, 0
    if time_ns is not None:
        return lib.BINLOG_START_TIME, 0, time_ns
    return (lib.BINLOG_START_END if start == "end" else lib.BINLOG_START_FIRST), 0, 0


def open_consumer(directory: PathArg, log: str, name: str, *, start: str = "first",
                  seq: Optional[int] = None, time_ns: Optional[int] = None,
                  remote: Optional[str] = None, batch_records: int = BATCH_RECORDS) -> Consumer:
    """Consumer ``name`` (file ``<name>.consumer`` in ``directory``) of log
    ``log`` (with ``remote``, ``s3://bucket/prefix``, read as
    :func:`open_log_tiered_reader` does): after its last commit, or if new
    at ``start`` (``"first"``, ``"end"``), ``seq`` or ``time_ns``.
    :class:`LockedError` while another handle (any process) has it open."""
    args = (c_path("directory", directory), c_string("log name", log),
            c_string("consumer name", name),
            ffi.NULL if remote is None else c_string("remote", remote))
    out = ffi.new("binlog_reader **")
    check(lib.binlog_consumer_open(*args, *start_of(start, seq, time_ns), out))
    if remote is None:
        return Consumer(ffi.gc(out[0], lib.binlog_reader_free), batch_records)
    opened_in = OpeningProcess()
    return Consumer(opened_in.gc(out[0], lib.binlog_reader_free), batch_records, opened_in)


def open_merged_consumer(directory: PathArg, name: str, *, pattern: str = "*",
                         remote: Optional[str] = None, start: str = "first",
                         seq: Optional[int] = None,
                         time_ns: Optional[int] = None) -> MergedConsumer:
    """Consumer ``name`` of the logs in ``directory`` (and under ``remote``,
    ``s3://bucket/prefix``) matching ``pattern``, read as one stream by
    time, each log after its last commit (or if new at ``start``, as
    :func:`open_consumer`); its file is in ``directory``."""
    args = (c_path("directory", directory),
            ffi.NULL if remote is None else c_string("remote", remote),
            c_string("pattern", pattern), c_string("consumer name", name))
    out = ffi.new("binlog_merged_reader **")
    check(lib.binlog_merged_consumer_open(*args, *start_of(start, seq, time_ns), out))
    return MergedConsumer(ffi.gc(out[0], lib.binlog_merged_reader_free))


def remove_consumer(directory: PathArg, name: str) -> None:
    """Removes consumer ``name`` from ``directory`` (retention stops
    waiting for it): :class:`LockedError` while it is open,
    :class:`NotFoundError` if there is none."""
    check(lib.binlog_consumer_remove(c_path("directory", directory), c_string("consumer name", name)))
