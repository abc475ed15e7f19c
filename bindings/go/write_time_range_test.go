package binlog

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEntryTimeOutsideUnixNanoRange: an Entry.Time (or Options.Created)
// that cannot be stored as int64 nanoseconds must be refused, not stored
// as a wrapped timestamp decades away (or as BINLOG_TIME_NOW).
func TestEntryTimeOutsideUnixNanoRange(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "time.binlog")
	w := mustWriter(t, path, nil)
	defer w.Close()
	for _, at := range []time.Time{
		time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(0, -1<<63), // BINLOG_TIME_NOW: would be stored as "now"
	} {
		seq, err := w.WriteEntry(Entry{Type: "t", Payload: []byte("p"), Time: at})
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("WriteEntry(Time: %v) = %d, %v; want ErrInvalidArgument", at, seq, err)
		}
		_, err = w.WriteBatch([]Entry{{Type: "t"}, {Type: "t", Time: at}})
		if !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("WriteBatch(Time: %v): %v; want ErrInvalidArgument", at, err)
		} else if msg := err.Error(); !strings.Contains(msg, path) ||
			!strings.Contains(msg, "entry 1 of 2: ") || !strings.Contains(msg, "no record of this call was written") {
			t.Errorf("WriteBatch(Time: %v): %q does not name the file and the entry", at, msg)
		}
	}
	must(t, w.Close())
	r := mustReader(t, path)
	if recs := readAll(t, r); len(recs) != 0 {
		for _, rec := range recs {
			t.Errorf("stored record %d with time %v", rec.Seq, rec.Time())
		}
	}

	w2, err := OpenWriter(filepath.Join(dir, "created.binlog"), &Options{Created: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err == nil {
		w2.Close()
		h, _ := mustReader(t, filepath.Join(dir, "created.binlog")).Header()
		t.Errorf("OpenWriter(Created: 2300) succeeded; header says %v", h.Created())
	} else if !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("OpenWriter(Created: 2300): %v; want ErrInvalidArgument", err)
	}
}
