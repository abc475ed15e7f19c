package binlog

import (
	"errors"
	"path/filepath"
	"runtime"
	"testing"
)

// TestCloseStopsForEach: ForEach over a segment that keeps growing (fn
// itself appends the next record, so the end never comes until it stops)
// must give way to a Close from another goroutine between two records,
// not make Close wait for the whole stream.
func TestCloseStopsForEach(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.binlog")
	w := mustWriter(t, path, nil)
	defer w.Close()
	_, err := w.Write("t", make([]byte, 8))
	must(t, err)
	must(t, w.Flush())
	r, err := OpenReader(path)
	must(t, err)
	const limit = 5000
	var seen, afterClose int
	closed := make(chan error, 1)
	err = r.ForEach(func(v View) error {
		seen++
		if seen == 1 {
			go func() { closed <- r.Close() }()
			for !r.closing.Load() {
				runtime.Gosched() // Close has asked for the reader
			}
		} else {
			afterClose++
		}
		if seen < limit {
			if _, err := w.Write("t", make([]byte, 8)); err != nil {
				return err
			}
			return w.Flush()
		}
		return nil
	})
	must(t, <-closed)
	if afterClose != 0 {
		t.Errorf("ForEach went on for %d records after Close asked for the reader", afterClose)
	}
	if !errors.Is(err, ErrClosed) {
		t.Errorf("ForEach returned %v, want ErrClosed", err)
	}
}
