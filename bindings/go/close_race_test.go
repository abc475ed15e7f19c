package binlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
)

// TestReaderCloseRacesCalls closes readers (two closers at once) while
// several goroutines are inside every kind of read call, round after round.
// A call either completes with a correct record or fails with ErrClosed; a
// use of the freed handle or an unmapped segment would crash the process.
// BINLOG_CLOSE_RACE_ROUNDS sets the number of rounds (default 200, 20 with
// -short); `make torture` runs more.
func TestReaderCloseRacesCalls(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenLog(dir, "race", &Options{MaxSegmentRecords: 64})
	must(t, err)
	const records = 2000
	payload := func(seq uint64) []byte { return []byte(fmt.Sprintf("record %06d", seq)) }
	for i := uint64(0); i < records; i++ {
		seq, err := w.Write("t", payload(i))
		must(t, err)
		if seq != i {
			t.Fatalf("seq %d, want %d", seq, i)
		}
	}
	must(t, w.Close())

	rounds := 200
	if testing.Short() {
		rounds = 20
	}
	rounds = envInt(t, "BINLOG_CLOSE_RACE_ROUNDS", rounds)
	for round := 0; round < rounds; round++ {
		r, err := OpenLogReader(dir, "race")
		must(t, err)
		_, err = r.Next() // a log reader has a header once it opened a segment
		must(t, err)
		var (
			wg      sync.WaitGroup
			calls   atomic.Int64
			bad     = make(chan error, 64)
			running sync.WaitGroup
		)
		check := func(seq uint64, p []byte) {
			if !bytes.Equal(p, payload(seq)) {
				bad <- fmt.Errorf("seq %d: payload %q", seq, p)
			}
		}
		for g := 0; g < 6; g++ {
			wg.Add(1)
			running.Add(1)
			go func(g int) {
				defer wg.Done()
				buf := make([]byte, 4096)
				recs := make([]BatchRecord, 16)
				first := true
				for i := 0; ; i++ {
					var err error
					switch (g + i) % 7 {
					case 0:
						var rec *Record
						rec, err = r.Next()
						if err == nil {
							check(rec.Seq, rec.Payload)
						}
					case 1:
						err = r.NextView(func(v View) error {
							check(v.Seq, v.Payload)
							return nil
						})
					case 2:
						n := 0
						err = r.ForEach(func(v View) error {
							check(v.Seq, v.Payload)
							n++
							if n == 10 {
								return io.ErrShortBuffer
							}
							return nil
						})
						if err == io.ErrShortBuffer {
							err = nil
						}
					case 3:
						var n int
						n, err = r.NextBatch(buf, recs)
						for k := 0; k < n; k++ {
							check(recs[k].Seq, recs[k].Payload)
						}
					case 4:
						_, err = r.Header()
					case 5:
						err = r.SeekSeq(uint64((g*131 + i*17) % records))
					case 6:
						_, err = r.Tail()
						if err == nil {
							_, err = r.GapCount()
						}
					}
					if err == io.EOF {
						err = r.SeekSeq(0)
					}
					calls.Add(1)
					if first {
						first = false
						running.Done()
					}
					if errors.Is(err, ErrClosed) {
						return
					}
					if err != nil {
						bad <- err
						return
					}
				}
			}(g)
		}
		running.Wait() // every goroutine is in its loop
		var closers sync.WaitGroup
		for c := 0; c < 2; c++ {
			closers.Add(1)
			go func() {
				defer closers.Done()
				if err := r.Close(); err != nil {
					bad <- fmt.Errorf("close: %w", err)
				}
			}()
		}
		closers.Wait()
		wg.Wait()
		close(bad)
		for err := range bad {
			t.Errorf("round %d: %v", round, err)
		}
		if t.Failed() {
			return
		}
		if _, err := r.Next(); !errors.Is(err, ErrClosed) {
			t.Fatalf("Next after Close: %v, want ErrClosed", err)
		}
		if calls.Load() < 6 {
			t.Fatalf("only %d calls ran", calls.Load())
		}
	}
}
