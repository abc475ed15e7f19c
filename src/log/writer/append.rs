//! The write path: a batch of records, split where a roll is due, checked
//! whole before anything is written.

use super::{LogWriter, Shared, State};
use crate::error::{Error, Result};
use crate::format::frame::{max_frame_len, total_len};
use crate::log::events::SegmentEvent;
use crate::writer::{Caller, Entry, SealEstimate, SizeSnapshot, Writer};
use std::sync::Arc;

impl LogWriter {
    /// Appends records in order, rolling between them where a trigger fires;
    /// no record straddles two segments. Returns the first sequence number.
    /// A batch that fails after some of its records were written says in
    /// its error how many were, and their sequence numbers.
    pub fn write_batch(&self, entries: &[Entry<'_>]) -> Result<u64> {
        let s = &*self.shared;
        let mut batch = Batch::default();
        let result = s.reporting(|events| s.append_batch(entries, &mut batch, events));
        // Outside the log's lock, so that other writers join the same
        // fdatasync (group commit).
        let waited = batch
            .wait
            .take()
            .map(|(w, to, mut call)| w.wait_durable(to, call.as_mut()));
        #[cfg(feature = "sign")]
        if let Ok(first) = result {
            s.checkpoint_after(first, first + entries.len() as u64);
        }
        match result {
            Ok(first) => waited.unwrap_or(Ok(())).map(|()| first),
            Err(e) => Err(batch.failed(e, entries.len())),
        }
    }
}

/// How far a batch got: after a failure, how much of it was written.
#[derive(Default)]
struct Batch {
    /// The batch's first sequence number.
    first: Option<u64>,
    /// The writer of the part written last.
    last: Option<Arc<Writer>>,
    /// The durable wait the batch's last part asks for.
    wait: Option<(Arc<Writer>, u64, Option<Caller>)>,
    /// Where the part being written starts and ends.
    part: (usize, usize),
}

impl Batch {
    /// The error `e` the batch failed with, saying what was written unless
    /// the part it failed in is the whole batch.
    fn failed(&self, e: Error, n: usize) -> Error {
        let (Some(first), Some(w)) = (self.first, &self.last) else {
            return e;
        };
        if self.part == (0, n) {
            return e;
        }
        let written = w.written_below().saturating_sub(first);
        let seqs = match written {
            0 => String::new(),
            n => format!(
                ": sequence numbers {first} to {}, not to be written again; `durable_seq` says \
                 which are on stable storage",
                first + n - 1
            ),
        };
        e.with_detail(|d| {
            format!("{d} (in all, {written} of {n} records of this call were written{seqs})")
        })
    }
}

/// The most a record adds to its segment: its longest frame, and the
/// directory entry a type new to the segment adds to its seal (counted for
/// every record), so that no record takes a segment past the size limit.
fn record_size(e: &Entry<'_>) -> u64 {
    max_frame_len(e.type_name, e.meta, total_len(e.parts))
        .saturating_add(SealEstimate::type_entry_len(e.type_name))
}

impl Shared {
    /// `write_batch` under the log's lock: checks the batch, then appends
    /// it part by part, rolling before a part where a trigger fires.
    fn append_batch(
        &self,
        entries: &[Entry<'_>],
        batch: &mut Batch,
        events: &mut Vec<SegmentEvent>,
    ) -> Result<u64> {
        let mut st = self.state.lock();
        self.usable(&st)?;
        let now = (self.opts.clock)();
        // Before any roll or record: a batch refused writes nothing. The
        // parts are not validated again.
        let snap = self.writer(&st)?.check_log_batch(entries)?;
        if entries.is_empty() {
            return Ok(snap.next_seq);
        }
        let mut i = self.append_part(&mut st, (entries, 0, now), snap, batch, events)?;
        while i < entries.len() {
            let snap = self.writer(&st)?.size_snapshot();
            i = self.append_part(&mut st, (entries, i, now), snap, batch, events)?;
        }
        Ok(batch.first.expect("non-empty batch"))
    }

    /// Appends the records from `entries[i]` on that fit in one segment of
    /// size `snap` (rolling first if a trigger fires); returns where the
    /// next part starts.
    fn append_part(
        &self,
        st: &mut State,
        (entries, i, now): (&[Entry<'_>], usize, i64),
        mut snap: SizeSnapshot,
        batch: &mut Batch,
        events: &mut Vec<SegmentEvent>,
    ) -> Result<usize> {
        batch.part = (i, i);
        if self.roll_due(st, &snap, record_size(&entries[i]), now) {
            self.roll(st, events, now, false)?;
            snap = self.writer(st)?.size_snapshot();
        }
        let w = Arc::clone(self.writer(st)?);
        let end = self.part_end(entries, i, &snap);
        batch.first.get_or_insert(snap.next_seq);
        batch.part = (i, end);
        // Counted before the append, so that a leader gathering records for
        // its fdatasync waits for this one (group commit).
        let call = w.durable_call();
        let appended = w.append(&entries[i..end], Some(now));
        // Kept for the error path (one reference a part).
        let w = &*batch.last.insert(w);
        if let Some(to) = appended?.1 {
            batch.wait = Some((Arc::clone(w), to, call));
        }
        Ok(end)
    }

    /// Where the part that starts at `entries[i]` ends in a segment of size
    /// `snap`: its first record goes in whatever the segment holds (an
    /// empty one takes any record), the next ones while it has room.
    fn part_end(&self, entries: &[Entry<'_>], i: usize, snap: &SizeSnapshot) -> usize {
        let (mut bytes, mut count) = (snap.bytes + record_size(&entries[i]), snap.records + 1);
        let mut j = i + 1;
        while j < entries.len() {
            let size = record_size(&entries[j]);
            if self.full(bytes, count, size, snap) {
                break;
            }
            bytes += size;
            count += 1;
            j += 1;
        }
        j
    }

    /// Whether the segment must roll before a record of `size` bytes. An
    /// empty segment takes any record (and takes the current period).
    pub(super) fn roll_due(
        &self,
        st: &mut State,
        snap: &SizeSnapshot,
        size: u64,
        now: i64,
    ) -> bool {
        let period_now = self.period_of(now);
        if snap.records == 0 {
            st.period_start = period_now;
            return false;
        }
        self.full(snap.bytes, snap.records, size, snap) || period_now != st.period_start
    }

    /// Whether a segment of `bytes` bytes and `records` records has no room
    /// for a record of `size` bytes more: it is at the record limit, or with
    /// it would pass the size limit once its seal is written.
    fn full(&self, bytes: u64, records: u64, size: u64, snap: &SizeSnapshot) -> bool {
        let with = bytes + size;
        let past = |m: u64| with + snap.seal.len(records + 1, with) > m;
        self.opts.max_segment_records.is_some_and(|m| records >= m)
            || self.opts.max_segment_bytes.is_some_and(past)
    }
}
