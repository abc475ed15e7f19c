//! Plain C structs shared by the writer and reader calls.

/// A byte range: one part of a gathered payload, or a byte string.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct binlog_iovec {
    pub base: *const u8,
    pub len: usize,
}

/// One metadata entry: a UTF-8 key and value.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct binlog_meta {
    pub key: *const u8,
    pub key_len: usize,
    pub value: *const u8,
    pub value_len: usize,
}

/// A record to write (`binlog_writer_write_entry`, `binlog_writer_write_batch`).
/// The payload is `parts[0..part_count]` gathered in order when `part_count`
/// is not zero, else `payload[0..payload_len]`. `timestamp_ns` is nanoseconds
/// since the Unix epoch, or `BINLOG_TIME_NOW` for the clock.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct binlog_entry {
    pub type_name: *const u8,
    pub type_len: usize,
    pub meta: *const binlog_meta,
    pub meta_count: usize,
    pub payload: *const u8,
    pub payload_len: usize,
    pub parts: *const binlog_iovec,
    pub part_count: usize,
    pub timestamp_ns: i64,
}

/// A record returned by `binlog_reader_next`: a view into the segment, valid
/// until the next call on the same reader. Strings are UTF-8, not
/// NUL-terminated. Every pointer of the view, its metadata's and a header's
/// is valid (not NULL) even for 0 bytes, except `meta` without metadata and
/// a header's `params` without parameters, which are NULL.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct binlog_record {
    pub seq: u64,
    pub timestamp_ns: i64,
    pub type_name: *const u8,
    pub type_len: usize,
    pub payload: *const u8,
    pub payload_len: usize,
    pub meta: *const binlog_meta,
    pub meta_count: usize,
    /// File offset of the record.
    pub offset: u64,
}

/// One record returned by `binlog_reader_next_batch`, copied into the
/// caller's buffer: every `*_off` is a byte offset from the start of that
/// buffer. Holds no pointers, so Go and Java callers can keep arrays of it
/// in their own memory.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct binlog_batch_record {
    pub seq: u64,
    pub timestamp_ns: i64,
    /// File offset of the record.
    pub offset: u64,
    pub type_off: u32,
    pub type_len: u32,
    pub payload_off: u32,
    pub payload_len: u32,
    /// Offset of `meta_count` `binlog_batch_meta` entries (4-byte aligned
    /// from the buffer's start).
    pub meta_off: u32,
    pub meta_count: u32,
}

/// One record of `binlog_reader_next_mapped`: its payload where it lies
/// (`mapped` 1: at `payload_off` from the call's `*mapping`; 0: copied to
/// `payload_off` in the caller's buffer), its type name and metadata
/// entries in the caller's buffer as in `binlog_batch_record`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct binlog_mapped_record {
    pub seq: u64,
    pub timestamp_ns: i64,
    /// File offset of the record.
    pub offset: u64,
    pub payload_off: u64,
    pub payload_len: u32,
    pub mapped: u32,
    pub type_off: u32,
    pub type_len: u32,
    /// Offset of `meta_count` `binlog_batch_meta` entries in the buffer.
    pub meta_off: u32,
    pub meta_count: u32,
}

/// A metadata entry of a `binlog_batch_record`: offsets and lengths of its
/// UTF-8 key and value in the caller's buffer.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct binlog_batch_meta {
    pub key_off: u32,
    pub key_len: u32,
    pub value_off: u32,
    pub value_len: u32,
}

/// A segment's header (`binlog_reader_header`): strings are UTF-8, not
/// NUL-terminated, and point into the reader.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct binlog_header {
    /// Format version that wrote the segment.
    pub major: u16,
    pub minor: u16,
    /// Creation time, nanoseconds since the Unix epoch (UTC).
    pub created_ns: i64,
    /// Position of the segment in its log (0 for a standalone segment).
    pub segment_no: u64,
    /// Sequence number of the segment's first record.
    pub first_seq: u64,
    pub log_name: *const u8,
    pub log_name_len: usize,
    pub content_type: *const u8,
    pub content_type_len: usize,
    /// The library and version that created it, e.g. `libbinlog/0.1.0`.
    pub writer: *const u8,
    pub writer_len: usize,
    /// The string parameters given when it was created, in order.
    pub params: *const binlog_meta,
    pub param_count: usize,
}

/// Write `timestamp_ns = BINLOG_TIME_NOW` to take the clock: CLOCK_REALTIME,
/// read through the TSC on x86_64 where the kernel trusts it (within about
/// 100 ns of clock_gettime, never stepping back on one thread unless the
/// system clock is set back or the counter misbehaves; `BINLOG_TSC=0` in the
/// environment turns it off; see docs/GUIDE.md, "Timestamps").
pub const BINLOG_TIME_NOW: i64 = i64::MIN;

/// How a reader's segment ended (`binlog_reader_tail`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum binlog_tail_kind {
    /// Records remain, or the end has not been reached yet.
    BINLOG_TAIL_READING = 0,
    /// Every record read; the segment is sealed.
    BINLOG_TAIL_SEALED = 1,
    /// Every record read; no seal (being written, or the writer stopped).
    BINLOG_TAIL_UNSEALED = 2,
    /// Records end at `offset`, where a damaged or incomplete seal begins.
    BINLOG_TAIL_SEAL_DAMAGED = 3,
    /// `len` bytes at `offset` are not a whole record and nothing valid
    /// follows: a torn tail, or a write in progress.
    BINLOG_TAIL_TORN = 4,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct binlog_tail {
    pub kind: binlog_tail_kind,
    pub offset: u64,
    pub len: u64,
}

/// Why a log reader could not return records (`binlog_gap.reason`); the
/// same set in every tier (local files, compressed ones, bucket objects).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum binlog_gap_reason {
    /// A listed segment of a log directory gone before it could be
    /// opened, or segments missing before the next with no older listed
    /// file left (a reader behind retention, which removes the oldest
    /// first).
    BINLOG_GAP_RETENTION = 1,
    /// A segment or bucket object that should be there and is not
    /// (segment numbers skip it, a listed object is gone, or a file named
    /// in a list of files is not there).
    BINLOG_GAP_MISSING = 2,
    /// Bytes lost to damage at `offset` (a segment ending in a torn tail
    /// while a later one follows it); or, with no offset, records missing
    /// before a file salvaged from the segment, which the damage the
    /// salvage copied around destroyed.
    BINLOG_GAP_DAMAGE = 3,
    /// Consecutive segments whose sequence numbers do not continue each
    /// other.
    BINLOG_GAP_SEQ_JUMP = 4,
}

/// Records a log reader could not return (`binlog_reader_gaps`): records
/// `[from_seq, to_seq)` of `path`, for `reason`. `path` is the segment file
/// or the object's `s3://bucket/key` URL: the removed segment (retention),
/// the damaged one (damage), the missing object by its plain key (`<segment
/// no>-<first seq>.binlog`), a file named in a list, or else the segment
/// after the gap; `path_len` bytes, not NUL-terminated, valid until the next
/// call on the reader. A field whose `has_` flag is false is not known (0).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct binlog_gap {
    pub reason: binlog_gap_reason,
    pub path: *const u8,
    pub path_len: usize,
    /// Where in `path` the bytes are lost (damage only).
    pub has_offset: bool,
    pub offset: u64,
    /// The first sequence number missing.
    pub has_from_seq: bool,
    pub from_seq: u64,
    /// The first sequence number present after the gap.
    pub has_to_seq: bool,
    pub to_seq: u64,
}

/// A damaged region a reader skipped (`binlog_reader_skip_damaged`): bytes
/// `[offset, resume_offset)` of a segment and records `[from_seq, to_seq)`
/// are lost. Which segment or object: `binlog_damage2`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct binlog_damage {
    pub offset: u64,
    pub resume_offset: u64,
    pub from_seq: u64,
    pub to_seq: u64,
}

/// A damaged region a reader skipped (`binlog_reader_damages2`): bytes
/// `[offset, resume_offset)` of `path` and records `[from_seq, to_seq)` are
/// lost. `path` is the segment file (as given, or as a log reader found it)
/// or the object's `s3://bucket/key` URL; `path_len` bytes, not
/// NUL-terminated, valid until the next call on the reader.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct binlog_damage2 {
    pub offset: u64,
    pub resume_offset: u64,
    pub from_seq: u64,
    pub to_seq: u64,
    pub path: *const u8,
    pub path_len: usize,
}
