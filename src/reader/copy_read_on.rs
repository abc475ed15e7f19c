//! A plain segment read as stored frames (a remote object read with
//! ranged GETs, `CompressedSegment::open_stored`) whose seal only bounds
//! its records and lies about where they end: a valid record frame right
//! at the directory's `records_end`. A local reader drops such a seal and
//! reads the file on to its end as unsealed (`bound_holds`); the ranged
//! reader has no file to read on in, so it switches to a whole copy of
//! the same bytes (`Reader::read_on_in_copy`) and reads on from the same
//! position, as the local reader does: the same records, damage and end.
//! A compressed segment (local or remote) whose seal lies so reads on in
//! its own frames, up to the end its seek table gives
//! (`read_on_in_frames`).

use super::mapping::map_file;
use super::Reader;
use crate::error::{Error, ErrorKind, Result};
use std::fs::File;

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
    /// right there (the bound does not hold). Read through the frames (a
    /// GET if the bytes are not at hand). A compressed frame there that
    /// does not decompress holds no record to read: the bound holds, and
    /// the frame is damage reported at the end (`check_seal_frames`). Any
    /// other read that fails is an error naming the file or object, never
    /// an answer.
    #[cfg(feature = "compression")]
    pub(super) fn record_at_end_decoded(&self) -> Result<bool> {
        use crate::format::frame::{self, FrameAt, KIND_RECORD};
        use crate::format::FRAME_HEADER_LEN;
        let Some(d) = self.decoded.as_deref() else {
            return Ok(false);
        };
        let mut s = d.segment.borrow_mut();
        let (at, left) = (
            self.end as u64,
            s.original_len().saturating_sub(self.end as u64),
        );
        let frame_bytes = |s: &mut crate::compressed::CompressedSegment| {
            let head = s.read_at(at, FRAME_HEADER_LEN.min(left as usize))?;
            let body = head.get(..4).map_or(0, |b| {
                u32::from_le_bytes(b.try_into().expect("4 bytes")) as u64
            });
            s.read_at(at, (FRAME_HEADER_LEN as u64 + body).min(left) as usize)
        };
        let bytes = match frame_bytes(&mut s) {
            Err(e) if super::decoded::is_damage(&e) => return Ok(false),
            read => read?,
        };
        Ok(matches!(
            frame::frame_at(&bytes, 0, true),
            FrameAt::Frame {
                kind: KIND_RECORD,
                ..
            }
        ))
    }

    /// Without compression no segment is read as frames.
    #[cfg(not(feature = "compression"))]
    pub(super) fn record_at_end_decoded(&self) -> Result<bool> {
        Ok(false)
    }

    /// For a compressed segment whose seal lies about where the records
    /// end (`bound_holds`): the seal is dropped and the records are read
    /// on, through the frames, up to the end of the original bytes (the
    /// seek table's sum of frame sizes), as a local reader of the same
    /// plain segment reads its file on to its end. Frame by frame: the
    /// memory a scan holds does not grow (see `decoded`).
    pub(super) fn read_on_in_frames(&mut self) {
        self.bounding_seal = None;
        self.end = self.file_len() as usize;
    }

    /// Swaps the stored frames for a whole copy of the same bytes, read as
    /// a local file's mapping from the same position on, with the seal
    /// dropped (the local reader's state at this point, see
    /// `bound_holds`). A copy of another length is not the same bytes: an
    /// error naming the segment. On an error nothing changed: a later
    /// call tries again.
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
        self.map = map;
        self.file = Some(file);
        self.decoded = None;
        self.bounding_seal = None;
        self.end = self.map.len();
        Ok(())
    }
}
