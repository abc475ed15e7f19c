//! A signed segment's digest (docs/FORMAT.md section 8.6) is BLAKE3 of
//! its file's bytes `[0, records_end)` whichever way the writer wrote them
//! (aligned 1 MiB pieces of BLAKE3's tree hashed by the caller before it
//! hands a buffer over or by the write-behind thread as it writes it, in
//! any order, merged at the seal, `sign::Running`): a lone writer's
//! buffers (whole, paired, in pieces, of several pieces, flushed part-full
//! or handed over at a deadline, a record larger than the buffer written
//! directly), a rolling log's
//! segments, a live segment checkpointed then sealed, a segment resumed
//! unsealed, and a durable writer's records written over zeros prepared
//! ahead.

use crate::common::TempDir;
use binlog::format::seal::read_seal;
use binlog::sign::{SignedHead, Signing};
use binlog::{Durability, Entry, LogOptions, LogWriter, Options, Writer};
use std::path::Path;

fn signing(dir: &Path) -> Signing {
    let path = dir.join("k");
    Signing::new_key_files(&path).unwrap();
    Signing::from_key_file(&path).unwrap()
}

/// The sealed segment at `path`: its digest equals BLAKE3 of its bytes up
/// to its records' end.
fn assert_digest_of_its_bytes(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    let header_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let dir = read_seal(&bytes, header_len).expect("sealed");
    let signed = dir.chain.expect("signed").digest;
    let end = dir.records_end as usize;
    assert_eq!(
        signed,
        *blake3::hash(&bytes[..end]).as_bytes(),
        "{}: digest of [0, {end})",
        path.display()
    );
}

/// Records `from .. to` of every size up to `max` (a few times the buffer
/// when `max` is), in batches of 1 to 7, with a flush now and then.
fn write_records(w: &Writer, from: u64, to: u64, max: usize) {
    let payload: Vec<u8> = (0..max).map(|i| (i * 31 % 251) as u8).collect();
    let mut i = from;
    while i < to {
        let n = (1 + i % 7).min(to - i);
        let lens: Vec<usize> = (i..i + n).map(|j| (j as usize * 7919) % max).collect();
        let parts: Vec<[&[u8]; 1]> = lens.iter().map(|&l| [&payload[..l]]).collect();
        let entry = |parts| Entry {
            type_name: "t",
            meta: &[],
            timestamp_ns: None,
            parts,
        };
        let entries: Vec<Entry<'_>> = parts.iter().map(|p| entry(&p[..])).collect();
        w.write_batch(&entries).unwrap();
        if i % 97 == 0 {
            w.flush().unwrap();
        }
        i += n;
    }
}

fn open_signed(path: &Path, signing: &Signing, opts: Options) -> Writer {
    let opts = Options {
        signing: Some(signing.clone()),
        ..opts
    };
    Writer::open(path, opts).unwrap()
}

/// A lone writer's buffers go through its write-behind thread (whole,
/// paired, in pieces, two pieces a buffer, some hashed by the caller ahead
/// and out of order with the thread's), part-full at a flush or at their
/// deadline (pieces then reached in parts, across buffers), and a record
/// larger than the buffer straight from the caller's: the digest covers
/// them all.
#[test]
fn a_lone_writers_digest_is_blake3_of_its_bytes() {
    let t = TempDir::new("signed-digest-lone");
    let s = signing(t.path());
    for (name, buffer_size, max) in [
        ("small", 4096, 600),
        ("paired", 1 << 20, 3000),
        ("two-pieces", 2 << 20, 9000),
    ] {
        let path = t.path().join(format!("{name}.binlog"));
        let opts = Options {
            buffer_size,
            ..Options::default()
        };
        let w = open_signed(&path, &s, opts);
        write_records(&w, 0, 20_000, max);
        let big = vec![9u8; 3 * buffer_size];
        w.write("big", &big).unwrap();
        write_records(&w, 20_001, 21_000, max);
        // Part-full buffers handed over at their deadline (10 ms).
        for k in 0..10 {
            write_records(&w, 21_000 + k * 10, 21_010 + k * 10, max);
            std::thread::sleep(std::time::Duration::from_millis(15));
        }
        write_records(&w, 21_100, 23_000, max);
        w.close().unwrap();
        assert_digest_of_its_bytes(&path);
    }
}

/// A segment resumed unsealed (a crash's), appended to and sealed: the
/// bytes before the resume are read back, the rest hashed as written.
#[test]
fn a_resumed_segments_digest_is_blake3_of_its_bytes() {
    let t = TempDir::new("signed-digest-resumed");
    let s = signing(t.path());
    let (path, copy) = (t.path().join("a.binlog"), t.path().join("b.binlog"));
    let w = open_signed(&path, &s, Options::default());
    write_records(&w, 0, 5_000, 2000);
    w.flush().unwrap();
    // The unsealed file as a crash leaves it.
    std::fs::copy(&path, &copy).unwrap();
    w.close().unwrap();
    let w = open_signed(&copy, &s, Options::default());
    write_records(&w, 5_000, 9_000, 2000);
    w.close().unwrap();
    assert_digest_of_its_bytes(&copy);
}

/// A durable writer writes each record on the caller's thread, over zeros
/// prepared ahead (`Options::expected_size`).
#[test]
fn a_durable_writers_digest_over_zeros_prepared_is_blake3_of_its_bytes() {
    let t = TempDir::new("signed-digest-durable");
    let s = signing(t.path());
    let path = t.path().join("a.binlog");
    let opts = Options {
        durability: Durability::EveryRecord,
        expected_size: Some(8 << 20),
        ..Options::default()
    };
    let w = open_signed(&path, &s, opts);
    write_records(&w, 0, 300, 5000);
    w.close().unwrap();
    assert_digest_of_its_bytes(&path);
}

/// A rolling log's segments, its live one checkpointed (the head's digest
/// is BLAKE3 of the bytes it covers) and then sealed.
#[test]
fn a_logs_checkpoints_and_seals_are_blake3_of_its_bytes() {
    let t = TempDir::new("signed-digest-log");
    let opts = LogOptions {
        segment: Options {
            signing: Some(signing(t.path())),
            buffer_size: 64 << 10,
            ..Options::default()
        },
        max_segment_records: Some(3000),
        checkpoint_records: Some(700),
        background: false,
        ..LogOptions::default()
    };
    let w = LogWriter::open(t.path(), "orders", opts).unwrap();
    let payload = [5u8; 900];
    let head_path = t.path().join("orders.head");
    let mut checked = 0;
    for i in 0..10_000u64 {
        w.write("order", &payload[..(i as usize * 13) % 900])
            .unwrap();
        let Ok(head) = SignedHead::from_file(&head_path) else {
            continue;
        };
        if head.next_seq != i + 1 || head.next_seq % 700 != 0 {
            continue;
        }
        // The checkpoint (not a seal's head): the live segment's bytes.
        let live = crate::common::binlog_files(t.path()).pop().unwrap();
        let bytes = std::fs::read(&live).unwrap();
        let covered = &bytes[..head.end as usize];
        assert_eq!(head.digest, *blake3::hash(covered).as_bytes(), "at {i}");
        checked += 1;
    }
    w.close().unwrap();
    assert!(checked >= 5, "{checked} checkpoints checked");
    let segments = crate::common::binlog_files(t.path());
    assert!(segments.len() >= 4, "{segments:?}");
    for p in segments {
        assert_digest_of_its_bytes(&p);
    }
}

/// Writes that fail on a full disk (the file cut back to whole records,
/// the bytes written again once there is space): the digest is BLAKE3 of
/// the bytes the file ends with, read back where the writer's running
/// digest could not follow.
#[test]
fn a_digest_after_failed_writes_is_blake3_of_its_bytes() {
    let fs = crate::common::tmpfs::Tmpfs::mount("signed-full", "2m");
    let s = signing(fs.path());
    for (i, filler_len) in [(512 << 10) + 1234, (600 << 10) + 4097]
        .into_iter()
        .enumerate()
    {
        let filler = fs.join("filler");
        std::fs::write(&filler, vec![7u8; filler_len]).unwrap();
        let path = fs.join(&format!("seg{i}.binlog"));
        let opts = Options {
            buffer_size: 4096,
            ..Options::default()
        };
        let w = open_signed(&path, &s, opts);
        let payload = [3u8; 9000];
        let mut failed = 0;
        for n in 0..100_000usize {
            let len = if n % 10 == 9 {
                9000
            } else {
                200 + n * 131 % 1200
            };
            if w.write("t", &payload[..len]).is_err() {
                failed += 1;
                break;
            }
        }
        assert_eq!(failed, 1, "the disk never filled");
        let _ = w.flush();
        std::fs::remove_file(&filler).unwrap();
        w.flush().unwrap();
        for _ in 0..50 {
            w.write("t", &payload[..700]).unwrap();
        }
        w.close().unwrap();
        assert_digest_of_its_bytes(&path);
        std::fs::remove_file(&path).unwrap();
    }
}
