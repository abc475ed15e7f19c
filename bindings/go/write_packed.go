package binlog

/*
#include <stdlib.h>
#include <binlog.h>
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// packedEntries is the binlog_entry array of WritePacked, in C memory,
// and the pinner of its buffers, kept by the Writer so that a steady stream
// of batches allocates nothing (and cgo, which checks every Go pointer in
// Go memory passed to C, has no array to scan). The entries point into
// the caller's buffers only while the call that pinned them runs.
type packedEntries struct {
	mu      sync.Mutex
	entries *C.binlog_entry // nil, or room for cap entries
	cap     int
	pin     runtime.Pinner
	first   C.uint64_t // the call's output, kept here rather than allocated per call
}

// WritePacked appends len(lengths) records of type typ in one cgo
// crossing: their payloads lie end to end in data (record i is the
// lengths[i] bytes after those of records 0..i-1), as in the Java
// binding's writeBatch. It returns the first record's sequence number. No
// payload is copied and, once the Writer has seen a batch this long,
// nothing is allocated: data is pinned for the call and the entries are
// built in a C array the Writer keeps (a call that meets another one
// using it allocates its own). Bytes of data after the records are
// ignored. Like WriteBatch, every entry is checked first (a refused batch
// writes nothing), and an empty batch returns NextSeq.
func (w *Writer) WritePacked(typ string, data []byte, lengths []int) (uint64, error) {
	const op = "write packed"
	total := 0
	for i, n := range lengths {
		if n < 0 || n > len(data)-total {
			return 0, invalid(op, fmt.Sprintf("%s: record %d of %d: length %d does not fit in data (%d bytes, %d used by the records before it); no record of this call was written",
				w.desc, i, len(lengths), n, len(data), total))
		}
		total += n
	}
	if len(lengths) == 0 {
		return w.NextSeq()
	}
	h, err := w.acquire(op)
	if err != nil {
		return 0, err
	}
	defer w.release()
	p := &w.packed
	if p.mu.TryLock() {
		defer p.mu.Unlock()
	} else {
		p = new(packedEntries)
		defer p.free()
	}
	first, err := p.write(h, typ, data, lengths)
	runtime.KeepAlive(w)
	return first, err
}

// write builds the entries of a WritePacked whose lengths fit data and
// makes the call; the caller owns p.
func (p *packedEntries) write(h *C.binlog_writer, typ string, data []byte, lengths []int) (uint64, error) {
	if p.cap < len(lengths) {
		p.free()
		p.entries = (*C.binlog_entry)(C.calloc(C.size_t(len(lengths)), C.size_t(sizeofEntry)))
		p.cap = len(lengths)
	}
	entries := unsafe.Slice(p.entries, len(lengths))
	defer p.pin.Unpin()
	typePtr := strPtr(typ)
	if typePtr != nil {
		p.pin.Pin(typePtr)
	}
	if len(data) > 0 {
		p.pin.Pin(&data[0])
	}
	off := 0
	for i, n := range lengths {
		// Every field: the array is reused.
		entries[i] = C.binlog_entry{type_name: typePtr, type_len: C.size_t(len(typ)),
			payload_len: C.size_t(n), timestamp_ns: timeNow}
		if n > 0 {
			entries[i].payload = (*C.uint8_t)(unsafe.Pointer(&data[off]))
		}
		off += n
	}
	lockThread()
	err := result("write packed", C.binlog_writer_write_batch(h, p.entries, C.size_t(len(lengths)), &p.first))
	unlockThread()
	runtime.KeepAlive(data)
	return uint64(p.first), err
}

func (p *packedEntries) free() {
	C.free(unsafe.Pointer(p.entries))
	p.entries, p.cap = nil, 0
}
