//! Review of rolling logs' retention and the log reader's follow mode.

mod common;
use binlog::ffi::reader::{binlog_reader_close, binlog_reader_next_wait, binlog_reader_open_log};
use binlog::ffi::result::binlog_result;
use binlog::ffi::types::binlog_record;
use binlog::log::{Clock, LogOptions, LogReader, LogWriter, Retention};
use common::TempDir;
use std::ffi::CString;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// 2026-11-21T05:37:42.5Z
const T0: i64 = 1_795_239_462_500_000_000;

fn clock_at(c: &Arc<AtomicI64>) -> Clock {
    let c = Arc::clone(c);
    Arc::new(move || c.load(Ordering::SeqCst))
}

fn opts(c: &Arc<AtomicI64>) -> LogOptions {
    LogOptions {
        clock: clock_at(c),
        background: false,
        ..LogOptions::default()
    }
}

/// A caller that means "as long as it takes" passes the largest timeout:
/// UINT64_MAX ms through C, `Duration::MAX` in Rust. A record already there
/// comes back at once; the old `LogReader::next_wait` panicked computing
/// `Instant::now() + Duration::MAX` before even looking.
#[test]
fn next_wait_with_the_largest_timeout_returns_the_record_there() {
    let dir = TempDir::new("h2-wait-max");
    let c = Arc::new(AtomicI64::new(T0));
    let w = LogWriter::open(dir.path(), "orders", opts(&c)).unwrap();
    w.write("a", b"one").unwrap();
    w.flush().unwrap();
    let d = CString::new(dir.path().to_str().unwrap()).unwrap();
    let n = CString::new("orders").unwrap();
    let mut r = std::ptr::null_mut();
    assert_eq!(
        binlog_reader_open_log(d.as_ptr(), n.as_ptr(), &mut r),
        binlog_result::BINLOG_OK
    );
    let mut rec: binlog_record = unsafe { std::mem::zeroed() };
    let got = binlog_reader_next_wait(r, u64::MAX, &mut rec);
    assert_eq!(got, binlog_result::BINLOG_OK, "{}", last_error());
    assert_eq!(rec.seq, 0);
    binlog_reader_close(r);
    // The Rust API too.
    let mut lr = LogReader::open(dir.path(), "orders").unwrap();
    assert_eq!(lr.next_wait(Duration::MAX).unwrap().unwrap().seq, 0);
    w.close().unwrap();
}

fn last_error() -> String {
    let p = binlog::ffi::version::binlog_last_error();
    if p.is_null() {
        return String::new();
    }
    unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned()
}
