//! Power cuts, not process kills: a SIGKILL leaves the page cache whole,
//! so a missing fsync passes every kill test. Here the log lives on the
//! power-cut filesystem (tests/powercut: what was not synced is lost at
//! the cut, or a seeded part of it kept: torn pages of 4 KiB and 512 B,
//! the oldest unsynced directory operations). A child writes to a rolling
//! log (or a standalone segment, the `Segment*` modes) through the
//! library and reports each write and `durable_seq`; the
//! power is cut at a random moment; the log that survived is checked
//! against each durability policy's promise (tests/it/common/power_loss.rs
//! says what is checked), then the next child recovers it and writes on.
//!
//! Root and /dev/fuse are needed. `BINLOG_POWER_CUTS` sets the cuts per
//! test (default 40 for a log, 16 for a standalone segment: 264 in
//! `cargo test`); `make torture` sets 2,000.
//! `BINLOG_TEST_SEED` replays a run.

use crate::common;

use binlog::{Compression, LogOptions, LogWriter, Retention};
use binlog::{Durability, Options};
use common::power_loss::{
    cut_loop, record, AnyWriter, Bound, Suite, Target, CHILD_ENV, DIR_ENV, LOG, MARK,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `EveryN`'s batch.
const BATCH: u32 = 8;
/// Under `None`, the child syncs after every this many records.
const SYNC_EVERY: u64 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// `EveryRecord`, a roll every 6 records, retention of 4 sealed
    /// segments.
    EveryRecord,
    /// `EveryN(8)`, a roll every 40, sealed in the background.
    EveryN,
    /// `Interval(5 ms)`, a roll every 30.
    Interval,
    /// `None`, a roll every 25, a `sync` every 10 records.
    NoneSynced,
    /// `EveryN(8)`, each sealed segment compressed in the background.
    Compressing,
    /// A standalone segment (`binlog::Writer`, no log) under `EveryRecord`.
    SegmentEveryRecord,
    /// A standalone segment under `EveryN(8)`.
    SegmentEveryN,
    /// A standalone segment under `Interval(5 ms)`.
    SegmentInterval,
    /// A standalone segment under `None`, a `sync` every 10 records.
    SegmentNoneSynced,
    /// `EveryN(8)`, a roll every 40, sealed in the background, every seal
    /// signed: after each cut the log is also one signed chain.
    Signed,
}

impl Mode {
    const ALL: [Mode; 10] = [
        Mode::EveryRecord,
        Mode::EveryN,
        Mode::Interval,
        Mode::NoneSynced,
        Mode::Compressing,
        Mode::SegmentEveryRecord,
        Mode::SegmentEveryN,
        Mode::SegmentInterval,
        Mode::SegmentNoneSynced,
        Mode::Signed,
    ];

    fn name(self) -> String {
        format!("{self:?}")
    }

    fn test_name(self) -> &'static str {
        match self {
            Mode::EveryRecord => "power_cuts_lose_no_acknowledged_record_under_every_record",
            Mode::EveryN => "power_cuts_lose_at_most_n_minus_1_records_under_every_n",
            Mode::Interval => "power_cuts_lose_nothing_durable_seq_covered_under_interval",
            Mode::NoneSynced => "power_cuts_lose_nothing_synced_under_none",
            Mode::Compressing => "power_cuts_while_sealed_segments_are_compressed_lose_nothing",
            Mode::SegmentEveryRecord => {
                "power_cuts_lose_no_acknowledged_record_of_a_standalone_segment_under_every_record"
            }
            Mode::SegmentEveryN => {
                "power_cuts_lose_at_most_n_minus_1_records_of_a_standalone_segment_under_every_n"
            }
            Mode::SegmentInterval => {
                "power_cuts_lose_nothing_durable_seq_covered_of_a_standalone_segment_under_interval"
            }
            Mode::SegmentNoneSynced => {
                "power_cuts_lose_nothing_synced_of_a_standalone_segment_under_none"
            }
            Mode::Signed => "power_cuts_of_a_signed_log_leave_one_signed_chain",
        }
    }

    fn target(self) -> Target {
        match self {
            Mode::SegmentEveryRecord
            | Mode::SegmentEveryN
            | Mode::SegmentInterval
            | Mode::SegmentNoneSynced => Target::Segment,
            _ => Target::Log,
        }
    }

    fn bound(self) -> Bound {
        match self.durability() {
            Durability::EveryRecord => Bound::EveryRecord,
            Durability::EveryN(n) => Bound::EveryN(u64::from(n)),
            _ => Bound::DurableSeq,
        }
    }

    fn durability(self) -> Durability {
        match self {
            Mode::EveryRecord | Mode::SegmentEveryRecord => Durability::EveryRecord,
            Mode::EveryN | Mode::Compressing | Mode::SegmentEveryN | Mode::Signed => {
                Durability::EveryN(BATCH)
            }
            Mode::Interval | Mode::SegmentInterval => {
                Durability::Interval(Duration::from_millis(5))
            }
            Mode::NoneSynced | Mode::SegmentNoneSynced => Durability::None,
        }
    }

    fn segment_options(self) -> Options {
        Options {
            durability: self.durability(),
            buffer_size: 4096,
            signing: (self == Mode::Signed).then(signing_key),
            ..Options::default()
        }
    }

    fn options(self) -> LogOptions {
        let per = match self {
            Mode::EveryRecord => 6,
            Mode::EveryN | Mode::Compressing | Mode::Signed => 40,
            Mode::Interval => 30,
            _ => 25,
        };
        let background = matches!(self, Mode::EveryN | Mode::Compressing | Mode::Signed);
        LogOptions {
            max_segment_records: Some(per),
            segment: self.segment_options(),
            background,
            seal_in_background: background,
            retention: Retention {
                max_segments: (self == Mode::EveryRecord).then_some(4),
                ..Retention::default()
            },
            compression: (self == Mode::Compressing).then(|| Compression {
                frame_size: 16 << 10,
                ..Compression::default()
            }),
            ..LogOptions::default()
        }
    }
}

fn say(line: String) {
    common::child::say(MARK, &line);
}

/// In a child: open the log or segment (recovering it), then write until
/// the power goes (the first failing call ends the child).
fn run_child_if_asked() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mode = *Mode::ALL.iter().find(|m| m.name() == mode).expect("a mode");
    let dir = PathBuf::from(std::env::var(DIR_ENV).expect("child needs a directory"));
    let fail = |what: String| -> ! {
        say(format!("ERR {what}"));
        std::process::exit(3)
    };
    let w = AnyWriter::open(mode.target(), &dir, mode.options())
        .unwrap_or_else(|e| fail(format!("open {:?} at {:?}: {e}", e.kind(), e.offset())));
    let start = w
        .next_seq()
        .unwrap_or_else(|e| fail(format!("next_seq: {e}")));
    say(format!("START {start}"));
    for seq in start.. {
        let (ty, p) = record(seq);
        match w.write(ty, &p) {
            Ok(s) if s == seq => {}
            Ok(s) => fail(format!("write returned seq {s}, expected {seq}")),
            Err(e) => fail(format!("write {seq}: {e}")),
        }
        if mode.durability() == Durability::None && (seq + 1) % SYNC_EVERY == 0 {
            w.sync().unwrap_or_else(|e| fail(format!("sync: {e}")));
        }
        let durable = w
            .durable_seq()
            .unwrap_or_else(|e| fail(format!("durable_seq: {e}")));
        say(format!("A {seq} {durable}"));
    }
    unreachable!()
}

fn run(mode: Mode, seed: u64) {
    run_child_if_asked();
    let suite = Suite {
        test_name: mode.test_name(),
        mode: &mode.name(),
        bound: mode.bound(),
        target: mode.target(),
        default_cuts: match mode.target() {
            Target::Log => 40,
            Target::Segment => 16,
        },
        seals_at_roll: !mode.options().seal_in_background,
        after_cut: (mode == Mode::Signed).then_some(one_signed_chain as _),
    };
    cut_loop(&suite, seed);
}

fn signing_key() -> binlog::sign::Signing {
    common::signed::fixed_key("power-loss-signing", 0xa5)
}

/// A signed log after a cut: every seal that reads as whole is signed by
/// the key and the log one chain (a signature is never half-written into
/// a seal that reads as valid).
fn one_signed_chain(dir: &Path) -> Result<(), String> {
    common::signed::one_signed_chain(dir, LOG, &signing_key())
}

#[test]
fn power_cuts_of_a_signed_log_leave_one_signed_chain() {
    run(Mode::Signed, 0x90e6);
}

#[test]
fn power_cuts_lose_no_acknowledged_record_under_every_record() {
    run(Mode::EveryRecord, 0x90e1);
}

#[test]
fn power_cuts_lose_at_most_n_minus_1_records_under_every_n() {
    run(Mode::EveryN, 0x90e2);
}

#[test]
fn power_cuts_lose_nothing_durable_seq_covered_under_interval() {
    run(Mode::Interval, 0x90e3);
}

#[test]
fn power_cuts_lose_nothing_synced_under_none() {
    run(Mode::NoneSynced, 0x90e4);
}

#[cfg(feature = "compression")]
#[test]
fn power_cuts_while_sealed_segments_are_compressed_lose_nothing() {
    run(Mode::Compressing, 0x90e5);
}

#[test]
fn power_cuts_lose_no_acknowledged_record_of_a_standalone_segment_under_every_record() {
    run(Mode::SegmentEveryRecord, 0x90e6);
}

#[test]
fn power_cuts_lose_at_most_n_minus_1_records_of_a_standalone_segment_under_every_n() {
    run(Mode::SegmentEveryN, 0x90e7);
}

#[test]
fn power_cuts_lose_nothing_durable_seq_covered_of_a_standalone_segment_under_interval() {
    run(Mode::SegmentInterval, 0x90e8);
}

#[test]
fn power_cuts_lose_nothing_synced_of_a_standalone_segment_under_none() {
    run(Mode::SegmentNoneSynced, 0x90e9);
}

/// Under `None`, a segment a roll created reaches the disk with its header
/// before anything can make its name durable (here another program's
/// fsync of the directory): a cut that keeps a later page of the segment
/// and not its first (torn pages, 4 KiB) must not leave a file whose
/// header is zeros, which neither the writer nor `binlog repair` would
/// open. Seeds 0..16 of the tool: each keeps a different half of the
/// unsynced pages.
#[test]
fn a_segment_whose_name_survives_a_cut_has_its_header_under_none() {
    use common::powercut::{Keep, PowerCut};
    let root = common::TempDir::new("power-header");
    let backing = root.join("backing");
    let opts = || LogOptions {
        segment: Options {
            durability: Durability::None,
            ..Options::default()
        },
        ..LogOptions::default()
    };
    for seed in 0..16 {
        let _ = std::fs::remove_dir_all(&backing);
        std::fs::create_dir_all(backing.join("log")).unwrap();
        // A mount point of its own each round: the writer forgotten at the
        // last cut may still have a thread at work on paths under the old
        // one, which must not reach this mount.
        let mnt = root.join(format!("mnt-{seed}"));
        std::fs::create_dir_all(&mnt).unwrap();
        let fs = PowerCut::mount(&backing, &mnt, Keep::TornPages(4096), seed);
        let dir = fs.path().join("log");
        let w = LogWriter::open(&dir, LOG, opts()).unwrap();
        w.write("ev", b"first").unwrap();
        w.roll().unwrap();
        for seq in 1..8 {
            w.write("ev", &common::payload_bytes(seq, 3000)).unwrap();
        }
        w.flush().unwrap();
        std::fs::File::open(&dir).unwrap().sync_all().unwrap();
        // The power goes with the writer still open.
        std::mem::forget(w);
        fs.cut();
        let fs = PowerCut::mount(&backing, &mnt, Keep::Nothing, 0);
        // A later page kept and an earlier one lost, past the header, is
        // damage in the middle, which the writer backs up and cuts
        // (docs/FORMAT.md section 12): the log opens whatever the cut kept.
        match LogWriter::open(fs.path().join("log"), LOG, opts()) {
            Ok(w) => w.close().unwrap(),
            Err(e) => panic!("tool seed {seed}: the log does not open after the cut: {e}"),
        }
    }
}
