//! libbinlog: a fast, crash-safe binary record log.
//!
//! A segment file holds typed records (sequence number, timestamp, type,
//! string metadata, payload), each framed with a CRC-32, and on close a seal
//! with a per-type index and a sparse sequence/time index. The format is
//! specified in docs/FORMAT.md; docs/GUIDE.md explains the calls by task.
//!
//! - One segment: [`Writer`] appends ([`Options`] tunes it), [`Reader`]
//!   reads, zero-copy.
//! - A rolling log, a directory of segments: [`LogWriter`] ([`LogOptions`])
//!   and [`LogReader`], which also follows a live log.
//! - Checking files: [`verify`].
//! - Compressed sealed segments (feature `compression`): a [`LogWriter`]
//!   compresses on its own ([`Compression`]); [`compress_segment`] and
//!   [`decompress_segment`] convert one by hand. [`Reader::open`] reads
//!   either.
//! - Object storage (feature `s3`): [`archive::Shipper`] ships sealed
//!   segments to an S3-compatible bucket, [`LogReader::open_tiered`] reads
//!   the local and the shipped segments as one log.
//!
//! ```
//! use binlog::{Options, Reader, Writer};
//!
//! let dir = std::env::temp_dir().join(format!("binlog-doc-lib-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("orders.binlog");
//! let w = Writer::open(&path, Options::default())?;
//! w.write("order", b"42 widgets")?;
//! w.close()?;
//!
//! let mut r = Reader::open(&path)?;
//! while let Some(rec) = r.next()? {
//!     println!("{} {} {:?}", rec.seq, rec.type_name, rec.payload);
//! }
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Everything else in the crate is private, except `ffi` (the C ABI,
//! described by `include/binlog.h`) and `__private` (the internals that the
//! `binlog` tool, the tests, the benchmarks and the fuzz targets reach):
//! both are hidden from this reference and are not part of the Rust API;
//! they change without notice.
#![deny(missing_docs)]

/// cbindgen:ignore
#[cfg(feature = "s3")]
pub mod archive;
/// cbindgen:ignore
mod change_fd;
/// cbindgen:ignore
mod clock;
/// cbindgen:ignore
#[cfg(feature = "compression")]
mod compressed;
/// cbindgen:ignore
mod error;
/// cbindgen:ignore
mod format;
#[cfg(test)]
mod guarded_page;
/// cbindgen:ignore
mod hold_back;
/// cbindgen:ignore
mod log;
/// cbindgen:ignore
mod options;
/// cbindgen:ignore
mod prefetch;
/// cbindgen:ignore
mod reader;
/// cbindgen:ignore
mod record_reader;
/// cbindgen:ignore
mod record_writer;
/// cbindgen:ignore
pub mod repair;
/// cbindgen:ignore
mod source;
mod sys;
/// cbindgen:ignore
pub mod verify;
pub mod version;
mod watch;
/// cbindgen:ignore
mod writer;

#[doc(hidden)]
pub mod ffi;

/// cbindgen:ignore
#[doc(hidden)]
pub mod __private;

pub use change_fd::ChangeFd;
#[cfg(feature = "compression")]
pub use compressed::{compress_segment, decompress_segment, CompressOptions, Converted};
pub use error::{Error, ErrorKind, Result};
pub use format::header::SegmentHeader;
pub use hold_back::{HoldBack, OwnedRecord};
pub use log::{
    list_segments, records_missing, Clock, Compression, Gap, GapReason, ListedSegment, LogOptions,
    LogReader, LogWriter, MergedReader, MergedRecord, Period, ReadSegment, Retention,
    SegmentCallback, SegmentEvent, SegmentInfo, SegmentState, SharedCallback,
};
pub use options::{
    Durability, Options, DEFAULT_FLUSH_DELAY, LARGEST_MAX_RECORD_SIZE, MAX_SYNC_WAIT_SPIN,
};
pub use reader::{Damage, Reader, Record, RecordHeader, Tail};
pub use record_reader::RecordReader;
pub use record_writer::RecordWriter;
pub use writer::{Entry, Writer};
