package binlog

// Verify through the Go binding: files written by the binding's own
// writer, damaged on disk (a torn tail, a flipped byte, a deleted middle
// segment), give the findings the library reports, with the kind, the
// file, the offset and the records lost; clean files give no damage.

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sealedRecords writes n records ("record-00" ...) to a sealed segment at
// path and returns them as read back (with their offsets).
func sealedRecords(t *testing.T, path string, n int) []*Record {
	t.Helper()
	w := mustWriter(t, path, nil)
	for i := 0; i < n; i++ {
		if _, err := w.Write("e", []byte(fmt.Sprintf("record-%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	must(t, w.Close())
	return readAll(t, mustReader(t, path))
}

// mustVerify verifies path to the end, failing the test on an error.
func mustVerify(t *testing.T, path, logName string) ([]Finding, VerifyCounts) {
	t.Helper()
	fs, counts, err := Verify(path, logName)
	if err != nil {
		t.Fatalf("Verify(%s, %q): %v", path, logName, err)
	}
	for _, f := range fs {
		t.Logf("finding: %+v", f)
	}
	return fs, counts
}

// onlyDamage is the one damage finding of fs, failing the test unless
// there is exactly one.
func onlyDamage(t *testing.T, fs []Finding) Finding {
	t.Helper()
	var d []Finding
	for _, f := range fs {
		if f.Damage {
			d = append(d, f)
		}
	}
	if len(d) != 1 {
		t.Fatalf("%d damage findings, want 1: %v", len(d), fs)
	}
	return d[0]
}

// wantFinding checks a finding's kind, file, offset and the records lost.
func wantFinding(t *testing.T, f Finding, kind FindingKind, location string, offset, fromSeq, toSeq uint64) {
	t.Helper()
	if f.Kind != kind || f.Location != location {
		t.Fatalf("finding %v at %s, want %v at %s", f.Kind, f.Location, kind, location)
	}
	if !f.HasOffset || f.Offset != offset {
		t.Fatalf("%v: offset %d (has %v), want %d", f, f.Offset, f.HasOffset, offset)
	}
	if !f.HasSeq || f.FromSeq != fromSeq || f.ToSeq != toSeq {
		t.Fatalf("%v: records lost [%d, %d) (has %v), want [%d, %d)", f, f.FromSeq, f.ToSeq, f.HasSeq, fromSeq, toSeq)
	}
	if !strings.Contains(f.Message, location) {
		t.Fatalf("message %q does not name %s", f.Message, location)
	}
}

func TestVerifyCleanSegmentHasNoDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clean.binlog")
	sealedRecords(t, path, 10)
	fs, counts := mustVerify(t, path, "")
	for _, f := range fs {
		if f.Damage {
			t.Fatalf("clean segment: damage %v", f)
		}
	}
	if counts != (VerifyCounts{Segments: 1, Records: 10}) {
		t.Fatalf("counts %+v, want 1 segment of 10 records", counts)
	}
	v, err := OpenVerifier(path, "")
	must(t, err)
	defer v.Close()
	for i := 0; i < 3; i++ { // io.EOF, and again after it
		if _, err := v.Next(); err != io.EOF {
			t.Fatalf("Next %d on a clean segment: %v, want io.EOF", i, err)
		}
	}
}

// A copy of an unsealed segment cut inside its last record: a torn tail
// at that record, cut off by a repair.
func TestVerifyTornTail(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "live.binlog")
	torn := filepath.Join(dir, "torn.binlog")
	w := mustWriter(t, path, nil)
	for i := 0; i < 5; i++ {
		if _, err := w.Write("e", []byte(fmt.Sprintf("record-%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	must(t, w.Flush())
	unsealed, err := os.ReadFile(path)
	must(t, err)
	must(t, w.Close())
	recs := readAll(t, mustReader(t, path))
	cut := recs[4].Offset + 3
	must(t, os.WriteFile(torn, unsealed[:cut], 0o644))
	r := mustReader(t, torn)
	readAll(t, r)
	tail, err := r.Tail()
	must(t, err)
	t.Logf("reader's tail: %+v", tail)

	fs, counts := mustVerify(t, torn, "")
	f := onlyDamage(t, fs)
	wantFinding(t, f, FindingTornTail, torn, recs[4].Offset, 4, 4)
	if tail.Kind != TailTorn || f.Offset != tail.Offset || f.Len != tail.Len {
		t.Fatalf("%v: offset %d len %d, the reader's tail %+v", f, f.Offset, f.Len, tail)
	}
	if f.Repair != RepairCutTornTail {
		t.Fatalf("%v: repair %v, want %v", f, f.Repair, RepairCutTornTail)
	}
	if counts != (VerifyCounts{Segments: 1, Records: 4}) {
		t.Fatalf("counts %+v, want 1 segment of 4 records", counts)
	}
}

// A byte flipped in the payload of a record in the middle of a sealed
// segment: corruption at that record, the records after it still counted.
func TestVerifyCorruptRecordInTheMiddle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flip.binlog")
	recs := sealedRecords(t, path, 10)
	b, err := os.ReadFile(path)
	must(t, err)
	at := bytes.Index(b, []byte("record-05"))
	if at < 0 || uint64(at) < recs[5].Offset {
		t.Fatalf("payload of record 5 not found after its offset %d", recs[5].Offset)
	}
	b[at+7] ^= 0xff
	must(t, os.WriteFile(path, b, 0o644))

	fs, counts := mustVerify(t, path, "")
	f := onlyDamage(t, fs)
	wantFinding(t, f, FindingCorrupt, path, recs[5].Offset, 5, 6)
	if counts != (VerifyCounts{Segments: 1, Records: 9}) {
		t.Fatalf("counts %+v, want 1 segment of 9 records", counts)
	}
}

// The middle segment of a rolled log deleted: its records are missing
// between the two left, named at the segment after the gap.
func TestVerifyLogWithMiddleSegmentDeleted(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenLog(dir, "orders", &Options{MaxSegmentRecords: 3})
	must(t, err)
	for i := 0; i < 9; i++ {
		if _, err := w.Write("e", []byte(fmt.Sprintf("record-%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	must(t, w.Close())
	segs, err := ListSegments(dir, "orders")
	must(t, err)
	if len(segs) != 3 {
		t.Fatalf("%d segments, want 3", len(segs))
	}
	fs, _ := mustVerify(t, dir, "")
	for _, f := range fs {
		if f.Damage {
			t.Fatalf("clean log: damage %v", f)
		}
	}
	must(t, os.Remove(segs[1].Path))

	fs, counts := mustVerify(t, dir, "orders")
	f := onlyDamage(t, fs)
	wantFinding(t, f, FindingMissingRecords, segs[2].Path, f.Offset, segs[1].FirstSeq, segs[2].FirstSeq)
	if segs[1].FirstSeq != 3 || segs[2].FirstSeq != 6 {
		t.Fatalf("segments start at %d and %d, want 3 and 6", segs[1].FirstSeq, segs[2].FirstSeq)
	}
	if counts != (VerifyCounts{Segments: 2, Records: 6}) {
		t.Fatalf("counts %+v, want 2 segments of 6 records", counts)
	}
}

func TestVerifyDirectoryWithoutLogIsNotFound(t *testing.T) {
	dir := t.TempDir()
	_, _, err := Verify(dir, "")
	wantErr(t, "Verify(empty dir)", err, ErrNotFound, dir)
}

// A segment file that does not exist is ErrNotFound, naming it, as a
// reader's open says.
func TestVerifyMissingFileIsNotFound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.binlog")
	_, _, err := Verify(path, "")
	wantErr(t, "Verify(absent file)", err, ErrNotFound, path)
}

func TestVerifierAfterCloseIsClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.binlog")
	sealedRecords(t, path, 2)
	v, err := OpenVerifier(path, "")
	must(t, err)
	must(t, v.Close())
	must(t, v.Close())
	_, err = v.Next()
	wantErr(t, "Next after Close", err, ErrClosed, path)
	_, err = v.Counts()
	wantErr(t, "Counts after Close", err, ErrClosed, path)
	if _, err := v.Next(); err == io.EOF {
		t.Fatal("Next after Close gave io.EOF")
	}
}

// Close from one goroutine while others call Next and Counts: every call
// returns a finding, io.EOF or ErrClosed, never touches a freed handle
// (run under -race, as make test-go does).
func TestVerifierCloseWhileCallsRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.binlog")
	must(t, os.WriteFile(path, []byte("not a segment"), 0o644))
	v, err := OpenVerifier(path, "")
	must(t, err)
	done := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			for {
				_, err := v.Next()
				if err == nil {
					_, err = v.Counts()
				}
				if err == nil || err == io.EOF {
					continue
				}
				done <- err
				return
			}
		}()
	}
	must(t, v.Close())
	for g := 0; g < 4; g++ {
		wantCode(t, <-done, ErrClosed)
	}
	must(t, v.Close())
}

func TestFindingKindAndRepairNames(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{FindingTornTail.String(), "torn-tail"},
		{FindingMissingRecords.String(), "missing-records"},
		{FindingSequenceJump.String(), "sequence"},
		{FindingManifestDamaged.String(), "manifest-damaged"},
		{FindingNotListed.String(), "not-listed"},
		{FindingKind(0).String(), "finding kind 0"},
		{FindingKind(999).String(), "finding kind 999"},
		{RepairCutTornTail.String(), "cut-torn-tail"},
		{RepairSalvage.String(), "salvage"},
		{RepairAction(7).String(), "repair action 7"},
	} {
		if c.got != c.want {
			t.Fatalf("name %q, want %q", c.got, c.want)
		}
	}
}

func TestVerifyDamagedManifestIsANoteThenDamageWithNoSegmentLeft(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenLog(dir, "orders", &Options{MaxSegmentRecords: 3})
	must(t, err)
	for i := 0; i < 6; i++ {
		if _, err := w.Write("e", []byte(fmt.Sprintf("record-%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	must(t, w.Close())
	manifest := filepath.Join(dir, "orders.manifest")
	b, err := os.ReadFile(manifest)
	must(t, err)
	b[len(b)/2] ^= 1
	must(t, os.WriteFile(manifest, b, 0o644))

	fs, counts := mustVerify(t, dir, "orders")
	if len(fs) != 1 || fs[0].Kind != FindingManifestUnused || fs[0].Damage || fs[0].Location != manifest {
		t.Fatalf("findings %v, want one manifest-unused note about %s", fs, manifest)
	}
	if counts.Segments != 2 {
		t.Fatalf("counts %+v, want 2 segments", counts)
	}
	segs, err := ListSegments(dir, "orders")
	must(t, err)
	for _, s := range segs {
		must(t, os.Remove(s.Path))
	}
	fs, counts = mustVerify(t, dir, "orders")
	if len(fs) != 1 || fs[0].Kind != FindingManifestDamaged || !fs[0].Damage || counts.Segments != 0 {
		t.Fatalf("findings %v, counts %+v, want one manifest-damaged and no segment", fs, counts)
	}
	if fs[0].String() != "manifest-damaged: "+fs[0].Message {
		t.Fatalf("String %q", fs[0].String())
	}
}
