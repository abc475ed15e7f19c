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
//! The segment itself is never changed in place (see `replace.rs`): the
//! repaired copy is written beside it as `<segment>.repair-tmp`, synced,
//! and renamed over it, and the directory synced. A reader that has the
//! old file open (mapped) keeps reading it as it was, never faulting on
//! pages a cut removed; a crash leaves either the old file or the repaired
//! one under the segment's name. A segment a writer has open is never
//! touched.
//!
//! `plan` decides what each segment needs, `segment` reports and carries it
//! out (`dry_run` says what it would do), `replace` writes the repaired
//! copy, `backup` the backup copy, `salvage` copies the records after
//! mid-file damage, and `log_effects` says what a salvage does to the log
//! the segment belongs to; `accept_gap` records a gap an operator accepts.

mod accept_gap;
mod args;
mod backup;
mod compressed;
mod dry_run;
mod execute;
mod log_effects;
mod plan;
mod replace;
mod report;
mod salvage;
mod segment;

pub use args::RepairArgs;

use crate::check;
use crate::error::{CliError, CliResult, Outcome};
use crate::output;
use crate::paths::{self, Source};
use crate::progress::Progress;
use binlog::verify::FindingKind;
use report::{RepairCounts, Report};
use std::io::Write;

pub fn run(args: &RepairArgs) -> CliResult<Outcome> {
    if let Some(range) = &args.accept_gap {
        return accept_gap::run(args, range);
    }
    if let Some(d) = &args.backup_dir {
        if !d.is_dir() {
            return Err(CliError::usage(format!(
                "--backup-dir {}: not a directory",
                d.display()
            )));
        }
    }
    let sources = args.source.resolve()?;
    let total = paths::total_len(&paths::all_files(&sources));
    let what = if args.dry_run {
        "repair --dry-run"
    } else {
        "repair"
    };
    let mut report = Report::new(Progress::bytes(total, what), args.json);
    let mut counts = RepairCounts::default();
    for source in &sources {
        repair_source(source, args, &mut report, &mut counts)?;
    }
    report.progress.finish();
    if args.json {
        let doc = report.json_document(&counts, args.dry_run);
        let mut out = output::stdout();
        output::print_json_document(&mut out, &doc)?;
        out.flush()?;
    } else {
        report.print_line(&summary_line(&counts, args.dry_run));
    }
    if counts.errors > 0 {
        return Err(CliError::io(format!(
            "{} files could not be repaired",
            counts.errors
        )));
    }
    Ok(Outcome::damaged_if(counts.left > 0))
}

/// `repair: 3 segments checked, changed 1, 0 left damaged`.
fn summary_line(counts: &RepairCounts, dry_run: bool) -> String {
    let verb = if dry_run { "would change" } else { "changed" };
    format!(
        "repair: {} segment{} checked, {verb} {}, {} left damaged{}",
        counts.segments,
        check::plural(counts.segments),
        counts.changed,
        counts.left,
        if counts.errors > 0 {
            format!(", {} errors", counts.errors)
        } else {
            String::new()
        }
    )
}

fn repair_source(
    source: &Source,
    args: &RepairArgs,
    report: &mut Report,
    counts: &mut RepairCounts,
) -> CliResult<()> {
    // Checked one by one, as verify does (with the log's continuity).
    let mut checked = Vec::new();
    check::check_source(source, &mut report.progress, |c, _| {
        checked.push(c);
        Ok(())
    })?;
    for (i, c) in checked.iter().enumerate() {
        counts.segments += 1;
        let changed = counts.changed;
        let plan = plan::plan(c, args.salvage);
        segment::repair_segment(c, &plan, args, report, counts);
        if let (true, Some(log)) = (counts.changed > changed, &source.log) {
            match checked.get(i + 1) {
                Some(next) => {
                    let next_first = next.analysis.as_ref().and_then(|n| n.header.as_ref());
                    let next_first = next_first.map(|h| h.first_seq);
                    log_effects::gap_left_by_salvage(
                        c, &plan, next_first, log, args, report, counts,
                    )
                }
                None => log_effects::number_after_salvage(c, &plan, log, args, report, counts),
            }
        }
        // Problems between segments (records missing before this one) are
        // not repairable here, whatever the segment itself needed.
        for l in &c.log_issues {
            if l.kind != FindingKind::NotSealed {
                let p = paths::show(&c.path);
                let why = if l.kind == FindingKind::WrongLog {
                    "it belongs to another log, or another place in this one: move it out"
                } else {
                    "the records are gone"
                };
                let m = &l.message;
                report.print_line(&format!("  {p}: {m} (not repairable: {why})"));
                counts.left += 1;
            }
        }
    }
    Ok(())
}
