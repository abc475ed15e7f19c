//! Filesystem faults at a random point of a rolling log's life, on the
//! power-cut filesystem (tests/powercut, a fault armed at a count: the Nth
//! fsync fails with EIO, once, its pages dropped as Linux drops them; or the
//! disk fills at the Nth write). Per round a child (this test binary,
//! re-executed) writes a log through the library in one of five lifecycles
//! (each durability policy, rolls every few records, seals in the
//! foreground or background, retention, compression of sealed segments,
//! the manifest replaced at each roll) and reports each write and
//! `durable_seq`; N is drawn below the count of fsyncs (or writes) a run
//! without a fault makes (measured first, by the tool's trace), so faults
//! fall all through the lifecycle. Checked:
//!
//! - the first failure is the documented kind, naming a file of the log:
//!   `Poisoned` (a failed fdatasync of records) or `Io` (a directory sync,
//!   a roll's new segment) for EIO, `DiskFull` for ENOSPC;
//! - after a failed fdatasync of records or of a seal the writer refuses
//!   the next write (`Poisoned`); after a roll's failed new segment or a
//!   failed directory sync it may go on;
//! - after a power cut (nothing unsynced kept), read with damage skipped:
//!   every record is the one written under its number, none twice, and
//!   every record acknowledged durable is there (every acknowledged write
//!   under `EveryRecord`, all `durable_seq` ever covered, all before a
//!   `sync` that returned): so `durable_seq` never covered a record a
//!   failed fsync dropped;
//! - with the faults gone a reopened writer numbers above every record the
//!   log holds and writes durably; sealed segments found after the cut keep
//!   their bytes (unless retention or compression replaced them) and no
//!   record read after the cut is lost by the reopen.
//!
//! Root and /dev/fuse are needed. `BINLOG_POWER_FAULTS` sets the faulted
//! rounds (default 8; `make torture` sets 1,000); `BINLOG_TEST_SEED`
//! replays a run.

use crate::common;

use binlog::log::segments;
use binlog::Retention;
use binlog::{Compression, Durability, LogOptions, LogReader, LogWriter, Options};
use common::child::ChildProc;
use common::power_loss::{record, sealed_reads_whole, written_as};
use common::powercut::{Keep, PowerCut};
use common::{knob, Rng, TempDir};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "BINLOG_FAULT_CHILD";
const DIR_ENV: &str = "BINLOG_FAULT_DIR";
const MARK: &str = "#powerfault# ";
const LOG: &str = "pf";
/// Records a child writes (unless a failure stops it first).
const RECORDS: u64 = 60;
/// Under `None`, the child syncs after every this many records.
const SYNC_EVERY: u64 = 10;
const TEST_NAME: &str = "filesystem_faults_at_random_points_keep_every_durable_record";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Mode {
    /// `EveryRecord`, rolls sealed in the foreground, retention of 3
    /// sealed segments.
    EveryRecord,
    /// `EveryN(4)`, sealed in the background.
    EveryN,
    /// `Interval(5 ms)`.
    Interval,
    /// `None`, a `sync` every 10 records.
    NoneSynced,
    /// `EveryN(4)`, sealed in the background, then compressed.
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

    fn durability(self) -> Durability {
        match self {
            Mode::EveryRecord => Durability::EveryRecord,
            Mode::EveryN | Mode::Compressing => Durability::EveryN(4),
            Mode::Interval => Durability::Interval(Duration::from_millis(5)),
            Mode::NoneSynced => Durability::None,
        }
    }

    fn options(self) -> LogOptions {
        let background = matches!(self, Mode::EveryN | Mode::Compressing);
        LogOptions {
            max_segment_records: Some(if self == Mode::EveryRecord { 6 } else { 12 }),
            segment: Options {
                durability: self.durability(),
                buffer_size: 4096,
                ..Options::default()
            },
            background,
            seal_in_background: background,
            retention: Retention {
                max_segments: (self == Mode::EveryRecord).then_some(3),
                ..Retention::default()
            },
            compression: (self == Mode::Compressing).then(|| Compression {
                frame_size: 16 << 10,
                ..Compression::default()
            }),
            ..LogOptions::default()
        }
    }

    fn modes() -> Vec<Mode> {
        Mode::ALL
            .into_iter()
            .filter(|m| cfg!(feature = "compression") || *m != Mode::Compressing)
            .collect()
    }
}

/// The fault a round arms: the Nth fsync fails with EIO, or the disk fills
/// at the Nth write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    None,
    FsyncEio(u64),
    DiskFull(u64),
}

impl Fault {
    fn args(self) -> Vec<String> {
        match self {
            Fault::None => vec![],
            Fault::FsyncEio(n) => vec!["--fail-fsync-at".into(), n.to_string()],
            Fault::DiskFull(n) => vec!["--disk-full-at".into(), n.to_string()],
        }
    }
}

fn say(line: String) {
    common::child::say(MARK, &line);
}

fn err_line(what: &str, e: &binlog::Error) -> String {
    format!("ERR {what} {:?} {e}", e.kind())
}

/// In a child: writes `RECORDS` records to the log, reporting each; at the
/// first failure reports it, tries one more write and reports that and
/// `durable_seq`; at the end syncs, reports `durable_seq`, closes.
fn run_child_if_asked() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mode = *Mode::ALL
        .iter()
        .find(|m| format!("{m:?}") == mode)
        .expect("a mode");
    let dir = PathBuf::from(std::env::var(DIR_ENV).expect("child needs a directory"));
    let end = |line: String| -> ! {
        say(line);
        say("END".into());
        std::process::exit(0)
    };
    let w =
        LogWriter::open(&dir, LOG, mode.options()).unwrap_or_else(|e| end(err_line("open", &e)));
    let start = w
        .next_seq()
        .unwrap_or_else(|e| end(err_line("next_seq", &e)));
    say(format!("START {start}"));
    for seq in start..start + RECORDS {
        let (ty, p) = record(seq);
        let done = w.write(ty, &p).and_then(|s| {
            if mode == Mode::NoneSynced && (seq + 1) % SYNC_EVERY == 0 {
                w.sync()?;
            }
            Ok(s)
        });
        match done {
            Ok(s) => say(format!("A {s} {}", w.durable_seq().unwrap_or(0))),
            Err(e) => {
                say(err_line("write", &e));
                after_failure(&w);
                std::mem::forget(w);
                end("STOPPED".into())
            }
        }
    }
    if let Err(e) = w.sync() {
        say(err_line("sync", &e));
        after_failure(&w);
        std::mem::forget(w);
        end("STOPPED".into())
    }
    say(format!("D {}", w.durable_seq().unwrap_or(0)));
    match w.close() {
        Ok(()) => end("CLOSED".into()),
        Err(e) => end(err_line("close", &e)),
    }
}

/// After a failure: one more write (its number is the writer's next), and
/// what `durable_seq` says now.
fn after_failure(w: &LogWriter) {
    let next = w.next_seq().unwrap_or(0);
    let (ty, p) = record(next);
    match w.write(ty, &p) {
        Ok(s) => say(format!("AFTER ok {s}")),
        Err(e) => say(format!("AFTER {:?} {e}", e.kind())),
    }
    if let Ok(d) = w.durable_seq() {
        say(format!("D {d}"));
    }
}

/// What one child said.
#[derive(Debug, Default)]
struct Report {
    /// Below this every record was promised durable.
    promised: u64,
    /// The last write acknowledged.
    last_acked: Option<u64>,
    /// The first failure: what failed, its kind, its message.
    error: Option<(String, String, String)>,
    /// The write after the failure: `ok <seq>` or its kind and message.
    after: Option<String>,
    ended: bool,
}

fn parse(lines: &[String], mode: Mode) -> Report {
    let mut r = Report::default();
    for l in lines {
        let words: Vec<&str> = l.splitn(4, ' ').collect();
        let num = |i: usize| words.get(i).and_then(|s| s.parse::<u64>().ok());
        match words[0] {
            "A" => {
                let (seq, d) = (num(1).unwrap(), num(2).unwrap());
                r.last_acked = Some(seq);
                r.promised = r.promised.max(d);
                if mode == Mode::EveryRecord {
                    r.promised = r.promised.max(seq + 1);
                }
            }
            "D" => r.promised = r.promised.max(num(1).unwrap()),
            "ERR" if r.error.is_none() => {
                let get = |i: usize| words.get(i).unwrap_or(&"").to_string();
                r.error = Some((get(1), get(2), get(3)));
            }
            "AFTER" => r.after = Some(l["AFTER ".len()..].to_string()),
            "END" => r.ended = true,
            _ => {}
        }
    }
    r
}

/// What the tool's trace says of a run: fsyncs and writes counted, and the
/// name of the file or directory whose fsync failed.
#[derive(Debug, Default)]
struct Trace {
    fsyncs: u64,
    writes: u64,
    failed: Option<String>,
}

fn read_trace(path: &Path) -> Trace {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut names: HashMap<&str, &str> = HashMap::new();
    let mut t = Trace::default();
    for l in text.lines() {
        let w: Vec<&str> = l.splitn(3, ' ').collect();
        match w[0] {
            "create" => {
                names.insert(w[1], w[2].trim_matches('"'));
            }
            "write" | "fallocate" => t.writes += 1,
            "fsync" | "fsyncdir" => {
                t.fsyncs += 1;
                if l.ends_with(" EIO") {
                    let name = names.get(w[1]).copied();
                    let what = match (w[0], name) {
                        ("fsyncdir", _) => "a directory".to_string(),
                        (_, Some(n)) => n.to_string(),
                        (_, None) => format!("inode {}", w[1]),
                    };
                    t.failed = Some(what);
                }
            }
            _ => {}
        }
    }
    t
}

/// Counts over the rounds, printed at the end (docs/RELIABILITY.md).
#[derive(Debug, Default)]
struct Tally {
    rounds: usize,
    eio_injected: usize,
    enospc_injected: usize,
    /// Faults that struck before the child's writes ended (a count past
    /// the run's fsyncs or writes strikes nothing).
    struck: usize,
    /// Rounds whose child saw an error, by kind.
    errors: HashMap<String, usize>,
    /// EIO on a segment's fsync, on a directory's, on another file's.
    eio_on_segment: usize,
    eio_on_directory: usize,
    eio_on_other: usize,
    records_checked: u64,
    /// Records promised durable, summed over the rounds: each was found.
    promised_checked: u64,
    sealed_checked: usize,
    losses: usize,
}

struct Round {
    root: TempDir,
    mode: Mode,
    fault: Fault,
}

impl Round {
    fn new(mode: Mode, fault: Fault) -> Round {
        let root = TempDir::new("power-fault");
        for d in ["backing/log", "mnt-0", "mnt-1"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        Round { root, mode, fault }
    }

    /// Mounts with the fault armed, runs the child to its end, cuts the
    /// power; returns its report and the trace.
    fn run_child(&self) -> Result<(Report, Trace), String> {
        let trace = self.root.join("trace");
        let fs = PowerCut::mount_armed(
            &self.root.join("backing"),
            &self.root.join("mnt-0"),
            &self.fault.args(),
            Some(&trace),
        );
        let dir = fs.path().join("log");
        let mode = format!("{:?}", self.mode);
        let mut child = ChildProc::spawn(
            TEST_NAME,
            &[(CHILD_ENV, OsStr::new(&mode)), (DIR_ENV, dir.as_os_str())],
            MARK,
        );
        let mut seen = Vec::new();
        let ended = child.wait_for("END", &mut seen, Duration::from_secs(120));
        let (lines, died) = child.kill9_if_running(seen);
        fs.cut();
        let report = parse(&lines, self.mode);
        if !ended {
            return Err(format!(
                "the child did not end its run: {died:?}, last lines {:?}",
                &lines[lines.len().saturating_sub(5)..]
            ));
        }
        Ok((report, read_trace(&trace)))
    }
}

/// The first failure is the documented kind for the fault, names a file of
/// the log, and a poisoned writer refuses the next write.
fn check_error(round: &Round, report: &Report, t: &mut Tally) -> Result<(), String> {
    let Some((what, kind, msg)) = &report.error else {
        return Ok(());
    };
    *t.errors.entry(kind.clone()).or_default() += 1;
    let allowed: &[&str] = match round.fault {
        Fault::None => &[],
        Fault::FsyncEio(_) => &["Poisoned", "Io"],
        Fault::DiskFull(_) => &["DiskFull"],
    };
    if !allowed.contains(&kind.as_str()) {
        return Err(format!(
            "{what} failed with {kind} ({msg}), not {allowed:?}"
        ));
    }
    let dir = round.root.join("mnt-0/log");
    if !msg.contains(&dir.display().to_string()) {
        return Err(format!("the error names no file of the log: {msg}"));
    }
    // A failed close ends the run: no write after it.
    let Some(after) = report.after.as_deref() else {
        return Ok(());
    };
    // A failed fdatasync of a segment's records or seal poisons the log
    // (docs/GUIDE.md); a roll's new segment (its header, its name: the
    // log goes on in the old segment) or another directory sync does not.
    let records_sync = !msg.contains("write header") && !msg.contains("directory");
    let must_refuse = kind == "Poisoned" || (kind == "Io" && records_sync);
    if must_refuse && !after.starts_with("Poisoned") {
        return Err(format!("the write after {what} failed ({msg}): {after}"));
    }
    if kind == "DiskFull" && !(after.starts_with("ok") || after.starts_with("DiskFull")) {
        return Err(format!("the write after DiskFull: {after}"));
    }
    Ok(())
}

/// What a reader finds in the log at `dir`, skipping damage: every record
/// the one written under its number, numbers only going up.
fn read_log(dir: &Path) -> Result<Vec<u64>, String> {
    if segments::list(dir, LOG)
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        return Ok(Vec::new());
    }
    let mut r = LogReader::open(dir, LOG).map_err(|e| format!("open the log: {e}"))?;
    r.skip_damaged(true);
    let mut seqs: Vec<u64> = Vec::new();
    while let Some(rec) = r.next().map_err(|e| format!("read: {e}"))? {
        written_as(rec.seq, rec.type_name, rec.payload)?;
        if seqs.last().is_some_and(|&l| l >= rec.seq) {
            return Err(format!("record {} after {:?}", rec.seq, seqs.last()));
        }
        seqs.push(rec.seq);
    }
    Ok(seqs)
}

/// Whether `seq` is in `found`, or below its first record (retention
/// removes the oldest segments; never the newest).
fn kept(found: &[u64], seq: u64) -> bool {
    found.first().is_some_and(|&f| seq < f) || found.binary_search(&seq).is_ok()
}

/// The bytes of each segment of the log at `dir` that is sealed and reads
/// whole.
fn sealed_segments(dir: &Path) -> HashMap<PathBuf, Vec<u8>> {
    let mut out = HashMap::new();
    for f in segments::list(dir, LOG).unwrap_or_default() {
        if sealed_reads_whole(&f.path) == Some(true) {
            out.insert(f.path.clone(), std::fs::read(&f.path).unwrap());
        }
    }
    out
}

/// After the cut: every promised record is there; the writer reopened
/// with the faults gone numbers above the log and writes durably; sealed
/// segments and the records read keep through it.
fn check_after_cut(round: &Round, report: &Report, t: &mut Tally) -> Result<(), String> {
    let backing = round.root.join("backing/log");
    let found = read_log(&backing)?;
    t.records_checked += found.len() as u64;
    if let Some(lost) = (0..report.promised).find(|&s| !kept(&found, s)) {
        t.losses += 1;
        return Err(format!(
            "record {lost} was promised durable (below {}) and is lost; found {found:?}",
            report.promised
        ));
    }
    t.promised_checked += report.promised;
    let sealed = sealed_segments(&backing);
    let fs = PowerCut::mount(
        &round.root.join("backing"),
        &round.root.join("mnt-1"),
        Keep::Nothing,
        0,
    );
    let dir = fs.path().join("log");
    let w = LogWriter::open(&dir, LOG, round.mode.options())
        .map_err(|e| format!("no open after the cut: {e}"))?;
    let next = w.next_seq().map_err(|e| e.to_string())?;
    if found.last().is_some_and(|&l| next <= l) {
        return Err(format!(
            "the writer starts at {next}, the log holds up to {found:?}"
        ));
    }
    for seq in next..next + 3 {
        let (ty, p) = record(seq);
        let s = w
            .write(ty, &p)
            .map_err(|e| format!("write {seq} after the cut: {e}"))?;
        if s != seq {
            return Err(format!("write after the cut got {s}, not {seq}"));
        }
    }
    w.sync().map_err(|e| format!("sync after the cut: {e}"))?;
    w.close().map_err(|e| format!("close after the cut: {e}"))?;
    drop(fs);
    let again = read_log(&backing)?;
    if let Some(l) = found.iter().find(|&&s| !kept(&again, s)) {
        t.losses += 1;
        return Err(format!(
            "record {l}, read after the cut, is gone after the reopen"
        ));
    }
    if let Some(s) = (next..next + 3).find(|&s| !kept(&again, s)) {
        return Err(format!("record {s}, synced after the reopen, is missing"));
    }
    for (path, bytes) in sealed {
        match std::fs::read(&path) {
            Ok(now) if now != bytes => {
                return Err(format!("sealed segment {} changed", path.display()))
            }
            Ok(_) => t.sealed_checked += 1,
            // Retention removed it, or compression replaced it.
            Err(_) if matches!(round.mode, Mode::EveryRecord | Mode::Compressing) => {}
            Err(e) => return Err(format!("sealed segment {} gone: {e}", path.display())),
        }
    }
    Ok(())
}

/// One round: returns the trace of the child's run.
fn one_round(mode: Mode, fault: Fault, t: &mut Tally) -> Result<Trace, String> {
    let round = Round::new(mode, fault);
    let (report, trace) = round.run_child()?;
    match fault {
        Fault::None if report.error.is_some() => {
            return Err(format!("a run without a fault failed: {report:?}"))
        }
        Fault::None => {}
        Fault::FsyncEio(_) => {
            t.eio_injected += 1;
            match trace.failed.as_deref() {
                None => {}
                Some("a directory") => t.eio_on_directory += 1,
                Some(n) if n.ends_with(".binlog") => t.eio_on_segment += 1,
                Some(_) => t.eio_on_other += 1,
            }
            t.struck += usize::from(trace.failed.is_some());
        }
        Fault::DiskFull(n) => {
            t.enospc_injected += 1;
            t.struck += usize::from(n <= trace.writes);
        }
    }
    check_error(&round, &report, t)?;
    check_after_cut(&round, &report, t)?;
    t.rounds += 1;
    eprintln!(
        "{mode:?}, {fault:?}: failed fsync of {:?}, error {:?}, after {:?}, promised {}, acked up to {:?}",
        trace.failed, report.error, report.after, report.promised, report.last_acked
    );
    Ok(trace)
}

#[test]
fn filesystem_faults_at_random_points_keep_every_durable_record() {
    run_child_if_asked();
    let seed = std::env::var("BINLOG_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0xfa017u64);
    eprintln!("PRNG seed {seed} (set BINLOG_TEST_SEED to replay)");
    let rounds = knob("BINLOG_POWER_FAULTS", 8);
    let mut rng = Rng::new(seed);
    let mut t = Tally::default();
    let started = Instant::now();
    // A run without a fault per lifecycle: how many fsyncs and writes it
    // makes, so that the faults fall all through it.
    let mut counts = HashMap::new();
    for mode in Mode::modes() {
        let trace = one_round(mode, Fault::None, &mut t)
            .unwrap_or_else(|e| panic!("{mode:?}, no fault: {e}"));
        counts.insert(mode, (trace.fsyncs.max(1), trace.writes.max(1)));
    }
    let modes = Mode::modes();
    for round in 0..rounds {
        let mode = modes[rng.below(modes.len() as u64) as usize];
        let (fsyncs, writes) = counts[&mode];
        // EIO and ENOSPC in turn, at a point drawn through the run.
        let fault = if round % 2 == 0 {
            Fault::FsyncEio(1 + rng.below(fsyncs))
        } else {
            Fault::DiskFull(1 + rng.below(writes))
        };
        if let Err(e) = one_round(mode, fault, &mut t) {
            panic!("seed {seed}, round {round}, {mode:?}, {fault:?}: {e}\n{t:?}");
        }
    }
    eprintln!("{t:?} in {:.1?}", started.elapsed());
}
