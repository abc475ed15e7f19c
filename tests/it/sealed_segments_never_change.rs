//! A sealed segment of a log is final: once the log reports it SEALED, its
//! bytes and its inode stay as they were, whatever happens to the log
//! afterwards: rolls that fail (out of descriptors, a file size limit, a
//! full disk or a failing fsync, injected into the thread that rolls),
//! reopens of the log, and writers killed with SIGKILL around rolls. Each
//! case also reads the whole log back: every record once, in order, no gap.

use crate::common;
use binlog::{Durability, Options};
use binlog::{LogOptions, LogReader, LogWriter, SegmentEvent};
use common::child::ChildProc;
use common::faults::{with_failures, Fail};
use common::{in_fsize_child, set_file_size_limit, with_descriptors_left, Rng, TempDir};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const LOG: &str = "s";

/// The tests here change what the whole process may do (its descriptor
/// limit) or start children: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a SEALED event showed of a segment.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Witness {
    path: PathBuf,
    inode: u64,
    len: u64,
    crc: u32,
}

impl Witness {
    fn of(path: &Path) -> Witness {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Witness {
            path: path.to_path_buf(),
            inode: std::fs::metadata(path).unwrap().ino(),
            len: bytes.len() as u64,
            crc: crc32fast::hash(&bytes),
        }
    }

    /// As a line a child prints: `inode len crc path`.
    fn line(&self) -> String {
        format!(
            "{} {} {} {}",
            self.inode,
            self.len,
            self.crc,
            self.path.display()
        )
    }

    fn parse(line: &str) -> Witness {
        let mut f = line.splitn(4, ' ');
        let mut num = || f.next().unwrap().parse::<u64>().unwrap();
        let (inode, len, crc) = (num(), num(), num() as u32);
        Witness {
            inode,
            len,
            crc,
            path: PathBuf::from(f.next().unwrap()),
        }
    }
}

type Seen = Arc<Mutex<Vec<Witness>>>;

/// Log options with small segments whose SEALED events are witnessed into
/// `seen` (and printed, for a child, when `print` is set).
fn witnessed(
    seen: &Seen,
    seal_in_background: bool,
    durability: Durability,
    print: bool,
) -> LogOptions {
    let seen = Arc::clone(seen);
    let cb: binlog::SharedCallback = Arc::new(move |ev: &SegmentEvent| {
        if let SegmentEvent::Sealed(info) = ev {
            let w = Witness::of(&info.path);
            if print {
                println!("{MARK}SEALED {}", w.line());
            }
            seen.lock().unwrap().push(w);
        }
        Ok(())
    });
    LogOptions {
        max_segment_bytes: Some(4096),
        background: seal_in_background,
        seal_in_background,
        callbacks: vec![cb],
        segment: Options {
            durability,
            ..Options::default()
        },
        ..LogOptions::default()
    }
}

/// Every witnessed segment still has the inode, length and bytes it had
/// when it was reported sealed.
fn assert_unchanged(seen: &[Witness], ctx: &str) {
    for w in seen {
        let now = Witness::of(&w.path);
        assert_eq!(
            &now,
            w,
            "{ctx}: {} changed after its SEALED event",
            w.path.display()
        );
    }
}

/// The sequence numbers of log `LOG` in `dir`, read whole; no gap, no
/// damage.
fn read_log(dir: &Path, ctx: &str) -> Vec<u64> {
    let mut r = LogReader::open(dir, LOG).unwrap_or_else(|e| panic!("{ctx}: {e}"));
    let mut out = Vec::new();
    while let Some(rec) = r.next().unwrap_or_else(|e| panic!("{ctx}: {e}")) {
        out.push(rec.seq);
    }
    assert!(r.gaps().is_empty(), "{ctx}: {:?}", r.gaps());
    assert!(r.damages().is_empty(), "{ctx}: {:?}", r.damages());
    out
}

/// Writes records until the log has rolled at least once more; returns how
/// many it wrote.
fn write_past_a_roll(w: &LogWriter) -> u64 {
    let start = w.current_segment().unwrap().segment_no;
    let mut n = 0;
    while w.current_segment().unwrap().segment_no == start {
        w.write("t", &[7u8; 300]).unwrap();
        n += 1;
    }
    n
}

/// A way to make a roll fail.
#[derive(Clone, Copy, Debug)]
enum RollFault {
    /// Out of descriptors: the next segment's file cannot be made.
    NoDescriptor,
    /// One descriptor left: the file is made, the directory cannot be
    /// opened to sync it (under a durable policy) or the old segment's
    /// records cannot be closed.
    OneDescriptor,
    /// The new segment's header cannot be written: a full disk.
    HeaderWrite,
    /// As `HeaderWrite`, and the file the roll made cannot be removed
    /// either: the next roll removes it.
    HeaderWriteNoUnlink,
    /// The directory's fsync fails (durable policies sync it), and so does
    /// removing the file.
    DirSyncNoUnlink,
}

impl RollFault {
    /// The faults that fail a roll of a log with these options. A log with
    /// a background thread gets no descriptor limit: that thread closing a
    /// descriptor (a segment it sealed) would let the roll through.
    fn all(background: bool, durability: Durability) -> Vec<RollFault> {
        let mut v = vec![RollFault::HeaderWrite, RollFault::HeaderWriteNoUnlink];
        if !background {
            v.extend([RollFault::NoDescriptor, RollFault::OneDescriptor]);
        }
        if durability != Durability::None {
            v.push(RollFault::DirSyncNoUnlink);
        }
        v
    }

    fn roll(self, w: &LogWriter) -> binlog::Result<()> {
        match self {
            RollFault::NoDescriptor => with_descriptors_left(0, || w.roll()),
            RollFault::OneDescriptor => with_descriptors_left(1, || w.roll()),
            RollFault::HeaderWrite => with_failures(&[Fail::HeaderWrite], || w.roll()),
            RollFault::HeaderWriteNoUnlink => {
                with_failures(&[Fail::HeaderWrite, Fail::Unlink], || w.roll())
            }
            RollFault::DirSyncNoUnlink => {
                with_failures(&[Fail::DirSync, Fail::Unlink], || w.roll())
            }
        }
    }
}

fn failed_rolls_and_reopens(seal_in_background: bool, durability: Durability) {
    let ctx = format!("background {seal_in_background}, {durability:?}");
    let d = TempDir::new("sealed-final");
    let seen: Seen = Arc::default();
    let open = || {
        LogWriter::open(
            d.path(),
            LOG,
            witnessed(&seen, seal_in_background, durability, false),
        )
        .unwrap()
    };
    let mut w = open();
    let mut written = 0u64;
    let faults = RollFault::all(seal_in_background, durability);
    for round in 0..12 {
        written += write_past_a_roll(&w);
        let fault = faults[round % faults.len()];
        let e = fault
            .roll(&w)
            .err()
            .unwrap_or_else(|| panic!("{ctx}: the roll of round {round} ({fault:?}) did not fail"));
        assert!(!e.message().is_empty());
        // The log goes on in the segment it could not roll away from.
        for _ in 0..3 {
            w.write("t", b"after a failed roll").unwrap();
            written += 1;
        }
        if round % 3 == 2 {
            w.close().unwrap();
            assert_unchanged(
                &seen.lock().unwrap(),
                &format!("{ctx}, closed in round {round}"),
            );
            w = open();
        }
        assert_unchanged(&seen.lock().unwrap(), &format!("{ctx}, round {round}"));
    }
    w.close().unwrap();
    let w = open();
    w.close().unwrap();
    let seen = seen.lock().unwrap();
    assert_unchanged(&seen, &ctx);
    assert!(seen.len() >= 12, "{ctx}: only {} seals", seen.len());
    assert_eq!(
        read_log(d.path(), &ctx),
        (0..written).collect::<Vec<_>>(),
        "{ctx}"
    );
}

#[test]
fn failed_rolls_and_reopens_leave_sealed_segments_as_they_were() {
    let _one = one_at_a_time();
    failed_rolls_and_reopens(false, Durability::None);
    failed_rolls_and_reopens(false, Durability::EveryRecord);
}

#[test]
fn failed_rolls_with_background_seals_leave_sealed_segments_as_they_were() {
    let _one = one_at_a_time();
    failed_rolls_and_reopens(true, Durability::None);
    failed_rolls_and_reopens(true, Durability::EveryN(4));
}

/// Writes records until the log has rolled at least once more, while the
/// old segments' seals fail: a write that rolls gets the seal's error (the
/// roll stands; the write is retried, in the new segment). Returns the
/// records written and the seal errors met.
fn write_past_a_failing_seal(w: &LogWriter) -> (u64, u64) {
    let start = w.current_segment().unwrap().segment_no;
    let (mut n, mut errors) = (0, 0);
    while w.current_segment().unwrap().segment_no == start {
        match w.write("t", &[7u8; 300]) {
            Ok(_) => n += 1,
            Err(e) => {
                assert!(e.message().contains("write seal"), "{e}");
                errors += 1;
            }
        }
    }
    (n, errors)
}

/// Under a file size limit, seals fail with EFBIG (a segment's records fit,
/// its seal would pass the limit): those segments stay ending, unsealed,
/// and the log goes on (a write that rolls on the caller's thread gets the
/// seal's error; with `seal_in_background` the failure is counted);
/// segments sealed before stay as they were. Once the limit is lifted,
/// closing seals the rest.
#[test]
fn seals_that_fail_with_efbig_leave_sealed_segments_as_they_were() {
    let _one = one_at_a_time();
    in_fsize_child(
        "seals_that_fail_with_efbig_leave_sealed_segments_as_they_were",
        "BINLOG_SEALED_EFBIG_DIR",
        "EFBIG-CHILD ",
        |dir| {
            for background in [false, true] {
                let dir = dir.join(if background { "background" } else { "caller" });
                seals_fail_under_a_size_limit(&dir, background);
            }
        },
    );
}

fn seals_fail_under_a_size_limit(dir: &Path, background: bool) {
    let seen: Seen = Arc::default();
    let w = LogWriter::open(
        dir,
        LOG,
        witnessed(&seen, background, Durability::None, false),
    )
    .unwrap();
    let mut written = 0;
    for _ in 0..3 {
        written += write_past_a_roll(&w);
    }
    // Background seals land a moment after the roll.
    while seen.lock().unwrap().len() < 3 {
        std::thread::sleep(Duration::from_millis(1));
    }
    let before = seen.lock().unwrap().clone();
    // Records fit below 3900 bytes; a seal takes a segment past it.
    set_file_size_limit(3900);
    let mut errors = 0;
    for _ in 0..3 {
        let (n, e) = write_past_a_failing_seal(&w);
        written += n;
        errors += e;
    }
    if background {
        while w.callback_failures().0 == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(errors, 0, "a write got a background seal's error");
    } else {
        assert!(errors > 0, "no write got a seal's error");
    }
    println!(
        "EFBIG-CHILD background {background}: {errors} errors, {:?}",
        w.callback_failures()
    );
    assert_eq!(
        seen.lock().unwrap().len(),
        before.len(),
        "sealed under the limit"
    );
    assert_unchanged(&before, "under the limit");
    set_file_size_limit(libc::RLIM_INFINITY);
    w.close().unwrap();
    let seen = seen.lock().unwrap();
    assert!(seen.len() >= before.len() + 3, "{} seals", seen.len());
    assert_unchanged(&seen, "after close");
    assert_eq!(read_log(dir, "efbig"), (0..written).collect::<Vec<_>>());
}

const KILL_CHILD: &str = "BINLOG_SEALED_KILL_DIR";
const KILL_CHILD_BACKGROUND: &str = "BINLOG_SEALED_KILL_BACKGROUND";
const MARK: &str = "SEALED-KILL ";

/// Kills per durability mode: `BINLOG_SEALED_KILLS` (default 24; `make
/// torture` sets 1000).
fn kills() -> u64 {
    common::knob("BINLOG_SEALED_KILLS", 24)
}

/// In the child: opens the log (recovering what the last kill left) and
/// writes until killed, printing every SEALED event and every roll.
fn write_until_killed(dir: &Path, seal_in_background: bool) {
    let seen: Seen = Arc::default();
    let opts = witnessed(&seen, seal_in_background, Durability::EveryN(8), true);
    let w = LogWriter::open(dir, LOG, opts).unwrap();
    println!("{MARK}OPEN");
    loop {
        write_past_a_roll(&w);
        println!("{MARK}ROLL");
    }
}

/// Kills a writer of one log with SIGKILL again and again, around its
/// rolls (a background seal, a roll under way) and anywhere; after every
/// kill each segment it reported sealed is unchanged, and so after the next
/// writer's recovery.
#[test]
fn kills_around_rolls_leave_sealed_segments_as_they_were() {
    if let Ok(dir) = std::env::var(KILL_CHILD) {
        let background = std::env::var(KILL_CHILD_BACKGROUND).is_ok_and(|v| v == "1");
        write_until_killed(Path::new(&dir), background);
        return;
    }
    let _one = one_at_a_time();
    let mut rng = Rng::from_env(20261123);
    for background in [false, true] {
        let d = TempDir::new(if background {
            "sealed-kills-bg"
        } else {
            "sealed-kills"
        });
        let mut witnesses: Vec<Witness> = Vec::new();
        for kill in 0..kills() {
            let mut child = ChildProc::spawn(
                "kills_around_rolls_leave_sealed_segments_as_they_were",
                &[
                    (KILL_CHILD, d.path().as_os_str()),
                    (
                        KILL_CHILD_BACKGROUND,
                        if background { "1" } else { "0" }.as_ref(),
                    ),
                ],
                MARK,
            );
            let mut lines = Vec::new();
            assert!(
                child.wait_for("ROLL", &mut lines, Duration::from_secs(20)),
                "{lines:?}"
            );
            std::thread::sleep(Duration::from_micros(rng.below(3_000)));
            let lines = child.kill9(lines);
            witnesses.extend(
                lines
                    .iter()
                    .filter_map(|l| l.strip_prefix("SEALED "))
                    .map(Witness::parse),
            );
            assert_unchanged(&witnesses, &format!("background {background}, kill {kill}"));
        }
        // The last writer's recovery, then the whole log.
        let seen: Seen = Arc::default();
        let w = LogWriter::open(
            d.path(),
            LOG,
            witnessed(&seen, background, Durability::EveryN(8), false),
        )
        .unwrap();
        w.close().unwrap();
        witnesses.extend(seen.lock().unwrap().iter().cloned());
        assert_unchanged(&witnesses, &format!("background {background}, recovered"));
        // Each child rolled at least once before its kill; a background seal
        // may be written but not yet reported when the kill comes (the next
        // open finds it sealed and reports nothing).
        let want = if background { kills() / 2 } else { kills() };
        assert!(witnesses.len() as u64 >= want, "{} seals", witnesses.len());
        let seqs = read_log(d.path(), "recovered");
        assert_eq!(seqs, (0..seqs.len() as u64).collect::<Vec<_>>());
    }
}
