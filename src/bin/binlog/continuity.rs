//! Whether consecutive segments of one log continue each other's sequence
//! numbers, for the commands that print or count records (`cat`, `stats`,
//! `tail`, `info`): a segment lost from the middle of a log (deleted by
//! hand, not restored from a backup) would otherwise go unnoticed, its
//! records simply absent from the output. `binlog verify` and the
//! library's `LogReader` make the same check.

use crate::paths;
use binlog::log::accepted_gaps::{self, AcceptedGap};
use binlog::log::{gap_between, SegmentEnd as End};
use binlog::{Reader, Tail};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

/// Where the last segment passed ended, if it belongs to a log.
#[derive(Default)]
pub struct Continuity {
    prev: Option<SegmentEnd>,
    /// The gaps the operator accepted (`repair --accept-gap`) for the log
    /// last seen, loaded once per log.
    accepted: Option<((PathBuf, String), Vec<AcceptedGap>)>,
}

struct SegmentEnd {
    /// The log (directory and name) the segment belongs to.
    log: (PathBuf, String),
    /// Its segment number, by its name.
    segment_no: u64,
    /// The sequence number the log's next segment should start at; None
    /// when the segment was not read to its end and has no seal to say.
    next_seq: Option<u64>,
    path: PathBuf,
}

/// What is wrong between two segments of a log.
#[derive(Debug, PartialEq, Eq)]
pub enum SeqBreak {
    /// Records `from..=to` are in neither segment.
    Missing { from: u64, to: u64, message: String },
    /// The segment starts before the previous one ended.
    Overlap { message: String },
    /// Records `from..=to` are in neither segment, a loss the operator
    /// accepted: a note, not damage.
    Accepted { from: u64, to: u64, message: String },
}

impl SeqBreak {
    pub fn message(&self) -> &str {
        match self {
            SeqBreak::Missing { message, .. }
            | SeqBreak::Overlap { message }
            | SeqBreak::Accepted { message, .. } => message,
        }
    }

    /// Whether the break is damage (not a gap the operator accepted).
    pub fn is_damage(&self) -> bool {
        !matches!(self, SeqBreak::Accepted { .. })
    }
}

impl Continuity {
    /// Checks the segment just opened, whose header says it starts at
    /// `first`, against the one passed before it; missing records outside
    /// `shown` (the sequence numbers the command prints) are not reported.
    pub fn check(
        &mut self,
        file: &Path,
        first: u64,
        shown: RangeInclusive<u64>,
    ) -> Option<SeqBreak> {
        let prev = self.prev.as_ref()?;
        let (log, segment_no) = log_of(file)?;
        if log != prev.log {
            return None;
        }
        let expected = prev.next_seq?;
        if first > expected {
            let (from, to) = (expected, first - 1);
            let wanted = to >= *shown.start() && from <= *shown.end();
            return wanted.then(
                || match accepted_gap(&mut self.accepted, &prev.log, from, to) {
                    Some(g) => SeqBreak::Accepted {
                        from,
                        to,
                        message: format!("{}: {}", paths::show(file), accepted_note((from, to), g)),
                    },
                    None => missing(file, prev, segment_no, first),
                },
            );
        }
        (first < expected).then(|| SeqBreak::Overlap {
            message: format!(
                "{}: offset 32: the segment starts at sequence number {first}, but the previous \
                 segment {} ends before {expected}: their sequence numbers overlap",
                paths::show(file),
                paths::show(&prev.path)
            ),
        })
    }

    /// Notes where a segment ended: `next_seq`, the sequence number after
    /// its last record, when known (see `next_seq_after`).
    pub fn ended(&mut self, file: &Path, next_seq: Option<u64>) {
        self.prev = log_of(file).map(|(log, segment_no)| SegmentEnd {
            log,
            segment_no,
            next_seq,
            path: file.to_path_buf(),
        });
    }

    /// A segment that could not be read: nothing is known of its end.
    pub fn forget(&mut self) {
        self.prev = None;
    }
}

/// The accepted gap of `log` that covers `from..=to`, if any, from
/// `accepted` (the gaps of the log last seen, loaded here when `log` is
/// another); a file of accepted gaps that cannot be read accepts none (the
/// gap is then reported as damage, and `binlog verify` says why).
fn accepted_gap<'a>(
    accepted: &'a mut Option<((PathBuf, String), Vec<AcceptedGap>)>,
    log: &(PathBuf, String),
    from: u64,
    to: u64,
) -> Option<&'a AcceptedGap> {
    if accepted.as_ref().map(|(l, _)| l) != Some(log) {
        let gaps = accepted_gaps::load(&log.0, &log.1).unwrap_or_default();
        *accepted = Some((log.clone(), gaps));
    }
    let (_, gaps) = accepted.as_ref()?;
    gaps.iter().find(|g| g.covers(from, to))
}

/// How a lost range `from..=to` that gap `g` accepts is noted.
pub fn accepted_note((from, to): (u64, u64), g: &AcceptedGap) -> String {
    format!("gap seq {from}..{to} accepted ({})", reason_and_time(g))
}

/// Why and when gap `g` was accepted: `<reason>, <UTC time>`, or the time
/// alone when no reason was given.
pub fn reason_and_time(g: &AcceptedGap) -> String {
    match g.reason.as_str() {
        "" => g.accepted_utc.clone(),
        r => format!("{r}, {}", g.accepted_utc),
    }
}

/// Records missing between `prev` and `file` (segment `segment_no`,
/// starting at `first`), as the library's log reader names the gap
/// (`binlog::log::gap_between`).
fn missing(file: &Path, prev: &SegmentEnd, segment_no: u64, first: u64) -> SeqBreak {
    let end = End {
        segment_no: prev.segment_no,
        next_seq: prev.next_seq.unwrap_or(first),
    };
    let gap = gap_between(end, file, segment_no, first).expect("records are missing");
    SeqBreak::Missing {
        from: end.next_seq,
        to: first - 1,
        message: format!("{gap}; `binlog verify` tells more"),
    }
}

/// The sequence number after a segment's last record: from its seal, or,
/// unsealed, where `r` stopped if it read every record (`read_to_end`:
/// to the end, without a type filter) and nothing in the middle was
/// damaged.
pub fn next_seq_after(r: &Reader, read_to_end: bool) -> Option<u64> {
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

/// The log a segment file (or object, `s3://`) belongs to, by its name
/// and directory, and its segment number.
fn log_of(file: &Path) -> Option<((PathBuf, String), u64)> {
    let name = file.file_name()?.to_str()?;
    if crate::remote::is_remote(file) {
        let key = binlog::archive::object_name::parse_segment_key(name)?;
        let dir = paths::dir_of(file);
        let log = dir.file_name()?.to_str()?.to_string();
        return Some(((dir, log), key.segment_no));
    }
    let (log, order) = paths::log_of_file_name(name)?;
    Some(((paths::dir_of(file), log), order.segment_no))
}
