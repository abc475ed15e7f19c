package binlog

import (
	"io"
	"path/filepath"
	"testing"
	"time"
)

// TestSeekTimeOutsideUnixNanoRange: a time.Time that UnixNano cannot
// represent (before 1678 or after 2262) must seek to the start or the end,
// not to wherever the wrapped int64 happens to land.
func TestSeekTimeOutsideUnixNanoRange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seek.binlog")
	w := mustWriter(t, path, nil)
	for i := 0; i < 3; i++ {
		_, err := w.Write("t", []byte{byte(i)})
		must(t, err)
	}
	must(t, w.Close())
	r := mustReader(t, path)

	for _, tc := range []struct {
		name    string
		at      time.Time
		wantEOF bool
	}{
		{"year 3000", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"year 2500", time.Date(2500, 6, 1, 0, 0, 0, 0, time.UTC), true},
		{"year 1000", time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"zero Time", time.Time{}, false},
	} {
		must(t, r.SeekTime(tc.at))
		rec, err := r.Next()
		if tc.wantEOF {
			if err != io.EOF {
				t.Errorf("SeekTime(%s) then Next: %v, %v; want io.EOF (every record is earlier)", tc.name, rec, err)
			}
			continue
		}
		if err != nil || rec.Seq != 0 {
			t.Errorf("SeekTime(%s) then Next: %v, %v; want the first record", tc.name, rec, err)
		}
	}
}
