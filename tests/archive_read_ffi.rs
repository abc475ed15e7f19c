//! `binlog_reader_open_log_tiered` (through `binlog::ffi`): a log whose
//! older segments were shipped to a real S3-compatible server (versitygw,
//! tests/common/s3.rs) and removed locally reads as one stream, with the
//! endpoint and credentials from the environment.

mod common;

use binlog::archive::{Location, ShipOptions, Shipper};
use binlog::compressed::{compress_segment, CompressOptions};
use binlog::ffi::reader::{binlog_reader, binlog_reader_free, binlog_reader_gap_count};
use binlog::ffi::reader_tiered::binlog_reader_open_log_tiered;
use binlog::ffi::result::binlog_result::{
    BINLOG_ERR_INVALID_ARGUMENT, BINLOG_ERR_NULL_POINTER, BINLOG_OK,
};
use binlog::log::list_segments;
use common::ffi::{c_path, c_str, last_error, next};
use common::s3::S3Server;
use common::TempDir;

#[test]
fn a_log_shipped_and_removed_locally_reads_as_one_stream_through_the_c_abi() {
    let server = S3Server::start(&["logs"]);
    let dir = TempDir::new("ffi-tiered");
    common::append_orders(dir.path(), 50, 10);
    for l in list_segments(dir.path(), "orders").unwrap() {
        if l.segment_no <= 2 {
            compress_segment(&l.path, &CompressOptions::default()).unwrap();
        }
    }
    let o = ShipOptions {
        keep_local: Some(1),
        connection: server.connection(),
        ..ShipOptions::default()
    };
    let to = Location::parse("s3://logs/t").unwrap();
    let shipped = Shipper::open(dir.path(), "orders", &to, o)
        .unwrap()
        .ship_once()
        .unwrap();
    assert_eq!(shipped.removed_local, [0, 1, 2, 3]);
    for (k, v) in server.env() {
        std::env::set_var(k, v);
    }

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
