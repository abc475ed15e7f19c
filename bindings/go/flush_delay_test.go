package binlog

import (
	"path/filepath"
	"testing"
	"time"
)

// TestFlushDelayHandsIdleRecordsToTheOS: a writer that idles after a write
// hands the record to the OS within its FlushDelay (a reader of the file
// sees it, without a Flush) and not before (a 2 s delay keeps it from a
// reader for the first 200 ms), before Write returns with FlushAtOnce, and
// only on Flush with FlushWhenFull; a negative FlushDelay other than
// FlushAtOnce is refused. Timing bounds only ever wait longer on a loaded
// machine: a record seen too early is a delay not honoured.
func TestFlushDelayHandsIdleRecordsToTheOS(t *testing.T) {
	for _, c := range []struct {
		name  string
		delay time.Duration
		// Not seen by a reader for this long after Write (0: no check).
		hidden time.Duration
		// Seen (after hidden) within this long, without a flush (0: only
		// after a Flush); -1: at once, before Write returned.
		seen time.Duration
	}{
		{"default", 0, 0, 2 * time.Second},
		{"30ms", 30 * time.Millisecond, 0, 2 * time.Second},
		{"2s", 2 * time.Second, 200 * time.Millisecond, 5 * time.Second},
		{"at-once", FlushAtOnce, 0, -1},
		{"when-full", FlushWhenFull, 200 * time.Millisecond, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "delay.binlog")
			w := mustWriter(t, path, &Options{FlushDelay: c.delay})
			defer w.Close()
			if _, err := w.Write("t", []byte("idle")); err != nil {
				t.Fatal(err)
			}
			r := mustReader(t, path)
			if c.hidden > 0 {
				if rec, err := r.NextWait(c.hidden); err == nil {
					t.Fatalf("record %d visible within %v of its write", rec.Seq, c.hidden)
				}
			}
			var rec *Record
			var err error
			switch {
			case c.seen < 0:
				rec, err = r.Next()
			case c.seen > 0:
				rec, err = r.NextWait(c.seen)
			default:
				must(t, w.Flush())
				rec, err = r.NextWait(2 * time.Second)
			}
			if err != nil || string(rec.Payload) != "idle" {
				t.Fatalf("record not visible (FlushDelay %v, waited %v): %v", c.delay, c.seen, err)
			}
		})
	}
	_, err := OpenWriter(filepath.Join(t.TempDir(), "neg.binlog"), &Options{FlushDelay: -2})
	wantCode(t, err, ErrInvalidArgument)
}
