"""Verification of a segment file or a log directory: the library's
findings (``binlog_verify_*``), one at a time."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Iterator, Optional

from ._native import ffi, lib
from .cstrings import PathArg, c_path, c_string
from .errors import END, ClosedError, Closing, check

if TYPE_CHECKING:
    from ._native import CData


class FindingKind(IntEnum):
    """What a finding is (``binlog_finding_kind``; the numbers are the
    library's, never reused). See ``binlog.h`` and docs/FORMAT.md."""

    TORN_TAIL = 1
    CORRUPT = 2
    SEQUENCE_JUMP = 3
    SEAL_DAMAGED = 4
    ZERO_TAIL = 5
    UNSEALED = 6
    NOT_A_BINLOG = 7
    TRUNCATED = 8
    UNSUPPORTED_VERSION = 9
    CORRUPT_HEADER = 10
    MISSING_RECORDS = 11
    SEQUENCE_OVERLAP = 12
    WRONG_LOG = 13
    UNREADABLE = 14
    BEING_WRITTEN = 15
    ACCEPTED_GAP = 16
    NOT_YET_WRITTEN = 17
    FAILED_ROLL_LEFTOVER = 18
    NOT_SEALED = 19
    CORRUPT_FRAME = 20
    SEAL_INDEX_DAMAGED = 21
    MANIFEST_DAMAGED = 22
    MANIFEST_UNUSED = 23
    #: After a segment's first :data:`MAX_FINDINGS` findings: ``length``
    #: is how many more were counted, not listed.
    NOT_LISTED = 24

    @property
    def label(self) -> str:
        """The library's name of the kind (``binlog_finding_kind_name``):
        ``torn-tail``, ``corrupt``, ..."""
        return _name(lib.binlog_finding_kind_name(self.value))


class RepairAction(IntEnum):
    """What ``binlog repair`` does about a finding (``binlog_repair_action``)."""

    NOTHING = 0
    CUT_TORN_TAIL = 1
    RESEAL = 2
    #: With ``binlog repair --salvage`` only.
    SALVAGE = 3

    @property
    def label(self) -> str:
        """The library's name of the action
        (``binlog_repair_action_name``): ``reseal``, ..."""
        return _name(lib.binlog_repair_action_name(self.value))


#: The findings listed per segment (``BINLOG_VERIFY_MAX_FINDINGS``); one
#: :attr:`FindingKind.NOT_LISTED` counts the rest.
MAX_FINDINGS: int = lib.BINLOG_VERIFY_MAX_FINDINGS


def _name(c_name: CData) -> str:
    """A static name the library gives (never NULL for a member)."""
    return ffi.string(c_name).decode("ascii")


@dataclass(frozen=True)
class Finding:
    """One thing a verification found. ``location`` is the segment's path
    (or object URL), or the log's manifest. ``offset`` is where in the
    segment (its original bytes, for a compressed one), ``None`` when the
    finding has no place in a file; ``length`` the bytes affected from
    there (0 for one place; for :attr:`FindingKind.NOT_LISTED`, the number
    of findings not listed). ``from_seq`` up to ``to_seq`` (excluded) are the
    sequence numbers lost, both ``None`` when not known. ``damage`` is
    False for a note (a writer at work, prepared space, an unsealed newest
    segment, an accepted gap...). ``message`` names the location and the
    offset."""

    kind: FindingKind
    location: str
    offset: Optional[int]
    length: int
    from_seq: Optional[int]
    to_seq: Optional[int]
    repair: RepairAction
    damage: bool
    message: str

    def __str__(self) -> str:
        return f"{self.kind.label}: {self.message}"


class Verification(Closing):
    """The findings of a verification, in file order, segment by segment
    (each segment is verified when iteration reaches it; a clean sealed
    one gives none; past :data:`MAX_FINDINGS` of a segment, one
    :attr:`FindingKind.NOT_LISTED` counts the rest), then, for a log, one
    about its manifest if it cannot be used (``MANIFEST_DAMAGED``,
    ``MANIFEST_UNUSED``, ``UNREADABLE``). Iterate over it; :attr:`segments` and
    :attr:`records` count what was verified so far. Thread-safe (calls
    take turns). A context manager; after :meth:`close` (idempotent),
    calls raise :class:`binlog.ClosedError`."""

    def __init__(self, path: PathArg, log_name: Optional[str] = None) -> None:
        self._lock = threading.Lock()
        self._h: Optional[CData] = None
        self._description = os.fsdecode(path)
        name = ffi.NULL if log_name is None else c_string("log name", log_name)
        out = ffi.new("binlog_verify **")
        check(lib.binlog_verify_open(c_path("path", path), name, out))
        self._h = ffi.gc(out[0], lib.binlog_verify_free)
        self._finding = ffi.new("binlog_finding *")

    def __iter__(self) -> Iterator[Finding]:
        return self

    def __next__(self) -> Finding:
        with self._lock:
            f = self._finding
            if check(lib.binlog_verify_next(self._live(), f)) == END:
                raise StopIteration
            # The strings are the handle's until its next call: copied here.
            return Finding(
                FindingKind(f.kind), os.fsdecode(ffi.string(f.location)),
                f.offset if f.has_offset else None, f.len,
                f.from_seq if f.has_seq else None, f.to_seq if f.has_seq else None,
                RepairAction(f.repair), bool(f.damage),
                ffi.string(f.message).decode("utf-8", "replace"))

    @property
    def segments(self) -> int:
        """Segments verified so far (after the last finding: all of them)."""
        return self._counts()[0]

    @property
    def records(self) -> int:
        """Valid records in the segments verified so far."""
        return self._counts()[1]

    def _counts(self) -> "tuple[int, int]":
        segments = ffi.new("uint64_t *")
        records = ffi.new("uint64_t *")
        with self._lock:
            check(lib.binlog_verify_counts(self._live(), segments, records))
        return segments[0], records[0]

    def _live(self) -> CData:
        if self._h is None:
            raise ClosedError(f"{self._description}: verification is closed")
        return self._h

    def close(self) -> None:
        """Frees the verification; closing again does nothing."""
        with self._lock:
            h, self._h = self._h, None
            if h is not None:
                ffi.release(h)


def verify(path: PathArg, *, log_name: Optional[str] = None) -> Verification:
    """Verifies ``path``: a segment file (plain or ``.zst``) or a log
    directory, then log ``log_name`` in it, or without one the one log
    whose files it holds (:class:`binlog.NotFoundError` if none,
    :class:`binlog.InvalidArgumentError` if several). A file's damage is a
    :class:`Finding`, not an exception; a file is damaged when a finding
    has ``damage`` set."""
    return Verification(path, log_name)


__all__ = ["MAX_FINDINGS", "Finding", "FindingKind", "RepairAction", "Verification", "verify"]
