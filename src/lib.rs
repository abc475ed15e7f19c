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
//! - Checking files: [`verify`]; what they hold, per type: [`summarize`]
//!   and [`Summary`].
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
//! - Tools that show a segment's bytes: [`codec`] (the format's frames,
//!   seal and trailer) and [`naming`] (what a file's name means in a log
//!   directory). The `binlog` tool (cli/) is built on this API alone.
//!
//! Everything else in the crate is private, except `ffi` (the C ABI,
//! described by `include/binlog.h`): hidden from this reference, not part
//! of the Rust API. The feature `internals` makes the format's codec and
//! other internals public for the crate's own tests, benchmarks and fuzz
//! targets; they change without notice.
#![deny(missing_docs)]

/// Declares modules of the crate's own (`vis` as given), public only with
/// the feature `internals`: the crate's tests, benchmarks, fuzz targets
/// and examples reach the format's codec, segment naming and the archive's
/// object names so (Cargo.toml turns it on for them). Not part of the
/// Rust API: no user's build and not the tool's has the feature. (cbindgen
/// reads no macro: these modules hold no part of the C ABI.)
macro_rules! internal {
    ($($(#[$attr:meta])* $vis:vis mod $name:ident;)*) => {$(
        $(#[$attr])* #[cfg(feature = "internals")] #[allow(missing_docs)] pub mod $name;
        $(#[$attr])* #[cfg(not(feature = "internals"))] $vis mod $name;
    )*};
}

/// Declares an enum of the C ABI (`#[repr(u32)]`, each variant numbered)
/// whose variants each have a name, in reports and in the C ABI's `_name`
/// calls, given once beside the variant: `Variant = number => c"name"`.
/// Beside the enum, the constant `$table`: each variant with its name, in
/// the order of their numbers (checked as it is built), which their
/// numbers index from the first; and the enum's methods `name`, `c_name`
/// and `from_number`, which read it. `in $table with ALL`: also the
/// constant `ALL`, every variant in that order.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident in $table:ident $(with $all:ident)? {
            $($(#[$doc:meta])* $variant:ident = $number:literal => $text:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u32)]
        pub enum $name {
            $($(#[$doc])* $variant = $number,)*
        }

        const $table: [($name, &std::ffi::CStr); [$($number),*].len()] = {
            let table = [$(($name::$variant, $text),)*];
            let mut i = 0;
            while i < table.len() {
                let number_order = table[i].0 as usize == table[0].0 as usize + i;
                assert!(number_order, "the variants are in number order, none left out");
                i += 1;
            }
            table
        };

        impl $name {
            /// The variant's name, in reports and in the C ABI's `_name`
            /// calls.
            pub fn name(self) -> &'static str {
                self.c_name().to_str().expect("ASCII")
            }

            /// `name`, NUL-terminated.
            pub fn c_name(self) -> &'static std::ffi::CStr {
                $table[self as usize - $table[0].0 as usize].1
            }

            /// The variant whose number (its C code) is `n`, if one is.
            pub fn from_number(n: u32) -> Option<$name> {
                $table.iter().map(|v| v.0).find(|&v| v as u32 == n)
            }
        }

        $(impl $name {
            /// Every variant, in the order of their numbers.
            pub const $all: [$name; $table.len()] = crate::variants(&$table);
        })?
    };
}

/// The variants of a `named_enum!` table, in its order.
const fn variants<T: Copy, const N: usize>(table: &[(T, &std::ffi::CStr); N]) -> [T; N] {
    let mut all = [table[0].0; N];
    let mut i = 0;
    while i < N {
        all[i] = table[i].0;
        i += 1;
    }
    all
}

/// cbindgen:ignore
#[cfg(feature = "s3")]
pub mod archive;
/// cbindgen:ignore
mod error;
/// cbindgen:ignore
mod reader;
/// cbindgen:ignore
pub mod repair;
/// cbindgen:ignore
#[cfg(feature = "sign")]
pub mod sign;
/// cbindgen:ignore
mod source;
/// cbindgen:ignore
pub mod verify;
pub mod version;
internal! {
    mod clock;
    #[cfg(feature = "compression")]
    mod compressed;
    mod format;
    mod log;
    mod sys;
    mod writer;
}

#[doc(hidden)]
pub mod ffi;

/// cbindgen:ignore
/// The segment format's codec, as the library reads it (docs/FORMAT.md
/// names every field): for tools that show a segment's bytes, frame by
/// frame, its seal and trailer (`binlog dump`), or check a record's size
/// before they batch it. Readers and writers never need it.
pub mod codec {
    /// A compressed segment's frames and its original bytes (feature
    /// `compression`): which frame holds an offset, and whether a file
    /// starts as a zstd frame does.
    #[cfg(feature = "compression")]
    pub use crate::compressed::{frame_decoder::starts_with_zstd_frame, CompressedSegment};
    pub use crate::format::frame::{
        decode_record, find_next_record, frame_at, frame_header, max_frame_len, FrameAt, MetaIter,
        RecordBody, FLAG_DEFINES_TYPE, FLAG_HAS_META, KIND_MASK, KIND_RECORD, KIND_SEAL_BEGIN,
        SEAL_BEGIN_LEN,
    };
    pub use crate::format::seal::{
        read_seal, seal_begin_count, SealDirectory, SparseEntry, Trailer, SPARSE_ENTRY_LEN,
        TRAILER_LEN, TRAILER_MAGIC,
    };
    pub use crate::format::{crc32, FRAME_HEADER_LEN, MAX_TYPE_NAME_LEN};
    pub use crate::writer::salvage::lost_type_name;
}

/// cbindgen:ignore
/// What a file's name means in a log directory (docs/FORMAT.md 14a), for
/// tools that take files and directories, not only logs by name, and must
/// order and check them as a log's reader does; and whether a writer holds
/// a file now.
pub mod naming {
    pub use crate::format::naming::{
        compressed_copy_of, is_compressed_path, lock_path, log_of_file_name, manifest_path,
        ReadOrder, SUFFIX,
    };
    pub use crate::format::naming::{parse_object_key, SegmentKey};
    pub use crate::log::segments::{check_file_name, logs_in, not_written_yet, require_log};
    pub use crate::log::{gap_between, FileShape, SegmentEnd};
    pub use crate::sys::is_path_locked;
}

#[cfg(feature = "compression")]
pub use compressed::{
    compress_segment, compress_segment_with_copies, decompress_segment, CompressOptions, Converted,
    TypeCopies,
};
pub use error::{io_text, Error, ErrorKind, Result};
pub use format::header::SegmentHeader;
pub use format::schema::TypeSchema;
pub use log::consumer::store::remove as remove_consumer;
pub use log::consumer::{list as list_consumers, Consumer, ConsumerInfo, MergedConsumer, Start};
pub use log::hold_back::HoldBack;
pub use log::record_reader::{RecordReader, Records};
pub use log::record_writer::RecordWriter;
pub use log::{
    list_segments, records_missing, Clock, Compression, ConsumerBound, Gap, GapReason,
    ListedSegment, LogOptions, LogReader, LogWriter, MergedReader, MergedRecord, Period,
    ReadSegment, Retention, SegmentCallback, SegmentEvent, SegmentInfo, SegmentState,
    SharedCallback,
};
pub use reader::change_fd::ChangeFd;
pub use reader::{Damage, OwnedRecord, Reader, Record, RecordHeader, Tail};
pub use verify::summary::{summarize, Summary, TypeSummary};
pub use writer::options::{
    Durability, Options, DEFAULT_FLUSH_DELAY, LARGEST_MAX_RECORD_SIZE, MAX_SYNC_WAIT_SPIN,
};
pub use writer::{Entry, Writer};
