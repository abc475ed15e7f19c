//! A rolling log: a directory of segments written one after another.
//!
//! A segment's lifecycle goes one way: *active* (records are appended) ->
//! *ending* (its records closed by a `SEAL_BEGIN` frame) -> *sealed* (its
//! seal written whole). A sealed segment is never written again; an ending
//! one is only sealed. Each stage has its file (`open`, `append`, `roll`,
//! `seal`, `retention`, `manifest`, `durability`, `events`, `background`,
//! `close`); docs/FORMAT.md ("Rolling logs") gives the roll's steps and
//! what a crash between any two of them leaves.

use super::age_clock::AgeClock;
use super::manifest::SealedEntry;
use super::options::{LogOptions, SharedCallback};
use super::position::Position;
use crate::error::{Error, ErrorKind, Result};
use crate::writer::{options::Options, Entry, Recycled, Writer};
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;
use std::thread::JoinHandle;

mod append;
mod background;
mod close;
#[cfg(feature = "compression")]
mod compress;
mod durability;
mod events;
mod found;
mod manifest;
mod open;
mod retention;
#[cfg(feature = "s3")]
pub(crate) use retention::Limits;
mod roll;
mod seal;

use crate::log::events::{SegmentCallback, SegmentEvent, SegmentInfo};
use events::Events;
use seal::Ending;

static LAST_LOG_ID: AtomicU64 = AtomicU64::new(0);

/// Appends records to a rolling log: a directory of segments named
/// `<name>-<segment no>-<UTC time>.binlog` that rolls by size, record count
/// and UTC period ([`LogOptions`](crate::LogOptions)), seals each segment it
/// leaves, runs callbacks and retention, and (feature `compression`)
/// compresses sealed segments. One writer per log at a time: `open` takes
/// the log's lock (`<name>.lock`). `Send + Sync`: threads share one writer.
///
/// # Example
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("binlog-doc-logwriter-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// use binlog::{LogOptions, LogWriter};
///
/// let opts = LogOptions { max_segment_records: Some(1000), ..LogOptions::default() };
/// let log = LogWriter::open(&dir, "orders", opts)?;
/// for i in 0..2500u32 {
///     log.write("order", &i.to_le_bytes())?;
/// }
/// log.close()?;
/// assert_eq!(binlog::list_segments(&dir, "orders")?.len(), 3);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct LogWriter {
    shared: Arc<Shared>,
    roller: Mutex<Option<JoinHandle<()>>>,
    compressor: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    /// Tells this log's background thread from others' (never 0).
    id: u64,
    dir: PathBuf,
    name: String,
    opts: LogOptions,
    ages: AgeClock,
    state: Mutex<State>,
    /// Shared, so that `dispatch` calls them without holding this lock
    /// (a callback may roll the log, which dispatches in turn).
    callbacks: Mutex<Vec<SharedCallback>>,
    events: Mutex<Events>,
    stop: Mutex<bool>,
    stop_cv: Condvar,
    /// A roll changed the segments and the background thread has not yet
    /// replaced the manifest (see `manifest_changed`).
    manifest_due: AtomicBool,
    seal_due: AtomicBool,
    /// The number of the newest manifest written (see `write_manifest`).
    manifest_written: Mutex<u64>,
    /// Held while sealing ending segments outside the log's lock, so that
    /// they are sealed one at a time, oldest first. Taken before `state`.
    sealer: Mutex<()>,
    /// Held by `close` from sealing the current segment to releasing the
    /// log's lock (it compresses outside `state`), so that a second close
    /// returns only once the log is released. Taken before `state`.
    closing: Mutex<()>,
    /// The log's lock file, locked from open to the end of `close` (see
    /// `lock_log`).
    lock: Mutex<Option<std::fs::File>>,
    /// Events caused by a callback (it rolled or closed the log) while
    /// others were being reported on its thread: reported after them, by
    /// that thread (tagged with its `thread_tag`), so that no other thread
    /// reports them out of order.
    deferred: Mutex<Vec<(u64, SegmentEvent)>>,
}

struct Sealed {
    entry: SealedEntry,
    path: PathBuf,
    /// When it was sealed (by `Shared::ages`), for age retention.
    sealed_ns: i64,
}

#[derive(Default)]
struct State {
    current: Option<Arc<Writer>>,
    /// The position the log opened at, no lower than the manifest recorded
    /// (`log::position`): every manifest records it or a later one, also
    /// once retention or a shipper has removed the segments it came from.
    floor: Position,
    period_start: Option<i64>,
    sealed: VecDeque<Sealed>,
    /// Segments rolled away from and not sealed yet, oldest first.
    ending: VecDeque<Ending>,
    /// Memory the last segment sealed left for the next one opened.
    spare: Recycled,
    /// Older segments whose records or seal are not known to be on stable
    /// storage: the first sequence number not known durable and the path
    /// (a segment listed by its roll, for its records, and again once
    /// sealed, for its seal, with u64::MAX: a seal holds no record).
    /// `sync` fdatasyncs them; `durable_seq` stops at the lowest number.
    unsynced: Vec<(u64, PathBuf)>,
    /// Manifests built so far: each is numbered, so that an older one never
    /// replaces a newer one written first.
    manifests: u64,
    /// An fdatasync of this log's records failed: the kernel may have
    /// dropped them, and a later fdatasync would succeed without them
    /// (fsyncgate). Writes, syncs and rolls fail with this from then on.
    poisoned: Option<Error>,
    /// The next segment's file, left by a roll that failed after creating
    /// it and could not remove it (see `remove_leftover`).
    leftover: Option<PathBuf>,
    /// The sealed segment being compressed (outside the log's lock):
    /// retention deletes it only once that is done.
    compressing: Option<PathBuf>,
    /// Sealed segments whose compression failed for another reason than
    /// I/O: left plain until the log is opened again.
    #[cfg_attr(not(feature = "compression"), allow(dead_code))]
    uncompressible: Vec<PathBuf>,
    /// Sealed segments retention's hard cap deleted before a shipper had
    /// uploaded them (`Retention::hard_max_bytes`), and the last one.
    dropped_unshipped: (u64, Option<PathBuf>),
}

impl LogWriter {
    /// The log's directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// The log's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Appends a record; returns its sequence number.
    pub fn write(&self, type_name: &str, payload: &[u8]) -> Result<u64> {
        self.write_batch(&[Entry::of(type_name, &[payload])])
    }

    /// Hands buffered records of the current segment to the OS. Every
    /// record written before the call is then in the file: those of the
    /// segment it found current too if another thread's write rolled the
    /// log meanwhile (see `rolled_away`).
    pub fn flush(&self) -> Result<()> {
        let w = Arc::clone(self.shared.writer(&self.shared.state.lock())?);
        w.flush().or_else(|e| self.shared.rolled_away(&w, e))
    }

    /// Flushes and fdatasyncs the current segment, and under durability
    /// `None` the older segments not synced yet (the other policies sync a
    /// segment's records before it is sealed). Every record written before
    /// the call is on stable storage when it returns, even if another
    /// thread's write rolled the log meanwhile.
    pub fn sync(&self) -> Result<()> {
        let s = &*self.shared;
        let w = {
            let st = s.state.lock();
            s.usable(&st)?;
            Arc::clone(s.writer(&st)?)
        };
        s.sync_older()?;
        w.sync().or_else(|e| s.rolled_away(&w, e))?;
        // A roll meanwhile (even during `w.sync`) listed `w` among the
        // older segments not synced yet under `None`: sync it off the list.
        s.sync_older()
    }

    /// Sequence number the next record will get.
    pub fn next_seq(&self) -> Result<u64> {
        Ok(self.shared.writer(&self.shared.state.lock())?.next_seq())
    }

    /// Every record with a lower sequence number is on stable storage.
    pub fn durable_seq(&self) -> Result<u64> {
        let st = self.shared.state.lock();
        let current = self.shared.writer(&st)?.durable_seq();
        let older = st.unsynced.iter().map(|(first, _)| *first);
        Ok(older.fold(current, u64::min))
    }

    /// Whether `close` was called.
    pub fn is_closed(&self) -> bool {
        self.shared.state.lock().current.is_none()
    }

    /// The segment being written.
    pub fn current_segment(&self) -> Result<SegmentInfo> {
        Ok(info_of(self.shared.writer(&self.shared.state.lock())?))
    }

    /// Starts the next segment now; returns once the current one is
    /// sealed (and any segment rolled away from before it).
    pub fn roll(&self) -> Result<()> {
        let s = &*self.shared;
        s.reporting(|events| {
            // Before the state lock: no background sealing runs meanwhile.
            // Released before the callbacks run: they may roll or close.
            let _order = s.sealer.lock();
            let mut st = s.state.lock();
            s.usable(&st)?;
            s.writer(&st)?;
            s.roll(&mut st, events, (s.opts.clock)(), true)
        })
    }

    /// Applies the time triggers (period roll, age retention) now. The
    /// background thread calls this; with `background: false`, call it:
    /// it then also compresses the sealed segments due (with
    /// `compression`), on the calling thread.
    pub fn tick(&self) -> Result<()> {
        self.shared.tick()?;
        #[cfg(feature = "compression")]
        if !self.shared.opts.background {
            return self.shared.compress_due(None);
        }
        Ok(())
    }

    /// Registers a callback for segment events.
    /// Fails with `Closed` once the log is closed (no event would come).
    pub fn on_segment(&self, cb: SegmentCallback) -> Result<()> {
        self.shared.writer(&self.shared.state.lock())?;
        self.shared.callbacks.lock().push(Arc::from(cb));
        Ok(())
    }

    /// The oldest sealed segment not yet returned by this call, for callers
    /// that prefer polling to being called back from another thread.
    pub fn poll_sealed(&self) -> Option<SegmentInfo> {
        self.shared.events.lock().unpolled.pop_front()
    }

    /// How many callbacks failed or panicked, and the last failure. The
    /// background threads' failures count too (a manifest not replaced, a
    /// time roll or retention that failed, a compression not finished: all
    /// retried), and so does a manifest a roll could not replace.
    pub fn callback_failures(&self) -> (u64, Option<String>) {
        let e = self.shared.events.lock();
        (e.failures, e.last_failure.clone())
    }

    /// How many sealed segments retention's hard cap
    /// (`Retention::hard_max_bytes`) deleted before a shipper had uploaded
    /// them (`Retention::until_shipped`), and the last one's path: records
    /// that are neither local nor in the bucket any more.
    pub fn dropped_unshipped(&self) -> (u64, Option<PathBuf>) {
        self.shared.state.lock().dropped_unshipped.clone()
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

impl Shared {
    /// Fails once an fdatasync of the log's records failed (`poisoned`).
    fn usable(&self, st: &State) -> Result<()> {
        st.poisoned.as_ref().map_or(Ok(()), |e| Err(e.clone()))
    }

    /// `Ok` if `e`, from a flush or sync of segment writer `w` that was
    /// current when the call began, says only that the log rolled away
    /// from `w` meanwhile: a roll hands every record of the segment to the
    /// OS, and syncs them (or under `None` lists the segment in
    /// `unsynced`) in the same locked step that switches the log.
    /// Otherwise `Err(e)`.
    fn rolled_away(&self, w: &Arc<Writer>, e: Error) -> Result<()> {
        let st = self.state.lock();
        let switched = st.current.as_ref().is_some_and(|c| !Arc::ptr_eq(c, w));
        if e.kind() == ErrorKind::Closed && switched && w.written_below() == w.next_seq() {
            Ok(())
        } else {
            Err(e)
        }
    }

    fn writer<'a>(&self, st: &'a State) -> Result<&'a Arc<Writer>> {
        st.current.as_ref().ok_or_else(|| {
            let why = format!("log {} is closed", self.name);
            Error::file(ErrorKind::Closed, &self.dir, why)
        })
    }

    fn segment_options(&self, segment_no: u64, first_seq: u64) -> Options {
        segment_options(&self.opts, &self.name, segment_no, first_seq)
    }
}

/// What the log's segment `w` holds now.
fn info_of(w: &Writer) -> SegmentInfo {
    SegmentInfo {
        path: w.path().to_path_buf(),
        segment_no: w.segment_no,
        first_seq: w.first_seq,
        record_count: w.record_count(),
        bytes: w.bytes(),
    }
}

/// The options of segment `segment_no` of log `name`, whose first record
/// (if it is new) gets `first_seq`.
fn segment_options(opts: &LogOptions, name: &str, segment_no: u64, first_seq: u64) -> Options {
    Options {
        log_name: name.to_string(),
        segment_no,
        first_seq,
        created_ns: Some((opts.clock)()),
        expected_size: opts.max_segment_bytes.or(opts.segment.expected_size),
        ..opts.segment.clone()
    }
}
