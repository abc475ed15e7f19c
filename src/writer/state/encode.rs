//! Encoding one record into the buffer, whose frames get their CRCs later
//! (see `frame::encode_unsealed`), and handing the buffer off once full.

use super::append::Pending;
use super::validate::frame_len;
use super::{Entry, State};
use crate::error::{Error, Result};
use crate::format::frame::{self, RecordHead};
use crate::writer::types::TypeRef;

impl State {
    /// Encodes one record into the buffer (or writes it directly if larger
    /// than the buffer), reports it to `record` as soon as it is encoded (so
    /// that a failing hand-off that follows rolls it back), and hands a full
    /// buffer off. `last_type` caches the last entry's type string and id: the
    /// same string is the same type, with no lookup.
    #[inline(always)]
    pub(super) fn encode_one<'e>(
        &mut self,
        e: &Entry<'e>,
        now: i64,
        last_type: &mut Option<(&'e str, u32)>,
        record: &mut impl FnMut(Pending),
    ) -> Result<()> {
        if self.next_seq == u64::MAX {
            return Err(Error::invalid("sequence numbers exhausted").in_file(&self.path));
        }
        let ty = match *last_type {
            Some((name, id)) if std::ptr::eq(name, e.type_name) => TypeRef { id, defines: false },
            _ => self
                .types
                .lookup(e.type_name)
                .map_err(|err| err.in_file(&self.path))?,
        };
        *last_type = Some((e.type_name, ty.id));
        let head = RecordHead {
            seq: self.next_seq,
            timestamp_ns: e.timestamp_ns.unwrap_or(now),
            type_id: ty.id,
            define: ty.defines.then_some(e.type_name.as_bytes()),
            meta: e.meta,
        };
        let total = frame_len(&head, e.parts);
        if total > self.max_record_size {
            return Err(self.too_large(e.type_name, total));
        }
        let offset = self.file_len + self.in_flight_len + self.buf.len() as u64;
        if total > self.buffer_size as u64 {
            self.flush_buf()?;
            self.write_direct(&head, e.parts, total)?;
        } else {
            self.last_record_start = self.buf.len();
            frame::encode_unsealed(&mut self.buf, &head, e.parts);
        }
        if ty.defines {
            self.types.define(e.type_name);
        }
        record(Pending {
            type_id: ty.id,
            defines: ty.defines,
            offset,
            seq: self.next_seq,
            ts: head.timestamp_ns,
            len: total,
        });
        self.next_seq += 1;
        if self.buf.len() >= self.buffer_size || self.reaches_unit_boundary() {
            self.hand_off()?;
        }
        Ok(())
    }

    /// Whether the buffered bytes reach the next multiple of the hand-off
    /// unit in the file.
    #[inline(always)]
    fn reaches_unit_boundary(&self) -> bool {
        let start = self.file_len + self.in_flight_len;
        start + self.buf.len() as u64 > start | self.unit_mask
    }
}
