//! Reading and checking a compressed segment's seek table from the end of
//! its file: a file without one, a malformed table and a table that
//! disagrees with the file's length each fail with their own kind.

use super::frame_decoder::{Frame, ZSTD_MAGIC};
use super::frame_stream::FrameStream;
use super::frame_walk::walk_frames;
use super::seek_table::{SeekTable, TableError, FOOTER_LEN};
use super::source::{source_len, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::format::MAGIC;
use std::path::Path;

/// The seek table of the compressed segment `file` (at `path`), checked
/// against the file's length: its frames fill the file up to the table.
pub fn read_table(file: &dyn Source, path: &Path) -> Result<SeekTable> {
    let len = source_len(file, path)?;
    let read = |at: u64, n: usize| -> Result<Vec<u8>> {
        let mut b = vec![0u8; n];
        file.read_exact_at(&mut b, at)
            .map_err(|e| Error::io_at(path, at, "read seek table", e))?;
        Ok(b)
    };
    let no_table = || -> Result<SeekTable> {
        let start = read(0, (len as usize).min(4))?;
        if start != ZSTD_MAGIC {
            let what =
                "not a compressed segment (no zstd frame at its start, no seek table at its end)";
            return Err(Error::at(ErrorKind::NotABinlog, path, 0, what));
        }
        let walk = walk_frames(file, len).map_err(|e| Error::io(path, "read frames", e))?;
        if walk.stopped_at.is_none() && holds_no_segment(file, path, &walk.frames) {
            let what = "zstd frames without the seek table of a compressed segment, and no \
                        segment header in the first (not a compressed segment)";
            return Err(Error::at(ErrorKind::NotABinlog, path, 0, what));
        }
        let what = match walk.stopped_at {
            Some(at) => format!(
                "the file ends without the seek table of a compressed segment (truncated: \
                 the zstd frame at offset {at} is not whole)"
            ),
            None => "the file ends without the seek table of a compressed segment (cut short \
                     after a whole frame, or compressed without one: `zstd -d` decompresses it)"
                .to_string(),
        };
        Err(Error::at(ErrorKind::CompressedTruncated, path, len, what))
    };
    // A file shorter than a footer has none (`Missing`).
    let footer_len = len.min(FOOTER_LEN as u64) as usize;
    let footer = read(len - footer_len as u64, footer_len)?;
    let bad = |at_from_end: u64, what: String| {
        Error::at(ErrorKind::CorruptSeekTable, path, len - at_from_end, what)
    };
    let table_len = match SeekTable::encoded_len(&footer) {
        Ok(n) => n,
        Err(TableError::Missing) => return no_table(),
        Err(TableError::Bad { at_from_end, what }) => return Err(bad(at_from_end, what)),
    };
    let Some(table_at) = len.checked_sub(table_len) else {
        let what =
            format!("the seek table's footer says {table_len} bytes of table, more than the file");
        return Err(bad(FOOTER_LEN as u64, what));
    };
    let table = SeekTable::decode(&read(table_at, table_len as usize)?).map_err(|e| match e {
        TableError::Bad { at_from_end, what } => bad(at_from_end, what),
        TableError::Missing => bad(table_len, "no seek table".into()),
    })?;
    check_frames_fill_the_file(&table, table_at, path)?;
    Ok(table)
}

/// The seek table of `file` as `read_table` reads it or, if it is missing
/// or broken, the whole frames a walk from the start finds, with the
/// table's error; fails as `read_table` does if there are none.
pub fn read_table_salvage(file: &dyn Source, path: &Path) -> Result<(SeekTable, Option<Error>)> {
    let e = match read_table(file, path) {
        Ok(table) => return Ok((table, None)),
        Err(e) if is_table_lost(&e) => e,
        Err(e) => return Err(e),
    };
    let len = source_len(file, path)?;
    let walk = walk_frames(file, len).map_err(|e| Error::io(path, "read frames", e))?;
    if walk.frames.frames.is_empty() {
        return Err(e);
    }
    Ok((walk.frames, Some(e)))
}

/// Whether `e`, from `read_table`, says the seek table is missing or
/// broken (not the file unreadable, nor no compressed segment at all).
pub(super) fn is_table_lost(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::CompressedTruncated | ErrorKind::CorruptSeekTable
    )
}

/// Whether the first of `frames` decompresses to bytes that do not start
/// with a segment's magic (decompressing only those): the frames hold no
/// segment. A frame that does not decompress could hold one.
fn holds_no_segment(file: &dyn Source, path: &Path, frames: &SeekTable) -> bool {
    let Some(first) = frames.frames.first() else {
        return true;
    };
    if (first.size as usize) < MAGIC.len() {
        return true;
    }
    let mut stream = FrameStream::for_prefixes();
    let decoded = stream.extend(file, Frame::new(path, 0, *first), MAGIC.len());
    decoded.is_ok() && stream.bytes()[..MAGIC.len()] != MAGIC
}

/// The listed frames end where the table starts: more is a truncated file
/// (bytes missing before the table), less a table that lies.
fn check_frames_fill_the_file(table: &SeekTable, table_at: u64, path: &Path) -> Result<()> {
    let frames = table.frames_len();
    let kind = match frames.cmp(&table_at) {
        std::cmp::Ordering::Greater => ErrorKind::CompressedTruncated,
        std::cmp::Ordering::Less => ErrorKind::CorruptSeekTable,
        std::cmp::Ordering::Equal if table.frames.is_empty() => {
            let what = "the seek table lists no frames";
            return Err(Error::at(ErrorKind::CorruptSeekTable, path, table_at, what));
        }
        std::cmp::Ordering::Equal => return Ok(()),
    };
    let what = format!(
        "the seek table lists {frames} bytes of frames, the file has {table_at} before the table"
    );
    Err(Error::at(kind, path, table_at, what))
}
