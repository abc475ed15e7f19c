//! A salvage: the runs of intact records after mid-file damage are copied
//! into new segments `<segment stem>.salvaged-<offset>.binlog` by the
//! writer's salvage (which a log writer's recovery uses too), each read
//! back before the segment is cut.

use super::verdict::{Analysis, Run};
use super::SegmentPlan;
use crate::error::Result;
use crate::format::naming;
use crate::writer::salvage::{self, lost_type_name, Salvaged};
use crate::Options;
use std::path::Path;

/// What a salvage copies, and where it cuts the segment (None: its header
/// is unreadable, the file is left as it is).
#[derive(Clone, Debug)]
pub(super) struct Salvage {
    pub cut: Option<u64>,
    pub runs: Vec<Run>,
}

/// For a segment a salvage cuts: the sequence number after the records it
/// keeps, and the one after the last record salvaged (the same if none
/// is).
pub(super) fn salvage_ends(s: &SegmentPlan) -> Option<(u64, u64)> {
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

/// Copies the records of `run` into a new segment, with their sequence
/// numbers, timestamps, types and metadata, as the reader skipping damage
/// reads them; the copy is checked. Returns what it did, said.
pub(super) fn salvage_run(path: &Path, a: &Analysis, run: &Run) -> Result<String> {
    let done = salvage::salvage_run(path, origin(path, a), run)?;
    Ok(salvaged_line(run, &done))
}

/// The header fields of the segment a run is copied from, for its copy.
fn origin(path: &Path, a: &Analysis) -> Options {
    let mut opts = salvage::options_like(a.header.as_ref(), "binlog repair --salvage");
    let by_name = || naming::log_of_file_name(path.file_name()?.to_str()?);
    if let (None, Some((log, order))) = (&a.header, by_name()) {
        // The header is lost, the name says whose segment it was: the copy
        // is read in its log, which refuses a file of another log or number.
        opts.log_name = log;
        opts.segment_no = order.segment_no;
    }
    opts
}

/// What a salvage of `run` says it did.
fn salvaged_line(run: &Run, done: &Salvaged) -> String {
    let (n, first, last) = (run.count, run.first_seq, run.first_seq + run.count - 1);
    let into = done.path.display();
    if done.earlier {
        return format!("{n} records (seq {first}..{last}) were salvaged before, into {into}");
    }
    let lost = if done.lost_type_records > 0 {
        let ids = &done.lost_type_ids;
        let names: Vec<String> = ids.iter().map(|&i| lost_type_name(i)).collect();
        let (k, names) = (done.lost_type_records, names.join(", "));
        format!(" ({k} of them of types defined only in the damaged bytes, named {names})")
    } else {
        String::new()
    };
    let (start, end) = (run.start, run.end);
    format!(
        "salvaged {n} records (seq {first}..{last}) from offsets {start}..{end} into {into}{lost}"
    )
}
