//! What the writer remembers about its segment's records to write the seal:
//! per-type counts and offsets, the sparse seq/time index and the summary.
//! Offsets are kept in memory up to a bound and then spilled to an unlinked
//! temporary file (`spill`), so writer memory does not grow with the record
//! count. The seal is written from it in `seal`; `SealEstimate` says how
//! big it gets, for a rolling log's size limit.

mod seal;
mod spill;

pub use seal::{SealOut, SignSeal};

use crate::format::seal::{self as seal_format, SealDirectory, SparseEntry};
use spill::Spill;
use std::path::Path;

/// An offset in the seal's per-type arrays (and in `SegmentIndex::offsets`).
const OFFSET_LEN: usize = 8;

#[derive(Default)]
pub struct SegmentIndex {
    counts: Vec<u64>,
    bytes: Vec<u64>,
    /// Per type id, the offsets of its records not yet spilled, in record
    /// order, as the seal's arrays hold them (8 little-endian bytes each):
    /// the tail of that type's array, written as it is (see `seal`).
    offsets: Vec<Vec<u8>>,
    /// Offsets in `offsets`, all types together.
    in_memory: usize,
    spill: Option<Spill>,
    memory_entries: usize,
    sparse: Vec<SparseEntry>,
    /// The CRC of each type's offsets in memory computed ahead
    /// (`checksum_ahead`), with the record count they cover: a record
    /// added since makes it stale (the seal checks the count); what else
    /// changes the offsets in memory (`spill_out`, `take_vecs`) clears it.
    memory_crcs_ahead: Option<(u64, Vec<u32>)>,
    sparse_interval: u64,
    next_sparse_at: u64,
    /// The seal directory's summary of the records: their count, first
    /// and last sequence numbers and timestamps, the least and the greatest
    /// timestamp (0 while there is no record). Its other fields are left
    /// empty, filled in when the seal is written.
    pub summary: SealDirectory,
}

/// The index's growable arrays, emptied, handed from a closed segment's
/// index to the next one's (see `state::Recycled`).
#[derive(Default)]
pub struct IndexVecs {
    offsets: Vec<Vec<u8>>,
    sparse: Vec<SparseEntry>,
}

impl IndexVecs {
    /// Holds no memory (nothing to take over).
    pub fn is_unallocated(&self) -> bool {
        bytes_of(&self.offsets) == 0 && self.sparse.capacity() == 0
    }
}

/// The per-type arrays' memory, in bytes.
fn bytes_of(offsets: &[Vec<u8>]) -> usize {
    offsets.iter().map(Vec::capacity).sum()
}

impl SegmentIndex {
    /// Takes the arrays' memory, emptied; the counts and the summary stay.
    pub fn take_vecs(&mut self) -> IndexVecs {
        let mut v = IndexVecs {
            offsets: std::mem::take(&mut self.offsets),
            sparse: std::mem::take(&mut self.sparse),
        };
        v.offsets.iter_mut().for_each(Vec::clear);
        v.sparse.clear();
        self.in_memory = 0;
        self.memory_crcs_ahead = None;
        v
    }

    /// Offsets the in-memory arrays hold without growing, all types together.
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        bytes_of(&self.offsets) / OFFSET_LEN
    }

    /// Uses `v`'s memory for arrays that are still empty (a new segment),
    /// unless it outgrew this index's arrays' budget (`array_budget`; a
    /// failed spill lets the arrays grow past it; that memory is not
    /// carried on).
    pub fn adopt(&mut self, v: IndexVecs) {
        if bytes_of(&v.offsets) <= self.array_budget() && self.in_memory == 0 {
            self.offsets = v.offsets;
        }
        if self.sparse.is_empty() {
            self.sparse = v.sparse;
        }
    }

    pub fn new(sparse_interval: u32, memory_entries: usize) -> SegmentIndex {
        SegmentIndex {
            memory_entries,
            sparse_interval: sparse_interval as u64,
            ..SegmentIndex::default()
        }
    }

    /// Adds a record that is now part of the segment. `dir` is where a spill
    /// file goes if memory fills. Never fails: the record is already written,
    /// so the index must take it.
    #[inline(always)]
    pub fn add(&mut self, type_id: u32, offset: u64, seq: u64, ts: i64, len: u64, dir: &Path) {
        let t = type_id as usize;
        if t >= self.counts.len() {
            self.counts.resize(t + 1, 0);
            self.bytes.resize(t + 1, 0);
        }
        if t >= self.offsets.len() {
            self.offsets.resize_with(t + 1, Vec::new);
        }
        self.counts[t] += 1;
        self.bytes[t] += len;
        let s = &mut self.summary;
        if offset >= self.next_sparse_at {
            let max_ts_before = if s.record_count == 0 {
                i64::MIN
            } else {
                s.max_ts
            };
            self.sparse.push(SparseEntry {
                seq,
                offset,
                max_ts_before,
            });
            self.next_sparse_at = offset + self.sparse_interval;
        }
        if s.record_count == 0 {
            s.first_seq = seq;
            s.first_ts = ts;
            (s.min_ts, s.max_ts) = (ts, ts);
        }
        s.record_count += 1;
        s.last_seq = seq;
        s.last_ts = ts;
        s.min_ts = s.min_ts.min(ts);
        s.max_ts = s.max_ts.max(ts);
        if self.offsets[t].len() == self.offsets[t].capacity() {
            self.make_room(t, dir);
        }
        self.offsets[t].extend_from_slice(&offset.to_le_bytes());
        self.in_memory += 1;
        if self.in_memory >= self.memory_entries {
            self.spill_or_raise_bound(dir);
        }
    }

    fn spill_or_raise_bound(&mut self, dir: &Path) {
        if self.spill_out(dir).is_err() {
            // Spilling is only a memory bound: keep the entries in memory and
            // try again after as many more. The bound never drops (`make_room`
            // spills below it): a transient failure must not make every few
            // records spill for the rest of the segment.
            self.memory_entries = (self.memory_entries.saturating_mul(2))
                .max(self.in_memory.saturating_mul(2))
                .max(1);
        }
    }

    /// Makes room in type `t`'s full array for more offsets within the
    /// arrays' memory budget (`array_budget`), which arrays keeping their
    /// grown capacity could together outgrow: over budget, spills first,
    /// then frees other emptied arrays, largest first.
    #[cold]
    fn make_room(&mut self, t: usize, dir: &Path) {
        const MIN_ARRAY: usize = 64 * OFFSET_LEN;
        let budget = Self::array_budget;
        let cap = self.offsets[t].capacity();
        let wanted = (2 * cap).max(MIN_ARRAY);
        let others = |index: &Self| bytes_of(&index.offsets) - cap;
        let spilled = others(self) + wanted > budget(self) && self.in_memory > 0;
        if spilled {
            self.spill_or_raise_bound(dir);
        }
        // Idle types' emptied arrays go first: were `t` to keep its capacity
        // while they keep theirs, a type mix that shifted would spill every
        // few records.
        while others(self) + wanted > budget(self) {
            let largest = (self.offsets.iter_mut().enumerate())
                .filter(|(u, o)| *u != t && o.is_empty() && o.capacity() > 0)
                .max_by_key(|(_, o)| o.capacity());
            let Some((_, o)) = largest else { break };
            *o = Vec::new();
        }
        if spilled && self.offsets[t].is_empty() && cap > 0 && others(self) + wanted > budget(self)
        {
            // No room to grow, but the spill emptied `t`'s array: reuse it.
            return;
        }
        let room = wanted.min(budget(self).saturating_sub(others(self)));
        let len = self.offsets[t].len();
        self.offsets[t].reserve_exact(room.max(len + OFFSET_LEN) - len);
    }

    /// The per-type arrays' memory budget, in bytes: the bound's offsets
    /// rounded up to a power of two, so one type's array doubles into it
    /// exactly. A bound with no such power (any nonzero bound is valid)
    /// leaves the arrays unbounded, as it never spills.
    fn array_budget(&self) -> usize {
        (self.memory_entries.checked_next_power_of_two())
            .map_or(usize::MAX, |n| n.saturating_mul(OFFSET_LEN))
    }

    fn count(&self, t: usize) -> u64 {
        self.counts.get(t).copied().unwrap_or(0)
    }

    /// How the seal's size grows with the segment (for a rolling log's size
    /// limit): exact for the records and sparse index; the directory as it
    /// is now (a type first seen later adds `SealEstimate::type_entry_len`).
    pub fn seal_estimate(&self, type_names: &[Box<str>]) -> SealEstimate {
        let dir: u64 = (crate::format::FRAME_HEADER_LEN + 1 + 24 + 32 + 24 + 4 + 10) as u64
            + type_names
                .iter()
                .map(|n| SealEstimate::type_entry_len(n))
                .sum::<u64>();
        SealEstimate {
            fixed: (seal_format::SEAL_BEGIN_LEN + seal_format::TRAILER_LEN) as u64 + dir,
            sparse_interval: self.sparse_interval,
        }
    }
}

/// The size of a seal as a function of the segment's records and bytes.
#[derive(Clone, Copy, Debug)]
pub struct SealEstimate {
    fixed: u64,
    sparse_interval: u64,
}

impl SealEstimate {
    /// Upper bound of the seal of a segment of `records` records in `bytes`
    /// bytes: an 8-byte offset per record, at most one sparse entry per
    /// `sparse_interval` bytes plus the first.
    pub fn len(&self, records: u64, bytes: u64) -> u64 {
        self.fixed
            + 8 * records
            + seal_format::SPARSE_ENTRY_LEN as u64 * (bytes / self.sparse_interval + 1)
    }

    /// Upper bound of what a type adds to the seal's directory: its name
    /// (with a varint length), count, bytes, array offset and array CRC.
    pub fn type_entry_len(type_name: &str) -> u64 {
        10 + type_name.len() as u64 + 28
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Index arrays are taken over by a new segment's index, but not once
    /// they outgrew its memory bound.
    #[test]
    fn adopts_arrays_only_within_the_memory_bound() {
        let dir = crate::writer::test_file::disk_dir();
        let filled = |n: u64| {
            let mut old = SegmentIndex::new(4096, 1 << 20);
            for seq in 0..n {
                old.add(0, seq * 10, seq, 0, 10, &dir);
            }
            old.take_vecs()
        };
        let mut new = SegmentIndex::new(4096, 1000);
        new.adopt(filled(900));
        assert!(new.capacity() >= 900, "taken over");
        let mut new = SegmentIndex::new(4096, 1000);
        new.adopt(filled(5000));
        assert_eq!(new.capacity(), 0, "over twice the bound: dropped");
    }

    /// Any nonzero bound is valid, the largest too: one that has no power
    /// of two above it neither panics nor spills (the budget is unbounded).
    #[test]
    fn the_largest_memory_bound_never_spills() {
        let dir = crate::writer::test_file::disk_dir();
        for bound in [usize::MAX, (1 << 63) + 1] {
            let mut index = SegmentIndex::new(4096, bound);
            for seq in 0..10_000u64 {
                index.add((seq % 3) as u32, seq * 10, seq, 0, 10, &dir);
            }
            assert!(index.spill.is_none(), "bound {bound}: spilled");
            assert_eq!(index.in_memory, 10_000);
        }
    }

    /// When the type mix shifts (two types early, then only a third), the
    /// early types' emptied arrays are freed for the new one to grow into
    /// the budget: it spills about once per bound's records, not each
    /// time its smaller array fills.
    #[test]
    fn a_shifted_type_mix_spills_once_per_bound() {
        let dir = crate::writer::test_file::disk_dir();
        let (bound, late) = (1000u64, 20_000u64);
        let mut index = SegmentIndex::new(4096, bound as usize);
        for seq in 0..800u64 {
            index.add((seq % 2) as u32, seq * 10, seq, 0, 10, &dir);
        }
        for seq in 800..800 + late {
            index.add(2, seq * 10, seq, 0, 10, &dir);
        }
        let spill = index.spill.as_ref().expect("spilled");
        assert_eq!(spill.runs_of(0).count() + spill.runs_of(1).count(), 2);
        let runs = spill.runs_of(2).count() as u64;
        assert!(runs <= late / bound + 1, "{runs} spills of the third type");
        assert!(index.capacity() <= 1024, "within the budget");
    }

    /// With several types, in a steady mix or each spill period filled by
    /// another type, the per-type arrays together never hold more than the
    /// bound's offsets rounded up to a power of two (each would otherwise
    /// keep what it once grew to), and one type's array, once grown, is
    /// reused from spill to spill.
    #[test]
    fn per_type_arrays_stay_within_the_memory_bound() {
        let dir = crate::writer::test_file::disk_dir();
        let periods = |seq: u64| (seq / 1000 % 4) as u32;
        let mix = |seq: u64| ((seq * 2_654_435_761) >> 7 & 3) as u32;
        for type_of in [periods, mix] {
            let mut index = SegmentIndex::new(4096, 1000);
            for seq in 0..20_000u64 {
                index.add(type_of(seq), seq * 10, seq, 0, 10, &dir);
                assert!(index.capacity() <= 1024, "at {seq}: {}", index.capacity());
            }
            assert!(index.spill.as_ref().unwrap().runs_of(3).count() >= 4);
        }
        let mut one = SegmentIndex::new(4096, 1000);
        for seq in 0..1001u64 {
            one.add(0, seq * 10, seq, 0, 10, &dir);
        }
        let array = one.offsets[0].as_ptr();
        for seq in 1001..5000u64 {
            one.add(0, seq * 10, seq, 0, 10, &dir);
            assert_eq!(one.offsets[0].as_ptr(), array, "reallocated at {seq}");
        }
    }
}
