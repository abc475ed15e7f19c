package binlog

/*
#include <stdlib.h>
#include <binlog.h>
*/
import "C"

import (
	"context"
	"io"
	"math"
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// MergedRecord is a record of a merged read (MergedReader.Next), copied
// into Go memory, with the name of its log.
type MergedRecord struct {
	Log string
	Record
}

// MergedReader reads many logs as one stream ordered by timestamp (ties by
// log name, then sequence number), each record with its log's name. Each
// log is read in its own order: one whose timestamps go backwards is not
// reordered. Its methods may be called from any goroutine but are
// serialized.
type MergedReader struct {
	mu   sync.Mutex
	h    *C.binlog_merged_reader // nil once closed
	desc string
	rec  *C.binlog_record // C memory, as Reader.rec
	// The log name the last Next returned, reused while it repeats.
	lastLog string
}

// OpenMergedReader opens a merged reader of every log in dir ("" for none)
// and directly under remote ("s3://bucket/prefix", "" for none) whose name
// matches pattern (* and ? wildcards; "" for every log). A log in both is
// read as OpenLogTieredReader reads it. No log matching is ErrNotFound.
func OpenMergedReader(dir, remote, pattern string) (*MergedReader, error) {
	const op = "open merged reader"
	cs, free, err := cStrings(op, "dir?", dir, "remote?", remote, "pattern?", pattern)
	if err != nil {
		return nil, err
	}
	defer free()
	var h *C.binlog_merged_reader
	if err := call(op, func() C.binlog_result { return C.binlog_merged_reader_open(cs[0], cs[1], cs[2], &h) }); err != nil {
		return nil, err
	}
	return newMergedReader(h, dir+" "+remote+" "+pattern), nil
}

func newMergedReader(h *C.binlog_merged_reader, desc string) *MergedReader {
	r := &MergedReader{h: h, desc: desc}
	r.rec = (*C.binlog_record)(C.calloc(1, C.size_t(unsafe.Sizeof(C.binlog_record{}))))
	runtime.SetFinalizer(r, (*MergedReader).Close)
	return r
}

// TimeWindow reads only records with timestamps in [from, to) (a zero
// Time: that end open); a sealed segment whose seal says none of its
// records is in it is not read. Call before the first Next.
func (r *MergedReader) TimeWindow(from, to time.Time) error {
	f, t := int64(math.MinInt64), int64(math.MaxInt64)
	if !from.IsZero() {
		f = from.UnixNano()
	}
	if !to.IsZero() {
		t = to.UnixNano()
	}
	return r.call("merged reader time window", func(h *C.binlog_merged_reader) C.binlog_result {
		return C.binlog_merged_reader_time_window(h, C.int64_t(f), C.int64_t(t))
	})
}

// Next returns the next record in merged order, or io.EOF once every log
// is read to its end for now (a call after that looks at every log again).
// An error names the log's file or object; that log is then read no
// further, and the next call goes on.
func (r *MergedReader) Next() (*MergedRecord, error) {
	return r.next("merged reader next", func(h *C.binlog_merged_reader, log **C.uint8_t, n *C.size_t) C.binlog_result {
		return C.binlog_merged_reader_next(h, r.rec, log, n)
	})
}

// NextWait is Next, but when no log has a record it waits up to timeout
// for one to be written to any log (or shipped to the bucket of a log read
// from there), following each log across its rolls; it returns io.EOF on
// timeout, and ErrClosed if the reader is closed while it waits. Each call
// first looks again at every log at its end, then returns the smallest of
// the logs' next records present then: a record a slower log writes after
// records of later timestamps from other logs were returned comes as soon
// as it is found, not held back (binlog_merged_reader_next_wait).
func (r *MergedReader) NextWait(timeout time.Duration) (*MergedRecord, error) {
	return waitFor(context.Background(), time.Now().Add(timeout), func(slice time.Duration) (*MergedRecord, error) {
		ms := C.uint64_t(ceilMillis(slice))
		rec, err := r.next("merged reader next wait", func(h *C.binlog_merged_reader, log **C.uint8_t, n *C.size_t) C.binlog_result {
			return C.binlog_merged_reader_next_wait(h, ms, r.rec, log, n)
		})
		if err == io.EOF {
			err = errEnd
		}
		return rec, err
	})
}

// next runs one of the C reading calls f and copies the record it found.
func (r *MergedReader) next(op string, f func(*C.binlog_merged_reader, **C.uint8_t, *C.size_t) C.binlog_result) (*MergedRecord, error) {
	rec := new(MergedRecord)
	err := r.call(op, func(h *C.binlog_merged_reader) C.binlog_result {
		var log *C.uint8_t
		var logLen C.size_t
		rc := f(h, &log, &logLen)
		if rc == C.BINLOG_OK {
			if name := cBytes(log, logLen); string(name) != r.lastLog {
				r.lastLog = string(name)
			}
			rec.Log = r.lastLog
			copyRecord(r.rec, &rec.Record, goString, goString)
		}
		return rc
	})
	if err == errEnd {
		return nil, io.EOF
	}
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// SkipDamaged, with skip true, has every log's reader skip a damaged region
// in the middle of a segment and resume at the next valid record, recording
// the region (Damages). By default a log's damage is ErrCorrupt naming its
// file and offset, and that log is read no further.
func (r *MergedReader) SkipDamaged(skip bool) error {
	return r.call("merged reader skip damaged", func(h *C.binlog_merged_reader) C.binlog_result {
		return C.binlog_merged_reader_skip_damaged(h, C.bool(skip))
	})
}

// MergedGap is a gap one log of a merged read met, with the log's name.
type MergedGap struct {
	Log string
	Gap
}

// Gaps is every gap the logs met so far, by log name and each log's oldest
// first (binlog_merged_reader_gaps), each as Reader.Gaps gives a log's.
func (r *MergedReader) Gaps() (gaps []MergedGap, err error) {
	err = r.call("merged reader gaps", func(h *C.binlog_merged_reader) (rc C.binlog_result) {
		gaps, rc = fetchAll(func(rows *C.binlog_gap, logs *C.binlog_iovec, n C.size_t, got *C.size_t) C.binlog_result {
			return C.binlog_merged_reader_gaps(h, rows, logs, n, got)
		}, func(g *C.binlog_gap, log C.binlog_iovec) MergedGap { return MergedGap{Log: goName(log), Gap: goGap(g)} })
		return rc
	})
	return gaps, err
}

// MergedDamage is a damaged region one log of a merged read skipped, with
// the log's name.
type MergedDamage struct {
	Log string
	Damage
}

// Damages is every damaged region the logs skipped so far (SkipDamaged),
// by log name and each log's in the order met
// (binlog_merged_reader_damages), each as Reader.Damages gives a log's,
// with the file or object it is in.
func (r *MergedReader) Damages() (damages []MergedDamage, err error) {
	err = r.call("merged reader damages", func(h *C.binlog_merged_reader) (rc C.binlog_result) {
		damages, rc = fetchAll(func(rows *C.binlog_damage2, logs *C.binlog_iovec, n C.size_t, got *C.size_t) C.binlog_result {
			return C.binlog_merged_reader_damages(h, rows, logs, n, got)
		}, func(d *C.binlog_damage2, log C.binlog_iovec) MergedDamage {
			return MergedDamage{Log: goName(log), Damage: goDamage(d)}
		})
		return rc
	})
	return damages, err
}

// goName copies a log name the C library points to.
func goName(v C.binlog_iovec) string {
	return C.GoStringN((*C.char)(unsafe.Pointer(v.base)), C.int(v.len))
}

// goString copies b into a string.
func goString(b []byte) string { return string(b) }

// Segments returns how many segments (files or objects) had their records
// read so far, and how many the time window passed over unread.
func (r *MergedReader) Segments() (read, passedOver uint64, err error) {
	var cr, cp C.uint64_t
	err = r.call("merged reader segments", func(h *C.binlog_merged_reader) C.binlog_result {
		return C.binlog_merged_reader_segments(h, &cr, &cp)
	})
	return uint64(cr), uint64(cp), err
}

// call runs f on the open handle, holding r.mu and the OS thread.
func (r *MergedReader) call(op string, f func(*C.binlog_merged_reader) C.binlog_result) error {
	return onOpen(&r.mu, &r.h, op, "merged reader", r.desc, f)
}

// Close frees the reader; later calls return ErrClosed. Closing again
// returns nil.
func (r *MergedReader) Close() error {
	return freeOnce(&r.mu, &r.h, r, func(h *C.binlog_merged_reader) {
		C.binlog_merged_reader_free(h)
		C.free(unsafe.Pointer(r.rec))
		r.rec = nil
	})
}
