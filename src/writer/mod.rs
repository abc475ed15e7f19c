//! The segment writer. One writer owns a segment (an exclusive flock, so a
//! second writer in this or another process gets `Locked`); it is `Send +
//! Sync`, and concurrent callers share its buffer and, for durable writes,
//! one fdatasync per group of records (group commit). This file is the
//! writer's API; each other module holds one part of it.

mod flusher;
mod group_commit;
mod index;
mod job;
mod open;
pub(crate) mod options;
pub(crate) mod prealloc;
mod prepared;
mod recover;
// Internal: outside the crate only with the feature `internals`.
#[allow(missing_docs)]
pub mod salvage;
mod shared;
mod state;
#[cfg(test)]
mod test_file;
mod types;
mod write_behind;

pub(crate) use group_commit::Caller;
pub use index::SealEstimate;
pub use state::Entry;
pub(crate) use state::Recycled;

use crate::error::Result;
use crate::writer::options::{Durability, Options};
use parking_lot::Mutex;
pub(crate) use recover::{check_log_segment, Purpose};
use shared::Shared;
use std::io::IoSlice;
use std::path::Path;
use std::sync::{atomic::Ordering, Arc};
use std::thread::JoinHandle;

/// A segment's size at one moment: see [`Writer::size_snapshot`].
#[derive(Clone, Copy, Debug)]
pub struct SizeSnapshot {
    pub bytes: u64,
    pub records: u64,
    /// The sequence number the next record gets.
    pub next_seq: u64,
    pub seal: SealEstimate,
}

impl SizeSnapshot {
    fn of(st: &state::State) -> SizeSnapshot {
        SizeSnapshot {
            bytes: st.len(),
            records: st.index.summary.record_count,
            next_seq: st.next_seq,
            seal: st.index.seal_estimate(st.types.names()),
        }
    }
}

/// Appends records to one segment file.
///
/// # Example
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("binlog-doc-writer-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// use binlog::{Durability, Options, Writer};
///
/// let opts = Options { durability: Durability::EveryRecord, ..Options::default() };
/// let w = Writer::open(dir.join("events.binlog"), opts)?;
/// let first = w.write("login", b"alice")?;
/// let second = w.write("logout", b"alice")?;
/// assert_eq!(second, first + 1);
/// w.close()?;
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Writer {
    shared: Arc<Shared>,
    flusher: Mutex<Option<JoinHandle<()>>>,
    /// `Recovered::numbers_past` of the open: a log's segment whose
    /// recovery cut bytes holding higher numbers than `next_seq` is not
    /// appended to (a jump inside a segment is damage): the log seals it
    /// and goes on in a new segment from this number.
    numbers_past: u64,
    /// The segment's number (`Options::segment_no`) and the sequence
    /// number of its first record (of the next one while it holds none):
    /// a log's position in it.
    pub(crate) segment_no: u64,
    pub(crate) first_seq: u64,
}

impl Writer {
    /// Creates the segment at `path`, or reopens an existing one to append:
    /// it is verified by a scan, a torn tail is backed up and cut, a seal is
    /// removed, and sequence numbers continue. A segment of a rolling log
    /// that is sealed or ending is refused (`ErrorKind::Sealed`): it never
    /// changes again; open the log instead (`LogWriter::open`).
    pub fn open(path: impl AsRef<Path>, opts: Options) -> Result<Writer> {
        Writer::open_for(path, opts, Recycled::default(), Purpose::Append)
    }

    /// Opens an existing segment of a rolling log: active (the log resumes
    /// it), or ending (`is_ending`: the log only seals it). A sealed one is
    /// refused (see `recover::Purpose::LogSegment`).
    pub(crate) fn open_log_segment(path: impl AsRef<Path>, opts: Options) -> Result<Writer> {
        Writer::open_for(path, opts, Recycled::default(), Purpose::LogSegment)
    }

    /// The segment's file.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Appends a record with the current time and no metadata; returns its
    /// sequence number.
    pub fn write(&self, type_name: &str, payload: &[u8]) -> Result<u64> {
        self.write_with(type_name, &[], None, payload)
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
            meta,
            timestamp_ns,
            ..Entry::of(type_name, &[payload])
        }])
    }

    /// Appends one record whose payload is gathered from `parts`, without
    /// concatenating them first.
    pub fn write_vectored(&self, type_name: &str, parts: &[IoSlice<'_>]) -> Result<u64> {
        let parts: Vec<&[u8]> = parts.iter().map(|p| &**p).collect();
        self.write_batch(&[Entry::of(type_name, &parts)])
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
            // Under `EveryRecord` the call is counted from before its
            // append, so that a leader about to fdatasync knows it will
            // soon have a record to cover (group commit).
            let mut caller = self.shared.count_durable_call();
            return self.append_and_wait(entries, Some(&mut caller));
        }
        // No `Caller` to build and drop here: it costs every record
        // (docs/PERFORMANCE.md).
        self.append_and_wait(entries, None)
    }

    /// `append`, then `wait_durable` if it says so.
    fn append_and_wait(&self, entries: &[Entry<'_>], caller: Option<&mut Caller>) -> Result<u64> {
        let (first, sync_to) = self.append(entries, None)?;
        if let Some(to) = sync_to {
            self.shared.sync_upto(to, caller)?;
        }
        Ok(first)
    }

    /// Under durability `EveryRecord`, counts a write call from before its
    /// `append` until it leaves `wait_durable` (or is dropped), so that a
    /// leader about to fdatasync waits for its record (group commit).
    pub(crate) fn durable_call(&self) -> Option<Caller> {
        (self.shared.durability == Durability::EveryRecord)
            .then(|| self.shared.count_durable_call())
    }

    /// The locked half of a write: appends and says up to which sequence
    /// number the caller must then wait for durability (`wait_durable`), so
    /// a caller holding a lock of its own (a rolling log) can release it
    /// before waiting. Records without a timestamp get `now` if given (a
    /// rolling log's clock reading, so that each record's time falls in its
    /// segment's period), else a reading of the clock. `now` given is a
    /// rolling log's part of a batch `check_log_batch` checked: the batch
    /// is validated once, there, not here.
    pub(crate) fn append(
        &self,
        entries: &[Entry<'_>],
        now: Option<i64>,
    ) -> Result<(u64, Option<u64>)> {
        let s = &*self.shared;
        let checked = now.is_some();
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
        let appended = st.append(entries, now, sync || s.write_through, checked);
        // After a failure too: a failed background write puts its bytes,
        // of records acknowledged before, back in the buffer.
        if st.note_buffered() {
            s.flush_cv.notify_one();
        }
        let first = appended?;
        if sync {
            st.since_sync = 0;
        } else {
            st.since_sync += entries.len() as u64;
        }
        Ok((first, sync.then_some(st.next_seq)))
    }

    /// The unlocked half of a write: waits until every record below `to` is
    /// on stable storage; `caller` (from `durable_call`) is the call waiting.
    pub(crate) fn wait_durable(&self, to: u64, caller: Option<&mut Caller>) -> Result<()> {
        debug_assert!(caller.as_ref().is_none_or(|c| c.is_for(&self.shared)));
        self.shared.sync_upto(to, caller)
    }

    /// Bytes in the segment so far (header and records, buffered included).
    pub fn bytes(&self) -> u64 {
        self.shared.state.lock().len()
    }

    /// The segment's size, record count and how its seal will grow, read
    /// under one lock (a rolling log checks its limits with it).
    #[doc(hidden)]
    pub fn size_snapshot(&self) -> SizeSnapshot {
        SizeSnapshot::of(&self.shared.state.lock())
    }

    /// Checks a rolling log's batch whole, before its first part is
    /// appended, and returns `size_snapshot` under the same lock: each
    /// record measured as the first of its type in a segment
    /// (`Measure::AsFirstOfType`), so that no part, in this segment or the
    /// next, is refused once one is written. `append` with the log's clock
    /// reading checks no part again.
    pub(crate) fn check_log_batch(&self, entries: &[Entry<'_>]) -> Result<SizeSnapshot> {
        let mut st = self.shared.state.lock();
        st.validate(entries, state::Measure::AsFirstOfType)?;
        Ok(SizeSnapshot::of(&st))
    }

    /// The writes of the segment's write-behind thread so far: pairs (one
    /// 2 MiB write each) and buffers written in 64 KiB pieces (docs/design/
    /// write-behind-pairing.md, "Fresh memory"). For tests of the folios.
    #[doc(hidden)]
    pub fn write_behind_writes(&self) -> (u64, u64) {
        self.shared.state.lock().write_behind_writes()
    }

    /// Records in the segment so far.
    pub fn record_count(&self) -> u64 {
        self.shared.state.lock().index.summary.record_count
    }

    /// Hands buffered records to the OS (readers then see them).
    pub fn flush(&self) -> Result<()> {
        let mut st = self.shared.state.lock();
        st.check_usable()?;
        st.flush_buf()
    }

    /// Flushes, then the bytes in the file (whole records), the sequence
    /// number after them and their digest (a signed segment's checkpoint),
    /// if records were added since the last call (`None` for none, or a
    /// segment no longer appended to).
    #[cfg(feature = "sign")]
    pub(crate) fn flush_whole(&self) -> Result<Option<(u64, u64, crate::sign::Digest)>> {
        let mut st = self.shared.state.lock();
        if st.check_usable().is_err() || st.next_seq == st.checkpointed_seq {
            return Ok(None);
        }
        st.flush_buf()?;
        st.checkpointed_seq = st.next_seq;
        Ok(Some((st.file_len, st.next_seq, st.digest(st.file_len)?)))
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

    /// See the field `numbers_past`: at least `next_seq` at the open.
    pub(crate) fn numbers_past(&self) -> u64 {
        self.numbers_past
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
        self.close_unsealed();
    }

    /// Closes the segment without sealing it, nothing written since the
    /// open: for a log that must not seal it yet (see
    /// `log::writer::open`, a segment cut above its records). One found
    /// ending stays ending: its `SEAL_BEGIN` frame is kept.
    pub(crate) fn close_unsealed(&self) {
        self.stop_flusher();
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

    /// Closes the segment's records for a rolling log that moves on to the
    /// next, and leaves `close` to the log: a `SEAL_BEGIN` frame follows the
    /// records, synced unless durability is `None` (`State::end_records`).
    /// Appends get `Closed` from now on. If the frame cannot be written the
    /// segment stays active; if it cannot be synced the writer is poisoned.
    pub(crate) fn end_records(&self) -> Result<()> {
        let next = {
            let mut st = self.shared.state.lock();
            st.end_records()?;
            st.next_seq
        };
        if self.shared.durability != Durability::None {
            self.shared.sync_upto(next, None)?;
        }
        Ok(())
    }

    /// Hands every buffered record to the OS, and lends the write buffers
    /// then idle to the next segment of a rolling log (see
    /// `State::flush_lending_buffers`).
    pub(crate) fn flush_lending_buffers(&self) -> Result<Recycled> {
        self.shared.state.lock().flush_lending_buffers()
    }

    /// Whether a failed fdatasync (of records or of the seal) poisoned the
    /// writer.
    pub(crate) fn is_poisoned(&self) -> bool {
        self.shared.state.lock().poisoned.is_some()
    }

    /// `close`, handing back the writer's buffers and index memory,
    /// emptied, for the next segment of its log (`open_for`).
    pub(crate) fn close_recycling(&self) -> Result<Recycled> {
        self.stop_flusher();
        let mut st = self.shared.state.lock();
        let result = st.close();
        // Set only when the seal's fdatasync covered every record.
        let durable_to = st.closed_durable.then_some(st.next_seq);
        let recycled = st.recycle();
        drop(st);
        if let Some(next) = durable_to {
            let sync = self.shared.group.sync.lock();
            self.shared.durable.fetch_max(next, Ordering::Release);
            self.shared.sync_ended(sync);
        }
        result.map(|()| recycled)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.close();
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
