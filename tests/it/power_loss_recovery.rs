//! Power cuts during a log's recovery, twice in a row, on the power-cut
//! filesystem (tests/powercut, `--cut-at N`: the power goes in place of
//! the Nth change or sync, nothing unsynced kept). The log is left as a
//! power cut during a roll leaves it: an older segment without its seal
//! and with damage in its middle (a later page kept, an earlier one lost;
//! docs/FORMAT.md section 10.1), the next segment's name durable but not
//! its header (an empty file), the manifest not yet written. Opening it
//! salvages the records after the damage into a sealed file, backs up and
//! cuts the damage, seals the segment and starts the next one.
//!
//! The power is cut at each step of that recovery, then at a step of the
//! recovery the next open makes of what the first cut left, then a third
//! open runs whole and writes. Checked: every valid record written before
//! is read once, the records written after the recoveries are all read,
//! and no number is given to two records: the log goes on above every
//! number any of its files holds (section 12).
//!
//! Root and /dev/fuse are needed. Per first cut, `BINLOG_RECOVERY_CUTS`
//! second cuts (default 3, at seeded steps; `make torture`: every step);
//! `BINLOG_TEST_SEED` replays a run.

use crate::common;

use binlog::format::naming;
use binlog::log::segments;
use binlog::{Durability, LogOptions, LogReader, LogWriter, Options, Reader};
use common::powercut::PowerCut;
use common::{knob, set_len, Rng, TempDir};
use std::path::{Path, PathBuf};

const LOG: &str = "r";
/// Records written before the damage: segments of 10, 10 and 5.
const WRITTEN: u64 = 25;
/// The record whose frame the damage hits (segment 1's third).
const DAMAGED: u64 = 12;

/// The log's options: `durability` for every writer of a test.
fn opts(durability: Durability) -> LogOptions {
    LogOptions {
        max_segment_records: Some(10),
        background: false,
        segment: Options {
            durability,
            ..Options::default()
        },
        ..LogOptions::default()
    }
}

/// The payload of record `seq` of type `ty`: one number, one record.
fn payload(ty: &str, seq: u64) -> Vec<u8> {
    format!("{ty} record {seq:>60}").into_bytes()
}

/// Writes log `LOG` of `WRITTEN` records in `dir` and damages it as a power
/// cut during its second roll would (see the module's doc).
fn damaged_log(dir: &Path, d: Durability) {
    let w = LogWriter::open(dir, LOG, opts(d)).unwrap();
    for seq in 0..WRITTEN {
        assert_eq!(w.write("old", &payload("old", seq)).unwrap(), seq);
    }
    w.close().unwrap();
    let segs: Vec<PathBuf> = segments::list(dir, LOG)
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(segs.len(), 3, "segments of 10, 10 and 5 records");
    let mut r = Reader::open(&segs[1]).unwrap();
    let records_end = r.seal().unwrap().records_end;
    let hit = std::iter::from_fn(|| {
        r.next()
            .unwrap()
            .map(|x| (x.seq, x.offset + x.frame_len / 2))
    })
    .find(|&(seq, _)| seq == DAMAGED)
    .unwrap()
    .1;
    drop(r);
    set_len(&segs[1], records_end);
    let mut bytes = std::fs::read(&segs[1]).unwrap();
    bytes[hit as usize] ^= 0x40;
    std::fs::write(&segs[1], bytes).unwrap();
    set_len(&segs[2], 0);
    std::fs::remove_file(naming::manifest_path(dir, LOG)).unwrap();
}

/// Opens the log in `backing` through a mount whose power goes at change
/// `cut_at`, and closes it if the open got through; returns how many
/// changes and syncs the recovery made if the cut never struck.
fn recover_cut_at(root: &TempDir, backing: &Path, cut_at: u64, d: Durability) -> Option<u64> {
    let mnt = root.join(format!("mnt-{cut_at}-{}", std::process::id()));
    std::fs::create_dir_all(&mnt).unwrap();
    let pc = PowerCut::mount_cut_at(backing, &mnt, cut_at);
    // After a cut every call fails: what the recovery left is checked
    // once the power is back, not here.
    if let Ok(w) = LogWriter::open(mnt.join("log"), LOG, opts(d)) {
        let _ = w.close();
    }
    let served = pc.end();
    let _ = std::fs::remove_dir(&mnt);
    served
}

/// Opens the log in `dir` as it is (no cut), writes 3 records and checks
/// the log: every valid record written before read once with its bytes,
/// the new ones read, and no number twice.
fn check_after_cuts(dir: &Path, ctx: &str, d: Durability) {
    let w = LogWriter::open(dir, LOG, opts(d)).unwrap_or_else(|e| panic!("{ctx}: {e}"));
    let new: Vec<u64> = (0..3)
        .map(|k| w.write("new", &payload("new", k)).unwrap())
        .collect();
    w.close().unwrap();
    let mut r = LogReader::open(dir, LOG).unwrap();
    r.skip_damaged(true);
    let (mut old, mut new_read, mut last) = (Vec::new(), Vec::new(), None);
    while let Some(rec) = r.next().unwrap_or_else(|e| panic!("{ctx}: {e}")) {
        assert!(last < Some(rec.seq), "{ctx}: record {} again", rec.seq);
        last = Some(rec.seq);
        match rec.type_name {
            "old" => {
                assert_eq!(rec.payload, &payload("old", rec.seq)[..], "{ctx}");
                old.push(rec.seq);
            }
            _ => new_read.push(rec.seq),
        }
    }
    let valid: Vec<u64> = (0..20).filter(|&s| s != DAMAGED).collect();
    assert_eq!(old, valid, "{ctx}: every valid record, once");
    assert_eq!(new_read, new, "{ctx}: the records written after");
    assert!(
        new[0] >= 20,
        "{ctx}: numbered from {}, below the salvaged records",
        new[0]
    );
}

/// A power cut at each step of a log's recovery, and a second at a step
/// of the recovery the next open makes of what the first left: the log
/// that opens after them numbers above every record any file of it holds,
/// and reads every valid record once. Under `EveryRecord` the recovery
/// syncs the segment it seals before it starts the next one.
#[test]
fn power_cuts_at_any_two_steps_of_a_durable_recovery_give_no_number_twice() {
    cut_twice(Durability::EveryRecord, "durable");
}

/// As above under `None`, where sealing syncs nothing of its own.
#[test]
fn power_cuts_at_any_two_steps_of_a_recovery_under_none_give_no_number_twice() {
    cut_twice(Durability::None, "none");
}

fn cut_twice(d: Durability, tag: &str) {
    let root = TempDir::new(&format!("recovery-cuts-{tag}"));
    let pristine = root.join("pristine");
    damaged_log(&pristine.join("log"), d);
    let backing = root.join("backing");
    let fresh = |from: &Path| {
        let _ = std::fs::remove_dir_all(&backing);
        copy_tree(from, &backing);
    };
    fresh(&pristine);
    let steps = recover_cut_at(&root, &backing, u64::MAX, d).expect("no cut");
    check_after_cuts(&backing.join("log"), "no cut", d);
    assert!(steps >= 10, "a recovery of {steps} steps only");
    let seconds = knob("BINLOG_RECOVERY_CUTS", 3);
    let mut rng = Rng::from_env(0x5eedc07);
    let after_first = root.join("after-first");
    let (mut cut_once, mut cut_twice) = (0, 0);
    for first in 1.. {
        fresh(&pristine);
        // Background work (write-behind, prepared space) makes the count
        // of steps vary a little from run to run.
        if recover_cut_at(&root, &backing, first, d).is_some() {
            break;
        }
        cut_once += 1;
        let _ = std::fs::remove_dir_all(&after_first);
        copy_tree(&backing, &after_first);
        let then = recover_cut_at(&root, &backing, u64::MAX, d).expect("no cut");
        check_after_cuts(&backing.join("log"), &format!("cut at {first}"), d);
        let picks: Vec<u64> = match seconds >= then {
            true => (1..=then).collect(),
            false => (0..seconds).map(|_| 1 + rng.below(then)).collect(),
        };
        for second in picks {
            fresh(&after_first);
            let ctx = format!("cut at {first}, then at {second}");
            let struck = recover_cut_at(&root, &backing, second, d).is_none();
            check_after_cuts(&backing.join("log"), &ctx, d);
            cut_twice += struck as u64;
        }
    }
    assert!(
        cut_once + 2 >= steps,
        "cut at {cut_once} of {steps} steps only"
    );
    assert!(cut_twice >= cut_once, "cut twice {cut_twice} times only");
}

/// Copies directory tree `from` to `to`.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        match e.file_type().unwrap().is_dir() {
            true => copy_tree(&e.path(), &dest),
            false => drop(std::fs::copy(e.path(), dest).unwrap()),
        }
    }
}
