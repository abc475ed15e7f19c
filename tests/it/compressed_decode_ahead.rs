//! A scan of a compressed segment whose next frames are decompressed ahead
//! by a pool of threads (`Reader::decode_threads`) reads exactly what a
//! scan decompressing on the reader's thread reads: the same records in
//! order, the same damaged regions, tails and errors at the same points,
//! for intact and damaged segments, seals that lie, seeks and type filters
//! during the scan (which stop the work ahead); and a reader dropped while
//! its pool decompresses returns at once.

use crate::common;

use binlog::{compress_segment, CompressOptions};
use binlog::{Damage, Options, Reader, Tail};
use common::compressed::{compress_as_is, damage_compressed_frame};
use common::seal::move_records_end;
use common::{copy, drain, make_sealed, Rec, TempDir};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Threads of the pool in these tests (more than the 2 cores of a small
/// machine: frames then come back out of order, and must be put in order).
const THREADS: usize = 3;

/// A sealed segment of `n` records compressed in frames of about
/// `frame_size` bytes: its records and the `.zst`.
fn compressed(dir: &TempDir, n: u64, frame_size: u64) -> (Vec<Rec>, PathBuf) {
    let plain = dir.join("seg.binlog");
    make_sealed(&plain, n, Options::default());
    let all = drain(&mut Reader::open(&plain).unwrap()).recs;
    let opts = CompressOptions {
        frame_size,
        ..CompressOptions::default()
    };
    (all, compress_segment(&plain, &opts).unwrap().path)
}

/// Everything a read of `path` to its end gives with `threads`: records,
/// damaged regions, and its tail or its error (kind, offset and text).
#[derive(Debug, PartialEq)]
struct Outcome {
    recs: Vec<Rec>,
    damages: Vec<Damage>,
    end: Result<Tail, String>,
}

fn outcome(r: &mut Reader) -> Outcome {
    let out = drain(r);
    let end = out
        .end
        .map_err(|e| format!("{:?} at {:?}: {e}", e.kind(), e.offset()));
    Outcome {
        recs: out.recs,
        damages: r.damages().to_vec(),
        end,
    }
}

/// Opens `path` (salvaging or not) with `threads`; `None` if the open
/// fails (its error text then).
fn opened(path: &Path, salvage: bool, threads: usize) -> Result<Reader, String> {
    let r = match salvage {
        true => Reader::open_salvage(path),
        false => Reader::open(path),
    };
    let mut r = r.map_err(|e| e.to_string())?;
    r.decode_threads(threads);
    Ok(r)
}

/// Reads `path` with and without the pool (salvaging and not, skipping
/// damage and not) and asserts the outcomes are the same; returns the
/// pool's for a salvaging read.
fn same_with_and_without(path: &Path) -> Result<Outcome, String> {
    let mut salvaged = Err(String::new());
    for (salvage, skip) in [(false, false), (false, true), (true, true)] {
        let mut outcomes = Vec::new();
        for threads in [0, THREADS] {
            let o = opened(path, salvage, threads).map(|mut r| {
                r.skip_damaged(skip);
                outcome(&mut r)
            });
            outcomes.push(o);
        }
        assert_eq!(outcomes[0], outcomes[1], "salvage {salvage}, skip {skip}");
        salvaged = outcomes.pop().unwrap();
    }
    salvaged
}

#[test]
fn an_intact_segment_reads_the_same_records_with_frames_decompressed_ahead() {
    let dir = TempDir::new("ahead-intact");
    let (all, zst) = compressed(&dir, 3_000, 16 << 10);
    let out = same_with_and_without(&zst).unwrap();
    assert_eq!(out.recs, all);
    assert_eq!(out.end, Ok(Tail::Sealed));
    // The pool ran, and only with threads; a file's reader has none by
    // default.
    for (threads, ahead) in [
        (None, false),
        (Some(0), false),
        (Some(1), false),
        (Some(THREADS), true),
    ] {
        let mut r = Reader::open(&zst).unwrap();
        if let Some(threads) = threads {
            r.decode_threads(threads);
        }
        for want in &all[..1_000] {
            assert_eq!(copy(&r.next().unwrap().unwrap()), *want);
        }
        assert_eq!(r.decodes_ahead(), ahead, "{threads:?} threads");
    }
}

#[test]
fn damaged_frames_cost_the_same_records_and_are_reported_the_same_with_frames_decompressed_ahead() {
    let dir = TempDir::new("ahead-damaged");
    let (all, zst) = compressed(&dir, 3_000, 16 << 10);
    // Two frames in a row and one alone, well into the scan.
    for index in [6, 7, 12] {
        damage_compressed_frame(&zst, index);
    }
    let out = same_with_and_without(&zst).unwrap();
    assert!(!out.damages.is_empty());
    let lost: u64 = out.damages.iter().map(|d| d.to_seq - d.from_seq).sum();
    assert_eq!(out.recs.len() as u64 + lost, all.len() as u64);
    assert!(out.recs.iter().all(|r| all[r.seq as usize] == *r));
    let mut r = opened(&zst, false, THREADS).unwrap();
    let e = outcome(&mut r).end.unwrap_err();
    assert!(
        e.contains("frame 6") && e.contains(zst.to_str().unwrap()),
        "{e}"
    );
}

#[test]
fn a_bit_flipped_anywhere_reads_the_same_with_frames_decompressed_ahead() {
    let dir = TempDir::new("ahead-flips");
    let (_, zst) = compressed(&dir, 3_000, 16 << 10);
    let bytes = std::fs::read(&zst).unwrap();
    let path = dir.join("flipped.binlog.zst");
    let mut rng = common::Rng::from_env(29);
    for _ in 0..40 {
        let bit = rng.below(bytes.len() as u64 * 8) as usize;
        let mut g = bytes.clone();
        g[bit / 8] ^= 1 << (bit % 8);
        std::fs::write(&path, &g).unwrap();
        let _ = same_with_and_without(&path);
    }
}

#[test]
fn a_seal_that_lies_about_where_the_records_end_is_read_past_the_same_way_decompressing_ahead() {
    let dir = TempDir::new("ahead-lying");
    let plain = dir.join("plain.binlog");
    make_sealed(&plain, 3_000, Options::default());
    let all = drain(&mut Reader::open(&plain).unwrap()).recs;
    move_records_end(&plain, all[1_500].offset);
    let zst = dir.join("lying.binlog.zst");
    std::fs::write(&zst, compress_as_is(&plain, 16 << 10)).unwrap();
    let out = same_with_and_without(&zst).unwrap();
    assert_eq!(out.recs, all, "every record, past the lied end");
}

#[test]
fn seeks_and_type_filters_during_a_scan_stop_the_work_ahead_and_read_the_same_records() {
    let dir = TempDir::new("ahead-seek");
    let (all, zst) = compressed(&dir, 3_000, 16 << 10);
    let mut r = opened(&zst, false, THREADS).unwrap();
    let read = |r: &mut Reader, n: usize| -> Vec<Rec> {
        (0..n)
            .map_while(|_| r.next().unwrap().map(|x| copy(&x)))
            .collect()
    };
    assert_eq!(read(&mut r, 1_000), all[..1_000]);
    assert!(r.decodes_ahead());
    // Back, far from the frames ahead: they are dropped; a scan from there
    // starts them again.
    r.seek_seq(100).unwrap();
    assert_eq!(read(&mut r, 1), all[100..101]);
    assert!(!r.decodes_ahead(), "a seek elsewhere drops the work ahead");
    assert_eq!(read(&mut r, 900), all[101..1_001]);
    assert!(r.decodes_ahead());
    // Forward, past them.
    r.seek_seq(2_500).unwrap();
    assert_eq!(read(&mut r, 1), all[2_500..2_501]);
    assert!(!r.decodes_ahead());
    r.seek_seq(1_200).unwrap();
    // A type filter reads on the reader's thread.
    r.filter_types(&["quote"]);
    let quotes: Vec<Rec> = read(&mut r, usize::MAX);
    assert!(!r.decodes_ahead(), "a type filter reads no frames ahead");
    let want: Vec<Rec> = all[1_200..]
        .iter()
        .filter(|x| x.type_name == "quote")
        .cloned()
        .collect();
    assert!(!want.is_empty());
    assert_eq!(quotes, want);
    // And with 0 threads, the same reads give the same records.
    let mut r0 = opened(&zst, false, 0).unwrap();
    r0.seek_seq(1_200).unwrap();
    r0.filter_types(&["quote"]);
    assert_eq!(read(&mut r0, usize::MAX), want);
}

#[test]
fn a_reader_dropped_while_its_frames_are_decompressed_ahead_returns_at_once() {
    let dir = TempDir::new("ahead-drop");
    let (_, zst) = compressed(&dir, 40_000, 1 << 20);
    for _ in 0..3 {
        let mut r = opened(&zst, false, THREADS).unwrap();
        let mut n = 0;
        while !r.decodes_ahead() {
            assert!(r.next().unwrap().is_some(), "the pool started");
            n += 1;
        }
        assert!(n > 0);
        // Generous for 2 loaded cores: this catches a drop that hangs;
        // that it never waits for a frame being decoded is the unit test
        // of decode_ahead (workers held at a gate, no timing).
        let t = Instant::now();
        drop(r);
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    }
}
