//! The manifest: a small text file naming a log's current segment and its
//! sealed ones, for people and tools, and the log's position (`next`; see
//! `log::position`). It is replaced atomically, and ends with a CRC-32 of
//! everything before it. The segment files are the truth about the
//! records; the manifest is the record of the position when segments were
//! removed (docs/FORMAT.md section 14a).
//!
//! ```text
//! binlog-manifest 1
//! log orders
//! current 42 orders-00000000000000000042-20261121T053000Z.binlog
//! sealed 41 orders-00000000000000000041-20261121T052900Z.binlog 1000 500 65536
//! next 42 1500
//! crc32 1a2b3c4d
//! ```
//! A sealed line is: segment number, file name, first sequence number,
//! record count, bytes. `next` is: segment number, sequence number.

use super::lines::{Format, Line};
use crate::error::{Error, Result};
use std::fs;
use std::path::Path;

/// Every segment number below `segment_no` and every sequence number below
/// `seq` may have been given out: a log goes on at this position or later.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    pub segment_no: u64,
    pub seq: u64,
}

impl Position {
    /// Segment `segment_no`, sequence number `seq`.
    pub fn new(segment_no: u64, seq: u64) -> Position {
        Position { segment_no, seq }
    }

    /// The position right after sealed segment `e`.
    pub fn after(e: &SealedEntry) -> Position {
        Position::new(
            e.segment_no.saturating_add(1),
            e.first_seq.saturating_add(e.record_count),
        )
    }

    /// Each number the higher of the two: both are lower bounds.
    pub fn max(self, other: Position) -> Position {
        Position::new(
            self.segment_no.max(other.segment_no),
            self.seq.max(other.seq),
        )
    }

    /// The position a `next S Q` line records.
    pub(crate) fn from_line(l: &Line) -> Result<Position> {
        Ok(Position::new(l.num(0)?, l.num(1)?))
    }
}

const FORMAT: Format = Format {
    name: "manifest",
    version: "binlog-manifest 1",
    checked: true,
};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub log: String,
    /// (segment number, file name) of the segment being written.
    pub current: Option<(u64, String)>,
    pub sealed: Vec<SealedEntry>,
    /// The position the log goes on at, no lower (the `next` line).
    pub next: Option<Position>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedEntry {
    pub segment_no: u64,
    pub file: String,
    pub first_seq: u64,
    pub record_count: u64,
    pub bytes: u64,
}

impl Manifest {
    pub fn encode(&self) -> String {
        let mut s = format!("log {}\n", self.log);
        if let Some((n, f)) = &self.current {
            s += &format!("current {n} {f}\n");
        }
        for e in &self.sealed {
            let (no, first, count) = (e.segment_no, e.first_seq, e.record_count);
            s += &format!("sealed {no} {} {first} {count} {}\n", e.file, e.bytes);
        }
        if let Some(p) = self.next {
            s += &format!("next {} {}\n", p.segment_no, p.seq);
        }
        FORMAT.render(&s)
    }

    pub fn decode(text: &str, path: &Path) -> Result<Manifest> {
        let mut m = Manifest::default();
        for l in FORMAT.parse(text, path)? {
            match (l.key, l.fields.len()) {
                ("log", 1) => m.log = l.fields[0].to_string(),
                ("current", 2) => m.current = Some((l.num(0)?, l.fields[1].to_string())),
                ("sealed", 5) => m.sealed.push(SealedEntry {
                    segment_no: l.num(0)?,
                    file: l.fields[1].to_string(),
                    first_seq: l.num(2)?,
                    record_count: l.num(3)?,
                    bytes: l.num(4)?,
                }),
                ("next", 2) => m.next = Some(Position::from_line(&l)?),
                _ => return Err(l.bad()),
            }
        }
        Ok(m)
    }

    /// Replaces `path` atomically with this manifest, through the temporary
    /// file `path` + `.tmp`. Not forced to disk unless `durable_tmp` names
    /// the temporary's suffix: while a log's writer runs, its newest segment
    /// file (created durably) holds the position, and a manifest that power
    /// loss left stale or damaged is rewritten when the log is next opened;
    /// durably, the position it records outlives a segment removed next,
    /// even through power loss.
    pub fn store(&self, path: &Path, durable_tmp: Option<&str>) -> Result<()> {
        let tmp = durable_tmp.unwrap_or(".tmp");
        super::lines::replace(path, tmp, &self.encode(), durable_tmp.is_some())
    }

    /// Reads and checks the manifest at `path` (a tool's view of a log's
    /// segments; a `Corrupt` error when its CRC fails).
    pub fn load(path: &Path) -> Result<Manifest> {
        let text = fs::read_to_string(path).map_err(|e| Error::io(path, "read manifest", e))?;
        Manifest::decode(&text, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn round_trip_and_damage() {
        let m = Manifest {
            log: "orders".into(),
            current: Some((3, "orders-3.binlog".into())),
            sealed: vec![SealedEntry {
                segment_no: 2,
                file: "orders-2.binlog".into(),
                first_seq: 10,
                record_count: 5,
                bytes: 999,
            }],
            next: Some(Position::new(3, 15)),
        };
        let text = m.encode();
        assert!(text.contains("\nnext 3 15\n"), "{text}");
        assert_eq!(Manifest::decode(&text, Path::new("m")).unwrap(), m);
        let flipped = text.replacen("999", "998", 1);
        assert!(Manifest::decode(&flipped, Path::new("m")).is_err());
        assert!(Manifest::decode(&text[..text.len() - 3], Path::new("m")).is_err());
    }

    /// Decodes `body` with its correct checksum line appended.
    fn decode_body(body: &str) -> Result<Manifest> {
        let crc = crate::format::crc32(body.as_bytes());
        Manifest::decode(&format!("{body}crc32 {crc:08x}\n"), Path::new("m"))
    }

    #[test]
    fn carriage_returns_round_trip() {
        // Regressions from fuzz/regressions/manifest/: a field ending in '\r'
        // decoded to a manifest whose encoding decoded differently.
        for body in [
            "binlog-manifest 1\nlog orders\ncurrent 42 a\r\n",
            "binlog-manifest 1\nlog orders\r\r\n",
            "binlog-manifest 1\nlog x\r\nsealed 1 f\r 2 3 4\n",
        ] {
            let m = decode_body(body).unwrap();
            assert_eq!(Manifest::decode(&m.encode(), Path::new("m")).unwrap(), m);
            assert_eq!(
                m.encode(),
                format!(
                    "{body}crc32 {:08x}\n",
                    crate::format::crc32(body.as_bytes())
                )
            );
        }
        // The checksum inside the last line is not a checksum line.
        let e = decode_body("binlog-manifest 1\nlog a\r").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt);
    }
}
