//! libbinlog: a fast, crash-safe binary record log.
//!
//! A segment file holds typed records (sequence number, timestamp, type,
//! string metadata, payload), each framed with a CRC-32, and on close a seal
//! with a per-type index and a sparse sequence/time index. [`Writer`] appends;
//! [`Reader`] reads, zero-copy. The C ABI lives in `ffi` and is described by
//! `include/binlog.h`. The format is specified in docs/FORMAT.md.

/// cbindgen:ignore
#[cfg(feature = "s3")]
pub mod archive;
/// cbindgen:ignore
pub mod change_fd;
/// cbindgen:ignore
pub mod clock;
/// cbindgen:ignore
#[cfg(feature = "compression")]
pub mod compressed;
/// cbindgen:ignore
pub mod error;
/// cbindgen:ignore
pub mod format;
#[cfg(test)]
mod guarded_page;
/// cbindgen:ignore
pub mod hold_back;
/// cbindgen:ignore
pub mod log;
/// cbindgen:ignore
pub mod options;
/// cbindgen:ignore
mod prefetch;
/// cbindgen:ignore
pub mod reader;
/// cbindgen:ignore
pub mod record_reader;
/// cbindgen:ignore
pub mod record_writer;
mod source;
mod sys;
/// cbindgen:ignore
pub mod verify;
pub mod version;
mod watch;
/// cbindgen:ignore
pub mod writer;

pub mod ffi;

pub use change_fd::ChangeFd;
pub use error::{Error, ErrorKind, Result};
pub use hold_back::{HoldBack, OwnedRecord};
pub use log::{Gap, GapReason, LogOptions, LogReader, LogWriter, Period, Retention};
pub use options::{Durability, Options, DEFAULT_FLUSH_DELAY, MAX_SYNC_WAIT_SPIN};
pub use reader::{Damage, Reader, Record, RecordHeader, Tail};
pub use record_reader::RecordReader;
pub use record_writer::RecordWriter;
pub use writer::{Entry, Writer};
