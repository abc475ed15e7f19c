//! A full check of one segment, frame by frame, that keeps going past
//! damage: every CRC (header, records, seal directory, per-type arrays,
//! sparse index, trailer), the sequence numbers, the type table, and the
//! seal's summary against the records. It finds every damaged region (the
//! library's reader stops at the first one), tells a torn tail from
//! corruption in the middle the way docs/FORMAT.md section 10 does, and
//! returns the runs of intact records between the damage, which `repair
//! --salvage` copies. Memory is constant in the size of the segment.
//!
//! `analysis` is what the walk finds, `walker` walks the frames, `record_check` checks each record,
//! `seal_check` compares the seal with the records, and `lost_types` names
//! types whose definition is in damaged bytes.

mod analysis;
mod decompressed;
mod lost_types;
mod record_check;
mod seal_check;
mod walker;

pub use analysis::{Analysis, IntactRun, IssueKind, RecordsEnd, WalkError};
pub use lost_types::LostTypes;

use crate::progress::Progress;
use memmap2::Mmap;
use std::fs::File;
use std::path::Path;
use walker::Walker;

/// The bytes of the segment at `path`, mapped: the file's, or for a
/// compressed segment its original bytes (see `decompressed`).
pub fn map(path: &Path) -> Result<(File, Mmap), WalkError> {
    map_noting(path, &mut Vec::new())
}

/// `map`, adding to `notes` what was lost decompressing a compressed
/// segment.
pub fn map_noting(path: &Path, notes: &mut Vec<String>) -> Result<(File, Mmap), WalkError> {
    map_telling(path, notes).map(|(file, map, _)| (file, map))
}

/// `map_noting`, and for a compressed segment how its file ends
/// (`decompressed::FileEnd`): None for a plain segment.
fn map_telling(
    path: &Path,
    notes: &mut Vec<String>,
) -> Result<(File, Mmap, Option<decompressed::FileEnd>), WalkError> {
    let mut compressed = None;
    let file =
        File::open(path).map_err(|e| WalkError::Io(format!("{}: open: {e}", path.display())))?;
    // Opening a directory works, mapping it does not ("No such device"):
    // say what it is, in the library's words.
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(WalkError::NotSegment(format!(
            "{}: is a directory, not a segment",
            path.display()
        )));
    }
    let file = if decompressed::is_compressed(&file) {
        let (copy, lost, end) = decompressed::decompressed(path)?;
        notes.extend(lost.into_iter().map(|n| format!("{}: {n}", path.display())));
        compressed = Some(end);
        copy
    } else {
        file
    };
    // SAFETY: read-only map. A writer may append meanwhile (the walk only
    // looks at the length it mapped); a recovering writer cutting the file
    // while we read is documented as not allowed (docs/GUIDE.md, "Threads,
    // processes and lifetimes").
    let map = unsafe { memmap2::MmapOptions::new().map(&file) }
        .map_err(|e| WalkError::Io(format!("{}: map: {e}", path.display())))?;
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok((file, map, compressed))
}

/// Checks the segment at `path`; also the bytes it read (its map). What
/// was lost decompressing a compressed segment goes to `notes`.
pub fn analyze(
    path: &Path,
    progress: &mut Progress,
    notes: &mut Vec<String>,
) -> Result<(Analysis, Mmap), WalkError> {
    let (file, map, compressed) = match map_telling(path, notes) {
        Err(WalkError::Lost(what)) => return Ok(decompressed::nothing_left(what)),
        mapped => mapped?,
    };
    let zeros_from = match compressed {
        Some(_) => map.len(),
        None => zeros_from(&file, map.len()),
    };
    let mut a = analyze_bytes(path, &map, Some(&map), zeros_from, progress)?;
    if let Some(end) = compressed {
        end.judge(&mut a);
    }
    Ok((a, map))
}

/// The analysis of an empty file: no header, no record and no damage
/// (an empty segment file is not damage: see `file_kind`).
pub fn empty_analysis() -> Analysis {
    Walker::new(0).into_analysis()
}

/// `analyze` on bytes whose bytes from `zeros_from` on are zeros (see
/// `zeros_from`); `mapped` (the map the bytes are) lets the walk hand
/// pages it is done with back to the kernel, so that memory stays flat on
/// multi-GB segments.
fn analyze_bytes(
    path: &Path,
    map: &[u8],
    mapped: Option<&Mmap>,
    zeros_from: usize,
    progress: &mut Progress,
) -> Result<Analysis, WalkError> {
    let mut w = Walker::new(map.len() as u64);
    w.zeros_from = zeros_from;
    let Some((start, next_seq)) = w.read_header(path, map)? else {
        return Ok(w.into_analysis());
    };
    if zeros_from == map.len() {
        // A file that ends in zeros has no seal trailer; and its end, in
        // the zeros, is not read through the map.
        w.find_seal(map, start);
    }
    w.walk(map, mapped, start, next_seq, progress);
    w.check_seal();
    Ok(w.into_analysis())
}

/// Where the zeros that end the first `len` bytes of `file` start (`len` if
/// it does not end in zeros), read backwards with pread: an unsealed
/// segment of a durable writer runs on in zeros past its records, which
/// sealing cuts, so they are never read through a map (a mapped page
/// wholly past the end of a file raises SIGBUS). A read that fails counts
/// as not zero.
pub fn zeros_from(file: &File, len: usize) -> usize {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0u8; 64 << 10];
    let mut to = len;
    while to > 0 {
        let from = to.saturating_sub(buf.len());
        let chunk = &mut buf[..to - from];
        if file.read_exact_at(chunk, from as u64).is_err() {
            return to;
        }
        if let Some(i) = chunk.iter().rposition(|&b| b != 0) {
            return from + i + 1;
        }
        to = from;
    }
    0
}
