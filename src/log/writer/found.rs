//! Segment files as the log finds them on disk: sealed or not, empty, of
//! this log.

use super::Sealed;
#[cfg(feature = "compression")]
use crate::compressed::CompressedSegment;
use crate::error::{Error, ErrorKind, Result};
use crate::format::naming;
use crate::log::{manifest::SealedEntry, segments};
use crate::reader::{Reader, Tail};
pub(super) use crate::writer::salvage::file_name;
use std::path::Path;
use std::time::Duration;

/// The segment at `path` as sealed, with when it was sealed (its
/// modification time); `None` if it is not sealed. A segment whose
/// seal trailer was written whole is sealed even if the rest of its seal
/// cannot be trusted. A segment of another log is refused.
pub(super) fn summarize(path: &Path, segment_no: u64, name: &str) -> Result<Option<Sealed>> {
    if segments::plain_path(path) != path {
        return summarize_compressed(path, segment_no, name).map(Some);
    }
    let mut r = match Reader::open(path) {
        Err(e) if e.kind() == ErrorKind::Truncated => return Ok(None),
        opened => opened?,
    };
    segments::check_log_name(path, r.header(), name)?;
    let record_count = match r.seal() {
        Some(d) => d.record_count,
        None if r.has_seal_trailer() => {
            // Records lost to damage count as far as its directory credibly
            // says (docs/FORMAT.md section 10.3): no number is given twice.
            r.skip_damaged(true);
            while r.next()?.is_some() {}
            r.next_seq() - r.header().first_seq
        }
        None => return Ok(None),
    };
    let first_seq = r.header().first_seq;
    sealed_file(path, segment_no, first_seq, record_count).map(Some)
}

/// `summarize` of a compressed segment (always sealed); `bytes` is what it
/// takes on disk.
fn summarize_compressed(path: &Path, segment_no: u64, name: &str) -> Result<Sealed> {
    #[cfg(feature = "compression")]
    {
        let c = CompressedSegment::open(path)?;
        segments::check_log_name(path, c.header(), name)?;
        let (first_seq, record_count) = (c.header().first_seq, c.seal().record_count);
        sealed_file(path, segment_no, first_seq, record_count)
    }
    #[cfg(not(feature = "compression"))]
    {
        let _ = (segment_no, name);
        let why = "a compressed segment, and this build of libbinlog has no compression \
                   (cargo feature `compression`)";
        Err(Error::invalid(why).in_file(path))
    }
}

/// The sealed segment file at `path`, sealed at its modification time.
fn sealed_file(path: &Path, segment_no: u64, first_seq: u64, record_count: u64) -> Result<Sealed> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, "stat", e))?;
    let sealed_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64);
    let entry = SealedEntry {
        segment_no,
        file: file_name(path),
        first_seq,
        record_count,
        bytes: meta.len(),
    };
    Ok(Sealed {
        entry,
        path: path.to_path_buf(),
        sealed_ns,
    })
}

/// The first sequence number in the header of the segment at `path` if it
/// holds nothing else: no records, no seal, no other bytes.
pub(super) fn empty_segment_first_seq(path: &Path) -> Result<Option<u64>> {
    let mut r = match Reader::open(path) {
        Err(e) if e.kind() == ErrorKind::Truncated => return Ok(None),
        opened => opened?,
    };
    // Damage is not emptiness: the segment's recovery backs it up.
    let no_record = match r.next() {
        Err(e) if e.kind() == ErrorKind::Corrupt => false,
        next => next?.is_none(),
    };
    let empty = r.seal().is_none() && no_record && r.tail() == Tail::Unsealed;
    Ok(empty.then(|| r.header().first_seq))
}

/// Removes a segment file that holds no records, durably, holding its
/// lock: one a writer has open is refused with `Locked`.
pub(super) fn remove_segment_file(path: &Path) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, "open", e))?;
    let why = "another writer has this empty segment open";
    crate::sys::lock_exclusive(&file, path, Duration::ZERO, "lock", why)?;
    std::fs::remove_file(path)
        .map_err(|e| Error::io(path, "remove empty segment left by a failed roll", e))?;
    crate::sys::sync_parent(path)
}

/// Above every sequence number that log `name`'s files in `dir` hold
/// beside its segments' records: the records of its salvaged files, and
/// every valid record frame in the backups of bytes a recovery cut
/// (`naming::backup_path`). A recovery makes those files durable before it
/// cuts, so that a log opened after a crash or power cut at any step of it
/// numbers above them: no number is given to two records (docs/FORMAT.md
/// section 12). 0 if there are none.
pub(super) fn numbers_held_aside(dir: &Path, name: &str) -> Result<u64> {
    let mut past = 0;
    for (file_name, entry) in segments::dir_entries(dir, "list log directory")? {
        let path = entry.path();
        let salvaged = naming::parse_log_file_name(name, &file_name)
            .filter(|o| o.salvaged.is_some())
            .map(|o| summarize(&path, o.segment_no, name));
        let held = match salvaged {
            // One whose seal does not say (not one the library made
            // whole) holds what its bytes hold, as a backup does.
            Some(Ok(Some(s))) => Some(s.entry.first_seq + s.entry.record_count),
            Some(_) => numbers_in_bytes(&path)?,
            None if naming::backed_up_file(&file_name)
                .is_some_and(|f| naming::parse_log_file_name(name, f).is_some()) =>
            {
                numbers_in_bytes(&path)?
            }
            None => None,
        };
        past = past.max(held.unwrap_or(0));
    }
    Ok(past)
}

/// Above the highest sequence number a valid record frame anywhere in the
/// file at `path` carries (`frame::highest_record_seq`), if any.
fn numbers_in_bytes(path: &Path) -> Result<Option<u64>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "read", e))?;
    Ok(crate::format::frame::highest_record_seq(&bytes).map(|h| h.saturating_add(1)))
}

/// The first sequence number in the header of segment `path` (plain or
/// compressed), if readable.
pub(super) fn header_first_seq(path: &Path) -> Option<u64> {
    Reader::open(path).ok().map(|r| r.header().first_seq)
}
