//! `binlog_reader_next_batch`: many records per call, copied into the
//! caller's buffer, for callers whose every call crosses an expensive
//! boundary (cgo, JNI). The output holds offsets, not pointers, so a Go
//! or Java caller can keep it in its own memory.

use super::boundary::{call, handle_mut, null, put, CallResult, Failure};
use super::reader::binlog_reader;
use super::result::binlog_result::{self, BINLOG_END, BINLOG_OK};
use super::types::{binlog_batch_meta, binlog_batch_record};
use crate::error::Error;
use crate::hold_back::HoldBack;
use crate::reader::Record;
use crate::record_reader::RecordReader;
use std::path::Path;
use std::time::Duration;

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
    /// Inlined into the batch loop: called, it (with its `memcpy` calls)
    /// took 104 of a 32 B record's 418 instructions under callgrind (the
    /// call, and its 48-byte result stored and copied again).
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

/// Copies the next records, up to `cap` and as many as fit in
/// `buf[0..buf_len]` (used up to 4 GiB), and describes them in
/// `records[0..*count]` (offsets into `buf`; metadata entries are
/// `binlog_batch_meta` arrays in `buf`, 4-byte aligned from its start):
/// `BINLOG_OK` with `*count >= 1`, or `BINLOG_END` with `*count == 0` when
/// there is no record now. With `timeout_ms > 0` it first waits up to that
/// long for a record, as `binlog_reader_next_wait`, then takes only records
/// already there. A record that does not fit is kept for the next call on
/// the reader (a seek drops it, as does a type filter that excludes it); if
/// not even the first fits, `BINLOG_ERR_BUFFER_TOO_SMALL` with a message
/// giving the bytes it needs. Outputs are written only on success.
#[no_mangle]
pub extern "C" fn binlog_reader_next_batch(
    r: *mut binlog_reader,
    buf: *mut u8,
    buf_len: usize,
    records: *mut binlog_batch_record,
    cap: usize,
    timeout_ms: u64,
    count: *mut usize,
) -> binlog_result {
    call(|| {
        let h = unsafe { handle_mut(r, "reader") }?;
        let (buf, out, wait) =
            unsafe { batch_args(h, buf, buf_len, records, cap, timeout_ms, count.is_null()) }?;
        let n = super::batch_fill::fill(h, buf, out, wait)?;
        unsafe { put(count, n) };
        Ok(if n == 0 { BINLOG_END } else { BINLOG_OK })
    })
}

/// Checks a batch call's arguments (`count_null`: whether `count`, or
/// another output the call requires, is NULL) and returns its buffer (of
/// at most 4 GiB), its `cap` record slots and how long the first record
/// may be waited for.
///
/// # Safety
/// `buf` is NULL or `buf_len` writable bytes, `records` NULL or `cap`
/// writable slots, that outlive the result.
#[allow(clippy::type_complexity)]
pub(super) unsafe fn batch_args<'b, R>(
    h: &binlog_reader,
    buf: *mut u8,
    buf_len: usize,
    records: *mut R,
    cap: usize,
    timeout_ms: u64,
    count_null: bool,
) -> CallResult<(&'b mut [u8], &'b mut [R], Option<Duration>)> {
    h.args(|| {
        if count_null {
            return Err(null("count"));
        }
        if records.is_null() {
            return Err(null("records"));
        }
        if cap == 0 {
            return Err(Error::invalid("batch read with cap 0: cap must be at least 1").into());
        }
        // No array is larger than isize::MAX bytes: a slice claiming to
        // be is undefined behaviour (and aborts a debug build).
        if cap > isize::MAX as usize / std::mem::size_of::<R>() {
            return Err(Error::invalid(format!(
                "batch read with cap {cap}: records: an array of that many is larger than any object can be"
            ))
            .into());
        }
        if buf.is_null() && buf_len > 0 {
            return Err(null("buf"));
        }
        Ok(())
    })?;
    let buf = match buf.is_null() {
        true => &mut [],
        // SAFETY: the caller gave `buf_len` writable bytes at `buf`.
        false => unsafe { std::slice::from_raw_parts_mut(buf, buf_len.min(u32::MAX as usize)) },
    };
    // SAFETY: the caller gave `cap` writable slots at `records`.
    let out = unsafe { std::slice::from_raw_parts_mut(records, cap) };
    let wait = (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms));
    Ok((buf, out, wait))
}

/// The segment a reader's last record came from (a log reader's current
/// segment), for error messages.
pub(super) fn file_of<'p>(reader: &'p HoldBack, path: &'p Path) -> &'p Path {
    reader.current_path().unwrap_or(path)
}

/// The error for a record (`seq`, at `offset`, needing `need` bytes) that
/// does not fit a buffer of `have` bytes.
pub(super) fn too_small(
    file: &Path,
    (seq, offset, need): (u64, u64, usize),
    have: usize,
) -> Failure {
    let code = super::result::binlog_result::BINLOG_ERR_BUFFER_TOO_SMALL;
    Failure::Abi(
        code,
        format!(
        "{}: offset {offset}: record {seq} needs a buffer of {need} bytes; the buffer has {have} \
         (the record is kept for the next call)",
        file.display()
    ),
    )
}
