//! The scan's common record on a short path in a compressed segment (or a
//! plain one read as stored frames, a remote object): as `mapped_scan` does
//! in a mapping, in the frame held, decompressed. With no type filter and
//! no seek target pending, the next frame lies whole in the bytes of the
//! frame held decompressed so far, before the end of the records, and is a
//! plain record (see `frame::decode_plain_record`) whose CRC holds,
//! numbered next, of a type already known.
//!
//! CRCs are checked a few frames ahead at a time (`crc_ahead`, its
//! offsets in the frame held). Every other record (the first of each
//! frame, one cut across frames, one past the bytes decompressed so far)
//! and every frame that fails a check here is left to `advance` from the
//! same position, which decompresses, joins, checks the frame's checksum
//! and reports damage: this path changes nothing unless it takes the
//! record.

use super::mapped_scan::plain_record_at;
use super::record::BytesIn;
use super::{Found, Reader, Tail};
use crate::format::FRAME_HEADER_LEN;

impl Reader {
    /// The next record if it is the common one (see the module's comment),
    /// checked against its CRC if `verify`; `None` leaves the reader as it
    /// was, for `advance`.
    #[inline(always)]
    pub(super) fn next_decoded(&mut self, verify: bool) -> Option<Found> {
        if !(self.tail == Tail::Reading
            && self.filter.is_none()
            && self.unreached.is_none()
            && self.sealed())
        {
            return None;
        }
        let (pos, end, next_seq, known) = (self.pos, self.end, self.next_seq, self.types.len());
        let (bytes, base, checked) = self.source.frames_mut()?.scan_frame()?;
        let records = bytes.get(..end.checked_sub(base)?.min(bytes.len()))?;
        let at = pos.checked_sub(base)?;
        let (rec, len) = plain_record_at(records, at)?;
        if rec.seq != next_seq || rec.type_id as usize >= known {
            return None;
        }
        if verify && !checked.frame_holds(records, at) {
            return None;
        }
        self.pos = pos + FRAME_HEADER_LEN + len;
        self.next_seq = rec.seq + 1;
        let body_at = at + FRAME_HEADER_LEN;
        Some(Found::plain(rec, pos, body_at, len, BytesIn::Decompressed))
    }
}
