//! What a file named as a segment is, decided alike by every command so
//! that the same file gets the same answer (docs/CLI.md, "Exit status"):
//!
//! * **empty** (0 bytes): what a writer leaves between creating a segment
//!   and writing its header (or a writer that died then). Not damage: it
//!   holds no record, and every command says so and exits 0.
//! * **not a segment**: no magic number, and no valid record anywhere in
//!   the file. A usage error (exit status 2), as for any file that is not a
//!   libbinlog segment. (A file whose magic number is damaged but that
//!   holds valid records is a segment with a damaged header: exit 1.)
//! * anything else is read as a segment.

use crate::error::{CliError, CliResult};
use crate::walk::{self, WalkError};
use binlog::format::frame;
use binlog::format::header::SegmentHeader;
use binlog::ErrorKind;
use std::path::Path;

/// The state reports give an empty segment file.
pub const EMPTY_STATE: &str = "empty";

/// What reports say of an empty segment file.
pub const EMPTY_NOTE: &str =
    "no header written yet (a writer creating it, or one that died then); no records";

/// True for a segment file of 0 bytes (see the module's comment).
pub fn is_empty(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0)
}

/// The error for a file that is not a segment at all: its bytes neither
/// start with the magic number nor hold any valid record. None for a
/// segment (damaged or not) and for an empty file.
pub fn not_a_segment(path: &Path, bytes: &[u8]) -> Option<CliError> {
    if bytes.is_empty() {
        return None;
    }
    let e = SegmentHeader::decode(bytes, path).err()?;
    if e.kind() != ErrorKind::NotABinlog || frame::find_next_record(bytes, 0, None).is_some() {
        return None;
    }
    Some(CliError::usage(e.message().to_string()))
}

/// `not_a_segment` on the file at `path`.
pub fn check_not_a_segment(path: &Path) -> CliResult<Option<CliError>> {
    let (_file, map) = walk::map(path).map_err(WalkError::into_cli)?;
    Ok(not_a_segment(path, &map))
}

/// A library error opening `path`, as the command reports it: a file the
/// library calls not a segment that holds valid records is a segment with
/// a damaged header (damage, exit status 1), not a usage error.
pub fn open_error(path: &Path, e: binlog::Error) -> CliResult<CliError> {
    if e.kind() == ErrorKind::NotABinlog && check_not_a_segment(path)?.is_none() {
        return Ok(CliError::Damaged(e.message().to_string()));
    }
    Ok(e.into())
}
