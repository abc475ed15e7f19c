//! A follower's pollable descriptor (`ChangeFd`, from `LogReader::change_fd`
//! and `Reader::change_fd`): an event loop that polls it, re-arms it and
//! reads until the reader has nothing wakes within a few milliseconds of
//! another thread's write (well before the descriptor's 250 ms re-check),
//! and reads every record in order, across rolls.

mod common;

use binlog::log::{LogOptions, LogReader, LogWriter};
use binlog::{ChangeFd, Reader, RecordReader, Writer};
use common::TempDir;
use std::time::{Duration, Instant};

/// Sooner than the descriptor's timed re-check (250 ms): a wake-up this
/// soon came from the write.
const SOON: Duration = Duration::from_millis(200);
const WRITE_AFTER: Duration = Duration::from_millis(60);

fn readable(fd: &ChangeFd, timeout: Duration) -> bool {
    let mut p = libc::pollfd {
        fd: fd.raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one pollfd we own, for a descriptor that is open.
    unsafe { libc::poll(&mut p, 1, timeout.as_millis() as i32) == 1 }
}

/// The event loop: poll, re-arm, read until nothing is left, until `want`
/// records were read (or 5 s passed). Returns how long after `t0` the
/// first wake-up came.
fn follow(
    r: &mut dyn RecordReader,
    fd: &ChangeFd,
    seqs: &mut Vec<u64>,
    want: usize,
    t0: Instant,
) -> Duration {
    let mut first_wake = None;
    while seqs.len() < want && t0.elapsed() < Duration::from_secs(5) {
        if !readable(fd, Duration::from_secs(1)) {
            continue;
        }
        first_wake.get_or_insert_with(|| t0.elapsed());
        fd.rearm().unwrap();
        while let Some(rec) = r.next().unwrap() {
            seqs.push(rec.seq);
        }
    }
    first_wake.expect("the descriptor became readable")
}

#[test]
fn a_log_followers_descriptor_wakes_it_for_records_across_rolls() {
    let d = TempDir::new("change-fd-log");
    let opts = LogOptions {
        max_segment_records: Some(2),
        ..LogOptions::default()
    };
    let w = LogWriter::open(d.path(), "ev", opts).unwrap();
    let mut r = LogReader::open(d.path(), "ev").unwrap();
    let fd = r.change_fd().unwrap();
    assert!(readable(&fd, Duration::ZERO), "readable when made");
    fd.rearm().unwrap();
    assert!(r.next().unwrap().is_none());
    assert!(!readable(&fd, Duration::from_millis(20)), "nothing new");

    let t0 = Instant::now();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(WRITE_AFTER);
        for i in 0..5u8 {
            w.write("t", &[i]).unwrap();
            w.flush().unwrap();
        }
        w
    });
    let mut seqs = Vec::new();
    let woke = follow(&mut r, &fd, &mut seqs, 5, t0);
    let w = writer.join().unwrap();
    assert_eq!(seqs, (0..5).collect::<Vec<u64>>());
    assert!(
        woke >= WRITE_AFTER - Duration::from_millis(5) && woke < SOON,
        "woke after {woke:?}"
    );
    assert!(
        w.current_segment().unwrap().segment_no >= 2,
        "the log rolled"
    );
    w.close().unwrap();
}

#[test]
fn a_segment_followers_descriptor_wakes_it_for_appends() {
    let d = TempDir::new("change-fd-segment");
    let path = d.join("seg.binlog");
    let w = Writer::open(&path, Default::default()).unwrap();
    w.write("t", b"first").unwrap();
    w.flush().unwrap();
    let mut r = Reader::open(&path).unwrap();
    let fd = r.change_fd().unwrap();
    fd.rearm().unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        seqs.push(rec.seq);
    }
    assert_eq!(seqs, [0]);

    let t0 = Instant::now();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(WRITE_AFTER);
        w.write("t", b"later").unwrap();
        w.flush().unwrap();
        w
    });
    let woke = follow(&mut r, &fd, &mut seqs, 2, t0);
    writer.join().unwrap().close().unwrap();
    assert_eq!(seqs, [0, 1]);
    assert!(
        woke >= WRITE_AFTER - Duration::from_millis(5) && woke < SOON,
        "woke after {woke:?}"
    );
}
