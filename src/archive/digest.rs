//! The size and SHA-256 of a local segment file, and of the plain segment
//! a compressed one holds (see metadata.rs for why both).

use crate::error::{Error, Result};
use ring::digest::{Context, SHA256};
use std::io::Read;
use std::path::Path;

/// A byte count and its SHA-256, lowercase hex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    pub bytes: u64,
    pub sha256: String,
}

/// A digest computed over bytes given a part at a time.
pub struct Hasher {
    ctx: Context,
    bytes: u64,
}

impl Hasher {
    pub fn new() -> Hasher {
        Hasher {
            ctx: Context::new(&SHA256),
            bytes: 0,
        }
    }

    pub fn update(&mut self, part: &[u8]) {
        self.ctx.update(part);
        self.bytes += part.len() as u64;
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn finish(self) -> Digest {
        Digest {
            bytes: self.bytes,
            sha256: hex(self.ctx.finish().as_ref()),
        }
    }
}

impl Default for Hasher {
    fn default() -> Hasher {
        Hasher::new()
    }
}

/// The digest of `bytes`.
pub fn of_bytes(bytes: &[u8]) -> Digest {
    let mut h = Hasher::new();
    h.update(bytes);
    h.finish()
}

/// The digest of everything `read` yields; errors name `path`.
pub fn of_reader(mut read: impl Read, path: &Path, doing: &str) -> Result<Digest> {
    let mut h = Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match read.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io_at(path, h.bytes(), doing, e)),
        };
        h.update(&buf[..n]);
    }
    Ok(h.finish())
}

/// The digest of the plain segment a file holds: the file's own bytes, or
/// for a compressed segment (`compressed`) what its zstd frames
/// decompress to (the seek table is a skippable frame: it decompresses to
/// nothing).
pub fn of_segment(file: &std::fs::File, path: &Path, compressed: bool) -> Result<Digest> {
    if !compressed {
        return of_reader(file, path, "read segment");
    }
    let decoder = zstd::stream::read::Decoder::new(file)
        .map_err(|e| Error::io(path, "start decompressing", e))?;
    of_reader(decoder, path, "decompress segment")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_input() {
        let d = of_bytes(b"abc");
        assert_eq!(d.bytes, 3);
        assert_eq!(
            d.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let streamed = of_reader(&b"abc"[..], Path::new("x"), "read").unwrap();
        assert_eq!(streamed, d);
        let mut parts = Hasher::new();
        parts.update(b"a");
        parts.update(b"");
        parts.update(b"bc");
        assert_eq!(parts.finish(), d);
    }
}
