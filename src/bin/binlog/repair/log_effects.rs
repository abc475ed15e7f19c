//! What salvaging a segment of a log does to the log: the records after
//! the cut are only in the salvaged segments, outside it. The log keeps a
//! gap there (damage left), and when the cut segment was the newest, an
//! empty segment numbered after the salvaged records keeps the log's next
//! writer from numbering new records as they are numbered.

use super::args::RepairArgs;
use super::plan::salvage_ends;
use super::report::{print_line, RepairCounts};
use crate::check::SegmentCheck;
use crate::paths::{self, LogId};
use crate::progress::Progress;
use binlog::format::header::SegmentHeader;
use binlog::log::naming;
use binlog::{Options, Writer};
use std::path::Path;

/// Where the records salvaged from a log's segment are, and why they count
/// as missing from it.
const OUTSIDE: &str = "those that were intact are in the salvaged segments, outside it";
const GONE: &str = "not repairable: the records are gone from it";

/// A salvage cut a segment that newer segments of its log follow: the
/// records after the cut now are only in the salvaged segments, outside
/// the log, which has records missing between this segment and the next
/// (as `verify` says at once). That damage remains.
pub(super) fn gap_left_by_salvage(
    c: &SegmentCheck,
    next: &SegmentCheck,
    args: &RepairArgs,
    progress: &Progress,
    counts: &mut RepairCounts,
) {
    let Some((from, _)) = salvage_ends(c, args.salvage) else {
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
    print_line(
        progress,
        &format!(
            "  {}: {} from the log ({OUTSIDE}): the log {tense} a gap before {} ({GONE})",
            paths::show(&c.path),
            missing(from, to, args.dry_run),
            paths::show(&next.path)
        ),
    );
    counts.left += 1;
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
pub(super) fn number_after_salvage(
    c: &SegmentCheck,
    log: &LogId,
    args: &RepairArgs,
    progress: &Progress,
    counts: &mut RepairCounts,
) {
    let (Some((kept_next, after)), Some(h)) = (
        salvage_ends(c, args.salvage),
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
    let why = "so that the log's writer numbers new records after the salvaged ones";
    if args.dry_run {
        let line = format!("  would start {p}, empty, at sequence number {after}, {why}; {gap}");
        print_line(progress, &line);
        counts.left += 1;
        return;
    }
    match start_empty_segment(&path, log, h, no, after) {
        Ok(()) => {
            let line = format!("  started {p}, empty, at sequence number {after}, {why}; {gap}");
            print_line(progress, &line);
            counts.left += 1;
        }
        Err(e) => {
            print_line(
                progress,
                &format!(
                    "  {}: could not start the segment that keeps the salvaged numbers from being \
                     used again ({}): the log's next writer will number new records from \
                     {kept_next}, as the salvaged ones are numbered",
                    paths::show(&c.path),
                    e.message()
                ),
            );
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
