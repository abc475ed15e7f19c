//! The segment writer. One writer owns a segment (an exclusive flock, so a
//! second writer in this or another process gets `Locked`); it is `Send +
//! Sync`, and concurrent callers share its buffer and, for durable writes,
//! one fdatasync per group of records (group commit).

mod behind;
mod index;
pub(crate) mod prealloc;
mod recover;
mod state;
#[cfg(test)]
mod test_file;
mod types;

pub use index::SealEstimate;
pub use state::Entry;
pub(crate) use state::Recycled;

use crate::error::{Error, ErrorKind, Result};
use crate::options::{Durability, Options};
use parking_lot::{Condvar, Mutex, MutexGuard};
use state::State;
use std::fs::{File, OpenOptions};
use std::io::{self, IoSlice};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{JoinHandle, Thread};
use std::time::{Duration, Instant};

/// A segment's size at one moment: see [`Writer::size_snapshot`].
#[derive(Clone, Copy, Debug)]
pub struct SizeSnapshot {
    pub bytes: u64,
    pub records: u64,
    /// The sequence number the next record gets.
    pub next_seq: u64,
    pub seal: SealEstimate,
}

/// Appends records to one segment file.
pub struct Writer {
    shared: Arc<Shared>,
    flusher: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    path: PathBuf,
    durability: Durability,
    state: Mutex<State>,
    sync: Mutex<SyncState>,
    /// Every record with a lower sequence number is on stable storage. Only
    /// grows, under the sync lock; waiters read it without the lock.
    durable: AtomicU64,
    /// Bumped under the sync lock whenever an fdatasync ends (or fails) or
    /// the writer closes. Waiters sleep on this word (a futex) and look again
    /// when it changes; it wraps, which is harmless since a waiter compares
    /// it with the value it read under the same lock a moment before.
    completions: AtomicU32,
    /// Durable write calls (`Writer::write_batch` with `EveryRecord`)
    /// between entry and return. Lock-free: entering and leaving must not
    /// queue behind the sync lock.
    callers: AtomicUsize,
    /// Of those, how many appended a record that no started fdatasync covers
    /// yet (changed under the sync lock).
    queued: AtomicUsize,
    /// Counts the times a leader took the queued records into its
    /// fdatasync (changed under the sync lock), so a caller knows whether it
    /// is still counted in `queued`.
    batch: AtomicU64,
    /// The leader while it sleeps in `gather`, woken once every caller has
    /// queued (or left).
    gatherer: Mutex<Option<Thread>>,
    gathering: AtomicBool,
    /// A second descriptor of the segment, so fdatasync runs without the
    /// state lock and writers keep appending meanwhile.
    sync_file: File,
    /// The segment was created under durability `None`, which does not
    /// fsync the directory at creation: the first successful sync does, or
    /// the file itself could vanish with the records it made durable.
    dir_unsynced: AtomicBool,
    stop: Mutex<bool>,
    stop_cv: Condvar,
    /// `Options::sync_wait_spin`.
    spin: Duration,
}

struct SyncState {
    /// A leader is gathering or running an fdatasync.
    syncing: bool,
    /// Records below this are covered by the fdatasync in progress (0 while
    /// none runs or its leader is still gathering).
    running_upto: u64,
    /// How long the last fdatasync took: a leader never waits longer than
    /// this (nor than `GATHER_MAX`) for more records.
    last_sync: Duration,
    /// Threads sleeping on `Shared::completions` until the fdatasync in
    /// progress ends. They are woken by one futex call and check `durable`
    /// without the lock: a condition variable would wake them one after
    /// another through the lock, and unparking them one at a time costs a
    /// system call and an inter-processor wakeup each (36 us for 7 threads
    /// on the benchmark VM), so the group's next records would trickle in.
    waiters: usize,
    /// Until when no thread yields its CPU while it waits for callers to
    /// queue or for an fdatasync to end (it sleeps instead): set when a
    /// yield gave the CPU away for long (see `gather`, `YIELD_SLOW`).
    yields_off_until: Option<Instant>,
}

/// Upper bound on how long a leader delays its fdatasync to let writers
/// already inside a durable write call append first.
const GATHER_MAX: Duration = Duration::from_micros(100);

/// A yield while waiting (`gather`, or a waiter under `sync_wait_spin`)
/// that took longer than this gave the CPU to a task that ran its time
/// slice (0.75 ms and more: another process keeps the CPUs busy), not to
/// writers that appended or yielded in turn (tens of microseconds, even
/// with 8 threads spinning on 2 CPUs; 50 us here made spinning waiters
/// 8% slower).
const YIELD_SLOW: Duration = Duration::from_micros(200);

/// How long, after a slow yield, waiting threads sleep instead of yielding
/// before one tries again (so at most one slow yield in this time).
const YIELDS_OFF_FOR: Duration = Duration::from_millis(100);

/// A durable write call in progress, counted in `Shared::callers` until it
/// leaves (also when dropped, should the call fail or unwind).
pub(crate) struct Caller {
    shared: Arc<Shared>,
    counted: bool,
    /// `Shared::batch` when this call counted itself in `queued`.
    queued_in: Option<u64>,
}

impl Writer {
    /// Creates the segment at `path`, or reopens an existing one to append:
    /// it is verified by a scan, a torn tail is backed up and cut, a seal is
    /// removed, and sequence numbers continue.
    pub fn open(path: impl AsRef<Path>, opts: Options) -> Result<Writer> {
        Writer::open_recycling(path, opts, Recycled::default())
    }

    /// `open`, reusing the memory a closed writer left (`close_recycling`).
    pub(crate) fn open_recycling(
        path: impl AsRef<Path>,
        opts: Options,
        recycled: Recycled,
    ) -> Result<Writer> {
        Writer::open_for(path, opts, recycled, recover::Purpose::Append)
    }

    /// Opens an existing segment of a rolling log: active (the log resumes
    /// it), or ending (`is_ending`: the log only seals it). A sealed one is
    /// refused (see `recover::Purpose::LogSegment`).
    pub(crate) fn open_log_segment(path: impl AsRef<Path>, opts: Options) -> Result<Writer> {
        Writer::open_for(
            path,
            opts,
            Recycled::default(),
            recover::Purpose::LogSegment,
        )
    }

    fn open_for(
        path: impl AsRef<Path>,
        opts: Options,
        recycled: Recycled,
        purpose: recover::Purpose,
    ) -> Result<Writer> {
        let path = path.as_ref().to_path_buf();
        opts.validate().map_err(|e| e.in_file(&path))?;
        crate::clock::prepare();
        let (file, created) = open_locked(&path)?;
        let rec = recover::prepare(&file, &path, &opts, created, purpose)?;
        let sync_file = file.try_clone().map_err(|e| Error::io(&path, "dup", e))?;
        // Records a reopen finds may be only in the page cache (their
        // writer may have died before syncing them): a durable policy syncs
        // them now; under `None` they count as durable after the first sync.
        let durable_next = if created {
            rec.next_seq
        } else if opts.durability == Durability::None {
            rec.next_seq - rec.index.record_count
        } else {
            sync_file
                .sync_data()
                .map_err(|e| Error::io(&path, "fdatasync", e))?;
            // And its name: a segment created under `None` (by an earlier
            // writer) may not have it on disk yet.
            let dir = crate::sys::parent_dir(&path);
            crate::sys::sync_dir(dir).map_err(|e| Error::io(dir, "sync directory", e))?;
            rec.next_seq
        };
        let state = State::new(
            path.clone(),
            file,
            rec.file_len,
            rec.next_seq,
            rec.types,
            rec.index,
            opts.buffer_size,
            opts.max_record_size,
            recycled,
        );
        let mut state = state;
        if rec.seal_begun {
            state.mark_ending();
        }
        state.sync_on_seal = opts.durability != Durability::None;
        state.reserve_up_to(opts.expected_size);
        if opts.durability != Durability::EveryRecord && opts.buffer_size > 0 {
            let f = sync_file
                .try_clone()
                .map_err(|e| Error::io(&path, "dup", e))?;
            state.write_behind(f)?;
        }
        let shared = Arc::new(Shared {
            path,
            durability: opts.durability,
            state: Mutex::new(state),
            sync: Mutex::new(SyncState {
                syncing: false,
                running_upto: 0,
                last_sync: Duration::ZERO,
                waiters: 0,
                yields_off_until: None,
            }),
            durable: AtomicU64::new(durable_next),
            completions: AtomicU32::new(0),
            callers: AtomicUsize::new(0),
            queued: AtomicUsize::new(0),
            batch: AtomicU64::new(0),
            gatherer: Mutex::new(None),
            gathering: AtomicBool::new(false),
            sync_file,
            // Reopened too: the writer that created it may have synced
            // neither (a durable policy syncs it at open, above).
            dir_unsynced: AtomicBool::new(opts.durability == Durability::None),
            stop: Mutex::new(false),
            stop_cv: Condvar::new(),
            spin: opts.sync_wait_spin,
        });
        let flusher = match opts.durability {
            Durability::Interval(period) => {
                let s = Arc::clone(&shared);
                let handle = std::thread::Builder::new()
                    .name("binlog-flusher".into())
                    .spawn(move || s.flusher_loop(period))
                    .map_err(|e| Error::io(&shared.path, "start flusher thread", e))?;
                Some(handle)
            }
            _ => None,
        };
        Ok(Writer {
            shared,
            flusher: Mutex::new(flusher),
        })
    }

    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Appends a record with the current time and no metadata; returns its
    /// sequence number.
    pub fn write(&self, type_name: &str, payload: &[u8]) -> Result<u64> {
        self.write_batch(&[Entry {
            type_name,
            meta: &[],
            timestamp_ns: None,
            parts: &[payload],
        }])
    }

    /// Appends a record with metadata and an explicit timestamp (`None` takes
    /// the clock).
    pub fn write_with(
        &self,
        type_name: &str,
        meta: &[(&str, &str)],
        timestamp_ns: Option<i64>,
        payload: &[u8],
    ) -> Result<u64> {
        self.write_batch(&[Entry {
            type_name,
            meta,
            timestamp_ns,
            parts: &[payload],
        }])
    }

    /// Appends one record whose payload is gathered from `parts`, without
    /// concatenating them first.
    pub fn write_vectored(&self, type_name: &str, parts: &[IoSlice<'_>]) -> Result<u64> {
        let parts: Vec<&[u8]> = parts.iter().map(|p| &**p).collect();
        self.write_batch(&[Entry {
            type_name,
            meta: &[],
            timestamp_ns: None,
            parts: &parts,
        }])
    }

    /// Appends many records under one lock; records without a timestamp all
    /// get the same clock reading. Returns the first record's sequence number.
    /// Every entry is checked first (type name length, the maximum record
    /// size): a batch refused for an entry writes nothing and takes no
    /// sequence number. On an I/O error, the records of the batch that
    /// reached the file stay (the message says how many) and the rest are
    /// not written.
    pub fn write_batch(&self, entries: &[Entry<'_>]) -> Result<u64> {
        if self.shared.durability == Durability::EveryRecord {
            return self.write_durable(entries);
        }
        // No `Caller` to build and drop here: 11 instructions a record.
        let (first, sync_to) = self.append(entries, None)?;
        if let Some(to) = sync_to {
            self.shared.sync_upto(to, None)?;
        }
        Ok(first)
    }

    /// `write_batch` under durability `EveryRecord`. The call is counted
    /// from before its append, so that a leader about to fdatasync knows it
    /// will soon have a record to cover (group commit).
    fn write_durable(&self, entries: &[Entry<'_>]) -> Result<u64> {
        let mut caller = self.durable_call();
        let (first, sync_to) = self.append(entries, None)?;
        if let Some(to) = sync_to {
            self.shared.sync_upto(to, caller.as_mut())?;
        }
        Ok(first)
    }

    /// Under durability `EveryRecord`, counts a write call from before its
    /// `append` until it leaves `wait_durable` (or the caller drops it), so
    /// that a leader about to fdatasync waits for its record (group
    /// commit). A rolling log takes one for the segment it appends to.
    pub(crate) fn durable_call(&self) -> Option<Caller> {
        (self.shared.durability == Durability::EveryRecord).then(|| Shared::enter(&self.shared))
    }

    /// The locked half of a write: appends and says up to which sequence
    /// number the caller must then wait for durability (`wait_durable`), so
    /// a caller holding a lock of its own (a rolling log) can release it
    /// before waiting and let other writers join the same fdatasync.
    /// Records without a timestamp get `now` if given (a rolling log passes
    /// the clock reading it rolled by, so that each record's time falls in
    /// its segment's period, and the clock is read once a call), else a
    /// reading of the clock.
    pub(crate) fn append(
        &self,
        entries: &[Entry<'_>],
        now: Option<i64>,
    ) -> Result<(u64, Option<u64>)> {
        let s = &*self.shared;
        let now = match now {
            Some(t) => t,
            None if entries.iter().any(|e| e.timestamp_ns.is_none()) => crate::clock::now_ns(),
            None => 0,
        };
        let mut st = s.state.lock();
        let sync = match s.durability {
            Durability::EveryRecord => !entries.is_empty(),
            Durability::EveryN(n) => st.since_sync + entries.len() as u64 >= n as u64,
            _ => false,
        };
        let first = st.append(entries, now, sync)?;
        if sync {
            st.since_sync = 0;
        } else {
            st.since_sync += entries.len() as u64;
        }
        Ok((first, sync.then_some(st.next_seq)))
    }

    /// The unlocked half of a write: waits until every record below `to` is
    /// on stable storage.
    /// `caller`, from this writer's `durable_call`, is the write call
    /// waiting.
    pub(crate) fn wait_durable(&self, to: u64, caller: Option<&mut Caller>) -> Result<()> {
        debug_assert!(caller
            .as_ref()
            .is_none_or(|c| Arc::ptr_eq(&c.shared, &self.shared)));
        self.shared.sync_upto(to, caller)
    }

    /// Bytes in the segment so far (header and records, buffered included).
    pub fn bytes(&self) -> u64 {
        let st = self.shared.state.lock();
        st.len()
    }

    /// The segment's size, record count and how its seal will grow, read
    /// under one lock (a rolling log checks its limits with it).
    pub fn size_snapshot(&self) -> SizeSnapshot {
        let st = self.shared.state.lock();
        SizeSnapshot {
            bytes: st.len(),
            records: st.index.record_count,
            next_seq: st.next_seq,
            seal: st.index.seal_estimate(st.types.names()),
        }
    }

    /// Records in the segment so far.
    pub fn record_count(&self) -> u64 {
        self.shared.state.lock().index.record_count
    }

    /// Hands buffered records to the OS (readers then see them).
    pub fn flush(&self) -> Result<()> {
        let mut st = self.shared.state.lock();
        st.check_usable()?;
        st.flush_buf()
    }

    /// Flushes and fdatasyncs: every record written so far is on stable
    /// storage when this returns.
    pub fn sync(&self) -> Result<()> {
        let to = {
            let st = self.shared.state.lock();
            st.check_usable()?;
            st.next_seq
        };
        self.shared.sync_upto(to, None)
    }

    /// Whether `close` was called.
    pub fn is_closed(&self) -> bool {
        self.shared.state.lock().file.is_none()
    }

    /// Whether the segment is ending: its records are closed by a
    /// `SEAL_BEGIN` frame and it only waits for the rest of its seal.
    pub(crate) fn is_ending(&self) -> bool {
        self.shared.state.lock().is_ending()
    }

    /// Closes a segment that holds no record without sealing it, for a
    /// rolling log that created it and then did not switch to it (the
    /// roll failed): the caller removes the file.
    pub(crate) fn discard(&self) {
        debug_assert_eq!(self.record_count(), 0);
        *self.shared.stop.lock() = true;
        self.shared.stop_cv.notify_all();
        if let Some(h) = self.flusher.lock().take() {
            let _ = h.join();
        }
        self.shared.state.lock().close_unsealed();
    }

    /// Sequence number the next record will get (after `close`: one past
    /// the last record written).
    pub fn next_seq(&self) -> u64 {
        self.shared.state.lock().next_seq
    }

    /// Every record with a lower sequence number was handed to the OS or
    /// is buffered to be; after a failed close, those whole in the file
    /// where that is known (a rolling log reports how much of a batch a
    /// failed roll left written).
    pub(crate) fn written_below(&self) -> u64 {
        let st = self.shared.state.lock();
        st.closed_written.unwrap_or(st.next_seq)
    }

    /// Every record with a lower sequence number is known to be on stable
    /// storage.
    pub fn durable_seq(&self) -> u64 {
        self.shared.durable.load(Ordering::Acquire)
    }

    /// Flushes, seals and closes the segment and releases its lock. Later
    /// calls return `Closed`; closing again is a no-op. The lock is released
    /// even when sealing fails (the segment then stays unsealed and readable
    /// by a scan).
    pub fn close(&self) -> Result<()> {
        // Nobody reuses the buffers and index memory: free them now rather
        // than when the handle is dropped.
        self.close_recycling().map(drop)
    }

    /// Checks, reading only, that `open` would reopen the existing segment
    /// at `path` (see `recover::check`).
    pub(crate) fn check_reopen(path: &Path) -> Result<()> {
        recover::check(path)
    }

    /// Closes the segment's records for a rolling log that moves on to the
    /// next, and leaves `close` (the rest of the seal) to the log: every
    /// record is handed to the OS, a `SEAL_BEGIN` frame follows them, and
    /// under a durability other than `None` both are synced (see
    /// `State::end_records`). One way: appends get `Closed` from now on,
    /// and the segment is only ever sealed. Returns the write buffers, for
    /// the next segment. If the frame cannot be written the segment stays
    /// active; if it cannot be synced the writer is poisoned (an fdatasync
    /// failed) and the frame stays.
    pub(crate) fn end_records(&self) -> Result<Recycled> {
        let (bufs, next) = {
            let mut st = self.shared.state.lock();
            (st.end_records()?, st.next_seq)
        };
        if self.shared.durability != Durability::None {
            self.shared.sync_upto(next, None)?;
        }
        Ok(bufs)
    }

    /// `close`, handing back the writer's buffers and index memory,
    /// emptied, for the next segment of its log (`open_recycling`).
    pub(crate) fn close_recycling(&self) -> Result<Recycled> {
        let result = self.seal_and_close();
        let recycled = self.shared.state.lock().recycle();
        result.map(|()| recycled)
    }

    fn seal_and_close(&self) -> Result<()> {
        {
            *self.shared.stop.lock() = true;
            self.shared.stop_cv.notify_all();
        }
        if let Some(h) = self.flusher.lock().take() {
            let _ = h.join();
        }
        let (result, durable_to) = {
            let mut st = self.shared.state.lock();
            let result = st.close();
            // Set only when the seal's fdatasync covered every record.
            (result, st.closed_durable.then_some(st.next_seq))
        };
        if let Some(next) = durable_to {
            let sy = self.shared.sync.lock();
            self.shared.durable.fetch_max(next, Ordering::Release);
            self.shared.sync_ended(sy);
        }
        result
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

impl Shared {
    fn enter(self: &Arc<Shared>) -> Caller {
        self.callers.fetch_add(1, Ordering::SeqCst);
        Caller {
            shared: Arc::clone(self),
            counted: true,
            queued_in: None,
        }
    }

    /// Returns once every record below `target` is on stable storage. One
    /// thread at a time (the leader) runs fdatasync; the others wait and are
    /// covered by it or by the next one (group commit). `caller` is the
    /// durable write call waiting, if it is one.
    fn sync_upto(&self, target: u64, mut caller: Option<&mut Caller>) -> Result<()> {
        let result = loop {
            if self.durable.load(Ordering::Acquire) >= target {
                break Ok(());
            }
            let mut sy = self.sync.lock();
            if self.durable.load(Ordering::Acquire) >= target {
                break Ok(());
            }
            if let Some(c) = caller.as_deref_mut() {
                // Not covered by the fdatasync in progress: wait for the
                // next one, and let its leader know this record is ready.
                if c.queued_in.is_none() && sy.running_upto < target {
                    self.queued.fetch_add(1, Ordering::SeqCst);
                    c.queued_in = Some(self.batch.load(Ordering::Relaxed));
                    self.wake_gatherer();
                }
            }
            if sy.syncing {
                let seen = self.completions.load(Ordering::Relaxed);
                sy.waiters += 1;
                let mut spin_until = self
                    .spin_deadline()
                    .filter(|_| Self::may_yield(&sy, Instant::now()));
                drop(sy);
                // The wait returns at once if `completions` moved on since
                // it was read under the lock (no wakeup is lost), and may
                // return spuriously.
                while self.durable.load(Ordering::Acquire) < target
                    && self.completions.load(Ordering::Acquire) == seen
                {
                    let now = Instant::now();
                    if spin_until.is_some_and(|t| now < t) {
                        std::thread::yield_now();
                        if now.elapsed() > YIELD_SLOW {
                            // Another process has the CPU: sleep instead.
                            spin_until = None;
                            Self::yields_off(&mut self.sync.lock());
                        }
                    } else {
                        atomic_wait::wait(&self.completions, seen);
                    }
                }
                continue;
            }
            if let Err(e) = self.lead(sy) {
                // A concurrent `close` may have sealed and synced the record.
                if self.durable.load(Ordering::Acquire) < target {
                    break Err(e);
                }
            }
        };
        if let Some(c) = caller {
            c.leave();
        }
        result
    }

    /// Runs one fdatasync as the leader, covering every record in the file
    /// once it has gathered.
    fn lead(&self, mut sy: MutexGuard<'_, SyncState>) -> Result<()> {
        sy.syncing = true;
        self.gather(&mut sy);
        // Every queued caller appended before it queued: its record is below
        // `next_seq`, and this fdatasync covers it.
        let upto = {
            let mut st = self.state.lock();
            if st.file.is_none() && st.closed_durable {
                // Closed meanwhile (a log rolled): the seal's fdatasync
                // already covered every record.
                let next = st.next_seq;
                drop(st);
                self.durable.fetch_max(next, Ordering::Release);
                sy.syncing = false;
                self.sync_ended(sy);
                return Ok(());
            }
            if st.file.is_none() {
                self.closed_upto(&st)
            } else {
                st.check_usable()
                    .and_then(|()| st.flush_buf())
                    .map(|()| st.next_seq)
            }
        };
        self.queued.store(0, Ordering::SeqCst);
        self.batch.fetch_add(1, Ordering::Release);
        let upto = match upto {
            Ok(upto) => upto,
            Err(e) => {
                sy.syncing = false;
                self.sync_ended(sy);
                return Err(e);
            }
        };
        sy.running_upto = upto;
        drop(sy);
        let started = Instant::now();
        let synced = self.sync_data();
        let took = started.elapsed();
        let mut sy = self.sync.lock();
        sy.syncing = false;
        sy.running_upto = 0;
        sy.last_sync = took;
        if synced.is_ok() {
            self.durable.fetch_max(upto, Ordering::Release);
        }
        self.sync_ended(sy);
        synced
    }

    /// What a leader syncs once the writer is closed without a synced seal
    /// (a rolling log's roll whose seal failed: the log goes on in the
    /// same file, reopened): the records that are whole in the file, through
    /// the descriptor kept for syncing, so that a durable write waiting for
    /// its record is told it was written rather than fail and be retried.
    /// Not after a failed fdatasync (the kernel may have dropped the pages:
    /// a second one would succeed without them), and only once.
    fn closed_upto(&self, st: &State) -> Result<u64> {
        match st.closed_written {
            Some(upto) if st.poisoned.is_none() && upto > self.durable.load(Ordering::Acquire) => {
                Ok(upto)
            }
            Some(upto) if st.poisoned.is_none() => Err(Error::file(
                ErrorKind::Closed,
                &self.path,
                format!(
                    "writer is closed: sealing it failed before records from sequence \
                     number {upto} on reached the file; they were not written"
                ),
            )),
            _ => st.check_usable().map(|()| st.next_seq),
        }
    }

    /// Before its fdatasync, a leader waits, briefly, until every durable
    /// write call in progress has appended its record, so that one sync
    /// covers them all. Without this, the writers woken by the last sync
    /// append just after the next one started and wait for a third: about
    /// half of them per sync. A lone writer never waits, nor does anyone
    /// when no durable write call is in progress.
    ///
    /// The leader yields its CPU while it waits rather than sleep: the
    /// writers it waits for were just woken by the last sync and need a CPU
    /// each, and a leader asleep lets its CPU halt, so that each of them
    /// must wake it again (on a VM, an inter-processor interrupt through
    /// the host). On the benchmark VM (Intel host), 8 threads' durable
    /// records/s went from 25,400 to 27,675, 4.73 to 5.16 times one
    /// thread's (medians of 7 interleaved `BENCH_ONLY=cd` pairs), at 5% more
    /// CPU time a record (20.5 against 21.5 us).
    ///
    /// But where other processes keep the CPUs busy, a yield hands the CPU
    /// to one of them for its whole time slice: with two busy loops beside
    /// the benchmark, 8 threads' durable records/s fell from about 20,000
    /// (sleeping) to 2,500. So a yield that took longer than `YIELD_SLOW`
    /// makes this and every leader for `YIELDS_OFF_FOR` sleep instead,
    /// woken by the last caller to queue (`wake_gatherer`). The wait is
    /// bounded by the last fdatasync's duration and `GATHER_MAX`.
    fn gather(&self, sy: &mut MutexGuard<'_, SyncState>) {
        if self.all_queued() {
            return;
        }
        let now = Instant::now();
        let deadline = now + sy.last_sync.min(GATHER_MAX);
        let mut yielding = Self::may_yield(sy, now);
        *self.gatherer.lock() = Some(std::thread::current());
        self.gathering.store(true, Ordering::SeqCst);
        // Unlocked, so that callers can queue.
        let slow_yield = MutexGuard::unlocked(sy, || {
            let mut slow = false;
            while !self.all_queued() {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                if yielding {
                    std::thread::yield_now();
                    if now.elapsed() > YIELD_SLOW {
                        (slow, yielding) = (true, false);
                    }
                } else {
                    std::thread::park_timeout(deadline - now);
                }
            }
            slow
        });
        self.gathering.store(false, Ordering::SeqCst);
        *self.gatherer.lock() = None;
        if slow_yield {
            Self::yields_off(sy);
        }
    }

    /// Whether a waiting thread may yield its CPU (no yield was slow lately).
    fn may_yield(sy: &SyncState, now: Instant) -> bool {
        sy.yields_off_until.is_none_or(|t| now >= t)
    }

    /// After a slow yield: waiting threads sleep for `YIELDS_OFF_FOR`.
    fn yields_off(sy: &mut SyncState) {
        sy.yields_off_until = Some(Instant::now() + YIELDS_OFF_FOR);
    }

    /// Wakes a leader sleeping in `gather` once every caller has queued (or
    /// left).
    fn wake_gatherer(&self) {
        if self.gathering.load(Ordering::SeqCst) && self.all_queued() {
            if let Some(t) = &*self.gatherer.lock() {
                t.unpark();
            }
        }
    }

    /// Until when a thread about to wait for an fdatasync or for callers to
    /// queue keeps yielding instead of sleeping (`Options::sync_wait_spin`):
    /// it then sees the change without being woken.
    fn spin_deadline(&self) -> Option<Instant> {
        (!self.spin.is_zero()).then(|| Instant::now() + self.spin)
    }

    fn all_queued(&self) -> bool {
        self.queued.load(Ordering::SeqCst) >= self.callers.load(Ordering::SeqCst)
    }

    /// Ends an fdatasync (or the attempt, or the writer): every waiter
    /// looks again, and the covered ones return.
    fn sync_ended(&self, mut sy: MutexGuard<'_, SyncState>) {
        self.completions.fetch_add(1, Ordering::Release);
        let waiters = std::mem::take(&mut sy.waiters);
        drop(sy);
        if waiters > 0 {
            atomic_wait::wake_all(&self.completions);
        }
    }

    /// fdatasync on the second descriptor, without any lock held.
    fn sync_data(&self) -> Result<()> {
        if let Err(e) = self.sync_file.sync_data() {
            // After a failed fsync the kernel may have dropped dirty pages
            // (fsyncgate): refuse further writes rather than pretend.
            let err = Error::io(&self.path, "fdatasync", e);
            self.state.lock().poisoned = Some(err.clone().with_kind(ErrorKind::Poisoned).with_detail(
                |d| {
                    format!(
                        "{d}; records since the last successful sync may be lost: close and reopen the segment"
                    )
                },
            ));
            return Err(err);
        }
        if self.dir_unsynced.load(Ordering::Acquire) {
            let dir = crate::sys::parent_dir(&self.path);
            crate::sys::sync_dir(dir).map_err(|e| Error::io(dir, "sync directory", e))?;
            self.dir_unsynced.store(false, Ordering::Release);
        }
        Ok(())
    }

    fn flusher_loop(&self, period: std::time::Duration) {
        let mut stop = self.stop.lock();
        while !*stop {
            self.stop_cv.wait_for(&mut stop, period);
            if *stop {
                break;
            }
            drop(stop);
            let (to, flushes) = {
                let st = self.state.lock();
                (st.next_seq, st.flushes)
            };
            if let Err(e) = self.sync_upto(to, None) {
                // A poisoned or closed writer tells every later call itself;
                // a flush by a caller since this one's (which told it its
                // own result) makes the failure moot.
                let mut st = self.state.lock();
                if st.file.is_some() && st.poisoned.is_none() && st.flushes == flushes + 1 {
                    st.flusher_failed = Some(e.with_detail(|d| {
                        format!(
                            "{d} (in the background flush; the records written before stay \
                             buffered and are retried; this call's records were not written)"
                        )
                    }));
                }
            }
            stop = self.stop.lock();
        }
    }
}

impl Caller {
    fn leave(&mut self) {
        if !std::mem::take(&mut self.counted) {
            return;
        }
        let s = &*self.shared;
        // Still counted in `queued` only if no leader took that batch (the
        // call failed, or `close` made its record durable).
        if let Some(b) = self.queued_in.take() {
            if s.batch.load(Ordering::Acquire) == b {
                let _sy = s.sync.lock();
                if s.batch.load(Ordering::Relaxed) == b {
                    s.queued.fetch_sub(1, Ordering::SeqCst);
                }
            }
        }
        s.callers.fetch_sub(1, Ordering::SeqCst);
        s.wake_gatherer();
    }
}

impl Drop for Caller {
    fn drop(&mut self) {
        self.leave();
    }
}

/// Opens the segment read-write without ever truncating it; creates it if
/// missing. Returns whether it was created.
/// Opens (or creates) the segment at `path` and takes its lock, making
/// sure the file locked is still the one `path` names: `binlog repair`
/// renames a repaired copy over a segment while holding the old file's
/// lock, and a writer that opened the old file just before the rename and
/// locked it just after the repair let go would otherwise append to a file
/// no name leads to (every record lost). Such a writer opens the path again.
fn open_locked(path: &Path) -> Result<(File, bool)> {
    const ATTEMPTS: u32 = 100;
    for _ in 0..ATTEMPTS {
        let (file, created) = open_file(path)?;
        match crate::sys::lock_exclusive_patiently(&file) {
            Ok(true) => {}
            Ok(false) => {
                return Err(Error::file(
                    ErrorKind::Locked,
                    path,
                    "another writer (in this or another process) has the segment open",
                ))
            }
            Err(e) => return Err(Error::io(path, "lock", e)),
        }
        let held = file.metadata().map_err(|e| Error::io(path, "stat", e))?;
        match std::fs::metadata(path) {
            Ok(named) if named.dev() == held.dev() && named.ino() == held.ino() => {
                return Ok((file, created))
            }
            // Replaced or removed between the open and the lock.
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(path, "stat", e)),
        }
    }
    Err(Error::file(
        ErrorKind::Locked,
        path,
        format!(
            "the file was replaced or removed each of {ATTEMPTS} times it was opened and locked"
        ),
    ))
}

fn open_file(path: &Path) -> Result<(File, bool)> {
    let mut o = OpenOptions::new();
    o.read(true).write(true).mode(0o644);
    match o.clone().create_new(true).open(path) {
        Ok(f) => Ok((f, true)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let f = o.open(path).map_err(|e| {
                if crate::sys::is_a_directory(&e) {
                    // The kind and words a reader gets for a directory, not
                    // an I/O error: the path names the wrong kind of file.
                    Error::file(
                        ErrorKind::InvalidArgument,
                        path,
                        "is a directory, not a segment",
                    )
                } else {
                    Error::io(path, "open", e)
                }
            })?;
            Ok((f, false))
        }
        Err(e) => Err(Error::io(path, "create", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::MAX_SYNC_WAIT_SPIN;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn writer_is_send_and_sync() {
        assert_send_sync::<Writer>();
    }

    fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("binlog-writer-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("seg.binlog")
    }

    fn durable_opts() -> Options {
        Options {
            durability: Durability::EveryRecord,
            ..Options::default()
        }
    }

    /// Group commit: every durable write returns with its record synced,
    /// whether the threads share syncs or not, and nothing is left counted.
    #[test]
    fn concurrent_durable_writes_are_all_synced() {
        check_group_commit("group", durable_opts());
    }

    /// The same with waiters that yield before they sleep: a spin shorter
    /// than a sync (waiters then sleep and are woken) and one longer.
    #[test]
    fn concurrent_durable_writes_with_spinning_waiters_are_all_synced() {
        for (name, us) in [("spin-short", 1), ("spin-long", 5_000)] {
            let opts = Options {
                sync_wait_spin: Duration::from_micros(us),
                ..durable_opts()
            };
            check_group_commit(name, opts);
        }
    }

    fn check_group_commit(name: &str, opts: Options) {
        let p = temp_path(name);
        let w = Writer::open(&p, opts).unwrap();
        std::thread::scope(|s| {
            for t in 0..6 {
                let w = &w;
                s.spawn(move || {
                    for i in 0..40 {
                        let seq = if i % 5 == 4 {
                            let e = Entry {
                                type_name: "b",
                                meta: &[],
                                timestamp_ns: None,
                                parts: &[b"x", b"y"],
                            };
                            w.write_batch(&[e, e]).unwrap()
                        } else {
                            w.write("t", &[t as u8; 100]).unwrap()
                        };
                        assert!(w.durable_seq() > seq, "returned before its sync");
                    }
                });
            }
            // A durability-less caller joins in now and then.
            s.spawn(|| {
                for _ in 0..20 {
                    w.sync().unwrap();
                }
            });
        });
        let sh = &*w.shared;
        assert_eq!(sh.callers.load(Ordering::SeqCst), 0);
        assert_eq!(sh.queued.load(Ordering::SeqCst), 0);
        // Every sleeper was counted, then woken by the sync it waited for.
        assert_eq!(sh.sync.lock().waiters, 0);
        assert_eq!(w.durable_seq(), w.next_seq());
        assert_eq!(w.next_seq(), 6 * (32 + 8 * 2));
        w.close().unwrap();
        std::fs::remove_dir_all(p.parent().unwrap()).unwrap();
    }

    #[test]
    fn sync_wait_spin_is_bounded() {
        let p = temp_path("spin-bound");
        let opts = Options {
            sync_wait_spin: MAX_SYNC_WAIT_SPIN + Duration::from_micros(1),
            ..durable_opts()
        };
        let e = Writer::open(&p, opts).err().expect("refused");
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        assert!(e.message().contains("sync_wait_spin"), "{e}");
        let opts = Options {
            sync_wait_spin: MAX_SYNC_WAIT_SPIN,
            ..durable_opts()
        };
        Writer::open(&p, opts).unwrap().close().unwrap();
        std::fs::remove_dir_all(p.parent().unwrap()).unwrap();
    }

    /// A writer opened with the memory a closed one left (a log's roll)
    /// takes it over, and writes the same segment, byte for byte, as a
    /// writer opened without it. A plain `close` keeps none of it.
    #[test]
    fn recycled_memory_writes_the_same_segment() {
        let opts = |no| Options {
            buffer_size: 64 << 10,
            created_ns: Some(1),
            segment_no: no,
            ..Options::default()
        };
        // `types` picks each record's type; payloads vary in length so that
        // records straddle the buffers' unit boundaries.
        let write = |w: &Writer, n: u64, byte: u8, types: &[&str]| {
            for i in 0..n {
                let t = types[i as usize % types.len()];
                let len = 60 + (i % 97) as usize;
                w.write_with(t, &[("k", "v")], Some(i as i64), &[byte; 160][..len])
                    .unwrap();
            }
        };
        // Many records: several buffers, a large seal, large index arrays.
        let first = temp_path("recycle-first");
        let a = Writer::open(&first, opts(0)).unwrap();
        write(&a, 20_000, 0xaa, &["x", "y", "y"]);
        let open = a.shared.state.lock().recycle();
        assert_eq!(open.bufs.len(), 0, "nothing while open");
        let recycled = a.close_recycling().unwrap();
        assert!(recycled.bufs.len() >= 2, "{} buffers", recycled.bufs.len());
        assert!(recycled.bufs.iter().all(|b| b.is_empty()));
        assert!(recycled.seal.capacity() >= 20_000 * 8, "seal buffer kept");

        let reused = temp_path("recycle-reused");
        let b = Writer::open_recycling(&reused, opts(1), recycled).unwrap();
        assert!(b.shared.state.lock().index.capacity() >= 20_000);
        // Other types and sizes, through every recycled buffer (about 30
        // buffers' worth) and a smaller seal than the first segment's.
        let types = ["z", "x", "w", "w"];
        write(&b, 15_000, 0x55, &types);
        b.close().unwrap();
        let left = b.shared.state.lock().recycle();
        assert!(
            left.bufs.is_empty() && left.seal.capacity() == 0,
            "close frees"
        );
        let fresh = temp_path("recycle-fresh");
        let c = Writer::open(&fresh, opts(1)).unwrap();
        write(&c, 15_000, 0x55, &types);
        c.close().unwrap();
        let (got, want) = (
            std::fs::read(&reused).unwrap(),
            std::fs::read(&fresh).unwrap(),
        );
        assert!(
            got == want,
            "recycled {} bytes, fresh {}",
            got.len(),
            want.len()
        );
        let mut r = crate::reader::Reader::open(&reused).unwrap();
        let mut n = 0u64;
        while let Some(rec) = r.next().unwrap() {
            assert_eq!(rec.seq, n);
            assert_eq!(rec.type_name, types[n as usize % types.len()]);
            assert!(rec.payload.iter().all(|&b| b == 0x55), "record {n}");
            n += 1;
        }
        assert_eq!(n, 15_000);
        for p in [first, reused, fresh] {
            std::fs::remove_dir_all(p.parent().unwrap()).unwrap();
        }
    }

    /// Whichever thread fills in the CRCs at a hand-off (the caller when the
    /// background thread is behind, else that thread), the segment is the
    /// same, byte for byte, and reads back whole: records cut across two
    /// buffers, records larger than the buffer and batches included.
    #[test]
    fn either_thread_sealing_writes_the_same_segment() {
        let write = |name: &str, caller_seals_from: u64| {
            let path = temp_path(name);
            let w = Writer::open(
                &path,
                Options {
                    buffer_size: 16 << 10,
                    created_ns: Some(1),
                    ..Options::default()
                },
            )
            .unwrap();
            w.shared.state.lock().caller_seals_from = caller_seals_from;
            let payloads: Vec<Vec<u8>> = (0..20_000u64)
                .map(|i| {
                    let len = if i % 5_000 == 4_999 {
                        40_000
                    } else {
                        (i * 37 % 300) as usize
                    };
                    vec![i as u8; len]
                })
                .collect();
            for chunk in payloads.chunks(7) {
                let parts: Vec<[&[u8]; 1]> = chunk.iter().map(|p| [&p[..]]).collect();
                let entries: Vec<Entry<'_>> = parts
                    .iter()
                    .map(|p| Entry {
                        type_name: "t",
                        meta: &[],
                        timestamp_ns: Some(5),
                        parts: p,
                    })
                    .collect();
                w.write_batch(&entries).unwrap();
            }
            w.flush().unwrap();
            let sealed_behind = w.shared.state.lock().sealed_behind();
            w.close().unwrap();
            let mut r = crate::reader::Reader::open(&path).unwrap();
            let mut n = 0;
            while let Some(rec) = r.next().unwrap() {
                assert_eq!(rec.payload, &payloads[n][..], "{name}: record {n}");
                n += 1;
            }
            assert_eq!(n, payloads.len(), "{name}");
            let bytes = std::fs::read(&path).unwrap();
            std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
            (bytes, sealed_behind)
        };
        let (by_caller, behind) = write("seal-caller", 0);
        assert_eq!(behind, 0, "the caller sealed every buffer");
        let (by_thread, behind) = write("seal-thread", u64::MAX);
        assert!(behind > 100, "the thread sealed {behind} buffers");
        assert!(by_caller == by_thread, "the two segments differ");
    }

    /// A panic on the write-behind thread in the middle of a batch whose
    /// records are split across buffers fails the call and poisons the
    /// writer, without a panic on the caller's thread (a debug build once
    /// overflowed rolling the batch back) and without a hang; the records
    /// written before it read back whole.
    #[test]
    fn a_panic_on_the_write_behind_thread_poisons_the_writer() {
        let path = temp_path("behind-panic");
        let w = Writer::open(
            &path,
            Options {
                buffer_size: 4096,
                ..Options::default()
            },
        )
        .unwrap();
        w.shared.state.lock().behind().panic_on_job(3);
        let payload = [7u8; 150];
        let parts = [&payload[..]];
        let entries = vec![
            Entry {
                type_name: "t",
                meta: &[],
                timestamp_ns: Some(1),
                parts: &parts,
            };
            200
        ];
        let first = w.write_batch(&entries[..30]).unwrap();
        assert_eq!(first, 0);
        let err = w.write_batch(&entries).unwrap_err();
        assert!(err.message().contains("panicked"), "{err}");
        let again = w.write_batch(&entries[..1]).unwrap_err();
        assert_eq!(again.kind(), ErrorKind::Poisoned, "{again}");
        assert!(
            again.message().contains(
                "could not be made to end on a whole record: the write-behind thread panicked"
            ),
            "{again}"
        );
        let _ = w.close();
        let mut r = crate::reader::Reader::open(&path).unwrap();
        let mut n = 0;
        while let Ok(Some(rec)) = r.next() {
            assert_eq!(rec.seq, n);
            assert_eq!(rec.payload, &payload[..]);
            n += 1;
        }
        assert!(n >= 30, "{n} records read back");
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    /// Durable writers racing `close`: each write either succeeds with its
    /// record durable or fails with `Closed`; nobody hangs.
    #[test]
    fn durable_writes_racing_close_end() {
        for round in 0..10 {
            let p = temp_path(&format!("close-{round}"));
            let w = Writer::open(&p, durable_opts()).unwrap();
            std::thread::scope(|s| {
                for _ in 0..4 {
                    let w = &w;
                    s.spawn(move || loop {
                        match w.write("t", b"payload") {
                            Ok(seq) => assert!(w.durable_seq() > seq),
                            Err(e) => {
                                assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
                                break;
                            }
                        }
                    });
                }
                std::thread::sleep(Duration::from_millis(5));
                w.close().unwrap();
            });
            assert_eq!(w.shared.callers.load(Ordering::SeqCst), 0);
            std::fs::remove_dir_all(p.parent().unwrap()).unwrap();
        }
    }

    /// Durability `None` does not fsync the directory of a segment it
    /// creates; the first `sync` must, once, or the records it reports
    /// durable could vanish with the file's name.
    #[test]
    fn first_sync_of_a_segment_created_under_none_syncs_its_directory() {
        let p = temp_path("dir-sync");
        let dir = p.parent().unwrap().to_path_buf();
        let syncs = || {
            crate::sys::DIR_SYNCS
                .lock()
                .iter()
                .filter(|d| **d == dir)
                .count()
        };
        let w = Writer::open(&p, Options::default()).unwrap();
        w.write("t", b"x").unwrap();
        assert_eq!(syncs(), 0, "not at creation under None");
        w.sync().unwrap();
        assert_eq!(syncs(), 1);
        w.write("t", b"y").unwrap();
        w.sync().unwrap();
        assert_eq!(syncs(), 1, "only once");
        w.close().unwrap();
        // Reopened: whoever created the file may not have synced its name,
        // so the first sync does it again, once.
        let w = Writer::open(&p, Options::default()).unwrap();
        w.write("t", b"z").unwrap();
        assert_eq!(syncs(), 1, "not at a reopen under None");
        w.sync().unwrap();
        w.sync().unwrap();
        assert_eq!(syncs(), 2);
        w.close().unwrap();
        // Reopened under a durable policy, which counts every record found
        // durable at once: the name is synced at open.
        let w = Writer::open(
            &p,
            Options {
                durability: Durability::EveryRecord,
                ..Options::default()
            },
        )
        .unwrap();
        assert_eq!(syncs(), 3, "at a reopen under a durable policy");
        assert_eq!(w.durable_seq(), 3);
        drop(w);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
