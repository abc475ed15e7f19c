package binlog

/*
#include <stdlib.h>
#include <binlog.h>
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Record is a record read by Reader.Next, copied into Go memory: it stays
// valid after later calls on the reader.
type Record struct {
	Seq         uint64
	TimestampNs int64 // nanoseconds since the Unix epoch
	Type        string
	Payload     []byte     // never nil, may be empty
	Metadata    []KeyValue // nil when the record has none
	Offset      uint64     // file offset of the record in its segment
}

// Time is the record's timestamp.
func (r *Record) Time() time.Time { return time.Unix(0, r.TimestampNs) }

// Meta returns the value of the first metadata entry with key.
func (r *Record) Meta(key string) (string, bool) { return valueOf(r.Metadata, key) }

// View is a record as the C library returns it: Payload and the metadata
// point into the reader's mapping of the segment (or, for an unsealed
// segment, its own copy of the records) and are valid only during the callback of
// NextView or ForEach. They are read-only (writing faults). Copy what you
// keep (View.Record, bytes.Clone). Type is a Go string and may be kept.
//
// A View used after its callback returned would show another record's
// metadata, or read memory the reader has freed: MetaAt, Meta and Record
// panic then, saying so. (Payload is a plain slice and cannot be checked:
// do not keep it either.)
type View struct {
	Seq         uint64
	TimestampNs int64
	Type        string
	Payload     []byte
	Offset      uint64
	meta        []C.binlog_meta
	// r and visit tell a live View from a stale one: r.visit moves on
	// when the callback that received the View returns. A nil r (the zero
	// View) has no memory to go stale.
	r     *Reader
	visit uint64
}

// live panics if v is used after the callback that received it returned.
func (v *View) live(what string) {
	if v.r != nil && v.r.visit.Load() != v.visit {
		panic("binlog: View." + what + " used after its callback returned: a View (its metadata and payload) " +
			"is valid only during the NextView or ForEach callback that received it; copy it there with View.Record")
	}
}

// Time is the record's timestamp.
func (v View) Time() time.Time { return time.Unix(0, v.TimestampNs) }

// MetaLen is the number of metadata entries.
func (v View) MetaLen() int { return len(v.meta) }

// MetaAt returns metadata entry i as views (valid during the callback).
func (v View) MetaAt(i int) (key, value []byte) {
	v.live("MetaAt")
	return v.metaAt(i)
}

func (v *View) metaAt(i int) (key, value []byte) {
	m := &v.meta[i]
	return cBytes(m.key, m.key_len), cBytes(m.value, m.value_len)
}

// Meta returns a view of the value of the first metadata entry with key.
func (v View) Meta(key string) ([]byte, bool) {
	v.live("Meta")
	for i := range v.meta {
		k, val := v.metaAt(i)
		if string(k) == key {
			return val, true
		}
	}
	return nil, false
}

// Record copies the view into Go memory.
func (v View) Record() *Record {
	v.live("Record")
	return &Record{
		Seq:         v.Seq,
		TimestampNs: v.TimestampNs,
		Type:        v.Type,
		Payload:     append(make([]byte, 0, len(v.Payload)), v.Payload...),
		Metadata:    goMeta(unsafe.SliceData(v.meta), C.size_t(len(v.meta)), goString),
		Offset:      v.Offset,
	}
}

// cBytes is a Go slice over C memory (nil for an empty range).
func cBytes(p *C.uint8_t, n C.size_t) []byte {
	if n == 0 || p == nil {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
}

// TailKind says how a reader's segment ended (Reader.Tail).
type TailKind uint32

const (
	TailReading     TailKind = C.BINLOG_TAIL_READING      // records remain, or the end was not reached yet
	TailSealed      TailKind = C.BINLOG_TAIL_SEALED       // every record read; the segment is sealed
	TailUnsealed    TailKind = C.BINLOG_TAIL_UNSEALED     // every record read; no seal (being written, or the writer stopped)
	TailSealDamaged TailKind = C.BINLOG_TAIL_SEAL_DAMAGED // records end at Offset, where a damaged seal begins
	TailTorn        TailKind = C.BINLOG_TAIL_TORN         // Len bytes at Offset are not a whole record: torn tail or write in progress
)

// Tail is how a reader's segment ended.
type Tail struct {
	Kind   TailKind
	Offset uint64
	Len    uint64
}

// Reader reads records in write order from a segment, a rolling log or a
// set of segment files. Its methods may be called from any goroutine but
// are serialized (the C reader is single-threaded); Close waits for the
// call in progress.
type Reader struct {
	mu sync.Mutex
	h  *C.binlog_reader // nil once closed
	// closing is set by Close before it waits for mu: ForEach, which may
	// hold mu for an unbounded stream of records, gives way when it sees it.
	closing atomic.Bool
	// desc names what was opened (a file, or a directory and a log name
	// or pattern) in ErrClosed messages.
	desc string
	// rec is the C library's view of the last record, in C memory: a Go
	// struct passed to C would be scanned by cgocheck on every call.
	rec      *C.binlog_record
	types    map[string]string
	lastType string // the last type name returned, checked before types
	// batch and batchCount receive NextBatch's output. They are Go memory
	// without Go pointers, so they may be passed to C; kept here so that a
	// steady-state NextBatch allocates nothing.
	batch      []C.binlog_batch_record
	batchCount C.size_t
	// visit numbers the NextView/ForEach callbacks: it moves on when one
	// returns, so that a View kept past its callback is refused (View.live).
	// Atomic: a kept View may be checked from any goroutine.
	visit atomic.Uint64
}

// maxInterned bounds the type names (and metadata keys) a Reader interns.
const maxInterned = 4096

// OpenReader opens the segment file at path for reading (read permission
// suffices; no lock is taken). A segment being written may be read: the
// reader sees every flushed record and never a torn one.
func OpenReader(path string) (*Reader, error) {
	return openReader("open reader", path, func(cs []*C.char, out **C.binlog_reader) C.binlog_result {
		return C.binlog_reader_open(cs[0], out)
	}, "path", path)
}

// openReader opens a reader, named desc in errors, with open given the
// (what, s) pairs' strings in C memory (as cStrings).
func openReader(op, desc string, open func([]*C.char, **C.binlog_reader) C.binlog_result, pairs ...string) (*Reader, error) {
	cs, free, err := cStrings(op, pairs...)
	if err != nil {
		return nil, err
	}
	defer free()
	var h *C.binlog_reader
	if err := call(op, func() C.binlog_result { return open(cs, &h) }); err != nil {
		return nil, err
	}
	return newReader(h, desc), nil
}

// OpenLogReader opens a reader of the rolling log name in dir: every
// segment in write order as one stream, following the writer as it rolls;
// segments removed by retention are skipped and counted (GapCount). A
// name dir holds no file of (no segment, salvaged file or manifest: a
// misspelled name, or a writer not started yet) is ErrNotFound naming dir
// and name; a follower started before the writer retries until it opens.
func OpenLogReader(dir, name string) (*Reader, error) {
	return openReader("open log reader", filepath.Join(dir, name), func(cs []*C.char, out **C.binlog_reader) C.binlog_result {
		return C.binlog_reader_open_log(cs[0], cs[1], out)
	}, "dir", dir, "name", name)
}

// OpenLogTieredReader opens a reader of the rolling log name in dir and of
// its segments shipped to remote ("s3://bucket/prefix", where a Shipper
// puts them) as one stream: a segment removed locally after its upload is
// read from the bucket, not reported as a gap. The endpoint, region and
// credentials come from the environment (AWS_ENDPOINT_URL, AWS_REGION,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); read and list permissions
// are enough.
func OpenLogTieredReader(dir, name, remote string) (*Reader, error) {
	return openLogTiered(dir, name, remote, 0)
}

// OpenLogTieredReaderTimeout is OpenLogTieredReader with failed requests
// to the bucket retried for retryTimeout (whole milliseconds) before the
// open, or a later read, fails: a server that is down, refuses
// connections or stops answering is an ErrRemote error in about this
// long, naming the server's URL and the cause.
func OpenLogTieredReaderTimeout(dir, name, remote string, retryTimeout time.Duration) (*Reader, error) {
	if retryTimeout <= 0 {
		return nil, invalid("open tiered log reader", "the retry timeout must be positive")
	}
	return openLogTiered(dir, name, remote, retryTimeout)
}

// openLogTiered opens a tiered reader, with the library's retry timeout
// if retryTimeout is 0.
func openLogTiered(dir, name, remote string, retryTimeout time.Duration) (*Reader, error) {
	return openReader("open tiered log reader", dir+"/"+name, func(cs []*C.char, out **C.binlog_reader) C.binlog_result {
		if retryTimeout > 0 {
			return C.binlog_reader_open_log_tiered_timeout(cs[0], cs[1], cs[2], retryTimeoutMs(retryTimeout), out)
		}
		return C.binlog_reader_open_log_tiered(cs[0], cs[1], cs[2], out)
	}, "dir", dir, "name", name, "remote", remote)
}

// OpenGlob opens a reader of the files in dir whose names match pattern
// (* and ? wildcards), read in name order as one stream.
func OpenGlob(dir, pattern string) (*Reader, error) {
	return openReader("open glob", filepath.Join(dir, pattern), func(cs []*C.char, out **C.binlog_reader) C.binlog_result {
		return C.binlog_reader_open_glob(cs[0], cs[1], out)
	}, "dir", dir, "pattern", pattern)
}

func newReader(h *C.binlog_reader, desc string) *Reader {
	r := &Reader{h: h, desc: desc, types: make(map[string]string)}
	r.rec = (*C.binlog_record)(C.calloc(1, C.size_t(unsafe.Sizeof(C.binlog_record{}))))
	runtime.SetFinalizer(r, (*Reader).Close)
	return r
}

// Close releases the reader's files and mappings and frees the handle. It
// waits for the call in progress (a NextWait gives way within 100 ms);
// later calls return ErrClosed. Closing again returns nil.
func (r *Reader) Close() error {
	if r == nil {
		return nilError("close reader", "reader")
	}
	r.closing.Store(true)
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.h
	if h == nil {
		return nil
	}
	r.h = nil
	runtime.SetFinalizer(r, nil)
	err := call("close reader", func() C.binlog_result { return C.binlog_reader_close(h) })
	C.binlog_reader_free(h)
	C.free(unsafe.Pointer(r.rec))
	r.rec = nil
	r.batch = nil
	return err
}

// advance fills r.rec with the next record: nil, errEnd or an error. The
// caller holds r.mu and the OS thread.
func (r *Reader) advance(op string) error {
	if r.h == nil {
		return closedError(op, "reader", r.desc)
	}
	err := result(op, C.binlog_reader_next(r.h, r.rec))
	runtime.KeepAlive(r)
	return err
}

// Next returns the next record, copied into Go memory, or io.EOF when
// there are none for now (a segment being written may grow: call again
// later, or use NextWait). A damaged record is an error matching
// ErrCorrupt that names the file and offset.
//
// On a log reader, Next may fail with ErrTruncated while the writer is
// creating its next segment (libbinlog creates the file before writing its
// header); the reader stays in place, so calling again later is safe.
// NextWait retries this case itself.
func (r *Reader) Next() (*Record, error) {
	rec := new(Record)
	if err := r.NextInto(rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// NextInto is Next into *rec, reusing rec.Payload's capacity.
func (r *Reader) NextInto(rec *Record) error {
	if r == nil {
		return nilError("next", "reader")
	}
	if rec == nil {
		// Refused before a record is consumed, which would then be lost.
		return invalid("next", r.desc+": NextInto(nil): no Record to fill (nil *Record); nothing was read")
	}
	return r.nextThen(func() error {
		r.copyInto(rec)
		return nil
	})
}

// nextThen advances to the next record (io.EOF when there is none for
// now) and calls then on it, holding r.mu.
func (r *Reader) nextThen(then func() error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	lockThread()
	err := r.advance("next")
	unlockThread()
	if err == errEnd {
		return io.EOF
	}
	if err != nil {
		return err
	}
	err = then()
	runtime.KeepAlive(r)
	return err
}

// maxWaitSlice bounds each C wait of NextWait, so Close and other calls
// get the reader within that time.
const maxWaitSlice = 100 * time.Millisecond

// NextWait is Next, but when there is no record yet it waits up to timeout
// for one, following a log's writer into new segments as it rolls. It
// returns io.EOF on timeout, and ErrClosed if the reader is closed while
// it waits.
func (r *Reader) NextWait(timeout time.Duration) (*Record, error) {
	return waitFor(context.Background(), time.Now().Add(timeout), func(slice time.Duration) (*Record, error) {
		return r.waitSlice("next wait", slice)
	})
}

// NextContext is NextWait with no timeout of its own: it waits for a record
// until ctx is done, and returns ctx.Err() then (within 100 ms of a
// cancellation; at its deadline, context.DeadlineExceeded).
func (r *Reader) NextContext(ctx context.Context) (*Record, error) {
	return waitFor(ctx, time.Time{}, func(slice time.Duration) (*Record, error) {
		return r.waitSlice("next wait", slice)
	})
}

// waitFor calls try with waits of at most maxWaitSlice, so Close and other
// calls get the reader within that time, until try returns something
// other than errEnd or ErrTruncated (its value and error), ctx is done
// (ctx.Err()) or the deadline passes (io.EOF, or ErrTruncated). A zero
// deadline means none; ctx's deadline counts as one (where it passes
// first: context.DeadlineExceeded, as ctx.Err() may lag behind the clock).
func waitFor[T any](ctx context.Context, deadline time.Time, try func(time.Duration) (T, error)) (T, error) {
	end := io.EOF
	if d, ok := ctx.Deadline(); ok && (deadline.IsZero() || d.Before(deadline)) {
		deadline, end = d, context.DeadlineExceeded
	}
	for {
		slice := maxWaitSlice
		if !deadline.IsZero() {
			slice = min(time.Until(deadline), slice)
		}
		v, err := try(slice)
		if err != errEnd && !errors.Is(err, ErrTruncated) {
			return v, err
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return v, ctxErr
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			if err == errEnd {
				err = end
			}
			return v, err
		}
		if err != errEnd {
			// Workaround: a rolling log creates its next segment file
			// before it writes the header, and a log reader that opens the
			// file in between fails with ErrTruncated ("file ends inside
			// the segment header") instead of waiting. The failed call
			// leaves the reader where it was, so try again until the
			// deadline; a header that stays torn is still reported then.
			time.Sleep(time.Millisecond)
		}
	}
}

func (r *Reader) waitSlice(op string, d time.Duration) (*Record, error) {
	if r == nil {
		return nil, nilError(op, "reader")
	}
	rec := new(Record)
	err := r.simple(op, func(h *C.binlog_reader) C.binlog_result {
		rc := C.binlog_reader_next_wait(h, C.uint64_t(ceilMillis(d)), r.rec)
		if rc == C.BINLOG_OK {
			r.copyInto(rec)
		}
		return rc
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// copyInto copies r.rec into rec; the caller holds r.mu.
func (r *Reader) copyInto(rec *Record) { copyRecord(r.rec, rec, r.typeName, r.intern) }

// copyRecord copies the C library's record c into rec, reusing
// rec.Payload's capacity; typ and key make the type name and the metadata
// keys strings.
func copyRecord(c *C.binlog_record, rec *Record, typ, key func([]byte) string) {
	rec.Seq = uint64(c.seq)
	rec.TimestampNs = int64(c.timestamp_ns)
	rec.Offset = uint64(c.offset)
	rec.Type = typ(cBytes(c.type_name, c.type_len))
	rec.Payload = append(rec.Payload[:0], cBytes(c.payload, c.payload_len)...)
	if rec.Payload == nil {
		rec.Payload = []byte{}
	}
	rec.Metadata = goMeta(c.meta, c.meta_count, key)
}

// goMeta copies the n metadata entries (or header parameters) at p into Go
// memory, nil for none; key makes the keys strings.
func goMeta(p *C.binlog_meta, n C.size_t, key func([]byte) string) []KeyValue {
	if n == 0 || p == nil {
		return nil
	}
	ms := unsafe.Slice(p, int(n))
	out := make([]KeyValue, len(ms))
	for i := range ms {
		out[i] = KeyValue{Key: key(cBytes(ms[i].key, ms[i].key_len)), Value: string(cBytes(ms[i].value, ms[i].value_len))}
	}
	return out
}

// typeName interns a record's type name; runs of one type skip the map.
func (r *Reader) typeName(b []byte) string {
	if string(b) == r.lastType {
		return r.lastType
	}
	r.lastType = r.intern(b)
	return r.lastType
}

// intern returns b as a string, shared between records with the same type
// name (or metadata key), so most records cost no string allocation.
func (r *Reader) intern(b []byte) string {
	if s, ok := r.types[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(r.types) < maxInterned {
		r.types[s] = s
	}
	return s
}

// view makes a View of r.rec; the caller holds r.mu.
func (r *Reader) view() View {
	c := r.rec
	v := View{
		Seq:         uint64(c.seq),
		TimestampNs: int64(c.timestamp_ns),
		Type:        r.typeName(cBytes(c.type_name, c.type_len)),
		Payload:     cBytes(c.payload, c.payload_len),
		Offset:      uint64(c.offset),
		meta:        unsafe.Slice(c.meta, int(c.meta_count)),
	}
	v.r, v.visit = r, r.visit.Load()
	return v
}

// callView calls fn with a view of r.rec; the View goes stale when fn
// returns (or panics). The caller holds r.mu.
func (r *Reader) callView(fn func(View) error) error {
	defer r.visit.Add(1)
	return fn(r.view())
}

// NextView calls fn with a zero-copy view of the next record, valid only
// during fn, and returns fn's error; io.EOF when there is no record for
// now. fn must not call methods of the same Reader.
func (r *Reader) NextView(fn func(View) error) error {
	if r == nil {
		return nilError("next", "reader")
	}
	if fn == nil {
		return invalid("next", r.desc+": NextView(nil): nil callback; nothing was read")
	}
	return r.nextThen(func() error { return r.callView(fn) })
}

// ForEach calls fn with a zero-copy view of every remaining record, valid
// only during that call, until there are none for now (it returns nil) or
// fn returns an error (it returns that error; the record stays consumed).
// fn must not call methods of the same Reader. A Close from another
// goroutine stops ForEach between two records (it returns ErrClosed; the
// records seen stay consumed): on a segment that keeps growing the end may
// never come, and Close would wait for it.
func (r *Reader) ForEach(fn func(View) error) error {
	if r == nil {
		return nilError("next", "reader")
	}
	if fn == nil {
		return invalid("next", r.desc+": ForEach(nil): nil callback; nothing was read")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	lockThread() // once for the scan, not per record
	defer unlockThread()
	for {
		if r.closing.Load() {
			return closedError("next", "reader", r.desc)
		}
		err := r.advance("next")
		if err == errEnd {
			return nil
		}
		if err != nil {
			return err
		}
		if err := r.callView(fn); err != nil {
			return err
		}
	}
}

// simple runs a C call on the handle under the lock.
func (r *Reader) simple(op string, f func(*C.binlog_reader) C.binlog_result) error {
	if r == nil {
		return nilError(op, "reader")
	}
	return onOpen(&r.mu, &r.h, op, "reader", r.desc, f)
}

// SeekSeq positions the reader at the first record with a sequence number
// of at least seq (at the end if none), using the seal's sparse index.
func (r *Reader) SeekSeq(seq uint64) error {
	return r.simple("seek seq", func(h *C.binlog_reader) C.binlog_result {
		return C.binlog_reader_seek_seq(h, C.uint64_t(seq))
	})
}

// SeekTime positions the reader at the first record, in write order, with
// a timestamp of at least t (at the end if none). A t before 1678 seeks to
// the start and one after 2262 to the end (int64 nanoseconds hold neither).
func (r *Reader) SeekTime(t time.Time) error {
	switch {
	case t.Before(minUnixNano):
		return r.SeekTimeNs(math.MinInt64)
	case t.After(maxUnixNano):
		return r.SeekTimeNs(math.MaxInt64)
	}
	return r.SeekTimeNs(t.UnixNano())
}

// SeekTimeNs is SeekTime with nanoseconds since the Unix epoch.
func (r *Reader) SeekTimeNs(ns int64) error {
	return r.simple("seek time", func(h *C.binlog_reader) C.binlog_result {
		return C.binlog_reader_seek_time(h, C.int64_t(ns))
	})
}

// FilterTypes restricts the reader to records whose type is one of types;
// no types reads every type again. A sealed segment is read through its
// per-type index. A record NextBatch held back stays if the new filter
// passes it (see NextBatch).
func (r *Reader) FilterTypes(types ...string) error {
	const op = "filter types"
	// The iovec array and names go to C memory: a Go array holding Go
	// pointers may not be passed to C.
	n := 0
	for _, t := range types {
		n += len(t)
	}
	mem := C.calloc(1, C.size_t(len(types)*sizeofIovec+n+1))
	defer C.free(mem)
	iovs := unsafe.Slice((*C.binlog_iovec)(mem), len(types))
	a := arena{buf: unsafe.Slice((*byte)(unsafe.Add(mem, len(types)*sizeofIovec)), n)}
	for i, t := range types {
		iovs[i].base = a.str(t)
		iovs[i].len = C.size_t(len(t))
	}
	var first *C.binlog_iovec
	if len(types) > 0 {
		first = &iovs[0]
	}
	return r.simple(op, func(h *C.binlog_reader) C.binlog_result {
		return C.binlog_reader_filter_types(h, first, C.size_t(len(types)))
	})
}

// SetDecodeThreads sets how many threads a full scan of a compressed
// segment (.binlog.zst, local or remote) decompresses its next frames on,
// ahead of the reader; at most 4 are used, and 0 or 1 has the reader's
// own thread decompress each frame when it reaches it. Records, damage and
// errors are the same either way; a log reader applies it to every segment
// it opens from now on. By default the machine's cores (at most 4) for a
// remote object, 0 for a local file. The threads are the library's own
// and end when the reader is closed or leaves the segment. A negative n is
// ErrInvalidArgument.
func (r *Reader) SetDecodeThreads(n int) error {
	const op = "set decode threads"
	if n < 0 {
		return invalid(op, fmt.Sprintf("decode threads %d is negative", n))
	}
	// Any count above 4 means 4: a larger int than C's uint32_t is capped.
	threads := C.uint32_t(min(uint64(n), math.MaxUint32))
	return r.simple(op, func(h *C.binlog_reader) C.binlog_result {
		return C.binlog_reader_decode_threads(h, threads)
	})
}

// GapCount is how many gaps a log reader met (see Gaps); 0 for a segment
// reader.
func (r *Reader) GapCount() (uint64, error) {
	var n C.uint64_t
	err := r.simple("gap count", func(h *C.binlog_reader) C.binlog_result {
		return C.binlog_reader_gap_count(h, &n)
	})
	return uint64(n), err
}

// GapReason says why a log reader could not return records: the C
// library's closed set (binlog_gap_reason).
type GapReason uint32

const (
	// GapRetention: a listed segment of a log directory gone before it
	// could be opened, or segments missing before the next with no older
	// listed file left (retention removes the oldest first).
	GapRetention GapReason = C.BINLOG_GAP_RETENTION
	// GapMissing: a segment or bucket object that should be there and is
	// not (segment numbers skip it, or a listed object is gone).
	GapMissing GapReason = C.BINLOG_GAP_MISSING
	// GapDamage: bytes lost to damage at Offset (a segment ending in a
	// torn tail while a later one follows it); or, with no offset, records
	// missing before a file salvaged from the segment, destroyed by the
	// damage the salvage copied around.
	GapDamage GapReason = C.BINLOG_GAP_DAMAGE
	// GapSeqJump: consecutive segments whose sequence numbers do not
	// continue each other.
	GapSeqJump GapReason = C.BINLOG_GAP_SEQ_JUMP
)

var gapReasonNames = map[GapReason]string{GapRetention: "retention", GapMissing: "missing", GapDamage: "damage", GapSeqJump: "seq-jump"}

// String is the reason's name: retention, missing, damage or seq-jump.
func (g GapReason) String() string {
	if s, ok := gapReasonNames[g]; ok {
		return s
	}
	return fmt.Sprintf("GapReason(%d)", uint32(g))
}

// Gap is records a log reader could not return, as the C library reports
// them (binlog_gap): records [FromSeq, ToSeq) of Path (a segment file, or
// an object's s3:// URL) for Reason. A field whose Has flag is false is
// not known.
type Gap struct {
	Reason     GapReason
	Path       string
	HasOffset  bool
	Offset     uint64
	HasFromSeq bool
	FromSeq    uint64
	HasToSeq   bool
	ToSeq      uint64
}

// Gaps is every gap a log reader met so far, oldest first (none for a
// segment reader): the same for a log read from its directory, from
// compressed segments or from a bucket.
func (r *Reader) Gaps() (gaps []Gap, err error) {
	err = r.simple("gaps", func(h *C.binlog_reader) (rc C.binlog_result) {
		gaps, rc = fetchAll(func(rows *C.binlog_gap, _ *C.binlog_iovec, n C.size_t, got *C.size_t) C.binlog_result {
			return C.binlog_reader_gaps(h, rows, n, got)
		}, func(g *C.binlog_gap, _ C.binlog_iovec) Gap { return goGap(g) })
		return rc
	})
	return gaps, err
}

// fetchAll is a list the library copies out (gaps, damaged regions) and,
// of a merged reader, each one's log name: get asked for the count first
// (no buffers), then for that many; conv copies each into Go memory.
func fetchAll[T, G any](get func(rows *T, logs *C.binlog_iovec, n C.size_t, got *C.size_t) C.binlog_result,
	conv func(*T, C.binlog_iovec) G) (out []G, rc C.binlog_result) {
	var n C.size_t
	if rc = get(nil, nil, 0, &n); rc != C.BINLOG_OK || n == 0 {
		return nil, rc
	}
	rows, logs := make([]T, n), make([]C.binlog_iovec, n)
	if rc = get(&rows[0], &logs[0], n, &n); rc != C.BINLOG_OK {
		return nil, rc
	}
	for i := range rows[:min(int(n), len(rows))] {
		out = append(out, conv(&rows[i], logs[i]))
	}
	return out, rc
}

// goGap copies the C library's gap into Go memory.
func goGap(g *C.binlog_gap) Gap {
	return Gap{GapReason(g.reason), goName(C.binlog_iovec{g.path, g.path_len}), bool(g.has_offset), uint64(g.offset),
		bool(g.has_from_seq), uint64(g.from_seq), bool(g.has_to_seq), uint64(g.to_seq)}
}

// Tail says how the segment ended, once Next returned io.EOF.
func (r *Reader) Tail() (Tail, error) {
	var t C.binlog_tail
	err := r.simple("tail", func(h *C.binlog_reader) C.binlog_result {
		return C.binlog_reader_tail(h, &t)
	})
	return Tail{Kind: TailKind(t.kind), Offset: uint64(t.offset), Len: uint64(t.len)}, err
}
