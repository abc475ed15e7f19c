//! A segment writer opening a segment again: what a crash, a kill or a
//! buggy writer left at its end (a seal cut at any length, a torn frame,
//! zeros, garbage after a seal, the seal of another segment, a seal that
//! lists a type no record defines, a torn or empty header) is cut and
//! backed up, or rebuilt from the records, and the sequence numbers, the
//! types and the index go on; the index spilled to its file across
//! reopens; and a writer opening a segment while a repair renames a copy
//! over it writes to the file the name leads to.

use crate::common;

use binlog::format::seal::{encode_seal_begin, read_seal, SealDirectory, Trailer};
use binlog::{ErrorKind, Options, Reader, Tail, Writer};
use common::*;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Rewrites the seal of the sealed segment at `path` with `change` applied
/// to its directory, every CRC valid (arrays and sparse index kept).
fn rewrite_dir(path: &Path, change: impl FnOnce(&mut SealDirectory)) {
    let bytes = std::fs::read(path).unwrap();
    let data_start = Reader::open(path).unwrap().data_start() as usize;
    let mut dir = read_seal(&bytes, data_start).expect("sealed");
    let trailer_at = bytes.len() - 32;
    let dir_len = u32::from_le_bytes(bytes[trailer_at + 16..trailer_at + 20].try_into().unwrap());
    let dir_offset = trailer_at - dir_len as usize;
    change(&mut dir);
    let mut out = bytes[..dir_offset].to_vec();
    let records_end = dir.records_end as usize;
    out[records_end..records_end + 17].copy_from_slice(&encode_seal_begin(dir.record_count));
    let dir_len = dir.encode_frame(&mut out) as u32;
    out.extend_from_slice(
        &Trailer {
            records_end: dir.records_end,
            dir_offset: dir_offset as u64,
            dir_len,
        }
        .encode(),
    );
    std::fs::write(path, &out).unwrap();
    assert!(
        read_seal(&out, data_start).is_some(),
        "rewritten seal is valid"
    );
}

/// A seal may list a type without records (docs/FORMAT.md section 9: a
/// reader accepts it after the types with records). A writer reopening
/// such a segment must not take that type as defined: the seal is cut off,
/// and no record in the file defines it.
#[test]
fn a_type_listed_in_the_seal_without_records_is_defined_by_the_next_record_of_it() {
    let dir = TempDir::new("ghost");
    let p = dir.join("seg.binlog");
    let mut wants = make_sealed(&p, 10, Options::default());
    rewrite_dir(&p, |d| {
        let mut t = d.types[0].clone();
        t.name = "ghost".into();
        t.count = 0;
        t.bytes = 0;
        t.array_crc = 0;
        d.types.push(t);
    });
    assert_eq!(Reader::open(&p).unwrap().seal().unwrap().types.len(), 4);
    let w = Writer::open(&p, Options::default()).unwrap();
    assert_eq!(w.next_seq(), 10);
    let mut x = want(10);
    x.type_name = "ghost".into();
    assert_eq!(put(&w, &x).unwrap(), 10);
    wants.push(x);
    let y = want(11);
    assert_eq!(put(&w, &y).unwrap(), 11);
    wants.push(y);
    w.flush().unwrap();
    // Unsealed, as after a crash: a scan must read every record.
    assert_holds(&p, &wants, Tail::Unsealed);
    w.close().unwrap();
    check_segment(&p, &wants, "ghost type");
}

/// Reopens `p` (whose first `n` records are `wants`), checks the sequence
/// numbers go on, writes a record of a known type and one of a new type,
/// closes and checks the segment whole.
fn reopen_append_check(p: &Path, wants: &mut Vec<Want>, opts: Options, ctx: &str) {
    let w = Writer::open(p, opts).unwrap_or_else(|e| panic!("{ctx}: reopen: {e}"));
    let next = wants.len() as u64;
    assert_eq!(w.next_seq(), next, "{ctx}: next_seq");
    assert_eq!(w.record_count(), next, "{ctx}: record_count");
    let a = want(next);
    assert_eq!(put(&w, &a).unwrap(), next, "{ctx}");
    wants.push(a);
    let mut b = want(next + 1);
    b.type_name = "fresh".into();
    assert_eq!(put(&w, &b).unwrap(), next + 1, "{ctx}");
    wants.push(b);
    w.close().unwrap();
    check_segment(p, wants, ctx);
}

/// A seal cut at every length (a writer killed while sealing; one length in
/// `BINLOG_STRIDE`), reopened: every record stays, the seal is rebuilt
/// right.
#[test]
fn a_half_written_seal_at_every_length_is_recovered() {
    let dir = TempDir::new("half-seal");
    let src = dir.join("src.binlog");
    let opts = Options {
        sparse_interval: 64,
        ..Options::default()
    };
    let wants = make_sealed(&src, 30, opts.clone());
    let full = read_bytes(&src);
    let end = Reader::open(&src).unwrap().seal().unwrap().records_end as usize;
    for cut in positions(end as u64..full.len() as u64) {
        let cut = cut as usize;
        let p = dir.join(format!("cut-{cut}.binlog"));
        write_bytes(&p, &full[..cut]);
        let mut w = wants.clone();
        reopen_append_check(&p, &mut w, opts.clone(), &format!("cut at {cut}"));
        let _ = std::fs::remove_file(&p);
    }
}

/// The last record torn at every length, then zeros after whole records,
/// then garbage after a valid seal: reopening keeps every whole record,
/// backs up what it cuts, and goes on.
#[test]
fn torn_frames_zeros_and_garbage_after_a_seal_are_cut_and_backed_up() {
    let dir = TempDir::new("torn");
    let src = dir.join("src.binlog");
    let (wants, end) = make_unsealed(&src, 12);
    let full = read_bytes(&src);
    let last = Reader::open(&src).unwrap();
    drop(last);
    let out = read_all(&src).unwrap();
    let last_start = out.recs.last().unwrap().offset as usize;
    for cut in last_start + 1..end as usize {
        let p = dir.join(format!("torn-{cut}.binlog"));
        write_bytes(&p, &full[..cut]);
        let mut w = wants[..11].to_vec();
        reopen_append_check(&p, &mut w, Options::default(), &format!("torn at {cut}"));
        // Up to the last byte that is not zero: zeros after torn bytes are
        // taken for a durable writer's prepared space, not backed up.
        let torn_end = last_start + nonzero_end(&full[last_start..cut]) as usize;
        let backup = backup_path(&p, last_start as u64);
        assert_eq!(
            read_bytes(&backup),
            &full[last_start..torn_end],
            "backup at {cut}"
        );
    }
    for zeros in [1usize, 7, 8, 25, 26, 4096, 70_000] {
        let p = dir.join(format!("zeros-{zeros}.binlog"));
        let mut b = full.clone();
        b.resize(b.len() + zeros, 0);
        write_bytes(&p, &b);
        let mut w = wants.clone();
        reopen_append_check(&p, &mut w, Options::default(), &format!("{zeros} zeros"));
    }
    let sealed = dir.join("sealed.binlog");
    let swants = make_sealed(&sealed, 12, Options::default());
    let sbytes = read_bytes(&sealed);
    for garbage in [
        &b"x"[..],
        &[0u8; 40],
        &sbytes[sbytes.len() - 32..],
        &full[100..400],
    ] {
        let p = dir.join(format!("garbage-{}.binlog", garbage.len()));
        let mut b = sbytes.clone();
        b.extend_from_slice(garbage);
        write_bytes(&p, &b);
        let mut w = swants.clone();
        reopen_append_check(
            &p,
            &mut w,
            Options::default(),
            &format!("garbage {}", garbage.len()),
        );
    }
}

/// Empty files, header-only ones, headers torn at every length.
#[test]
fn empty_header_only_and_torn_header_segments_reopen() {
    let dir = TempDir::new("header");
    let opts = Options {
        first_seq: 500,
        ..Options::default()
    };
    let src = dir.join("src.binlog");
    Writer::open(&src, opts.clone()).unwrap().close().unwrap();
    let data_start = Reader::open(&src).unwrap().data_start() as usize;
    let sealed_empty = read_bytes(&src);
    let header = sealed_empty[..data_start].to_vec();
    for len in 0..=data_start {
        let p = dir.join(format!("h-{len}.binlog"));
        write_bytes(&p, &header[..len]);
        let w = Writer::open(&p, opts.clone()).unwrap_or_else(|e| panic!("len {len}: {e}"));
        assert_eq!(w.next_seq(), 500, "len {len}");
        let s = w.write("t", b"payload").unwrap();
        assert_eq!(s, 500);
        w.close().unwrap();
        let out = read_all(&p).unwrap();
        assert_eq!(out.recs.len(), 1, "len {len}");
        assert_eq!(out.recs[0].seq, 500);
        if len > 0 && len < data_start {
            assert_eq!(read_bytes(&backup_path(&p, 0)), &header[..len], "len {len}");
        }
    }
    // A sealed empty segment reopened.
    let p = dir.join("sealed-empty.binlog");
    write_bytes(&p, &sealed_empty);
    let w = Writer::open(&p, Options::default()).unwrap();
    assert_eq!(w.next_seq(), 500);
    w.close().unwrap();
    assert_eq!(read_bytes(&p), sealed_empty, "reseal reproduces the bytes");
}

/// The index spilled to its temporary file (a small memory bound) on both
/// sides of a reopen, of a sealed and of an unsealed segment.
#[test]
fn a_spilled_index_seals_right_across_reopens() {
    let dir = TempDir::new("spill");
    let p = dir.join("seg.binlog");
    let opts = Options {
        index_memory_entries: 3,
        sparse_interval: 100,
        ..Options::default()
    };
    let mut wants = Vec::new();
    let mut seq = 0u64;
    for round in 0..4 {
        let w = Writer::open(&p, opts.clone()).unwrap();
        assert_eq!(w.next_seq(), seq, "round {round}");
        for _ in 0..37 {
            let x = want(seq);
            assert_eq!(put(&w, &x).unwrap(), seq);
            wants.push(x);
            seq += 1;
        }
        if round % 2 == 1 {
            w.flush().unwrap();
            // Dropped without a seal: make it look like a crash by cutting the seal.
            w.close().unwrap();
            let end = Reader::open(&p).unwrap().seal().unwrap().records_end;
            std::fs::OpenOptions::new()
                .write(true)
                .open(&p)
                .unwrap()
                .set_len(end)
                .unwrap();
        } else {
            w.close().unwrap();
            check_segment(&p, &wants, &format!("round {round}"));
        }
    }
    // Sealed, then reopened and closed without a write: the same bytes
    // (docs/FORMAT.md section 12), with the index spilled again.
    Writer::open(&p, opts.clone()).unwrap().close().unwrap();
    let before = read_bytes(&p);
    let w = Writer::open(&p, opts).unwrap();
    w.close().unwrap();
    assert!(read_bytes(&p) == before, "the seal written again differs");
    check_segment(&p, &wants, "last");
}

/// The seal of another segment with the same layout (same record sizes
/// and types, other timestamps) after a segment's records: a reader may
/// take it, but a writer reopening the segment rebuilds its seal from the
/// records, so the summary and index are this segment's.
#[test]
fn a_seal_from_another_segment_is_replaced_by_the_records_own() {
    let dir = TempDir::new("foreign-seal");
    let x = dir.join("x.binlog");
    let y = dir.join("y.binlog");
    let opts = Options {
        created_ns: Some(5),
        sparse_interval: 64,
        ..Options::default()
    };
    let mut xw: Vec<Want> = (0..20).map(want).collect();
    for w in &mut xw {
        w.ts = -w.ts;
    }
    let writer = Writer::open(&x, opts.clone()).unwrap();
    for w in &xw {
        put(&writer, w).unwrap();
    }
    writer.close().unwrap();
    let mut wants = make_sealed(&y, 20, opts.clone());
    let xb = read_bytes(&x);
    let yb = read_bytes(&y);
    let end = Reader::open(&y).unwrap().seal().unwrap().records_end as usize;
    let mut mixed = yb[..end].to_vec();
    mixed.extend_from_slice(&xb[end..]);
    write_bytes(&y, &mixed);
    reopen_append_check(&y, &mut wants, opts, "foreign seal");
}

/// A writer that opens a segment while `binlog repair` renames a repaired
/// copy over it (holding the old file's lock until after the rename) must
/// write to the file the segment's name leads to, never to the replaced
/// one that no name leads to any more. `BINLOG_RENAME_RACE_OPENS` opens
/// (default 300; `make torture` sets 3000), or 20 s and at least 100, and
/// however many it takes for the rename to win 20 times.
#[test]
fn a_writer_racing_a_rename_over_its_segment_loses_no_record() {
    let dir = TempDir::new("rename-race");
    let path = dir.join("seg.binlog");
    Writer::open(&path, Options::default())
        .unwrap()
        .close()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let replaced = Arc::new(AtomicU64::new(0));
    // The replacer: lock the file the name leads to, copy it whole, rename
    // the copy over it, and only then let the old file's lock go.
    let replacer = {
        let (path, stop, replaced) = (path.clone(), Arc::clone(&stop), Arc::clone(&replaced));
        let tmp = dir.join("seg.binlog.repair-tmp");
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let old = File::open(&path).unwrap();
                if !try_flock(&old) {
                    std::thread::yield_now();
                    continue;
                }
                std::fs::copy(&path, &tmp).unwrap();
                std::fs::rename(&tmp, &path).unwrap();
                replaced.fetch_add(1, Ordering::Relaxed);
                drop(old);
            }
        })
    };
    let mut acked = Vec::new();
    let mut locked = 0;
    let opens = knob("BINLOG_RENAME_RACE_OPENS", 300) as usize;
    let started = std::time::Instant::now();
    let secs = |n| std::time::Duration::from_secs(n);
    // At least 100 opens however slow the disk's syncs, and 20 renames
    // however the scheduler favours the writer (300 s catches a hang only).
    let wins = || replaced.load(Ordering::Relaxed);
    let opened = |n: usize, t| n >= opens || (n >= 100 && t >= secs(20));
    let enough = |n: usize, t| (opened(n, t) && wins() >= 20) || t >= secs(300);
    while !enough(acked.len(), started.elapsed()) {
        match Writer::open(&path, Options::default()) {
            Ok(w) => {
                acked.push(w.write("t", b"payload").unwrap());
                w.close().unwrap();
                if wins() < 20 {
                    std::thread::yield_now(); // the replacer's chance at the lock
                }
            }
            Err(e) if e.kind() == ErrorKind::Locked => locked += 1,
            Err(e) => panic!("open: {e}"),
        }
    }
    stop.store(true, Ordering::Relaxed);
    replacer.join().unwrap();
    assert!(acked.len() >= 100, "only {} writes in 300 s", acked.len());
    assert!(wins() >= 20, "only {} replacements in 300 s", wins());
    let mut r = Reader::open(&path).unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        seqs.push(rec.seq);
    }
    assert_eq!(
        seqs,
        acked,
        "records acknowledged but not in the segment ({} replacements, {locked} opens refused)",
        replaced.load(Ordering::Relaxed)
    );
}
