//! Decompressing `<segment>.zst` back into `<segment>`, crash safely: write
//! `<segment>.tmp`, fsync it, read it back (its bytes and seal must be the
//! compressed segment's), rename it, fsync the directory, unlink the `.zst`.

use super::compress::{converted, Converted};
use super::durable::{
    check_same_bytes, open_for_conversion, remove_durably, rename_durably, sync, Step,
};
use super::segment::CompressedSegment;
use crate::error::{Error, ErrorKind, Result};
use crate::source::PlainSegment;
use crate::sys::with_suffix;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Decompresses the compressed segment `zst` (a name ending in `.zst`)
/// into the same name without `.zst`, and removes `zst`.
pub fn decompress_segment(zst: &Path) -> Result<Converted> {
    decompress_segment_with(zst, |_| {})
}

/// `decompress_segment`, calling `on_step` after each step.
pub fn decompress_segment_with(zst: &Path, mut on_step: impl FnMut(Step)) -> Result<Converted> {
    let out = plain_name(zst)?;
    let tmp = with_suffix(&out, ".tmp");
    let mut segment = CompressedSegment::open(zst)?;
    // Its lock is held until this returns.
    let _held = open_for_conversion(zst, &tmp)?;
    let done = converted(&segment, &out)?;
    let existing = match File::open(&out) {
        Ok(f) => Some(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(&out, "open", e)),
    };
    if let Some(existing) = existing {
        // A crash between the rename and the unlink, or a file that was
        // never ours: finish in the first case, touch nothing in the second.
        check_same_bytes(&mut segment, &existing, &out).map_err(|e| {
            if e.kind() != ErrorKind::Corrupt {
                return e;
            }
            let (zst, d) = (zst.display(), e.detail());
            let what = format!("exists and differs from {zst} ({d}); nothing was changed");
            Error::file(ErrorKind::AlreadyExists, &out, what)
        })?;
    } else {
        // A damaged frame stops the copy: what was written is removed.
        let written = write_plain(&mut segment, &tmp).inspect(|_| on_step(Step::Written));
        if let Err(e) = written.and_then(|()| check_plain(&mut segment, &tmp)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(not_finished(e, zst));
        }
        on_step(Step::Verified);
        rename_durably(&tmp, &out)?;
        on_step(Step::Renamed);
    }
    remove_durably(zst)?;
    on_step(Step::SourceRemoved);
    Ok(done)
}

/// `e`, a failure to write or read back the decompressed copy of `zst`
/// (removed since), saying so if it is one of I/O (a full disk).
fn not_finished(e: Error, zst: &Path) -> Error {
    if !e.kind().is_io() {
        return e;
    }
    e.with_detail(|d| {
        let zst = zst.display();
        format!("{d} (decompressed copy of {zst} not finished, removed; {zst} is kept)")
    })
}

/// `zst` without its `.zst`.
fn plain_name(zst: &Path) -> Result<PathBuf> {
    let name = zst
        .file_name()
        .and_then(|n| n.to_str()?.strip_suffix(".zst"));
    let what = "a compressed segment's name ends in .zst";
    match name {
        Some(n) if !n.is_empty() => Ok(zst.with_file_name(n)),
        _ => Err(Error::file(ErrorKind::InvalidArgument, zst, what)),
    }
}

/// Writes the original bytes of `segment` to `tmp` and syncs it.
fn write_plain(segment: &mut CompressedSegment, tmp: &Path) -> Result<()> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)
        .map_err(|e| Error::io(tmp, "create", e))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, &file);
    segment.for_each_frame(|offset, bytes| {
        w.write_all(bytes)
            .map_err(|e| Error::io_at(tmp, offset, "write", e))
    })?;
    // The bytes still buffered are the segment's last ones.
    let at = segment.original_len() - w.buffer().len() as u64;
    w.flush().map_err(|e| Error::io_at(tmp, at, "write", e))?;
    drop(w);
    sync(&file, tmp)
}

/// Reads `tmp` back: its bytes must be the original bytes of `segment`
/// and its seal that of `segment`.
fn check_plain(segment: &mut CompressedSegment, tmp: &Path) -> Result<()> {
    let differs = |detail: Option<&str>| {
        let detail = detail.map_or(String::new(), |d| format!(" ({d})"));
        let what = "the decompressed copy read back differs from what was written";
        Error::file(ErrorKind::Corrupt, tmp, format!("{what}{detail}; removed"))
    };
    let file = File::open(tmp).map_err(|e| Error::io(tmp, "open", e))?;
    check_same_bytes(segment, &file, tmp).map_err(|e| match e.kind() {
        ErrorKind::Corrupt => differs(Some(e.detail())),
        _ => e,
    })?;
    if PlainSegment::open(tmp)?.seal() != Some(segment.seal()) {
        return Err(differs(None));
    }
    Ok(())
}
