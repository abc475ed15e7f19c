//! The writer's mutable state, guarded by one mutex: the open file, the
//! buffer of encoded records not yet handed to the OS, the sequence counter,
//! the type table and the index.
//!
//! A write call appends its records in order. If it fails, the records of the
//! call that did not reach the file are rolled back (their sequence numbers
//! are reused) and a record that reached the file only in part is cut off, so
//! neither a reader nor a later writer ever sees a torn record. Records of
//! earlier calls still in the buffer stay there for the next flush.

use super::behind::{Failed, Job, DEPTH};
use super::index::{IndexVecs, SealOut, SegmentIndex};
use super::prealloc::Prealloc;
use super::types::{TypeRef, TypeTable};
use crate::error::{Error, ErrorKind, Result};
use crate::format::frame::{self, RecordHead};
use crate::format::{seal, FRAME_HEADER_LEN, MAX_TYPE_NAME_LEN};
use std::fs::File;
use std::io::{self, IoSlice, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

/// One record to write.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    pub type_name: &'a str,
    pub meta: &'a [(&'a str, &'a str)],
    /// Nanoseconds since the Unix epoch; `None` takes the clock.
    pub timestamp_ns: Option<i64>,
    /// The payload, gathered from these parts in order.
    pub parts: &'a [&'a [u8]],
}

/// Memory a closed writer leaves to the next segment of its log: its
/// buffers, its seal's buffer and its index arrays, emptied. A rolling log
/// passes it on so that the new segment does not fault in fresh pages for
/// all of them: with 64 MiB segments of 600 B records that is several MB a
/// roll, and keeping it made a fresh process's rolling log about 18% faster
/// on the benchmark VM (median of 7 interleaved runs).
#[derive(Default)]
pub struct Recycled {
    pub(super) bufs: Vec<Vec<u8>>,
    pub(super) seal: Vec<u8>,
    index: IndexVecs,
}

impl Recycled {
    /// This memory, completed with `other`'s where it has none: a rolling
    /// log combines the write buffers a segment it rolls away from leaves at
    /// once (`State::end_records`) with the seal and index memory an earlier
    /// segment left when its sealing ended.
    pub fn or(mut self, other: Recycled) -> Recycled {
        if self.bufs.is_empty() {
            self.bufs = other.bufs;
        }
        if self.seal.capacity() == 0 {
            self.seal = other.seal;
        }
        if self.index.is_unallocated() {
            self.index = other.index;
        }
        self
    }
}

struct Pending {
    type_id: u32,
    defines: bool,
    offset: u64,
    seq: u64,
    ts: i64,
    len: u64,
}

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
    /// A failure of the background flusher (`Durability::Interval`) that
    /// no caller has seen: the next write call returns it, writing nothing.
    /// Its records stay buffered and the next flush retries them; a flush
    /// first (`flush_buf`, whose caller reports its result) makes it moot,
    /// whether it succeeds or fails.
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
    behind: Option<super::behind::WriteBehind>,
    /// Bytes handed to `behind` and not yet reaped; the buffer's contents
    /// go after them.
    inflight: u64,
    /// Frames in `buf` from this offset on have no CRC yet: they are sealed
    /// just before the buffer goes to the OS (see `frame::encode_unsealed`).
    unsealed_from: usize,
    /// Empty buffers to swap in at the next hand-offs.
    spare: Vec<Vec<u8>>,
    /// At a hand-off, the caller seals the buffer's frames itself when at
    /// least this many bytes are still in flight (the background thread is
    /// behind); otherwise that thread does (see `hand_off`). More than one
    /// buffer; tests set 0 (always the caller) or `u64::MAX` (never).
    pub(super) caller_seals_from: u64,
    /// Full buffers are handed off at file offsets that are multiples of
    /// `unit_mask + 1` (see `hand_off`).
    unit_mask: u64,
    /// Where in `buf` the last record appended starts (`NONE` if it was not
    /// appended to this buffer).
    last_start: usize,
    /// The first `lead` bytes of `buf` end a record whose first part, in
    /// the last buffer handed off, `lead_head` holds.
    lead: usize,
    lead_head: Vec<u8>,
    /// Disk blocks reserved ahead of writes made on this thread.
    prealloc: Prealloc,
    /// The segment's expected size, past which nothing is reserved.
    reserve_limit: Option<u64>,
    /// Closed with a seal that was fdatasynced: every record is durable, so
    /// a durable write waiting on a sync that started late succeeds.
    pub closed_durable: bool,
    /// Closed without that (sealing failed, not in an fdatasync): every
    /// record below this sequence number is whole in the file, which a
    /// durable write still waiting may fdatasync itself (see `Shared::lead`)
    /// rather than fail although its record was written. `None` if that is
    /// not known.
    pub closed_written: Option<u64>,
    /// The segment is ending: its records are closed by a `SEAL_BEGIN`
    /// frame (see `end_records`). One way: appends are refused from then
    /// on, and `close` writes the rest of the seal.
    ending: bool,
    pending: Vec<Pending>,
    /// Holds a seal built in memory (`prebuild_seal`); kept for reuse.
    seal_buf: Vec<u8>,
}

impl State {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        path: PathBuf,
        file: File,
        file_len: u64,
        next_seq: u64,
        types: TypeTable,
        index: SegmentIndex,
        buffer_size: usize,
        max_record_size: u64,
        recycled: Recycled,
    ) -> State {
        let dir = crate::sys::parent_dir(&path).to_path_buf();
        let mut index = index;
        index.adopt(recycled.index);
        // Buffers of another size (a log reopened with other options) or
        // grown by an error path are not kept.
        let want = buffer_size.max(4096) * 2;
        let mut spare: Vec<Vec<u8>> = recycled
            .bufs
            .into_iter()
            .filter(|b| (want..=2 * want).contains(&b.capacity()))
            .collect();
        State {
            path,
            dir,
            file: Some(file),
            buf: spare.pop().unwrap_or_else(|| Vec::with_capacity(want)),
            file_len,
            next_seq,
            types,
            index,
            since_sync: 0,
            poisoned: None,
            flusher_failed: None,
            flushes: 0,
            buffer_size,
            max_record_size,
            sync_on_seal: true,
            closed_durable: false,
            closed_written: None,
            ending: false,
            behind: None,
            inflight: 0,
            spare,
            // A pair's first half waits in flight for the second (see
            // `behind`): the thread is behind only with more than a pair.
            caller_seals_from: buffer_size as u64 + pair_unit(buffer_size).map_or(0, |u| u) + 1,
            unit_mask: hand_off_unit(buffer_size) - 1,
            last_start: NONE,
            lead: 0,
            lead_head: Vec::new(),
            unsealed_from: 0,
            prealloc: Prealloc::new(file_len, buffer_size, None),
            reserve_limit: None,
            pending: Vec::new(),
            seal_buf: recycled.seal,
        }
    }

    /// After `close`: the memory the next segment of a log can reuse
    /// (nothing while open).
    pub fn recycle(&mut self) -> Recycled {
        if self.file.is_some() {
            return Recycled::default();
        }
        // Spare buffers are kept empty (see `reap` and `close`).
        let bufs = std::mem::take(&mut self.spare);
        let mut seal = std::mem::take(&mut self.seal_buf);
        seal.clear();
        Recycled {
            bufs,
            seal,
            index: self.index.take_vecs(),
        }
    }

    /// Bytes of the segment: in the file, in flight and buffered.
    pub fn len(&self) -> u64 {
        self.file_len + self.inflight + self.buf.len() as u64
    }

    /// Reserves disk blocks only up to `limit` (see `Options::expected_size`).
    /// Called before `write_behind`.
    pub fn reserve_up_to(&mut self, limit: Option<u64>) {
        self.reserve_limit = limit;
        self.prealloc = Prealloc::new(self.len(), self.buffer_size, limit);
    }

    /// Starts writing full buffers in the background on a second descriptor.
    pub fn write_behind(&mut self, file: File) -> Result<()> {
        let b = super::behind::WriteBehind::start(
            file,
            Prealloc::new(self.len(), self.buffer_size, self.reserve_limit),
            pair_unit(self.buffer_size),
        )
        .map_err(|e| Error::io(&self.path, "start writer thread", e))?;
        self.behind = Some(b);
        Ok(())
    }

    pub fn check_usable(&self) -> Result<()> {
        if self.file.is_none() {
            return Err(Error::file(
                ErrorKind::Closed,
                &self.path,
                "writer is closed",
            ));
        }
        if let Some(p) = &self.poisoned {
            return Err(p.clone());
        }
        Ok(())
    }

    /// Appends the records of one call and returns the first one's sequence
    /// number. With `write_through` the records are handed to the OS before
    /// returning.
    pub fn append(&mut self, entries: &[Entry<'_>], now: i64, write_through: bool) -> Result<u64> {
        self.check_usable()?;
        if self.flusher_failed.is_some() {
            return Err(self.told_flusher_failure());
        }
        if self.ending {
            return Err(Error::file(
                ErrorKind::Closed,
                &self.path,
                "the log rolled away from this segment",
            ));
        }
        let first_seq = self.next_seq;
        let types_before = self.types.len();
        if let [e] = entries {
            // One record (the common call): no loop and no pending list,
            // whose set-up cost about 75 instructions a call.
            let mut one = None;
            let result = self
                .encode_one(e, now, &mut None, &mut |p| one = Some(p))
                .and_then(|()| self.write_through(write_through));
            if let (Ok(()), Some(p)) = (&result, &one) {
                self.index_record(p);
                // The next call's record is likely as long as this one.
                // Small records share lines the last store already took:
                // for them, one line some calls ahead.
                if p.len >= PREFETCH_WRITE_FROM {
                    crate::prefetch::prefetch_write(&mut self.buf, p.len as usize);
                } else {
                    crate::prefetch::prefetch_write_ahead(&mut self.buf, PREFETCH_WRITE_AHEAD);
                }
                return Ok(first_seq);
            }
            return self.keep(one.as_slice(), result, types_before, 1, first_seq);
        }
        // Every entry is checked before any is encoded: a batch refused
        // writes nothing and takes no sequence number (a record larger than
        // the buffer goes to the file as soon as it is encoded).
        self.validate(entries)?;
        let mut pending = std::mem::take(&mut self.pending);
        pending.clear();
        let result = self
            .encode_all(entries, now, &mut pending)
            .and_then(|()| self.write_through(write_through));
        let kept = self.keep(&pending, result, types_before, entries.len(), first_seq);
        self.pending = pending;
        kept
    }

    /// Takes the background flusher's failure to return it (out of the way
    /// of `append`, which only tests for one: no store a call).
    #[cold]
    #[inline(never)]
    fn told_flusher_failure(&mut self) -> Error {
        self.flusher_failed.take().expect("checked")
    }

    /// Checks that every entry of a batch can be encoded, exactly as
    /// `encode_one` will encode it (the same type ids and definitions, so
    /// the same sizes), without changing anything: a name too long, a
    /// record above the size limit, sequence numbers running out.
    fn validate(&mut self, entries: &[Entry<'_>]) -> Result<()> {
        if u64::MAX - self.next_seq < entries.len() as u64 {
            return Err(Error::file(
                ErrorKind::InvalidArgument,
                &self.path,
                format!(
                    "sequence numbers exhausted: {} records from {}; no record of this call was written",
                    entries.len(),
                    self.next_seq
                ),
            ));
        }
        if self.clearly_fit(entries) {
            return Ok(());
        }
        let known = self.types.len();
        // Types this batch defines, in order: their ids follow the known.
        let mut defined: Vec<&str> = Vec::new();
        let mut same: Option<(&str, u32)> = None;
        for (i, e) in entries.iter().enumerate() {
            let refused = |err: Error| {
                err.with_detail(|d| Error::refused_entry(i, entries.len(), d))
                    .in_file(&self.path)
            };
            let ty = match same {
                Some((name, id)) if std::ptr::eq(name, e.type_name) => {
                    TypeRef { id, defines: false }
                }
                _ => match self.types.lookup(e.type_name).map_err(refused)? {
                    TypeRef { defines: false, id } => TypeRef { id, defines: false },
                    TypeRef { defines: true, .. } => {
                        match defined.iter().position(|d| *d == e.type_name) {
                            Some(at) => TypeRef {
                                id: (known + at) as u32,
                                defines: false,
                            },
                            None => {
                                defined.push(e.type_name);
                                TypeRef {
                                    id: (known + defined.len() - 1) as u32,
                                    defines: true,
                                }
                            }
                        }
                    }
                },
            };
            same = Some((e.type_name, ty.id));
            let head = RecordHead {
                seq: 0,
                timestamp_ns: 0,
                type_id: ty.id,
                define: ty.defines.then_some(e.type_name.as_bytes()),
                meta: e.meta,
            };
            let total = ((FRAME_HEADER_LEN as u64).saturating_add(head.encoded_len() as u64))
                .saturating_add(frame::total_len(e.parts));
            if total > self.max_record_size {
                return Err(refused(self.too_large(e.type_name, total)));
            }
        }
        Ok(())
    }

    /// Whether every entry is below the size limit by a bound that needs
    /// no type lookup and no exact encoding (every record's frame as if it
    /// defined its type with the largest id), its type name is short enough
    /// and the batch cannot run out of type ids: then `validate` has nothing
    /// to find. The common case, in a few instructions an entry (the exact
    /// check cost a batch of 32-byte records 70 instructions a record).
    #[inline]
    fn clearly_fit(&self, entries: &[Entry<'_>]) -> bool {
        if self.types.len().saturating_add(entries.len()) > u32::MAX as usize {
            return false;
        }
        entries.iter().all(|e| {
            let payload = match e.parts {
                [p] => p.len() as u64,
                parts => frame::total_len(parts),
            };
            e.type_name.len() <= MAX_TYPE_NAME_LEN
                && frame::frame_len_bound(e.type_name, e.meta, payload) <= self.max_record_size
        })
    }

    #[cold]
    #[inline(never)]
    fn too_large(&self, type_name: &str, total: u64) -> Error {
        Error::file(
            ErrorKind::RecordTooLarge,
            &self.path,
            format!(
                "record of type {type_name:?} encodes to {total} bytes, above the maximum record size {}",
                self.max_record_size
            ),
        )
    }

    /// Adds a record that is kept to the segment's index.
    #[inline(always)]
    fn index_record(&mut self, p: &Pending) {
        self.index
            .add(p.type_id, p.offset, p.seq, p.ts, p.len, &self.dir);
    }

    fn write_through(&mut self, yes: bool) -> Result<()> {
        if yes {
            self.flush_buf()
        } else {
            Ok(())
        }
    }

    /// Indexes the records of a call that are kept: every one on success; on
    /// failure only those whole in the file. Records handed to the
    /// background writer count as written: if that write fails they stay
    /// pending, like any buffered record. The others are rolled back (their
    /// sequence numbers and type definitions reused).
    fn keep(
        &mut self,
        pending: &[Pending],
        result: Result<()>,
        types_before: usize,
        entries: usize,
        first_seq: u64,
    ) -> Result<u64> {
        if result.is_ok() {
            // Every record is kept (the common case, without the checks).
            for p in pending {
                self.index_record(p);
            }
            return Ok(first_seq);
        }
        // A record partly handed off is written with the next buffer.
        let keep_below = self.file_len + self.inflight + self.lead as u64;
        let mut kept = 0;
        let mut defined = 0;
        for p in pending {
            if p.offset + p.len > keep_below {
                break;
            }
            self.index_record(p);
            defined += p.defines as usize;
            kept += 1;
        }
        if let Some(first_lost) = pending.get(kept) {
            self.next_seq = first_lost.seq;
            // Saturating: after a panic on the write-behind thread, the
            // file may end inside a record the failure did not account for
            // (the writer is poisoned then).
            self.buf.truncate(
                first_lost
                    .offset
                    .saturating_sub(self.file_len + self.inflight) as usize,
            );
            self.unsealed_from = self.unsealed_from.min(self.buf.len());
            self.last_start = NONE;
            self.types.truncate(types_before + defined);
        }
        match result {
            // A write failed (a batch's entries were all checked first):
            // every record before it may be written, or none.
            Err(e) if entries > 1 || kept < pending.len() => Err(e.with_detail(|d| {
                format!("{d} ({kept} of {entries} records of this call were written)")
            })),
            result => result.map(|()| first_seq),
        }
    }

    fn encode_all(
        &mut self,
        entries: &[Entry<'_>],
        now: i64,
        pending: &mut Vec<Pending>,
    ) -> Result<()> {
        // A batch names its type with the same string again and again (the
        // C ABI passes one validated name per run of entries): the same
        // string as the last entry's is the same type, with no lookup. Only
        // within this call, where the strings cannot change.
        let mut same: Option<(&str, u32)> = None;
        for e in entries {
            self.encode_one(e, now, &mut same, &mut |p| pending.push(p))?;
        }
        Ok(())
    }

    /// Encodes one record into the buffer (or writes it directly if larger
    /// than the buffer), reports it to `record` as soon as it is encoded (so
    /// that a failing hand-off that follows rolls it back), and hands a full
    /// buffer off. `same` caches the last entry's type string and id.
    #[inline(always)]
    fn encode_one<'e>(
        &mut self,
        e: &Entry<'e>,
        now: i64,
        same: &mut Option<(&'e str, u32)>,
        record: &mut impl FnMut(Pending),
    ) -> Result<()> {
        if self.next_seq == u64::MAX {
            return Err(Error::file(
                ErrorKind::InvalidArgument,
                &self.path,
                "sequence numbers exhausted",
            ));
        }
        let ty = match *same {
            Some((name, id)) if std::ptr::eq(name, e.type_name) => TypeRef { id, defines: false },
            _ => self
                .types
                .lookup(e.type_name)
                .map_err(|err| err.in_file(&self.path))?,
        };
        *same = Some((e.type_name, ty.id));
        let head = RecordHead {
            seq: self.next_seq,
            timestamp_ns: e.timestamp_ns.unwrap_or(now),
            type_id: ty.id,
            define: ty.defines.then_some(e.type_name.as_bytes()),
            meta: e.meta,
        };
        // One part is the rule: no (vectorised, long-prologue) sum loop.
        // Saturating, here and below: lengths that add up past 2^64 are
        // above any size limit, not a small record.
        let payload_len: u64 = match e.parts {
            [p] => p.len() as u64,
            parts => frame::total_len(parts),
        };
        let total = ((FRAME_HEADER_LEN as u64).saturating_add(head.encoded_len() as u64))
            .saturating_add(payload_len);
        if total > self.max_record_size {
            return Err(self.too_large(e.type_name, total));
        }
        let offset = self.file_len + self.inflight + self.buf.len() as u64;
        if total > self.buffer_size as u64 {
            self.flush_buf()?;
            self.write_direct(&head, e.parts, total)?;
        } else {
            self.last_start = self.buf.len();
            frame::encode_unsealed(&mut self.buf, &head, e.parts);
        }
        if ty.defines {
            self.types.define(e.type_name);
        }
        record(Pending {
            type_id: ty.id,
            defines: ty.defines,
            offset,
            seq: self.next_seq,
            ts: head.timestamp_ns,
            len: total,
        });
        self.next_seq += 1;
        if self.buf.len() >= self.buffer_size || self.passes_unit() {
            self.hand_off()?;
        }
        Ok(())
    }

    /// Whether the buffered bytes reach the next multiple of the hand-off
    /// unit in the file.
    #[inline(always)]
    fn passes_unit(&self) -> bool {
        let start = self.file_len + self.inflight;
        start + self.buf.len() as u64 > start | self.unit_mask
    }

    /// Hands the full buffer to the background writer (first waiting, if
    /// [`DEPTH`] buffers are in flight, for the oldest to be written), or
    /// writes it here without one.
    ///
    /// The buffer is cut at the last multiple of the hand-off unit it
    /// reaches, even inside a record, and the bytes after the cut start the
    /// next buffer: every background write then covers whole aligned units
    /// of the file. The page cache keeps the pages of such a write in one
    /// large folio (2 MiB with a buffer of 2 MiB or more, on Linux 6.x
    /// filesystems with large folios), which a reader's mapping then maps
    /// with one page-table entry: reading the records of one rare type
    /// through the index took 88 ns a record against 1.3 us in 4 KiB pages
    /// (measured on the benchmark VM).
    fn hand_off(&mut self) -> Result<()> {
        if self.behind.is_none() {
            return self.flush_buf();
        }
        self.reap(DEPTH - 1)?;
        let offset = self.file_len + self.inflight;
        let end = offset + self.buf.len() as u64;
        let cut = end & !self.unit_mask;
        // Only inside the last record appended (the one that crossed the
        // boundary) or at its start: never inside the bytes at the front
        // that end a record of the buffer before.
        let split = if self.last_start != NONE
            && cut > offset
            && cut >= offset + self.last_start as u64
            && cut < end
        {
            (cut - offset) as usize
        } else {
            self.buf.len()
        };
        // Whichever thread has time fills in the CRCs. With small records
        // the caller's encoding is the bottleneck (the CRC was a quarter of
        // its time with 32-byte records) and the background thread mostly
        // waits on the kernel's copy: that thread seals. With large records
        // the kernel's copy is the bottleneck and buffers queue up: this
        // thread seals, as when it is more than one buffer ahead.
        if self.inflight >= self.caller_seals_from {
            self.seal_buffered();
        }
        // A record the cut falls inside (or at) is sealed here: its parts
        // go out in two writes, and a failure returns its first part as
        // sealed bytes.
        let end = if split < self.buf.len() {
            if self.last_start >= self.unsealed_from {
                frame::seal_frames(&mut self.buf[self.last_start..]);
            }
            self.last_start
        } else {
            self.buf.len()
        };
        let unsealed = self.unsealed_from.min(end)..end;
        let mut next = self
            .spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.buf.capacity()));
        next.extend_from_slice(&self.buf[split..]);
        let (lead, head) = if split > self.last_start && split < self.buf.len() {
            // `next` starts inside the last record.
            (next.len(), self.buf[self.last_start..split].to_vec())
        } else {
            (0, Vec::new())
        };
        self.buf.truncate(split);
        let full = std::mem::replace(&mut self.buf, next);
        let job = Job {
            buf: full,
            offset,
            lead: std::mem::replace(&mut self.lead, lead),
            head: std::mem::replace(&mut self.lead_head, head),
            unsealed,
        };
        // What stays was sealed above.
        self.unsealed_from = self.buf.len();
        self.last_start = NONE;
        self.inflight += job.buf.len() as u64;
        self.behind.as_ref().expect("checked").submit(job);
        Ok(())
    }

    /// Jobs whose CRCs the write-behind thread filled in (see `hand_off`).
    #[cfg(test)]
    pub fn sealed_behind(&self) -> usize {
        self.behind.as_ref().map_or(0, |b| b.sealed_here())
    }

    /// The write-behind thread (tests reach it to make it panic).
    #[cfg(test)]
    pub fn behind(&self) -> &super::behind::WriteBehind {
        self.behind.as_ref().expect("a write-behind thread")
    }

    /// Waits until every buffer in flight is written (or one failed).
    fn settle(&mut self) -> Result<()> {
        self.reap(0)
    }

    /// Waits until at most `max_in_flight` buffers are in flight and takes
    /// what the background writer finished. On failure the unwritten bytes
    /// go back to the front of the buffer, to be retried by the next flush,
    /// and the error is returned.
    fn reap(&mut self, max_in_flight: usize) -> Result<()> {
        if self.inflight == 0 {
            return Ok(());
        }
        let reaped = self.behind.as_ref().expect("in flight").reap(max_in_flight);
        for mut buf in reaped.written {
            self.file_len += buf.len() as u64;
            self.inflight -= buf.len() as u64;
            buf.clear();
            self.spare.push(buf);
        }
        let Some(Failed {
            whole,
            cut_back,
            mut rest,
            err,
            cut_err,
        }) = reaped.failed
        else {
            return Ok(());
        };
        self.file_len = self.file_len + whole - cut_back;
        self.inflight = 0;
        // `rest` ends where the buffer starts: a record cut across both is
        // whole again.
        self.lead = 0;
        self.lead_head = Vec::new();
        self.last_start = NONE;
        // `rest` is sealed (see `behind::Failed::rest`).
        self.unsealed_from += rest.len();
        rest.extend_from_slice(&self.buf);
        self.buf = rest;
        if let Some(e) = cut_err {
            self.poisoned = Some(Error::at(
                ErrorKind::Poisoned,
                &self.path,
                self.file_len,
                // `e` is why: cutting failed, or the thread panicked.
                format!(
                    "after a failed write the file could not be made to end on a whole record: {e}"
                ),
            ));
        }
        Err(Error::io_at(&self.path, self.file_len, "write", err))
    }

    /// Hands the buffer to the OS (after the buffers in flight). On failure,
    /// whole records that reached the file stay (they leave the buffer), a
    /// partial record is cut off, and the rest stays buffered.
    pub fn flush_buf(&mut self) -> Result<()> {
        // Every caller of this one reports its result: a background
        // flusher's failure not yet told is retried here, and told now
        // (this attempt's failure), or moot (it succeeds). Kept, it would
        // fail the next write call once the cause has gone.
        self.flusher_failed = None;
        self.flushes += 1;
        self.settle()?;
        if self.buf.is_empty() {
            return Ok(());
        }
        self.seal_buffered();
        let file = self.file.as_ref().expect("checked open");
        self.prealloc
            .ensure(file, self.file_len, self.file_len + self.buf.len() as u64);
        let mut written = 0usize;
        while written < self.buf.len() {
            match file.write_at(&self.buf[written..], self.file_len + written as u64) {
                Ok(0) => return self.partial_write(written, io::ErrorKind::WriteZero.into()),
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.partial_write(written, e),
            }
        }
        self.file_len += self.buf.len() as u64;
        self.buf.clear();
        self.unsealed_from = 0;
        self.last_start = NONE;
        self.lead = 0;
        self.lead_head.clear();
        Ok(())
    }

    /// Fills in the CRCs of the buffered frames that lack one.
    fn seal_buffered(&mut self) {
        frame::seal_frames(&mut self.buf[self.unsealed_from..]);
        self.unsealed_from = self.buf.len();
    }

    fn partial_write(&mut self, written: usize, err: io::Error) -> Result<()> {
        self.last_start = NONE;
        if written < self.lead {
            // The record begun in the last buffer handed off is not whole in
            // the file: cut it off from where it starts, and buffer it all.
            let mut whole_record = std::mem::take(&mut self.lead_head);
            let at = self.file_len - whole_record.len() as u64;
            self.cut_file(at);
            whole_record.extend_from_slice(&self.buf);
            self.buf = whole_record;
            self.lead = 0;
            self.unsealed_from = self.buf.len();
            self.file_len = at;
            return Err(Error::io_at(&self.path, at, "write", err));
        }
        let whole = self.lead + complete_frames(&self.buf[self.lead..written]);
        self.lead = 0;
        self.lead_head.clear();
        let at = self.file_len + whole as u64;
        if whole < written {
            self.cut_file(at);
        }
        self.buf.drain(..whole);
        self.unsealed_from = self.buf.len();
        self.file_len = at;
        Err(Error::io_at(&self.path, at, "write", err))
    }

    /// Cuts a partial record off the end of the file; if even that fails the
    /// file can no longer be trusted and the writer is poisoned.
    fn cut_file(&mut self, len: u64) {
        let file = self.file.as_ref().expect("checked open");
        if let Err(e) = file.set_len(len) {
            self.poisoned = Some(Error::at(
                ErrorKind::Poisoned,
                &self.path,
                len,
                format!("could not cut a partial record after a failed write: {e}"),
            ));
        }
    }

    /// Writes one record larger than the buffer straight from the caller's
    /// buffers, with one gathering write.
    fn write_direct(&mut self, head: &RecordHead<'_>, parts: &[&[u8]], total: u64) -> Result<()> {
        let mut h = Vec::with_capacity(FRAME_HEADER_LEN + head.encoded_len());
        h.extend_from_slice(&[0u8; FRAME_HEADER_LEN]);
        head.encode(&mut h);
        let mut crc = crc32fast::Hasher::new();
        crc.update(&h[FRAME_HEADER_LEN..]);
        for p in parts {
            crc.update(p);
        }
        h[0..4].copy_from_slice(&((total - FRAME_HEADER_LEN as u64) as u32).to_le_bytes());
        h[4..8].copy_from_slice(&crc.finalize().to_le_bytes());
        let mut slices: Vec<IoSlice<'_>> = std::iter::once(&h[..])
            .chain(parts.iter().copied())
            .map(IoSlice::new)
            .collect();
        let mut file = self.file.as_ref().expect("checked open");
        self.prealloc
            .ensure(file, self.file_len, self.file_len + total);
        let result = file
            .seek(SeekFrom::Start(self.file_len))
            .and_then(|_| write_all_vectored(file, &mut slices));
        match result {
            Ok(()) => {
                self.file_len += total;
                Ok(())
            }
            Err(e) => {
                self.cut_file(self.file_len);
                Err(Error::io_at(&self.path, self.file_len, "write", e))
            }
        }
    }

    /// Closes the records of a segment that a rolling log rolls away from:
    /// every record is handed to the OS and a `SEAL_BEGIN` frame is written
    /// after them, so that a log reader that finds the next segment reads
    /// this one to its end and knows it is complete. The rest of the seal
    /// is left to `close`, maybe on another thread. One way: appends are
    /// refused from now on. A failure leaves the segment as it was (active,
    /// its records buffered or in the file, no `SEAL_BEGIN`). Returns the
    /// write buffers, for the next segment.
    pub fn end_records(&mut self) -> Result<Recycled> {
        self.check_usable()?;
        self.flush_buf()?;
        let begin = seal::encode_seal_begin(self.index.record_count);
        let file = self.file.as_ref().expect("checked open");
        self.prealloc
            .ensure(file, self.file_len, self.file_len + begin.len() as u64);
        if let Err(e) = file.write_all_at(&begin, self.file_len) {
            // Part of the frame may be in the file: this writer's own bytes,
            // past every record.
            self.cut_file(self.file_len);
            return Err(Error::io_at(&self.path, self.file_len, "write seal", e));
        }
        self.ending = true;
        Ok(Recycled {
            bufs: std::mem::take(&mut self.spare),
            ..Recycled::default()
        })
    }

    /// A segment reopened only to seal it that already ends in a
    /// `SEAL_BEGIN` frame (its seal failed, or its writer died before
    /// writing the rest) is ending: a seal that fails again keeps the
    /// frame.
    pub fn mark_ending(&mut self) {
        self.ending = true;
    }

    /// See `Writer::is_ending`.
    pub fn is_ending(&self) -> bool {
        self.ending
    }

    /// Closes the file without a seal (see `Writer::discard`): nothing is
    /// buffered or in flight in a segment that holds no record.
    pub fn close_unsealed(&mut self) {
        let _ = self.settle();
        self.behind = None;
        if let Some(file) = self.file.take() {
            crate::writer::prealloc::release(&file, self.file_len);
            crate::sys::unlock(&file);
        }
    }

    /// Flushes, writes the seal and syncs, then closes the file (even when
    /// sealing fails, so the lock is always released).
    pub fn close(&mut self) -> Result<()> {
        if self.file.is_none() {
            return Ok(());
        }
        let flushed = self.check_usable().and_then(|()| self.flush_for_close());
        let sealing = flushed.is_ok();
        let result = flushed.and_then(|seal| self.seal(seal));
        self.closed_durable = result.is_ok() && self.sync_on_seal;
        // Stop the background writer (its buffers were settled by
        // flush_buf, or are lost with the error being returned).
        let _ = self.settle();
        self.behind = None;
        if result.is_err() && self.poisoned.is_none() {
            self.closed_written = self.written_below();
        }
        let file = self.file.take().expect("open");
        if !sealing {
            // The seal truncates the file, releasing the blocks reserved
            // past its end; without one, release them here.
            crate::writer::prealloc::release(&file, self.unsealed_len());
        }
        crate::sys::unlock(&file);
        drop(file);
        let lost = self.buf.len();
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        self.spare.push(buf);
        self.unsealed_from = 0;
        result.map_err(|e| {
            if lost > 0 {
                e.with_detail(|d| format!("{d}; {lost} buffered bytes of records were not written"))
            } else {
                e
            }
        })
    }

    /// Hands every buffered record to the OS for `close`, with the seal
    /// built meanwhile when it can be (`prebuild_seal`). A write-behind
    /// failure not yet reported comes back here, its bytes returned to the
    /// buffer; another call would retry them, but none can once the writer
    /// is closed. So they are written once more, directly (unless the
    /// failure left the file suspect), and the seal built afterwards: a
    /// cause that has gone (space freed, a limit raised) then loses
    /// nothing, and one that persists fails the same way.
    fn flush_for_close(&mut self) -> Result<Option<Vec<u8>>> {
        let first = self
            .prebuild_seal()
            .and_then(|seal| self.flush_buf().map(|()| seal));
        match first {
            Err(_) if self.poisoned.is_none() => self.flush_buf().map(|()| None),
            done => done,
        }
    }

    /// The sequence number below which every record is whole in the file,
    /// once nothing is in flight: all of them, or all but the whole frames
    /// left in the buffer by a failed write. `None` if the buffer does not
    /// start with a record (it ends one begun in a buffer handed off).
    fn written_below(&self) -> Option<u64> {
        if self.inflight > 0 || self.lead > 0 {
            return None;
        }
        let mut pos = 0;
        let mut left = 0u64;
        while let Some(len) = self.buf.get(pos..pos + 4) {
            pos += FRAME_HEADER_LEN + u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
            left += 1;
        }
        (pos == self.buf.len()).then(|| self.next_seq - left)
    }

    /// With a background writer: hands it the last, partly filled buffer
    /// and builds the seal in memory while it drains, instead of building
    /// it after (a log's roll waited for both in turn). Only for seals up to
    /// `PREBUILT_SEAL_MAX`: a larger one is written piece by piece later,
    /// because faulting in a fresh buffer for it cost more than the overlap
    /// saved (closing a 447k-record segment: 4.7 ms against 3.3).
    fn prebuild_seal(&mut self) -> Result<Option<Vec<u8>>> {
        const PREBUILT_SEAL_MAX: u64 = 2 << 20;
        let records_end = self.len();
        let estimate = self
            .index
            .seal_estimate(self.types.names())
            .len(self.index.record_count, records_end);
        if self.behind.is_none() || estimate > PREBUILT_SEAL_MAX {
            return Ok(None);
        }
        if !self.buf.is_empty() {
            self.hand_off()?;
        }
        let mut bytes = std::mem::take(&mut self.seal_buf);
        bytes.clear();
        bytes.reserve(estimate as usize);
        let mut out = SealOut::Memory {
            base: records_end,
            bytes,
        };
        self.index
            .write_seal(&mut out, &self.path, records_end, self.types.names())?;
        match out {
            SealOut::Memory { bytes, .. } => Ok(Some(bytes)),
            SealOut::File(_) => unreachable!("built in memory"),
        }
    }

    /// Writes the seal (`prebuilt`, or built here), truncates the file to
    /// its end and syncs it if the durability asks for it.
    fn seal(&mut self, prebuilt: Option<Vec<u8>>) -> Result<()> {
        let file = self.file.as_ref().expect("open");
        let records_end = self.file_len;
        let written = match prebuilt {
            Some(bytes) => {
                let r = file
                    .write_all_at(&bytes, records_end)
                    .map(|()| records_end + bytes.len() as u64)
                    .map_err(|e| Error::io_at(&self.path, records_end, "write seal", e));
                self.seal_buf = bytes;
                r
            }
            None => self.index.write_seal(
                &mut SealOut::File(file),
                &self.path,
                records_end,
                self.types.names(),
            ),
        };
        let sealed = written.and_then(|len| {
            file.set_len(len)
                .map_err(|e| Error::io_at(&self.path, records_end, "sync seal", e))
        });
        let sealed = sealed.and_then(|()| {
            if !self.sync_on_seal {
                return Ok(());
            }
            file.sync_data().map_err(|e| {
                let e = Error::io_at(&self.path, records_end, "sync seal", e);
                // The kernel may have dropped the records' pages: no later
                // fdatasync of this writer may count them durable.
                self.poisoned = Some(e.clone().with_kind(ErrorKind::Poisoned).with_detail(|d| {
                    format!("{d}; records since the last successful sync may be lost")
                }));
                e
            })
        });
        if sealed.is_err() {
            // An unsealed segment is still whole: readers scan it.
            let _ = file.set_len(self.unsealed_len());
        }
        sealed
    }

    /// The file's length while it has no seal: its records, and for an
    /// ending segment the `SEAL_BEGIN` frame after them (a failed seal
    /// keeps it, as the seal writes the same bytes there), so that log
    /// readers know the segment is complete.
    fn unsealed_len(&self) -> u64 {
        if self.ending {
            self.file_len + seal::SEAL_BEGIN_LEN as u64
        } else {
            self.file_len
        }
    }
}

/// `State::last_start` when the buffer holds no record appended to it.
const NONE: usize = usize::MAX;

/// Records from this long on have the lines of the next one prefetched for
/// writing after a one-record call (see `crate::prefetch`): with 600-byte
/// records, 0.723 -> 0.805 of raw `write(2)` (medians of 7 interleaved
/// `BENCH_ONLY=ab` pairs, Intel host); prefetching after every record, 32
/// bytes included, cost 32-byte records 2-3% of records/s (5 pairs).
const PREFETCH_WRITE_FROM: u64 = 256;

/// After a one-record call with a shorter record, the line this far past
/// the buffer's end is prefetched for writing instead (one instruction):
/// with 32-byte records, 16.48 -> 17.35 M records/s (medians of 7
/// interleaved `BENCH_ONLY=ab` pairs, Intel host; a unchanged). 256, 512,
/// 1024, 2048 and 4096 bytes ahead all gave 17.0-17.6 in 3 rounds.
const PREFETCH_WRITE_AHEAD: usize = 1024;

/// The unit at whose multiples full buffers are cut: the buffer size
/// rounded down to a power of two, at least 4 KiB and at most 2 MiB (the
/// largest folio the page cache uses on x86-64 and arm64 with 4 KiB pages).
fn hand_off_unit(buffer_size: usize) -> u64 {
    const MAX: u64 = 2 << 20;
    let size = (buffer_size as u64).clamp(4096, MAX);
    1 << (63 - size.leading_zeros())
}

/// The hand-off unit when the write-behind thread writes buffers in pairs
/// (see `behind`): when two units make a 2 MiB folio, which a mapping maps
/// with one page-table entry. Pairs of smaller units would hold records back
/// (from a writer that chose a small buffer to hand them off soon) for folios
/// that gain little.
fn pair_unit(buffer_size: usize) -> Option<u64> {
    let unit = hand_off_unit(buffer_size);
    (unit == 1 << 20).then_some(unit)
}

/// Length of the longest prefix of `buf` made of whole frames.
pub(super) fn complete_frames(buf: &[u8]) -> usize {
    let mut pos = 0;
    while let Some(len) = buf.get(pos..pos + 4) {
        let end =
            pos + FRAME_HEADER_LEN + u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
        if end > buf.len() {
            break;
        }
        pos = end;
    }
    pos
}

fn write_all_vectored(mut file: &File, mut slices: &mut [IoSlice<'_>]) -> io::Result<()> {
    while !slices.is_empty() {
        match file.write_vectored(slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
