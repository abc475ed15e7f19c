//! Verifying segments and logs: every record, seal and sequence number
//! checked, and what is wrong reported as structured findings, each with
//! the file (or object URL), the offset, the sequence numbers lost and
//! what `binlog repair` would do about it.
//!
//! Verification is a read with the library's own [`Reader`]
//! (`Reader::open_salvage`, skipping damage) and the continuity rules of
//! its [`LogReader`](crate::LogReader): the reader classifies damage
//! (docs/FORMAT.md sections 9, 10, 17 and 18), this module reports it, so
//! that a verify and a read never disagree. Memory stays bounded: records
//! are only counted, and at most [`MAX_FINDINGS`](crate::verify::MAX_FINDINGS)
//! findings of a segment are kept (the rest counted:
//! [`SegmentReport::not_listed`](crate::verify::SegmentReport::not_listed)).
//! A log's manifest that cannot be used is reported after its segments, so
//! that every caller (the `binlog` tool, the C API, the bindings) reports
//! it from here.
//!
//! ```
//! use binlog::verify::{self, Verify};
//! use binlog::{LogOptions, LogWriter};
//! # let dir = std::env::temp_dir().join(format!("binlog-doc-verify-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! let log = LogWriter::open(&dir, "orders", LogOptions::default())?;
//! log.write("order", b"42 widgets")?;
//! log.close()?;
//!
//! // Every segment of log "orders" in a directory, one at a time, then its
//! // manifest if it cannot be used.
//! for report in Verify::log(&dir, "orders")? {
//!     for f in &report.findings {
//!         println!("{}: {}", f.kind.name(), f.message);
//!     }
//!     assert!(!report.is_damaged(), "{}", report.location.display());
//!     // One segment (plain or compressed) on its own.
//!     assert_eq!(verify::segment(&report.location).records, report.records);
//! }
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "sign")]
pub(crate) mod chain;
mod continuity;
#[cfg(feature = "compression")]
mod frames;
mod log;
mod segment;
pub(crate) mod summary;

pub use continuity::{next_seq_after, Continuity};
pub(crate) use log::log_at;
pub use log::{newest_of_log, Verify};
pub use segment::{segment, segment_of_reader};

use crate::format::{header::SegmentHeader, seal::SealDirectory};
use crate::reader::Tail;
use std::path::{Path, PathBuf};

named_enum! {
    /// What a finding is. The numbers are the C ABI's `BINLOG_FINDING_*` codes
    /// and are never reused; the names (`name`: `binlog verify --json`, the C
    /// ABI's `binlog_finding_kind_name`) `torn-tail`, `corrupt`, ...
    pub enum FindingKind in KIND_NAMES with ALL {
        /// The last record of an unsealed segment is cut off and nothing valid
        /// follows it (a writer died mid-write): section 10.1 item 4. Damage;
        /// `repair` cuts it, after a backup.
        TornTail = 1 => c"torn-tail",
        /// Bytes that are not valid records, or a record whose CRC is right but
        /// whose contents are wrong, with the records named by `from_seq ..
        /// to_seq` lost: corruption (section 10.1). Damage; `repair --salvage`
        /// keeps every valid record around it.
        Corrupt = 2 => c"corrupt",
        /// A valid record numbered past the one expected: the records between
        /// are lost without damaged bytes to show for it (section 10.3).
        SequenceJump = 3 => c"sequence",
        /// The records are complete, the seal after them is incomplete or
        /// damaged (section 10.1 items 1 and 3). Damage; `repair` reseals.
        SealDamaged = 4 => c"seal-damaged",
        /// Zeros after the records of an unsealed segment: a durable writer's
        /// prepared space (section 10.1), not damage.
        ZeroTail = 5 => c"zero-tail",
        /// An unsealed segment whose writer is gone, a file on its own or a
        /// log's newest segment: not damage (`repair` seals it, a writer
        /// reopening it continues it).
        Unsealed = 6 => c"unsealed",
        /// Not a segment: the file does not start with the magic number
        /// (section 3).
        NotABinlog = 7 => c"not-a-binlog",
        /// The file ends inside its header (section 3): 0 bytes included.
        Truncated = 8 => c"truncated",
        /// A format version this library does not read (section 4).
        UnsupportedVersion = 9 => c"unsupported-version",
        /// The header is damaged; the records after it were read (section 10.5).
        CorruptHeader = 10 => c"corrupt-header",
        /// Records missing from a log (sequence numbers `from_seq .. to_seq`):
        /// between two segments (a segment removed or lost), or past the end
        /// its files were read to where its manifest lists them in a sealed
        /// segment (a sealed segment cut short), given on the log's last file.
        MissingRecords = 11 => c"missing-records",
        /// A segment of a log starts before the one before it ended.
        SequenceOverlap = 12 => c"sequence-overlap",
        /// A file named as a segment of the log whose header names another log
        /// or another segment number.
        WrongLog = 13 => c"wrong-log",
        /// The file could not be read (I/O, permission).
        Unreadable = 14 => c"unreadable",
        /// A writer holds the segment and is writing: a record being written at
        /// its end, or its seal (not damage).
        BeingWritten = 15 => c"being-written",
        /// Records missing between segments that the operator accepted as lost
        /// (`binlog repair --accept-gap`): not damage.
        AcceptedGap = 16 => c"accepted-gap",
        /// A log's newest segment file with no header yet: a writer creating
        /// it, or a roll that failed then (not damage; `LogReader` reads
        /// nothing from it).
        NotYetWritten = 17 => c"not-yet-written",
        /// A segment of a log holding no record, starting before the segment
        /// before it ended: what a roll that failed after creating it leaves
        /// (`LogReader` skips it; not damage).
        FailedRollLeftover = 18 => c"failed-roll-leftover",
        /// An unsealed segment of a log with newer segments after it, no writer
        /// holding it: its writer died before sealing it. Damage; `repair`
        /// seals it.
        NotSealed = 19 => c"not-sealed",
        /// A frame of a compressed segment that does not decompress as its
        /// seek table says, or a seek table lost (section 17.1): named with the
        /// frame and its compressed offset. The reader's finding for the
        /// records it held (if any) says what was lost.
        CorruptFrame = 20 => c"corrupt-frame",
        /// A part of a usable seal that only seeks and type filters read (a
        /// type's offset array, the sparse index) fails the checks they make:
        /// no record is lost (they scan instead). Damage; `repair` reseals.
        SealIndexDamaged = 21 => c"seal-mismatch",
        /// A log's manifest that cannot be read or fails its check while it
        /// is the only record of the log's position (no segment file of the
        /// log left, no ship journal position): a writer's open refuses the
        /// log (docs/FORMAT.md section 14a, "Without the record"). Damage;
        /// nothing a repair does.
        ManifestDamaged = 22 => c"manifest-damaged",
        /// A log's manifest that cannot be read or fails its check while
        /// another record holds the log's position (a segment file, the ship
        /// journal): not used, and rewritten when the log is next opened for
        /// writing (not damage).
        ManifestUnused = 23 => c"manifest-unused",
        /// Findings of a segment past the first [`MAX_FINDINGS`], counted
        /// only: `len` is how many (see [`SegmentReport::not_listed`]).
        /// Damage: only a damaged segment has that many.
        NotListed = 24 => c"not-listed",
        /// A signed segment whose bytes up to its records' end are not the
        /// ones its seal's digest names: records (or its header) changed,
        /// CRCs recomputed or not. Damage; nothing a repair does.
        RecordsChanged = 25 => c"records-changed",
        /// A seal whose signature does not verify (its chain block or its
        /// link changed after signing). Damage.
        BadSignature = 26 => c"bad-signature",
        /// A seal signed by a key other than the trusted one. Damage.
        OtherKey = 27 => c"other-key",
        /// A sealed segment of a log verified against a trusted key whose
        /// seal is not signed: sealed by `binlog repair`, by a writer
        /// without the key, or its chain block removed. Damage.
        Unsigned = 28 => c"unsigned",
        /// The segments before this one in its chain are missing from the
        /// log (deleted), or its chain starts again here. Damage.
        ChainGap = 29 => c"chain-gap",
        /// A signed segment that is not in the log's chain: inserted,
        /// replaced, or taken from another log; or a signed head whose `prev`
        /// is not the link of the segment before its own (the log rewritten
        /// below it). Damage.
        NotInChain = 30 => c"not-in-chain",
        /// A signed segment whose predecessor in the chain is another
        /// segment of the log than the one numbered right before it:
        /// segments reordered. Damage.
        Reordered = 31 => c"reordered",
        /// A signed segment with the same link as one before it: a copy.
        /// Damage.
        Duplicate = 32 => c"duplicate",
        /// A log's signed head (its own, or `Verify::with_head`) names a
        /// segment the log does not hold (in a bucket, but the live one it
        /// was put beside): its newest segments cut off. Given on the log's
        /// last file, located at the head's file. Damage.
        CutOff = 33 => c"cut-off",
        /// A seal signed by a forward-secure epoch key whose records are
        /// older than the key's epoch: a later key signed them, so whoever
        /// held it could have changed them. Damage.
        OutOfEpoch = 34 => c"out-of-epoch",
    }
}

named_enum! {
    /// What `binlog repair` does about a finding. The numbers are the C ABI's
    /// `BINLOG_REPAIR_*` codes and are never reused; the names (`name`: the C
    /// ABI's `binlog_repair_action_name`) `nothing`, `cut-torn-tail`,
    /// `reseal`, `salvage`.
    pub enum RepairAction in ACTION_NAMES with ALL {
        /// Nothing: not damage, or nothing a repair can do (the records are
        /// gone, or the file is no segment).
        Nothing = 0 => c"nothing",
        /// Backs the segment up, then cuts the torn tail and seals it.
        CutTornTail = 1 => c"cut-torn-tail",
        /// Backs the segment up, then seals it (cutting a damaged seal, or the
        /// zeros of prepared space).
        Reseal = 2 => c"reseal",
        /// Only with `--salvage`: backs the segment up, copies the valid
        /// records after the damage into a new segment, cuts the segment at the
        /// damage and seals it.
        Salvage = 3 => c"salvage",
    }
}

/// One thing verification found about a segment or between segments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// What was found.
    pub kind: FindingKind,
    /// The segment's path, or its object's URL.
    pub location: PathBuf,
    /// Where in the segment (its original bytes, for a compressed one).
    pub offset: Option<u64>,
    /// Bytes affected from `offset` (0 for a finding about one place); for
    /// `NotListed`, the number of findings not listed.
    pub len: u64,
    /// The sequence numbers lost: `from_seq .. to_seq`, `to_seq` excluded
    /// (equal when none is known lost; `None` when not known at all).
    pub from_seq: Option<u64>,
    /// See `from_seq`.
    pub to_seq: Option<u64>,
    /// What `binlog repair` would do about it.
    pub repair: RepairAction,
    /// What it is, in words, naming the location and the offset.
    pub message: String,
}

/// How a verified segment's records end, and what they hold.
#[derive(Clone, Debug, Default)]
pub struct SegmentReport {
    /// The segment's path, or its object's URL.
    pub location: PathBuf,
    /// Its (original) length in bytes.
    pub file_len: u64,
    /// Its header; `None` when it could not be read (a damaged header's
    /// placeholder is not given either).
    pub header: Option<SegmentHeader>,
    /// Its seal's directory, when the seal is usable.
    #[doc(hidden)]
    pub seal: Option<SealDirectory>,
    /// Where records start (the header's length; 0 when unknown).
    pub data_start: u64,
    /// How the records end, as the reader reports it; `None` when the file
    /// could not be opened as a segment.
    pub tail: Option<Tail>,
    /// Where the records read end: where a reseal would cut.
    pub records_end: u64,
    /// The valid records read.
    pub records: u64,
    /// The first valid record's sequence number.
    pub first_seq: Option<u64>,
    /// The last valid record's sequence number.
    pub last_seq: Option<u64>,
    /// The smallest timestamp of a valid record.
    pub min_ts: Option<i64>,
    /// The largest timestamp of a valid record.
    pub max_ts: Option<i64>,
    /// The sequence number the next segment of its log must start at, as
    /// `LogReader` expects it: after the records read, or after those its
    /// seal counts (records lost at the end of a sealed segment included);
    /// `None` when not known (the file is no segment it could read).
    pub next_seq: Option<u64>,
    /// Type names by id, as the reader knows them (a type whose definition
    /// was lost is named `<lost type N>`, see `Record::lost_type_name`).
    pub types: Vec<Box<str>>,
    /// Whether a writer held the segment while it was verified.
    pub writer_holds: bool,
    /// Whether the segment is compressed (`.binlog.zst`).
    pub compressed: bool,
    /// In file order; at most `MAX_FINDINGS` per segment.
    pub findings: Vec<Finding>,
    /// Findings beyond `MAX_FINDINGS`, counted only (one `NotListed`
    /// finding says how many: [`SegmentReport::not_listed`]).
    pub more_findings: u64,
    /// Whether this is the report of a log's manifest, not of a segment:
    /// given after the log's segments, only when the manifest cannot be
    /// used (`ManifestDamaged`, `ManifestUnused` or `Unreadable`).
    pub manifest: bool,
}

/// The findings kept per segment; more are counted (`more_findings`), so
/// that a segment damaged everywhere does not fill memory.
pub const MAX_FINDINGS: usize = 1000;

impl Finding {
    /// A finding about `location` at `offset`, of no length, losing no
    /// known sequence number, that a repair does nothing about.
    pub fn new(
        kind: FindingKind,
        location: &Path,
        offset: Option<u64>,
        message: String,
    ) -> Finding {
        Finding {
            kind,
            location: location.to_path_buf(),
            offset,
            len: 0,
            from_seq: None,
            to_seq: None,
            repair: RepairAction::Nothing,
            message,
        }
    }

    /// Whether it is damage (else a note: prepared space, a writer at work,
    /// an unsealed newest segment, an accepted gap).
    pub fn is_damage(&self) -> bool {
        !matches!(
            self.kind,
            FindingKind::ZeroTail
                | FindingKind::BeingWritten
                | FindingKind::AcceptedGap
                | FindingKind::NotYetWritten
                | FindingKind::Unsealed
                | FindingKind::FailedRollLeftover
                | FindingKind::ManifestUnused
        )
    }

    /// Whether the file is not a segment this library reads at all (the
    /// `binlog` tool's usage error, exit status 2).
    pub fn is_not_a_segment(&self) -> bool {
        matches!(
            self.kind,
            FindingKind::NotABinlog | FindingKind::UnsupportedVersion | FindingKind::Unreadable
        )
    }
}

impl SegmentReport {
    /// Whether any finding is damage.
    pub fn is_damaged(&self) -> bool {
        self.more_findings > 0 || self.findings.iter().any(Finding::is_damage)
    }

    /// The `NotListed` finding saying how many findings past the first
    /// `MAX_FINDINGS` were counted only, if any were: what a list of a
    /// segment's findings ends with (the C API's, the bindings').
    pub fn not_listed(&self) -> Option<Finding> {
        let more = self.more_findings;
        (more > 0).then(|| {
            let loc = self.location.display();
            let m = format!(
                "{loc}: {more} more findings not listed (at most {MAX_FINDINGS} are kept per segment)"
            );
            let f = Finding::new(FindingKind::NotListed, &self.location, None, m);
            Finding { len: more, ..f }
        })
    }

    /// A finding of `kind` about its bytes at offset `at`, saying so:
    /// `<location>: offset <at>: <what>`.
    fn finding_at(&self, kind: FindingKind, at: u64, what: impl std::fmt::Display) -> Finding {
        let m = format!("{}: offset {at}: {what}", self.location.display());
        Finding::new(kind, &self.location, Some(at), m)
    }

    /// Adds a finding of `kind` about it that error `e` gives (its offset
    /// and message).
    fn push_error(&mut self, kind: FindingKind, e: &crate::error::Error) {
        let f = Finding::new(kind, &self.location, e.offset(), e.message().into());
        self.push(f);
    }

    fn push(&mut self, f: Finding) {
        if self.findings.len() < MAX_FINDINGS {
            self.findings.push(f);
        } else {
            self.more_findings += 1;
        }
    }
}
