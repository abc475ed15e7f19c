//! Finding a seekable zstd file's frames without its seek table, by walking
//! them from the start (RFC 8878, 3.1.1): to salvage the frames of a file
//! whose table is missing or broken, and to tell a file cut short from
//! zstd frames without a table. Nothing is decompressed: zstd finds where
//! each frame ends from its headers (`find_frame_compressed_size`), in its
//! bytes read a growing part at a time, at most as many as a frame of its
//! content size can take.

use super::frame_decoder::ZSTD_MAGIC;
use super::seek_table::{SeekTable, MAX_FRAMES, MAX_FRAME_DECOMPRESSED};
use super::source::Source;
use crate::format::u32_at;
use std::io;
use zstd::zstd_safe::{self, zstd_sys::ZSTD_ErrorCode};

/// The most bytes a frame header takes: magic, descriptor, window
/// descriptor, dictionary id (4) and content size (8).
const MAX_FRAME_HEADER: usize = 4 + 1 + 1 + 4 + 8;

/// The first part of a frame read to find its end (doubled until found).
const FIRST_READ: usize = 64 << 10;

/// What a walk of a file's frames found.
pub struct Walk {
    /// The whole zstd frames, in order, up to the first that is not;
    /// skippable frames are side entries, bar the seek table's at the end.
    pub frames: SeekTable,
    /// Where the walk stopped before the end of the file, if it did.
    pub stopped_at: Option<u64>,
}

/// Walks the frames of `file` (`len` bytes).
pub fn walk_frames(file: &dyn Source, len: u64) -> io::Result<Walk> {
    let mut frames = SeekTable::default();
    let mut at = 0;
    let mut buf = Vec::new();
    while at < len && frames.frames.len() < MAX_FRAMES as usize {
        let Some(step) = frame_at(file, at, len, &mut buf)? else {
            break;
        };
        let compressed_size = (step.end - at) as u32;
        match step.size {
            Some(size) => frames.push(compressed_size, size),
            // A skippable frame that ends the file is the seek table; any
            // other (a type copy's) holds no original bytes, but takes its
            // place in the file.
            None if step.end < len => frames.push_side(compressed_size),
            None => {}
        }
        at = step.end;
    }
    let stopped_at = (at < len).then_some(at);
    Ok(Walk { frames, stopped_at })
}

/// A whole frame found: where it ends, and its content size (None for a
/// skippable frame).
struct Step {
    end: u64,
    size: Option<u32>,
}

/// The frame at `at`, if it is a whole zstd frame that states its content
/// size (within the format's limits) or a whole skippable frame.
fn frame_at(file: &dyn Source, at: u64, len: u64, buf: &mut Vec<u8>) -> io::Result<Option<Step>> {
    let mut head = [0u8; MAX_FRAME_HEADER];
    let n = file.read_upto(&mut head, at)?;
    let head = &head[..n];
    if head.len() < 8 {
        return Ok(None);
    }
    let magic = u32_at(head, 0);
    if magic & 0xFFFF_FFF0 == 0x184D_2A50 {
        let size = u32_at(head, 4);
        let end = at + 8 + u64::from(size);
        let fits = end <= len && u32::try_from(end - at).is_ok();
        return Ok(fits.then_some(Step { end, size: None }));
    }
    if head[..4] != ZSTD_MAGIC {
        return Ok(None);
    }
    let size = match zstd_safe::get_frame_content_size(head) {
        Ok(Some(n)) if n <= MAX_FRAME_DECOMPRESSED && n > 0 => n as u32,
        _ => return Ok(None),
    };
    // No frame of `size` bytes takes more than zstd's bound and a header.
    let most = (len - at).min((zstd_safe::compress_bound(size as usize) + 64) as u64) as usize;
    // What zstd says of a frame that goes on past the bytes it was given.
    let goes_on = 0usize.wrapping_sub(ZSTD_ErrorCode::ZSTD_error_srcSize_wrong as usize);
    let (mut want, mut got) = (FIRST_READ.min(most), 0);
    loop {
        buf.resize(want, 0);
        got += file.read_upto(&mut buf[got..], at + got as u64)?;
        match zstd_safe::find_frame_compressed_size(&buf[..got]) {
            Ok(n) if n <= got && u32::try_from(n).is_ok() => {
                return Ok(Some(Step {
                    end: at + n as u64,
                    size: Some(size),
                }))
            }
            // The frame goes on past the bytes read: read on (only the
            // bytes not read yet) while a whole frame could lie beyond. A
            // damaged one (a reserved block type) is no frame at once.
            Err(code) if code == goes_on && got == want && want < most => {
                want = (want * 2).min(most)
            }
            _ => return Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compressed::frame_writer::SeekableWriter;
    use crate::sys::scratch::unlinked_file;
    use std::fs::File;

    fn seekable(parts: &[&[u8]]) -> (Vec<u8>, SeekTable) {
        let mut w = SeekableWriter::new(Vec::new(), 3).unwrap();
        for p in parts {
            w.frame(p).unwrap();
        }
        w.finish().unwrap()
    }

    #[test]
    fn a_walk_finds_the_frames_the_seek_table_lists() {
        let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let (bytes, table) = seekable(&[b"header", &big, &[9u8; 70_000], b"end"]);
        let walk = walk_frames(&unlinked_file(&bytes), bytes.len() as u64).unwrap();
        assert_eq!(walk.frames, table);
        assert_eq!(walk.stopped_at, None);
    }

    #[test]
    fn a_walk_of_a_file_cut_short_stops_at_the_frame_cut() {
        let (bytes, table) = seekable(&[b"header", &[1u8; 5000], b"end"]);
        let second = table.frames[1];
        let cut = second.compressed_offset as usize + second.compressed_size as usize - 1;
        let walk = walk_frames(&unlinked_file(&bytes[..cut]), cut as u64).unwrap();
        assert_eq!(walk.frames.frames, table.frames[..1]);
        assert_eq!(walk.stopped_at, Some(second.compressed_offset));
    }

    /// A file that counts the bytes read from it.
    struct Counted(File, std::sync::atomic::AtomicU64);

    impl Source for Counted {
        fn size(&self) -> io::Result<u64> {
            self.0.size()
        }
        fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
            let n = self.0.read_at(buf, offset)?;
            self.1
                .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
            Ok(n)
        }
        fn holds(&self, _offset: u64, _len: u64) -> bool {
            true
        }
    }

    #[test]
    fn a_walk_stops_at_a_frame_whose_block_is_damaged_after_one_read_of_it() {
        let mut x = 1u64;
        let noise: Vec<u8> = (0..1_000_000)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x >> 56) as u8
            })
            .collect();
        let (mut bytes, table) = seekable(&[b"header", &noise, b"end"]);
        let second = table.frames[1];
        assert!(second.compressed_size as usize > 4 * FIRST_READ);
        // The first block's header, after the frame's header (RFC 8878
        // 3.1.1.1): set to the reserved block type.
        let at = second.compressed_offset as usize;
        let d = bytes[at + 4];
        let single = d & 0x20 != 0;
        let content = [usize::from(single), 2, 4, 8][usize::from(d >> 6)];
        let header = 5 + usize::from(!single) + [0, 1, 2, 4][usize::from(d & 3)] + content;
        bytes[at + header] |= 0b110;
        let file = Counted(unlinked_file(&bytes), Default::default());
        let walk = walk_frames(&file, bytes.len() as u64).unwrap();
        assert_eq!(walk.frames.frames, table.frames[..1]);
        assert_eq!(walk.stopped_at, Some(second.compressed_offset));
        let read = file.1.load(std::sync::atomic::Ordering::Relaxed);
        assert!(read < 2 * FIRST_READ as u64, "{read} bytes read");
    }

    #[test]
    fn a_walk_lists_a_skippable_frame_between_frames_apart_and_places_the_next_after_it() {
        let mut w = SeekableWriter::new(Vec::new(), 3).unwrap();
        w.frame(b"header").unwrap();
        w.skippable(0x184D_2A5B, &[7u8; 33]).unwrap();
        w.frame(&[1u8; 5000]).unwrap();
        let (bytes, table) = w.finish().unwrap();
        assert_eq!(table.side.len(), 1);
        let walk = walk_frames(&unlinked_file(&bytes), bytes.len() as u64).unwrap();
        assert_eq!(walk.frames, table);
    }
}
