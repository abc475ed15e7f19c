//! The chain block of a signed segment (docs/FORMAT.md section 8.6): the
//! bytes after the last type entry of the `SEAL_DIR` body, covered by its
//! CRC, which 1.0 and 1.1 readers ignore.
//!
//! ```text
//! tag u8 = 1 | digest [32] | prev [32] | key [32] | signature [64]
//! ```

use super::cursor::Cursor;

/// The chain block's first byte (its layout's version).
pub const CHAIN_TAG: u8 = 1;
/// Bytes of a digest, a link and a public key.
pub const HASH_LEN: usize = 32;
/// Bytes of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// What a signed seal says of its segment and of the log before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBlock {
    /// BLAKE3 of the segment's bytes `0 .. records_end` (its header and
    /// every record frame).
    pub digest: [u8; HASH_LEN],
    /// The link of the segment before it in its log; zeros when its writer
    /// knew none (a log's first signed segment).
    pub prev: [u8; HASH_LEN],
    /// The Ed25519 public key that signed it.
    pub key: [u8; HASH_LEN],
    /// The signature of its link; zeros: not signed (verified as
    /// unsigned).
    pub signature: [u8; SIGNATURE_LEN],
}

impl ChainBlock {
    /// Appends the block.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(CHAIN_TAG);
        for part in [&self.digest, &self.prev, &self.key] {
            out.extend_from_slice(part);
        }
        out.extend_from_slice(&self.signature);
    }

    /// The block at the start of `rest` (the bytes after the last type
    /// entry); `None` when there is none, or one of a layout this
    /// library does not know.
    pub fn decode(rest: &[u8]) -> Option<ChainBlock> {
        let mut c = Cursor::new(rest);
        (c.u8()? == CHAIN_TAG).then_some(())?;
        Some(ChainBlock {
            digest: c.array()?,
            prev: c.array()?,
            key: c.array()?,
            signature: c.array()?,
        })
    }

    /// Whether a key signed it.
    pub fn is_signed(&self) -> bool {
        self.signature != [0; SIGNATURE_LEN]
    }
}
