//! An empty file named as a segment: a file of 0 bytes ends inside its
//! header, which the library reads as `Truncated` (docs/FORMAT.md section
//! 3): damage, except as the newest file of a log, which a writer creating
//! it may not have written its header into yet (the library's `LogReader`
//! reads nothing from it, and `binlog::verify` notes it).

use std::path::Path;

/// True for a file of 0 bytes.
pub fn is_empty(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0)
}
