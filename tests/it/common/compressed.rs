//! Damage to compressed segments (`.binlog.zst`), for the tests that read
//! them (with the feature "compression" only), and segments compressed
//! whatever their seals say.

use binlog::compressed::cuts::frame_ends;
use binlog::compressed::frame_writer::SeekableWriter;
use binlog::compressed::seek_table::FrameEntry;
use binlog::compressed::CompressedSegment;
use binlog::format::seal::read_directory_from;
use binlog::Reader;
use std::borrow::Cow;
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

/// The plain segment at `path` compressed as `compress_segment` cuts it
/// (frames of about `frame_size` bytes), whatever its seal says (the
/// compressor refuses a seal it does not believe; a writer with a bug
/// would not). Its trailer and directory must be intact.
pub fn compress_as_is(path: &Path, frame_size: u64) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let data_start = Reader::open(path).unwrap().data_start();
    let read = |at: usize, n: usize| bytes.get(at..at + n).map(Cow::Borrowed);
    let d = read_directory_from(bytes.len(), data_start as usize, read).expect("sealed");
    let mut w = SeekableWriter::new(Vec::new(), 3).unwrap();
    let mut start = 0;
    for end in frame_ends(&bytes, data_start, &d, frame_size) {
        w.frame(&bytes[start as usize..end as usize]).unwrap();
        start = end;
    }
    w.finish().unwrap().0
}
