//! Finding a seekable zstd file's frames without its seek table, by walking
//! the frames' and blocks' headers from the start (RFC 8878, 3.1.1): to
//! salvage the frames of a file whose table is missing or broken, and to
//! tell a file cut short from zstd frames without a table. Nothing is
//! decompressed; each block costs one small read.

use super::frame_decoder::ZSTD_MAGIC;
use super::seek_table::{SeekTable, MAX_FRAMES, MAX_FRAME_DECOMPRESSED};
use super::source::Source;
use super::zstd_blocks::{block_header, frame_header_len};
use std::io;

/// The most bytes a frame header takes: magic, descriptor, window
/// descriptor, dictionary id (4) and content size (8).
const MAX_FRAME_HEADER: usize = 4 + 1 + 1 + 4 + 8;

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
    while at < len {
        if frames.frames.len() as u64 >= u64::from(MAX_FRAMES) {
            break;
        }
        let Some(step) = frame_at(file, at, len)? else {
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
fn frame_at(file: &dyn Source, at: u64, len: u64) -> io::Result<Option<Step>> {
    let mut head = [0u8; MAX_FRAME_HEADER];
    let n = file.read_upto(&mut head, at)?;
    let head = &head[..n];
    if head.len() < 8 {
        return Ok(None);
    }
    let magic = u32::from_le_bytes(head[..4].try_into().expect("4 bytes"));
    if magic & 0xFFFF_FFF0 == 0x184D_2A50 {
        let size = u32::from_le_bytes(head[4..8].try_into().expect("4 bytes"));
        let end = at + 8 + u64::from(size);
        let fits = end <= len && u32::try_from(end - at).is_ok();
        return Ok(fits.then_some(Step { end, size: None }));
    }
    if head[..4] != ZSTD_MAGIC {
        return Ok(None);
    }
    let descriptor = head[4];
    let header_len = frame_header_len(descriptor);
    let size = match head
        .get(..header_len)
        .map(zstd::zstd_safe::get_frame_content_size)
    {
        Some(Ok(Some(n))) if n <= MAX_FRAME_DECOMPRESSED && n > 0 => n as u32,
        _ => return Ok(None),
    };
    let Some(mut end) = blocks_end(file, at + header_len as u64, len)? else {
        return Ok(None);
    };
    if descriptor & 0x04 != 0 {
        end += 4;
    }
    let fits = end <= len && u32::try_from(end - at).is_ok();
    Ok(fits.then_some(Step {
        end,
        size: Some(size),
    }))
}

/// Where the blocks starting at `at` end (after the last block), if they
/// all lie before `len`.
fn blocks_end(file: &dyn Source, mut at: u64, len: u64) -> io::Result<Option<u64>> {
    loop {
        let mut b = [0u8; 3];
        if at + 3 > len || file.read_upto(&mut b, at)? < 3 {
            return Ok(None);
        }
        let Some((last, content)) = block_header(b) else {
            return Ok(None);
        };
        at += 3 + content as u64;
        if at > len {
            return Ok(None);
        }
        if last {
            return Ok(Some(at));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compressed::frame_writer::SeekableWriter;
    use std::fs::File;
    use std::io::Write;

    fn file_of(bytes: &[u8]) -> File {
        let mut f = tempfile_in_target();
        f.write_all(bytes).unwrap();
        f
    }

    fn tempfile_in_target() -> File {
        let path = std::env::temp_dir().join(format!(
            "binlog-frame-walk-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        f
    }

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
        let walk = walk_frames(&file_of(&bytes), bytes.len() as u64).unwrap();
        assert_eq!(walk.frames, table);
        assert_eq!(walk.stopped_at, None);
    }

    #[test]
    fn a_walk_of_a_file_cut_short_stops_at_the_frame_cut() {
        let (bytes, table) = seekable(&[b"header", &[1u8; 5000], b"end"]);
        let second = table.frames[1];
        let cut = second.compressed_offset as usize + second.compressed_size as usize - 1;
        let walk = walk_frames(&file_of(&bytes[..cut]), cut as u64).unwrap();
        assert_eq!(walk.frames.frames, table.frames[..1]);
        assert_eq!(walk.stopped_at, Some(second.compressed_offset));
    }

    #[test]
    fn a_walk_lists_a_skippable_frame_between_frames_apart_and_places_the_next_after_it() {
        let mut w = SeekableWriter::new(Vec::new(), 3).unwrap();
        w.frame(b"header").unwrap();
        w.skippable(0x184D_2A5B, &[7u8; 33]).unwrap();
        w.frame(&[1u8; 5000]).unwrap();
        let (bytes, table) = w.finish().unwrap();
        assert_eq!(table.side.len(), 1);
        let walk = walk_frames(&file_of(&bytes), bytes.len() as u64).unwrap();
        assert_eq!(walk.frames, table);
    }
}
