// A program outside the tree that uses the Go binding against an installed
// libbinlog (tests/consumer/go/run.sh, `make test-go-consumer`).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	binlog "github.com/libbinlog/libbinlog/bindings/go"
)

func main() {
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
	fmt.Println("consumer ok: libbinlog", binlog.Version())
}

// run writes records from several goroutines to a rolling log while a
// reader follows it, and checks that every record arrives once, in order.
func run(dir string) error {
	const writers, perWriter = 4, 250
	w, err := binlog.OpenLog(dir, "consumer", &binlog.Options{MaxSegmentRecords: 300})
	if err != nil {
		return err
	}
	defer w.Close()
	r, err := binlog.OpenLogReader(dir, "consumer")
	if err != nil {
		return err
	}
	defer r.Close()

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				if _, err := w.Write("n", fmt.Appendf(nil, "%d/%d", g, i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	next := uint64(0)
	for rec, err := range r.Follow(ctx) {
		if err != nil {
			return fmt.Errorf("after %d records: %w", next, err)
		}
		if rec.Seq != next {
			return fmt.Errorf("record %d has seq %d", next, rec.Seq)
		}
		if next++; next == writers*perWriter {
			break
		}
	}
	wg.Wait()
	close(errs)
	if err := errors.Join(<-errs); err != nil {
		return err
	}
	segments, err := binlog.ListSegments(dir, "consumer")
	if err != nil {
		return err
	}
	if len(segments) < 2 {
		return fmt.Errorf("%d records in %d segment(s) of %s: the log did not roll", next, len(segments), filepath.Join(dir, "consumer"))
	}
	return nil
}
