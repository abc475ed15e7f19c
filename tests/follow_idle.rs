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

/// The child's writer: a segment's or a log's.
trait ChildWriter {
    fn put(&self, payload: &[u8]);
    fn finish(self);
}

/// The same calls on either writer type (they share no trait).
macro_rules! child_writer {
    ($($t:ty),*) => {$(
        impl ChildWriter for $t {
            fn put(&self, payload: &[u8]) {
                self.write("t", payload).unwrap();
                self.flush().unwrap();
            }
            fn finish(self) {
                self.close().unwrap();
            }
        }
    )*};
}
child_writer!(Writer, LogWriter);

/// In the child: the writer's part; false in the parent.
fn child_writes(log: bool) -> bool {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return false;
    };
    fn steps(w: impl ChildWriter) {
        w.put(b"zero");
        std::thread::sleep(Duration::from_millis(QUIET_MS));
        w.put(b"one");
        std::thread::sleep(Duration::from_millis(300));
        w.finish();
    }
    if log {
        steps(LogWriter::open(&path, "lg", LogOptions::default()).unwrap());
    } else {
        steps(Writer::open(&path, Options::default()).unwrap());
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

// ---- What wakes the inotify wait, and what it holds ----

/// Writes one record `delay_ms` after `next_wait` starts (by then the
/// follower blocks on inotify) and returns how long after the write the
/// follower returned it.
fn latency(
    delay_ms: u64,
    write: impl FnOnce() + Send + 'static,
    next_wait: impl FnOnce() -> Option<u64>,
) -> Duration {
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(delay_ms));
        write();
        Instant::now()
    });
    let got = next_wait();
    let back = Instant::now();
    let written = t.join().unwrap();
    assert!(got.is_some(), "no record");
    back.saturating_duration_since(written)
}

/// The median of `n` records' latencies, each written 60 ms into a wait by
/// `write(i)`. A follower that no change wakes returns each after the 250
/// ms recheck; woken, in well under a millisecond (120 ms leaves room for a
/// loaded machine).
fn median_latency(
    n: u64,
    write: impl Fn(u64) + Clone + Send + 'static,
    mut next_wait: impl FnMut() -> Option<u64>,
) -> Duration {
    let mut l: Vec<Duration> = (0..n)
        .map(|i| {
            let w = write.clone();
            latency(60, move || w(i), &mut next_wait)
        })
        .collect();
    l.sort();
    l[l.len() / 2]
}

const WOKEN: Duration = Duration::from_millis(120);

/// `binlog tail -f link` / a list of files where the name is a symlink into
/// another directory: the follower watched the link's directory, where
/// nothing is written.
#[test]
fn a_file_list_follower_through_a_symlink_is_woken_by_writes() {
    let dir = TempDir::new("follow-symlink");
    std::fs::create_dir(dir.join("real")).unwrap();
    std::fs::create_dir(dir.join("links")).unwrap();
    let seg = dir.join("real").join("seg.binlog");
    let w = std::sync::Arc::new(Writer::open(&seg, Options::default()).unwrap());
    w.write("t", b"0").unwrap();
    w.flush().unwrap();
    let link = dir.join("links").join("seg.binlog");
    std::os::unix::fs::symlink(&seg, &link).unwrap();
    let mut r = LogReader::open_files(vec![link]).unwrap();
    assert_eq!(r.next_wait(WAIT).unwrap().map(|x| x.seq), Some(0));
    let w2 = w.clone();
    let m = median_latency(
        5,
        move |i| {
            w2.write("t", format!("{i}").as_bytes()).unwrap();
            w2.flush().unwrap();
        },
        || r.next_wait(WAIT).unwrap().map(|x| x.seq),
    );
    assert!(
        m < WOKEN,
        "records returned {m:?} (median) after they were written"
    );
}

/// The log directory moved away (`mv logs logs.old`) and a new one made in
/// its place, its writer going on there: the follower watches the new
/// directory (a watch left on the old one would make every record wait
/// for the 250 ms recheck).
#[test]
fn a_log_follower_watches_a_replaced_directory_again() {
    let top = TempDir::new("follow-replaced");
    let d = top.join("logs");
    std::fs::create_dir(&d).unwrap();
    let w = LogWriter::open(&d, "lg", LogOptions::default()).unwrap();
    w.write("t", b"0").unwrap();
    w.close().unwrap();
    drop(w);
    let mut r = LogReader::open(&d, "lg").unwrap();
    assert_eq!(r.next_wait(WAIT).unwrap().map(|x| x.seq), Some(0));
    // Idle: the follower makes its watch and blocks.
    assert!(r.next_wait(Duration::from_millis(100)).unwrap().is_none());
    std::fs::rename(&d, top.join("logs.old")).unwrap();
    std::fs::create_dir(&d).unwrap();
    for e in std::fs::read_dir(top.join("logs.old")).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), d.join(e.file_name())).unwrap();
        }
    }
    let w = std::sync::Arc::new(LogWriter::open(&d, "lg", LogOptions::default()).unwrap());
    // The first record after the replacement may wait for the recheck.
    let w2 = w.clone();
    latency(
        10,
        move || {
            w2.write("t", b"1").unwrap();
            w2.flush().unwrap();
        },
        || r.next_wait(WAIT).unwrap().map(|x| x.seq),
    );
    let w2 = w.clone();
    let m = median_latency(
        5,
        move |i| {
            w2.write("t", format!("{}", i + 2).as_bytes()).unwrap();
            w2.flush().unwrap();
        },
        || r.next_wait(WAIT).unwrap().map(|x| x.seq),
    );
    assert!(
        m < WOKEN,
        "records returned {m:?} (median) after they were written"
    );
}

fn inotify_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.unwrap().path()).ok())
        .filter(|l| l.to_string_lossy().contains("inotify"))
        .count()
}

/// Inotify instances are the user's (`fs.inotify.max_user_instances`, 128
/// by default, for every process of the user): 130 idle readers each kept
/// one, and then no program of the user could make another. A process's
/// readers hold at most 16; the others poll, and still read what is
/// written.
#[test]
fn idle_followers_hold_at_most_16_inotify_instances() {
    // Alone in a child process: the other tests' followers hold instances.
    const ALONE: &str = "BINLOG_FOLLOW_INSTANCES_CHILD";
    if std::env::var_os(ALONE).is_none() {
        let st = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "idle_followers_hold_at_most_16_inotify_instances",
                "--test-threads=1",
            ])
            .env(ALONE, "1")
            .status()
            .unwrap();
        assert!(st.success());
        return;
    }
    let dir = TempDir::new("follow-instances");
    let seg = dir.join("seg.binlog");
    let w = Writer::open(&seg, Options::default()).unwrap();
    w.write("t", b"0").unwrap();
    w.flush().unwrap();
    let mut readers = Vec::new();
    for _ in 0..40 {
        let mut r = Reader::open(&seg).unwrap();
        assert!(r.next().unwrap().is_some());
        // Past the 25 ms of polling: the follower tries to watch.
        assert!(r.next_wait(Duration::from_millis(40)).unwrap().is_none());
        readers.push(r);
    }
    let held = inotify_fds();
    assert!(held >= 1, "no follower got a watch");
    assert!(held <= 16, "40 idle readers hold {held} inotify instances");
    w.write("t", b"1").unwrap();
    w.flush().unwrap();
    for r in &mut readers {
        assert_eq!(r.next_wait(WAIT).unwrap().map(|x| x.seq), Some(1));
    }
    drop(readers);
    assert_eq!(inotify_fds(), 0, "instances not given back");
}

/// A follower that found a record by `next_wait`'s first look is active
/// again: its next wait polls first (it blocked at once, as if still idle
/// since its last timeout).
#[test]
fn a_follower_that_found_a_record_polls_first() {
    let dir = TempDir::new("follow-found");
    let seg = dir.join("seg.binlog");
    let w = Writer::open(&seg, Options::default()).unwrap();
    w.write("t", b"0").unwrap();
    w.flush().unwrap();
    let mut r = Reader::open(&seg).unwrap();
    assert!(r.next_wait(WAIT).unwrap().is_some());
    assert!(r.next_wait(Duration::from_millis(60)).unwrap().is_none());
    w.write("t", b"1").unwrap();
    w.flush().unwrap();
    assert!(r.next_wait(WAIT).unwrap().is_some());
    let before = voluntary_switches();
    assert!(r.next_wait(Duration::from_millis(20)).unwrap().is_none());
    let n = voluntary_switches() - before;
    assert!(n > 10, "{n} context switches in 20 ms: it blocked at once");
}
