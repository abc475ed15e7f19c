//! What the record scan reads a segment's bytes from: `Mapped`, a plain
//! segment file, mapped (sealed, or unsealed and read as `unsealed` says);
//! or `Frames`, the frames of a compressed segment or of a remote plain
//! object (`frames`), sealed, never growing. The record loop and the damage
//! rules ask the source what differs.

use super::frames::CompressedFrames;
use crate::error::{Error, Result};
use crate::source::{map_file, MappedFile, Original};
use memmap2::Mmap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

pub(super) enum Source {
    Mapped(MappedSegment),
    Frames(Box<CompressedFrames>),
}

/// A plain segment file, mapped (the mapping is the reader's `map`,
/// which every record view of the file borrows).
pub(super) struct MappedSegment {
    pub(super) file: File,
    /// The frames of an unsealed segment checked in a copy (`unsealed`).
    pub(super) unsealed: UnsealedCopy,
}

impl MappedSegment {
    /// Maps the file again as `map` if its length changed since it was
    /// mapped (the mapping's is its length then); true if it did.
    pub(super) fn remap_if_len_changed(&self, path: &Path, map: &mut Arc<Mmap>) -> Result<bool> {
        let len = self
            .file
            .metadata()
            .map_err(|e| Error::io(path, "stat", e))?;
        if len.len() == map.len() as u64 {
            return Ok(false);
        }
        *map = Arc::new(map_file(&self.file, path)?);
        Ok(true)
    }
}

impl Source {
    /// The source of a plain segment `file` (mapped by the reader).
    pub(super) fn mapped(file: File) -> Source {
        let unsealed = UnsealedCopy::default();
        Source::Mapped(MappedSegment { file, unsealed })
    }

    /// The segment's original bytes, for reads other than the scan's (a
    /// mapped file's mapping is `map`).
    pub(super) fn original<'a>(&'a self, map: &'a [u8]) -> Original<'a> {
        match self {
            Source::Mapped(m) => Original::Mapped(MappedFile { file: &m.file, map }),
            #[cfg(feature = "compression")]
            Source::Frames(d) => Original::Other(&d.segment),
            #[cfg(not(feature = "compression"))]
            Source::Frames(d) => match **d {},
        }
    }

    /// A mapped segment's copy its unsealed frames were checked in, and
    /// where the frame at `pos` is in it (nothing for frames).
    #[inline(always)]
    pub(super) fn unsealed_frame_in(&self, pos: usize) -> (&[u8], usize) {
        match self {
            Source::Mapped(m) => (&m.unsealed.buf[..m.unsealed.len], pos - m.unsealed.at),
            Source::Frames(_) => (&[], 0),
        }
    }

    /// The file of a mapped segment, for the reads with pread that only a
    /// mapped segment's scan makes. Frames have none: a read of one is an
    /// error (its caller names the segment and offset), not a panic, should
    /// a path reach it that the scan's guards did not foresee.
    pub(super) fn file(&self) -> std::io::Result<&File> {
        match self {
            Source::Mapped(m) => Ok(&m.file),
            Source::Frames(_) => Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "a compressed segment or remote object has no file to read with pread",
            )),
        }
    }

    /// Whether the segment may grow or be cut while it is read: a file (a
    /// writer may append to it, or recover it), not frames (sealed once).
    #[inline(always)]
    pub(super) fn may_grow(&self) -> bool {
        matches!(self, Source::Mapped(_))
    }

    pub(super) fn frames(&self) -> Option<&CompressedFrames> {
        match self {
            Source::Frames(d) => Some(d),
            Source::Mapped(_) => None,
        }
    }

    pub(super) fn frames_mut(&mut self) -> Option<&mut CompressedFrames> {
        match self {
            Source::Frames(d) => Some(d),
            Source::Mapped(_) => None,
        }
    }
}

/// The frames of an unsealed segment checked in a copy read with pread
/// (see `check_unsealed` in `unsealed`).
#[derive(Default)]
pub(super) struct UnsealedCopy {
    /// The frames from the position up to here were checked, CRCs
    /// included if `with_crc`.
    pub(super) checked_to: usize,
    pub(super) with_crc: bool,
    /// The copy: `len` bytes of the file from offset `at`; the checked
    /// frames are read from it unless `frames_in_copy` is false (a frame
    /// too long for it).
    pub(super) buf: Vec<u8>,
    pub(super) at: usize,
    pub(super) len: usize,
    pub(super) frames_in_copy: bool,
}
