package binlog

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
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

// A View kept past its callback (NextView, ForEach) pointed into the
// reader's memory for the current record: its metadata showed the next
// record's (silently wrong data), and after Close MetaAt read freed memory
// (a panic "unsafe.Slice: len out of range", or garbage). Its accessors now
// refuse a stale View with a panic that says why, and work unchanged
// during the callback.
func TestReview16KeptViewIsRefused(t *testing.T) {
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

// Kept Views checked from other goroutines while the reader goes on
// reading: every one is refused (a View is live only during its callback),
// and the check races nothing (go test -race).
func TestReview16KeptViewAcrossGoroutines(t *testing.T) {
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

// NextInto(nil), NextView(nil) and ForEach(nil) consumed a record and then
// panicked on the nil (the record lost). They are refused now, before any
// record is read.
func TestReview16NilRecordOrCallback(t *testing.T) {
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

// OpenLog refused FirstSeq, saying the C ABI has no setter for a new log's
// first sequence number; binlog_writer_open_log takes it from
// binlog_options_set_first_seq. A new log now starts at FirstSeq; Created
// (which the docs said OpenLog ignores, while the library refused it with
// a message naming no Go field) is refused naming Created.
func TestReview16OpenLogFirstSeqAndCreated(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenLog(dir, "lg", &Options{FirstSeq: 1000, MaxSegmentRecords: 3})
	if err != nil {
		t.Fatalf("OpenLog with FirstSeq: %v", err)
	}
	for i := 0; i < 5; i++ {
		seq, err := w.Write("t", []byte{byte(i)})
		must(t, err)
		if seq != 1000+uint64(i) {
			t.Fatalf("write %d of a new log with FirstSeq 1000 got seq %d", i, seq)
		}
	}
	must(t, w.Close())
	r, err := OpenLogReader(dir, "lg")
	must(t, err)
	defer r.Close()
	for i := 0; i < 5; i++ {
		rec, err := r.Next()
		must(t, err)
		if rec.Seq != 1000+uint64(i) || rec.Payload[0] != byte(i) {
			t.Fatalf("record %d read back as seq %d payload %v", i, rec.Seq, rec.Payload)
		}
	}
	h, err := r.Header()
	must(t, err)
	if h.FirstSeq != 1003 || h.SegmentNo != 1 {
		t.Errorf("second segment's header: first seq %d, segment %d; want 1003, 1", h.FirstSeq, h.SegmentNo)
	}

	_, err = OpenLog(dir, "lg2", &Options{Created: time.Unix(1, 0)})
	wantErr(t, "OpenLog with Created", err, ErrInvalidArgument, "Created")
}

// Negative durations and buffer sizes were taken silently: Retention.MaxAge
// < 0 as no age limit, BufferSize < -1 as Unbuffered; SyncInterval < 0 was
// refused as "needs a non-zero period". Each is now refused naming the
// field and the value.
func TestReview16NegativeOptions(t *testing.T) {
	dir := t.TempDir()
	_, err := OpenLog(dir, "neg", &Options{Retention: Retention{MaxAge: -time.Hour}})
	wantErr(t, "Retention.MaxAge -1h", err, ErrInvalidArgument, "MaxAge", "-1h0m0s")
	_, err = OpenWriter(filepath.Join(dir, "i.binlog"), &Options{Durability: DurabilityInterval, SyncInterval: -time.Second})
	wantErr(t, "SyncInterval -1s", err, ErrInvalidArgument, "SyncInterval", "-1s")
	_, err = OpenWriter(filepath.Join(dir, "b.binlog"), &Options{BufferSize: -5})
	wantErr(t, "BufferSize -5", err, ErrInvalidArgument, "BufferSize", "-5")
	// Nothing was created by the refused opens.
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 0 {
		t.Errorf("refused opens left %v", m)
	}
	// The valid edges still work.
	w, err := OpenWriter(filepath.Join(dir, "ok.binlog"), &Options{BufferSize: Unbuffered,
		Durability: DurabilityInterval, SyncInterval: time.Nanosecond})
	must(t, err)
	must(t, w.Close())
	wl, err := OpenLog(dir, "ok", &Options{Retention: Retention{MaxAge: time.Nanosecond, MaxSegments: 3}})
	must(t, err)
	must(t, wl.Close())
}

// Sanity for the refusals above: an empty read stays io.EOF, not an error.
func TestReview16NilChecksDoNotChangeEOF(t *testing.T) {
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
