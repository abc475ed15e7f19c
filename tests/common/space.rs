//! What a segment file takes on disk, for the tests of space reserved or
//! prepared ahead (tests/prealloc.rs, tests/prepared_space.rs).

use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Bytes of disk allocated to the file at `path`.
pub fn allocated(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().blocks() * 512
}

/// The size of the file at `path`.
pub fn size(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

/// Blocks a file of `len` bytes needs, plus one block of slack.
pub fn needed(len: u64) -> u64 {
    len.next_multiple_of(4096) + 4096
}

/// Options with `durability` and a buffer of `buffer` bytes.
pub fn opts(durability: binlog::Durability, buffer: usize) -> binlog::Options {
    binlog::Options {
        durability,
        buffer_size: buffer,
        ..binlog::Options::default()
    }
}
