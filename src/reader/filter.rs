//! Reading only some types. On a sealed segment the per-type offset arrays
//! from the seal are merged in offset order; otherwise the reader scans and
//! skips other types.

use crate::format::frame::MIN_RECORD_FRAME;
use crate::format::seal::SealDirectory;

/// One type's offset array in the mapped segment, and a position in it.
pub struct ArrayCursor {
    /// Byte offset of the array in the file.
    start: usize,
    count: usize,
    idx: usize,
    pub type_name: Box<str>,
}

impl ArrayCursor {
    fn get(&self, map: &[u8], i: usize) -> u64 {
        let at = self.start + i * 8;
        u64::from_le_bytes(map[at..at + 8].try_into().expect("8 bytes"))
    }

    fn peek(&self, map: &[u8]) -> Option<u64> {
        (self.idx < self.count).then(|| self.get(map, self.idx))
    }

    /// Moves to the first entry at or after `offset` (arrays are sorted).
    fn seek(&mut self, map: &[u8], offset: u64) {
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.get(map, mid) < offset {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        self.idx = lo;
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
    pub fn new(
        names: &[&str],
        seal: Option<&SealDirectory>,
        map: &[u8],
        data_start: u64,
    ) -> TypeFilter {
        let names: Vec<Box<str>> = names.iter().map(|n| Box::from(*n)).collect();
        let cursors = seal.and_then(|d| {
            let mut cursors = Vec::new();
            for t in d
                .types
                .iter()
                .filter(|t| names.iter().any(|n| **n == *t.name))
            {
                let start = usize::try_from(t.array_offset).ok()?;
                let count = usize::try_from(t.count).ok()?;
                let bytes = map.get(start..start.checked_add(count.checked_mul(8)?)?)?;
                if crc32fast::hash(bytes) != t.array_crc
                    || !sorted_within(bytes, data_start, d.records_end)
                {
                    return None;
                }
                cursors.push(ArrayCursor {
                    start,
                    count,
                    idx: 0,
                    type_name: t.name.as_str().into(),
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
    pub fn next_indexed(&mut self, map: &[u8]) -> Option<(u64, usize)> {
        let cursors = self.cursors.as_mut()?;
        let (i, off) = cursors
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.peek(map).map(|o| (i, o)))
            .min_by_key(|&(_, o)| o)?;
        cursors[i].idx += 1;
        Some((off, i))
    }

    /// The offset `k` entries after the last one `next_indexed` took from
    /// cursor `i` (for prefetching); `None` past the end or for `k == 0`.
    pub fn ahead(&self, map: &[u8], i: usize, k: usize) -> Option<u64> {
        let c = self.cursors.as_ref()?.get(i)?;
        let at = (c.idx + k).checked_sub(1)?;
        (k > 0 && at < c.count).then(|| c.get(map, at))
    }

    pub fn seek(&mut self, map: &[u8], offset: u64) {
        if let Some(cursors) = self.cursors.as_mut() {
            for c in cursors {
                c.seek(map, offset);
            }
        }
    }
}

/// Whether the u64 offsets in `bytes` increase by at least a record frame
/// each and lie in `[start, end)`, the records. A CRC-valid array that is
/// not (a hostile or miswritten seal) would make a filtered read return
/// records out of order or twice, or the binary search of `seek` skip
/// some: such an array is not used (the reader scans instead). Checked
/// once, in the pass that checks the CRC.
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
    use super::*;

    /// `ahead` counts from the entry `next_indexed` last took: 1 is the
    /// next one; 0 and past the end are `None`.
    #[test]
    fn ahead_counts_from_the_last_entry_taken() {
        let map: Vec<u8> = [100u64, 200, 300]
            .iter()
            .flat_map(|o| o.to_le_bytes())
            .collect();
        let mut f = TypeFilter {
            names: vec!["a".into()],
            cursors: Some(vec![ArrayCursor {
                start: 0,
                count: 3,
                idx: 0,
                type_name: "a".into(),
            }]),
        };
        assert_eq!(f.ahead(&map, 0, 0), None);
        assert_eq!(f.ahead(&map, 0, 1), Some(100), "before any entry is taken");
        assert_eq!(f.next_indexed(&map), Some((100, 0)));
        assert_eq!(f.ahead(&map, 0, 1), Some(200));
        assert_eq!(f.ahead(&map, 0, 2), Some(300));
        assert_eq!(f.ahead(&map, 0, 3), None);
        assert_eq!(f.ahead(&map, 1, 1), None, "no such cursor");
    }
}
