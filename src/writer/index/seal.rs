//! Writing the seal from the index: the `SEAL_BEGIN` frame, the per-type
//! offset arrays, the sparse index, the directory and the trailer, into the
//! file or into memory.

use super::{SegmentIndex, OFFSET_LEN};
use crate::error::{Error, Result};
use crate::format::chain::ChainBlock;
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
        sign: Option<SignSeal<'_>>,
    ) -> Result<u64> {
        let failed = |e| Error::io_at(path, records_end, "write seal", e);
        let begin = seal::encode_seal_begin(self.summary.record_count);
        out.write_at(&begin, records_end).map_err(failed)?;
        let arrays_start = records_end + begin.len() as u64;
        let arrays =
            self.write_type_arrays(out, path, records_end, arrays_start, type_names.len())?;

        let mut sparse = Vec::with_capacity(self.sparse.len() * seal::SPARSE_ENTRY_LEN);
        for e in &self.sparse {
            e.encode(&mut sparse);
        }
        let sparse_offset = arrays.end;
        out.write_at(&sparse, sparse_offset).map_err(failed)?;
        let dir_offset = sparse_offset + sparse.len() as u64;

        let mut dir = self.directory(records_end, sparse_offset, &sparse, type_names, &arrays);
        dir.chain = sign.map(|sign| sign(&dir)).transpose()?;
        let mut tail = Vec::new();
        let dir_len = dir.encode_frame(&mut tail);
        let trailer = Trailer {
            records_end,
            dir_offset,
            dir_len: dir_len as u32,
        };
        tail.extend_from_slice(&trailer.encode());
        out.write_at(&tail, dir_offset).map_err(failed)?;
        Ok(dir_offset + tail.len() as u64)
    }

    /// Writes the per-type offset arrays from `start` on, each type's
    /// offsets in record order: its spilled runs, then those in memory,
    /// which are its array's tail as it is (one write, no copy). A type's
    /// CRC combines its runs' CRCs, computed when they were spilled, with
    /// that of its offsets in memory (computed ahead if it could be).
    fn write_type_arrays(
        &self,
        out: &mut SealOut<'_>,
        path: &Path,
        records_end: u64,
        start: u64,
        ntypes: usize,
    ) -> Result<WrittenArrays> {
        let mut starts = Vec::with_capacity(ntypes);
        let mut crcs = Vec::with_capacity(ntypes);
        let ahead = match &self.memory_crcs_ahead {
            Some((records, crcs)) if *records == self.summary.record_count => Some(crcs),
            _ => None,
        };
        let mut copy_buf = Vec::new();
        let mut at = start;
        for t in 0..ntypes {
            starts.push(at);
            let mut crc = crc32fast::Hasher::new();
            if let Some(spill) = &self.spill {
                for run in spill.runs_of(t) {
                    spill.copy_run(run, out, at, &mut copy_buf, (path, records_end))?;
                    crc.combine(&crc32fast::Hasher::new_with_initial_len(run.crc, run.len));
                    at += run.len;
                }
            }
            let memory = self.in_memory_of(t);
            if !memory.is_empty() {
                out.write_at(memory, at)
                    .map_err(|e| Error::io_at(path, records_end, "write seal", e))?;
                let memory_crc =
                    ahead.map_or_else(|| crate::format::crc32_sealing(memory), |c| c[t]);
                let len = memory.len() as u64;
                crc.combine(&crc32fast::Hasher::new_with_initial_len(memory_crc, len));
                at += len;
            }
            debug_assert_eq!(at - starts[t], self.count(t) * OFFSET_LEN as u64);
            crcs.push(crc.finalize());
        }
        Ok(WrittenArrays {
            starts,
            crcs,
            end: at,
        })
    }

    /// Type `t`'s offsets still in memory (the tail of its array).
    fn in_memory_of(&self, t: usize) -> &[u8] {
        self.offsets.get(t).map_or(&[], Vec::as_slice)
    }

    /// Computes the CRC of each type's offsets in memory now, for a seal
    /// written once the last buffers drain: a closing writer computes them
    /// while they do. Records added later make them stale, and unused.
    pub fn checksum_ahead(&mut self, ntypes: usize) {
        let crcs = (0..ntypes)
            .map(|t| crate::format::crc32_sealing(self.in_memory_of(t)))
            .collect();
        self.memory_crcs_ahead = Some((self.summary.record_count, crcs));
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
        SealDirectory {
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
            ..self.summary.clone()
        }
    }
}

/// Makes a signed seal's chain block from its directory (whose `chain`
/// is `None`).
pub type SignSeal<'a> = &'a dyn Fn(&SealDirectory) -> Result<ChainBlock>;

/// Where a seal goes: straight into the segment file, or into memory (to
/// be written in one piece later), as bytes from `base` on.
pub enum SealOut<'a> {
    File(&'a File),
    Memory { base: u64, bytes: Vec<u8> },
}

impl SealOut<'_> {
    pub(super) fn write_at(&mut self, data: &[u8], at: u64) -> std::io::Result<()> {
        if let SealOut::File(f) = self {
            return f.write_all_at(data, at);
        }
        let bytes = self.memory_at(at, data.len()).expect("in memory");
        bytes.copy_from_slice(data);
        Ok(())
    }

    /// The bytes `[at, at + len)` of a seal built in memory, which grows to
    /// hold them; `None` for a seal written into the file.
    pub(super) fn memory_at(&mut self, at: u64, len: usize) -> Option<&mut [u8]> {
        let SealOut::Memory { base, bytes } = self else {
            return None;
        };
        let from = (at - *base) as usize;
        bytes.resize(bytes.len().max(from + len), 0);
        Some(&mut bytes[from..from + len])
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
        let dir = crate::writer::test_file::disk_dir();
        let names: Vec<Box<str>> = vec!["a".into(), "bb".into(), "ccc".into()];
        let mut index = SegmentIndex::new(4096, memory_entries);
        let mut offset = 100u64;
        for seq in 0..100_000u64 {
            let len = 30 + seq % 97;
            index.add(type_of(seq), offset, seq, seq as i64, len, &dir);
            offset += len;
        }
        assert_eq!(index.spill.is_some(), memory_entries < 100_000);
        let t = TestFile::new("spilled-seal");
        sealed_in_memory(&index, &t.path, offset, &names)
    }

    /// The seal `index` writes after records ending at `end`, built in memory.
    fn sealed_in_memory(
        index: &SegmentIndex,
        path: &Path,
        end: u64,
        names: &[Box<str>],
    ) -> Vec<u8> {
        let mut out = SealOut::Memory {
            base: end,
            bytes: Vec::new(),
        };
        index.write_seal(&mut out, path, end, names, None).unwrap();
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
    /// seal is byte for byte the one written from runs spilled to a file,
    /// the other types' empty arrays and their CRCs included.
    #[test]
    fn one_type_seals_as_the_spilled_arrays() {
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

    /// Each type's array and its CRC as the seal laid them out before the
    /// index kept per-type arrays: the offsets of `records` (type, offset)
    /// scattered type by type, in record order, the CRC over each array.
    fn scattered_arrays(records: &[(u32, u64)], ntypes: usize) -> Vec<(Vec<u8>, u32)> {
        let mut arrays = vec![Vec::new(); ntypes];
        for &(t, offset) in records {
            arrays[t as usize].extend_from_slice(&offset.to_le_bytes());
        }
        arrays
            .into_iter()
            .map(|a| {
                let crc = crc32fast::hash(&a);
                (a, crc)
            })
            .collect()
    }

    /// Five types interleaved irregularly (one never used), spilled at a
    /// bound that splits runs unevenly or not spilled at all, with or
    /// without the CRCs computed ahead: every type's array and CRC in the
    /// seal are the ones scattered record by record, and the arrays follow
    /// one another in type order from the `SEAL_BEGIN` frame's end.
    #[test]
    fn interleaved_types_seal_as_the_scattered_arrays() {
        let dir = crate::writer::test_file::disk_dir();
        let names: Vec<Box<str>> = ["a", "b", "c", "unused", "e"].map(Box::from).into();
        let type_of = |seq: u64| [0, 2, 2, 1, 4, 0, 0, 0, 2, 4][(seq * seq % 10) as usize];
        let t = TestFile::new("interleaved-seal");
        for (memory_entries, ahead) in [(7_777, false), (7_777, true), (1 << 20, false)] {
            let mut index = SegmentIndex::new(4096, memory_entries);
            let mut records = Vec::new();
            let mut offset = 100u64;
            for seq in 0..50_000u64 {
                let len = 30 + seq % 61;
                index.add(type_of(seq), offset, seq, seq as i64, len, &dir);
                records.push((type_of(seq), offset));
                offset += len;
            }
            assert_eq!(index.spill.is_some(), memory_entries < 50_000);
            if ahead {
                index.checksum_ahead(names.len());
            }
            let bytes = sealed_in_memory(&index, &t.path, offset, &names);
            let dir = assert_scattered(&bytes, offset, &records, names.len());
            assert_eq!(dir.types[3].count, 0);
        }
    }

    /// Asserts that the seal `bytes` written after records ending at `end`
    /// holds every type's array and CRC as scattered from `records`, one
    /// after another in type order from the `SEAL_BEGIN` frame's end;
    /// returns its directory.
    fn assert_scattered(
        bytes: &[u8],
        end: u64,
        records: &[(u32, u64)],
        ntypes: usize,
    ) -> seal::SealDirectory {
        let at = |a: usize| a - end as usize;
        let dir = seal::read_seal_from(end as usize + bytes.len(), 0, |a, n| {
            bytes.get(at(a)..at(a) + n).map(std::borrow::Cow::Borrowed)
        })
        .expect("a whole seal");
        let mut array_at = end + seal::SEAL_BEGIN_LEN as u64;
        for (entry, (array, crc)) in dir.types.iter().zip(scattered_arrays(records, ntypes)) {
            assert_eq!(entry.array_offset, array_at, "{}: where", entry.name);
            let written = &bytes[at(array_at as usize)..][..array.len()];
            assert!(written == array, "{}: the arrays differ", entry.name);
            assert_eq!(entry.array_crc, crc, "{}: CRC", entry.name);
            array_at += array.len() as u64;
        }
        dir
    }

    /// A spill that fails (here its directory does not exist) keeps the
    /// offsets in memory and never lowers the bound, even when it is tried
    /// far below it (arrays taken over from a previous segment fill the
    /// budget): the seal is still the scattered arrays.
    #[test]
    fn a_failed_spill_keeps_the_bound_and_the_arrays() {
        let dir = crate::writer::test_file::disk_dir();
        let missing = dir.join("no-such-spill-dir");
        let mut previous = SegmentIndex::new(4096, 1000);
        for seq in 0..600u64 {
            previous.add((seq % 2) as u32, seq * 10, seq, 0, 10, &dir);
        }
        let mut index = SegmentIndex::new(4096, 1000);
        index.adopt(previous.take_vecs());
        assert!(index.capacity() >= 1000, "the budget is taken");
        let names: Vec<Box<str>> = ["a", "b", "c"].map(Box::from).into();
        let mut records = Vec::new();
        let mut offset = 100u64;
        for seq in 0..5000u64 {
            let t = [0, 2, 1, 2][(seq % 4) as usize];
            index.add(t, offset, seq, seq as i64, 40, &missing);
            records.push((t, offset));
            offset += 40;
            assert!(index.memory_entries >= 1000, "at {seq}: bound lowered");
        }
        assert!(index.spill.is_none(), "every spill failed");
        let t = TestFile::new("failed-spill-seal");
        let bytes = sealed_in_memory(&index, &t.path, offset, &names);
        assert_scattered(&bytes, offset, &records, names.len());
    }

    /// A CRC computed ahead (`checksum_ahead`, while the last buffers
    /// drain) seals the same bytes as one computed when writing, and a
    /// record added after it leaves it unused (the seal checks the record
    /// count); taking the arrays clears it.
    #[test]
    fn a_checksum_computed_ahead_seals_the_same_bytes() {
        let dir = crate::writer::test_file::disk_dir();
        let names: Vec<Box<str>> = vec!["a".into()];
        let t = TestFile::new("seal-ahead");
        let seal = |index: &SegmentIndex, end: u64| sealed_in_memory(index, &t.path, end, &names);
        let mut index = SegmentIndex::new(4096, 1 << 20);
        for seq in 0..1000u64 {
            index.add(0, 100 + seq * 50, seq, seq as i64, 50, &dir);
        }
        let plain = seal(&index, 50_100);
        index.checksum_ahead(names.len());
        assert!(index.memory_crcs_ahead.is_some());
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
        index.checksum_ahead(names.len());
        drop(index.take_vecs());
        assert!(index.memory_crcs_ahead.is_none(), "arrays taken: cleared");
    }

    /// A seal built in memory (`SealOut::Memory`, used while the background
    /// writer drains) is byte for byte the one written piece by piece into
    /// the file, spill file included.
    #[test]
    fn seal_in_memory_equals_seal_in_file() {
        let dir = crate::writer::test_file::disk_dir();
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

    /// A segment of one type among three names (its offsets in memory
    /// written as they are, with a CRC computed ahead or not) writes into
    /// the file the seal it builds in memory.
    #[test]
    fn one_type_seal_in_memory_equals_seal_in_file() {
        let dir = crate::writer::test_file::disk_dir();
        let mut index = SegmentIndex::new(4096, 1 << 20);
        let mut offset = 100u64;
        for seq in 0..5000u64 {
            let len = 30 + seq % 97;
            index.add(1, offset, seq, 1_000 + seq as i64, len, &dir);
            offset += len;
        }
        let names: Vec<Box<str>> = vec!["a".into(), "bb".into(), "ccc".into()];
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
            .write_seal(&mut SealOut::File(f), path, end, names, None)
            .unwrap();
        let mut in_file = vec![0u8; (file_end - end) as usize];
        f.read_exact_at(&mut in_file, end).unwrap();
        let mut mem = SealOut::Memory {
            base: end,
            bytes: Vec::new(),
        };
        let mem_end = index.write_seal(&mut mem, path, end, names, None).unwrap();
        assert_eq!(mem_end, file_end);
        let SealOut::Memory { bytes, .. } = mem else {
            unreachable!()
        };
        (bytes, in_file)
    }
}
