package binlog

import (
	"errors"
	"io"
	"os"
	"slices"
	"testing"
	"time"
)

// writeLogAt writes log name in dir: a record at each of times (ns), a
// segment every per records, its payload the log's name.
func writeLogAt(t *testing.T, dir, name string, per uint64, times []int64) {
	t.Helper()
	w, err := OpenLog(dir, name, &Options{MaxSegmentRecords: per})
	must(t, err)
	for _, ts := range times {
		_, err := w.WriteEntry(Entry{Type: "event", Payload: []byte(name), Time: time.Unix(0, ts)})
		must(t, err)
	}
	must(t, w.Close())
}

type merged struct {
	ts  int64
	log string
	seq uint64
}

func readMerged(t *testing.T, r *MergedReader) []merged {
	t.Helper()
	var out []merged
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		must(t, err)
		if string(rec.Payload) != rec.Log {
			t.Fatalf("record of %s carries %q", rec.Log, rec.Payload)
		}
		out = append(out, merged{rec.TimestampNs, rec.Log, rec.Seq})
	}
}

func TestMergedReaderOrdersByTimeThenLogNameThenSeq(t *testing.T) {
	dir := t.TempDir()
	writeLogAt(t, dir, "web-b", 100, []int64{5, 5, 7})
	writeLogAt(t, dir, "web-a", 100, []int64{5, 7, 7})
	writeLogAt(t, dir, "db", 100, []int64{1})
	r, err := OpenMergedReader(dir, "", "web-*")
	must(t, err)
	defer r.Close()
	got := readMerged(t, r)
	want := []merged{{5, "web-a", 0}, {5, "web-b", 0}, {5, "web-b", 1}, {7, "web-a", 1}, {7, "web-a", 2}, {7, "web-b", 2}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("record %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestMergedReaderTimeWindowReadsOnlyOverlappingSegments(t *testing.T) {
	dir := t.TempDir()
	times := make([]int64, 100)
	for i := range times {
		times[i] = int64(1000 + i)
	}
	writeLogAt(t, dir, "a", 10, times)
	writeLogAt(t, dir, "b", 10, times)
	r, err := OpenMergedReader(dir, "", "")
	must(t, err)
	defer r.Close()
	must(t, r.TimeWindow(time.Unix(0, 1030), time.Unix(0, 1040)))
	got := readMerged(t, r)
	if len(got) != 20 || got[0] != (merged{1030, "a", 30}) || got[19] != (merged{1039, "b", 39}) {
		t.Fatalf("got %v", got)
	}
	read, passed, err := r.Segments()
	must(t, err)
	if read != 2 || passed != 12 {
		t.Fatalf("segments read %d, passed over %d; want 2 and 12", read, passed)
	}
}

func TestMergedReaderWithNoLogMatchingIsNotFound(t *testing.T) {
	dir := t.TempDir()
	writeLogAt(t, dir, "a", 10, []int64{1})
	_, err := OpenMergedReader(dir, "", "web-*")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
}

// A segment of one log missing and a record of another damaged: each gap
// and damaged region names its log (and the damage its file).
func TestMergedReaderGapsAndDamagesNameTheirLog(t *testing.T) {
	dir := t.TempDir()
	times := make([]int64, 30)
	for i := range times {
		times[i] = int64(i)
	}
	writeLogAt(t, dir, "g-a", 10, times[:20])
	writeLogAt(t, dir, "g-b", 10, times)
	writeLogAt(t, dir, "g-c", 100, times[:20])
	segs, err := ListSegments(dir, "g-b")
	must(t, err)
	must(t, os.Remove(segs[1].Path))
	segs, err = ListSegments(dir, "g-c")
	must(t, err)
	damaged := segs[0].Path
	recs := readAll(t, mustReader(t, damaged))
	flipByte(t, damaged, recs[6].Offset-2)

	r, err := OpenMergedReader(dir, "", "g-*")
	must(t, err)
	defer r.Close()
	must(t, r.SkipDamaged(true))
	if n := len(readMerged(t, r)); n != 20+20+19 {
		t.Fatalf("%d records, want 59", n)
	}
	gaps, err := r.Gaps()
	must(t, err)
	if len(gaps) != 1 || gaps[0].Log != "g-b" || gaps[0].Reason != GapMissing ||
		gaps[0].FromSeq != 10 || gaps[0].ToSeq != 20 {
		t.Fatalf("gaps %+v, want g-b's records 10..19 missing", gaps)
	}
	damages, err := r.Damages()
	must(t, err)
	want := MergedDamage{Log: "g-c", Damage: Damage{Path: damaged, Offset: recs[5].Offset,
		ResumeOffset: recs[6].Offset, FromSeq: 5, ToSeq: 6}}
	if len(damages) != 1 || damages[0] != want {
		t.Fatalf("damages %+v, want %+v", damages, want)
	}
}

// putAt writes one record at ts to w (its payload: the log's name) and
// flushes it, so that a reader sees it at once.
func putAt(t *testing.T, w *Writer, name string, ts int64) {
	t.Helper()
	_, err := w.WriteEntry(Entry{Type: "event", Payload: []byte(name), Time: time.Unix(0, ts)})
	must(t, err)
	must(t, w.Flush())
}

// NextWait returns records appended to two logs after the reader reached
// the end, each log's in its order; with nothing written it returns io.EOF
// at its timeout.
func TestMergedReaderNextWaitSeesAppendsToTwoLogsAndTimesOut(t *testing.T) {
	dir := t.TempDir()
	a, err := OpenLog(dir, "f-a", &Options{MaxSegmentRecords: 2})
	must(t, err)
	defer a.Close()
	b, err := OpenLog(dir, "f-b", &Options{MaxSegmentRecords: 2})
	must(t, err)
	defer b.Close()
	putAt(t, a, "f-a", 1)
	putAt(t, b, "f-b", 2)
	r, err := OpenMergedReader(dir, "", "f-*")
	must(t, err)
	defer r.Close()
	next := func(timeout time.Duration) (merged, error) {
		rec, err := r.NextWait(timeout)
		if err != nil {
			return merged{}, err
		}
		return merged{rec.TimestampNs, rec.Log, rec.Seq}, nil
	}
	for _, want := range []merged{{1, "f-a", 0}, {2, "f-b", 0}} {
		got, err := next(30 * time.Second)
		must(t, err)
		if got != want {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if _, err := next(50 * time.Millisecond); !errors.Is(err, io.EOF) {
		t.Fatalf("a wait with nothing written: %v, want io.EOF", err)
	}
	// Written while the reader waits (or before: it must see them either
	// way), across a roll of each log.
	done := make(chan error, 1)
	go func() {
		time.Sleep(100 * time.Millisecond)
		var err error
		for ts := int64(10); ts < 13 && err == nil; ts++ {
			for _, l := range []struct {
				w    *Writer
				name string
				ts   int64
			}{{a, "f-a", ts}, {b, "f-b", ts + 100}} {
				_, werr := l.w.WriteEntry(Entry{Type: "event", Payload: []byte(l.name), Time: time.Unix(0, l.ts)})
				err = errors.Join(err, werr, l.w.Flush())
			}
		}
		done <- err
	}()
	var got []merged
	for len(got) < 6 {
		m, err := next(30 * time.Second)
		must(t, err)
		got = append(got, m)
	}
	must(t, <-done)
	for _, log := range []string{"f-a", "f-b"} {
		var seqs []uint64
		for _, m := range got {
			if m.log == log {
				seqs = append(seqs, m.seq)
			}
		}
		if !slices.Equal(seqs, []uint64{1, 2, 3}) {
			t.Fatalf("%s: records %v, want seqs 1..3 (all: %v)", log, seqs, got)
		}
	}
}
