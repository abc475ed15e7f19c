//! Reading segment objects from a bucket of the test server (`s3`): a
//! log's reader, a segment object stored as given, reads to the end, and
//! the comparison of a remote read's error with a local one's.

use super::s3::S3Server;
use super::{copy, Rec};
use binlog::__private::archive::object_name::segment_key;
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
