//! Options of a rolling log.

use super::period::Period;
use crate::error::{Error, Result};
use crate::writer::options::Options;
use std::sync::Arc;
use std::time::Duration;

/// A segment callback that options can carry (and so clone).
pub type SharedCallback =
    Arc<dyn Fn(&super::events::SegmentEvent) -> std::result::Result<(), String> + Send + Sync>;

/// The wall clock a log rolls by, in ns since the epoch, read once a write
/// call (records written without a timestamp get that reading). Tests
/// inject one.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The default `LogOptions::clock`, one instance, so that a log can tell
/// it from an injected one (see `age_clock`).
static SYSTEM_CLOCK: std::sync::LazyLock<Clock> =
    std::sync::LazyLock::new(|| Arc::new(crate::clock::now_ns));

/// Which sealed segments a log keeps. The oldest go first; the segment being
/// written never goes. Every limit set applies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Retention {
    /// Keep at most this many sealed segments.
    pub max_segments: Option<usize>,
    /// Keep at most this many bytes of sealed segments.
    pub max_bytes: Option<u64>,
    /// Delete sealed segments sealed (found when the log opened: last
    /// modified) longer ago than this. With the default clock, time since
    /// opening is elapsed time, so a step of the wall clock neither deletes
    /// recent segments nor keeps old ones.
    pub max_age: Option<Duration>,
    /// The log is shipped (`archive::Shipper`): a sealed segment goes only
    /// once the shipper's journal says its copy is in the bucket, whatever
    /// the limits above say (the oldest go first). Needs the cargo feature
    /// `s3`.
    pub until_shipped: bool,
    /// A hard cap on the bytes of sealed segments, obeyed even before a
    /// shipper has uploaded them (a full disk is worse); those are counted
    /// (`LogWriter::dropped_unshipped`).
    pub hard_max_bytes: Option<u64>,
    /// Wait for the log's consumers (`Consumer`): a sealed segment that a
    /// consumer with a position in the log has not committed past stays,
    /// whatever the limits above say, while that consumer is within the
    /// bound; past it the segment goes and the consumer gets a `Retention`
    /// gap. `hard_max_bytes` still applies.
    pub wait_for_consumers: Option<ConsumerBound>,
}

/// How far behind a consumer may fall before retention stops waiting for
/// it (`Retention::wait_for_consumers`), so that a consumer that died
/// cannot fill the disk. At least one is set; each set one applies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConsumerBound {
    /// A segment goes once the log's sealed segments from it on take more
    /// than this many bytes.
    pub max_bytes: Option<u64>,
    /// A segment goes once it was sealed longer ago than this.
    pub max_age: Option<Duration>,
}

/// Compressing a log's sealed segments (docs/FORMAT.md section 17): each
/// sealed `<segment>.binlog` becomes `<segment>.binlog.zst`, which every
/// reader reads as the segment, on a background thread of the log at low
/// priority (without background threads, in `LogWriter::tick`);
/// `LogWriter::close` compresses those still due. Needs the cargo feature
/// `compression` (on by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compression {
    /// Compress a sealed segment once this many newer sealed segments
    /// exist; 0 (the default): as soon as it is sealed.
    pub after_segments: u64,
    /// zstd level: 3 (zstd's default) unless set; up to 22, slower and
    /// smaller; negative levels are faster and larger.
    pub level: i32,
    /// Original bytes per frame at most: 1 MiB unless set (1 byte to
    /// 1 GiB); smaller frames make random reads cheaper and compress a
    /// little worse.
    pub frame_size: u64,
    /// Type copies (docs/FORMAT.md section 17.5): the share of a segment's
    /// record bytes, in thousandths, that second copies of its rare types
    /// may take; 50 (5%) unless set, 0 for none, at most 1000.
    pub type_copies_per_mille: u32,
}

impl Default for Compression {
    fn default() -> Compression {
        Compression {
            after_segments: 0,
            level: 3,
            frame_size: 1 << 20,
            type_copies_per_mille: 50,
        }
    }
}

impl Compression {
    /// The conversion's options.
    #[cfg(feature = "compression")]
    pub fn options(&self) -> crate::compressed::CompressOptions {
        crate::compressed::CompressOptions {
            level: self.level,
            frame_size: self.frame_size,
        }
    }

    /// Which types get a copy.
    #[cfg(feature = "compression")]
    #[doc(hidden)]
    pub fn type_copies(&self) -> crate::compressed::TypeCopies {
        crate::compressed::TypeCopies {
            max_share: f64::from(self.type_copies_per_mille) / 1000.0,
            ..crate::compressed::TypeCopies::default()
        }
    }

    fn validate(&self) -> Result<()> {
        let share = self.type_copies_per_mille;
        if share > 1000 {
            let why = format!("compression: type copies' share {share} per mille (0 to 1000)");
            return Err(Error::invalid(why));
        }
        #[cfg(feature = "compression")]
        return self.options().validate();
        #[cfg(not(feature = "compression"))]
        Err(Error::invalid(
            "compression: this build of libbinlog has no compression (cargo feature `compression`)",
        ))
    }
}

/// Options for [`LogWriter::open`](crate::LogWriter::open): when the log
/// rolls, what it keeps, what it compresses. `Default` gives a log that
/// never rolls and keeps everything. `LogWriter::open` validates them.
///
/// # Example
///
/// ```
/// use binlog::{Durability, LogOptions, Options, Period, Retention};
/// use std::time::Duration;
///
/// let opts = LogOptions {
///     segment: Options { durability: Durability::EveryN(64), ..Options::default() },
///     period: Period::Hour,
///     retention: Retention { max_age: Some(Duration::from_secs(7 * 86_400)), ..Retention::default() },
///     ..LogOptions::default()
/// };
/// assert!(opts.validate().is_ok());
/// ```
#[derive(Clone)]
pub struct LogOptions {
    /// Options of each segment (durability, buffer, record size limit...).
    /// `segment_no`, `first_seq` and `log_name` are set by the log.
    pub segment: Options,
    /// Roll before a record would take the segment past this many bytes (a
    /// record larger than this gets a segment of its own).
    pub max_segment_bytes: Option<u64>,
    /// Roll after this many records.
    pub max_segment_records: Option<u64>,
    /// Roll when a new UTC period starts, even while idle.
    pub period: Period,
    /// Which sealed segments are removed, and when.
    pub retention: Retention,
    /// Sequence number of the first record of a new log.
    pub first_seq: u64,
    /// The clock the log rolls by, in ns since the Unix epoch (the system's
    /// by default; a test's to move time).
    pub clock: Clock,
    /// Segment callbacks registered before the first segment opens (so they
    /// see its Opened event too).
    pub callbacks: Vec<SharedCallback>,
    /// Run a background thread for time rolls, age retention and replacing
    /// the manifest after a roll. Without it, call `LogWriter::tick`.
    pub background: bool,
    /// With `background`: the background thread writes the old segment's
    /// seal, applies retention and reports it sealed, so that the write
    /// that rolls does not wait for the seal (docs/PERFORMANCE.md, g). Off
    /// by default: then they are done when the write that rolled returns.
    pub seal_in_background: bool,
    /// Compress sealed segments (`None`, the default: never).
    pub compression: Option<Compression>,
    /// A signed log (`segment.signing`) checkpoints its live segment into
    /// its signed head each time its next sequence number reaches a
    /// multiple of this, besides each second (`None`, the default: each
    /// second only; docs/FORMAT.md section 8.6).
    pub checkpoint_records: Option<u64>,
}

impl Default for LogOptions {
    fn default() -> LogOptions {
        LogOptions {
            segment: Options::default(),
            max_segment_bytes: None,
            max_segment_records: None,
            period: Period::Never,
            retention: Retention::default(),
            first_seq: 0,
            clock: SYSTEM_CLOCK.clone(),
            background: true,
            seal_in_background: false,
            compression: None,
            callbacks: Vec::new(),
            checkpoint_records: None,
        }
    }
}

impl std::fmt::Debug for LogOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogOptions")
            .field("segment", &self.segment)
            .field("max_segment_bytes", &self.max_segment_bytes)
            .field("max_segment_records", &self.max_segment_records)
            .field("period", &self.period)
            .field("retention", &self.retention)
            .field("first_seq", &self.first_seq)
            .field("background", &self.background)
            .field("seal_in_background", &self.seal_in_background)
            .field("compression", &self.compression)
            .finish_non_exhaustive()
    }
}

impl LogOptions {
    /// Whether `clock` is the default one (not injected).
    pub(crate) fn system_clock(&self) -> bool {
        Arc::ptr_eq(&self.clock, &SYSTEM_CLOCK)
    }

    /// Refuses values the log cannot honour (`InvalidArgument`), with the
    /// segment options' own checks.
    pub fn validate(&self) -> Result<()> {
        self.segment.validate()?;
        if self.max_segment_bytes.is_some_and(|b| b < 4096) {
            return Err(Error::invalid("max_segment_bytes below 4096"));
        }
        if self.max_segment_records == Some(0) || self.checkpoint_records == Some(0) {
            let why = "max_segment_records and checkpoint_records must be at least 1";
            return Err(Error::invalid(why));
        }
        if self.retention.max_segments == Some(0) {
            return Err(Error::invalid("retention max_segments must be at least 1"));
        }
        if let Some(c) = &self.compression {
            c.validate()?;
        }
        let unbounded = |b: ConsumerBound| b.max_bytes.is_none() && b.max_age.is_none();
        if self.retention.wait_for_consumers.is_some_and(unbounded) {
            return Err(Error::invalid(
                "retention wait_for_consumers needs a bound (max_bytes or max_age): a consumer \
                 that died would keep every segment",
            ));
        }
        if self.retention.until_shipped && !cfg!(feature = "s3") {
            return Err(Error::invalid(
                "retention until_shipped: this build of libbinlog has no shipper (cargo feature `s3`)",
            ));
        }
        Ok(())
    }
}

/// Checks a log name: it becomes part of file names.
pub fn validate_name(name: &str) -> Result<()> {
    check_name("log name", name)
}

/// Checks a name that becomes part of a file name (a log's, a
/// consumer's): `what` names it in the error.
pub(crate) fn check_name(what: &str, name: &str) -> Result<()> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
    let ok = (1..=200).contains(&name.len()) && name.bytes().all(allowed);
    if ok && !name.starts_with('.') {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "{what} {name:?}: use 1 to 200 of A-Z a-z 0-9 _ . - (not starting with '.')"
    )))
}

#[cfg(feature = "compression")]
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_defaults_are_the_conversions() {
        let c = Compression::default();
        assert_eq!(c.after_segments, 0);
        assert_eq!(c.options(), crate::compressed::CompressOptions::default());
    }
}
