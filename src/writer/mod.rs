//! The segment writer. One writer owns a segment (an exclusive flock, so a
//! second writer in this or another process gets `Locked`); it is `Send +
//! Sync`, and concurrent callers share its buffer and, for durable writes,
//! one fdatasync per group of records (group commit).

mod index;
mod recover;
mod state;
mod types;

pub use state::Entry;

use crate::error::{Error, ErrorKind, Result};
use crate::options::{Durability, Options};
use parking_lot::{Condvar, Mutex, MutexGuard};
use state::State;
use std::fs::{File, OpenOptions};
use std::io::{self, IoSlice};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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
    /// An fdatasync finished (or failed).
    synced: Condvar,
    /// A gathering leader's condition may hold: a caller queued or left.
    gathered: Condvar,
    /// A second descriptor of the segment, so fdatasync runs without the
    /// state lock and writers keep appending meanwhile.
    sync_file: File,
    stop: Mutex<bool>,
    stop_cv: Condvar,
}

struct SyncState {
    /// Every record with a lower sequence number is on stable storage.
    durable_next: u64,
    /// A leader is gathering or running an fdatasync.
    syncing: bool,
    /// Records below this are covered by the fdatasync in progress (0 while
    /// none runs or its leader is still gathering).
    running_upto: u64,
    /// Durable write calls (`Writer::write_batch` with `EveryRecord`)
    /// between entry and return.
    callers: usize,
    /// Of those, how many appended a record that no started fdatasync
    /// covers yet: they wait for the next one.
    queued: usize,
    /// Counts the times a leader took the queued records into its
    /// fdatasync, so a caller knows whether it is still counted in `queued`.
    batch: u64,
    /// A leader waits on `gathered` for the callers still appending.
    gathering: bool,
    /// How long the last fdatasync took: a leader never waits longer than
    /// this (nor than `GATHER_MAX`) for more records.
    last_sync: Duration,
}

/// Upper bound on how long a leader delays its fdatasync to let writers
/// already inside a durable write call append first.
const GATHER_MAX: Duration = Duration::from_micros(100);

/// A durable write call in progress, counted in `SyncState::callers`.
struct Caller<'a> {
    shared: &'a Shared,
    /// `SyncState::batch` when this call counted itself in `queued`.
    queued_in: Option<u64>,
}

impl Writer {
    /// Creates the segment at `path`, or reopens an existing one to append:
    /// it is verified by a scan, a torn tail is backed up and cut, a seal is
    /// removed, and sequence numbers continue.
    pub fn open(path: impl AsRef<Path>, opts: Options) -> Result<Writer> {
        let path = path.as_ref().to_path_buf();
        opts.validate()
            .map_err(|e| Error::file(e.kind(), &path, e.message()))?;
        let (file, created) = open_file(&path)?;
        match crate::sys::try_lock_exclusive(&file) {
            Ok(true) => {}
            Ok(false) => {
                return Err(Error::file(
                    ErrorKind::Locked,
                    &path,
                    "another writer (in this or another process) has the segment open",
                ))
            }
            Err(e) => return Err(Error::io(&path, "lock", e)),
        }
        let rec = recover::prepare(&file, &path, &opts, created)?;
        let sync_file = file.try_clone().map_err(|e| Error::io(&path, "dup", e))?;
        let durable_next = rec.next_seq;
        let state = State::new(
            path.clone(),
            file,
            rec.file_len,
            rec.next_seq,
            rec.types,
            rec.index,
            opts.buffer_size,
            opts.max_record_size,
        );
        let mut state = state;
        state.sync_on_seal = opts.durability != Durability::None;
        let shared = Arc::new(Shared {
            path,
            durability: opts.durability,
            state: Mutex::new(state),
            sync: Mutex::new(SyncState {
                durable_next,
                syncing: false,
                running_upto: 0,
                callers: 0,
                queued: 0,
                batch: 0,
                gathering: false,
                last_sync: Duration::ZERO,
            }),
            synced: Condvar::new(),
            gathered: Condvar::new(),
            sync_file,
            stop: Mutex::new(false),
            stop_cv: Condvar::new(),
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
    /// On error, the records of the batch that reached the file stay (the
    /// message says how many) and the rest are not written.
    pub fn write_batch(&self, entries: &[Entry<'_>]) -> Result<u64> {
        if self.shared.durability != Durability::EveryRecord {
            let (first, sync_to) = self.append(entries)?;
            if let Some(to) = sync_to {
                self.shared.sync_upto(to, None)?;
            }
            return Ok(first);
        }
        // Counted from before the append, so a leader about to fdatasync
        // knows this call will soon have a record for it (group commit).
        let mut caller = self.shared.enter();
        let (first, sync_to) = match self.append(entries) {
            Ok(r) => r,
            Err(e) => {
                caller.leave(&mut self.shared.sync.lock());
                return Err(e);
            }
        };
        match sync_to {
            Some(to) => self.shared.sync_upto(to, Some(&mut caller))?,
            None => caller.leave(&mut self.shared.sync.lock()),
        }
        Ok(first)
    }

    /// The locked half of a write: appends and says up to which sequence
    /// number the caller must then wait for durability (`wait_durable`), so
    /// a caller holding a lock of its own (a rolling log) can release it
    /// before waiting and let other writers join the same fdatasync.
    pub(crate) fn append(&self, entries: &[Entry<'_>]) -> Result<(u64, Option<u64>)> {
        let s = &*self.shared;
        let now = if entries.iter().any(|e| e.timestamp_ns.is_none()) {
            crate::clock::now_ns()
        } else {
            0
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
    pub(crate) fn wait_durable(&self, to: u64) -> Result<()> {
        self.shared.sync_upto(to, None)
    }

    /// Bytes in the segment so far (header and records, buffered included).
    pub fn bytes(&self) -> u64 {
        let st = self.shared.state.lock();
        st.file_len + st.buf.len() as u64
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

    /// Sequence number the next record will get (after `close`: one past
    /// the last record written).
    pub fn next_seq(&self) -> u64 {
        self.shared.state.lock().next_seq
    }

    /// Every record with a lower sequence number is known to be on stable
    /// storage.
    pub fn durable_seq(&self) -> u64 {
        self.shared.sync.lock().durable_next
    }

    /// Flushes, seals and closes the segment and releases its lock. Later
    /// calls return `Closed`; closing again is a no-op. The lock is released
    /// even when sealing fails (the segment then stays unsealed and readable
    /// by a scan).
    pub fn close(&self) -> Result<()> {
        {
            *self.shared.stop.lock() = true;
            self.shared.stop_cv.notify_all();
        }
        if let Some(h) = self.flusher.lock().take() {
            let _ = h.join();
        }
        let result = self.shared.state.lock().close();
        if result.is_ok() {
            let mut sy = self.shared.sync.lock();
            sy.durable_next = sy.durable_next.max(self.shared.state.lock().next_seq);
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
    /// Counts a durable write call until `Caller::leave`.
    fn enter(&self) -> Caller<'_> {
        self.sync.lock().callers += 1;
        Caller {
            shared: self,
            queued_in: None,
        }
    }

    /// Returns once every record below `target` is on stable storage. One
    /// caller at a time (the leader) runs fdatasync; the others wait and are
    /// covered by it or by the next one (group commit). `caller` is the
    /// durable write call waiting, if it is one; it leaves here.
    fn sync_upto(&self, target: u64, mut caller: Option<&mut Caller<'_>>) -> Result<()> {
        let mut sy = self.sync.lock();
        let result = loop {
            if sy.durable_next >= target {
                break Ok(());
            }
            if let Some(c) = caller.as_deref_mut() {
                // Not covered by the fdatasync in progress: wait for the
                // next one, and let its leader know this record is ready.
                if c.queued_in.is_none() && !(sy.running_upto >= target) {
                    sy.queued += 1;
                    c.queued_in = Some(sy.batch);
                    self.wake_gatherer(&sy);
                }
            }
            if sy.syncing {
                self.synced.wait(&mut sy);
                continue;
            }
            sy.syncing = true;
            self.gather(&mut sy);
            // The records of every queued caller are in the file now (each
            // queued after appending): this fdatasync covers them all.
            let upto = {
                let mut st = self.state.lock();
                st.check_usable().and_then(|()| st.flush_buf()).map(|()| st.next_seq)
            };
            sy.queued = 0;
            sy.batch += 1;
            let upto = match upto {
                Ok(u) => u,
                Err(e) => {
                    sy.syncing = false;
                    self.synced.notify_all();
                    break Err(e);
                }
            };
            sy.running_upto = upto;
            drop(sy);
            let started = Instant::now();
            let synced = self.sync_data();
            let took = started.elapsed();
            sy = self.sync.lock();
            sy.syncing = false;
            sy.running_upto = 0;
            sy.last_sync = took;
            if synced.is_ok() {
                sy.durable_next = sy.durable_next.max(upto);
            }
            self.synced.notify_all();
            if let Err(e) = synced {
                break Err(e);
            }
        };
        if let Some(c) = caller {
            c.leave(&mut sy);
        }
        result
    }

    /// Before its fdatasync, a leader waits, briefly, until every durable
    /// write call in progress has appended its record, so that one sync
    /// covers them all. Without this, writers woken by the last sync would
    /// append just after the next one started and wait for a third: about
    /// half of them per sync. A lone writer (or none) never waits.
    fn gather(&self, sy: &mut MutexGuard<'_, SyncState>) {
        if sy.queued >= sy.callers {
            return;
        }
        let deadline = Instant::now() + sy.last_sync.min(GATHER_MAX);
        sy.gathering = true;
        while sy.queued < sy.callers {
            if self.gathered.wait_until(sy, deadline).timed_out() {
                break;
            }
        }
        sy.gathering = false;
    }

    /// Wakes a gathering leader once every caller has queued (or left).
    fn wake_gatherer(&self, sy: &SyncState) {
        if sy.gathering && sy.queued >= sy.callers {
            self.gathered.notify_one();
        }
    }

    /// fdatasync on the second descriptor, without any lock held.
    fn sync_data(&self) -> Result<()> {
        if let Err(e) = self.sync_file.sync_data() {
            // After a failed fsync the kernel may have dropped dirty pages
            // (fsyncgate): refuse further writes rather than pretend.
            let err = Error::io(&self.path, "fdatasync", e);
            self.state.lock().poisoned = Some(Error::new(
                ErrorKind::Poisoned,
                format!(
                    "{}; records since the last successful sync may be lost: close and reopen the segment",
                    err.message()
                ),
            ));
            return Err(err);
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
            let to = self.state.lock().next_seq;
            // Failures surface on the next write, flush or sync call.
            let _ = self.sync_upto(to, None);
            stop = self.stop.lock();
        }
    }
}

impl Caller<'_> {
    /// Ends the call's count; called with the sync lock held.
    fn leave(&mut self, sy: &mut SyncState) {
        sy.callers -= 1;
        // Still counted in `queued` unless a leader took that batch.
        if self.queued_in.take() == Some(sy.batch) {
            sy.queued -= 1;
        }
        self.shared.wake_gatherer(sy);
    }
}

/// Opens the segment read-write without ever truncating it; creates it if
/// missing. Returns whether it was created.
fn open_file(path: &Path) -> Result<(File, bool)> {
    let mut o = OpenOptions::new();
    o.read(true).write(true).mode(0o644);
    match o.clone().create_new(true).open(path) {
        Ok(f) => Ok((f, true)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let f = o.open(path).map_err(|e| Error::io(path, "open", e))?;
            Ok((f, false))
        }
        Err(e) => Err(Error::io(path, "create", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn writer_is_send_and_sync() {
        assert_send_sync::<Writer>();
    }
}
