//! The file steps compressing and decompressing share: leftovers removed,
//! renames and unlinks made durable, and the comparison of a compressed
//! segment with a plain file.

use super::segment::CompressedSegment;
use super::source::source_len;
use crate::error::{Error, ErrorKind, Result};
use crate::sys::{remove_if_there, sync_parent, with_suffix};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The steps of a conversion, in order, for progress reports and for kill
/// tests: after each, a crash leaves the source or a verified copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The temporary file is written and synced.
    Written,
    /// The temporary file was read back and equals the source.
    Verified,
    /// The temporary file has its final name (the directory synced).
    Renamed,
    /// The source is unlinked (the directory synced).
    SourceRemoved,
}

/// Opens the source of a conversion at `path`, takes its lock (a writer
/// or another conversion makes it `Locked`), then removes a leftover `tmp`
/// of an interrupted conversion, if there is one.
pub fn open_for_conversion(path: &Path, tmp: &Path) -> Result<File> {
    let file = File::open(path).map_err(|e| Error::io(path, "open", e))?;
    crate::sys::lock_exclusive(&file, path, Duration::ZERO, "lock", CONVERTERS)?;
    remove_if_there(tmp, "remove leftover temporary file")?;
    Ok(file)
}

/// Syncs `file` (the temporary copy at `path`).
pub fn sync(file: &File, path: &Path) -> Result<()> {
    file.sync_all().map_err(|e| Error::io(path, "fsync", e))
}

/// Renames `from` to `to` and syncs the directory.
pub fn rename_durably(from: &Path, to: &Path) -> Result<()> {
    std::fs::rename(from, to)
        .map_err(|e| Error::io(from, &format!("rename to {}", to.display()), e))?;
    sync_parent(to)
}

/// Unlinks `path` and syncs the directory.
pub fn remove_durably(path: &Path) -> Result<()> {
    std::fs::remove_file(path).map_err(|e| Error::io(path, "remove", e))?;
    sync_parent(path)
}

/// Who holds a file's lock that a conversion cannot take.
pub const CONVERTERS: &str = "a writer, or another compression or decompression, holds it";

/// Gives the file at `path` the first free name of `<path>.<suffix>`,
/// `<path>.<suffix>.1`, ... and syncs the directory; returns the new name.
pub fn move_aside(path: &Path, suffix: &str) -> Result<PathBuf> {
    let base = with_suffix(path, &format!(".{suffix}"));
    for n in 0..10_000u32 {
        let candidate = match n {
            0 => base.clone(),
            n => with_suffix(&base, &format!(".{n}")),
        };
        match std::fs::hard_link(path, &candidate) {
            Ok(()) => {
                remove_durably(path)?;
                return Ok(candidate);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(&candidate, "link a copy aside", e)),
        }
    }
    let what = "10,000 files of this name already; nothing was changed";
    Err(Error::file(ErrorKind::AlreadyExists, &base, what))
}

/// Fails unless `plain` (the file at `plain_path`) holds exactly the
/// original bytes of `segment`; reads both one frame at a time.
pub fn check_same_bytes(
    segment: &mut CompressedSegment,
    plain: &File,
    plain_path: &Path,
) -> Result<()> {
    let len = source_len(plain, plain_path)?;
    let zst = segment.path().to_path_buf();
    if len != segment.original_len() {
        let (plain, n) = (plain_path.display(), segment.original_len());
        let what = format!("{plain} holds {len} bytes, the compressed segment {n}");
        return Err(Error::file(ErrorKind::Corrupt, &zst, what));
    }
    let mut theirs = Vec::new();
    segment.for_each_frame(|offset, ours| {
        theirs.resize(ours.len(), 0);
        plain
            .read_exact_at(&mut theirs, offset)
            .map_err(|e| Error::io_at(plain_path, offset, "read", e))?;
        same_frame(&zst, offset, ours, Some(&theirs[..]), plain_path)
    })
}

/// Fails with `Corrupt`, naming `zst` and the frame's original offset,
/// unless the frame at `offset` decompressed to `ours` holds the bytes
/// the segment at `plain_path` holds there (`theirs`, if it has them).
pub fn same_frame(
    zst: &Path,
    offset: u64,
    ours: &[u8],
    theirs: Option<&[u8]>,
    plain_path: &Path,
) -> Result<()> {
    if theirs == Some(ours) {
        return Ok(());
    }
    let plain = plain_path.display();
    let what = format!("the frame at original offset {offset} differs from {plain}");
    Err(Error::file(ErrorKind::Corrupt, zst, what))
}
