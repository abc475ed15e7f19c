package binlog

import (
	"errors"
	"io"
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
