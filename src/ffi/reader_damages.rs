//! The damaged regions a reader skipped (`crate::RecordReader::damages`),
//! as the C ABI hands them out: `binlog_damage` (offsets and sequence
//! numbers) and `binlog_damage2` (the same with the file or object each
//! is in).

use super::boundary::{c_bytes, call, handle_mut};
use super::reader::{binlog_reader, copy_out, out_array};
use super::result::binlog_result::{self, BINLOG_OK};
use super::types::{binlog_damage, binlog_damage2};
use crate::record_reader::RecordReader;
use crate::Damage;
use std::path::PathBuf;

/// Copies up to `cap` of the damaged regions skipped so far into `out` (NULL
/// when `cap` is 0) and writes their total number to `*count`. Without the
/// file or object each is in: see `binlog_reader_damages2`.
#[no_mangle]
pub extern "C" fn binlog_reader_damages(
    r: *mut binlog_reader,
    out: *mut binlog_damage,
    cap: usize,
    count: *mut usize,
) -> binlog_result {
    copy_damages(r, out, cap, count, |(_, d)| binlog_damage {
        offset: d.offset,
        resume_offset: d.resume_offset,
        from_seq: d.from_seq,
        to_seq: d.to_seq,
    })
}

/// As `binlog_reader_damages`, in the order met, each with the segment file
/// or `s3://` object URL it is in (`binlog_damage2`): a log reader's regions
/// may be in several segments, local or in a bucket. Each `path` stays valid
/// until the next call on the reader. `BINLOG_ERR_NULL_POINTER` if `r` or
/// `count` is NULL (or `out` with `cap` > 0), `BINLOG_ERR_CLOSED` if closed.
#[no_mangle]
pub extern "C" fn binlog_reader_damages2(
    r: *mut binlog_reader,
    out: *mut binlog_damage2,
    cap: usize,
    count: *mut usize,
) -> binlog_result {
    copy_damages(r, out, cap, count, c_damage2)
}

/// The body of both calls: the reader's damaged regions, kept in the
/// handle (a `binlog_damage2` borrows its path from there), copied to
/// `out` as `view` makes each.
fn copy_damages<T>(
    r: *mut binlog_reader,
    out: *mut T,
    cap: usize,
    count: *mut usize,
    view: impl Fn(&(PathBuf, Damage)) -> T,
) -> binlog_result {
    call(|| {
        let h = unsafe { handle_mut(r, "reader") }?;
        h.args(|| out_array(out, cap, count))?;
        h.damages = h.open()?.damages();
        unsafe { copy_out(&h.damages, view, out, cap, count) };
        Ok(BINLOG_OK)
    })
}

/// The C view of damaged region `d` of `path` (the path borrowed).
pub(super) fn c_damage2((path, d): &(PathBuf, Damage)) -> binlog_damage2 {
    let path = path.as_os_str().as_encoded_bytes();
    binlog_damage2 {
        offset: d.offset,
        resume_offset: d.resume_offset,
        from_seq: d.from_seq,
        to_seq: d.to_seq,
        path: c_bytes(path),
        path_len: path.len(),
    }
}
