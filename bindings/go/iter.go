//go:build go1.23

package binlog

import (
	"context"
	"io"
	"iter"
)

// All returns an iterator over the records there are now, each copied into
// Go memory as Next does:
//
//	for rec, err := range r.All() {
//		if err != nil {
//			return err
//		}
//		use(rec)
//	}
//
// It ends at the end for now (Next's io.EOF), or after yielding an error
// (rec is nil then; the reader stays where the error left it, as with Next).
// Breaking out of the loop consumes no further record.
func (r *Reader) All() iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		for {
			rec, err := r.Next()
			if err == io.EOF {
				return
			}
			if !yield(rec, err) || err != nil {
				return
			}
		}
	}
}

// Follow returns an iterator over the records there are now and those
// written later, following a log's writer as it rolls (NextContext): it
// waits for each record until ctx is done, then yields ctx.Err() and ends.
// It also ends after yielding any other error (ErrClosed when the reader
// is closed from another goroutine).
func (r *Reader) Follow(ctx context.Context) iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		for {
			rec, err := r.NextContext(ctx)
			if !yield(rec, err) || err != nil {
				return
			}
		}
	}
}
