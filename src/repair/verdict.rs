//! A segment's verdict, taken from its verification ([`crate::verify`]):
//! its damage, its runs of intact records (which a salvage copies), how its
//! records end, what they hold, and its problems as a part of its log.
//! Nothing here classifies bytes: the library's reader did.

use crate::format::header::SegmentHeader;
use crate::reader::Tail;
use crate::verify::{self, Finding, FindingKind, RepairAction, SegmentReport};
use std::path::{Path, PathBuf};

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
pub(crate) fn is_mid_file(kind: FindingKind) -> bool {
    use FindingKind::*;
    matches!(kind, CorruptHeader | Corrupt | SequenceJump)
}

/// Damage in a segment's own bytes.
#[derive(Clone, Debug)]
pub struct Issue {
    /// `TornTail`, `Corrupt`, `SequenceJump`, `SealDamaged`,
    /// `SealIndexDamaged`, `CorruptHeader` or `Truncated`.
    pub kind: FindingKind,
    /// Where it starts.
    pub offset: u64,
    /// Bytes affected (0 when the issue is about one place).
    pub len: u64,
    /// Where valid records resume after the damage.
    pub resume: Option<u64>,
    /// What is wrong, without the file and offset.
    pub message: String,
}

impl Issue {
    /// Damage that a cut would lose valid records over (corruption in the
    /// middle): a repair refuses it unless told to salvage.
    pub fn is_mid_file(&self) -> bool {
        is_mid_file(self.kind)
    }
}

/// Consecutive intact records `[start, end)` with gap-free sequence
/// numbers: what a salvage copies.
pub use crate::writer::salvage::Run;

/// What the verification of a segment found in its bytes.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// The segment's length (a compressed segment's: of its original bytes).
    pub file_len: u64,
    /// Its header, if it could be read.
    pub header: Option<SegmentHeader>,
    /// How its records end (`Tail::Reading` counts as unsealed); None:
    /// the file could not be read as a segment.
    pub end: Option<Tail>,
    /// Its runs of intact records, in file order.
    pub runs: Vec<Run>,
    /// Its damage, in file order.
    pub issues: Vec<Issue>,
    /// Issues beyond those the library keeps.
    pub more_issues: u64,
    /// The records read.
    pub records: u64,
    /// The first record's sequence number.
    pub first_seq: Option<u64>,
    /// The last record's sequence number.
    pub last_seq: Option<u64>,
    /// The newest file of a log, its header not written yet
    /// (`NotYetWritten`): no record, no damage.
    pub being_created: bool,
}

impl Analysis {
    /// The analysis the report of a segment gives.
    pub fn of_report(rep: &SegmentReport) -> Analysis {
        let damage = rep.findings.iter().filter(|f| f.is_damage());
        let issues = damage
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

    /// No damage.
    pub fn is_clean(&self) -> bool {
        self.issues.is_empty() && self.more_issues == 0
    }

    /// Sealed, its records read to the seal.
    pub fn is_sealed(&self) -> bool {
        self.end == Some(Tail::Sealed)
    }

    /// How its records end, as reports name it: `sealed`, `unsealed`,
    /// `seal-damaged`, `torn-tail`, `truncated`, `corrupt`, `unreadable`;
    /// the newest file of a log being created is `empty` or `truncated`
    /// (docs/CLI.md, `info`).
    pub fn state_name(&self) -> &'static str {
        let has = |k: fn(FindingKind) -> bool| self.issues.iter().any(|i| k(i.kind));
        match self.end {
            _ if self.being_created && self.file_len == 0 => "empty",
            _ if self.being_created => "truncated",
            Some(Tail::Sealed) => "sealed",
            Some(Tail::Unsealed | Tail::Reading) => "unsealed",
            Some(Tail::SealDamaged { .. }) => "seal-damaged",
            Some(Tail::Torn { .. }) => "torn-tail",
            None if has(|k| k == FindingKind::Truncated) => "truncated",
            None if has(is_mid_file) => "corrupt",
            None => "unreadable",
        }
    }

    /// The records of the runs that `pick` picks.
    pub(crate) fn records_in_runs(&self, pick: impl Fn(&Run) -> bool) -> u64 {
        self.runs.iter().filter(|r| pick(r)).map(|r| r.count).sum()
    }

    /// `1000 records, seq 0..999` (or `no records`).
    pub fn records_phrase(&self) -> String {
        match (self.first_seq, self.last_seq) {
            (Some(f), Some(l)) => {
                let s = if self.records == 1 { "" } else { "s" };
                format!("{} record{s}, seq {f}..{l}", self.records)
            }
            _ => "no records".to_string(),
        }
    }
}

/// A finding's message without the location and offset it starts with
/// (the reports print them themselves).
fn message_of(f: &Finding) -> String {
    let m = without_location(f);
    let at = f.offset.map(|o| format!("offset {o}: "));
    m.strip_prefix(&at.unwrap_or_default())
        .unwrap_or(&m)
        .to_string()
}

/// A finding's message without the location it starts with (the reports
/// print the location themselves).
fn without_location(f: &Finding) -> String {
    let loc = format!("{}: ", f.location.display());
    let m = &f.message;
    m.strip_prefix(&loc).unwrap_or(m).to_string()
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
        tail if tail == Some(Tail::Reading) || being_created(rep) => Some(Tail::Unsealed),
        tail => tail,
    }
}

/// The runs of intact records between the damaged regions the reader
/// skipped (a region of no bytes, a jump in sequence numbers, splits a
/// run too), up to where the records read end.
fn runs_of(rep: &SegmentReport) -> Vec<Run> {
    let Some(last) = rep.last_seq else {
        return Vec::new();
    };
    // The run from `start` to `end`, numbered `first_seq` up to `next_seq`.
    let run = |start, end, first_seq, next_seq: u64| Run {
        start,
        end,
        first_seq,
        count: next_seq - first_seq,
    };
    let mut runs = Vec::new();
    let mut start = rep.data_start;
    let mut seq = rep.header.as_ref().map_or(0, |h| h.first_seq);
    for f in rep.findings.iter().filter(|f| is_mid_file(f.kind)) {
        let (Some(at), Some(from), Some(to)) = (f.offset, f.from_seq, f.to_seq) else {
            continue;
        };
        if from > seq && at >= start {
            runs.push(run(start, at, seq, from));
        }
        start = at + f.len;
        seq = to;
    }
    if last >= seq && rep.records_end > start {
        runs.push(run(start, rep.records_end, seq, last + 1));
    }
    runs
}

/// The verdict on one segment.
#[derive(Clone, Debug, Default)]
pub struct Verdict {
    /// The segment (as its report names it).
    pub path: PathBuf,
    /// What its bytes hold; None when it is no segment (`error` says why).
    pub analysis: Option<Analysis>,
    /// Set when the file is no segment the library reads.
    pub error: Option<String>,
    /// A writer holds it.
    pub locked: bool,
    /// Damaged, in its bytes or as a part of its log.
    pub damaged: bool,
    /// Findings that are no damage (a zero tail, an accepted gap, ...).
    pub notes: Vec<String>,
    /// Problems of the segment as a part of its log.
    pub log_issues: Vec<LogIssue>,
}

/// A problem of a segment as a part of its log (not of its own bytes).
#[derive(Clone, Debug)]
pub struct LogIssue {
    /// The library's finding (its kind, file, offset and length):
    /// `NotSealed` (its writer died, newer segments follow), `WrongLog`
    /// (copied or renamed in), `MissingRecords` or `SequenceOverlap` (its
    /// first sequence number does not continue the segment before it), or
    /// a signed log's (`BadSignature`, `ChainGap`, `CutOff`, ...).
    pub finding: Finding,
    /// What is wrong, without the file.
    pub message: String,
}

impl Verdict {
    /// The verdict on one segment on its own.
    pub fn of_file(path: &Path) -> Verdict {
        Verdict::of(&verify::segment(path))
    }

    /// The verdict the report `rep` gives.
    pub fn of(rep: &SegmentReport) -> Verdict {
        let mut c = Verdict {
            path: rep.location.clone(),
            locked: rep.writer_holds,
            ..Verdict::default()
        };
        if let Some(f) = rep.findings.iter().find(|f| f.is_not_a_segment()) {
            c.error = Some(f.message.clone());
            return c;
        }
        for f in &rep.findings {
            use FindingKind::*;
            let message = without_location(f);
            match f.kind {
                NotSealed | WrongLog | MissingRecords | SequenceOverlap | RecordsChanged
                | BadSignature | OtherKey | Unsigned | ChainGap | NotInChain | Reordered
                | Duplicate | CutOff | OutOfEpoch => c.log_issues.push(LogIssue {
                    finding: f.clone(),
                    message,
                }),
                _ if !f.is_damage() => c.notes.push(message),
                _ => {}
            }
        }
        let a = Analysis::of_report(rep);
        c.damaged = !a.is_clean() || !c.log_issues.is_empty();
        c.analysis = Some(a);
        c
    }
}
