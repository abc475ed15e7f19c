//! A plain segment file opened for its seal alone: what compression checks
//! before it converts a segment (sealed, its seal usable, no writer) and
//! decompression after (the copy's seal is the original's). The seal is
//! read and checked as a reader reads and checks it (`seal_trust`), so
//! that both agree with a reader on which segments are sealed.

use super::seal_trust::read_seal;
use super::{open_segment_file, MappedFile, SegmentSource};
use crate::error::{Error, Result};
use crate::format::{header::SegmentHeader, seal::SealDirectory};
use std::fs::File;
use std::path::{Path, PathBuf};

pub(crate) struct PlainSegment {
    path: PathBuf,
    mapped: MappedFile,
    data_start: usize,
    seal: Option<SealDirectory>,
}

impl PlainSegment {
    /// Opens the plain segment at `path` (as `Reader::open` opens one:
    /// `open_segment_file`) and reads its seal.
    pub fn open(path: &Path) -> Result<PlainSegment> {
        let (path, file) = open_segment_file(path)?;
        PlainSegment::of_file(path, file)
    }

    /// `open` for a file already opened (`open_segment_file`), at `path`.
    pub fn of_file(path: PathBuf, file: File) -> Result<PlainSegment> {
        let mapped = MappedFile::new(file, &path)?;
        let (header, data_start) = SegmentHeader::decode(&mapped.map, &path)?;
        let seal = read_seal(&mapped, data_start, header.first_seq);
        Ok(PlainSegment {
            path,
            mapped,
            data_start,
            seal,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Offset where the records start.
    pub fn data_start(&self) -> u64 {
        self.data_start as u64
    }

    /// The seal, if a reader may use it.
    pub fn seal(&self) -> Option<&SealDirectory> {
        self.seal.as_ref()
    }

    /// Whether the file ends in a whole seal trailer (see
    /// `Reader::has_seal_trailer`).
    pub fn has_seal_trailer(&self) -> bool {
        (&self.mapped as &dyn SegmentSource).has_seal_trailer(self.data_start)
    }

    /// Whether a writer holds the segment (its exclusive lock).
    pub fn has_writer(&self) -> Result<bool> {
        crate::sys::is_locked_exclusively(&self.mapped.file)
            .map_err(|e| Error::io(&self.path, "look for its writer's lock", e))
    }
}
