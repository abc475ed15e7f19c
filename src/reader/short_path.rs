//! The scan's common record on a short path, the same for each source:
//! with no type filter and no seek target pending, in a sealed segment,
//! the next frame lies whole in the bytes at hand (the mapping, or the
//! frame held) and is a plain record whose CRC holds (checked a few frames
//! ahead, `crc_ahead`), numbered next, of a type already known. Every other
//! frame, and every one that fails a check here, is left to `advance` from
//! the same position: this path changes nothing unless it takes the
//! record, so damage is found and reported only there.

use super::pager::Pager;
use super::record::BytesIn;
use super::{Found, Reader, Tail};
use crate::format::frame::{self, PlainRecord};
use crate::format::FRAME_HEADER_LEN;

impl Reader {
    /// The next record of a mapped segment if it is the common one (see
    /// the module's comment), checked against its CRC if `verify`; `None`
    /// leaves the reader as it was, for `advance`.
    #[inline(always)]
    pub(super) fn next_plain(&mut self, verify: bool) -> Option<Found> {
        if !(matches!(self.source, Pager::Mapped(_)) && self.short_path_applies()) {
            return None;
        }
        let pos = self.pos;
        let records = self.map.get(..self.end)?;
        let (rec, len) = plain_record_at(records, pos)?;
        let start = pos + FRAME_HEADER_LEN;
        let numbered = rec.seq == self.next_seq && (rec.type_id as usize) < self.types.len();
        if !numbered || (verify && !self.crc_ahead.frame_holds(records, pos)) {
            return None;
        }
        self.pos = start + len;
        self.next_seq = rec.seq + 1;
        Some(Found::plain(rec, pos, start, len, BytesIn::Mapping))
    }

    /// The next record of a frames source if it is the common one (see
    /// the module's comment), checked against its CRC if `verify`; `None`
    /// leaves the reader as it was, for `advance`.
    #[inline(always)]
    pub(super) fn next_decoded(&mut self, verify: bool) -> Option<Found> {
        if !self.short_path_applies() {
            return None;
        }
        let (pos, end, next_seq, known) = (self.pos, self.end, self.next_seq, self.types.len());
        let (bytes, base, checked) = self.source.frames_mut()?.scan_frame()?;
        let records = bytes.get(..end.checked_sub(base)?.min(bytes.len()))?;
        let at = pos.checked_sub(base)?;
        let (rec, len) = plain_record_at(records, at)?;
        let numbered = rec.seq == next_seq && (rec.type_id as usize) < known;
        if !numbered || (verify && !checked.frame_holds(records, at)) {
            return None;
        }
        self.pos = pos + FRAME_HEADER_LEN + len;
        self.next_seq = rec.seq + 1;
        let body_at = at + FRAME_HEADER_LEN;
        Some(Found::plain(rec, pos, body_at, len, BytesIn::Decompressed))
    }

    /// Whether the reader is where a short path may take a record: reading
    /// a sealed segment (which no writer cuts) with every record wanted.
    #[inline(always)]
    fn short_path_applies(&self) -> bool {
        self.tail == Tail::Reading
            && self.filter.is_none()
            && self.unreached.is_none()
            && self.sealed()
    }
}

/// The plain record (see `frame::decode_plain_record`) whose frame is at
/// `at` in `records`, whole, and its body's length; its CRC unchecked.
#[inline(always)]
pub(super) fn plain_record_at(records: &[u8], at: usize) -> Option<(PlainRecord, usize)> {
    let head = records.get(at..at + FRAME_HEADER_LEN)?;
    let len = u32::from_le_bytes(head[..4].try_into().expect("4 bytes")) as usize;
    let start = at + FRAME_HEADER_LEN;
    let body = records.get(start..start + len)?;
    Some((frame::decode_plain_record(body)?, len))
}
