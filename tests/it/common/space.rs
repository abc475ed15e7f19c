//! What a segment file takes on disk, for the tests of space reserved or
//! prepared ahead (tests/it/prealloc.rs, tests/it/prepared_space.rs).

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

/// Writes about 2.5 MiB to the log `w` in `dir` (2,500 records of 1,000
/// bytes: past the first 1 MiB chunk reserved or prepared ahead), flushes,
/// and returns its one segment.
pub fn write_one_segment(w: &binlog::LogWriter, dir: &Path) -> std::path::PathBuf {
    for s in 0..2500u64 {
        w.write("t", &super::payload_bytes(s, 1000)).unwrap();
    }
    w.flush().unwrap();
    let segs: Vec<_> = super::list_dir(dir)
        .into_iter()
        .filter(|n| n.ends_with(".binlog"))
        .collect();
    assert_eq!(segs.len(), 1, "{segs:?}");
    dir.join(&segs[0])
}

/// Asserts that the sealed segment at `path` has no blocks allocated past
/// its end (what was reserved or prepared ahead is released).
pub fn assert_nothing_allocated_past_the_end(path: &Path, name: &str) {
    let len = size(path);
    assert!(
        allocated(path) <= needed(len),
        "{name}: {} bytes still allocated for a sealed {len}-byte segment",
        allocated(path)
    );
}

/// Waits (up to 10 s) until the file at `path` runs past `end`, the
/// records' end, by more than `ahead` bytes, and stops growing: its
/// writer's thread prepares zeros in the background (64 KiB a write), and
/// may not have started yet. Returns the file's size then.
pub fn wait_for_zeros_past(path: &Path, end: u64, ahead: u64) -> u64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut last = 0;
    loop {
        let now = size(path);
        if now > end + ahead && now == last {
            return now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{}: {now} bytes for {end} of records: nothing prepared ahead",
            path.display(),
        );
        last = now;
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
