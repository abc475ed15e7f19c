//! Preallocation (src/writer/prealloc.rs). Under durability None a writer
//! reserves disk blocks ahead of its end of file without changing the
//! file's size; any other durability writes a zero tail ahead of the
//! records instead. Sealing releases the unused reserve (cuts the tail), and
//! so does reopening a segment whose writer died. The sealed segment's
//! bytes are exactly the records either way. Runs on the repository's
//! filesystem (ext4 here); a filesystem without fallocate fails the reserve
//! checks rather than passing them silently.

mod common;

use binlog::{Durability, Options, Reader, Tail, Writer};
use common::*;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

fn allocated(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().blocks() * 512
}

fn size(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

/// Blocks a file of `len` bytes needs, plus one block of slack.
fn needed(len: u64) -> u64 {
    len.next_multiple_of(4096) + 4096
}

fn opts(durability: Durability, buffer: usize) -> Options {
    Options {
        durability,
        buffer_size: buffer,
        ..Options::default()
    }
}

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
    let len = size(&path);
    assert!(
        allocated(&path) <= needed(len),
        "{name}: {} bytes still allocated for a sealed {len}-byte segment",
        allocated(&path)
    );
    assert_holds(&path, &wants, Tail::Sealed);
}

#[test]
fn buffered_writer_reserves_ahead_and_seal_releases() {
    check_reserve_then_release("prealloc-buffered", Durability::None);
}

/// A durable writer's zero tail: the file runs past the records in zeros;
/// a reader stops at them and still sees records written into them (the
/// file's length does not change then); sealing cuts them.
fn check_zero_tail(name: &str, durability: Durability) {
    let dir = TempDir::new(name);
    let path = dir.join("seg.binlog");
    let w = Writer::open(&path, opts(durability, 64 << 10)).unwrap();
    let wants: Vec<Want> = (0..400).map(|s| want_sized(s, 1000)).collect();
    for x in &wants[..200] {
        put(&w, x).unwrap();
    }
    w.sync().unwrap();
    let records_end = w.bytes();
    let len = size(&path);
    assert!(
        len >= records_end + (256 << 10),
        "{name}: {len} bytes for {records_end} of records: no zero tail"
    );
    let bytes = read_bytes(&path);
    assert!(
        bytes[records_end as usize..].iter().all(|&b| b == 0),
        "{name}: the tail is not zeros"
    );
    let mut follower = Reader::open(&path).unwrap();
    let seen = drain(&mut follower);
    assert_eq!(seen.recs.len(), 200, "{name}");
    assert_eq!(seen.end, Ok(Tail::Unsealed), "{name}");
    assert_eq!(follower.position(), records_end, "{name}");
    for x in &wants[200..300] {
        put(&w, x).unwrap();
    }
    w.sync().unwrap();
    assert_eq!(size(&path), len, "{name}: the file grew inside its tail");
    let more = drain(&mut follower);
    assert_eq!(
        more.recs.iter().map(Rec::as_want).collect::<Vec<_>>(),
        wants[200..300],
        "{name}: a reader that ended at the tail missed records written into it"
    );
    // A copy of the live segment is what a crash leaves: reopening cuts
    // the tail without backing it up, and continues.
    let copy = dir.join("copy.binlog");
    std::fs::copy(&path, &copy).unwrap();
    let records_end = w.bytes();
    let c = Writer::open(&copy, opts(durability, 64 << 10)).unwrap();
    assert_eq!(c.next_seq(), 300, "{name}");
    assert!(
        list_dir(dir.path())
            .iter()
            .all(|n| !n.contains(".corrupt-")),
        "{name}: a zero tail was backed up as damage"
    );
    c.close().unwrap();
    assert_holds(&copy, &wants[..300], Tail::Sealed);
    assert_eq!(
        Reader::open(&copy).unwrap().seal().unwrap().records_end,
        records_end
    );

    for x in &wants[300..] {
        put(&w, x).unwrap();
    }
    w.close().unwrap();
    let len = size(&path);
    assert!(
        allocated(&path) <= needed(len),
        "{name}: {} bytes still allocated for a sealed {len}-byte segment",
        allocated(&path)
    );
    assert_holds(&path, &wants, Tail::Sealed);
}

#[test]
fn every_record_writer_keeps_a_zero_tail_that_readers_stop_at() {
    check_zero_tail("zero-tail-every-record", Durability::EveryRecord);
}

#[test]
fn every_n_writer_keeps_a_zero_tail_that_readers_stop_at() {
    check_zero_tail("zero-tail-every-n", Durability::EveryN(16));
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
    check_log_reserve(&w, dir.path(), max);
}

#[test]
fn durable_rolling_log_writes_no_zero_tail_past_its_segment_size() {
    let dir = TempDir::new("zero-tail-log");
    let max = 3u64 << 20;
    let w = binlog::LogWriter::open(
        dir.path(),
        "log",
        binlog::LogOptions {
            segment: opts(Durability::EveryN(64), 64 << 10),
            max_segment_bytes: Some(max),
            ..binlog::LogOptions::default()
        },
    )
    .unwrap();
    check_log_reserve(&w, dir.path(), max);
    let segs: Vec<_> = list_dir(dir.path())
        .into_iter()
        .filter(|n| n.ends_with(".binlog"))
        .collect();
    let seg = dir.join(&segs[0]);
    let mut r = Reader::open(&seg).unwrap();
    assert!(r.seal().is_some(), "the seal must end the file");
    assert_eq!(drain(&mut r).recs.len(), 2500);
    assert!(allocated(&seg) <= needed(size(&seg)));
}

/// Writes about 2.5 MiB to a log of `max`-byte segments: one segment,
/// reserved ahead (blocks or zero tail) but not past `max`.
fn check_log_reserve(w: &binlog::LogWriter, dir: &Path, max: u64) {
    // About 2.5 MiB: one segment, past the first 1 MiB reserve chunk.
    for s in 0..2500u64 {
        w.write("t", &payload_bytes(s, 1000)).unwrap();
    }
    w.flush().unwrap();
    let segs: Vec<_> = list_dir(dir)
        .into_iter()
        .filter(|n| n.ends_with(".binlog"))
        .collect();
    assert_eq!(segs.len(), 1, "{segs:?}");
    let seg = dir.join(&segs[0]);
    let len = size(&seg).min(w.current_segment().unwrap().bytes);
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
