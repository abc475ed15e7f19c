//! A roll whose seal fails for a reason other than its fdatasync (here the
//! seal's write fails with EFBIG: the child process's file size limit
//! stops the file where its records end) while a durable write waits for
//! the fdatasync of its record: the record is in the file, and the log goes
//! on in the same segment (reopened, which fdatasyncs it). The waiting
//! write must say so: its sequence number, not an error a caller would
//! retry, writing the record twice.
//!
//! The same with a roll whose seal succeeds but whose next segment cannot
//! be created (no free descriptor), which leaves the log closed.
//!
//! The write waits because another thread's fdatasync (of a 128 MiB record)
//! is running when it appends (the child watches that thread enter
//! fdatasync in /proc): it waits for that one to end, then leads its own,
//! which comes after the failed seal.

use crate::common;
use binlog::{Durability, Options};
use binlog::{LogOptions, LogReader, LogWriter};
use common::child::ChildProc;
use common::TempDir;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

const CHILD: &str = "BINLOG_FAILED_SEAL_CHILD";
const BIG: usize = 128 << 20;
/// Runs of the child for one in which the write waits (a race the write
/// loses now and then under the load of a parallel test run): at least
/// `ATTEMPTS`, and more until `ATTEMPTS_FOR` has passed, so that runs go
/// on after the other tests of this file (which write records as large)
/// have ended.
const ATTEMPTS: usize = 20;
const ATTEMPTS_FOR: std::time::Duration = std::time::Duration::from_secs(90);

#[test]
fn a_durable_write_waiting_across_a_failed_seal_reports_its_record() {
    if let Ok(how) = std::env::var(CHILD) {
        let (mode, dir) = how.split_once(' ').expect("mode and directory");
        let durability = match mode {
            "every_n" => Durability::EveryN(2),
            _ => Durability::EveryRecord,
        };
        wait_across_a_failed_seal(Path::new(dir), durability, mode == "fds");
        return;
    }
    for mode in ["every_record", "every_n", "fds"] {
        // The write must append while the big record's fdatasync runs,
        // a race the child reports: a run that lost it is run again.
        let started = std::time::Instant::now();
        let (d, lines) = (1..)
            .take_while(|&attempt| attempt <= ATTEMPTS || started.elapsed() < ATTEMPTS_FOR)
            .map(|attempt| {
                let d = TempDir::new(&format!("failed-seal-{mode}-{attempt}"));
                let lines = ChildProc::spawn(
                    "a_durable_write_waiting_across_a_failed_seal_reports_its_record",
                    &[(CHILD, format!("{mode} {}", d.path().display()).as_ref())],
                    "SEAL-CHILD ",
                )
                .wait_ok();
                (d, lines)
            })
            .find(|(_, lines)| lines.iter().any(|l| l == "waiting-on-sync true"))
            .unwrap_or_else(|| {
                panic!(
                    "{mode}: the write never waited across the roll in {:?}",
                    started.elapsed()
                )
            });
        let get = |key: &str| {
            lines
                .iter()
                .find_map(|l| l.strip_prefix(key))
                .unwrap_or_else(|| panic!("{mode}: no {key:?} in {lines:?}"))
                .to_string()
        };
        eprintln!("{mode}: {lines:?}");
        assert!(
            get("roll ").starts_with("Err"),
            "{mode}: the roll did not fail: {lines:?}"
        );
        let waiter: u64 = get("waiter-seq ").parse().unwrap();
        let outcome = get("waiter ");
        // What the log holds, read back after the child closed it.
        let mut r = LogReader::open(d.path(), "x").unwrap();
        let mut found = None;
        while let Some(rec) = r.next().unwrap() {
            if rec.payload == b"waiter" {
                found = Some(rec.seq);
            }
        }
        assert_eq!(
            found,
            Some(waiter),
            "{mode}: the waiting record is in the log"
        );
        assert_eq!(
            outcome,
            format!("Ok({waiter})"),
            "{mode}: the waiting write's record {waiter} is in the log (and was durable: \
             durable_seq {}), yet the write reported",
            get("durable-after-roll ")
        );
    }
}

/// In the child: a thread writes a 128 MiB record and fdatasyncs it; while
/// it does, another writes a small durable record (and waits); the file
/// size limit is lowered to the segment's size and the log rolls, which
/// fails to write the seal. With `fds`, the roll runs with one free
/// descriptor instead: the seal is written and synced, creating the next
/// segment fails (and so does reopening the old one: the log is left
/// closed). Reports what each call returned.
fn wait_across_a_failed_seal(dir: &Path, durability: Durability, fds: bool) {
    // SAFETY: ignoring SIGXFSZ, so that a write past the limit fails with
    // EFBIG instead of killing the process.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    let opts = LogOptions {
        segment: Options {
            durability,
            max_record_size: 2 * BIG as u64,
            ..Options::default()
        },
        background: false,
        ..LogOptions::default()
    };
    let w = Arc::new(LogWriter::open(dir, "x", opts).unwrap());
    for _ in 0..3 {
        w.write("t", b"before").unwrap();
    }
    let (tid_tx, tid_rx) = mpsc::channel();
    let big_done = Arc::new(AtomicBool::new(false));
    let big = {
        let (w, done) = (Arc::clone(&w), Arc::clone(&big_done));
        std::thread::spawn(move || {
            // SAFETY: gettid has no preconditions.
            tid_tx.send(unsafe { libc::gettid() }).unwrap();
            let r = w.write("big", &vec![1u8; BIG]);
            done.store(true, Ordering::SeqCst);
            r
        })
    };
    let tid = tid_rx.recv().unwrap();
    let in_fdatasync = || {
        std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall"))
            .ok()
            .and_then(|s| {
                s.split(' ')
                    .next()
                    .map(|n| n == libc::SYS_fdatasync.to_string())
            })
            .unwrap_or(false)
    };
    while !in_fdatasync() {
        assert!(!big_done.load(Ordering::SeqCst), "never saw the fdatasync");
        std::thread::yield_now();
    }
    if durability != Durability::EveryRecord {
        // EveryN(2): the big record's write synced; this one does not,
        // the waiter's does.
        w.write("t", b"filler").unwrap();
    }
    let waiter_seq = w.next_seq().unwrap();
    let waiter = {
        let w = Arc::clone(&w);
        std::thread::spawn(move || w.write("t", b"waiter"))
    };
    while w.next_seq().unwrap() == waiter_seq {
        std::thread::yield_now();
    }
    // The waiter appended while the big record's fdatasync runs: it waits
    // for that one, and its own comes after the roll below.
    let waiting = in_fdatasync();
    // The records' end, not the file's size: a durable writer's file runs
    // on in zeros prepared ahead, which the seal would overwrite; the
    // limit stops any write that starts at it.
    let size = w.current_segment().unwrap().bytes;
    let roll = if fds {
        common::with_descriptors_left(0, || w.roll())
    } else {
        with_file_size_limit(size, || w.roll())
    };
    println!("SEAL-CHILD roll {roll:?}");
    println!("SEAL-CHILD waiting-on-sync {waiting}");
    println!("SEAL-CHILD durable-after-roll {:?}", w.durable_seq());
    println!("SEAL-CHILD big {:?}", big.join().unwrap().map(|_| ()));
    println!("SEAL-CHILD waiter-seq {waiter_seq}");
    println!("SEAL-CHILD waiter {:?}", waiter.join().unwrap());
    if !w.is_closed() {
        w.close().unwrap();
    }
}

/// Runs `f` with the process's file size limit at `bytes`.
fn with_file_size_limit<T>(bytes: u64, f: impl FnOnce() -> T) -> T {
    // SAFETY: plain system calls on this process's own limits.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        assert_eq!(libc::getrlimit(libc::RLIMIT_FSIZE, &mut limit), 0);
        let saved = limit.rlim_cur;
        limit.rlim_cur = bytes;
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
        let out = f();
        limit.rlim_cur = saved;
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
        out
    }
}

const BATCH_CHILD: &str = "BINLOG_FAILED_SEAL_BATCH_CHILD";

/// A batch split by a roll whose seal fails: the records of its first part
/// are in the log (and stay: the log goes on in that segment), so the
/// error must say that they were written, and which, or a caller retries
/// the whole batch and writes them twice.
#[test]
fn a_batch_split_by_a_failed_roll_says_what_it_wrote() {
    if let Ok(dir) = std::env::var(BATCH_CHILD) {
        split_batch_by_a_failed_roll(Path::new(&dir));
        return;
    }
    let d = TempDir::new("failed-seal-batch");
    let lines = ChildProc::spawn(
        "a_batch_split_by_a_failed_roll_says_what_it_wrote",
        &[(BATCH_CHILD, d.path().as_os_str())],
        "BATCH-CHILD ",
    )
    .wait_ok();
    eprintln!("{lines:?}");
    let mut r = LogReader::open(d.path(), "x").unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        seqs.push(rec.seq);
    }
    assert_eq!(
        seqs,
        [0, 1, 2, 3],
        "two records of the batch are in the log"
    );
}

/// In the child: 2 records in a segment that rolls every 4, then a batch of
/// 6 with the file size limit leaving room for 2 more records but not the
/// seal.
fn split_batch_by_a_failed_roll(dir: &Path) {
    // SAFETY: as above.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    let opts = LogOptions {
        segment: Options {
            durability: Durability::EveryRecord,
            ..Options::default()
        },
        max_segment_records: Some(4),
        background: false,
        ..LogOptions::default()
    };
    let w = LogWriter::open(dir, "x", opts).unwrap();
    // The records' end (see `wait_across_a_failed_seal`).
    let size = || w.current_segment().unwrap().bytes;
    w.write("t", &[0u8; 10]).unwrap();
    let one = size();
    w.write("t", &[0u8; 10]).unwrap();
    let record = size() - one;
    let parts: [&[u8]; 1] = [&[0u8; 10]];
    let entry = binlog::Entry {
        type_name: "t",
        meta: &[],
        timestamp_ns: None,
        parts: &parts,
    };
    let e = with_file_size_limit(size() + 2 * record, || w.write_batch(&[entry; 6]))
        .expect_err("the roll after two records cannot write the seal");
    println!("BATCH-CHILD error {e}");
    assert!(e.message().contains("write seal"), "{e}");
    assert!(
        e.message()
            .contains("2 of 6 records of this call were written: sequence numbers 2 to 3"),
        "the error does not say that records 2 and 3 of the batch were written: {e}"
    );
    assert_eq!(w.next_seq().unwrap(), 4);
    assert_eq!(w.durable_seq().unwrap(), 4);
    w.close().unwrap();
}

const BUFFERED_CHILD: &str = "BINLOG_FAILED_SEAL_BUFFERED_CHILD";

/// A roll that cannot write the records still in the buffer (durability
/// `None`: 50 records acknowledged, none handed to the OS yet, and the file
/// size limit stops the file at its header) fails, and keeps them: the
/// segment stays current with the records buffered, as a segment writer's
/// failed write does, and they reach the file once it can grow. The
/// sequence numbers they were given are never given again.
#[test]
fn a_roll_that_cannot_write_buffered_records_keeps_them() {
    if let Ok(dir) = std::env::var(BUFFERED_CHILD) {
        roll_with_records_buffered(Path::new(&dir));
        return;
    }
    let d = TempDir::new("failed-seal-buffered");
    let lines = ChildProc::spawn(
        "a_roll_that_cannot_write_buffered_records_keeps_them",
        &[(BUFFERED_CHILD, d.path().as_os_str())],
        "BUFFERED-CHILD ",
    )
    .wait_ok();
    eprintln!("{lines:?}");
    let mut r = LogReader::open(d.path(), "x").unwrap();
    let mut got = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        got.push((rec.seq, rec.payload.len()));
    }
    let want: Vec<(u64, usize)> = (0..50).map(|s| (s, 100)).chain([(50, 5)]).collect();
    assert_eq!(got, want, "the 50 acknowledged records, then the next");
}

fn roll_with_records_buffered(dir: &Path) {
    // SAFETY: as above.
    unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    let opts = LogOptions {
        segment: Options {
            durability: Durability::None,
            ..Options::default()
        },
        background: false,
        ..LogOptions::default()
    };
    let w = LogWriter::open(dir, "x", opts).unwrap();
    for i in 0..50u64 {
        assert_eq!(w.write("t", &[7u8; 100]).unwrap(), i);
    }
    let seg = w.current_segment().unwrap().path;
    let size = std::fs::metadata(&seg).unwrap().len();
    let e = with_file_size_limit(size, || w.roll()).expect_err("the file cannot grow");
    println!("BUFFERED-CHILD roll {e}");
    assert_eq!(
        w.next_seq().unwrap(),
        50,
        "the roll dropped the buffered records: {e}"
    );
    assert_eq!(w.current_segment().unwrap().path, seg);
    assert_eq!(w.write("t", b"after").unwrap(), 50);
    w.close().unwrap();
}
