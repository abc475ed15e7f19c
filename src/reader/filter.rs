//! Reading only some types. On a sealed segment the per-type offset arrays
//! from the seal are merged in offset order, and the scattered records they
//! point at are read through the mapping, or with one pread each into a
//! buffer (`IndexedRead` chooses); an index that points at no record of its
//! type is left for a scan. Otherwise the reader scans and skips other
//! types.
//!
//! Which way is cheaper depends on how the page cache holds the file, which
//! the reader cannot ask: through the mapping a record costs a page fault
//! unless the fault of a record nearby mapped its page too (a 2 MiB folio
//! is mapped whole, a small one with the 64 KiB around the record), and a
//! fault costs two to five preads. So the reader counts its faults (not
//! time, which moves with the load): it reads `CHECK` records through the
//! mapping and keeps it while they take at most one fault in four records
//! (the first's not counted), counting again every `WINDOW` records; else
//! it reads with pread, and tries the mapping again after `CHECK_EVERY`
//! records, twice as far each time pread stays the way (docs/PERFORMANCE.md).

use super::frame_check::{FrameCheck, INCOMPLETE};
use super::pager::PREAD_MAX;
use super::Reader;
use crate::error::Result;
use crate::format::frame::{self, MIN_RECORD_FRAME};
use crate::format::{seal::SealDirectory, u64_at, FRAME_HEADER_LEN};
use crate::source::SegmentSource;

/// The most bytes of offset arrays a filter copies out of a seal (8 a
/// record: 8 M records of the types asked for). Above, the reader scans:
/// its memory stays bounded, and a filter that selects that many records
/// reads most of a segment anyway.
pub const ARRAYS_COPY_MAX: u64 = 64 << 20;

/// One type's offset array, copied out of the seal, and a position in it.
pub struct ArrayCursor {
    /// The whole array.
    pub offsets: Vec<u64>,
    idx: usize,
    pub type_name: Box<str>,
    /// The type's id (its index in the seal's type table; read by a type
    /// copy's reader, src/compressed).
    #[cfg_attr(not(feature = "compression"), allow(dead_code))]
    pub type_id: u32,
}

impl ArrayCursor {
    /// The index of the entry `TypeFilter::next_indexed` last took.
    #[cfg_attr(not(feature = "compression"), allow(dead_code))]
    pub fn taken(&self) -> Option<usize> {
        self.idx.checked_sub(1)
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
            let wants = |name: &str| names.iter().any(|n| **n == *name);
            let wanted = || d.types.iter().enumerate().filter(|(_, t)| wants(&t.name));
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
                let offsets = bytes.chunks_exact(8).map(|c| u64_at(c, 0)).collect();
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
            .filter_map(|(i, c)| Some((i, *c.offsets.get(c.idx)?)))
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
        for c in self.cursors.iter_mut().flatten() {
            c.seek(offset);
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
        let off = u64_at(c, 0);
        let ok = off >= lowest && off < end;
        lowest = off.saturating_add(min_frame);
        ok
    })
}

/// How many records ahead of the one it checks a read through the
/// per-type index prefetches (see `prefetch_ahead`).
const PREFETCH_AHEAD: usize = 3;
/// Records read through the mapping to choose the way where pread is the
/// way (and for the first records). The faults of all but the first are
/// counted: the first may map a whole 2 MiB folio, after which the others,
/// 62 KB apart at 1% of 600 B records, take none; in small folios each
/// takes one.
const CHECK: u32 = 2;
/// While the mapping is the way, its faults are counted over each `WINDOW`
/// records: a file's folios differ from region to region (its first
/// megabytes in 2 MiB folios and the rest in the 64 KiB pieces a writer
/// leaves where memory is fresh, `write_behind::pieces`; pages evicted and
/// read in again one by one).
const WINDOW: u32 = 32;
/// Where pread is the way, records from one check to the next: each check
/// costs its faults, so they come twice as far apart each time pread stays
/// the way, up to `GAP_MAX`.
const CHECK_EVERY: u32 = 256;
const GAP_MAX: u32 = 512;

#[derive(Default)]
pub(super) struct IndexedRead {
    /// The last frame copied by `read_indexed`; a record view may point
    /// into it until the next call on the reader.
    pub(super) frame_copy: Vec<u8>,
    /// How many bytes `read_indexed` reads first: the last frame's length,
    /// so that records of one size take one pread each.
    pub(super) first_pread_len: usize,
    /// Indexed records read since the count under way began.
    n: u32,
    /// The thread's page faults where it began (a check's: after its
    /// first record; a window's: where the last count ended).
    faults: u64,
    /// The way the last count chose.
    via_map: bool,
    /// Where pread is the way: records from a check's start to the next's.
    gap: u32,
}

impl IndexedRead {
    /// Whether the next indexed record is read through the mapping.
    pub fn via_map(&self) -> bool {
        self.via_map || self.n < CHECK
    }

    /// Before an indexed read: a check's count begins with its second.
    /// `faults`: the thread's page faults (`thread_page_faults`).
    pub fn start(&mut self, faults: impl FnOnce() -> u64) {
        if self.n == 1 && !self.via_map {
            self.faults = faults();
        }
    }

    /// Counts one indexed record read. The mapping is kept while the
    /// records counted took at most one fault in four (a fault costs two
    /// to five preads). While it is the way, a count begins where the last
    /// ended: one `getrusage` a window.
    pub fn done(&mut self, faults: impl FnOnce() -> u64) {
        self.n += 1;
        let counted = if self.via_map { WINDOW } else { CHECK };
        if self.n == counted {
            let now = faults();
            self.via_map = now.saturating_sub(self.faults) * 4 < u64::from(counted);
            self.faults = now;
            self.gap = match self.via_map {
                true => CHECK_EVERY / 2,
                false => (self.gap * 2).clamp(CHECK_EVERY, GAP_MAX),
            };
            if self.via_map {
                self.n = 0;
            }
        } else if self.n == self.gap {
            self.n = 0;
        }
    }

    /// Forces one way (tests read every indexed record both ways).
    #[cfg(test)]
    pub fn force(&mut self, via_map: bool) {
        (self.n, self.via_map, self.gap) = (WINDOW, via_map, u32::MAX);
    }
}

impl Reader {
    /// Reads the frame at `pos`, which the seal's per-type index points at,
    /// into `frame_copy` with pread and checks it; `None` when the frame is
    /// too large to copy (the caller reads it through the mapping). Used
    /// when faster than the mapping (see `IndexedRead`).
    #[inline]
    pub(super) fn read_indexed(&mut self, pos: usize) -> Result<Option<FrameCheck>> {
        let avail = self.end.saturating_sub(pos);
        let first = (self.indexed.first_pread_len)
            .clamp(FRAME_HEADER_LEN, PREAD_MAX)
            .min(avail);
        if first < FRAME_HEADER_LEN || !self.pread_frame(pos, 0, first)? {
            return Ok(Some(INCOMPLETE));
        }
        let (len, _) = frame::frame_header(&self.indexed.frame_copy, 0).expect("read");
        let total = FRAME_HEADER_LEN + len as usize;
        if total > PREAD_MAX {
            return Ok(None);
        }
        if total > avail || (total > first && !self.pread_frame(pos, first, total)?) {
            return Ok(Some(INCOMPLETE));
        }
        let copy = &self.indexed.frame_copy;
        Ok(Some(FrameCheck::of(frame::frame_at(copy, 0, true))))
    }

    /// Reads bytes `from..to` of the frame at `pos` into `frame_copy`, which
    /// then holds `to` bytes; false if the file ends before.
    fn pread_frame(&mut self, pos: usize, from: usize, to: usize) -> Result<bool> {
        self.indexed.frame_copy.resize(to, 0);
        let into = &mut self.indexed.frame_copy[from..to];
        Ok(self.source.pread(&self.path, into, pos + from)? == to - from)
    }

    /// Whether the records are read through the per-type index, and pread
    /// is the way (checks through the mapping included).
    pub(super) fn indexed_by_pread(&self) -> bool {
        !self.indexed.via_map && self.filter.as_ref().is_some_and(|f| f.cursors.is_some())
    }

    /// Asks the CPU for the record `PREFETCH_AHEAD` entries further along
    /// filter cursor `i` (the size of the last indexed record read), so
    /// that it is loaded while this one is checked. Not into the first-level
    /// cache (`prefetcht2`), which measured faster (docs/PERFORMANCE.md).
    #[inline]
    pub(super) fn prefetch_ahead(&self, i: usize) {
        let ahead = |f: &TypeFilter| usize::try_from(f.ahead(i, PREFETCH_AHEAD)?).ok();
        let Some(next) = self.filter.as_ref().and_then(ahead) else {
            return;
        };
        let to = next.saturating_add(self.indexed.first_pread_len);
        let ahead = self.map.get(next..to.min(self.end)).unwrap_or_default();
        crate::sys::prefetch::prefetch_not_l1(ahead);
    }

    /// A read through the per-type index found no record of its type, or
    /// one that cannot be where the array puts it: the record is damaged,
    /// or the array lies. Either way the arrays are not used again: the
    /// filter scans on from `from` (the position after the last record
    /// returned, and the sequence number expected there), reporting damage
    /// where it is, as a scan does.
    #[inline]
    pub(super) fn stop_using_index(&mut self, from: (usize, u64)) {
        if let Some(f) = self.filter.as_mut() {
            f.cursors = None;
        }
        (self.pos, self.next_seq) = from;
        self.source.forget_checked();
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_segments::{owned, payload, temp_path};
    use super::*;
    use crate::{ErrorKind, Options, Tail, Writer};

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
    }

    /// Reads `records` indexed records, one read through the mapping in
    /// `fault_every` taking a page fault (a thread's count, as
    /// `thread_page_faults`, starting at `faults`); returns the way each
    /// was read.
    fn run(r: &mut IndexedRead, records: u32, fault_every: u32, faults: &mut u64) -> Vec<bool> {
        let mut mapped = 0;
        (0..records)
            .map(|_| {
                let way = r.via_map();
                r.start(|| *faults);
                if way {
                    mapped += 1;
                    *faults += u64::from(mapped % fault_every == 0);
                }
                r.done(|| *faults);
                way
            })
            .collect()
    }

    /// The records read through the mapping, by their index.
    fn mapped(ways: &[bool]) -> Vec<usize> {
        (0..ways.len()).filter(|&i| ways[i]).collect()
    }

    /// Where a record read through the mapping rarely faults (2 MiB
    /// folios), every record is.
    #[test]
    fn the_mapping_is_kept_while_its_reads_rarely_fault() {
        for fault_every in [u32::MAX, 32, 8] {
            let mut r = IndexedRead::default();
            let ways = run(&mut r, 2000, fault_every, &mut 0);
            assert!(ways.iter().all(|&m| m), "a fault every {fault_every}");
        }
    }

    /// Where most reads through the mapping fault (small folios), pread is
    /// the way after the first `CHECK` records, and the mapping is tried
    /// again `CHECK` records at a time, twice as far apart each time, up
    /// to `GAP_MAX`. Of these the first's fault is not counted.
    #[test]
    fn where_reads_through_the_mapping_fault_pread_is_the_way() {
        for fault_every in [1, 2] {
            let mut r = IndexedRead::default();
            let ways = run(&mut r, 4000, fault_every, &mut 0);
            let checks = [0, 256, 768, 1280, 1792, 2304, 2816, 3328, 3840];
            let want: Vec<usize> = checks.iter().flat_map(|&c| c..c + CHECK as usize).collect();
            assert_eq!(mapped(&ways), want, "a fault every {fault_every}");
        }
    }

    /// While the mapping is the way, the faults are read once a window (a
    /// `getrusage` each): a count begins where the last ended.
    #[test]
    fn while_the_mapping_is_the_way_faults_are_read_once_a_window() {
        let (mut r, mut reads) = (IndexedRead::default(), 0);
        for _ in 0..CHECK + 10 * WINDOW {
            r.start(|| {
                reads += 1;
                0
            });
            r.done(|| {
                reads += 1;
                0
            });
        }
        assert!(r.via_map());
        assert_eq!(reads, 2 + 10, "the check's two, then one a window");
    }

    /// A file's folios differ from region to region: where reads through
    /// the mapping, the way, start to fault, the count of the window under
    /// way turns to pread; where they stop, the next check turns back.
    #[test]
    fn the_way_changes_where_the_faults_change() {
        let (mut r, faults) = (IndexedRead::default(), &mut 0);
        let ways = run(&mut r, CHECK + 3 * WINDOW, u32::MAX, faults);
        assert!(ways.iter().all(|&m| m));
        let ways = run(&mut r, 1000, 1, faults);
        let window = 0..WINDOW as usize;
        let check = |at: usize| at..at + CHECK as usize;
        let want: Vec<usize> = window.chain(check(256)).chain(check(768)).collect();
        assert_eq!(mapped(&ways), want);
        // The next check is 512 records after the last.
        let ways = run(&mut r, 1000, u32::MAX, faults);
        let back = 768 + 512 - 1000;
        assert!(ways[..back].iter().all(|&m| !m), "{ways:?}");
        assert!(ways[back..].iter().all(|&m| m), "{ways:?}");
    }

    #[test]
    fn indexed_filter_reads_what_a_scan_reads() {
        let p = temp_path("indexed");
        let w = Writer::open(&p, Options::default()).unwrap();
        for i in 0..60 {
            let ty = ["a", "b", "c"][i % 3];
            let i_str = i.to_string();
            w.write_with(ty, &[("i", &i_str)], None, &payload(i))
                .unwrap();
        }
        w.close().unwrap();

        let mut r = Reader::open(&p).unwrap();
        let mut scanned = Vec::new();
        while let Some(rec) = r.next().unwrap() {
            scanned.push(owned(&rec));
        }
        // Measured (mapping, then pread, then the faster), and each way.
        let ways = [None, Some(true), Some(false)];
        for (names, way) in [&["b"][..], &["a", "c"][..]]
            .into_iter()
            .flat_map(|n| ways.map(|w| (n, w)))
        {
            let mut r = Reader::open(&p).unwrap();
            if let Some(via_map) = way {
                r.indexed.force(via_map);
            }
            r.filter_types(names);
            assert!(
                r.filter.as_ref().unwrap().cursors.is_some(),
                "sealed: indexed"
            );
            let mut got = Vec::new();
            while let Some(rec) = r.next().unwrap() {
                got.push(owned(&rec));
            }
            let want: Vec<_> = scanned
                .iter()
                .filter(|x| names.contains(&x.1.as_str()))
                .cloned()
                .collect();
            assert_eq!(got, want, "{names:?} {way:?}");
            assert_eq!(r.tail(), Tail::Sealed);
        }
    }

    /// A frame too large to pread (read through the mapping) does not
    /// become the size guess of the next pread: the record after it is
    /// read with one small pread, not 64 KiB.
    #[test]
    fn a_large_record_does_not_inflate_the_next_pread() {
        let p = temp_path("indexed-guess");
        let w = Writer::open(&p, Options::default()).unwrap();
        for i in 0..10 {
            let len = if i == 2 { PREAD_MAX + 10 } else { 600 };
            w.write("a", &vec![i as u8; len]).unwrap();
        }
        w.close().unwrap();
        let mut r = Reader::open(&p).unwrap();
        r.indexed.force(false);
        r.filter_types(&["a"]);
        for i in 0..4 {
            let rec = r.next().unwrap().unwrap();
            assert_eq!(rec.payload[0], i as u8);
        }
        assert!(
            r.indexed.frame_copy.len() < 1024,
            "the record after the large one read {} bytes",
            r.indexed.frame_copy.len()
        );
    }

    /// Indexed records read with pread map only the pages of the mapping's
    /// checks: past `RELEASE_EVERY` bytes the reader hands nothing back
    /// (an madvise each time), in a check's reads through the mapping
    /// either; where the mapping is the way, it does.
    #[test]
    fn indexed_reads_with_pread_hand_back_no_pages() {
        let p = temp_path("indexed-release");
        let w = Writer::open(&p, Options::default()).unwrap();
        for _ in 0..2 {
            w.write("b", &vec![7; 40 << 20]).unwrap();
        }
        for i in 0..4 {
            w.write("a", &payload(i)).unwrap();
        }
        w.close().unwrap();
        for (via_map, in_check) in [(false, false), (false, true), (true, false)] {
            let mut r = Reader::open(&p).unwrap();
            r.indexed.force(via_map);
            r.filter_types(&["a"]);
            let mut n = 0;
            loop {
                if in_check {
                    // Each record a check's first, read through the mapping.
                    r.indexed.n = 0;
                }
                if r.next().unwrap().is_none() {
                    break;
                }
                n += 1;
            }
            assert_eq!(n, 4);
            assert_eq!(r.released_below > 0, via_map, "{via_map} {in_check}");
        }
    }

    #[test]
    fn indexed_filter_checks_the_crc_of_copied_frames() {
        let p = temp_path("indexed-crc");
        let w = Writer::open(&p, Options::default()).unwrap();
        for i in 0..10 {
            w.write(["a", "b"][i % 2], &[i as u8; 600]).unwrap();
        }
        w.close().unwrap();
        let mut r = Reader::open(&p).unwrap();
        let mut offsets = Vec::new();
        while let Some(rec) = r.next().unwrap() {
            offsets.push(rec.offset + rec.frame_len - 1);
        }
        drop(r);
        // Flip the last payload byte of the fourth record (type "b").
        let mut bytes = std::fs::read(&p).unwrap();
        bytes[offsets[3] as usize] ^= 1;
        std::fs::write(&p, &bytes).unwrap();

        for via_map in [true, false] {
            let mut r = Reader::open(&p).unwrap();
            r.indexed.force(via_map);
            r.filter_types(&["b"]);
            assert_eq!(r.next().unwrap().unwrap().seq, 1);
            let err = r.next().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
            let at = offsets[2] + 1;
            assert!(
                err.message().contains(&at.to_string()),
                "via_map {via_map}: {err} does not name offset {at}"
            );
        }
    }
}
