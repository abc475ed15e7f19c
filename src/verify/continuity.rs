//! Whether consecutive segments of one log continue each other's sequence
//! numbers: the rule `LogReader` reads a log by, for the tools that walk a
//! log's files themselves (`binlog cat`, `stats`, `tail`, `info`) and for
//! verification, so that a segment lost from the middle of a log is
//! noticed. A failed roll's empty leftover and records the operator
//! accepted as lost (`binlog repair --accept-gap`) are notes, not damage.

use super::{Finding, FindingKind};
use crate::log::accepted_gaps::{self, AcceptedGap};
use crate::log::{
    gap_between, naming, overlap, starts_behind, Behind, FileShape, SegmentEnd as End,
};
use crate::reader::{Reader, Tail};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

/// Where the last segment passed ended, if it belongs to a log.
#[derive(Default)]
pub struct Continuity {
    prev: Option<SegmentEnd>,
    /// The accepted gaps of the log last seen, loaded once per log.
    accepted: Option<(LogOf, Vec<AcceptedGap>)>,
    /// The failed roll's leftover `check` last found: its end says
    /// nothing of the log's (`ended` ignores it).
    leftover: Option<PathBuf>,
}

/// A log: its directory and name.
type LogOf = (PathBuf, String);

struct SegmentEnd {
    log: LogOf,
    /// Its segment number, by its name.
    segment_no: u64,
    /// The sequence number the log's next segment must start at; None when
    /// not known (the segment was not read to its end and has no seal).
    next_seq: Option<u64>,
    path: PathBuf,
}

impl Continuity {
    /// Nothing seen yet: the first segment continues anything.
    pub fn new() -> Continuity {
        Continuity::default()
    }

    /// Checks the segment at `path` (`file`: what its header and seal say)
    /// against the one passed before it (a segment of the same log, by
    /// their file names): records missing (`MissingRecords`, or
    /// `AcceptedGap`), or, for a file starting before that one's end, what
    /// the log's reader makes of it (`log::starts_behind`): an overlap (`SequenceOverlap`), a
    /// failed roll's leftover (`FailedRollLeftover`, no damage) or a
    /// salvaged file whose records the segment before holds past its
    /// damage (no finding: a log's reader skips it). A skipped file ends
    /// nothing: the next `ended` of it is ignored. Missing records wholly
    /// outside `shown` (the sequence numbers a command prints) are not
    /// reported.
    pub fn check(
        &mut self,
        path: &Path,
        file: &FileShape,
        shown: RangeInclusive<u64>,
    ) -> Option<Finding> {
        self.leftover = None;
        let first = file.first_seq;
        let prev = self.prev.as_ref()?;
        let (log, segment_no) = log_of(path)?;
        if log != prev.log {
            return None;
        }
        let exp = prev.next_seq?;
        let loc = path.display();
        match starts_behind(file, exp) {
            Some(Behind::FailedRollLeftover) => {
                let m = format!(
                    "{loc}: holds no record and starts at {first}, before the end ({exp}) of \
                     {}: what a roll that failed after creating it leaves (not read)",
                    prev.path.display()
                );
                self.leftover = Some(path.to_path_buf());
                return Some(finding(path, FindingKind::FailedRollLeftover, None, m));
            }
            Some(Behind::SalvagedAlreadyRead) => {
                self.leftover = Some(path.to_path_buf());
                return None;
            }
            Some(Behind::Overlap) => {
                let m = overlap(path, first, &prev.path, exp).message().to_string();
                return Some(finding(path, FindingKind::SequenceOverlap, None, m));
            }
            None => {}
        }
        if first == exp || first - 1 < *shown.start() || exp > *shown.end() {
            return None;
        }
        let end = End {
            segment_no: prev.segment_no,
            next_seq: exp,
        };
        let gap = gap_between(end, path, segment_no, first).expect("records are missing");
        Some(self.missing(path, (exp, first), gap.to_string()))
    }

    /// Records `from..to` of the log of the file at `path` are missing:
    /// `AcceptedGap` where the operator accepted them as lost, else
    /// `MissingRecords` saying `why`.
    pub(super) fn missing(&mut self, path: &Path, (from, to): (u64, u64), why: String) -> Finding {
        let range = Some((from, to));
        let accepted =
            log_of(path).and_then(|(log, _)| self.accepted_gap(&log, from, to - 1).map(reason));
        match accepted {
            Some(r) => {
                let (loc, last) = (path.display(), to - 1);
                let m = format!("{loc}: gap seq {from}..{last} accepted ({r})");
                finding(path, FindingKind::AcceptedGap, range, m)
            }
            None => finding(path, FindingKind::MissingRecords, range, why),
        }
    }

    /// Whether the file at `path`, which `check` was last given, is one a
    /// log's reader skips (a failed roll's leftover, a salvaged file
    /// already read): nothing of it is to be read.
    pub fn skips(&self, path: &Path) -> bool {
        self.leftover.as_deref() == Some(path)
    }

    /// Notes where the segment at `path` ended: `next_seq`, the sequence
    /// number its log's next segment must start at, when known (see
    /// [`next_seq_after`]). A failed roll's leftover (see `check`) ends
    /// nothing: the log goes on from the segment before it.
    pub fn ended(&mut self, path: &Path, next_seq: Option<u64>) {
        if self.leftover.take().as_deref() == Some(path) {
            return;
        }
        self.prev = log_of(path).map(|(log, segment_no)| SegmentEnd {
            log,
            segment_no,
            next_seq,
            path: path.to_path_buf(),
        });
    }

    /// A segment that could not be read: nothing is known of its end.
    pub fn forget(&mut self) {
        self.prev = None;
    }

    /// The accepted gap of `log` that covers `from..=to`, if any; a file of
    /// accepted gaps that cannot be read accepts none (the gap is then
    /// damage again, and `binlog verify` says why).
    fn accepted_gap(&mut self, log: &LogOf, from: u64, to: u64) -> Option<&AcceptedGap> {
        if self.accepted.as_ref().map(|(l, _)| l) != Some(log) {
            let gaps = accepted_gaps::load(&log.0, &log.1).unwrap_or_default();
            self.accepted = Some((log.clone(), gaps));
        }
        let (_, gaps) = self.accepted.as_ref()?;
        gaps.iter().find(|g| g.covers(from, to))
    }
}

/// The sequence number the next segment of `r`'s log must start at: after
/// the records its seal counts, or, unsealed, where `r` stopped if it read
/// every record (`read_to_end`: to the end, without a type filter).
pub fn next_seq_after(r: &Reader, read_to_end: bool) -> Option<u64> {
    let sealed_end = |count| r.header().first_seq.saturating_add(count);
    // Unsealed, torn or with a damaged seal: its records end where it was read to.
    let ended = !matches!(r.tail(), Tail::Sealed | Tail::Reading);
    match r.seal() {
        Some(d) => Some(sealed_end(d.record_count).max(r.next_seq())),
        None => (read_to_end && ended).then(|| r.next_seq()),
    }
}

/// Why and when gap `g` was accepted: `<reason>, <UTC time>`, or the time
/// alone when no reason was given.
fn reason(g: &AcceptedGap) -> String {
    match g.reason.as_str() {
        "" => g.accepted_utc.clone(),
        r => format!("{r}, {}", g.accepted_utc),
    }
}

fn finding(path: &Path, kind: FindingKind, range: Option<(u64, u64)>, message: String) -> Finding {
    Finding {
        from_seq: range.map(|r| r.0),
        to_seq: range.map(|r| r.1),
        ..Finding::new(kind, path, Some(32), message)
    }
}

/// The log a segment file (or object, `s3://`) belongs to, by its name
/// and directory (or the prefix of its object URL), and its segment number.
fn log_of(path: &Path) -> Option<(LogOf, u64)> {
    let dir = crate::sys::parent_dir(path).to_path_buf();
    if naming::is_object(path) {
        let log = dir.file_name()?.to_str()?.to_string();
        return Some(((dir, log), naming::remote_key(path)?.segment_no));
    }
    let (log, order) = naming::log_of_file_name(path.file_name()?.to_str()?)?;
    Some(((dir, log), order.segment_no))
}
