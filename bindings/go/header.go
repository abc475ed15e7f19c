package binlog

/*
#include <binlog.h>
*/
import "C"

import "time"

// Header is a segment's header (binlog_reader_header), copied into Go
// memory: it stays valid after later calls on the reader.
type Header struct {
	Major, Minor uint16 // segment format version that wrote the segment
	CreatedNs    int64  // creation time, nanoseconds since the Unix epoch
	SegmentNo    uint64 // position in its log (0 for a standalone segment)
	FirstSeq     uint64 // sequence number of the segment's first record
	LogName      string
	ContentType  string
	Writer       string     // library and version that wrote it, e.g. "libbinlog/0.1.0"
	Params       []KeyValue // in the order given; nil when there are none
}

// Created is the segment's creation time.
func (h *Header) Created() time.Time { return time.Unix(0, h.CreatedNs) }

// Param returns the value of the first parameter with key.
func (h *Header) Param(key string) (string, bool) { return valueOf(h.Params, key) }

// Header returns the header of the segment being read: a segment
// reader's one segment's from the open on. For a reader of a log or a
// glob it is the segment the last record returned came from, so it
// changes as the reader crosses into the next segment (a record NextBatch
// held back counts: it may start the next segment), or after a seek the
// segment the seek landed in; before either it is an error matching
// ErrNotFound. After Close it is ErrClosed.
func (r *Reader) Header() (h *Header, err error) {
	// c receives only C pointers (into the reader), which Go memory may
	// hold; they are valid until the next call on the reader, so everything
	// is copied under the reader's lock.
	err = r.simple("header", func(rh *C.binlog_reader) C.binlog_result {
		var c C.binlog_header
		if rc := C.binlog_reader_header(rh, &c); rc != C.BINLOG_OK {
			return rc
		}
		h = &Header{
			Major:       uint16(c.major),
			Minor:       uint16(c.minor),
			CreatedNs:   int64(c.created_ns),
			SegmentNo:   uint64(c.segment_no),
			FirstSeq:    uint64(c.first_seq),
			LogName:     string(cBytes(c.log_name, c.log_name_len)),
			ContentType: string(cBytes(c.content_type, c.content_type_len)),
			Writer:      string(cBytes(c.writer, c.writer_len)),
		}
		h.Params = goMeta(c.params, c.param_count, goString)
		return C.BINLOG_OK
	})
	return h, err
}
