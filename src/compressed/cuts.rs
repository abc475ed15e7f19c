//! Where a sealed segment's frames are cut (docs/FORMAT.md 17.2, whose
//! rules this follows): at the segment's structure, so that opening reads
//! one small frame at the end and a seek one more. Structural cuts: the
//! header's end, the end of the record defining the last type, the seal's
//! start, each offset array's start, first entry and end, the sparse
//! index's start. Records are grouped greedily up to `frame_size` bytes,
//! preferring a frame end at a sparse index entry (a seek's start) in its
//! second half; any other span is cut every `frame_size` bytes.

use crate::format::seal::{SealDirectory, SEAL_BEGIN_LEN};
use crate::format::FRAME_HEADER_LEN;
use std::ops::{ControlFlow, Range};
use std::sync::mpsc::{sync_channel, Receiver};

/// The default size of frames, in original bytes.
pub const DEFAULT_FRAME_SIZE: u64 = 1 << 20;

/// The offsets where frames end, increasing, the last `file.len()`, of
/// the whole sealed segment `file` (its header `header_len` bytes, its
/// seal `seal`, checked).
#[cfg(any(test, feature = "internals"))]
pub fn frame_ends(file: &[u8], header_len: u64, seal: &SealDirectory, frame_size: u64) -> Vec<u64> {
    let mut ends = Vec::new();
    let _ = each_frame_end(file, header_len, seal, frame_size, |end| {
        ends.push(end);
        ControlFlow::Continue(())
    });
    ends
}

/// Frame ends found and not yet taken by `walk_ahead`'s consumer, at most.
pub const CUTS_AHEAD: usize = 64;

/// Calls `consume` with a channel of the offsets `frame_ends` returns,
/// found by a thread of their own up to `CUTS_AHEAD` frames ahead: a
/// writer compresses the first frames while the later ones are walked.
/// The walk stops at the first end it cannot hand over (`consume` has
/// returned) and is joined before this returns. Returns what `consume`
/// returned and how many ends the walk found.
pub fn walk_ahead<T>(
    file: &[u8],
    header_len: u64,
    seal: &SealDirectory,
    frame_size: u64,
    consume: impl FnOnce(Receiver<u64>) -> T,
) -> (T, u64) {
    std::thread::scope(|s| {
        let (found, ends) = sync_channel(CUTS_AHEAD);
        let walk = s.spawn(move || {
            let mut count = 0;
            let _ = each_frame_end(file, header_len, seal, frame_size, |end| {
                count += 1;
                found
                    .send(end)
                    .map_or(ControlFlow::Break(()), ControlFlow::Continue)
            });
            count
        });
        let consumed = consume(ends);
        let found = walk.join().expect("the walk of the cuts does not panic");
        (consumed, found)
    })
}

/// Calls `each` with the offsets `frame_ends` returns, in order, as they
/// are found, until it returns `Break`.
pub fn each_frame_end(
    file: &[u8],
    header_len: u64,
    seal: &SealDirectory,
    frame_size: u64,
    mut each: impl FnMut(u64) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let len = file.len() as u64;
    let frame_size = frame_size.max(1);
    let mut structural = vec![
        header_len,
        seal.records_end,
        seal.records_end + SEAL_BEGIN_LEN as u64,
    ];
    for t in seal.types.iter().filter(|t| t.count > 0) {
        let array = t.array_offset;
        structural.extend([array, array + 8, array + t.count * 8]);
    }
    if let Some(end) = definitions_end(file, seal) {
        if end > header_len && end - header_len <= frame_size && end < seal.records_end {
            structural.push(end);
        }
    }
    structural.extend([seal.sparse_offset, len]);
    structural.retain(|&c| c > 0 && c <= len);
    structural.sort_unstable();
    structural.dedup();

    let seek_starts = sparse_offsets(file, seal);
    let mut start = 0;
    for cut in structural {
        if start >= header_len && cut <= seal.records_end {
            record_ends(file, start..cut, frame_size, &seek_starts, &mut each)?;
        } else {
            fixed_ends(start, cut, frame_size, &mut each)?;
        }
        start = cut;
    }
    ControlFlow::Continue(())
}

/// The end of the record that defines the last type (at the first entry
/// of the last non-empty offset array), if the file holds it.
fn definitions_end(file: &[u8], seal: &SealDirectory) -> Option<u64> {
    let last = seal.types.iter().rev().find(|t| t.count > 0)?;
    let first = array_entry(file, last.array_offset)?;
    next_record(file, first, seal.records_end)
}

/// The offset an offset array's entry at `at` of `file` holds, if the file
/// holds it.
pub(super) fn array_entry(file: &[u8], at: u64) -> Option<u64> {
    let at = usize::try_from(at).ok()?;
    let entry = file.get(at..at.checked_add(8)?)?;
    Some(crate::format::u64_at(entry, 0))
}

/// Cuts `start..end` (not empty) every `frame_size` bytes.
fn fixed_ends(
    start: u64,
    end: u64,
    frame_size: u64,
    each: &mut impl FnMut(u64) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut at = start;
    while end - at > frame_size {
        at += frame_size;
        each(at)?;
    }
    each(end)
}

/// The offsets of the sparse index entries of `file` (where seeks start),
/// increasing; none if the file does not hold the index. They only steer
/// the cuts, so an index that lies costs seeks, never bytes.
fn sparse_offsets(file: &[u8], seal: &SealDirectory) -> Vec<u64> {
    let read = |at: u64, len: usize| file.get(usize::try_from(at).ok()?..)?.get(..len);
    let index = seal.sparse_index(read, |_| true).unwrap_or_default();
    let mut offsets: Vec<u64> = index.iter().map(|e| e.offset).collect();
    // A sound index is in order already; one that is not is taken as the
    // set of offsets it lists, as FORMAT.md 17.2 reads it.
    offsets.sort_unstable();
    offsets.dedup();
    offsets
}

/// How records are grouped into frames (rule 2 of FORMAT.md 17.2): cuts
/// the records `start..end` of `file` greedily at record boundaries,
/// preferring seek starts (the sparse index entries' offsets, increasing);
/// where a length does not lead to a boundary inside `start..end` (a
/// damaged record), the rest is cut every `frame_size` bytes.
fn record_ends(
    file: &[u8],
    Range { start, end }: Range<u64>,
    frame_size: u64,
    seek_starts: &[u64],
    each: &mut impl FnMut(u64) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut seek_starts = seek_starts.iter().copied().peekable();
    let mut frame_start = start;
    let mut last_seek_start = start;
    // The last record boundary.
    let mut pos = start;
    while pos < end {
        let Some(next) = next_record(file, pos, end) else {
            return fixed_ends(frame_start, end, frame_size, each);
        };
        while next - frame_start > frame_size {
            frame_start = if last_seek_start > frame_start + frame_size / 2 {
                last_seek_start
            } else if pos > frame_start {
                pos
            } else {
                frame_start + frame_size
            };
            each(frame_start)?;
        }
        while seek_starts.next_if(|&o| o < next).is_some() {}
        if seek_starts.peek() == Some(&next) {
            last_seek_start = next;
        }
        pos = next;
    }
    if end > frame_start {
        each(end)?;
    }
    ControlFlow::Continue(())
}

/// The end of the record frame at `pos`, if it ends at most at `end`.
pub(super) fn next_record(file: &[u8], pos: u64, end: u64) -> Option<u64> {
    let at = usize::try_from(pos).ok()?;
    let body = file.get(at..at.checked_add(4)?)?;
    let body_len = u32::from_le_bytes(body.try_into().ok()?);
    let next = pos + FRAME_HEADER_LEN as u64 + u64::from(body_len);
    (next <= end).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::seal::{SparseEntry, TypeEntry};

    /// A file of `header` bytes then records of the given body lengths,
    /// then `seal_len` bytes of seal, with the directory's offsets set.
    fn segment(
        header: u64,
        bodies: &[u32],
        arrays: &[u64],
        sparse_len: u64,
        tail: u64,
    ) -> (Vec<u8>, SealDirectory) {
        let mut f = vec![0u8; header as usize];
        for &b in bodies {
            f.extend_from_slice(&b.to_le_bytes());
            f.resize(f.len() + b as usize + 4, 0xaa);
        }
        let mut seal = SealDirectory {
            records_end: f.len() as u64,
            ..Default::default()
        };
        let mut at = seal.records_end + SEAL_BEGIN_LEN as u64;
        for (i, &count) in arrays.iter().enumerate() {
            seal.types.push(TypeEntry {
                name: format!("t{i}"),
                count,
                bytes: 0,
                array_offset: at,
                array_crc: 0,
            });
            at += count * 8;
        }
        seal.sparse_offset = at;
        f.resize((at + sparse_len + tail) as usize, 0);
        (f, seal)
    }

    /// The sizes of the frames after the header's (which ends at `ends[0]`).
    fn frame_sizes(ends: &[u64]) -> Vec<u64> {
        ends.windows(2).map(|w| w[1] - w[0]).collect()
    }

    #[test]
    fn records_are_grouped_up_to_the_frame_size_at_record_boundaries() {
        // Records of 108 bytes (8 + 100); frames of at most 250 bytes take two.
        let (f, seal) = segment(50, &[100; 5], &[5], 48, 90);
        let ends = frame_ends(&f, 50, &seal, 250);
        let re = seal.records_end;
        assert_eq!(re, 50 + 5 * 108);
        assert_eq!(
            ends,
            [
                50,
                50 + 216,
                50 + 432,
                re,
                re + 17,
                re + 17 + 8,
                re + 17 + 40,
                f.len() as u64
            ]
        );
    }

    /// Writes sparse index entries for the records at `offsets` into the
    /// sparse index space of `f` (`seal.sparse_offset` on).
    fn with_sparse_index(f: &mut [u8], seal: &mut SealDirectory, offsets: &[u64]) {
        let mut index = Vec::new();
        for (i, &offset) in offsets.iter().enumerate() {
            SparseEntry {
                seq: i as u64 * 3,
                offset,
                max_ts_before: i64::MIN,
            }
            .encode(&mut index);
        }
        let at = seal.sparse_offset as usize;
        f[at..at + index.len()].copy_from_slice(&index);
        seal.sparse_count = offsets.len() as u64;
    }

    #[test]
    fn record_frames_end_at_a_sparse_index_entry_in_their_second_half() {
        // Records of 108 bytes from 50; entries at records 0, 3, 6 and 9.
        let (mut f, mut seal) = segment(50, &[100; 10], &[10], 4 * 24, 90);
        let at = |i: u64| 50 + 108 * i;
        with_sparse_index(&mut f, &mut seal, &[at(0), at(3), at(6), at(9)]);
        let ends = frame_ends(&f, 50, &seal, 500);
        // Greedy at record boundaries would end them at records 4 and 8.
        assert_eq!(&ends[..4], [50, at(3), at(6), seal.records_end]);
        assert!(frame_sizes(&ends).iter().all(|&s| s <= 500));
        // An index out of order is read as the set of offsets it lists.
        with_sparse_index(&mut f, &mut seal, &[at(6), at(0), at(9), at(3)]);
        assert_eq!(frame_ends(&f, 50, &seal, 500), ends);
    }

    #[test]
    fn a_sparse_index_entry_in_a_frames_first_half_does_not_cut_it() {
        let (mut f, mut seal) = segment(50, &[100; 10], &[10], 2 * 24, 90);
        let at = |i: u64| 50 + 108 * i;
        with_sparse_index(&mut f, &mut seal, &[at(0), at(1)]);
        let ends = frame_ends(&f, 50, &seal, 500);
        assert_eq!(&ends[..4], [50, at(4), at(8), seal.records_end]);
    }

    #[test]
    fn a_record_longer_than_a_frame_is_cut_inside_and_its_end_joins_the_next() {
        let (f, seal) = segment(10, &[492, 20, 20], &[3], 0, 50);
        let ends = frame_ends(&f, 10, &seal, 200);
        // 10..210, 210..410, then 410..566 holds the record's last 100
        // bytes and the two records after it.
        assert_eq!(&ends[..4], [10, 210, 410, 566]);
        assert!(frame_sizes(&ends).iter().all(|&s| s <= 200));
        assert_eq!(
            (ends[3], ends[4]),
            (seal.records_end, seal.records_end + 17)
        );
    }

    #[test]
    fn large_arrays_get_frames_of_their_own_after_their_first_entry_and_the_tail_one_frame() {
        let (f, seal) = segment(10, &[20; 3], &[1, 40, 2], 24 * 2, 60);
        let ends = frame_ends(&f, 10, &seal, 128);
        let a1 = seal.types[1].array_offset;
        let sparse = seal.sparse_offset;
        for cut in [
            a1,
            a1 + 8,
            a1 + 136,
            a1 + 264,
            a1 + 320,
            sparse,
            f.len() as u64,
        ] {
            assert!(ends.contains(&cut), "{cut} in {ends:?}");
        }
        assert!(frame_sizes(&ends).iter().all(|&s| s <= 128 && s > 0));
        assert_eq!(
            ends.windows(2).filter(|w| w[0] >= sparse).count(),
            1,
            "one tail frame in {ends:?}"
        );
    }

    #[test]
    fn the_records_that_define_the_types_get_a_frame_of_their_own() {
        // Ten records of 28 bytes; the last type's first record is the third.
        let (mut f, seal) = segment(10, &[20; 10], &[2, 8], 24, 60);
        let third = 10 + 2 * 28u64;
        let a1 = seal.types[1].array_offset as usize;
        f[a1..a1 + 8].copy_from_slice(&third.to_le_bytes());
        let ends = frame_ends(&f, 10, &seal, 200);
        assert_eq!(&ends[..3], [10, third + 28, third + 28 + 7 * 28]);
        // Not when that record lies more than a frame into the records.
        let ends = frame_ends(&f, 10, &seal, 60);
        assert!(!ends.contains(&(third + 28)), "{ends:?}");
    }

    #[test]
    fn a_walk_stops_at_the_first_end_its_caller_refuses() {
        let (f, seal) = segment(10, &[20; 30], &[30], 24, 60);
        let all = frame_ends(&f, 10, &seal, 100);
        // Stops inside the records, and inside a span cut every frame_size.
        let array = seal.types[0].array_offset;
        let in_array = all.iter().position(|&e| e > array + 8).unwrap();
        for stop in [2, in_array + 1] {
            let mut seen = Vec::new();
            let walked = each_frame_end(&f, 10, &seal, 100, |end| {
                seen.push(end);
                match seen.len() == stop {
                    true => ControlFlow::Break(()),
                    false => ControlFlow::Continue(()),
                }
            });
            assert_eq!(walked, ControlFlow::Break(()));
            assert_eq!(seen, all[..stop], "stopped at the end {stop}");
        }
    }

    #[test]
    fn the_walk_ahead_stops_once_its_consumer_has_failed() {
        // 2000 records of 28 bytes, each a frame of its own.
        let (f, seal) = segment(10, &[20; 2000], &[2000], 24, 60);
        let all = frame_ends(&f, 10, &seal, 28);
        assert!(all.len() > 2000);
        let (failed, found) = walk_ahead(&f, 10, &seal, 28, |ends| {
            let first = ends.recv().unwrap();
            Err::<(), _>(first)
        });
        assert_eq!(failed, Err(all[0]));
        // The one taken, those the channel held, and the one refused.
        assert!(found <= 1 + CUTS_AHEAD as u64 + 1, "walked on to {found}");
        // A consumer that takes every end gets them all.
        let (taken, found) = walk_ahead(&f, 10, &seal, 28, |ends| ends.iter().collect::<Vec<_>>());
        assert_eq!((taken, found), (all.clone(), all.len() as u64));
    }

    #[test]
    fn a_damaged_length_falls_back_to_fixed_cuts_and_keeps_every_byte() {
        let (mut f, seal) = segment(10, &[20; 30], &[30], 24, 60);
        f[10 + 28 * 3..10 + 28 * 3 + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let ends = frame_ends(&f, 10, &seal, 100);
        assert_eq!(*ends.last().unwrap(), f.len() as u64);
        assert!(ends.windows(2).all(|w| w[0] < w[1]));
        assert!(frame_sizes(&ends).iter().all(|&s| s <= 100));
        assert!(ends.contains(&seal.records_end));
    }
}
