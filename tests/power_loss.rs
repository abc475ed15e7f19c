//! Power cuts, not process kills: a SIGKILL leaves the page cache whole,
//! so a missing fsync passes every kill test. Here the log lives on the
//! power-cut filesystem (tests/powercut: what was not synced is lost at
//! the cut, or a seeded part of it kept: torn pages of 4 KiB and 512 B,
//! the oldest unsynced directory operations). A child writes to a rolling
//! log through the library and reports each write and `durable_seq`; the
//! power is cut at a random moment; the log that survived is checked
//! against each durability policy's promise (tests/common/power_loss.rs
//! says what is checked), then the next child recovers it and writes on.
//!
//! Root and /dev/fuse are needed. `BINLOG_POWER_CUTS` sets the cuts per
//! test (default 40: 200 in `cargo test`); `make torture` sets 2,000.
//! `BINLOG_TEST_SEED` replays a run.

mod common;

use binlog::{Compression, LogOptions, LogWriter, Retention};
use binlog::{Durability, Options};
use common::power_loss::{cut_loop, record, Bound, CHILD_ENV, DIR_ENV, LOG, MARK};
use std::path::PathBuf;
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
}

impl Mode {
    const ALL: [Mode; 5] = [
        Mode::EveryRecord,
        Mode::EveryN,
        Mode::Interval,
        Mode::NoneSynced,
        Mode::Compressing,
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
        }
    }

    fn bound(self) -> Bound {
        match self {
            Mode::EveryRecord => Bound::EveryRecord,
            Mode::EveryN | Mode::Compressing => Bound::EveryN(u64::from(BATCH)),
            Mode::Interval | Mode::NoneSynced => Bound::DurableSeq,
        }
    }

    fn options(self) -> LogOptions {
        let (durability, per) = match self {
            Mode::EveryRecord => (Durability::EveryRecord, 6),
            Mode::EveryN | Mode::Compressing => (Durability::EveryN(BATCH), 40),
            Mode::Interval => (Durability::Interval(Duration::from_millis(5)), 30),
            Mode::NoneSynced => (Durability::None, 25),
        };
        let background = matches!(self, Mode::EveryN | Mode::Compressing);
        LogOptions {
            max_segment_records: Some(per),
            segment: Options {
                durability,
                buffer_size: 4096,
                ..Options::default()
            },
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

/// In a child: open the log (recovering it), then write until the power
/// goes (the first failing call ends the child).
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
    let w =
        LogWriter::open(&dir, LOG, mode.options()).unwrap_or_else(|e| fail(format!("open: {e}")));
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
        if mode == Mode::NoneSynced && (seq + 1) % SYNC_EVERY == 0 {
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
    cut_loop(mode.test_name(), &mode.name(), mode.bound(), seed);
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
    let (backing, mnt) = (root.join("backing"), root.join("mnt"));
    std::fs::create_dir_all(&mnt).unwrap();
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
