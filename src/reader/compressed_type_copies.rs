//! A type filter's records read from the segment's type copies
//! (docs/FORMAT.md 17.5), when the compressed segment has one for the
//! type: the `k`th entry of the type's offset array is the `k`th record
//! of its copy, so an indexed read decompresses only the copy's frames.
//!
//! A copy frame is checked whole when decompressed (`check_copy_records`);
//! the reader then checks each record again as any. A copy frame (or
//! directory) that fails is not used again: that type's records are read
//! from the main frames, the same records in the same order, each once.

use crate::compressed::{type_copies::check_copy_records, CompressedSegment};

/// The copy frame held for each type read through its copy so far.
#[derive(Default)]
pub(super) struct CopyReads {
    types: Vec<(u32, Held)>,
    /// The type (index in `types`) and original offset of the first byte
    /// of its frame, when the bytes `CompressedFrames::held` gives are a copy's.
    pub(super) held: Option<(usize, usize)>,
}

/// A type's copy as read so far.
enum Held {
    /// None held yet.
    Nothing,
    /// A copy frame holding records `first..` of the type's array, which
    /// start at `starts`.
    Frame {
        first: u64,
        bytes: Vec<u8>,
        starts: Vec<u32>,
    },
    /// No copy, or one that failed: the main frames are read.
    Unusable,
}

impl CopyReads {
    /// The bytes held of type slot `slot`'s copy frame.
    pub(super) fn bytes(&self, slot: usize) -> &[u8] {
        match &self.types[slot].1 {
            Held::Frame { bytes, .. } => bytes,
            _ => unreachable!("held only when a frame is"),
        }
    }

    fn slot(&mut self, type_id: u32) -> usize {
        if let Some(i) = self.types.iter().position(|(id, _)| *id == type_id) {
            return i;
        }
        self.types.push((type_id, Held::Nothing));
        self.types.len() - 1
    }

    /// Makes record `k` of type `type_id`'s copy in `segment` the bytes
    /// held, if the segment has a usable copy of that type (`offsets` is
    /// the type's offset array, which places record `k` at `offsets[k]`);
    /// returns whether it did.
    pub(super) fn hold(
        &mut self,
        segment: &mut CompressedSegment,
        type_id: u32,
        k: usize,
        offsets: &[u64],
    ) -> bool {
        let slot = self.slot(type_id);
        let start = self.copy_record(segment, slot, type_id, k as u64, offsets);
        if start.is_none() {
            self.types[slot].1 = Held::Unusable;
        }
        self.held = start.map(|s| (slot, offsets[k] as usize - s));
        start.is_some()
    }

    /// The start, in its copy frame (decompressed and checked if not
    /// held yet), of record `k` of the type in `slot`; None if the type
    /// has no usable copy.
    fn copy_record(
        &mut self,
        s: &mut CompressedSegment,
        slot: usize,
        type_id: u32,
        k: u64,
        offsets: &[u64],
    ) -> Option<usize> {
        let held = &self.types[slot].1;
        if matches!(held, Held::Unusable) {
            return None;
        }
        if let Held::Frame { first, starts, .. } = held {
            if let Some(&s) = k.checked_sub(*first).and_then(|j| starts.get(j as usize)) {
                return Some(s as usize);
            }
        }
        let directory = s.copy_directory().ok()??;
        let frames = directory.of_type(type_id);
        let n = frames.start
            + directory.frames[frames.clone()].partition_point(|f| f.entries().end <= k);
        let frame = *directory.frames.get(n).filter(|_| n < frames.end)?;
        let mut bytes = match std::mem::replace(&mut self.types[slot].1, Held::Nothing) {
            Held::Frame { bytes, .. } => bytes,
            _ => Vec::new(),
        };
        s.copy_frame_into(n, &mut bytes).ok()?;
        let starts = check_copy_records(&bytes, &frame, offsets, &s.copy_bounds()).ok()?;
        let start = starts[(k - frame.first) as usize] as usize;
        self.types[slot].1 = Held::Frame {
            first: frame.first,
            bytes,
            starts,
        };
        Some(start)
    }
}
