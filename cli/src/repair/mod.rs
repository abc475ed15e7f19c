//! `binlog repair`: prints the library's repair (`binlog::repair`) of each
//! source: its plan, segment by segment, then (unless `--dry-run`) the
//! steps as they are done, and the summary. The rules (what a segment
//! needs, how it is backed up, cut, resealed or salvaged) are the
//! library's; `segment` prints a segment's part, `report` gathers the
//! lines (or the JSON document), `accept_gap` records a gap an operator
//! accepts.

mod accept_gap;
mod args;
mod report;
mod segment;

pub use args::RepairArgs;

use crate::check;
use crate::error::{counted, CliError, CliResult, Outcome};
use crate::output;
use crate::paths::{self, Source};
use crate::progress::Progress;
use binlog::repair::{self, Plan, Summary};
use report::Report;
use std::io::Write;

pub fn run(args: &RepairArgs) -> CliResult<Outcome> {
    if let Some(range) = &args.accept_gap {
        return accept_gap::run(args, range);
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
        let print = |e: binlog::repair::Event<'_>| segment::print_event(e, args.dry_run, &report);
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
    check::check_source(source, &check::TrustArgs::default(), progress, |rep, _| {
        reports.push(rep);
        Ok(())
    })?;
    let options = repair::Options {
        salvage: args.salvage,
        backup_dir: args.backup_dir.clone(),
    };
    let log = source.log.as_ref().map(|l| (l.dir.clone(), l.name.clone()));
    Ok(Plan::of_reports(reports, log, &options))
}
