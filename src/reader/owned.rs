//! `OwnedRecord`: a record that outlives the reader's next call.

use super::{Mapping, Record};

/// An owned copy of a record (its payload copied, or, for the C ABI's
/// mapped reads, kept where the reader's mapping holds it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedRecord {
    seq: u64,
    timestamp_ns: i64,
    offset: u64,
    frame_len: u64,
    type_id: u32,
    meta_count: u32,
    type_name: Box<str>,
    payload: Payload,
    /// The metadata entries as the record encodes them.
    meta: Box<[u8]>,
}

impl OwnedRecord {
    /// The record, as the reader returned it.
    pub fn record(&self) -> Record<'_> {
        Record {
            seq: self.seq,
            timestamp_ns: self.timestamp_ns,
            type_name: &self.type_name,
            payload: self.payload.bytes(),
            offset: self.offset,
            frame_len: self.frame_len,
            type_id: self.type_id,
            meta_count: self.meta_count,
            meta: &self.meta,
        }
    }

    /// The same record with its payload read from `map` at address `addr`
    /// (where the record it was copied from had it), if `map` holds it
    /// there; the copy is dropped.
    #[doc(hidden)]
    pub fn with_payload_in(self, map: &Mapping, addr: usize) -> OwnedRecord {
        let len = self.payload.bytes().len();
        match map.offset_of(addr, len) {
            Some(at) => OwnedRecord {
                payload: Payload::Mapped(map.clone(), at, len),
                ..self
            },
            None => self,
        }
    }
}

/// An owned record's payload: its own copy, or a range of a mapping it
/// keeps mapped.
#[derive(Clone, Debug)]
enum Payload {
    Copied(Box<[u8]>),
    Mapped(Mapping, usize, usize),
}

impl Payload {
    fn bytes(&self) -> &[u8] {
        match self {
            Payload::Copied(b) => b,
            Payload::Mapped(m, at, len) => &m.bytes()[*at..*at + *len],
        }
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for Payload {}

impl From<&Record<'_>> for OwnedRecord {
    fn from(r: &Record<'_>) -> OwnedRecord {
        OwnedRecord {
            seq: r.seq,
            timestamp_ns: r.timestamp_ns,
            offset: r.offset,
            frame_len: r.frame_len,
            type_id: r.type_id,
            meta_count: r.meta_count,
            type_name: r.type_name.into(),
            payload: Payload::Copied(r.payload.into()),
            meta: r.meta.into(),
        }
    }
}
