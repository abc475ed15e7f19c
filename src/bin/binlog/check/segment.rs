//! The verdict on one segment, from the library's verification of it
//! (`binlog::verify`): its damage, a writer holding it, and its place in
//! its log, sorted into what the reports print.

use super::analysis::{without_location, Analysis};
use binlog::verify::{self, FindingKind, SegmentReport};
use std::path::{Path, PathBuf};

/// The verdict on one segment.
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
    pub kind: LogIssueKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogIssueKind {
    /// Not sealed, although newer segments follow it: its writer died.
    NotSealed,
    /// Its header names another log, or another segment number than its
    /// file name: a segment copied or renamed in.
    WrongLog,
    /// Its first sequence number does not continue the segment before it.
    Sequence,
}

/// Checks one segment on its own.
pub fn check_file(path: &Path) -> SegmentCheck {
    check_report(verify::segment(path))
}

/// The verdict the library's report `rep` gives.
pub fn check_report(rep: SegmentReport) -> SegmentCheck {
    let mut c = SegmentCheck {
        path: rep.location.clone(),
        analysis: None,
        error: None,
        locked: rep.writer_holds,
        damaged: false,
        notes: Vec::new(),
        log_issues: Vec::new(),
    };
    if let Some(f) = rep.findings.iter().find(|f| f.is_not_a_segment()) {
        c.error = Some(f.message.clone());
        return c;
    }
    for f in &rep.findings {
        let kind = match f.kind {
            FindingKind::NotSealed => LogIssueKind::NotSealed,
            FindingKind::WrongLog => LogIssueKind::WrongLog,
            FindingKind::MissingRecords | FindingKind::SequenceOverlap => LogIssueKind::Sequence,
            _ => {
                if !f.is_damage() {
                    c.notes.push(without_location(f));
                }
                continue;
            }
        };
        c.log_issues.push(LogIssue {
            kind,
            message: without_location(f),
        });
    }
    let a = Analysis::of_report(&rep);
    c.damaged = !a.is_clean() || !c.log_issues.is_empty();
    c.analysis = Some(a);
    c
}
