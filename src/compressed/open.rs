//! Reading and checking a compressed segment's seek table from the end of
//! its file, before any frame is decompressed: a file that ends without
//! one, a malformed table and a table that disagrees with the file's
//! length each fail with their own kind, naming the file and offset.

use super::frame_decoder::ZSTD_MAGIC;
use super::seek_table::{SeekTable, TableError, FOOTER_LEN};
use crate::error::{Error, ErrorKind, Result};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The seek table of the compressed segment `file` (at `path`), checked
/// against the file's length: its frames fill the file up to the table.
pub fn read_table(file: &File, path: &Path) -> Result<SeekTable> {
    let len = file
        .metadata()
        .map_err(|e| Error::io(path, "read metadata", e))?
        .len();
    let read = |at: u64, n: usize| -> Result<Vec<u8>> {
        let mut b = vec![0u8; n];
        file.read_exact_at(&mut b, at)
            .map_err(|e| Error::io_at(path, at, "read seek table", e))?;
        Ok(b)
    };
    let no_table = || -> Result<SeekTable> {
        let start = read(0, (len as usize).min(4))?;
        if start == ZSTD_MAGIC {
            let what = "the file ends without the seek table of a compressed segment (truncated?)";
            Err(Error::at(ErrorKind::CompressedTruncated, path, len, what))
        } else {
            let what =
                "not a compressed segment (no zstd frame at its start, no seek table at its end)";
            Err(Error::file(ErrorKind::NotABinlog, path, what))
        }
    };
    if len < FOOTER_LEN as u64 {
        return no_table();
    }
    let footer = read(len - FOOTER_LEN as u64, FOOTER_LEN)?;
    let table_len = match SeekTable::encoded_len(&footer) {
        Ok(n) => n,
        Err(TableError::Missing) => return no_table(),
        Err(TableError::Bad { at_from_end, what }) => {
            return Err(Error::at(
                ErrorKind::CorruptSeekTable,
                path,
                len - at_from_end,
                what,
            ))
        }
    };
    let Some(table_at) = len.checked_sub(table_len) else {
        let what =
            format!("the seek table's footer says {table_len} bytes of table, more than the file");
        return Err(Error::at(
            ErrorKind::CorruptSeekTable,
            path,
            len - FOOTER_LEN as u64,
            what,
        ));
    };
    let table = SeekTable::decode(&read(table_at, table_len as usize)?).map_err(|e| match e {
        TableError::Bad { at_from_end, what } => {
            Error::at(ErrorKind::CorruptSeekTable, path, len - at_from_end, what)
        }
        TableError::Missing => {
            Error::at(ErrorKind::CorruptSeekTable, path, table_at, "no seek table")
        }
    })?;
    check_frames_fill_the_file(&table, table_at, path)?;
    Ok(table)
}

/// The listed frames end where the table starts: more is a truncated file
/// (bytes missing before the table), less a table that lies.
fn check_frames_fill_the_file(table: &SeekTable, table_at: u64, path: &Path) -> Result<()> {
    let frames = table.frames_len();
    let kind = match frames.cmp(&table_at) {
        std::cmp::Ordering::Greater => Some(ErrorKind::CompressedTruncated),
        std::cmp::Ordering::Less => Some(ErrorKind::CorruptSeekTable),
        std::cmp::Ordering::Equal => None,
    };
    if let Some(kind) = kind {
        let what = format!("the seek table lists {frames} bytes of frames, the file has {table_at} before the table");
        return Err(Error::at(kind, path, table_at, what));
    }
    if table.frames.is_empty() {
        return Err(Error::at(
            ErrorKind::CorruptSeekTable,
            path,
            table_at,
            "the seek table lists no frames",
        ));
    }
    Ok(())
}
