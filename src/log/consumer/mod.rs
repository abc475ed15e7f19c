//! Named consumers: a reader of a log (or of many, merged) that goes on
//! after the last position it committed, durably, in the log's directory
//! (`store`). At-least-once: after any crash a consumer resumes after its
//! last commit that returned, never past a record not committed. A name is
//! one consumer at a time, across processes (its file's lock).

pub mod store;

use super::merged::{MergedReader, MergedRecord};
use super::reader::LogReader;
use crate::error::{Error, Result};
use crate::reader::Record;
use std::path::Path;
use std::time::Duration;
use store::Store;

/// Where a consumer starts in a log it has no committed position in (a
/// new consumer); committed at once, so that a restart starts there too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Start {
    /// The log's first record.
    #[default]
    First,
    /// The log's end when the consumer opens: records written after it.
    End,
    /// The first record with at least this sequence number.
    Seq(u64),
    /// The first record, in write order, with at least this timestamp (ns).
    Time(i64),
}

/// Puts `reader`, of log `log`, where consumer `store` goes on in it: at
/// its committed position (records since deleted are a `Retention` gap,
/// see `LogReader::resume_at`), or for a log it has none in, at `start`,
/// then committed. The one rule of where a consumer starts, for every
/// caller (Rust, C, the tool).
pub(crate) fn place(
    reader: &mut LogReader,
    store: &mut Store,
    log: &str,
    start: Start,
) -> Result<()> {
    if let Some(seq) = store.committed().next_seq(log) {
        return reader.resume_at(seq);
    }
    match start {
        Start::First => reader.seek_seq(0)?,
        Start::End => drop(reader.seek_end()?),
        Start::Seq(seq) => reader.seek_seq(seq)?,
        Start::Time(ts) => reader.seek_time(ts)?,
    }
    // With no segment to stand in, where the log goes on (its recorded
    // position: no record below it is to come).
    let recorded = || {
        let dir = reader.log_dir()?;
        super::position::recorded(dir, log, false)
            .ok()
            .map(|p| p.seq)
    };
    let at = reader.standing_at().or_else(recorded).unwrap_or(0);
    store.commit(&[(log, at.max(reader.next_position()))])
}

/// A named consumer of one log: a [`LogReader`] that starts after the
/// consumer's last commit and commits its position durably
/// (docs/GUIDE.md, "Consumers"). One thread at a time.
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("binlog-doc-consumer-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// use binlog::{Consumer, LogOptions, LogWriter, Start};
///
/// let log = LogWriter::open(&dir, "orders", LogOptions::default())?;
/// log.write("order", b"1")?;
/// log.write("order", b"2")?;
/// log.flush()?; // readers see what the writer handed to the OS
/// let mut c = Consumer::open(&dir, "orders", "billing", Start::First)?;
/// assert_eq!(c.next()?.expect("a record").payload, b"1");
/// c.commit()?; // record 0 is processed
/// drop(c);
/// let mut c = Consumer::open(&dir, "orders", "billing", Start::First)?;
/// assert_eq!(c.next()?.expect("a record").payload, b"2");
/// # log.close()?;
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Consumer {
    reader: LogReader,
    store: Store,
    log: String,
}

impl Consumer {
    /// Opens consumer `name` of log `log` in `dir`: `Locked` if another
    /// handle has it open, `InvalidArgument` for a name that cannot be a
    /// file name, `CorruptConsumer` (naming the file) if its file is damaged.
    pub fn open(dir: impl AsRef<Path>, log: &str, name: &str, start: Start) -> Result<Consumer> {
        Consumer::new(LogReader::open(dir, log)?, name, start)
    }

    /// Consumer `name` reading with `reader`, a reader of a log by its
    /// directory (`LogReader::open` or `open_tiered`, set up as wanted).
    pub fn new(mut reader: LogReader, name: &str, start: Start) -> Result<Consumer> {
        // A consumer keeps its file in the log's directory.
        let no_dir = "a consumer reads a log directory (open the log by its directory and name)";
        let dir = reader.log_dir().ok_or_else(|| Error::invalid(no_dir))?;
        let mut store = Store::open(dir, name)?;
        let log = reader.log_name()?;
        place(&mut reader, &mut store, &log, start)?;
        Ok(Consumer { reader, store, log })
    }

    /// The next record (see [`LogReader::next`]).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Record<'_>>> {
        self.reader.next()
    }

    /// The next record, waiting up to `timeout` (see
    /// [`LogReader::next_wait`]).
    pub fn next_wait(&mut self, timeout: Duration) -> Result<Option<Record<'_>>> {
        self.reader.next_wait(timeout)
    }

    /// Commits every record returned so far as processed: one small write
    /// and one fdatasync; once it returns, a consumer opened under this
    /// name (after any crash) goes on after them.
    pub fn commit(&mut self) -> Result<()> {
        self.store
            .commit(&[(&self.log, self.reader.next_position())])
    }

    /// Commits records up to `seq`, one returned since the last commit (or
    /// the last one committed: a no-op), as processed; else
    /// `InvalidArgument` naming the consumer's file. It never moves the
    /// consumer back: a seek of its [`reader`](Consumer::reader) and a
    /// [`commit`](Consumer::commit) do.
    pub fn commit_seq(&mut self, seq: u64) -> Result<()> {
        let at = self.reader.next_position();
        self.store.commit_seq(&self.log, seq, at)
    }

    /// The sequence number the last commit goes on at.
    pub fn committed(&self) -> Option<u64> {
        self.store.committed().next_seq(&self.log)
    }

    /// The reader (filters, gaps, position token, ...).
    pub fn reader(&mut self) -> &mut LogReader {
        &mut self.reader
    }
}

/// A named consumer of many logs read as one stream by time (a
/// [`MergedReader`]): one commit holds its position in every log.
pub struct MergedConsumer {
    reader: MergedReader,
    store: Store,
}

impl MergedConsumer {
    /// Consumer `name` of every log in `dir` whose name matches `pattern`,
    /// its file in `dir`; a log it has no position in starts at `start`.
    pub fn open(dir: impl AsRef<Path>, pattern: &str, name: &str, start: Start) -> Result<Self> {
        let dir = dir.as_ref();
        MergedConsumer::new(MergedReader::open_dir(dir, pattern)?, dir, name, start)
    }

    /// Consumer `name` reading with `reader` (not read from yet), its file
    /// in `dir`; a log it has no position in starts at `start`.
    pub fn new(mut reader: MergedReader, dir: &Path, name: &str, start: Start) -> Result<Self> {
        let mut store = Store::open(dir, name)?;
        reader.each_log(|log, r| place(r, &mut store, log, start))?;
        Ok(MergedConsumer { reader, store })
    }

    /// The next record in merged order (see [`MergedReader::next`]).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<MergedRecord<'_>>> {
        self.reader.next()
    }

    /// The next record, waiting up to `timeout`.
    pub fn next_wait(&mut self, timeout: Duration) -> Result<Option<MergedRecord<'_>>> {
        self.reader.next_wait(timeout)
    }

    /// Commits every record returned so far, in every log, in one durable
    /// write.
    pub fn commit(&mut self) -> Result<()> {
        self.store.commit(&self.reader.positions())
    }

    /// The merged reader and the consumer's file, apart (for the C ABI's
    /// handle).
    pub(crate) fn into_parts(self) -> (MergedReader, Store) {
        (self.reader, self.store)
    }

    /// The merged reader (gaps, damages, position token, ...).
    pub fn reader(&mut self) -> &mut MergedReader {
        &mut self.reader
    }
}

/// What `binlog consumers` shows of one consumer of a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerInfo {
    /// The consumer's name.
    pub name: String,
    /// The sequence number it goes on at.
    pub next_seq: u64,
    /// When it last committed (ns since the epoch).
    pub commit_ns: i64,
    /// Records written that it has not committed (the log's next sequence
    /// number minus `next_seq`).
    pub lag_records: u64,
    /// Bytes of the log's segments from the one holding `next_seq` on.
    pub lag_bytes: u64,
}

/// Every consumer of log `log` in `dir` with a position in it, by name.
/// A damaged consumer file is an error naming it.
pub fn list(dir: &Path, log: &str) -> Result<Vec<ConsumerInfo>> {
    let segments = super::list_segments(dir, log)?;
    // The log's end: where a follow "from the end" starts.
    let recorded = super::position::recorded(dir, log, !segments.is_empty())?.seq;
    let end = LogReader::open(dir, log)?.seek_end()?;
    let next = end.unwrap_or(0).max(recorded);
    let mut out = Vec::new();
    for (name, path) in store::list(dir)? {
        let c = store::read(&path)?;
        let Some(at) = c.next_seq(log) else { continue };
        let lag_bytes = segments
            .iter()
            .filter(|s| s.last_seq.is_none_or(|last| last >= at))
            .map(|s| s.bytes)
            .sum();
        out.push(ConsumerInfo {
            name,
            next_seq: at,
            commit_ns: c.commit_ns,
            lag_records: next.saturating_sub(at),
            lag_bytes,
        });
    }
    Ok(out)
}

/// The rule of retention that waits for consumers
/// (`Retention::wait_for_consumers`), for each deleter of a log's segments
/// (the log's retention, the shipper's removal of local copies, the
/// bucket's prune): whether a consumer of log `log` in `dir` holds a
/// segment whose records end before `end` (the sequence number after
/// them): it has not committed past them and is within `bound`, the log's
/// segments from this one on taking `bytes` and this one being `age_ns`
/// old.
pub(crate) fn holds(
    dir: &Path,
    log: &str,
    bound: super::ConsumerBound,
    end: u64,
    bytes: u64,
    age_ns: i64,
) -> bool {
    let age = u128::try_from(age_ns).unwrap_or(0);
    let within = bound.max_bytes.is_none_or(|m| bytes <= m)
        && bound.max_age.is_none_or(|m| age <= m.as_nanos());
    within && lowest_position(dir, log).is_some_and(|at| at < end)
}

/// The lowest position any consumer in `dir` has committed in log `log`
/// (what retention waits for); damaged consumer files are passed over.
fn lowest_position(dir: &Path, log: &str) -> Option<u64> {
    let files = store::list(dir).ok()?;
    let next_seq = |p: &Path| store::read(p).ok()?.next_seq(log);
    files.iter().filter_map(|(_, p)| next_seq(p)).min()
}
