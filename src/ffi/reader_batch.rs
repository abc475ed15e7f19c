//! `binlog_reader_next_batch`: many records per call, copied into the
//! caller's buffer, for callers whose every call crosses an expensive
//! boundary (cgo, JNI). The output holds offsets, not pointers, so a Go
//! or Java caller can keep it in its own memory.

use super::boundary::{call, handle_mut, null, put, CallResult, Failure};
use super::reader::{binlog_reader, closed};
use super::result::binlog_result::{self, BINLOG_END, BINLOG_OK};
use super::types::{binlog_batch_meta, binlog_batch_record};
use crate::error::Error;
use crate::hold_back::{HoldBack, OwnedRecord};
use crate::reader::Record;
use crate::record_reader::RecordReader;
use std::path::Path;
use std::time::Duration;

/// The record `found` (the reader's next, by `next_for`) of a batch holding
/// `n` so far; `break`s at the end, and at an error after some records
/// (returning those: the reader stays at the bad place, so the next call
/// reports it); `return`s the error of the first.
macro_rules! batch_record {
    ($found:ident, $n:expr) => {
        match &$found {
            Ok(Some(rec)) => rec,
            Ok(None) => break,
            Err(_) if $n > 0 => break,
            Err(_) => return Err($found.expect_err("an error").into()),
        }
    };
}
pub(super) use batch_record;

/// What a batch copies of one record: the record, whose metadata entries
/// are read where they are encoded (most records have none), and whether
/// its payload is copied too (`binlog_reader_next_mapped` leaves a mapped
/// one where it is).
pub(super) struct Source<'r, 'a> {
    pub(super) rec: &'r Record<'a>,
    copy_payload: bool,
}

impl<'r, 'a> Source<'r, 'a> {
    pub(super) fn of_record(rec: &'r Record<'a>, copy_payload: bool) -> Source<'r, 'a> {
        Source { rec, copy_payload }
    }

    /// The payload bytes it copies.
    #[inline]
    fn payload(&self) -> &'a [u8] {
        if self.copy_payload {
            self.rec.payload
        } else {
            &[]
        }
    }

    /// Bytes it takes in the buffer from `at`: its metadata array (4-byte
    /// aligned), type name, payload (if copied), keys and values.
    #[inline]
    pub(super) fn end(&self, at: usize) -> usize {
        let meta_at = at.next_multiple_of(4);
        let fixed = meta_at + self.rec.type_name.len() + self.payload().len();
        if self.rec.meta_count() == 0 {
            return fixed;
        }
        fixed
            + self.rec.meta_count() * std::mem::size_of::<binlog_batch_meta>()
            + self
                .rec
                .metadata()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
    }

    /// Copies it to `buf[at..]` (which `end` said fits) and describes it
    /// (`payload_off` 0 if the payload is not copied).
    #[inline]
    pub(super) fn place(&self, buf: &mut [u8], at: usize) -> binlog_batch_record {
        let r = self.rec;
        let meta_at = at.next_multiple_of(4);
        let mut pos = meta_at + r.meta_count() * std::mem::size_of::<binlog_batch_meta>();
        let mut put_bytes = |bytes: &[u8]| {
            let off = pos;
            buf[off..off + bytes.len()].copy_from_slice(bytes);
            pos += bytes.len();
            off as u32
        };
        let type_off = put_bytes(r.type_name.as_bytes());
        let payload_off = put_bytes(self.payload());
        if r.meta_count() > 0 {
            let metas: Vec<binlog_batch_meta> = r
                .metadata()
                .map(|(k, v)| binlog_batch_meta {
                    key_off: put_bytes(k.as_bytes()),
                    key_len: k.len() as u32,
                    value_off: put_bytes(v.as_bytes()),
                    value_len: v.len() as u32,
                })
                .collect();
            put_meta_array(buf, meta_at, &metas);
        }
        binlog_batch_record {
            seq: r.seq,
            timestamp_ns: r.timestamp_ns,
            offset: r.offset,
            type_off,
            type_len: r.type_name.len() as u32,
            payload_off,
            payload_len: r.payload.len() as u32,
            meta_off: meta_at as u32,
            meta_count: r.meta_count() as u32,
        }
    }
}

/// Writes `metas` as an array of `binlog_batch_meta` at `buf[meta_at..]`.
fn put_meta_array(buf: &mut [u8], meta_at: usize, metas: &[binlog_batch_meta]) {
    for (i, m) in metas.iter().enumerate() {
        let o = meta_at + i * std::mem::size_of::<binlog_batch_meta>();
        for (j, word) in [m.key_off, m.key_len, m.value_off, m.value_len]
            .iter()
            .enumerate()
        {
            buf[o + 4 * j..o + 4 * j + 4].copy_from_slice(&word.to_ne_bytes());
        }
    }
}

/// Copies the next records, up to `cap` of them and as many as fit in
/// `buf[0..buf_len]`, and describes them in `records[0..*count]` (offsets
/// into `buf`; metadata entries are `binlog_batch_meta` arrays in `buf`,
/// 4-byte aligned from its start). Returns `BINLOG_OK` with `*count >= 1`,
/// or `BINLOG_END` with `*count == 0` when there is no record now. With
/// `timeout_ms > 0` it first waits up to that long for a record, as
/// `binlog_reader_next_wait` does; then it takes only records already
/// there. A record that does not fit is kept for the next call (on this
/// reader, whichever call it is; a seek drops it, and so does a type filter
/// that excludes it); if not
/// even the first fits, the call fails with `BINLOG_ERR_BUFFER_TOO_SMALL`
/// and a message giving the bytes it needs. Buffers over 4 GiB are used up
/// to 4 GiB. Outputs are written only on success.
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
        let buf = unsafe {
            batch_args::<binlog_batch_record>(
                h,
                buf,
                buf_len,
                records.is_null(),
                cap,
                count.is_null(),
            )
        }?;
        // SAFETY: the caller gave `cap` writable slots at `records`.
        let out = unsafe { std::slice::from_raw_parts_mut(records, cap) };
        let wait = (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms));
        let n = fill(h, buf, out, wait)?;
        unsafe { put(count, n) };
        Ok(if n == 0 { BINLOG_END } else { BINLOG_OK })
    })
}

/// Checks a batch call's arguments (`records_null`, `count_null`: whether
/// those outputs are NULL) and returns its buffer, of at most 4 GiB.
///
/// # Safety
/// `buf` is NULL or `buf_len` writable bytes that outlive the result.
pub(super) unsafe fn batch_args<'b, R>(
    h: &binlog_reader,
    buf: *mut u8,
    buf_len: usize,
    records_null: bool,
    cap: usize,
    count_null: bool,
) -> CallResult<&'b mut [u8]> {
    h.args(|| {
        if count_null {
            return Err(null("count"));
        }
        if records_null {
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
    Ok(if buf.is_null() {
        &mut []
    } else {
        // SAFETY: the caller gave `buf_len` writable bytes at `buf`.
        unsafe { std::slice::from_raw_parts_mut(buf, buf_len.min(u32::MAX as usize)) }
    })
}

/// Copies records from `h`'s reader into `buf`, described in `out`; a
/// record that does not fit is held back for the next call.
fn fill(
    h: &mut binlog_reader,
    buf: &mut [u8],
    out: &mut [binlog_batch_record],
    wait: Option<Duration>,
) -> CallResult<usize> {
    let binlog_reader { inner, path, .. } = h;
    let reader = inner.as_mut().ok_or_else(|| closed(path))?;
    let mut n = 0;
    let mut at = 0;
    while n < out.len() {
        let found = next_for(reader, wait, n);
        // The record is used where the call left it: moved out of the
        // `Result` (in 16-byte loads of what the call stored 8 bytes at a
        // time) each load waited for the stores to complete, about a
        // third of a small record's time in this loop.
        let rec = batch_record!(found, n);
        let src = Source::of_record(rec, true);
        let end = src.end(at);
        if end > buf.len() {
            let what = (src.rec.seq, src.rec.offset, src.end(0));
            let held = OwnedRecord::from(rec);
            drop(found);
            reader.hold_back(held);
            if n == 0 {
                return Err(too_small(file_of(reader, path), what, buf.len()));
            }
            break;
        }
        out[n] = src.place(buf, at);
        at = end;
        n += 1;
    }
    Ok(n)
}

/// The reader's next record for a batch holding `n` so far: only the
/// first waits (up to `wait`).
#[inline(always)]
pub(super) fn next_for(
    reader: &mut HoldBack,
    wait: Option<Duration>,
    n: usize,
) -> crate::Result<Option<Record<'_>>> {
    match wait {
        Some(timeout) if n == 0 => reader.next_wait(timeout),
        _ => reader.next(),
    }
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
    Failure::BufferTooSmall(format!(
        "{}: offset {offset}: record {seq} needs a buffer of {need} bytes; the buffer has {have} \
         (the record is kept for the next call)",
        file.display()
    ))
}
