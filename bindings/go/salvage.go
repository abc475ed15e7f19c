package binlog

/*
#include <binlog.h>
*/
import "C"

// Damage is a damaged region a reader skipped (binlog_damage2): bytes
// [Offset, ResumeOffset) of Path and records [FromSeq, ToSeq) are lost.
type Damage struct {
	// Path is the segment file the region is in (as the reader was given
	// it, or as a log reader found it in its directory), or the object's
	// s3:// URL.
	Path         string
	Offset       uint64
	ResumeOffset uint64
	FromSeq      uint64
	ToSeq        uint64
}

// OpenReaderSalvage opens the segment file at path to read what survives
// of it (binlog_reader_open_salvage): a damaged header is reported as a
// damaged region (Damages) and the records after it are read, and later
// damaged regions are skipped as with SkipDamaged(true). A segment with a
// sound header opens as with OpenReader; a file without the magic number
// is still ErrNotABinlog.
func OpenReaderSalvage(path string) (*Reader, error) {
	return openReader("open salvage reader", path, func(cs []*C.char, out **C.binlog_reader) C.binlog_result {
		return C.binlog_reader_open_salvage(cs[0], out)
	}, "path", path)
}

// SkipDamaged, with skip true, has the reader skip a damaged region in the
// middle of a segment (bytes that fail their checks while valid records
// follow) and resume at the next valid record, recording the region
// (Damages) (binlog_reader_skip_damaged). By default it stops there with
// ErrCorrupt naming the file and offset.
func (r *Reader) SkipDamaged(skip bool) error {
	return r.simple("skip damaged", func(h *C.binlog_reader) C.binlog_result {
		return C.binlog_reader_skip_damaged(h, C.bool(skip))
	})
}

// Damages is every damaged region the reader skipped so far, in the order
// met, each with the file or object it is in (binlog_reader_damages2);
// none for a reader that skips nothing.
func (r *Reader) Damages() (damages []Damage, err error) {
	err = r.simple("damages", func(h *C.binlog_reader) (rc C.binlog_result) {
		damages, rc = fetchAll(func(rows *C.binlog_damage2, _ *C.binlog_iovec, n C.size_t, got *C.size_t) C.binlog_result {
			return C.binlog_reader_damages2(h, rows, n, got)
		}, func(d *C.binlog_damage2, _ C.binlog_iovec) Damage { return goDamage(d) })
		return rc
	})
	return damages, err
}

// goDamage copies the C library's damaged region into Go memory.
func goDamage(d *C.binlog_damage2) Damage {
	return Damage{goName(C.binlog_iovec{d.path, d.path_len}), uint64(d.offset), uint64(d.resume_offset),
		uint64(d.from_seq), uint64(d.to_seq)}
}
