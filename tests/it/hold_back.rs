//! A `HoldBack` reader returns a record it held back again, first; while
//! held the record counts as returned (the header of its segment, tail
//! `Reading`); a seek drops it, and so does a type filter that excludes
//! it, after which the record before it counts as the last one again. The
//! same code reads a segment and a log (`RecordReader`).

use crate::common;
use binlog::{Entry, HoldBack, Options, OwnedRecord, Reader, RecordReader, Tail, Writer};
use binlog::{LogOptions, LogReader, LogWriter};
use common::TempDir;

fn opts() -> LogOptions {
    LogOptions {
        background: false,
        ..LogOptions::default()
    }
}

/// The next record's sequence number, type and payload.
fn next(r: &mut dyn RecordReader) -> Option<(u64, String, Vec<u8>)> {
    let rec = r.next().unwrap()?;
    Some((rec.seq, rec.type_name.to_string(), rec.payload.to_vec()))
}

/// Reads one record and holds it back.
fn take_and_hold(r: &mut HoldBack) -> u64 {
    let rec = r.next().unwrap().unwrap();
    let (seq, held) = (rec.seq, OwnedRecord::from(&rec));
    r.hold_back(held);
    seq
}

#[test]
fn a_held_record_is_returned_again_whole() {
    let d = TempDir::new("hold-back-whole");
    let path = d.join("one.binlog");
    let w = Writer::open(&path, Options::default()).unwrap();
    w.write_batch(&[
        Entry {
            type_name: "a",
            meta: &[("k", "v"), ("k2", "")],
            timestamp_ns: Some(42),
            parts: &[b"pay", b"load"],
        },
        Entry {
            type_name: "b",
            meta: &[],
            timestamp_ns: Some(43),
            parts: &[b"second"],
        },
    ])
    .unwrap();
    w.close().unwrap();
    let mut direct = Reader::open(&path).unwrap();
    let first = common::copy(&direct.next().unwrap().unwrap());
    let mut r = HoldBack::new(Reader::open(&path).unwrap());
    let rec = r.next().unwrap().unwrap();
    let held = OwnedRecord::from(&rec);
    assert_eq!(held.record(), rec, "the copy views as the record");
    r.hold_back(held);
    assert!(r.is_holding());
    assert_eq!(r.segment_tail(), Tail::Reading);
    let again = r.next().unwrap().unwrap();
    assert_eq!(common::copy(&again), first);
    assert!(!r.is_holding());
    assert_eq!(next(&mut r).unwrap().0, 1);
    assert!(r.next().unwrap().is_none());
    assert_eq!(r.segment_tail(), Tail::Sealed);
}

#[test]
fn a_seek_drops_the_held_record() {
    let d = TempDir::new("hold-back-seek");
    let path = d.join("one.binlog");
    let w = Writer::open(&path, Options::default()).unwrap();
    for i in 0..4u8 {
        w.write("a", &[i]).unwrap();
    }
    w.close().unwrap();
    let mut r = HoldBack::new(Reader::open(&path).unwrap());
    assert_eq!(take_and_hold(&mut r), 0);
    r.seek_seq(2).unwrap();
    assert!(!r.is_holding());
    assert_eq!(next(&mut r).unwrap().0, 2);
    assert_eq!(take_and_hold(&mut r), 3);
    r.seek_time(i64::MIN).unwrap();
    assert_eq!(next(&mut r).unwrap().0, 0);
}

/// A log whose segment 0 holds records 0 (a) and 1 (b), segment 1 records
/// 2 (b) and 3 (a): a record held back at the start of segment 1 makes it
/// the header's segment; a filter that excludes it drops it and segment 0
/// is described again, as it ended; one that lets it through keeps it.
#[test]
fn a_filter_keeps_a_held_record_it_lets_through_and_drops_one_it_excludes() {
    let d = TempDir::new("hold-back-filter");
    let w = LogWriter::open(d.path(), "log", opts()).unwrap();
    w.write("a", b"0").unwrap();
    w.write("b", b"1").unwrap();
    w.roll().unwrap();
    w.write("b", b"2").unwrap();
    w.write("a", b"3").unwrap();
    w.close().unwrap();
    let open = || HoldBack::new(LogReader::open(d.path(), "log").unwrap());
    let segment_no = |r: &HoldBack| r.segment_header().map(|h| h.segment_no);

    let mut r = open();
    assert_eq!(next(&mut r).unwrap().0, 0);
    assert_eq!(next(&mut r).unwrap().0, 1);
    assert_eq!(take_and_hold(&mut r), 2);
    assert_eq!(segment_no(&r), Some(1), "a held record counts as returned");
    assert_eq!(r.segment_tail(), Tail::Reading);
    r.filter_types(&["b"]);
    assert!(r.is_holding(), "the filter lets it through");
    assert_eq!(next(&mut r).unwrap(), (2, "b".into(), b"2".to_vec()));
    assert!(r.next().unwrap().is_none(), "record 3 is filtered out");

    let mut r = open();
    assert_eq!(next(&mut r).unwrap().0, 0);
    assert_eq!(next(&mut r).unwrap().0, 1);
    assert_eq!(take_and_hold(&mut r), 2);
    r.filter_types(&["a"]);
    assert!(!r.is_holding(), "the filter excludes it");
    assert_eq!(segment_no(&r), Some(0), "the last record returned is 1");
    assert_eq!(r.segment_tail(), Tail::Sealed, "segment 0, as it ended");
    assert_eq!(next(&mut r).unwrap(), (3, "a".into(), b"3".to_vec()));
    assert_eq!(segment_no(&r), Some(1));
}
