package binlog

// Helpers the test files share: opening writers and readers that fail the
// test on an error, reading every record, a size knob from the environment,
// checking an error's code and message, and following or closing a reader
// that waits for records.

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

func mustWriter(t testing.TB, path string, opts *Options) *Writer {
	t.Helper()
	w, err := OpenWriter(path, opts)
	if err != nil {
		t.Fatalf("OpenWriter(%s): %v", path, err)
	}
	return w
}

func mustReader(t testing.TB, path string) *Reader {
	t.Helper()
	r, err := OpenReader(path)
	if err != nil {
		t.Fatalf("OpenReader(%s): %v", path, err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// readAll reads every record with Next until io.EOF.
func readAll(t testing.TB, r *Reader) []*Record {
	t.Helper()
	var out []*Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next after %d records: %v", len(out), err)
		}
		out = append(out, rec)
	}
}

// wantCode is wantErr without needles.
func wantCode(t testing.TB, err error, code Code) {
	t.Helper()
	wantErr(t, "error", err, code)
}

// envInt is the whole number in environment variable name (a test's size
// knob, which `make torture` raises), or def when it is unset.
func envInt(t testing.TB, name string, def int) int {
	t.Helper()
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a whole number above 0", name, v)
	}
	return n
}

// wantErr checks that err is an *Error with code (errors.Is matches it)
// and a non-empty message that contains every needle; what names the call.
func wantErr(t testing.TB, what string, err error, code Code, needles ...string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %v (%T), want an *Error with code %v", what, err, err, code)
	}
	if e.Code != code || !errors.Is(err, code) {
		t.Fatalf("%s: code %v (%d), want %v (%d): %v", what, e.Code, uint32(e.Code), code, uint32(code), err)
	}
	if e.Message == "" {
		t.Fatalf("%s: %v has an empty message", what, err)
	}
	for _, n := range needles {
		if !strings.Contains(e.Message, n) {
			t.Fatalf("%s: message %q does not contain %q", what, e.Message, n)
		}
	}
}

// closeEndsWait starts wait (a call waiting up to an hour for a record) in
// a goroutine, closes r, and checks that the wait returns ErrClosed: Close
// ended it (the minute allowed bounds a hang only).
func closeEndsWait(t *testing.T, r *Reader, what string, wait func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- wait() }()
	time.Sleep(50 * time.Millisecond) // the wait has likely begun
	must(t, r.Close())
	select {
	case err := <-done:
		wantCode(t, err, ErrClosed)
	case <-time.After(time.Minute):
		t.Fatalf("%s did not return after Close", what)
	}
}

// writeLive writes records "0", "1", ... "n-1" of type "e" to w from a
// goroutine, pausing 1 ms every 10 records and rolling after record 333, so
// that a follower waits for records and crosses a roll. The channel yields
// the first error and closes when done.
//
// If the test ends early (a failed check), its cleanup closes w, which
// stops the goroutine, and waits for the goroutine before t.TempDir's
// cleanup (registered earlier, so run later) removes the log: a writer
// still rolling there would make that removal fail ("directory not
// empty") and leave the directory behind, still growing.
func writeLive(t testing.TB, w *Writer, n int) <-chan error {
	errc := make(chan error, 1)
	done := make(chan struct{})
	t.Cleanup(func() {
		w.Close()
		<-done
	})
	go func() {
		defer close(done)
		defer close(errc)
		for i := 0; i < n; i++ {
			if _, err := w.Write("e", []byte(strconv.Itoa(i))); err != nil {
				errc <- err
				return
			}
			if i%10 == 9 {
				time.Sleep(time.Millisecond)
			}
			if i == 333 {
				if err := w.Roll(); err != nil {
					errc <- err
					return
				}
			}
		}
	}()
	return errc
}
