//! `binlog repair`: prints the library's repair (`binlog::repair`) of each
//! source: its plan, segment by segment, then (unless `--dry-run`) the
//! steps as they are done, and the summary. The rules (what a segment
//! needs, how it is backed up, cut, resealed or salvaged) are the
//! library's; `Report` prints each segment's part and gathers the
//! lines (or the JSON document), `accept_gap` records a gap an operator
//! accepts.

use crate::check::{self, issue_line, to_json, Verdict};
use crate::error::{counted, refuse, CliError, CliResult, Outcome};
use crate::output;
use crate::paths::{self, SourceArgs};
use crate::progress::{Progress, ProgressArgs};
use binlog::repair::Outcome as Ended;
use binlog::repair::{self, Action, Event, Plan, SegmentPlan, Summary};
use clap::Args;
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
#[command(after_help = include_str!("../help/repair.txt"))]
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
    let what = ["repair", "repair --dry-run"][usize::from(args.dry_run)];
    // A text report, or (`--json`) one gathered for a JSON document.
    let mut report = Report {
        progress: Progress::bytes(total, what),
        json: args.json.then(RefCell::default),
    };
    let mut sum = Summary::default();
    let options = repair::Options {
        salvage: args.salvage,
        backup_dir: args.backup_dir.clone(),
    };
    // No key is trusted: a repair checks no signature.
    let trust = crate::remote::TrustArgs::default();
    for source in &sources {
        // The plan for the source's segments, checked one by one as verify
        // checks them (with the log's continuity).
        let mut reports = Vec::new();
        check::check_source(source, &trust, &mut report.progress, |rep, _| {
            reports.push(rep);
            Ok(())
        })?;
        let log = source.log.as_ref().map(|l| (l.dir.clone(), l.name.clone()));
        let plan = Plan::of_reports(reports, log, &options);
        let print = |e: Event<'_>| print_event(e, args.dry_run, &report);
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
    Ok(Outcome::Damaged.when(sum.left_damaged > 0))
}

/// `repair: 3 segments checked, changed 1, 0 left damaged`.
fn summary_line(sum: &Summary, dry_run: bool) -> String {
    let verb = if dry_run { "would change" } else { "changed" };
    let errors = (sum.errors > 0).then(|| format!(", {}", counted(sum.errors, "error")));
    let (segments, errors) = (counted(sum.segments, "segment"), errors.unwrap_or_default());
    let (changed, left) = (sum.changed, sum.left_damaged);
    format!("repair: {segments} checked, {verb} {changed}, {left} left damaged{errors}")
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
    let why = format!("gap {a}..{b}: the first number is larger than the last");
    refuse(a > b, &why).map(|()| (a, b))
}

// What a repair says as it goes, and what it counts. With `--json` the
// lines are gathered, each under the segment it is about, into one JSON
// document printed at the end (`json_document`) instead. Each segment's
// part (`print_event`): what it needs and why, the steps done (or, with
// `--dry-run`, that would be), and how it ended.

/// Where a repair's report goes: lines above the progress bar, or the
/// segments of a JSON document. Every part of repair that says something
/// (the log effects of a salvage too) reports through `print_line` alike.
struct Report {
    progress: Progress,
    /// The segments reported so far, when the report is JSON (None: text).
    /// In a cell, so that the steps of a repair can print lines through a
    /// shared borrow while its segment's fields are set.
    json: Option<RefCell<Vec<Map<String, Value>>>>,
}

impl Report {
    /// Sets a field of the current segment's JSON report (`action`: what
    /// the plan is; `result`: how it ended).
    fn set_segment_field(&self, key: &str, value: Value) {
        if let Some(v) = &self.json {
            if let Some(seg) = v.borrow_mut().last_mut() {
                seg.insert(key.to_string(), value);
            }
        }
    }

    /// Prints a report line on standard output (above the progress bar). A
    /// closed output does not stop a repair half-way: the line is dropped.
    /// In a JSON report the line goes to the current segment's `steps`.
    fn print_line(&self, line: &str) {
        if let Some(v) = &self.json {
            if let Some(seg) = v.borrow_mut().last_mut() {
                let steps = seg.entry("steps").or_insert_with(|| json!([]));
                if let Value::Array(a) = steps {
                    a.push(json!(line.trim_start()));
                }
                return;
            }
        }
        self.progress.suspend(|| {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}").and_then(|()| out.flush());
        });
    }

    /// The JSON report: the totals and every segment's report (none in a
    /// text report).
    fn json_document(self, counts: &Summary, dry_run: bool) -> Value {
        let segments = self.json.map(RefCell::into_inner).unwrap_or_default();
        json!({
            "dry_run": dry_run, "clean": counts.is_clean(), "segments_checked": counts.segments,
            "changed": counts.changed, "left_damaged": counts.left_damaged, "errors": counts.errors,
            "segments": segments,
        })
    }
}

/// Prints one event of a repair (`dry_run`: of a dry run).
fn print_event(e: Event<'_>, dry_run: bool, report: &Report) {
    match e {
        Event::Segment(s) => begin(s, report),
        Event::Step(st) => report.print_line(&format!("  {}", st.message)),
        // How a segment's repair ended.
        Event::Ended(s, outcome, err) => {
            let result = match (outcome, dry_run) {
                (Ended::Unchanged, _) => return,
                (Ended::Repaired, true) => "would-repair",
                (Ended::Repaired, false) => "repaired",
                (Ended::LeftDamaged, _) => "left-damaged",
                (Ended::Error, _) => "error",
            };
            report.set_segment_field("result", json!(result));
            if let Some(e) = err {
                let p = paths::show(&s.verdict.path);
                let e = CliError::from(e.clone());
                let line =
                    format!("  error: {e}; {p} is unchanged unless a step above says otherwise");
                report.print_line(&line);
            }
        }
    }
}

/// Says what a segment needs and why, and its damage.
fn begin(s: &SegmentPlan, report: &Report) {
    let c = &s.verdict;
    // The segment's JSON report starts with its check, as `verify --json`
    // gives it (built only for a JSON report).
    if let Some(v) = &report.json {
        let Value::Object(m) = to_json(c) else {
            unreachable!("a check is an object")
        };
        v.borrow_mut().push(m);
    }
    let p = paths::show(&c.path);
    let why = &s.why;
    let action = match s.action {
        Action::Unreadable => "none",
        a => a.name(),
    };
    report.set_segment_field("action", json!(action));
    if !matches!(s.action, Action::Unreadable | Action::Salvage) {
        report.set_segment_field("why", json!(why));
    }
    match s.action {
        Action::None => report.print_line(&format!("ok       {p}: {why}")),
        Action::Unreadable => report.print_line(&format!("ERROR    {p}: {why}")),
        Action::Refuse => {
            report.print_line(&format!("DAMAGED  {p}: {why}"));
            describe_damage(c, report);
        }
        Action::Reseal | Action::Salvage => {
            let a = c.analysis.as_ref().expect("planned from an analysis");
            let summary = format!("{}, {} valid", a.state_name(), a.records_phrase());
            report.print_line(&format!("REPAIR   {p}: {summary}"));
            describe_damage(c, report);
        }
    }
}

fn describe_damage(c: &Verdict, report: &Report) {
    let p = paths::show(&c.path);
    for i in c.analysis.iter().flat_map(|a| &a.issues) {
        report.print_line(&issue_line(&p, i));
    }
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
