//! A segment object of a log in a bucket verified: read with ranged GETs
//! as the log's reader reads it ([`Verify::remote`]), or fetched whole
//! once and checked against the metadata its shipper wrote
//! ([`Verify::shipped`], `binlog remote verify`): its size and SHA-256,
//! then every record, then its record count, last sequence number and seal.
//!
//! [`Verify::remote`]: super::Verify::remote
//! [`Verify::shipped`]: super::Verify::shipped

use super::segment::{segment_of_reader, unopened};
use super::{Finding, FindingKind, SegmentReport};
use crate::archive::{digest, RemoteLog};
use crate::error::{Error, ErrorKind, Result};

/// The report of the object at `key` of `log`; `against_metadata` as the
/// module doc says. What could not be read is its finding, as for a file.
pub(super) fn object(log: &RemoteLog, key: &str, against_metadata: bool) -> SegmentReport {
    let rep = match against_metadata {
        true => shipped(log, key),
        false => log.open_reader(key, true).map(segment_of_reader),
    };
    rep.unwrap_or_else(|e| unopened(&log.url_of(key), &e))
}

/// The object at `key`, fetched whole and verified, then checked against
/// its metadata: bytes other than it says are the object's first finding
/// (`Corrupt`), records other than it says its last.
fn shipped(log: &RemoteLog, key: &str) -> Result<SegmentReport> {
    let url = log.url_of(key);
    let meta = log.remote().head(key)?.and_then(|(_, m)| m);
    let meta = meta.ok_or_else(|| {
        let what = "no binlog metadata (not an object `binlog ship` wrote)";
        Error::file(ErrorKind::Corrupt, &url, what)
    })?;
    let bytes = log.get_whole(key)?;
    let mut rep = match log.reader_of_copy(key, &bytes, true) {
        Ok(r) => segment_of_reader(r),
        Err(e) => unopened(&url, &e),
    };
    let wrong = |what: String| {
        let m = format!("{}: {what}", url.display());
        Finding::new(FindingKind::Corrupt, &url, None, m)
    };
    let d = digest::of_bytes(&bytes);
    let (records, last, sealed) = (rep.records, rep.last_seq, rep.seal.is_some());
    if (d.bytes, &d.sha256) != (meta.bytes, &meta.sha256) {
        let f = wrong(format!(
            "{} bytes with SHA-256 {}, the metadata says {} bytes with SHA-256 {}",
            d.bytes, d.sha256, meta.bytes, meta.sha256
        ));
        let found = std::mem::replace(&mut rep.findings, vec![f]);
        found.into_iter().for_each(|f| rep.push(f));
    } else if (records, last) != (meta.records, meta.last_seq) || !sealed {
        rep.push(wrong(format!(
            "{records} records (last {last:?}, sealed: {sealed}), the metadata says {} (last {:?})",
            meta.records, meta.last_seq
        )));
    }
    Ok(rep)
}
