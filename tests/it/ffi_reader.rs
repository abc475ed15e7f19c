//! The C ABI's readers, through `binlog::ffi` in a debug build (overflow
//! checks and the standard library's debug precondition checks on):
//! `binlog_reader_next_batch` refuses a `cap` no array can have, and a log
//! reader's `binlog_reader_header` and `binlog_reader_tail` describe the
//! segment its last record came from: after a batch, after a type filter
//! drops a record a batch held back, after a seek that lands in no
//! segment, and at `BINLOG_END` (tests/c/test_log_header.c has the C
//! side).

use crate::common;
use binlog::ffi::batch::binlog_reader_next_batch;
use binlog::ffi::reader::{
    binlog_reader, binlog_reader_filter_types, binlog_reader_free, binlog_reader_next_wait,
    binlog_reader_open, binlog_reader_open_glob, binlog_reader_seek_seq, binlog_reader_seek_time,
    binlog_reader_tail,
};
use binlog::ffi::result::binlog_result::{self, BINLOG_END, BINLOG_OK};
use binlog::ffi::types::{
    binlog_batch_record, binlog_iovec, binlog_record, binlog_tail, binlog_tail_kind,
};
use binlog::{LogOptions, LogWriter};
use binlog::{Options, Writer};
use common::ffi::{c_path, c_str, header, last_error, next, open_log};
use common::TempDir;

fn tail(r: *mut binlog_reader) -> (binlog_tail_kind, u64, u64) {
    let mut t = binlog_tail {
        kind: binlog_tail_kind::BINLOG_TAIL_READING,
        offset: 0,
        len: 0,
    };
    assert_eq!(binlog_reader_tail(r, &mut t), BINLOG_OK);
    (t.kind, t.offset, t.len)
}

fn batch(r: *mut binlog_reader, buf: &mut [u8], cap: usize) -> (binlog_result, Vec<u64>) {
    let mut recs = vec![binlog_batch_record::default(); cap];
    let mut count = 0usize;
    let rc = binlog_reader_next_batch(
        r,
        buf.as_mut_ptr(),
        buf.len(),
        recs.as_mut_ptr(),
        cap,
        0,
        &mut count,
    );
    let seqs = match rc {
        BINLOG_OK => recs[..count].iter().map(|b| b.seq).collect(),
        _ => Vec::new(),
    };
    (rc, seqs)
}

fn filter(r: *mut binlog_reader, types: &[&str]) {
    let v: Vec<binlog_iovec> = types
        .iter()
        .map(|t| binlog_iovec {
            base: t.as_ptr(),
            len: t.len(),
        })
        .collect();
    assert_eq!(
        binlog_reader_filter_types(r, v.as_ptr(), v.len()),
        BINLOG_OK
    );
}

use binlog_tail_kind::{BINLOG_TAIL_READING, BINLOG_TAIL_SEALED, BINLOG_TAIL_UNSEALED};

/// A `cap` whose array would exceed `isize::MAX` bytes is refused, writing
/// no output and consuming no record (a slice of that length would be
/// undefined behaviour; a debug build aborts the process in
/// `slice::from_raw_parts_mut`).
#[test]
fn next_batch_refuses_a_cap_larger_than_any_array() {
    let dir = TempDir::new("cap");
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
/// record came from", not the next one, which the reader opens at the end
/// of a segment to look for records.
#[test]
fn log_header_is_the_segment_of_the_last_record() {
    let dir = TempDir::new("header");
    let w = LogWriter::open(dir.path(), "lg", LogOptions::default()).unwrap();
    w.write("t", b"a").unwrap();
    w.write("t", b"b").unwrap();
    w.roll().unwrap();
    let r = open_log(dir.path(), "lg");
    let seqs: Vec<u64> = std::iter::from_fn(|| next(r)).collect();
    assert_eq!(seqs, [0, 1]);
    assert_eq!(header(r), Ok((0, 0)), "{}", last_error());
    w.write("t", b"c").unwrap();
    w.flush().unwrap();
    assert_eq!(next(r), Some(2));
    assert_eq!(header(r), Ok((1, 2)));
    binlog_reader_free(r);
    w.close().unwrap();
}

/// A batch takes the records of segment 0, passes the empty segment 1 and
/// holds back the first record of segment 2: the header counts it
/// (segment 2). A filter that excludes it drops it: the header goes back
/// to segment 0, whose records were the last returned, and at the end the
/// tail is segment 0's (SEALED), not the one of segment 2 (UNSEALED: being
/// written).
#[test]
fn a_held_back_record_a_filter_drops_leaves_the_header_at_the_last_record_returned() {
    let dir = TempDir::new("held");
    let w = LogWriter::open(dir.path(), "lg", LogOptions::default()).unwrap();
    for p in [b"a", b"b"] {
        w.write("t", p).unwrap();
    }
    w.roll().unwrap();
    w.roll().unwrap();
    w.write("big", &[7u8; 200]).unwrap();
    w.flush().unwrap();

    let r = open_log(dir.path(), "lg");
    let mut buf = [0u8; 64];
    let (rc, seqs) = batch(r, &mut buf, 8);
    assert_eq!((rc, seqs), (BINLOG_OK, vec![0, 1]), "{}", last_error());
    assert_eq!(header(r), Ok((2, 2)));
    assert_eq!(tail(r).0, BINLOG_TAIL_READING);
    filter(r, &["t"]);
    assert_eq!(header(r), Ok((0, 0)));
    assert_eq!(next(r), None);
    assert_eq!(header(r), Ok((0, 0)));
    assert_eq!(tail(r), (BINLOG_TAIL_SEALED, 0, 0));

    // Every type again: record 2 stays dropped (the reader is past it, as
    // documented); the next record written is the next one returned.
    filter(r, &[]);
    w.write("t", b"c").unwrap();
    w.flush().unwrap();
    assert_eq!(next(r), Some(3));
    assert_eq!(header(r), Ok((2, 2)));
    assert_eq!(next(r), None);
    assert_eq!(tail(r).0, BINLOG_TAIL_UNSEALED);
    binlog_reader_free(r);
    w.close().unwrap();
}

/// A glob reader's newest file removed: a seek past the end finds no
/// segment to land in: there is no header then (not the one from before
/// the seek), as before the first record.
#[test]
fn a_seek_into_no_segment_leaves_no_header() {
    let dir = TempDir::new("glob");
    let w = LogWriter::open(dir.path(), "lg", LogOptions::default()).unwrap();
    for s in 0..3 {
        if s > 0 {
            w.roll().unwrap();
        }
        for _ in 0..4 {
            w.write("t", b"x").unwrap();
        }
    }
    w.close().unwrap();
    let mut files = dir.names();
    files.retain(|f| f.ends_with(".binlog"));
    assert_eq!(files.len(), 3, "{files:?}");

    let (d, p) = (c_path(dir.path()), c_str("lg-*.binlog"));
    let mut r = std::ptr::null_mut();
    assert_eq!(
        binlog_reader_open_glob(d.as_ptr(), p.as_ptr(), &mut r),
        BINLOG_OK
    );
    assert_eq!(header(r), Err(binlog_result::BINLOG_ERR_NOT_FOUND));
    assert_eq!(next(r), Some(0));
    assert_eq!(header(r), Ok((0, 0)));

    std::fs::remove_file(dir.join(&files[2])).unwrap();
    assert_eq!(binlog_reader_seek_time(r, i64::MAX), BINLOG_OK);
    assert_eq!(header(r), Err(binlog_result::BINLOG_ERR_NOT_FOUND));
    assert!(
        last_error().contains("binlog_reader_next"),
        "{}",
        last_error()
    );
    assert_eq!(tail(r).0, BINLOG_TAIL_READING);
    assert_eq!(next(r), None);
    assert_eq!(header(r), Err(binlog_result::BINLOG_ERR_NOT_FOUND));

    // A seek that lands in a segment has its header again.
    assert_eq!(binlog_reader_seek_seq(r, 5), BINLOG_OK);
    assert_eq!(header(r), Ok((1, 4)));
    assert_eq!(next(r), Some(5));
    binlog_reader_free(r);
}

/// `binlog_reader_next_wait` at the end of a live log that just rolled:
/// the header is segment 0's (the last record's), and so is the tail
/// (SEALED), not the new empty segment's (UNSEALED).
#[test]
fn at_end_tail_and_header_describe_the_same_segment() {
    let dir = TempDir::new("end");
    let w = LogWriter::open(dir.path(), "lg", LogOptions::default()).unwrap();
    w.write("t", b"a").unwrap();
    w.flush().unwrap();
    let r = open_log(dir.path(), "lg");
    let mut rec: binlog_record = unsafe { std::mem::zeroed() };
    assert_eq!(binlog_reader_next_wait(r, 1000, &mut rec), BINLOG_OK);
    assert_eq!(binlog_reader_next_wait(r, 1, &mut rec), BINLOG_END);
    assert_eq!(tail(r).0, BINLOG_TAIL_UNSEALED);
    w.roll().unwrap();
    assert_eq!(binlog_reader_next_wait(r, 1, &mut rec), BINLOG_END);
    assert_eq!(header(r), Ok((0, 0)));
    assert_eq!(tail(r), (BINLOG_TAIL_SEALED, 0, 0));
    // A seek to the end lands in segment 1: both describe it.
    assert_eq!(binlog_reader_seek_seq(r, u64::MAX), BINLOG_OK);
    assert_eq!(header(r), Ok((1, 1)));
    assert_eq!(binlog_reader_next_wait(r, 1, &mut rec), BINLOG_END);
    assert_eq!(tail(r).0, BINLOG_TAIL_UNSEALED);
    w.write("t", b"b").unwrap();
    w.flush().unwrap();
    assert_eq!(binlog_reader_next_wait(r, 1000, &mut rec), BINLOG_OK);
    assert_eq!(rec.seq, 1);
    assert_eq!(header(r), Ok((1, 1)));
    binlog_reader_free(r);
    w.close().unwrap();
}
