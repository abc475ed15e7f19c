//! Rolling logs' retention and the log reader's follow mode: closing keeps
//! the numbering, next_wait with the longest timeout, a follower behind
//! retention, seeks on a listing that names removed segments, age
//! retention with the system clock.

use crate::common;
use binlog::ffi::reader::{binlog_reader_close, binlog_reader_next_wait, binlog_reader_open_log};
use binlog::ffi::result::binlog_result;
use binlog::ffi::types::binlog_record;
use binlog::{Clock, LogOptions, LogReader, LogWriter, Retention};
use common::TempDir;
use std::ffi::CString;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// 2026-11-21T05:37:42.5Z
const T0: i64 = 1_795_239_462_500_000_000;

fn clock_at(c: &Arc<AtomicI64>) -> Clock {
    let c = Arc::clone(c);
    Arc::new(move || c.load(Ordering::SeqCst))
}

fn opts(c: &Arc<AtomicI64>) -> LogOptions {
    LogOptions {
        clock: clock_at(c),
        background: false,
        ..LogOptions::default()
    }
}

/// A caller that means "as long as it takes" passes the largest timeout:
/// UINT64_MAX ms through C, `Duration::MAX` in Rust. A record already there
/// comes back at once, without computing `Instant::now() + Duration::MAX`
/// (which panics) before even looking.
#[test]
fn next_wait_with_the_largest_timeout_returns_the_record_there() {
    let dir = TempDir::new("wait-max");
    let c = Arc::new(AtomicI64::new(T0));
    let w = LogWriter::open(dir.path(), "orders", opts(&c)).unwrap();
    w.write("a", b"one").unwrap();
    w.flush().unwrap();
    let d = CString::new(dir.path().to_str().unwrap()).unwrap();
    let n = CString::new("orders").unwrap();
    let mut r = std::ptr::null_mut();
    assert_eq!(
        binlog_reader_open_log(d.as_ptr(), n.as_ptr(), &mut r),
        binlog_result::BINLOG_OK
    );
    let mut rec: binlog_record = unsafe { std::mem::zeroed() };
    let got = binlog_reader_next_wait(r, u64::MAX, &mut rec);
    assert_eq!(got, binlog_result::BINLOG_OK, "{}", last_error());
    assert_eq!(rec.seq, 0);
    binlog_reader_close(r);
    // The Rust API too.
    let mut lr = LogReader::open(dir.path(), "orders").unwrap();
    assert_eq!(lr.next_wait(Duration::MAX).unwrap().unwrap().seq, 0);
    w.close().unwrap();
}

fn last_error() -> String {
    let p = binlog::ffi::version::binlog_last_error();
    if p.is_null() {
        return String::new();
    }
    unsafe { std::ffi::CStr::from_ptr(p) }
        .to_string_lossy()
        .into_owned()
}

/// Reads `r` (following) until seq `last`, checking order and that every
/// jump in sequence numbers is exactly one gap with that range.
fn follow_to(r: &mut LogReader, last: u64, slow: bool) -> (Vec<u64>, usize) {
    let mut seqs: Vec<u64> = Vec::new();
    let start = Instant::now();
    let mut jumps = 0;
    loop {
        let seq = match r.next_wait(Duration::from_millis(200)).unwrap() {
            Some(rec) => rec.seq,
            None => {
                assert!(
                    start.elapsed() < Duration::from_secs(60),
                    "stuck at {:?}",
                    seqs.last()
                );
                continue;
            }
        };
        let expect = seqs.last().map_or(0, |s| s + 1);
        assert!(
            seq >= expect,
            "out of order or twice: {seq} after {:?}",
            seqs.last()
        );
        if seq > expect {
            jumps += 1;
            let g = &r.gaps()[jumps - 1];
            assert_eq!(
                (g.from_seq, g.to_seq),
                (seqs.last().map(|s| s + 1), Some(seq)),
                "gap {g:?} for the jump {:?} -> {seq}; gaps {:?}",
                seqs.last(),
                r.gaps()
            );
        }
        assert_eq!(r.gaps().len(), jumps, "gaps {:?} after {seq}", r.gaps());
        seqs.push(seq);
        if seq == last {
            return (seqs, jumps);
        }
        if slow && seq % 7 == 0 {
            std::thread::sleep(Duration::from_micros(300));
        }
    }
}

/// A follower of a log that rolls every 10 records and keeps 2 sealed
/// segments: each record it gets comes once and in order, and each loss is
/// exactly one gap naming the missing range.
#[test]
fn a_follower_behind_retention_reports_each_loss_once_and_exactly() {
    for seal_in_background in [false, true] {
        let dir = TempDir::new("follow-retention");
        let o = LogOptions {
            max_segment_records: Some(10),
            retention: Retention {
                max_segments: Some(2),
                ..Retention::default()
            },
            seal_in_background,
            ..LogOptions::default()
        };
        let w = Arc::new(LogWriter::open(dir.path(), "orders", o).unwrap());
        let n = 5_000u64;
        let wt = {
            let w = Arc::clone(&w);
            std::thread::spawn(move || {
                for i in 0..n {
                    w.write("a", &i.to_le_bytes()).unwrap();
                    if i % 3 == 0 {
                        w.flush().unwrap();
                    }
                }
                w.flush().unwrap();
            })
        };
        let mut r = LogReader::open(dir.path(), "orders").unwrap();
        let (seqs, jumps) = follow_to(&mut r, n - 1, true);
        wt.join().unwrap();
        eprintln!(
            "bg {seal_in_background}: {} records, {jumps} gaps",
            seqs.len()
        );
        w.close().unwrap();
    }
}

/// Retention by bytes below the size of the segment being written: closing
/// the log seals that segment and applies retention. "The current segment
/// never goes" and "sequence numbers continue across segments and
/// restarts": the log reopened must go on numbering (and naming) after the
/// records it wrote, not start again at 0 in segment 0.
#[test]
fn closing_a_log_whose_last_segment_exceeds_the_byte_limit_keeps_its_numbering() {
    let dir = TempDir::new("close-retention");
    let c = Arc::new(AtomicI64::new(T0));
    let o = || LogOptions {
        retention: Retention {
            max_bytes: Some(4096),
            ..Retention::default()
        },
        ..opts(&c)
    };
    let w = LogWriter::open(dir.path(), "orders", o()).unwrap();
    for i in 0..100u64 {
        w.write("a", &[i as u8; 100]).unwrap();
    }
    w.roll().unwrap(); // segment 0 sealed (10 KB > 4096) and removed: fine
    for i in 0..100u64 {
        w.write("a", &[i as u8; 100]).unwrap();
    }
    assert_eq!(w.next_seq().unwrap(), 200);
    w.close().unwrap();
    let left: Vec<String> = dir
        .names()
        .into_iter()
        .filter(|n| n.ends_with(".binlog"))
        .collect();
    let w = LogWriter::open(dir.path(), "orders", o()).unwrap();
    assert_eq!(
        w.next_seq().unwrap(),
        200,
        "segments left after close: {left:?}"
    );
    assert!(w.current_segment().unwrap().segment_no >= 2);
    w.close().unwrap();
}

/// Seeks on a reader whose listing still names segments retention removed
/// since.
#[test]
fn seeks_after_retention_removed_listed_segments() {
    let dir = TempDir::new("seek-removed");
    let c = Arc::new(AtomicI64::new(T0));
    let o = LogOptions {
        max_segment_records: Some(10),
        ..opts(&c)
    };
    let w = LogWriter::open(dir.path(), "orders", o).unwrap();
    let ms = 1_000_000i64;
    let e = |i: u64| binlog::Entry {
        type_name: "a",
        meta: &[],
        timestamp_ns: Some(T0 + i as i64 * ms),
        parts: &[],
    };
    for i in 0..50u64 {
        w.write_batch(&[e(i)]).unwrap();
    }
    w.flush().unwrap();
    for seek in 0..4 {
        let mut r = LogReader::open(dir.path(), "orders").unwrap();
        // retention (by hand here) removes segments 0 and 1 after the listing
        let names: Vec<String> = dir
            .names()
            .into_iter()
            .filter(|n| n.ends_with(".binlog"))
            .collect();
        let sub = TempDir::new("seek-removed-keep");
        for n in &names[..2] {
            std::fs::rename(dir.join(n), sub.join(n)).unwrap();
        }
        let got = match seek {
            0 => {
                r.seek_seq(5).unwrap();
                r.next().unwrap().map(|x| x.seq)
            }
            1 => {
                r.seek_seq(25).unwrap();
                r.next().unwrap().map(|x| x.seq)
            }
            2 => {
                r.seek_time(T0 + 33 * ms).unwrap();
                r.next().unwrap().map(|x| x.seq)
            }
            _ => {
                r.seek_time(T0 + 3 * ms).unwrap();
                r.next().unwrap().map(|x| x.seq)
            }
        };
        let want = [20, 25, 33, 20][seek];
        assert_eq!(got, Some(want), "seek {seek}: gaps {:?}", r.gaps());
        // and it reads on in order to the end
        let mut last = want;
        while let Some(x) = r.next().unwrap() {
            assert_eq!(x.seq, last + 1);
            last = x.seq;
        }
        assert_eq!(last, 49);
        for n in &names[..2] {
            std::fs::rename(sub.join(n), dir.join(n)).unwrap();
        }
    }
    w.close().unwrap();
}

/// With the system clock, age retention counts elapsed time: a segment
/// sealed by this log goes once `max_age` has really passed (the wall
/// clock is read once, at open; its steps later change no segment's age,
/// see src/log/age_clock.rs). A segment found on disk ages from its
/// modification time.
#[test]
fn age_retention_with_the_system_clock_deletes_after_max_age_has_elapsed() {
    let dir = TempDir::new("age-elapsed");
    let sealed = |d: &std::path::Path| {
        std::fs::read_dir(d)
            .unwrap()
            .filter(|e| {
                let n = e.as_ref().unwrap().file_name();
                n.to_str().unwrap().ends_with(".binlog")
            })
            .count()
    };
    let max_age = Duration::from_millis(400);
    let o = || LogOptions {
        background: false,
        retention: Retention {
            max_age: Some(max_age),
            ..Retention::default()
        },
        ..LogOptions::default()
    };
    let w = LogWriter::open(dir.path(), "orders", o()).unwrap();
    w.write("a", b"one").unwrap();
    let t = Instant::now();
    w.roll().unwrap();
    w.write("a", b"two").unwrap();
    w.tick().unwrap();
    if t.elapsed() < max_age {
        assert_eq!(sealed(dir.path()), 2, "a segment went before its time");
    }
    std::thread::sleep(max_age + Duration::from_millis(100));
    w.tick().unwrap();
    assert_eq!(sealed(dir.path()), 1, "the sealed segment outlived max_age");
    // Taken before the roll, as the segment's modification time is.
    let t = Instant::now();
    w.roll().unwrap();
    w.close().unwrap();
    // Reopened: the segment sealed by the roll above is found on disk and
    // ages from its modification time.
    let w = LogWriter::open(dir.path(), "orders", o()).unwrap();
    w.write("a", b"three").unwrap();
    w.tick().unwrap();
    let before = sealed(dir.path());
    if t.elapsed() < Duration::from_millis(300) {
        assert!(before >= 2, "{before}");
    }
    std::thread::sleep(max_age + Duration::from_millis(100));
    w.tick().unwrap();
    assert_eq!(
        sealed(dir.path()),
        1,
        "the segment found on disk outlived max_age"
    );
    w.close().unwrap();
}
