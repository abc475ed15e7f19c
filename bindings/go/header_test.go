package binlog

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"
)

// TestHeaderSegment: every header option given to OpenWriter reads back
// through Reader.Header, before and after reading records, and the copy
// outlives the reader.
func TestHeaderSegment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hdr.binlog")
	created := time.Unix(0, 1700000000123456789)
	params := []KeyValue{{"host", "db-7"}, {"schema", ""}, {"région", "zürich ✓"}, {"host", "dup"}}
	w := mustWriter(t, path, &Options{
		LogName:     "orders",
		ContentType: "application/json",
		Params:      params,
		SegmentNo:   42,
		FirstSeq:    1000,
		Created:     created,
	})
	for i := 0; i < 3; i++ {
		_, err := w.Write("t", []byte{byte(i)})
		must(t, err)
	}
	must(t, w.Close())

	r := mustReader(t, path)
	check := func(when string, h *Header) {
		t.Helper()
		if h.Major != FormatMajor {
			t.Errorf("%s: Major %d, want %d", when, h.Major, FormatMajor)
		}
		if h.CreatedNs != created.UnixNano() || !h.Created().Equal(created) {
			t.Errorf("%s: created %d (%v), want %d", when, h.CreatedNs, h.Created(), created.UnixNano())
		}
		if h.SegmentNo != 42 || h.FirstSeq != 1000 {
			t.Errorf("%s: SegmentNo %d FirstSeq %d, want 42 1000", when, h.SegmentNo, h.FirstSeq)
		}
		if h.LogName != "orders" || h.ContentType != "application/json" {
			t.Errorf("%s: LogName %q ContentType %q", when, h.LogName, h.ContentType)
		}
		if want := "libbinlog/" + Version(); h.Writer != want {
			t.Errorf("%s: Writer %q, want %q", when, h.Writer, want)
		}
		if !reflect.DeepEqual(h.Params, params) {
			t.Errorf("%s: Params %q, want %q", when, h.Params, params)
		}
		if v, ok := h.Param("host"); !ok || v != "db-7" {
			t.Errorf("%s: Param(host) = %q %v, want the first one", when, v, ok)
		}
		if v, ok := h.Param("schema"); !ok || v != "" {
			t.Errorf("%s: Param(schema) = %q %v", when, v, ok)
		}
		if _, ok := h.Param("missing"); ok {
			t.Errorf("%s: Param(missing) found", when)
		}
	}

	// A segment reader has its header before the first record.
	first, err := r.Header()
	must(t, err)
	check("before Next", first)
	for i := 0; ; i++ {
		rec, err := r.Next()
		if err == io.EOF {
			if i != 3 {
				t.Fatalf("%d records, want 3", i)
			}
			break
		}
		must(t, err)
		if rec.Seq != 1000+uint64(i) {
			t.Fatalf("record %d: seq %d, want %d", i, rec.Seq, 1000+i)
		}
		h, err := r.Header()
		must(t, err)
		check(fmt.Sprintf("after record %d", i), h)
	}
	h, err := r.Header()
	must(t, err)
	check("at EOF", h)
	must(t, r.Close())
	// Copies: valid after later calls and after Close.
	check("first header after Close", first)
	check("last header after Close", h)
}

// TestHeaderDefaults: a segment written without header options.
func TestHeaderDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain.binlog")
	before := time.Now()
	w := mustWriter(t, path, nil)
	_, err := w.Write("t", nil)
	must(t, err)
	must(t, w.Close())
	after := time.Now()

	h, err := mustReader(t, path).Header()
	must(t, err)
	if h.Major != FormatMajor || h.SegmentNo != 0 || h.FirstSeq != 0 {
		t.Errorf("Major %d SegmentNo %d FirstSeq %d, want %d 0 0", h.Major, h.SegmentNo, h.FirstSeq, FormatMajor)
	}
	if h.LogName != "" || h.ContentType != "" || h.Params != nil {
		t.Errorf("LogName %q ContentType %q Params %#v, want empty and nil", h.LogName, h.ContentType, h.Params)
	}
	if h.Writer != "libbinlog/"+Version() {
		t.Errorf("Writer %q", h.Writer)
	}
	// Created defaults to now (allow for clock granularity).
	if c := h.Created(); c.Before(before.Add(-time.Second)) || c.After(after.Add(time.Second)) {
		t.Errorf("Created %v, not between %v and %v", c, before, after)
	}
}

// writeTicks writes n records to a log rolling every 10 records.
func writeTicks(t *testing.T, dir string, n int) {
	t.Helper()
	w, err := OpenLog(dir, "ticks", &Options{
		MaxSegmentRecords: 10,
		ContentType:       "text/plain",
		Params:            []KeyValue{{"env", "test"}},
	})
	must(t, err)
	for i := 0; i < n; i++ {
		seq, err := w.Write("t", []byte("y"))
		must(t, err)
		if seq != uint64(i) {
			t.Fatalf("seq %d, want %d", seq, i)
		}
	}
	must(t, w.Close())
}

// TestHeaderRollingLog: a log (or glob) reader read record by record gives
// the header of each record's own segment, and ErrNotFound before the
// first record.
func TestHeaderRollingLog(t *testing.T) {
	const total = 35
	dir := t.TempDir()
	writeTicks(t, dir, total)

	open := map[string]func() (*Reader, error){
		"log":  func() (*Reader, error) { return OpenLogReader(dir, "ticks") },
		"glob": func() (*Reader, error) { return OpenGlob(dir, "ticks-*.binlog") },
	}
	for name, open := range open {
		t.Run(name, func(t *testing.T) {
			r, err := open()
			must(t, err)
			defer r.Close()

			_, err = r.Header()
			wantCode(t, err, ErrNotFound)
			if !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("%v should match fs.ErrNotExist", err)
			}
			// The failed call changed nothing: reading starts at seq 0.
			n := uint64(0)
			for {
				rec, err := r.Next()
				if err == io.EOF {
					break
				}
				must(t, err)
				if rec.Seq != n {
					t.Fatalf("record %d: seq %d", n, rec.Seq)
				}
				h, err := r.Header()
				must(t, err)
				if h.SegmentNo != n/10 || h.FirstSeq != n/10*10 {
					t.Fatalf("record %d: SegmentNo %d FirstSeq %d, want %d %d", n, h.SegmentNo, h.FirstSeq, n/10, n/10*10)
				}
				if h.LogName != "ticks" || h.ContentType != "text/plain" || h.Major != FormatMajor ||
					h.Writer != "libbinlog/"+Version() {
					t.Fatalf("record %d: header %+v", n, h)
				}
				if !reflect.DeepEqual(h.Params, []KeyValue{{"env", "test"}}) {
					t.Fatalf("record %d: Params %q", n, h.Params)
				}
				n++
			}
			if n != total {
				t.Fatalf("%d records, want %d", n, total)
			}
			// At the end: still the last segment's header.
			h, err := r.Header()
			must(t, err)
			if h.SegmentNo != (total-1)/10 || h.FirstSeq != (total-1)/10*10 {
				t.Fatalf("at EOF: SegmentNo %d FirstSeq %d", h.SegmentNo, h.FirstSeq)
			}
		})
	}
}

// TestHeaderConcurrent: Header from several goroutines while another reads
// across segment boundaries; each header is a consistent copy (run with
// -race).
func TestHeaderConcurrent(t *testing.T) {
	const total = 2000
	dir := t.TempDir()
	writeTicks(t, dir, total)
	r, err := OpenLogReader(dir, "ticks")
	must(t, err)
	defer r.Close()

	done := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				h, err := r.Header()
				if errors.Is(err, ErrNotFound) {
					continue
				}
				if err != nil {
					t.Errorf("Header: %v", err)
					return
				}
				if h.FirstSeq != h.SegmentNo*10 || h.LogName != "ticks" || h.ContentType != "text/plain" ||
					len(h.Params) != 1 || h.Params[0] != (KeyValue{"env", "test"}) {
					t.Errorf("inconsistent header %+v", h)
					return
				}
			}
		}()
	}
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Error(err)
			break
		}
		n++
	}
	close(done)
	wg.Wait()
	if n != total {
		t.Fatalf("%d records, want %d", n, total)
	}
}

// TestHeaderClosed: Header on a closed reader is ErrClosed (segment and
// log readers alike).
func TestHeaderClosed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.binlog")
	w := mustWriter(t, path, nil)
	must(t, w.Close())
	writeTicks(t, dir, 5)

	r, err := OpenReader(path)
	must(t, err)
	lr, err := OpenLogReader(dir, "ticks")
	must(t, err)
	_, err = lr.Next()
	must(t, err)
	for _, r := range []*Reader{r, lr} {
		_, err = r.Header()
		must(t, err)
		must(t, r.Close())
		h, err := r.Header()
		if h != nil {
			t.Fatalf("Header after Close returned %+v", h)
		}
		wantCode(t, err, ErrClosed)
		if !errors.Is(err, fs.ErrClosed) {
			t.Fatalf("%v should match fs.ErrClosed", err)
		}
	}
}
