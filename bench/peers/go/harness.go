package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

type params struct {
	count int
	dir   string
}

type row struct {
	peer, name string
	records    int
}

// pairs runs lib and peer p.count times each, interleaved (the order
// alternates), each in a fresh directory, and prints the row's line.
func (p params) pairs(r row, lib, peer func(dir string) float64) {
	libRate, peerRate := []float64{}, []float64{}
	for i := 0; i < p.count; i++ {
		sides := []struct {
			run   func(string) float64
			rates *[]float64
		}{{lib, &libRate}, {peer, &peerRate}}
		if i%2 == 1 {
			sides[0], sides[1] = sides[1], sides[0]
		}
		for _, s := range sides {
			dir := p.freshDir()
			*s.rates = append(*s.rates, float64(r.records)/s.run(dir))
			check(os.RemoveAll(dir), "remove the bench directory")
		}
	}
	line, err := json.Marshal(map[string]any{"suite": "go", "peer": r.peer, "row": r.name,
		"records": r.records, "lib_per_s": libRate, "peer_per_s": peerRate})
	check(err, "json")
	os.Stdout.Write(append(line, '\n'))
}

func (p params) freshDir() string {
	dir := filepath.Join(p.dir, "run")
	check(os.RemoveAll(dir), "remove the bench directory")
	check(os.MkdirAll(dir, 0o755), "create the bench directory")
	return dir
}

// timed returns the seconds f takes.
func timed(f func()) float64 {
	start := time.Now()
	f()
	return time.Since(start).Seconds()
}

// split runs f(n/threads) on each of threads goroutines and waits for them.
func split(n, threads int, f func(n int)) {
	done := make(chan struct{})
	for t := 0; t < threads; t++ {
		go func() { f(n / threads); done <- struct{}{} }()
	}
	for t := 0; t < threads; t++ {
		<-done
	}
}
