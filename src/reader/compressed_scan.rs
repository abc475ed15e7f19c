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

use super::mapped_scan::common_record;
use super::record::BytesIn;
use super::Found;
use super::Reader;
use crate::format::FRAME_HEADER_LEN;

impl Reader {
    /// The next record of a frames source if it is the common one (see
    /// the module's comment), checked against its CRC if `verify`; `None`
    /// leaves the reader as it was, for `advance`.
    #[inline(always)]
    pub(super) fn next_decoded(&mut self, verify: bool) -> Option<Found> {
        if !self.short_path_applies() {
            return None;
        }
        let (end, at) = (self.end, (self.pos, self.next_seq, self.types.len()));
        let (bytes, base, checked) = self.source.frames_mut()?.scan_frame()?;
        let records = bytes.get(..end.checked_sub(base)?.min(bytes.len()))?;
        let common = common_record(records, base, at, verify.then_some(checked))?;
        let body_at = self.pos - base + FRAME_HEADER_LEN;
        Some(self.take_common(common, body_at, BytesIn::Decompressed))
    }
}
