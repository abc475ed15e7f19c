//! How big a segment's seal will be, for a rolling log's size limit.

use super::SegmentIndex;
use crate::format::seal;

impl SegmentIndex {
    /// How the seal's size grows with the segment (for a rolling log's size
    /// limit): exact for the records and sparse index; the directory as it
    /// is now (a type first seen later adds `SealEstimate::type_entry_len`).
    pub fn seal_estimate(&self, type_names: &[Box<str>]) -> SealEstimate {
        let dir: u64 = (crate::format::FRAME_HEADER_LEN + 1 + 24 + 32 + 24 + 4 + 10) as u64
            + type_names
                .iter()
                .map(|n| SealEstimate::type_entry_len(n))
                .sum::<u64>();
        SealEstimate {
            fixed: (seal::SEAL_BEGIN_LEN + seal::TRAILER_LEN) as u64 + dir,
            sparse_interval: self.sparse_interval,
        }
    }
}

/// The size of a seal as a function of the segment's records and bytes.
#[derive(Clone, Copy, Debug)]
pub struct SealEstimate {
    fixed: u64,
    sparse_interval: u64,
}

impl SealEstimate {
    /// Upper bound of the seal of a segment of `records` records in `bytes`
    /// bytes: an 8-byte offset per record, at most one sparse entry per
    /// `sparse_interval` bytes plus the first.
    pub fn len(&self, records: u64, bytes: u64) -> u64 {
        self.fixed
            + 8 * records
            + seal::SPARSE_ENTRY_LEN as u64 * (bytes / self.sparse_interval + 1)
    }

    /// Upper bound of what a type adds to the seal's directory: its name
    /// (with a varint length), count, bytes, array offset and array CRC.
    pub fn type_entry_len(type_name: &str) -> u64 {
        10 + type_name.len() as u64 + 28
    }
}
