//go:build go1.23

package binlog_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	binlog "github.com/libbinlog/libbinlog/bindings/go"
)

// Write a few records to a segment, then read them back in order.
func Example() {
	dir, err := os.MkdirTemp("", "binlog-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "orders.binlog")

	w, err := binlog.OpenWriter(path, &binlog.Options{ContentType: "application/json"})
	if err != nil {
		log.Fatal(err)
	}
	for _, id := range []int{41, 42, 43} {
		if _, err := w.Write("order", fmt.Appendf(nil, `{"id":%d}`, id)); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil { // flushes and seals the segment
		log.Fatal(err)
	}

	r, err := binlog.OpenReader(path)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	for rec, err := range r.All() {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(rec.Seq, rec.Type, string(rec.Payload))
	}
	// Output:
	// 0 order {"id":41}
	// 1 order {"id":42}
	// 2 order {"id":43}
}

// Follow a rolling log as its writer appends, until a deadline.
func ExampleReader_Follow() {
	dir, err := os.MkdirTemp("", "binlog-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	w, err := binlog.OpenLog(dir, "ticks", &binlog.Options{FlushDelay: time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	go func() {
		for i := range 3 {
			w.Write("tick", []byte{byte(i)})
		}
	}()

	r, err := binlog.OpenLogReader(dir, "ticks")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seen := 0
	for rec, err := range r.Follow(ctx) {
		if err != nil {
			log.Fatal(err) // context.DeadlineExceeded if the writer stopped short
		}
		fmt.Println(rec.Seq, rec.Type, rec.Payload)
		if seen++; seen == 3 {
			break
		}
	}
	// Output:
	// 0 tick [0]
	// 1 tick [1]
	// 2 tick [2]
}

// Wait for the next record until a context is cancelled.
func ExampleReader_NextContext() {
	dir, err := os.MkdirTemp("", "binlog-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "idle.binlog")
	w, err := binlog.OpenWriter(path, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	r, err := binlog.OpenReader(path)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = r.NextContext(ctx) // nothing is written: the wait ends with ctx
	fmt.Println(errors.Is(err, context.DeadlineExceeded))
	// Output: true
}

// Test the kind of an error with errors.Is.
func ExampleOpenWriter_locked() {
	dir, err := os.MkdirTemp("", "binlog-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "one-writer.binlog")
	w, err := binlog.OpenWriter(path, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	_, err = binlog.OpenWriter(path, nil) // a segment has one writer at a time
	fmt.Println(errors.Is(err, binlog.ErrLocked))
	// Output: true
}
