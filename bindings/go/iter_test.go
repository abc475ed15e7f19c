//go:build go1.23

package binlog

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

func writeN(t *testing.T, w *Writer, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if _, err := w.Write("t", fmt.Appendf(nil, "r%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	must(t, w.Flush())
}

// sealedReader writes n records to a new segment, closes it and opens a
// reader of it.
func sealedReader(t *testing.T, n int) *Reader {
	t.Helper()
	path := filepath.Join(t.TempDir(), "a.binlog")
	w := mustWriter(t, path, nil)
	writeN(t, w, 0, n)
	must(t, w.Close())
	return mustReader(t, path)
}

func TestAllYieldsEveryRecordInOrderThenEnds(t *testing.T) {
	r := sealedReader(t, 5)
	var got []string
	for rec, err := range r.All() {
		must(t, err)
		got = append(got, fmt.Sprintf("%d:%s", rec.Seq, rec.Payload))
	}
	if want := "[0:r0 1:r1 2:r2 3:r3 4:r4]"; fmt.Sprint(got) != want {
		t.Fatalf("All yielded %v, want %s", got, want)
	}
}

func TestBreakingOutOfAllConsumesNoFurtherRecord(t *testing.T) {
	r := sealedReader(t, 3)
	for rec, err := range r.All() {
		must(t, err)
		if rec.Seq != 0 {
			t.Fatalf("first record has seq %d", rec.Seq)
		}
		break
	}
	rec, err := r.Next()
	must(t, err)
	if rec.Seq != 1 {
		t.Fatalf("after a break at seq 0, Next returned seq %d, want 1", rec.Seq)
	}
}

func TestAllYieldsAnErrorOnceAndEnds(t *testing.T) {
	r := sealedReader(t, 2)
	must(t, r.Close())
	yields := 0
	for rec, err := range r.All() {
		yields++
		if rec != nil || !errors.Is(err, ErrClosed) {
			t.Fatalf("All on a closed reader yielded (%v, %v), want (nil, ErrClosed)", rec, err)
		}
	}
	if yields != 1 {
		t.Fatalf("All on a closed reader yielded %d times, want 1", yields)
	}
}

func TestFollowYieldsRecordsWrittenAfterItStartsThenTheContextsError(t *testing.T) {
	dir := t.TempDir()
	w, err := OpenLog(dir, "f", &Options{FlushDelay: FlushAtOnce})
	must(t, err)
	defer w.Close()
	r, err := OpenLogReader(dir, "f")
	must(t, err)
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		time.Sleep(20 * time.Millisecond)
		for i := range 3 {
			if _, err := w.Write("t", []byte{byte(i)}); err != nil {
				t.Error(err)
			}
		}
	}()
	var seqs []uint64
	var last error
	for rec, err := range r.Follow(ctx) {
		if err != nil {
			last = err
			continue // Follow ends after yielding an error
		}
		if seqs = append(seqs, rec.Seq); len(seqs) == 3 {
			cancel()
		}
	}
	if fmt.Sprint(seqs) != "[0 1 2]" || !errors.Is(last, context.Canceled) {
		t.Fatalf("Follow yielded seqs %v then %v, want [0 1 2] then context.Canceled", seqs, last)
	}
}

func TestNextContextReturnsWhenTheContextIsCancelled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idle.binlog")
	w := mustWriter(t, path, nil)
	defer w.Close()
	r := mustReader(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	// Nothing is ever written: returning at all is the cancel's doing.
	rec, err := r.NextContext(ctx)
	if rec != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("NextContext = (%v, %v), want (nil, context.Canceled)", rec, err)
	}
}

func TestNextContextReturnsARecordAlreadyThereEvenWithADoneContext(t *testing.T) {
	r := sealedReader(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec, err := r.NextContext(ctx)
	if err != nil || rec.Seq != 0 {
		t.Fatalf("NextContext(done ctx) = (%v, %v), want the record there", rec, err)
	}
	if _, err := r.NextContext(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("NextContext(done ctx) at the end = %v, want context.Canceled", err)
	}
}

func TestNextBatchContextEndsAtTheContextsDeadline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.binlog")
	w := mustWriter(t, path, nil)
	defer w.Close()
	writeN(t, w, 0, 2)
	r := mustReader(t, path)
	buf, recs := make([]byte, 4096), make([]BatchRecord, 8)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	n, err := r.NextBatchContext(ctx, buf, recs)
	if err != nil || n != 2 || recs[1].Seq != 1 {
		t.Fatalf("NextBatchContext = (%d, %v), want the 2 records written", n, err)
	}
	n, err = r.NextBatchContext(ctx, buf, recs)
	if n != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("NextBatchContext with nothing written = (%d, %v), want (0, context.DeadlineExceeded)", n, err)
	}
}
