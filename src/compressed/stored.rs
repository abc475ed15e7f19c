//! A plain segment read as a compressed one whose frames are stored as
//! they are: a remote `.binlog` object, fetched in the ranges a reader
//! reads, as a `.binlog.zst` object is (`Reader::open_compressed`). Its
//! seek table is made up (`SeekTable::stored`): frames of `STORED_FRAME`
//! bytes at the same offsets in both "files".

use super::seek_table::SeekTable;
use super::source::{source_len, Source};
use super::CompressedSegment;
use crate::error::Result;
use std::path::PathBuf;

/// The original bytes of each stored frame (`open_stored`): the least a
/// read fetches at once (a remote object's windows grow past it).
pub const STORED_FRAME: u32 = 16 << 10;

impl CompressedSegment {
    /// A plain segment's bytes, read from `source` (a remote object) as if
    /// compressed in stored frames of `STORED_FRAME` bytes: a reader of a
    /// compressed segment reads it, fetching the ranges it reads instead
    /// of the whole object. Reads the header only: the seal is the
    /// reader's to read and check, as for a file.
    pub fn open_stored(name: PathBuf, source: Box<dyn Source>) -> Result<CompressedSegment> {
        let len = source_len(source.as_ref(), &name)?;
        let table = SeekTable::stored(len, STORED_FRAME);
        let mut s = CompressedSegment::with_table(name, source, table);
        s.stored = true;
        s.read_header()?;
        Ok(s)
    }

    /// Whether this is a plain segment read as stored frames (`open_stored`).
    pub fn is_stored(&self) -> bool {
        self.stored
    }

    /// Tells the source that the original bytes `offset..offset + len` are
    /// about to be read (`Source::will_read`): for stored frames, the
    /// frames that hold them. Nothing for a compressed segment, whose
    /// frames are fetched whole anyway.
    pub fn will_read(&self, offset: u64, len: u64) {
        let end = offset.saturating_add(len.max(1)).min(self.original_len());
        if !self.stored || end <= offset {
            return;
        }
        let first = self.table.frame_at(offset).expect("offset below the end");
        let last = self
            .table
            .frame_at(end - 1)
            .expect("end within the segment");
        let from = self.table.frames[first].offset;
        self.file
            .will_read(from, self.table.frames[last].end() - from);
    }

    /// Says that a scan of a plain segment read as stored frames ends at
    /// `end` (where its records end): a remote object's read-ahead stops
    /// there. Nothing for a compressed segment.
    pub fn streams_end_at(&self, end: u64) {
        if self.stored {
            self.file.streams_end_at(end);
        }
    }
}
