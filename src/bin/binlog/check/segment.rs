//! The verdict on one segment, from the library's verification of it
//! (`binlog::verify`): its damage, a writer holding it, and its place in
//! its log, sorted into what the reports print.

use super::analysis::{without_location, Analysis};
use binlog::verify::{self, FindingKind, SegmentReport};
use std::path::{Path, PathBuf};

/// The verdict on one segment.
#[derive(Default)]
pub struct SegmentCheck {
    pub path: PathBuf,
    pub analysis: Option<Analysis>,
    /// Set when the file is no segment this tool reads (exit status 2).
    pub error: Option<String>,
    pub locked: bool,
    pub damaged: bool,
    pub notes: Vec<String>,
    /// Problems of the segment as a part of its log.
    pub log_issues: Vec<LogIssue>,
}

/// A problem of a segment as a part of its log (not of its own bytes).
pub struct LogIssue {
    /// `NotSealed` (its writer died, newer segments follow), `WrongLog`
    /// (copied or renamed in), `MissingRecords` or `SequenceOverlap` (its
    /// first sequence number does not continue the segment before it).
    pub kind: FindingKind,
    pub message: String,
}

/// Checks one segment on its own.
pub fn check_file(path: &Path) -> SegmentCheck {
    check_report(verify::segment(path))
}

/// The verdict the library's report `rep` gives.
pub fn check_report(rep: SegmentReport) -> SegmentCheck {
    let mut c = SegmentCheck {
        path: rep.location.clone(),
        locked: rep.writer_holds,
        ..SegmentCheck::default()
    };
    if let Some(f) = rep.findings.iter().find(|f| f.is_not_a_segment()) {
        c.error = Some(f.message.clone());
        return c;
    }
    for f in &rep.findings {
        use FindingKind::*;
        let message = without_location(f);
        match f.kind {
            NotSealed | WrongLog | MissingRecords | SequenceOverlap => {
                c.log_issues.push(LogIssue {
                    kind: f.kind,
                    message,
                })
            }
            _ if !f.is_damage() => c.notes.push(message),
            _ => {}
        }
    }
    let a = Analysis::of_report(&rep);
    c.damaged = !a.is_clean() || !c.log_issues.is_empty();
    c.analysis = Some(a);
    c
}
