//! A rolling log: a directory of segments written one after another.
//!
//! Roll order, chosen so a crash at any moment leaves a log that opens and
//! reads completely: (1) end the current segment's records (`retire`: all
//! handed to the OS, synced under a durable policy, and followed by a
//! `SEAL_BEGIN` frame); (2) create the next one (header fsynced, directory
//! fsynced); (3) write the rest of the old segment's seal (fsynced under a
//! durable policy), on the background thread if there is one, so that the
//! writer does not wait for it; (4) replace the manifest (not fsynced: it
//! is for tools). On open the segment files are the truth: the newest one
//! is reopened (and recovered) if unsealed, or followed by a new one if
//! sealed; an older one found unsealed (a crash before its seal was
//! written, or power loss under durability `None`, where nothing is
//! fsynced) is recovered and sealed first.

use super::age_clock::AgeClock;
use super::manifest::{Manifest, SealedEntry};
use super::naming;
use super::options::{validate_name, LogOptions, SharedCallback};
use super::segments;
use crate::error::{Error, ErrorKind, Result};
use crate::format::frame::{frame_len_bound, max_frame_len, total_len};
use crate::format::MAX_TYPE_NAME_LEN;
use crate::options::{Durability, Options};
use crate::reader::{Reader, Tail};
use crate::writer::{Entry, Recycled, SealEstimate, SizeSnapshot, Writer};
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A segment of a log, as reported to callbacks and by polling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentInfo {
    pub path: PathBuf,
    pub segment_no: u64,
    pub first_seq: u64,
    /// Records in the segment (0 when just opened).
    pub record_count: u64,
    /// File size (when sealed: including the seal).
    pub bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SegmentEvent {
    Opened(SegmentInfo),
    Sealed(SegmentInfo),
}

/// Called after a segment is opened or sealed, outside the log's lock: by the
/// writing thread that rolled, or by the log's background thread (time
/// rolls, and with it the seals of every roll). An `Err` or a panic is
/// counted (see `LogWriter::callback_failures`) and affects neither the
/// writer nor the other callbacks.
pub type SegmentCallback =
    Box<dyn Fn(&SegmentEvent) -> std::result::Result<(), String> + Send + Sync>;

thread_local! {
    /// On a log's background thread: the log's `Shared::id`.
    static ROLLER_OF: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// The `Shared::id` of the log whose events this thread is reporting
    /// (see `Shared::dispatch`), or 0. No destructor: usable at any time.
    static REPORTING: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// This thread's tag in `Shared::deferred` (0 until first needed).
    static THREAD_TAG: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The last `THREAD_TAG` given out.
static LAST_THREAD_TAG: AtomicU64 = AtomicU64::new(0);

/// The calling thread's tag (see `Shared::deferred`), never 0.
fn thread_tag() -> u64 {
    THREAD_TAG.with(|t| {
        if t.get() == 0 {
            t.set(LAST_THREAD_TAG.fetch_add(1, Ordering::Relaxed) + 1);
        }
        t.get()
    })
}

/// The last `Shared::id` given out.
static LAST_LOG_ID: AtomicU64 = AtomicU64::new(0);

/// Sealed segments kept for polling when nobody polls.
const MAX_UNPOLLED: usize = 65_536;

pub struct LogWriter {
    shared: Arc<Shared>,
    roller: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    /// Tells this log's background thread from others' (never 0).
    id: u64,
    dir: PathBuf,
    name: String,
    opts: LogOptions,
    /// What age retention reads the time from (see `age_clock`).
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
    /// A roll left a segment for the background thread to seal.
    seal_due: AtomicBool,
    /// The number of the newest manifest written (see `write_manifest`).
    manifest_written: Mutex<u64>,
    /// Held while sealing retired segments outside the log's lock, so that
    /// they are sealed one at a time, oldest first. Taken before `state`.
    sealer: Mutex<()>,
    /// The log's lock file, locked from open to the end of `close` (see
    /// `lock_log`).
    lock: Mutex<Option<std::fs::File>>,
    /// Events caused by a callback (it rolled or closed the log) while
    /// others were being reported on its thread: reported after them, by
    /// that thread (tagged with its `thread_tag`). Another thread reporting
    /// this log's events meanwhile must not take them: it would report
    /// them before the ones still being reported on their own thread (a
    /// segment sealed before it was reported opened).
    deferred: Mutex<Vec<(u64, SegmentEvent)>>,
}

#[derive(Default)]
struct Events {
    unpolled: VecDeque<SegmentInfo>,
    dropped: u64,
    failures: u64,
    last_failure: Option<String>,
}

/// A segment the log rolled away from whose seal is not written yet: its
/// records are complete in the file (synced under a durable policy) and
/// followed by a `SEAL_BEGIN` frame.
#[derive(Clone)]
struct Retired {
    /// `None` once sealing it failed: the next attempt reopens the file.
    writer: Option<Arc<Writer>>,
    path: PathBuf,
    segment_no: u64,
    first_seq: u64,
    /// The OPENED event of the segment the log rolled to, reported after
    /// this one's SEALED event so that a log's events come in order.
    next_opened: Option<SegmentInfo>,
}

/// A retired segment once sealed.
struct Done {
    record_count: u64,
    /// Its memory, for the next segment.
    recycled: Recycled,
}

impl Retired {
    fn of_current(st: &State, w: Arc<Writer>) -> Retired {
        Retired {
            path: w.path().to_path_buf(),
            writer: Some(w),
            segment_no: st.segment_no,
            first_seq: st.first_seq,
            next_opened: None,
        }
    }

    /// Writes the rest of its seal; after a failed attempt (the writer is
    /// closed then), reopens the file and seals it, as `open` does.
    fn seal(&self, log: &Shared) -> Result<Done> {
        match &self.writer {
            Some(w) => {
                let record_count = w.record_count();
                let recycled = w.close_recycling()?;
                Ok(Done {
                    record_count,
                    recycled,
                })
            }
            None => {
                let opts = log.segment_options(self.segment_no, self.first_seq);
                let info = reseal(&self.path, opts)?;
                Ok(Done {
                    record_count: info.record_count,
                    recycled: Recycled::default(),
                })
            }
        }
    }

    /// This segment after a failed attempt to seal it. The next segment's
    /// OPENED event is reported now, not held back until a retry succeeds.
    fn failed(self, events: &mut Vec<SegmentEvent>) -> Retired {
        events.extend(self.next_opened.map(SegmentEvent::Opened));
        Retired {
            writer: None,
            next_opened: None,
            ..self
        }
    }
}

struct Sealed {
    entry: SealedEntry,
    path: PathBuf,
    /// When it was sealed (ns since the epoch, by `Shared::ages`) for age
    /// retention.
    sealed_ns: i64,
}

struct State {
    current: Option<Arc<Writer>>,
    segment_no: u64,
    first_seq: u64,
    period_start: Option<i64>,
    sealed: VecDeque<Sealed>,
    /// Segments rolled away from and not sealed yet, oldest first.
    retired: VecDeque<Retired>,
    /// Memory the last segment sealed left for the next one opened.
    spare: Recycled,
    /// Under durability `None`: older segments whose records are not known
    /// to be on stable storage (first sequence number and path, oldest
    /// first), found at open or rolled away from. `sync` fsyncs them;
    /// `durable_seq` stops at the first.
    unsynced: Vec<(u64, PathBuf)>,
    /// Manifests built so far: each is numbered, so that an older one never
    /// replaces a newer one written first.
    manifests: u64,
    /// An fdatasync of this log's records failed: the kernel may have
    /// dropped them, and a later fdatasync would succeed without them
    /// (fsyncgate). Writes, syncs and rolls fail with this from then on,
    /// and `durable_seq` stays where it was.
    poisoned: Option<Error>,
    /// The next segment's file, created by a roll that failed after
    /// creating it and could not remove it either (see `open_segment`).
    /// The log went on in the segment before, so the file holds no record
    /// and its number is the next segment's: no segment is created until
    /// it is gone (see `remove_leftover`), or the directory would hold two
    /// segments of that number.
    leftover: Option<PathBuf>,
}

impl LogWriter {
    /// Opens log `name` in `dir` (created if missing) for appending.
    pub fn open(dir: impl AsRef<Path>, name: &str, opts: LogOptions) -> Result<LogWriter> {
        opts.validate()?;
        validate_name(name)?;
        let dir = dir.as_ref().to_path_buf();
        if std::fs::metadata(&dir).is_ok_and(|m| !m.is_dir()) {
            return Err(segments::not_a_directory(&dir));
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| segments::dir_error(&dir, "create log directory", e))?;
        // Before anything is looked at or changed: a second writer must not
        // seal, remove or resume segments the first one is working on.
        let lock = lock_log(&dir, name)?;
        let files = segments::list(&dir, name)?;
        let mut sealed = VecDeque::new();
        let mut next_first = opts.first_seq;
        let mut resume = None;
        let mut summaries = Vec::with_capacity(files.len());
        for f in &files {
            summaries.push(summarize(&f.path, f.segment_no, name)?);
        }
        // Older segments without a seal are sealed below; first make sure
        // each can be, so that a refusal leaves every file as it was.
        let older = files.len().saturating_sub(1);
        for (f, _) in files[..older]
            .iter()
            .zip(&summaries)
            .filter(|(_, s)| s.is_none())
        {
            Writer::check_reopen(&f.path).map_err(|e| not_resealed(e, true))?;
        }
        let mut resealed = Vec::new();
        for (i, (f, mut summary)) in files.iter().zip(summaries).enumerate() {
            let last = i + 1 == files.len();
            // An empty segment that starts before the one before ends:
            // what a roll that failed after creating it leaves (the log
            // went on numbering records in the segment before). Resuming
            // it, or sealing it, would number records twice. One that
            // starts after it is kept: the segment before lost records
            // (a torn tail cut above, power loss under durability `None`)
            // whose numbers were given out, and the log goes on after them
            // (a reader reports the gap) rather than give them out again.
            if summary.is_none()
                && !sealed.is_empty()
                && empty_segment_first_seq(&f.path)?.is_some_and(|first| first < next_first)
            {
                remove_segment_file(&f.path)?;
                continue;
            }
            if summary.is_none() && !last {
                // A segment whose header was torn starts afresh, empty: at
                // most where the next one starts, which may say more than
                // `first_seq` (only for a new log) or the segment before.
                let first =
                    header_first_seq(&files[i + 1].path).map_or(next_first, |n| n.min(next_first));
                let opened = segment_options(&opts, name, f.segment_no, first);
                resealed.push(reseal(&f.path, opened).map_err(|e| not_resealed(e, false))?);
                summary = summarize(&f.path, f.segment_no, name)?;
            }
            match summary {
                Some((entry, sealed_ns)) => {
                    next_first = entry.first_seq + entry.record_count;
                    sealed.push_back(Sealed {
                        entry,
                        path: f.path.clone(),
                        sealed_ns,
                    });
                }
                _ if last => resume = Some(f.clone()),
                _ => {
                    return Err(not_resealed(
                        Error::file(
                            ErrorKind::Corrupt,
                            &f.path,
                            "still without a seal after sealing",
                        ),
                        false,
                    ))
                }
            }
        }
        // Found on disk, the older segments' records may be only in the
        // page cache (their writer may have run under `None`, or died
        // before syncing): not durable until synced. A durable policy
        // syncs them before open returns (below).
        let unsynced: Vec<(u64, PathBuf)> = sealed
            .iter()
            .map(|s| (s.entry.first_seq, s.path.clone()))
            .collect();
        let initial_callbacks = opts.callbacks.clone();
        let shared = Arc::new(Shared {
            id: LAST_LOG_ID.fetch_add(1, Ordering::Relaxed) + 1,
            dir,
            name: name.to_string(),
            ages: AgeClock::new(&opts.clock, opts.system_clock()),
            opts,
            state: Mutex::new(State {
                current: None,
                segment_no: 0,
                first_seq: next_first,
                period_start: None,
                sealed,
                retired: VecDeque::new(),
                spare: Recycled::default(),
                unsynced,
                manifests: 0,
                poisoned: None,
                leftover: None,
            }),
            callbacks: Mutex::new(initial_callbacks),
            events: Mutex::new(Events::default()),
            stop: Mutex::new(false),
            stop_cv: Condvar::new(),
            manifest_due: AtomicBool::new(false),
            seal_due: AtomicBool::new(false),
            manifest_written: Mutex::new(0),
            sealer: Mutex::new(()),
            lock: Mutex::new(Some(lock)),
            deferred: Mutex::new(Vec::new()),
        });
        if shared.opts.segment.durability != Durability::None {
            // What the policy promises for the records found (see
            // `unsynced`): one fdatasync per older segment, and the
            // directory. Before the current segment opens, so that a
            // failure here leaves it as it was (a writer dropped on the
            // error path would seal it).
            shared.sync_older()?;
        }
        let mut events: Vec<SegmentEvent> =
            resealed.into_iter().map(SegmentEvent::Sealed).collect();
        {
            let mut st = shared.state.lock();
            match resume {
                Some(f) => {
                    let w =
                        Writer::open(&f.path, shared.segment_options(f.segment_no, next_first))?;
                    let created = Reader::open(&f.path)
                        .map(|r| r.header().created_ns)
                        .unwrap_or_else(|_| (shared.opts.clock)());
                    st.first_seq = w.next_seq() - w.record_count();
                    st.segment_no = f.segment_no;
                    st.period_start = shared.opts.period.floor(created);
                    st.current = Some(Arc::new(w));
                }
                None => {
                    let no = match st.sealed.back() {
                        Some(s) => shared.segment_after(s.entry.segment_no)?,
                        None => 0,
                    };
                    let now = (shared.opts.clock)();
                    shared.open_segment(
                        &mut st,
                        no,
                        next_first,
                        &mut events,
                        Recycled::default(),
                        now,
                    )?;
                }
            }
            shared.store_manifest(&mut st)?;
        }
        shared.dispatch(events);
        let roller = if shared.opts.background {
            let s = Arc::clone(&shared);
            Some(
                std::thread::Builder::new()
                    .name("binlog-roller".into())
                    .spawn(move || s.roller_loop())
                    .map_err(|e| Error::io(&shared.dir, "start roller thread", e))?,
            )
        } else {
            None
        };
        Ok(LogWriter {
            shared,
            roller: Mutex::new(roller),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Appends a record; returns its sequence number.
    pub fn write(&self, type_name: &str, payload: &[u8]) -> Result<u64> {
        self.write_batch(&[Entry {
            type_name,
            meta: &[],
            timestamp_ns: None,
            parts: &[payload],
        }])
    }

    /// Appends records in order, rolling between them where a trigger fires;
    /// no record straddles two segments. Returns the first sequence number.
    /// A batch that fails after some of its records were written (a roll
    /// between two of its parts failed, or a write) says in its error how
    /// many were, and their sequence numbers.
    pub fn write_batch(&self, entries: &[Entry<'_>]) -> Result<u64> {
        let s = &*self.shared;
        let mut events = Vec::new();
        // The batch's first sequence number, and the writer of its part
        // written last: after a failure, how much of it was written.
        let mut first: Option<u64> = None;
        let mut last: Option<Arc<Writer>> = None;
        let mut wait = None;
        let mut failed_at = 0;
        let mut part_end = 0;
        let result: Result<u64> = (|| {
            let mut st = s.state.lock();
            s.usable(&st)?;
            let now = (s.opts.clock)();
            let mut i = 0;
            if entries.is_empty() {
                return Ok(s.writer(&st)?.next_seq());
            }
            let mut first_snap = Some(s.writer(&st)?.size_snapshot());
            // Before any roll or record: a batch refused writes nothing.
            s.validate(&st, entries, first_snap.as_ref().expect("taken").next_seq)?;
            // A record of a type new to the segment also adds a directory
            // entry to its seal, which the snapshot's estimate does not
            // hold; counted for every record (a known type's frame is
            // already over-estimated by its name), so that no record takes
            // a segment past the size limit.
            let size = |e: &Entry<'_>| {
                max_frame_len(e.type_name, e.meta, total_len(e.parts))
                    .saturating_add(SealEstimate::type_entry_len(e.type_name))
            };
            while i < entries.len() {
                failed_at = i;
                let mut snap = match first_snap.take() {
                    Some(snap) => snap,
                    None => s.writer(&st)?.size_snapshot(),
                };
                let first_size = size(&entries[i]);
                if s.roll_due(&mut st, &snap, first_size, now) {
                    s.roll(&mut st, &mut events, now)?;
                    snap = s.writer(&st)?.size_snapshot();
                }
                let w = Arc::clone(s.writer(&st)?);
                // The part's first record goes in whatever the segment
                // holds (an empty one takes any record); the next ones
                // while it has room.
                let (mut bytes, mut count) = (snap.bytes + first_size, snap.records + 1);
                let mut j = i + 1;
                while j < entries.len() {
                    let sz = size(&entries[j]);
                    if s.opts.max_segment_records.is_some_and(|m| count >= m)
                        || s.over_size(bytes + sz, count + 1, &snap)
                    {
                        break;
                    }
                    bytes += sz;
                    count += 1;
                    j += 1;
                }
                first.get_or_insert(snap.next_seq);
                part_end = j;
                // Counted before the append, so that a leader gathering
                // records for its fdatasync waits for this one (group
                // commit), as a segment writer's own write call is.
                let call = w.durable_call();
                let appended = w.append(&entries[i..j], Some(now));
                // Kept for the error path below (one reference a part).
                let w = &*last.insert(w);
                if let Some(to) = appended?.1 {
                    wait = Some((Arc::clone(w), to, call));
                }
                i = j;
            }
            Ok(first.expect("non-empty batch"))
        })();
        s.dispatch(events);
        let waited = wait.map(|(w, to, mut call)| w.wait_durable(to, call.as_mut()));
        match result {
            Ok(first) => waited.unwrap_or(Ok(())).map(|()| first),
            Err(e) => Err(match (first, last) {
                // The error names only the part it failed in (or a roll):
                // unless that part is the whole batch, say what was written.
                (Some(first), Some(w)) if failed_at > 0 || part_end < entries.len() => {
                    let written = w.written_below().saturating_sub(first);
                    let seqs = match written {
                        0 => String::new(),
                        n => format!(
                            ": sequence numbers {first} to {}, not to be written again; \
                             `durable_seq` says which are on stable storage",
                            first + n - 1
                        ),
                    };
                    let n = entries.len();
                    e.with_detail(|d| {
                        format!("{d} (in all, {written} of {n} records of this call were written{seqs})")
                    })
                }
                _ => e,
            }),
        }
    }

    /// Hands buffered records of the current segment to the OS.
    pub fn flush(&self) -> Result<()> {
        let w = Arc::clone(self.shared.writer(&self.shared.state.lock())?);
        w.flush()
    }

    /// Flushes and fdatasyncs the current segment, and under durability
    /// `None` the older segments not synced yet (the other policies sync a
    /// segment's records before it is sealed).
    pub fn sync(&self) -> Result<()> {
        let s = &*self.shared;
        let w = {
            let st = s.state.lock();
            s.usable(&st)?;
            Arc::clone(s.writer(&st)?)
        };
        s.sync_older()?;
        w.sync()
    }

    /// Sequence number the next record will get.
    pub fn next_seq(&self) -> Result<u64> {
        Ok(self.shared.writer(&self.shared.state.lock())?.next_seq())
    }

    /// Every record with a lower sequence number is on stable storage.
    pub fn durable_seq(&self) -> Result<u64> {
        let st = self.shared.state.lock();
        let current = self.shared.writer(&st)?.durable_seq();
        Ok(st
            .unsynced
            .first()
            .map_or(current, |(first, _)| current.min(*first)))
    }

    /// Whether `close` was called.
    pub fn is_closed(&self) -> bool {
        self.shared.state.lock().current.is_none()
    }

    /// The segment being written.
    pub fn current_segment(&self) -> Result<SegmentInfo> {
        let st = self.shared.state.lock();
        let w = self.shared.writer(&st)?;
        Ok(SegmentInfo {
            path: w.path().to_path_buf(),
            segment_no: st.segment_no,
            first_seq: st.first_seq,
            record_count: w.record_count(),
            bytes: w.bytes(),
        })
    }

    /// Starts the next segment now; returns once the current one is
    /// sealed (and any segment rolled away from before it).
    pub fn roll(&self) -> Result<()> {
        let s = &*self.shared;
        let mut events = Vec::new();
        let r = {
            // Before the state lock: no background sealing runs meanwhile.
            // Released before the callbacks run: they may roll or close.
            let _order = s.sealer.lock();
            let mut st = s.state.lock();
            s.usable(&st)?;
            s.writer(&st)?;
            let now = (s.opts.clock)();
            s.roll(&mut st, &mut events, now).and_then(|()| {
                // With `seal_in_background`: the segments it left.
                if st.retired.is_empty() {
                    return Ok(());
                }
                s.seal_retired_locked(&mut st, &mut events)?;
                s.manifest_changed(&mut st)
            })
        };
        s.dispatch(events);
        r
    }

    /// Applies the time triggers (period roll, age retention) now. The
    /// background thread calls this; with `background: false`, call it.
    pub fn tick(&self) -> Result<()> {
        self.shared.tick()
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
    /// background thread's failures count too: a manifest it could not
    /// replace (retried every second), a time roll or retention that failed;
    /// so does a manifest a roll could not replace without that thread.
    pub fn callback_failures(&self) -> (u64, Option<String>) {
        let e = self.shared.events.lock();
        (e.failures, e.last_failure.clone())
    }

    /// Seals the current segment and closes the log. Later calls return
    /// `Closed`; closing again is a no-op.
    pub fn close(&self) -> Result<()> {
        *self.shared.stop.lock() = true;
        self.shared.stop_cv.notify_all();
        // A callback on the background thread may close the log: that
        // thread ends once the callback returns, so it leaves the handle,
        // and a close on any other thread joins it, which then returns only
        // once the callback's close has (the caller may free the log next:
        // the C test `test_close_while_background_callback_closes` read
        // freed memory under valgrind when the callback's close took the
        // handle and the main thread's returned without joining). The
        // handle is taken out before the join: a guard in the `if let`
        // would hold `roller` while joining, and that callback's close
        // would wait for it forever.
        let roller = if self.shared.on_roller_thread() {
            None
        } else {
            self.roller.lock().take()
        };
        if let Some(h) = roller {
            let _ = h.join();
        }
        let s = &*self.shared;
        let mut events = Vec::new();
        let r = {
            let mut st = s.state.lock();
            // Best effort: a log opened later removes it too.
            let _ = s.remove_leftover(&mut st);
            match st.current.take() {
                None => Ok(()),
                Some(w) => {
                    // Segments rolled away from first, then the current
                    // one, even if one of them fails. The manifest is
                    // replaced even when sealing failed: the background
                    // thread may have left it rolls behind.
                    let older = s.seal_retired_locked(&mut st, &mut events);
                    let current = Retired::of_current(&st, w);
                    let sealed = current
                        .seal(s)
                        .map(|done| s.sealed(&mut st, current, done, &mut events));
                    if sealed.is_ok() {
                        s.enforce_retention(&mut st);
                    }
                    let stored = s.store_manifest(&mut st);
                    older.and(sealed).and(stored)
                }
            }
        };
        // Every segment is left as the next writer may find it: let it in.
        // Unlocked, not only closed: a child process between fork and exec
        // holds a copy of the descriptor, and the lock with it, until its
        // exec; LOCK_UN releases the lock for every copy.
        if let Some(f) = s.lock.lock().take() {
            crate::sys::unlock(&f);
        }
        self.shared.dispatch(events);
        r
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

    /// fdatasyncs the older segments not known to be synced (`unsynced`),
    /// then the directory. A failure poisons the log: its descriptor has
    /// reported the error, and a fresh one would not.
    fn sync_older(&self) -> Result<()> {
        let older = self.state.lock().unsynced.clone();
        if older.is_empty() {
            return Ok(());
        }
        // Err((error, whether an fdatasync itself failed)).
        let synced = older
            .iter()
            .try_for_each(|(_, path)| match std::fs::File::open(path) {
                Ok(f) => f
                    .sync_data()
                    .map_err(|e| (Error::io(path, "fdatasync", e), true)),
                // Removed by retention: nothing left to keep.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err((Error::io(path, "open to fdatasync", e), false)),
            })
            // Their names too: segments created under `None` were not.
            .and_then(|()| {
                crate::sys::sync_dir(&self.dir)
                    .map_err(|e| (Error::io(&self.dir, "sync directory", e), true))
            });
        let mut st = self.state.lock();
        match synced {
            Ok(()) => {
                st.unsynced.retain(|u| !older.contains(u));
                Ok(())
            }
            Err((e, sync_failed)) => {
                if sync_failed {
                    st.poisoned = Some(poisoned_by(&e));
                }
                Err(e)
            }
        }
    }

    /// Checks every entry of a batch before any roll or record, so that a
    /// batch refused writes nothing and takes no sequence number. Which
    /// segment a record lands in, and so whether it carries its type's
    /// name (the first of its type in a segment does) and how long its
    /// type id is, is known only as the batch is written: the size limit
    /// applies to the longest form (`max_frame_len`), so that whether a
    /// record fits does not depend on where the log rolls.
    fn validate(&self, st: &State, entries: &[Entry<'_>], next_seq: u64) -> Result<()> {
        let path = || {
            self.writer(st)
                .map(|w| w.path().to_path_buf())
                .unwrap_or_default()
        };
        let n = entries.len();
        if u64::MAX - next_seq < n as u64 {
            return Err(Error::file(
                ErrorKind::InvalidArgument,
                &path(),
                format!(
                    "sequence numbers exhausted: {n} records from {next_seq}; no record of this \
                     call was written"
                ),
            ));
        }
        let limit = self.opts.segment.max_record_size;
        for (i, e) in entries.iter().enumerate() {
            let refused = |kind: ErrorKind, msg: String| {
                Error::file(kind, &path(), Error::refused_entry(i, n, msg))
            };
            if e.type_name.len() > MAX_TYPE_NAME_LEN {
                return Err(refused(
                    ErrorKind::InvalidArgument,
                    format!(
                        "type name of {} bytes exceeds {MAX_TYPE_NAME_LEN}",
                        e.type_name.len()
                    ),
                ));
            }
            let payload = total_len(e.parts);
            if frame_len_bound(e.type_name, e.meta, payload) <= limit {
                continue; // far below the limit: the common case, cheaply
            }
            let size = max_frame_len(e.type_name, e.meta, payload);
            if size > limit {
                return Err(refused(
                    ErrorKind::RecordTooLarge,
                    format!(
                        "record of type {:?} encodes to up to {size} bytes (as the first of its \
                         type in a segment, which carries the type's name), above the maximum \
                         record size {limit}",
                        e.type_name
                    ),
                ));
            }
        }
        Ok(())
    }

    fn writer<'a>(&self, st: &'a State) -> Result<&'a Arc<Writer>> {
        st.current.as_ref().ok_or_else(|| {
            Error::file(
                ErrorKind::Closed,
                &self.dir,
                format!("log {} is closed", self.name),
            )
        })
    }

    fn segment_options(&self, segment_no: u64, first_seq: u64) -> Options {
        segment_options(&self.opts, &self.name, segment_no, first_seq)
    }

    /// Whether the segment must roll before a record of `size` bytes. An
    /// empty segment takes any record (and, if its period is over, simply
    /// starts counting from the current one).
    fn roll_due(&self, st: &mut State, snap: &SizeSnapshot, size: u64, now: i64) -> bool {
        let period_now = self.opts.period.floor(now);
        if snap.records == 0 {
            st.period_start = period_now;
            return false;
        }
        self.opts
            .max_segment_records
            .is_some_and(|m| snap.records >= m)
            || self.over_size(snap.bytes + size, snap.records + 1, snap)
            || period_now != st.period_start
    }

    /// Whether a segment of `bytes` bytes and `records` records would pass
    /// the size limit once its seal is written.
    fn over_size(&self, bytes: u64, records: u64, snap: &SizeSnapshot) -> bool {
        self.opts
            .max_segment_bytes
            .is_some_and(|m| bytes + snap.seal.len(records, bytes) > m)
    }

    /// Rolls to the next segment: `roll_sealing_first`, or with
    /// `seal_in_background`, `roll_leaving_the_seal`. `now` is the clock
    /// reading of the call that rolls (a write's, that its records get): the
    /// next segment is named and its period set by it, so that its records
    /// fall in its period even if the clock passed a boundary meanwhile.
    fn roll(&self, st: &mut State, events: &mut Vec<SegmentEvent>, now: i64) -> Result<()> {
        // Before the current segment is touched: a roll that cannot start
        // the next segment leaves it as it was.
        self.remove_leftover(st)?;
        if self.opts.background && self.opts.seal_in_background {
            self.roll_leaving_the_seal(st, events, now)
        } else {
            self.roll_sealing_first(st, events, now)
        }
    }

    /// Seals the current segment, then opens the next. In this order the
    /// next segment takes over all of the old one's memory (write buffers,
    /// seal buffer, index arrays): opening it before the old one's
    /// write-behind thread has handed its buffers back made every 64 MiB
    /// roll 0.35 ms slower (median of 7 interleaved `BENCH_ONLY=g` pairs).
    fn roll_sealing_first(
        &self,
        st: &mut State,
        events: &mut Vec<SegmentEvent>,
        now: i64,
    ) -> Result<()> {
        let w = Arc::clone(self.writer(st)?);
        // Every buffered record to the OS first. A failure here keeps the
        // segment current with its records buffered (retried by the next
        // write or flush, as a segment writer's failed write does); sealing
        // would drop the records it cannot write, and the segment reopened
        // after it would give their sequence numbers to new records.
        if let Err(e) = w.flush() {
            if e.kind() == ErrorKind::Poisoned {
                st.poisoned = Some(e.clone());
            }
            return Err(e);
        }
        let next_first = w.next_seq();
        let old = Retired::of_current(st, Arc::clone(&w));
        let path = old.path.clone();
        let done = match old.seal(self) {
            Ok(done) => done,
            Err(e) if e.kind() == ErrorKind::Poisoned => {
                // An fdatasync failed: reopening would sync again, succeed
                // (the kernel reported the error once) and count the lost
                // records durable. The log stops here.
                st.poisoned = Some(e.clone());
                return Err(e);
            }
            Err(e) => {
                // Keep writing to the same segment (reopened: recovered and
                // unsealed) rather than leave the log without one.
                return Err(self.reopen_current(st, &path, e));
            }
        };
        if w.durable_seq() < next_first {
            // Sealed without an fdatasync (durability `None`).
            st.unsynced.push((w.durable_seq(), path.clone()));
        }
        let mut sealed_events = Vec::new();
        self.sealed(st, old, done, &mut sealed_events);
        let recycled = std::mem::take(&mut st.spare);
        let opened = self.segment_after(st.segment_no).and_then(|no| {
            self.open_segment(st, no, next_first, &mut sealed_events, recycled, now)
        });
        if let Err(e) = opened {
            // Go on with the old segment (its seal removed) rather than
            // leave the log without one; it was never reported sealed.
            if st.sealed.back().is_some_and(|s| s.path == path) {
                st.sealed.pop_back();
            }
            st.unsynced.retain(|(_, p)| *p != path);
            return Err(self.reopen_current(st, &path, e));
        }
        events.append(&mut sealed_events);
        // Only now: a failed open above leaves every segment in place.
        self.enforce_retention(st);
        self.manifest_changed(st)
    }

    /// After a roll failed with `e`: the current segment, reopened for
    /// appending (recovered, and unsealed if it was sealed); returns `e`.
    /// If even that fails, the log is left closed (`Closed` from then on;
    /// the next open seals the segment) and the error says both.
    fn reopen_current(&self, st: &mut State, path: &Path, e: Error) -> Error {
        match Writer::open(path, self.segment_options(st.segment_no, st.first_seq)) {
            Ok(w) => {
                st.current = Some(Arc::new(w));
                e
            }
            Err(again) => {
                st.current = None;
                e.with_detail(|d| {
                    format!(
                        "{d}; reopening the segment to go on failed too ({}): the log is closed",
                        again.message()
                    )
                })
            }
        }
    }

    /// Ends the current segment's records and opens the next; the old one's
    /// seal is written by the background thread. A seal that fails is
    /// counted (see `callback_failures`) and retried later, and the roll
    /// stands: the records are complete and readable without it.
    fn roll_leaving_the_seal(
        &self,
        st: &mut State,
        events: &mut Vec<SegmentEvent>,
        now: i64,
    ) -> Result<()> {
        let w = Arc::clone(self.writer(st)?);
        // On failure the segment stays current, unchanged.
        let bufs = w.retire()?;
        let mut old = Retired::of_current(st, Arc::clone(&w));
        let next_first = w.next_seq();
        let recycled = bufs.or(std::mem::take(&mut st.spare));
        let opened = self
            .segment_after(old.segment_no)
            .and_then(|no| self.open_segment(st, no, next_first, events, recycled, now));
        if let Err(e) = opened {
            // Go on with the old segment rather than leave the log without
            // one.
            w.unretire();
            return Err(e);
        }
        // Reported after the old segment's SEALED event.
        old.next_opened = match events.pop() {
            Some(SegmentEvent::Opened(info)) => Some(info),
            other => {
                events.extend(other);
                None
            }
        };
        if w.durable_seq() < next_first {
            // Durability `None`: nothing synced its records.
            st.unsynced.push((w.durable_seq(), old.path.clone()));
        }
        st.retired.push_back(old);
        self.seal_due.store(true, Ordering::SeqCst);
        self.manifest_changed(st)
    }

    /// Seals the retired segments, oldest first, holding the log's lock (an
    /// explicit roll, or closing). On failure the
    /// segment stays first in line for the next attempt.
    fn seal_retired_locked(&self, st: &mut State, events: &mut Vec<SegmentEvent>) -> Result<()> {
        while let Some(r) = st.retired.pop_front() {
            match r.seal(self) {
                Ok(done) => {
                    self.sealed(st, r, done, events);
                    self.enforce_retention(st);
                }
                Err(e) => {
                    st.retired.push_front(r.failed(events));
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// The background thread's sealing: the retired segments one at a
    /// time, oldest first, each seal written outside the log's lock so that
    /// writers go on meanwhile.
    fn seal_retired_in_background(&self) -> Result<()> {
        loop {
            let mut events = Vec::new();
            let outcome = {
                let _order = self.sealer.lock();
                let Some(r) = self.state.lock().retired.front().cloned() else {
                    return Ok(());
                };
                let result = r.seal(self);
                let mut st = self.state.lock();
                // Only a holder of `sealer` takes retired segments (or
                // `close`, once this thread has ended or is in a callback).
                match st.retired.front() {
                    Some(first) if first.path == r.path => {}
                    _ => return Ok(()),
                }
                let r = st.retired.pop_front().expect("checked");
                match result {
                    Ok(done) => {
                        self.sealed(&mut st, r, done, &mut events);
                        self.enforce_retention(&mut st);
                        self.manifest_changed(&mut st)
                    }
                    Err(e) => {
                        st.retired.push_front(r.failed(&mut events));
                        Err(e)
                    }
                }
            };
            // Without `sealer`: a callback may roll the log itself.
            self.dispatch(events);
            outcome?;
        }
    }

    /// Records that retired segment `r` is sealed: listed, reported, and its
    /// memory kept for the next segment. The caller applies retention (once
    /// the segment is no longer current).
    fn sealed(&self, st: &mut State, r: Retired, done: Done, events: &mut Vec<SegmentEvent>) {
        let bytes = std::fs::metadata(&r.path).map(|m| m.len()).unwrap_or(0);
        st.sealed.push_back(Sealed {
            entry: SealedEntry {
                segment_no: r.segment_no,
                file: file_name(&r.path),
                first_seq: r.first_seq,
                record_count: done.record_count,
                bytes,
            },
            path: r.path.clone(),
            sealed_ns: self.ages.now(),
        });
        events.push(SegmentEvent::Sealed(SegmentInfo {
            path: r.path.clone(),
            segment_no: r.segment_no,
            first_seq: r.first_seq,
            record_count: done.record_count,
            bytes,
        }));
        events.extend(r.next_opened.map(SegmentEvent::Opened));
        st.spare = done.recycled.or(std::mem::take(&mut st.spare));
    }

    /// The number of the segment after segment `no`; an error after
    /// u64::MAX (only a crafted or renamed file has it) rather than a wrap
    /// to 0, whose name would sort before every other segment's.
    fn segment_after(&self, no: u64) -> Result<u64> {
        no.checked_add(1).ok_or_else(|| {
            Error::file(
                ErrorKind::InvalidArgument,
                &self.dir,
                format!(
                    "log {}: segment number {no} is the last there is; no segment can follow it",
                    self.name
                ),
            )
        })
    }

    fn open_segment(
        &self,
        st: &mut State,
        no: u64,
        first_seq: u64,
        events: &mut Vec<SegmentEvent>,
        recycled: Recycled,
        now: i64,
    ) -> Result<()> {
        let path = self.dir.join(naming::segment_name(&self.name, no, now));
        // The file is new: one already there is what a roll that failed in
        // this same second left, if removing it failed too (see below).
        // Reopened if it starts at `first_seq`, else removed.
        if path.symlink_metadata().is_ok() {
            match empty_segment_first_seq(&path)? {
                Some(first) if first == first_seq => {}
                Some(_) => remove_segment_file(&path)?,
                None => {
                    return Err(Error::file(
                        ErrorKind::AlreadyExists,
                        &path,
                        format!("segment {no} already exists, with records"),
                    ))
                }
            }
        }
        // Created at `now` too: a log reopened after a crash takes the
        // segment's period from its header's creation time, and a second
        // clock reading (taken after the old segment's seal) may lie in
        // the next period.
        let opts = Options {
            created_ns: Some(now),
            ..self.segment_options(no, first_seq)
        };
        let w = match Writer::open_recycling(&path, opts, recycled) {
            Ok(w) => w,
            Err(e) => {
                // Opening may have created the file, and written its header,
                // before it failed (say, syncing the directory). The log goes
                // on in the segment before, numbering records from
                // `first_seq` there: a later roll or reopen must not resume
                // this file, which would number them from `first_seq` again.
                // Nothing is in it, and nothing else could have opened it.
                // If it cannot be removed now, the next roll removes it
                // before it creates anything (`leftover`); a reopened log
                // removes it too (see `open`).
                if path.symlink_metadata().is_ok() {
                    if let Err(gone) = std::fs::remove_file(&path) {
                        if gone.kind() != std::io::ErrorKind::NotFound {
                            st.leftover = Some(path);
                        }
                    }
                }
                return Err(e);
            }
        };
        events.push(SegmentEvent::Opened(SegmentInfo {
            path,
            segment_no: no,
            first_seq,
            record_count: 0,
            bytes: w.bytes(),
        }));
        st.current = Some(Arc::new(w));
        st.segment_no = no;
        st.first_seq = first_seq;
        st.period_start = self.opts.period.floor(now);
        Ok(())
    }

    /// Removes the file a failed roll left (`State::leftover`), if any.
    /// While it cannot be, no roll starts: the next segment would have its
    /// number (under another name once the second changed), and a reader
    /// would meet two segments numbered alike. The log goes on in its
    /// current segment meanwhile.
    fn remove_leftover(&self, st: &mut State) -> Result<()> {
        let Some(path) = st.leftover.take() else {
            return Ok(());
        };
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => {
                let err = Error::io(
                    &path,
                    &format!(
                        "remove the empty segment {} a failed roll left (no roll starts while \
                         it is there: the next segment would have its number; the log goes on \
                         in segment {})",
                        st.segment_no.saturating_add(1),
                        st.segment_no
                    ),
                    e,
                );
                st.leftover = Some(path);
                Err(err)
            }
        }
    }

    /// Deletes the oldest sealed segments while any retention limit is
    /// exceeded. Without a current segment (closing: it was just sealed)
    /// the newest sealed one stays whatever the limits say: it is what the
    /// log's next writer numbers segments and records after, and with no
    /// segment left a reopened log would start again at segment 0 and
    /// `first_seq`.
    fn enforce_retention(&self, st: &mut State) -> usize {
        let r = &self.opts.retention;
        let now = self.ages.now();
        let mut deleted = 0;
        while let Some(oldest) = st.sealed.front() {
            if st.current.is_none() && st.sealed.len() == 1 {
                break;
            }
            let total: u64 = st.sealed.iter().map(|s| s.entry.bytes).sum();
            let over = r.max_segments.is_some_and(|m| st.sealed.len() > m)
                || r.max_bytes.is_some_and(|m| total > m)
                || r.max_age.is_some_and(|age| {
                    oldest
                        .sealed_ns
                        .saturating_add(i64::try_from(age.as_nanos()).unwrap_or(i64::MAX))
                        < now
                });
            if !over {
                break;
            }
            let gone = st.sealed.pop_front().expect("non-empty");
            let removed = match std::fs::remove_file(&gone.path) {
                Ok(()) => {
                    deleted += 1;
                    true
                }
                Err(e) => e.kind() == std::io::ErrorKind::NotFound,
            };
            if !removed {
                // Keep it listed; retention tries again on the next roll.
                st.sealed.push_front(gone);
                break;
            }
            // Nothing left to sync (and the list stays bounded).
            st.unsynced.retain(|(_, p)| *p != gone.path);
        }
        deleted
    }

    /// After a roll: the manifest is replaced by the background thread if
    /// there is one, so that the writer's roll does not wait for it
    /// (renaming over the old manifest waits for the filesystem to free the
    /// old one's blocks: 0.17 ms of a 0.84 ms roll on the benchmark VM, whose
    /// ext4 is mounted with `discard`). It may lag the files meanwhile, as
    /// after a crash; the segment files are the truth.
    /// Without the background thread it is replaced here; a failure is
    /// counted with the callbacks' (`callback_failures`), not returned: the
    /// roll it follows happened, and a caller told otherwise would act on a
    /// roll that did not fail. The next roll or `close` writes it again.
    fn manifest_changed(&self, st: &mut State) -> Result<()> {
        if !self.opts.background {
            if let Err(e) = self.store_manifest(st) {
                self.background_failed(e);
            }
            return Ok(());
        }
        self.manifest_due.store(true, Ordering::SeqCst);
        // Under the lock the roller checks the flag with: no lost wakeup.
        let _stop = self.stop.lock();
        self.stop_cv.notify_all();
        Ok(())
    }

    /// Replaces the manifest with one describing `st`, now.
    fn store_manifest(&self, st: &mut State) -> Result<()> {
        let (no, m) = self.build_manifest(st);
        self.write_manifest(no, &m)
    }

    fn build_manifest(&self, st: &mut State) -> (u64, Manifest) {
        st.manifests += 1;
        let current = st
            .current
            .as_ref()
            .map(|w| (st.segment_no, file_name(w.path())));
        let m = Manifest {
            log: self.name.clone(),
            current,
            sealed: st.sealed.iter().map(|s| s.entry.clone()).collect(),
        };
        (st.manifests, m)
    }

    /// Writes manifest number `no` unless a newer one was written already.
    fn write_manifest(&self, no: u64, m: &Manifest) -> Result<()> {
        let mut written = self.manifest_written.lock();
        if *written > no {
            return Ok(());
        }
        m.store(&naming::manifest_path(&self.dir, &self.name))?;
        *written = no;
        Ok(())
    }

    /// The background thread's share of `manifest_changed`: built under the
    /// log's lock, written outside it.
    fn store_due_manifest(&self) -> Result<()> {
        if !self.manifest_due.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        let (no, m) = {
            let mut st = self.state.lock();
            if st.current.is_none() {
                // Closed (`close` writes the last one), or left without a
                // segment by a failed roll (the next open writes one).
                return Ok(());
            }
            self.build_manifest(&mut st)
        };
        self.write_manifest(no, &m)
    }

    fn tick(&self) -> Result<()> {
        let mut events = Vec::new();
        let r = (|| {
            let mut st = self.state.lock();
            if st.current.is_none() {
                return Ok(());
            }
            let now = (self.opts.clock)();
            let snap = self.writer(&st)?.size_snapshot();
            if self.roll_due(&mut st, &snap, 0, now)
                && self.opts.period.floor(now) != st.period_start
            {
                self.roll(&mut st, &mut events, now)?;
            }
            if self.enforce_retention(&mut st) > 0 {
                self.store_manifest(&mut st)?;
            }
            Ok(())
        })();
        self.dispatch(events);
        r
    }

    /// Whether the calling thread is this log's background thread. (Not
    /// `thread::current()`: on a C caller's thread that allocates a handle
    /// that lives until the thread ends, which valgrind reports as lost.)
    fn on_roller_thread(&self) -> bool {
        ROLLER_OF.with(|r| r.get()) == self.id
    }

    fn roller_loop(&self) {
        ROLLER_OF.with(|r| r.set(self.id));
        let mut retry = false;
        let mut stop = self.stop.lock();
        while !*stop {
            // Wake at the next period boundary, and at least every second
            // (for age retention and a clock that jumps).
            let now = (self.opts.clock)();
            let until = self
                .opts
                .period
                .next_start(now)
                .map_or(1_000_000_000, |t| t - now);
            let wait = Duration::from_nanos(until.clamp(1_000_000, 1_000_000_000) as u64);
            // After a failed attempt, the next one waits for the timeout
            // (or a roll) rather than spinning.
            let due =
                self.seal_due.load(Ordering::SeqCst) || self.manifest_due.load(Ordering::SeqCst);
            if retry || !due {
                self.stop_cv.wait_for(&mut stop, wait);
            }
            if *stop {
                break;
            }
            drop(stop);
            // Not the writer's failures: counted like a callback's.
            retry = false;
            if self.seal_due.swap(false, Ordering::SeqCst) {
                if let Err(e) = self.seal_retired_in_background() {
                    self.seal_due.store(true, Ordering::SeqCst);
                    retry = true;
                    self.background_failed(e);
                }
            }
            if let Err(e) = self.store_due_manifest() {
                self.manifest_due.store(true, Ordering::SeqCst);
                retry = true;
                self.background_failed(e);
            }
            if let Err(e) = self.tick() {
                self.background_failed(e);
            }
            stop = self.stop.lock();
        }
    }

    /// Counts a failure of the background thread's work (or of replacing
    /// the manifest after a roll, see `manifest_changed`) with the
    /// callbacks'.
    fn background_failed(&self, e: Error) {
        let mut ev = self.events.lock();
        ev.failures += 1;
        ev.last_failure = Some(e.to_string());
    }

    /// Runs the callbacks and queues sealed segments for polling, in the
    /// order of the events. A callback that rolls or closes the log causes
    /// events while earlier ones are still being reported on this thread:
    /// those are reported once the earlier ones are, by the outermost
    /// `dispatch`, so that every callback sees (and polling returns) a
    /// segment's events in the log's order, not the newest first.
    fn dispatch(&self, events: Vec<SegmentEvent>) {
        if events.is_empty() {
            return;
        }
        if REPORTING.with(|r| r.get()) == self.id {
            let tag = thread_tag();
            self.deferred
                .lock()
                .extend(events.into_iter().map(|ev| (tag, ev)));
            return;
        }
        // Another log's callback may write to this one: its id comes back.
        let outer = REPORTING.with(|r| r.replace(self.id));
        let tag = thread_tag();
        let mut events = events;
        loop {
            self.report(&events);
            // This thread's deferred events only, in order.
            let mut deferred = self.deferred.lock();
            let (mine, others) = std::mem::take(&mut *deferred)
                .into_iter()
                .partition::<Vec<_>, _>(|(t, _)| *t == tag);
            *deferred = others;
            drop(deferred);
            events = mine.into_iter().map(|(_, ev)| ev).collect();
            if events.is_empty() {
                break;
            }
        }
        REPORTING.with(|r| r.set(outer));
    }

    /// `dispatch`'s work for `events`. A failing or panicking callback is
    /// counted and does not stop the others.
    fn report(&self, events: &[SegmentEvent]) {
        let callbacks = self.callbacks.lock().clone();
        for ev in events {
            for cb in callbacks.iter() {
                let failure = match catch_unwind(AssertUnwindSafe(|| cb(ev))) {
                    Ok(Ok(())) => None,
                    Ok(Err(msg)) => Some(msg),
                    Err(_) => Some("callback panicked".to_string()),
                };
                if let Some(msg) = failure {
                    let mut e = self.events.lock();
                    e.failures += 1;
                    e.last_failure = Some(msg);
                }
            }
            if let SegmentEvent::Sealed(info) = ev {
                let mut e = self.events.lock();
                if e.unpolled.len() >= MAX_UNPOLLED {
                    e.unpolled.pop_front();
                    e.dropped += 1;
                }
                e.unpolled.push_back(info.clone());
            }
        }
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

/// Says what an older segment that could not be sealed needs (not when
/// another writer holds it: that is not damage). `checked`: refused by the
/// check that runs before any segment is changed.
fn not_resealed(e: Error, checked: bool) -> Error {
    if e.kind() == ErrorKind::Locked {
        return e;
    }
    let changed = if checked {
        "nothing was changed"
    } else {
        "older segments before it may have been sealed"
    };
    e.with_detail(|d| {
        format!(
            "{d} (an older segment of the log, found without its seal, could not be sealed; \
             {changed}; `binlog repair --dry-run` shows the options)"
        )
    })
}

/// The first sequence number in the header of segment `path`, if readable.
/// The first sequence number in the header of the segment at `path` if it
/// holds nothing else: no records, no seal, no other bytes.
fn empty_segment_first_seq(path: &Path) -> Result<Option<u64>> {
    let mut r = match Reader::open(path) {
        Ok(r) => r,
        Err(e) if e.kind() == ErrorKind::Truncated => return Ok(None),
        Err(e) => return Err(e),
    };
    let empty = r.seal().is_none() && r.next()?.is_none() && r.tail() == Tail::Unsealed;
    Ok(empty.then(|| r.header().first_seq))
}

/// Removes a segment file that holds no records, and makes that durable.
/// Holding its lock meanwhile: a segment a writer (in another process) has
/// open is refused with `Locked`, not removed.
fn remove_segment_file(path: &Path) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, "open", e))?;
    if !crate::sys::try_lock_exclusive(&file).map_err(|e| Error::io(path, "lock", e))? {
        return Err(Error::file(
            ErrorKind::Locked,
            path,
            "another writer has this empty segment open",
        ));
    }
    std::fs::remove_file(path)
        .map_err(|e| Error::io(path, "remove empty segment left by a failed roll", e))?;
    let dir = crate::sys::parent_dir(path);
    crate::sys::sync_dir(dir).map_err(|e| Error::io(dir, "sync directory", e))
}

/// Takes the lock of log `name` in `dir` (`naming::lock_path`), creating
/// the file if needed: one writer per log. Each segment's writer locks its
/// segment too, but between sealing one segment and creating the next a
/// roll holds no segment, and a writer opening the log then would start
/// the same next segment (under another name if a second later) and give
/// out the same sequence numbers. Like the segments' locks it is an flock,
/// released by the kernel when a killed writer's process ends.
fn lock_log(dir: &Path, name: &str) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = naming::lock_path(dir, name);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .open(&path)
        .map_err(|e| Error::io(&path, "open log lock", e))?;
    match crate::sys::lock_exclusive_patiently(&file) {
        Ok(true) => Ok(file),
        Ok(false) => Err(Error::file(
            ErrorKind::Locked,
            &path,
            format!(
                "another writer (in this or another process) has log {name} \
                 ({name}-*.binlog) open"
            ),
        )),
        Err(e) => Err(Error::io(&path, "lock", e)),
    }
}

/// The log's state after `e`, a failed fdatasync of its records.
fn poisoned_by(e: &Error) -> Error {
    e.clone().with_kind(ErrorKind::Poisoned).with_detail(|d| {
        format!(
            "{d} (records written since the last successful sync may be lost; the log \
             refuses further writes: close it, check the disk, and open it again)"
        )
    })
}

fn header_first_seq(path: &Path) -> Option<u64> {
    Reader::open(path).ok().map(|r| r.header().first_seq)
}

/// Seals an older segment found without a seal: what a crash leaves between
/// a roll and the seal written after it (often on the background thread),
/// what power loss can leave under durability `None`, where nothing is
/// forced to disk, or a segment copied in without one. A seal that failed
/// at a roll is retried with it too. Opening it for writing recovers it as any
/// reopened segment is (a torn tail is backed up and cut: the log reader
/// then reports a gap before the next segment) and closing it seals it.
/// Corruption in the middle is refused, as on any reopen: `binlog repair
/// --salvage` decides that. Returns the segment as sealed, for callbacks.
fn reseal(path: &Path, opts: Options) -> Result<SegmentInfo> {
    let segment_no = opts.segment_no;
    let w = Writer::open_to_seal(path, opts)?;
    w.close()?;
    let bytes = std::fs::metadata(path)
        .map_err(|e| Error::io(path, "stat", e))?
        .len();
    Ok(SegmentInfo {
        path: path.to_path_buf(),
        segment_no,
        first_seq: w.next_seq() - w.record_count(),
        record_count: w.record_count(),
        bytes,
    })
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The manifest entry of a sealed segment and when it was sealed (its
/// modification time); `None` if the segment is not sealed.
/// A segment of another log is refused (before any file is changed).
fn summarize(path: &Path, segment_no: u64, name: &str) -> Result<Option<(SealedEntry, i64)>> {
    let r = match Reader::open(path) {
        Ok(r) => r,
        Err(e) if matches!(e.kind(), ErrorKind::Truncated) => return Ok(None),
        Err(e) => return Err(e),
    };
    segments::check_log_name(path, r.header(), name)?;
    let Some(d) = r.seal() else { return Ok(None) };
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, "stat", e))?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64);
    Ok(Some((
        SealedEntry {
            segment_no,
            file: file_name(path),
            first_seq: r.header().first_seq,
            record_count: d.record_count,
            bytes: meta.len(),
        },
        mtime,
    )))
}
