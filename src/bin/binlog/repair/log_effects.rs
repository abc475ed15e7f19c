//! What salvaging a segment of a log does to the log: the records after
//! the cut are in salvaged files, which the log reads right after the
//! segment cut (docs/FORMAT.md section 14a); the records that were in the
//! damaged bytes are lost, a gap in the log (damage left, until an
//! operator accepts it with `--accept-gap`). When the cut segment was the
//! newest, an empty segment numbered after the salvaged records keeps the
//! log's next writer from numbering new records as they are numbered.

use super::args::RepairArgs;
use super::plan::{salvage_ends, Plan};
use super::report::{RepairCounts, Report};
use crate::check::SegmentCheck;
use crate::paths::{self, LogId};
use binlog::__private::format::header::SegmentHeader;
use binlog::__private::log::naming;
use binlog::{Options, Writer};
use std::path::Path;

/// A salvage cut segment `c` of `log`: prints the ranges of records the
/// log now misses (those in the damaged bytes, see `lost_ranges`; before
/// `next_first`, the first sequence number of the log's next file, if
/// any), and how to accept them as lost. That damage remains (counted).
pub(super) fn gap_left_by_salvage(
    c: &SegmentCheck,
    plan: &Plan,
    next_first: Option<u64>,
    log: &LogId,
    args: &RepairArgs,
    report: &Report,
    counts: &mut RepairCounts,
) {
    let lost = lost_ranges(c, plan, next_first);
    for &(from, to) in &lost {
        report.print_line(&format!(
            "  {}: {} from the log (lost in the damage; the salvaged records are read in \
                 their place): once nothing can bring them back, `binlog repair --accept-gap \
                 {from}..{to} {}` accepts the gap",
            paths::show(&c.path),
            missing(from, to + 1, args.dry_run),
            paths::show(&log.dir)
        ));
    }
    if !lost.is_empty() {
        counts.left += 1;
    }
}

/// The ranges (inclusive) of sequence numbers a salvage of `c` (as
/// `plan` planned) loses: those between the records kept, the runs
/// salvaged, and `next_first` (the first number of the log's next file).
fn lost_ranges(c: &SegmentCheck, plan: &Plan, next_first: Option<u64>) -> Vec<(u64, u64)> {
    let (Some((kept_next, _)), Plan::Salvage { runs, .. }) = (salvage_ends(c, plan), plan) else {
        return Vec::new();
    };
    let mut runs = runs.clone();
    runs.sort_by_key(|r| r.first_seq);
    let mut lost = Vec::new();
    let mut at = kept_next;
    let starts = runs.iter().map(|r| (r.first_seq, r.first_seq + r.count));
    for (first, end) in starts.chain(next_first.map(|n| (n, n))) {
        if first > at {
            lost.push((at, first - 1));
        }
        at = at.max(end);
    }
    lost
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
/// numbered (one number, two records: one in the cut segment, one in a
/// salvaged file). An empty segment, sealed, numbered after the cut one
/// and starting after the salvaged numbers makes the writer number after
/// them; the records lost in the damage are a gap, as for a segment in
/// the middle (damage left).
pub(super) fn number_after_salvage(
    c: &SegmentCheck,
    plan: &Plan,
    log: &LogId,
    args: &RepairArgs,
    report: &Report,
    counts: &mut RepairCounts,
) {
    let (Some((kept_next, after)), Some(h)) = (
        salvage_ends(c, plan),
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
    let why = "so that the log's writer numbers new records after the salvaged ones";
    let started = match args.dry_run {
        true => Ok("would start"),
        false => start_empty_segment(&path, log, h, no, after).map(|()| "started"),
    };
    match started {
        Ok(done) => {
            let line = format!("  {done} {p}, empty, at sequence number {after}, {why}");
            report.print_line(&line);
            gap_left_by_salvage(c, plan, Some(after), log, args, report, counts);
        }
        Err(e) => {
            report.print_line(&format!(
                "  {}: could not start the segment that keeps the salvaged numbers from being \
                     used again ({}): the log's next writer will number new records from \
                     {kept_next}, as the salvaged ones are numbered",
                paths::show(&c.path),
                e.message()
            ));
            counts.errors += 1;
        }
    }
}

/// Writes segment `no` of `log` at `path`, empty and sealed, its records to
/// start at `first_seq`, with the header fields of the segment before it
/// (`h`).
fn start_empty_segment(
    path: &Path,
    log: &LogId,
    h: &SegmentHeader,
    no: u64,
    first_seq: u64,
) -> binlog::Result<()> {
    let opts = Options {
        log_name: log.name.clone(),
        content_type: h.content_type.clone(),
        params: h.params.clone(),
        segment_no: no,
        first_seq,
        writer_version: format!("{} (binlog repair --salvage)", binlog::version::WRITER),
        // Synced, with its directory entry, as the cut before it is: lost to
        // a power failure it would let the writer reuse the numbers.
        durability: binlog::Durability::EveryRecord,
        ..Options::default()
    };
    Writer::open(path, opts).and_then(|w| w.close())
}
