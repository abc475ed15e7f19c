//! A child process between fork and exec holds copies of its parent's
//! descriptors, and with them the flocks of its open writers, so that a
//! writer closed and opened again meanwhile could find its own lock held
//! (`Locked`). Writers unlock when closed, and opening waits out a lock
//! held for a moment (`sys::lock_exclusive`, up to 100 ms); a
//! lock held longer is still refused.

use crate::common;

use binlog::{ErrorKind, Options, Writer};
use binlog::{LogOptions, LogWriter};
use common::{try_flock, TempDir};
use std::time::{Duration, Instant};

/// Forks a child that holds copies of every descriptor for `ms`, as one
/// between fork and exec does, then exits; returns its pid.
fn fork_holding_descriptors(ms: u64) -> libc::pid_t {
    // SAFETY: the child calls only nanosleep and _exit (async-signal-safe).
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        let ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: ms as libc::c_long * 1_000_000,
        };
        unsafe {
            libc::nanosleep(&ts, std::ptr::null_mut());
            libc::_exit(0);
        }
    }
    pid
}

fn reap(pid: libc::pid_t) {
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
}

/// Held by each test while it runs: a child another test forks holds
/// copies of this test's descriptors, and so its locks, too.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// This test's turn; one that failed before it does not fail it too.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// A writer closed unlocks its segment (LOCK_UN releases the lock for
/// every copy of the descriptor): a forked child's copy does not matter.
#[test]
fn a_segment_reopened_while_a_forked_child_holds_its_descriptor_opens() {
    let _one = one_at_a_time();
    let dir = TempDir::new("lock-fork-segment");
    let seg = dir.join("s.binlog");
    let w = Writer::open(&seg, Options::default()).unwrap();
    w.write("t", b"0").unwrap();
    let child = fork_holding_descriptors(20);
    w.close().unwrap();
    drop(w);
    let w = Writer::open(&seg, Options::default()).expect("reopened");
    assert_eq!(w.write("t", b"1").unwrap(), 1);
    w.close().unwrap();
    reap(child);
}

/// A lock that only a child between fork and exec still holds, its owner
/// gone without unlocking (a killed process's descriptors just close): the
/// next writer waits the moment out.
#[test]
fn a_segment_locked_for_a_moment_by_a_forked_child_opens() {
    let _one = one_at_a_time();
    let dir = TempDir::new("lock-fork-moment");
    let seg = dir.join("s.binlog");
    Writer::open(&seg, Options::default())
        .unwrap()
        .close()
        .unwrap();
    // Tried again when a loaded machine let the child hold the lock (its
    // 30 ms) past the writer's patience (refused then is right); a writer
    // that does not wait is refused every time.
    for _ in 0..20 {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&seg)
            .unwrap();
        assert!(try_flock(&f), "the segment's lock");
        let child = fork_holding_descriptors(30);
        drop(f);
        match Writer::open(&seg, Options::default()) {
            Ok(w) => {
                assert_eq!(w.write("t", b"0").unwrap(), 0);
                w.close().unwrap();
                reap(child);
                return;
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Locked, "{e}");
                reap(child);
            }
        }
    }
    panic!("the child outlived the writer's patience 20 times");
}

#[test]
fn a_log_reopened_while_a_forked_child_holds_its_lock_opens() {
    let _one = one_at_a_time();
    let dir = TempDir::new("lock-fork-log");
    let w = LogWriter::open(dir.path(), "lg", LogOptions::default()).unwrap();
    w.write("t", b"0").unwrap();
    let child = fork_holding_descriptors(20);
    w.close().unwrap();
    drop(w);
    let w = LogWriter::open(dir.path(), "lg", LogOptions::default())
        .expect("reopened after the child let go");
    assert_eq!(w.write("t", b"1").unwrap(), 1);
    w.close().unwrap();
    reap(child);
}

#[test]
fn a_lock_held_longer_is_still_refused() {
    let _one = one_at_a_time();
    let dir = TempDir::new("lock-fork-held");
    let seg = dir.join("s.binlog");
    let w = Writer::open(&seg, Options::default()).unwrap();
    let t0 = Instant::now();
    let e = Writer::open(&seg, Options::default())
        .err()
        .expect("a second writer");
    assert_eq!(e.kind(), ErrorKind::Locked);
    // It waited for the lock before giving up.
    assert!(t0.elapsed() >= Duration::from_millis(100));
    let first = LogWriter::open(dir.path(), "lg", LogOptions::default()).unwrap();
    let e = LogWriter::open(dir.path(), "lg", LogOptions::default())
        .err()
        .expect("a second log writer");
    assert_eq!(e.kind(), ErrorKind::Locked);
    first.close().unwrap();
    w.close().unwrap();
}
