//! The C ABI's merged reader (`binlog_merged_reader_*`) called as C calls
//! it: records by (timestamp, log name, seq) with their log's name, a time
//! window's segment counts, and NULL arguments refused with outputs left
//! as they were. (tests/c/test_merged_reader.c runs the same from C.)

use crate::common;

use binlog::ffi::merged_reader::*;
use binlog::ffi::result::binlog_result::{
    BINLOG_END, BINLOG_ERR_NOT_FOUND, BINLOG_ERR_NULL_POINTER, BINLOG_OK,
};
use binlog::ffi::types::binlog_record;
use common::ffi::{c_path, c_str, last_error};
use common::timed_log::named_log_at as log_at;
use common::TempDir;
use std::ptr::{null, null_mut};

/// Every record of `r`: (timestamp, log, seq).
fn read_all(r: *mut binlog_merged_reader) -> Vec<(i64, String, u64)> {
    let mut out = Vec::new();
    loop {
        let mut rec: binlog_record = unsafe { std::mem::zeroed() };
        let (mut log, mut len) = (null(), 0usize);
        match binlog_merged_reader_next(r, &mut rec, &mut log, &mut len) {
            BINLOG_OK => {}
            BINLOG_END => return out,
            rc => panic!("{rc:?}: {}", last_error()),
        }
        let log = unsafe { std::slice::from_raw_parts(log, len) };
        let payload = unsafe { std::slice::from_raw_parts(rec.payload, rec.payload_len) };
        assert_eq!(payload, log);
        out.push((
            rec.timestamp_ns,
            String::from_utf8(log.to_vec()).unwrap(),
            rec.seq,
        ));
    }
}

#[test]
fn c_merged_reader_orders_by_time_then_log_name_and_counts_window_segments() {
    let dir = TempDir::new("ffi-merged");
    log_at(dir.path(), "web-b", 100, &[5, 5, 7]);
    log_at(dir.path(), "web-a", 100, &[5, 7]);
    log_at(dir.path(), "db", 100, &[1]);
    let (d, p) = (c_path(dir.path()), c_str("web-*"));
    let mut r = null_mut();
    assert_eq!(
        binlog_merged_reader_open(d.as_ptr(), null(), p.as_ptr(), &mut r),
        BINLOG_OK
    );
    let s = |t, l: &str, q| (t, l.to_string(), q);
    let want = vec![
        s(5, "web-a", 0),
        s(5, "web-b", 0),
        s(5, "web-b", 1),
        s(7, "web-a", 1),
        s(7, "web-b", 2),
    ];
    assert_eq!(read_all(r), want);
    binlog_merged_reader_free(r);

    let times: Vec<i64> = (0..100).collect();
    log_at(dir.path(), "win-1", 10, &times);
    log_at(dir.path(), "win-2", 10, &times);
    let p = c_str("win-?");
    let mut r = null_mut();
    assert_eq!(
        binlog_merged_reader_open(d.as_ptr(), null(), p.as_ptr(), &mut r),
        BINLOG_OK
    );
    assert_eq!(binlog_merged_reader_time_window(r, 30, 40), BINLOG_OK);
    assert_eq!(read_all(r).len(), 20);
    let (mut read, mut passed) = (u64::MAX, u64::MAX);
    assert_eq!(
        binlog_merged_reader_segments(r, &mut read, &mut passed),
        BINLOG_OK
    );
    assert_eq!((read, passed), (2, 12));
    binlog_merged_reader_free(r);
}

#[test]
fn c_merged_reader_refuses_null_and_no_match_leaving_outputs() {
    let dir = TempDir::new("ffi-merged-errors");
    log_at(dir.path(), "a", 10, &[1]);
    let d = c_path(dir.path());
    let sentinel = 0x5e5e_5e50usize as *mut binlog_merged_reader;
    let mut r = sentinel;
    let none = c_str("web-*");
    assert_eq!(
        binlog_merged_reader_open(d.as_ptr(), null(), none.as_ptr(), &mut r),
        BINLOG_ERR_NOT_FOUND
    );
    assert!(last_error().contains("web-*"), "{}", last_error());
    assert_eq!(r, sentinel);
    assert_eq!(
        binlog_merged_reader_open(d.as_ptr(), null(), null(), null_mut()),
        BINLOG_ERR_NULL_POINTER
    );
    let mut rec: binlog_record = unsafe { std::mem::zeroed() };
    let (mut log, mut len) = (null(), 0usize);
    assert_eq!(
        binlog_merged_reader_next(null_mut(), &mut rec, &mut log, &mut len),
        BINLOG_ERR_NULL_POINTER
    );
    assert!(log.is_null() && len == 0);
    binlog_merged_reader_free(null_mut());
}
