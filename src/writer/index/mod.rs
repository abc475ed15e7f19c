//! What the writer remembers about its segment's records to write the seal:
//! per-type counts and offsets, the sparse seq/time index and the summary.
//! Offsets are kept in memory up to a bound and then spilled to an unlinked
//! temporary file, so writer memory does not grow with the record count.
//! The seal is written from it in `seal`; `estimate` says how big it gets.

mod estimate;
mod seal;

pub use estimate::SealEstimate;
pub use seal::SealOut;

use crate::error::{Error, Result};
use crate::format::seal::SparseEntry;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

const SPILL_ENTRY_LEN: usize = 12;
/// An offset in the seal's per-type arrays (and in `SegmentIndex::offsets`).
const OFFSET_LEN: usize = 8;

pub struct SegmentIndex {
    counts: Vec<u64>,
    bytes: Vec<u64>,
    /// (offset, type id) of records not yet spilled. The offsets are kept
    /// as the seal's arrays hold them, 8 little-endian bytes each: when
    /// every record has one type they are that type's array as they are
    /// (see `seal`), written without a copy.
    offsets: Vec<u8>,
    type_ids: Vec<u32>,
    spill: Option<File>,
    spilled: u64,
    memory_entries: usize,
    sparse: Vec<SparseEntry>,
    /// The CRC of the one type's array computed ahead (`checksum_ahead`),
    /// with the record count it covers; `add` clears it (stale).
    array_crc_ahead: Option<(u64, u32)>,
    sparse_interval: u64,
    next_sparse_at: u64,
    pub record_count: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    pub first_ts: i64,
    pub last_ts: i64,
    pub min_ts: i64,
    pub max_ts: i64,
}

/// The index's growable arrays, emptied, handed from a closed segment's
/// index to the next one's (see `state::Recycled`).
#[derive(Default)]
pub struct IndexVecs {
    offsets: Vec<u8>,
    type_ids: Vec<u32>,
    sparse: Vec<SparseEntry>,
}

impl IndexVecs {
    /// Holds no memory (nothing to take over).
    pub fn is_unallocated(&self) -> bool {
        self.offsets.capacity() == 0 && self.type_ids.capacity() == 0 && self.sparse.capacity() == 0
    }
}

impl SegmentIndex {
    /// Takes the arrays' memory, emptied; the counts and the summary stay.
    pub fn take_vecs(&mut self) -> IndexVecs {
        let mut v = IndexVecs {
            offsets: std::mem::take(&mut self.offsets),
            type_ids: std::mem::take(&mut self.type_ids),
            sparse: std::mem::take(&mut self.sparse),
        };
        v.offsets.clear();
        v.type_ids.clear();
        v.sparse.clear();
        v
    }

    /// Offsets the in-memory arrays hold without growing.
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        (self.offsets.capacity() / OFFSET_LEN).min(self.type_ids.capacity())
    }

    /// Uses `v`'s memory for arrays that are still empty (a new segment),
    /// unless it outgrew this index's memory bound (a failed spill lets
    /// the arrays grow past it; that memory is not carried on).
    pub fn adopt(&mut self, v: IndexVecs) {
        let bound = self.memory_entries.saturating_mul(2);
        let fits = v.offsets.capacity() / OFFSET_LEN <= bound && v.type_ids.capacity() <= bound;
        if fits && self.offsets.is_empty() && self.type_ids.is_empty() {
            self.offsets = v.offsets;
            self.type_ids = v.type_ids;
        }
        if self.sparse.is_empty() {
            self.sparse = v.sparse;
        }
    }

    pub fn new(sparse_interval: u32, memory_entries: usize) -> SegmentIndex {
        SegmentIndex {
            counts: Vec::new(),
            bytes: Vec::new(),
            offsets: Vec::new(),
            type_ids: Vec::new(),
            spill: None,
            spilled: 0,
            memory_entries,
            sparse: Vec::new(),
            array_crc_ahead: None,
            sparse_interval: sparse_interval as u64,
            next_sparse_at: 0,
            record_count: 0,
            first_seq: 0,
            last_seq: 0,
            first_ts: 0,
            last_ts: 0,
            min_ts: i64::MAX,
            max_ts: i64::MIN,
        }
    }

    /// Adds a record that is now part of the segment. `dir` is where a spill
    /// file goes if memory fills. Never fails: the record is already written,
    /// so the index must take it.
    #[inline(always)]
    pub fn add(&mut self, type_id: u32, offset: u64, seq: u64, ts: i64, len: u64, dir: &Path) {
        let t = type_id as usize;
        self.array_crc_ahead = None;
        if t >= self.counts.len() {
            self.counts.resize(t + 1, 0);
            self.bytes.resize(t + 1, 0);
        }
        self.counts[t] += 1;
        self.bytes[t] += len;
        if offset >= self.next_sparse_at {
            let max_ts_before = if self.record_count == 0 {
                i64::MIN
            } else {
                self.max_ts
            };
            self.sparse.push(SparseEntry {
                seq,
                offset,
                max_ts_before,
            });
            self.next_sparse_at = offset + self.sparse_interval;
        }
        if self.record_count == 0 {
            self.first_seq = seq;
            self.first_ts = ts;
        }
        self.record_count += 1;
        self.last_seq = seq;
        self.last_ts = ts;
        self.min_ts = self.min_ts.min(ts);
        self.max_ts = self.max_ts.max(ts);
        self.offsets.extend_from_slice(&offset.to_le_bytes());
        self.type_ids.push(type_id);
        if self.type_ids.len() >= self.memory_entries && self.spill_out(dir).is_err() {
            // Spilling is only a memory bound: keep the entries in memory and
            // try again after as many more.
            self.memory_entries = self.type_ids.len() * 2;
        }
    }

    fn spill_out(&mut self, dir: &Path) -> Result<()> {
        if self.spill.is_none() {
            let f = crate::sys::anonymous_file(dir)
                .map_err(|e| Error::io(dir, "create index spill file", e))?;
            self.spill = Some(f);
        }
        // In chunks: the whole spill encoded at once (`SPILL_ENTRY_LEN`
        // bytes an entry, 12 MB at the default 1 M entries) would be the
        // largest part of a big writer's peak memory.
        const CHUNK: usize = 1 << 14;
        let f = self.spill.as_mut().expect("just created");
        let mut out = Vec::with_capacity(CHUNK.min(self.type_ids.len()) * SPILL_ENTRY_LEN);
        let mut at = self.spilled * SPILL_ENTRY_LEN as u64;
        let offsets = self.offsets.chunks(CHUNK * OFFSET_LEN);
        for (offsets, type_ids) in offsets.zip(self.type_ids.chunks(CHUNK)) {
            out.clear();
            for (o, t) in offsets.chunks_exact(OFFSET_LEN).zip(type_ids) {
                out.extend_from_slice(o);
                out.extend_from_slice(&t.to_le_bytes());
            }
            f.write_all_at(&out, at)
                .map_err(|e| Error::io(dir, "write index spill file", e))?;
            at += out.len() as u64;
        }
        self.spilled += self.type_ids.len() as u64;
        self.offsets.clear();
        self.type_ids.clear();
        Ok(())
    }

    fn count(&self, t: usize) -> u64 {
        self.counts.get(t).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Index arrays are taken over by a new segment's index, but not once
    /// they outgrew its memory bound.
    #[test]
    fn adopts_arrays_only_within_the_memory_bound() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
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
}
