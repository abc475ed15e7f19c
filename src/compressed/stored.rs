//! A plain (not compressed) segment read as a compressed one whose frames
//! are stored as they are: a remote `.binlog` object, so that it is
//! fetched in the ranges a reader reads (archive/remote_source.rs), as a
//! `.binlog.zst` object is, by the same reader (`Reader::open_compressed`).
//! Its seek table is made up (`SeekTable::stored`), never read: frames of
//! `STORED_FRAME` bytes at the same offsets in both "files".

use super::seek_table::SeekTable;
use super::source::{source_len, Source};
use super::CompressedSegment;
use crate::error::Result;
use std::path::PathBuf;

/// The original bytes of each stored frame of a plain segment read by
/// `open_stored`: the least a scan's stream or a type filter's read of a
/// record fetches at once (a remote object's windows grow past it).
pub const STORED_FRAME: u32 = 16 << 10;

impl CompressedSegment {
    /// A plain (not compressed) segment's bytes, read from `source` (a
    /// remote object) as if it were compressed in frames stored as they
    /// are, `STORED_FRAME` bytes each: so that a reader of a compressed
    /// segment (`Reader::open_compressed`) reads it, every read of its
    /// bytes through `source`, and a remote object is fetched in the
    /// ranges read (remote_source.rs) instead of whole. Reads the header
    /// only: its seal is the reader's to read and check, as for a file
    /// (`seal` is empty; nothing is put off here).
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
    /// about to be read (a seek's span, see `Source::will_read`): for a
    /// plain segment read as stored frames, from the start of the frame
    /// that holds `offset` to the end of the one that holds the last
    /// byte, the bytes a scan through them reads. Nothing for a
    /// compressed segment, whose frames are fetched whole anyway.
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
    /// `end` (where its records end: its seal's per-type offset arrays
    /// follow, which a scan does not read): a remote object's read-ahead
    /// stops there. Nothing for a compressed segment, whose seal is small.
    pub fn streams_end_at(&self, end: u64) {
        if self.stored {
            self.file.streams_end_at(end);
        }
    }
}
