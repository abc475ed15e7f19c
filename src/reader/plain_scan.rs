//! The scan's common record on a short path: in a sealed plain segment
//! read through its mapping, with no type filter and no seek target
//! pending, the next frame is a plain record (see
//! `frame::decode_plain_record`) whose CRC holds, numbered next, of a type
//! already known. `advance` takes such a record the same way, through
//! steps that each test for the rarer cases.
//!
//! CRCs are checked a few frames ahead at a time (`checked_ahead`).
//! Every other frame, and every frame that fails a check here, is left to
//! `advance` from the same position: this path changes nothing unless it
//! takes the record, so damage is found and reported only there.

use super::record::BytesIn;
use super::{Found, Reader, Tail};
use crate::format::frame::{self, PLAIN_RECORD_HEAD};
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
        let records = self.map.get(..self.end)?;
        let head = records.get(pos..pos + FRAME_HEADER_LEN)?;
        let len = u32::from_le_bytes(head[..4].try_into().expect("4 bytes")) as usize;
        let start = pos + FRAME_HEADER_LEN;
        let body = records.get(start..start + len)?;
        let rec = frame::decode_plain_record(body)?;
        if rec.seq != self.next_seq || rec.type_id as usize >= self.types.len() {
            return None;
        }
        if verify && !self.checked_ahead.frame_holds(records, pos) {
            return None;
        }
        let end = start + len;
        self.pos = end;
        self.next_seq = rec.seq + 1;
        let payload_start = start + PLAIN_RECORD_HEAD;
        Some(Found {
            seq: rec.seq,
            timestamp_ns: rec.timestamp_ns,
            type_id: rec.type_id,
            offset: pos,
            frame_len: FRAME_HEADER_LEN + len,
            meta_count: 0,
            meta: (payload_start, payload_start),
            payload: (payload_start, end),
            bytes_in: BytesIn::Mapping,
        })
    }

    /// Whether the reader is where `next_plain` may take a record: reading
    /// a sealed plain segment (its records are read through the mapping,
    /// which no writer cuts) with every record wanted.
    #[inline(always)]
    fn plain_scan_applies(&self) -> bool {
        self.tail == Tail::Reading
            && self.filter.is_none()
            && self.unreached.is_none()
            && self.decoded.is_none()
            && self.sealed()
    }
}
