package binlog

/*
#include <stdlib.h>
#include <binlog.h>
*/
import "C"

import (
	"math"
	"runtime"
	"time"
	"unsafe"
)

// Entry is one record to write with WriteEntry or WriteBatch.
type Entry struct {
	// Type names the record's type (UTF-8, may be empty).
	Type string
	// Payload is the record's payload, unless Parts is not empty.
	Payload []byte
	// Parts, when not empty, are gathered in order into the payload, and
	// Payload is ignored.
	Parts [][]byte
	// Metadata is stored with the record, in this order (UTF-8).
	Metadata []KeyValue
	// Time is the record's timestamp; the zero Time means now (the
	// library's clock). A time int64 nanoseconds since the Unix epoch
	// cannot hold (before 1677-09-21 or after 2262-04-11) is refused with
	// ErrInvalidArgument.
	Time time.Time
}

// copyThreshold: payloads and parts shorter than this are copied into the
// C allocation of a batch; longer ones are pinned and passed in place.
// Pinning costs a few runtime calls per slice, copying a short slice less.
const copyThreshold = 1024

// timeNow is BINLOG_TIME_NOW.
const timeNow = math.MinInt64

// cBatch is a C array of binlog_entry, built in one C allocation together
// with its metadata and iovec arrays and the bytes it copies. Go memory it
// points at (long payloads and parts) is pinned until free: the cgo rules
// allow a Go pointer in C memory only if the object is pinned.
type cBatch struct {
	mem     unsafe.Pointer
	entries *C.binlog_entry
	iov     *C.binlog_iovec // for WriteV: the parts
	count   int
	pin     runtime.Pinner
}

var (
	sizeofEntry = int(unsafe.Sizeof(C.binlog_entry{}))
	sizeofMeta  = int(unsafe.Sizeof(C.binlog_meta{}))
	sizeofIovec = int(unsafe.Sizeof(C.binlog_iovec{}))
)

func (b *cBatch) free() {
	b.pin.Unpin()
	C.free(b.mem)
	b.mem, b.entries, b.iov = nil, nil, nil
}

// arena hands out the byte area of a batch allocation.
type arena struct {
	buf []byte
	off int
}

// str copies s into the arena, as bytes.
func (a *arena) str(s string) *C.uint8_t { return a.bytes(unsafe.Slice(unsafe.StringData(s), len(s))) }

// bytes copies b into the arena: its address there, or NULL for an empty b.
func (a *arena) bytes(b []byte) *C.uint8_t {
	if len(b) == 0 {
		return nil
	}
	n := copy(a.buf[a.off:], b)
	p := &a.buf[a.off]
	a.off += n
	return (*C.uint8_t)(unsafe.Pointer(p))
}

// payload returns a pointer the C library may read b through: a copy in the
// arena for a short b, else b itself, pinned.
func (b *cBatch) payload(a *arena, p []byte) *C.uint8_t {
	if len(p) < copyThreshold {
		return a.bytes(p)
	}
	b.pin.Pin(&p[0])
	return (*C.uint8_t)(unsafe.Pointer(&p[0]))
}

// buildBatch makes the C form of es. Every pointer it stores into C memory
// is a C pointer (into the allocation) or a pinned Go pointer. The memory
// comes from calloc: a pointer store into it runs the GC write barrier,
// which must not find garbage in the slot it overwrites.
func buildBatch(es []Entry) *cBatch {
	n := len(es)
	var nMeta, nParts, nBytes int
	for i := range es {
		e := &es[i]
		if i == 0 || e.Type != es[i-1].Type {
			nBytes += len(e.Type)
		}
		nMeta += len(e.Metadata)
		for _, m := range e.Metadata {
			nBytes += len(m.Key) + len(m.Value)
		}
		if len(e.Parts) > 0 {
			nParts += len(e.Parts)
			for _, p := range e.Parts {
				if len(p) < copyThreshold {
					nBytes += len(p)
				}
			}
		} else if len(e.Payload) < copyThreshold {
			nBytes += len(e.Payload)
		}
	}
	structs := n*sizeofEntry + nMeta*sizeofMeta + nParts*sizeofIovec
	mem := C.calloc(1, C.size_t(structs+nBytes+1))
	b := &cBatch{mem: mem, count: n}
	b.entries = (*C.binlog_entry)(mem)
	entries := unsafe.Slice(b.entries, n)
	metas := unsafe.Slice((*C.binlog_meta)(unsafe.Add(mem, n*sizeofEntry)), nMeta)
	iovs := unsafe.Slice((*C.binlog_iovec)(unsafe.Add(mem, n*sizeofEntry+nMeta*sizeofMeta)), nParts)
	a := arena{buf: unsafe.Slice((*byte)(unsafe.Add(mem, structs)), nBytes)}
	var mi, pi int
	for i := range es {
		e := &es[i]
		c := &entries[i]
		if i > 0 && e.Type == es[i-1].Type {
			// The same bytes: the library validates a repeated name once.
			c.type_name = entries[i-1].type_name
		} else {
			c.type_name = a.str(e.Type)
		}
		c.type_len = C.size_t(len(e.Type))
		if len(e.Metadata) > 0 {
			c.meta = &metas[mi]
			c.meta_count = C.size_t(len(e.Metadata))
			for _, m := range e.Metadata {
				cm := &metas[mi]
				cm.key = a.str(m.Key)
				cm.key_len = C.size_t(len(m.Key))
				cm.value = a.str(m.Value)
				cm.value_len = C.size_t(len(m.Value))
				mi++
			}
		}
		if len(e.Parts) > 0 {
			c.parts = &iovs[pi]
			c.part_count = C.size_t(len(e.Parts))
			for _, p := range e.Parts {
				iovs[pi].base = b.payload(&a, p)
				iovs[pi].len = C.size_t(len(p))
				pi++
			}
		} else {
			c.payload = b.payload(&a, e.Payload)
			c.payload_len = C.size_t(len(e.Payload))
		}
		if e.Time.IsZero() {
			c.timestamp_ns = timeNow
		} else {
			c.timestamp_ns = C.int64_t(e.Time.UnixNano())
		}
	}
	if nParts > 0 {
		b.iov = &iovs[0]
	}
	return b
}
