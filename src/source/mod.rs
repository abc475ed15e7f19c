//! Where a segment's original bytes come from, for the reads that are not
//! the record scan (the seal's parts, the sparse index, the per-type
//! offset arrays, the bytes searched after damage), and what those bytes
//! prove of its seal (`seal_trust`). Below both the reader and compression:
//! each source of bytes implements `SegmentSource` where it lives.

mod mapped_file;
#[cfg(feature = "compression")]
mod plain_segment;
pub(crate) mod seal_trust;

#[cfg(feature = "compression")]
pub(crate) use mapped_file::map_file;
pub(crate) use mapped_file::{open_segment_file, MappedFile};
#[cfg(feature = "compression")]
pub(crate) use plain_segment::PlainSegment;

use crate::format::frame::{self, FrameAt};
use crate::format::seal::{Trailer, TRAILER_LEN};
use crate::format::{u64_at, FRAME_HEADER_LEN};

/// Random reads of a segment's original bytes. A read is a pread, a copy
/// out of memory or a decompression: never on a record scan's short path,
/// so a call through `dyn` costs nothing that shows.
pub(crate) trait SegmentSource {
    /// The segment's length in original bytes.
    fn len(&self) -> usize;

    /// `len` original bytes at `offset`; `None` if the segment ends before
    /// (or the read fails: the caller then does without them).
    fn read_part(&self, offset: u64, len: usize) -> Option<Vec<u8>>;

    /// The bytes themselves, if they are in memory: frames are then
    /// checked in place (`check_frame`).
    fn in_memory(&self) -> Option<&[u8]>;

    /// Whether `len` original bytes at `offset` are at hand: reading them
    /// sends no request (see `CompressedSegment::holds`; a file's and a
    /// copy's always are).
    fn holds(&self, _offset: u64, _len: u64) -> bool {
        true
    }

    /// Says that `len` original bytes at `offset` are about to be read (a
    /// seek's span: see `CompressedSegment::will_read`); nothing for a
    /// file or a copy, whose bytes are at hand.
    fn will_read(&self, _offset: u64, _len: u64) {}
}

impl dyn SegmentSource + '_ {
    /// Whether the frame at `at`, read with its CRC checked in the bytes
    /// below `end`, is a record whose body passes `check`.
    pub fn check_record(
        &self,
        at: usize,
        end: usize,
        check: impl FnOnce(&frame::RecordBody<'_>) -> bool,
    ) -> bool {
        let check = |f: FrameAt<'_>| match f {
            // A frame of another kind does not decode as a record.
            FrameAt::Frame { body, .. } => frame::decode_record(body).is_some_and(|r| check(&r)),
            _ => false,
        };
        if let Some(bytes) = self.in_memory() {
            return check(frame::frame_at(&bytes[..end.min(bytes.len())], at, true));
        }
        let avail = end.saturating_sub(at);
        let Some(head) = self.read_part(at as u64, FRAME_HEADER_LEN.min(avail)) else {
            return false;
        };
        // A head cut short leaves `avail` bytes, whatever its length says.
        let body = frame::frame_header(&head, 0).map_or(0, |(len, _)| len as usize);
        let total = FRAME_HEADER_LEN.saturating_add(body).min(avail);
        self.read_part(at as u64, total)
            .is_some_and(|bytes| check(frame::frame_at(&bytes, 0, true)))
    }

    /// The little-endian u64 at `offset` (an offset array's entry), if
    /// the segment holds it.
    pub fn read_u64(&self, offset: u64) -> Option<u64> {
        self.read_part(offset, 8).map(|b| u64_at(&b, 0))
    }

    /// Whether the segment ends in a whole seal trailer (its CRC holds and
    /// it agrees with the segment's length; records start at `data_start`).
    pub fn has_seal_trailer(&self, data_start: usize) -> bool {
        let len = self.len();
        let at = len.checked_sub(TRAILER_LEN);
        let trailer = at.and_then(|at| self.read_part(at as u64, TRAILER_LEN));
        trailer.is_some_and(|t| Trailer::decode_last(&t, len, data_start).is_some())
    }
}
