//! Record views handed out by the reader. They borrow the mapped segment
//! (or, for some reads, the reader's copy of the record): nothing is copied
//! to hand them out.

use super::Reader;
use crate::format::frame::{MetaIter, PlainRecord, PLAIN_RECORD_HEAD};
use crate::format::FRAME_HEADER_LEN;

/// How the name given to a type whose defining record was in a skipped
/// damaged region begins, unless a seal's type table names it
/// (`Record::lost_type_name`).
pub(super) const LOST_TYPE: &str = "<lost type ";

/// One record, verified against its CRC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// The record's sequence number.
    pub seq: u64,
    /// Its timestamp: ns since the Unix epoch, UTC.
    pub timestamp_ns: i64,
    /// Its type's name.
    pub type_name: &'a str,
    /// Its payload.
    pub payload: &'a [u8],
    /// File offset of the record's frame.
    pub offset: u64,
    /// Bytes of the record's frame (header, fields, metadata and payload).
    pub frame_len: u64,
    /// The type's id within this segment.
    pub(crate) type_id: u32,
    pub(crate) meta_count: u32,
    pub(crate) meta: &'a [u8],
}

impl<'a> Record<'a> {
    /// Number of metadata entries.
    pub fn meta_count(&self) -> usize {
        self.meta_count as usize
    }

    /// Metadata entries in the order they were written.
    pub fn metadata(&self) -> impl Iterator<Item = (&'a str, &'a str)> {
        // The reader checked that every key and value is UTF-8.
        let text = |b: &'a [u8]| std::str::from_utf8(b).unwrap_or_default();
        MetaIter::new(self.meta).map(move |(k, v)| (text(k), text(v)))
    }

    /// The value of the first metadata entry with this key.
    pub fn meta(&self, key: &str) -> Option<&'a str> {
        self.metadata().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The type name a reader gives the records of type `id` of a segment
    /// when the type's defining record was in a damaged region it skipped
    /// (`Reader::skip_damaged`) and no seal names the type:
    /// `<lost type N>`. A type filter given this name selects them.
    pub fn lost_type_name(id: u32) -> String {
        format!("{LOST_TYPE}{id}>")
    }

    /// The id of the record's type in its segment (the frame's type id).
    pub fn type_id(&self) -> u32 {
        self.type_id
    }

    /// The id of the record's type in its segment when the reader lost the
    /// type's name (`type_name` is then `Record::lost_type_name(id)`); None
    /// for a type whose name it knows.
    pub fn lost_type_id(&self) -> Option<u32> {
        let lost = self.type_name.starts_with(LOST_TYPE)
            && self.type_name == Record::lost_type_name(self.type_id);
        lost.then_some(self.type_id)
    }
}

/// A record's header fields without its payload (see
/// [`crate::Reader::next_header`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHeader<'a> {
    /// The record's sequence number.
    pub seq: u64,
    /// Its timestamp: ns since the Unix epoch, UTC.
    pub timestamp_ns: i64,
    /// Its type's name.
    pub type_name: &'a str,
    /// Its payload's length in bytes.
    pub payload_len: u64,
    /// File offset of the record's frame.
    pub offset: u64,
    /// Number of metadata entries.
    pub meta_count: u32,
}

/// Where a reader stands once it has returned every record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tail {
    /// Records remain, or the end has not been reached yet.
    Reading,
    /// All records read; the segment is sealed.
    Sealed,
    /// All records read; the segment has no seal and ends right after its
    /// last record (it is being written, or its writer stopped between
    /// records).
    Unsealed,
    /// Records end where a seal begins that is incomplete or damaged; the
    /// records were read by a scan.
    SealDamaged {
        /// Where the seal begins.
        offset: u64,
    },
    /// The segment ends in `len` bytes at `offset` that are not a whole valid
    /// record and nothing valid follows them: a torn tail (a writer died
    /// mid-write) or a write still in progress.
    Torn {
        /// Where the bytes begin.
        offset: u64,
        /// How many bytes.
        len: u64,
    },
}

/// A damaged region that a reader skipped (see `Reader::skip_damaged`): the
/// bytes `[offset, resume_offset)` and the records `[from_seq, to_seq)` are
/// lost (`offset == resume_offset` when records are missing without damaged
/// bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Damage {
    /// First damaged byte.
    pub offset: u64,
    /// Where reading resumed: the next valid record (or the end).
    pub resume_offset: u64,
    /// First sequence number lost.
    pub from_seq: u64,
    /// The sequence number reading resumed at (the records lost end before it).
    pub to_seq: u64,
}

/// A checked record located in the map (offsets only, so the reader stays
/// free to remap while looking for it).
pub(crate) struct Found {
    pub(crate) seq: u64,
    pub(crate) timestamp_ns: i64,
    pub(super) type_id: u32,
    pub(super) offset: usize,
    pub(super) frame_len: usize,
    pub(super) meta_count: u32,
    pub(super) meta: (usize, usize),
    pub(super) payload: (usize, usize),
    /// Where the parts are (offsets are into it).
    pub(super) bytes_in: BytesIn,
}

impl Found {
    /// A plain record (`frame::decode_plain_record`) whose frame is at
    /// `offset` in the segment, its body of `len` bytes at `body_at` in
    /// `bytes_in`: no metadata, the payload the body after its head.
    #[inline(always)]
    pub(super) fn plain(
        rec: PlainRecord,
        offset: usize,
        body_at: usize,
        len: usize,
        bytes_in: BytesIn,
    ) -> Found {
        let payload_start = body_at + PLAIN_RECORD_HEAD;
        Found {
            seq: rec.seq,
            timestamp_ns: rec.timestamp_ns,
            type_id: rec.type_id,
            offset,
            frame_len: FRAME_HEADER_LEN + len,
            meta_count: 0,
            meta: (payload_start, payload_start),
            payload: (payload_start, body_at + len),
            bytes_in,
        }
    }
}

/// Where a found record's bytes are.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum BytesIn {
    /// The mapping.
    Mapping,
    /// `frame_copy`, for a read through the per-type index.
    FrameCopy,
    /// The mapped source's `UnsealedCopy`, for an unsealed segment (see `check_unsealed`).
    UnsealedCopy,
    /// A compressed segment's decompressed bytes held (see
    /// `frames`).
    #[cfg_attr(not(feature = "compression"), allow(dead_code))]
    Decompressed,
}

impl Reader {
    /// The record at a location returned by `next_found` (valid until the
    /// reader moves again). Always inlined: it is on every record's path.
    #[inline(always)]
    pub(crate) fn record_at(&self, f: &Found) -> Record<'_> {
        let (data, _) = self.frame_in(f.bytes_in, f.offset);
        Record {
            seq: f.seq,
            timestamp_ns: f.timestamp_ns,
            type_name: &self.types[f.type_id as usize],
            payload: &data[f.payload.0..f.payload.1],
            offset: f.offset as u64,
            frame_len: f.frame_len as u64,
            type_id: f.type_id,
            meta_count: f.meta_count,
            meta: &data[f.meta.0..f.meta.1],
        }
    }

    /// The bytes read of the frame at file offset `pos` (those a found
    /// record's offsets are into), and where the frame starts in them.
    #[inline(always)]
    pub(super) fn frame_in(&self, bytes_in: BytesIn, pos: usize) -> (&[u8], usize) {
        // The scan's case first, tested alone: the others are rarer.
        if bytes_in == BytesIn::Mapping {
            return (&self.map[..], pos);
        }
        match bytes_in {
            BytesIn::Mapping => unreachable!("returned above"),
            BytesIn::FrameCopy => (&self.indexed.frame_copy[..], 0),
            BytesIn::UnsealedCopy => self.source.unsealed_frame_in(pos),
            BytesIn::Decompressed => self.decoded_frame_in(pos),
        }
    }

    /// `frame_in` for a compressed segment's bytes; out of line, so that
    /// `frame_in` (and `record_at`) stay small enough to inline.
    #[inline(never)]
    fn decoded_frame_in(&self, pos: usize) -> (&[u8], usize) {
        let d = self.source.frames().expect("a compressed segment");
        let (bytes, base) = d.held();
        (bytes, pos - base)
    }
}
