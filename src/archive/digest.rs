//! The size and SHA-256 of a segment's bytes, and of the plain segment a
//! compressed one holds (see metadata.rs for when each is used).

use crate::error::{Error, Result};
use ring::digest::{Context, SHA256};
use std::io::Read;
use std::path::Path;

/// A byte count and its SHA-256, lowercase hex.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Digest {
    pub bytes: u64,
    pub sha256: String,
}

/// A digest computed over bytes given a part at a time.
pub struct Hasher {
    ctx: Context,
    bytes: u64,
}

impl Default for Hasher {
    fn default() -> Hasher {
        Hasher {
            ctx: Context::new(&SHA256),
            bytes: 0,
        }
    }
}

impl Hasher {
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
            sha256: crate::format::hex(self.ctx.finish().as_ref()),
        }
    }
}

impl std::io::Write for Hasher {
    fn write(&mut self, part: &[u8]) -> std::io::Result<usize> {
        self.update(part);
        Ok(part.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The digest of `bytes`.
pub fn of_bytes(bytes: &[u8]) -> Digest {
    let mut h = Hasher::default();
    h.update(bytes);
    h.finish()
}

/// The SHA-256 of `bytes`.
pub fn sha256_of(bytes: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    d.as_ref().try_into().expect("a SHA-256 is 32 bytes")
}

/// The digest of everything `read` yields; errors name `path`.
pub fn of_reader(read: impl Read, path: &Path, doing: &str) -> Result<Digest> {
    let mut h = Hasher::default();
    // A megabyte a read: `copy` hashes what the buffer holds in place.
    let mut read = std::io::BufReader::with_capacity(1 << 20, read);
    match std::io::copy(&mut read, &mut h) {
        Ok(_) => Ok(h.finish()),
        Err(e) => Err(Error::io_at(path, h.bytes(), doing, e)),
    }
}

/// Everything `read` yields (`expected` bytes, as far as the caller
/// knows) and its digest, each part hashed as it is read, while it is
/// still in the cache; errors name `path`.
pub fn read_all(mut read: impl Read, path: &Path, expected: u64) -> Result<(Vec<u8>, Digest)> {
    let mut all = Vec::with_capacity(expected as usize);
    let mut h = Hasher::default();
    loop {
        let start = all.len();
        match read.by_ref().take(PART).read_to_end(&mut all) {
            Ok(0) => break,
            Ok(_) => h.update(&all[start..]),
            Err(e) => return Err(Error::io_at(path, h.bytes(), "read", e)),
        }
    }
    Ok((all, h.finish()))
}

/// The bytes `read_all` reads and hashes at a time.
const PART: u64 = 1 << 20;

/// The digest of what a compressed segment's file decompresses to (the
/// seek table is a skippable frame: it decompresses to nothing).
pub fn of_decompressed(file: &std::fs::File, path: &Path) -> Result<Digest> {
    let decoder = zstd::stream::read::Decoder::new(file)
        .map_err(|e| Error::io(path, "start decompressing", e))?;
    of_reader(decoder, path, "decompress segment")
}

/// `bytes` in standard base64, padded: how S3's `x-amz-checksum-sha256`
/// carries a SHA-256.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
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
        let (read, digest) = read_all(&b"abc"[..], Path::new("x"), 1).unwrap();
        assert_eq!((read.as_slice(), &digest), (&b"abc"[..], &d));
        let mut parts = Hasher::default();
        parts.update(b"a");
        parts.update(b"");
        parts.update(b"bc");
        assert_eq!(parts.finish(), d);
        let raw: [u8; 32] = crate::format::from_hex(&d.sha256).unwrap();
        assert_eq!(crate::format::hex(&raw), d.sha256);
        assert_eq!(base64(&raw), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
        assert_eq!(
            (base64(b"a"), base64(b"ab")),
            ("YQ==".into(), "YWI=".into())
        );
    }
}
