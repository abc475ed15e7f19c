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

/// The digest of `bytes`.
pub fn of_bytes(bytes: &[u8]) -> Digest {
    let mut ctx = Context::new(&SHA256);
    ctx.update(bytes);
    Digest {
        bytes: bytes.len() as u64,
        sha256: hex(ctx.finish().as_ref()),
    }
}

/// The digest of everything `read` yields; errors name `path`.
pub fn of_reader(mut read: impl Read, path: &Path, doing: &str) -> Result<Digest> {
    let mut ctx = Context::new(&SHA256);
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = match read.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io_at(path, bytes, doing, e)),
        };
        ctx.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok(Digest {
        bytes,
        sha256: hex(ctx.finish().as_ref()),
    })
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
    }
}
