//! A source's segments checked in order, with what is wrong between them:
//! the sequence numbers and segment numbers of a log's segments continue
//! each other, and its manifest can be read.

use super::segment::{check_file, LogIssue, LogIssueKind, Role, SegmentCheck};
use crate::continuity::accepted_note;
use crate::error::CliResult;
use crate::lock;
use crate::paths::{self, LogId, Source};
use crate::progress::Progress;
use binlog::log::accepted_gaps::{self, AcceptedGap};
use binlog::log::{manifest::Manifest, naming};
use std::path::PathBuf;

/// What the check of the next segment needs of the one before it.
struct Previous {
    next_seq: Option<u64>,
    segment_no: Option<u64>,
    path: PathBuf,
}

/// Checks a source's segments in order, with the log's continuity; calls
/// `each` as each segment is done.
pub fn check_source(
    source: &Source,
    progress: &mut Progress,
    mut each: impl FnMut(SegmentCheck, &mut Progress) -> CliResult<()>,
) -> CliResult<()> {
    let n = source.files.len();
    let log_held = source
        .log
        .as_ref()
        .is_some_and(|l| lock::is_locked(&naming::lock_path(&l.dir, &l.name)));
    let accepted = source
        .log
        .as_ref()
        .map(|l| load_accepted_gaps(l, progress))
        .unwrap_or_default();
    let mut prev: Option<Previous> = None;
    for (i, f) in source.files.iter().enumerate() {
        let role = match (&source.log, i + 1 == n) {
            (None, _) => Role::Standalone,
            (Some(_), true) => Role::LogNewest,
            (Some(_), false) => Role::LogOlder,
        };
        let len = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        let mut c = check_file(f, role, log_held, progress);
        progress.file_done(len);
        if source.log.is_some() {
            if let Some(p) = &prev {
                check_continuity(p, &mut c, &accepted);
            }
            let segment_no = c
                .analysis
                .as_ref()
                .and_then(|a| a.header.as_ref())
                .map(|h| h.segment_no);
            prev = Some(Previous {
                next_seq: c.next_seq(),
                segment_no,
                path: f.clone(),
            });
        }
        each(c, progress)?;
    }
    if let Some(log) = &source.log {
        note_unreadable_manifest(log, progress);
    }
    Ok(())
}

/// Whether segment `c` continues `prev`: its first sequence number is the
/// one after `prev`'s records (or the records missing between them are a
/// gap the operator accepted: noted, not damage), and its segment number
/// is larger (the same for a file salvaged from `prev`'s segment).
fn check_continuity(prev: &Previous, c: &mut SegmentCheck, accepted: &[AcceptedGap]) {
    let (Some(expected), Some(h)) = (
        prev.next_seq,
        c.analysis.as_ref().and_then(|a| a.header.as_ref()),
    ) else {
        return;
    };
    let mut found = Vec::new();
    let lost = (h.first_seq > expected).then(|| (expected, h.first_seq - 1));
    match lost.and_then(|(from, to)| accepted.iter().find(|g| g.covers(from, to))) {
        Some(g) => c.notes.push(accepted_note(lost.expect("a gap"), g)),
        None if h.first_seq != expected => {
            let what = match lost {
                Some((from, to)) => format!("records {from}..{to} are missing"),
                None => "sequence numbers overlap".to_string(),
            };
            found.push(LogIssue::new(
                LogIssueKind::Sequence,
                format!(
                    "offset 32: the header's first_seq is {}, but the previous segment \
                     {} ends before {expected}: {what}",
                    h.first_seq,
                    paths::show(&prev.path)
                ),
            ));
        }
        None => {}
    }
    let salvaged = c
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(paths::log_of_file_name)
        .is_some_and(|(_, o)| o.salvaged.is_some());
    if prev
        .segment_no
        .is_some_and(|p| h.segment_no < p || (h.segment_no == p && !salvaged))
    {
        found.push(LogIssue::new(
            LogIssueKind::SegmentNumber,
            format!(
                "offset 24: segment number {} does not follow {}",
                h.segment_no,
                prev.segment_no.unwrap_or(0)
            ),
        ));
    }
    if !found.is_empty() {
        c.damaged = true;
        c.log_issues.extend(found);
    }
}

/// "gap seq 14..19 accepted (lost in the damage, 20261123T220000Z)": the
/// range missing here, and the accepted gap's reason and time.
/// The gaps accepted for `log`; none, with a note, if their file cannot
/// be read (the gaps then count as damage again).
fn load_accepted_gaps(log: &LogId, progress: &Progress) -> Vec<AcceptedGap> {
    accepted_gaps::load(&log.dir, &log.name).unwrap_or_else(|e| {
        progress.println(&format!(
            "note: {} (accepted gaps not applied)",
            e.message()
        ));
        Vec::new()
    })
}

/// Notes a manifest that cannot be read (it is for people and tools: the
/// segments are the truth, and the next writer rewrites it).
fn note_unreadable_manifest(log: &LogId, progress: &Progress) {
    let m = naming::manifest_path(&log.dir, &log.name);
    if let Err(e) = Manifest::load(&m) {
        if e.kind() != binlog::ErrorKind::NotFound {
            progress.println(&format!(
                "note: {} (the manifest is rewritten when the log is next opened for writing)",
                e.message()
            ));
        }
    }
}
