//! Frames: every record, and the two parts of the seal, are framed as
//! `u32 body_len | u32 crc32(body) | body`. The first body byte is the frame
//! kind (low 4 bits) and flags (high 4 bits).
//!
//! A record body:
//! ```text
//! kind|flags u8, seq u64, timestamp_ns i64, type_id varint,
//! [type name: varint len + UTF-8]            if FLAG_DEFINES_TYPE
//! [count varint, (varint len + key, varint len + value)*]  if FLAG_HAS_META
//! payload: the rest of the body (may be empty)
//! ```

use super::cursor::Cursor;
use super::{u32_at, u64_at, varint, FRAME_HEADER_LEN, MAX_BODY_LEN};

pub const KIND_RECORD: u8 = 1;
pub const KIND_SEAL_BEGIN: u8 = 2;
/// Length of the SEAL_BEGIN frame: header, kind, record count.
pub const SEAL_BEGIN_LEN: usize = FRAME_HEADER_LEN + 1 + 8;
pub const KIND_SEAL_DIR: u8 = 3;
pub const KIND_MASK: u8 = 0x0f;
/// The record carries the name of its type (first use in the segment).
pub const FLAG_DEFINES_TYPE: u8 = 0x10;
/// The record carries metadata.
pub const FLAG_HAS_META: u8 = 0x20;
/// Bits no version 1 writer sets; a frame with them set is invalid.
pub const RESERVED_FLAGS: u8 = 0xc0;

/// Fixed bytes at the start of a record body: kind, seq, timestamp.
pub const RECORD_FIXED_LEN: usize = 1 + 8 + 8;
/// The smallest valid record body (fixed part and a one-byte type id).
pub const MIN_RECORD_BODY: usize = RECORD_FIXED_LEN + 1;
/// The smallest record frame. Every type is defined by a record, so `n`
/// bytes of records define at most `n / MIN_RECORD_FRAME` types: a bound
/// on the type ids a reader may accept from damaged or hostile bytes.
pub const MIN_RECORD_FRAME: usize = super::FRAME_HEADER_LEN + MIN_RECORD_BODY;

/// The fields of a record that precede its payload, as the writer sees them.
#[derive(Default)]
pub struct RecordHead<'a> {
    pub seq: u64,
    pub timestamp_ns: i64,
    pub type_id: u32,
    /// The type's name, on the first record of the type in the segment.
    pub define: Option<&'a [u8]>,
    pub meta: &'a [(&'a str, &'a str)],
}

impl RecordHead<'_> {
    /// Bytes of the body before the payload.
    #[inline]
    pub fn encoded_len(&self) -> usize {
        let mut n = RECORD_FIXED_LEN + varint::len(self.type_id as u64);
        // Saturating: lengths (each below isize::MAX) that add up past
        // usize::MAX make a record above any size limit.
        if let Some(name) = self.define {
            n = n.saturating_add(varint::len(name.len() as u64) + name.len());
        }
        if !self.meta.is_empty() {
            n += varint::len(self.meta.len() as u64);
            for (k, v) in self.meta {
                n = n
                    .saturating_add(varint::len(k.len() as u64) + k.len())
                    .saturating_add(varint::len(v.len() as u64) + v.len());
            }
        }
        n
    }

    /// Appends the body bytes before the payload.
    #[inline]
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut flags = KIND_RECORD;
        if self.define.is_some() {
            flags |= FLAG_DEFINES_TYPE;
        }
        if !self.meta.is_empty() {
            flags |= FLAG_HAS_META;
        }
        out.push(flags);
        out.extend_from_slice(&self.seq.to_le_bytes());
        out.extend_from_slice(&self.timestamp_ns.to_le_bytes());
        varint::encode(self.type_id as u64, out);
        if let Some(name) = self.define {
            varint::encode(name.len() as u64, out);
            out.extend_from_slice(name);
        }
        if !self.meta.is_empty() {
            varint::encode(self.meta.len() as u64, out);
            for (k, v) in self.meta {
                varint::encode(k.len() as u64, out);
                out.extend_from_slice(k.as_bytes());
                varint::encode(v.len() as u64, out);
                out.extend_from_slice(v.as_bytes());
            }
        }
    }
}

/// An upper bound of the bytes a record takes in any segment (it assumes the
/// record defines its type), for deciding where a rolling log cuts.
pub fn max_frame_len(type_name: &str, meta: &[(&str, &str)], payload_len: u64) -> u64 {
    let head = RecordHead {
        type_id: u32::MAX,
        define: Some(type_name.as_bytes()),
        meta,
        ..RecordHead::default()
    };
    (FRAME_HEADER_LEN as u64)
        .saturating_add(head.encoded_len() as u64)
        .saturating_add(payload_len)
}

/// An upper bound of `max_frame_len` that needs no varint arithmetic, so
/// that size checks settle the common case (far below the limit) first.
#[inline]
pub fn frame_len_bound(type_name: &str, meta: &[(&str, &str)], payload_len: u64) -> u64 {
    // Header, fixed fields, a 5-byte type id, a 10-byte name length.
    const FIXED: u64 = (FRAME_HEADER_LEN + RECORD_FIXED_LEN + 5 + 10) as u64;
    let meta = match meta {
        [] => 0,
        // A 10-byte count, and two 10-byte lengths an entry.
        m => m.iter().fold(10u64, |n, (k, v)| {
            n.saturating_add((k.len() as u64).saturating_add(v.len() as u64) + 20)
        }),
    };
    FIXED
        .saturating_add(type_name.len() as u64)
        .saturating_add(meta)
        .saturating_add(payload_len)
}

/// The bytes of `parts` together, saturating at u64::MAX (a sum past it is
/// above any size limit).
pub fn total_len(parts: &[&[u8]]) -> u64 {
    parts
        .iter()
        .fold(0u64, |sum, p| sum.saturating_add(p.len() as u64))
}

/// Appends a whole frame (header, record head, payload parts) to `out` and
/// returns its total length. The caller has checked the size limit.
#[inline]
#[cfg(any(test, feature = "internals"))]
pub fn encode_record(out: &mut Vec<u8>, head: &RecordHead<'_>, parts: &[&[u8]]) -> usize {
    let start = out.len();
    encode_unsealed(out, head, parts);
    seal_frame(out, start)
}

/// Appends a frame like [`encode_record`] but leaves its CRC field zero,
/// for [`seal_frames`] to fill in later; returns its total length. A small
/// record's CRC read back right after its copy stalls on store-to-load
/// forwarding (docs/PERFORMANCE.md): the writer seals its frames just
/// before they go to the OS.
#[inline(always)]
pub fn encode_unsealed(out: &mut Vec<u8>, head: &RecordHead<'_>, parts: &[&[u8]]) -> usize {
    let start = out.len();
    if head.define.is_none() && head.meta.is_empty() {
        // The common record: frame header and fixed fields in one copy.
        let mut fixed = [0u8; FRAME_HEADER_LEN + RECORD_FIXED_LEN + 5];
        fixed[FRAME_HEADER_LEN] = KIND_RECORD;
        // Sequence number and timestamp, 16 little-endian bytes, in one
        // copy: at opt-level "z" (the lean library) each slice copy is a
        // call, and two took more room than this.
        let seq_and_time = ((head.timestamp_ns as u64 as u128) << 64) | head.seq as u128;
        fixed[9..25].copy_from_slice(&seq_and_time.to_le_bytes());
        let mut n = 25;
        let mut id = head.type_id;
        while id >= 0x80 {
            fixed[n] = (id as u8) | 0x80;
            id >>= 7;
            n += 1;
        }
        fixed[n] = id as u8;
        // Copy the whole array (a fixed-size copy, inlined) and drop the
        // unused varint bytes: cheaper than a variable-length memcpy call.
        append_inlined(out, &fixed);
        out.truncate(start + n + 1);
    } else {
        out.extend_from_slice(&[0u8; FRAME_HEADER_LEN]);
        head.encode(out);
    }
    match parts {
        [p] => append_inlined(out, p),
        parts => {
            for p in parts {
                out.extend_from_slice(p);
            }
        }
    }
    let len = (out.len() - start - FRAME_HEADER_LEN) as u32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out.len() - start
}

/// `out.extend_from_slice(bytes)` with the copy in the caller: a copy of
/// a fixed size as a few moves, any other as one `memcpy` call.
/// `extend_from_slice` leaves that to the inliner, which in the fat-LTO
/// release build kept std's `append_elements` out of line: two more calls,
/// and a `memcpy` call for the 30 fixed bytes, for every small record
/// (docs/PERFORMANCE.md, figure b).
#[inline(always)]
fn append_inlined(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = out.len();
    if out.capacity() - len < bytes.len() {
        out.reserve(bytes.len());
    }
    // SAFETY: the capacity holds `bytes.len()` more bytes past `len`;
    // `bytes`, borrowed shared, cannot overlap `out`, borrowed mutably.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), out.as_mut_ptr().add(len), bytes.len());
        out.set_len(len + bytes.len());
    }
}

/// Fills in the CRC of every frame in `buf`, which holds whole frames from
/// [`encode_unsealed`] (their lengths set).
pub fn seal_frames(buf: &mut [u8]) {
    let mut pos = 0;
    while pos < buf.len() {
        let len = u32_at(buf, pos) as usize;
        let body = pos + FRAME_HEADER_LEN..pos + FRAME_HEADER_LEN + len;
        let crc = super::crc32_sealing(&buf[body.clone()]);
        buf[pos + 4..pos + 8].copy_from_slice(&crc.to_le_bytes());
        pos = body.end;
    }
}

/// Length of the longest prefix of `buf` made of whole frames, by their
/// length fields alone: where a write that stopped part way can be cut.
pub fn whole_frames_len(buf: &[u8]) -> usize {
    let mut pos = 0;
    while let Some((body, _)) = frame_header(buf, pos) {
        match (pos + FRAME_HEADER_LEN).checked_add(body as usize) {
            Some(end) if end <= buf.len() => pos = end,
            _ => break,
        }
    }
    pos
}

/// Fills in the length and CRC of the frame that starts at `start` and runs to
/// the end of `out`; returns its total length.
#[inline]
pub fn seal_frame(out: &mut [u8], start: usize) -> usize {
    let len = out.len() - start - FRAME_HEADER_LEN;
    debug_assert!(len as u64 <= MAX_BODY_LEN);
    out[start..start + 4].copy_from_slice(&(len as u32).to_le_bytes());
    seal_frames(&mut out[start..]);
    out.len() - start
}

/// What lies at a position of a segment.
#[derive(Debug, PartialEq, Eq)]
pub enum FrameAt<'a> {
    /// A frame whose length fits and (if asked) whose CRC matches.
    Frame {
        kind: u8,
        body: &'a [u8],
        total: usize,
    },
    /// The bytes end before the frame does (a torn tail, or a write still in
    /// progress).
    Incomplete,
    /// The length is impossible or the CRC does not match.
    Invalid(&'static str),
}

/// Whether a frame's kind byte is a record's, with no reserved flag set.
#[inline]
pub fn is_record_kind(kind: u8) -> bool {
    kind & (KIND_MASK | RESERVED_FLAGS) == KIND_RECORD
}

/// Reads the frame at `pos` of `buf`, checking its length and, if `verify`,
/// its CRC.
#[inline]
pub fn frame_at(buf: &[u8], pos: usize, verify: bool) -> FrameAt<'_> {
    let Some((len, crc)) = frame_header(buf, pos) else {
        return FrameAt::Incomplete;
    };
    let len = len as usize;
    if len == 0 {
        return FrameAt::Invalid("zero frame length");
    }
    let start = pos + FRAME_HEADER_LEN;
    let Some(body) = buf.get(start..start + len) else {
        return FrameAt::Incomplete;
    };
    let kind = body[0];
    if kind & RESERVED_FLAGS != 0 {
        return FrameAt::Invalid("reserved flag bits set");
    }
    if verify && super::crc32(body) != crc {
        return FrameAt::Invalid("CRC mismatch");
    }
    FrameAt::Frame {
        kind: kind & KIND_MASK,
        body,
        total: FRAME_HEADER_LEN + len,
    }
}

/// The frame header at `pos` of `buf`, unchecked: the body's length and
/// its stored CRC; None if `buf` ends before it does.
#[inline]
pub fn frame_header(buf: &[u8], pos: usize) -> Option<(u32, u32)> {
    let head = buf.get(pos..pos.checked_add(FRAME_HEADER_LEN)?)?;
    Some((u32_at(head, 0), u32_at(head, 4)))
}

/// A decoded record body, borrowing the segment's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordBody<'a> {
    pub seq: u64,
    pub timestamp_ns: i64,
    pub type_id: u32,
    pub defines: Option<&'a [u8]>,
    pub meta_count: u32,
    /// Encoded metadata entries (after the count); see [`MetaIter`].
    pub meta: &'a [u8],
    pub payload: &'a [u8],
}

/// Decodes a record body (the kind byte included); `None` if malformed
/// (docs/FORMAT.md section 7.1; a sequence number of u64::MAX included).
#[inline]
pub fn decode_record(body: &[u8]) -> Option<RecordBody<'_>> {
    let mut c = Cursor::new(body);
    let flags = c.u8()?;
    if flags & KIND_MASK != KIND_RECORD {
        return None;
    }
    // Writers never assign u64::MAX (docs/FORMAT.md section 7.2): a body
    // that carries it is malformed, so that the next number never wraps.
    let seq = c.u64().filter(|&seq| seq != u64::MAX)?;
    let timestamp_ns = c.i64()?;
    let type_id = u32::try_from(c.varint()?).ok()?;
    let defines = if flags & FLAG_DEFINES_TYPE != 0 {
        let name = c.var_bytes()?;
        if name.len() > super::MAX_TYPE_NAME_LEN || std::str::from_utf8(name).is_err() {
            return None;
        }
        Some(name)
    } else {
        None
    };
    let (meta_count, meta) = if flags & FLAG_HAS_META != 0 {
        let count = u32::try_from(c.varint()?).ok()?;
        let start = c.pos();
        for _ in 0..count {
            c.var_bytes()?;
            c.var_bytes()?;
        }
        (count, &body[start..c.pos()])
    } else {
        (0, &body[0..0])
    };
    Some(RecordBody {
        seq,
        timestamp_ns,
        type_id,
        defines,
        meta_count,
        meta,
        payload: c.rest(),
    })
}

/// The fields of the commonest record body (a "plain" one): no type
/// definition, no metadata, a type id below 128 (one varint byte); the
/// payload is the body after `PLAIN_RECORD_HEAD` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlainRecord {
    pub seq: u64,
    pub timestamp_ns: i64,
    pub type_id: u32,
}

/// Bytes of a plain record's body before its payload: kind, sequence
/// number, timestamp and a one-byte type id.
pub const PLAIN_RECORD_HEAD: usize = MIN_RECORD_BODY;

/// Decodes `body` if it is a plain record (see [`PlainRecord`]); `None`
/// for any other body, valid or not, which [`decode_record`] then decodes.
/// A body this accepts, `decode_record` decodes to the same fields.
#[inline(always)]
pub fn decode_plain_record(body: &[u8]) -> Option<PlainRecord> {
    let head: &[u8; PLAIN_RECORD_HEAD] = body.get(..PLAIN_RECORD_HEAD)?.try_into().ok()?;
    let seq = u64_at(head, 1);
    // Kind RECORD with no flag set, a type id varint of one byte, and a
    // number a writer assigns (not u64::MAX: see `decode_record`).
    if head[0] != KIND_RECORD || head[PLAIN_RECORD_HEAD - 1] >= 0x80 || seq == u64::MAX {
        return None;
    }
    Some(PlainRecord {
        seq,
        timestamp_ns: u64_at(head, 9) as i64,
        type_id: u32::from(head[PLAIN_RECORD_HEAD - 1]),
    })
}

/// Iterates over encoded metadata entries as (key, value) byte strings.
#[derive(Clone, Debug)]
pub struct MetaIter<'a> {
    cursor: Cursor<'a>,
}

impl<'a> MetaIter<'a> {
    pub fn new(encoded: &'a [u8]) -> MetaIter<'a> {
        MetaIter {
            cursor: Cursor::new(encoded),
        }
    }
}

impl<'a> Iterator for MetaIter<'a> {
    type Item = (&'a [u8], &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.cursor.remaining() == 0 {
            return None;
        }
        Some((self.cursor.var_bytes()?, self.cursor.var_bytes()?))
    }
}

/// Searches forward from `from` for the next valid record frame (length,
/// CRC and structure good, its number above `after_seq` if known): tells
/// a torn tail (nothing valid follows) from corruption in the middle.
pub fn find_next_record(buf: &[u8], from: usize, after_seq: Option<u64>) -> Option<usize> {
    find(buf, from, |_, seq| after_seq.is_none_or(|s| seq > s))
}

/// The highest sequence number a valid record frame anywhere in `buf`
/// carries (in another frame's payload too): at least any number a
/// salvage of these bytes could find. `None` if there is none.
pub fn highest_record_seq(buf: &[u8]) -> Option<u64> {
    let mut highest: Option<u64> = None;
    let mut from = 0;
    while let Some(p) = find(buf, from, |_, seq| highest.is_none_or(|h| seq > h)) {
        highest = Some(u64_at(buf, p + FRAME_HEADER_LEN + 1));
        from = p + 1;
    }
    highest
}

/// Where the bytes of `buf` end once the zeros that end it are left out
/// (the space a durable writer prepared), but never inside a valid record
/// frame (a record's own last bytes may be zeros). Past a budget of CRC
/// bytes (`ZERO_TAIL_CRC_BUDGET` times the bytes: hostile bytes could make
/// every position a candidate), all of `buf` is kept.
pub fn end_without_zero_tail(buf: &[u8]) -> usize {
    let nonzero = buf.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let frame_end = |p: usize| p + FRAME_HEADER_LEN + u32_at(buf, p) as usize;
    let budget = std::cell::Cell::new(ZERO_TAIL_CRC_BUDGET * buf.len());
    let mut end = nonzero;
    let mut from = 0;
    // `find` has checked a frame's length against `buf` before it asks.
    let wanted = |p: usize, end: usize| {
        let reaches = p < nonzero && frame_end(p) > end;
        if reaches {
            budget.set(budget.get().saturating_sub(frame_end(p) - p));
        }
        reaches
    };
    while let Some(p) = find(buf, from, |p, _| budget.get() > 0 && wanted(p, end)) {
        end = frame_end(p);
        from = p + 1;
    }
    match budget.get() {
        0 => buf.len(),
        _ => end,
    }
}

/// See `end_without_zero_tail`.
const ZERO_TAIL_CRC_BUDGET: usize = 4;

/// Like `find_next_record` for a scan that expected sequence number
/// `expected` at `from`: a record found at `p` must carry a number from
/// `expected` to `expected + (p - from) / 26 + 1`, as every record lost in
/// between took at least 26 bytes. The bound also keeps a search through
/// hostile bytes from checksumming at every position: implausible numbers
/// are rejected before the CRC.
pub fn find_next_record_after(buf: &[u8], from: usize, expected: u64) -> Option<usize> {
    find(buf, from, |p, seq| in_window(from, p, expected, seq))
}

/// Whether a record at `p` may carry `seq` in a search from `from` that
/// expected `expected` there (see `find_next_record_after`).
fn in_window(from: usize, p: usize, expected: u64, seq: u64) -> bool {
    let min_frame = (FRAME_HEADER_LEN + MIN_RECORD_BODY) as u64;
    let window = ((p + 1).saturating_sub(from)) as u64 / min_frame + 1;
    seq >= expected && seq <= expected.saturating_add(window)
}

/// The first valid record frame wholly in `buf`, at or after `from`, that
/// could precede a record numbered `seq` at the end of `buf`: numbered
/// below `seq` by no more than the records of the smallest frame between
/// them could take.
pub fn find_record_before(buf: &[u8], from: usize, seq: u64) -> Option<usize> {
    let room = |p: usize| ((buf.len() - p) / MIN_RECORD_FRAME) as u64;
    find(buf, from, |p, s| s < seq && seq - s <= room(p))
}

/// Where valid records resume after the bad frame at `pos` of a scan that
/// expected sequence number `expected` there; `None` if nothing valid
/// follows (a torn tail). `find_next_record_after` from `pos + 1`, but a
/// frame cut off by the end of `buf` may carry whole frames in its payload
/// (a relay storing records verbatim): a record inside its extent counts
/// only if valid records follow it, in sequence, to the end of `buf`.
pub fn find_resume(buf: &[u8], pos: usize, expected: u64) -> Option<usize> {
    let declared_len = buf.get(pos..pos + 4).map(|len| u32_at(len, 0) as usize);
    let torn = declared_len.is_some_and(|len| pos + FRAME_HEADER_LEN + len > buf.len());
    // A torn frame that starts as record `expected` would (kind and number
    // intact) is that record, cut off: a frame numbered `expected` inside it
    // is part of its payload, not that record again. (Records after a
    // damaged length are numbered above it.)
    let cut_record = torn
        && buf.len() - pos >= FRAME_HEADER_LEN + 9
        && starts_record(&buf[pos..], Some(expected));
    let after = expected.saturating_add(u64::from(cut_record));
    let mut from = pos + 1;
    loop {
        let q = find(buf, from, |p, seq| {
            seq >= after && in_window(pos + 1, p, expected, seq)
        })?;
        if !torn {
            return Some(q);
        }
        match records_run_to_end(buf, q) {
            Ok(()) => return Some(q),
            // The records from `q` up to where their run broke would each
            // break there too: search on from there (linear, however many
            // frames a payload carries).
            Err(broke_at) => from = broke_at.max(q + 1),
        }
    }
}

/// `find_resume(full, 0, expected)` from the first bytes of `full` only
/// (`prefix`, of its `full_len`): `Some(q)` when they show it returns
/// `Some(q)`, `None` when more bytes are needed. They show it when the bad
/// frame's length ends within `full` (not torn) and a valid record lies in
/// `prefix` with no position before it that could hold a record reaching
/// past `prefix`. Lets a search that copies its bytes copy a little first.
pub fn find_resume_in_prefix(prefix: &[u8], full_len: usize, expected: u64) -> Option<usize> {
    let declared_end = FRAME_HEADER_LEN + u32_at(prefix.get(0..4)?, 0) as usize;
    if declared_end > full_len {
        // Torn: its records must run to the end of `full`.
        return None;
    }
    let last = prefix
        .len()
        .checked_sub(FRAME_HEADER_LEN + MIN_RECORD_BODY)?;
    (1..=last)
        .find_map(|p| {
            // The cheap checks of `find`, lengths measured against `full`.
            let (len, seq) = record_start(prefix, p, full_len)?;
            in_window(1, p, expected, seq).then_some(())?;
            if p + FRAME_HEADER_LEN + len > prefix.len() {
                // It may be a valid record: undecided without its bytes.
                return Some(None);
            }
            match frame_at(prefix, p, true) {
                FrameAt::Frame { body, .. } if decode_record(body).is_some() => Some(Some(p)),
                _ => None,
            }
        })
        .flatten()
}

/// Whether valid records run from `pos` to the end of `buf`, their
/// sequence numbers consecutive: the last may be cut off by the end (if
/// what is left of it looks like the next record's start) or be the seal's
/// marker. If not, where the run broke.
fn records_run_to_end(buf: &[u8], mut pos: usize) -> std::result::Result<(), usize> {
    let mut next_seq = None;
    while pos < buf.len() {
        match frame_at(buf, pos, true) {
            FrameAt::Frame {
                kind: KIND_RECORD,
                body,
                total,
            } => match decode_record(body) {
                Some(r) if next_seq.is_none_or(|n| r.seq == n) => {
                    next_seq = Some(r.seq.wrapping_add(1));
                    pos += total;
                }
                _ => return Err(pos),
            },
            FrameAt::Frame { body, total, .. } if seal_begin_body_count(body, total).is_some() => {
                return Ok(())
            }
            FrameAt::Frame { .. } | FrameAt::Invalid(_) => return Err(pos),
            FrameAt::Incomplete if starts_record(&buf[pos..], next_seq) => return Ok(()),
            FrameAt::Incomplete => return Err(pos),
        }
    }
    Ok(())
}

/// The record count of a valid frame (`body`, `total` bytes) that is a
/// `SEAL_BEGIN` frame as a writer writes it: exactly `SEAL_BEGIN_LEN`
/// bytes, its first body byte exactly the kind (no flag bit set).
pub fn seal_begin_body_count(body: &[u8], total: usize) -> Option<u64> {
    if total != SEAL_BEGIN_LEN || body[0] != KIND_SEAL_BEGIN {
        return None;
    }
    Some(u64::from_le_bytes(body[1..9].try_into().ok()?))
}

/// Whether the bytes of a cut-off frame, as far as they go, start a record
/// (numbered `seq`, when known).
fn starts_record(part: &[u8], seq: Option<u64>) -> bool {
    let kind_ok = part
        .get(FRAME_HEADER_LEN)
        .is_none_or(|&k| is_record_kind(k));
    let at = FRAME_HEADER_LEN + 1;
    let seq_ok = match (part.get(at..at + 8), seq) {
        (Some(b), Some(seq)) => u64_at(b, 0) == seq,
        _ => true,
    };
    kind_ok && seq_ok
}

/// The first position from `from` holding a valid record frame whose
/// sequence number `seq_ok(position, seq)` accepts.
fn find(buf: &[u8], from: usize, seq_ok: impl Fn(usize, u64) -> bool) -> Option<usize> {
    let last = buf.len().checked_sub(FRAME_HEADER_LEN + MIN_RECORD_BODY)?;
    (from..=last).find(|&p| {
        // Cheap checks first (`record_start`), then the CRC.
        record_start(buf, p, buf.len()).is_some_and(|(_, seq)| seq_ok(p, seq))
            && matches!(frame_at(buf, p, true), FrameAt::Frame { body, .. } if decode_record(body).is_some())
    })
}

/// The cheap checks of a record frame at `p` of `buf` (at least
/// `FRAME_HEADER_LEN + MIN_RECORD_BODY` bytes from `p`; bytes that run to
/// `full_len`, where `buf` is a prefix of them): a plausible body length
/// and a record's kind. Its body length and sequence number if they pass:
/// the number sits right after the kind byte, to check before the CRC.
#[inline]
fn record_start(buf: &[u8], p: usize, full_len: usize) -> Option<(usize, u64)> {
    let len = u32_at(buf, p) as usize;
    if len < MIN_RECORD_BODY
        || len > full_len - p - FRAME_HEADER_LEN
        || !is_record_kind(buf[p + FRAME_HEADER_LEN])
    {
        return None;
    }
    Some((len, u64_at(buf, p + FRAME_HEADER_LEN + 1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(seq: u64, define: Option<&[u8]>, meta: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
        let head = RecordHead {
            seq,
            timestamp_ns: -5,
            type_id: 3,
            define,
            meta,
        };
        let mut out = Vec::new();
        let n = encode_record(&mut out, &head, &[payload]);
        assert_eq!(n, out.len());
        assert_eq!(n, FRAME_HEADER_LEN + head.encoded_len() + payload.len());
        out
    }

    /// Zeros after the last frame are left out, but not a frame's own
    /// zeros: a payload ending in zeros keeps its frame whole.
    #[test]
    fn the_zero_tail_ends_no_earlier_than_a_frame_ending_in_zeros() {
        let mut buf = frame(7, None, &[], b"abc");
        let one = buf.len();
        buf.extend_from_slice(&[0; 40]);
        assert_eq!(end_without_zero_tail(&buf), one);
        let mut zeros_last = frame(8, None, &[], &[9, 0, 0, 0, 0, 0]);
        let two = zeros_last.len();
        assert_eq!(zeros_last[two - 5..], [0; 5]);
        zeros_last.extend_from_slice(&[0; 40]);
        assert_eq!(end_without_zero_tail(&zeros_last), two);
        assert_eq!(end_without_zero_tail(&[0; 64]), 0);
    }

    /// Bytes where every other position claims a frame reaching far into
    /// the zeros that follow: the search stops at its budget of CRC bytes
    /// and keeps everything, instead of a CRC over each claim.
    #[test]
    fn hostile_bytes_keep_everything_once_the_zero_tail_budget_is_spent() {
        let mut buf = [1u8, 0, 2, 0].repeat(4096);
        buf.extend_from_slice(&[0; 1 << 18]);
        assert_eq!(end_without_zero_tail(&buf), buf.len());
    }

    /// A body `decode_plain_record` accepts decodes the same with
    /// `decode_record`, with no definition or metadata and the payload
    /// after `PLAIN_RECORD_HEAD`; every other body it leaves alone.
    #[test]
    fn plain_record_decodes_as_decode_record_does() {
        let plain = frame(9, None, &[], b"payload");
        let body = &plain[FRAME_HEADER_LEN..];
        let p = decode_plain_record(body).expect("a plain record");
        let r = decode_record(body).unwrap();
        assert_eq!(
            (p.seq, p.timestamp_ns, p.type_id),
            (r.seq, r.timestamp_ns, r.type_id)
        );
        assert_eq!((r.defines, r.meta_count), (None, 0));
        assert_eq!(&body[PLAIN_RECORD_HEAD..], r.payload);
        let defining = frame(9, Some(b"t"), &[], b"x");
        let with_meta = frame(9, None, &[("k", "v")], b"x");
        for other in [&defining, &with_meta] {
            assert_eq!(decode_plain_record(&other[FRAME_HEADER_LEN..]), None);
        }
        let mut big_id = body.to_vec();
        big_id[PLAIN_RECORD_HEAD - 1] = 0x80;
        assert_eq!(decode_plain_record(&big_id), None);
        let mut last_seq = body.to_vec();
        last_seq[1..9].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(
            (decode_plain_record(&last_seq), decode_record(&last_seq)),
            (None, None)
        );
        let mut reserved = body.to_vec();
        reserved[0] |= 0x40;
        assert_eq!(decode_plain_record(&reserved), None);
        assert_eq!(decode_plain_record(&body[..PLAIN_RECORD_HEAD - 1]), None);
        assert!(decode_plain_record(&body[..PLAIN_RECORD_HEAD]).is_some());
    }

    #[test]
    fn round_trip_with_all_fields() {
        let f = frame(
            9,
            Some("trade".as_bytes()),
            &[("k", "v"), ("é", "")],
            b"payload",
        );
        let FrameAt::Frame { kind, body, total } = frame_at(&f, 0, true) else {
            panic!("not a frame")
        };
        assert_eq!((kind, total), (KIND_RECORD, f.len()));
        let r = decode_record(body).unwrap();
        assert_eq!((r.seq, r.timestamp_ns, r.type_id), (9, -5, 3));
        assert_eq!(r.defines, Some(&b"trade"[..]));
        assert_eq!(r.meta_count, 2);
        let meta: Vec<_> = MetaIter::new(r.meta).collect();
        assert_eq!(
            meta,
            vec![(&b"k"[..], &b"v"[..]), ("é".as_bytes(), &b""[..])]
        );
        assert_eq!(r.payload, b"payload");
    }

    #[test]
    fn whole_frames_len_stops_before_a_partial_frame() {
        let one = frame(1, None, &[], b"first");
        let two = frame(2, Some(b"t"), &[("k", "v")], b"second");
        let both = [one.clone(), two.clone()].concat();
        assert_eq!(whole_frames_len(&both), both.len());
        for cut in 0..two.len() {
            let bytes = &both[..one.len() + cut];
            assert_eq!(
                whole_frames_len(bytes),
                one.len(),
                "cut {cut} into the second"
            );
        }
        assert_eq!(whole_frames_len(&one[..3]), 0, "not even a length");
        assert_eq!(whole_frames_len(&[]), 0);
    }

    #[test]
    fn empty_payload_is_a_record() {
        let f = frame(1, None, &[], b"");
        let FrameAt::Frame { body, .. } = frame_at(&f, 0, true) else {
            panic!()
        };
        assert_eq!(decode_record(body).unwrap().payload, b"");
    }

    #[test]
    fn truncation_is_incomplete_and_flips_are_invalid() {
        let f = frame(1, None, &[("a", "b")], b"xyz");
        for cut in 0..f.len() {
            assert_eq!(
                frame_at(&f[..cut], 0, true),
                FrameAt::Incomplete,
                "cut {cut}"
            );
        }
        for bit in 64..f.len() * 8 {
            let mut g = f.clone();
            g[bit / 8] ^= 1 << (bit % 8);
            assert!(
                !matches!(frame_at(&g, 0, true), FrameAt::Frame { .. }),
                "flip {bit} undetected"
            );
        }
    }

    #[test]
    fn a_torn_frame_carrying_frames_is_not_taken_for_records_after_damage() {
        // Records 0 and 1, then record 2 carrying frames 2, 3, ... in its
        // payload (a relay), torn 10 bytes after them.
        let mut buf = frame(0, None, &[], b"a");
        buf.extend(frame(1, None, &[], b"b"));
        let torn_at = buf.len();
        let n = if cfg!(miri) { 20 } else { 2000 };
        let carried: Vec<u8> = (2..2 + n)
            .flat_map(|seq| frame(seq, None, &[], b"carried"))
            .collect();
        let payload = [&[0xAB; 16][..], &carried, &[0xCD; 64][..]].concat();
        buf.extend(frame(2, None, &[], &payload));
        let carried_at = torn_at
            + buf[torn_at..]
                .windows(carried.len())
                .position(|w| w == carried.as_slice())
                .unwrap();
        let carried_end = carried_at + carried.len();
        assert_eq!(find_resume(&buf[..carried_end + 10], torn_at, 2), None);
        // Without the torn frame's length the carried frame is what
        // follows, as for any damage.
        let mut whole = buf.clone();
        whole[torn_at..torn_at + 4].copy_from_slice(&[9, 0, 0, 0]);
        assert_eq!(find_resume(&whole, torn_at, 2), Some(carried_at));
        // Cut right after the carried frames, those numbered after the torn
        // record could be records after a damaged length field: taken. The
        // one numbered as the torn record is part of it: not taken.
        let frame3_at = carried_at + frame(2, None, &[], b"carried").len();
        assert_eq!(
            find_resume(&buf[..carried_end], torn_at, 2),
            Some(frame3_at)
        );
        assert_eq!(find_resume(&buf[..frame3_at], torn_at, 2), None);
        // Records after a length field damaged to reach past the end run
        // to the end (the last one torn): found.
        let mut real = frame(0, None, &[], b"a");
        let bad = real.len();
        real.extend(frame(1, None, &[], b"b"));
        let next = real.len();
        real.extend(frame(2, None, &[], b"c"));
        real.extend(&frame(3, None, &[], b"d")[..12]);
        real[bad + 3] = 0x7f;
        assert_eq!(find_resume(&real, bad, 1), Some(next));
    }

    #[test]
    fn bounded_resync_rejects_implausible_sequence_numbers_before_the_crc() {
        let mut buf = frame(5, None, &[], b"one");
        let second = buf.len();
        buf.extend(frame(6, None, &[], b"two"));
        buf[3] ^= 0xff;
        assert_eq!(find_next_record_after(&buf, 1, 5), Some(second));
        assert_eq!(
            find_next_record_after(&buf, 1, 7),
            None,
            "6 is below the expected 7"
        );
        // A record claiming a sequence number far beyond what the damaged
        // bytes could have held is not taken.
        let mut far = frame(1_000_000, None, &[], b"x");
        far.splice(0..0, vec![0u8; 100]);
        assert_eq!(find_next_record_after(&far, 0, 1), None);
        assert_eq!(find_next_record(&far, 0, None), Some(100));
        // Megabytes of one repeated byte are searched in linear time.
        // (Smaller under Miri, which runs about a thousand times slower.)
        let junk = vec![1u8; if cfg!(miri) { 16 << 10 } else { 4 << 20 }];
        let t = std::time::Instant::now();
        assert_eq!(find_next_record_after(&junk, 0, 0), None);
        // Time means nothing under Miri's interpreter, or qemu-user's.
        let why = "the time bound (an emulator's time says nothing of the search's)";
        if !cfg!(miri) && !crate::sys::scratch::under_runner(why) {
            assert!(
                t.elapsed() < std::time::Duration::from_secs(5),
                "{:?}",
                t.elapsed()
            );
        }
    }

    /// Whatever a prefix decides is what the whole buffer gives.
    #[test]
    fn a_prefix_decides_as_the_whole_does() {
        let mut buf = frame(0, None, &[], b"a");
        for seq in 1..40u64 {
            let payload = vec![seq as u8; (seq as usize * 37) % 300];
            buf.extend(frame(seq, None, &[], &payload));
        }
        // Damage: a payload byte, a length (short and past the end), and
        // a record carried inside a payload.
        let mut cases = Vec::new();
        for (at, flip) in [(3usize, 0xffu8), (40, 1), (2, 0x7f), (300, 0x10)] {
            let mut b = buf.clone();
            b[at] ^= flip;
            cases.push(b);
        }
        let mut carried = frame(0, None, &[], &frame(1, None, &[], b"inner"));
        carried.extend(frame(1, None, &[], b"x"));
        carried.extend(frame(2, None, &[], b"y"));
        carried[3] ^= 0x01;
        cases.push(carried);
        let mut decided = 0;
        for b in &cases {
            let whole = find_resume(b, 0, 0);
            for n in 0..b.len() {
                if let Some(got) = find_resume_in_prefix(&b[..n], b.len(), 0) {
                    assert_eq!(Some(got), whole, "prefix {n}");
                    decided += 1;
                }
            }
        }
        assert!(decided > 100, "{decided}");
    }

    #[test]
    fn resync_finds_the_next_record_only() {
        let mut buf = frame(1, None, &[], b"one");
        let second = buf.len();
        buf.extend(frame(2, None, &[], b"two"));
        buf[3] ^= 0xff; // break the first frame's length
        assert_eq!(find_next_record(&buf, 1, Some(0)), Some(second));
        assert_eq!(find_next_record(&buf, 1, Some(2)), None);
        assert_eq!(find_next_record(&buf, second + 1, None), None);
    }

    /// Every valid record frame counts, wherever it is: after damage, and
    /// carried whole in another frame's payload.
    #[test]
    fn the_highest_record_seq_counts_frames_anywhere_in_the_bytes() {
        assert_eq!(highest_record_seq(&[0u8; 100]), None);
        let mut buf = vec![0xa5; 7];
        buf.extend(frame(9, None, &[], b"nine"));
        buf.extend(frame(4, None, &[], b"four"));
        assert_eq!(highest_record_seq(&buf), Some(9));
        let mut carried = frame(40, None, &[], b"carried");
        carried.extend(b"rest of the payload");
        let outer = frame(10, None, &[], &carried);
        buf.extend(&outer[..outer.len() - 1]); // cut off: torn
        assert_eq!(highest_record_seq(&buf), Some(40));
    }
}
