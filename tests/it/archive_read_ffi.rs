//! `binlog_reader_open_log_tiered` (through `binlog::ffi`): a log whose
//! older segments were shipped to a real S3-compatible server (versitygw,
//! tests/it/common/s3.rs) and removed locally reads as one stream, with the
//! endpoint and credentials from the environment.

use crate::common;

use binlog::archive::object_name::segment_key;
use binlog::archive::{Location, ShipOptions, Shipper};
use binlog::ffi::reader::{
    binlog_reader, binlog_reader_free, binlog_reader_gap_count, binlog_reader_gaps,
    binlog_reader_next, binlog_reader_open_log, binlog_reader_open_log_tiered,
};
use binlog::ffi::result::binlog_result::{
    BINLOG_ERR_CORRUPT, BINLOG_ERR_INVALID_ARGUMENT, BINLOG_ERR_NULL_POINTER, BINLOG_OK,
};
use binlog::ffi::types::{binlog_gap, binlog_gap_reason, binlog_record};
use binlog::list_segments;
use binlog::{compress_segment, CompressOptions};
use common::ffi::{c_path, c_str, last_error, next};
use common::s3::S3Server;
use common::TempDir;

/// The process environment names one server: the tests that set it run
/// one at a time.
static ENVIRONMENT: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn environment() -> std::sync::MutexGuard<'static, ()> {
    ENVIRONMENT.lock().unwrap_or_else(|e| e.into_inner())
}

/// Ships log "orders" of `dir` (5 segments of 10 records) to `url`,
/// keeping the newest sealed segment locally, and sets the environment the
/// C tiered reader takes the server's endpoint and credentials from.
fn ship(server: &S3Server, dir: &std::path::Path, url: &str) {
    let o = ShipOptions {
        keep_local: Some(1),
        connection: server.connection(),
        ..ShipOptions::default()
    };
    let to = Location::parse(url).unwrap();
    let shipped = Shipper::open(dir, "orders", &to, o)
        .unwrap()
        .ship_once()
        .unwrap();
    assert_eq!(shipped.removed_local, [0, 1, 2, 3]);
    for (k, v) in server.env() {
        std::env::set_var(k, v);
    }
}

#[test]
fn a_log_shipped_and_removed_locally_reads_as_one_stream_through_the_c_abi() {
    let _environment = environment();
    let server = S3Server::start(&["logs"]);
    let dir = TempDir::new("ffi-tiered");
    common::append_orders(dir.path(), 50, 10);
    for l in list_segments(dir.path(), "orders").unwrap() {
        if l.segment_no <= 2 {
            compress_segment(&l.path, &CompressOptions::default()).unwrap();
        }
    }
    ship(&server, dir.path(), "s3://logs/t");

    let (d, n, url) = (c_path(dir.path()), c_str("orders"), c_str("s3://logs/t"));
    let mut r: *mut binlog_reader = std::ptr::null_mut();
    let rc = binlog_reader_open_log_tiered(d.as_ptr(), n.as_ptr(), url.as_ptr(), &mut r);
    assert_eq!(rc, BINLOG_OK, "{}", last_error());
    let seqs: Vec<u64> = std::iter::from_fn(|| next(r)).collect();
    assert!(seqs == (0..50).collect::<Vec<_>>(), "{seqs:?}");
    let mut gaps = u64::MAX;
    assert_eq!(binlog_reader_gap_count(r, &mut gaps), BINLOG_OK);
    assert_eq!(gaps, 0);
    binlog_reader_free(r);

    let rc = binlog_reader_open_log_tiered(d.as_ptr(), n.as_ptr(), std::ptr::null(), &mut r);
    assert_eq!(rc, BINLOG_ERR_NULL_POINTER);
    assert!(last_error().contains("remote"), "{}", last_error());
    let bad = c_str("http://logs/t");
    let rc = binlog_reader_open_log_tiered(d.as_ptr(), n.as_ptr(), bad.as_ptr(), &mut r);
    assert_eq!(rc, BINLOG_ERR_INVALID_ARGUMENT);
    assert!(last_error().contains("s3://"), "{}", last_error());
}

/// Every gap `r` met, through `binlog_reader_gaps`: (reason, path, from,
/// to), the path copied out of the reader.
fn c_gaps(r: *mut binlog_reader) -> Vec<(binlog_gap_reason, String, Option<u64>, Option<u64>)> {
    let mut count = usize::MAX;
    assert_eq!(
        binlog_reader_gaps(r, std::ptr::null_mut(), 0, &mut count),
        BINLOG_OK
    );
    assert_eq!(
        binlog_reader_gaps(r, std::ptr::null_mut(), 1, &mut count),
        BINLOG_ERR_NULL_POINTER
    );
    let blank = binlog_gap {
        reason: binlog_gap_reason::BINLOG_GAP_DAMAGE,
        path: std::ptr::null(),
        path_len: 0,
        has_offset: true,
        offset: 0,
        has_from_seq: false,
        from_seq: 0,
        has_to_seq: false,
        to_seq: 0,
    };
    let mut out = vec![blank; count];
    let mut n = 0;
    assert_eq!(
        binlog_reader_gaps(r, out.as_mut_ptr(), count, &mut n),
        BINLOG_OK
    );
    assert_eq!(n, count);
    out.iter()
        .map(|g| {
            // SAFETY: `path_len` bytes at `path`, valid until the next call.
            let path = unsafe { std::slice::from_raw_parts(g.path, g.path_len) };
            let path = String::from_utf8(path.to_vec()).unwrap();
            let seq = |has: bool, s: u64| has.then_some(s);
            assert!(!g.has_offset);
            (
                g.reason,
                path,
                seq(g.has_from_seq, g.from_seq),
                seq(g.has_to_seq, g.to_seq),
            )
        })
        .collect()
}

/// An object deleted from the bucket, and a segment removed from a local
/// log: the C reader's gaps say which object or segment, which records,
/// and why (`BINLOG_GAP_MISSING`), as the library's log reader does.
#[test]
fn gaps_through_the_c_abi_name_the_missing_object_or_segment_and_the_records() {
    let _environment = environment();
    let server = S3Server::start(&["logs"]);
    let dir = TempDir::new("ffi-gaps");
    common::append_orders(dir.path(), 50, 10);
    let local = TempDir::new("ffi-gaps-local");
    for l in list_segments(dir.path(), "orders").unwrap() {
        if l.segment_no != 2 {
            std::fs::copy(&l.path, local.path().join(l.path.file_name().unwrap())).unwrap();
        }
    }
    ship(&server, dir.path(), "s3://logs/g");
    let key = segment_key("g", "orders", 2, 20, false);
    std::fs::remove_file(server.object_file("logs", &key)).unwrap();
    let want_seqs: Vec<u64> = (0..20).chain(30..50).collect();

    let (d, n, url) = (c_path(dir.path()), c_str("orders"), c_str("s3://logs/g"));
    let mut r: *mut binlog_reader = std::ptr::null_mut();
    let rc = binlog_reader_open_log_tiered(d.as_ptr(), n.as_ptr(), url.as_ptr(), &mut r);
    assert_eq!(rc, BINLOG_OK, "{}", last_error());
    let seqs: Vec<u64> = std::iter::from_fn(|| next(r)).collect();
    assert_eq!(seqs, want_seqs);
    let gap = (
        binlog_gap_reason::BINLOG_GAP_MISSING,
        format!("s3://logs/{key}"),
        Some(20),
        Some(30),
    );
    assert_eq!(c_gaps(r), [gap]);
    binlog_reader_free(r);

    // Segment 3's object cut to its first half (its metadata kept): the
    // read stops there with BINLOG_ERR_CORRUPT naming its URL and offset.
    let cut = segment_key("g", "orders", 3, 30, false);
    let file = server.object_file("logs", &cut);
    let half = std::fs::metadata(&file).unwrap().len() / 2;
    let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
    f.set_len(half).unwrap();
    let rc = binlog_reader_open_log_tiered(d.as_ptr(), n.as_ptr(), url.as_ptr(), &mut r);
    assert_eq!(rc, BINLOG_OK, "{}", last_error());
    let mut rec = std::mem::MaybeUninit::<binlog_record>::zeroed();
    let rc = loop {
        match binlog_reader_next(r, rec.as_mut_ptr()) {
            BINLOG_OK => continue,
            rc => break rc,
        }
    };
    assert_eq!(rc, BINLOG_ERR_CORRUPT);
    let e = last_error();
    assert!(
        e.contains(&format!("s3://logs/{cut}: offset {half}:")),
        "{e}"
    );
    binlog_reader_free(r);

    let d = c_path(local.path());
    let rc = binlog_reader_open_log(d.as_ptr(), n.as_ptr(), &mut r);
    assert_eq!(rc, BINLOG_OK, "{}", last_error());
    let seqs: Vec<u64> = std::iter::from_fn(|| next(r)).collect();
    assert_eq!(seqs, want_seqs);
    // A local segment's name is not known: the gap names the one after it.
    let after = &list_segments(local.path(), "orders").unwrap()[2].path;
    let gap = (
        binlog_gap_reason::BINLOG_GAP_MISSING,
        after.to_str().unwrap().to_string(),
        Some(20),
        Some(30),
    );
    assert_eq!(c_gaps(r), [gap]);
    binlog_reader_free(r);
}
