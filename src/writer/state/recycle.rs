//! The memory a closed segment leaves to the next segment of its log.

use super::State;
use crate::writer::index::IndexVecs;

/// Memory a closed writer leaves to the next segment of its log: its
/// buffers, its seal's buffer and its index arrays, emptied. A rolling log
/// passes it on so that the new segment does not fault in fresh pages for
/// all of them (several MB a roll with large segments of large records).
#[derive(Default)]
pub struct Recycled {
    pub(in crate::writer) bufs: Vec<Vec<u8>>,
    pub(in crate::writer) seal: Vec<u8>,
    pub(super) index: IndexVecs,
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

impl State {
    /// After `close`: the memory the next segment of a log can reuse
    /// (nothing while open).
    pub fn recycle(&mut self) -> Recycled {
        if self.file.is_some() {
            return Recycled::default();
        }
        // Spare buffers are kept empty (see `take_finished` and `close`).
        let bufs = std::mem::take(&mut self.spare_bufs);
        let mut seal = std::mem::take(&mut self.seal_buf);
        seal.clear();
        let index = self.index.take_vecs();
        Recycled { bufs, seal, index }
    }
}

#[cfg(test)]
mod tests {
    use crate::writer::options::Options;
    use crate::writer::test_file::temp_segment;
    use crate::writer::{Purpose, Writer};

    /// A writer opened with the memory a closed one left (a log's roll)
    /// takes it over, and writes the same segment, byte for byte, as a
    /// writer opened without it. A plain `close` keeps none of it.
    #[test]
    fn recycled_memory_writes_the_same_segment() {
        let opts = |no| Options {
            buffer_size: 64 << 10,
            created_ns: Some(1),
            segment_no: no,
            ..Options::default()
        };
        // `types` picks each record's type; payloads vary in length so that
        // records straddle the buffers' unit boundaries.
        let write = |w: &Writer, n: u64, byte: u8, types: &[&str]| {
            for i in 0..n {
                let t = types[i as usize % types.len()];
                let len = 60 + (i % 97) as usize;
                w.write_with(t, &[("k", "v")], Some(i as i64), &[byte; 160][..len])
                    .unwrap();
            }
        };
        // Many records: several buffers, a large seal, large index arrays.
        let first = temp_segment("recycle-first");
        let a = Writer::open(&first, opts(0)).unwrap();
        write(&a, 20_000, 0xaa, &["x", "y", "y"]);
        let open = a.shared.state.lock().recycle();
        assert_eq!(open.bufs.len(), 0, "nothing while open");
        let recycled = a.close_recycling().unwrap();
        assert!(recycled.bufs.len() >= 2, "{} buffers", recycled.bufs.len());
        assert!(recycled.bufs.iter().all(|b| b.is_empty()));
        assert!(recycled.seal.capacity() >= 20_000 * 8, "seal buffer kept");

        let reused = temp_segment("recycle-reused");
        let b = Writer::open_for(&reused, opts(1), recycled, Purpose::Append).unwrap();
        assert!(b.shared.state.lock().index.capacity() >= 20_000);
        // Other types and sizes, through every recycled buffer (about 30
        // buffers' worth) and a smaller seal than the first segment's.
        let types = ["z", "x", "w", "w"];
        write(&b, 15_000, 0x55, &types);
        b.close().unwrap();
        let left = b.shared.state.lock().recycle();
        assert!(
            left.bufs.is_empty() && left.seal.capacity() == 0,
            "close frees"
        );
        let fresh = temp_segment("recycle-fresh");
        let c = Writer::open(&fresh, opts(1)).unwrap();
        write(&c, 15_000, 0x55, &types);
        c.close().unwrap();
        let (got, want) = (
            std::fs::read(&reused).unwrap(),
            std::fs::read(&fresh).unwrap(),
        );
        assert!(
            got == want,
            "recycled {} bytes, fresh {}",
            got.len(),
            want.len()
        );
        let mut r = crate::reader::Reader::open(&reused).unwrap();
        let mut n = 0u64;
        while let Some(rec) = r.next().unwrap() {
            assert_eq!(rec.seq, n);
            assert_eq!(rec.type_name, types[n as usize % types.len()]);
            assert!(rec.payload.iter().all(|&b| b == 0x55), "record {n}");
            n += 1;
        }
        assert_eq!(n, 15_000);
    }
}
