//! C ABI review 16, through `binlog::ffi` in a debug build (overflow
//! checks and the standard library's debug precondition checks on):
//! `binlog_reader_next_batch` with a `cap` no array can have, and a log
//! reader's header once it has looked into the next (empty) segment.

mod common;
use binlog::ffi::reader::{
    binlog_reader_free, binlog_reader_header, binlog_reader_next, binlog_reader_open,
    binlog_reader_open_log,
};
use binlog::ffi::reader_batch::binlog_reader_next_batch;
use binlog::ffi::result::binlog_result;
use binlog::ffi::types::{binlog_batch_record, binlog_header, binlog_record};
use binlog::log::{LogOptions, LogWriter};
use binlog::{Options, Writer};
use common::ffi::{c_path, c_str, last_error};
use common::TempDir;

/// A `cap` whose array would exceed `isize::MAX` bytes: the old code made
/// a slice of that length (undefined behaviour; a debug build aborts the
/// process in `slice::from_raw_parts_mut`); it is refused now, writing no
/// output and consuming no record.
#[test]
fn next_batch_refuses_a_cap_larger_than_any_array() {
    let dir = TempDir::new("r16-cap");
    let path = dir.join("a.binlog");
    let w = Writer::open(&path, Options::default()).unwrap();
    w.write("t", b"one").unwrap();
    w.close().unwrap();
    let p = c_path(&path);
    let mut r = std::ptr::null_mut();
    assert_eq!(
        binlog_reader_open(p.as_ptr(), &mut r),
        binlog_result::BINLOG_OK
    );
    let mut buf = [0xeeu8; 128];
    let mut recs = [binlog_batch_record::default(); 2];
    for cap in [
        usize::MAX,
        isize::MAX as usize / std::mem::size_of::<binlog_batch_record>() + 1,
    ] {
        let mut count = 7usize;
        let rc = binlog_reader_next_batch(
            r,
            buf.as_mut_ptr(),
            buf.len(),
            recs.as_mut_ptr(),
            cap,
            0,
            &mut count,
        );
        assert_eq!(rc, binlog_result::BINLOG_ERR_INVALID_ARGUMENT, "cap {cap}");
        let msg = last_error();
        assert!(msg.contains("cap") && msg.contains("a.binlog"), "{msg}");
        assert_eq!(count, 7);
        assert_eq!(buf[0], 0xee);
    }
    let mut count = 0usize;
    let rc = binlog_reader_next_batch(
        r,
        buf.as_mut_ptr(),
        buf.len(),
        recs.as_mut_ptr(),
        recs.len(),
        0,
        &mut count,
    );
    assert_eq!(rc, binlog_result::BINLOG_OK, "{}", last_error());
    assert_eq!((count, recs[0].seq), (1, 0));
    binlog_reader_free(r);
}

/// `binlog_reader_header` of a log reader describes "the segment its last
/// record came from": at the end of a segment the reader opens the next
/// one to look for records, and the old code described that one.
#[test]
fn log_header_is_the_segment_of_the_last_record() {
    let dir = TempDir::new("r16-header");
    let w = LogWriter::open(dir.path(), "lg", LogOptions::default()).unwrap();
    w.write("t", b"a").unwrap();
    w.write("t", b"b").unwrap();
    w.roll().unwrap();
    let d = c_path(dir.path());
    let n = c_str("lg");
    let mut r = std::ptr::null_mut();
    assert_eq!(
        binlog_reader_open_log(d.as_ptr(), n.as_ptr(), &mut r),
        binlog_result::BINLOG_OK
    );
    let mut rec: binlog_record = unsafe { std::mem::zeroed() };
    let mut seqs = Vec::new();
    while binlog_reader_next(r, &mut rec) == binlog_result::BINLOG_OK {
        seqs.push(rec.seq);
    }
    assert_eq!(seqs, [0, 1]);
    let mut h: binlog_header = unsafe { std::mem::zeroed() };
    assert_eq!(
        binlog_reader_header(r, &mut h),
        binlog_result::BINLOG_OK,
        "{}",
        last_error()
    );
    assert_eq!((h.segment_no, h.first_seq), (0, 0));
    w.write("t", b"c").unwrap();
    w.flush().unwrap();
    assert_eq!(binlog_reader_next(r, &mut rec), binlog_result::BINLOG_OK);
    assert_eq!(rec.seq, 2);
    assert_eq!(binlog_reader_header(r, &mut h), binlog_result::BINLOG_OK);
    assert_eq!((h.segment_no, h.first_seq), (1, 2));
    binlog_reader_free(r);
    w.close().unwrap();
}
