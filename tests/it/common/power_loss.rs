//! The power-cut loop shared by cli/tests/it/power_loss*.rs. A round: mount the
//! power-cut filesystem (tests/it/common/powercut.rs) over the backing
//! directory, start a child (the test binary, re-executed) that opens the
//! rolling log there, or a standalone segment (`Target`), recovering what
//! the last cut left, writes and
//! reports on a pipe; cut the power at a seeded random moment (a quarter of
//! the cuts during the child's start, while it recovers); then check the
//! backing directory, which holds exactly what survived:
//!
//! - the log reads (skipping damage) every record in order with its bytes,
//!   none numbered twice; the gaps (`LogReader::gaps`) and the damaged
//!   regions skipped inside a file (`LogReader::damages`) are counted;
//! - no record the child was told is durable is missing: `durable_seq`
//!   (every policy), every acknowledged write (`EveryRecord`), all but the
//!   last n - 1 acknowledged (`EveryN(n)`), everything before the last
//!   `sync` returned (`None`); and no damaged region lies before such a
//!   record in its file (an fdatasync persists every earlier byte);
//! - a segment the child rolled away from before its last durable point is
//!   sealed and reads whole, where the log seals at the roll (not in the
//!   background): its seal was synced by the policy, or under `None` by
//!   the `sync` that made that point durable;
//! - a record a check read is never lost after: its bytes were on the
//!   device then, and no open, salvage or cut takes a readable record out
//!   of the log (a writer copies the records after damage into a salvaged
//!   file before it cuts, docs/FORMAT.md section 12); only retention
//!   removes the oldest segments;
//! - the writer opens the log whatever the cut left, and the next child
//!   starts above every record the log held (none given twice). A
//!   standalone segment's writer refuses damage in its middle (`Corrupt`,
//!   naming the file and the offset; section 12: a segment cannot skip
//!   numbers inside itself), and the refusal changes nothing: every record
//!   read before is still there; counted, and a fresh segment follows;
//! - a segment seen sealed (or compressed) after a cut keeps its bytes
//!   until retention or compression removes it;
//! - the suite's own checks (`Suite::after_cut`): a signed log's chain, a
//!   forward-secure log's epoch key file.

use super::child::ChildProc;
use super::powercut::{Keep, PowerCut};
use super::{knob, Rng, TempDir};
use binlog::log::segments;
use binlog::{LogOptions, LogReader, LogWriter, Reader, Writer};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::Path;
use std::time::{Duration, Instant};

pub const CHILD_ENV: &str = "BINLOG_POWER_CHILD";
pub const DIR_ENV: &str = "BINLOG_POWER_DIR";
pub const MARK: &str = "#powerloss# ";
pub const LOG: &str = "pl";
/// The standalone segment's name in the log directory (`Target::Segment`).
pub const SEGMENT: &str = "standalone.binlog";

/// What the child writes: a rolling log named `LOG`, or one standalone
/// segment `SEGMENT` (a `binlog::Writer`), both in the mount's `log`
/// directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Log,
    Segment,
}

/// A writer of a `Target`: a rolling log, or a standalone segment written
/// with the log options' segment options.
pub enum AnyWriter {
    Log(LogWriter),
    Segment(Writer),
}

impl AnyWriter {
    pub fn open(target: Target, dir: &Path, opts: LogOptions) -> binlog::Result<AnyWriter> {
        Ok(match target {
            Target::Log => AnyWriter::Log(LogWriter::open(dir, LOG, opts)?),
            Target::Segment => AnyWriter::Segment(Writer::open(dir.join(SEGMENT), opts.segment)?),
        })
    }

    pub fn next_seq(&self) -> binlog::Result<u64> {
        match self {
            AnyWriter::Log(w) => w.next_seq(),
            AnyWriter::Segment(w) => Ok(w.next_seq()),
        }
    }

    pub fn write(&self, ty: &str, p: &[u8]) -> binlog::Result<u64> {
        match self {
            AnyWriter::Log(w) => w.write(ty, p),
            AnyWriter::Segment(w) => w.write(ty, p),
        }
    }

    pub fn sync(&self) -> binlog::Result<()> {
        match self {
            AnyWriter::Log(w) => w.sync(),
            AnyWriter::Segment(w) => w.sync(),
        }
    }

    pub fn durable_seq(&self) -> binlog::Result<u64> {
        match self {
            AnyWriter::Log(w) => w.durable_seq(),
            AnyWriter::Segment(w) => Ok(w.durable_seq()),
        }
    }
}

/// A reader of what a `Target` holds in `dir`, skipping damage; `None`
/// when it holds nothing yet.
pub fn open_target(target: Target, dir: &Path) -> binlog::Result<Option<LogReader>> {
    let r = match target {
        Target::Log if segments::list(dir, LOG)?.is_empty() => return Ok(None),
        Target::Log => LogReader::open(dir, LOG)?,
        Target::Segment if !dir.join(SEGMENT).exists() => return Ok(None),
        Target::Segment => LogReader::open_files(vec![dir.join(SEGMENT)])?,
    };
    Ok(Some(r))
}

/// One suite of cuts: the child's test (re-executed with `CHILD_ENV` set
/// to `mode`), what its acknowledgements promise, what it writes.
pub struct Suite<'a> {
    pub test_name: &'a str,
    pub mode: &'a str,
    pub bound: Bound,
    pub target: Target,
    /// Cuts unless `BINLOG_POWER_CUTS` says otherwise.
    pub default_cuts: u64,
    /// Whether a log's roll seals the segment it leaves before the write
    /// that rolled returns (no sealing in the background): then a segment
    /// the child rolled away from before its last durable point (a `sync`
    /// under `None`) is sealed and whole after the cut.
    pub seals_at_roll: bool,
    /// A check of the log (its directory) after each cut, beside the
    /// records' (a signed log's chain; a forward-secure log's key file).
    pub after_cut: Option<AfterCut>,
    /// Makes what a new log needs before its first child, given its
    /// directory in the backing directory (a forward-secure log's epoch
    /// key file, beside it).
    pub new_log: Option<fn(&Path)>,
}

/// A check of a log's directory after a cut (`Suite::after_cut`), with
/// what the checks of a forward-secure log follow across cuts.
pub type AfterCut = fn(&Path, &mut EpochsSeen) -> Result<(), String>;

/// What the checks of a forward-secure log (`Suite::after_cut`) follow
/// across cuts: of the log's (`new_log` resets them), and counts over the
/// test, printed with the tally.
#[derive(Debug, Default)]
pub struct EpochsSeen {
    /// The oldest epoch whose key the log's key file held at the last
    /// check (`None`: the schedule's first).
    pub oldest_kept: Option<u64>,
    /// The epoch the last checks of this log fell in, and how many did.
    pub checked_in: Option<(i64, u32)>,
    /// Keys seen erased from the key files, over the test.
    pub keys_erased: u64,
    /// The most epochs whose keys signed the seals of one log.
    pub most_epochs_sealed: usize,
    /// Checks that waited for the next epoch (so that each log's writes
    /// cross several, however fast the cuts come).
    pub waits: usize,
}

impl EpochsSeen {
    /// A new log: nothing seen of it yet.
    fn new_log(&mut self) {
        (self.oldest_kept, self.checked_in) = (None, None);
    }
}

/// Cuts on one log before a fresh one, so a check (it reads the log
/// whole) stays cheap in long runs.
const CUTS_PER_LOG: usize = 50;

/// Record `seq`: its type and payload; mostly small, now and then larger
/// than a page or the writer's buffer, so cuts tear them.
pub fn record(seq: u64) -> (&'static str, Vec<u8>) {
    let len = match seq % 29 {
        0 => 20_000,
        7 | 19 => 5_000,
        _ => ((seq * 37) % 250) as usize,
    };
    let p = super::payload_bytes(seq, len);
    (["ev", "other", "третий"][(seq % 3) as usize], p)
}

/// What the child's acknowledgements promise, by durability policy.
#[derive(Clone, Copy, Debug)]
pub enum Bound {
    /// Every acknowledged write survives.
    EveryRecord,
    /// All but the last n - 1 acknowledged writes survive.
    EveryN(u64),
    /// What `durable_seq` (or a `sync` that returned) covered survives.
    DurableSeq,
}

/// Whether a record read is the one written under its number. A type
/// whose defining record was lost in damage is named as lost (a reader's
/// `<lost type N>`, a salvage's `unknown-type-N`).
pub fn written_as(seq: u64, type_name: &str, payload: &[u8]) -> Result<(), String> {
    let (ty, p) = record(seq);
    if payload != &p[..] {
        return Err(format!("record {seq} is not the one written"));
    }
    let lost = type_name.starts_with("<lost type") || type_name.starts_with("unknown-type-");
    if type_name != ty && !lost {
        return Err(format!("record {seq} has type {type_name:?}, not {ty:?}"));
    }
    Ok(())
}

/// What one child said: its first sequence number, and per write its
/// sequence number and the `durable_seq` after it.
#[derive(Debug, Default)]
struct Report {
    start: Option<u64>,
    last_acked: Option<u64>,
    durable: u64,
    errors: Vec<String>,
}

fn parse(lines: &[String]) -> Report {
    let mut r = Report::default();
    for l in lines {
        let mut w = l.split(' ');
        let mut num = || w.next().and_then(|s| s.parse::<u64>().ok());
        if let Some(rest) = l.strip_prefix("START ") {
            r.start = rest.parse().ok();
        } else if l.starts_with("A ") {
            let _ = num();
            let (Some(seq), Some(d)) = (num(), num()) else {
                continue;
            };
            r.last_acked = Some(seq);
            r.durable = r.durable.max(d);
        } else if l.starts_with("ERR") {
            r.errors.push(l.clone());
        }
    }
    r
}

/// Counts over a test's cuts, printed at its end (docs/RELIABILITY.md).
#[derive(Debug, Default)]
pub struct Tally {
    pub cuts: usize,
    pub cuts_during_start: usize,
    pub records_checked: u64,
    pub acked_unsynced_lost: u64,
    /// Cuts after which the reader met more damage (`damages`) or gaps
    /// than after the cut before, all past what was promised durable:
    /// unsynced records torn out of order.
    pub damage_past_promise: usize,
    /// Damaged regions the reader skipped inside files, summed over the
    /// checks.
    pub damages_seen: usize,
    pub sealed_checked: usize,
    /// Valid record frames in the `.corrupt-<offset>` backups writers'
    /// opens made: the damage and the records after it (never promised
    /// durable), which the open salvaged into a file of the log first.
    pub records_backed_up: u64,
    /// Checks that met a sealed segment whose records a cut damaged.
    pub damaged_seals: usize,
    /// Numbers a writer gave again: below a record the log held. Any
    /// fails the test.
    pub numbers_given_again: u64,
    /// Sequence numbers a writer left unused after a cut lost records.
    pub numbers_skipped: u64,
    /// Opens of a standalone segment refused (`Corrupt`, naming the file
    /// and the offset) over damage in its middle (lost pages before
    /// records never promised durable), the segment left as it was: a
    /// fresh segment follows.
    pub refused_mid_damage: usize,
    /// A forward-secure log's keys (`Suite::after_cut`).
    pub epochs: EpochsSeen,
    pub failures: Vec<String>,
}

/// Runs `cuts` power cuts (`BINLOG_POWER_CUTS`, else the suite's
/// default) of the child of `suite`. Fails at the end with every failure, each naming the seed
/// to replay it.
pub fn cut_loop(suite: &Suite, default_seed: u64) -> Tally {
    let mode = suite.mode;
    let seed = std::env::var("BINLOG_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_seed);
    eprintln!("{mode}: PRNG seed {seed} (set BINLOG_TEST_SEED to replay)");
    let cuts = knob("BINLOG_POWER_CUTS", suite.default_cuts) as usize;
    let mut rng = Rng::new(seed);
    let mut t = Tally::default();
    let started = Instant::now();
    let mut log = LogState::new(suite);
    for cut in 0..cuts {
        if cut > 0 && cut % CUTS_PER_LOG == 0 {
            log = LogState::new(suite);
            t.epochs.new_log();
        }
        let (keep, cut_seed) = draw_keep(&mut rng);
        let ctx = format!("{mode}, seed {seed}, cut {cut} ({keep:?}, tool seed {cut_seed})");
        let during_start = rng.below(4) == 0;
        let delay = Duration::from_millis(rng.below(if during_start { 20 } else { 150 }));
        t.cuts += 1;
        t.cuts_during_start += usize::from(during_start);
        if let Err(f) = one_cut(&mut log, suite, keep, cut_seed, during_start, delay, &mut t) {
            // The first failure ends the test (its seeds replay it).
            t.failures.push(format!("{ctx}: {f}"));
            break;
        }
    }
    eprintln!("{mode}: {t:?} in {:.1?}", started.elapsed());
    assert!(
        t.failures.is_empty(),
        "{mode}: {} failures:\n{}",
        t.failures.len(),
        t.failures.join("\n")
    );
    t
}

/// One log across cuts: its backing directory and what the cuts so far
/// left of it.
struct LogState {
    root: TempDir,
    /// The sequence number after the last record that survived.
    next: u64,
    /// The sequence number of every record that survived: later cuts
    /// keep them.
    present: Vec<u64>,
    /// The gaps and damaged regions a reader reported after the last cut.
    gaps: usize,
    /// Bytes of each segment file seen sealed or compressed.
    sealed: HashMap<String, Vec<u8>>,
}

impl LogState {
    fn new(suite: &Suite) -> LogState {
        let root = TempDir::new("power");
        std::fs::create_dir_all(root.join("backing/log")).unwrap();
        std::fs::create_dir_all(root.join("mnt")).unwrap();
        if let Some(make) = suite.new_log {
            make(&root.join("backing/log"));
        }
        LogState {
            root,
            next: 0,
            present: Vec::new(),
            gaps: 0,
            sealed: HashMap::new(),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn one_cut(
    log: &mut LogState,
    suite: &Suite,
    keep: Keep,
    seed: u64,
    during_start: bool,
    delay: Duration,
    t: &mut Tally,
) -> Result<(), String> {
    let backing = log.root.join("backing");
    let before = super::list_dir(&backing.join("log"));
    let covered = super::list_dir(&log.root.join("mnt"));
    assert!(
        covered.is_empty(),
        "something wrote {covered:?} under the mount point"
    );
    let fs = PowerCut::mount(&backing, &log.root.join("mnt"), keep, seed);
    let dir = fs.path().join("log");
    let mut child = ChildProc::spawn(
        suite.test_name,
        &[
            (CHILD_ENV, OsStr::new(suite.mode)),
            (DIR_ENV, dir.as_os_str()),
        ],
        MARK,
    );
    let mut seen = Vec::new();
    let started = during_start || child.wait_for("START", &mut seen, Duration::from_secs(120));
    if started {
        std::thread::sleep(delay);
    }
    let died_first = !started || child.has_exited();
    // The writer dies with the power: killed first, so that nothing it does
    // after the cut reaches the directory the mount covered. Its death
    // makes nothing durable (a close persists nothing), so what the cut
    // keeps is what was synced at the kill.
    let (lines, ended) = child.kill9_if_running(seen);
    fs.cut();
    let report = parse(&lines);
    if died_first && refused_over_damage(suite, &report) {
        // The refusal changed nothing: every record read after the cut
        // that left the damage is still there. The next child starts a
        // fresh segment.
        let found = check_log(log, suite.target, &backing.join("log"), t)?;
        if let Some(l) = first_lost(&log.present, &found) {
            return Err(format!("record {l} is gone after a refused open"));
        }
        t.refused_mid_damage += 1;
        *log = LogState::new(suite);
        t.epochs.new_log();
        return Ok(());
    }
    if died_first {
        // Whatever a cut left, the writer opens the log (docs/FORMAT.md
        // section 12): damage in an unsealed segment is backed up and cut.
        return Err(format!(
            "the child ended before the cut: {ended:?}, {:?}",
            report.errors
        ));
    }
    // The child goes on after every number given before it (a record lost
    // at a cut may leave its number unused), and starts no later than that
    // when the log's last record survived.
    if let Some(start) = report.start {
        if start < log.next {
            t.numbers_given_again += log.next - start;
            return Err(format!(
                "the writer started at {start}, the log it opened held records up to {} in {before:?}; now {:?}",
                log.next - 1,
                super::list_dir(&backing.join("log"))
            ));
        }
        t.numbers_skipped += start - log.next;
    }
    let found = check_log(log, suite.target, &backing.join("log"), t)?;
    if let Some(check) = suite.after_cut {
        check(&backing.join("log"), &mut t.epochs)?;
    }
    // What survived the last cut survives this one, and what was promised
    // durable, but for the oldest segments retention removed. A record
    // read then was on the device: a writer's open that met damage before
    // it (reported or cut while it recovered) salvaged it into a file of
    // the log before backing up and cutting the damage, so it is still
    // read.
    let kept = |s: &u64| kept_in(&found, *s);
    let backed_up = backed_up_seqs(&before, &backing.join("log"));
    if let Some(l) = first_lost(&log.present, &found) {
        return Err(format!(
            "record {l} survived the last cut (read then), and is gone after this one \
             (in a new backup only: {})",
            backed_up.contains(&l)
        ));
    }
    t.records_backed_up += backed_up.len() as u64;
    let must = match (suite.bound, report.last_acked) {
        (_, None) => report.durable,
        (Bound::EveryRecord, Some(a)) => a + 1,
        (Bound::EveryN(k), Some(a)) => (a + 2).saturating_sub(k),
        (Bound::DurableSeq, Some(_)) => report.durable,
    }
    .max(report.durable);
    let from = report.start.unwrap_or(must);
    if let Some(lost) = (from..must).find(|s| !kept(s)) {
        return Err(format!(
            "record {lost} is missing; the writer was promised every record below {must} ({report:?}); the reader reported {:?}",
            found.gaps
        ));
    }
    if let Some(a) = report.last_acked {
        t.acked_unsynced_lost += (from..=a).filter(|s| !kept(s)).count() as u64;
    }
    if let Some(seg) = unsealed_below(suite, &backing.join("log"), from, must) {
        return Err(format!(
            "{seg}, rolled away from before the durable point {must} ({report:?}), is not sealed and whole"
        ));
    }
    if let Some(d) = found
        .damaged_before
        .iter()
        .find(|&&s| from <= s && s < must)
    {
        return Err(format!(
            "record {d}, promised durable (below {must}), follows damage in its file: {:?}",
            found.gaps
        ));
    }
    t.damages_seen += found.damages;
    if found.gaps.len() > log.gaps {
        t.damage_past_promise += 1;
        eprintln!(
            "damage past what was promised durable ({must}): {:?}",
            &found.gaps[log.gaps.min(found.gaps.len())..]
        );
    }
    log.gaps = found.gaps.len();
    log.present = found.present;
    log.next = found.end;
    Ok(())
}

/// Whether the child of a standalone segment was refused its open
/// (`Corrupt`, which the child reports) over damage in the segment's
/// middle: a writer cuts no valid record out of a standalone segment
/// (docs/FORMAT.md section 12), and a cut that keeps unsynced pages out of
/// order leaves lost pages (zeros) before valid records never promised
/// durable. The error names the segment and the damage's offset (the
/// child says `ERR open Corrupt at Some(<offset>): ...`). The last check
/// held every promise; the refusal is counted (`refused_mid_damage`) and
/// the next child starts a fresh segment.
fn refused_over_damage(suite: &Suite, report: &Report) -> bool {
    suite.target == Target::Segment
        && report.start.is_none()
        && report
            .errors
            .iter()
            .any(|e| e.starts_with("ERR open Corrupt at Some(") && e.contains(SEGMENT))
}

/// Whether record `seq` is in the log `found` describes, or, in a rolling
/// log, below its first record (the oldest segments, which retention
/// removes; never the newest, so a log read empty lost everything).
fn kept_in(found: &Survived, seq: u64) -> bool {
    let retained = |first: &u64| found.rolling && seq < *first;
    found.present.first().is_some_and(retained) || found.present.binary_search(&seq).is_ok()
}

/// The first of the records `before` that `found` no longer holds.
fn first_lost(before: &[u64], found: &Survived) -> Option<u64> {
    before.iter().copied().find(|&s| !kept_in(found, s))
}

/// The sequence numbers of the valid record frames in the
/// `<segment>.corrupt-<offset>` backups of `dir` that the listing `before`
/// did not hold.
fn backed_up_seqs(before: &[String], dir: &Path) -> Vec<u64> {
    use binlog::format::frame::find_next_record;
    let mut seqs = Vec::new();
    for name in super::list_dir(dir) {
        if !name.contains(".corrupt-") || before.contains(&name) {
            continue;
        }
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        let mut from = 0;
        while let Some(q) = find_next_record(&bytes, from, None) {
            let at = q + 9;
            seqs.push(u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()));
            from = q + 1;
        }
    }
    seqs
}

/// What a check found in the log after a cut.
struct Survived {
    /// The sequence number after the last record read.
    end: u64,
    /// Sequence jumps (`gaps`) and damaged regions skipped inside a file
    /// (`damages`) the reader reported.
    gaps: Vec<String>,
    /// How many damaged regions the reader skipped inside files.
    damages: usize,
    /// The first record read after each damaged region in the same file.
    damaged_before: Vec<u64>,
    /// Every sequence number read.
    present: Vec<u64>,
    /// Read from a rolling log (retention removes its oldest segments), not
    /// a standalone segment.
    rolling: bool,
}

/// Reads the log at `dir` (the backing directory), skipping damage: every
/// record read is the one written under its sequence number, numbers only
/// go up; sealed segments are as they were.
fn check_log(
    log: &mut LogState,
    target: Target,
    dir: &Path,
    t: &mut Tally,
) -> Result<Survived, String> {
    let mut found = Survived {
        end: 0,
        gaps: Vec::new(),
        damages: 0,
        damaged_before: Vec::new(),
        present: Vec::new(),
        rolling: target == Target::Log,
    };
    let opened = match target {
        Target::Log => {
            let files = segments::list(dir, LOG).map_err(|e| e.to_string())?;
            check_sealed(log, &files, t)?;
            if files.is_empty() {
                return Ok(found);
            }
            LogReader::open(dir, LOG)
        }
        // Its writer's open takes its seal off again: nothing to hold it to.
        Target::Segment if !dir.join(SEGMENT).exists() => return Ok(found),
        Target::Segment => LogReader::open_files(vec![dir.join(SEGMENT)]),
    };
    let mut r = opened.map_err(|e| format!("open the log: {e}"))?;
    r.skip_damaged(true);
    let mut last = None::<u64>;
    // Which file each record was read from.
    let mut file_of = HashMap::new();
    loop {
        let seq = match r.next() {
            Ok(Some(rec)) => {
                written_as(rec.seq, rec.type_name, rec.payload)?;
                rec.seq
            }
            Ok(None) => break,
            Err(e) => return Err(format!("read after {last:?}: {e}")),
        };
        if let Some(l) = last {
            if seq <= l {
                return Err(format!("record {seq} after {l}: a number given twice"));
            }
        }
        last = Some(seq);
        file_of.insert(seq, r.current_path().map(Path::to_path_buf));
        found.present.push(seq);
        t.records_checked += 1;
    }
    found.end = last.map_or(log.next, |l| l + 1);
    found.gaps = r.gaps().iter().map(|g| format!("{g:?}")).collect();
    let damages = r.damages();
    found.damages = damages.len();
    for (path, d) in damages {
        found.gaps.push(format!("{d:?} in {}", path.display()));
        if file_of
            .get(&d.to_seq)
            .is_some_and(|p| p.as_deref() == Some(&path))
        {
            found.damaged_before.push(d.to_seq);
        }
    }
    Ok(found)
}

/// The first segment of the log in `dir` that the child rolled away from
/// (the segment after it starts above `from`, where the child started)
/// before its durable point `must` (that segment starts below it), yet
/// is not sealed and whole: its seal was written before the write that
/// rolled returned (`Suite::seals_at_roll`), and the policy's fdatasync,
/// or under `None` a `sync` after that write, made it durable.
fn unsealed_below(suite: &Suite, dir: &Path, from: u64, must: u64) -> Option<String> {
    if suite.target != Target::Log || !suite.seals_at_roll {
        return None;
    }
    let files = segments::list(dir, LOG).ok()?;
    files.windows(2).find_map(|w| {
        let next = Reader::open(&w[1].path).ok()?.header().first_seq;
        let covered = from < next && next < must;
        (covered && sealed_reads_whole(&w[0].path) != Some(true))
            .then(|| w[0].path.display().to_string())
    })
}

/// Whether the segment at `path` is sealed (or compressed) and reads
/// whole. A seal over records a cut lost (under `None` a seal is not
/// synced after its records) is counted, not held to: `binlog repair`
/// rewrites it.
fn sealed_whole(path: &Path, t: &mut Tally) -> bool {
    match sealed_reads_whole(path) {
        Some(true) => true,
        Some(false) => {
            t.damaged_seals += 1;
            false
        }
        None => false,
    }
}

/// Whether the segment at `path`, if sealed (or compressed), reads whole;
/// `None` if it is not sealed.
pub fn sealed_reads_whole(path: &Path) -> Option<bool> {
    let mut r = Reader::open(path).ok()?;
    r.seal()?;
    loop {
        match r.next() {
            Ok(Some(_)) => {}
            Ok(None) => return Some(true),
            Err(_) => return Some(false),
        }
    }
}

/// A segment seen sealed (or compressed) and whole keeps its bytes.
fn check_sealed(
    log: &mut LogState,
    files: &[segments::SegmentFile],
    t: &mut Tally,
) -> Result<(), String> {
    for f in files {
        let name = f.path.file_name().unwrap().to_string_lossy().into_owned();
        if !sealed_whole(&f.path, t) {
            continue;
        }
        let bytes = std::fs::read(&f.path).map_err(|e| e.to_string())?;
        match log.sealed.get(&name) {
            Some(before) if *before != bytes => {
                return Err(format!("sealed segment {name} changed"))
            }
            Some(_) => t.sealed_checked += 1,
            None => {
                log.sealed.insert(name, bytes);
            }
        }
    }
    Ok(())
}

/// One cut of a `binlog` command: mounts `backing` on `mnt` (a cut
/// keeping `keep`, seeded by `seed`), lets `prepare` write there, runs
/// `cmd` (its paths under `mnt`) and after `delay` kills it and cuts the
/// power. Returns how long the command ran and its exit status if it
/// ended before that.
pub fn cut_command(
    (backing, mnt): (&Path, &Path),
    (keep, seed): (Keep, u64),
    prepare: impl FnOnce(&Path),
    cmd: &mut std::process::Command,
    delay: Duration,
) -> Option<(Duration, std::process::ExitStatus)> {
    let fs = PowerCut::mount(backing, mnt, keep, seed);
    prepare(fs.path());
    let started = Instant::now();
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run the binlog tool");
    let ended = loop {
        if let Some(status) = child.try_wait().expect("wait for the tool") {
            break Some((started.elapsed(), status));
        }
        if started.elapsed() >= delay {
            break None;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    // Killed first, so that nothing it does after the cut reaches the
    // directory the mount covered.
    let _ = child.kill();
    let _ = child.wait();
    fs.cut();
    ended
}

/// Cut moments for a command: uniform up to 1.25 times the longest run
/// seen to its end (starting from `first`), so that cuts fall all through
/// it, and some after it.
pub struct CutMoments {
    longest: Duration,
}

impl CutMoments {
    pub fn new(first: Duration) -> CutMoments {
        CutMoments { longest: first }
    }

    pub fn draw(&self, rng: &mut Rng) -> Duration {
        let span = self.longest.as_micros() as u64 * 5 / 4;
        Duration::from_micros(rng.below(span.max(1)))
    }

    /// Notes a run that ended before its cut.
    pub fn ran(&mut self, took: Duration) {
        self.longest = self.longest.max(took);
    }
}

/// A `Keep` and a tool seed drawn from `rng`, for one cut.
pub fn draw_keep(rng: &mut Rng) -> (Keep, u64) {
    let keep = Keep::ALL[rng.below(Keep::ALL.len() as u64) as usize];
    (keep, rng.next_u64())
}
