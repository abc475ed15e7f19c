package binlog

import (
	"path/filepath"
	"testing"
	"time"
)

// TestFlushDelayHandsIdleRecordsToTheOS: a writer that idles after a write
// hands the record to the OS within its FlushDelay (a reader of the file
// sees it, without a Flush), at once with FlushAtOnce, and only on Flush
// with FlushWhenFull; a negative FlushDelay other than FlushAtOnce is
// refused.
func TestFlushDelayHandsIdleRecordsToTheOS(t *testing.T) {
	for _, c := range []struct {
		name  string
		delay time.Duration
		seen  bool // within 2 s, without a flush
	}{
		{"default", 0, true},
		{"30ms", 30 * time.Millisecond, true},
		{"at-once", FlushAtOnce, true},
		{"when-full", FlushWhenFull, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "delay.binlog")
			w := mustWriter(t, path, &Options{FlushDelay: c.delay})
			defer w.Close()
			if _, err := w.Write("t", []byte("idle")); err != nil {
				t.Fatal(err)
			}
			r := mustReader(t, path)
			wait := 2 * time.Second
			if !c.seen {
				wait = 200 * time.Millisecond
			}
			rec, err := r.NextWait(wait)
			if c.seen && (err != nil || string(rec.Payload) != "idle") {
				t.Fatalf("record not visible within %v: %v", wait, err)
			}
			if !c.seen {
				if err == nil {
					t.Fatalf("FlushWhenFull: record %d visible before a flush", rec.Seq)
				}
				must(t, w.Flush())
				if rec, err := r.NextWait(2 * time.Second); err != nil || string(rec.Payload) != "idle" {
					t.Fatalf("after Flush: %v", err)
				}
			}
		})
	}
	_, err := OpenWriter(filepath.Join(t.TempDir(), "neg.binlog"), &Options{FlushDelay: -2})
	wantCode(t, err, ErrInvalidArgument)
}
