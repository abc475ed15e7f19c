package binlog

/*
#include <stdlib.h>
#include <binlog.h>
*/
import "C"

import (
	"runtime"
	"sync"
	"unsafe"
)

// PlanAction is what a segment needs in a repair plan
// (binlog_repair_segment_action).
type PlanAction uint32

// Segment actions, mirroring binlog_repair_segment_action.
const (
	// PlanNone: sealed and intact, or open by a writer and intact.
	PlanNone PlanAction = C.BINLOG_PLAN_NONE
	// PlanUnreadable: not readable as a segment (Why says why).
	PlanUnreadable PlanAction = C.BINLOG_PLAN_UNREADABLE
	// PlanRefuse: damaged and left as it is (Why says why).
	PlanRefuse PlanAction = C.BINLOG_PLAN_REFUSE
	// PlanReseal: backed up, its torn tail cut, sealed again.
	PlanReseal PlanAction = C.BINLOG_PLAN_RESEAL
	// PlanSalvage: backed up, the records after mid-file damage copied
	// into new segments, cut before the damage and sealed again.
	PlanSalvage PlanAction = C.BINLOG_PLAN_SALVAGE
)

// String names the action as the library does ("none", "reseal", ...).
func (a PlanAction) String() string {
	return enumName(C.binlog_repair_segment_action_name(C.uint32_t(a)), uint32(a), "segment action")
}

// RepairStepKind is what a step of a repair does (binlog_repair_step_kind).
type RepairStepKind uint32

// Step kinds, mirroring binlog_repair_step_kind.
const (
	StepNote         RepairStepKind = C.BINLOG_STEP_NOTE
	StepBackup       RepairStepKind = C.BINLOG_STEP_BACKUP
	StepCut          RepairStepKind = C.BINLOG_STEP_CUT
	StepReseal       RepairStepKind = C.BINLOG_STEP_RESEAL
	StepSalvage      RepairStepKind = C.BINLOG_STEP_SALVAGE
	StepStartSegment RepairStepKind = C.BINLOG_STEP_START_SEGMENT
	StepGap          RepairStepKind = C.BINLOG_STEP_GAP
	StepLeave        RepairStepKind = C.BINLOG_STEP_LEAVE
	StepCleanup      RepairStepKind = C.BINLOG_STEP_CLEANUP
	StepError        RepairStepKind = C.BINLOG_STEP_ERROR
)

// String names the kind as the library does ("backup", "cut", ...).
func (k RepairStepKind) String() string {
	return enumName(C.binlog_repair_step_kind_name(C.uint32_t(k)), uint32(k), "step kind")
}

// RepairStep is one step of a segment's plan: what applying it would do.
type RepairStep struct {
	Kind    RepairStepKind
	Message string // in words, naming the files
}

// RepairSegment is the plan for one segment.
type RepairSegment struct {
	Path    string
	Action  PlanAction
	Why     string
	Damaged bool // in its bytes or as a part of its log
	Steps   []RepairStep
}

// RepairOptions says how to repair: Salvage copies the records after
// corruption in the middle of a segment into new segments and cuts before
// the damage (else such a segment is refused); BackupDir is where backup
// copies go ("": beside each file).
type RepairOptions struct {
	Salvage   bool
	BackupDir string
}

// RepairSummary is what applying a plan did. Clean when LeftDamaged and
// Errors are 0.
type RepairSummary struct {
	Segments, Changed, LeftDamaged, Errors uint64
}

// RepairPlan is a repair's plan (binlog_repair_plan_*): Segments, in the
// log's order, each with its steps, copied into Go memory. Its methods may
// be called from any goroutine but are serialized.
type RepairPlan struct {
	Segments []RepairSegment
	mu       sync.Mutex
	h        *C.binlog_repair_plan // nil once closed
	desc     string
}

// PlanRepair plans the repair of path (resolved as OpenVerifier resolves
// it), changing nothing.
func PlanRepair(path, logName string, opts RepairOptions) (*RepairPlan, error) {
	const op = "plan repair"
	cpath, err := cString(op, "path", path)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cpath))
	var cname, cbackup *C.char // NULL: the only log; beside each file
	if logName != "" {
		if cname, err = cString(op, "log name", logName); err != nil {
			return nil, err
		}
		defer C.free(unsafe.Pointer(cname))
	}
	if opts.BackupDir != "" {
		if cbackup, err = cString(op, "backup dir", opts.BackupDir); err != nil {
			return nil, err
		}
		defer C.free(unsafe.Pointer(cbackup))
	}
	var h *C.binlog_repair_plan
	lockThread()
	defer unlockThread()
	if err = result(op, C.binlog_repair_plan_open(cpath, cname, C.bool(opts.Salvage), cbackup, &h)); err != nil {
		return nil, err
	}
	p := &RepairPlan{h: h, desc: path}
	runtime.SetFinalizer(p, (*RepairPlan).Close)
	var n C.size_t
	if err = result(op, C.binlog_repair_plan_segments(h, &n)); err != nil {
		p.Close()
		return nil, err
	}
	for i := C.size_t(0); i < n; i++ {
		var s C.binlog_repair_segment
		if err = result(op, C.binlog_repair_plan_segment(h, i, &s)); err != nil {
			p.Close()
			return nil, err
		}
		seg := RepairSegment{
			Path:    C.GoString(s.path),
			Action:  PlanAction(s.action),
			Why:     C.GoString(s.why),
			Damaged: bool(s.damaged),
		}
		for j := C.size_t(0); j < s.steps; j++ {
			var st C.binlog_repair_step
			if err = result(op, C.binlog_repair_plan_step(h, i, j, &st)); err != nil {
				p.Close()
				return nil, err
			}
			seg.Steps = append(seg.Steps, RepairStep{Kind: RepairStepKind(st.kind), Message: C.GoString(st.message)})
		}
		p.Segments = append(p.Segments, seg)
	}
	return p, nil
}

// Apply carries the plan out: for each segment that needs it, with its
// lock held and the file checked to be the one planned, a backup copy
// first, then the cut, salvage and reseal. A segment's failure does not
// stop the others (counted in Errors). Apply a plan once; plan again to
// see the result.
func (p *RepairPlan) Apply() (RepairSummary, error) {
	const op = "apply repair"
	if p == nil {
		return RepairSummary{}, nilError(op, "repair plan")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == nil {
		return RepairSummary{}, closedError(op, "repair plan", p.desc)
	}
	var s C.binlog_repair_summary
	lockThread()
	err := result(op, C.binlog_repair_apply(p.h, &s))
	unlockThread()
	runtime.KeepAlive(p)
	return RepairSummary{
		Segments:    uint64(s.segments),
		Changed:     uint64(s.changed),
		LeftDamaged: uint64(s.left_damaged),
		Errors:      uint64(s.errors),
	}, err
}

// Close frees the plan; later Apply calls return ErrClosed. Closing again
// returns nil.
func (p *RepairPlan) Close() error {
	if p == nil {
		return nilError("close repair plan", "repair plan")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h != nil {
		C.binlog_repair_plan_free(p.h)
		p.h = nil
		runtime.SetFinalizer(p, nil)
	}
	return nil
}

// AcceptGap records that log logName's records from..to (inclusive) in
// dir are known to be lost (the gap a salvage leaves), so that
// verification reports the gap as accepted, not as damage.
func AcceptGap(dir, logName string, from, to uint64, reason string) error {
	const op = "accept gap"
	cdir, cname, free, err := cStrings(op, "dir", dir, "log name", logName)
	if err != nil {
		return err
	}
	defer free()
	creason, err := cString(op, "reason", reason)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(creason))
	lockThread()
	defer unlockThread()
	return result(op, C.binlog_repair_accept_gap(cdir, cname, C.uint64_t(from), C.uint64_t(to), creason))
}
