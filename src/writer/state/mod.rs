//! The writer's mutable state, guarded by one mutex: the open file, the
//! buffer of encoded records not yet handed to the OS, the sequence counter,
//! the type table and the index.
//!
//! A write call appends its records in order. If it fails, the records of
//! the call that did not reach the file are rolled back (their sequence
//! numbers are reused) and a record that reached the file only in part is
//! cut off, so no reader or later writer sees a torn record. Each stage of
//! a record's way has its own file.

mod append;
mod close;
mod encode;
mod flush;
mod hand_off;
mod recycle;
mod seal;
mod validate;

pub use append::Entry;
use append::Pending;
pub(crate) use flush::Deadline;
pub use recycle::Recycled;
pub(crate) use validate::Measure;

use super::index::SegmentIndex;
use super::job::Tap;
use super::prealloc::Prealloc;
use super::prepared::Preparer;
use super::recover::Recovered;
use super::types::TypeTable;
use super::write_behind::{WriteBehind, PAIR_WAIT_MAX};
use crate::error::{Error, ErrorKind, Result};
use crate::writer::options::{Durability, Options};
use std::fs::File;
use std::path::PathBuf;

#[derive(Default)]
pub(crate) struct State {
    pub path: PathBuf,
    pub dir: PathBuf,
    /// Written at explicit offsets, but for `write_direct`, which seeks
    /// first: the write-behind thread's descriptor shares this one's file
    /// position and moves it (a pair's `writev`), so position-based I/O here
    /// waits until nothing is in flight (`flush_buf`).
    pub file: Option<File>,
    pub buf: Vec<u8>,
    /// Bytes in the file; the buffer's contents go after them.
    pub file_len: u64,
    pub next_seq: u64,
    pub types: TypeTable,
    pub index: SegmentIndex,
    pub since_sync: u64,
    pub poisoned: Option<Error>,
    /// A failure of the background flusher that no caller has seen: the
    /// next write call returns it, writing nothing. Its records stay
    /// buffered for the next flush, which makes it moot.
    pub flusher_failed: Option<Error>,
    /// Calls of `flush_buf` so far: the flusher keeps its failure only if
    /// no other flush came between its own and its taking the lock again.
    pub flushes: u64,
    pub buffer_size: usize,
    pub max_record_size: u64,
    /// fdatasync when sealing: every durability policy but `None`, which
    /// leaves writeback to the OS (a lost seal costs only a scan).
    pub sync_on_seal: bool,
    /// Writes full buffers in the background (durability policies that do
    /// not write through every call).
    write_behind: Option<WriteBehind>,
    /// Bytes handed to `write_behind` and not yet taken back written; the
    /// buffer's contents go after them.
    in_flight_len: u64,
    /// Frames in `buf` from this offset on have no CRC yet: they are sealed
    /// just before the buffer goes to the OS (see `frame::encode_unsealed`).
    unsealed_from: usize,
    /// A buffer in flight was handed off by the flusher (`hand_off_due`):
    /// a failure of its write is the flusher's, and a caller's flush
    /// retries the bytes it puts back instead of reporting it.
    flusher_in_flight: bool,
    /// Empty buffers to swap in at the next hand-offs.
    spare_bufs: Vec<Vec<u8>>,
    /// At a hand-off, the caller seals the buffer's frames itself when at
    /// least this many bytes are still in flight (the background thread is
    /// behind), and always for a signed segment; otherwise that thread does
    /// (see `hand_off`). More than one buffer; tests set 0 (always the
    /// caller) or `u64::MAX` (never, but for a signed segment).
    pub(super) caller_seals_from: u64,
    /// Full buffers are handed off at file offsets that are multiples of
    /// `unit_mask + 1` (see `hand_off`).
    unit_mask: u64,
    /// Where in `buf` the last record appended starts (`NO_RECORD` if it
    /// was not appended to this buffer).
    last_record_start: usize,
    /// The first `split_tail_len` bytes of `buf` end a record whose first
    /// part, in the last buffer handed off, `split_head` holds.
    split_tail_len: usize,
    split_head: Vec<u8>,
    /// Disk blocks reserved ahead of writes made on this thread.
    prealloc: Prealloc,
    /// Writes zeros ahead of the records instead of blocks reserved (a
    /// durability that syncs; see `writer::prepared`). Stopped before the
    /// file is sealed or closed.
    preparer: Option<Preparer>,
    /// Closed with a seal that was fdatasynced: every record is durable, so
    /// a durable write waiting on a sync that started late succeeds.
    pub closed_durable: bool,
    /// Closed without that (sealing failed, not in an fdatasync): every
    /// record below this sequence number is whole in the file, for a
    /// durable write still waiting to fdatasync (`sync_target_when_closed`).
    pub closed_written: Option<u64>,
    /// The segment is ending: its records are closed by a `SEAL_BEGIN`
    /// frame (see `end_records`). One way: appends are refused from then
    /// on, and `close` writes the rest of the seal.
    ending: bool,
    pending: Vec<Pending>,
    /// When the buffer's records must go to the OS (`Options::flush_delay`).
    pub deadline: Deadline,
    /// Holds a seal built in memory (`prebuild_seal`); kept for reuse.
    seal_buf: Vec<u8>,
    /// Signs the seal (`Options::signing`), of segment number
    /// `Options::segment_no`.
    #[cfg(feature = "sign")]
    signing: Option<(crate::sign::Signing, u64)>,
    /// Its running digest, fed every byte written (`job::Tap`).
    tap: Tap,
    /// The sequence number after the records of the last checkpoint
    /// (`Writer::flush_whole`).
    #[cfg(feature = "sign")]
    pub checkpointed_seq: u64,
}

/// `State::last_record_start` when the buffer holds no record appended to
/// it.
const NO_RECORD: usize = usize::MAX;

impl State {
    /// The state of a writer that opened `file` with `opts` and recovered
    /// it as `rec`; `recycled` is the memory a closed writer left. Full
    /// buffers are written in the background on `write_behind`, another
    /// descriptor of the file, if given. Disk blocks are reserved ahead of
    /// the writes, or zeros prepared under a durability that syncs (if it
    /// can start the thread that writes them), up to
    /// `Options::expected_size`.
    pub fn new(
        path: PathBuf,
        file: File,
        rec: Recovered,
        opts: &Options,
        recycled: Recycled,
        write_behind: Option<File>,
    ) -> Result<State> {
        let dir = crate::sys::parent_dir(&path).to_path_buf();
        let (file_len, buffer_size) = (rec.file_len, opts.buffer_size);
        let mut index = rec.index;
        index.adopt(recycled.index);
        let buf_capacity = hand_off::buf_capacity(buffer_size);
        // The buffers recycled that it can use: buffers of another size (a
        // log reopened with other options) or grown by an error path are
        // not kept.
        let mut spare_bufs: Vec<_> = (recycled.bufs.into_iter())
            .filter(|b| (buf_capacity..=2 * buf_capacity).contains(&b.capacity()))
            .collect();
        // Space prepared with zeros makes a sync cheaper (writer::prepared);
        // without syncs, reserved blocks make writes cheaper.
        let limit = opts.expected_size;
        let prealloc = || Prealloc::new(file_len, buffer_size, limit);
        let preparer = (opts.durability != Durability::None).then(|| {
            Preparer::start(&file, file_len, prealloc().chunk, limit.unwrap_or(u64::MAX)).ok()
        });
        let preparer = preparer.flatten();
        let zeros = preparer.as_ref().map(Preparer::handle);
        // A pair's first half waits for the second at most `flush_delay`.
        let write_behind = write_behind.map(|f| {
            let pair_wait = opts.flush_delay.unwrap_or(PAIR_WAIT_MAX);
            let prealloc = prealloc().zero_filled(zeros.clone());
            WriteBehind::start(f, prealloc, hand_off::pair_unit(buffer_size), pair_wait)
        });
        let write_behind =
            (write_behind.transpose()).map_err(|e| Error::io(&path, "start writer thread", e))?;
        Ok(State {
            path,
            dir,
            // Read before the file moves.
            #[cfg(feature = "sign")]
            tap: (opts.signing.as_ref()).map(|_| crate::sign::Running::tap(&file, file_len)),
            file: Some(file),
            buf: spare_bufs
                .pop()
                .unwrap_or_else(|| Vec::with_capacity(buf_capacity)),
            file_len,
            next_seq: rec.next_seq,
            types: rec.types,
            index,
            buffer_size,
            max_record_size: opts.max_record_size,
            sync_on_seal: opts.durability != Durability::None,
            // A segment reopened only to seal it that already ends in a
            // `SEAL_BEGIN` frame (its seal failed, or its writer died before
            // writing the rest) is ending: a seal that fails again keeps the
            // frame.
            ending: rec.seal_begun,
            spare_bufs,
            caller_seals_from: hand_off::caller_seals_from(buffer_size),
            unit_mask: hand_off::hand_off_unit(buffer_size) - 1,
            last_record_start: NO_RECORD,
            prealloc: prealloc().zero_filled(zeros),
            preparer,
            write_behind,
            seal_buf: recycled.seal,
            #[cfg(feature = "sign")]
            signing: opts.signing.clone().map(|s| (s, opts.segment_no)),
            ..State::default()
        })
    }

    /// Bytes of the segment: in the file, in flight and buffered.
    pub fn len(&self) -> u64 {
        self.file_len + self.in_flight_len + self.buf.len() as u64
    }

    pub fn check_usable(&self) -> Result<()> {
        if self.file.is_none() {
            return Err(self.closed("writer is closed"));
        }
        if let Some(p) = &self.poisoned {
            return Err(p.clone());
        }
        Ok(())
    }

    /// A `Closed` error of this segment, saying `why`.
    pub(super) fn closed(&self, why: &str) -> Error {
        Error::file(ErrorKind::Closed, &self.path, why)
    }
}
