package binlog

// The read calls that hand a record to the caller's callback or storage
// (NextView, ForEach, NextInto): a View is live only during its callback,
// a nil callback or record is refused before anything is read, and an
// empty read is io.EOF.

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// mustPanic runs f and returns the message of the panic it raises, failing
// the test if it returns normally.
func mustPanic(t *testing.T, what string, f func()) (msg string) {
	t.Helper()
	defer func() {
		v := recover()
		if v == nil {
			t.Errorf("%s: returned normally, want a panic", what)
			return
		}
		msg = fmt.Sprint(v)
	}()
	f()
	return ""
}

// liveSegment writes records 0..n-1 of type "m" to an unsealed segment
// (the writer stays open), each with one metadata entry k=value-<i> and
// payload payload-<i>, and returns the path and the writer.
func liveSegment(t *testing.T, n int) (string, *Writer) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "live.binlog")
	w := mustWriter(t, p, nil)
	t.Cleanup(func() { w.Close() })
	for i := 0; i < n; i++ {
		_, err := w.WriteEntry(Entry{Type: "m", Payload: []byte(fmt.Sprintf("payload-%d", i)),
			Metadata: []KeyValue{{"k", fmt.Sprintf("value-%d%s", i, strings.Repeat("x", i*7))}}})
		must(t, err)
	}
	must(t, w.Flush())
	return p, w
}

// TestKeptViewIsRefusedAfterItsCallback: a View (NextView, ForEach) points
// into the reader's memory for the current record, which the next record
// replaces and Close frees. Its accessors work during its callback; after
// it they refuse with a panic that says why, rather than show a later
// record's metadata or read freed memory.
func TestKeptViewIsRefusedAfterItsCallback(t *testing.T) {
	p, _ := liveSegment(t, 4)
	r := mustReader(t, p)

	var kept View
	must(t, r.NextView(func(v View) error {
		k, val := v.MetaAt(0)
		if string(k) != "k" || string(val) != "value-0" {
			t.Errorf("in the callback: meta %q=%q, want k=value-0", k, val)
		}
		if rec := v.Record(); rec.Seq != 0 || string(rec.Payload) != "payload-0" || rec.Metadata[0].Value != "value-0" {
			t.Errorf("in the callback: Record %+v", rec)
		}
		kept = v
		return nil
	}))
	// The next record replaces the reader's current one.
	must(t, r.NextView(func(v View) error { return nil }))

	var got string
	msg := mustPanic(t, "MetaAt of a kept View", func() { _, val := kept.MetaAt(0); got = string(val) })
	if got != "" && got != "value-0" {
		t.Errorf("kept View of record 0 shows metadata %q (a later record's)", got)
	}
	if msg != "" && !strings.Contains(msg, "after its callback returned") {
		t.Errorf("panic %q does not say the View outlived its callback", msg)
	}
	mustPanic(t, "Meta of a kept View", func() { kept.Meta("k") })
	mustPanic(t, "Record of a kept View", func() { kept.Record() })

	// ForEach: every view is live in its own callback, stale after it.
	var views []View
	must(t, r.ForEach(func(v View) error {
		if val, ok := v.Meta("k"); !ok || !strings.HasPrefix(string(val), fmt.Sprintf("value-%d", v.Seq)) {
			t.Errorf("ForEach: record %d: meta %q", v.Seq, val)
		}
		views = append(views, v)
		return nil
	}))
	if len(views) != 2 {
		t.Fatalf("ForEach saw %d records, want 2", len(views))
	}
	mustPanic(t, "MetaAt of a View kept from ForEach", func() { views[0].MetaAt(0) })

	// After Close the memory behind a kept view is freed: still refused,
	// not read.
	must(t, r.Close())
	runtime.GC()
	mustPanic(t, "MetaAt of a kept View after Close", func() { views[1].MetaAt(0) })
	mustPanic(t, "Record of a kept View after Close", func() { views[1].Record() })

	// The zero View has no reader: Record works, MetaAt is out of range.
	if rec := (View{}).Record(); rec.Seq != 0 || rec.Payload == nil {
		t.Errorf("zero View Record: %+v", rec)
	}
}

// TestKeptViewsAreRefusedInOtherGoroutines: kept Views used from other
// goroutines while the reader goes on reading are every one refused (a
// View is live only during its callback), and the check races nothing
// (go test -race).
func TestKeptViewsAreRefusedInOtherGoroutines(t *testing.T) {
	p, w := liveSegment(t, 1)
	for i := 1; i < 400; i++ {
		_, err := w.WriteEntry(Entry{Type: "m", Metadata: []KeyValue{{"k", "v"}}})
		must(t, err)
	}
	must(t, w.Flush())
	r := mustReader(t, p)
	var kept []View
	stop := errors.New("stop")
	if err := r.ForEach(func(v View) error {
		kept = append(kept, v)
		if len(kept) == 100 {
			return stop
		}
		return nil
	}); err != stop {
		t.Fatalf("ForEach: %v", err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		stale int
	)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, v := range kept {
				func() {
					defer func() {
						if recover() != nil {
							mu.Lock()
							stale++
							mu.Unlock()
						}
					}()
					v.MetaAt(0)
				}()
			}
		}()
	}
	// Meanwhile the reader reads the rest.
	n := 0
	must(t, r.ForEach(func(v View) error {
		if _, ok := v.Meta("k"); !ok {
			t.Errorf("record %d: no metadata in its own callback", v.Seq)
		}
		n++
		return nil
	}))
	wg.Wait()
	if n != 300 || stale != 4*len(kept) {
		t.Errorf("read %d more records (want 300); %d of %d uses of kept Views refused", n, stale, 4*len(kept))
	}
}

// TestNilRecordOrCallbackIsRefusedBeforeReading: NextInto(nil),
// NextView(nil) and ForEach(nil) return ErrInvalidArgument naming the nil,
// without a panic and before any record is read (none is lost).
func TestNilRecordOrCallbackIsRefusedBeforeReading(t *testing.T) {
	p, _ := liveSegment(t, 2)
	r := mustReader(t, p)
	calls := []struct {
		what string
		f    func() error
	}{
		{"NextInto(nil)", func() error { return r.NextInto(nil) }},
		{"NextView(nil)", func() error { return r.NextView(nil) }},
		{"ForEach(nil)", func() error { return r.ForEach(nil) }},
	}
	for _, c := range calls {
		var err error
		func() {
			defer func() {
				if v := recover(); v != nil {
					t.Errorf("%s panicked: %v", c.what, v)
				}
			}()
			err = c.f()
		}()
		wantErr(t, c.what, err, ErrInvalidArgument, "nil")
	}
	rec, err := r.Next()
	must(t, err)
	if rec.Seq != 0 {
		t.Fatalf("after the refused calls Next returned seq %d, want 0 (records were consumed)", rec.Seq)
	}
}

// TestEmptySegmentIsEOFForNextViewAndNextInto: on a segment with no
// record, NextView (without calling its callback) and NextInto return
// io.EOF, not an error.
func TestEmptySegmentIsEOFForNextViewAndNextInto(t *testing.T) {
	p, _ := liveSegment(t, 0)
	r := mustReader(t, p)
	if err := r.NextView(func(View) error { return errors.New("called") }); err != io.EOF {
		t.Fatalf("NextView on an empty segment: %v, want io.EOF", err)
	}
	var rec Record
	if err := r.NextInto(&rec); err != io.EOF {
		t.Fatalf("NextInto on an empty segment: %v, want io.EOF", err)
	}
}
