//! Readers of segments and logs still being written: a record the writer
//! has handed to the OS only in part is waited for, whatever its payload
//! holds, a seek ahead of the writer never returns records below its
//! target once they are written, and a filtered poller sees every record
//! of its type once.

use crate::common;
use binlog::{LogOptions, LogReader, LogWriter};
use binlog::{Options, Reader, Tail, Writer};
use common::TempDir;
use std::time::{Duration, Instant};

/// Frame bytes of a record numbered `seq` written by another writer (what a
/// relay that stores the records it read, verbatim, puts in its payloads).
fn foreign_frame(dir: &TempDir, seq: u64) -> Vec<u8> {
    let p = dir.join("upstream.binlog");
    let w = Writer::open(
        &p,
        Options {
            first_seq: seq - 1,
            ..Options::default()
        },
    )
    .unwrap();
    w.write("t", b"upstream record").unwrap();
    w.write("t", b"upstream record").unwrap();
    w.close().unwrap();
    let mut r = Reader::open(&p).unwrap();
    r.next().unwrap().unwrap();
    let rec = r.next().unwrap().unwrap();
    assert_eq!(rec.seq, seq);
    let bytes = std::fs::read(&p).unwrap();
    bytes[rec.offset as usize..(rec.offset + rec.frame_len) as usize].to_vec()
}

fn wait_len(p: &std::path::Path, len: u64) {
    let t = Instant::now();
    while std::fs::metadata(p).unwrap().len() != len {
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "file never reached {len}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A writer (4 KiB buffers) that has written record 0 and handed the OS
/// the first part of record 1, cut right after a frame numbered 1 that
/// record 1 carries in its payload (a relay's record): the segment's path,
/// the writer and record 1's payload.
fn record_cut_after_a_carried_frame(d: &TempDir) -> (std::path::PathBuf, Writer, Vec<u8>) {
    let carried = foreign_frame(d, 1);
    let p = d.join("seg.binlog");
    let w = Writer::open(
        &p,
        Options {
            buffer_size: 4096,
            // Nothing more reaches the OS until the test flushes (a flush
            // delay would hand the rest over while the test looks).
            flush_delay: None,
            ..Options::default()
        },
    )
    .unwrap();
    let h = std::fs::metadata(&p).unwrap().len() as usize;
    // Record 0 (defines type "t": 28 bytes + payload), then record 1 (26
    // bytes + payload): the 4096-byte cut falls right after the carried
    // frame.
    let p0 = 4096 - 26 - carried.len() - h - 28;
    w.write("t", &vec![7u8; p0]).unwrap();
    let mut p1 = carried;
    p1.extend_from_slice(&[9u8; 100]);
    assert_eq!(w.write("t", &p1).unwrap(), 1);
    (p, w, p1)
}

/// A live segment whose writer has handed the OS the first part of a record
/// (the write-behind cuts buffers at aligned offsets, inside records): a
/// reader must return the records before it and wait, not fail.
#[test]
fn live_reader_does_not_fail_on_a_record_cut_by_the_writers_buffer() {
    let d = TempDir::new("relay-live");
    let (p, w, p1) = record_cut_after_a_carried_frame(&d);
    wait_len(&p, 4096); // the write-behind wrote the first aligned unit
    let mut r = Reader::open(&p).unwrap();
    assert_eq!(r.next().unwrap().unwrap().seq, 0);
    // The writer is healthy and will finish record 1: nothing to report yet.
    match r.next() {
        Ok(None) => {}
        Ok(Some(rec)) => panic!(
            "returned seq {} with {} bytes of payload",
            rec.seq,
            rec.payload.len()
        ),
        Err(e) => panic!("live reader failed on a record still being written: {e}"),
    }
    w.flush().unwrap();
    let rec = r.next().unwrap().unwrap();
    assert_eq!((rec.seq, rec.payload), (1, &p1[..]));
    w.close().unwrap();
}

/// Same, with skip_damaged: the reader must not hand out the frame inside
/// the payload as if it were record 1.
#[test]
fn live_reader_with_skip_damaged_does_not_return_a_frame_from_inside_a_payload() {
    let d = TempDir::new("relay-live-skip");
    let (p, w, p1) = record_cut_after_a_carried_frame(&d);
    w.write("t", b"two").unwrap();
    wait_len(&p, 4096);
    let mut r = Reader::open(&p).unwrap();
    r.skip_damaged(true);
    assert_eq!(r.next().unwrap().unwrap().seq, 0);
    let mut got = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        got.push((rec.seq, rec.type_name.to_string(), rec.payload.to_vec()));
    }
    w.flush().unwrap();
    while let Some(rec) = r.next().unwrap() {
        got.push((rec.seq, rec.type_name.to_string(), rec.payload.to_vec()));
    }
    w.close().unwrap();
    let want = vec![
        (1, "t".to_string(), p1.clone()),
        (2, "t".to_string(), b"two".to_vec()),
    ];
    assert!(
        got == want,
        "got {:?}; damages {:?}",
        got.iter()
            .map(|g| (g.0, g.1.clone(), g.2.len()))
            .collect::<Vec<_>>(),
        r.damages()
    );
}

/// `seek_seq` and `seek_time` ahead of what a live segment holds: the
/// records written afterwards below the target are skipped, the first one
/// at or above it comes next. `seek_seq(u64::MAX)` still means "from the
/// end": the records written after it are read.
#[test]
fn a_seek_ahead_of_a_live_segment_never_returns_records_below_its_target() {
    let d = TempDir::new("seek-ahead");
    let p = d.join("seg.binlog");
    let w = Writer::open(&p, Options::default()).unwrap();
    let put = |from: u64, to: u64| {
        for i in from..to {
            let ts = 1_000 + i as i64; // record i at time 1000 + i
            w.write_batch(&[binlog::Entry {
                type_name: "t",
                meta: &[],
                timestamp_ns: Some(ts),
                parts: &[&i.to_le_bytes()],
            }])
            .unwrap();
        }
        w.flush().unwrap();
    };
    put(0, 10);
    let mut by_seq = Reader::open(&p).unwrap();
    by_seq.seek_seq(15).unwrap();
    let mut by_time = Reader::open(&p).unwrap();
    by_time.seek_time(1_017).unwrap();
    let mut from_end = Reader::open(&p).unwrap();
    from_end.seek_seq(u64::MAX).unwrap();
    assert!(by_seq.next().unwrap().is_none());
    put(10, 20);
    assert_eq!(by_seq.next().unwrap().map(|r| r.seq), Some(15));
    assert_eq!(by_seq.next().unwrap().map(|r| r.seq), Some(16));
    assert_eq!(by_time.next().unwrap().map(|r| r.seq), Some(17));
    assert_eq!(from_end.next().unwrap().map(|r| r.seq), Some(10));
    // A later seek replaces the pending one.
    by_seq.seek_seq(3).unwrap();
    assert_eq!(by_seq.next().unwrap().map(|r| r.seq), Some(3));
    w.close().unwrap();
}

/// The same for a log: the target stays pending across a roll, in the
/// segments the writer opens after the seek.
#[test]
fn a_seek_ahead_of_a_live_log_skips_records_below_its_target_across_rolls() {
    let d = TempDir::new("seek-ahead-log");
    let w = LogWriter::open(
        d.path(),
        "l",
        LogOptions {
            max_segment_records: Some(4),
            ..LogOptions::default()
        },
    )
    .unwrap();
    let put = |from: u64, to: u64| {
        for i in from..to {
            w.write("t", &i.to_le_bytes()).unwrap();
        }
        w.flush().unwrap();
    };
    put(0, 6);
    let mut r = LogReader::open(d.path(), "l").unwrap();
    r.seek_seq(13).unwrap();
    assert!(r.next().unwrap().is_none());
    put(6, 16); // rolls at 8 and 12
    assert_eq!(r.next().unwrap().map(|x| x.seq), Some(13));
    assert_eq!(r.next().unwrap().map(|x| x.seq), Some(14));
    w.close().unwrap();
}

/// A reader polling a segment while another thread appends, flushes and
/// seals it, alternating verified reads and header reads, with a type
/// filter (set before the segment is sealed: a scan) and seeks back to
/// records it read: every record of the type, in order, once, and the end
/// is `Sealed`.
#[test]
fn a_filtered_poller_sees_every_record_of_a_live_segment_once() {
    let dir = TempDir::new("live");
    let p = dir.join("live.binlog");
    let opts = Options {
        buffer_size: 4096,
        sparse_interval: 256,
        ..Options::default()
    };
    let w = Writer::open(&p, opts).unwrap();
    let n = 3000u64;
    let writer = std::thread::spawn(move || {
        for i in 0..n {
            let ty = ["a", "b", "c"][(i % 3) as usize];
            let len = (i * 37 % 700) as usize;
            w.write_with(ty, &[], Some(i as i64), &vec![i as u8; len])
                .unwrap();
            if i % 97 == 0 {
                w.flush().unwrap();
            }
        }
        w.close().unwrap();
    });
    let mut r = loop {
        match Reader::open(&p) {
            Ok(r) => break r,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(1)),
        }
    };
    r.filter_types(&["b"]);
    let mut seen = Vec::new();
    let mut k = 0u64;
    loop {
        k += 1;
        let got = if k % 2 == 0 {
            r.next().unwrap().map(|rec| {
                let want_len = (rec.seq * 37 % 700) as usize;
                assert_eq!(rec.payload, vec![rec.seq as u8; want_len]);
                (rec.seq, rec.type_name.to_string())
            })
        } else {
            r.next_header()
                .unwrap()
                .map(|h| (h.seq, h.type_name.to_string()))
        };
        match got {
            Some((seq, ty)) => {
                assert_eq!(ty, "b");
                assert!(seen.last().is_none_or(|&l| seq > l), "{seq} after {seen:?}");
                seen.push(seq);
                if k % 50 == 0 {
                    // Back to the record just read, then on from it.
                    r.seek_seq(seq).unwrap();
                    let again = r.next().unwrap().map(|rec| rec.seq);
                    assert_eq!(again, Some(seq));
                }
            }
            None if r.tail() == Tail::Sealed => break,
            None => std::thread::sleep(std::time::Duration::from_micros(200)),
        }
    }
    writer.join().unwrap();
    let want: Vec<u64> = (0..n).filter(|i| i % 3 == 1).collect();
    assert_eq!(seen, want);
    assert_eq!(r.damages(), &[]);
}
