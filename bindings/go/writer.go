package binlog

/*
#include <stdlib.h>
#include <binlog.h>
*/
import "C"

import (
	"errors"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
)

// Writer appends records to a segment (OpenWriter) or a rolling log
// (OpenLog). It is safe for concurrent use: libbinlog serializes appends,
// and concurrent durable writes share one fdatasync. Close waits for the
// calls in progress, then seals and releases the segment.
type Writer struct {
	// mu: every call holds it for reading while it uses h; Close holds it
	// for writing while it closes and frees h.
	mu  sync.RWMutex
	h   *C.binlog_writer // nil once closed
	log bool
	// desc names the segment file (or the log's directory and name) in
	// ErrClosed messages.
	desc string

	// pollMu serializes PollSealed: the C call is for one thread at a time
	// and its path is valid only until the next poll.
	pollMu sync.Mutex
	// pending holds the segments sealed but not yet polled when Close ran
	// (including the last one, which Close seals).
	pending []SegmentInfo
	// droppedAtClose is DroppedUnshipped as Close left it (log writers;
	// the retention Close runs after its last seal may add to it).
	droppedAtClose uint64

	// packed is WritePacked's entry array, reused by one call at a time.
	packed packedEntries
}

// SegmentInfo describes a sealed segment of a rolling log (PollSealed).
type SegmentInfo struct {
	Path        string
	SegmentNo   uint64
	FirstSeq    uint64
	RecordCount uint64
	Bytes       uint64
}

// OpenWriter opens (creating, or reopening for append) the segment file at
// path. opts may be nil for defaults. Only one writer may have a segment
// open, in this process or another: a second one gets ErrLocked.
func OpenWriter(path string, opts *Options) (*Writer, error) {
	return openWriter("open writer", opts, false, "", path, func(cs []*C.char, o *C.binlog_options, h **C.binlog_writer) C.binlog_result {
		return C.binlog_writer_open(cs[0], o, h)
	}, "path", path)
}

// OpenLog opens the rolling log name (1 to 200 of A-Z a-z 0-9 _ . -) in
// dir, created if missing, for appending. Segments roll by the options'
// MaxSegmentBytes, MaxSegmentRecords and Period, and are trimmed by their
// Retention. Sequence numbers continue across segments and restarts.
func OpenLog(dir, name string, opts *Options) (*Writer, error) {
	return openWriter("open log", opts, true, name, filepath.Join(dir, name), func(cs []*C.char, o *C.binlog_options, h **C.binlog_writer) C.binlog_result {
		return C.binlog_writer_open_log(cs[0], cs[1], o, h)
	}, "dir", dir, "name", name)
}

// openWriter opens a writer (of a log if log, named name), named desc in
// errors, with open given opts built and the (what, s) pairs' strings in C
// memory (as cStrings).
func openWriter(op string, opts *Options, log bool, name, desc string,
	open func([]*C.char, *C.binlog_options, **C.binlog_writer) C.binlog_result, pairs ...string) (*Writer, error) {
	cs, free, err := cStrings(op, pairs...)
	if err != nil {
		return nil, err
	}
	defer free()
	copts, err := opts.build(op, log, name)
	if err != nil {
		return nil, err
	}
	defer C.binlog_options_free(copts)
	var h *C.binlog_writer
	if err := call(op, func() C.binlog_result { return open(cs, copts, &h) }); err != nil {
		return nil, err
	}
	return newWriter(h, log, desc), nil
}

func newWriter(h *C.binlog_writer, log bool, desc string) *Writer {
	w := &Writer{h: h, log: log, desc: desc}
	// A backstop: a Writer the program dropped without Close is closed
	// (flushed and sealed) and freed when the GC finds it.
	runtime.SetFinalizer(w, (*Writer).Close)
	return w
}

// Close flushes, seals and closes the segment (for a log: the current
// segment, removed instead if it holds no record) and frees the handle. It waits for calls in progress; later
// calls return ErrClosed. Closing again, also concurrently, returns nil.
// An error from sealing is returned, and the handle is freed anyway.
func (w *Writer) Close() error {
	if w == nil {
		return nilError("close", "writer")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	h := w.h
	if h == nil {
		return nil
	}
	w.h = nil
	runtime.SetFinalizer(w, nil)
	err := call("close", func() C.binlog_result { return C.binlog_writer_close(h) })
	if w.log {
		// Keep what PollSealed has not returned yet, the last segment too.
		w.pollMu.Lock()
		for {
			info, ok, perr := pollSealed(h)
			if perr != nil || !ok {
				break
			}
			w.pending = append(w.pending, info)
		}
		w.pollMu.Unlock()
		var dropped C.uint64_t
		if C.binlog_writer_dropped_unshipped(h, &dropped) == C.BINLOG_OK {
			w.droppedAtClose = uint64(dropped)
		}
	}
	C.binlog_writer_free(h)
	w.packed.free() // no WritePacked runs: they hold mu for reading
	return err
}

// acquire read-locks w and returns its handle, or ErrClosed.
func (w *Writer) acquire(op string) (*C.binlog_writer, error) {
	if w == nil {
		return nil, nilError(op, "writer")
	}
	w.mu.RLock()
	if w.h == nil {
		w.mu.RUnlock()
		return nil, closedError(op, "writer", w.desc)
	}
	return w.h, nil
}

func (w *Writer) release() { w.mu.RUnlock() }

// Write appends a record of type typ with the current time and no
// metadata, and returns its sequence number. payload is read in place.
func (w *Writer) Write(typ string, payload []byte) (uint64, error) {
	const op = "write"
	h, err := w.acquire(op)
	if err != nil {
		return 0, err
	}
	defer w.release()
	var seq C.uint64_t
	lockThread()
	err = result(op, C.binlog_writer_write(h, strPtr(typ), C.size_t(len(typ)),
		bytesPtr(payload), C.size_t(len(payload)), &seq))
	unlockThread()
	runtime.KeepAlive(typ)
	runtime.KeepAlive(payload)
	runtime.KeepAlive(w)
	return uint64(seq), err
}

// WriteV appends one record whose payload is parts gathered in order (no
// concatenation in Go), and returns its sequence number.
func (w *Writer) WriteV(typ string, parts ...[]byte) (uint64, error) {
	const op = "writev"
	h, err := w.acquire(op)
	if err != nil {
		return 0, err
	}
	defer w.release()
	one := [1]Entry{{Type: typ, Parts: parts}}
	b := buildBatch(one[:])
	defer b.free()
	var seq C.uint64_t
	lockThread()
	err = result(op, C.binlog_writer_writev(h, b.entries.type_name, b.entries.type_len,
		b.iov, b.entries.part_count, &seq))
	unlockThread()
	runtime.KeepAlive(parts)
	runtime.KeepAlive(w)
	return uint64(seq), err
}

// WriteEntry appends one record with metadata and an explicit timestamp,
// and returns its sequence number.
func (w *Writer) WriteEntry(e Entry) (uint64, error) {
	return w.writeBatch("write entry", []Entry{e})
}

// WriteBatch appends es under one lock and one cgo crossing, buffered into
// as few system calls as the buffer allows, and returns the first record's
// sequence number (the others follow in order). Every entry is checked
// first: nothing is written, and no sequence number taken, if any entry is
// invalid or above the maximum record size. Only an I/O error can stop a
// batch part way: the records that reached the file stay (the error says
// how many; see NextSeq) and the rest are not written. An empty batch
// writes nothing and returns NextSeq.
func (w *Writer) WriteBatch(es []Entry) (uint64, error) {
	if len(es) == 0 {
		return w.NextSeq()
	}
	return w.writeBatch("write batch", es)
}

func (w *Writer) writeBatch(op string, es []Entry) (uint64, error) {
	h, err := w.acquire(op)
	if err != nil {
		return 0, err
	}
	defer w.release()
	// Checked before anything is built: a refused batch writes nothing,
	// and says so as the library does for the entries it refuses.
	for i := range es {
		if t := es[i].Time; !t.IsZero() {
			if _, err := unixNano(op, "Time", t); err != nil {
				e := err.(*Error)
				if len(es) > 1 {
					e.Message = "entry " + strconv.Itoa(i) + " of " + strconv.Itoa(len(es)) + ": " +
						e.Message + "; no record of this call was written"
				}
				e.Message = w.desc + ": " + e.Message
				return 0, e
			}
		}
	}
	b := buildBatch(es)
	defer b.free()
	var first C.uint64_t
	lockThread()
	if len(es) == 1 {
		err = result(op, C.binlog_writer_write_entry(h, b.entries, &first))
	} else {
		err = result(op, C.binlog_writer_write_batch(h, b.entries, C.size_t(b.count), &first))
	}
	unlockThread()
	runtime.KeepAlive(es)
	runtime.KeepAlive(w)
	return uint64(first), err
}

// simple runs a C call that takes only the handle.
func (w *Writer) simple(op string, f func(*C.binlog_writer) C.binlog_result) error {
	h, err := w.acquire(op)
	if err != nil {
		return err
	}
	defer w.release()
	err = call(op, func() C.binlog_result { return f(h) })
	runtime.KeepAlive(w)
	return err
}

// Flush hands buffered records to the OS; readers see them afterwards.
func (w *Writer) Flush() error {
	return w.simple("flush", func(h *C.binlog_writer) C.binlog_result { return C.binlog_writer_flush(h) })
}

// Sync flushes and fdatasyncs: every record written so far is on stable
// storage.
func (w *Writer) Sync() error {
	return w.simple("sync", func(h *C.binlog_writer) C.binlog_result { return C.binlog_writer_sync(h) })
}

// Roll seals the current segment of a rolling log and starts the next one
// (ErrInvalidArgument on a segment writer).
func (w *Writer) Roll() error {
	return w.simple("roll", func(h *C.binlog_writer) C.binlog_result { return C.binlog_writer_roll(h) })
}

func (w *Writer) getU64(op string, f func(*C.binlog_writer, *C.uint64_t) C.binlog_result) (uint64, error) {
	var v C.uint64_t
	err := w.simple(op, func(h *C.binlog_writer) C.binlog_result { return f(h, &v) })
	return uint64(v), err
}

// NextSeq is the sequence number the next record will get.
func (w *Writer) NextSeq() (uint64, error) {
	return w.getU64("next seq", func(h *C.binlog_writer, v *C.uint64_t) C.binlog_result {
		return C.binlog_writer_next_seq(h, v)
	})
}

// DurableSeq: every record with a lower sequence number is on stable
// storage (covered by an fdatasync: under DurabilityNone only Sync does
// that, and records a reopen finds count after the first Sync).
func (w *Writer) DurableSeq() (uint64, error) {
	return w.getU64("durable seq", func(h *C.binlog_writer, v *C.uint64_t) C.binlog_result {
		return C.binlog_writer_durable_seq(h, v)
	})
}

// CallbackFailures counts a log's segment events that failed: in this
// binding, which registers no callbacks, the log's background work that
// failed (a seal with SealInBackground, a time roll, retention, a manifest
// replacement; each is retried). 0 for a single segment.
func (w *Writer) CallbackFailures() (uint64, error) {
	return w.getU64("callback failures", func(h *C.binlog_writer, v *C.uint64_t) C.binlog_result {
		return C.binlog_writer_callback_failures(h, v)
	})
}

// DroppedUnshipped counts the sealed segments Retention.HardMaxBytes
// deleted before a Shipper had uploaded them (Retention.UntilShipped):
// records neither local nor in the bucket any more. After Close it
// returns the count Close left (its last seal included).
func (w *Writer) DroppedUnshipped() (uint64, error) {
	n, err := w.getU64("dropped unshipped", func(h *C.binlog_writer, v *C.uint64_t) C.binlog_result {
		return C.binlog_writer_dropped_unshipped(h, v)
	})
	if errors.Is(err, ErrClosed) && w.log {
		// Closed for good: Close set droppedAtClose under the write lock.
		w.mu.RLock()
		defer w.mu.RUnlock()
		return w.droppedAtClose, nil
	}
	return n, err
}

// PollSealed returns the oldest sealed segment of a rolling log not yet
// returned, with ok == false when there is none for now. Each sealed
// segment is returned once. After Close it returns the segments Close
// found unpolled (the last one included), then ErrClosed. Use it instead
// of segment callbacks, which this binding does not offer.
func (w *Writer) PollSealed() (info SegmentInfo, ok bool, err error) {
	const op = "poll sealed"
	if w == nil {
		return SegmentInfo{}, false, nilError(op, "writer")
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	w.pollMu.Lock()
	defer w.pollMu.Unlock()
	if w.h == nil {
		if len(w.pending) > 0 {
			info = w.pending[0]
			w.pending = w.pending[1:]
			return info, true, nil
		}
		return SegmentInfo{}, false, closedError(op, "writer", w.desc)
	}
	info, ok, err = pollSealed(w.h)
	runtime.KeepAlive(w)
	return info, ok, err
}

// pollSealed calls binlog_writer_poll_sealed; the caller holds pollMu.
func pollSealed(h *C.binlog_writer) (SegmentInfo, bool, error) {
	var ci C.binlog_segment_info
	err := call("poll sealed", func() C.binlog_result { return C.binlog_writer_poll_sealed(h, &ci) })
	if err == errEnd {
		return SegmentInfo{}, false, nil
	}
	if err != nil {
		return SegmentInfo{}, false, err
	}
	// ci.path is valid until the next poll: copied now.
	return SegmentInfo{C.GoString(ci.path), uint64(ci.segment_no), uint64(ci.first_seq), uint64(ci.record_count),
		uint64(ci.bytes)}, true, nil
}
