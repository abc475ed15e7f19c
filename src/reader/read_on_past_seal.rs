//! A plain segment read as stored frames (a remote object,
//! `CompressedSegment::open_stored`) whose seal only bounds its records and
//! lies about where they end (a valid record frame at its `records_end`). A
//! local reader reads such a file on to its end as unsealed
//! (`bound_holds`); this reader has no file to read on in, so it switches
//! to a whole copy of the same bytes (`Reader::read_on_in_copy`) and reads
//! on from the same position: the same records, damage and end.

use super::source::Source;
use super::Reader;
use crate::error::{Error, ErrorKind, Result};
use crate::source::map_file;
use std::fs::File;
use std::sync::Arc;

/// Makes a copy of a segment's bytes, whole, in a file (a remote object's
/// `copy_whole`): what a reader of its stored frames reads on in.
pub type WholeCopy = Box<dyn Fn() -> Result<File> + Send>;

impl Reader {
    /// For a plain segment read as stored frames: `copy` makes a whole
    /// copy of its bytes, read (from where the reader is) if its seal
    /// turns out to lie about where the records end.
    pub fn read_on_in_copy(&mut self, copy: WholeCopy) {
        self.whole_copy = Some(copy);
    }

    /// At the end of the records a seal only bounds, of a reader of
    /// decompressed or stored frames: whether a valid record frame is
    /// right there (the bound does not hold). A frame header whose length
    /// runs past the original bytes is no record (a lying length costs no
    /// more reads); otherwise the body's CRC is computed over the frames
    /// that hold it, one at a time, without a copy. A compressed frame there
    /// that does not decompress holds no record: the bound holds, and the
    /// frame is damage reported at the end (`check_seal_frames`). Any other
    /// failed read is an error naming the file or object.
    #[cfg(feature = "compression")]
    pub(super) fn record_at_end_decoded(&self) -> Result<bool> {
        let Some(d) = self.source.frames() else {
            return Ok(false);
        };
        let mut s = d.segment.borrow_mut();
        match record_frame_at(&mut s, self.end as u64) {
            Err(e) if super::frames::is_damage(&e) => Ok(false),
            found => found,
        }
    }

    /// Without compression no segment is read as frames.
    #[cfg(not(feature = "compression"))]
    pub(super) fn record_at_end_decoded(&self) -> Result<bool> {
        Ok(false)
    }

    /// For a compressed segment whose seal lies about where the records
    /// end (`bound_holds`): the seal is dropped and the records are read
    /// on, frame by frame, up to the end of the original bytes, as a local
    /// reader of the same plain segment reads its file on to its end.
    pub(super) fn read_on_in_frames(&mut self) {
        self.seals.bounding = None;
        self.end = self.file_len() as usize;
    }

    /// Swaps the stored frames for a whole copy of the same bytes, read as
    /// a local file's mapping from the same position on, with the seal
    /// dropped (as `bound_holds` leaves a local reader). A copy of another
    /// length is an error naming the segment; on an error nothing changed.
    pub(super) fn switch_to_whole_copy(&mut self) -> Result<()> {
        let make = self
            .whole_copy
            .as_ref()
            .expect("a whole copy to read on in");
        let len = self.file_len();
        let file = make()?;
        let map = map_file(&file, &self.path)?;
        if map.len() as u64 != len {
            let what = format!("changed while read: {len} bytes, now {}", map.len());
            return Err(Error::at(ErrorKind::Remote, &self.path, len, what));
        }
        self.whole_copy = None;
        self.end = map.len();
        self.map = Arc::new(map);
        self.source = Source::mapped(file);
        self.seals.bounding = None;
        Ok(())
    }
}

/// Whether a valid record frame starts at original offset `at` of `s`:
/// its header read first, its body (if it fits in what remains) checked
/// against the header's CRC frame by frame. A seek table whose frames do
/// not cover the body is an error naming the file and offset, not a panic.
#[cfg(feature = "compression")]
fn record_frame_at(s: &mut crate::compressed::CompressedSegment, at: u64) -> Result<bool> {
    use crate::format::frame::is_record_kind;
    use crate::format::FRAME_HEADER_LEN;
    let left = s.original_len().saturating_sub(at);
    if left < FRAME_HEADER_LEN as u64 + 1 {
        return Ok(false);
    }
    let head = s.read_at(at, FRAME_HEADER_LEN)?;
    let word = |i: usize| u32::from_le_bytes(head[i..i + 4].try_into().expect("4 bytes"));
    let (body_len, crc) = (u64::from(word(0)), word(4));
    if body_len == 0 || FRAME_HEADER_LEN as u64 + body_len > left {
        return Ok(false);
    }
    let body_at = at + FRAME_HEADER_LEN as u64;
    if !is_record_kind(s.read_at(body_at, 1)?[0]) {
        return Ok(false);
    }
    let path = s.path().to_path_buf();
    let mut hasher = crc32fast::Hasher::new();
    let (mut pos, end) = (body_at, body_at + body_len);
    while pos < end {
        // Named at a compressed offset, as every error about a `.zst` is:
        // the frame's, or past the last frame when none holds `pos`.
        let uncovered = |at: u64, what: &str| {
            let what = format!("original offset {pos}: {what}");
            Error::at(ErrorKind::CorruptSeekTable, &path, at, what)
        };
        let Some(i) = s.frame_index_at(pos) else {
            let past = (s.frames().last())
                .map_or(0, |f| f.compressed_offset + u64::from(f.compressed_size));
            return Err(uncovered(past, "no frame of the seek table holds it"));
        };
        let (start, at) = (s.frames()[i].offset, s.frames()[i].compressed_offset);
        let frame = s.frame(i)?;
        let from = (pos - start) as usize;
        let upto = (frame.len() as u64).min(end - start) as usize;
        if upto <= from {
            return Err(uncovered(at, "its frame decompresses to fewer bytes"));
        }
        hasher.update(&frame[from..upto]);
        pos = start + upto as u64;
    }
    Ok(hasher.finalize() == crc)
}
