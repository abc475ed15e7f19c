package binlog

/*
#include <stdlib.h>
#include <binlog.h>
*/
import "C"

import (
	"time"
	"unsafe"
)

// Start is where a consumer new to a log starts (binlog_start).
type Start uint32

const (
	StartFirst Start = C.BINLOG_START_FIRST // the log's first record
	StartEnd   Start = C.BINLOG_START_END   // the log's end at the open: records written after it
	StartSeq   Start = C.BINLOG_START_SEQ   // the first record numbered Seq or after
	StartTime  Start = C.BINLOG_START_TIME  // the first record, in write order, stamped Time or later
)

// ConsumerOptions say where a consumer with no committed position in a log
// starts (nil: StartFirst) and, for OpenConsumer, the bucket
// ("s3://bucket/prefix") its log's shipped segments are read from, as
// OpenLogTieredReader reads them ("" for none).
type ConsumerOptions struct {
	Start  Start
	Seq    uint64    // for StartSeq
	Time   time.Time // for StartTime
	Remote string
}

// remote is o's Remote ("" for a nil o).
func (o *ConsumerOptions) remote() string {
	if o == nil {
		return ""
	}
	return o.Remote
}

// consumerCall runs the C call f with the (name, value) pairs' values in C
// memory (an empty value whose name ends in "?" is NULL) and o's start.
func consumerCall(op string, o *ConsumerOptions, f func(cs []*C.char, start C.uint32_t, seq C.uint64_t, ns C.int64_t) C.binlog_result, pairs ...string) (err error) {
	if o == nil {
		o = &ConsumerOptions{}
	}
	var ns int64
	if o.Start == StartTime {
		if ns, err = unixNano(op, "Time", o.Time); err != nil {
			return err
		}
	}
	cs, free, err := cStrings(op, pairs...)
	if err != nil {
		return err
	}
	defer free()
	return call(op, func() C.binlog_result { return f(cs, C.uint32_t(o.Start), C.uint64_t(o.Seq), C.int64_t(ns)) })
}

// Consumer is named consumer name of a log: a Reader (every method works)
// that starts after the consumer's last Commit, kept durably in
// <dir>/<name>.consumer. Delivery is at least once: records returned but
// not committed are read again by the next open. One handle in any process
// holds a name at a time: another open is ErrLocked until Close.
type Consumer struct{ *Reader }

// OpenConsumer opens consumer name (1 to 200 of A-Z a-z 0-9 _ . -, not
// starting with .) of log in dir. A committed position whose records
// retention deleted resumes at the oldest record left, after a
// GapRetention gap.
func OpenConsumer(dir, log, name string, opts *ConsumerOptions) (*Consumer, error) {
	var h *C.binlog_reader
	if err := consumerCall("open consumer", opts, func(cs []*C.char, start C.uint32_t, seq C.uint64_t, ns C.int64_t) C.binlog_result {
		return C.binlog_consumer_open(cs[0], cs[1], cs[2], cs[3], start, seq, ns, &h)
	}, "dir", dir, "log", log, "name", name, "remote?", opts.remote()); err != nil {
		return nil, err
	}
	return &Consumer{newReader(h, dir+"/"+log+" consumer "+name)}, nil
}

// Commit durably commits every record returned so far (one write and one
// fdatasync); a record NextBatch held back is not committed.
func (c *Consumer) Commit() error {
	return c.simple("consumer commit", func(h *C.binlog_reader) C.binlog_result { return C.binlog_consumer_commit(h) })
}

// CommitSeq commits the records up to seq: one returned since the last
// commit, or the last one committed (a no-op). ErrInvalidArgument, naming
// the consumer's file, otherwise: a commit by number never moves the
// consumer back (to do that, SeekSeq or SeekPosition there and Commit).
func (c *Consumer) CommitSeq(seq uint64) error {
	return c.simple("consumer commit seq", func(h *C.binlog_reader) C.binlog_result {
		return C.binlog_consumer_commit_seq(h, C.uint64_t(seq))
	})
}

// Committed is the sequence number the last commit goes on at.
func (c *Consumer) Committed() (uint64, error) {
	var n C.uint64_t
	err := c.simple("consumer committed", func(h *C.binlog_reader) C.binlog_result { return C.binlog_consumer_committed(h, &n) })
	return uint64(n), err
}

// RemoveConsumer removes consumer name's file from dir, so that retention
// waits for it no more: ErrLocked while it is open, ErrNotFound if none.
func RemoveConsumer(dir, name string) error {
	return consumerCall("remove consumer", nil, func(cs []*C.char, _ C.uint32_t, _ C.uint64_t, _ C.int64_t) C.binlog_result {
		return C.binlog_consumer_remove(cs[0], cs[1])
	}, "dir", dir, "name", name)
}

// MergedConsumer is consumer name of every log a MergedReader reads: each
// log goes on after the consumer's last Commit, one with no position in it
// at the start ConsumerOptions say.
type MergedConsumer struct{ *MergedReader }

// OpenMergedConsumer opens consumer name of the logs in dir, and under
// opts.Remote (s3://bucket/prefix) if set, whose names match pattern (""
// for every log), as OpenMergedReader reads them; its file is in dir.
func OpenMergedConsumer(dir, pattern, name string, opts *ConsumerOptions) (*MergedConsumer, error) {
	var h *C.binlog_merged_reader
	if err := consumerCall("open merged consumer", opts, func(cs []*C.char, start C.uint32_t, seq C.uint64_t, ns C.int64_t) C.binlog_result {
		return C.binlog_merged_consumer_open(cs[0], cs[1], cs[2], cs[3], start, seq, ns, &h)
	}, "dir", dir, "remote?", opts.remote(), "pattern?", pattern, "name", name); err != nil {
		return nil, err
	}
	return &MergedConsumer{newMergedReader(h, dir+" "+pattern+" consumer "+name)}, nil
}

// Commit durably commits every record returned so far, in every log, in
// one write.
func (c *MergedConsumer) Commit() error {
	return c.call("merged consumer commit", func(h *C.binlog_merged_reader) C.binlog_result { return C.binlog_merged_consumer_commit(h) })
}

// copyToken copies the token at *p if rc is BINLOG_OK; it returns rc.
func copyToken(rc C.binlog_result, p **C.char, token *string) C.binlog_result {
	if rc == C.BINLOG_OK {
		*token = C.GoString(*p)
	}
	return rc
}

// withToken runs f with token in C memory.
func withToken(token string, f func(*C.char) error) error {
	t, err := cString("seek position", "token", token)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(t))
	return f(t)
}

// Position is a token (printable text) of where the log reader stands:
// SeekPosition of any reader of the same log goes on there, across rolls,
// compression, shipping and retention. ErrInvalidArgument for a reader of
// one segment.
func (r *Reader) Position() (token string, err error) {
	var p *C.char
	err = r.simple("position", func(h *C.binlog_reader) C.binlog_result {
		return copyToken(C.binlog_reader_position(h, &p), &p, &token)
	})
	return token, err
}

// SeekPosition positions the reader where token (Position) says; records
// since deleted are a GapRetention gap. ErrInvalidArgument for a token of
// another log or text that is no token.
func (r *Reader) SeekPosition(token string) error {
	return withToken(token, func(t *C.char) error {
		return r.simple("seek position", func(h *C.binlog_reader) C.binlog_result { return C.binlog_reader_seek_position(h, t) })
	})
}

// Position is a token of where the merged reader stands in each of its
// logs (see Reader.Position).
func (r *MergedReader) Position() (token string, err error) {
	var p *C.char
	err = r.call("merged reader position", func(h *C.binlog_merged_reader) C.binlog_result {
		return copyToken(C.binlog_merged_reader_position(h, &p), &p, &token)
	})
	return token, err
}

// SeekPosition positions each log that token names where it says (the
// others stay). ErrInvalidArgument for a log not merged here or text
// that is no token.
func (r *MergedReader) SeekPosition(token string) error {
	return withToken(token, func(t *C.char) error {
		return r.call("merged reader seek position", func(h *C.binlog_merged_reader) C.binlog_result {
			return C.binlog_merged_reader_seek_position(h, t)
		})
	})
}
