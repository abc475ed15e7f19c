//! Reading only some types. On a sealed segment the per-type offset arrays
//! from the seal are merged in offset order; otherwise the reader scans and
//! skips other types.

use crate::format::frame::MIN_RECORD_FRAME;

/// The most bytes of offset arrays a filter copies out of a seal (8 a
/// record: 8 M records of the types asked for). Above, the reader scans:
/// its memory stays bounded, and a filter that selects that many records
/// reads most of a segment anyway.
pub const ARRAYS_COPY_MAX: u64 = 64 << 20;
use crate::format::seal::SealDirectory;
use crate::source::SegmentSource;

/// One type's offset array, copied out of the seal, and a position in it.
pub struct ArrayCursor {
    offsets: Vec<u64>,
    idx: usize,
    pub type_name: Box<str>,
    /// The type's id (its index in the seal's type table; read by a type
    /// copy's reader, src/compressed).
    #[cfg_attr(not(feature = "compression"), allow(dead_code))]
    pub type_id: u32,
}

impl ArrayCursor {
    /// The whole array.
    #[cfg_attr(not(feature = "compression"), allow(dead_code))]
    pub fn offsets(&self) -> &[u64] {
        &self.offsets
    }

    /// The index of the entry `TypeFilter::next_indexed` last took.
    #[cfg_attr(not(feature = "compression"), allow(dead_code))]
    pub fn taken(&self) -> Option<usize> {
        self.idx.checked_sub(1)
    }

    fn peek(&self) -> Option<u64> {
        self.offsets.get(self.idx).copied()
    }

    /// Moves to the first entry at or after `offset` (arrays are sorted).
    fn seek(&mut self, offset: u64) {
        self.idx = self.offsets.partition_point(|&o| o < offset);
    }
}

pub struct TypeFilter {
    pub names: Vec<Box<str>>,
    /// Present when the seal's arrays could be used.
    pub cursors: Option<Vec<ArrayCursor>>,
}

impl TypeFilter {
    /// Builds a filter; uses the seal's arrays when all of them check out:
    /// their CRCs match and each is sorted, as a writer writes it (see
    /// `sorted_within`). `data_start` is where the records start.
    ///
    /// The arrays are copied out of the `original` bytes, with pread, not
    /// read through the mapping (see `map_file`). A seal already cut (the
    /// read comes up short) is not used: the reader scans, as it does when
    /// the arrays would take more than `copy_max` bytes.
    pub fn new(
        names: &[&str],
        seal: Option<&SealDirectory>,
        original: &dyn SegmentSource,
        data_start: u64,
        copy_max: u64,
    ) -> TypeFilter {
        let names: Vec<Box<str>> = names.iter().map(|n| Box::from(*n)).collect();
        let cursors = seal.and_then(|d| {
            let wanted = || {
                d.types
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| names.iter().any(|n| **n == *t.name))
            };
            let total = wanted().try_fold(0u64, |sum, (_, t)| sum.checked_add(t.count));
            if total?.checked_mul(8)? > copy_max {
                return None;
            }
            let mut cursors = Vec::new();
            for (id, t) in wanted() {
                let len = usize::try_from(t.count).ok()?.checked_mul(8)?;
                let bytes = original.read_part(t.array_offset, len)?;
                if crc32fast::hash(&bytes) != t.array_crc
                    || !sorted_within(&bytes, data_start, d.records_end)
                {
                    return None;
                }
                let offsets = bytes
                    .chunks_exact(8)
                    .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
                    .collect();
                cursors.push(ArrayCursor {
                    offsets,
                    idx: 0,
                    type_name: t.name.as_str().into(),
                    type_id: id as u32,
                });
            }
            Some(cursors)
        });
        TypeFilter { names, cursors }
    }

    pub fn wants(&self, type_name: &str) -> bool {
        self.names.iter().any(|n| **n == *type_name)
    }

    /// The next indexed offset and the cursor it came from; advances it.
    pub fn next_indexed(&mut self) -> Option<(u64, usize)> {
        let cursors = self.cursors.as_mut()?;
        let (i, off) = cursors
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.peek().map(|o| (i, o)))
            .min_by_key(|&(_, o)| o)?;
        cursors[i].idx += 1;
        Some((off, i))
    }

    /// The offset `k` entries after the last one `next_indexed` took from
    /// cursor `i` (for prefetching); `None` past the end or for `k == 0`.
    pub fn ahead(&self, i: usize, k: usize) -> Option<u64> {
        let c = self.cursors.as_ref()?.get(i)?;
        let at = (c.idx + k).checked_sub(1)?;
        c.offsets.get(at).copied().filter(|_| k > 0)
    }

    pub fn seek(&mut self, offset: u64) {
        if let Some(cursors) = self.cursors.as_mut() {
            for c in cursors {
                c.seek(offset);
            }
        }
    }
}

/// Whether the u64 offsets in `bytes` increase by at least a record frame
/// each and lie in `[start, end)`, the records. A CRC-valid array that is
/// not (a hostile or miswritten seal) would make a filtered read return
/// records out of order or twice, or `seek` skip some: it is not used.
fn sorted_within(bytes: &[u8], start: u64, end: u64) -> bool {
    let min_frame = MIN_RECORD_FRAME as u64;
    let mut lowest = start;
    bytes.chunks_exact(8).all(|c| {
        let off = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        let ok = off >= lowest && off < end;
        lowest = off.saturating_add(min_frame);
        ok
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_segments::{payload, temp_path};
    use super::*;
    use crate::{Options, Reader, Writer};

    /// `ahead` counts from the entry `next_indexed` last took: 1 is the
    /// next one; 0 and past the end are `None`.
    #[test]
    fn ahead_counts_from_the_last_entry_taken() {
        let mut f = TypeFilter {
            names: vec!["a".into()],
            cursors: Some(vec![ArrayCursor {
                offsets: vec![100, 200, 300],
                idx: 0,
                type_name: "a".into(),
                type_id: 0,
            }]),
        };
        assert_eq!(f.ahead(0, 0), None);
        assert_eq!(f.ahead(0, 1), Some(100), "before any entry is taken");
        assert_eq!(f.next_indexed(), Some((100, 0)));
        assert_eq!(f.ahead(0, 1), Some(200));
        assert_eq!(f.ahead(0, 2), Some(300));
        assert_eq!(f.ahead(0, 3), None);
        assert_eq!(f.ahead(1, 1), None, "no such cursor");
    }

    /// A filter whose offset arrays would take more than the copy limit
    /// does not use them (memory stays bounded): the reader scans, and
    /// returns the same records.
    #[test]
    fn a_filter_over_the_arrays_copy_limit_scans() {
        let p = temp_path("copy-limit");
        let w = Writer::open(&p, Options::default()).unwrap();
        for i in 0..300 {
            w.write(["a", "b"][usize::from(i % 10 == 0)], &payload(i))
                .unwrap();
        }
        w.close().unwrap();
        let read = |limit: u64, names: &[&str]| {
            let mut r = Reader::open(&p).unwrap();
            r.arrays_copy_max = limit;
            r.filter_types(names);
            let indexed = r.filter.as_ref().unwrap().cursors.is_some();
            let mut seqs = Vec::new();
            while let Some(rec) = r.next().unwrap() {
                seqs.push(rec.seq);
            }
            (indexed, seqs)
        };
        let b: Vec<u64> = (0..300).step_by(10).collect();
        // "b" has 30 records (240 bytes of offsets), "a" 270 (2160).
        assert_eq!(read(240, &["b"]), (true, b.clone()), "at the limit");
        assert_eq!(read(239, &["b"]), (false, b), "past it");
        assert_eq!(read(2399, &["a", "b"]), (false, (0..300).collect()));
        std::fs::remove_dir_all(p.parent().unwrap()).unwrap();
    }
}
