//! A plain segment file as a source of its original bytes: opened to read,
//! mapped for the record scan, its other parts read with pread (see
//! `map_file` for why not through the mapping).

use super::SegmentSource;
use crate::error::{Error, ErrorKind, Result};
use memmap2::{Mmap, MmapOptions};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A plain segment's file, and a mapping of it (whose length is the
/// segment's as far as its reader knows; shared with the record views of
/// a reader, which borrow it).
pub(crate) struct MappedFile {
    pub file: File,
    pub map: Arc<Mmap>,
}

impl MappedFile {
    /// Maps `file` (at `path`, named in errors).
    pub fn new(file: File, path: &Path) -> Result<MappedFile> {
        let map = Arc::new(map_file(&file, path)?);
        Ok(MappedFile { file, map })
    }

    /// Maps the file again if its length changed since it was mapped (the
    /// mapping's is its length then); true if it did.
    pub fn remap_if_len_changed(&mut self, path: &Path) -> Result<bool> {
        let meta = self.file.metadata();
        let len = meta.map_err(|e| Error::io(path, "stat", e))?.len();
        if len == self.map.len() as u64 {
            return Ok(false);
        }
        self.map = Arc::new(map_file(&self.file, path)?);
        Ok(true)
    }
}

impl SegmentSource for MappedFile {
    fn len(&self) -> usize {
        self.map.len()
    }

    fn read_part(&self, offset: u64, len: usize) -> Option<Vec<u8>> {
        let mut buf = vec![0; len];
        self.file.read_exact_at(&mut buf, offset).ok()?;
        Some(buf)
    }

    fn in_memory(&self) -> Option<&[u8]> {
        Some(&self.map)
    }
}

pub(crate) fn map_file(file: &File, path: &Path) -> Result<Mmap> {
    // SAFETY: the mapping is read-only. A segment may get shorter while
    // mapped: a writer reopening it cuts a torn tail or its seal, and a
    // mapped page wholly past the end of the file then raises SIGBUS. So
    // the reader reads only whole record frames through the mapping, which
    // no writer cuts, and everything else (a seal, what follows an unsealed
    // segment's last whole frame) with pread, except in a writer's own
    // recovery scan, which holds the lock every cutter takes
    // (`declare_nothing_can_cut_file`). What remains unsafe is in
    // docs/GUIDE.md, "Threads, processes and lifetimes".
    unsafe { MmapOptions::new().map(file) }.map_err(|e| Error::io(path, "map", e))
}

/// The segment file at `path` (or, if it is missing, its compressed copy:
/// see `naming::compressed_copy_of`), opened to read (a directory is
/// refused), and its path.
pub(crate) fn open_segment_file(path: &Path) -> Result<(PathBuf, File)> {
    let opened = match crate::sys::open_read_noatime(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let zst = crate::format::naming::compressed_copy_of(path).ok_or(e);
            zst.and_then(|zst| crate::sys::open_read_noatime(&zst).map(|f| (zst, f)))
        }
        opened => opened.map(|f| (path.to_path_buf(), f)),
    };
    let (path, file) = opened.map_err(|e| Error::io(path, "open", e))?;
    let meta = file.metadata().map_err(|e| Error::io(&path, "stat", e))?;
    if meta.is_dir() {
        let what = "is a directory, not a segment";
        return Err(Error::file(ErrorKind::InvalidArgument, &path, what));
    }
    Ok((path, file))
}
