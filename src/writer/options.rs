//! Writer options. Every field has a production default; `validate` refuses
//! values the writer cannot honour.

use crate::error::{Error, Result};
use crate::format::schema::TypeSchema;
use std::time::Duration;

/// When written records are forced to stable storage with fdatasync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Never forced; the OS writes dirty pages when it chooses. Records are
    /// still handed to the OS within the flush delay (`flush_delay`), when
    /// the buffer fills, and on `flush`, `sync` and `close`.
    None,
    /// Every write call returns only after its records are on stable storage.
    /// Concurrent writers share one fdatasync (group commit).
    EveryRecord,
    /// The write call that completes every Nth record syncs.
    EveryN(u32),
    /// A background thread flushes and syncs this often. If its write
    /// fails, the records stay buffered (the next flush retries them) and
    /// the next write call returns the failure, writing nothing.
    Interval(Duration),
}

/// Options for [`crate::Writer::open`]. Every field has a production
/// default (`Options::default()`); `Writer::open` refuses values it cannot
/// honour ([`Options::validate`]).
///
/// # Example
///
/// ```
/// use binlog::{Durability, Options};
/// use std::time::Duration;
///
/// let opts = Options {
///     log_name: "orders".into(),
///     content_type: "application/json".into(),
///     durability: Durability::Interval(Duration::from_millis(100)),
///     ..Options::default()
/// };
/// assert!(opts.validate().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Options {
    /// Name of the log, recorded in the segment header.
    pub log_name: String,
    /// What the payloads hold (e.g. `application/json`), recorded in the header.
    pub content_type: String,
    /// Free-form string parameters recorded in the header.
    pub params: Vec<(String, String)>,
    /// What the payloads of some types hold, recorded in every new
    /// segment's header (format 1.1): at most one per type name, each
    /// valid (`TypeSchema::validate`). A reader asks a segment's header
    /// (`SegmentHeader::type_schema`); records carry nothing more.
    pub schemas: Vec<TypeSchema>,
    /// Largest encoded record (frame header, type, metadata and payload) the
    /// writer accepts; larger writes fail with `RecordTooLarge`. Default
    /// 64 MiB; at most 4 GiB + 7 bytes (the u32 body length). A rolling log
    /// measures a record as the first of its type in a segment encodes it.
    pub max_record_size: u64,
    /// Bytes buffered in memory before they are handed to the OS. Records
    /// larger than this are written directly, gathered from the caller's
    /// buffers. Default 1 MiB (`DEFAULT_BUFFER_SIZE`). A buffer of 1 to
    /// 2 MiB that begins a 2 MiB-aligned piece of the file may wait for the
    /// next one, up to the flush delay (a second without one), so that both
    /// reach the page cache in one 2 MiB folio; flush, sync and close never
    /// wait for that.
    pub buffer_size: usize,
    /// How long a record may wait in the buffer, after the write call that
    /// buffered it, before it is handed to the OS (where readers in other
    /// processes see it, and a crash of this process cannot lose it).
    /// Default 10 ms (`DEFAULT_FLUSH_DELAY`): a background thread hands the
    /// buffer over once its oldest record is this old. `Some(Duration::ZERO)`:
    /// every write call hands its records over before it returns (a system
    /// call each). `None`: only when the buffer fills, and on flush, sync
    /// and close.
    pub flush_delay: Option<Duration>,
    /// When written records are forced to stable storage (default
    /// `Durability::None`).
    pub durability: Durability,
    /// Sequence number of the first record of a new segment.
    pub first_seq: u64,
    /// Segment number recorded in a new segment's header.
    pub segment_no: u64,
    /// Creation time recorded in a new segment's header; `None` = now.
    pub created_ns: Option<i64>,
    /// Recorded in a new segment's header as the writing software.
    pub writer_version: String,
    /// Bytes of records between two entries of the sparse seq/time index.
    pub sparse_interval: u32,
    /// Index entries (type, offset) kept in memory before they are spilled
    /// to an unlinked temporary file, so that writer memory stays bounded.
    pub index_memory_entries: usize,
    /// How large the segment is expected to grow, if known (a rolling log
    /// sets its maximum segment size): the writer reserves disk blocks
    /// ahead of its writes only up to here, so that sealing has little
    /// reserve to release. `None`: no limit.
    pub expected_size: Option<u64>,
    /// With `EveryRecord`: how long a write waiting for another thread's
    /// fdatasync (group commit) stays runnable, yielding its CPU, before it
    /// sleeps. Zero (the default): sleep at once. About one fdatasync saves
    /// each waiter's wakeup: many threads write more records a second, at a
    /// multiple of the CPU time per record (docs/PERFORMANCE.md, d). At most
    /// `MAX_SYNC_WAIT_SPIN`.
    pub sync_wait_spin: Duration,
    /// Sign the segment: its seal carries a chain block (the digest of its
    /// records, the link of the segment before it, an Ed25519 signature;
    /// docs/FORMAT.md section 8.6) and its header says format 1.2. `None`
    /// (the default): unsigned. A log's writer signs every segment and
    /// keeps its chain (`LogOptions::segment`).
    #[cfg(feature = "sign")]
    pub signing: Option<crate::sign::Signing>,
}

/// Longest `Options::sync_wait_spin`: a thread that waits longer should
/// sleep.
pub const MAX_SYNC_WAIT_SPIN: Duration = Duration::from_millis(10);

pub const DEFAULT_MAX_RECORD_SIZE: u64 = 64 << 20;

/// `Options::flush_delay` by default: readers in other processes see a
/// record, and a crash of the writing process cannot lose it, at most this
/// long after its write call (docs/PERFORMANCE.md measures it).
pub const DEFAULT_FLUSH_DELAY: Duration = Duration::from_millis(10);

/// The writer's default buffer. Up to 6 more are in flight to the OS, so a
/// busy writer holds about 7 MiB. Smaller buffers write large records
/// markedly slower; 2 MiB buffers write small records slower
/// (docs/PERFORMANCE.md).
pub const DEFAULT_BUFFER_SIZE: usize = 1 << 20;

/// The largest `max_record_size` a writer accepts: the largest record frame
/// the format can hold (docs/FORMAT.md section 13). A writer that copies
/// records of unknown size (such as `binlog repair --salvage`) uses it.
pub const LARGEST_MAX_RECORD_SIZE: u64 = crate::format::MAX_BODY_LEN + 8;

impl Default for Options {
    fn default() -> Options {
        Options {
            log_name: String::new(),
            content_type: String::new(),
            params: Vec::new(),
            schemas: Vec::new(),
            max_record_size: DEFAULT_MAX_RECORD_SIZE,
            buffer_size: DEFAULT_BUFFER_SIZE,
            flush_delay: Some(DEFAULT_FLUSH_DELAY),
            durability: Durability::None,
            first_seq: 0,
            segment_no: 0,
            created_ns: None,
            writer_version: crate::version::WRITER.to_string(),
            sparse_interval: 64 << 10,
            index_memory_entries: 1 << 20,
            expected_size: None,
            sync_wait_spin: Duration::ZERO,
            #[cfg(feature = "sign")]
            signing: None,
        }
    }
}

impl Options {
    /// Refuses values the writer cannot honour (`InvalidArgument`).
    pub fn validate(&self) -> Result<()> {
        let size = self.max_record_size;
        if !(64..=LARGEST_MAX_RECORD_SIZE).contains(&size) {
            let why = format!("max_record_size {size} outside 64..={LARGEST_MAX_RECORD_SIZE}");
            return Err(Error::invalid(why));
        }
        if self.buffer_size > 1 << 30 {
            return Err(Error::invalid("buffer_size above 1 GiB"));
        }
        match self.durability {
            Durability::EveryN(0) => return Err(Error::invalid("EveryN(0): N must be at least 1")),
            Durability::Interval(d) if d.is_zero() => {
                let why = "Interval durability needs a non-zero period";
                return Err(Error::invalid(why));
            }
            _ => {}
        }
        if self.sync_wait_spin > MAX_SYNC_WAIT_SPIN {
            let us = self.sync_wait_spin.as_micros();
            let max = MAX_SYNC_WAIT_SPIN.as_micros();
            let why = format!("sync_wait_spin {us} us above the {max} us limit");
            return Err(Error::invalid(why));
        }
        if self.sparse_interval == 0 {
            return Err(Error::invalid("sparse_interval must be at least 1"));
        }
        if self.index_memory_entries == 0 {
            return Err(Error::invalid("index_memory_entries must be at least 1"));
        }
        for (i, schema) in self.schemas.iter().enumerate() {
            schema.validate()?;
            let name = &schema.type_name;
            if self.schemas[..i].iter().any(|s| s.type_name == *name) {
                let what = format!("two schemas for type {name:?}");
                return Err(Error::new(crate::ErrorKind::InvalidSchema, what));
            }
        }
        // The header fields must fit the format (u16 lengths, 1 MiB in all):
        // encoding a header checks exactly that.
        self.header(0).encode().map(drop)
    }

    /// The header of a new segment written with these options, created at
    /// `created_ns`.
    pub(crate) fn header(&self, created_ns: i64) -> crate::format::header::SegmentHeader {
        let mut header = crate::format::header::SegmentHeader {
            major: crate::format::FORMAT_MAJOR,
            minor: 0,
            created_ns,
            segment_no: self.segment_no,
            first_seq: self.first_seq,
            log_name: self.log_name.clone(),
            content_type: self.content_type.clone(),
            writer: self.writer_version.clone(),
            params: self.params.clone(),
            schemas: self.schemas.clone(),
            // Whether its segments are signed (`signing`).
            #[cfg(feature = "sign")]
            signed: self.signing.is_some(),
            #[cfg(not(feature = "sign"))]
            signed: false,
        };
        header.minor = header.written_minor();
        header
    }
}
