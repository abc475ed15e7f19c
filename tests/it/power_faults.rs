//! Filesystem faults on the power-cut filesystem (tests/powercut: its
//! fault switches), for a rolling log and a standalone segment:
//!
//! - fsync fails with EIO, and, as on Linux, the pages it was to write are
//!   marked clean unwritten (the "fsyncgate" lesson: a retry that succeeds
//!   writes nothing). The write or `sync` whose fsync failed reports an
//!   error; `durable_seq` never covers a record whose fsync failed, not
//!   after the fault ends either (a retried fsync would claim it); after a
//!   power cut every record acknowledged as durable is there, and the
//!   writer reopened numbers above every record the log holds;
//! - the disk is full (ENOSPC on every write past a file's end), while
//!   writing and again when a writer reopens the log after a cut: the error
//!   is `DiskFull` naming a file of the log, every record acknowledged
//!   stays readable, and once space is back a reopened writer goes on above
//!   them.
//!
//! Root and /dev/fuse are needed.

use crate::common;

use binlog::LogOptions;
use binlog::{Durability, ErrorKind, Options};
use common::power_loss::{open_target, record, AnyWriter, Target};
use common::powercut::{Keep, PowerCut};
use common::TempDir;
use std::path::Path;

fn options(durability: Durability) -> LogOptions {
    LogOptions {
        max_segment_records: Some(16),
        segment: Options {
            durability,
            buffer_size: 4096,
            ..Options::default()
        },
        ..LogOptions::default()
    }
}

/// The backing directory (with `log/`) and two mount points under
/// `root`: one before the cut, one after, so that a writer forgotten at
/// the cut, whose threads may still work on paths under the first, never
/// reaches the second mount.
fn dirs(root: &TempDir) -> (std::path::PathBuf, [std::path::PathBuf; 2]) {
    let backing = root.join("backing");
    std::fs::create_dir_all(backing.join("log")).unwrap();
    let mnt = [root.join("mnt-0"), root.join("mnt-1")];
    for m in &mnt {
        std::fs::create_dir_all(m).unwrap();
    }
    (backing, mnt)
}

/// Writes records `from..to`; each must be acknowledged.
fn write_all(w: &AnyWriter, from: u64, to: u64) {
    for seq in from..to {
        let (ty, p) = record(seq);
        assert_eq!(w.write(ty, &p).unwrap(), seq);
    }
}

/// What `target` holds in `dir`: every record read (skipping damage) is
/// the one written under its number, numbers only go up; returns them.
fn records_in(target: Target, dir: &Path) -> Vec<u64> {
    let Some(mut r) = open_target(target, dir).unwrap() else {
        return Vec::new();
    };
    r.skip_damaged(true);
    let mut seqs: Vec<u64> = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        let (ty, p) = record(rec.seq);
        assert!(
            rec.type_name == ty && rec.payload == &p[..],
            "record {} differs",
            rec.seq
        );
        assert!(
            seqs.last().is_none_or(|&l| l < rec.seq),
            "record {} again",
            rec.seq
        );
        seqs.push(rec.seq);
    }
    seqs
}

/// Every record below `promised` is in `found`.
fn assert_kept(found: &[u64], promised: u64, ctx: &str) {
    if let Some(lost) = (0..promised).find(|s| found.binary_search(s).is_err()) {
        panic!("{ctx}: record {lost} was promised durable (below {promised}) and is lost; found {found:?}");
    }
}

/// Under `durability` (`EveryRecord`: each write syncs; `None`: `sync`
/// does), 20 records are made durable, then fsync fails: the write or sync
/// that needed it fails, and neither it nor anything after the fault ends
/// claims the records whose pages the failed fsync dropped.
fn failed_fsync_case(target: Target, durability: Durability) {
    let ctx = format!("{target:?}, {durability:?}");
    let root = TempDir::new("power-eio");
    let (backing, mnt) = dirs(&root);
    let mut fs = PowerCut::mount(&backing, &mnt[0], Keep::Nothing, 0);
    let dir = fs.path().join("log");
    let w = AnyWriter::open(target, &dir, options(durability)).unwrap();
    write_all(&w, 0, 20);
    w.sync().unwrap();
    assert_eq!(w.durable_seq().unwrap(), 20, "{ctx}");
    fs.fail_fsync();
    let (ty, p) = record(20);
    let failed = match durability {
        Durability::EveryRecord => w.write(ty, &p).map(|_| ()),
        _ => w.write(ty, &p).and_then(|_| w.sync()),
    };
    let e = failed.expect_err("a write or sync whose fsync failed returned success");
    assert!(
        e.to_string().contains(&dir.display().to_string()),
        "{ctx}: the error names no file of the log: {e}"
    );
    let mut promised = 20;
    if let Ok(d) = w.durable_seq() {
        assert!(d <= 20, "{ctx}: durable_seq {d} after the failed fsync");
    }
    // The disk works again: what the writer now calls durable must be.
    fs.clear_faults();
    let (ty, p) = record(21);
    if let Ok(seq) = w.write(ty, &p) {
        assert_eq!(seq, 21, "{ctx}");
        if durability == Durability::EveryRecord {
            promised = 22;
        }
    }
    if w.sync().is_ok() {
        promised = promised.max(w.durable_seq().unwrap_or(0));
    }
    if let Ok(d) = w.durable_seq() {
        promised = promised.max(d);
    }
    std::mem::forget(w);
    fs.cut();
    let fs = PowerCut::mount(&backing, &mnt[1], Keep::Nothing, 0);
    let found = records_in(target, &fs.path().join("log"));
    assert_kept(&found, promised, &ctx);
    let w = AnyWriter::open(target, &fs.path().join("log"), options(durability))
        .unwrap_or_else(|e| panic!("{ctx}: no open after the cut: {e}"));
    let next = w.next_seq().unwrap();
    assert!(
        found.last().is_none_or(|&l| next > l),
        "{ctx}: the writer starts at {next}, the log holds {found:?}"
    );
    eprintln!(
        "{ctx}: promised {promised}, found {} records, next {next}",
        found.len()
    );
}

#[test]
fn a_failed_fsync_under_every_record_is_reported_and_never_claimed_durable() {
    failed_fsync_case(Target::Log, Durability::EveryRecord);
    failed_fsync_case(Target::Segment, Durability::EveryRecord);
}

#[test]
fn a_failed_fsync_at_sync_under_none_is_reported_and_never_claimed_durable() {
    failed_fsync_case(Target::Log, Durability::None);
    failed_fsync_case(Target::Segment, Durability::None);
}

/// Asserts `e` is `DiskFull` and names a file in `dir`.
fn assert_disk_full(e: &binlog::Error, dir: &Path, ctx: &str) {
    assert_eq!(e.kind(), ErrorKind::DiskFull, "{ctx}: {e}");
    assert!(
        e.to_string().contains(&dir.display().to_string()),
        "{ctx}: the error names no file of the log: {e}"
    );
}

/// Writes until the full disk refuses a write (at most `limit` records
/// from `from`); returns the next number not acknowledged.
fn write_until_full(w: &AnyWriter, from: u64, limit: u64, dir: &Path, ctx: &str) -> u64 {
    for seq in from..from + limit {
        let (ty, p) = record(seq);
        match w.write(ty, &p).and_then(|s| w.sync().map(|()| s)) {
            Ok(s) => assert_eq!(s, seq, "{ctx}"),
            Err(e) => {
                assert_disk_full(&e, dir, ctx);
                return seq;
            }
        }
    }
    panic!("{ctx}: {limit} records written on a full disk");
}

/// The disk fills while `target` is written (each record synced), then
/// again after a power cut, before the writer reopens the log.
fn full_disk_case(target: Target, durability: Durability) {
    let ctx = format!("{target:?}, {durability:?}");
    let root = TempDir::new("power-full");
    let (backing, mnt) = dirs(&root);
    let mut fs = PowerCut::mount(&backing, &mnt[0], Keep::TornPages(0), 7);
    let dir = fs.path().join("log");
    let w = AnyWriter::open(target, &dir, options(durability)).unwrap();
    write_all(&w, 0, 30);
    w.sync().unwrap();
    fs.fill_disk();
    // Space prepared ahead (zeros) takes records until it runs out.
    let acked = write_until_full(&w, 30, 20_000, &dir, &ctx);
    assert_kept(
        &records_in(target, &dir),
        acked,
        &format!("{ctx}, on the full disk"),
    );
    std::mem::forget(w);
    fs.cut();
    // After the cut the disk is still full: the writer's open (which may
    // cut a torn tail, seal, start a segment) fails only with DiskFull.
    let mut fs = PowerCut::mount(&backing, &mnt[1], Keep::Nothing, 0);
    fs.fill_disk();
    let dir = fs.path().join("log");
    let reopened = AnyWriter::open(target, &dir, options(durability));
    eprintln!(
        "{ctx}: {acked} records acknowledged before the disk was full; reopened full: {:?}",
        reopened.as_ref().err()
    );
    match reopened {
        Ok(w) => {
            let next = w.next_seq().unwrap();
            // Record `next` as the log's records are, since the space the
            // reopened writer prepared may still take it.
            let (ty, p) = record(next);
            if let Err(e) = w.write(ty, &p).and_then(|_| w.sync()) {
                assert_disk_full(&e, &dir, &format!("{ctx}, reopened full"));
            }
            assert!(next >= acked, "{ctx}: reopened at {next}, below {acked}");
            // Closed on the full disk: whatever that fails, the lock goes.
            drop(w);
        }
        Err(e) => assert_disk_full(&e, &dir, &format!("{ctx}, reopening full")),
    }
    let found = records_in(target, &dir);
    assert_kept(&found, acked, &format!("{ctx}, reopened full"));
    fs.clear_faults();
    let w = AnyWriter::open(target, &dir, options(durability))
        .unwrap_or_else(|e| panic!("{ctx}: no open once space is back: {e}"));
    let next = w.next_seq().unwrap();
    assert!(
        next >= acked && found.last().is_none_or(|&l| next > l),
        "{ctx}: the writer starts at {next}, the log holds up to {:?}",
        found.last()
    );
    w.write("ev", b"space again").unwrap();
    w.sync().unwrap();
    drop(w);
    drop(fs);
}

#[test]
fn a_full_disk_fails_with_disk_full_and_keeps_every_acknowledged_record() {
    full_disk_case(Target::Log, Durability::EveryRecord);
    full_disk_case(Target::Segment, Durability::EveryRecord);
    full_disk_case(Target::Log, Durability::None);
    full_disk_case(Target::Segment, Durability::None);
}

/// A roll seals the old segment on the writing thread; when the seal's
/// fdatasync fails (the fault armed at each count in turn until one
/// strikes a seal's), the write that rolled fails and the log is
/// poisoned: the next write is refused (`Poisoned`), as after any failed
/// fdatasync of records. Found by tests/it/power_faults_random.rs (seed 7).
#[test]
fn a_failed_fdatasync_of_a_seal_poisons_the_log() {
    let root = TempDir::new("power-seal-eio");
    let (backing, _) = dirs(&root);
    for n in 1..80u64 {
        let mnt = root.join(format!("mnt-seal-{n}"));
        std::fs::create_dir_all(&mnt).unwrap();
        let armed = ["--fail-fsync-at".to_string(), n.to_string()];
        let fs = PowerCut::mount_armed(&backing, &mnt, &armed, None);
        let dir = fs.path().join(format!("log-{n}"));
        std::fs::create_dir(&dir).unwrap();
        let w = binlog::LogWriter::open(&dir, "s", options(Durability::EveryRecord));
        let failed = w.as_ref().map_err(Clone::clone).and_then(|w| {
            (0..40).try_for_each(|seq| {
                let (ty, p) = record(seq);
                w.write(ty, &p).map(|_| ())
            })
        });
        let Err(e) = failed else {
            panic!("count {n}: no write failed")
        };
        if !e.to_string().contains("sync seal") {
            drop(w);
            drop(fs);
            continue;
        }
        let again = w.unwrap().write("ev", b"after the failed seal");
        let again = again.expect_err("a write after a failed seal fdatasync succeeded");
        assert_eq!(again.kind(), ErrorKind::Poisoned, "count {n}: {again}");
        return;
    }
    panic!("no count struck a seal's fdatasync");
}
