//! What each shipped segment object says of itself in its S3 user metadata
//! (`x-amz-meta-binlog-*`), so that a HEAD tells whether an object is the
//! copy of a local segment and a reader knows what an object holds before
//! reading it.
//!
//! The hash is SHA-256 of the object's bytes: a strong hash, so that "same
//! size and hash" means "same bytes" even against bytes someone chose, and
//! the one S3 checks (`x-amz-checksum-sha256`). `binlog-segment-sha256`
//! is the hash of the segment's plain bytes: the same for a plain object,
//! `none` for a compressed one (or, in older objects, the hash of what it
//! decompresses to). A segment compressed or decompressed locally after
//! it was shipped is recognised by its plain bytes' hash (startup.rs).

use super::digest::Digest;
use crate::error::{Error, ErrorKind, Result};
use object_store::{Attribute, Attributes};
use std::path::Path;

/// The metadata of one segment object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectMetadata {
    /// The log's name.
    pub log: String,
    /// The segment's number in its log.
    pub segment_no: u64,
    /// The sequence number of the segment's first record (the one it starts at).
    pub first_seq: u64,
    /// The last record's sequence number; `None` for a segment without
    /// records.
    pub last_seq: Option<u64>,
    /// The records the segment holds.
    pub records: u64,
    /// The object's size in bytes.
    pub bytes: u64,
    /// SHA-256 of the object's bytes, lowercase hex.
    pub sha256: String,
    /// SHA-256 of the segment's plain bytes, lowercase hex; `None` for a
    /// compressed object (written as `none`).
    pub segment_sha256: Option<String>,
}

const FIELDS: [&str; 8] = [
    "binlog-log",
    "binlog-segment-no",
    "binlog-first-seq",
    "binlog-last-seq",
    "binlog-records",
    "binlog-bytes",
    "binlog-sha256",
    "binlog-segment-sha256",
];

impl ObjectMetadata {
    /// The sequence number its records end before (`first_seq` plus
    /// `records`): a reader of the object expects records up to there.
    pub(crate) fn records_end(&self) -> u64 {
        self.first_seq.saturating_add(self.records)
    }

    /// As the headers of a request we sign ourselves (signed.rs): each
    /// field of `FIELDS` after `x-amz-meta-`, with its value.
    #[doc(hidden)]
    pub fn to_headers(&self) -> Vec<(String, String)> {
        let last = self.last_seq.map_or("none".into(), |s| s.to_string());
        let values = [
            self.log.clone(),
            self.segment_no.to_string(),
            self.first_seq.to_string(),
            last,
            self.records.to_string(),
            self.bytes.to_string(),
            self.sha256.clone(),
            self.segment_sha256.clone().unwrap_or_else(|| "none".into()),
        ];
        let header = |(key, value)| (format!("x-amz-meta-{key}"), value);
        FIELDS.into_iter().zip(values).map(header).collect()
    }

    /// From the attributes a GET or HEAD returned; `None` if one is
    /// missing or malformed (an object this shipper did not write).
    #[doc(hidden)]
    pub fn from_attributes(a: &Attributes) -> Option<ObjectMetadata> {
        let field = |i: usize| {
            a.get(&Attribute::Metadata(FIELDS[i].into()))
                .map(|v| v.as_ref().to_string())
        };
        let num = |i: usize| field(i)?.parse::<u64>().ok();
        let last_seq = match field(3)?.as_str() {
            "none" => None,
            s => Some(s.parse().ok()?),
        };
        let segment_sha256 = field(7).filter(|h| h != "none");
        Some(ObjectMetadata {
            log: field(0)?,
            segment_no: num(1)?,
            first_seq: num(2)?,
            last_seq,
            records: num(4)?,
            bytes: num(5)?,
            sha256: field(6)?,
            segment_sha256,
        })
    }
}

/// Refuses the object at `url`, `size` bytes long, if its metadata says
/// another size: bytes were lost (an object cut short) or added, and what
/// it holds is not the segment that was shipped. A `Corrupt` error naming
/// the object and the offset where its bytes and its metadata part (the
/// smaller size); never read as a segment ending in a torn tail
/// (docs/FORMAT.md section 18.2). An object without metadata (not written
/// by `binlog ship`) is read for what it holds.
pub fn check_size(url: &Path, size: u64, meta: Option<&ObjectMetadata>) -> Result<()> {
    let said = match meta {
        Some(m) if m.bytes != size => m.bytes,
        _ => return Ok(()),
    };
    let how = if size < said { "cut short" } else { "grown" };
    let what = format!(
        "the object is {size} bytes, its metadata (binlog-bytes) says {said}: {how}, it is not \
         the segment that was shipped"
    );
    Err(Error::at(ErrorKind::Corrupt, url, size.min(said), what))
}

/// Refuses an object's bytes whose size (`check_size`, at the offset
/// where they differ) or SHA-256 is not what its metadata says: a
/// `Corrupt` error naming the object. A fetch and a verify of shipped
/// objects both check with it.
pub(crate) fn check_digest(url: &Path, got: &Digest, meta: &ObjectMetadata) -> Result<()> {
    check_size(url, got.bytes, Some(meta))?;
    if got.sha256 != meta.sha256 {
        let what = format!(
            "its bytes' SHA-256 is {}, its metadata (binlog-sha256) says {}: not the segment that \
             was shipped",
            got.sha256, meta.sha256
        );
        return Err(Error::file(ErrorKind::Corrupt, url, what));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The attributes a HEAD of an object created with `headers` returns:
    /// each `x-amz-meta-` header as user metadata, named without the prefix.
    fn as_a_head_returns(headers: Vec<(String, String)>) -> Attributes {
        let mut a = Attributes::new();
        for (name, value) in headers {
            let key = name.strip_prefix("x-amz-meta-").expect("user metadata");
            a.insert(Attribute::Metadata(key.to_string().into()), value.into());
        }
        a
    }

    #[test]
    fn metadata_round_trips_through_headers_and_attributes() {
        let mut m = ObjectMetadata {
            log: "orders".into(),
            segment_no: 7,
            first_seq: 100,
            last_seq: Some(149),
            records: 50,
            bytes: 4096,
            sha256: "ab".repeat(32),
            segment_sha256: Some("cd".repeat(32)),
        };
        assert_eq!(
            ObjectMetadata::from_attributes(&as_a_head_returns(m.to_headers())),
            Some(m.clone())
        );
        m.last_seq = None;
        m.records = 0;
        assert_eq!(
            ObjectMetadata::from_attributes(&as_a_head_returns(m.to_headers())),
            Some(m.clone())
        );
        m.segment_sha256 = None;
        let compressed = as_a_head_returns(m.to_headers());
        let none = Attribute::Metadata("binlog-segment-sha256".into());
        assert_eq!(compressed.get(&none).map(|v| v.as_ref()), Some("none"));
        assert_eq!(
            ObjectMetadata::from_attributes(&compressed),
            Some(m.clone())
        );
        let mut partial = as_a_head_returns(m.to_headers());
        partial.insert(Attribute::Metadata("binlog-records".into()), "x".into());
        assert_eq!(ObjectMetadata::from_attributes(&partial), None);
        let headers = m.to_headers();
        assert_eq!(headers.len(), FIELDS.len());
        assert!(headers.contains(&("x-amz-meta-binlog-segment-no".into(), "7".into())));
        assert!(headers.contains(&("x-amz-meta-binlog-segment-sha256".into(), "none".into())));
    }
}
