//! `binlog repair`: makes every segment of a log readable and sealed again
//! without losing a valid record. For each segment it changes, it first
//! makes a backup copy (synced), then:
//! - a torn tail, a damaged or missing seal, or a seal that disagrees with
//!   the records: a copy of the segment is reopened with `binlog::Writer`,
//!   which saves the torn bytes (kept as `<segment>.corrupt-<offset>`),
//!   cuts them and the old seal, and closed, which writes a new seal;
//! - corruption in the middle: refused (nothing changes) unless
//!   `--salvage`, which copies every run of valid records after the damage
//!   into a new segment `<segment stem>.salvaged-<offset>.binlog` (same
//!   types, metadata, timestamps and sequence numbers), checks the copies,
//!   then makes a copy of the segment up to the damage and seals it.
//!
//! The segment itself is never changed in place (see `replace`): the
//! repaired copy is written beside it as `<segment>.repair-tmp`, synced,
//! and renamed over it, and the directory synced. A reader that has the
//! old file open (mapped) keeps reading it as it was, never faulting on
//! pages a cut removed; a crash leaves either the old file or the repaired
//! one under the segment's name. A segment a writer has open is never
//! touched.

use crate::error::{CliError, CliResult, Outcome};
use crate::paths::{self, LogId, Source};
use crate::progress::Progress;
use crate::verify::{self, records_phrase, state_name, Checked, LogIssueKind, Role};
use crate::walk::{self, Analysis, IssueKind, Run};
use binlog::format::frame::{self, FrameAt, MetaIter};
use binlog::log::naming;
use binlog::{Entry, Options, Reader, Writer};
use clap::Args;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
#[command(after_help = "\
Every file repair changes is first copied to <file>.backup-<UTC time> (in
--backup-dir if given). Valid records are never deleted: a torn tail's bytes
are kept in <segment>.corrupt-<offset> as well, and with --salvage the
records after mid-file damage are copied to a new segment before the
segment is cut. No segment is changed in place: the repaired one is
written to <segment>.repair-tmp, synced and renamed over it, so readers
that have the old one open read it unharmed. Exit status 0 when
everything is repaired (or nothing needed to be), 1 when damage remains
(refused, or a writer has the segment open), 2 on errors.

Examples:
  binlog repair --dry-run /var/log/orders
  binlog repair /var/log/orders
  binlog repair --salvage --backup-dir /srv/backups damaged.binlog")]
pub struct RepairArgs {
    /// Segment files, or log directories.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// In a directory holding several logs, only this one.
    #[arg(long, value_name = "NAME")]
    pub log: Option<String>,
    /// Say what would be done, and change nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Copy the valid records that follow corruption in the middle of a
    /// segment into new segments, then cut the damaged segment before the
    /// damage (instead of refusing).
    #[arg(long)]
    pub salvage: bool,
    /// Put backup copies here instead of beside each file.
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
}

enum Plan {
    /// Sealed and intact, or open by a writer and intact.
    Nothing(String),
    /// Cannot be looked at (reported as an error).
    Unreadable(String),
    /// Damaged, and left alone (reported as damage).
    Leave(String),
    /// Reopen with a writer and close: cuts a torn tail, rewrites the seal.
    Reseal(String),
    /// Copy `runs` to new segments, cut at `cut`, reseal.
    Salvage { cut: u64, runs: Vec<Run> },
    /// The header is unreadable: copy `runs` to new segments, leave the file.
    SalvageHeaderless { runs: Vec<Run> },
}

#[derive(Default)]
struct Tally {
    segments: u64,
    changed: u64,
    left: u64,
    errors: u64,
}

pub fn run(args: &RepairArgs) -> CliResult<Outcome> {
    if let Some(d) = &args.backup_dir {
        if !d.is_dir() {
            return Err(CliError::usage(format!(
                "--backup-dir {}: not a directory",
                d.display()
            )));
        }
    }
    let sources = paths::resolve(&args.paths, args.log.as_deref())?;
    let total: u64 = paths::all_files(&sources)
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let mut progress = Progress::bytes(
        total,
        if args.dry_run {
            "repair --dry-run"
        } else {
            "repair"
        },
    );
    let mut tally = Tally::default();
    for source in &sources {
        repair_source(source, args, &mut progress, &mut tally)?;
    }
    progress.finish();
    let verb = if args.dry_run {
        "would change"
    } else {
        "changed"
    };
    say_line(
        &progress,
        &format!(
            "repair: {} segment{} checked, {verb} {}, {} left damaged{}",
            tally.segments,
            if tally.segments == 1 { "" } else { "s" },
            tally.changed,
            tally.left,
            if tally.errors > 0 {
                format!(", {} errors", tally.errors)
            } else {
                String::new()
            }
        ),
    );
    if tally.errors > 0 {
        return Err(CliError::io(format!(
            "{} files could not be repaired",
            tally.errors
        )));
    }
    Ok(Outcome::damaged_if(tally.left > 0))
}

fn repair_source(
    source: &Source,
    args: &RepairArgs,
    progress: &mut Progress,
    tally: &mut Tally,
) -> CliResult<()> {
    // Checked one by one, as verify does (with the log's continuity).
    let mut checked = Vec::new();
    verify::check_source(source, progress, |c, _| {
        checked.push(c);
        Ok(())
    })?;
    for (i, c) in checked.iter().enumerate() {
        tally.segments += 1;
        let changed = tally.changed;
        repair_segment(c, args, progress, tally);
        if let (true, Some(log)) = (tally.changed > changed, &source.log) {
            match checked.get(i + 1) {
                Some(next) => gap_left_by_salvage(c, next, args, progress, tally),
                None => number_after_salvage(c, log, args, progress, tally),
            }
        }
        // Problems between segments (records missing before this one) are
        // not repairable here, whatever the segment itself needed.
        for l in &c.log_issues {
            if l.kind != LogIssueKind::NotSealed {
                let p = paths::show(&c.path);
                let why = if l.kind == LogIssueKind::WrongLog {
                    "it belongs to another log: move it out"
                } else {
                    "the records are gone"
                };
                let m = &l.message;
                say_line(progress, &format!("  {p}: {m} (not repairable: {why})"));
                tally.left += 1;
            }
        }
    }
    Ok(())
}

/// A salvage cut a segment that newer segments of its log follow: the
/// records after the cut now are only in the salvaged segments, outside
/// the log, which has records missing between this segment and the next
/// (as `verify` says at once). That damage remains.
fn gap_left_by_salvage(
    c: &Checked,
    next: &Checked,
    args: &RepairArgs,
    progress: &Progress,
    tally: &mut Tally,
) {
    let Some((from, _)) = salvage_ends(c, args) else {
        return;
    };
    let next_first = next
        .analysis
        .as_ref()
        .and_then(|n| n.header.as_ref())
        .map(|h| h.first_seq);
    let Some(to) = next_first.filter(|&to| to > from) else {
        return;
    };
    let tense = if args.dry_run {
        "would have"
    } else {
        "now has"
    };
    say_line(
        progress,
        &format!(
            "  {}: {} from the log ({OUTSIDE}): the log {tense} a gap before {} ({GONE})",
            paths::show(&c.path),
            missing(from, to, args.dry_run),
            paths::show(&next.path)
        ),
    );
    tally.left += 1;
}

/// Where the records salvaged from a log's segment are, and why they count
/// as missing from it.
const OUTSIDE: &str = "those that were intact are in the salvaged segments, outside it";
const GONE: &str = "not repairable: the records are gone from it";

/// For a segment a salvage cuts: the sequence number after the records it
/// keeps, and the one after the last record salvaged (the same if none
/// is).
fn salvage_ends(c: &Checked, args: &RepairArgs) -> Option<(u64, u64)> {
    let Plan::Salvage { cut, runs } = plan(c, args.salvage) else {
        return None;
    };
    let a = c.analysis.as_ref()?;
    let kept = a
        .runs
        .iter()
        .filter(|r| r.end <= cut)
        .map(|r| r.first_seq + r.count)
        .next_back()
        .or(a.header.as_ref().map(|h| h.first_seq))?;
    let salvaged = runs.iter().map(|r| r.first_seq + r.count).max();
    Some((kept, salvaged.unwrap_or(kept)))
}

/// "record A is" or "records A..B are" (or "would be") missing, for the
/// numbers `from..to`.
fn missing(from: u64, to: u64, dry_run: bool) -> String {
    let (what, verb) = if to == from + 1 {
        (format!("record {from}"), "is")
    } else {
        (format!("records {from}..{}", to - 1), "are")
    };
    format!("{what} {} missing", if dry_run { "would be" } else { verb })
}

/// A salvage cut the newest segment of a log: the log's next writer goes
/// on after the cut and would number its records as the salvaged ones are
/// numbered (one number, two records: one in the log, one in a salvaged
/// segment). An empty segment, sealed, numbered after the cut one and
/// starting after the salvaged numbers makes the writer number after them;
/// the log keeps a gap where the records were, as for a segment in the
/// middle (damage left).
fn number_after_salvage(
    c: &Checked,
    log: &LogId,
    args: &RepairArgs,
    progress: &Progress,
    tally: &mut Tally,
) {
    let (Some((kept_next, after)), Some(h)) = (
        salvage_ends(c, args),
        c.analysis.as_ref().and_then(|a| a.header.as_ref()),
    ) else {
        return;
    };
    if after <= kept_next {
        return;
    }
    let no = h.segment_no + 1;
    let path = log
        .dir
        .join(naming::segment_name(&log.name, no, crate::time::now_ns()));
    let p = paths::show(&path);
    let gap = format!(
        "{} from the log ({OUTSIDE}; {GONE})",
        missing(kept_next, after, args.dry_run)
    );
    if args.dry_run {
        say_line(
            progress,
            &format!(
                "  would start {p}, empty, at sequence number {after}, so that the log's writer \
                 numbers new records after the salvaged ones; {gap}"
            ),
        );
        tally.left += 1;
        return;
    }
    let opts = Options {
        log_name: log.name.clone(),
        content_type: h.content_type.clone(),
        params: h.params.clone(),
        segment_no: no,
        first_seq: after,
        writer_version: format!("{} (binlog repair --salvage)", binlog::version::WRITER),
        // Synced, with its directory entry, as the cut before it is: lost to
        // a power failure it would let the writer reuse the numbers.
        durability: binlog::Durability::EveryRecord,
        ..Options::default()
    };
    match Writer::open(&path, opts).and_then(|w| w.close()) {
        Ok(()) => {
            say_line(
                progress,
                &format!(
                    "  started {p}, empty, at sequence number {after}, so that the log's writer \
                     numbers new records after the salvaged ones; {gap}"
                ),
            );
            tally.left += 1;
        }
        Err(e) => {
            say_line(
                progress,
                &format!(
                    "  {}: could not start the segment that keeps the salvaged numbers from being \
                     used again ({}): the log's next writer will number new records from \
                     {kept_next}, as the salvaged ones are numbered",
                    paths::show(&c.path),
                    e.message()
                ),
            );
            tally.errors += 1;
        }
    }
}

/// Repairs one checked segment as planned (or says why not), counting the
/// outcome in `tally`.
fn repair_segment(c: &Checked, args: &RepairArgs, progress: &mut Progress, tally: &mut Tally) {
    let plan = plan(c, args.salvage);
    let p = paths::show(&c.path);
    let say = |line: String| say_line(progress, &line);
    match &plan {
        Plan::Nothing(why) => {
            say(format!("ok       {p}: {why}"));
            if !args.dry_run {
                remove_stale_copy(&c.path, &say);
            }
            return;
        }
        Plan::Unreadable(why) => {
            say(format!("ERROR    {p}: {why}"));
            tally.errors += 1;
            return;
        }
        Plan::Leave(why) => {
            say(format!("DAMAGED  {p}: {why}"));
            describe_damage(c, &say);
            tally.left += 1;
            return;
        }
        _ => {}
    }
    say(format!("REPAIR   {p}: {}", summary(c)));
    describe_damage(c, &say);
    let a = c.analysis.as_ref().expect("planned from an analysis");
    let result = if args.dry_run {
        dry_run(&c.path, a, &plan, args, &say);
        Ok(true)
    } else {
        execute(&c.path, a, &plan, args, &say)
    };
    match result {
        Ok(true) => tally.changed += 1,
        Ok(false) => tally.left += 1,
        Err(e) => {
            say(format!(
                "  error: {e}; {p} is unchanged unless a step above says otherwise"
            ));
            tally.errors += 1;
        }
    }
}

/// Prints a report line on standard output (above the progress bar). A
/// closed output does not stop a repair half-way: the line is dropped.
fn say_line(progress: &Progress, line: &str) {
    progress.suspend(|| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    });
}

fn summary(c: &Checked) -> String {
    let a = c.analysis.as_ref().expect("analysed");
    format!("{}, {} valid", state_name(a), records_phrase(a))
}

fn describe_damage(c: &Checked, say: &impl Fn(String)) {
    let p = paths::show(&c.path);
    if let Some(a) = &c.analysis {
        for i in &a.issues {
            say(format!(
                "  {p}: offset {}: {}: {}",
                i.offset,
                i.kind.name(),
                i.message
            ));
        }
    }
}

fn plan(c: &Checked, salvage: bool) -> Plan {
    let Some(a) = &c.analysis else {
        return Plan::Unreadable(c.error.clone().unwrap_or_default());
    };
    let unsealed_older = c
        .log_issues
        .iter()
        .any(|l| l.kind == LogIssueKind::NotSealed);
    if a.is_clean() && !unsealed_older {
        return match (a.is_sealed(), c.locked) {
            (true, _) => Plan::Nothing(format!("sealed, {}", records_phrase(a))),
            (false, true) => Plan::Nothing(format!(
                "unsealed, a writer has it open; {}",
                records_phrase(a)
            )),
            (false, false) => {
                Plan::Reseal("no seal (its writer stopped without closing it)".into())
            }
        };
    }
    if c.locked {
        return Plan::Leave("a writer has it open: stop the writer, then repair".into());
    }
    if let Some(first) = a.first_mid_file() {
        if !salvage {
            let after: u64 = a
                .runs
                .iter()
                .filter(|r| r.start >= first.offset)
                .map(|r| r.count)
                .sum();
            return Plan::Leave(format!(
                "corruption in the middle at offset {}: refused, nothing changed (a cut would lose \
                 the {after} valid records after it); `binlog repair --salvage` copies them into a new \
                 segment first",
                first.offset
            ));
        }
        if first.kind == IssueKind::Header {
            return Plan::SalvageHeaderless {
                runs: a.runs.clone(),
            };
        }
        let cut = first.offset;
        let runs = a.runs.iter().filter(|r| r.start >= cut).copied().collect();
        return Plan::Salvage { cut, runs };
    }
    let why = a
        .issues
        .iter()
        .map(|i| i.kind.name())
        .collect::<Vec<_>>()
        .join(", ");
    Plan::Reseal(if why.is_empty() {
        "not sealed".into()
    } else {
        why
    })
}

fn dry_run(path: &Path, a: &Analysis, plan: &Plan, args: &RepairArgs, say: &impl Fn(String)) {
    let p = paths::show(path);
    if !matches!(plan, Plan::SalvageHeaderless { .. }) {
        say(format!(
            "  would back up {p} to {}",
            backup_name(path, args.backup_dir.as_deref()).display()
        ));
    }
    match plan {
        Plan::Reseal(why) => {
            say(format!("  to fix: {why}"));
            if let walk::End::Torn { offset, len } = a.end {
                say(format!("  would cut the torn tail: {len} bytes at offset {offset} (kept in {p}.corrupt-{offset})"));
            }
            say(format!("  would reseal {p}: {}", records_phrase(a)));
        }
        Plan::Salvage { cut, runs } => {
            for r in runs {
                say(format!(
                    "  would copy {} records (seq {}..{}, offsets {}..{}) into {}",
                    r.count,
                    r.first_seq,
                    r.first_seq + r.count - 1,
                    r.start,
                    r.end,
                    salvage_name(path, r.start).display()
                ));
            }
            let kept: u64 = a
                .runs
                .iter()
                .filter(|r| r.end <= *cut)
                .map(|r| r.count)
                .sum();
            say(format!(
                "  would cut {p} at offset {cut} (keeping its first {kept} records) and reseal it"
            ));
        }
        Plan::SalvageHeaderless { runs } => {
            for r in runs {
                say(format!(
                    "  would copy {} records (seq {}..{}) into {}",
                    r.count,
                    r.first_seq,
                    r.first_seq + r.count - 1,
                    salvage_name(path, r.start).display()
                ));
            }
            say(format!(
                "  would leave {p} as it is (its header is unreadable)"
            ));
        }
        _ => {}
    }
}

/// Carries out a plan; Ok(true) when the segment is repaired.
fn execute(
    path: &Path,
    a: &Analysis,
    plan: &Plan,
    args: &RepairArgs,
    say: &impl Fn(String),
) -> CliResult<bool> {
    let p = paths::show(path);
    // Hold the segment's writer lock while copying and cutting, so that no
    // writer opens it meanwhile; and make sure it did not change since it
    // was checked.
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| CliError::io_on(format!("{p}: open"), e))?;
    if !try_lock(&file) {
        say(format!(
            "  {p}: a writer opened it meanwhile; left as it is"
        ));
        return Ok(false);
    }
    let held = file.metadata().map_err(|e| CliError::io_on(&p, e))?;
    // The file to replace is the one the path leads to: through a symlink,
    // the link's target (a rename over the link would replace the link and
    // leave the target as it was). And it must still be the file locked:
    // another repair may have renamed its copy over the segment between
    // our open and our lock, and a writer may be appending to that copy.
    let real = match resolve_locked(path, &held) {
        Ok(Some(r)) => r,
        Ok(None) => {
            say(format!(
                "  {p}: it was replaced while being repaired; left as it is, run repair again"
            ));
            return Ok(false);
        }
        Err(e) => return Err(CliError::io_on(format!("{p}: resolve"), e)),
    };
    let len = held.len();
    if len != a.file_len {
        say(format!(
            "  {p}: it changed while being checked ({} -> {len} bytes); run repair again",
            a.file_len
        ));
        return Ok(false);
    }
    // The file itself changes only when it is cut or resealed.
    if !matches!(plan, Plan::SalvageHeaderless { .. }) {
        let backup = backup_copy(path, args.backup_dir.as_deref())?;
        say(format!("  backed up {p} to {}", backup.display()));
    }
    match plan {
        Plan::Reseal(_) => {
            let kept = replace(&real, &file, a.file_len)?;
            say(format!("  resealed {p}"));
            if let walk::End::Torn { offset, len } = a.end {
                let kept = kept
                    .first()
                    .map(|k| k.display().to_string())
                    .unwrap_or_else(|| format!("{p}.corrupt-{offset}"));
                say(format!(
                    "  cut the torn tail: {len} bytes at offset {offset}, kept in {kept}"
                ));
            }
        }
        Plan::Salvage { cut, runs } => {
            for r in runs {
                salvage_run(path, a, r, say)?;
            }
            replace(&real, &file, *cut)?;
            say(format!("  cut {p} at offset {cut}, before the damage"));
            say(format!("  resealed {p}"));
        }
        Plan::SalvageHeaderless { runs } => {
            for r in runs {
                salvage_run(path, a, r, say)?;
            }
            say(format!("  left {p} as it is: its header is unreadable (the backup and the new segments hold everything valid in it)"));
            return Ok(false);
        }
        _ => return Ok(false),
    }
    // Our lock (on the old file, no longer named) goes.
    drop(file);
    // Check the result.
    let after = verify::check_file(path, Role::Standalone, false, &mut Progress::hidden());
    match &after.analysis {
        Some(x) if x.is_clean() && x.is_sealed() => {
            say(format!(
                "  {p}: now sealed and intact, {}",
                records_phrase(x)
            ));
            Ok(true)
        }
        Some(x) => {
            say(format!("  {p}: still {} after the repair", state_name(x)));
            Ok(false)
        }
        None => Err(CliError::io(after.error.unwrap_or_default())),
    }
}

/// The file `path` leads to (through a symlink, its target), if it is
/// still the file `held` describes (the one opened and locked).
fn resolve_locked(path: &Path, held: &std::fs::Metadata) -> std::io::Result<Option<PathBuf>> {
    let r = if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        std::fs::canonicalize(path)?
    } else {
        path.to_path_buf()
    };
    let m = std::fs::symlink_metadata(&r)?;
    Ok((m.dev() == held.dev() && m.ino() == held.ino()).then_some(r))
}

/// Removes the repaired copy (and its torn-tail copies) that a repair of
/// `path` stopped before its rename left, when the segment needs no
/// repair now (one that does removes them as it starts, in `replace`).
/// Only with the segment's lock: a segment someone holds (its writer, or a
/// repair writing that copy right now) keeps them.
fn remove_stale_copy(path: &Path, say: &impl Fn(String)) {
    let p = paths::show(path);
    let Ok(file) = File::open(path) else { return };
    let Ok(held) = file.metadata() else { return };
    let Ok(Some(real)) = resolve_locked(path, &held) else {
        return;
    };
    let tmp = temp_name(&real);
    if std::fs::symlink_metadata(&tmp).is_err() && torn_copies(&tmp).is_empty() {
        return;
    }
    if !try_lock(&file) || !matches!(resolve_locked(path, &held), Ok(Some(_))) {
        return;
    }
    match remove_leftovers(&tmp) {
        Ok(()) => say(format!(
            "  {p}: removed {} (and its torn-tail copies), left by a repair that was stopped",
            tmp.display()
        )),
        Err(e) => say(format!("  {p}: a stopped repair's copy remains: {e}")),
    }
}

fn try_lock(f: &File) -> bool {
    // SAFETY: flock on a descriptor we own, with constant flags. The lock
    // goes away when `f` is closed.
    unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

/// `<segment>.repair-tmp`: the repaired copy of a segment, renamed over it
/// once whole and synced. Not a segment name (it does not end in
/// `.binlog`), so a log's readers and writers, and this tool given the
/// directory, leave one that a crash left behind alone.
fn temp_name(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".repair-tmp");
    PathBuf::from(s)
}

/// Removes what a repair of `path` that stopped half-way (killed, or a
/// crash) left: its repaired copy and the torn-tail copies its writer made
/// beside it. The segment under its own name was not changed by that
/// repair (the rename is the last step), and the backup holds every byte.
fn remove_leftovers(tmp: &Path) -> CliResult<()> {
    match std::fs::remove_file(tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(CliError::io_on(format!("{}: remove", tmp.display()), e)),
    }
    for c in torn_copies(tmp) {
        std::fs::remove_file(&c)
            .map_err(|e| CliError::io_on(format!("{}: remove", c.display()), e))?;
    }
    Ok(())
}

/// The files `<file>.corrupt-<offset>[.N]` beside `file`, by name.
fn torn_copies(file: &Path) -> Vec<PathBuf> {
    let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    let prefix = format!("{name}.corrupt-");
    let Ok(entries) = std::fs::read_dir(parent(file)) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            e.file_name().to_str().is_some_and(|n| {
                n.strip_prefix(&prefix).is_some_and(|r| {
                    !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                })
            })
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

/// Replaces the segment at `path` (open and locked as `file`) with a
/// repaired copy of its first `keep` bytes: written to
/// `<segment>.repair-tmp` with the segment's permissions (and owner, where
/// allowed), synced, reopened with a writer (which recovers it: a torn tail
/// copied aside and cut, an old seal removed) and closed (which seals it),
/// synced again, then renamed over the segment and the directory synced.
/// The torn-tail copies the writer made are renamed to the segment's
/// `<segment>.corrupt-<offset>` names first (never over an existing file);
/// their new names are returned.
///
/// The old file is never written: a reader that has it open or mapped
/// keeps it whole (a cut in place would make its mapped pages past the new
/// end raise SIGBUS). Until the rename the segment's name leads to the old
/// file; after it, to the repaired one. On failure before the rename the
/// copy is removed and the segment is as it was.
fn replace(path: &Path, file: &File, keep: u64) -> CliResult<Vec<PathBuf>> {
    let p = paths::show(path);
    let tmp = temp_name(path);
    remove_leftovers(&tmp)?;
    let result = write_repaired(path, file, keep, &tmp);
    if result.is_err() {
        let _ = remove_leftovers(&tmp);
    }
    result?;
    let mut kept = Vec::new();
    for c in torn_copies(&tmp) {
        let name = c.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let tmp_name = tmp.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let rest = name.strip_prefix(tmp_name).unwrap_or_default();
        let mut to = path.as_os_str().to_owned();
        to.push(rest);
        let to = move_unique(&c, PathBuf::from(to))?;
        kept.push(to);
    }
    let dir = parent(path);
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = remove_leftovers(&tmp);
        CliError::io_on(format!("{p}: rename the repaired copy over it"), e)
    })?;
    File::open(&dir).and_then(|d| d.sync_all()).map_err(|e| {
        CliError::io_on(
            format!(
                "{p}: replaced by its repaired copy, but syncing its directory {} failed (a crash \
                 may bring the old file back)",
                dir.display()
            ),
            e,
        )
    })?;
    Ok(kept)
}

/// Writes the repaired copy (see `replace`) to `tmp`.
fn write_repaired(path: &Path, file: &File, keep: u64, tmp: &Path) -> CliResult<()> {
    let p = paths::show(path);
    let t = tmp.display().to_string();
    let meta = file.metadata().map_err(|e| CliError::io_on(&p, e))?;
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(tmp)
        .map_err(|e| CliError::io_on(format!("{t}: create"), e))?;
    // The segment's owner (a repair run as root must not hand the file to
    // root: its writer could not reopen it) and permissions.
    // Where the owner cannot be given (repair run by another user), the
    // group at least, which a member of it may give: with a mode like 0660
    // the segment's writer then still opens it.
    if std::os::unix::fs::fchown(&out, Some(meta.uid()), Some(meta.gid())).is_err() {
        let _ = std::os::unix::fs::fchown(&out, None, Some(meta.gid()));
    }
    out.set_permissions(meta.permissions())
        .map_err(|e| CliError::io_on(format!("{t}: set permissions"), e))?;
    let mut src = file;
    let copied = src
        .seek(SeekFrom::Start(0))
        .and_then(|_| std::io::copy(&mut src.take(keep), &mut out))
        .map_err(|e| CliError::io_on(format!("{t}: copy {p}"), e))?;
    if copied != keep {
        return Err(CliError::io(format!(
            "{p}: it changed while being repaired ({copied} of {keep} bytes read); run repair again"
        )));
    }
    out.sync_all()
        .map_err(|e| CliError::io_on(format!("{t}: sync"), e))?;
    drop(out);
    // Recovered and sealed by the library's writer, as the segment itself
    // was before.
    let w = Writer::open(tmp, Options::default())?;
    w.close()?;
    File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| CliError::io_on(format!("{t}: sync"), e))?;
    Ok(())
}

/// Renames `from` to `to`, or `to.N` if taken (never replacing a file), and
/// returns the name used.
fn move_unique(from: &Path, to: PathBuf) -> CliResult<PathBuf> {
    for n in 0..10_000 {
        let candidate = if n == 0 {
            to.clone()
        } else {
            let mut s = to.clone().into_os_string();
            s.push(format!(".{n}"));
            PathBuf::from(s)
        };
        // A link, not a rename: never replaces a file of that name.
        match std::fs::hard_link(from, &candidate) {
            Ok(()) => {
                std::fs::remove_file(from)
                    .map_err(|e| CliError::io_on(format!("{}: remove", from.display()), e))?;
                return Ok(candidate);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) if !candidate.exists() => {
                // No hard links here: a rename, the name being free.
                std::fs::rename(from, &candidate)
                    .map_err(|e| CliError::io_on(format!("{}: rename", from.display()), e))?;
                return Ok(candidate);
            }
            Err(e) => {
                return Err(CliError::io_on(format!("{}: name", candidate.display()), e));
            }
        }
    }
    Err(CliError::io(format!("{}: no free name", to.display())))
}

/// `<file>.backup-<UTC stamp>` (with `.N` appended if taken).
fn backup_name(path: &Path, dir: Option<&Path>) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stamp = binlog::log::naming::utc_stamp(crate::time::now_ns());
    let dir = dir.map(Path::to_path_buf).unwrap_or_else(|| parent(path));
    let base = dir.join(format!("{name}.backup-{stamp}"));
    unique(base)
}

fn unique(base: PathBuf) -> PathBuf {
    if !base.exists() {
        return base;
    }
    (1..)
        .map(|n| {
            let mut s = base.clone().into_os_string();
            s.push(format!(".{n}"));
            PathBuf::from(s)
        })
        .find(|p| !p.exists())
        .expect("a free name")
}

fn parent(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Copies the file (never overwriting) and syncs the copy and its directory.
/// The copy is made under a temporary name and given the backup's name
/// only once it is whole and synced: a copy that fails half-way (a full
/// disk) or is killed is never left looking like a backup.
fn backup_copy(path: &Path, dir: Option<&Path>) -> CliResult<PathBuf> {
    let to = backup_name(path, dir);
    let mut tmp = to.clone().into_os_string();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    let mut src =
        File::open(path).map_err(|e| CliError::io_on(format!("{}: open", path.display()), e))?;
    let mut dst = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| CliError::io_on(format!("{}: create backup", to.display()), e))?;
    let copied = std::io::copy(&mut src, &mut dst)
        .and_then(|_| dst.sync_all())
        .map_err(|e| CliError::io_on(format!("{}: write backup", to.display()), e))
        .and_then(|()| {
            // A link, not a rename: never replaces a file of that name
            // (renamed where links are not supported).
            std::fs::hard_link(&tmp, &to)
                .or_else(|e| match e.kind() {
                    std::io::ErrorKind::AlreadyExists => Err(e),
                    _ if to.exists() => Err(e),
                    _ => std::fs::rename(&tmp, &to),
                })
                .map_err(|e| CliError::io_on(format!("{}: name backup", to.display()), e))
        });
    let _ = std::fs::remove_file(&tmp);
    copied?;
    let _ = File::open(parent(&to)).and_then(|d| d.sync_all());
    Ok(to)
}

/// `<dir>/<stem>.salvaged-<offset>.binlog`: not a log segment name, so a
/// log's readers and writers leave it alone; it sorts right after the
/// segment it came from.
fn salvage_name(path: &Path, offset: u64) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".binlog").unwrap_or(&name);
    let dir = parent(path);
    let base = dir.join(format!("{stem}.salvaged-{offset}.binlog"));
    if !base.exists() {
        return base;
    }
    (1..)
        .map(|n| dir.join(format!("{stem}.salvaged-{offset}.{n}.binlog")))
        .find(|p| !p.exists())
        .expect("a free name")
}

/// A salvaged segment made earlier from the same run (a repeated
/// `--salvage` of a file whose header stays unreadable), if there is one.
fn already_salvaged(path: &Path, run: &Run) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let stem = name.strip_suffix(".binlog").unwrap_or(&name);
    let prefix = format!("{stem}.salvaged-{}", run.start);
    let entries = std::fs::read_dir(parent(path)).ok()?;
    entries.flatten().map(|e| e.path()).find(|p| {
        let Some(n) = p.file_name().and_then(|n| n.to_str()) else {
            return false;
        };
        if !(n.starts_with(&prefix) && n.ends_with(".binlog")) {
            return false;
        }
        let Ok(r) = Reader::open(p) else { return false };
        let h = r.header();
        let param = |k: &str| {
            h.params
                .iter()
                .find(|(pk, _)| pk == k)
                .map(|(_, v)| v.as_str())
        };
        param("salvaged-from") == Some(name.as_str())
            && param("salvaged-offset") == Some(run.start.to_string().as_str())
            && r.seal()
                .is_some_and(|d| d.record_count == run.count && d.first_seq == run.first_seq)
    })
}

/// Copies the records of `run` into a new segment, with their sequence
/// numbers, timestamps, types and metadata; checks the copy.
fn salvage_run(path: &Path, a: &Analysis, run: &Run, say: &impl Fn(String)) -> CliResult<()> {
    let (_f, map) = walk::map(path).map_err(|e| match e {
        walk::WalkError::Io(m) | walk::WalkError::NotSegment(m) => CliError::io(m),
    })?;
    if let Some(done) = already_salvaged(path, run) {
        say(format!(
            "  {} records (seq {}..{}) were salvaged before, into {}",
            run.count,
            run.first_seq,
            run.first_seq + run.count - 1,
            done.display()
        ));
        return Ok(());
    }
    let to = salvage_name(path, run.start);
    let mut opts = Options {
        first_seq: run.first_seq,
        max_record_size: binlog::options::LARGEST_MAX_RECORD_SIZE,
        writer_version: format!("{} (binlog repair --salvage)", binlog::version::WRITER),
        ..Options::default()
    };
    if let Some(h) = &a.header {
        opts.log_name = h.log_name.clone();
        opts.content_type = h.content_type.clone();
        opts.params = h.params.clone();
        opts.segment_no = h.segment_no;
        opts.created_ns = Some(h.created_ns);
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    opts.params.push(("salvaged-from".into(), file_name));
    opts.params
        .push(("salvaged-offset".into(), run.start.to_string()));
    let w = Writer::open(&to, opts)?;
    let mut types = a.types.clone();
    let mut p = run.start as usize;
    let end = run.end as usize;
    let mut expected = run.first_seq;
    let mut unknown = 0u64;
    let mut unknown_ids: Vec<u32> = Vec::new();
    while p < end {
        // A batch of records borrowed from the map.
        let mut heads = Vec::new();
        let mut bytes = 0usize;
        while p < end && heads.len() < 1024 && bytes < (4 << 20) {
            let FrameAt::Frame { body, total, .. } = frame::frame_at(&map[..end], p, true) else {
                return Err(CliError::Damaged(format!(
                    "{}: offset {p}: the record changed while being salvaged",
                    path.display()
                )));
            };
            let r = frame::decode_record(body).ok_or_else(|| {
                CliError::Damaged(format!("{}: offset {p}: malformed record", path.display()))
            })?;
            let id = r.type_id as usize;
            if let Some(name) = r.defines {
                if types.len() <= id {
                    types.resize(id + 1, None);
                }
                types[id] = Some(String::from_utf8_lossy(name).into_owned());
            }
            if types.get(id).is_none_or(|t| t.is_none()) {
                unknown += 1;
                if !unknown_ids.contains(&r.type_id) {
                    unknown_ids.push(r.type_id);
                }
            }
            bytes += total;
            heads.push(r);
            p += total;
        }
        let names: Vec<String> = heads
            .iter()
            .map(|r| match types.get(r.type_id as usize) {
                Some(Some(n)) => n.clone(),
                _ => format!("unknown-type-{}", r.type_id),
            })
            .collect();
        let metas: Vec<Vec<(&str, &str)>> = heads
            .iter()
            .map(|r| {
                MetaIter::new(r.meta)
                    .map(|(k, v)| {
                        (
                            std::str::from_utf8(k).unwrap_or(""),
                            std::str::from_utf8(v).unwrap_or(""),
                        )
                    })
                    .collect()
            })
            .collect();
        let payloads: Vec<&[u8]> = heads.iter().map(|r| r.payload).collect();
        let entries: Vec<Entry<'_>> = heads
            .iter()
            .enumerate()
            .map(|(i, r)| Entry {
                type_name: &names[i],
                meta: &metas[i],
                timestamp_ns: Some(r.timestamp_ns),
                parts: std::slice::from_ref(&payloads[i]),
            })
            .collect();
        if let Some(first) = heads.first() {
            if first.seq != expected {
                return Err(CliError::Damaged(format!(
                    "{}: the run at offset {} is not consecutive",
                    path.display(),
                    run.start
                )));
            }
        }
        let got = w.write_batch(&entries)?;
        if got != expected {
            return Err(CliError::io(format!(
                "{}: salvage got seq {got}, expected {expected}",
                to.display()
            )));
        }
        expected += entries.len() as u64;
    }
    w.sync()?;
    w.close()?;
    File::open(&to)
        .and_then(|f| f.sync_all())
        .map_err(|e| CliError::io_on(format!("{}: sync", to.display()), e))?;
    let _ = File::open(parent(&to)).and_then(|d| d.sync_all());
    // Read the copy back before anything is cut.
    let mut r = Reader::open(&to)?;
    let mut n = 0u64;
    let mut last = None;
    while let Some(rec) = r.next()? {
        n += 1;
        last = Some(rec.seq);
    }
    if n != run.count || last != Some(run.first_seq + run.count - 1) {
        return Err(CliError::io(format!(
            "{}: the copy holds {n} records, {} were expected; nothing was cut",
            to.display(),
            run.count
        )));
    }
    say(format!(
        "  salvaged {} records (seq {}..{}) from offsets {}..{} into {}{}",
        run.count,
        run.first_seq,
        run.first_seq + run.count - 1,
        run.start,
        run.end,
        to.display(),
        if unknown > 0 {
            let names: Vec<String> = unknown_ids
                .iter()
                .map(|i| format!("unknown-type-{i}"))
                .collect();
            format!(
                " ({unknown} of them of types defined only in the damaged bytes, named {})",
                names.join(", ")
            )
        } else {
            String::new()
        }
    ));
    Ok(())
}
