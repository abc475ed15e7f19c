//! Damage to compressed segments (`.binlog.zst`), for the tests that read
//! them (with the feature "compression" only).

use binlog::compressed::seek_table::FrameEntry;
use binlog::compressed::CompressedSegment;
use std::path::Path;

/// Flips 8 bytes in the middle of frame `index`'s compressed bytes (fewer
/// in a frame too small), so that it no longer decompresses; returns the
/// frame as the seek table lists it.
pub fn damage_compressed_frame(zst: &Path, index: usize) -> FrameEntry {
    let f = CompressedSegment::open_frames(zst).unwrap().frames()[index];
    let mut bytes = std::fs::read(zst).unwrap();
    let mid = (f.compressed_offset + u64::from(f.compressed_size) / 2) as usize;
    let end = (mid + 8).min((f.compressed_offset + u64::from(f.compressed_size)) as usize - 1);
    for b in &mut bytes[mid..end] {
        *b ^= 0x5a;
    }
    std::fs::write(zst, bytes).unwrap();
    f
}
