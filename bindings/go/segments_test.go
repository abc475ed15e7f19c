package binlog

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A rolled log lists its sealed segments (sequence numbers from their
// seals) then its active one, in read order, each with its size; a bad
// log name is refused with ErrInvalidArgument.
func TestListSegmentsGivesEachSegmentsStateInReadOrder(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenLog(dir, "up", &Options{MaxSegmentRecords: 3})
	must(t, err)
	for i := 0; i < 7; i++ {
		_, err := w.Write("t", []byte("payload"))
		must(t, err)
	}
	must(t, w.Flush())
	segs, err := ListSegments(dir, "up")
	must(t, err)
	if len(segs) != 3 {
		t.Fatalf("%d segments, want 3: %+v", len(segs), segs)
	}
	for i, s := range segs {
		if s.SegmentNo != uint64(i) || s.Salvaged || !s.HasFirstSeq || s.FirstSeq != uint64(3*i) {
			t.Errorf("segment %d: %+v", i, s)
		}
		if fi, err := os.Stat(s.Path); err != nil || uint64(fi.Size()) != s.Bytes || filepath.Dir(s.Path) != dir {
			t.Errorf("segment %d: %+v (stat: %v)", i, s, err)
		}
		sealed := i < 2
		if sealed && (s.State != SegmentSealed || !s.HasLastSeq || s.LastSeq != uint64(3*i+2)) {
			t.Errorf("segment %d should be sealed: %+v", i, s)
		}
		if !sealed && (s.State != SegmentActive || s.HasLastSeq) {
			t.Errorf("segment %d should be active: %+v", i, s)
		}
	}
	must(t, w.Close())
	_, err = ListSegments(dir, ".bad")
	var be *Error
	if !errors.As(err, &be) || be.Code != ErrInvalidArgument {
		t.Errorf("a bad log name: %v", err)
	}
}
