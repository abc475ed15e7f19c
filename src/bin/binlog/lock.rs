//! Whether a writer holds a segment: writers take an exclusive flock on it
//! (src/sys/linux.rs), so a probe with a shared lock tells, without
//! changing the file (`is_locked_exclusively`).

use binlog::__private::sys::is_locked_exclusively;
use std::fs::File;
use std::path::Path;

/// True when another open file description holds an exclusive lock.
pub fn is_locked(path: &Path) -> bool {
    File::open(path).is_ok_and(|f| is_locked_exclusively(&f).unwrap_or(false))
}
