//! What a rolling log reports about its segments, to callbacks and to
//! polling (docs/FORMAT.md says when each comes).

use std::path::{Path, PathBuf};

/// A segment of a log, as reported to callbacks and by polling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentInfo {
    /// The segment's file.
    pub path: PathBuf,
    /// Its segment number in the log.
    pub segment_no: u64,
    /// The sequence number of its first record.
    pub first_seq: u64,
    /// Records in the segment (0 when just opened).
    pub record_count: u64,
    /// File size (when sealed: including the seal).
    pub bytes: u64,
}

impl SegmentInfo {
    /// Sealed segment `e` (a manifest's line), at `path`.
    pub(crate) fn of_sealed(path: &Path, e: &super::manifest::SealedEntry) -> SegmentInfo {
        SegmentInfo {
            path: path.to_path_buf(),
            segment_no: e.segment_no,
            first_seq: e.first_seq,
            record_count: e.record_count,
            bytes: e.bytes,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
/// What happened to a segment of a log, as callbacks
/// (`LogOptions::callbacks`) get it.
pub enum SegmentEvent {
    /// A new segment was opened; records go to it now.
    Opened(SegmentInfo),
    /// A segment was sealed: it never changes again.
    Sealed(SegmentInfo),
    /// A sealed segment was compressed (`LogOptions::compression`): `path`
    /// is the `.binlog.zst` (the `.binlog` is gone) and `bytes` its size.
    /// Reported by the compressing thread: its `Sealed` may be reported on
    /// another thread at about the same time.
    Compressed(SegmentInfo),
}

/// Called after a segment is opened, sealed or compressed, outside the
/// log's lock, by the thread that rolled or a background thread of the
/// log. An `Err` or a panic is counted (see `LogWriter::callback_failures`)
/// and affects neither the writer nor the other callbacks.
pub type SegmentCallback =
    Box<dyn Fn(&SegmentEvent) -> std::result::Result<(), String> + Send + Sync>;
