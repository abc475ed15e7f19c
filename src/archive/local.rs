//! A log's sealed files as the shipper sees them: which files may be
//! shipped (sealed, never the active or ending one: its segments, and the
//! files salvaged from them, each right after its segment), with what
//! their seals say, and their bytes' digests.

use super::digest::{self, Digest};
use super::metadata::ObjectMetadata;
use crate::error::{Error, Result};
use crate::format::naming::ReadOrder;
use crate::log::{list_segments, ListedSegment, SegmentState};
use std::path::{Path, PathBuf};

/// A sealed file of the log: a segment, plain or compressed, or a file
/// salvaged from one (always plain).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedSegment {
    pub path: PathBuf,
    /// The segment's number (a salvaged file's is its segment's).
    pub segment_no: u64,
    /// For a salvaged file: the offset and copy number its name carries.
    pub salvaged: Option<(u64, u64)>,
    pub first_seq: u64,
    pub last_seq: Option<u64>,
    pub compressed: bool,
}

impl SealedSegment {
    /// Its place in the log's read order: the journal's and the bucket's
    /// key for it.
    pub fn order(&self) -> ReadOrder {
        ReadOrder::new(self.segment_no, self.salvaged)
    }
}

/// What the log's directory holds for the shipper: its sealed files in
/// read order, up to the first that is not sealed (the active one, one
/// being sealed, or one that cannot be read, which `blocked_by` names:
/// nothing after it is shipped before it).
#[derive(Default)]
pub struct LocalLog {
    pub sealed: Vec<SealedSegment>,
    pub blocked_by: Option<ListedSegment>,
    /// The place of every local file (sealed or not).
    pub all: Vec<ReadOrder>,
}

pub fn scan(dir: &Path, log: &str) -> Result<LocalLog> {
    let listed = list_segments(dir, log)?;
    let mut out = LocalLog::default();
    for l in listed {
        let salvaged = l.salvaged_order();
        out.all.push(ReadOrder::new(l.segment_no, salvaged));
        if out.blocked_by.is_some() {
            continue;
        }
        match (l.state, l.first_seq) {
            (SegmentState::Sealed, Some(first_seq)) => out.sealed.push(SealedSegment {
                compressed: l.is_compressed(),
                path: l.path,
                segment_no: l.segment_no,
                salvaged,
                first_seq,
                last_seq: l.last_seq,
            }),
            _ => out.blocked_by = Some(l),
        }
    }
    Ok(out)
}

/// Makes segment `s` durable where it is: its bytes (fdatasync) and its
/// name (an fsync of its directory). Done before the shipper journals and
/// uploads it: a log under durability `None` syncs nothing, and power
/// loss would otherwise take back from the log a segment, or its last
/// records, that the bucket and the journal hold, whose numbers the log
/// would then give again. A segment synced already costs two cheap calls.
pub fn make_durable(s: &SealedSegment) -> Result<()> {
    let f = std::fs::File::open(&s.path).map_err(|e| Error::io(&s.path, "open", e))?;
    crate::sys::sync_data(&f).map_err(|e| Error::io(&s.path, "fdatasync", e))?;
    crate::sys::sync_parent(&s.path)
}

/// The record count a sealed segment's seal states.
pub fn record_count(s: &SealedSegment) -> Result<u64> {
    if s.compressed {
        let c = crate::compressed::CompressedSegment::open(&s.path)?;
        return Ok(c.seal().record_count);
    }
    let r = crate::reader::Reader::open(&s.path)?;
    r.seal()
        .map(|d| d.record_count)
        .ok_or_else(|| Error::file(crate::ErrorKind::CorruptSeal, &s.path, "no usable seal"))
}

/// A segment's metadata as shipped, its file read to hash it. Only the
/// file's bytes are hashed: a compressed segment is not decompressed (its
/// plain hash is left out, see metadata.rs).
pub fn describe(log: &str, s: &SealedSegment) -> Result<ObjectMetadata> {
    let f = std::fs::File::open(&s.path).map_err(|e| Error::io(&s.path, "open", e))?;
    let object = digest::of_reader(f, &s.path, "read segment")?;
    Ok(metadata(log, s, record_count(s)?, &object))
}

/// A segment's file's bytes, `size` of them as far as the caller knows,
/// and its metadata as shipped (see `describe`), the file read once.
pub fn read_and_describe(
    log: &str,
    s: &SealedSegment,
    size: u64,
) -> Result<(Vec<u8>, ObjectMetadata)> {
    let f = std::fs::File::open(&s.path).map_err(|e| Error::io(&s.path, "open", e))?;
    let (bytes, object) = digest::read_all(f, &s.path, size)?;
    Ok((bytes, metadata(log, s, record_count(s)?, &object)))
}

/// The SHA-256 of the plain segment `s` holds: its file's (as `mine`,
/// its metadata, says), or for a compressed segment that of what it
/// decompresses to.
pub fn plain_sha256(s: &SealedSegment, mine: &ObjectMetadata) -> Result<String> {
    if !s.compressed {
        return Ok(mine.sha256.clone());
    }
    let f = std::fs::File::open(&s.path).map_err(|e| Error::io(&s.path, "open", e))?;
    Ok(digest::of_decompressed(&f, &s.path)?.sha256)
}

/// The metadata of segment `s` of log `log` holding `records` records,
/// its file's bytes `object` (with none read, sizes and hashes zero or
/// empty: for messages about it).
pub fn metadata(log: &str, s: &SealedSegment, records: u64, object: &Digest) -> ObjectMetadata {
    ObjectMetadata {
        log: log.to_string(),
        segment_no: s.segment_no,
        first_seq: s.first_seq,
        last_seq: s.last_seq,
        records,
        bytes: object.bytes,
        sha256: object.sha256.clone(),
        segment_sha256: (!s.compressed).then(|| object.sha256.clone()),
    }
}
