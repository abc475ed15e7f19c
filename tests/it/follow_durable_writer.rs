//! A follower in another process reads a segment whose writer syncs
//! (`EveryRecord`, `EveryN(16)`) from several threads while records of very
//! different sizes arrive: it waits at whatever the writer has not finished
//! yet and reads every record once, in order, never reporting damage; the
//! same through the C entry point (`binlog_reader_next_wait`). Real damage
//! before prepared zeros is still reported.

use crate::common;

use binlog::{Durability, Options, Reader, Writer};
use common::child::ChildProc;
use common::TempDir;
use std::ffi::OsStr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const CHILD_PATH: &str = "BINLOG_FOLLOW_DURABLE_PATH";
const CHILD_POLICY: &str = "BINLOG_FOLLOW_DURABLE_POLICY";
const MARK: &str = "FOLLOW-DURABLE ";
const THREADS: u64 = 4;
const PER_THREAD: u64 = 64;
const RECORDS: u64 = THREADS * PER_THREAD;
/// Rounds of a test, each a new segment and a new child: a follower meets
/// the writer mid-record in some rounds only.
const ROUNDS: usize = 10;
/// Bounds a hang only: the child writes in well under a second unloaded.
const WAIT: Duration = Duration::from_secs(120);

/// Every 16th payload is 200 KiB, the rest 100 bytes.
fn payload_len(i: u64) -> usize {
    if i % 16 == 0 {
        200 << 10
    } else {
        100
    }
}

/// In the child: writes `RECORDS` records from `THREADS` threads through
/// one writer with the durability named by `CHILD_POLICY`, then closes it
/// (sealing the segment). False in the parent.
fn child_writes() -> bool {
    let (Some(path), Some(policy)) = (
        std::env::var_os(CHILD_PATH),
        std::env::var(CHILD_POLICY).ok(),
    ) else {
        return false;
    };
    let durability = match policy.as_str() {
        "every-record" => Durability::EveryRecord,
        "every-16" => Durability::EveryN(16),
        other => panic!("unknown policy {other}"),
    };
    let opts = Options {
        durability,
        ..Options::default()
    };
    let w = Writer::open(Path::new(&path), opts).unwrap();
    common::child::say(MARK, "OPEN");
    let next = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..PER_THREAD {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    w.write("t", &vec![(i % 251) as u8; payload_len(i)])
                        .unwrap();
                }
            });
        }
    });
    w.close().unwrap();
    true
}

/// What a follower's `next_wait` returns: a record's sequence number and
/// payload length, nothing yet, or an error's message.
type Next = Result<Option<(u64, usize)>, String>;

/// Runs `ROUNDS` times: a child writer for `policy` on a new segment,
/// followed with the `next_wait` that `follower` makes for it until every
/// record is read; then the finished file reads clean.
fn follow_a_durable_writer<F: FnMut() -> Next>(
    test: &str,
    policy: &str,
    follower: impl Fn(&Path) -> F,
) {
    let dir = TempDir::new("follow-durable");
    for round in 0..ROUNDS {
        let path = dir.join(format!("seg-{round}.binlog"));
        let mut child = ChildProc::spawn(
            test,
            &[
                (CHILD_PATH, path.as_os_str()),
                (CHILD_POLICY, OsStr::new(policy)),
            ],
            MARK,
        );
        assert!(
            child.wait_for("OPEN", &mut Vec::new(), WAIT),
            "the child never opened its writer"
        );
        follow_until_all_read(policy, follower(&path));
        child.wait_ok();
        let mut r = Reader::open(&path).unwrap();
        let mut n = 0;
        while r.next().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, RECORDS, "{policy}: the finished file");
    }
}

/// Calls `next_wait` until every record came, each once and in order.
fn follow_until_all_read(policy: &str, mut next_wait: impl FnMut() -> Next) {
    let t0 = Instant::now();
    let mut large = 0;
    for seq in 0..RECORDS {
        let (got, len) = loop {
            match next_wait() {
                Ok(Some(rec)) => break rec,
                Ok(None) => assert!(t0.elapsed() < WAIT, "record {seq} never came"),
                Err(e) => panic!("{policy}: the follower failed at record {seq}: {e}"),
            }
        };
        assert_eq!(got, seq, "{policy}: records out of order");
        assert!(len == 100 || len == 200 << 10, "{policy}: {len} bytes");
        large += (len > 100) as u64;
    }
    assert_eq!(large, RECORDS / 16, "{policy}: large records");
}

/// A Rust follower of the segment at `path`, opened at its first call
/// (the child has made it by then).
fn rust_follower(path: &Path) -> impl FnMut() -> Next {
    let path = path.to_path_buf();
    let mut r: Option<Reader> = None;
    move || {
        let r = r.get_or_insert_with(|| Reader::open(&path).unwrap());
        r.next_wait(Duration::from_millis(200))
            .map(|o| o.map(|x| (x.seq, x.payload.len())))
            .map_err(|e| e.to_string())
    }
}

#[test]
fn a_follower_of_an_every_record_writer_waits_and_reads_every_record() {
    if child_writes() {
        return;
    }
    follow_a_durable_writer(
        "a_follower_of_an_every_record_writer_waits_and_reads_every_record",
        "every-record",
        rust_follower,
    );
}

#[test]
fn a_follower_of_an_every_16_records_writer_waits_and_reads_every_record() {
    if child_writes() {
        return;
    }
    follow_a_durable_writer(
        "a_follower_of_an_every_16_records_writer_waits_and_reads_every_record",
        "every-16",
        rust_follower,
    );
}

/// A follower through the C ABI (`binlog_reader_next_wait`, what a C, Go,
/// Java or Python follower calls), freed when dropped.
struct CFollower {
    path: std::ffi::CString,
    r: *mut binlog::ffi::reader::binlog_reader,
}

impl CFollower {
    fn next_wait(&mut self) -> Next {
        use binlog::ffi::reader::{binlog_reader_next_wait, binlog_reader_open};
        use binlog::ffi::result::binlog_result::{BINLOG_END, BINLOG_OK};
        if self.r.is_null() {
            assert_eq!(
                binlog_reader_open(self.path.as_ptr(), &mut self.r),
                BINLOG_OK
            );
        }
        // SAFETY: all zeros is a valid binlog_record (null pointers).
        let mut rec: binlog::ffi::types::binlog_record = unsafe { std::mem::zeroed() };
        match binlog_reader_next_wait(self.r, 200, &mut rec) {
            BINLOG_OK => Ok(Some((rec.seq, rec.payload_len))),
            BINLOG_END => Ok(None),
            other => Err(format!("{other:?}: {}", common::ffi::last_error())),
        }
    }
}

impl Drop for CFollower {
    fn drop(&mut self) {
        binlog::ffi::reader::binlog_reader_free(self.r);
    }
}

#[test]
fn a_c_follower_of_an_every_record_writer_waits_and_reads_every_record() {
    if child_writes() {
        return;
    }
    follow_a_durable_writer(
        "a_c_follower_of_an_every_record_writer_waits_and_reads_every_record",
        "every-record",
        |path| {
            let mut f = CFollower {
                path: common::ffi::c_path(path),
                r: std::ptr::null_mut(),
            };
            move || f.next_wait()
        },
    );
}

/// Real damage to a record longer than a chunk, in a segment a durable
/// writer left with prepared zeros after its records (as after a crash),
/// is still reported where it is, naming the next record: read again
/// whole, the frame is still bad. A head wiped to zeros too.
#[test]
fn damage_to_a_large_record_before_prepared_zeros_is_still_reported() {
    if child_writes() {
        return;
    }
    let dir = TempDir::new("follow-durable-damage");
    let live = dir.join("live.binlog");
    let opts = Options {
        durability: Durability::EveryRecord,
        ..Options::default()
    };
    let w = Writer::open(&live, opts).unwrap();
    w.write("t", &vec![7u8; 200 << 10]).unwrap();
    w.write("t", b"after").unwrap();
    let frames = common::frames(&live);
    let (big, len) = frames[0];
    // The zeros are prepared on a thread of the writer's.
    let t0 = Instant::now();
    while std::fs::metadata(&live).unwrap().len() <= frames[1].0 + frames[1].1 {
        assert!(t0.elapsed() < WAIT, "no zeros prepared");
        std::thread::sleep(Duration::from_millis(1));
    }
    let copy = dir.join("crashed.binlog");
    std::fs::copy(&live, &copy).unwrap();
    w.close().unwrap();
    for (what, at, bytes) in [("a payload byte", big + len / 2, 1), ("its head", big, 8)] {
        let damaged = dir.join("damaged.binlog");
        std::fs::copy(&copy, &damaged).unwrap();
        let mut b = std::fs::read(&damaged).unwrap();
        for x in &mut b[at as usize..(at + bytes) as usize] {
            *x = if bytes == 1 { *x ^ 0x5a } else { 0 };
        }
        std::fs::write(&damaged, b).unwrap();
        let mut r = Reader::open(&damaged).unwrap();
        let e = match r.next_wait(Duration::from_millis(50)) {
            Err(e) => e,
            Ok(rec) => panic!("{what}: read {:?}", rec.map(|x| x.seq)),
        };
        assert_eq!(e.kind(), binlog::ErrorKind::Corrupt, "{what}: {e}");
        let want = format!("offset {big}: ");
        let next = format!("starts at offset {}", frames[1].0);
        assert!(
            e.to_string().contains(&want) && e.to_string().contains(&next),
            "{what}: {e}"
        );
    }
}
