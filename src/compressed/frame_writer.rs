//! Writes a seekable zstd file: each `frame` call compresses its bytes into
//! one independent zstd frame (content size and content checksum in it, so
//! that any zstd decoder checks it), and `finish` appends the seek table.

use super::seek_table::{
    FrameEntry, SeekTable, MAX_FRAME_DECOMPRESSED, SKIPPABLE_HEADER_LEN, SKIPPABLE_MAGIC,
};
use std::io::{self, Write};
use zstd::bulk::Compressor;
use zstd::stream::raw::CParameter;

/// zstd's default level, which `zstd` on the command line uses too.
pub const DEFAULT_LEVEL: i32 = 3;

/// Levels whose own minimum match length (5 or more) is lowered to 4:
/// records repeat short runs (type ids, lengths, high bytes of numbers)
/// that a 1 MiB frame without history codes as literals otherwise
/// (docs/PERFORMANCE.md has the sizes).
const SHORT_MATCH_LEVELS: std::ops::RangeInclusive<i32> = 1..=6;

pub struct SeekableWriter<W: Write> {
    out: W,
    compressor: Compressor<'static>,
    table: SeekTable,
    buf: Vec<u8>,
}

impl<W: Write> SeekableWriter<W> {
    pub fn new(out: W, level: i32) -> io::Result<SeekableWriter<W>> {
        let mut compressor = Compressor::new(level)?;
        compressor.set_parameter(CParameter::ChecksumFlag(true))?;
        compressor.set_parameter(CParameter::ContentSizeFlag(true))?;
        tune_for_frames(&mut compressor, level)?;
        Ok(SeekableWriter {
            out,
            compressor,
            table: SeekTable::default(),
            buf: Vec::new(),
        })
    }

    /// Compresses `bytes` (not empty, at most 1 GiB) into the next frame,
    /// handed whole to the output; returns its seek table entry.
    pub fn frame(&mut self, bytes: &[u8]) -> io::Result<FrameEntry> {
        self.compress(bytes)?;
        self.out.write_all(&self.buf)?;
        self.table.push(self.buf.len() as u32, bytes.len() as u32);
        Ok(*self.table.frames.last().expect("just pushed"))
    }

    /// Writes a zstd skippable frame (`magic` one of zstd's skippable
    /// magics but the seek table's) holding `payload`, listed in the seek
    /// table as an entry of no original bytes.
    pub fn skippable(&mut self, magic: u32, payload: &[u8]) -> io::Result<()> {
        let size = u32::try_from(payload.len())
            .ok()
            .filter(|&n| n < u32::MAX - SKIPPABLE_HEADER_LEN as u32);
        let valid = magic & 0xFFFF_FFF0 == 0x184D_2A50 && magic != SKIPPABLE_MAGIC;
        let (Some(size), true) = (size, valid) else {
            let what = format!("a skippable frame {magic:#x} of {} bytes", payload.len());
            return Err(io::Error::new(io::ErrorKind::InvalidInput, what));
        };
        self.out.write_all(&magic.to_le_bytes())?;
        self.out.write_all(&size.to_le_bytes())?;
        self.out.write_all(payload)?;
        self.table.push_side(size + SKIPPABLE_HEADER_LEN as u32);
        Ok(())
    }

    /// Writes a skippable frame (`magic`, as `skippable`) whose payload is
    /// one zstd frame of `bytes`, compressed as `frame` compresses.
    pub fn skippable_compressed(&mut self, magic: u32, bytes: &[u8]) -> io::Result<()> {
        self.compress(bytes)?;
        let payload = std::mem::take(&mut self.buf);
        let written = self.skippable(magic, &payload);
        self.buf = payload;
        written
    }

    /// Compresses `bytes` (not empty, at most 1 GiB) into `buf`.
    fn compress(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() || bytes.len() as u64 > MAX_FRAME_DECOMPRESSED {
            let what = format!("a frame of {} bytes (1 byte to 1 GiB)", bytes.len());
            return Err(io::Error::new(io::ErrorKind::InvalidInput, what));
        }
        self.buf.clear();
        self.buf
            .reserve(zstd::zstd_safe::compress_bound(bytes.len()));
        self.compressor.compress_to_buffer(bytes, &mut self.buf)?;
        Ok(())
    }

    /// Bytes of frames handed to the output so far: the offset in it where
    /// the next frame (or the seek table) starts.
    pub fn written(&self) -> u64 {
        self.table.frames_len()
    }

    /// Appends the seek table and returns the output and the table.
    pub fn finish(mut self) -> io::Result<(W, SeekTable)> {
        self.out.write_all(&self.table.encode())?;
        self.out.flush()?;
        Ok((self.out, self.table))
    }
}

/// Parameters for independent frames of about 1 MiB, where zstd's own for
/// `level` assume a long stream: shorter matches (`SHORT_MATCH_LEVELS`)
/// and, at the default level, level 4's larger match-finding tables.
fn tune_for_frames(compressor: &mut Compressor<'static>, level: i32) -> io::Result<()> {
    if SHORT_MATCH_LEVELS.contains(&level) {
        compressor.set_parameter(CParameter::MinMatch(4))?;
    }
    if level == DEFAULT_LEVEL {
        compressor.set_parameter(CParameter::HashLog(18))?;
        compressor.set_parameter(CParameter::ChainLog(17))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_concatenate_to_a_stream_zstd_decodes_whole() {
        let mut w = SeekableWriter::new(Vec::new(), DEFAULT_LEVEL).unwrap();
        let parts: [&[u8]; 3] = [b"header", &[7u8; 5000], b"tail"];
        for p in parts {
            w.frame(p).unwrap();
        }
        let (file, table) = w.finish().unwrap();
        assert_eq!(table.frames.len(), 3);
        assert_eq!(table.original_len(), 5010);
        assert_eq!(
            file.len() as u64,
            table.frames_len() + table.encode().len() as u64
        );
        // The reference decoder reads every frame and skips the table.
        assert_eq!(zstd::decode_all(&file[..]).unwrap(), parts.concat());
    }

    #[test]
    fn skippable_frames_are_listed_apart_and_skipped_by_zstd() {
        let mut w = SeekableWriter::new(Vec::new(), DEFAULT_LEVEL).unwrap();
        w.frame(b"header").unwrap();
        w.skippable_compressed(0x184D_2A5B, &[3u8; 4000]).unwrap();
        w.skippable(0x184D_2A5C, b"dir").unwrap();
        w.frame(b"tail").unwrap();
        let (file, table) = w.finish().unwrap();
        assert_eq!(table.frames.len(), 2);
        assert_eq!(table.side.len(), 2);
        assert_eq!(table.side[1].compressed_size, 8 + 3);
        assert_eq!(zstd::decode_all(&file[..]).unwrap(), b"headertail");
        let seek_table_magic = w_err(SKIPPABLE_MAGIC);
        assert_eq!(seek_table_magic, io::ErrorKind::InvalidInput);
        assert_eq!(w_err(0x184D_2A60), io::ErrorKind::InvalidInput);
    }

    fn w_err(magic: u32) -> io::ErrorKind {
        let mut w = SeekableWriter::new(Vec::new(), DEFAULT_LEVEL).unwrap();
        w.skippable(magic, b"x").unwrap_err().kind()
    }

    #[test]
    fn an_empty_frame_is_refused() {
        let mut w = SeekableWriter::new(Vec::new(), DEFAULT_LEVEL).unwrap();
        assert_eq!(
            w.frame(b"").unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }
}
