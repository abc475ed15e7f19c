package main

import (
	twal "github.com/tidwall/wal"
)

// tidwall/wal: entries numbered from 1 by the caller; NoSync for the
// appends that leave syncing to the OS, its default (a sync per write
// call) for the durable row. Its writes need consecutive indexes, so
// several goroutines would serialise on a lock of the caller's: no
// eight-thread row.
var tidwallPeer = peer{
	name:          "tidwall/wal v1.2.1",
	appendOne:     tidwallAppendOne,
	appendBatched: tidwallAppendBatched,
	readAll:       tidwallReadAll,
	appendDurable: func(dir string, payload []byte, n, _ int) float64 {
		return timed(func() { tidwallWriteAll(dir, payload, n, false) })
	},
}

func tidwallOpen(dir string, noSync bool) *twal.Log {
	opts := *twal.DefaultOptions
	opts.NoSync = noSync
	l, err := twal.Open(dir, &opts)
	check(err, "tidwall/wal open")
	return l
}

func tidwallWriteAll(dir string, payload []byte, n int, noSync bool) {
	l := tidwallOpen(dir, noSync)
	for i := 1; i <= n; i++ {
		check(l.Write(uint64(i), payload), "tidwall/wal write")
	}
	check(l.Close(), "tidwall/wal close")
}

func tidwallAppendOne(dir string, payload []byte, n int) float64 {
	return timed(func() { tidwallWriteAll(dir, payload, n, true) })
}

func tidwallAppendBatched(dir string, payload []byte, n, batch int) float64 {
	return timed(func() {
		l := tidwallOpen(dir, true)
		var b twal.Batch
		for i := 1; i <= n; {
			for k := 0; k < batch && i <= n; k, i = k+1, i+1 {
				b.Write(uint64(i), payload)
			}
			check(l.WriteBatch(&b), "tidwall/wal write batch")
			b.Clear()
		}
		check(l.Close(), "tidwall/wal close")
	})
}

// tidwallReadAll writes n entries (not timed), then times opening and
// reading them all by index.
func tidwallReadAll(dir string, payload []byte, n int) float64 {
	tidwallWriteAll(dir, payload, n, true)
	return timed(func() {
		l := tidwallOpen(dir, true)
		bytes := 0
		for i := 1; i <= n; i++ {
			data, err := l.Read(uint64(i))
			check(err, "tidwall/wal read")
			bytes += len(data)
		}
		check(l.Close(), "tidwall/wal close")
		if bytes != n*len(payload) {
			panic("tidwall/wal read fewer bytes than written")
		}
	})
}
