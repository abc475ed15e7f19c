package binlog

import (
	"encoding/binary"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSyncWaitSpinGroupCommit: with SyncWaitSpin, writers that wait for
// another goroutine's fdatasync still return only once their record is
// durable, and no record is lost or written twice.
func TestSyncWaitSpinGroupCommit(t *testing.T) {
	const goroutines, perG = 4, 50
	path := filepath.Join(t.TempDir(), "spin.binlog")
	w := mustWriter(t, path, &Options{Durability: DurabilityEveryRecord, SyncWaitSpin: 300 * time.Microsecond})
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < perG; i++ {
				p := make([]byte, 8)
				binary.LittleEndian.PutUint32(p, uint32(g))
				binary.LittleEndian.PutUint32(p[4:], uint32(i))
				seq, err := w.Write("s", p)
				if err != nil {
					t.Error(err)
					return
				}
				durable, err := w.DurableSeq()
				if err != nil {
					t.Error(err)
					return
				}
				if seq >= durable {
					t.Errorf("goroutine %d: Write returned seq %d with DurableSeq %d", g, seq, durable)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	must(t, w.Close())

	seen := make(map[[2]uint32]bool)
	total := 0
	must(t, mustReader(t, path).ForEach(func(v View) error {
		if v.Seq != uint64(total) || len(v.Payload) != 8 {
			t.Fatalf("record %d: seq %d, %d payload bytes", total, v.Seq, len(v.Payload))
		}
		k := [2]uint32{binary.LittleEndian.Uint32(v.Payload), binary.LittleEndian.Uint32(v.Payload[4:])}
		if k[0] >= goroutines || k[1] >= perG || seen[k] {
			t.Fatalf("record %d: goroutine %d write %d out of range or repeated", total, k[0], k[1])
		}
		seen[k] = true
		total++
		return nil
	}))
	if total != goroutines*perG {
		t.Fatalf("read %d records, want %d", total, goroutines*perG)
	}
}

// TestSyncWaitSpinLimit: the library refuses a spin over 10 ms, naming the
// option; the binding refuses what it cannot pass as uint32 microseconds
// instead of wrapping it into an accepted value.
func TestSyncWaitSpinLimit(t *testing.T) {
	dir := t.TempDir()
	open := func(name string, spin time.Duration) error {
		w, err := OpenWriter(filepath.Join(dir, name), &Options{Durability: DurabilityEveryRecord, SyncWaitSpin: spin})
		if err == nil {
			_, err = w.Write("t", []byte("x"))
			must(t, w.Close())
		}
		return err
	}

	err := open("over.binlog", 10*time.Millisecond+time.Microsecond)
	wantCode(t, err, ErrInvalidArgument)
	if !strings.Contains(err.Error(), "sync_wait_spin") {
		t.Fatalf("message %q should name sync_wait_spin", err)
	}
	must(t, open("max.binlog", 10*time.Millisecond))

	// Rounded up to whole microseconds: 1 ns past the limit is over it.
	wantCode(t, open("ns.binlog", 10*time.Millisecond+time.Nanosecond), ErrInvalidArgument)
	wantCode(t, open("neg.binlog", -time.Microsecond), ErrInvalidArgument)
	// 2^32 us would wrap to 0 (accepted) if narrowed unchecked.
	wantCode(t, open("wrap.binlog", (math.MaxUint32+1)*time.Microsecond), ErrInvalidArgument)
	_, err = OpenLog(dir, "lg", &Options{SyncWaitSpin: 20 * time.Millisecond})
	wantCode(t, err, ErrInvalidArgument)
}
