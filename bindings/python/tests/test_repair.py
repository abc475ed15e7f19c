"""binlog.repair: a sealed segment cut short is planned as a reseal with
a backup first; applying the plan leaves it sealed with every record
readable and the backup beside it; planning again finds nothing to do."""

import os

import pytest

import binlog
from binlog._native import lib
from binlog.repair import SegmentAction, StepKind


def test_the_actions_and_steps_are_the_librarys_codes_and_names():
    for enum, prefix in ((SegmentAction, "BINLOG_PLAN_"), (StepKind, "BINLOG_STEP_")):
        in_header = {n[len(prefix):]: getattr(lib, n) for n in dir(lib) if n.startswith(prefix)}
        assert in_header == {m.name: m.value for m in enum}
    assert SegmentAction.REFUSE.label == "refused"
    assert StepKind.START_SEGMENT.label == "start-segment"


def test_a_cut_seal_is_planned_and_repaired(tmp_path):
    path = tmp_path / "cut.binlog"
    with binlog.open_writer(path) as w:
        for i in range(5):
            w.append("t", b"record %02d" % i)
    os.truncate(path, os.path.getsize(path) - 3)

    with binlog.plan_repair(path) as plan:
        (s,) = plan.segments
        assert (s.path, s.action, s.damaged) == (str(path), SegmentAction.RESEAL, True)
        assert s.steps[0].kind == StepKind.BACKUP and "would back up" in s.steps[0].message
        assert not list(tmp_path.glob("cut.binlog.backup-*"))
        summary = plan.apply()
    assert (summary.segments, summary.changed, summary.clean) == (1, 1, True)
    with pytest.raises(binlog.ClosedError):
        plan.apply()

    with binlog.verify(path) as v:
        assert list(v) == []
        assert v.records == 5
    assert len(list(tmp_path.glob("cut.binlog.backup-*"))) == 1
    with binlog.plan_repair(path) as again:
        assert [(s.action, s.steps) for s in again.segments] == [(SegmentAction.NONE, ())]


def test_a_gap_from_after_to_is_refused(tmp_path):
    with pytest.raises(binlog.InvalidArgumentError, match="larger than the last"):
        binlog.accept_gap(tmp_path, "log", 5, 3)
