//! Named consumers in C: a `binlog_reader` (or `binlog_merged_reader`)
//! that goes on after the consumer's last commit and commits its position
//! (`crate::log::consumer`), and position tokens for any log reader.

use super::archive_tier::{open_merged, open_tiered};
use super::merged_reader::binlog_merged_reader;
use super::options::{assign_log, binlog_options, ms_option};
use super::prelude::*;
use super::reader::{binlog_reader, boxed, closed};
use crate::error::Result;
use crate::log::consumer::{place, store::Store, MergedConsumer, Start};
use crate::log::{record_reader::RecordReader, ConsumerBound, LogReader, MergedReader};

/// Where a consumer new to a log starts (`binlog_consumer_open`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum binlog_start {
    /// The log's first record.
    BINLOG_START_FIRST = 0,
    /// The log's end when the consumer opens: records written after it.
    BINLOG_START_END = 1,
    /// The first record numbered `seq` or after.
    BINLOG_START_SEQ = 2,
    /// The first record, in write order, stamped `ts_ns` or later.
    BINLOG_START_TIME = 3,
}

/// The `Start` of C's `start`, `seq` and `ts_ns`.
fn start_of(start: u32, seq: u64, ts_ns: i64) -> Result<Start> {
    use binlog_start::*;
    Ok(match start {
        s if s == BINLOG_START_FIRST as u32 => Start::First,
        s if s == BINLOG_START_END as u32 => Start::End,
        s if s == BINLOG_START_SEQ as u32 => Start::Seq(seq),
        s if s == BINLOG_START_TIME as u32 => Start::Time(ts_ns),
        _ => return Err(Error::invalid(format!("unknown consumer start {start}"))),
    })
}

/// Opens consumer `name` of log `log` in `dir` (and, if `remote` is not
/// NULL, of its segments shipped to `remote`, read as
/// `binlog_reader_open_log_tiered` reads them) as a reader: every
/// `binlog_reader_*` call works on it. It starts after the consumer's last
/// commit; a consumer with no position in the log starts at `start` (a
/// `binlog_start`; `seq` for `BINLOG_START_SEQ`, `ts_ns` for
/// `BINLOG_START_TIME`), committed at once. A committed position whose
/// records retention deleted resumes at the oldest record left, with a
/// `BINLOG_GAP_RETENTION` gap. The consumer's file is `<name>.consumer` in
/// `dir` (docs/FORMAT.md, "Consumers"). `BINLOG_ERR_LOCKED` while another
/// handle (in any process) has the name open; `BINLOG_ERR_INVALID_ARGUMENT`
/// for a name that is not 1 to 200 of `A-Z a-z 0-9 _ . -` (not starting
/// with `.`); `BINLOG_ERR_CORRUPT_CONSUMER` naming the file if damaged.
#[no_mangle]
pub extern "C" fn binlog_consumer_open(
    dir: *const c_char,
    log: *const c_char,
    name: *const c_char,
    remote: *const c_char,
    start: u32,
    seq: u64,
    ts_ns: i64,
    out: *mut *mut binlog_reader,
) -> binlog_result {
    call(|| {
        let d = unsafe { c_path(dir, "dir") }?;
        let l = unsafe { c_str(log, "log") }?;
        let n = unsafe { c_str(name, "name") }?;
        let url = unsafe { c_str_or_null(remote, "remote") }?;
        need_out(out)?;
        let start = start_of(start, seq, ts_ns)?;
        let mut reader = match url {
            Some(url) => open_tiered(d, l, url, None)?,
            None => LogReader::open(d, l)?,
        };
        let mut store = Store::open(d, n)?;
        place(&mut reader, &mut store, l, start)?;
        let r = boxed(reader, d);
        // SAFETY: `boxed` made it; nothing else has it yet.
        unsafe { (*r).consumer = Some(Box::new(store)) };
        unsafe { done(out, r) }
    })
}

/// Commits every record the consumer `r` returned so far as processed, in
/// one small write and one fdatasync: once it returns, the consumer opened
/// again (after any crash) goes on after them. A record a batch read held
/// back is not committed. `BINLOG_ERR_INVALID_ARGUMENT` for a reader that
/// is no consumer.
#[no_mangle]
pub extern "C" fn binlog_consumer_commit(r: *mut binlog_reader) -> binlog_result {
    commit(r, None)
}

/// Commits records up to `seq`, one the consumer `r` returned since its last
/// commit (or the last one committed: a no-op), as processed; else
/// `BINLOG_ERR_INVALID_ARGUMENT` naming its file. It never moves `r` back:
/// a seek of `r` (`binlog_reader_seek_seq`) and `binlog_consumer_commit` do.
#[no_mangle]
pub extern "C" fn binlog_consumer_commit_seq(r: *mut binlog_reader, seq: u64) -> binlog_result {
    commit(r, Some(seq))
}

fn commit(r: *mut binlog_reader, seq: Option<u64>) -> binlog_result {
    update(r, "reader", |h| {
        let (log, at) = h.open()?.position()?;
        let store = h.consumer.as_mut().ok_or_else(not_a_consumer)?;
        match seq {
            Some(seq) => Ok(store.commit_seq(&log, seq, at)?),
            None => Ok(store.commit(&[(&log, at)])?),
        }
    })
}

fn not_a_consumer() -> Error {
    Error::invalid("this reader is no consumer (binlog_consumer_open)")
}

/// Writes to `*out` the sequence number the consumer `r`'s last commit
/// goes on at.
#[no_mangle]
pub extern "C" fn binlog_consumer_committed(
    r: *const binlog_reader,
    out: *mut u64,
) -> binlog_result {
    get(r, "reader", out, |h| {
        let reader = h.inner.as_ref().ok_or_else(|| closed(&h.path))?;
        let store = h.consumer.as_ref().ok_or_else(not_a_consumer)?;
        let log = reader.position()?.0;
        Ok(store.committed().next_seq(&log).unwrap_or(0))
    })
}

/// Removes consumer `name`'s file from `dir` (retention stops waiting for
/// it): `BINLOG_ERR_LOCKED` while a handle has it open,
/// `BINLOG_ERR_NOT_FOUND` if there is none.
#[no_mangle]
pub extern "C" fn binlog_consumer_remove(dir: *const c_char, name: *const c_char) -> binlog_result {
    call(|| {
        let d = unsafe { c_path(dir, "dir") }?;
        let n = unsafe { c_str(name, "name") }?;
        crate::log::consumer::store::remove(d, n)?;
        Ok(BINLOG_OK)
    })
}

/// Points `*out` at the position token of where the log reader `r` stands
/// (NUL-terminated printable text, valid until the next call on `r`):
/// `binlog_reader_seek_position` of any reader of the same log goes on
/// there, across rolls, compression, shipping and retention.
/// `BINLOG_ERR_INVALID_ARGUMENT` for a reader of one segment.
#[no_mangle]
pub extern "C" fn binlog_reader_position(
    r: *mut binlog_reader,
    out: *mut *const c_char,
) -> binlog_result {
    get_mut(r, "reader", out, |h| {
        let (log, at) = h.open()?.position()?;
        let token = crate::log::token::encode(&[(log, at)]);
        h.token = CString::new(token).expect("a token has no NUL");
        Ok(h.token.as_ptr())
    })
}

/// Positions the log reader `r` where `token` (from
/// `binlog_reader_position`) says. Records since deleted are reported as a
/// `BINLOG_GAP_RETENTION` gap. `BINLOG_ERR_INVALID_ARGUMENT` for a token
/// of another log or text that is no token (mistyped: its check fails).
#[no_mangle]
pub extern "C" fn binlog_reader_seek_position(
    r: *mut binlog_reader,
    token: *const c_char,
) -> binlog_result {
    update(r, "reader", |h| {
        let t = unsafe { c_str(token, "token") }?;
        Ok(h.open()?.seek_position(t)?)
    })
}

/// Opens consumer `name` of every log in `dir` and/or directly under
/// `remote` (NULL: none) whose name matches `pattern` (NULL: every log), as
/// `binlog_merged_reader_open` reads them, as a merged reader
/// (`binlog_merged_reader_*` calls work on it): each log goes on after the
/// consumer's last commit, one with no position in it at `start` (as
/// `binlog_consumer_open`). The consumer's file is in `dir`, which is
/// required.
#[no_mangle]
pub extern "C" fn binlog_merged_consumer_open(
    dir: *const c_char,
    remote: *const c_char,
    pattern: *const c_char,
    name: *const c_char,
    start: u32,
    seq: u64,
    ts_ns: i64,
    out: *mut *mut binlog_merged_reader,
) -> binlog_result {
    call(|| {
        let d = unsafe { c_path(dir, "dir") }?;
        let url = unsafe { c_str_or_null(remote, "remote") }?;
        let p = unsafe { c_str_or_null(pattern, "pattern") }?.unwrap_or("*");
        let n = unsafe { c_str(name, "name") }?;
        need_out(out)?;
        let start = start_of(start, seq, ts_ns)?;
        let reader = match url {
            Some(url) => open_merged(Some(d), url, p)?,
            None => MergedReader::open_dir(d, p)?,
        };
        let (reader, store) = MergedConsumer::new(reader, d, n, start)?.into_parts();
        let r = binlog_merged_reader::new(reader, Some(store));
        unsafe { done(out, new_handle(r)) }
    })
}

/// Commits every record the merged consumer `r` returned so far, in every
/// log, in one durable write.
#[no_mangle]
pub extern "C" fn binlog_merged_consumer_commit(r: *mut binlog_merged_reader) -> binlog_result {
    update(r, "merged reader", |h| {
        let store = h.consumer.as_mut().ok_or_else(not_a_consumer)?;
        Ok(store.commit(&h.inner.positions())?)
    })
}

/// Points `*out` at the position token of where the merged reader `r`
/// stands in each of its logs (valid until the next call on `r`).
#[no_mangle]
pub extern "C" fn binlog_merged_reader_position(
    r: *mut binlog_merged_reader,
    out: *mut *const c_char,
) -> binlog_result {
    get_mut(r, "merged reader", out, |h| {
        h.token = CString::new(h.inner.position_token()).expect("a token has no NUL");
        Ok(h.token.as_ptr())
    })
}

/// Positions each log of the merged reader `r` that `token` names where it
/// says; `BINLOG_ERR_INVALID_ARGUMENT` for a log not merged here.
#[no_mangle]
pub extern "C" fn binlog_merged_reader_seek_position(
    r: *mut binlog_merged_reader,
    token: *const c_char,
) -> binlog_result {
    update(r, "merged reader", |h| {
        let t = unsafe { c_str(token, "token") }?;
        Ok(h.inner.seek_position(t)?)
    })
}

/// Logs only: retention waits for the log's consumers (a sealed segment a
/// consumer has not committed past stays) while a consumer is within the
/// bound: the sealed segments from that one on take at most `max_bytes`
/// (0: no such bound) and it was sealed at most `max_age_ms` ago (0: no
/// such bound). Both 0 waits for no consumer (the default).
#[no_mangle]
pub extern "C" fn binlog_options_set_retention_wait_for_consumers(
    opts: *mut binlog_options,
    max_bytes: u64,
    max_age_ms: u64,
) -> binlog_result {
    assign_log(opts, |l| {
        l.retention.wait_for_consumers = bound_of(max_bytes, max_age_ms)
    })
}

/// The bound of C's `max_bytes` and `max_age_ms` (0: unset); none if both
/// are 0.
pub(super) fn bound_of(max_bytes: u64, max_age_ms: u64) -> Option<ConsumerBound> {
    let bound = ConsumerBound {
        max_bytes: c_option(max_bytes, 0),
        max_age: ms_option(max_age_ms),
    };
    (bound != ConsumerBound::default()).then_some(bound)
}
