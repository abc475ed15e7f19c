//! What the check of a segment finds: its issues, its runs of intact
//! records, how its records end, and what they hold.

use crate::type_names;
use binlog::format::header::SegmentHeader;
use binlog::format::seal::SealDirectory;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueKind {
    /// The header is unreadable (records may still follow).
    Header,
    /// Bytes in the middle that are not valid records, valid records after.
    Corrupt,
    /// A valid record whose sequence number does not continue the sequence.
    Sequence,
    /// A valid record whose type id is undefined or defined twice.
    Type,
    /// The end of an unsealed segment is not a whole record.
    Torn,
    /// The seal is incomplete or damaged (records are complete).
    Seal,
    /// The seal is readable but disagrees with the records, or one of its
    /// indexes fails its CRC.
    Index,
}

impl IssueKind {
    pub fn name(self) -> &'static str {
        match self {
            IssueKind::Header => "corrupt-header",
            IssueKind::Corrupt => "corrupt",
            IssueKind::Sequence => "sequence",
            IssueKind::Type => "type",
            IssueKind::Torn => "torn-tail",
            IssueKind::Seal => "seal-damaged",
            IssueKind::Index => "seal-mismatch",
        }
    }

    /// Damage that a cut would lose valid records over: repair refuses it
    /// unless told to salvage.
    pub fn is_mid_file(self) -> bool {
        matches!(
            self,
            IssueKind::Header | IssueKind::Corrupt | IssueKind::Sequence | IssueKind::Type
        )
    }
}

#[derive(Clone, Debug)]
pub struct Issue {
    pub kind: IssueKind,
    pub offset: u64,
    /// Bytes affected (0 when the issue is about one field).
    pub len: u64,
    /// Where valid records resume after the damage.
    pub resume: Option<u64>,
    pub message: String,
}

/// Consecutive intact records `[start, end)` with gap-free sequence numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntactRun {
    pub start: u64,
    pub end: u64,
    pub first_seq: u64,
    pub count: u64,
}

/// How the records of a segment end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordsEnd {
    /// At a valid seal.
    Sealed,
    /// Cleanly at the end of the file, without a seal.
    Unsealed,
    /// Where a damaged or incomplete seal begins.
    SealDamaged { offset: u64 },
    /// In bytes that are not a whole record, with nothing valid after them.
    Torn { offset: u64, len: u64 },
    /// In bad bytes up to the seal of a sealed segment.
    Corrupt { offset: u64 },
    /// Unknown: the header could not be read and no record was found.
    Unreadable,
}

pub struct Analysis {
    pub file_len: u64,
    pub header: Option<SegmentHeader>,
    /// Where records start (the header's length).
    pub data_start: u64,
    pub seal: Option<SealDirectory>,
    pub end: RecordsEnd,
    pub runs: Vec<IntactRun>,
    pub issues: Vec<Issue>,
    /// Issues found beyond `MAX_ISSUES`.
    pub more_issues: u64,
    /// Type names by id (None: defined only in damaged bytes, and no seal
    /// names it; see `LostTypes`).
    pub types: Vec<Option<String>>,
    /// Valid records found.
    pub records: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub min_ts: Option<i64>,
    pub max_ts: Option<i64>,
}

impl Analysis {
    pub fn is_clean(&self) -> bool {
        self.issues.is_empty() && self.more_issues == 0
    }

    pub fn has_mid_file_damage(&self) -> bool {
        self.issues.iter().any(|i| i.kind.is_mid_file())
    }

    /// The first damage that a cut would lose records over.
    pub fn first_mid_file_issue(&self) -> Option<&Issue> {
        self.issues.iter().find(|i| i.kind.is_mid_file())
    }

    pub fn is_sealed(&self) -> bool {
        self.end == RecordsEnd::Sealed
    }

    pub fn type_name(&self, id: u32) -> String {
        match self.types.get(id as usize) {
            Some(Some(n)) => n.clone(),
            _ => type_names::unknown_type(id),
        }
    }
}

/// A failure to look at the file at all (not damage).
pub enum WalkError {
    Io(String),
    /// Not a segment, or a format version this tool does not read.
    NotSegment(String),
    /// A compressed segment with no whole frame left to read (cut short
    /// inside its first frame): damage, not a file that is no segment.
    Lost(String),
}

impl WalkError {
    /// The error a command that needs the bytes reports: a compressed
    /// segment with nothing left to read is damage (exit status 1).
    pub fn into_cli(self) -> crate::error::CliError {
        match self {
            WalkError::Lost(m) => crate::error::CliError::Damaged(m),
            e => crate::error::CliError::io(e.message()),
        }
    }

    pub fn message(self) -> String {
        match self {
            WalkError::Io(m) | WalkError::NotSegment(m) | WalkError::Lost(m) => m,
        }
    }
}
