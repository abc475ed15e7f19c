//! A follower at the end of a live log or segment (`next_wait`) that finds
//! nothing new for a while blocks on inotify instead of polling 2,000 times
//! a second (src/watch.rs), and still gets what another process writes.
//!
//! "Blocks" is measured as the waiting thread's voluntary context switches
//! (/proc/thread-self/status): each poll sleeps, so polling through 800 ms
//! makes about 1,600 of them; blocked, a follower makes about 60 (its 25 ms
//! of polling first, then a wakeup every 250 ms).

mod common;

use binlog::log::{LogOptions, LogReader, LogWriter};
use binlog::{Options, Reader, Writer};
use common::TempDir;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "BINLOG_FOLLOW_IDLE_CHILD";
/// How long the child waits before it writes.
const QUIET_MS: u64 = 800;
/// Far below the ~1,600 switches of polling through `QUIET_MS`.
const MAX_SWITCHES: u64 = 400;

fn voluntary_switches() -> u64 {
    let s = std::fs::read_to_string("/proc/thread-self/status").unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
        .expect("voluntary_ctxt_switches in /proc/thread-self/status")
        .trim()
        .parse()
        .unwrap()
}

/// Starts this test binary as a child that writes record 0, then after
/// `QUIET_MS` record 1 (to the log `lg` in `path`, or the segment `path`),
/// and closes the writer 300 ms later.
fn spawn_writer(test: &str, path: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, path)
        .spawn()
        .unwrap()
}

/// In the child: the writer's part; false in the parent.
fn child_writes(log: bool) -> bool {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return false;
    };
    let pause = || std::thread::sleep(Duration::from_millis(QUIET_MS));
    if log {
        let w = LogWriter::open(&path, "lg", LogOptions::default()).unwrap();
        for (i, p) in [&b"zero"[..], b"one"].into_iter().enumerate() {
            (i > 0).then(pause);
            w.write("t", p).unwrap();
            w.flush().unwrap();
        }
        std::thread::sleep(Duration::from_millis(300));
        w.close().unwrap();
    } else {
        let w = Writer::open(&path, Options::default()).unwrap();
        for (i, p) in [&b"zero"[..], b"one"].into_iter().enumerate() {
            (i > 0).then(pause);
            w.write("t", p).unwrap();
            w.flush().unwrap();
        }
        std::thread::sleep(Duration::from_millis(300));
        w.close().unwrap();
    }
    true
}

/// Waits (up to 10 s) for `open` to succeed: the child creates what it opens.
fn opened<T>(mut open: impl FnMut() -> binlog::Result<T>) -> T {
    let t0 = Instant::now();
    loop {
        match open() {
            Ok(r) => return r,
            Err(e) if t0.elapsed() > Duration::from_secs(10) => panic!("{e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Runs `next_wait` for record 1 (record 0 read already); asserts it came,
/// after a wait of about `QUIET_MS`, with few context switches.
fn waits_blocked(mut next_wait: impl FnMut() -> Option<(u64, Vec<u8>)>) {
    let (t0, before) = (Instant::now(), voluntary_switches());
    let got = next_wait();
    let switches = voluntary_switches() - before;
    assert_eq!(got, Some((1, b"one".to_vec())));
    assert!(t0.elapsed() >= Duration::from_millis(QUIET_MS / 2));
    assert!(
        switches < MAX_SWITCHES,
        "{switches} context switches waiting {:?}: the follower polled",
        t0.elapsed()
    );
}

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn an_idle_log_follower_blocks_until_another_process_writes() {
    if child_writes(true) {
        return;
    }
    let dir = TempDir::new("follow-idle-log");
    let mut child = spawn_writer(
        "an_idle_log_follower_blocks_until_another_process_writes",
        dir.path(),
    );
    let mut r = opened(|| LogReader::open(dir.path(), "lg"));
    assert_eq!(r.next_wait(WAIT).unwrap().map(|x| x.seq), Some(0));
    waits_blocked(|| {
        r.next_wait(WAIT)
            .unwrap()
            .map(|x| (x.seq, x.payload.to_vec()))
    });
    assert!(child.wait().unwrap().success());
    assert!(r.next_wait(Duration::from_millis(100)).unwrap().is_none());
}

#[test]
fn an_idle_segment_follower_blocks_until_another_process_writes() {
    if child_writes(false) {
        return;
    }
    let dir = TempDir::new("follow-idle-segment");
    let path = dir.join("seg.binlog");
    let mut child = spawn_writer(
        "an_idle_segment_follower_blocks_until_another_process_writes",
        &path,
    );
    let mut r = opened(|| Reader::open(&path));
    assert_eq!(r.next_wait(WAIT).unwrap().map(|x| x.seq), Some(0));
    waits_blocked(|| {
        r.next_wait(WAIT)
            .unwrap()
            .map(|x| (x.seq, x.payload.to_vec()))
    });
    assert!(child.wait().unwrap().success());
}
