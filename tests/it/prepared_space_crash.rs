//! Kills of a durable writer at work in its space prepared ahead
//! (src/writer/prepared.rs): a child process (this test binary, re-executed)
//! writes records under a durability that syncs and reports which sequence
//! numbers it knows durable; the parent kills it with SIGKILL at points
//! spread over the prepared region (after a random number of durable
//! records, a chunk of zeros being about 1,400 of them), aimed at a chunk
//! of zeros being written, or while it opens and recovers. After each kill
//! the segment's end must be found exactly: records 0.. in order, each as
//! written, every one reported durable present, then zeros or a torn tail
//! of the bytes that are not zero; reopening cuts the zeros (backing up
//! only torn bytes) and continues with exactly the next sequence number.
//!
//! `BINLOG_PREPARED_KILLS` sets the kills per test (default 12; `make
//! torture` sets 1000). `BINLOG_TEST_SEED` replays a run.

use crate::common;

use binlog::{Durability, Options, Tail, Writer};
use common::child::ChildProc;
use common::*;
use std::path::Path;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "BINLOG_PREPARED_CHILD";
const PATH_ENV: &str = "BINLOG_PREPARED_PATH";
const MARK: &str = "#binlog-prepared# ";
/// Kills on one segment before a fresh one (each check reads it whole).
const KILLS_PER_SEGMENT: usize = 20;

/// The record numbered `seq`: 0 to 1,500 bytes, a 100 KB one now and then.
fn record(seq: u64) -> Want {
    let len = if seq % 997 == 500 {
        100_000
    } else {
        ((seq * 131) % 1500) as usize
    };
    want_sized(seq, len)
}

fn say(line: String) {
    common::child::say(MARK, &line);
}

/// In the child: writes records forever, reporting `DURABLE n` whenever
/// every record below `n` is on stable storage.
fn run_child_if_asked() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let path = std::path::PathBuf::from(std::env::var(PATH_ENV).expect("a path"));
    let fail = |what: String| -> ! {
        say(format!("ERR {what}"));
        std::process::exit(3)
    };
    let durability = match mode.as_str() {
        "every_record" => Durability::EveryRecord,
        _ => Durability::EveryN(16),
    };
    let opts = Options {
        durability,
        ..Options::default()
    };
    let w = Writer::open(&path, opts).unwrap_or_else(|e| fail(format!("open: {e}")));
    say(format!("START {}", w.next_seq()));
    let mut reported = w.durable_seq();
    for seq in w.next_seq().. {
        match put(&w, &record(seq)) {
            Ok(s) if s == seq => {}
            Ok(s) => fail(format!("write returned seq {s}, expected {seq}")),
            Err(e) => fail(format!("write {seq}: {e}")),
        }
        let durable = w.durable_seq();
        if durable > reported {
            say(format!("DURABLE {durable}"));
            reported = durable;
        }
    }
    unreachable!()
}

fn spawn_child(test_name: &str, mode: &str, path: &Path) -> ChildProc {
    ChildProc::spawn(
        test_name,
        &[(CHILD_ENV, mode.as_ref()), (PATH_ENV, path.as_os_str())],
        MARK,
    )
}

/// What one kill left, as checked.
struct Landed {
    records: u64,
    torn: bool,
    in_prepared_space: bool,
}

/// Checks the segment a kill left and reopens it: see the file's doc.
fn check_after_kill(path: &Path, durable_below: u64, ctx: &str) -> Landed {
    let before = read_bytes(path);
    let out = read_all(path).unwrap_or_else(|e| panic!("{ctx}: open: {e}"));
    for (i, r) in out.recs.iter().enumerate() {
        assert_eq!(r.seq, i as u64, "{ctx}: record {i} has seq {}", r.seq);
        assert!(r.as_want() == record(r.seq), "{ctx}: record {i} differs");
    }
    let n = out.recs.len() as u64;
    assert!(
        n >= durable_below,
        "{ctx}: records below {durable_below} were reported durable, {n} are in the segment"
    );
    let records_end = out.recs.last().map_or(0, |r| r.offset + r.frame_len);
    let tail = out
        .end
        .unwrap_or_else(|e| panic!("{ctx}: after {n} records: {e}"));
    let torn = match tail {
        Tail::Unsealed => {
            assert!(
                before[records_end as usize..].iter().all(|&b| b == 0),
                "{ctx}: not zeros after the end"
            );
            None
        }
        Tail::Torn { offset, len } => {
            assert_eq!(
                offset, records_end,
                "{ctx}: torn tail not right after the records"
            );
            assert_eq!(offset + len, nonzero_end(&before), "{ctx}: torn tail's end");
            Some((offset, len))
        }
        // Killed before its writer opened it: as the parent left it.
        Tail::Sealed => None,
        other => panic!("{ctx}: the segment ends with {other:?}"),
    };
    let w = Writer::open(path, Options::default())
        .unwrap_or_else(|e| panic!("{ctx}: Writer::open: {e}"));
    assert_eq!(w.next_seq(), n, "{ctx}: next_seq after recovery");
    assert_eq!(
        std::fs::metadata(path).unwrap().len(),
        records_end,
        "{ctx}: zeros (or torn bytes) not cut"
    );
    let backup = backup_path(path, records_end);
    match torn {
        Some((offset, len)) => {
            assert!(
                read_bytes(&backup) == before[offset as usize..(offset + len) as usize],
                "{ctx}: backup of the torn bytes"
            );
            std::fs::remove_file(&backup).unwrap();
        }
        None => assert!(!backup.exists(), "{ctx}: zeros backed up"),
    }
    assert_eq!(
        put(&w, &record(n)).unwrap(),
        n,
        "{ctx}: write after recovery"
    );
    w.close().unwrap();
    let sealed = read_all(path).unwrap();
    assert_eq!(sealed.recs.len() as u64, n + 1, "{ctx}");
    assert_eq!(sealed.end, Ok(Tail::Sealed), "{ctx}");
    Landed {
        records: n,
        torn: torn.is_some(),
        in_prepared_space: tail != Tail::Sealed && before.len() as u64 > records_end,
    }
}

/// A fresh directory with a segment holding record 0. The parent creates
/// it, so a kill never finds it half-created.
fn fresh_segment(mode: &str) -> (TempDir, std::path::PathBuf) {
    let dir = TempDir::new(mode);
    let path = dir.join("seg.binlog");
    let w = Writer::open(&path, Options::default()).unwrap();
    put(&w, &record(0)).unwrap();
    w.close().unwrap();
    (dir, path)
}

fn kill_loop(test_name: &str, mode: &str, seed: u64) {
    let kills = knob("BINLOG_PREPARED_KILLS", 12) as usize;
    let mut rng = Rng::from_env(seed);
    let (mut _dir, mut path) = fresh_segment(mode);
    let (mut torn, mut prepared, mut aimed_at_zeros, mut records) = (0, 0, 0, 1u64);
    let started = Instant::now();
    for kill in 0..kills {
        if kill > 0 && kill % KILLS_PER_SEGMENT == 0 {
            (_dir, path) = fresh_segment(mode);
            records = 1;
        }
        let mut child = spawn_child(test_name, mode, &path);
        let mut seen = Vec::new();
        let ctx = format!("kill {kill} ({mode})");
        match kill % 4 {
            // While it opens, recovers and starts.
            0 => std::thread::sleep(Duration::from_millis(rng.below(30))),
            // As a chunk of zeros is written: the file grows.
            1 => {
                assert!(
                    child.wait_for("DURABLE", &mut seen, Duration::from_secs(30)),
                    "{ctx}: no durable record: {seen:?}"
                );
                let len = std::fs::metadata(&path).unwrap().len();
                let deadline = Instant::now() + Duration::from_secs(20);
                while std::fs::metadata(&path).unwrap().len() == len && Instant::now() < deadline {
                    std::hint::spin_loop();
                }
                aimed_at_zeros += 1;
            }
            // Anywhere in the prepared region: after 1 to 3,000 records.
            _ => {
                let after = 1 + rng.below(3000);
                let deadline = Instant::now() + Duration::from_secs(60);
                let mut got = 0;
                while got < after && Instant::now() < deadline {
                    if !child.wait_for("DURABLE", &mut seen, Duration::from_secs(30)) {
                        break;
                    }
                    got = seen
                        .iter()
                        .filter_map(|l| l.strip_prefix("DURABLE "))
                        .filter_map(|n| n.parse::<u64>().ok())
                        .max()
                        .unwrap_or(0);
                    got = got.saturating_sub(records);
                }
                std::thread::sleep(Duration::from_micros(rng.below(2000)));
            }
        }
        let lines = child.kill9(seen);
        assert!(
            !lines.iter().any(|l| l.starts_with("ERR")),
            "{ctx}: the child failed: {lines:?}"
        );
        let durable_below = common::child::durable_bound(&lines, records, "DURABLE", false, &ctx);
        let landed = check_after_kill(&path, durable_below, &ctx);
        torn += landed.torn as usize;
        prepared += landed.in_prepared_space as usize;
        records = landed.records + 1;
    }
    eprintln!(
        "{mode}: {kills} kills in {:?}: {prepared} with zeros after the records, {torn} torn, \
         {aimed_at_zeros} aimed at zeros being written",
        started.elapsed()
    );
    assert!(
        prepared * 2 >= kills,
        "only {prepared} of {kills} kills left zeros after the records: the prepared region was not tested"
    );
}

#[test]
fn kill9_in_prepared_space_under_every_record_ends_exactly_at_the_records() {
    run_child_if_asked();
    kill_loop(
        "kill9_in_prepared_space_under_every_record_ends_exactly_at_the_records",
        "every_record",
        0x5eed_3101,
    );
}

#[test]
fn kill9_in_prepared_space_under_every_n_ends_exactly_at_the_records() {
    run_child_if_asked();
    kill_loop(
        "kill9_in_prepared_space_under_every_n_ends_exactly_at_the_records",
        "every_n",
        0x5eed_3102,
    );
}
