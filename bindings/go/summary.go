package binlog

/*
#include <stdlib.h>
#include <binlog.h>
*/
import "C"

// TypeSummary is what the records of one type hold: how many, their bytes
// in the file (framing, type, metadata and payload) and their payloads',
// and the sequence numbers and timestamps (ns) of the first and last read.
type TypeSummary struct {
	Name                         string
	Records, Bytes, PayloadBytes uint64
	FirstSeq, LastSeq            uint64
	FirstNs, LastNs              int64
}

// Summary is what records hold in all, and per type in the order of each
// type's first record (binlog_summary_*). "First" and "last" are in read
// order, MinNs and MaxNs the earliest and latest timestamps; with no
// record every field is zero. Memory grows with the types, not the records.
type Summary struct {
	Records, Bytes, PayloadBytes  uint64
	FirstSeq, LastSeq             uint64
	FirstNs, LastNs, MinNs, MaxNs int64
	Types                         []TypeSummary
}

// Type is the summary of type name, and whether a record has it.
func (s *Summary) Type(name string) (TypeSummary, bool) {
	return first(s.Types, func(t TypeSummary) bool { return t.Name == name })
}

// Summarize summarizes every record of a segment file (plain or
// compressed) or of a directory holding one log (ErrInvalidArgument for
// one of several: use a log reader's Summary; a log with no segment left
// has every count 0). Damage is ErrCorrupt.
func Summarize(path string) (*Summary, error) {
	const op = "summarize"
	cs, free, err := cStrings(op, "path", path)
	if err != nil {
		return nil, err
	}
	defer free()
	var s *C.binlog_summary
	err = call(op, func() C.binlog_result { return C.binlog_summary_open(cs[0], &s) })
	return summaryOf(op, s, err)
}

// Summary reads on to the end (its type filter applies) and summarizes
// the records it read from where it stood.
func (r *Reader) Summary() (*Summary, error) {
	var s *C.binlog_summary
	err := r.simple("summary", func(h *C.binlog_reader) C.binlog_result { return C.binlog_summary_of_reader(h, &s) })
	return summaryOf("summary", s, err)
}

// Summary reads on to the end (its time window applies) and summarizes the
// records it read from where it stood, in merged order.
func (r *MergedReader) Summary() (*Summary, error) {
	var s *C.binlog_summary
	err := r.call("merged summary", func(h *C.binlog_merged_reader) C.binlog_result { return C.binlog_summary_of_merged(h, &s) })
	return summaryOf("merged summary", s, err)
}

// summaryOf copies summary s, made by a call that returned err (none if
// it failed), into Go memory and frees it.
func summaryOf(op string, s *C.binlog_summary, err error) (*Summary, error) {
	if err != nil {
		return nil, err
	}
	defer C.binlog_summary_free(s)
	lockThread()
	defer unlockThread()
	var t C.binlog_totals
	var n C.size_t
	if err := result(op, C.binlog_summary_totals(s, &t)); err != nil {
		return nil, err
	}
	if err := result(op, C.binlog_summary_type_count(s, &n)); err != nil {
		return nil, err
	}
	out := &Summary{uint64(t.records), uint64(t.bytes), uint64(t.payload_bytes), uint64(t.first_seq),
		uint64(t.last_seq), int64(t.first_ns), int64(t.last_ns), int64(t.min_ns), int64(t.max_ns),
		make([]TypeSummary, int(n))}
	for i := range out.Types {
		var c C.binlog_type_summary
		if err := result(op, C.binlog_summary_type(s, C.size_t(i), &c)); err != nil {
			return nil, err
		}
		out.Types[i] = TypeSummary{C.GoStringN(c.name, C.int(c.name_len)), uint64(c.records),
			uint64(c.bytes), uint64(c.payload_bytes), uint64(c.first_seq), uint64(c.last_seq),
			int64(c.first_ns), int64(c.last_ns)}
	}
	return out, nil
}
