//! The verdict on one segment: the walk of its bytes, what a writer
//! holding it changes about that, and what its name and state say about
//! its place in its log.

use crate::file_kind;
use crate::lock;
use crate::paths;
use crate::progress::Progress;
use crate::walk::{self, Analysis, IssueKind, RecordsEnd};
use std::path::{Path, PathBuf};

/// Where a segment stands in its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Standalone,
    /// In a log, with newer segments after it: it must be sealed.
    LogOlder,
    /// The newest segment of a log: it may be open for writing.
    LogNewest,
}

/// The verdict on one segment.
pub struct SegmentCheck {
    pub path: PathBuf,
    pub analysis: Option<Analysis>,
    /// Set when the file could not be read at all.
    pub error: Option<String>,
    pub locked: bool,
    pub damaged: bool,
    pub notes: Vec<String>,
    /// Problems between this segment and the one before it in the log.
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
    /// Its header names another log: a segment copied or renamed in.
    WrongLog,
    /// Its first sequence number does not continue the segment before it.
    Sequence,
    /// Its segment number does not follow the one before it.
    SegmentNumber,
}

impl LogIssue {
    pub(super) fn new(kind: LogIssueKind, message: String) -> LogIssue {
        LogIssue { kind, message }
    }
}

impl SegmentCheck {
    /// Sequence number the next segment of the log should start with.
    pub(super) fn next_seq(&self) -> Option<u64> {
        let a = self.analysis.as_ref()?;
        match a.last_seq {
            Some(s) => Some(s + 1),
            None => a.header.as_ref().map(|h| h.first_seq),
        }
    }
}

/// Checks one segment on its own.
/// `log_held`: the segment's log is open in a writer (its `<name>.lock`
/// is held): an unsealed segment of it is that writer's, also in the
/// instant of a roll when no segment lock is held.
pub fn check_file(
    path: &Path,
    role: Role,
    log_held: bool,
    progress: &mut Progress,
) -> SegmentCheck {
    let mut c = SegmentCheck {
        path: path.to_path_buf(),
        analysis: None,
        error: None,
        locked: false,
        damaged: false,
        notes: Vec::new(),
        log_issues: Vec::new(),
    };
    if file_kind::is_empty(path) {
        c.notes.push(format!(
            "{}: {}",
            file_kind::EMPTY_STATE,
            file_kind::EMPTY_NOTE
        ));
        c.analysis = Some(walk::empty_analysis());
        return c;
    }
    let mut a = match analyze_segment(path, progress, &mut c.notes) {
        Ok(a) => a,
        Err(e) => {
            c.error = Some(e);
            return c;
        }
    };
    if !a.is_sealed() {
        c.locked = log_held || lock::is_locked(path);
    }
    if c.locked {
        note_being_written(&mut c, &mut a);
    }
    note_unsealed(&mut c, &a, role);
    check_log_name(&mut c, &a);
    c.damaged = !a.is_clean() || !c.log_issues.is_empty();
    c.analysis = Some(a);
    c
}

/// Walks the segment at `path` (not empty); the error to report for one
/// that cannot be read, or that is not a segment at all (decided on the
/// bytes the walk read: see `file_kind`).
fn analyze_segment(
    path: &Path,
    progress: &mut Progress,
    notes: &mut Vec<String>,
) -> Result<Analysis, String> {
    let (a, map) = walk::analyze(path, progress, notes).map_err(|e| e.message())?;
    if a.records == 0 && a.header.is_none() {
        if let Some(e) = file_kind::not_a_segment(path, &map) {
            return Err(e.to_string());
        }
    }
    Ok(a)
}

/// A writer has the segment open: a tail that is not a whole record yet
/// is a record being written, and a seal after the records' SEAL_BEGIN
/// frame a seal being written (a rolling log seals the segment it rolled
/// away from after the roll), not damage.
fn note_being_written(c: &mut SegmentCheck, a: &mut Analysis) {
    match a.end {
        RecordsEnd::Torn { offset, len } => {
            a.issues.retain(|i| i.kind != IssueKind::Torn);
            c.notes.push(format!(
                "offset {offset}: {len} bytes of a record being written (a writer has the segment open)"
            ));
        }
        RecordsEnd::SealDamaged { offset } => {
            a.issues.retain(|i| i.kind != IssueKind::Seal);
            c.notes.push(format!(
                "offset {offset}: ending: its records are closed and a writer is writing its seal"
            ));
        }
        _ => {}
    }
}

/// What an unsealed segment means where it stands.
fn note_unsealed(c: &mut SegmentCheck, a: &Analysis, role: Role) {
    match (a.end, role) {
        // A roll creates the next segment before it closes this one's
        // records with a SEAL_BEGIN frame: until then the log's writer
        // holds this segment, unsealed.
        (RecordsEnd::Unsealed, Role::LogOlder) if c.locked => c.notes.push(
            "unsealed: a writer has it open (newer segments follow it: it is being sealed)".into(),
        ),
        (RecordsEnd::Unsealed, Role::LogOlder) => {
            c.log_issues.push(LogIssue::new(
                LogIssueKind::NotSealed,
                format!(
                    "offset {}: not sealed, although newer segments follow it (its writer died); \
                     `binlog repair` seals it",
                    a.file_len
                ),
            ));
        }
        (RecordsEnd::Unsealed, _) if c.locked => {
            c.notes.push("unsealed: a writer has it open".into())
        }
        (RecordsEnd::Unsealed, _) => c.notes.push(
            "unsealed: its writer stopped without closing it (every record is intact; \
             `binlog repair` seals it, a writer reopening it continues it)"
                .into(),
        ),
        _ => {}
    }
}

/// A file named as a file of a log whose header names another log (copied
/// or renamed in), or another segment number than its name (renamed): the
/// library's log reader stops there.
fn check_log_name(c: &mut SegmentCheck, a: &Analysis) {
    let log = c
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(paths::log_of_file_name);
    let (Some((log, order)), Some(h)) = (log, &a.header) else {
        return;
    };
    let message = if h.log_name != log {
        format!(
            "offset 44: a segment of log {:?}, not of log {log:?}",
            h.log_name
        )
    } else if h.segment_no != order.segment_no {
        format!(
            "offset 24: the header says segment {}, the file name segment {}",
            h.segment_no, order.segment_no
        )
    } else {
        return;
    };
    c.log_issues
        .push(LogIssue::new(LogIssueKind::WrongLog, message));
}
