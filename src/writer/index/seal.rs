//! Writing the seal from the index: the `SEAL_BEGIN` frame, the per-type
//! offset arrays, the sparse index, the directory and the trailer, into the
//! file or into memory.

use super::{SegmentIndex, OFFSET_LEN, SPILL_ENTRY_LEN};
use crate::error::{Error, Result};
use crate::format::seal::{self, SealDirectory, Trailer, TypeEntry};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

impl SegmentIndex {
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
        let arrays_start = records_end + begin.len() as u64;
        let arrays =
            self.write_type_arrays(out, path, records_end, arrays_start, type_names.len())?;

        let mut sparse = Vec::with_capacity(self.sparse.len() * seal::SPARSE_ENTRY_LEN);
        for e in &self.sparse {
            e.encode(&mut sparse);
        }
        let sparse_offset = arrays.end;
        out.write_at(&sparse, sparse_offset)
            .map_err(io("write seal"))?;
        let dir_offset = sparse_offset + sparse.len() as u64;

        let dir = self.directory(records_end, sparse_offset, &sparse, type_names, &arrays);
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

    /// Writes the per-type offset arrays from `start` on, each type's
    /// offsets in record order: the spilled ones, then those in memory.
    /// When every record has one type and none was spilled, the offsets in
    /// memory are that type's array: written as they are. Else lays the
    /// arrays out first, then scatters the offsets into them through one
    /// bounded buffer per type.
    fn write_type_arrays(
        &self,
        out: &mut SealOut<'_>,
        path: &Path,
        records_end: u64,
        start: u64,
        ntypes: usize,
    ) -> Result<WrittenArrays> {
        let io = |what: &'static str| move |e| Error::io_at(path, records_end, what, e);
        let mut starts = Vec::with_capacity(ntypes);
        let mut end = start;
        for t in 0..ntypes {
            starts.push(end);
            end += self.count(t) * 8;
        }
        if let Some(t) = self.only_type_in_memory(ntypes) {
            out.write_at(&self.offsets, starts[t])
                .map_err(io("write seal"))?;
            // The other types' arrays are empty: the CRC of nothing is 0.
            let mut crcs = vec![0; ntypes];
            crcs[t] = match self.array_crc_ahead {
                Some((records, crc)) if records == self.record_count => crc,
                _ => crate::format::crc32_sealing(&self.offsets),
            };
            return Ok(WrittenArrays { starts, crcs, end });
        }
        let mut arrays = TypeArrays::new(&mut *out, starts.clone(), end);
        if let Some(spill) = &self.spill {
            self.scatter_spilled(spill, &mut arrays, path, records_end)?;
        }
        for (o, t) in self.offsets.chunks_exact(OFFSET_LEN).zip(&self.type_ids) {
            let o = o.try_into().expect("8 bytes");
            arrays.push(*t as usize, o).map_err(io("write seal"))?;
        }
        let crcs = arrays.finish().map_err(io("write seal"))?;
        Ok(WrittenArrays { starts, crcs, end })
    }

    /// Scatters the offsets spilled to `spill` into `arrays`, whole chunks
    /// of entries at a time (a read per 12-byte entry through a BufReader
    /// cost more than the scatter itself).
    fn scatter_spilled(
        &self,
        spill: &File,
        arrays: &mut TypeArrays<'_, '_>,
        path: &Path,
        records_end: u64,
    ) -> Result<()> {
        let io = |what: &'static str| move |e| Error::io_at(path, records_end, what, e);
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
                let off = e[0..8].try_into().expect("8 bytes");
                let t = u32::from_le_bytes(e[8..12].try_into().expect("4 bytes"));
                arrays.push(t as usize, off).map_err(io("write seal"))?;
            }
            done += n as u64;
        }
        Ok(())
    }

    /// Computes the CRC of the one type's array now (if every record of
    /// the `ntypes` has one type, see `write_type_arrays`), for a seal
    /// written once the last buffers drain: a closing writer computes it
    /// while they do. Records added later make it stale, and unused.
    pub fn checksum_ahead(&mut self, ntypes: usize) {
        if self.only_type_in_memory(ntypes).is_some() {
            let crc = crate::format::crc32_sealing(&self.offsets);
            self.array_crc_ahead = Some((self.record_count, crc));
        }
    }

    /// The type of every record, if it has one and all of its offsets are
    /// in memory (none spilled).
    fn only_type_in_memory(&self, ntypes: usize) -> Option<usize> {
        if self.spill.is_some() || self.record_count == 0 {
            return None;
        }
        (0..ntypes).find(|&t| self.count(t) == self.record_count)
    }

    /// The seal's directory: the segment's summary, where the sparse index
    /// (`sparse`, at `sparse_offset`) and each type's array are, and their
    /// CRCs.
    fn directory(
        &self,
        records_end: u64,
        sparse_offset: u64,
        sparse: &[u8],
        type_names: &[Box<str>],
        arrays: &WrittenArrays,
    ) -> SealDirectory {
        let (min_ts, max_ts) = if self.record_count == 0 {
            (0, 0)
        } else {
            (self.min_ts, self.max_ts)
        };
        SealDirectory {
            record_count: self.record_count,
            first_seq: self.first_seq,
            last_seq: self.last_seq,
            first_ts: self.first_ts,
            last_ts: self.last_ts,
            min_ts,
            max_ts,
            records_end,
            sparse_offset,
            sparse_count: self.sparse.len() as u64,
            sparse_crc: crc32fast::hash(sparse),
            types: type_names
                .iter()
                .enumerate()
                .map(|(t, name)| TypeEntry {
                    name: name.to_string(),
                    count: self.count(t),
                    bytes: self.bytes.get(t).copied().unwrap_or(0),
                    array_offset: arrays.starts[t],
                    array_crc: arrays.crcs[t],
                })
                .collect(),
        }
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

    /// Appends `offset` (little-endian) to type `t`'s array.
    #[inline]
    fn push(&mut self, t: usize, offset: [u8; OFFSET_LEN]) -> std::io::Result<()> {
        if let SealOut::Memory { base, bytes } = self.out {
            let at = (self.cursor[t] - *base) as usize;
            bytes[at..at + OFFSET_LEN].copy_from_slice(&offset);
            self.cursor[t] += OFFSET_LEN as u64;
            return Ok(());
        }
        self.bufs[t].extend_from_slice(&offset);
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

/// The per-type offset arrays of a seal, written: where each starts, their
/// CRCs and where the last ends.
struct WrittenArrays {
    starts: Vec<u64>,
    crcs: Vec<u32>,
    end: u64,
}

#[cfg(test)]
mod tests {
    use super::super::super::test_file::TestFile;
    use super::*;

    /// The seal of 100,000 records of `type_of(seq)` among three types, by
    /// an index that keeps `memory_entries` offsets in memory.
    fn seal_of(memory_entries: usize, type_of: fn(u64) -> u32) -> Vec<u8> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
        let names: Vec<Box<str>> = vec!["a".into(), "bb".into(), "ccc".into()];
        let mut index = SegmentIndex::new(4096, memory_entries);
        let mut offset = 100u64;
        for seq in 0..100_000u64 {
            let len = 30 + seq % 97;
            index.add(type_of(seq), offset, seq, seq as i64, len, &dir);
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
    }

    /// Spilling (written out in chunks, see `spill_out`) changes nothing in
    /// the seal: an index that spilled 40,000 entries at a time, across
    /// chunk boundaries, seals byte for byte as one that never spilled.
    #[test]
    fn spilled_index_seals_as_an_unspilled_one() {
        let mixed = |seq| (seq % 7 % 3) as u32;
        assert!(
            seal_of(40_000, mixed) == seal_of(1 << 20, mixed),
            "the seals differ"
        );
    }

    /// When every record has one type (here the second of three), the
    /// offsets in memory are written as that type's array, as they are: the
    /// seal is byte for byte the one scattered type by type from a spill,
    /// the other types' empty arrays and their CRCs included.
    #[test]
    fn one_type_seals_as_the_scattered_arrays() {
        let second = |_| 1;
        let written_as_is = seal_of(1 << 20, second);
        assert!(written_as_is == seal_of(40_000, second), "the seals differ");
        let array = &written_as_is[seal::SEAL_BEGIN_LEN..][..100_000 * 8];
        let offsets: Vec<u64> = array
            .chunks_exact(8)
            .map(|o| u64::from_le_bytes(o.try_into().unwrap()))
            .collect();
        assert_eq!(offsets[0], 100, "the first record's offset");
        assert!(offsets.windows(2).all(|w| w[1] - w[0] >= 30));
    }

    /// A CRC computed ahead (`checksum_ahead`, while the last buffers
    /// drain) seals the same bytes as one computed when writing, and a
    /// record added after it leaves it unused.
    #[test]
    fn a_checksum_computed_ahead_seals_the_same_bytes() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
        let names: Vec<Box<str>> = vec!["a".into()];
        let t = TestFile::new("seal-ahead");
        let seal = |index: &SegmentIndex, end: u64| {
            let mut out = SealOut::Memory {
                base: end,
                bytes: Vec::new(),
            };
            index.write_seal(&mut out, &t.path, end, &names).unwrap();
            let SealOut::Memory { bytes, .. } = out else {
                unreachable!()
            };
            bytes
        };
        let mut index = SegmentIndex::new(4096, 1 << 20);
        for seq in 0..1000u64 {
            index.add(0, 100 + seq * 50, seq, seq as i64, 50, &dir);
        }
        let plain = seal(&index, 50_100);
        index.checksum_ahead(names.len());
        assert!(index.array_crc_ahead.is_some());
        assert!(
            seal(&index, 50_100) == plain,
            "computed ahead: the seals differ"
        );
        let mut grown = SegmentIndex::new(4096, 1 << 20);
        for seq in 0..1001u64 {
            grown.add(0, 100 + seq * 50, seq, seq as i64, 50, &dir);
        }
        index.add(0, 50_100, 1000, 1000, 50, &dir);
        assert!(
            seal(&index, 50_150) == seal(&grown, 50_150),
            "a stale CRC was used"
        );
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
        let (bytes, in_file) = seals_in_memory_and_in_file(&index, &t, offset, &names);
        assert_eq!(bytes.len(), in_file.len());
        assert!(bytes == in_file, "the two seals differ");
    }

    /// The one-type path (the offsets in memory written as they are, with
    /// a CRC computed ahead or not) writes into the file the seal it
    /// builds in memory.
    #[test]
    fn one_type_seal_in_memory_equals_seal_in_file() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
        let mut index = SegmentIndex::new(4096, 1 << 20);
        let mut offset = 100u64;
        for seq in 0..5000u64 {
            let len = 30 + seq % 97;
            index.add(1, offset, seq, 1_000 + seq as i64, len, &dir);
            offset += len;
        }
        let names: Vec<Box<str>> = vec!["a".into(), "bb".into(), "ccc".into()];
        assert_eq!(index.only_type_in_memory(names.len()), Some(1));
        let t = TestFile::new("one-type-seal-out");
        for ahead in [false, true] {
            if ahead {
                index.checksum_ahead(names.len());
            }
            let (bytes, in_file) = seals_in_memory_and_in_file(&index, &t, offset, &names);
            assert!(
                bytes == in_file,
                "the two seals differ (CRC ahead: {ahead})"
            );
        }
    }

    /// The seal of `index` for records ending at `end`, built in memory and
    /// written into `t`'s file (read back), which must end at one offset.
    fn seals_in_memory_and_in_file(
        index: &SegmentIndex,
        t: &TestFile,
        end: u64,
        names: &[Box<str>],
    ) -> (Vec<u8>, Vec<u8>) {
        let (path, f) = (&t.path, &t.file);
        let file_end = index
            .write_seal(&mut SealOut::File(f), path, end, names)
            .unwrap();
        let mut in_file = vec![0u8; (file_end - end) as usize];
        f.read_exact_at(&mut in_file, end).unwrap();
        let mut mem = SealOut::Memory {
            base: end,
            bytes: Vec::new(),
        };
        let mem_end = index.write_seal(&mut mem, path, end, names).unwrap();
        assert_eq!(mem_end, file_end);
        let SealOut::Memory { bytes, .. } = mem else {
            unreachable!()
        };
        (bytes, in_file)
    }
}
