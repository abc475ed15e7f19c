//! The scan's common record on a short path: in a sealed plain segment
//! read through its mapping, with no type filter and no seek target
//! pending, the next frame is a plain record (see
//! `frame::decode_plain_record`) whose CRC holds, numbered next, of a type
//! already known. `advance` takes such a record the same way, through
//! steps that each test for the rarer cases.
//!
//! CRCs are checked a few frames ahead at a time (`crc_ahead`).
//! Every other frame, and every frame that fails a check here, is left to
//! `advance` from the same position: this path changes nothing unless it
//! takes the record, so damage is found and reported only there.

use super::record::BytesIn;
use super::source::Source;
use super::{Found, Reader, Tail};
use crate::format::frame::{self, PlainRecord};
use crate::format::FRAME_HEADER_LEN;

impl Reader {
    /// The next record if it is the common one (see the module's comment),
    /// checked against its CRC if `verify`; `None` leaves the reader as it
    /// was, for `advance`.
    #[inline(always)]
    pub(super) fn next_plain(&mut self, verify: bool) -> Option<Found> {
        if !self.plain_scan_applies() {
            return None;
        }
        let pos = self.pos;
        let Source::Mapped(m) = &self.source else {
            return None;
        };
        let records = m.map.get(..self.end)?;
        let (rec, len) = plain_record_at(records, pos)?;
        let start = pos + FRAME_HEADER_LEN;
        if rec.seq != self.next_seq || rec.type_id as usize >= self.types.len() {
            return None;
        }
        if verify && !self.crc_ahead.frame_holds(records, pos) {
            return None;
        }
        let end = start + len;
        self.pos = end;
        self.next_seq = rec.seq + 1;
        Some(Found::plain(rec, pos, start, len, BytesIn::Mapping))
    }

    /// Whether the reader is where `next_plain` may take a record: reading
    /// a sealed plain segment (its records are read through the mapping,
    /// which no writer cuts) with every record wanted.
    #[inline(always)]
    fn plain_scan_applies(&self) -> bool {
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
