//! A log reader at the end of a segment while its writer rolls. A roll
//! creates the next segment first, then closes the old segment's records
//! with a SEAL_BEGIN frame, and goes on in the old one if that fails (the
//! old segment stays active; a sealed one never changes). So a reader that
//! finds a later segment leaves the one it reads only once its records are
//! closed or no writer holds it any more; it never has to go back. The
//! rolls are played on real files with segment writers, as the log writer
//! does them, and read through the Rust reader and the C ABI's header and
//! tail.

use crate::common;
use binlog::ffi::reader::{binlog_reader, binlog_reader_free, binlog_reader_tail};
use binlog::ffi::result::binlog_result::BINLOG_OK;
use binlog::ffi::types::{binlog_tail, binlog_tail_kind};
use binlog::log::naming;
use binlog::LogReader;
use binlog::{Options, Tail, Writer};
use common::ffi::{header, next, open_log};
use common::TempDir;
use std::path::{Path, PathBuf};

const T0: i64 = 1_795_239_462_500_000_000;

fn tail(r: *mut binlog_reader) -> binlog_tail_kind {
    let mut t = binlog_tail {
        kind: binlog_tail_kind::BINLOG_TAIL_READING,
        offset: 0,
        len: 0,
    };
    assert_eq!(binlog_reader_tail(r, &mut t), BINLOG_OK);
    t.kind
}

fn seg_opts(no: u64, first: u64) -> Options {
    Options {
        log_name: "x".into(),
        segment_no: no,
        first_seq: first,
        created_ns: Some(T0),
        ..Options::default()
    }
}

fn seg_path(dir: &Path, no: u64) -> PathBuf {
    dir.join(naming::segment_name("x", no, T0))
}

/// A roll under way: segment 0 active with records 0..3 (its writer
/// returned), segment 1 (first 3) just created, no record in it yet.
fn roll_under_way(dir: &Path) -> (Writer, Writer) {
    let w0 = Writer::open(seg_path(dir, 0), seg_opts(0, 0)).unwrap();
    for i in 0..3u64 {
        assert_eq!(w0.write("t", &i.to_le_bytes()).unwrap(), i);
    }
    w0.flush().unwrap();
    let w1 = Writer::open(seg_path(dir, 1), seg_opts(1, 3)).unwrap();
    (w0, w1)
}

/// The roll fails after creating segment 1: its file is removed (its
/// writer let go without a seal, as the log writer discards it) and the
/// log goes on in segment 0.
fn roll_fails(dir: &Path, w1: Writer) {
    std::fs::remove_file(seg_path(dir, 1)).unwrap();
    std::mem::forget(w1);
}

/// The sequence numbers `r.next()` returns until it has none.
fn read_on(r: &mut LogReader) -> Vec<u64> {
    let mut got = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        got.push(rec.seq);
    }
    got
}

#[test]
fn a_reader_stays_in_a_segment_its_writer_holds_while_the_next_one_is_made() {
    let d = TempDir::new("roll-wait");
    let (w0, w1) = roll_under_way(d.path());
    let mut r = LogReader::open(d.path(), "x").unwrap();
    assert_eq!(read_on(&mut r), vec![0, 1, 2]);
    let opens = r.segment_opens();
    assert!(r.next().unwrap().is_none());
    assert_eq!(r.tail(), Tail::Unsealed);
    assert_eq!(r.current_path(), Some(seg_path(d.path(), 0).as_path()));
    assert_eq!(
        r.segment_opens(),
        opens,
        "moved on while segment 0 was held"
    );
    // The roll completes: segment 0's records closed and sealed, and the
    // log writes on in segment 1.
    w0.close().unwrap();
    w1.write("t", b"3").unwrap();
    w1.flush().unwrap();
    assert_eq!(read_on(&mut r), vec![3]);
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
    assert!(r.damages().is_empty());
}

#[test]
fn after_a_failed_roll_a_reader_reads_on_in_the_old_segment_with_no_gap() {
    let d = TempDir::new("roll-fails");
    let (w0, w1) = roll_under_way(d.path());
    let mut r = LogReader::open(d.path(), "x").unwrap();
    assert_eq!(read_on(&mut r), vec![0, 1, 2]);
    roll_fails(d.path(), w1);
    assert!(r.next().unwrap().is_none());
    w0.write("t", b"3").unwrap();
    w0.flush().unwrap();
    let rec = r.next_wait(std::time::Duration::from_secs(60)).unwrap();
    assert_eq!(rec.map(|x| x.seq), Some(3));
    let opens = r.segment_opens();
    assert!(r.next().unwrap().is_none());
    assert_eq!(r.tail(), Tail::Unsealed);
    assert_eq!(r.segment_opens(), opens);
    w0.close().unwrap();
    assert!(r.next().unwrap().is_none());
    assert_eq!(r.tail(), Tail::Sealed);
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
    assert!(r.damages().is_empty());
}

/// The writer of segment 0 died between the next segment's creation and
/// the frame that closes segment 0's records: nobody holds segment 0, so
/// the reader reads it to its end and moves on, with no gap.
#[test]
fn a_reader_moves_on_from_an_unsealed_segment_no_writer_holds() {
    let d = TempDir::new("roll-died");
    let (w0, w1) = roll_under_way(d.path());
    // Segment 0's bytes, unlocked: what the killed writer left.
    let left = std::fs::read(seg_path(d.path(), 0)).unwrap();
    drop(w0);
    std::fs::write(seg_path(d.path(), 0), &left).unwrap();
    w1.write("t", b"3").unwrap();
    w1.flush().unwrap();
    let mut r = LogReader::open(d.path(), "x").unwrap();
    assert_eq!(read_on(&mut r), vec![0, 1, 2, 3]);
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
    w1.close().unwrap();
}

/// At END, `binlog_reader_tail` describes the header's segment: segment 0
/// while the reader waits in it (UNSEALED, though segment 1 exists), and
/// SEALED once its writer seals it after a failed roll.
#[test]
fn c_header_and_tail_describe_the_old_segment_through_a_failed_roll() {
    let d = TempDir::new("roll-fails-c");
    let (w0, w1) = roll_under_way(d.path());
    let r = open_log(d.path(), "x");
    assert_eq!((next(r), next(r), next(r)), (Some(0), Some(1), Some(2)));
    assert_eq!(next(r), None);
    assert_eq!(header(r), Ok((0, 0)));
    assert_eq!(tail(r), binlog_tail_kind::BINLOG_TAIL_UNSEALED);
    roll_fails(d.path(), w1);
    w0.write("t", b"3").unwrap();
    w0.flush().unwrap();
    assert_eq!(next(r), Some(3));
    assert_eq!(header(r), Ok((0, 0)));
    assert_eq!(next(r), None);
    assert_eq!(tail(r), binlog_tail_kind::BINLOG_TAIL_UNSEALED);
    w0.close().unwrap();
    assert_eq!(next(r), None);
    assert_eq!(header(r), Ok((0, 0)));
    assert_eq!(tail(r), binlog_tail_kind::BINLOG_TAIL_SEALED);
    binlog_reader_free(r);
}

/// After a roll that completes, the C reader's header and tail move on to
/// segment 1 with its first record.
#[test]
fn c_header_moves_to_the_next_segment_once_the_old_one_is_closed() {
    let d = TempDir::new("roll-done-c");
    let (w0, w1) = roll_under_way(d.path());
    let r = open_log(d.path(), "x");
    assert_eq!((next(r), next(r), next(r)), (Some(0), Some(1), Some(2)));
    assert_eq!(next(r), None);
    w0.close().unwrap();
    w1.write("t", b"3").unwrap();
    w1.flush().unwrap();
    assert_eq!(next(r), Some(3));
    assert_eq!(header(r), Ok((1, 3)));
    assert_eq!(next(r), None);
    assert_eq!(tail(r), binlog_tail_kind::BINLOG_TAIL_UNSEALED);
    binlog_reader_free(r);
    w1.close().unwrap();
}
