//! Where a compressed segment's bytes come from: its file, or (feature
//! "s3") an object read with ranged GETs (`crate::archive::RemoteSource`).
//! Everything reads through this trait, so a remote segment gets the same
//! checks, seeks and damage handling as a local one.

use super::seek_table::FrameEntry;
use crate::error::{Error, Result};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Random reads of a compressed segment's bytes. `&self`: reads do not
/// move a position; a source that caches does so inside.
pub trait Source: Send {
    /// The length in bytes.
    fn size(&self) -> io::Result<u64>;

    /// Reads up to `buf.len()` bytes at `offset`; how many were read (0 at
    /// or past the end).
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;

    /// Whether the bytes `offset..offset + len` are at hand: reading them
    /// sends no request (a file's always are). An open puts off checks
    /// whose bytes are not (see `CompressedSegment::open_source`).
    fn holds(&self, offset: u64, len: u64) -> bool;

    /// Says that the bytes `offset..offset + len` are about to be read (a
    /// seek's span), for a source that fetches them to do so at once.
    /// Nothing for a file; a failure is left to the reads.
    fn will_read(&self, _offset: u64, _len: u64) {}

    /// Says that sequential reads (a scan) end at `end`: a source that
    /// reads ahead of them reads no further. Nothing for a file.
    fn streams_end_at(&self, _end: u64) {}

    /// Reads up to `buf.len()` bytes at `offset`, fewer only at the end;
    /// how many were read.
    fn read_upto(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        crate::sys::read_upto(|b, o| self.read_at(b, o), buf, offset)
    }

    /// Reads exactly `buf.len()` bytes at `offset`; `UnexpectedEof` if the
    /// source ends before.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        match self.read_upto(buf, offset)? == buf.len() {
            true => Ok(()),
            false => Err(io::ErrorKind::UnexpectedEof.into()),
        }
    }
}

impl Source for File {
    fn size(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        FileExt::read_at(self, buf, offset)
    }

    fn holds(&self, _offset: u64, _len: u64) -> bool {
        true
    }
}

/// The length of `source` (named `path` in errors).
pub fn source_len(source: &dyn Source, path: &Path) -> Result<u64> {
    source
        .size()
        .map_err(|e| Error::io(path, "read metadata", e))
}

/// Reads the compressed bytes of frame `entry` of `source` (named `path`
/// in errors, with the frame's compressed offset) into `buf`.
pub fn read_frame(
    source: &dyn Source,
    path: &Path,
    entry: &FrameEntry,
    buf: &mut Vec<u8>,
) -> Result<()> {
    let at = entry.compressed_offset;
    buf.resize(entry.compressed_size as usize, 0);
    (source.read_exact_at(buf, at)).map_err(|e| Error::io_at(path, at, "read compressed frame", e))
}
