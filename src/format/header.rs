//! The segment header: magic, version, and the fields that describe the
//! segment, covered by a CRC-32. Records start right after it.
//!
//! ```text
//! 0   magic [8]
//! 8   major u16, minor u16
//! 12  header_len u32      total header bytes, magic to CRC inclusive
//! 16  created_ns i64, segment_no u64, first_seq u64, flags u32 (0)
//! 44  log_name, content_type, writer: u16 length + UTF-8 each
//!     param_count u16, then (key, value) as u16 length + UTF-8 each
//!     1.1: the type schema table (`schema.rs`), written only when a type
//!     has a schema (a header without one is written as 1.0)
//!     [fields added by later minor versions; older readers skip them]
//! -4  crc32 u32 over every byte before it
//! ```

use super::cursor::Cursor;
use super::schema::{self, TypeSchema};
use super::{FORMAT_MAJOR, FORMAT_MINOR, MAGIC, MAX_HEADER_LEN};
use crate::error::{Error, ErrorKind, Result};
use std::path::Path;

/// Where the header's `first_seq` field is (see the layout above).
pub const FIRST_SEQ_OFFSET: u64 = 32;

/// The header flag of a signed segment (format 1.2).
pub const FLAG_SIGNED: u32 = 1;

/// Bytes before the variable part of the header.
pub const FIXED_LEN: usize = 44;

/// The decoded segment header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SegmentHeader {
    /// The format's major version (a reader refuses another).
    pub major: u16,
    /// The format's minor version (a reader reads a newer one).
    pub minor: u16,
    /// Nanoseconds since the Unix epoch (UTC) when the segment was created.
    pub created_ns: i64,
    /// Position of this segment in its log (0 for a standalone segment).
    pub segment_no: u64,
    /// Sequence number of the segment's first record.
    pub first_seq: u64,
    /// The log's name (`Options::log_name`).
    pub log_name: String,
    /// What the payloads hold (`Options::content_type`).
    pub content_type: String,
    /// Library and version that created the segment, e.g. `libbinlog/0.1.0`.
    pub writer: String,
    /// Free-form string parameters (`Options::params`).
    pub params: Vec<(String, String)>,
    /// The schemas of the log's types (`Options::schemas`); from format
    /// 1.1 on, empty in a 1.0 header.
    pub schemas: Vec<TypeSchema>,
    /// Whether its writer signs its seal (format 1.2: bit 0 of the
    /// header's flags; `Options::signing`).
    pub signed: bool,
}

impl SegmentHeader {
    /// A placeholder header numbered from `first_seq`, its other fields
    /// unknown (a damaged segment's, or one not read yet).
    pub(crate) fn placeholder(first_seq: u64) -> SegmentHeader {
        SegmentHeader {
            major: super::FORMAT_MAJOR,
            first_seq,
            ..SegmentHeader::default()
        }
    }

    /// The minor an encoded header gets: the lowest that says what its
    /// segment holds (1.2 signed, 1.1 with schemas, else 1.0).
    pub(crate) fn written_minor(&self) -> u16 {
        match (self.signed, self.schemas.is_empty()) {
            (true, _) => FORMAT_MINOR,
            (false, true) => 0,
            (false, false) => super::FORMAT_MINOR_SCHEMAS,
        }
    }

    /// The schema of type `type_name`, if the header has one.
    pub fn type_schema(&self, type_name: &str) -> Option<&TypeSchema> {
        self.schemas.iter().find(|s| s.type_name == type_name)
    }

    /// Encodes the header (checked lengths: every string at most 65535 bytes,
    /// at most 65535 parameters).
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_MAJOR.to_le_bytes());
        let minor = self.written_minor();
        out.extend_from_slice(&minor.to_le_bytes());
        out.extend_from_slice(&[0; 4]); // header_len, patched below
        out.extend_from_slice(&self.created_ns.to_le_bytes());
        out.extend_from_slice(&self.segment_no.to_le_bytes());
        out.extend_from_slice(&self.first_seq.to_le_bytes());
        out.extend_from_slice(&u32::from(self.signed).to_le_bytes()); // flags
        put_short(&mut out, "log name", &self.log_name)?;
        put_short(&mut out, "content type", &self.content_type)?;
        put_short(&mut out, "writer", &self.writer)?;
        let n = u16::try_from(self.params.len())
            .map_err(|_| Error::invalid("at most 65535 header parameters"))?;
        out.extend_from_slice(&n.to_le_bytes());
        for (k, v) in &self.params {
            put_short(&mut out, "parameter key", k)?;
            put_short(&mut out, "parameter value", v)?;
        }
        if minor > 0 {
            schema::encode(&mut out, &self.schemas)?;
        }
        let total = out.len() + 4;
        if total > MAX_HEADER_LEN as usize {
            let what = format!("segment header of {total} bytes exceeds {MAX_HEADER_LEN}");
            let Some(s) = self.schemas.iter().max_by_key(|s| s.schema.len()) else {
                return Err(Error::new(ErrorKind::InvalidArgument, what));
            };
            let (name, n) = (&s.type_name, s.schema.len());
            let what = match self.schemas.len() {
                1 => format!("schema of type {name:?} ({n} bytes): {what}"),
                k => format!("schema of type {name:?} ({n} bytes, the largest of {k}): {what}"),
            };
            return Err(Error::new(ErrorKind::SchemaTooLarge, what));
        }
        out[12..16].copy_from_slice(&(total as u32).to_le_bytes());
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        Ok(out)
    }

    /// Decodes the header at the start of `buf` (the mapped file): the header
    /// and its length. `path` only names the file in errors.
    pub fn decode(buf: &[u8], path: &Path) -> Result<(SegmentHeader, usize)> {
        check_magic(buf, path)?;
        let (major, minor, len) = decode_prefix(buf, path)?;
        let stored = super::u32_at(buf, len - 4);
        let actual = crc32fast::hash(&buf[..len - 4]);
        if stored != actual {
            let what = format!("header CRC mismatch (stored {stored:08x}, computed {actual:08x})");
            return Err(corrupt(path, (len - 4) as u64, what));
        }
        let mut header = decode_fields(&buf[16..len - 4], minor, path)?;
        (header.major, header.minor) = (major, minor);
        Ok((header, len))
    }
}

/// The header length a segment's first bytes state (the u32 at offset
/// 12), unchecked; `None` if `prefix` is too short to hold it.
pub fn stated_len(prefix: &[u8]) -> Option<usize> {
    prefix.get(12..16).map(|b| super::u32_at(b, 0) as usize)
}

/// Fails unless `buf` starts with the magic number: `Truncated` if it is
/// a prefix of it (a file cut while its header was written), else
/// `NotABinlog`.
fn check_magic(buf: &[u8], path: &Path) -> Result<()> {
    if buf.starts_with(&MAGIC) {
        return Ok(());
    }
    // An empty `buf` is a prefix of the magic too.
    if MAGIC.starts_with(buf) {
        return Err(truncated(buf, path));
    }
    let what = "not a libbinlog segment (magic number missing)";
    Err(Error::at(ErrorKind::NotABinlog, path, 0, what))
}

/// The file ends inside its header.
fn truncated(buf: &[u8], path: &Path) -> Error {
    let what = "file ends inside the segment header";
    Error::at(ErrorKind::Truncated, path, buf.len() as u64, what)
}

/// The version and the header's length, from the fixed fields after the
/// magic, checked: another major version, an implausible length, and a
/// file shorter than its header (cut while written, or a damaged length
/// if records follow) are errors.
fn decode_prefix(buf: &[u8], path: &Path) -> Result<(u16, u16, usize)> {
    let mut c = Cursor::new(&buf[8..]);
    let major = c.u16().ok_or_else(|| truncated(buf, path))?;
    let minor = c.u16().ok_or_else(|| truncated(buf, path))?;
    if major != FORMAT_MAJOR {
        // The major version is the u16 at offset 8.
        let what = format!(
            "format version {major}.{minor}; this reader reads major version {FORMAT_MAJOR}"
        );
        return Err(Error::at(ErrorKind::UnsupportedVersion, path, 8, what));
    }
    let header_len = c.u32().ok_or_else(|| truncated(buf, path))?;
    if header_len < (FIXED_LEN + 12) as u32 || header_len > MAX_HEADER_LEN {
        let what = format!("implausible header length {header_len}");
        return Err(corrupt(path, 12, what));
    }
    let len = header_len as usize;
    if buf.len() >= len {
        return Ok((major, minor, len));
    }
    // A file cut inside its header holds no records; if a valid record
    // frame follows (carrying the header's first sequence number, at
    // offset 32), the length field itself is damaged.
    let first = buf.get(32..40).map(|b| super::u64_at(b, 0));
    let follows =
        first.is_some_and(|f| super::frame::find_next_record_after(buf, FIXED_LEN, f).is_some());
    if follows {
        let what = format!("header length {header_len} exceeds the file, yet records follow");
        return Err(corrupt(path, 12, what));
    }
    Err(truncated(buf, path))
}

/// The header's fields after its fixed prefix (`body`: from offset 16 up to
/// the CRC, which was checked), those of minor versions up to `minor`;
/// `major` and `minor` are left 0 for the caller.
fn decode_fields(body: &[u8], minor: u16, path: &Path) -> Result<SegmentHeader> {
    let malformed = |what: &str| corrupt(path, 0, format!("malformed header: {what}"));
    let mut c = Cursor::new(body);
    let mut h = SegmentHeader {
        created_ns: c.i64().ok_or_else(|| malformed("created"))?,
        segment_no: c.u64().ok_or_else(|| malformed("segment number"))?,
        first_seq: c.u64().ok_or_else(|| malformed("first sequence"))?,
        signed: c.u32().ok_or_else(|| malformed("flags"))? & FLAG_SIGNED != 0,
        log_name: c.short_string().ok_or_else(|| malformed("log name"))?,
        content_type: c.short_string().ok_or_else(|| malformed("content type"))?,
        writer: c.short_string().ok_or_else(|| malformed("writer"))?,
        ..SegmentHeader::default()
    };
    // Bit 0 of the flags from 1.2 on; other bits, and bit 0 before, mean
    // nothing.
    h.signed &= minor >= FORMAT_MINOR;
    let n = c.u16().ok_or_else(|| malformed("parameter count"))?;
    h.params.reserve((n as usize).min(c.remaining() / 4));
    let mut string = |what| c.short_string().ok_or_else(|| malformed(what));
    for _ in 0..n {
        let param = (string("parameter key")?, string("parameter value")?);
        h.params.push(param);
    }
    // A table that does not parse (from a writer that broke the rule of
    // section 4) costs the segment its schemas, never its records.
    if minor > 0 {
        h.schemas = schema::decode(&mut c).unwrap_or_default();
    }
    Ok(h)
}

/// A `CorruptHeader` error at `offset` of the file at `path`.
fn corrupt(path: &Path, offset: u64, what: String) -> Error {
    Error::at(ErrorKind::CorruptHeader, path, offset, what)
}

fn put_short(out: &mut Vec<u8>, what: &str, s: &str) -> Result<()> {
    let n = u16::try_from(s.len())
        .map_err(|_| Error::invalid(format!("{what} longer than 65535 bytes")))?;
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SegmentHeader {
        SegmentHeader {
            major: FORMAT_MAJOR,
            minor: 0,
            created_ns: 1_700_000_000_000_000_000,
            segment_no: 7,
            first_seq: 1000,
            log_name: "orders".into(),
            content_type: "application/x-protobuf".into(),
            writer: "libbinlog/test".into(),
            params: vec![
                ("host".into(), "h1".into()),
                ("ключ".into(), "значение".into()),
            ],
            schemas: Vec::new(),
            signed: false,
        }
    }

    #[test]
    fn a_header_with_schemas_is_1_1_and_round_trips_one_without_stays_1_0() {
        let mut h = sample();
        assert_eq!(u16::from_le_bytes([h.encode().unwrap()[10], 0]), 0);
        h.schemas = vec![TypeSchema::self_describing("events", "json")];
        h.minor = 1;
        let bytes = h.encode().unwrap();
        assert_eq!(bytes[10], 1);
        let (back, _) = SegmentHeader::decode(&bytes, Path::new("t")).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.type_schema("events").unwrap().encoding, "json");
        assert!(back.type_schema("other").is_none());
    }

    #[test]
    fn schemas_beyond_the_header_limit_are_schema_too_large_naming_the_largest() {
        let mut h = sample();
        let mut big = TypeSchema::self_describing("t", "json");
        big.schema_encoding = "jsonschema".into();
        big.schema = vec![b' '; MAX_HEADER_LEN as usize];
        h.schemas = vec![TypeSchema::self_describing("small", "json"), big];
        let e = h.encode().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::SchemaTooLarge);
        let says = format!("schema of type \"t\" ({MAX_HEADER_LEN} bytes, the largest of 2)");
        assert!(e.message().starts_with(&says), "{e}");
        assert!(
            e.message().contains(&format!("exceeds {MAX_HEADER_LEN}")),
            "{e}"
        );
    }

    #[test]
    fn round_trip() {
        let h = sample();
        let bytes = h.encode().unwrap();
        let (back, len) = SegmentHeader::decode(&bytes, Path::new("t")).unwrap();
        assert_eq!(back, h);
        assert_eq!(len, bytes.len());
    }

    #[test]
    fn every_flipped_bit_is_detected() {
        let bytes = sample().encode().unwrap();
        for bit in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            b[bit / 8] ^= 1 << (bit % 8);
            assert!(
                SegmentHeader::decode(&b, Path::new("t")).is_err(),
                "flip of bit {bit} went unnoticed"
            );
        }
    }

    #[test]
    fn other_major_is_its_own_error_and_minor_is_accepted() {
        let mut b = sample().encode().unwrap();
        b[8] = 2;
        let e = SegmentHeader::decode(&b, Path::new("t")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnsupportedVersion);

        // A later minor version with an extra field before the CRC still
        // reads (bytes that are no schema table: no schemas).
        let mut b = sample().encode().unwrap();
        let len = b.len();
        b.truncate(len - 4);
        b[10] = 9;
        b.extend_from_slice(b"future");
        let total = (b.len() + 4) as u32;
        b[12..16].copy_from_slice(&total.to_le_bytes());
        let crc = crc32fast::hash(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        let (h, _) = SegmentHeader::decode(&b, Path::new("t")).unwrap();
        assert_eq!(h.minor, 9);
        assert_eq!(h.log_name, "orders");
        assert!(h.schemas.is_empty());
    }

    #[test]
    fn foreign_and_truncated_files() {
        let e = SegmentHeader::decode(b"hello world, not a log", Path::new("t")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotABinlog);
        let b = sample().encode().unwrap();
        for cut in 0..b.len() {
            let e = SegmentHeader::decode(&b[..cut], Path::new("t")).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Truncated, "cut at {cut}");
        }
    }
}
