//! The gaps and damaged regions of a merged read
//! (`crate::MergedReader::gaps`, `damages`), as the C ABI hands a log
//! reader's out (`binlog_gap`, `binlog_damage2`), each with its log's name
//! in a parallel array.

use super::boundary::{c_bytes, call, handle_mut, CallResult};
use super::merged_reader::binlog_merged_reader;
use super::reader::{c_gap, copy_out, out_array};
use super::reader_damages::c_damage2;
use super::result::binlog_result::{self, BINLOG_OK};
use super::types::{binlog_damage2, binlog_gap, binlog_iovec};

/// Copies up to `cap` of the gaps every log met so far into `out` and each
/// one's log name into `logs` (`logs[i]` names the log of `out[i]`; not
/// NUL-terminated), by log name and each log's oldest first, and writes
/// their total number to `*count`. Each is as `binlog_reader_gaps` gives a
/// log reader's; its `path` and log name stay valid until the next call on
/// the reader. `out` and `logs` may be NULL when `cap` is 0.
/// `BINLOG_ERR_NULL_POINTER` if `r` or `count` is NULL, or `out` or `logs`
/// with `cap` > 0.
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
/// `binlog_merged_reader_skip_damaged`) into `out` and each one's log name
/// into `logs` (`logs[i]` names the log of `out[i]`; not NUL-terminated),
/// by log name and each log's in the order met, and writes their total
/// number to `*count`. Each is as `binlog_reader_damages2` gives a log
/// reader's, with its segment file or object URL; its `path` and log name
/// stay valid until the next call on the reader. `out` and `logs` may be
/// NULL when `cap` is 0. `BINLOG_ERR_NULL_POINTER` if `r` or `count` is
/// NULL, or `out` or `logs` with `cap` > 0.
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
