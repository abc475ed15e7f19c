//! What the writer remembers about its segment's records to write the seal:
//! per-type counts and offsets, the sparse seq/time index and the summary.
//! Offsets are kept in memory up to a bound and then spilled to an unlinked
//! temporary file, so writer memory does not grow with the record count.

use crate::error::{Error, Result};
use crate::format::seal::{self, SealDirectory, SparseEntry, Trailer, TypeEntry};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

const SPILL_ENTRY_LEN: usize = 12;

pub struct SegmentIndex {
    counts: Vec<u64>,
    bytes: Vec<u64>,
    /// (offset, type id) of records not yet spilled.
    offsets: Vec<u64>,
    type_ids: Vec<u32>,
    spill: Option<File>,
    spilled: u64,
    memory_entries: usize,
    sparse: Vec<SparseEntry>,
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
    offsets: Vec<u64>,
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
        self.offsets.capacity().min(self.type_ids.capacity())
    }

    /// Uses `v`'s memory for arrays that are still empty (a new segment),
    /// unless it outgrew this index's memory bound (a failed spill lets
    /// the arrays grow past it; that memory is not carried on).
    pub fn adopt(&mut self, v: IndexVecs) {
        let bound = self.memory_entries.saturating_mul(2);
        let fits = v.offsets.capacity() <= bound && v.type_ids.capacity() <= bound;
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
        self.offsets.push(offset);
        self.type_ids.push(type_id);
        if self.offsets.len() >= self.memory_entries && self.spill_out(dir).is_err() {
            // Spilling is only a memory bound: keep the entries in memory and
            // try again after as many more.
            self.memory_entries = self.offsets.len() * 2;
        }
    }

    fn spill_out(&mut self, dir: &Path) -> Result<()> {
        if self.spill.is_none() {
            let f = crate::sys::anonymous_file(dir)
                .map_err(|e| Error::io(dir, "create index spill file", e))?;
            self.spill = Some(f);
        }
        // In chunks: the whole spill encoded at once (12 MB at the default
        // 1 M entries) was the largest part of a big writer's peak memory.
        const CHUNK: usize = 1 << 14;
        let f = self.spill.as_mut().expect("just created");
        let mut out = Vec::with_capacity(CHUNK.min(self.offsets.len()) * SPILL_ENTRY_LEN);
        let mut at = self.spilled * SPILL_ENTRY_LEN as u64;
        for (offsets, type_ids) in self.offsets.chunks(CHUNK).zip(self.type_ids.chunks(CHUNK)) {
            out.clear();
            for (o, t) in offsets.iter().zip(type_ids) {
                out.extend_from_slice(&o.to_le_bytes());
                out.extend_from_slice(&t.to_le_bytes());
            }
            f.write_all_at(&out, at)
                .map_err(|e| Error::io(dir, "write index spill file", e))?;
            at += out.len() as u64;
        }
        self.spilled += self.offsets.len() as u64;
        self.offsets.clear();
        self.type_ids.clear();
        Ok(())
    }

    /// Writes the seal after the records, which end at `records_end`, and
    /// returns the new file length. The caller syncs and, on error, cuts the
    /// file back to `records_end`.
    pub fn write_seal(
        &self,
        out: &mut SealOut<'_>,
        path: &Path,
        records_end: u64,
        type_names: &[Box<str>],
    ) -> Result<u64> {
        let io = |what: &'static str| move |e| Error::io_at(path, records_end, what, e);
        let begin = seal::encode_seal_begin(self.record_count);
        out.write_at(&begin, records_end)
            .map_err(io("write seal"))?;

        // Lay out the per-type arrays, then scatter offsets into them through
        // one bounded buffer per type.
        let ntypes = type_names.len();
        let mut cursor = Vec::with_capacity(ntypes);
        let mut at = records_end + begin.len() as u64;
        for t in 0..ntypes {
            cursor.push(at);
            at += self.count(t) * 8;
        }
        let mut arrays = TypeArrays::new(&mut *out, cursor.clone(), at);
        if let Some(spill) = &self.spill {
            // Whole chunks of entries at a time (a read per 12-byte entry
            // through a BufReader cost more than the scatter itself).
            const CHUNK: u64 = 1 << 16;
            let mut chunk = vec![0u8; CHUNK as usize * SPILL_ENTRY_LEN];
            let mut done = 0u64;
            while done < self.spilled {
                let n = (self.spilled - done).min(CHUNK) as usize;
                let bytes = &mut chunk[..n * SPILL_ENTRY_LEN];
                spill
                    .read_exact_at(bytes, done * SPILL_ENTRY_LEN as u64)
                    .map_err(io("read index spill"))?;
                for e in bytes.chunks_exact(SPILL_ENTRY_LEN) {
                    let off = u64::from_le_bytes(e[0..8].try_into().expect("8 bytes"));
                    let t = u32::from_le_bytes(e[8..12].try_into().expect("4 bytes"));
                    arrays.push(t as usize, off).map_err(io("write seal"))?;
                }
                done += n as u64;
            }
        }
        for (o, t) in self.offsets.iter().zip(&self.type_ids) {
            arrays.push(*t as usize, *o).map_err(io("write seal"))?;
        }
        let crcs = arrays.finish().map_err(io("write seal"))?;

        let mut sparse = Vec::with_capacity(self.sparse.len() * seal::SPARSE_ENTRY_LEN);
        for e in &self.sparse {
            e.encode(&mut sparse);
        }
        let sparse_offset = at;
        out.write_at(&sparse, sparse_offset)
            .map_err(io("write seal"))?;
        let dir_offset = sparse_offset + sparse.len() as u64;

        let dir = SealDirectory {
            record_count: self.record_count,
            first_seq: self.first_seq,
            last_seq: self.last_seq,
            first_ts: self.first_ts,
            last_ts: self.last_ts,
            min_ts: if self.record_count == 0 {
                0
            } else {
                self.min_ts
            },
            max_ts: if self.record_count == 0 {
                0
            } else {
                self.max_ts
            },
            records_end,
            sparse_offset,
            sparse_count: self.sparse.len() as u64,
            sparse_crc: crc32fast::hash(&sparse),
            types: type_names
                .iter()
                .enumerate()
                .map(|(t, name)| TypeEntry {
                    name: name.to_string(),
                    count: self.count(t),
                    bytes: self.bytes.get(t).copied().unwrap_or(0),
                    array_offset: cursor[t],
                    array_crc: crcs[t],
                })
                .collect(),
        };
        let mut tail = Vec::new();
        let dir_len = dir.encode_frame(&mut tail);
        tail.extend_from_slice(
            &Trailer {
                records_end,
                dir_offset,
                dir_len: dir_len as u32,
            }
            .encode(),
        );
        out.write_at(&tail, dir_offset).map_err(io("write seal"))?;
        Ok(dir_offset + tail.len() as u64)
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
            fixed: (seal::SEAL_BEGIN_LEN + seal::TRAILER_LEN) as u64 + dir,
            sparse_interval: self.sparse_interval,
        }
    }

    fn count(&self, t: usize) -> u64 {
        self.counts.get(t).copied().unwrap_or(0)
    }
}

/// Where a seal goes: straight into the segment file, or into memory (to
/// be written in one piece later), as bytes from `base` on.
pub enum SealOut<'a> {
    File(&'a File),
    Memory { base: u64, bytes: Vec<u8> },
}

impl SealOut<'_> {
    fn write_at(&mut self, data: &[u8], at: u64) -> std::io::Result<()> {
        match self {
            SealOut::File(f) => f.write_all_at(data, at),
            SealOut::Memory { base, bytes } => {
                let from = (at - *base) as usize;
                if bytes.len() < from + data.len() {
                    bytes.resize(from + data.len(), 0);
                }
                bytes[from..from + data.len()].copy_from_slice(data);
                Ok(())
            }
        }
    }
}

/// Per-type offset arrays being written into the seal. Into a file, each
/// type's offsets gather in a bounded buffer first; into memory, whose
/// arrays are laid out in advance, each offset goes straight to its place
/// (a roll builds its seal in memory while the last buffers drain, and a
/// second copy through buffers that grow to 1 MiB was most of that time).
struct TypeArrays<'a, 'f> {
    out: &'a mut SealOut<'f>,
    /// Where each type's array starts, and where its next offset goes.
    start: Vec<u64>,
    cursor: Vec<u64>,
    bufs: Vec<Vec<u8>>,
    crcs: Vec<crc32fast::Hasher>,
    limit: usize,
}

impl<'a, 'f> TypeArrays<'a, 'f> {
    /// Arrays starting at `start`, ending at `end`.
    fn new(out: &'a mut SealOut<'f>, start: Vec<u64>, end: u64) -> TypeArrays<'a, 'f> {
        let ntypes = start.len();
        if let SealOut::Memory { base, bytes } = out {
            bytes.resize((end - *base) as usize, 0);
        }
        TypeArrays {
            out,
            cursor: start.clone(),
            start,
            bufs: vec![Vec::new(); ntypes],
            crcs: vec![crc32fast::Hasher::new(); ntypes],
            limit: (32usize << 20)
                .checked_div(ntypes.max(1))
                .unwrap_or(4096)
                .clamp(4096, 1 << 20),
        }
    }

    #[inline]
    fn push(&mut self, t: usize, offset: u64) -> std::io::Result<()> {
        if let SealOut::Memory { base, bytes } = self.out {
            let at = (self.cursor[t] - *base) as usize;
            bytes[at..at + 8].copy_from_slice(&offset.to_le_bytes());
            self.cursor[t] += 8;
            return Ok(());
        }
        self.bufs[t].extend_from_slice(&offset.to_le_bytes());
        if self.bufs[t].len() >= self.limit {
            self.drain(t)?;
        }
        Ok(())
    }

    fn drain(&mut self, t: usize) -> std::io::Result<()> {
        let buf = &mut self.bufs[t];
        self.crcs[t].update(buf);
        self.out.write_at(buf, self.cursor[t])?;
        self.cursor[t] += buf.len() as u64;
        buf.clear();
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<Vec<u32>> {
        if let SealOut::Memory { base, bytes } = self.out {
            return Ok((0..self.start.len())
                .map(|t| {
                    let range = (self.start[t] - *base) as usize..(self.cursor[t] - *base) as usize;
                    crc32fast::hash(&bytes[range])
                })
                .collect());
        }
        for t in 0..self.bufs.len() {
            self.drain(t)?;
        }
        Ok(self.crcs.into_iter().map(|h| h.finalize()).collect())
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
            + seal::SPARSE_ENTRY_LEN as u64 * (bytes / self.sparse_interval + 1)
    }

    /// Upper bound of what a type adds to the seal's directory: its name
    /// (with a varint length), count, bytes, array offset and array CRC.
    pub fn type_entry_len(type_name: &str) -> u64 {
        10 + type_name.len() as u64 + 28
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_file::TestFile;
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

    /// Spilling (written out in chunks, see `spill_out`) changes nothing in
    /// the seal: an index that spilled 40,000 entries at a time, across
    /// chunk boundaries, seals byte for byte as one that never spilled.
    #[test]
    fn spilled_index_seals_as_an_unspilled_one() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
        let names: Vec<Box<str>> = vec!["a".into(), "bb".into(), "ccc".into()];
        let seal = |memory_entries: usize| {
            let mut index = SegmentIndex::new(4096, memory_entries);
            let mut offset = 100u64;
            for seq in 0..100_000u64 {
                let len = 30 + seq % 97;
                index.add((seq % 7 % 3) as u32, offset, seq, seq as i64, len, &dir);
                offset += len;
            }
            assert_eq!(index.spilled > 0, memory_entries < 100_000);
            let mut out = SealOut::Memory {
                base: offset,
                bytes: Vec::new(),
            };
            let t = TestFile::new("spilled-seal");
            index.write_seal(&mut out, &t.path, offset, &names).unwrap();
            let SealOut::Memory { bytes, .. } = out else {
                unreachable!()
            };
            bytes
        };
        assert!(seal(40_000) == seal(1 << 20), "the seals differ");
    }

    /// A seal built in memory (`SealOut::Memory`, used while the background
    /// writer drains) is byte for byte the one written piece by piece into
    /// the file, spill file included.
    #[test]
    fn seal_in_memory_equals_seal_in_file() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
        // 3 types, a spill every 1000 entries, sparse entries every 4 KiB.
        let mut index = SegmentIndex::new(4096, 1000);
        let mut offset = 100u64;
        for seq in 0..5000u64 {
            let len = 30 + seq % 97;
            index.add((seq % 3) as u32, offset, seq, 1_000 + seq as i64, len, &dir);
            offset += len;
        }
        let names: Vec<Box<str>> = vec!["a".into(), "bb".into(), "ccc".into()];
        let t = TestFile::new("seal-out");
        let (path, f) = (&t.path, &t.file);
        let end = index
            .write_seal(&mut SealOut::File(f), path, offset, &names)
            .unwrap();
        let mut in_file = vec![0u8; (end - offset) as usize];
        f.read_exact_at(&mut in_file, offset).unwrap();
        let mut mem = SealOut::Memory {
            base: offset,
            bytes: Vec::new(),
        };
        let end2 = index.write_seal(&mut mem, path, offset, &names).unwrap();
        assert_eq!(end2, end);
        let SealOut::Memory { bytes, .. } = mem else {
            unreachable!()
        };
        assert_eq!(bytes.len(), in_file.len());
        assert!(bytes == in_file, "the two seals differ");
    }
}
