//! Whether consecutive segments of one log continue each other's sequence
//! numbers, for the commands that print or count records (`cat`, `stats`,
//! `tail`): a segment lost from the middle of a log (deleted by hand, not
//! restored from a backup) would otherwise go unnoticed, its records simply
//! absent from the output. `binlog verify` and the library's `LogReader`
//! make the same check.

use crate::paths;
use crate::select::Filter;
use binlog::{Reader, Tail};
use std::path::{Path, PathBuf};

/// Where the last segment visited ended, if it belongs to a log.
#[derive(Default)]
pub struct Continuity {
    prev: Option<End>,
}

struct End {
    /// The log (directory and name) the segment belongs to.
    log: (PathBuf, String),
    /// The sequence number the log's next segment should start at; None
    /// when the segment was not read to its end and has no seal to say.
    next_seq: Option<u64>,
    path: PathBuf,
}

/// What is wrong between two segments of a log.
#[derive(Debug, PartialEq, Eq)]
pub enum Break {
    /// Records `from..=to` are in neither segment.
    Missing { from: u64, to: u64, message: String },
    /// The segment starts before the previous one ended.
    Overlap { message: String },
}

impl Break {
    pub fn message(&self) -> &str {
        match self {
            Break::Missing { message, .. } | Break::Overlap { message } => message,
        }
    }
}

impl Continuity {
    /// Checks the segment just opened, whose header says it starts at
    /// `first`, against the one visited before it; a gap outside the
    /// filter's sequence range is not reported (those records would not
    /// have been printed).
    pub fn check(&self, file: &Path, first: u64, filter: Option<&Filter>) -> Option<Break> {
        let prev = self.prev.as_ref()?;
        if log_of(file).as_ref() != Some(&prev.log) {
            return None;
        }
        let expected = prev.next_seq?;
        if first > expected {
            let (from, to) = (expected, first - 1);
            let wanted = filter.is_none_or(|f| {
                f.from_seq.is_none_or(|s| to >= s) && f.to_seq.is_none_or(|s| from <= s)
            });
            let records = if from == to {
                format!("record {from} is")
            } else {
                format!("records {from}..{to} are")
            };
            return wanted.then(|| Break::Missing {
                from,
                to,
                message: format!(
                    "{}: {records} missing before this segment: the previous segment {} ends \
                     before {from} (a segment of the log removed or lost); `binlog verify` tells \
                     more",
                    paths::show(file),
                    paths::show(&prev.path)
                ),
            });
        }
        (first < expected).then(|| Break::Overlap {
            message: format!(
                "{}: offset 32: the segment starts at sequence number {first}, but the previous \
                 segment {} ends before {expected}: their sequence numbers overlap",
                paths::show(file),
                paths::show(&prev.path)
            ),
        })
    }

    /// Records where a segment ended: `next_seq`, the sequence number
    /// after its last record, when known (see `end_of`).
    pub fn visited(&mut self, file: &Path, next_seq: Option<u64>) {
        self.prev = log_of(file).map(|log| End {
            log,
            next_seq,
            path: file.to_path_buf(),
        });
    }

    /// A segment that could not be read: nothing is known of its end.
    pub fn unknown(&mut self) {
        self.prev = None;
    }
}

/// The sequence number after a segment's last record: from its seal, or,
/// unsealed, where `r` stopped if it read every record (`read_to_end`:
/// to the end, without a type filter) and nothing in the middle was
/// damaged.
pub fn end_of(r: &Reader, read_to_end: bool) -> Option<u64> {
    match r.seal() {
        Some(d) => Some(r.header().first_seq + d.record_count),
        None if read_to_end
            && matches!(
                r.tail(),
                Tail::Unsealed | Tail::SealDamaged { .. } | Tail::Torn { .. }
            ) =>
        {
            Some(r.next_seq())
        }
        None => None,
    }
}

/// The log a segment file belongs to, by its name and directory.
fn log_of(file: &Path) -> Option<(PathBuf, String)> {
    let name = file.file_name()?.to_str()?;
    let (log, _) = paths::log_of_file_name(name)?;
    Some((paths_dir(file), log))
}

/// The directory of `file`, as "." when it has none (so that `a.binlog`
/// and `./a.binlog` are in the same one).
fn paths_dir(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
