//! Reading segment objects from a bucket of the test server (`s3`): a
//! log's reader, a segment object stored as given, reads to the end, and
//! the comparison of a remote read's error with a local one's.

use super::s3::S3Server;
use super::{copy, Rec};
use binlog::archive::object_name::segment_key;
use binlog::archive::{Location, Remote, RemoteLog};
use binlog::{Reader, Result, Tail};
use std::sync::Arc;

/// A reader's view of log `log` under `s3://bucket/prefix` of `server`.
pub fn remote_log(server: &S3Server, bucket: &str, prefix: &str, log: &str) -> RemoteLog {
    let at = Location::parse(&format!("s3://{bucket}/{prefix}")).unwrap();
    let remote = Remote::connect(&at, &server.connection()).unwrap();
    RemoteLog::new(Arc::new(remote), log).unwrap()
}

/// Stores `bytes` as segment 0 (from sequence number 0) of `log`'s log
/// under `prefix`, as a compressed or a plain object; its key.
pub fn put_segment_0(log: &RemoteLog, prefix: &str, compressed: bool, bytes: &[u8]) -> String {
    let key = segment_key(prefix, log.log(), 0, 0, compressed);
    log.remote().put_create_plain(&key, bytes.to_vec()).unwrap();
    key
}

/// Every record `r` returns to its end, and how the read ended.
pub fn read_to_end(r: &mut Reader) -> (Vec<Rec>, Result<Tail>) {
    let mut out = Vec::new();
    loop {
        match r.next() {
            Ok(Some(rec)) => out.push(copy(&rec)),
            Ok(None) => return (out, Ok(r.tail())),
            Err(e) => return (out, Err(e)),
        }
    }
}

/// The same error, but for the name of the file or object (`key`).
pub fn same_error(local: &binlog::Error, remote: &binlog::Error, key: &str) -> bool {
    local.kind() == remote.kind()
        && local.offset() == remote.offset()
        && local.detail() == remote.detail()
        && remote
            .path()
            .is_some_and(|p| p.to_string_lossy().ends_with(key))
}

/// Log `orders` of 50 records, 10 a segment, in `dir`; segments 0..=2
/// compressed, 3 and 4 plain.
#[cfg(feature = "compression")]
pub fn orders_partly_compressed(dir: &std::path::Path) {
    super::append_orders(dir, 50, 10);
    for l in binlog::list_segments(dir, "orders").unwrap() {
        if l.segment_no <= 2 {
            binlog::compress_segment(&l.path, &binlog::CompressOptions::default()).unwrap();
        }
    }
}

/// Ships log `orders`' sealed segments in `dir` to `s3://logs/<prefix>`
/// on `server`: the numbers of those uploaded now.
pub fn ship_orders(server: &S3Server, dir: &std::path::Path, prefix: &str) -> Vec<u64> {
    let o = binlog::archive::ShipOptions {
        connection: server.connection(),
        ..binlog::archive::ShipOptions::default()
    };
    let to = Location::parse(&format!("s3://logs/{prefix}")).unwrap();
    let mut s = binlog::archive::Shipper::open(dir, "orders", &to, o).unwrap();
    s.ship_once().unwrap().uploaded
}

/// What `binlog ARGS` did, run with the `AWS_*` environment that reaches
/// `server`.
pub fn binlog_at(server: &S3Server, args: &[&str]) -> std::process::Output {
    super::cli::binlog()
        .args(args)
        .envs(server.env())
        .output()
        .unwrap()
}

/// The rows of `binlog remote ls`'s table (its header line left out),
/// each split into its columns.
pub fn ls_rows(text: &str) -> Vec<Vec<&str>> {
    text.lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect()
}
