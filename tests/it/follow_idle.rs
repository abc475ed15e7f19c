//! A follower at the end of a live log or segment (`next_wait`) that finds
//! nothing new for a while blocks on inotify instead of polling 2,000 times
//! a second (src/reader/watch.rs), and still gets what another process writes; it
//! watches the directory the records are really written in (through a
//! symlinked file list, and after its log directory is replaced), and the
//! readers of a process hold at most 16 inotify instances.
//!
//! What is asserted is outcomes: the records come, and what the follower's
//! inotify watch is on (/proc/self/fdinfo). How little an idle follower
//! costs and how soon a write wakes it are measured by `make bench` (h,
//! h_idle), not here: a loaded machine makes any bound on them fail.

use crate::common;

use binlog::{LogOptions, LogReader, LogWriter};
use binlog::{Options, Reader, Writer};
use common::TempDir;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "BINLOG_FOLLOW_IDLE_CHILD";
/// How long the child waits before it writes: far longer than the 25 ms a
/// follower polls before it blocks.
const QUIET_MS: u64 = 800;

/// Starts this test binary as a child that writes record 0, then after
/// `QUIET_MS` record 1 (to the log `lg` in `path`, or the segment `path`),
/// and closes the writer 300 ms later.
fn spawn_writer(test: &str, path: &Path) -> std::process::Child {
    common::child::this_binary()
        .args(["--exact", &common::child::full_test_name(test)])
        .args(["--nocapture", "--test-threads=1"])
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

/// Waits for `open` to succeed: the child creates what it opens (60 s bound
/// a hang only).
fn opened<T>(mut open: impl FnMut() -> binlog::Result<T>) -> T {
    let t0 = Instant::now();
    loop {
        match open() {
            Ok(r) => return r,
            Err(e) if t0.elapsed() > Duration::from_secs(60) => panic!("{e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Runs `next_wait` for record 1 (record 0 read already): it comes, after
/// the follower was idle long enough to block.
fn waits_blocked(mut next_wait: impl FnMut() -> Option<(u64, Vec<u8>)>) {
    assert_eq!(next_wait(), Some((1, b"one".to_vec())));
}

const WAIT: Duration = Duration::from_secs(30);

#[test]
fn an_idle_log_follower_gets_what_another_process_writes_later() {
    if child_writes(true) {
        return;
    }
    let dir = TempDir::new("follow-idle-log");
    let mut child = spawn_writer(
        "an_idle_log_follower_gets_what_another_process_writes_later",
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
fn an_idle_segment_follower_gets_what_another_process_writes_later() {
    if child_writes(false) {
        return;
    }
    let dir = TempDir::new("follow-idle-segment");
    let path = dir.join("seg.binlog");
    let mut child = spawn_writer(
        "an_idle_segment_follower_gets_what_another_process_writes_later",
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

// ---- What the inotify wait watches, and what it holds ----

/// The (device, inode) of every file or directory this process's inotify
/// instances watch, from /proc/self/fdinfo (`inotify wd:1 ino:<hex>
/// sdev:<hex> ...`; sdev is the kernel's dev_t, major << 20 | minor).
fn watched() -> Vec<(u64, u64)> {
    let mut v = Vec::new();
    for e in std::fs::read_dir("/proc/self/fd").unwrap() {
        let e = e.unwrap();
        let inotify =
            std::fs::read_link(e.path()).is_ok_and(|l| l.to_string_lossy().contains("inotify"));
        let info = format!("/proc/self/fdinfo/{}", e.file_name().to_string_lossy());
        // (A descriptor closed meanwhile by another test's reader.)
        let Some(info) = inotify
            .then(|| std::fs::read_to_string(info).ok())
            .flatten()
        else {
            continue;
        };
        for line in info.lines().filter(|l| l.starts_with("inotify ")) {
            let field = |name: &str| {
                line.split(' ')
                    .find_map(|f| f.strip_prefix(name))
                    .map(|h| u64::from_str_radix(h, 16).unwrap())
            };
            if let (Some(ino), Some(sdev)) = (field("ino:"), field("sdev:")) {
                v.push((
                    libc::makedev((sdev >> 20) as u32, (sdev & 0xfffff) as u32),
                    ino,
                ));
            }
        }
    }
    v
}

/// Whether this process watches `dir` with inotify.
fn is_watched(dir: &Path) -> bool {
    let m = std::fs::metadata(dir).unwrap();
    watched().contains(&(m.dev(), m.ino()))
}

/// `binlog tail -f link` / a list of files where the name is a symlink into
/// another directory: the follower watches the directory the file really
/// is in (watching the link's, where nothing is written, it would see each
/// record only at its 250 ms recheck), and reads what is written.
#[test]
#[cfg_attr(
    feature = "posix-backend",
    ignore = "reads inotify's watches from /proc"
)]
fn a_file_list_follower_through_a_symlink_watches_the_real_directory() {
    let dir = TempDir::new("follow-symlink");
    std::fs::create_dir(dir.join("real")).unwrap();
    std::fs::create_dir(dir.join("links")).unwrap();
    let seg = dir.join("real").join("seg.binlog");
    let w = Writer::open(&seg, Options::default()).unwrap();
    w.write("t", b"0").unwrap();
    w.flush().unwrap();
    let link = dir.join("links").join("seg.binlog");
    std::os::unix::fs::symlink(&seg, &link).unwrap();
    let mut r = LogReader::open_files(vec![link]).unwrap();
    assert_eq!(r.next_wait(WAIT).unwrap().map(|x| x.seq), Some(0));
    // Nothing new: the follower makes its watch at its first pause.
    assert!(r.next_wait(Duration::from_millis(60)).unwrap().is_none());
    assert!(
        is_watched(&dir.join("real")),
        "the real directory is not watched"
    );
    assert!(
        !is_watched(&dir.join("links")),
        "the link's directory is watched"
    );
    for i in 1..4u64 {
        w.write("t", format!("{i}").as_bytes()).unwrap();
        w.flush().unwrap();
        assert_eq!(r.next_wait(WAIT).unwrap().map(|x| x.seq), Some(i));
    }
}

/// The log directory moved away (`mv logs logs.old`) and a new one made in
/// its place, its writer going on there: the follower watches the new
/// directory (a watch left on the old one would make every record wait
/// for the 250 ms recheck), and reads what is written there.
#[test]
#[cfg_attr(
    feature = "posix-backend",
    ignore = "reads inotify's watches from /proc"
)]
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
    assert!(is_watched(&d));
    std::fs::rename(&d, top.join("logs.old")).unwrap();
    std::fs::create_dir(&d).unwrap();
    for e in std::fs::read_dir(top.join("logs.old")).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), d.join(e.file_name())).unwrap();
        }
    }
    // The follower sees the path name another directory once a blocked
    // wait ends without a change (at its recheck, or its timeout).
    let t0 = Instant::now();
    while !is_watched(&d) {
        assert!(t0.elapsed() < WAIT, "the new directory is never watched");
        assert!(r.next_wait(Duration::from_millis(300)).unwrap().is_none());
    }
    assert!(!is_watched(&top.join("logs.old")), "the old one still is");
    let w = LogWriter::open(&d, "lg", LogOptions::default()).unwrap();
    for i in 1..4u64 {
        w.write("t", format!("{i}").as_bytes()).unwrap();
        w.flush().unwrap();
        assert_eq!(r.next_wait(WAIT).unwrap().map(|x| x.seq), Some(i));
    }
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
#[cfg_attr(
    feature = "posix-backend",
    ignore = "reads inotify's watches from /proc"
)]
fn idle_followers_hold_at_most_16_inotify_instances() {
    // Alone in a child process: the other tests' followers hold instances.
    const ALONE: &str = "BINLOG_FOLLOW_INSTANCES_CHILD";
    if std::env::var_os(ALONE).is_none() {
        let st = common::child::this_binary()
            .args([
                "--exact",
                &common::child::full_test_name("idle_followers_hold_at_most_16_inotify_instances"),
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
