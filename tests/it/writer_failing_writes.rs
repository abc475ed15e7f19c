//! Randomized writes through a segment writer whose file writes fail (EFBIG:
//! a file size limit, raised step by step, in a child process), over buffer
//! sizes that do and do not divide the aligned hand-off unit, records
//! smaller than, about as large as and larger than the buffer, single
//! writes, batches and flushes. Whatever failed, every record the writer
//! acknowledged is in the file once, in order and intact; a refused record
//! takes no sequence number; a batch cut short says how many it wrote; the
//! per-type index and seek_seq agree; a live reader sees exactly the
//! acknowledged records; close under the limit leaves the acknowledged
//! records whole and a reopened writer goes on after them. Batches that
//! define types fail midway the same way, across reopens; close retries a
//! background write that failed unreported; a failure of the `Interval`
//! flusher comes back once, as the error of the next write or flush call.
//!
//! Seed 0 runs in `make test`, seeds 0-2 in `make torture`
//! (`BINLOG_FAILING_WRITES_SEEDS`); `BINLOG_TEST_SEED=<n>` runs seed n
//! alone.

use crate::common;
use binlog::{Durability, Error, Options, Reader, Tail, Writer};
use common::*;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const CHILD: &str = "BINLOG_FAILING_WRITES_CHILD";

/// Buffer sizes: not powers of two, one byte over, odd, small, large.
const SIZES: [usize; 8] = [64, 1000, 4096, 4097, 8191, 65543, (1 << 20) + 1, 3 << 20];

/// `BINLOG_TEST_SEED` alone if set, else seeds 0, 1, ... up to
/// `BINLOG_FAILING_WRITES_SEEDS` (default 1; `make torture` sets 3).
fn seeds() -> Vec<u64> {
    match std::env::var("BINLOG_TEST_SEED") {
        Ok(s) => vec![s.parse().expect("BINLOG_TEST_SEED is a number")],
        Err(_) => (0..knob("BINLOG_FAILING_WRITES_SEEDS", 1)).collect(),
    }
}

/// `common::in_fsize_child` with this file's variable and prefix.
fn in_child(test: &str, body: impl FnOnce(&Path)) {
    in_fsize_child(test, CHILD, "FW ", body)
}

fn opts(bs: usize, durability: Durability) -> Options {
    Options {
        buffer_size: bs,
        durability,
        ..Options::default()
    }
}

/// Writes per phase: fewer with large buffers, whose records are large, so
/// that the acknowledged records kept for the check stay within memory.
fn writes_per_phase(bs: usize) -> usize {
    (4_000_000 / bs).clamp(40, 2000)
}

/// A record length around what matters for a buffer of `bs` bytes.
fn pick_len(rng: &mut Rng, bs: usize) -> usize {
    let bs = bs as u64;
    (match rng.below(5) {
        0 | 1 => rng.below(200),
        2 => bs + 100 - rng.below(200).min(bs + 99),
        3 => rng.below(2 * bs + 1),
        _ => bs - rng.below(80).min(bs),
    }) as usize
}

/// Checks that `got` is a prefix of `acked`, record by record.
fn same_prefix(got: &[Want], acked: &[Want], ctx: &str) {
    for (g, a) in got.iter().zip(acked) {
        assert!(
            g == a,
            "{ctx}: record {} differs (got seq {})",
            a.seq,
            g.seq
        );
    }
}

/// A record length for the live and close tests: small, up to the buffer,
/// or just under it.
fn plain_len(rng: &mut Rng, bs: usize) -> usize {
    (match rng.below(3) {
        0 => rng.below(200),
        1 => rng.below(bs as u64 + 100),
        _ => bs as u64 - 40,
    }) as usize
}

/// After a failed call: counts it, flushes now and then (a retry of what
/// came back), and says when the phase has failed enough.
fn failed_enough(w: &Writer, rng: &mut Rng, errors: &mut u32) -> bool {
    *errors += 1;
    if rng.below(2) == 0 {
        let _ = w.flush();
    }
    *errors > 3
}

/// Checks that the sealed segment at `path` holds exactly `acked`, and
/// reads it through the per-type index and seek_seq too.
fn check_sealed(path: &Path, acked: &[Want], rng: &mut Rng, ctx: &str) {
    let out = read_all(path).unwrap();
    let got = out.wants();
    assert_eq!(got.len(), acked.len(), "{ctx}: records in the file");
    same_prefix(&got, acked, ctx);
    assert_eq!(out.end.as_ref().ok(), Some(&Tail::Sealed), "{ctx}");
    for t in TYPES {
        let mut r = Reader::open(path).unwrap();
        r.filter_types(&[t]);
        let got = drain(&mut r).wants();
        let want: Vec<&Want> = acked.iter().filter(|a| a.type_name == t).collect();
        assert_eq!(got.len(), want.len(), "{ctx}: records of type {t}");
        for (g, a) in got.iter().zip(want) {
            assert!(g == a, "{ctx}: record {} of type {t} differs", a.seq);
        }
    }
    for _ in 0..20 {
        let s = rng.below(acked.len() as u64);
        let mut r = Reader::open(path).unwrap();
        r.seek_seq(s).unwrap();
        assert_eq!(r.next().unwrap().unwrap().seq, s, "{ctx}: seek_seq({s})");
    }
}

/// The durability of seed `seed`'s run with the `i`th buffer size: a seed
/// cycles through the three policies, so that one seed covers each policy
/// and three seeds cover each policy with each buffer size.
fn durability_of(seed: u64, i: usize) -> Durability {
    match (seed + i as u64) % 3 {
        0 => Durability::None,
        1 => Durability::EveryN(7),
        _ => Durability::Interval(std::time::Duration::from_millis(1)),
    }
}

/// Four phases of writes, the first three under a limit that the next
/// raises, the last without one; then a flush, more writes and close.
fn acknowledged_records_survive(dir: &Path, seed: u64, bs: usize, durability: Durability) {
    let ctx = format!("seed {seed}, buffer {bs}, {durability:?}");
    let mut rng = Rng::new(seed);
    let path = dir.join(format!("acked-{seed}-{bs}.binlog"));
    let w = Writer::open(&path, opts(bs, durability)).unwrap();
    let (mut acked, mut next) = (Vec::<Want>::new(), 0u64);
    let mut limit = 8192 + rng.below(4 * bs as u64 + (1 << 20));
    for phase in 0..4 {
        set_file_size_limit(if phase == 3 {
            libc::RLIM_INFINITY
        } else {
            limit
        });
        let mut errors = 0;
        for _ in 0..writes_per_phase(bs) {
            let k = if rng.below(4) == 0 {
                1 + rng.below(6)
            } else {
                1
            };
            let xs: Vec<Want> = (next..next + k)
                .map(|q| want_sized(q, pick_len(&mut rng, bs)))
                .collect();
            let result = if k == 1 {
                put(&w, &xs[0])
            } else {
                write_wants(&w, &xs)
            };
            match result {
                Ok(first) => {
                    assert_eq!(first, next, "{ctx}: first sequence number");
                    acked.extend(xs);
                    next += k;
                }
                Err(e) => {
                    assert_ne!(e.kind(), binlog::ErrorKind::Poisoned, "{ctx}: {e}");
                    // What a failed call wrote is kept and named.
                    let kept = w.next_seq() - next;
                    assert!(
                        kept == 0 || e.message().contains(&format!("{kept} of {k} records")),
                        "{ctx}: {e} ({kept} of {k} kept)"
                    );
                    acked.extend(xs.into_iter().take(kept as usize));
                    next += kept;
                    if failed_enough(&w, &mut rng, &mut errors) {
                        break;
                    }
                }
            }
            if rng.below(50) == 0 {
                let _ = w.flush();
            }
        }
        println!("FW {ctx}: phase {phase}, {errors} failed calls, {next} records");
        limit += rng.below(2 * bs as u64 + 100_000);
    }
    w.flush().unwrap();
    for _ in 0..50 {
        let x = want_sized(next, pick_len(&mut rng, bs));
        assert_eq!(put(&w, &x).unwrap(), next, "{ctx}: after the limit");
        acked.push(x);
        next += 1;
    }
    w.close().unwrap_or_else(|e| panic!("{ctx}: close: {e}"));
    check_sealed(&path, &acked, &mut rng, &ctx);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn acknowledged_records_survive_failing_writes() {
    in_child("acknowledged_records_survive_failing_writes", |dir| {
        for seed in seeds() {
            for (i, bs) in SIZES.into_iter().enumerate() {
                acknowledged_records_survive(dir, seed, bs, durability_of(seed, i));
            }
        }
    });
}

/// A reader following the segment while writes fail (or not) returns
/// exactly the acknowledged records, in order, and no error.
fn live_reader_sees_acknowledged(dir: &Path, seed: u64, bs: usize, fail: bool) {
    let ctx = format!("seed {seed}, buffer {bs}, failing {fail}");
    let mut rng = Rng::new(seed);
    let path = dir.join(format!("live-{seed}-{bs}-{fail}.binlog"));
    let w = Writer::open(&path, opts(bs, Durability::None)).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (path, done, ctx) = (path.clone(), done.clone(), ctx.clone());
        std::thread::spawn(move || {
            let mut r = Reader::open(&path).unwrap();
            let mut got = Vec::<Want>::new();
            loop {
                let last_round = done.load(Ordering::Acquire);
                while let Some(rec) = r
                    .next()
                    .unwrap_or_else(|e| panic!("{ctx}: after {} records: {e}", got.len()))
                {
                    got.push(copy(&rec).as_want());
                }
                if last_round {
                    return got;
                }
                std::thread::yield_now();
            }
        })
    };
    let (mut acked, mut next) = (Vec::<Want>::new(), 0u64);
    let mut limit = 8192 + rng.below(4 * bs as u64 + (1 << 20));
    for phase in 0..4 {
        if fail {
            set_file_size_limit(if phase == 3 {
                libc::RLIM_INFINITY
            } else {
                limit
            });
        }
        let mut errors = 0;
        for _ in 0..3000 {
            let x = want_sized(next, plain_len(&mut rng, bs));
            match put(&w, &x) {
                Ok(_) => {
                    acked.push(x);
                    next += 1;
                }
                Err(_) => {
                    if failed_enough(&w, &mut rng, &mut errors) {
                        break;
                    }
                }
            }
            if rng.below(100) == 0 {
                let _ = w.flush();
            }
        }
        limit += rng.below(2 * bs as u64 + 100_000);
    }
    set_file_size_limit(libc::RLIM_INFINITY);
    w.flush().unwrap();
    done.store(true, Ordering::Release);
    let got = reader.join().unwrap();
    w.close().unwrap();
    same_prefix(&got, &acked, &ctx);
    assert_eq!(got.len(), acked.len(), "{ctx}: records the reader saw");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_live_reader_sees_exactly_the_acknowledged_records() {
    in_child(
        "a_live_reader_sees_exactly_the_acknowledged_records",
        |dir| {
            for seed in seeds() {
                for bs in [1000, 4096, 4097, 8191] {
                    live_reader_sees_acknowledged(dir, seed, bs, false);
                    live_reader_sees_acknowledged(dir, seed, bs, true);
                }
            }
        },
    );
}

/// Close under the limit: sealed with every acknowledged record, or (the
/// seal failed) left unsealed with the acknowledged records whole, and a
/// reopened writer goes on after them.
fn close_under_the_limit(dir: &Path, seed: u64, bs: usize) {
    let ctx = format!("seed {seed}, buffer {bs}");
    let mut rng = Rng::new(seed);
    let path = dir.join(format!("close-{seed}-{bs}.binlog"));
    set_file_size_limit(libc::RLIM_INFINITY);
    let w = Writer::open(&path, opts(bs, Durability::None)).unwrap();
    let (mut acked, mut next) = (Vec::<Want>::new(), 0u64);
    set_file_size_limit(8192 + rng.below(4 * bs as u64 + (1 << 20)));
    for _ in 0..rng.below(3000) {
        let x = want_sized(next, plain_len(&mut rng, bs));
        if put(&w, &x).is_ok() {
            acked.push(x);
            next += 1;
        }
    }
    let closed = w.close();
    set_file_size_limit(libc::RLIM_INFINITY);
    let out = read_all(&path).unwrap();
    let got = out.wants();
    same_prefix(&got, &acked, &ctx);
    match &closed {
        Ok(()) => {
            assert_eq!(got.len(), acked.len(), "{ctx}: records after close");
            assert_eq!(out.end.as_ref().ok(), Some(&Tail::Sealed), "{ctx}");
        }
        Err(e) => {
            assert_eq!(
                out.end.as_ref().ok(),
                Some(&Tail::Unsealed),
                "{ctx}: close failed ({e}), file ends {:?}",
                out.end
            );
            let w = Writer::open(&path, opts(bs, Durability::None)).unwrap();
            assert_eq!(w.next_seq(), got.len() as u64, "{ctx}: reopened");
            w.close().unwrap();
        }
    }
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn close_under_a_file_size_limit_keeps_the_acknowledged_records() {
    in_child(
        "close_under_a_file_size_limit_keeps_the_acknowledged_records",
        |dir| {
            for seed in seeds() {
                for bs in [1000, 4096, 4097, 8191, 65543] {
                    close_under_the_limit(dir, seed, bs);
                }
            }
        },
    );
}

/// A background write that failed and was not yet reported when `close` is
/// called: its bytes came back to the writer, and once closed no caller can
/// retry them. So close writes them again once: when the cause is gone
/// (here, the file size limit raised), close succeeds and every
/// acknowledged record is in the sealed file (not reported as "...
/// buffered bytes of records were not written" and dropped).
#[test]
fn close_retries_a_background_write_that_failed_unreported() {
    in_child(
        "close_retries_a_background_write_that_failed_unreported",
        |dir| {
            let path = dir.join("retry.binlog");
            let bs = 64 * 1024;
            let w = Writer::open(&path, opts(bs, Durability::None)).unwrap();
            let header = std::fs::metadata(&path).unwrap().len();
            // The first hand-off fails: the limit lies inside it.
            set_file_size_limit(header + 1000);
            let payload = vec![7u8; 500];
            let mut n = 0u64;
            // Fill one buffer and start the next (one hand-off only).
            while w.bytes() < header + bs as u64 + 600 {
                w.write("t", &payload).unwrap();
                n += 1;
            }
            // Let the write-behind thread fail.
            std::thread::sleep(std::time::Duration::from_millis(200));
            set_file_size_limit(libc::RLIM_INFINITY);
            w.close().expect("close writes the returned bytes again");
            let mut r = Reader::open(&path).unwrap();
            let mut got = 0u64;
            while let Some(rec) = r.next().unwrap() {
                assert_eq!((rec.seq, rec.payload), (got, &payload[..]));
                got += 1;
            }
            assert_eq!(got, n);
            assert_eq!(r.tail(), Tail::Sealed);
        },
    );
}

/// Under `Interval`, the background flusher writes and syncs the buffered
/// records; when its write fails, the records stay buffered (retried at the
/// next flush) and the failure comes back as the error of the next write
/// call, which writes nothing, as the README says. Dropped, the error
/// would let a writer that never fills its buffer write on, every call
/// reporting success, while none of its records reaches the file.
#[test]
fn a_failed_background_flush_comes_back_as_the_next_write_error() {
    in_child(
        "a_failed_background_flush_comes_back_as_the_next_write_error",
        |dir| {
            let path = dir.join("flusher.binlog");
            let period = std::time::Duration::from_millis(20);
            let w = Writer::open(&path, opts(64 * 1024, Durability::Interval(period))).unwrap();
            // Several flusher rounds fail.
            let (e, _, acked) = write_past_a_size_limit_and_idle(&w, &path, 150);
            let told = std::time::Instant::now();
            assert!(e.message().contains("background flush"), "{e}");
            set_file_size_limit(libc::RLIM_INFINITY);
            // Reported once: a later failure is a round of its own that ran
            // while the limit held (a period apart; a slow machine, such as
            // an emulator, leaves time for some). With the cause gone, writing
            // goes on, after the records acknowledged before.
            let window = told.elapsed();
            let rounds =
                window.as_millis() / period.as_millis() + u128::from(window.as_millis() >= 1);
            let mut again = 0;
            let seq = loop {
                match w.write("t", &[3u8; 500]) {
                    Ok(seq) => break seq,
                    Err(e) if again < rounds && e.message().contains("background flush") => {
                        again += 1
                    }
                    Err(e) => {
                        panic!("told again after {window:?} ({again} of {rounds} rounds): {e}")
                    }
                }
            };
            assert_eq!(seq, acked);
            w.close().unwrap();
            assert_eq!(records_in_order(&path), acked + 1);
        },
    );
}

/// Writes five records of 500 bytes into the segment at `path`, limited
/// to 1000 bytes past its header (they stay buffered), idles `idle_ms`
/// while the writer's background threads fail to write them, then writes
/// on until a write call returns their failure (the limit's: checked; on
/// a loaded machine they may not have tried by then: the calls before
/// buffer their records). Returns that error, the header's length and the
/// records acknowledged.
fn write_past_a_size_limit_and_idle(w: &Writer, path: &Path, idle_ms: u64) -> (Error, u64, u64) {
    let header = std::fs::metadata(path).unwrap().len();
    set_file_size_limit(header + 1000);
    let payload = vec![3u8; 500];
    for seq in 0..5 {
        assert_eq!(w.write("t", &payload).unwrap(), seq);
    }
    std::thread::sleep(std::time::Duration::from_millis(idle_ms));
    let t0 = std::time::Instant::now();
    let mut acked = 5;
    let e = loop {
        match w.write("t", &payload) {
            Ok(seq) => assert_eq!(seq, acked),
            Err(e) => break e,
        }
        acked += 1;
        // Bounds a hang only.
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(60),
            "no failure came back"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert!(e.message().contains("File too large"), "{e}");
    (e, header, acked)
}

/// The records of the segment at `path`, checked to be numbered from 0 on.
fn records_in_order(path: &Path) -> u64 {
    let mut r = Reader::open(path).unwrap();
    let mut n = 0;
    while let Some(rec) = r.next().unwrap() {
        assert_eq!(rec.seq, n);
        n += 1;
    }
    n
}

/// With a flush delay and no `Interval`, the flusher hands an idle
/// writer's buffer to the write-behind thread; when that write fails, the
/// flusher takes the failure back while the writer still idles: the next
/// write call returns it, writing nothing, and the records acknowledged
/// before are retried after another delay, reaching the file with the
/// cause gone and no further call.
#[test]
fn a_failed_write_after_the_flush_delay_is_reported_and_retried_while_idle() {
    in_child(
        "a_failed_write_after_the_flush_delay_is_reported_and_retried_while_idle",
        |dir| {
            let path = dir.join("delay.binlog");
            let w = Writer::open(&path, opts(64 * 1024, Durability::None)).unwrap();
            // Many flush delays: the hand-off fails and its failure is taken back.
            let (e, header, acked) = write_past_a_size_limit_and_idle(&w, &path, 300);
            assert!(e.message().contains("after the flush delay"), "{e}");
            set_file_size_limit(libc::RLIM_INFINITY);
            let records_len = |path: &Path| std::fs::metadata(path).unwrap().len() - header;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while records_len(&path) < acked * 500 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the records acknowledged before never reached the file: {} bytes",
                    records_len(&path)
                );
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            w.close().unwrap();
            assert_eq!(records_in_order(&path), acked);
        },
    );
}

/// Batches mixing types the segment knows with types they define, under a
/// file size limit that makes them fail midway; the writer is reopened
/// between phases (closed under the limit, so sometimes unsealed). Every
/// acknowledged record is in the file once, under its type.
fn mixed_batches(dir: &Path, seed: u64, bs: usize, durability: Durability) {
    let ctx = format!("seed {seed}, buffer {bs}, {durability:?}");
    let mut rng = Rng::new(seed);
    let path = dir.join(format!("mixed-{seed}-{bs}.binlog"));
    let opts = Options {
        buffer_size: bs,
        durability,
        index_memory_entries: 5,
        sparse_interval: 300,
        ..Options::default()
    };
    let mut acked: Vec<Want> = Vec::new();
    let mut next_type = 0u32;
    for phase in 0..6 {
        set_file_size_limit(libc::RLIM_INFINITY);
        let w = Writer::open(&path, opts.clone()).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(w.next_seq(), acked.len() as u64, "{ctx}: phase {phase}");
        let here = std::fs::metadata(&path).unwrap().len();
        set_file_size_limit(here + 2000 + rng.below(3 * bs as u64 + 20_000));
        let mut errors = 0;
        for _ in 0..200 {
            let next = acked.len() as u64;
            let k = 1 + rng.below(8);
            let xs: Vec<Want> = (next..next + k)
                .map(|q| {
                    let len = match rng.below(4) {
                        0 => bs + rng.below(200) as usize,
                        _ => rng.below(300) as usize,
                    };
                    let mut x = want_sized(q, len);
                    if rng.below(3) == 0 {
                        x.type_name = format!("t{}", next_type + rng.below(3) as u32);
                    } else if rng.below(2) == 0 && next_type > 0 {
                        x.type_name = format!("t{}", rng.below(next_type as u64));
                    }
                    x
                })
                .collect();
            let r = if k == 1 {
                put(&w, &xs[0])
            } else {
                write_wants(&w, &xs)
            };
            match r {
                Ok(first) => {
                    assert_eq!(first, next, "{ctx}");
                    next_type += 3;
                    acked.extend(xs);
                }
                Err(e) => {
                    assert_ne!(e.kind(), binlog::ErrorKind::Poisoned, "{ctx}: {e}");
                    // The records of a batch that reached the file stay.
                    let written = (w.next_seq() - next) as usize;
                    assert!(written < k as usize, "{ctx}: {e}");
                    acked.extend(xs.into_iter().take(written));
                    errors += 1;
                    if errors > 4 {
                        break;
                    }
                }
            }
            assert_eq!(w.next_seq(), acked.len() as u64, "{ctx}");
        }
        if phase % 2 == 0 {
            set_file_size_limit(libc::RLIM_INFINITY);
        }
        match w.close() {
            Ok(()) => {}
            Err(e) => {
                // Acknowledged records still buffered were lost: reading
                // back tells which.
                eprintln!("{ctx}: close: {e}");
                set_file_size_limit(libc::RLIM_INFINITY);
                let out = read_all(&path).unwrap();
                let n = out.recs.len();
                assert!(n <= acked.len(), "{ctx}");
                acked.truncate(n);
                assert!(
                    e.message().contains("not written") || n == w.next_seq() as usize,
                    "{ctx}: {e}"
                );
            }
        }
        set_file_size_limit(libc::RLIM_INFINITY);
        let out = read_all(&path).unwrap();
        let got = out.wants();
        assert_eq!(got.len(), acked.len(), "{ctx}: phase {phase}");
        for (g, a) in got.iter().zip(&acked) {
            assert_eq!(g, a, "{ctx}: phase {phase}");
        }
    }
    set_file_size_limit(libc::RLIM_INFINITY);
    let w = Writer::open(&path, opts).unwrap();
    w.close().unwrap();
    check_segment(&path, &acked, &ctx);
    std::fs::remove_file(&path).unwrap();
}

/// `mixed_batches` with each buffer size and durability, for each seed of
/// `seeds()`.
#[test]
fn batches_defining_types_fail_midway_and_reopen() {
    in_child("batches_defining_types_fail_midway_and_reopen", |dir| {
        for seed in seeds() {
            for bs in [0usize, 64, 1000, 4096, 8191] {
                for d in [
                    Durability::None,
                    Durability::EveryRecord,
                    Durability::EveryN(3),
                ] {
                    mixed_batches(dir, seed, bs, d);
                }
            }
        }
    });
}

/// Under `Interval`, a failure of the background flusher is held for the
/// next write call. When the caller meanwhile calls `flush` (or `sync`),
/// which retries the same buffered records and reports its own failure,
/// the flusher's failure has been told: once the cause is gone, the next
/// write must succeed, not fail with the flusher's stale error (claiming
/// its records were not written) because no flush has succeeded since.
///
/// A flusher round that starts after `flush` returned and fails before the
/// limit is lifted is a new failure, rightly held for that write: a loaded
/// machine can put one in that window, so the case gets three attempts. A
/// stale error would fail every one.
#[test]
fn a_failed_flush_call_reports_the_flushers_failure() {
    in_child("a_failed_flush_call_reports_the_flushers_failure", |dir| {
        let mut new_failures = Vec::new();
        for attempt in 0..3 {
            match flush_failure_then_write(&dir.join(format!("flush-{attempt}.binlog"))) {
                Ok(()) => return,
                Err(e) => {
                    let e = e.to_string();
                    assert!(e.contains("background flush"), "not a flusher failure: {e}");
                    new_failures.push(e);
                }
            }
        }
        panic!("every write after the failed flush failed: {new_failures:?}");
    });
}

/// One attempt of `a_failed_flush_call_reports_the_flushers_failure`: the
/// write after the cause is gone, with the file's records checked when it
/// succeeds.
fn flush_failure_then_write(path: &Path) -> Result<(), Error> {
    let w = Writer::open(
        path,
        Options {
            buffer_size: 64 * 1024,
            durability: Durability::Interval(Duration::from_millis(20)),
            ..Options::default()
        },
    )
    .unwrap();
    let header = std::fs::metadata(path).unwrap().len();
    set_file_size_limit(header + 1000);
    let payload = vec![5u8; 500];
    for seq in 0..5 {
        assert_eq!(w.write("t", &payload).unwrap(), seq);
    }
    // Several flusher rounds fail.
    std::thread::sleep(Duration::from_millis(150));
    let flushed = w.flush();
    // The cause goes; the failure was reported by flush.
    set_file_size_limit(libc::RLIM_INFINITY);
    let e = flushed.expect_err("the limit still holds");
    assert!(e.message().contains("File too large"), "{e}");
    let written = w.write("t", &payload);
    w.close().unwrap();
    assert_eq!(written?, 5, "numbered after the buffered records");
    let mut r = Reader::open(path).unwrap();
    let mut n = 0;
    while let Some(rec) = r.next().unwrap() {
        assert_eq!((rec.seq, rec.payload), (n, &payload[..]));
        n += 1;
    }
    assert_eq!(n, 6);
    Ok(())
}
