package binlog

// Repair through the Go binding: a sealed segment cut short is planned as
// a reseal with a backup first; applying the plan leaves it sealed with
// every record readable and the backup beside it; planning again finds
// nothing to do.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRepairPlanAndApply(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cut.binlog")
	sealedRecords(t, path, 5)
	st, err := os.Stat(path)
	must(t, err)
	must(t, os.Truncate(path, st.Size()-3))

	plan, err := PlanRepair(path, "", RepairOptions{})
	must(t, err)
	if len(plan.Segments) != 1 {
		t.Fatalf("%d segments planned, want 1", len(plan.Segments))
	}
	s := plan.Segments[0]
	if s.Path != path || s.Action != PlanReseal || !s.Damaged || s.Why == "" {
		t.Fatalf("plan: %+v", s)
	}
	if len(s.Steps) < 2 || s.Steps[0].Kind != StepBackup || !strings.Contains(s.Steps[0].Message, "would back up") {
		t.Fatalf("steps: %+v", s.Steps)
	}
	if PlanReseal.String() != "reseal" || StepBackup.String() != "backup" {
		t.Fatalf("names: %v %v", PlanReseal, StepBackup)
	}
	sum, err := plan.Apply()
	must(t, err)
	if sum != (RepairSummary{Segments: 1, Changed: 1}) {
		t.Fatalf("summary: %+v", sum)
	}
	must(t, plan.Close())
	if _, err := plan.Apply(); err == nil {
		t.Fatal("Apply after Close succeeded")
	}

	fs, counts := mustVerify(t, path, "")
	if len(fs) != 0 || counts.Records != 5 {
		t.Fatalf("after the repair: %v, %+v", fs, counts)
	}
	backups, err := filepath.Glob(path + ".backup-*")
	must(t, err)
	if len(backups) != 1 {
		t.Fatalf("backups: %v", backups)
	}

	again, err := PlanRepair(path, "", RepairOptions{})
	must(t, err)
	defer again.Close()
	if a := again.Segments[0]; a.Action != PlanNone || len(a.Steps) != 0 {
		t.Fatalf("plan of the repaired segment: %+v", a)
	}
	wantErr(t, "AcceptGap(5, 3)", AcceptGap(dir, "log", 5, 3, ""), ErrInvalidArgument, "larger than the last")
}
