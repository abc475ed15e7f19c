//! Helpers for tests that drive the C ABI through `binlog::ffi` (a debug
//! build's exported functions, called from Rust).

use binlog::ffi::reader::{
    binlog_reader, binlog_reader_header, binlog_reader_next, binlog_reader_open_log,
};
use binlog::ffi::result::binlog_result::{self, BINLOG_END, BINLOG_OK};
use binlog::ffi::types::{binlog_header, binlog_record};
use std::ffi::CString;
use std::path::Path;

/// The calling thread's last error message.
pub fn last_error() -> String {
    let p = binlog::ffi::version::binlog_last_error();
    // SAFETY: binlog_last_error returns a NUL-terminated string that stays
    // valid until the next failing call on this thread.
    unsafe { std::ffi::CStr::from_ptr(p) }
        .to_string_lossy()
        .into_owned()
}

pub fn c_str(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// A path as a C string (the tests' paths are UTF-8).
pub fn c_path(p: &Path) -> CString {
    c_str(p.to_str().unwrap())
}

/// A C log reader of log `name` in `dir` (free it with `binlog_reader_free`).
pub fn open_log(dir: &Path, name: &str) -> *mut binlog_reader {
    let (d, n) = (c_str(dir.to_str().unwrap()), c_str(name));
    let mut r = std::ptr::null_mut();
    assert_eq!(
        binlog_reader_open_log(d.as_ptr(), n.as_ptr(), &mut r),
        BINLOG_OK,
        "{}",
        last_error()
    );
    r
}

/// `(segment_no, first_seq)` of the reader's header, or the error code.
pub fn header(r: *mut binlog_reader) -> Result<(u64, u64), binlog_result> {
    // SAFETY: binlog_header is plain data; all zeroes is a valid value.
    let mut h: binlog_header = unsafe { std::mem::zeroed() };
    match binlog_reader_header(r, &mut h) {
        BINLOG_OK => Ok((h.segment_no, h.first_seq)),
        rc => Err(rc),
    }
}

/// The next record's sequence number, `None` at `BINLOG_END`; any other
/// result fails the test with the error message.
pub fn next(r: *mut binlog_reader) -> Option<u64> {
    // SAFETY: binlog_record is plain data; all zeroes is a valid value.
    let mut rec: binlog_record = unsafe { std::mem::zeroed() };
    match binlog_reader_next(r, &mut rec) {
        BINLOG_OK => Some(rec.seq),
        BINLOG_END => None,
        rc => panic!("next: {rc:?}: {}", last_error()),
    }
}
