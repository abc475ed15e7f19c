//! For unit tests: scratch directories and files in the system's
//! temporary directory, named after the process (tests of one run share
//! it) and what makes each one's name unique.

use std::path::PathBuf;

/// An empty directory `binlog-<name>-<pid>`, emptied if it existed.
pub(crate) fn empty_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("binlog-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A file open for reading and writing that holds `bytes`, already
/// removed from its directory (named by a count of the calls).
#[cfg(feature = "compression")]
pub(crate) fn unlinked_file(bytes: &[u8]) -> std::fs::File {
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let n = CALLS.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("binlog-file-{}-{n}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    f
}
