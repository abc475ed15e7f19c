//! Scratch files for the writer's unit tests: `TestFile`, on the
//! repository's filesystem (ext4 here, where fallocate and block counts
//! behave as in production), not a tmpfs /tmp, removed when dropped; and
//! segment paths for whole writers.

use std::fs::File;
use std::path::PathBuf;

pub struct TestFile {
    pub path: PathBuf,
    pub file: File,
}

impl TestFile {
    /// A new empty file named after `name` and this process.
    pub fn new(name: &str) -> TestFile {
        let path = disk_dir().join(format!("unit-{name}-{}", std::process::id()));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        TestFile { path, file }
    }
}

/// The crate's `target/` (made if missing: an unpacked crate file has
/// none), on the filesystem the crate is on.
pub fn disk_dir() -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

impl Drop for TestFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A path for a segment in a new, empty scratch directory named after
/// `name` (crate::sys::scratch: removed when the tests end).
pub fn temp_segment(name: &str) -> PathBuf {
    crate::sys::scratch::empty_dir(&format!("writer-{name}")).join("seg.binlog")
}

/// Options of a writer that syncs every record (`Durability::EveryRecord`).
pub fn durable_opts() -> crate::writer::options::Options {
    crate::writer::options::Options {
        durability: crate::writer::options::Durability::EveryRecord,
        ..crate::writer::options::Options::default()
    }
}
