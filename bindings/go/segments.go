package binlog

/*
#include <stdlib.h>
#include <binlog.h>
*/
import "C"

// SegmentState is where a log's file is in its lifecycle
// (binlog_segment_state).
type SegmentState uint32

const (
	// SegmentActive: no seal; being written, or its writer stopped
	// between records.
	SegmentActive SegmentState = C.BINLOG_SEGMENT_STATE_ACTIVE
	// SegmentEnding: records closed by SEAL_BEGIN, the rest of the seal
	// not written (yet); no record is added any more.
	SegmentEnding SegmentState = C.BINLOG_SEGMENT_STATE_ENDING
	// SegmentSealed: it never changes again (safe to upload or archive).
	SegmentSealed SegmentState = C.BINLOG_SEGMENT_STATE_SEALED
	// SegmentUnreadable: its header cannot be read.
	SegmentUnreadable SegmentState = C.BINLOG_SEGMENT_STATE_UNREADABLE
)

// Segment is one file of a log as ListSegments found it, copied into Go
// memory.
type Segment struct {
	Path      string
	SegmentNo uint64 // a salvaged file's is its segment's
	State     SegmentState
	// Salvaged is true for a file `binlog repair --salvage` made of the
	// records at SalvagedOffset of segment SegmentNo.
	Salvaged       bool
	SalvagedOffset uint64
	// FirstSeq is the first record's sequence number (from the header),
	// when HasFirstSeq; LastSeq the last one's once the records are closed
	// (sealed or ending) and there is one, when HasLastSeq.
	HasFirstSeq bool
	FirstSeq    uint64
	HasLastSeq  bool
	LastSeq     uint64
	Bytes       uint64 // the file's size when listed (compressed: its compressed size)
	// Compressed is true for a compressed segment (<segment>.binlog.zst)
	// whose seek table could be read; OriginalBytes is then the size of the
	// segment it holds.
	Compressed    bool
	OriginalBytes uint64
}

// ListSegments lists the files of log name in dir in the order a log
// reader reads them (segments by number, each followed by the files
// salvaged from it), with their state (binlog_log_list_segments). The list
// is a snapshot: a live log may roll or seal meanwhile. Safe to call from
// any number of goroutines.
func ListSegments(dir, name string) ([]Segment, error) {
	const op = "list segments"
	cs, free, err := cStrings(op, "dir", dir, "name", name)
	if err != nil {
		return nil, err
	}
	defer free()
	var list *C.binlog_segment_list
	lockThread()
	defer unlockThread()
	if err := result(op, C.binlog_log_list_segments(cs[0], cs[1], &list)); err != nil {
		return nil, err
	}
	defer C.binlog_segment_list_free(list)
	var n C.size_t
	if err := result(op, C.binlog_segment_list_count(list, &n)); err != nil {
		return nil, err
	}
	out := make([]Segment, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		var c C.binlog_listed_segment
		if err := result(op, C.binlog_segment_list_get(list, i, &c)); err != nil {
			return nil, err
		}
		var compressed C.bool
		var original C.uint64_t
		if err := result(op, C.binlog_segment_list_get_compression(list, i, &compressed, &original)); err != nil {
			return nil, err
		}
		out = append(out, Segment{
			Path:           C.GoString(c.path),
			SegmentNo:      uint64(c.segment_no),
			State:          SegmentState(c.state),
			Salvaged:       bool(c.salvaged),
			SalvagedOffset: uint64(c.salvaged_offset),
			HasFirstSeq:    bool(c.has_first_seq),
			FirstSeq:       uint64(c.first_seq),
			HasLastSeq:     bool(c.has_last_seq),
			LastSeq:        uint64(c.last_seq),
			Bytes:          uint64(c.bytes),
			Compressed:     bool(compressed),
			OriginalBytes:  uint64(original),
		})
	}
	return out, nil
}
