//! `binlog_merged_reader`: the C face of `crate::MergedReader`, many logs
//! read as one stream by time, each record with its log's name; its gaps
//! and damaged regions as a log reader's (`binlog_gap`, `binlog_damage2`),
//! each with its log's name in a parallel array.

use super::archive_tier::open_merged;
use super::prelude::*;
use super::reader::{c_damage2, c_gap, copy_out, out_array, view_record};
use super::types::{binlog_damage2, binlog_gap, binlog_iovec, binlog_meta, binlog_record};
use crate::log::MergedReader;
use crate::Damage;

/// A merged reader of many logs. Not thread-safe: use it from one thread at
/// a time. The record view and log name it returns stay valid until the
/// next call on it; `binlog_merged_reader_free` invalidates the handle.
pub struct binlog_merged_reader {
    pub(super) inner: MergedReader,
    /// The metadata array of the last record view.
    meta: Vec<binlog_meta>,
    /// The damaged regions the last `binlog_merged_reader_damages` copied
    /// out, with their logs' names, which its views point into.
    pub(super) damages: Vec<(String, (PathBuf, Damage))>,
    /// A merged consumer's file (`binlog_merged_consumer_open`).
    pub(super) consumer: Option<crate::log::consumer::store::Store>,
    /// The token the last `binlog_merged_reader_position` pointed at.
    pub(super) token: std::ffi::CString,
    /// The schema the last `binlog_merged_reader_type_schema` pointed into.
    pub(super) schema: Option<Box<crate::TypeSchema>>,
}

impl binlog_merged_reader {
    /// A handle of `inner`, a consumer's if `consumer` is its file.
    pub(super) fn new(
        inner: MergedReader,
        consumer: Option<crate::log::consumer::store::Store>,
    ) -> binlog_merged_reader {
        binlog_merged_reader {
            inner,
            meta: Vec::new(),
            damages: Vec::new(),
            consumer,
            token: std::ffi::CString::default(),
            schema: None,
        }
    }
}

/// Opens a merged reader of every log in `dir` (NULL: none) and directly
/// under `remote` (`s3://bucket/prefix`, reached as
/// `binlog_reader_open_log_tiered` says; NULL: none) whose name matches
/// `pattern` (`*` any run, `?` one character; NULL: every log). Records come
/// by timestamp, ties by log name, then sequence number, each log's in its
/// own order. A log in both `dir` and the bucket is read as
/// `binlog_reader_open_log_tiered` reads it. No log matching is
/// `BINLOG_ERR_NOT_FOUND`; `dir` and `remote` both NULL is
/// `BINLOG_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn binlog_merged_reader_open(
    dir: *const c_char,
    remote: *const c_char,
    pattern: *const c_char,
    out: *mut *mut binlog_merged_reader,
) -> binlog_result {
    call(|| {
        let d = unsafe { c_path_or_null(dir, "dir") }?;
        let url = unsafe { c_str_or_null(remote, "remote") }?;
        let p = unsafe { c_str_or_null(pattern, "pattern") }?.unwrap_or("*");
        need_out(out)?;
        let inner = match (d, url) {
            (_, Some(url)) => open_merged(d, url, p)?,
            (Some(d), None) => MergedReader::open_dir(d, p)?,
            (None, None) => return invalid("dir and remote are both NULL"),
        };
        unsafe { done(out, new_handle(binlog_merged_reader::new(inner, None))) }
    })
}

/// Reads only records with timestamps in `[from_ns, to_ns)` (`INT64_MIN`,
/// `INT64_MAX`: that end open); a sealed segment whose seal says none of
/// its records is in it is not read. Call before the first
/// `binlog_merged_reader_next`.
#[no_mangle]
pub extern "C" fn binlog_merged_reader_time_window(
    r: *mut binlog_merged_reader,
    from_ns: i64,
    to_ns: i64,
) -> binlog_result {
    let (from, to) = (c_option(from_ns, i64::MIN), c_option(to_ns, i64::MAX));
    update(r, "merged reader", |h| Ok(h.inner.time_window(from, to)?))
}

/// Fills `*out` with the next record in merged order and `*log`, `*log_len`
/// with its log's name (not NUL-terminated): `BINLOG_OK`; `BINLOG_END` once
/// every log is read to its end for now (a later call looks at every log
/// again); or an error naming the log's file or object (that log is read no
/// further; the next call goes on with the others).
#[no_mangle]
pub extern "C" fn binlog_merged_reader_next(
    r: *mut binlog_merged_reader,
    out: *mut binlog_record,
    log: *mut *const u8,
    log_len: *mut usize,
) -> binlog_result {
    next_merged(r, None, out, log, log_len)
}

/// Like `binlog_merged_reader_next`, but when no log has a record waits up
/// to `timeout_ms` for one to be written to any log (or shipped to the
/// bucket of a log read from there), following each log across its rolls;
/// `BINLOG_END` on timeout. Each call looks again at every log at its end,
/// then returns the smallest (timestamp, log name, seq) of the next records
/// present: a slower log's record, written after later-stamped records of
/// other logs were returned, comes as soon as it is found (each log's
/// records still come in order, each once). The directory is watched as by
/// `binlog_reader_next_wait`; a log read from a bucket alone is listed again
/// with its follower's backoff.
#[no_mangle]
pub extern "C" fn binlog_merged_reader_next_wait(
    r: *mut binlog_merged_reader,
    timeout_ms: u64,
    out: *mut binlog_record,
    log: *mut *const u8,
    log_len: *mut usize,
) -> binlog_result {
    let wait = Duration::from_millis(timeout_ms);
    next_merged(r, Some(wait), out, log, log_len)
}

/// The body of both calls: the next record, waiting up to `wait` for one.
fn next_merged(
    r: *mut binlog_merged_reader,
    wait: Option<Duration>,
    out: *mut binlog_record,
    log: *mut *const u8,
    log_len: *mut usize,
) -> binlog_result {
    call(|| {
        let h = unsafe { handle_mut(r, "merged reader") }?;
        need_out(out)?;
        need_out(log)?;
        need_out(log_len)?;
        let binlog_merged_reader { inner, meta, .. } = h;
        let found = match wait {
            None => inner.next()?,
            Some(timeout) => inner.next_wait(timeout)?,
        };
        let Some(m) = found else {
            return Ok(BINLOG_END);
        };
        unsafe {
            put(out, view_record(&m.record, meta));
            put(log, c_bytes(m.log.as_bytes()));
            put(log_len, m.log.len());
        }
        Ok(BINLOG_OK)
    })
}

/// With `skip` true, every log's reader skips damaged regions in the middle
/// of segments (as `binlog_reader_skip_damaged`) and goes on with the next
/// valid record; the regions are reported by
/// `binlog_merged_reader_damages`. By default a log's damage is an error
/// naming its file and offset, and that log is read no further.
#[no_mangle]
pub extern "C" fn binlog_merged_reader_skip_damaged(
    r: *mut binlog_merged_reader,
    skip: bool,
) -> binlog_result {
    assign(r, "merged reader", |h| h.inner.skip_damaged(skip))
}

/// Sets `*read` to the segments (files or objects) whose records were
/// read so far and `*passed_over` to those the time window passed over
/// unread, over every log.
#[no_mangle]
pub extern "C" fn binlog_merged_reader_segments(
    r: *mut binlog_merged_reader,
    read: *mut u64,
    passed_over: *mut u64,
) -> binlog_result {
    update(r, "merged reader", |h| {
        need_out(read)?;
        need_out(passed_over)?;
        unsafe {
            put(read, h.inner.segments_read());
            put(passed_over, h.inner.segments_passed_over());
        }
        Ok(())
    })
}

/// Frees the handle; NULL is accepted.
#[no_mangle]
pub extern "C" fn binlog_merged_reader_free(r: *mut binlog_merged_reader) {
    unsafe { free(r) }
}

/// Copies up to `cap` of the gaps every log met so far, by log name and each
/// log's oldest first, into `out`, each as `binlog_reader_gaps` gives them,
/// and their log names into `logs`, as `binlog_merged_reader_damages` does
/// (the same lifetimes and NULL checks), and writes their total number to
/// `*count`.
#[no_mangle]
pub extern "C" fn binlog_merged_reader_gaps(
    r: *mut binlog_merged_reader,
    out: *mut binlog_gap,
    logs: *mut binlog_iovec,
    cap: usize,
    count: *mut usize,
) -> binlog_result {
    call(|| {
        let h = checked(r, out, logs, cap, count)?;
        let all = h.inner.gaps();
        unsafe { copy_out(&all, |(_, g)| c_gap(g), out, cap, count) };
        unsafe { copy_out(&all, |(log, _)| c_name(log), logs, cap, count) };
        Ok(BINLOG_OK)
    })
}

/// Copies up to `cap` of the damaged regions every log skipped so far (see
/// `binlog_merged_reader_skip_damaged`), by log name and each log's in the
/// order met, into `out`, each as `binlog_reader_damages2` gives them, and
/// their log names into `logs` (`logs[i]` names the log of `out[i]`; not
/// NUL-terminated), and writes their total number to `*count`. Paths and
/// names stay valid until the next call on the reader.
/// `BINLOG_ERR_NULL_POINTER` if `r` or `count` is NULL, or `out` or `logs`
/// with `cap` > 0.
#[no_mangle]
pub extern "C" fn binlog_merged_reader_damages(
    r: *mut binlog_merged_reader,
    out: *mut binlog_damage2,
    logs: *mut binlog_iovec,
    cap: usize,
    count: *mut usize,
) -> binlog_result {
    call(|| {
        let h = checked(r, out, logs, cap, count)?;
        let all = h.inner.damages().into_iter();
        h.damages = all.map(|(log, p, d)| (log.to_string(), (p, d))).collect();
        unsafe { copy_out(&h.damages, |(_, pd)| c_damage2(pd), out, cap, count) };
        unsafe { copy_out(&h.damages, |(log, _)| c_name(log), logs, cap, count) };
        Ok(BINLOG_OK)
    })
}

/// The merged reader of a call that copies up to `cap` items to `out`
/// and their logs' names to `logs`, once the arguments are checked.
fn checked<'a, T>(
    r: *mut binlog_merged_reader,
    out: *mut T,
    logs: *mut binlog_iovec,
    cap: usize,
    count: *mut usize,
) -> CallResult<&'a mut binlog_merged_reader> {
    let h = unsafe { handle_mut(r, "merged reader") }?;
    out_array(out, cap, count)?;
    out_array(logs, cap, count)?;
    Ok(h)
}

/// A log's name as a byte range (borrowed).
fn c_name(log: &str) -> binlog_iovec {
    binlog_iovec {
        base: c_bytes(log.as_bytes()),
        len: log.len(),
    }
}
