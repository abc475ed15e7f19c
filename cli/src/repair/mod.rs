//! `binlog repair`: prints the library's repair (`binlog::repair`) of each
//! source: its plan, segment by segment, then (unless `--dry-run`) the
//! steps as they are done, and the summary. The rules (what a segment
//! needs, how it is backed up, cut, resealed or salvaged) are the
//! library's; `report` prints each segment's part and gathers the
//! lines (or the JSON document), `accept_gap` records a gap an operator
//! accepts.

mod report;

use crate::check;
use crate::error::{counted, CliError, CliResult, Outcome};
use crate::output;
use crate::paths::{self, Source, SourceArgs};
use crate::progress::{Progress, ProgressArgs};
use binlog::repair::{self, Plan, Summary};
use clap::Args;
use report::Report;
use std::io::Write;
use std::path::PathBuf;

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
  binlog repair --salvage --backup-dir /srv/backups damaged.binlog
  binlog repair --accept-gap 14..19 --reason 'lost in disk damage' /var/log/orders")]
pub struct RepairArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Say what would be done, and change nothing.
    // `-n`, its old short spelling, is still accepted but not shown: `-n`
    // is `tail`'s number of lines, one meaning per short flag.
    #[arg(long, short_alias = 'n')]
    pub dry_run: bool,
    /// Copy the valid records that follow corruption in the middle of a
    /// segment into new segments, then cut the damaged segment before the
    /// damage (instead of refusing).
    #[arg(long)]
    pub salvage: bool,
    /// Put backup copies here instead of beside each file.
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Print the report as one JSON document: each segment's check (as
    /// `verify --json`), the action, the steps taken and the result.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub progress: ProgressArgs,
    /// Accept that the log's records FROM..TO (inclusive) are lost, so that
    /// verify reports the gap as accepted, not as damage; changes no
    /// segment (recorded in <log>.accepted-gaps).
    #[arg(long, value_name = "FROM..TO", conflicts_with = "salvage")]
    pub accept_gap: Option<String>,
    /// Why the gap is accepted (with --accept-gap; shown by verify).
    #[arg(long, value_name = "TEXT", requires = "accept_gap")]
    pub reason: Option<String>,
}

pub fn run(args: &RepairArgs) -> CliResult<Outcome> {
    if let Some(range) = &args.accept_gap {
        return accept_gap(args, range);
    }
    if let Some(d) = args.backup_dir.as_ref().filter(|d| !d.is_dir()) {
        let what = format!("--backup-dir {}: not a directory", d.display());
        return Err(CliError::usage(what));
    }
    let sources = args.source.resolve()?;
    let total = paths::total_len(&paths::all_files(&sources));
    let what = match args.dry_run {
        true => "repair --dry-run",
        false => "repair",
    };
    let mut report = Report::new(Progress::bytes(total, what), args.json);
    let mut sum = Summary::default();
    for source in &sources {
        let plan = plan_source(source, args, &mut report.progress)?;
        let print = |e: binlog::repair::Event<'_>| report::print_event(e, args.dry_run, &report);
        let s = match args.dry_run {
            true => repair::dry_run(&plan, print),
            false => repair::apply(&plan, print),
        };
        sum.segments += s.segments;
        sum.changed += s.changed;
        sum.left_damaged += s.left_damaged;
        sum.errors += s.errors;
    }
    report.progress.finish();
    if args.json {
        let doc = report.json_document(&sum, args.dry_run);
        let mut out = output::stdout();
        output::print_json_document(&mut out, &doc)?;
        out.flush()?;
    } else {
        report.print_line(&summary_line(&sum, args.dry_run));
    }
    if sum.errors > 0 {
        let files = counted(sum.errors, "file");
        return Err(CliError::io(format!("{files} could not be repaired")));
    }
    Ok(Outcome::damaged_if(sum.left_damaged > 0))
}

/// `repair: 3 segments checked, changed 1, 0 left damaged`.
fn summary_line(sum: &Summary, dry_run: bool) -> String {
    let verb = if dry_run { "would change" } else { "changed" };
    let errors = (sum.errors > 0).then(|| format!(", {}", counted(sum.errors, "error")));
    let (segments, errors) = (counted(sum.segments, "segment"), errors.unwrap_or_default());
    let (changed, left) = (sum.changed, sum.left_damaged);
    format!("repair: {segments} checked, {verb} {changed}, {left} left damaged{errors}")
}

/// The plan for a source's segments, checked one by one as verify checks
/// them (with the log's continuity).
fn plan_source(source: &Source, args: &RepairArgs, progress: &mut Progress) -> CliResult<Plan> {
    let mut reports = Vec::new();
    check::check_source(
        source,
        &crate::remote::TrustArgs::default(),
        progress,
        |rep, _| {
            reports.push(rep);
            Ok(())
        },
    )?;
    let options = repair::Options {
        salvage: args.salvage,
        backup_dir: args.backup_dir.clone(),
    };
    let log = source.log.as_ref().map(|l| (l.dir.clone(), l.name.clone()));
    Ok(Plan::of_reports(reports, log, &options))
}

/// `repair --accept-gap FROM..TO`: records that a log's records FROM to
/// TO are known to be lost (e.g. in the damaged bytes a salvage cut), in
/// the log's `<log>.accepted-gaps` (`binlog::repair::accept_gap`), so
/// that `verify` reports the gap as accepted and the log as clean. No
/// segment changes.
///
/// Accepts the gap `range` of the one log `args.source.paths` names.
fn accept_gap(args: &RepairArgs, range: &str) -> CliResult<Outcome> {
    let (from, to) = parse_range(range)?;
    let source = paths::single(args.source.resolve()?, "repair --accept-gap")?;
    let Some(log) = &source.log else {
        return Err(CliError::usage(format!(
            "repair --accept-gap: {} is not a log directory (a gap is between a log's segments)",
            source.label
        )));
    };
    let reason = args.reason.as_deref().unwrap_or("");
    if args.dry_run {
        println!("would accept gap seq {from}..{to} of {}", source.label);
        return Ok(Outcome::Clean);
    }
    let g = repair::accept_gap(&log.dir, &log.name, from, to, reason)?;
    let file = repair::accepted_gaps_path(&log.dir, &log.name);
    let why = match g.reason.as_str() {
        "" => g.accepted_utc.clone(),
        r => format!("{r}, {}", g.accepted_utc),
    };
    let (from, to, file) = (g.from_seq, g.to_seq, paths::show(&file));
    let gap = format!("gap seq {from}..{to} of {}", source.label);
    println!("accepted {gap} ({why}), recorded in {file}");
    Ok(Outcome::Clean)
}

/// `A..B` (inclusive) or a single `A`; A > B is refused (as
/// `repair::accept_gap` would, also under --dry-run).
fn parse_range(s: &str) -> CliResult<(u64, u64)> {
    let bad = || CliError::usage(format!("--accept-gap {s:?}: expected FROM..TO or SEQ"));
    let (a, b) = s.split_once("..").unwrap_or((s, s));
    let number = |n: &str| n.trim().parse::<u64>().map_err(|_| bad());
    let (a, b) = (number(a)?, number(b)?);
    if a > b {
        return Err(CliError::usage(format!(
            "gap {a}..{b}: the first number is larger than the last"
        )));
    }
    Ok((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gap_ranges() {
        assert_eq!(parse_range("14..19").unwrap(), (14, 19));
        assert_eq!(parse_range("14").unwrap(), (14, 14));
        assert!(parse_range("19..14").is_err());
        assert!(parse_range("a..b").is_err());
    }
}
