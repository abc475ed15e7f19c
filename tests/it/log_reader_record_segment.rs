//! A log reader says which segment its last record came from
//! (`LogReader::record_segment`: header, path, segment number) and how that
//! segment ended once the reader went on past it (`record_segment_tail`),
//! also at the end, when it already stands in a later segment none of whose
//! records it returned; after a seek, the segment the seek landed in.

use crate::common;
use binlog::Tail;
use binlog::{LogOptions, LogReader, LogWriter};
use common::TempDir;
use std::path::Path;

fn opts() -> LogOptions {
    LogOptions {
        background: false,
        ..LogOptions::default()
    }
}

/// A log of two sealed segments (records 0-2 and 3-4) and an active third
/// one with no record yet; the writer stays open.
fn log_ending_in_an_empty_segment(dir: &Path) -> LogWriter {
    let w = LogWriter::open(dir, "log", opts()).unwrap();
    for seq in 0..3 {
        assert_eq!(w.write("a", &[seq as u8]).unwrap(), seq);
    }
    w.roll().unwrap();
    for seq in 3..5 {
        assert_eq!(w.write("a", &[seq as u8]).unwrap(), seq);
    }
    w.roll().unwrap();
    w
}

fn segment_no(r: &LogReader) -> Option<u64> {
    r.record_segment().map(|s| s.segment_no())
}

#[test]
fn the_last_records_segment_is_described_until_a_record_of_another_is_returned() {
    let d = TempDir::new("record-segment");
    let w = log_ending_in_an_empty_segment(d.path());
    let mut r = LogReader::open(d.path(), "log").unwrap();
    assert!(r.record_segment().is_none(), "no record returned yet");
    assert_eq!(r.record_segment_tail(), Tail::Reading);
    for seq in 0..3 {
        assert_eq!(r.next().unwrap().unwrap().seq, seq);
        let s = r.record_segment().expect("a record was returned");
        assert_eq!((s.segment_no(), s.header().first_seq), (0, 0));
        assert_eq!(s.path(), r.current_path().unwrap());
        assert_eq!(s.ended(), None, "still being read");
    }
    assert_eq!(r.next().unwrap().unwrap().seq, 3);
    assert_eq!(segment_no(&r), Some(1));
    assert_eq!(r.next().unwrap().unwrap().seq, 4);
    // At the end the reader stands in segment 2, which has no record yet:
    // segment 1 is still the last record's, and it ended sealed.
    assert!(r.next().unwrap().is_none());
    let s = r.record_segment().unwrap();
    assert_eq!(s.segment_no(), 1);
    assert_eq!(s.ended(), Some(Tail::Sealed));
    assert_ne!(Some(s.path()), r.current_path(), "the reader went on");
    assert_eq!(r.record_segment_tail(), Tail::Sealed);
    assert_eq!(r.tail(), Tail::Unsealed, "tail is the segment it stands in");
    // A record of segment 2 makes it the one described.
    assert_eq!(w.write("a", b"x").unwrap(), 5);
    w.flush().unwrap();
    assert_eq!(r.next().unwrap().unwrap().seq, 5);
    assert_eq!(segment_no(&r), Some(2));
    assert_eq!(r.record_segment_tail(), Tail::Reading);
    assert!(r.next().unwrap().is_none());
    assert_eq!(r.record_segment_tail(), Tail::Unsealed);
    w.close().unwrap();
}

#[test]
fn a_seek_describes_the_segment_it_landed_in() {
    let d = TempDir::new("record-segment-seek");
    let w = log_ending_in_an_empty_segment(d.path());
    let mut r = LogReader::open(d.path(), "log").unwrap();
    while r.next().unwrap().is_some() {}
    assert_eq!(segment_no(&r), Some(1));
    r.seek_seq(1).unwrap();
    assert_eq!(segment_no(&r), Some(0), "landed before any record");
    assert_eq!(r.record_segment().unwrap().ended(), None);
    assert_eq!(r.next().unwrap().unwrap().seq, 1);
    assert_eq!(segment_no(&r), Some(0));
    r.seek_seq(4).unwrap();
    assert_eq!(segment_no(&r), Some(1));
    w.close().unwrap();
}

/// `forget_last_record` takes back the last record for `record_segment`:
/// the segment of the record before it is described again, with how it
/// ended; within one segment nothing changes.
#[test]
fn forgetting_the_first_record_of_a_segment_describes_the_one_before() {
    let d = TempDir::new("record-segment-forget");
    let w = log_ending_in_an_empty_segment(d.path());
    let mut r = LogReader::open(d.path(), "log").unwrap();
    for seq in 0..4 {
        assert_eq!(r.next().unwrap().unwrap().seq, seq);
    }
    assert_eq!(segment_no(&r), Some(1));
    r.forget_last_record();
    assert_eq!(segment_no(&r), Some(0));
    assert_eq!(r.record_segment().unwrap().ended(), Some(Tail::Sealed));
    assert_eq!(r.record_segment_tail(), Tail::Sealed);
    r.forget_last_record();
    assert_eq!(segment_no(&r), Some(0), "only one record is taken back");
    // The reader itself goes on after the record taken back.
    assert_eq!(r.next().unwrap().unwrap().seq, 4);
    assert_eq!(segment_no(&r), Some(1));
    w.close().unwrap();
}
