//! The chain block of a signed segment (docs/FORMAT.md section 8.6): the
//! bytes after the last type entry of the `SEAL_DIR` body, covered by its
//! CRC, which 1.0 and 1.1 readers ignore.
//!
//! ```text
//! tag u8 = 1 | digest [32] | prev [32] | key [32] | signature [64]
//! tag u8 = 2 | the same | epoch_start i64 | certificate [64]
//! ```

use super::cursor::Cursor;

/// The chain block's first byte (its layout's version): a key's, an epoch
/// key's (forward secure, with its certificate).
pub const CHAIN_TAG: u8 = 1;
pub const EPOCH_CHAIN_TAG: u8 = 2;
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
    /// With a forward-secure key: the epoch `key` signs for, certified.
    pub epoch: Option<EpochCert>,
}

/// A master key's certificate of an epoch key (docs/FORMAT.md section
/// 8.6): the key may sign records from `start_ns` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpochCert {
    /// Where the epoch starts, in ns since the Unix epoch.
    pub start_ns: i64,
    /// The master key's signature of the epoch key and `start_ns`.
    pub signature: [u8; SIGNATURE_LEN],
}

impl ChainBlock {
    /// Appends the block.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.epoch.map_or(CHAIN_TAG, |_| EPOCH_CHAIN_TAG));
        for part in [&self.digest, &self.prev, &self.key] {
            out.extend_from_slice(part);
        }
        out.extend_from_slice(&self.signature);
        if let Some(e) = &self.epoch {
            out.extend_from_slice(&e.start_ns.to_le_bytes());
            out.extend_from_slice(&e.signature);
        }
    }

    /// The block at the start of `rest` (the bytes after the last type
    /// entry); `None` when there is none, or one of a layout this
    /// library does not know.
    pub fn decode(rest: &[u8]) -> Option<ChainBlock> {
        let mut c = Cursor::new(rest);
        let tag = c.u8()?;
        (tag == CHAIN_TAG || tag == EPOCH_CHAIN_TAG).then_some(())?;
        let mut block = ChainBlock {
            digest: c.array()?,
            prev: c.array()?,
            key: c.array()?,
            signature: c.array()?,
            epoch: None,
        };
        if tag == EPOCH_CHAIN_TAG {
            let start_ns = i64::from_le_bytes(c.array()?);
            let signature = c.array()?;
            block.epoch = Some(EpochCert {
                start_ns,
                signature,
            });
        }
        Some(block)
    }

    /// Whether a key signed it.
    pub fn is_signed(&self) -> bool {
        self.signature != [0; SIGNATURE_LEN]
    }
}
