//! A roll that fails after creating the next segment's file leaves the log
//! writing on in the segment before. The file it created must not come
//! back: a later roll (in the same second, under the same name, or in a
//! later one) and a reopened log must not resume it, number records from
//! its header's first sequence number again, or create a second file of
//! its number; and a reader following the log (`next_wait`, another
//! thread) that moved on to the half-made segment must come back for the
//! records written in the old one, returning every acknowledged record
//! once, in order, with no gap or damage reported. A roll that made the
//! next file but could not end the old segment's records leaves that
//! segment active, as it was.
//!
//! The failures are real: a file size limit, the process out of
//! descriptors (opening the directory to sync it fails), or a seccomp
//! filter installed on the one thread that rolls (tests/it/common/faults.rs;
//! the filter dies with it), making the directory's fsync fail with EIO
//! (the new file exists, with its header), the header's write at offset 0
//! fail with ENOSPC (the file exists, empty), and unlink fail with EIO, so
//! that the roll cannot remove what it created either. Other threads (a
//! reader, the log's background thread, later rolls) are not affected,
//! and nothing else about the files is faked.

use crate::common;
use binlog::log::{naming, segments};
use binlog::{Clock, LogOptions, LogReader, LogWriter};
use binlog::{Durability, Options, Reader, Writer};
use common::child::ChildProc;
use common::faults::{with_failures, Fail};
use common::{Rng, TempDir};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// 2026-11-21T05:37:42.5Z: every roll happens in the same second.
const T0: i64 = 1_795_239_462_500_000_000;

/// `seal_in_background`: a roll leaves the old segment open (its seal is
/// written later), so the new one's file is all a roll opens.
fn fixed_clock_log(seal_in_background: bool) -> LogOptions {
    LogOptions {
        clock: Arc::new(|| T0),
        seal_in_background,
        segment: Options {
            durability: Durability::EveryRecord,
            ..Options::default()
        },
        ..LogOptions::default()
    }
}

/// Every record of log `name` in `dir`, read as one log: sequence numbers.
fn seqs(dir: &Path, name: &str) -> Vec<u64> {
    let mut r = LogReader::open(dir, name).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    while let Some(rec) = r.next().unwrap_or_else(|e| panic!("{e}")) {
        out.push(rec.seq);
    }
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
    out
}

const CHILD: &str = "BINLOG_FAILED_ROLL_CHILD";

#[test]
fn a_roll_that_failed_after_creating_the_file_leaves_nothing_behind() {
    if let Ok(dir) = std::env::var(CHILD) {
        fail_a_roll_then_roll_again(Path::new(&dir));
        return;
    }
    let d = TempDir::new("failed-roll");
    let lines = ChildProc::spawn(
        "a_roll_that_failed_after_creating_the_file_leaves_nothing_behind",
        &[(CHILD, d.path().as_os_str())],
        "ROLL-CHILD ",
    )
    .wait_ok();
    let failure = lines
        .iter()
        .find_map(|l| l.strip_prefix("failed "))
        .expect("the child reports the failed roll");
    assert!(failure.contains("directory"), "{failure}");
    assert_eq!(seqs(d.path(), "x"), (0..8).collect::<Vec<_>>());
    let files = segments::list(d.path(), "x").unwrap();
    let numbers: Vec<u64> = files.iter().map(|f| f.segment_no).collect();
    assert_eq!(numbers, [0, 1], "{files:?}");
}

/// In the child: 3 records, a roll that fails with one descriptor left (the
/// new file takes it, opening the directory to sync it fails), 2 more
/// records in segment 0, a roll in the same second, 3 records.
fn fail_a_roll_then_roll_again(dir: &Path) {
    let w = LogWriter::open(dir, "x", fixed_clock_log(true)).unwrap();
    for i in 0..3u64 {
        assert_eq!(w.write("t", &[i as u8]).unwrap(), i);
    }
    let err = common::with_one_descriptor_left(|| w.roll().unwrap_err());
    println!("ROLL-CHILD failed {err}");
    for i in 3..5u64 {
        assert_eq!(w.write("t", &[i as u8]).unwrap(), i);
    }
    assert_eq!(w.current_segment().unwrap().segment_no, 0);
    w.roll().unwrap();
    for i in 5..8u64 {
        assert_eq!(w.write("t", &[i as u8]).unwrap(), i);
    }
    w.close().unwrap();
}

const LEFTOVER_CHILD: &str = "BINLOG_LEFTOVER_CHILD";

/// The same leftover as a failed roll that could not remove it either (a
/// header that says segment 1 starts at 3, nothing else) found when the log
/// opens again, after segment 0 went on to record 5, closed or not (a
/// crash): removed, and the log continues at 6. A later roll or a reader
/// would otherwise trip over sequence numbers given twice.
#[test]
fn an_empty_segment_left_by_a_failed_roll_is_removed_when_the_log_opens() {
    if let Ok(how) = std::env::var(LEFTOVER_CHILD) {
        let (close, dir) = how.split_once(' ').expect("mode and directory");
        leave_a_leftover(Path::new(dir), close == "close");
        return;
    }
    for close in ["close", "crash"] {
        let d = TempDir::new(&format!("leftover-{close}"));
        ChildProc::spawn(
            "an_empty_segment_left_by_a_failed_roll_is_removed_when_the_log_opens",
            &[(
                LEFTOVER_CHILD,
                format!("{close} {}", d.path().display()).as_ref(),
            )],
            "-",
        )
        .wait_ok();
        let leftover = d.join(naming::segment_name("x", 1, T0));
        assert!(leftover.exists(), "{close}");

        let w = LogWriter::open(d.path(), "x", fixed_clock_log(false)).unwrap();
        // Segment 1 again (the clock stands still: under the same name), new.
        let current = w.current_segment().unwrap();
        assert_eq!(current.path, leftover, "{close}");
        assert_eq!(current.first_seq, 6, "{close}");
        assert_eq!(w.write("t", b"next").unwrap(), 6, "{close}");
        w.roll().unwrap();
        assert_eq!(w.write("t", b"after a roll").unwrap(), 7, "{close}");
        w.close().unwrap();
        assert_eq!(seqs(d.path(), "x"), (0..8).collect::<Vec<_>>(), "{close}");
    }
}

/// In the child: records 0-5 in segment 0 (closed, or left as a crash
/// leaves it), and segment 1's file with only a header saying it starts at
/// 3; then gone without closing anything (a close would seal segment 1,
/// which a failed roll never did).
fn leave_a_leftover(dir: &Path, close: bool) {
    let w = LogWriter::open(dir, "x", fixed_clock_log(false)).unwrap();
    for i in 0..6u64 {
        w.write("t", &[i as u8]).unwrap();
    }
    if close {
        w.close().unwrap();
    }
    let leftover = Writer::open(
        dir.join(naming::segment_name("x", 1, T0)),
        Options {
            log_name: "x".into(),
            segment_no: 1,
            first_seq: 3,
            ..Options::default()
        },
    )
    .unwrap();
    std::mem::forget((w, leftover));
    std::process::exit(0);
}

/// A roll that made the next segment but could not close the old one's
/// records (its end frame would pass the file size limit: EFBIG) leaves the
/// old segment active, as it was, and removes the file it made; once the
/// limit is lifted the log goes on and rolls. Nothing was sealed, so no
/// sealed segment changed.
#[test]
fn a_roll_whose_end_frame_cannot_be_written_leaves_the_old_segment_active() {
    common::in_fsize_child(
        "a_roll_whose_end_frame_cannot_be_written_leaves_the_old_segment_active",
        "BINLOG_END_FRAME_EFBIG_DIR",
        "END-FRAME-CHILD ",
        |dir| {
            let w = LogWriter::open(dir, "x", fixed_clock_log(false)).unwrap();
            for i in 0..3u64 {
                assert_eq!(w.write("t", &[i as u8]).unwrap(), i);
            }
            w.flush().unwrap();
            let old = w.current_segment().unwrap();
            // The records' end, not the file's size: a durable writer's
            // file runs on in zeros prepared ahead (the limit stops any
            // write that starts past it, those zeros' too).
            let len = old.bytes;
            let records = std::fs::read(&old.path).unwrap()[..len as usize].to_vec();
            // Room for the next segment's header, not for the end frame.
            common::set_file_size_limit(len + 5);
            let e = w.roll().unwrap_err();
            common::set_file_size_limit(libc::RLIM_INFINITY);
            println!("END-FRAME-CHILD {e}");
            assert!(e.message().contains(&*old.path.to_string_lossy()), "{e}");
            assert_eq!(w.current_segment().unwrap(), old);
            let after = std::fs::read(&old.path).unwrap();
            assert_eq!(after[..len as usize], records);
            assert!(
                after[len as usize..].iter().all(|&b| b == 0),
                "not as it was"
            );
            let files = segments::list(dir, "x").unwrap();
            assert_eq!(files.len(), 1, "{files:?}");
            assert_eq!(w.write("t", b"3").unwrap(), 3);
            w.roll().unwrap();
            assert_eq!(w.write("t", b"4").unwrap(), 4);
            w.close().unwrap();
            assert_eq!(seqs(dir, "x"), (0..5).collect::<Vec<_>>());
        },
    );
}

#[test]
fn the_fault_injection_fails_only_its_own_thread() {
    let d = TempDir::new("failed-roll-seccomp");
    let p = d.join("f");
    std::fs::write(&p, b"x").unwrap();
    let (unlink, fsync) = with_failures(&[Fail::Unlink, Fail::DirSync], || {
        (
            std::fs::remove_file(&p).map_err(|e| e.raw_os_error()),
            std::fs::File::open(d.path())
                .unwrap()
                .sync_all()
                .map_err(|e| e.raw_os_error()),
        )
    });
    assert_eq!(unlink, Err(Some(libc::EIO)));
    assert_eq!(fsync, Err(Some(libc::EIO)));
    let header = with_failures(&[Fail::HeaderWrite], || {
        use std::os::unix::fs::FileExt;
        let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        (
            f.write_at(b"y", 0).map_err(|e| e.raw_os_error()),
            f.write_at(b"y", 1).map_err(|e| e.raw_os_error()),
        )
    });
    assert_eq!(header, (Err(Some(libc::ENOSPC)), Ok(1)));
    // This thread is unaffected.
    std::fs::remove_file(&p).unwrap();
}

// ---------------------------- failures injected into the thread that rolls

const SECOND: i64 = 1_000_000_000;

fn clock_of(c: &Arc<AtomicI64>) -> Clock {
    let c = Arc::clone(c);
    Arc::new(move || c.load(Ordering::SeqCst))
}

/// How a roll goes: `Background`: the seal is left to the background
/// thread (the roll only opens the next file); `SealingFirst`: the roll
/// seals the old segment, then opens the next (and reopens the old one if
/// that fails).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Background,
    SealingFirst,
}

fn log_opts(mode: Mode, clock: &Arc<AtomicI64>) -> LogOptions {
    LogOptions {
        clock: clock_of(clock),
        background: mode == Mode::Background,
        seal_in_background: mode == Mode::Background,
        segment: Options {
            durability: Durability::EveryRecord,
            ..Options::default()
        },
        ..LogOptions::default()
    }
}

/// What makes a roll fail after creating the next segment's file, in a
/// mode: its header cannot be written (sealing first: the log reopens the
/// old segment, whose fsyncs still work), or the directory cannot be
/// synced (in the background mode nothing is reopened).
fn creation_fault(mode: Mode) -> Fail {
    match mode {
        Mode::Background => Fail::DirSync,
        Mode::SealingFirst => Fail::HeaderWrite,
    }
}

/// Asserts the invariant: the segment files of log `name` have distinct
/// numbers (listed in number order, strictly increasing), each header
/// names its own number, and the sequence numbers of the segments that
/// hold records continue each other.
fn assert_numbering(dir: &Path, name: &str, ctx: &str) {
    let files = segments::list(dir, name).unwrap();
    let numbers: Vec<u64> = files.iter().map(|f| f.segment_no).collect();
    assert!(
        numbers.windows(2).all(|w| w[0] < w[1]),
        "{ctx}: two segment files with the same number: {:?}",
        files
            .iter()
            .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
    );
    let mut next: Option<u64> = None;
    for f in &files {
        let Ok(mut r) = Reader::open(&f.path) else {
            continue; // an empty file: no header, no records
        };
        assert_eq!(r.header().segment_no, f.segment_no, "{ctx}: {f:?}");
        let first = r.header().first_seq;
        let mut n = 0;
        while r.next().unwrap().is_some() {
            n += 1;
        }
        if n > 0 {
            if let Some(next) = next {
                assert_eq!(first, next, "{ctx}: {f:?} does not continue the log");
            }
            next = Some(first + n);
        }
    }
}

/// Every record of the log, read by a fresh reader: sequence numbers;
/// asserts no gap and no damage was reported.
fn read_log(dir: &Path, name: &str, ctx: &str) -> Vec<u64> {
    let mut r = LogReader::open(dir, name).unwrap();
    let mut out = Vec::new();
    loop {
        match r.next() {
            Ok(Some(rec)) => out.push(rec.seq),
            Ok(None) => break,
            Err(e) => panic!("{ctx}: reading the log failed after {out:?}: {e}"),
        }
    }
    assert!(r.gaps().is_empty(), "{ctx}: {:?}", r.gaps());
    assert!(r.damages().is_empty(), "{ctx}: {:?}", r.damages());
    out
}

fn write_n(w: &LogWriter, from: u64, to: u64) {
    for i in from..to {
        assert_eq!(w.write("t", &i.to_le_bytes()).unwrap(), i);
    }
}

// ------------------------------------------------ one file per segment number

/// A roll fails after creating segment 1's file and cannot remove it; the
/// log goes on in segment 0 (records 3, 4); the next roll, a second later
/// (another name), must not create a second segment 1 beside it. Then the
/// log is reopened and goes on. (A second segment 1 would be
/// `x-...01-<T0+1s>.binlog` beside `x-...01-<T0>.binlog`.)
#[test]
fn a_roll_after_a_failed_roll_that_left_its_file_makes_no_second_segment_of_its_number() {
    for mode in [Mode::Background, Mode::SealingFirst] {
        let ctx = format!("{mode:?}");
        let d = TempDir::new(&format!("failed-roll-dup-{mode:?}"));
        let clock = Arc::new(AtomicI64::new(T0));
        let w = LogWriter::open(d.path(), "x", log_opts(mode, &clock)).unwrap();
        write_n(&w, 0, 3);
        let err = with_failures(&[creation_fault(mode), Fail::Unlink], || w.roll()).unwrap_err();
        eprintln!("{ctx}: the roll failed: {err}");
        let leftover = d.join(naming::segment_name("x", 1, T0));
        assert!(leftover.exists(), "{ctx}: the fault left no file");
        assert_eq!(w.current_segment().unwrap().segment_no, 0, "{ctx}");
        write_n(&w, 3, 5);
        clock.store(T0 + SECOND, Ordering::SeqCst);
        w.roll().unwrap();
        assert_numbering(d.path(), "x", &ctx);
        assert_eq!(w.current_segment().unwrap().segment_no, 1, "{ctx}");
        write_n(&w, 5, 8);
        w.close().unwrap();
        assert_numbering(d.path(), "x", &ctx);
        assert_eq!(read_log(d.path(), "x", &ctx), (0..8).collect::<Vec<_>>());

        clock.store(T0 + 2 * SECOND, Ordering::SeqCst);
        let w = LogWriter::open(d.path(), "x", log_opts(mode, &clock)).unwrap();
        assert_eq!(w.next_seq().unwrap(), 8, "{ctx}");
        write_n(&w, 8, 9);
        w.roll().unwrap();
        write_n(&w, 9, 10);
        w.close().unwrap();
        assert_numbering(d.path(), "x", &ctx);
        assert_eq!(read_log(d.path(), "x", &ctx), (0..10).collect::<Vec<_>>());
    }
}

/// The same, with the file left by the failed roll still not removable when
/// the log rolls again: that roll must not create another segment 1
/// either (it fails, and the log goes on in segment 0), and once the file
/// can be removed a roll succeeds.
#[test]
fn while_the_leftover_cannot_be_removed_no_roll_creates_a_second_segment_of_its_number() {
    for mode in [Mode::Background, Mode::SealingFirst] {
        let ctx = format!("{mode:?}");
        let d = TempDir::new(&format!("failed-roll-stuck-{mode:?}"));
        let clock = Arc::new(AtomicI64::new(T0));
        let w = LogWriter::open(d.path(), "x", log_opts(mode, &clock)).unwrap();
        write_n(&w, 0, 3);
        with_failures(&[creation_fault(mode), Fail::Unlink], || w.roll()).unwrap_err();
        write_n(&w, 3, 5);
        clock.store(T0 + SECOND, Ordering::SeqCst);
        let again = with_failures(&[Fail::Unlink], || w.roll());
        eprintln!("{ctx}: the roll with the leftover in place: {again:?}");
        assert_numbering(d.path(), "x", &ctx);
        // The log goes on, numbering on from where it was.
        let seg = w.current_segment().unwrap();
        assert_eq!(seg.segment_no, u64::from(again.is_ok()), "{ctx}");
        write_n(&w, 5, 7);
        clock.store(T0 + 2 * SECOND, Ordering::SeqCst);
        w.roll().unwrap();
        assert_numbering(d.path(), "x", &ctx);
        write_n(&w, 7, 9);
        w.close().unwrap();
        assert_numbering(d.path(), "x", &ctx);
        assert_eq!(read_log(d.path(), "x", &ctx), (0..9).collect::<Vec<_>>());
        assert!(
            !d.join(naming::segment_name("x", 1, T0)).exists(),
            "{ctx}: the leftover is still there: {:?}",
            d.names()
        );
    }
}

/// An empty file left by a failed roll (its header could not be written,
/// nor the file removed) and a roll again in the same second, under the
/// same name: the file holds nothing and is taken over, not refused
/// (`segment 1 already exists, with records`) until the second changes.
#[test]
fn an_empty_file_left_by_a_failed_roll_does_not_block_the_next_roll_in_the_same_second() {
    let d = TempDir::new("failed-roll-empty-same-second");
    let clock = Arc::new(AtomicI64::new(T0));
    let w = LogWriter::open(d.path(), "x", log_opts(Mode::SealingFirst, &clock)).unwrap();
    write_n(&w, 0, 3);
    with_failures(&[Fail::HeaderWrite, Fail::Unlink], || w.roll()).unwrap_err();
    let leftover = d.join(naming::segment_name("x", 1, T0));
    assert_eq!(std::fs::metadata(&leftover).unwrap().len(), 0);
    write_n(&w, 3, 5);
    w.roll().unwrap();
    assert_eq!(w.current_segment().unwrap().segment_no, 1);
    write_n(&w, 5, 7);
    w.close().unwrap();
    assert_numbering(d.path(), "x", "same second");
    assert_eq!(
        read_log(d.path(), "x", "same second"),
        (0..7).collect::<Vec<_>>()
    );
}

const CRASH_CHILD: &str = "BINLOG_FAILED_ROLL_CRASH_CHILD";

/// A writer that dies after a failed roll left segment 1's file (with a
/// header, or empty), with or without writing on in segment 0 before: the
/// log opened again (a second later) must not end up with two segments 1,
/// nor give out a sequence number twice (opening removes, or resumes, the
/// file).
#[test]
fn a_log_reopened_after_a_crash_following_a_failed_roll_has_one_segment_per_number() {
    if let Ok(how) = std::env::var(CRASH_CHILD) {
        let mut it = how.splitn(3, ' ');
        let mode = match it.next().unwrap() {
            "Background" => Mode::Background,
            _ => Mode::SealingFirst,
        };
        let more: bool = it.next().unwrap().parse().unwrap();
        crash_after_a_failed_roll(Path::new(it.next().unwrap()), mode, more);
        return;
    }
    for mode in [Mode::Background, Mode::SealingFirst] {
        for more in [false, true] {
            let ctx = format!("{mode:?}, records after the failed roll: {more}");
            let d = TempDir::new(&format!("failed-roll-crash-{mode:?}-{more}"));
            ChildProc::spawn(
                "a_log_reopened_after_a_crash_following_a_failed_roll_has_one_segment_per_number",
                &[(
                    CRASH_CHILD,
                    format!("{mode:?} {more} {}", d.path().display()).as_ref(),
                )],
                "FAILED-ROLL-CRASH ",
            )
            .wait_ok();
            assert!(
                d.join(naming::segment_name("x", 1, T0)).exists(),
                "{ctx}: no leftover: {:?}",
                d.names()
            );
            let n = if more { 5 } else { 3 };
            let clock = Arc::new(AtomicI64::new(T0 + SECOND));
            let w = LogWriter::open(d.path(), "x", log_opts(mode, &clock)).unwrap();
            assert_eq!(w.next_seq().unwrap(), n, "{ctx}");
            write_n(&w, n, n + 2);
            w.roll().unwrap();
            write_n(&w, n + 2, n + 3);
            w.close().unwrap();
            assert_numbering(d.path(), "x", &ctx);
            assert_eq!(
                read_log(d.path(), "x", &ctx),
                (0..n + 3).collect::<Vec<_>>()
            );
        }
    }
}

/// In the child: records 0-2, a roll that fails and cannot remove segment
/// 1's file, records 3-4 if `more`, then gone without closing anything.
fn crash_after_a_failed_roll(dir: &Path, mode: Mode, more: bool) {
    let clock = Arc::new(AtomicI64::new(T0));
    let w = LogWriter::open(dir, "x", log_opts(mode, &clock)).unwrap();
    write_n(&w, 0, 3);
    with_failures(&[creation_fault(mode), Fail::Unlink], || w.roll()).unwrap_err();
    if more {
        write_n(&w, 3, 5);
    }
    std::process::exit(0);
}

// ------------------------------------------------ a reader following along

/// What a following reader saw, shared with the test thread.
#[derive(Default)]
struct Seen {
    seqs: Vec<u64>,
    /// Every segment the reader stood in, in order (consecutive repeats
    /// dropped).
    paths: Vec<PathBuf>,
    error: Option<String>,
    done: bool,
}

struct Follower {
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<LogReader>>,
}

impl Follower {
    /// A thread following log `name` in `dir` with `next_wait`.
    fn start(dir: &Path, name: &str) -> Follower {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let mut r = LogReader::open(dir, name).unwrap();
        let handle = {
            let (seen, stop) = (Arc::clone(&seen), Arc::clone(&stop));
            std::thread::spawn(move || {
                loop {
                    let got = r.next_wait(Duration::from_millis(5));
                    let mut s = seen.lock().unwrap_or_else(|e| e.into_inner());
                    match got {
                        Ok(Some(rec)) => s.seqs.push(rec.seq),
                        Ok(None) if stop.load(Ordering::SeqCst) => break,
                        Ok(None) => {}
                        Err(e) => {
                            s.error = Some(e.to_string());
                            break;
                        }
                    }
                    if let Some(p) = r.current_path() {
                        if s.paths.last().map(|l| l.as_path()) != Some(p) {
                            s.paths.push(p.to_path_buf());
                        }
                    }
                }
                seen.lock().unwrap_or_else(|e| e.into_inner()).done = true;
                r
            })
        };
        Follower {
            seen,
            stop,
            handle: Some(handle),
        }
    }

    /// Waits up to `limit` for `cond` on what the reader saw.
    fn wait_for(&self, limit: Duration, cond: impl Fn(&Seen) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            {
                let s = self.seen.lock().unwrap_or_else(|e| e.into_inner());
                if cond(&s) {
                    return true;
                }
                if s.done {
                    return false;
                }
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Waits for `n` records (or an error), stops the thread, and asserts
    /// it returned exactly `0..n`, in order, and reported no gap, no
    /// damage and no error. Returns the segments it stood in.
    fn finish(mut self, n: u64, ctx: &str) -> Vec<PathBuf> {
        self.wait_for(Duration::from_secs(60), |s| s.seqs.len() as u64 >= n);
        self.stop.store(true, Ordering::SeqCst);
        let r = self.handle.take().unwrap().join().unwrap();
        let s = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        assert_eq!(s.error, None, "{ctx}: the reader failed after {:?}", s.seqs);
        assert_eq!(
            s.seqs,
            (0..n).collect::<Vec<_>>(),
            "{ctx}: the reader did not return each record once, in order"
        );
        assert!(r.gaps().is_empty(), "{ctx}: gaps: {:?}", r.gaps());
        assert!(r.damages().is_empty(), "{ctx}: damage: {:?}", r.damages());
        s.paths.clone()
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// A reader following the log moves on to the half-made segment 1 (its
/// file is there, with a header) while the failed roll's log goes on in
/// segment 0: the records written there next must still reach it, and so
/// must everything after, with no gap and no error: the reader does not
/// wait in the abandoned file for good (records 3 and 4 never come there)
/// nor report records missing, and a reader opened after records 3, 4 were
/// written does not fail with `Corrupt` (`segment starts at sequence 3,
/// but 5 was expected`), damage that is not there.
#[test]
fn a_reader_that_moved_on_to_a_half_made_segment_comes_back_for_the_records() {
    for mode in [Mode::Background, Mode::SealingFirst] {
        let ctx = format!("{mode:?}");
        let d = TempDir::new(&format!("failed-roll-follow-{mode:?}"));
        let clock = Arc::new(AtomicI64::new(T0));
        let w = LogWriter::open(d.path(), "x", log_opts(mode, &clock)).unwrap();
        write_n(&w, 0, 3);
        let f = Follower::start(d.path(), "x");
        assert!(f.wait_for(Duration::from_secs(60), |s| s.seqs.len() == 3));
        let leftover = d.join(naming::segment_name("x", 1, T0));
        with_failures(&[creation_fault(mode), Fail::Unlink], || w.roll()).unwrap_err();
        assert!(leftover.exists(), "{ctx}");
        // Give the reader the time to look at the directory again.
        std::thread::sleep(Duration::from_millis(50));
        write_n(&w, 3, 5);
        assert!(
            f.wait_for(Duration::from_secs(60), |s| s.seqs.len() >= 5),
            "{ctx}: records 3 and 4 (in segment 0) never reached the reader: {:?}",
            f.seen.lock().unwrap_or_else(|e| e.into_inner()).seqs
        );
        // A reader opened now reads it all too.
        assert_eq!(read_log(d.path(), "x", &ctx), (0..5).collect::<Vec<_>>());
        // Still not removable: the roll fails; records go on in segment 0.
        clock.store(T0 + SECOND, Ordering::SeqCst);
        let _ = with_failures(&[Fail::Unlink], || w.roll());
        write_n(&w, 5, 7);
        assert_eq!(read_log(d.path(), "x", &ctx), (0..7).collect::<Vec<_>>());
        clock.store(T0 + 2 * SECOND, Ordering::SeqCst);
        w.roll().unwrap();
        write_n(&w, 7, 10);
        w.close().unwrap();
        let paths = f.finish(10, &ctx);
        eprintln!("{ctx}: the reader stood in {paths:?}");
        assert_numbering(d.path(), "x", &ctx);
    }
}

/// Rolls that fail (the half-made file removed, or left until a later
/// roll removes it; in the same second as the next roll or not) and rolls
/// that succeed, while a reader follows with `next_wait`: it returns
/// every record exactly once, in order, with no gap or damage. How often
/// it met a half-made segment is printed (it depends on timing; the
/// deterministic case is the test above).
#[test]
fn a_reader_following_rolls_that_fail_and_succeed_returns_every_record_once() {
    let mut rng = Rng::from_env(17);
    for mode in [Mode::Background, Mode::SealingFirst] {
        let ctx = format!("{mode:?}");
        let d = TempDir::new(&format!("failed-roll-stress-{mode:?}"));
        let clock = Arc::new(AtomicI64::new(T0));
        let w = LogWriter::open(d.path(), "x", log_opts(mode, &clock)).unwrap();
        let f = Follower::start(d.path(), "x");
        let mut next = 0u64;
        let (mut failed, mut stuck) = (0, 0);
        for round in 0..150 {
            let n = rng.below(4);
            write_n(&w, next, next + n);
            next += n;
            if rng.below(3) == 0 {
                clock.fetch_add(SECOND, Ordering::SeqCst);
            }
            let r = match rng.below(4) {
                0 => w.roll(),
                1 => with_failures(&[creation_fault(mode)], || w.roll()),
                _ => with_failures(&[creation_fault(mode), Fail::Unlink], || w.roll()),
            };
            if r.is_err() {
                failed += 1;
                if segments::list(d.path(), "x")
                    .unwrap()
                    .last()
                    .map(|s| s.segment_no)
                    > Some(w.current_segment().unwrap().segment_no)
                {
                    stuck += 1;
                }
            }
            assert_numbering(d.path(), "x", &format!("{ctx}, round {round}"));
            if rng.below(2) == 0 {
                // Let the reader catch up (and look at what the roll left).
                std::thread::sleep(Duration::from_micros(rng.below(3000)));
            }
        }
        w.close().unwrap();
        let paths = f.finish(next, &ctx);
        let gone = paths.iter().filter(|p| !p.exists()).count();
        eprintln!(
            "{ctx}: {next} records, {failed} failed rolls ({stuck} left a file behind); \
             the reader stood in {} segments, {gone} of them removed since",
            paths.len()
        );
        assert_numbering(d.path(), "x", &ctx);
        assert_eq!(read_log(d.path(), "x", &ctx), (0..next).collect::<Vec<_>>());
    }
}
