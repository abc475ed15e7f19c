// Command bench-peers compares libbinlog's Go binding with tidwall/wal and
// rosedblabs/wal in interleaved pairs, one JSON line per row on stdout
// (read by bench/peers/run.py).
//
// Usage: bench-peers PAIRS RECORDS_600 RECORDS_32 RECORDS_DURABLE DIR
package main

import (
	"fmt"
	"os"
	"strconv"
)

const (
	batch   = 256
	threads = 8
)

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: bench-peers PAIRS RECORDS_600 RECORDS_32 RECORDS_DURABLE DIR")
		os.Exit(2)
	}
	num := func(i int) int {
		n, err := strconv.Atoi(os.Args[i])
		check(err, "argument")
		return n
	}
	p := params{count: num(1), dir: os.Args[5]}
	for _, size := range []int{600, 32} {
		n := num(2)
		if size == 32 {
			n = num(3)
		}
		payload := make([]byte, size)
		for i := range payload {
			payload[i] = 0x5a
		}
		for _, peer := range peers {
			row := func(what string) row { return row{peer.name, fmt.Sprintf("%s %d B", what, size), n} }
			p.pairs(row("append one call per record"),
				func(d string) float64 { return binlogAppendOne(d, payload, n) },
				func(d string) float64 { return peer.appendOne(d, payload, n) })
			p.pairs(row(fmt.Sprintf("append batched (%d)", batch)),
				func(d string) float64 { return binlogAppendBatched(d, payload, n, batch) },
				func(d string) float64 { return peer.appendBatched(d, payload, n, batch) })
			p.pairs(row("full-scan read"),
				func(d string) float64 { return binlogReadAll(d, payload, n) },
				func(d string) float64 { return peer.readAll(d, payload, n) })
		}
	}
	payload := make([]byte, 600)
	n := num(4)
	for _, peer := range peers {
		for _, t := range []int{1, threads} {
			if t > 1 && !peer.concurrentWrites {
				continue
			}
			p.pairs(row{peer.name, fmt.Sprintf("durable append 600 B, %d thread%s", t, plural(t)), n},
				func(d string) float64 { return binlogAppendDurable(d, payload, n, t) },
				func(d string) float64 { return peer.appendDurable(d, payload, n, t) })
		}
	}
}

// peer is one library's side of the rows; each function returns the
// seconds of what it measured.
type peer struct {
	name string
	// Whether writes from many goroutines need no lock of the caller's:
	// only then is the eight-thread durable row run.
	concurrentWrites bool
	appendOne        func(dir string, payload []byte, n int) float64
	appendBatched    func(dir string, payload []byte, n, batch int) float64
	readAll          func(dir string, payload []byte, n int) float64
	appendDurable    func(dir string, payload []byte, n, threads int) float64
}

var peers = []peer{tidwallPeer, rosedbPeer}

func check(err error, what string) {
	if err != nil {
		panic(fmt.Sprintf("%s: %v", what, err))
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
