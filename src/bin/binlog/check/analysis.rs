//! A segment's verdict as the reports print it, taken from the library's
//! verification (`binlog::verify`): its damage, its runs of intact records
//! (which `repair --salvage` copies), how its records end, and what they
//! hold. Nothing here classifies bytes: the library's reader did.

use binlog::__private::format::header::SegmentHeader;
use binlog::verify::{Finding, FindingKind, RepairAction, SegmentReport};
use binlog::Tail;

/// The kind of damage an issue is (reports print `FindingKind::name`, as
/// the C API and the bindings do): a corrupt frame of a compressed segment
/// is the seal's damage past the records (repair reseals) and corruption
/// in them (the reader's finding of its region names it). None for a
/// finding that is no damage of the segment's own bytes.
fn issue_kind(f: &Finding) -> Option<FindingKind> {
    use FindingKind::*;
    match f.kind {
        CorruptFrame if f.repair == RepairAction::Reseal => Some(SealDamaged),
        CorruptFrame => Some(Corrupt),
        CorruptHeader | Truncated | Corrupt | SequenceJump | TornTail | SealDamaged
        | SealIndexDamaged => Some(f.kind),
        _ => None,
    }
}

/// Damage that a cut would lose valid records over: repair refuses it
/// unless told to salvage.
pub fn is_mid_file(kind: FindingKind) -> bool {
    use FindingKind::*;
    matches!(kind, CorruptHeader | Corrupt | SequenceJump)
}

#[derive(Clone, Debug)]
pub struct Issue {
    /// One of the kinds `issue_kind` gives.
    pub kind: FindingKind,
    pub offset: u64,
    /// Bytes affected (0 when the issue is about one place).
    pub len: u64,
    /// Where valid records resume after the damage.
    pub resume: Option<u64>,
    pub message: String,
}

/// Consecutive intact records `[start, end)` with gap-free sequence
/// numbers: what `repair --salvage` copies.
pub use binlog::__private::writer::salvage::Run as IntactRun;

pub struct Analysis {
    pub file_len: u64,
    pub header: Option<SegmentHeader>,
    /// How its records end (`Tail::Reading` counts as unsealed); None:
    /// the file could not be read as a segment.
    pub end: Option<Tail>,
    pub runs: Vec<IntactRun>,
    pub issues: Vec<Issue>,
    /// Issues beyond those the library keeps.
    pub more_issues: u64,
    pub records: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// The newest file of a log, its header not written yet
    /// (`NotYetWritten`): no record, no damage.
    pub being_created: bool,
}

impl Analysis {
    /// The analysis the library's report of a segment gives.
    pub fn of_report(rep: &SegmentReport) -> Analysis {
        let damage: Vec<&Finding> = rep.findings.iter().filter(|f| f.is_damage()).collect();
        let issues = damage
            .iter()
            .filter_map(|f| {
                let kind = issue_kind(f)?;
                let offset = f.offset.unwrap_or(0);
                Some(Issue {
                    kind,
                    offset,
                    len: f.len,
                    resume: is_mid_file(kind).then_some(offset + f.len),
                    message: message_of(f),
                })
            })
            .collect();
        Analysis {
            file_len: rep.file_len,
            header: rep.header.clone(),
            end: end_of(rep),
            runs: runs_of(rep),
            issues,
            more_issues: rep.more_findings,
            records: rep.records,
            first_seq: rep.first_seq,
            last_seq: rep.last_seq,
            being_created: being_created(rep),
        }
    }

    pub fn is_clean(&self) -> bool {
        self.issues.is_empty() && self.more_issues == 0
    }

    pub fn is_sealed(&self) -> bool {
        self.end == Some(Tail::Sealed)
    }
}

/// A finding's message without the location and offset it starts with
/// (the reports print them themselves).
fn message_of(f: &Finding) -> String {
    let m = without_location(f);
    match f.offset {
        Some(o) => m
            .strip_prefix(&format!("offset {o}: "))
            .map_or(m.clone(), str::to_string),
        None => m,
    }
}

/// A finding's message without the location it starts with (the reports
/// print the location themselves).
pub(super) fn without_location(f: &Finding) -> String {
    let loc = format!("{}: ", f.location.display());
    f.message
        .strip_prefix(&loc)
        .unwrap_or(&f.message)
        .to_string()
}

/// Whether `rep` is of the newest file of a log being created: its header
/// not written yet (`NotYetWritten`).
fn being_created(rep: &SegmentReport) -> bool {
    rep.findings
        .iter()
        .any(|f| f.kind == FindingKind::NotYetWritten)
}

/// How the records of `rep`'s segment end; the newest file of a log being
/// created has none yet, as an unsealed segment.
fn end_of(rep: &SegmentReport) -> Option<Tail> {
    match rep.tail {
        _ if being_created(rep) => Some(Tail::Unsealed),
        Some(Tail::Reading) => Some(Tail::Unsealed),
        tail => tail,
    }
}

/// The runs of intact records between the damaged regions the reader
/// skipped (a region of no bytes, a jump in sequence numbers, splits a
/// run too), up to where the records read end.
fn runs_of(rep: &SegmentReport) -> Vec<IntactRun> {
    let Some(last) = rep.last_seq else {
        return Vec::new();
    };
    let mut runs = Vec::new();
    let mut start = rep.data_start;
    let mut seq = rep.header.as_ref().map_or(0, |h| h.first_seq);
    let regions = rep.findings.iter().filter(|f| {
        matches!(
            f.kind,
            FindingKind::Corrupt | FindingKind::SequenceJump | FindingKind::CorruptHeader
        ) && f.offset.is_some()
    });
    for f in regions {
        let (at, from, to) = (f.offset.unwrap_or(0), f.from_seq, f.to_seq);
        let (Some(from), Some(to)) = (from, to) else {
            continue;
        };
        if from > seq && at >= start {
            runs.push(IntactRun {
                start,
                end: at,
                first_seq: seq,
                count: from - seq,
            });
        }
        start = at + f.len;
        seq = to;
    }
    if last >= seq && rep.records_end > start {
        runs.push(IntactRun {
            start,
            end: rep.records_end,
            first_seq: seq,
            count: last - seq + 1,
        });
    }
    runs
}
