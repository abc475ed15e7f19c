//! Real crashes: a child process (this test binary, re-executed with an
//! environment variable that switches the test into child mode) writes
//! records and reports on stdout which sequence numbers it knows durable; the
//! parent kills it with SIGKILL at a random moment and checks the segment:
//! every reported record is there exactly once with its bytes, nothing
//! partial or foreign is returned, and a new writer continues with exactly
//! the next sequence number. Also a writer killed while it reopens, writes
//! and seals a segment in a loop, and a killed writer's lock.
//!
//! `BINLOG_KILLS` sets the kills per test (default 12); `make torture` sets
//! 1000. `BINLOG_TEST_SEED` replays a run. The rolling-log kill tests are in
//! tests/it/log_crash.rs.

use crate::common;

use binlog::{Durability, ErrorKind, Options, Reader, Tail, Writer};
use common::child::ChildProc;
use common::*;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "BINLOG_CRASH_CHILD";
const PATH_ENV: &str = "BINLOG_CRASH_PATH";
/// Set to 1: the child's first record is a big one (announced with `BIG`),
/// so a kill can be aimed at a write in progress.
const BIG_ENV: &str = "BINLOG_CRASH_BIG";
const BIG_LEN: usize = 2 << 20;
/// Records between two flushes in the "flushed" mode.
const FLUSH_EVERY: u64 = 50;
/// Kills per test unless `BINLOG_KILLS` says otherwise.
const DEFAULT_KILLS: u64 = 12;

/// Kills on one segment before the test starts a fresh one, so that
/// checking the segment after each kill (it is read whole) stays cheap in
/// long runs.
const KILLS_PER_SEGMENT: usize = 40;

fn kills() -> usize {
    knob("BINLOG_KILLS", DEFAULT_KILLS) as usize
}
/// Starts every line the child reports; libtest may print before it on the
/// same line.
const MARK: &str = "#binlog-child# ";

/// The record with sequence number `seq` in the crash tests: mostly small,
/// with a large one now and then so that a kill can land inside a write.
fn crash_want(seq: u64) -> Want {
    let len = match seq % 41 {
        0 => 300_000,
        7 => 20_000,
        _ => ((seq * 37) % 300) as usize,
    };
    want_sized(seq, len)
}

/// A big record: type "big", 2 MiB of payload.
fn big_want(seq: u64) -> Want {
    Want {
        type_name: "big".into(),
        meta: Vec::new(),
        ..want_sized(seq, BIG_LEN)
    }
}

/// One line to stdout with one write(2), so a kill never leaves half a line
/// that looks whole.
fn say(line: String) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(format!("{MARK}{line}").as_bytes());
    let _ = out.flush();
}

/// If this process is a child, does the child's work and never returns.
fn run_child_if_asked() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let path = std::path::PathBuf::from(std::env::var(PATH_ENV).expect("child needs a path"));
    let fail = |what: String| -> ! {
        say(format!("ERR {what}\n"));
        std::process::exit(3)
    };
    match mode.as_str() {
        "every_record" | "every_n" | "flushed" => {
            // "flushed": no durability; a small buffer, so that the
            // write-behind thread checksums and writes most of them and
            // records are split across two writes; a flush every
            // `FLUSH_EVERY` records hands everything to the OS, which keeps
            // it through the process's death (reported as DURABLE).
            let (durability, buffer_size) = match mode.as_str() {
                "every_record" => (Durability::EveryRecord, 4096),
                "every_n" => (Durability::EveryN(16), 4096),
                _ => (Durability::None, 16 << 10),
            };
            let opts = Options {
                durability,
                buffer_size,
                ..Options::default()
            };
            let w = Writer::open(&path, opts).unwrap_or_else(|e| fail(format!("open: {e}")));
            let start = w.next_seq();
            say(format!("START {start}\n"));
            let mut reported = start;
            let big = std::env::var(BIG_ENV).is_ok_and(|v| v == "1");
            for seq in start.. {
                let x = if big && seq == start {
                    let x = big_want(seq);
                    say(format!("BIG {seq}\n"));
                    x
                } else {
                    crash_want(seq)
                };
                match put(&w, &x) {
                    Ok(s) if s == seq => {}
                    Ok(s) => fail(format!("write returned seq {s}, expected {seq}")),
                    Err(e) => fail(format!("write {seq}: {e}")),
                }
                if mode == "flushed" {
                    if (seq - start + 1) % FLUSH_EVERY == 0 {
                        w.flush().unwrap_or_else(|e| fail(format!("flush: {e}")));
                        say(format!("DURABLE {}\n", seq + 1));
                    }
                    continue;
                }
                let durable = w.durable_seq();
                if mode == "every_record" && durable <= seq {
                    fail(format!(
                        "EveryRecord write of {seq} returned with durable_seq {durable}"
                    ));
                }
                if mode == "every_n" && (seq - start + 1) % 16 == 0 && durable <= seq {
                    fail(format!(
                        "EveryN(16): write {} since open returned with durable_seq {durable}",
                        seq - start + 1
                    ));
                }
                if durable > reported {
                    // Every sequence number below `durable` is on stable storage.
                    say(format!("DURABLE {durable}\n"));
                    reported = durable;
                }
            }
            unreachable!()
        }
        "hold_lock" => {
            let w = Writer::open(&path, Options::default())
                .unwrap_or_else(|e| fail(format!("open: {e}")));
            for _ in 0..3 {
                let seq = w.next_seq();
                put(&w, &crash_want(seq)).unwrap_or_else(|e| fail(format!("write: {e}")));
            }
            w.flush().unwrap_or_else(|e| fail(format!("flush: {e}")));
            say(format!("LOCKED {}\n", w.next_seq()));
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        other => fail(format!("unknown child mode {other}")),
    }
}

/// The records as written, built once (the large payloads are costly to
/// regenerate for every check).
#[derive(Default)]
struct Written {
    small: Vec<Want>,
    big: std::collections::HashMap<u64, Want>,
}

impl Written {
    /// What was written as `seq`: a big record if its type says so (a big
    /// record is only ever written whole or not at all, never in part).
    fn get(&mut self, seq: u64, type_name: &str) -> &Want {
        if type_name == "big" {
            return self.big.entry(seq).or_insert_with(|| big_want(seq));
        }
        while self.small.len() as u64 <= seq {
            let next = self.small.len() as u64;
            self.small.push(crash_want(next));
        }
        &self.small[seq as usize]
    }
}

/// Checks the segment after a crash: records 0.. in order, each exactly as
/// written, no error. Returns the record count and the tail, and checks that
/// a torn tail starts right after the last record returned.
fn verify_after_crash(path: &Path, written: &mut Written, ctx: &str) -> (u64, Tail) {
    let out = read_all(path).unwrap_or_else(|e| panic!("{ctx}: Reader::open: {e}"));
    for (i, r) in out.recs.iter().enumerate() {
        assert_eq!(r.seq, i as u64, "{ctx}: record {i} has seq {}", r.seq);
        assert!(
            r.as_want() == *written.get(r.seq, &r.type_name),
            "{ctx}: record {} differs from what was written",
            r.seq
        );
    }
    let tail = out
        .end
        .unwrap_or_else(|e| panic!("{ctx}: after {} records: {e}", out.recs.len()));
    if let Tail::Torn { offset, .. } = tail {
        let last = out.recs.last().expect("the parent wrote record 0");
        assert_eq!(
            offset,
            last.offset + last.frame_len,
            "{ctx}: torn tail is not right after the last record"
        );
    }
    (out.recs.len() as u64, tail)
}

/// A fresh directory with a segment holding record 0. The parent creates
/// the segment, so a kill never finds it half-created.
fn fresh_segment(mode: &str) -> (TempDir, std::path::PathBuf) {
    let dir = TempDir::new(mode);
    let path = dir.join("seg.binlog");
    let w = Writer::open(&path, Options::default()).unwrap();
    put(&w, &crash_want(0)).unwrap();
    w.close().unwrap();
    (dir, path)
}

fn kill_loop(test_name: &str, mode: &str, seed: u64) {
    let (mut _dir, mut path) = fresh_segment(mode);
    let mut expect_start = 1u64;
    let mut records_total = 0u64;
    let mut written = Written::default();
    let mut rng = Rng::from_env(seed);
    let (mut torn, mut max_durable_seen, mut with_durable, mut aimed) = (0, 0u64, 0, 0);
    let kills = kills();
    let started = Instant::now();

    for kill in 0..kills {
        if kill > 0 && kill % KILLS_PER_SEGMENT == 0 {
            records_total += expect_start;
            (_dir, path) = fresh_segment(mode);
            expect_start = 1;
        }
        // A quarter of the kills at a random moment after the start (maybe
        // during startup or recovery), a quarter aimed at a big write in
        // progress, the rest while records are written.
        let how = kill % 4;
        let mut child = spawn_child(test_name, mode, &path, how == 1);
        let mut seen = Vec::new();
        if how == 0 {
            std::thread::sleep(Duration::from_millis(rng.below(40)));
        } else if how == 1 {
            let started = child.wait_for("BIG", &mut seen, Duration::from_secs(20));
            assert!(
                started,
                "kill {kill}: child never started its big write: {seen:?}"
            );
            aimed += 1;
            // The record is checksummed before it is written: wait until
            // the file starts to grow, then kill at once or a little later.
            let at_big = std::fs::metadata(&path).unwrap().len();
            let deadline = Instant::now() + Duration::from_secs(5);
            while std::fs::metadata(&path).unwrap().len() == at_big && Instant::now() < deadline {
                std::hint::spin_loop();
            }
            let extra = Duration::from_micros(rng.below(300));
            let t = Instant::now();
            while t.elapsed() < extra {
                std::hint::spin_loop();
            }
        } else {
            let started = child.wait_for("DURABLE", &mut seen, Duration::from_secs(20));
            assert!(
                started,
                "kill {kill}: child never reported a durable record: {seen:?}"
            );
            std::thread::sleep(Duration::from_micros(rng.below(25_000)));
        }
        let lines = child.kill9(seen);
        let ctx = format!("kill {kill} ({mode})");

        let durable_below =
            common::child::durable_bound(&lines, expect_start, "DURABLE", false, &ctx);
        // A kill that waited for a durable record came after one of this
        // run: the kills hit a writer at work, or nothing was tested.
        assert!(
            how < 2 || durable_below > expect_start,
            "{ctx}: killed after a durable record, yet none of this run was reported durable"
        );
        if durable_below > 0 {
            with_durable += 1;
        }
        max_durable_seen = max_durable_seen.max(durable_below);

        let before = read_bytes(&path);
        let (n, tail) = verify_after_crash(&path, &mut written, &ctx);
        assert!(
            n >= durable_below,
            "{ctx}: records below {durable_below} were reported durable, only {n} are in the segment"
        );
        assert!(
            n >= expect_start,
            "{ctx}: {n} records, fewer than the {expect_start} before the child started"
        );
        match tail {
            Tail::Unsealed | Tail::Sealed => {}
            Tail::Torn { offset, len } => {
                torn += 1;
                // To the end of the file, or of its bytes before the zeros
                // a durable writer prepares ahead of its records.
                assert_eq!(
                    offset + len,
                    nonzero_end(&before),
                    "{ctx}: torn tail does not run to the end"
                );
            }
            other => panic!("{ctx}: segment ends with {other:?}"),
        }

        // A new writer continues with exactly the next sequence number.
        let w = Writer::open(&path, Options::default())
            .unwrap_or_else(|e| panic!("{ctx}: Writer::open: {e}"));
        assert_eq!(w.next_seq(), n, "{ctx}: next_seq after recovery");
        if let Tail::Torn { offset, len } = tail {
            let b = backup_path(&path, offset);
            assert!(
                read_bytes(&b) == before[offset as usize..(offset + len) as usize],
                "{ctx}: backup of the torn tail"
            );
            std::fs::remove_file(&b).unwrap();
        }
        assert_eq!(
            put(&w, &crash_want(n)).unwrap(),
            n,
            "{ctx}: first write after recovery"
        );
        w.close().unwrap();
        let (m, tail) = verify_after_crash(
            &path,
            &mut written,
            &format!("{ctx}, after the parent's write"),
        );
        assert_eq!((m, tail), (n + 1, Tail::Sealed), "{ctx}");
        expect_start = n + 1;
    }
    records_total += expect_start;
    eprintln!(
        "{mode}: {kills} kills in {:?} ({aimed} aimed at a big write), {with_durable} with durable records reported, \
         {torn} torn tails, {records_total} records written, highest durable bound {max_durable_seen}",
        started.elapsed()
    );
    // The kills hit a writer at work: each that waited for a durable record
    // (half of them) came after one, checked kill by kill above. A count
    // over all kills would add nothing that does not depend on how fast
    // the child starts and syncs (an emulated one: a record or two a kill).
}

#[test]
fn kill9_during_every_record_writes_loses_nothing_reported_durable() {
    run_child_if_asked();
    kill_loop(
        "kill9_during_every_record_writes_loses_nothing_reported_durable",
        "every_record",
        0x5eed_0001,
    );
}

#[test]
fn kill9_during_every_n_writes_loses_nothing_reported_durable() {
    run_child_if_asked();
    kill_loop(
        "kill9_during_every_n_writes_loses_nothing_reported_durable",
        "every_n",
        0x5eed_0002,
    );
}

/// Without durability, a killed process loses only what it had not handed
/// to the OS: every record flushed before the kill is in the file, whole,
/// whichever thread checksummed it (the write-behind thread does for most
/// buffers here), and the file ends at most in one torn record.
#[test]
fn kill9_during_buffered_writes_loses_nothing_flushed() {
    run_child_if_asked();
    kill_loop(
        "kill9_during_buffered_writes_loses_nothing_flushed",
        "flushed",
        0x5eed_0003,
    );
}

const KILL_CHILD: &str = "BINLOG_REOPEN_KILL_CHILD";

/// The record `seq` of the kill test: types that come and go, so that
/// reopens meet types defined before the crash and new ones.
fn kill_want(seq: u64) -> Want {
    let mut x = want_sized(
        seq,
        if seq % 23 == 0 {
            9000
        } else {
            (seq * 13 % 200) as usize
        },
    );
    if seq % 4 == 0 {
        x.type_name = format!("k{}", seq / 40);
    }
    x
}

fn kill_opts() -> Options {
    Options {
        buffer_size: 4096,
        index_memory_entries: 7,
        sparse_interval: 500,
        ..Options::default()
    }
}

/// Child: reopens, writes, flushes, closes, over and over, reporting what
/// it flushed, until killed.
fn kill_child(path: &Path) {
    let say = |s: String| {
        use std::io::Write;
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(format!("REOPEN-KILL {s}\n").as_bytes());
        let _ = o.flush();
    };
    let mut rng = Rng::new(std::process::id() as u64);
    loop {
        let w = Writer::open(path, kill_opts()).unwrap();
        let start = w.next_seq();
        say(format!("START {start}"));
        for seq in start..start + 1 + rng.below(120) {
            assert_eq!(put(&w, &kill_want(seq)).unwrap(), seq);
            if rng.below(10) == 0 {
                w.flush().unwrap();
                say(format!("FLUSHED {}", seq + 1));
            }
        }
        let n = w.next_seq();
        w.close().unwrap();
        say(format!("FLUSHED {n}"));
    }
}

/// Kill -9 at random moments of a writer that reopens, writes, flushes and
/// seals in a loop: after each kill the segment reopens with every flushed
/// record, the next sequence number right after the last one found, and a
/// seal that is right once closed. `BINLOG_KILLS` rounds.
#[test]
fn kill9_around_reopen_write_and_seal_loses_nothing_flushed() {
    if let Ok(p) = std::env::var(KILL_CHILD) {
        kill_child(Path::new(&p));
        return;
    }
    let dir = TempDir::new("kill");
    let p = dir.join("seg.binlog");
    let mut rng = Rng::from_env(16);
    let mut flushed = 0u64;
    for round in 0..kills() {
        let mut child = common::child::ChildProc::spawn(
            "kill9_around_reopen_write_and_seal_loses_nothing_flushed",
            &[(KILL_CHILD, p.as_os_str())],
            "REOPEN-KILL ",
        );
        let mut seen = Vec::new();
        assert!(
            child.wait_for("START", &mut seen, std::time::Duration::from_secs(10)),
            "round {round}: child did not start: {seen:?}"
        );
        std::thread::sleep(std::time::Duration::from_micros(rng.below(40_000)));
        let lines = child.kill9(seen);
        for l in &lines {
            if let Some(n) = l.strip_prefix("FLUSHED ") {
                flushed = flushed.max(n.parse().unwrap());
            }
        }
        let w = Writer::open(&p, kill_opts()).unwrap_or_else(|e| panic!("round {round}: {e}"));
        let next = w.next_seq();
        assert!(
            next >= flushed,
            "round {round}: next {next} < flushed {flushed}"
        );
        assert_eq!(w.record_count(), next, "round {round}");
        w.close().unwrap();
        let wants: Vec<Want> = (0..next).map(kill_want).collect();
        check_segment(&p, &wants, &format!("round {round}"));
        flushed = next;
    }
}

#[test]
fn writer_lock_dies_with_the_process_that_holds_it() {
    run_child_if_asked();
    let dir = TempDir::new("lock");
    let path = dir.join("seg.binlog");
    let mut written = Written::default();
    for round in 0..3u64 {
        let mut child = spawn_child(
            "writer_lock_dies_with_the_process_that_holds_it",
            "hold_lock",
            &path,
            false,
        );
        let mut seen = Vec::new();
        let ready = child.wait_for("LOCKED", &mut seen, Duration::from_secs(20));
        assert!(ready, "round {round}: child never took the lock: {seen:?}");
        let held_next: u64 = seen.last().unwrap()["LOCKED ".len()..].parse().unwrap();
        assert_eq!(
            held_next,
            round * 4 + 3,
            "round {round}: child's writer position"
        );

        for attempt in 0..3 {
            let e = Writer::open(&path, Options::default())
                .err()
                .unwrap_or_else(|| {
                    panic!("round {round}: a second writer opened a locked segment")
                });
            assert_eq!(
                e.kind(),
                ErrorKind::Locked,
                "round {round} attempt {attempt}: {e}"
            );
            assert_names(&e, &path);
        }
        // A reader needs no lock and sees the flushed records.
        let mut r = Reader::open(&path).unwrap();
        let out = drain(&mut r);
        assert_eq!(
            out.recs.len() as u64,
            held_next,
            "round {round}: reader while locked"
        );
        drop(r);

        child.kill9(seen);
        let w = Writer::open(&path, Options::default()).unwrap_or_else(|e| {
            panic!("round {round}: lock not released by the killed process: {e}")
        });
        assert_eq!(w.next_seq(), held_next);
        assert_eq!(put(&w, &crash_want(held_next)).unwrap(), held_next);
        w.close().unwrap();
        let (n, tail) = verify_after_crash(&path, &mut written, &format!("round {round}"));
        assert_eq!((n, tail), (held_next + 1, Tail::Sealed), "round {round}");
    }
}

/// Runs `test_name` as a child writing `path` in `mode`.
fn spawn_child(test_name: &str, mode: &str, path: &Path, big: bool) -> ChildProc {
    let big = if big { "1" } else { "0" };
    ChildProc::spawn(
        test_name,
        &[
            (CHILD_ENV, mode.as_ref()),
            (PATH_ENV, path.as_os_str()),
            (BIG_ENV, big.as_ref()),
        ],
        MARK,
    )
}
