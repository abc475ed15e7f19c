//! The manifest: a small text file naming a log's current segment and its
//! sealed ones, for people and tools. It is replaced atomically (temporary
//! file, fsync, rename, fsync of the directory), and ends with a CRC-32 of
//! everything before it. Recovery does not depend on it: the segment files
//! themselves are the truth, and a stale manifest is rewritten on open.
//!
//! ```text
//! binlog-manifest 1
//! log orders
//! current 42 orders-00000000000000000042-20261121T053000Z.binlog
//! sealed 41 orders-00000000000000000041-20261121T052900Z.binlog 1000 500 65536
//! crc32 1a2b3c4d
//! ```
//! A sealed line is: segment number, file name, first sequence number,
//! record count, bytes.

use crate::error::{Error, ErrorKind, Result};
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    pub log: String,
    /// (segment number, file name) of the segment being written.
    pub current: Option<(u64, String)>,
    pub sealed: Vec<SealedEntry>,
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
        let crc = crate::format::crc32(s.as_bytes());
        s + &format!("crc32 {crc:08x}\n")
    }

    pub fn decode(text: &str, path: &Path) -> Result<Manifest> {
        let bad = |what: &str| Error::file(ErrorKind::Corrupt, path, format!("manifest: {what}"));
        let body_end = text
            .rfind("crc32 ")
            .ok_or_else(|| bad("no checksum line"))?;
        let (body, crc_line) = text.split_at(body_end);
        // The checksum line starts a line of its own, and lines are split on
        // '\n' only: `lines()` also strips one '\r' before a '\n', so a field
        // ending in '\r' (last in the body, or before "\r\n") decoded to a
        // manifest that `encode` then wrote back differently (found by
        // fuzz/fuzz_targets/manifest.rs; reproducer in
        // fuzz/regressions/manifest/).
        if !body.is_empty() && !body.ends_with('\n') {
            return Err(bad("checksum line does not start a line"));
        }
        let stored = u32::from_str_radix(crc_line.trim_start_matches("crc32 ").trim_end(), 16)
            .map_err(|_| bad("malformed checksum"))?;
        if crate::format::crc32(body.as_bytes()) != stored {
            return Err(bad("checksum mismatch"));
        }
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
                _ => return Err(bad(&format!("bad line {line:?}"))),
            }
        }
        Ok(m)
    }

    /// Replaces `path` atomically with this manifest: readers see the old
    /// one or the new one, whole. Not forced to disk: the segment files are
    /// the truth, and a manifest that power loss left stale or damaged (its
    /// CRC then fails) is rewritten when the log is next opened. Forcing it
    /// cost two of the five fsyncs of each roll of a durable log.
    pub fn store(&self, path: &Path) -> Result<()> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = Path::new(&tmp);
        File::create(tmp)
            .and_then(|mut f| f.write_all(self.encode().as_bytes()))
            .map_err(|e| Error::io(tmp, "write manifest", e))?;
        fs::rename(tmp, path).map_err(|e| Error::io(path, "replace manifest", e))
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
        };
        let text = m.encode();
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
