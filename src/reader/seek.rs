//! Seeks by sequence number or by time: through the sealed segment's sparse
//! index where it can be trusted, then forward record by record; and the
//! records a live segment's writer adds below a target not reached yet.

use super::{Found, Reader, Tail};
use crate::error::Result;
use crate::format::seal::SparseEntry;
use crate::source::seal_trust::sparse_sound;

/// Bytes past the next sparse entry a seek's span takes in (see
/// `last_sparse_entry_where`): the record sought may start before that
/// entry and end after it.
const SPAN_SLACK: u64 = 4 << 10;

/// Where `seek_seq` or `seek_time` asked to go. When no record written by
/// then reaches it (a live segment), records written later that stay below
/// it are skipped until one reaches it: a reader resuming from a checkpoint
/// never goes back. `seek_seq(u64::MAX)` and `seek_time(i64::MAX)` mean
/// "the end": records written after the seek are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SeekTarget {
    Seq(u64),
    Time(i64),
}

impl SeekTarget {
    pub(crate) fn reached(self, seq: u64, timestamp_ns: i64) -> bool {
        match self {
            SeekTarget::Seq(s) => seq >= s,
            SeekTarget::Time(t) => timestamp_ns >= t,
        }
    }

    /// The target, unless it is the end (which later records never reach).
    pub(crate) fn pending(self) -> Option<SeekTarget> {
        (self != SeekTarget::Seq(u64::MAX) && self != SeekTarget::Time(i64::MAX)).then_some(self)
    }
}

impl Reader {
    /// Positions the reader at the first record whose sequence number is at
    /// least `seq` (at the end if there is none: then, on a live segment,
    /// the records written later below `seq` are skipped; see `SeekTarget`).
    pub fn seek_seq(&mut self, seq: u64) -> Result<()> {
        self.unreached = None;
        let entry = self.last_sparse_entry_where(|e| e.seq <= seq);
        if let Some(e) = entry {
            self.move_to(e.offset as usize, e.seq);
        } else if seq < self.next_seq || self.pos < self.data_start {
            self.rewind();
        }
        self.advance_until(SeekTarget::Seq(seq))
    }

    /// Positions the reader at the first record, in write order, whose
    /// timestamp is at least `ts_ns` (at the end if there is none: then, on
    /// a live segment, the records written later with earlier timestamps
    /// are skipped; see `SeekTarget`).
    pub fn seek_time(&mut self, ts_ns: i64) -> Result<()> {
        self.unreached = None;
        // Entries' max_ts_before never decreases: every record before the
        // last entry with max_ts_before < ts is earlier than ts.
        match self.last_sparse_entry_where(|e| e.max_ts_before < ts_ns) {
            Some(e) => self.move_to(e.offset as usize, e.seq),
            None => self.rewind(),
        }
        self.advance_until(SeekTarget::Time(ts_ns))
    }

    /// Moves the reader back to the segment's first record.
    pub(super) fn rewind(&mut self) {
        self.move_to(self.data_start, self.start_seq);
    }

    /// Moves the reader to the record at `pos`, numbered `seq`.
    fn move_to(&mut self, pos: usize, seq: u64) {
        self.pos = pos;
        self.next_seq = seq;
        self.tail = Tail::Reading;
        self.source.forget_checked();
    }

    /// Reads forward (all types) until a record reaches `target`, leaving
    /// it to be returned next; then re-applies any type filter from there.
    /// At the end with none, the target stays pending (`unreached`).
    fn advance_until(&mut self, target: SeekTarget) -> Result<()> {
        let filter = self.filter.take();
        self.set_seeking(true);
        let result = loop {
            let at = (self.pos, self.next_seq);
            match self.next_record(true) {
                Ok(Some(r)) if target.reached(r.seq, r.timestamp_ns) => {
                    self.move_to(at.0, at.1);
                    break Ok(());
                }
                Ok(Some(_)) => {}
                Ok(None) => {
                    self.unreached = target.pending();
                    break Ok(());
                }
                Err(e) => break Err(e),
            }
        };
        self.set_seeking(false);
        self.filter = filter;
        if let Some(f) = self.filter.as_mut() {
            f.seek(self.pos as u64);
        }
        result
    }

    /// Whether a compressed segment's frames are read for a seek: the
    /// frames the seek reads on into are decompressed only up to the
    /// records it reads, not whole as a scan's (see `CompressedFrames::set_seeking`).
    fn set_seeking(&mut self, seeking: bool) {
        if let Some(d) = self.source.frames_mut() {
            d.set_seeking(seeking);
        }
    }

    /// `advance`, skipping records below a seek's pending target.
    pub(super) fn advance_to_target(&mut self, verify: bool) -> Result<Option<Found>> {
        loop {
            let found = self.advance(verify)?;
            if found.is_none() {
                self.check_seal_frames()?;
                self.check_object_end()?;
            }
            if let (Some(t), Some(f)) = (self.unreached, &found) {
                if !t.reached(f.seq, f.timestamp_ns) {
                    continue;
                }
                self.unreached = None;
            }
            return Ok(found);
        }
    }

    /// The last sparse index entry satisfying `pred` (a predicate that holds
    /// for a prefix of the entries), if the segment is sealed with a sound
    /// sparse index and the entry leads to the record it names.
    fn last_sparse_entry_where(
        &mut self,
        pred: impl Fn(&SparseEntry) -> bool,
    ) -> Option<SparseEntry> {
        if !self.sparse_index_usable() {
            return None;
        }
        let entries = &self.seals.sparse_index;
        let next = entries.partition_point(pred);
        let found = entries[next.checked_sub(1)?];
        // The records from the entry up to the next one (and one record
        // past it, `SPAN_SLACK`) hold the target: a remote object fetches
        // them in one GET.
        let span_end = entries.get(next).map_or(self.end as u64, |e| e.offset);
        let span = span_end.saturating_sub(found.offset) + SPAN_SLACK;
        self.original().will_read(found.offset, span);
        // The entry must lead to the record it names. An index that passes
        // its checks yet points elsewhere (hostile or miswritten) is not
        // used: the seek scans, and finds what a scan finds.
        let at = found.offset as usize;
        let leads = self
            .original()
            .check_record(at, self.end, |r| r.seq == found.seq);
        if !leads {
            self.seals.sparse_usable = Some(false);
            return None;
        }
        Some(found)
    }

    /// Whether the segment is sealed with a sparse index that passed its
    /// checks (its CRC, and `sparse_sound`), which is then in
    /// `sparse_index`: copied out with pread the first time, not read
    /// through the mapping (see `map_file`). A seal already cut (the read
    /// comes up short) is not used: the seek scans.
    pub(super) fn sparse_index_usable(&mut self) -> bool {
        let Some(d) = self.seals.usable.as_ref() else {
            return false;
        };
        if self.seals.sparse_usable.is_none() {
            let (data_start, end) = (self.data_start as u64, self.end as u64);
            let sound = |b: &[u8]| {
                crc32fast::hash(b) == d.sparse_crc
                    && sparse_sound(b, d, data_start, end, self.start_seq)
            };
            let index = d.sparse_index(|at, len| self.original().read_part(at, len), sound);
            self.seals.sparse_usable = Some(index.is_some());
            self.seals.sparse_index = index.unwrap_or_default();
        }
        self.seals.sparse_usable == Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_segments::temp_path;
    use crate::{Options, Reader, Writer};

    /// The checks a sparse index must pass before a seek uses it
    /// (`sparse_sound`, and the entry leading to its record) hold for what
    /// writers write: fresh, reopened and appended to, and from a high
    /// first sequence number, with timestamps that go back and forth.
    #[test]
    fn writers_write_sparse_indexes_that_seeks_use() {
        let p = temp_path("sparse-sound");
        let opts = || Options {
            sparse_interval: 100,
            first_seq: 1 << 40,
            ..Options::default()
        };
        for round in 0..2 {
            let w = Writer::open(&p, opts()).unwrap();
            for i in 0..50i64 {
                w.write_with("a", &[], Some(1000 + i * 10 - (i % 3) * 25), &[7; 30])
                    .unwrap();
            }
            w.close().unwrap();
            let mut r = Reader::open(&p).unwrap();
            let count = r.seal().unwrap().sparse_count;
            assert!(count > 5, "{count} entries");
            r.seek_seq((1 << 40) + 40).unwrap();
            assert_eq!(r.seals.sparse_usable, Some(true), "round {round}");
            assert_eq!(r.next().unwrap().unwrap().seq, (1 << 40) + 40);
            let mut r = Reader::open(&p).unwrap();
            r.seek_time(1400).unwrap();
            assert_eq!(r.seals.sparse_usable, Some(true), "round {round}");
        }
    }
}
