"""Repair of a segment file or a log directory: the library's plan
(``binlog_repair_*``), its segments and their steps, applied or only
looked at."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Optional, Tuple

from ._native import ffi, lib
from .cstrings import PathArg, c_path, c_string
from .errors import TakingTurns, check
from .verify import _name

if TYPE_CHECKING:
    from ._native import CData


class SegmentAction(IntEnum):
    """What a segment needs (``binlog_repair_segment_action``)."""

    NONE = 0
    UNREADABLE = 1
    REFUSE = 2
    RESEAL = 3
    SALVAGE = 4

    @property
    def label(self) -> str:
        """The library's name: ``none``, ``refused``, ``reseal``, ..."""
        return _name(lib.binlog_repair_segment_action_name(self.value))


class StepKind(IntEnum):
    """What a step of a repair does (``binlog_repair_step_kind``)."""

    NOTE = 0
    BACKUP = 1
    CUT = 2
    RESEAL = 3
    SALVAGE = 4
    START_SEGMENT = 5
    GAP = 6
    LEAVE = 7
    CLEANUP = 8
    ERROR = 9

    @property
    def label(self) -> str:
        """The library's name: ``backup``, ``cut``, ..."""
        return _name(lib.binlog_repair_step_kind_name(self.value))


@dataclass(frozen=True)
class Step:
    """One step of a segment's plan: what applying it would do, in words
    naming the files."""

    kind: StepKind
    message: str


@dataclass(frozen=True)
class SegmentPlan:
    """The plan for one segment: what it needs, why, whether it is damaged
    (in its bytes or as a part of its log), and the steps."""

    path: str
    action: SegmentAction
    why: str
    damaged: bool
    steps: Tuple[Step, ...]


@dataclass(frozen=True)
class Summary:
    """What applying a plan did; ``clean`` when no damage is left and
    nothing failed."""

    segments: int
    changed: int
    left_damaged: int
    errors: int

    @property
    def clean(self) -> bool:
        return self.left_damaged == 0 and self.errors == 0


class RepairPlan(TakingTurns):
    """A repair's plan: :attr:`segments`, in the log's order, each with its
    steps. Planning changes nothing; :meth:`apply` carries it out.
    Thread-safe (calls take turns). A context manager; after :meth:`close`
    (idempotent), :meth:`apply` raises :class:`binlog.ClosedError`."""

    def __init__(self, path: PathArg, log_name: Optional[str] = None, *,
                 salvage: bool = False, backup_dir: Optional[PathArg] = None) -> None:
        super().__init__(os.fsdecode(path))
        name = ffi.NULL if log_name is None else c_string("log name", log_name)
        backup = ffi.NULL if backup_dir is None else c_path("backup_dir", backup_dir)
        out = ffi.new("binlog_repair_plan **")
        check(lib.binlog_repair_plan_open(c_path("path", path), name, salvage, backup, out))
        self._h = h = ffi.gc(out[0], lib.binlog_repair_plan_free)
        self.segments: Tuple[SegmentPlan, ...] = self._segments(h)

    @staticmethod
    def _segments(h: CData) -> Tuple[SegmentPlan, ...]:
        n = ffi.new("size_t *")
        check(lib.binlog_repair_plan_segments(h, n))
        s = ffi.new("binlog_repair_segment *")
        st = ffi.new("binlog_repair_step *")
        out = []
        for i in range(n[0]):
            check(lib.binlog_repair_plan_segment(h, i, s))
            steps = []
            for j in range(s.steps):
                check(lib.binlog_repair_plan_step(h, i, j, st))
                steps.append(Step(StepKind(st.kind), ffi.string(st.message).decode("utf-8", "replace")))
            out.append(SegmentPlan(
                os.fsdecode(ffi.string(s.path)), SegmentAction(s.action),
                ffi.string(s.why).decode("utf-8", "replace"), bool(s.damaged), tuple(steps)))
        return tuple(out)

    def apply(self) -> Summary:
        """Carries the plan out: for each segment that needs it, with its
        lock held and the file checked to be the one planned, a backup copy
        first, then the cut, salvage and reseal. A segment's failure does
        not stop the others (counted in ``errors``). Apply a plan once;
        plan again to see the result."""
        out = ffi.new("binlog_repair_summary *")
        with self._lock:
            check(lib.binlog_repair_apply(self._live("repair plan"), out))
        return Summary(out.segments, out.changed, out.left_damaged, out.errors)



def plan_repair(path: PathArg, *, log_name: Optional[str] = None, salvage: bool = False,
                backup_dir: Optional[PathArg] = None) -> RepairPlan:
    """Plans the repair of ``path`` (resolved as :func:`binlog.verify`
    resolves it). ``salvage``: copy the records after corruption in the
    middle of a segment into new segments and cut before the damage (else
    such a segment is refused). ``backup_dir``: where backup copies go
    (``None``: beside each file)."""
    return RepairPlan(path, log_name, salvage=salvage, backup_dir=backup_dir)


def accept_gap(directory: PathArg, log_name: str, first: int, last: int,
               reason: str = "") -> None:
    """Records that log ``log_name``'s records ``first..last`` (inclusive)
    are known to be lost (the gap a salvage leaves), so that verification
    reports the gap as accepted, not as damage."""
    check(lib.binlog_repair_accept_gap(c_path("dir", directory), c_string("log name", log_name),
                                       first, last, c_string("reason", reason)))


__all__ = ["RepairPlan", "SegmentAction", "SegmentPlan", "Step", "StepKind", "Summary",
           "accept_gap", "plan_repair"]
