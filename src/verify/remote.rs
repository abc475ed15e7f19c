//! A shipped segment object checked against the metadata its shipper
//! wrote (`Verify::shipped`, `binlog remote verify`).

use super::segment::{segment_of_reader, unopened};
use super::{Finding, FindingKind, SegmentReport};
use crate::archive::{check_digest, digest, RemoteLog};
use crate::error::{Error, ErrorKind, Result};

/// The object at `key`, fetched whole and verified, then checked against
/// its metadata: bytes other than it says are the object's first finding
/// (`Corrupt`), records other than it says its last.
pub(super) fn shipped(log: &RemoteLog, key: &str) -> Result<SegmentReport> {
    let url = log.url_of(key);
    let meta = log.remote().head(key)?.and_then(|(_, m)| m);
    let what = "no binlog metadata (not an object `binlog ship` wrote)";
    let meta = meta.ok_or_else(|| Error::file(ErrorKind::Corrupt, &url, what))?;
    let bytes = log.get_whole(key)?;
    let mut rep = match log.reader_of_copy(key, &bytes, Some(&meta), true) {
        Ok(r) => segment_of_reader(r),
        Err(e) => unopened(&url, &e),
    };
    let (records, last, sealed) = (rep.records, rep.last_seq, rep.seal.is_some());
    if let Err(e) = check_digest(&url, &digest::of_bytes(&bytes), &meta) {
        let f = Finding::new(FindingKind::Corrupt, &url, e.offset(), e.message().into());
        let found = std::mem::replace(&mut rep.findings, vec![f]);
        found.into_iter().for_each(|f| rep.push(f));
    } else if (records, last) != (meta.records, meta.last_seq) || !sealed {
        let m = format!(
            "{}: {records} records (last {last:?}, sealed: {sealed}), the metadata says {} (last \
             {:?})",
            url.display(),
            meta.records,
            meta.last_seq
        );
        rep.push(Finding::new(FindingKind::Corrupt, &url, None, m));
    }
    Ok(rep)
}
