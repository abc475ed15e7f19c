//! Names for types whose defining record was lost in damaged bytes, from
//! the segment's seal. A type's name is written only in the first record of
//! its type (docs/FORMAT.md section 7.3); the seal's directory lists every
//! type by id with its name and the offset of its first record, so it can
//! name such a type when it survives and tells the same story as the
//! records:
//!
//! - the directory is CRC-valid (found through the trailer, or by its own
//!   frame at the end of the file) and its type names are distinct;
//! - every type an intact record defines is named the same in it
//!   ([`SealTypes::agrees`], checked by the caller);
//! - the lost type's first record lies in the damaged bytes skipped
//!   ([`SealTypes::damaged`]).
//!
//! A directory that fails one of these names nothing.

use crate::format::frame::{self, FrameAt, KIND_SEAL_DIR};
use crate::format::seal::{SealDirectory, TRAILER_LEN};
use crate::format::{u32_at, FRAME_HEADER_LEN};
use crate::source::{seal_trust::read_bounding_seal, SegmentSource};
use std::collections::HashSet;

/// How far before the end of the file a directory frame whose trailer is
/// unusable is looked for (it ends where the trailer begins, or at the end
/// of the file if the trailer was never written): room for about 30,000
/// type entries.
const SEARCH: u64 = 1 << 20;

/// The smallest SEAL_DIR frame: the fixed fields and a one-byte type count.
const MIN_DIR_FRAME: u64 = (FRAME_HEADER_LEN + 86) as u64;

/// A seal's type table, to name types whose defining record was lost.
#[derive(Clone, Debug)]
pub struct SealTypes {
    names: Vec<String>,
    /// (first record's offset, by its offset array, type id), by offset;
    /// types without records, or whose array could not be read, are not
    /// in it.
    by_offset: Vec<(u64, usize)>,
    /// Whether each type's first record lies in damage marked so far.
    in_damage: Vec<bool>,
}

impl SealTypes {
    /// The type table of the segment `original` whose records start at
    /// `data_start`, if a seal's directory survives: the one its trailer
    /// (CRC-valid) points at, whether or not its `SEAL_BEGIN` frame agrees;
    /// else a CRC-valid directory frame that ends where the trailer begins
    /// or at the end of the file, within the last MiB.
    pub fn find(original: &dyn SegmentSource, data_start: usize) -> Option<SealTypes> {
        read_bounding_seal(original, data_start)
            .or_else(|| Self::search(original, data_start as u64))
            .and_then(|d| SealTypes::from_directory(&d, original))
    }

    /// A directory frame ending at `len - TRAILER_LEN` or at `len`, found
    /// by its length field (one 4-byte comparison per candidate offset;
    /// the CRC is computed only where the length and kind fit).
    fn search(original: &dyn SegmentSource, data_start: u64) -> Option<SealDirectory> {
        let len = original.len() as u64;
        let from = len
            .saturating_sub(SEARCH + TRAILER_LEN as u64)
            .max(data_start);
        let window = original.read_part(from, usize::try_from(len.checked_sub(from)?).ok()?)?;
        for end in [len - (TRAILER_LEN as u64).min(len), len] {
            let Some(last) = end.checked_sub(MIN_DIR_FRAME) else {
                continue;
            };
            for at in (from..=last).rev() {
                let i = (at - from) as usize;
                let fits = u64::from(u32_at(&window, i)) + FRAME_HEADER_LEN as u64 == end - at;
                if !fits || window[i + FRAME_HEADER_LEN] != KIND_SEAL_DIR {
                    continue;
                }
                // A directory frame whose CRC matches and that decodes, with
                // its records after `data_start`.
                if let FrameAt::Frame { body, .. } = frame::frame_at(&window, i, true) {
                    let d = SealDirectory::decode(body, at);
                    if let Some(d) = d.filter(|d| d.records_end >= data_start && d.records_end < at)
                    {
                        return Some(d);
                    }
                }
            }
        }
        None
    }

    /// The table of a directory already read, with each type's first
    /// record's offset read from its array. None if two types share a name
    /// (no writer writes that).
    pub fn from_directory(d: &SealDirectory, original: &dyn SegmentSource) -> Option<SealTypes> {
        let mut seen = HashSet::new();
        if !d.types.iter().all(|t| seen.insert(t.name.as_str())) {
            return None;
        }
        let mut by_offset: Vec<(u64, usize)> = (d.types.iter().enumerate())
            .filter(|(_, t)| t.count > 0)
            .filter_map(|(id, t)| Some((original.read_u64(t.array_offset)?, id)))
            .collect();
        by_offset.sort_unstable();
        Some(SealTypes {
            names: d.types.iter().map(|t| t.name.clone()).collect(),
            in_damage: vec![false; d.types.len()],
            by_offset,
        })
    }

    /// Whether the table names type `id` `name`, as an intact record
    /// defines it. A caller stops using the table once this is false for
    /// one definition.
    pub fn agrees(&self, id: usize, name: &[u8]) -> bool {
        self.names.get(id).is_some_and(|n| n.as_bytes() == name)
    }

    /// Marks the damaged bytes `[from, to)`: the types whose first record
    /// (by the table) lies in them may be named by `lost_name`.
    pub fn damaged(&mut self, from: u64, to: u64) {
        let i = self.by_offset.partition_point(|&(o, _)| o < from);
        for &(_, id) in self.by_offset[i..].iter().take_while(|&&(o, _)| o < to) {
            self.in_damage[id] = true;
        }
    }

    /// The name of type `id`, whose defining record was not found intact:
    /// the table's, if the type's first record lies in damage marked with
    /// `damaged`.
    pub fn lost_name(&self, id: usize) -> Option<&str> {
        let damaged = self.in_damage.get(id) == Some(&true);
        damaged.then(|| self.names[id].as_str())
    }
}
