//! What salvaging a segment of a log does to the log: the records after
//! the cut are in salvaged files, which the log reads right after the
//! segment cut (docs/FORMAT.md section 14a); the records that were in the
//! damaged bytes are lost, a gap in the log (damage left, until an
//! operator accepts it with `accept_gap`). When the cut segment was the
//! newest, an empty segment numbered after the salvaged records keeps the
//! log's next writer from numbering new records as they are numbered.

use super::{say, Emit, Salvage, SegmentPlan, StepKind};
use crate::error::Result;
use crate::format::{header::SegmentHeader, naming};
use crate::{Durability, Options, Writer};
use std::path::{Path, PathBuf};

type Log = (PathBuf, String);

/// The steps on the log of a salvage of `s` (`dry`: that it would take,
/// for its plan): whether a gap is left, and whether a step failed.
pub(super) fn effects(s: &SegmentPlan, log: &Log, dry: bool, emit: Emit) -> (bool, bool) {
    match s.next_first {
        Some(next_first) => (gap_left(s, next_first, log, dry, emit), false),
        None => number_after_salvage(s, log, dry, emit),
    }
}

/// A salvage cut segment `s` of `log`: says the ranges of records the log
/// now misses (those in the damaged bytes, see `lost_ranges`; before
/// `next_first`, the first sequence number of the log's next file, if
/// any), and how to accept them as lost. True if any.
fn gap_left(s: &SegmentPlan, next_first: Option<u64>, log: &Log, dry: bool, emit: Emit) -> bool {
    let lost = lost_ranges(s, next_first);
    for &(from, to) in &lost {
        let (p, dir) = (s.verdict.path.display(), log.0.display());
        let records = missing(from, to + 1, dry);
        let message = format!(
            "{p}: {records} from the log (lost in the damage; the salvaged records are read in \
             their place): once nothing can bring them back, `binlog repair --accept-gap \
             {from}..{to} {dir}` accepts the gap"
        );
        say(emit, StepKind::Gap, message);
    }
    !lost.is_empty()
}

/// The ranges (inclusive) of sequence numbers a salvage of `s` loses:
/// those between the records kept, the runs salvaged, and `next_first`
/// (the first number of the log's next file).
fn lost_ranges(s: &SegmentPlan, next_first: Option<u64>) -> Vec<(u64, u64)> {
    let (Some((kept_next, _)), Some(Salvage { runs, .. })) = (salvage_ends(s), &s.salvage) else {
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
fn missing(from: u64, to: u64, dry: bool) -> String {
    let (what, verb) = if to == from + 1 {
        (format!("record {from}"), "is")
    } else {
        (format!("records {from}..{}", to - 1), "are")
    };
    format!("{what} {} missing", if dry { "would be" } else { verb })
}

/// A salvage cut the newest segment of a log: the log's next writer goes
/// on after the cut and would number its records as the salvaged ones are
/// numbered (one number, two records: one in the cut segment, one in a
/// salvaged file). An empty segment, sealed, numbered after the cut one
/// and starting after the salvaged numbers makes the writer number after
/// them; the records lost in the damage are a gap, as for a segment in
/// the middle (damage left). Whether a gap is left, and whether starting
/// the segment failed.
fn number_after_salvage(s: &SegmentPlan, log: &Log, dry: bool, emit: Emit) -> (bool, bool) {
    let header = s.verdict.analysis.as_ref().and_then(|a| a.header.as_ref());
    let (Some((kept_next, after)), Some(h)) = (salvage_ends(s), header) else {
        return (false, false);
    };
    if after <= kept_next {
        return (false, false);
    }
    let no = h.segment_no + 1;
    let name = naming::segment_name(&log.1, no, crate::clock::now_ns());
    let path = log.0.join(name);
    let p = path.display();
    let why = "so that the log's writer numbers new records after the salvaged ones";
    let started = match dry {
        true => Ok("would start"),
        false => start_empty_segment(&path, &log.1, h, no, after).map(|()| "started"),
    };
    match started {
        Ok(done) => {
            let message = format!("{done} {p}, empty, at sequence number {after}, {why}");
            say(emit, StepKind::StartSegment, message);
            (gap_left(s, Some(after), log, dry, emit), false)
        }
        Err(e) => {
            let (seg, cause) = (s.verdict.path.display(), e.message());
            let message = format!(
                "{seg}: could not start the segment that keeps the salvaged numbers from being \
                 used again ({cause}): the log's next writer will number new records from \
                 {kept_next}, as the salvaged ones are numbered"
            );
            say(emit, StepKind::Error, message);
            (false, true)
        }
    }
}

/// Writes segment `no` of log `log` at `path`, empty and sealed, its
/// records to start at `first_seq`, with the header fields of the segment
/// before it (`h`).
fn start_empty_segment(
    path: &Path,
    log: &str,
    h: &SegmentHeader,
    no: u64,
    first_seq: u64,
) -> Result<()> {
    let opts = Options {
        log_name: log.to_string(),
        segment_no: no,
        first_seq,
        created_ns: None,
        // Synced, with its directory entry, as the cut before it is: lost to
        // a power failure it would let the writer reuse the numbers.
        durability: Durability::EveryRecord,
        ..crate::writer::salvage::options_like(Some(h), "binlog repair --salvage")
    };
    Writer::open(path, opts).and_then(|w| w.close())
}

/// For a segment a salvage cuts: the sequence number after the records it
/// keeps, and the one after the last record salvaged (the same if none
/// is).
fn salvage_ends(s: &SegmentPlan) -> Option<(u64, u64)> {
    let (cut, runs) = s.salvage.as_ref().and_then(|x| Some((x.cut?, &x.runs)))?;
    let a = s.verdict.analysis.as_ref()?;
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
