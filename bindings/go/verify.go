package binlog

/*
#include <stdlib.h>
#include <binlog.h>
*/
import "C"

import (
	"io"
	"runtime"
	"strconv"
	"sync"
)

// FindingKind is what a verification finding is (binlog_finding_kind);
// the numbers are libbinlog's and never reused.
type FindingKind uint32

// Finding kinds, mirroring binlog_finding_kind in include/binlog.h (see
// its doc comments and docs/FORMAT.md for each).
const (
	FindingTornTail           FindingKind = C.BINLOG_FINDING_TORN_TAIL
	FindingCorrupt            FindingKind = C.BINLOG_FINDING_CORRUPT
	FindingSequenceJump       FindingKind = C.BINLOG_FINDING_SEQUENCE_JUMP
	FindingSealDamaged        FindingKind = C.BINLOG_FINDING_SEAL_DAMAGED
	FindingZeroTail           FindingKind = C.BINLOG_FINDING_ZERO_TAIL
	FindingUnsealed           FindingKind = C.BINLOG_FINDING_UNSEALED
	FindingNotABinlog         FindingKind = C.BINLOG_FINDING_NOT_A_BINLOG
	FindingTruncated          FindingKind = C.BINLOG_FINDING_TRUNCATED
	FindingUnsupportedVersion FindingKind = C.BINLOG_FINDING_UNSUPPORTED_VERSION
	FindingCorruptHeader      FindingKind = C.BINLOG_FINDING_CORRUPT_HEADER
	FindingMissingRecords     FindingKind = C.BINLOG_FINDING_MISSING_RECORDS
	FindingSequenceOverlap    FindingKind = C.BINLOG_FINDING_SEQUENCE_OVERLAP
	FindingWrongLog           FindingKind = C.BINLOG_FINDING_WRONG_LOG
	FindingUnreadable         FindingKind = C.BINLOG_FINDING_UNREADABLE
	FindingBeingWritten       FindingKind = C.BINLOG_FINDING_BEING_WRITTEN
	FindingAcceptedGap        FindingKind = C.BINLOG_FINDING_ACCEPTED_GAP
	FindingNotYetWritten      FindingKind = C.BINLOG_FINDING_NOT_YET_WRITTEN
	FindingFailedRollLeftover FindingKind = C.BINLOG_FINDING_FAILED_ROLL_LEFTOVER
	FindingNotSealed          FindingKind = C.BINLOG_FINDING_NOT_SEALED
	FindingCorruptFrame       FindingKind = C.BINLOG_FINDING_CORRUPT_FRAME
	FindingSealIndexDamaged   FindingKind = C.BINLOG_FINDING_SEAL_INDEX_DAMAGED
	FindingManifestDamaged    FindingKind = C.BINLOG_FINDING_MANIFEST_DAMAGED
	FindingManifestUnused     FindingKind = C.BINLOG_FINDING_MANIFEST_UNUSED
	// FindingNotListed comes after a segment's first VerifyMaxFindings
	// findings: its Len is how many more were counted, not listed.
	FindingNotListed FindingKind = C.BINLOG_FINDING_NOT_LISTED
)

// VerifyMaxFindings is how many findings of one segment are listed
// (BINLOG_VERIFY_MAX_FINDINGS); one FindingNotListed counts the rest.
const VerifyMaxFindings = C.BINLOG_VERIFY_MAX_FINDINGS

// String names the kind as the library does (binlog_finding_kind_name:
// "torn-tail", "corrupt", ...); a number that is no kind is "finding
// kind N".
func (k FindingKind) String() string {
	return enumName(C.binlog_finding_kind_name(C.uint32_t(k)), uint32(k), "finding kind")
}

// RepairAction is what `binlog repair` does about a finding
// (binlog_repair_action).
type RepairAction uint32

const (
	// RepairNothing: not damage, or nothing a repair can do.
	RepairNothing RepairAction = C.BINLOG_REPAIR_NOTHING
	// RepairCutTornTail: backs the segment up, cuts the torn tail, seals it.
	RepairCutTornTail RepairAction = C.BINLOG_REPAIR_CUT_TORN_TAIL
	// RepairReseal: backs the segment up and seals it again.
	RepairReseal RepairAction = C.BINLOG_REPAIR_RESEAL
	// RepairSalvage: with --salvage only, keeps the valid records around
	// the damage.
	RepairSalvage RepairAction = C.BINLOG_REPAIR_SALVAGE
)

// String names the action as the library does
// (binlog_repair_action_name: "nothing", "cut-torn-tail", ...); a number
// that is no action is "repair action N".
func (a RepairAction) String() string {
	return enumName(C.binlog_repair_action_name(C.uint32_t(a)), uint32(a), "repair action")
}

// enumName is the library's static name, or, NULL, what and the number v.
func enumName(name *C.char, v uint32, what string) string {
	if name != nil {
		return C.GoString(name)
	}
	return what + " " + strconv.FormatUint(uint64(v), 10)
}

// Finding is one thing a verification found (binlog_finding), copied into
// Go memory.
type Finding struct {
	Kind FindingKind
	// Location is the segment's path (or object URL), or the log's
	// manifest.
	Location string
	// Offset is where in the segment (its original bytes, for a compressed
	// one), when HasOffset; Len the bytes affected from there (0 for a
	// finding about one place; for FindingNotListed, the number of
	// findings not listed).
	HasOffset bool
	Offset    uint64
	Len       uint64
	// FromSeq up to ToSeq (excluded) are the sequence numbers lost, when
	// HasSeq (equal when none is known lost).
	HasSeq  bool
	FromSeq uint64
	ToSeq   uint64
	Repair  RepairAction
	// Damage is false for a note (a writer at work, prepared space, an
	// unsealed newest segment, an accepted gap...).
	Damage bool
	// Message says what it is, naming the location and the offset.
	Message string
}

// String is the kind and the library's message.
func (f Finding) String() string { return f.Kind.String() + ": " + f.Message }

// VerifyCounts is what a verification has read so far.
type VerifyCounts struct {
	Segments uint64 // segments verified
	Records  uint64 // valid records in them
}

// Verifier verifies a segment file or a log directory, one segment at a
// time as Next reaches it (binlog_verify_*). Its methods may be called
// from any goroutine but are serialized; Close waits for the call in
// progress.
type Verifier struct {
	mu   sync.Mutex
	h    *C.binlog_verify // nil once closed
	desc string           // the path, named in ErrClosed messages
}

// OpenVerifier opens a verification of path: a segment file (plain or
// .zst) or a log directory, then of log logName in it, or with logName ""
// of the one log whose files it holds (ErrNotFound if none,
// ErrInvalidArgument if several). A file's damage is a Finding, not an
// error.
func OpenVerifier(path, logName string) (*Verifier, error) {
	const op = "open verify"
	cs, free, err := cStrings(op, "path", path, "log name?", logName) // no name: the only log in the directory
	if err != nil {
		return nil, err
	}
	defer free()
	var h *C.binlog_verify
	if err := call(op, func() C.binlog_result { return C.binlog_verify_open(cs[0], cs[1], &h) }); err != nil {
		return nil, err
	}
	v := &Verifier{h: h, desc: path}
	runtime.SetFinalizer(v, (*Verifier).Close)
	return v, nil
}

// Next returns the next finding, in file order, segment by segment (at
// most VerifyMaxFindings of a segment, then one FindingNotListed counting
// the rest), then, for a log, one about its manifest if it cannot be used
// (FindingManifestDamaged, FindingManifestUnused, FindingUnreadable), or
// io.EOF once everything is verified. A clean sealed segment gives no
// finding.
func (v *Verifier) Next() (Finding, error) {
	const op = "verify next"
	if v == nil {
		return Finding{}, nilError(op, "verifier")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.h == nil {
		return Finding{}, closedError(op, "verifier", v.desc)
	}
	var c C.binlog_finding
	err := call(op, func() C.binlog_result { return C.binlog_verify_next(v.h, &c) })
	runtime.KeepAlive(v)
	if err == errEnd {
		return Finding{}, io.EOF
	}
	if err != nil {
		return Finding{}, err
	}
	// c's strings are the handle's until the next call: copied under mu.
	return Finding{
		Kind:      FindingKind(c.kind),
		Location:  C.GoString(c.location),
		HasOffset: bool(c.has_offset),
		Offset:    uint64(c.offset),
		Len:       uint64(c.len),
		HasSeq:    bool(c.has_seq),
		FromSeq:   uint64(c.from_seq),
		ToSeq:     uint64(c.to_seq),
		Repair:    RepairAction(c.repair),
		Damage:    bool(c.damage),
		Message:   C.GoString(c.message),
	}, nil
}

// Counts returns the segments verified so far and the valid records in
// them (after io.EOF: of the whole path).
func (v *Verifier) Counts() (VerifyCounts, error) {
	const op = "verify counts"
	if v == nil {
		return VerifyCounts{}, nilError(op, "verifier")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.h == nil {
		return VerifyCounts{}, closedError(op, "verifier", v.desc)
	}
	var segments, records C.uint64_t
	err := call(op, func() C.binlog_result { return C.binlog_verify_counts(v.h, &segments, &records) })
	runtime.KeepAlive(v)
	return VerifyCounts{Segments: uint64(segments), Records: uint64(records)}, err
}

// Close frees the verification. It waits for the call in progress; later
// calls return ErrClosed. Closing again returns nil.
func (v *Verifier) Close() error {
	if v == nil {
		return nilError("close verifier", "verifier")
	}
	return freeOnce(&v.mu, &v.h, v, func(h *C.binlog_verify) { C.binlog_verify_free(h) })
}

// Verify verifies path (as OpenVerifier) to the end: every finding and
// the counts of the whole path. A file is damaged when a finding has
// Damage set. On an error it returns the findings before it.
func Verify(path, logName string) ([]Finding, VerifyCounts, error) {
	v, err := OpenVerifier(path, logName)
	if err != nil {
		return nil, VerifyCounts{}, err
	}
	defer v.Close()
	var out []Finding
	for {
		f, err := v.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, VerifyCounts{}, err
		}
		out = append(out, f)
	}
	counts, err := v.Counts()
	return out, counts, err
}
