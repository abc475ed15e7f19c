package binlog

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// A log with Options.Compression turns its sealed segments into
// .binlog.zst files, listed in their place and still sealed; a level out
// of zstd's range or type copies over 1000 per mille are refused with
// ErrInvalidArgument, NoTypeCopies is taken, and OpenWriter
// refuses the option (rolling logs only).
func TestCompressionTurnsSealedSegmentsIntoZstFiles(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenLog(dir, "z", &Options{MaxSegmentRecords: 2, Compression: &Compression{}})
	must(t, err)
	for i := 0; i < 7; i++ {
		_, err := w.Write("t", []byte("a payload that compresses well"))
		must(t, err)
	}
	zst := func() int {
		segs, err := ListSegments(dir, "z")
		must(t, err)
		n := 0
		for i, s := range segs {
			if strings.HasSuffix(s.Path, ".binlog.zst") {
				if s.State != SegmentSealed || s.SegmentNo != uint64(i) || !s.Compressed || s.OriginalBytes < 100 {
					t.Errorf("compressed segment %d: %+v", i, s)
				}
				n++
			} else if s.Compressed || s.OriginalBytes != 0 {
				t.Errorf("plain segment %d: %+v", i, s)
			}
		}
		return n
	}
	deadline := time.Now().Add(30 * time.Second)
	for zst() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := zst(); n != 3 {
		t.Fatalf("%d compressed segments, want 3", n)
	}
	must(t, w.Close())

	var be *Error
	_, err = OpenLog(t.TempDir(), "z", &Options{Compression: &Compression{Level: 99}})
	if !errors.As(err, &be) || be.Code != ErrInvalidArgument {
		t.Errorf("level 99: %v", err)
	}
	none, err := OpenLog(t.TempDir(), "z", &Options{Compression: &Compression{TypeCopies: NoTypeCopies}})
	must(t, err)
	must(t, none.Close())
	for _, bad := range []int32{1001, -2} {
		_, err = OpenLog(t.TempDir(), "z", &Options{Compression: &Compression{TypeCopies: bad}})
		if !errors.As(err, &be) || be.Code != ErrInvalidArgument {
			t.Errorf("TypeCopies %d: %v", bad, err)
		}
	}
	_, err = OpenWriter(filepath.Join(t.TempDir(), "a.binlog"), &Options{Compression: &Compression{}})
	if !errors.As(err, &be) || be.Code != ErrInvalidArgument {
		t.Errorf("a segment writer with Compression: %v", err)
	}
}
