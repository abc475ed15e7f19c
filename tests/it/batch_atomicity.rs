//! A batch refused for its contents (an entry above the maximum record
//! size, a type name too long) writes nothing: every entry is checked
//! before any record is encoded or handed to the OS, so the files stay
//! byte for byte as they were, no sequence number is taken, and a rolling
//! log does not roll. For a segment writer and a rolling log, buffered and
//! unbuffered (buffer size 0, where each record goes to the file as it is
//! encoded), with the bad entry after records that would have reached the
//! file first (one larger than the buffer, one defining a new type).

use crate::common;
use binlog::{Entry, ErrorKind, Options, Reader, Result, Writer};
use binlog::{LogOptions, LogReader, LogWriter};
use common::TempDir;
use std::path::Path;

const LIMIT: u64 = 1 << 20;

/// The two writers under test, behind one face.
enum W {
    Segment(Writer),
    Log(LogWriter),
}

impl W {
    fn write_batch(&self, e: &[Entry<'_>]) -> Result<u64> {
        match self {
            W::Segment(w) => w.write_batch(e),
            W::Log(l) => l.write_batch(e),
        }
    }
    fn next_seq(&self) -> u64 {
        match self {
            W::Segment(w) => w.next_seq(),
            W::Log(l) => l.next_seq().unwrap(),
        }
    }
    fn flush(&self) {
        match self {
            W::Segment(w) => w.flush().unwrap(),
            W::Log(l) => l.flush().unwrap(),
        }
    }
    fn close(&self) {
        match self {
            W::Segment(w) => w.close().unwrap(),
            W::Log(l) => l.close().unwrap(),
        }
    }
}

fn segment_opts(buffer_size: usize) -> Options {
    Options {
        buffer_size,
        max_record_size: LIMIT,
        ..Options::default()
    }
}

fn open(dir: &Path, log: bool, buffer_size: usize) -> W {
    if log {
        W::Log(
            LogWriter::open(
                dir,
                "x",
                LogOptions {
                    segment: segment_opts(buffer_size),
                    // The batches below span a roll.
                    max_segment_records: Some(3),
                    background: false,
                    ..LogOptions::default()
                },
            )
            .unwrap(),
        )
    } else {
        W::Segment(Writer::open(dir.join("seg.binlog"), segment_opts(buffer_size)).unwrap())
    }
}

/// Every segment file in `dir` with its bytes (the manifest aside).
fn segment_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    common::list_dir(dir)
        .into_iter()
        .filter(|n| n.ends_with(".binlog"))
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).unwrap();
            (n, bytes)
        })
        .collect()
}

/// (seq, type, payload) of every record, in order.
fn records(dir: &Path, log: bool) -> Vec<(u64, String, Vec<u8>)> {
    let mut out = Vec::new();
    if log {
        let mut r = LogReader::open(dir, "x").unwrap();
        while let Some(rec) = r.next().unwrap() {
            out.push((rec.seq, rec.type_name.to_string(), rec.payload.to_vec()));
        }
    } else {
        let mut r = Reader::open(dir.join("seg.binlog")).unwrap();
        while let Some(rec) = r.next().unwrap() {
            out.push((rec.seq, rec.type_name.to_string(), rec.payload.to_vec()));
        }
    }
    out
}

fn entry<'a>(type_name: &'a str, parts: &'a [&'a [u8]]) -> Entry<'a> {
    Entry {
        type_name,
        meta: &[],
        timestamp_ns: Some(1),
        parts,
    }
}

#[test]
fn a_refused_batch_writes_nothing_and_takes_no_sequence_number() {
    let small: &[u8] = b"small";
    // Larger than any buffer here: written to the file as it is encoded.
    let big = vec![b'B'; 100_000];
    let too_big = vec![b'X'; LIMIT as usize];
    let long_name = "n".repeat(binlog::format::MAX_TYPE_NAME_LEN + 1);
    let (p_small, p_big, p_too_big) = ([small], [&big[..]], [&too_big[..]]);
    let cases: Vec<(&str, Vec<Entry<'_>>, ErrorKind)> = vec![
        (
            "too large, last",
            vec![
                entry("t", &p_small),
                entry("new", &p_big),
                entry("t", &p_too_big),
            ],
            ErrorKind::RecordTooLarge,
        ),
        (
            "too large, in the middle",
            vec![
                entry("t", &p_big),
                entry("u", &p_small),
                entry("t", &p_too_big),
                entry("t", &p_small),
            ],
            ErrorKind::RecordTooLarge,
        ),
        (
            "type name too long",
            vec![
                entry("new", &p_small),
                entry("t", &p_big),
                entry("t", &p_small),
                entry(&long_name, &p_small),
            ],
            ErrorKind::InvalidArgument,
        ),
    ];
    for log in [false, true] {
        for buffer_size in [64 << 10, 0] {
            let d = TempDir::new(&format!("batch-atomic-{log}-{buffer_size}"));
            let w = open(d.path(), log, buffer_size);
            let good = [entry("t", &p_small), entry("t", &p_small)];
            assert_eq!(w.write_batch(&good).unwrap(), 0);
            for (what, batch, kind) in &cases {
                let ctx = format!("log {log}, buffer {buffer_size}, {what}");
                w.flush();
                let before = segment_files(d.path());
                let next = w.next_seq();
                let e = w.write_batch(batch).expect_err(&ctx);
                assert_eq!(e.kind(), *kind, "{ctx}: {e}");
                assert!(
                    e.message().contains("no record of this call was written"),
                    "{ctx}: {e}"
                );
                assert_eq!(w.next_seq(), next, "{ctx}: sequence numbers taken");
                w.flush();
                assert!(
                    segment_files(d.path()) == before,
                    "{ctx}: the segment files changed"
                );
                // The writer goes on with the next sequence number.
                assert_eq!(w.write_batch(&good[..1]).unwrap(), next, "{ctx}");
            }
            w.close();
            let got = records(d.path(), log);
            let want: Vec<(u64, String, Vec<u8>)> = (0..2 + cases.len() as u64)
                .map(|seq| (seq, "t".to_string(), small.to_vec()))
                .collect();
            assert_eq!(got, want, "log {log}, buffer {buffer_size}");
        }
    }
}

/// The same batches without their bad entry are written whole: the checks
/// refuse nothing valid (types defined within the batch, a record larger
/// than the buffer, exactly at the limit).
#[test]
fn the_checks_refuse_no_valid_batch() {
    let at_limit_payload = |type_name: &str, log: bool| {
        // FRAME_HEADER_LEN 8 + record head: kind 1, seq 8, time 8, type id,
        // and for the first of a type its name (varint length + bytes).
        let id = if log { 5 } else { 1 };
        let head = 8 + 1 + 8 + 8 + id + 1 + type_name.len();
        LIMIT as usize - head
    };
    for log in [false, true] {
        for buffer_size in [64 << 10, 0] {
            let ctx = format!("log {log}, buffer {buffer_size}");
            let d = TempDir::new(&format!("batch-valid-{log}-{buffer_size}"));
            let w = open(d.path(), log, buffer_size);
            let big = vec![b'B'; 100_000];
            let at_limit = vec![b'L'; at_limit_payload("edge", log)];
            let (p_small, p_big, p_limit): ([&[u8]; 1], _, _) =
                ([b"s"], [&big[..]], [&at_limit[..]]);
            let batch = [
                entry("a", &p_small),
                entry("b", &p_big),
                entry("a", &p_small),
                entry("edge", &p_limit),
                entry("c", &p_small),
                entry("b", &p_small),
                entry("c", &p_small),
            ];
            assert_eq!(w.write_batch(&batch).unwrap(), 0, "{ctx}");
            // One byte more is refused.
            let over = vec![b'L'; at_limit.len() + 1];
            let p_over = [&over[..]];
            let e = w
                .write_batch(&[entry("a", &p_small), entry("edge2", &p_over)])
                .expect_err(&ctx);
            assert_eq!(e.kind(), ErrorKind::RecordTooLarge, "{ctx}: {e}");
            w.close();
            let got: Vec<(u64, String)> = records(d.path(), log)
                .into_iter()
                .map(|(s, t, _)| (s, t))
                .collect();
            let want: Vec<(u64, String)> = batch
                .iter()
                .enumerate()
                .map(|(i, e)| (i as u64, e.type_name.to_string()))
                .collect();
            assert_eq!(got, want, "{ctx}");
        }
    }
}
