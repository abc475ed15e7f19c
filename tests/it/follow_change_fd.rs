//! A follower's pollable descriptor (`ChangeFd`, from `LogReader::change_fd`
//! and `Reader::change_fd`): another thread's write makes it readable by
//! the time the write returns (inotify, not the descriptor's 250 ms
//! re-check), and an event loop that polls it, re-arms it and reads until
//! the reader has nothing reads every record in order, across rolls. How
//! soon an event loop wakes is not asserted, nor that nothing new leaves
//! the descriptor unreadable (its re-check makes it readable 250 ms after
//! a re-arm): a loaded machine makes any bound on time fail (`make bench`
//! h measures how soon `next_wait` returns a record).

use crate::common;

use binlog::{ChangeFd, Reader, RecordReader, Writer};
use binlog::{LogOptions, LogReader, LogWriter};
use common::TempDir;
use std::time::{Duration, Instant};

/// How long after a write returns the descriptor is readable: at once
/// with inotify or kqueue; with the POSIX backend on Linux (no kqueue) at
/// the polled notifier's next look, about a millisecond later (or at the
/// re-check).
const REPORTED: Duration = match cfg!(feature = "posix-backend") {
    true => Duration::from_secs(5),
    false => Duration::ZERO,
};

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
/// records were read (60 s bound a hang only).
fn follow(r: &mut dyn RecordReader, fd: &ChangeFd, seqs: &mut Vec<u64>, want: usize) {
    let t0 = Instant::now();
    while seqs.len() < want {
        assert!(t0.elapsed() < Duration::from_secs(60), "only {seqs:?} came");
        if !readable(fd, Duration::from_secs(1)) {
            continue;
        }
        fd.rearm().unwrap();
        while let Some(rec) = r.next().unwrap() {
            seqs.push(rec.seq);
        }
    }
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
    for i in 0..5u8 {
        w.write("t", &[i]).unwrap();
        w.flush().unwrap();
        if i == 0 {
            assert!(readable(&fd, REPORTED), "the write made it readable");
        }
    }
    let mut seqs = Vec::new();
    follow(&mut r, &fd, &mut seqs, 5);
    assert_eq!(seqs, (0..5).collect::<Vec<u64>>());
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
    w.write("t", b"later").unwrap();
    w.flush().unwrap();
    assert!(readable(&fd, REPORTED), "the write made it readable");
    follow(&mut r, &fd, &mut seqs, 2);
    w.close().unwrap();
    assert_eq!(seqs, [0, 1]);
}
