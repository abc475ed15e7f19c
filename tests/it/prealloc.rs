//! Preallocation (src/writer/prealloc.rs): a buffered writer (durability
//! None) reserves disk blocks ahead of its end of file without changing the
//! file's size; sealing releases the unused reserve, and so does reopening
//! a segment whose writer died. The segment's bytes are exactly the records
//! either way. A durable writer prepares zeros instead: its reserve and
//! release are checked in tests/it/prepared_space.rs.
//! Runs on the repository's filesystem (ext4 here); a filesystem without
//! fallocate fails the reserve checks rather than passing them silently.

use crate::common;

use binlog::{Durability, Options, Reader, Tail, Writer};
use common::space::*;
use common::*;
use std::os::fd::AsRawFd;

fn check_reserve_then_release(name: &str, durability: Durability) {
    let dir = TempDir::new(name);
    let path = dir.join("seg.binlog");
    let w = Writer::open(&path, opts(durability, 64 << 10)).unwrap();
    let wants: Vec<Want> = (0..400).map(|s| want_sized(s, 1000)).collect();
    for x in &wants {
        put(&w, x).unwrap();
    }
    w.flush().unwrap();
    let len = size(&path);
    assert!(
        len > 400_000,
        "{name}: the records are in the file ({len} bytes)"
    );
    assert!(
        allocated(&path) > needed(len) + (256 << 10),
        "{name}: {} bytes allocated for {len} bytes written: no reserve ahead",
        allocated(&path)
    );
    w.close().unwrap();
    assert_nothing_allocated_past_the_end(&path, name);
    assert_holds(&path, &wants, Tail::Sealed);
}

#[test]
#[cfg_attr(
    feature = "posix-backend",
    ignore = "the POSIX backend reserves on macOS only"
)]
fn buffered_writer_reserves_ahead_and_seal_releases() {
    check_reserve_then_release("prealloc-buffered", Durability::None);
}

#[test]
fn reopen_releases_reserve_left_by_a_dead_writer() {
    let dir = TempDir::new("prealloc-reopen");
    let path = dir.join("seg.binlog");
    let (wants, end) = make_unsealed(&path, 50);
    // What a writer killed mid-segment leaves: blocks reserved past EOF.
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    // SAFETY: fallocate on a descriptor this test owns.
    let rc = unsafe {
        libc::fallocate(
            f.as_raw_fd(),
            libc::FALLOC_FL_KEEP_SIZE,
            end as i64,
            8 << 20,
        )
    };
    assert_eq!(rc, 0, "fallocate: {}", std::io::Error::last_os_error());
    drop(f);
    let before = read_bytes(&path);
    assert!(allocated(&path) >= end + (8 << 20));

    let w = Writer::open(&path, Options::default()).unwrap();
    assert!(
        allocated(&path) <= needed(end),
        "{} bytes allocated after reopening a {end}-byte segment",
        allocated(&path)
    );
    assert_eq!(
        read_bytes(&path),
        before,
        "reopening changed the segment's bytes"
    );
    assert_eq!(w.next_seq(), 50);
    w.close().unwrap();
    assert_holds(&path, &wants, Tail::Sealed);
    let r = Reader::open(&path).unwrap();
    assert_eq!(r.seal().expect("sealed").records_end, end);
}

#[test]
#[cfg_attr(
    feature = "posix-backend",
    ignore = "the POSIX backend reserves on macOS only"
)]
fn rolling_log_reserves_no_further_than_its_segment_size() {
    let dir = TempDir::new("prealloc-log");
    let max = 3u64 << 20;
    let w = binlog::LogWriter::open(
        dir.path(),
        "log",
        binlog::LogOptions {
            segment: opts(Durability::None, 64 << 10),
            max_segment_bytes: Some(max),
            ..binlog::LogOptions::default()
        },
    )
    .unwrap();
    let seg = write_one_segment(&w, dir.path());
    let len = size(&seg);
    assert!(len > 2 << 20, "{len}");
    let got = allocated(&seg);
    assert!(
        got > needed(len),
        "a reserve ahead of {len} bytes: {got} allocated"
    );
    assert!(
        got <= max.next_multiple_of(4096) + 4096,
        "{got} bytes allocated: the reserve went past the {max}-byte segment size"
    );
    w.close().unwrap();
}
