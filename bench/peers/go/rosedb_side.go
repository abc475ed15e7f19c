package main

import (
	"io"

	rwal "github.com/rosedblabs/wal"
)

// rosedblabs/wal: Write is safe from many goroutines; Sync makes every
// write call fsync (the durable rows).
var rosedbPeer = peer{
	name:             "rosedblabs/wal v1.3.8",
	concurrentWrites: true,
	appendOne: func(dir string, payload []byte, n int) float64 {
		return timed(func() { rosedbWriteAll(dir, payload, n, 1, false) })
	},
	appendBatched: rosedbAppendBatched,
	readAll:       rosedbReadAll,
	appendDurable: func(dir string, payload []byte, n, threads int) float64 {
		return timed(func() { rosedbWriteAll(dir, payload, n, threads, true) })
	},
}

func rosedbOpen(dir string, sync bool) *rwal.WAL {
	opts := rwal.DefaultOptions
	opts.DirPath, opts.Sync = dir, sync
	w, err := rwal.Open(opts)
	check(err, "rosedblabs/wal open")
	return w
}

func rosedbWriteAll(dir string, payload []byte, n, threads int, sync bool) {
	w := rosedbOpen(dir, sync)
	split(n, threads, func(k int) {
		for i := 0; i < k; i++ {
			_, err := w.Write(payload)
			check(err, "rosedblabs/wal write")
		}
	})
	check(w.Close(), "rosedblabs/wal close")
}

// rosedbAppendBatched: PendingWrites of batch records, then WriteAll.
func rosedbAppendBatched(dir string, payload []byte, n, batch int) float64 {
	return timed(func() {
		w := rosedbOpen(dir, false)
		for left := n; left > 0; left -= batch {
			for k := 0; k < min(left, batch); k++ {
				w.PendingWrites(payload)
			}
			_, err := w.WriteAll()
			check(err, "rosedblabs/wal write all")
		}
		check(w.Close(), "rosedblabs/wal close")
	})
}

// rosedbReadAll writes n records (not timed), then times opening and
// reading them all with a Reader (it checks each chunk's CRC).
func rosedbReadAll(dir string, payload []byte, n int) float64 {
	rosedbWriteAll(dir, payload, n, 1, false)
	return timed(func() {
		w := rosedbOpen(dir, false)
		r := w.NewReader()
		count, bytes := 0, 0
		for {
			data, _, err := r.Next()
			if err == io.EOF {
				break
			}
			check(err, "rosedblabs/wal read")
			count, bytes = count+1, bytes+len(data)
		}
		check(w.Close(), "rosedblabs/wal close")
		if count != n || bytes != n*len(payload) {
			panic("rosedblabs/wal read fewer records than written")
		}
	})
}
