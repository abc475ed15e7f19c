//! `binlog_reader_next_batch`: many records per call, copied into the
//! caller's buffer, for callers whose every call crosses an expensive
//! boundary (cgo, JNI). The output holds offsets, not pointers, so a Go
//! or Java caller can keep it in its own memory.

use super::boundary::{call, handle_mut, null, put, CallResult};
use super::reader::binlog_reader;
use super::result::binlog_result::{self, BINLOG_END, BINLOG_OK};
use super::types::binlog_batch_record;
use crate::error::Error;
use std::time::Duration;

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
