//! Rolling logs: a directory of segments that rolls by size, record count
//! and UTC period, with callbacks, polling and retention ([`LogWriter`]), and
//! one ordered reader across the segments that can follow a live log
//! ([`LogReader`]).

// The modules marked `allow(missing_docs)` are internal: outside the crate
// only with the feature `internals`, so not held to the lint.
#[allow(missing_docs)]
pub mod accepted_gaps;
mod age_clock;
pub mod consumer;
mod events;
mod gap;
pub(crate) mod hold_back;
// Some of its parts serve only the archive's records.
#[cfg_attr(not(feature = "s3"), allow(dead_code))]
pub(crate) mod lines;
#[allow(missing_docs)]
pub mod manifest;
mod merged;
/// The names of a log's files (`format::naming`: the reader and the
/// segment writer need them too), here where tools look for them.
pub use crate::format::naming;
mod options;
pub mod period;
pub mod position;
mod reader;
pub(crate) mod record_reader;
pub(crate) mod record_writer;
pub(crate) use crate::format::naming::remote_order;
#[cfg(feature = "s3")]
pub use reader::Archived;
#[allow(missing_docs)]
pub mod segments;
#[cfg(feature = "s3")]
#[allow(missing_docs)]
pub mod ship_journal;
pub(crate) mod token;
mod writer;

pub use events::{SegmentCallback, SegmentEvent, SegmentInfo};
pub use gap::{
    gap_between, overlap, records_missing, starts_behind, Behind, FileShape, Gap, GapReason,
    SegmentEnd,
};
#[cfg(feature = "s3")]
pub(crate) use merged::no_log_matches;
pub use merged::{MergedReader, MergedRecord};
#[cfg(feature = "s3")]
pub(crate) use options::validate_name;
pub use options::{Clock, Compression, ConsumerBound, LogOptions, Retention, SharedCallback};
pub use period::Period;
pub use reader::{LogReader, ReadSegment};
pub(crate) use segments::logs_in;
pub use segments::{list_segments, ListedSegment, SegmentState};
#[cfg(feature = "s3")]
pub(crate) use writer::Limits as RetentionLimits;
pub use writer::LogWriter;
