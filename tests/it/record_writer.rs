//! One trait, `RecordWriter`, writes a segment and a rolling log: the same
//! code appends, syncs and closes either (and `RecordReader` reads either
//! back), and once closed either refuses its sequence numbers with
//! `Closed`, naming what it wrote.

use crate::common;
use binlog::{Entry, ErrorKind, Options, Reader, RecordReader, RecordWriter, Writer};
use binlog::{LogOptions, LogReader, LogWriter};
use common::TempDir;

/// Code generic over the trait: two records, a sync, a close.
fn write_two(w: &dyn RecordWriter) -> (u64, u64) {
    let first = w.write("a", b"one").unwrap();
    let second = w
        .write_batch(&[Entry {
            type_name: "b",
            meta: &[("k", "v")],
            timestamp_ns: Some(7),
            parts: &[b"tw", b"o"],
        }])
        .unwrap();
    w.flush().unwrap();
    w.sync().unwrap();
    assert_eq!(w.next_seq().unwrap(), second + 1);
    assert_eq!(w.durable_seq().unwrap(), second + 1);
    assert!(!w.is_closed());
    w.close().unwrap();
    assert!(w.is_closed());
    (first, second)
}

/// Asserts that `r` reads the two records `write_two` wrote.
fn assert_two(r: &mut dyn RecordReader) {
    let mut got = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        let meta = rec.meta("k").map(str::to_string);
        got.push((rec.type_name.to_string(), rec.payload.to_vec(), meta));
    }
    let want = [
        ("a".to_string(), b"one".to_vec(), None),
        ("b".to_string(), b"two".to_vec(), Some("v".to_string())),
    ];
    assert_eq!(got, want);
}

#[test]
fn a_segment_and_a_log_are_written_through_the_same_calls() {
    let d = TempDir::new("record-writer");
    let path = d.join("one.binlog");
    let seg = Writer::open(&path, Options::default()).unwrap();
    assert_eq!(RecordWriter::path(&seg), path.as_path());
    assert_eq!(write_two(&seg), (0, 1));
    assert_two(&mut Reader::open(&path).unwrap());

    let log = LogWriter::open(d.path(), "log", LogOptions::default()).unwrap();
    assert_eq!(RecordWriter::path(&log), d.path());
    assert_eq!(write_two(&log), (0, 1));
    assert_two(&mut LogReader::open(d.path(), "log").unwrap());
}

/// Unlike `Writer::next_seq`, which goes on answering after close, the
/// trait's sequence numbers say the writer is closed.
#[test]
fn sequence_numbers_of_a_closed_writer_are_refused_naming_its_path() {
    let d = TempDir::new("record-writer-closed");
    let seg = Writer::open(d.join("one.binlog"), Options::default()).unwrap();
    let log = LogWriter::open(d.path(), "log", LogOptions::default()).unwrap();
    let writers: [&dyn RecordWriter; 2] = [&seg, &log];
    for w in writers {
        w.close().unwrap();
        w.close().unwrap();
        for e in [w.next_seq().unwrap_err(), w.durable_seq().unwrap_err()] {
            assert_eq!(e.kind(), ErrorKind::Closed);
            common::assert_names(&e, w.path());
        }
        let e = w.write("a", b"x").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Closed);
    }
}
