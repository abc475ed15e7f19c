//! Type copies (docs/FORMAT.md 17.5), with no I/O: which types get a
//! second copy of their records, the copy frames' record groups, the copy
//! directory's bytes, and a reader's checks of a directory and a frame.
//!
//! A rare type spread over the segment has records in nearly every frame:
//! its copy (its record frames back to back, compressed in skippable
//! frames that `zstd -d` skips) lets a reader decompress only its records.
//! Records keep their CRCs; the type's offset array pairs the `k`th record
//! of the copy with its offset in the segment.

use super::cuts::{array_entry, next_record};
use super::seek_table::MAX_FRAME_DECOMPRESSED;
use crate::format::frame::{self, FrameAt, KIND_RECORD, MIN_RECORD_FRAME};
use crate::format::seal::{SealDirectory, SparseEntry};
use crate::format::{u32_at, u64_at};
use std::ops::Range;

/// Skippable frame magic of a copy frame: one zstd frame of records.
pub const COPY_FRAME_MAGIC: u32 = 0x184D_2A5B;
/// Skippable frame magic of the copy directory.
pub const COPY_DIRECTORY_MAGIC: u32 = 0x184D_2A5C;
/// The directory's first eight bytes.
const DIRECTORY_TAG: [u8; 8] = *b"BLGCOPY1";
/// Bytes of a directory entry: type id, first, count, length.
const ENTRY_LEN: usize = 4 + 8 + 4 + 4;

/// One copy frame as the directory lists it: records `first..first +
/// count` of type `type_id`, whose frames take `len` bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CopyFrame {
    pub type_id: u32,
    pub first: u64,
    pub count: u32,
    pub len: u32,
}

impl CopyFrame {
    /// The entries of the type's offset array it holds.
    pub fn entries(&self) -> Range<u64> {
        self.first..self.first.saturating_add(u64::from(self.count))
    }
}

/// The copy frames of a segment, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CopyDirectory {
    pub frames: Vec<CopyFrame>,
}

/// Which types get a copy when a segment is compressed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TypeCopies {
    /// A type gets a copy when its record frames are at most this share
    /// of the segment's record bytes, rarest first, all copies together
    /// within it too; 0 makes none. 0.05 by default.
    pub max_share: f64,
    /// A type's records must lie in record frames holding at least this
    /// many times their bytes for a copy (8 by default).
    pub min_spread: u64,
}

impl Default for TypeCopies {
    fn default() -> TypeCopies {
        TypeCopies {
            max_share: 0.05,
            min_spread: 8,
        }
    }
}

impl TypeCopies {
    /// No copies.
    pub const NONE: TypeCopies = TypeCopies {
        max_share: 0.0,
        min_spread: 8,
    };

    /// Whether the share is in `0.0..=1.0`.
    pub fn is_valid(&self) -> bool {
        (0.0..=1.0).contains(&self.max_share)
    }

    /// The ids of the types of the sealed segment `file` (its seal `seal`,
    /// its record frames ending at `frame_ends`) that get a copy, in order.
    pub fn chosen(&self, file: &[u8], seal: &SealDirectory, frame_ends: &[u64]) -> Vec<u32> {
        // The records start at the end of the first frame (the header's).
        let records_start = frame_ends.first().map_or(seal.records_end, |&e| e);
        let records = seal.records_end.saturating_sub(records_start);
        let budget = (records as f64 * self.max_share) as u64;
        // The size test first: the types it refuses (most of the records,
        // on most data) are not walked record by record.
        let mut rare: Vec<(u64, u32)> = (0..seal.types.len())
            .filter(|&id| seal.types[id].count > 0 && seal.types[id].bytes <= budget)
            .filter_map(|id| {
                let t = &seal.types[id];
                let spread = frames_holding(file, t.array_offset, t.count, frame_ends)?;
                let wanted =
                    spread >= t.bytes.saturating_mul(self.min_spread) && copyable(file, seal, id);
                wanted.then_some((t.bytes, id as u32))
            })
            .collect();
        rare.sort_unstable();
        let mut spent = 0u64;
        let mut ids: Vec<u32> = rare
            .into_iter()
            .take_while(|&(bytes, _)| {
                spent += bytes;
                spent <= budget
            })
            .map(|(_, id)| id)
            .collect();
        ids.sort_unstable();
        ids
    }
}

/// Whether every record of type `id` lies whole before the end of the
/// records and fits a copy frame (at most 1 GiB, where a record may be 4).
fn copyable(file: &[u8], seal: &SealDirectory, id: usize) -> bool {
    let t = &seal.types[id];
    (0..t.count).all(|k| {
        record_at(file, t.array_offset + 8 * k, seal.records_end)
            .is_some_and(|r| r.len() as u64 <= MAX_FRAME_DECOMPRESSED)
    })
}

/// Original bytes of the frames (ending at `frame_ends`) that hold the
/// starts of the `count` records listed by the array at `array` of
/// `file`; None if the array is not in the file.
fn frames_holding(file: &[u8], array: u64, count: u64, frame_ends: &[u64]) -> Option<u64> {
    let bytes = file.get(usize::try_from(array).ok()?..)?;
    let bytes = bytes.get(..usize::try_from(count.checked_mul(8)?).ok()?)?;
    let (mut total, mut last) = (0, None);
    for entry in bytes.chunks_exact(8) {
        let offset = u64_at(entry, 0);
        let i = frame_ends.partition_point(|&e| e <= offset);
        if last != Some(i) && i < frame_ends.len() {
            let start = i.checked_sub(1).map_or(0, |p| frame_ends[p]);
            total += frame_ends[i] - start;
            last = Some(i);
        }
    }
    Some(total)
}

/// Calls `each` with the copy frames of type `type_id` of the sealed
/// segment `file` and their bytes: its records grouped in order, a group
/// at most `frame_size` bytes (a longer record alone). The type is one
/// `TypeCopies::chosen` chose (each record whole and at most 1 GiB).
pub fn copy_frames(
    file: &[u8],
    seal: &SealDirectory,
    type_id: u32,
    frame_size: u64,
    mut each: impl FnMut(CopyFrame, &[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let t = &seal.types[type_id as usize];
    let mut group = Vec::new();
    let mut frame = CopyFrame {
        type_id,
        ..CopyFrame::default()
    };
    for k in 0..t.count {
        let Some(record) = record_at(file, t.array_offset + 8 * k, seal.records_end) else {
            break;
        };
        if frame.count > 0 && (group.len() + record.len()) as u64 > frame_size {
            frame.len = group.len() as u32;
            each(frame, &group)?;
            group.clear();
            frame.first = k;
            frame.count = 0;
        }
        group.extend_from_slice(record);
        frame.count += 1;
    }
    if frame.count > 0 {
        frame.len = group.len() as u32;
        each(frame, &group)?;
    }
    Ok(())
}

/// The record frame whose offset is the array entry at `entry` of `file`,
/// if it lies whole before `records_end`.
fn record_at(file: &[u8], entry: u64, records_end: u64) -> Option<&[u8]> {
    let start = array_entry(file, entry)?;
    let end = next_record(file, start, records_end)?;
    file.get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
}

impl CopyDirectory {
    /// The directory's payload (what follows the skippable frame's header).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = DIRECTORY_TAG.to_vec();
        out.extend_from_slice(&(self.frames.len() as u32).to_le_bytes());
        for f in &self.frames {
            out.extend_from_slice(&f.type_id.to_le_bytes());
            out.extend_from_slice(&f.first.to_le_bytes());
            out.extend_from_slice(&f.count.to_le_bytes());
            out.extend_from_slice(&f.len.to_le_bytes());
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Decodes a payload `encode` made; what is wrong otherwise.
    pub fn decode(payload: &[u8]) -> Result<CopyDirectory, String> {
        let fixed = DIRECTORY_TAG.len() + 4 + 4;
        if payload.len() < fixed || payload[..8] != DIRECTORY_TAG {
            return Err("the copy directory does not start with BLGCOPY1".into());
        }
        let count = u32_at(payload, 8) as usize;
        if Some(payload.len()) != count.checked_mul(ENTRY_LEN).map(|n| n + fixed) {
            let what = format!(
                "the copy directory is {} bytes, its count of {count} frames says otherwise",
                payload.len()
            );
            return Err(what);
        }
        let body = payload.len() - 4;
        if crc32fast::hash(&payload[..body]) != u32_at(payload, body) {
            return Err("the copy directory's CRC does not match".into());
        }
        let frames = (0..count)
            .map(|i| {
                let at = 12 + i * ENTRY_LEN;
                CopyFrame {
                    type_id: u32_at(payload, at),
                    first: u64_at(payload, at + 4),
                    count: u32_at(payload, at + 12),
                    len: u32_at(payload, at + 16),
                }
            })
            .collect();
        Ok(CopyDirectory { frames })
    }

    /// Checks the directory against the seal: types in id order, each
    /// type's frames holding its records `0 .. count` in order, at least
    /// one each, their lengths adding up to its `bytes`; what is wrong.
    pub fn check(&self, seal: &SealDirectory) -> Result<(), String> {
        let mut i = 0;
        while i < self.frames.len() {
            let id = self.frames[i].type_id;
            let Some(t) = seal.types.get(id as usize) else {
                let what = format!("copy frame {i} names type {id}, the seal has no such type");
                return Err(what);
            };
            let (mut next, mut bytes) = (0u64, 0u64);
            while let Some(f) = self.frames.get(i).filter(|f| f.type_id == id) {
                let min_len = u64::from(f.count) * MIN_RECORD_FRAME as u64;
                if f.first != next || f.count == 0 || u64::from(f.len) < min_len {
                    return Err(format!(
                        "copy frame {i} (type {id}) holds records {}..{} in {} bytes, where \
                         record {next} comes next",
                        f.first,
                        f.first.saturating_add(u64::from(f.count)),
                        f.len
                    ));
                }
                (next, bytes) = (next + u64::from(f.count), bytes + u64::from(f.len));
                i += 1;
            }
            if next != t.count || bytes != t.bytes {
                return Err(format!(
                    "the copy of type {id} holds {next} records in {bytes} bytes, the seal \
                     says {} in {}",
                    t.count, t.bytes
                ));
            }
            if self.frames.get(i).is_some_and(|f| f.type_id <= id) {
                return Err(format!("copy frame {i}: types out of order"));
            }
        }
        Ok(())
    }

    /// The indices of type `id`'s copy frames (empty if it has none).
    pub fn of_type(&self, id: u32) -> Range<usize> {
        let from = self.frames.partition_point(|f| f.type_id < id);
        let to = self.frames.partition_point(|f| f.type_id <= id);
        from..to
    }
}

/// What a reader knows of the segment to check a copy frame's records.
#[derive(Clone, Copy, Debug)]
pub struct CopyBounds<'a> {
    pub header_len: u64,
    pub records_end: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    /// The seal's sparse index (8.3), if its CRC holds; else empty.
    pub sparse: &'a [SparseEntry],
}

/// Whether the record numbered `seq` at `offset` agrees with the sparse
/// index: an entry's number at its offset, else between the entries
/// around it, by no more than the bytes between can hold.
fn agrees_with_sparse(sparse: &[SparseEntry], offset: u64, seq: u64) -> bool {
    let room = |from: u64, to: u64| (to - from) / MIN_RECORD_FRAME as u64;
    let i = sparse.partition_point(|e| e.offset <= offset);
    let before = i.checked_sub(1).map(|j| sparse[j]);
    let after = sparse.get(i);
    let above = before.is_none_or(|e| match e.offset == offset {
        true => seq == e.seq,
        false => seq > e.seq && seq - e.seq <= room(e.offset, offset),
    });
    above && after.is_none_or(|e| seq < e.seq && e.seq - seq <= room(offset, e.offset))
}

/// Checks the decompressed copy frame `bytes` of `frame`, whose records
/// the type's whole offset array `offsets` places: exactly `count` record
/// frames of the frame's type fill it, CRCs holding; their sequence
/// numbers increase within the seal's range, by no more than the bytes
/// between their offsets can hold, and agree with the sparse index; each
/// fits before the next offset (the records' end for the last). Returns
/// each record's start in `bytes`, or what is wrong.
pub fn check_copy_records(
    bytes: &[u8],
    frame: &CopyFrame,
    offsets: &[u64],
    bounds: &CopyBounds<'_>,
) -> Result<Vec<u32>, String> {
    let first = usize::try_from(frame.first).map_err(|_| "too many records".to_string())?;
    let end = first.checked_add(frame.count as usize);
    let Some(placed) = end.and_then(|end| offsets.get(first..end)) else {
        let (count, len) = (frame.count, offsets.len());
        return Err(format!(
            "{count} records from record {first} of the copy, the offset array has {len}"
        ));
    };
    if bytes.len() != frame.len as usize {
        let (n, stated) = (bytes.len(), frame.len);
        return Err(format!("{n} bytes, the directory says {stated}"));
    }
    let mut starts = Vec::with_capacity(placed.len());
    let (mut at, mut prev) = (0usize, (bounds.header_len, None::<u64>));
    for (j, &offset) in placed.iter().enumerate() {
        let bad = |what: String| Err(format!("record {} (offset {offset}): {what}", first + j));
        let FrameAt::Frame {
            kind: KIND_RECORD,
            body,
            total,
        } = frame::frame_at(bytes, at, true)
        else {
            return bad("no intact record frame".into());
        };
        let Some(rec) = frame::decode_record(body).filter(|r| r.type_id == frame.type_id) else {
            return bad(format!("not a record of type {}", frame.type_id));
        };
        let next = offsets
            .get(first + j + 1)
            .copied()
            .unwrap_or(bounds.records_end);
        if offset.saturating_add(total as u64) > next.min(bounds.records_end) {
            return bad(format!("{total} bytes do not fit before offset {next}"));
        }
        let (prev_offset, prev_seq) = prev;
        let room = (offset - prev_offset.min(offset)) / MIN_RECORD_FRAME as u64;
        let lowest = prev_seq.map_or(bounds.first_seq, |s| s + 1);
        let numbered = rec.seq >= lowest
            && rec.seq <= bounds.last_seq
            && rec.seq - lowest <= room.saturating_sub(u64::from(prev_seq.is_some()));
        if !numbered || !agrees_with_sparse(bounds.sparse, offset, rec.seq) {
            return bad(format!("sequence number {} cannot be there", rec.seq));
        }
        starts.push(at as u32);
        prev = (offset, Some(rec.seq));
        at += total;
    }
    if at != bytes.len() {
        return Err(format!("{} bytes after its last record", bytes.len() - at));
    }
    Ok(starts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::seal::TypeEntry;

    fn directory() -> CopyDirectory {
        let frame = |type_id, first, count, len| CopyFrame {
            type_id,
            first,
            count,
            len,
        };
        CopyDirectory {
            frames: vec![frame(1, 0, 3, 300), frame(1, 3, 2, 200), frame(4, 0, 1, 26)],
        }
    }

    fn seal() -> SealDirectory {
        let t = |count, bytes| TypeEntry {
            name: String::new(),
            count,
            bytes,
            array_offset: 0,
            array_crc: 0,
        };
        SealDirectory {
            types: vec![t(9, 900), t(5, 500), t(1, 30), t(0, 0), t(1, 26)],
            ..SealDirectory::default()
        }
    }

    #[test]
    fn a_directory_decodes_back_and_every_flipped_bit_is_refused() {
        let d = directory();
        let b = d.encode();
        assert_eq!(b.len(), 8 + 4 + 3 * 20 + 4);
        assert_eq!(CopyDirectory::decode(&b), Ok(d.clone()));
        assert_eq!(d.check(&seal()), Ok(()));
        assert_eq!(
            (d.of_type(1), d.of_type(2), d.of_type(4)),
            (0..2, 2..2, 2..3)
        );
        for bit in 0..b.len() * 8 {
            let mut g = b.clone();
            g[bit / 8] ^= 1 << (bit % 8);
            assert!(CopyDirectory::decode(&g).is_err(), "bit {bit}");
        }
    }

    #[test]
    fn a_directory_that_disagrees_with_the_seal_is_refused() {
        let lies: [fn(&mut CopyDirectory); 7] = [
            |d| d.frames[1].first = 4,
            |d| d.frames[1].count = 3,
            |d| d.frames[0].len = 299,
            |d| d.frames[2].type_id = 5,
            |d| d.frames.swap(0, 1),
            |d| d.frames[2].len = 25,
            |d| d.frames[1].first = u64::MAX,
        ];
        for (i, lie) in lies.iter().enumerate() {
            let mut d = directory();
            lie(&mut d);
            assert!(d.check(&seal()).is_err(), "lie {i}");
        }
    }

    /// A segment of `header` bytes, then records of 30 bytes whose types
    /// are `types`, and each type's offset array: `(file, seal)`.
    fn segment(header: usize, types: &[u32]) -> (Vec<u8>, SealDirectory) {
        let mut file = vec![0u8; header];
        let mut arrays = vec![Vec::new(); 3];
        for &t in types {
            arrays[t as usize].push(file.len() as u64);
            file.extend_from_slice(&22u32.to_le_bytes());
            file.extend_from_slice(&[t as u8; 26]);
        }
        let mut seal = SealDirectory {
            records_end: file.len() as u64,
            ..SealDirectory::default()
        };
        for a in &arrays {
            seal.types.push(TypeEntry {
                name: String::new(),
                count: a.len() as u64,
                bytes: 30 * a.len() as u64,
                array_offset: file.len() as u64,
                array_crc: 0,
            });
            file.extend(a.iter().flat_map(|o| o.to_le_bytes()));
        }
        (file, seal)
    }

    #[test]
    fn rare_spread_types_are_chosen_rarest_first_within_the_share() {
        // 200 records: type 1 every 40th (spread), type 2 the first 4 (in
        // one frame), type 0 the rest; frames of 600 bytes.
        let types: Vec<u32> = (0..200)
            .map(|i| match i {
                0..=3 => 2,
                i if i % 40 == 20 => 1,
                _ => 0,
            })
            .collect();
        let (file, seal) = segment(10, &types);
        let ends: Vec<u64> = (0..=10).map(|i| 10 + 600 * i).collect();
        let copies = |max_share, min_spread| {
            TypeCopies {
                max_share,
                min_spread,
            }
            .chosen(&file, &seal, &ends)
        };
        assert_eq!(copies(0.05, 8), [1], "type 2 lies in one frame");
        assert_eq!(copies(0.05, 0), [1, 2]);
        assert_eq!(copies(0.02, 0), [2], "the rarest first, within the share");
        assert!(copies(0.0, 0).is_empty());
        // A type whose record is not whole (its length leads past the
        // records) gets no copy.
        let mut cut = file.clone();
        let second = u64::from_le_bytes(
            file[seal.types[1].array_offset as usize + 8..][..8]
                .try_into()
                .unwrap(),
        );
        cut[second as usize..second as usize + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let whole = TypeCopies {
            max_share: 0.05,
            min_spread: 0,
        };
        assert_eq!(whole.chosen(&cut, &seal, &ends), [2]);
        let mut frames = Vec::new();
        copy_frames(&file, &seal, 1, 70, |f, bytes| {
            frames.push((f, bytes.len()));
            Ok(())
        })
        .unwrap();
        let counts: Vec<(u64, u32, u32)> = frames
            .iter()
            .map(|(f, _)| (f.first, f.count, f.len))
            .collect();
        assert_eq!(counts, [(0, 2, 60), (2, 2, 60), (4, 1, 30)]);
        assert!(frames.iter().all(|(f, n)| f.len as usize == *n));
    }

    #[test]
    fn a_sequence_number_agrees_with_the_sparse_index_around_its_offset() {
        let e = |seq, offset| SparseEntry {
            seq,
            offset,
            max_ts_before: 0,
        };
        let sparse = [e(0, 100), e(10, 1000), e(20, 2000)];
        assert!(agrees_with_sparse(&sparse, 1000, 10), "at an entry");
        assert!(
            !agrees_with_sparse(&sparse, 1000, 11),
            "at an entry, another"
        );
        assert!(agrees_with_sparse(&sparse, 1500, 15));
        assert!(
            !agrees_with_sparse(&sparse, 1500, 10),
            "not above the entry before"
        );
        assert!(
            !agrees_with_sparse(&sparse, 1500, 20),
            "not below the entry after"
        );
        // 1026 is one smallest frame (26 bytes) past entry 10's offset:
        // at most one record after it by then.
        assert!(agrees_with_sparse(&sparse, 1026, 11));
        assert!(!agrees_with_sparse(&sparse, 1026, 12));
        assert!(
            agrees_with_sparse(&sparse, 3000, 25),
            "after the last entry"
        );
        assert!(
            agrees_with_sparse(&[], 3000, 25),
            "no index: nothing to check"
        );
    }

    #[test]
    fn a_copy_frame_whose_records_do_not_match_their_offsets_is_refused() {
        let types: Vec<u32> = (0..100).map(|i| u32::from(i % 10 == 5)).collect();
        let (file, seal) = segment(10, &types);
        let offsets: Vec<u64> = (0..10).map(|k| 10 + 30 * (10 * k + 5)).collect();
        let bounds = CopyBounds {
            header_len: 10,
            records_end: seal.records_end,
            first_seq: 0,
            last_seq: 99,
            sparse: &[],
        };
        let frame = CopyFrame {
            type_id: 1,
            first: 0,
            count: 2,
            len: 60,
        };
        // Not real records (no CRC): refused at the first.
        let bytes: Vec<u8> = offsets[..2]
            .iter()
            .flat_map(|&o| file[o as usize..o as usize + 30].to_vec())
            .collect();
        let refused = check_copy_records(&bytes, &frame, &offsets, &bounds).unwrap_err();
        assert!(refused.contains("record 0"), "{refused}");
        let beyond = CopyFrame { first: 9, ..frame };
        assert!(check_copy_records(&bytes, &beyond, &offsets, &bounds).is_err());
        let huge = CopyFrame {
            first: u64::MAX,
            ..frame
        };
        assert!(check_copy_records(&bytes, &huge, &offsets, &bounds).is_err());
    }
}
