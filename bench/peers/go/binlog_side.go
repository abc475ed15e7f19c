package main

import (
	"io"
	"path/filepath"

	binlog "github.com/libbinlog/libbinlog/bindings/go"
)

const recType = "rec"

func binlogOpen(dir string, d binlog.Durability) *binlog.Writer {
	w, err := binlog.OpenWriter(filepath.Join(dir, "bench.binlog"), &binlog.Options{Durability: d})
	check(err, "libbinlog open")
	return w
}

func binlogWriteAll(w *binlog.Writer, payload []byte, n int) {
	for i := 0; i < n; i++ {
		_, err := w.Write(recType, payload)
		check(err, "libbinlog write")
	}
}

// binlogAppendOne: one Write per record, then Close (all handed to the OS).
func binlogAppendOne(dir string, payload []byte, n int) float64 {
	return timed(func() {
		w := binlogOpen(dir, binlog.DurabilityNone)
		binlogWriteAll(w, payload, n)
		check(w.Close(), "libbinlog close")
	})
}

// binlogAppendBatched: WritePacked of batch records of one type at a time.
func binlogAppendBatched(dir string, payload []byte, n, batch int) float64 {
	data := make([]byte, 0, batch*len(payload))
	lengths := make([]int, batch)
	for i := range lengths {
		data = append(data, payload...)
		lengths[i] = len(payload)
	}
	return timed(func() {
		w := binlogOpen(dir, binlog.DurabilityNone)
		for left := n; left > 0; left -= batch {
			k := min(left, batch)
			_, err := w.WritePacked(recType, data[:k*len(payload)], lengths[:k])
			check(err, "libbinlog write packed")
		}
		check(w.Close(), "libbinlog close")
	})
}

// binlogReadAll writes n records (not timed), then times opening and
// reading them all with NextBatch.
func binlogReadAll(dir string, payload []byte, n int) float64 {
	w := binlogOpen(dir, binlog.DurabilityNone)
	binlogWriteAll(w, payload, n)
	check(w.Close(), "libbinlog close")
	buf, recs := make([]byte, 1<<20), make([]binlog.BatchRecord, 4096)
	return timed(func() {
		r, err := binlog.OpenReader(filepath.Join(dir, "bench.binlog"))
		check(err, "libbinlog open reader")
		count, bytes := 0, 0
		for {
			k, err := r.NextBatch(buf, recs)
			if err == io.EOF {
				break
			}
			check(err, "libbinlog next batch")
			for i := range recs[:k] {
				bytes += len(recs[i].Payload)
			}
			count += k
		}
		check(r.Close(), "libbinlog close reader")
		if count != n || bytes != n*len(payload) {
			panic("libbinlog read fewer records than written")
		}
	})
}

// binlogAppendDurable: n records with DurabilityEveryRecord over threads
// goroutines (concurrent writes share an fdatasync).
func binlogAppendDurable(dir string, payload []byte, n, threads int) float64 {
	return timed(func() {
		w := binlogOpen(dir, binlog.DurabilityEveryRecord)
		split(n, threads, func(k int) { binlogWriteAll(w, payload, k) })
		check(w.Close(), "libbinlog close")
	})
}
