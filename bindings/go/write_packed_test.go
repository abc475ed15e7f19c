package binlog

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// packed returns data holding n records, record i being i%5 bytes of
// value i, and their lengths.
func packed(n int) (data []byte, lengths []int) {
	for i := range n {
		lengths = append(lengths, i%5)
		data = append(data, bytes.Repeat([]byte{byte(i)}, i%5)...)
	}
	return data, lengths
}

func TestWritePackedWritesEachRecordOfTheBufferInOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.binlog")
	w := mustWriter(t, path, nil)
	data, lengths := packed(100)
	_, err := w.Write("before", []byte{1})
	must(t, err)
	first, err := w.WritePacked("tick", append(data, 0xee, 0xee), lengths) // bytes after the records are ignored
	must(t, err)
	if first != 1 {
		t.Fatalf("WritePacked returned first seq %d, want 1", first)
	}
	must(t, w.Close())
	recs := readAll(t, mustReader(t, path))
	if len(recs) != 101 {
		t.Fatalf("read %d records, want 101", len(recs))
	}
	for i, rec := range recs[1:] {
		want := bytes.Repeat([]byte{byte(i)}, i%5)
		if rec.Seq != uint64(i+1) || rec.Type != "tick" || !bytes.Equal(rec.Payload, want) {
			t.Fatalf("record %d = seq %d type %q payload %v, want seq %d tick %v", i, rec.Seq, rec.Type, rec.Payload, i+1, want)
		}
	}
}

func TestWritePackedRefusesLengthsThatDoNotFitAndWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.binlog")
	w := mustWriter(t, path, nil)
	defer w.Close()
	for _, lengths := range [][]int{{2, 2}, {1, -1}, {4}} {
		_, err := w.WritePacked("t", []byte{1, 2, 3}, lengths)
		wantErr(t, fmt.Sprint("WritePacked ", lengths), err, ErrInvalidArgument, "does not fit", "no record of this call was written")
	}
	next, err := w.NextSeq()
	must(t, err)
	if next != 0 {
		t.Fatalf("after refused batches NextSeq = %d, want 0", next)
	}
	if first, err := w.WritePacked("t", nil, nil); err != nil || first != 0 {
		t.Fatalf("an empty WritePacked = (%d, %v), want (NextSeq 0, nil)", first, err)
	}
}

func TestWritePackedAllocatesNothingOnceWarm(t *testing.T) {
	w := mustWriter(t, filepath.Join(t.TempDir(), "p.binlog"), nil)
	defer w.Close()
	data, lengths := packed(256)
	allocs := testing.AllocsPerRun(50, func() {
		if _, err := w.WritePacked("tick", data, lengths); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("WritePacked allocated %v times per call, want 0", allocs)
	}
}

func TestWritePackedFromManyGoroutinesWritesEveryRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.binlog")
	w := mustWriter(t, path, nil)
	data, lengths := packed(50)
	const goroutines, rounds = 8, 20
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				if _, err := w.WritePacked("tick", data, lengths); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	must(t, w.Close())
	recs := readAll(t, mustReader(t, path))
	if len(recs) != goroutines*rounds*50 {
		t.Fatalf("read %d records, want %d", len(recs), goroutines*rounds*50)
	}
	for i, rec := range recs {
		if j := i % 50; len(rec.Payload) != j%5 { // each batch is written whole, in one piece
			t.Fatalf("record %d has %d bytes, want %d (batches interleaved?)", i, len(rec.Payload), j%5)
		}
	}
}

// BenchmarkWritePacked32B: BenchmarkWriteBatch32B's records through
// WritePacked (one type, no C allocation or copy); one op is one record.
func BenchmarkWritePacked32B(b *testing.B) {
	const size, batch = 32, 1024
	w := benchWriter(b)
	data := make([]byte, size*batch)
	lengths := make([]int, batch)
	for i := range lengths {
		lengths[i] = size
	}
	benchBatches(b, w, size, batch, func(k int) error {
		_, err := w.WritePacked("tick", data, lengths[:k])
		return err
	})
}
