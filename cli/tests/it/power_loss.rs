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
//! A forward-secure log's epoch key file lives on the power-cut
//! filesystem too, beside the log (a writer's host loses both at once):
//! its writer rewrites it (tmp, fsync, rename) as epochs end, and a cut
//! may leave the old file or the new one; the log opens and signs after
//! either.
//!
//! Root and /dev/fuse are needed. `BINLOG_POWER_CUTS` sets the cuts per
//! test (default 40 for a log, 24 for the forward-secure log, 16 for a
//! standalone segment: 328 in `cargo test`); `make torture` sets 2,000.
//! `BINLOG_TEST_SEED` replays a run.

use crate::common;

use binlog::sign::Signing;
use binlog::{Compression, LogOptions, LogWriter, Reader, Retention};
use binlog::{Durability, Options};
use common::power_loss::{
    cut_loop, record, AfterCut, AnyWriter, Bound, EpochsSeen, Suite, Target, CHILD_ENV, DIR_ENV,
    LOG, MARK,
};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
    /// As `Signed`, a roll every 100, by forward-secure epoch keys (epochs
    /// of a second, the key file on the mount beside the log): the log also
    /// rolls at each epoch's end and erases past epochs' keys from the file
    /// once their segments are sealed (the background thread's checkpoint,
    /// while no seal is pending: segments of 100 leave it room).
    ForwardSecure,
}

impl Mode {
    const ALL: [Mode; 11] = [
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
        Mode::ForwardSecure,
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
            Mode::ForwardSecure => {
                "power_cuts_of_a_forward_secure_log_leave_a_chain_the_master_key_verifies"
            }
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
            Mode::EveryN
            | Mode::Compressing
            | Mode::SegmentEveryN
            | Mode::Signed
            | Mode::ForwardSecure => Durability::EveryN(BATCH),
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
            ..Options::default()
        }
    }

    fn options(self) -> LogOptions {
        let per = match self {
            Mode::EveryRecord => 6,
            Mode::EveryN | Mode::Compressing | Mode::Signed => 40,
            Mode::ForwardSecure => 100,
            Mode::Interval => 30,
            _ => 25,
        };
        let background = matches!(
            self,
            Mode::EveryN | Mode::Compressing | Mode::Signed | Mode::ForwardSecure
        );
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

    /// Who signs the log in `dir`: the fixed key, or the epoch keys in
    /// the key file beside it (read from the mount, as the cut left it).
    fn signing(self, dir: &Path) -> binlog::Result<Option<Signing>> {
        match self {
            Mode::Signed => Ok(Some(signing_key())),
            Mode::ForwardSecure => Signing::from_key_file(epoch_key_file(dir)).map(Some),
            _ => Ok(None),
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
    let mut opts = mode.options();
    opts.segment.signing =
        (mode.signing(&dir)).unwrap_or_else(|e| fail(format!("read the signing key: {e}")));
    let w = AnyWriter::open(mode.target(), &dir, opts)
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
        default_cuts: match (mode, mode.target()) {
            (Mode::ForwardSecure, _) => 24,
            (_, Target::Log) => 40,
            (_, Target::Segment) => 16,
        },
        seals_at_roll: !mode.options().seal_in_background,
        after_cut: match mode {
            Mode::Signed => Some(one_signed_chain as AfterCut),
            Mode::ForwardSecure => Some(forward_secure_after_cut as AfterCut),
            _ => None,
        },
        new_log: (mode == Mode::ForwardSecure).then_some(new_epoch_key_file as _),
    };
    let t = cut_loop(&suite, seed);
    // However fast the cuts came, each log crossed an epoch every few
    // (`CHECKS_PER_EPOCH`): with enough cuts, the writers erased keys and
    // sealed segments in several epochs.
    if mode == Mode::ForwardSecure && t.cuts >= 4 * CHECKS_PER_EPOCH as usize {
        let seen = &t.epochs;
        assert!(
            seen.keys_erased > 0 && seen.most_epochs_sealed >= 2,
            "{seen:?}"
        );
    }
}

fn signing_key() -> binlog::sign::Signing {
    common::signed::fixed_key("power-loss-signing", 0xa5)
}

/// A signed log after a cut: every seal that reads as whole is signed by
/// the key and the log one chain (a signature is never half-written into
/// a seal that reads as valid).
fn one_signed_chain(dir: &Path, _: &mut EpochsSeen) -> Result<(), String> {
    common::signed::one_signed_chain(dir, LOG, &signing_key())
}

/// The forward-secure log's epochs: a second, the shortest `binlog keys
/// epochs` makes.
const EPOCH_NS: i64 = 1_000_000_000;
/// Its schedule's epochs: about as many seconds as a log's 50 cuts last
/// (past the last one, its key signs on, erasing none). Each child reads
/// and checks them all.
const EPOCHS: u64 = 64;
/// Checks of one log in one epoch after which the check waits for the
/// next epoch: each log's writes cross several epochs, however fast the
/// cuts come.
const CHECKS_PER_EPOCH: u32 = 3;

/// The key that certifies the forward-secure log's epoch keys, kept off
/// the mount (as off the writer's host).
fn master_key() -> Signing {
    common::signed::fixed_key("power-loss-master", 0x3c)
}

/// The epoch key file of the log in `dir`: `keys/pl.epochs` beside it.
fn epoch_key_file(dir: &Path) -> PathBuf {
    dir.with_file_name("keys").join(format!("{LOG}.epochs"))
}

fn now_ns() -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    now.as_nanos() as i64
}

/// A new forward-secure log's epoch key file (in the backing directory:
/// on the device before the first mount): epochs of a second from the one
/// before now, certified by the master key.
fn new_epoch_key_file(dir: &Path) {
    master_key();
    let master = Path::new(env!("CARGO_TARGET_TMPDIR")).join("power-loss-master.key");
    let path = epoch_key_file(dir);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let start = (now_ns().div_euclid(EPOCH_NS) - 1) * EPOCH_NS;
    Signing::new_epoch_keys(master, path, (start, EPOCH_NS, EPOCHS)).unwrap();
}

/// The schedule's start and the epochs kept in the epoch key file at
/// `path` (its first line's third word; each later line's first), or the
/// first line that has none.
fn kept_epochs(path: &Path) -> Result<(i64, Vec<u64>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let bad = |n: usize, l: &str| format!("{}: line {} is torn: {l:?}", path.display(), n + 1);
    let mut lines = text.lines().enumerate();
    let first = lines.next().map_or("", |(_, l)| l);
    let start = first.split(' ').nth(2).and_then(|w| w.parse().ok());
    let start = start.ok_or_else(|| bad(0, first))?;
    let mut kept = Vec::new();
    for (n, l) in lines {
        let index = l.split(' ').next().and_then(|w| w.parse().ok());
        kept.push(index.ok_or_else(|| bad(n, l))?);
    }
    Ok((start, kept))
}

/// A forward-secure log after a cut (its directory `dir` in the backing
/// directory):
///
/// - one chain that the master key verifies (as `binlog verify --trust
///   master.key.pub`; no seal by a later epoch's key than its records',
///   `OutOfEpoch`), every seal by an epoch key;
/// - its key file is the old file or the new one, never torn: the
///   schedule's last epochs (and the next child opens it, checking every
///   key's certificate: a refusal fails the cut), the oldest kept one no
///   older than at the check before (a key erased does not come back; a
///   cut may lose an erasing in flight, as any rewrite) and begun (no key
///   of an epoch not over is erased);
/// - a segment the cut left unsealed has the key of its records' epoch
///   still (a key is erased once its segments are sealed, durably): its
///   seal will be in its epoch.
fn forward_secure_after_cut(dir: &Path, seen: &mut EpochsSeen) -> Result<(), String> {
    common::signed::one_signed_chain(dir, LOG, &master_key())?;
    let path = epoch_key_file(dir);
    let (start, kept) = kept_epochs(&path)?;
    let oldest = kept[0];
    if kept != (oldest..EPOCHS).collect::<Vec<_>>() {
        return Err(format!("{} keeps epochs {kept:?}", path.display()));
    }
    let before = seen.oldest_kept.unwrap_or(0);
    if oldest < before {
        return Err(format!(
            "{} keeps epoch {oldest}'s key, erased before the cut (from {before} on then)",
            path.display()
        ));
    }
    let epoch_of = |t: i64| (t - start).div_euclid(EPOCH_NS);
    let now = epoch_of(now_ns());
    if oldest as i64 > now {
        return Err(format!(
            "{} erased the key of epoch {}, not over (now {now})",
            path.display(),
            oldest - 1
        ));
    }
    seen.keys_erased += oldest - before;
    seen.oldest_kept = Some(oldest);
    let mut sealed_in = std::collections::BTreeSet::new();
    let files = binlog::log::segments::list(dir, LOG).map_err(|e| e.to_string())?;
    for f in &files {
        let Ok(mut r) = Reader::open(&f.path) else {
            continue;
        };
        if let Some(seal) = r.seal() {
            let epoch = seal.chain.as_ref().and_then(|c| c.epoch.as_ref());
            let epoch = epoch.ok_or(format!("{}: sealed by no epoch key", f.path.display()))?;
            sealed_in.insert(epoch.start_ns);
        } else if let Ok(Some(first)) = r.next() {
            let epoch = epoch_of(first.timestamp_ns);
            if epoch < oldest as i64 {
                return Err(format!(
                    "{}, unsealed after the cut, holds records of epoch {epoch}, whose key is \
                     erased (the key file keeps epochs {oldest}..)",
                    f.path.display()
                ));
            }
        }
    }
    seen.most_epochs_sealed = seen.most_epochs_sealed.max(sealed_in.len());
    // Three checks in an epoch: this one waits for the next.
    let checks = match seen.checked_in {
        Some((e, n)) if e == now => n + 1,
        _ => 1,
    };
    seen.checked_in = Some((now, checks));
    if checks >= CHECKS_PER_EPOCH {
        let next = start + (now + 1) * EPOCH_NS;
        std::thread::sleep(Duration::from_nanos(
            (next - now_ns()).max(0) as u64 + 10_000_000,
        ));
        seen.waits += 1;
    }
    Ok(())
}

#[test]
fn power_cuts_of_a_forward_secure_log_leave_a_chain_the_master_key_verifies() {
    run(Mode::ForwardSecure, 0x90ea);
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
