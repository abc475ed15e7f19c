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

use crate::error::{Error, ErrorKind, Result};
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

/// Every segment number below `segment_no` and every sequence number below
/// `seq` may have been given out: a log goes on at this position or later.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    pub segment_no: u64,
    pub seq: u64,
}

impl Position {
    /// The position right after sealed segment `e`.
    pub fn after(e: &SealedEntry) -> Position {
        Position {
            segment_no: e.segment_no.saturating_add(1),
            seq: e.first_seq.saturating_add(e.record_count),
        }
    }

    /// Each number the higher of the two: both are lower bounds.
    pub fn max(self, other: Position) -> Position {
        Position {
            segment_no: self.segment_no.max(other.segment_no),
            seq: self.seq.max(other.seq),
        }
    }
}

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

/// The lines of `text` before its last line, `crc32 <8 hex digits>`, if
/// that is their CRC-32: the check of every small text record of a log
/// (the manifest, the ship journal, the bucket's prune marker). `bad`
/// makes the error of what is wrong.
pub(crate) fn checked_body(text: &str, bad: impl Fn(&str) -> Error) -> Result<&str> {
    let body_end = text
        .rfind("crc32 ")
        .ok_or_else(|| bad("no checksum line"))?;
    let (body, crc_line) = text.split_at(body_end);
    // The checksum line starts a line of its own, and lines are split on
    // '\n' only (`lines()` would strip a '\r' ending a field, and `encode`
    // then write it back differently).
    if !body.ends_with('\n') {
        return Err(bad("checksum line does not start a line"));
    }
    let stored = u32::from_str_radix(crc_line.trim_start_matches("crc32 ").trim_end(), 16)
        .map_err(|_| bad("malformed checksum"))?;
    if crate::format::crc32(body.as_bytes()) != stored {
        return Err(bad("checksum mismatch"));
    }
    Ok(body)
}

impl Manifest {
    pub fn encode(&self) -> String {
        let mut s = format!("binlog-manifest 1\nlog {}\n", self.log);
        if let Some((n, f)) = &self.current {
            s += &format!("current {n} {f}\n");
        }
        for e in &self.sealed {
            s += &format!(
                "sealed {} {} {} {} {}\n",
                e.segment_no, e.file, e.first_seq, e.record_count, e.bytes
            );
        }
        if let Some(p) = self.next {
            s += &format!("next {} {}\n", p.segment_no, p.seq);
        }
        let crc = crate::format::crc32(s.as_bytes());
        s + &format!("crc32 {crc:08x}\n")
    }

    pub fn decode(text: &str, path: &Path) -> Result<Manifest> {
        let bad = |what: &str| Error::file(ErrorKind::Corrupt, path, format!("manifest: {what}"));
        let body = checked_body(text, bad)?;
        let mut lines = body.split_terminator('\n');
        if lines.next() != Some("binlog-manifest 1") {
            return Err(bad("unknown version line"));
        }
        let mut m = Manifest::default();
        for line in lines {
            let f: Vec<&str> = line.split(' ').collect();
            let num = |i: usize| -> Result<u64> {
                f.get(i)
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| bad(&format!("bad line {line:?}")))
            };
            match f[0] {
                "log" if f.len() == 2 => m.log = f[1].to_string(),
                "current" if f.len() == 3 => m.current = Some((num(1)?, f[2].to_string())),
                "sealed" if f.len() == 6 => m.sealed.push(SealedEntry {
                    segment_no: num(1)?,
                    file: f[2].to_string(),
                    first_seq: num(3)?,
                    record_count: num(4)?,
                    bytes: num(5)?,
                }),
                "next" if f.len() == 3 => {
                    m.next = Some(Position {
                        segment_no: num(1)?,
                        seq: num(2)?,
                    })
                }
                _ => return Err(bad(&format!("bad line {line:?}"))),
            }
        }
        Ok(m)
    }

    /// Replaces `path` atomically with this manifest. Not forced to disk:
    /// while a log's writer runs, its newest segment file (created
    /// durably) holds the position, and a manifest that power loss left
    /// stale or damaged is rewritten when the log is next opened.
    pub fn store(&self, path: &Path) -> Result<()> {
        self.store_as(path, ".tmp", false)
    }

    /// Replaces `path` with this manifest durably, through the temporary
    /// file `path` + `tmp_suffix`: so that the position it records
    /// outlives a segment removed next, even through power loss.
    pub fn store_durably(&self, path: &Path, tmp_suffix: &str) -> Result<()> {
        self.store_as(path, tmp_suffix, true)
    }

    fn store_as(&self, path: &Path, tmp_suffix: &str, durably: bool) -> Result<()> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(tmp_suffix);
        let tmp = Path::new(&tmp);
        File::create(tmp)
            .and_then(|mut f| {
                f.write_all(self.encode().as_bytes())?;
                if durably {
                    f.sync_all()?;
                }
                Ok(())
            })
            .map_err(|e| Error::io(tmp, "write manifest", e))?;
        fs::rename(tmp, path).map_err(|e| Error::io(path, "replace manifest", e))?;
        if durably {
            let dir = crate::sys::parent_dir(path);
            crate::sys::sync_dir(dir).map_err(|e| Error::io(dir, "fsync directory", e))?;
        }
        Ok(())
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
            next: Some(Position {
                segment_no: 3,
                seq: 15,
            }),
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
