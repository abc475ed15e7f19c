//! Where a batch read puts a record's parts in the caller's buffer, one
//! after another: its metadata array (4-byte aligned), type name, payload
//! (if copied), then the entries' keys and values.

use super::types::binlog_batch_meta;
use crate::reader::Record;

/// What a batch copies of one record: the record, whose metadata entries
/// are read where they are encoded (most records have none), and whether
/// its payload is copied too (`binlog_reader_next_mapped` leaves a mapped
/// one where it is).
pub(super) struct Source<'r, 'a> {
    pub(super) rec: &'r Record<'a>,
    pub(super) copy_payload: bool,
}

impl<'r, 'a> Source<'r, 'a> {
    /// The payload bytes it copies.
    #[inline]
    fn payload(&self) -> &'a [u8] {
        if self.copy_payload {
            self.rec.payload
        } else {
            &[]
        }
    }

    /// Where it goes in the buffer from `at`: its metadata array (4-byte
    /// aligned), type name, payload (if copied), keys and values.
    #[inline(always)]
    pub(super) fn at(&self, at: usize) -> Place {
        // `at` is at most 4 GiB (see `batch_args`): no overflow.
        let meta_at = (at + 3) & !3;
        let type_off = meta_at + self.rec.meta_count() * std::mem::size_of::<binlog_batch_meta>();
        let payload_off = type_off + self.rec.type_name.len();
        let mut end = payload_off + self.payload().len();
        if self.rec.meta_count() > 0 {
            end += meta_bytes(self.rec);
        }
        Place {
            meta_at,
            type_off,
            payload_off,
            end,
        }
    }

    /// Copies it to `buf` where `at` placed it (which the caller checked
    /// fits; a payload not copied has none of its bytes at `payload_off`).
    /// Inlined into the batch loop, where a small record's copies are
    /// fixed-size: as a call it costs such a record a large share of its
    /// instructions.
    #[inline(always)]
    pub(super) fn place(&self, buf: &mut [u8], p: &Place) {
        let r = self.rec;
        put_bytes(buf, p.type_off, r.type_name.as_bytes());
        put_bytes(buf, p.payload_off, self.payload());
        if r.meta_count() > 0 {
            place_meta(r, buf, p.meta_at, p.payload_off + self.payload().len());
        }
    }
}

/// Where `Source::at` puts a record's parts in a batch buffer, and the
/// end of the bytes it takes.
pub(super) struct Place {
    pub(super) meta_at: usize,
    pub(super) type_off: usize,
    pub(super) payload_off: usize,
    pub(super) end: usize,
}

/// The bytes of `r`'s metadata keys and values (out of the batch loops:
/// most records have none).
#[inline(never)]
fn meta_bytes(r: &Record<'_>) -> usize {
    r.metadata().map(|(k, v)| k.len() + v.len()).sum::<usize>()
}

/// Copies `bytes` to `buf[at..]`. Up to 32 bytes (a type name, a small
/// payload) it copies in two overlapping moves of a fixed size, inline:
/// not a `memcpy` call per part (14 instructions each for a 32 B record's
/// parts under callgrind, and the registers the call clobbers).
#[inline(always)]
fn put_bytes(buf: &mut [u8], at: usize, bytes: &[u8]) {
    let dst = &mut buf[at..at + bytes.len()];
    let n = bytes.len();
    macro_rules! two_moves {
        ($t:ty) => {{
            const W: usize = std::mem::size_of::<$t>();
            let head: [u8; W] = bytes[..W].try_into().expect("W bytes");
            let tail: [u8; W] = bytes[n - W..].try_into().expect("W bytes");
            dst[..W].copy_from_slice(&head);
            dst[n - W..].copy_from_slice(&tail);
        }};
    }
    match n {
        0 => {}
        1..4 => {
            dst[0] = bytes[0];
            dst[n / 2] = bytes[n / 2];
            dst[n - 1] = bytes[n - 1];
        }
        4..8 => two_moves!(u32),
        8..16 => two_moves!(u64),
        16..=32 => two_moves!(u128),
        _ => dst.copy_from_slice(bytes),
    }
}

/// Copies `r`'s metadata keys and values to `buf[pos..]` and their
/// `binlog_batch_meta` array to `buf[meta_at..]` (rare: kept out of the
/// batch loops).
#[inline(never)]
fn place_meta(r: &Record<'_>, buf: &mut [u8], meta_at: usize, mut pos: usize) {
    for (i, (k, v)) in r.metadata().enumerate() {
        // The entry's words: key_off, key_len, value_off, value_len.
        let mut words = [0u32; 4];
        for (j, text) in [k, v].into_iter().enumerate() {
            // A `memcpy` call: `put_bytes` inline took more room.
            buf[pos..pos + text.len()].copy_from_slice(text.as_bytes());
            words[2 * j..2 * j + 2].copy_from_slice(&[pos as u32, text.len() as u32]);
            pos += text.len();
        }
        let at = meta_at + i * std::mem::size_of::<binlog_batch_meta>();
        for (j, word) in words.iter().enumerate() {
            buf[at + 4 * j..at + 4 * j + 4].copy_from_slice(&word.to_ne_bytes());
        }
    }
}
