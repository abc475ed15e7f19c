package binlog

/*
#include <binlog.h>
*/
import "C"

import (
	"context"
	"encoding/binary"
	"io"
	"runtime"
	"strconv"
	"time"
	"unsafe"
)

// BatchRecord is a record read by Reader.NextBatch. Payload and the
// metadata views (MetaAt, Meta) are slices of the buffer given to
// NextBatch: they stay valid until that buffer is reused (the next
// NextBatch into it) or modified. Copy what you keep (Record,
// bytes.Clone). Type is a Go string, interned per reader, and may be kept.
type BatchRecord struct {
	Seq         uint64
	TimestampNs int64  // nanoseconds since the Unix epoch
	Type        string // interned: no allocation per record
	// Payload is a slice of the buffer whose capacity is its length (an
	// append copies rather than overwriting the next record); never nil,
	// may be empty.
	Payload []byte
	Offset  uint64 // file offset of the record in its segment

	buf       []byte // the whole buffer: metadata offsets are from its start
	metaOff   uint32
	metaCount uint32
}

// sizeofBatchMeta is the size of a binlog_batch_meta entry in the buffer:
// four native-endian uint32 (key_off, key_len, value_off, value_len).
const sizeofBatchMeta = int(unsafe.Sizeof(C.binlog_batch_meta{}))

// Time is the record's timestamp.
func (b *BatchRecord) Time() time.Time { return time.Unix(0, b.TimestampNs) }

// MetaLen is the number of metadata entries.
func (b *BatchRecord) MetaLen() int { return int(b.metaCount) }

// MetaAt returns metadata entry i (0 <= i < MetaLen) as slices of the
// buffer.
func (b *BatchRecord) MetaAt(i int) (key, value []byte) {
	if uint(i) >= uint(b.metaCount) {
		panic("binlog: BatchRecord.MetaAt: index " + strconv.Itoa(i) + " out of range [0:" + strconv.Itoa(int(b.metaCount)) + "]")
	}
	// The entries are 4-byte aligned from the buffer's start, which itself
	// may be at any address (a sub-slice): read them bytewise.
	e := b.buf[int(b.metaOff)+i*sizeofBatchMeta:][:sizeofBatchMeta]
	ne := binary.NativeEndian
	return span(b.buf, ne.Uint32(e[0:]), ne.Uint32(e[4:])),
		span(b.buf, ne.Uint32(e[8:]), ne.Uint32(e[12:]))
}

// Meta returns the value of the first metadata entry with key, as a slice
// of the buffer.
func (b *BatchRecord) Meta(key string) ([]byte, bool) {
	for i := 0; i < int(b.metaCount); i++ {
		k, v := b.MetaAt(i)
		if string(k) == key {
			return v, true
		}
	}
	return nil, false
}

// Metadata copies the metadata entries into Go strings (nil when the record
// has none), as Record.Metadata holds them.
func (b *BatchRecord) Metadata() []KeyValue {
	if b.metaCount == 0 {
		return nil
	}
	kvs := make([]KeyValue, b.metaCount)
	for i := range kvs {
		k, v := b.MetaAt(i)
		kvs[i] = KeyValue{string(k), string(v)}
	}
	return kvs
}

// Record copies the record into Go memory, independent of the buffer.
func (b *BatchRecord) Record() *Record {
	return &Record{
		Seq:         b.Seq,
		TimestampNs: b.TimestampNs,
		Type:        b.Type,
		Payload:     append(make([]byte, 0, len(b.Payload)), b.Payload...),
		Metadata:    b.Metadata(),
		Offset:      b.Offset,
	}
}

// span is buf[off:off+n] with its capacity cut to its length.
func span[T ~uint32](buf []byte, off, n T) []byte {
	o, e := int(off), int(off)+int(n)
	return buf[o:e:e]
}

// emptyBuf stands in for a nil buffer, so that Payload is never nil.
var emptyBuf = []byte{}

// NextBatch reads the next records, as many as fit in buf and at most
// len(recs), with one cgo call: it copies them into buf, fills recs[:n]
// (their payloads and metadata are slices of buf) and returns n >= 1 and
// nil, or 0 and io.EOF when there is no record for now, like Next. recs
// after n are untouched. Reusing buf and recs, a call allocates nothing (a
// type name not seen before by the reader is interned once).
//
// A record that does not fit in what is left of buf is kept by the reader
// and comes first on the next call, of any kind (NextBatch, Next, NextView,
// ForEach); SeekSeq and SeekTime drop it, and FilterTypes keeps it only
// if the new filter passes it (so changing filters skips nothing).
//
// If not even the first record fits, NextBatch fails with an error
// matching ErrBufferTooSmall whose message gives the bytes it needs, and
// consumes nothing: call it again with a bigger buffer (or use Next). A
// record takes its type name, payload, metadata keys and values, 16 bytes
// per metadata entry and up to 3 bytes of alignment; buf is used up to
// 4 GiB.
//
// As with Next, an error (ErrCorrupt, ErrTruncated on a log reader while
// the writer creates a segment, ...) comes after the records before it
// have been returned; the reader stays in place. len(recs) == 0 is
// ErrInvalidArgument.
func (r *Reader) NextBatch(buf []byte, recs []BatchRecord) (int, error) {
	n, err := r.nextBatch("next batch", buf, recs, 0)
	if err == errEnd {
		return 0, io.EOF
	}
	return n, err
}

// NextBatchWait is NextBatch, but when there is no record yet it waits up
// to timeout for one, following a log's writer into new segments as it
// rolls, then returns the records already there (it does not wait to fill
// the batch). It returns io.EOF on timeout, and ErrClosed if the reader is
// closed while it waits (it waits in slices of at most 100 ms, as NextWait
// does, and retries ErrTruncated while a log's writer creates a segment).
func (r *Reader) NextBatchWait(buf []byte, recs []BatchRecord, timeout time.Duration) (int, error) {
	return waitFor(context.Background(), time.Now().Add(timeout), func(slice time.Duration) (int, error) {
		return r.nextBatch("next batch wait", buf, recs, slice)
	})
}

// NextBatchContext is NextBatchWait with no timeout of its own: it waits
// for a record until ctx is done, and returns ctx.Err() then (within
// 100 ms of a cancellation; at its deadline, context.DeadlineExceeded).
func (r *Reader) NextBatchContext(ctx context.Context, buf []byte, recs []BatchRecord) (int, error) {
	return waitFor(ctx, time.Time{}, func(slice time.Duration) (int, error) {
		return r.nextBatch("next batch wait", buf, recs, slice)
	})
}

// nextBatch makes one binlog_reader_next_batch call, waiting up to wait
// for the first record, and fills recs: n and nil, errEnd or an error.
func (r *Reader) nextBatch(op string, buf []byte, recs []BatchRecord, wait time.Duration) (int, error) {
	if len(recs) == 0 {
		return 0, invalid(op, "no room for records (len(recs) == 0)")
	}
	if buf == nil {
		buf = emptyBuf
	}
	if r == nil {
		return 0, nilError(op, "reader")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.h == nil {
		return 0, closedError(op, "reader", r.desc)
	}
	if len(r.batch) < len(recs) {
		r.batch = make([]C.binlog_batch_record, len(recs))
	}
	cs := r.batch[:len(recs)]
	// buf, cs and r.batchCount hold no Go pointers, so passing them is
	// allowed (and cgo does not scan them); they stay pinned for the call.
	lockThread()
	err := result(op, C.binlog_reader_next_batch(r.h, bytesPtr(buf), C.size_t(len(buf)),
		&cs[0], C.size_t(len(cs)), C.uint64_t(ceilMillis(wait)), &r.batchCount))
	unlockThread()
	runtime.KeepAlive(r)
	if err != nil {
		return 0, err
	}
	n := min(int(r.batchCount), len(recs))
	for i := range cs[:n] {
		c := &cs[i]
		recs[i] = BatchRecord{
			Seq:         uint64(c.seq),
			TimestampNs: int64(c.timestamp_ns),
			Type:        r.typeName(span(buf, c.type_off, c.type_len)),
			Payload:     span(buf, c.payload_off, c.payload_len),
			Offset:      uint64(c.offset),
			buf:         buf,
			metaOff:     uint32(c.meta_off),
			metaCount:   uint32(c.meta_count),
		}
	}
	return n, nil
}
