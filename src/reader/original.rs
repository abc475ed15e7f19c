//! A segment's original bytes for the reads that are not the record scan:
//! the seal's parts, the sparse index, the per-type offset arrays, the
//! bytes searched after damage. A plain segment's are read from its file
//! with pread (see `mapping::map_file` for why not through the mapping); a
//! compressed one's are decompressed from the frames that hold them,
//! through its frame cache.

use super::mapping::read_part;
use crate::format::frame::{self, FrameAt};
#[cfg(feature = "compression")]
use crate::format::FRAME_HEADER_LEN;
use std::fs::File;

#[cfg(feature = "compression")]
use crate::compressed::CompressedSegment;
#[cfg(feature = "compression")]
use std::cell::RefCell;

pub(super) enum Original<'a> {
    /// A plain segment: its file, and the reader's mapping of it (whose
    /// length is the segment's as far as the reader knows).
    File { file: &'a File, map: &'a [u8] },
    /// A segment's bytes in memory (a tool's own mapping).
    Bytes(&'a [u8]),
    #[cfg(feature = "compression")]
    Compressed(&'a RefCell<CompressedSegment>),
}

impl Original<'_> {
    /// The segment's length in original bytes.
    pub fn len(&self) -> usize {
        match self {
            Original::File { map, .. } | Original::Bytes(map) => map.len(),
            #[cfg(feature = "compression")]
            Original::Compressed(s) => s.borrow().original_len() as usize,
        }
    }

    /// `len` original bytes at `offset`; `None` if the segment ends before
    /// (or the read fails: the caller then does without them).
    pub fn read_part(&self, offset: u64, len: usize) -> Option<Vec<u8>> {
        match self {
            Original::File { file, .. } => read_part(file, offset, len),
            Original::Bytes(b) => {
                let at = usize::try_from(offset).ok()?;
                b.get(at..at.checked_add(len)?).map(<[u8]>::to_vec)
            }
            #[cfg(feature = "compression")]
            Original::Compressed(s) => s.borrow_mut().read_prefix_at(offset, len).ok(),
        }
    }

    /// Whether `len` original bytes at `offset` are at hand: reading them
    /// sends no request (see `CompressedSegment::holds`; a file's and a
    /// copy's always are).
    #[cfg_attr(not(feature = "compression"), allow(unused_variables))]
    pub fn holds(&self, offset: u64, len: u64) -> bool {
        match self {
            Original::File { .. } | Original::Bytes(_) => true,
            #[cfg(feature = "compression")]
            Original::Compressed(s) => s.borrow().holds(offset, len),
        }
    }

    /// Says that `len` original bytes at `offset` are about to be read (a
    /// seek's span: see `CompressedSegment::will_read`); nothing for a
    /// file or a copy, whose bytes are at hand.
    #[cfg_attr(not(feature = "compression"), allow(unused_variables))]
    pub fn will_read(&self, offset: u64, len: u64) {
        #[cfg(feature = "compression")]
        if let Original::Compressed(s) = self {
            s.borrow().will_read(offset, len);
        }
    }

    /// `check` applied to the frame at `at`, read with its CRC checked, in
    /// the bytes below `end`.
    pub fn check_frame(
        &self,
        at: usize,
        end: usize,
        check: impl FnOnce(FrameAt<'_>) -> bool,
    ) -> bool {
        match self {
            Original::File { map, .. } | Original::Bytes(map) => {
                check(frame::frame_at(&map[..end.min(map.len())], at, true))
            }
            #[cfg(feature = "compression")]
            Original::Compressed(_) => {
                let avail = end.saturating_sub(at);
                let Some(head) = self.read_part(at as u64, FRAME_HEADER_LEN.min(avail)) else {
                    return false;
                };
                let body = head.get(0..4).map_or(0, |b| {
                    u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize
                });
                let total = FRAME_HEADER_LEN.saturating_add(body).min(avail);
                self.read_part(at as u64, total)
                    .is_some_and(|bytes| check(frame::frame_at(&bytes, 0, true)))
            }
        }
    }
}
