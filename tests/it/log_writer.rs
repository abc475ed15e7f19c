//! The rolling log writer on real files: every roll trigger (size, record
//! count, UTC period, idle period via `tick`, the background thread), file
//! names that sort in write order whatever the clock and the options did,
//! sealed segments that are never touched again, sequence numbers across
//! segments and restarts (power loss and a crash mid-roll included: no
//! number given out twice, a resumed segment keeps its period), callbacks
//! and polling, retention, the manifest, and the log's lock (a second
//! process is refused while the writer rolls).
//!
//! Time is injected (`LogOptions::clock`) so that period boundaries are hit
//! exactly; records written without a timestamp get the same readings.

use crate::common;
use binlog::format::frame::max_frame_len;
use binlog::log::manifest::Manifest;
use binlog::log::{naming, segments};
use binlog::{Clock, LogOptions, LogReader, LogWriter, Period, Retention};
use binlog::{Durability, Entry, Options, Reader, Tail};
use binlog::{SegmentEvent, SegmentInfo};
use common::child::ChildProc;
use common::{
    event_key, fixed_clock_opts, payload_bytes as payload, segment_paths, set_len, Rng, TempDir,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- helpers

const S: i64 = 1_000_000_000;
const MIN: i64 = 60 * S;
const HOUR: i64 = 60 * MIN;
/// 2026-11-21T05:37:42.5Z
const T0: i64 = 1_795_239_462_500_000_000;

/// An injected wall clock.
#[derive(Clone)]
struct FakeClock(Arc<AtomicI64>);

impl FakeClock {
    fn new(t: i64) -> FakeClock {
        FakeClock(Arc::new(AtomicI64::new(t)))
    }
    fn set(&self, t: i64) {
        self.0.store(t, Ordering::SeqCst)
    }
    fn add(&self, d: i64) {
        self.0.fetch_add(d, Ordering::SeqCst);
    }
    fn clock(&self) -> Clock {
        let c = Arc::clone(&self.0);
        Arc::new(move || c.load(Ordering::SeqCst))
    }
}

fn opts(clock: &FakeClock) -> LogOptions {
    LogOptions {
        clock: clock.clock(),
        background: false,
        ..LogOptions::default()
    }
}

/// What the test wrote as one record.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Want {
    type_name: String,
    payload: Vec<u8>,
}

/// One record as a segment reader returned it.
#[derive(Clone, Debug)]
struct SegRec {
    seq: u64,
    offset: u64,
    frame_len: u64,
}

/// One segment file as found on disk.
#[derive(Clone, Debug)]
struct Seg {
    name: String,
    path: PathBuf,
    /// The segment number in the file name.
    name_no: u64,
    /// The UTC stamp in the file name.
    stamp: String,
    /// From the header.
    segment_no: u64,
    first_seq: u64,
    created_ns: i64,
    data_start: u64,
    sealed: bool,
    records_end: u64,
    file_len: u64,
    recs: Vec<SegRec>,
}

/// The segment files of log `log` in `dir`, sorted by file NAME (plain byte
/// order, the way `ls` or a shell glob sorts), each read completely.
fn scan(dir: &Path, log: &str) -> Vec<Seg> {
    let prefix = format!("{log}-");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix) && n.ends_with(".binlog"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let path = dir.join(&name);
        let mid = &name[prefix.len()..name.len() - ".binlog".len()];
        let (num, stamp) = mid.split_once('-').unwrap_or_else(|| panic!("name {name}"));
        assert_eq!(num.len(), 20, "segment number in {name} is not 20 digits");
        let name_no: u64 = num.parse().unwrap();
        assert_eq!(
            naming::parse_segment_name(log, &name),
            Some(name_no),
            "{name}"
        );
        let mut r = Reader::open(&path).unwrap_or_else(|e| panic!("open {name}: {e}"));
        let h = r.header().clone();
        let data_start = r.data_start();
        let sealed = r.seal().is_some();
        let sealed_count = r.seal().map(|d| d.record_count);
        let mut recs = Vec::new();
        while let Some(rec) = r.next().unwrap_or_else(|e| panic!("read {name}: {e}")) {
            recs.push(SegRec {
                seq: rec.seq,
                offset: rec.offset,
                frame_len: rec.frame_len,
            });
        }
        let tail = r.tail();
        let records_end = match r.seal() {
            Some(d) => d.records_end,
            None => r.position(),
        };
        if sealed {
            assert_eq!(tail, Tail::Sealed, "{name}");
            assert_eq!(sealed_count, Some(recs.len() as u64), "{name}: seal count");
        } else {
            assert_eq!(tail, Tail::Unsealed, "{name}");
        }
        out.push(Seg {
            file_len: std::fs::metadata(&path).unwrap().len(),
            name: name.clone(),
            path,
            name_no,
            stamp: stamp.to_string(),
            segment_no: h.segment_no,
            first_seq: h.first_seq,
            created_ns: h.created_ns,
            data_start,
            sealed,
            records_end,
            recs,
        });
    }
    out
}

/// Checks that name order is write order: segment numbers in names match
/// the headers and increase, each segment starts where the previous one
/// ended (unless `holes_allowed`: retention removed some), records inside a
/// segment are contiguous from its first sequence number, and every segment
/// but the newest is sealed. Also checks the library's own listing agrees.
fn check_order(dir: &Path, log: &str, segs: &[Seg], holes_allowed: bool) {
    assert!(!segs.is_empty(), "no segments");
    for (i, s) in segs.iter().enumerate() {
        assert_eq!(s.name_no, s.segment_no, "{}: name vs header", s.name);
        for (k, r) in s.recs.iter().enumerate() {
            assert_eq!(r.seq, s.first_seq + k as u64, "{}: record {k}", s.name);
        }
        if i + 1 < segs.len() {
            assert!(s.sealed, "{} is not the newest but is not sealed", s.name);
            let n = &segs[i + 1];
            assert!(
                n.segment_no > s.segment_no,
                "{} sorts after {} but has a lower segment number",
                n.name,
                s.name
            );
            let end = s.first_seq + s.recs.len() as u64;
            if holes_allowed {
                assert!(
                    n.first_seq >= end,
                    "{} starts before {} ends",
                    n.name,
                    s.name
                );
            } else {
                assert_eq!(n.segment_no, s.segment_no + 1, "{}: numbering hole", n.name);
                assert_eq!(n.first_seq, end, "{} does not continue {}", n.name, s.name);
            }
        }
    }
    let listed: Vec<PathBuf> = segments::list(dir, log)
        .unwrap()
        .into_iter()
        .map(|s| s.path)
        .collect();
    let ours: Vec<PathBuf> = segs.iter().map(|s| s.path.clone()).collect();
    assert_eq!(listed, ours, "segments::list disagrees with name order");
}

/// Reads the whole log with a LogReader: no gaps, continuous sequence
/// numbers from `first`; returns the records.
fn read_log(dir: &Path, log: &str, first: u64) -> Vec<(u64, Want)> {
    let mut r = LogReader::open(dir, log).unwrap();
    let mut out = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        assert_eq!(rec.seq, first + out.len() as u64, "log reader seq");
        out.push((
            rec.seq,
            Want {
                type_name: rec.type_name.to_string(),
                payload: rec.payload.to_vec(),
            },
        ));
    }
    assert!(r.gaps().is_empty(), "gaps: {:?}", r.gaps());
    out
}

fn assert_log_holds(dir: &Path, log: &str, first: u64, wants: &[Want]) {
    let got = read_log(dir, log, first);
    assert_eq!(got.len(), wants.len(), "record count of log {log}");
    for ((seq, g), w) in got.iter().zip(wants) {
        assert!(g == w, "record {seq} differs from what was written");
    }
}

/// Sealed segment files and their bytes, to prove nothing rewrites them.
#[derive(Default)]
struct Frozen(HashMap<PathBuf, Vec<u8>>);

impl Frozen {
    /// Remembers every sealed segment; one remembered before must be
    /// unchanged.
    fn add(&mut self, segs: &[Seg]) {
        for s in segs.iter().filter(|s| s.sealed) {
            let bytes = std::fs::read(&s.path).unwrap();
            if let Some(old) = self.0.get(&s.path) {
                assert!(*old == bytes, "sealed segment {} changed", s.name);
            } else {
                self.0.insert(s.path.clone(), bytes);
            }
        }
    }
    /// Every remembered segment still holds its bytes (`gone` may name
    /// those retention removed).
    fn verify(&self, gone: impl Fn(&Path) -> bool) -> usize {
        let mut checked = 0;
        for (p, bytes) in &self.0 {
            match std::fs::read(p) {
                Ok(now) => {
                    assert!(now == *bytes, "sealed segment {} changed", p.display());
                    checked += 1;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && gone(p) => {}
                Err(e) => panic!("sealed segment {} is gone: {e}", p.display()),
            }
        }
        checked
    }
}

fn entry<'a>(type_name: &'a str, parts: &'a [&'a [u8]]) -> Entry<'a> {
    Entry {
        type_name,
        meta: &[],
        timestamp_ns: None,
        parts,
    }
}

/// Keeps the deliberate callback panic from printing a backtrace; every
/// other panic still goes to the previous hook.
fn quiet_deliberate_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| info.payload().downcast_ref::<String>().map(|s| s.as_str()))
                .unwrap_or("");
            if !msg.starts_with("deliberate panic") {
                prev(info)
            }
        }));
    });
}

fn poll_all(w: &LogWriter) -> Vec<SegmentInfo> {
    std::iter::from_fn(|| w.poll_sealed()).collect()
}

// ---------------------------------------------------------------- size

#[test]
fn size_limit_caps_every_segment_splits_batches_and_isolates_big_records() {
    const LIMIT: u64 = 4096;
    let d = TempDir::new("size");
    let clock = FakeClock::new(T0);
    let w = LogWriter::open(
        d.path(),
        "sz",
        LogOptions {
            max_segment_bytes: Some(LIMIT),
            ..opts(&clock)
        },
    )
    .unwrap();
    let types = ["a", "bb", "a-much-longer-type-name"];
    let mut wants: Vec<Want> = Vec::new();
    let mut rng = Rng::new(0x51ce);
    let (mut split_batches, mut bigs) = (0, 0);
    let mk = |seq: u64, len: usize, rng: &mut Rng| Want {
        type_name: types[rng.below(3) as usize].to_string(),
        payload: payload(seq, len),
    };
    for round in 0..80 {
        let next = wants.len() as u64;
        let batch: Vec<Want> = match round % 6 {
            0 | 1 => vec![mk(next, rng.below(700) as usize, &mut rng)],
            2 | 3 => {
                let n = 2 + rng.below(40);
                (0..n)
                    .map(|k| mk(next + k, rng.below(300) as usize, &mut rng))
                    .collect()
            }
            4 => {
                // Just above the limit, or far above it.
                bigs += 1;
                let len = if round % 12 == 4 {
                    LIMIT as usize - 40
                } else {
                    3 * LIMIT as usize
                };
                vec![mk(next, len, &mut rng)]
            }
            _ => {
                // A big record in the middle of a batch.
                bigs += 1;
                vec![
                    mk(next, 100, &mut rng),
                    mk(next + 1, 200, &mut rng),
                    mk(next + 2, 6000, &mut rng),
                    mk(next + 3, 50, &mut rng),
                ]
            }
        };
        let before = segments::list(d.path(), "sz").unwrap().len();
        let first = if batch.len() == 1 && round % 2 == 0 {
            w.write(&batch[0].type_name, &batch[0].payload).unwrap()
        } else {
            let parts: Vec<[&[u8]; 1]> = batch.iter().map(|x| [&x.payload[..]]).collect();
            let entries: Vec<Entry<'_>> = batch
                .iter()
                .zip(&parts)
                .map(|(x, p)| entry(&x.type_name, p))
                .collect();
            w.write_batch(&entries).unwrap()
        };
        assert_eq!(first, next, "round {round}: first seq of the write");
        let after = segments::list(d.path(), "sz").unwrap().len();
        if batch.len() > 1 && after > before + 1 {
            split_batches += 1;
        }
        wants.extend(batch);
    }
    w.close().unwrap();

    let segs = scan(d.path(), "sz");
    check_order(d.path(), "sz", &segs, false);
    assert_log_holds(d.path(), "sz", 0, &wants);
    let mut own_segments = 0;
    for (i, s) in segs.iter().enumerate() {
        assert!(!s.recs.is_empty(), "{}: empty segment", s.name);
        // Records tile the records region exactly: none straddles a file.
        let mut at = s.data_start;
        for r in &s.recs {
            assert_eq!(
                r.offset, at,
                "{}: record {} not where expected",
                s.name, r.seq
            );
            at += r.frame_len;
        }
        assert_eq!(at, s.records_end, "{}: records end", s.name);
        // The whole file, seal included, stays within the limit unless it
        // holds a single record larger than the limit.
        if s.file_len > LIMIT {
            assert_eq!(
                s.recs.len(),
                1,
                "{}: {} bytes with its seal, above the {LIMIT} limit, with {} records",
                s.name,
                s.file_len,
                s.recs.len()
            );
            own_segments += 1;
        }
        assert!(s.file_len <= LIMIT || s.recs.len() == 1);
        // The segment rolled only because the next record would not fit: it
        // adds its frame, an 8-byte index entry, at most one 24-byte sparse
        // entry, and (a type new to the segment) a directory entry.
        if let Some(n) = segs.get(i + 1) {
            let next = &wants[n.first_seq as usize];
            let need = max_frame_len(&next.type_name, &[], next.payload.len() as u64);
            let seal_growth = 8 + 24 + 40 + next.type_name.len() as u64 + 16;
            assert!(
                s.file_len + need + seal_growth > LIMIT,
                "{} rolled at {} bytes (seal included) though the next record ({need} bytes at most) fit",
                s.name,
                s.file_len
            );
        }
    }
    // Each record larger than the limit got a segment of its own.
    let big_records = wants
        .iter()
        .filter(|x| max_frame_len(&x.type_name, &[], x.payload.len() as u64) > LIMIT - 200)
        .count();
    assert!(bigs > 0 && big_records >= bigs);
    assert_eq!(
        own_segments, bigs,
        "oversized segments vs big records written"
    );
    assert!(
        split_batches >= 3,
        "only {split_batches} batches were split by a roll"
    );
}

/// A record whose type is new to the segment adds a directory entry to the
/// seal; the size limit must count it, or a segment that holds two records
/// ends up larger than `max_segment_bytes`.
#[test]
fn a_record_of_a_new_type_never_takes_a_segment_past_the_size_limit() {
    const LIMIT: u64 = 4096;
    let long_type = "a-type-name-that-is-new-to-the-segment-and-rather-long";
    let d = TempDir::new("newtype");
    let mut over = Vec::new();
    for (i, len) in (2560..2720usize).step_by(4).enumerate() {
        let name = format!("l{i}");
        let w = LogWriter::open(
            d.path(),
            &name,
            LogOptions {
                max_segment_bytes: Some(LIMIT),
                ..fixed_clock_opts()
            },
        )
        .unwrap();
        w.write("a", &vec![1u8; 1000]).unwrap();
        w.write(long_type, &vec![2u8; len]).unwrap();
        w.close().unwrap();
        for s in segments::list(d.path(), &name).unwrap() {
            let bytes = std::fs::metadata(&s.path).unwrap().len();
            let mut r = binlog::Reader::open(&s.path).unwrap();
            let mut n = 0;
            while r.next().unwrap().is_some() {
                n += 1;
            }
            if bytes > LIMIT && n > 1 {
                over.push((len, bytes, n));
            }
        }
        // Both records read back in order.
        let mut r = LogReader::open(d.path(), &name).unwrap();
        assert_eq!(r.next().unwrap().unwrap().seq, 0);
        assert_eq!(r.next().unwrap().unwrap().seq, 1);
        assert!(r.next().unwrap().is_none());
    }
    assert!(
        over.is_empty(),
        "segments above the {LIMIT}-byte limit holding several records (payload len, file bytes, records): {over:?}"
    );
}

// ---------------------------------------------------------------- records

#[test]
fn record_limit_rolls_exactly_every_n_records_even_inside_batches() {
    const N: u64 = 7;
    let d = TempDir::new("records");
    let clock = FakeClock::new(T0);
    let w = LogWriter::open(
        d.path(),
        "rc",
        LogOptions {
            max_segment_records: Some(N),
            ..opts(&clock)
        },
    )
    .unwrap();
    let mut wants = Vec::new();
    let mut rng = Rng::new(7);
    let mut batch_sizes = vec![1, 1, 3, 30, 6, 7, 8, 1, 13, 2, 50];
    for _ in 0..20 {
        batch_sizes.push(1 + rng.below(20) as usize);
    }
    for (k, n) in batch_sizes.into_iter().enumerate() {
        let first = wants.len() as u64;
        let batch: Vec<Want> = (0..n as u64)
            .map(|i| Want {
                type_name: format!("t{}", (first + i) % 4),
                payload: payload(first + i, rng.below(64) as usize),
            })
            .collect();
        let parts: Vec<[&[u8]; 1]> = batch.iter().map(|x| [&x.payload[..]]).collect();
        let entries: Vec<Entry<'_>> = batch
            .iter()
            .zip(&parts)
            .map(|(x, p)| entry(&x.type_name, p))
            .collect();
        assert_eq!(w.write_batch(&entries).unwrap(), first, "batch {k}");
        wants.extend(batch);
        assert_eq!(w.next_seq().unwrap(), wants.len() as u64);
        let cur = w.current_segment().unwrap();
        let expect_in_current = (wants.len() as u64 - 1) % N + 1;
        assert_eq!(
            cur.record_count, expect_in_current,
            "batch {k}: current segment"
        );
        assert_eq!(cur.first_seq, wants.len() as u64 - expect_in_current);
    }
    // An empty batch writes nothing and rolls nothing.
    let before = segments::list(d.path(), "rc").unwrap().len();
    assert_eq!(w.write_batch(&[]).unwrap(), wants.len() as u64);
    assert_eq!(segments::list(d.path(), "rc").unwrap().len(), before);
    w.close().unwrap();

    let segs = scan(d.path(), "rc");
    check_order(d.path(), "rc", &segs, false);
    assert_log_holds(d.path(), "rc", 0, &wants);
    let total = wants.len() as u64;
    assert_eq!(segs.len() as u64, total.div_ceil(N), "segment count");
    for s in &segs[..segs.len() - 1] {
        assert_eq!(s.recs.len() as u64, N, "{}", s.name);
    }
    assert_eq!(segs.last().unwrap().recs.len() as u64, (total - 1) % N + 1);
}

// ---------------------------------------------------------------- periods

/// Boundary after T0 and the name stamp a segment created exactly there
/// gets, worked out by hand for 2026-11-21T05:37:42.5Z.
fn boundary(p: Period) -> (i64, &'static str, i64) {
    let from_t0 = |h: i64, m: i64, s_half: i64| h * HOUR + m * MIN + s_half * S / 2;
    match p {
        // 05:38:00
        Period::Minute => (T0 + from_t0(0, 0, 35), "20261121T053800Z", MIN),
        // 05:40:00
        Period::FiveMinutes => (T0 + from_t0(0, 2, 35), "20261121T054000Z", 5 * MIN),
        // 06:00:00
        Period::Hour => (T0 + from_t0(0, 22, 35), "20261121T060000Z", HOUR),
        // 2026-11-22 00:00:00
        Period::Day => (T0 + from_t0(18, 22, 35), "20261122T000000Z", 24 * HOUR),
        _ => unreachable!(),
    }
}

#[test]
fn period_rolls_at_utc_boundaries_and_idle_writers_roll_on_tick() {
    for p in [
        Period::Minute,
        Period::FiveMinutes,
        Period::Hour,
        Period::Day,
    ] {
        let (b, stamp, len) = boundary(p);
        assert_eq!(naming::utc_stamp(b), stamp, "{p:?}: hand-made boundary");
        assert_eq!(
            b.rem_euclid(len),
            0,
            "{p:?}: boundary not a multiple of the period"
        );
        let d = TempDir::new(p.name());
        let clock = FakeClock::new(T0);
        let w = LogWriter::open(
            d.path(),
            "p",
            LogOptions {
                period: p,
                ..opts(&clock)
            },
        )
        .unwrap();
        let nsegs = || segments::list(d.path(), "p").unwrap().len();
        let ctx = format!("{p:?}");
        let mut seq = 0u64;
        let mut put = |w: &LogWriter| {
            let s = w.write("t", &payload(seq, 16)).unwrap();
            assert_eq!(s, seq, "{ctx}");
            seq += 1;
        };
        put(&w); // 0
        clock.set(b - 1);
        put(&w); // 1
        w.tick().unwrap();
        assert_eq!(nsegs(), 1, "{ctx}: rolled 1 ns before the boundary");
        assert!(w.poll_sealed().is_none());

        // Idle: the boundary passes with no write; tick rolls.
        clock.set(b);
        w.tick().unwrap();
        assert_eq!(nsegs(), 2, "{ctx}: tick at the boundary did not roll");
        let sealed = poll_all(&w);
        assert_eq!(sealed.len(), 1, "{ctx}");
        assert_eq!(
            (
                sealed[0].segment_no,
                sealed[0].first_seq,
                sealed[0].record_count
            ),
            (0, 0, 2)
        );
        let cur = w.current_segment().unwrap();
        assert_eq!(cur.segment_no, 1);
        let cur_name = cur.path.file_name().unwrap().to_str().unwrap().to_string();
        assert!(
            cur_name.ends_with(&format!("-{stamp}.binlog")),
            "{ctx}: segment started at the boundary is named {cur_name}"
        );
        // An empty segment does not roll, however many periods pass.
        for k in 1..4 {
            clock.set(b + 1 + k * len);
            w.tick().unwrap();
        }
        assert_eq!(nsegs(), 2, "{ctx}: an empty segment rolled");
        assert!(w.poll_sealed().is_none());
        // It adopts the period it is in when its first record comes...
        clock.set(b + 3 * len + 1);
        put(&w); // 2
        clock.set(b + 4 * len - 1);
        put(&w); // 3
        w.tick().unwrap();
        assert_eq!(nsegs(), 2, "{ctx}: rolled inside one period");
        // ...and a write in the next period rolls before it is written.
        clock.set(b + 4 * len);
        put(&w); // 4
        assert_eq!(nsegs(), 3, "{ctx}: write in a new period did not roll");
        let sealed = poll_all(&w);
        assert_eq!(sealed.len(), 1);
        assert_eq!(
            (
                sealed[0].segment_no,
                sealed[0].first_seq,
                sealed[0].record_count
            ),
            (1, 2, 2)
        );
        // Idle again, long after: one roll, then nothing.
        clock.set(b + 9 * len + len / 2);
        w.tick().unwrap();
        w.tick().unwrap();
        assert_eq!(nsegs(), 4, "{ctx}: idle roll");
        put(&w); // 5
        w.close().unwrap();

        let segs = scan(d.path(), "p");
        check_order(d.path(), "p", &segs, false);
        let counts: Vec<usize> = segs.iter().map(|s| s.recs.len()).collect();
        assert_eq!(counts, vec![2, 2, 1, 1], "{ctx}: records per segment");
        // Each segment was created in the period that made it roll (an
        // empty segment adopts the period of its first record instead).
        let floors: Vec<i64> = segs.iter().map(|s| s.created_ns.div_euclid(len)).collect();
        assert_eq!(
            floors,
            vec![
                T0.div_euclid(len),
                b / len,
                (b + 4 * len) / len,
                (b + 9 * len) / len
            ],
            "{ctx}: creation periods"
        );
        for s in &segs {
            assert_eq!(s.stamp, naming::utc_stamp(s.created_ns), "{}", s.name);
        }
        // A record written without a timestamp gets the clock reading its
        // log rolled by: the records of a segment share one period (the
        // one it was created in or, if it was created empty, adopted).
        let mut stamps = Vec::new();
        for s in &segs {
            let mut r = Reader::open(&s.path).unwrap();
            let mut period = None;
            while let Some(rec) = r.next().unwrap() {
                let p = *period.get_or_insert(rec.timestamp_ns.div_euclid(len));
                assert_eq!(
                    rec.timestamp_ns.div_euclid(len),
                    p,
                    "{ctx}: record {} outside its segment's period",
                    rec.seq
                );
                stamps.push(rec.timestamp_ns);
            }
        }
        let written = vec![
            T0,
            b - 1,
            b + 3 * len + 1,
            b + 4 * len - 1,
            b + 4 * len,
            b + 9 * len + len / 2,
        ];
        assert_eq!(stamps, written, "{ctx}: record times");
    }
}

/// A log opened and closed with no record written leaves no segment file:
/// the segment its open made holds nothing, and is removed at close rather
/// than sealed. The next open takes its number and sequence number, and a
/// follower that was waiting in it reads the records written then.
#[test]
fn an_open_and_close_with_no_write_leaves_no_segment_file() {
    let d = TempDir::new("open-close-no-write");
    let clock = FakeClock::new(T0);
    let o = || LogOptions {
        first_seq: 100,
        ..opts(&clock)
    };
    LogWriter::open(d.path(), "e", o())
        .unwrap()
        .close()
        .unwrap();
    assert!(segments::list(d.path(), "e").unwrap().is_empty());
    let w = LogWriter::open(d.path(), "e", o()).unwrap();
    assert_eq!(w.write("t", b"a").unwrap(), 100);
    w.close().unwrap();
    // Opened and closed again, twice, with a follower in the empty segment.
    for _ in 0..2 {
        clock.add(HOUR);
        LogWriter::open(d.path(), "e", o())
            .unwrap()
            .close()
            .unwrap();
    }
    let w = LogWriter::open(d.path(), "e", o()).unwrap();
    let mut follower = LogReader::open(d.path(), "e").unwrap();
    assert_eq!(follower.next().unwrap().map(|r| r.seq), Some(100));
    assert!(follower.next().unwrap().is_none());
    w.close().unwrap();
    let files = segments::list(d.path(), "e").unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    let w = LogWriter::open(d.path(), "e", o()).unwrap();
    assert_eq!(w.current_segment().unwrap().segment_no, 1);
    assert_eq!(w.write("t", b"b").unwrap(), 101);
    w.close().unwrap();
    assert_eq!(follower.next().unwrap().map(|r| r.seq), Some(101));
    let segs = scan(d.path(), "e");
    check_order(d.path(), "e", &segs, false);
    let counts: Vec<usize> = segs.iter().map(|s| s.recs.len()).collect();
    assert_eq!(counts, vec![1, 1], "records per segment");
}

/// An idle writer's period roll seals the old segment and makes the next
/// one, where the next record goes; closed before that record, the log
/// leaves no empty segment.
#[test]
fn an_idle_period_roll_closed_before_a_record_leaves_no_empty_segment() {
    let d = TempDir::new("idle-roll-close");
    let clock = FakeClock::new(T0);
    let o = || LogOptions {
        period: Period::Hour,
        ..opts(&clock)
    };
    let w = LogWriter::open(d.path(), "i", o()).unwrap();
    w.write("t", b"a").unwrap();
    clock.add(HOUR);
    w.tick().unwrap();
    assert_eq!(segments::list(d.path(), "i").unwrap().len(), 2, "idle roll");
    assert_eq!(poll_all(&w).len(), 1, "the old segment sealed");
    w.close().unwrap();
    let segs = scan(d.path(), "i");
    let counts: Vec<usize> = segs.iter().map(|s| s.recs.len()).collect();
    assert_eq!(counts, vec![1], "records per segment");
    assert!(segs[0].sealed);
    let w = LogWriter::open(d.path(), "i", o()).unwrap();
    assert_eq!(w.write("t", b"b").unwrap(), 1);
    w.close().unwrap();
    let segs = scan(d.path(), "i");
    check_order(d.path(), "i", &segs, false);
    let counts: Vec<usize> = segs.iter().map(|s| s.recs.len()).collect();
    assert_eq!(counts, vec![1, 1], "records per segment");
}

#[test]
fn background_thread_rolls_by_itself_once_the_injected_clock_passes_a_boundary() {
    let d = TempDir::new("bg");
    let clock = FakeClock::new(T0);
    let w = LogWriter::open(
        d.path(),
        "bg",
        LogOptions {
            period: Period::Hour,
            clock: clock.clock(),
            background: true,
            ..LogOptions::default()
        },
    )
    .unwrap();
    let (tx, rx) = mpsc::channel::<(Instant, SegmentEvent)>();
    let tx = Mutex::new(tx);
    w.on_segment(Box::new(move |ev| {
        let _ = tx.lock().unwrap().send((Instant::now(), ev.clone()));
        Ok(())
    }))
    .unwrap();
    w.write("t", b"before the hour").unwrap();
    // The thread ticks at least once a second: nothing may roll while the
    // injected time stays inside the hour.
    assert!(
        rx.recv_timeout(Duration::from_millis(1200)).is_err(),
        "rolled inside the period"
    );
    let (b, stamp, _) = boundary(Period::Hour);
    clock.set(b + 5 * S);
    // The thread rolls with no write to make it (it wakes at least once a
    // second; the bound only catches a roll that never comes).
    let (_, ev) = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("no roll after the clock passed the hour");
    let SegmentEvent::Sealed(info) = ev else {
        panic!("first event {ev:?}")
    };
    assert_eq!(
        (info.segment_no, info.first_seq, info.record_count),
        (0, 0, 1)
    );
    let (_, ev) = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    let SegmentEvent::Opened(info) = ev else {
        panic!("second event {ev:?}")
    };
    assert_eq!((info.segment_no, info.first_seq), (1, 1));
    let name = info.path.file_name().unwrap().to_str().unwrap();
    assert!(
        name.ends_with("-20261121T060005Z.binlog"),
        "{name} ({stamp}+5s)"
    );
    assert_eq!(w.write("t", b"after").unwrap(), 1);
    // close stops the thread (it does not wait for the thread's next
    // tick: a unit test's matter, not timed here).
    w.close().unwrap();
    let segs = scan(d.path(), "bg");
    check_order(d.path(), "bg", &segs, false);
    assert_eq!(segs.len(), 2);
}

/// A roll names the new segment and sets its period by the clock reading of
/// the write that rolls (its records carry that reading); the header's
/// creation time must be that reading too, not a second one taken after
/// the old segment was sealed (an fdatasync later, under a durable policy).
/// When a period boundary passes between the two, a log reopened after a
/// crash would take the segment's period from its header, the next period,
/// and append that period's records to a segment of the period before
/// instead of rolling.
#[test]
fn a_resumed_segment_keeps_the_period_it_was_named_for() {
    use binlog::{Clock, Period};
    use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
    use std::sync::Arc;

    const HOUR: i64 = 3_600_000_000_000;
    /// 2026-11-21T05:37:42.5Z
    const T0: i64 = 1_795_239_462_500_000_000;
    let now = Arc::new(AtomicI64::new(T0));
    // Armed: the next reading returns the time, and the clock then steps
    // an hour on (a boundary passes right after that reading).
    let armed = Arc::new(AtomicBool::new(false));
    let clock: Clock = {
        let (now, armed) = (Arc::clone(&now), Arc::clone(&armed));
        Arc::new(move || {
            let t = now.load(Ordering::SeqCst);
            if armed.swap(false, Ordering::SeqCst) {
                now.store(t + HOUR, Ordering::SeqCst);
            }
            t
        })
    };
    let opts = || LogOptions {
        clock: Arc::clone(&clock),
        background: false,
        period: Period::Hour,
        max_segment_records: Some(2),
        ..LogOptions::default()
    };
    let d = TempDir::new("log-period-resume");
    let w = LogWriter::open(d.path(), "h", opts()).unwrap();
    w.write("t", b"0").unwrap();
    w.write("t", b"1").unwrap();
    armed.store(true, Ordering::SeqCst);
    // Rolls (two records), at 05:37: segment 1 is 05:00's.
    assert_eq!(w.write("t", b"2").unwrap(), 2);
    assert_eq!(w.current_segment().unwrap().segment_no, 1);
    assert!(!armed.load(Ordering::SeqCst));
    w.close().unwrap();
    // What a crash leaves: segment 1 unsealed, its record whole.
    let paths = segment_paths(d.path(), "h");
    assert_eq!(paths.len(), 2);
    let end = Reader::open(&paths[1]).unwrap().seal().unwrap().records_end;
    set_len(&paths[1], end);
    assert!(Reader::open(&paths[1]).unwrap().seal().is_none());

    // Reopened at 06:37: record 3 belongs to 06:00's segment.
    let w = LogWriter::open(d.path(), "h", opts()).unwrap();
    assert_eq!(w.write("t", b"3").unwrap(), 3);
    let cur = w.current_segment().unwrap();
    w.close().unwrap();
    assert_eq!(
        (cur.segment_no, cur.first_seq),
        (2, 3),
        "record 3 (06:37) was appended to segment 1, whose record 2 is of 05:37"
    );
}

// ---------------------------------------------------------------- names

#[test]
fn names_sort_in_write_order_across_period_and_limit_changes_and_clock_jumps() {
    let d = TempDir::new("order");
    let clock = FakeClock::new(T0);
    let mut wants: Vec<Want> = Vec::new();
    let mut frozen = Frozen::default();
    let put = |w: &LogWriter, wants: &mut Vec<Want>, len: usize| {
        let seq = wants.len() as u64;
        let x = Want {
            type_name: ["x", "y"][(seq % 2) as usize].to_string(),
            payload: payload(seq, len),
        };
        assert_eq!(w.write(&x.type_name, &x.payload).unwrap(), seq);
        wants.push(x);
    };
    let checkpoint = |wants: &[Want], frozen: &mut Frozen, what: &str| {
        let segs = scan(d.path(), "o");
        check_order(d.path(), "o", &segs, false);
        frozen.add(&segs);
        assert_log_holds(d.path(), "o", 0, wants);
        eprintln!("{what}: {} segments", segs.len());
    };
    let o = |period: Period| LogOptions {
        period,
        ..opts(&clock)
    };

    // Run 1: minutes.
    let w = LogWriter::open(d.path(), "o", o(Period::Minute)).unwrap();
    for _ in 0..3 {
        put(&w, &mut wants, 10);
        clock.add(MIN);
        put(&w, &mut wants, 10);
    }
    w.close().unwrap();
    checkpoint(&wants, &mut frozen, "minute");

    // Run 2: five minutes, left by drop.
    let w = LogWriter::open(d.path(), "o", o(Period::FiveMinutes)).unwrap();
    put(&w, &mut wants, 10);
    clock.add(MIN);
    put(&w, &mut wants, 10);
    clock.add(5 * MIN);
    put(&w, &mut wants, 10);
    drop(w);
    checkpoint(&wants, &mut frozen, "five minutes");

    // Run 3: minutes again, then two (three) rolls inside one second.
    let w = LogWriter::open(d.path(), "o", o(Period::Minute)).unwrap();
    put(&w, &mut wants, 10);
    clock.add(MIN + 250_000_000);
    put(&w, &mut wants, 10);
    w.roll().unwrap();
    put(&w, &mut wants, 10);
    clock.add(300_000_000);
    w.roll().unwrap();
    put(&w, &mut wants, 10);
    w.roll().unwrap();
    w.close().unwrap();
    checkpoint(&wants, &mut frozen, "minute again");

    // Run 4: a size limit instead of a period; then records limit 1, so
    // every write rolls within the same second.
    let w = LogWriter::open(
        d.path(),
        "o",
        LogOptions {
            max_segment_bytes: Some(4096),
            ..opts(&clock)
        },
    )
    .unwrap();
    for _ in 0..30 {
        put(&w, &mut wants, 500);
    }
    w.close().unwrap();
    checkpoint(&wants, &mut frozen, "size");
    let w = LogWriter::open(
        d.path(),
        "o",
        LogOptions {
            max_segment_records: Some(1),
            max_segment_bytes: Some(8192),
            ..opts(&clock)
        },
    )
    .unwrap();
    for _ in 0..12 {
        put(&w, &mut wants, 3000);
    }
    drop(w);
    checkpoint(&wants, &mut frozen, "records");

    // Run 5: the clock jumps back three hours, then two days, then forward.
    let w = LogWriter::open(d.path(), "o", o(Period::Hour)).unwrap();
    put(&w, &mut wants, 10);
    clock.add(-3 * HOUR);
    put(&w, &mut wants, 10);
    put(&w, &mut wants, 10);
    clock.add(-48 * HOUR);
    put(&w, &mut wants, 10);
    w.tick().unwrap();
    clock.add(60 * HOUR);
    w.tick().unwrap();
    put(&w, &mut wants, 10);
    w.close().unwrap();
    checkpoint(&wants, &mut frozen, "clock jumps");

    // Run 6: reopen with the clock back in the past (a new segment started
    // "before" all others) and a period again.
    clock.set(T0 - 24 * HOUR);
    let w = LogWriter::open(d.path(), "o", o(Period::FiveMinutes)).unwrap();
    put(&w, &mut wants, 10);
    clock.add(5 * MIN);
    put(&w, &mut wants, 10);
    w.close().unwrap();
    checkpoint(&wants, &mut frozen, "past");

    let segs = scan(d.path(), "o");
    // The test did what it says: stamps went backwards and repeated while
    // names (and so write order) still sort.
    let went_back = segs.windows(2).filter(|p| p[1].stamp < p[0].stamp).count();
    let repeated = segs.windows(2).filter(|p| p[1].stamp == p[0].stamp).count();
    assert!(went_back >= 3, "only {went_back} stamps went backwards");
    assert!(repeated >= 10, "only {repeated} repeated stamps");
    let mut by_seq = segs.clone();
    by_seq.sort_by_key(|s| (s.first_seq, s.segment_no));
    let names: Vec<&str> = segs.iter().map(|s| s.name.as_str()).collect();
    let seq_order: Vec<&str> = by_seq.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, seq_order, "name order is not first-sequence order");
    // Nothing rewrote or truncated a sealed segment.
    let checked = frozen.verify(|_| false);
    assert_eq!(
        checked,
        segs.len(),
        "every segment is sealed at the end and was checked"
    );
    // A manifest that lists every segment.
    let m = Manifest::load(&naming::manifest_path(d.path(), "o")).unwrap();
    assert_eq!(m.current, None, "closed log names no current segment");
    let files: Vec<&str> = m.sealed.iter().map(|e| e.file.as_str()).collect();
    assert_eq!(files, names);
}

// ---------------------------------------------------------------- seqs

#[test]
fn first_seq_is_not_taken_by_a_log_whose_only_segment_a_crash_left_unsealed() {
    let d = TempDir::new("seq-first-unsealed");
    let clock = FakeClock::new(T0);
    let w = LogWriter::open(d.path(), "s", opts(&clock)).unwrap();
    for i in 0..5u64 {
        assert_eq!(w.write("s", &payload(i, 10)).unwrap(), i);
    }
    w.flush().unwrap();
    // As a crash leaves it: the only segment unsealed, no manifest yet.
    let copy = TempDir::new("seq-first-unsealed-copy");
    for e in std::fs::read_dir(d.path()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), copy.path().join(e.file_name())).unwrap();
    }
    w.close().unwrap();
    let o = LogOptions {
        first_seq: 100,
        ..opts(&clock)
    };
    let w = LogWriter::open(copy.path(), "s", o).unwrap();
    // Its records go on where they are, with no gap up to first_seq.
    assert_eq!(w.next_seq().unwrap(), 5);
    assert_eq!(w.write("s", b"next").unwrap(), 5);
    w.close().unwrap();
    let seqs: Vec<u64> = scan(copy.path(), "s")
        .iter()
        .flat_map(|s| (0..s.recs.len() as u64).map(move |k| s.first_seq + k))
        .collect();
    assert_eq!(seqs, (0..6).collect::<Vec<_>>());
}

#[test]
fn sequence_numbers_continue_across_segments_restarts_and_unclean_stops() {
    let d = TempDir::new("seq");
    let clock = FakeClock::new(T0);
    let o = |first_seq: u64| LogOptions {
        max_segment_records: Some(4),
        first_seq,
        ..opts(&clock)
    };
    const FIRST: u64 = 1_000_000;
    let mut wants = Vec::new();
    let put = |w: &LogWriter, wants: &mut Vec<Want>| {
        let seq = FIRST + wants.len() as u64;
        let x = Want {
            type_name: "s".into(),
            payload: payload(seq, (seq % 50) as usize),
        };
        assert_eq!(w.write(&x.type_name, &x.payload).unwrap(), seq);
        wants.push(x);
    };
    let w = LogWriter::open(d.path(), "s", o(FIRST)).unwrap();
    assert_eq!(w.next_seq().unwrap(), FIRST);
    for _ in 0..10 {
        put(&w, &mut wants);
    }
    w.close().unwrap();
    assert!(w.write("s", b"x").is_err(), "write after close");
    assert!(w.is_closed());
    w.close().unwrap();

    // first_seq only applies to a new log.
    let w = LogWriter::open(d.path(), "s", o(5)).unwrap();
    assert_eq!(w.next_seq().unwrap(), FIRST + 10);
    for _ in 0..5 {
        put(&w, &mut wants);
    }
    // Close right after a roll: the newest segment, holding no record, is
    // removed.
    w.roll().unwrap();
    drop(w);
    let w = LogWriter::open(d.path(), "s", o(0)).unwrap();
    assert_eq!(w.next_seq().unwrap(), FIRST + 15);
    for _ in 0..6 {
        put(&w, &mut wants);
    }
    // Unclean stop: copy the directory while the writer is open (after a
    // flush), as a crash would leave it.
    w.flush().unwrap();
    let copy = TempDir::new("seq-copy");
    for e in std::fs::read_dir(d.path()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), copy.path().join(e.file_name())).unwrap();
    }
    put(&w, &mut wants);
    w.close().unwrap();

    let segs = scan(d.path(), "s");
    check_order(d.path(), "s", &segs, false);
    assert_log_holds(d.path(), "s", FIRST, &wants);
    assert_eq!(segs[0].first_seq, FIRST);
    assert!(
        segs.iter().all(|s| !s.recs.is_empty()),
        "a segment without records"
    );

    // The copy: its newest segment is unsealed; a writer resumes that very
    // segment and continues after the last record present.
    let before = scan(copy.path(), "s");
    assert!(!before.last().unwrap().sealed);
    let n_before = before.len();
    let w = LogWriter::open(copy.path(), "s", o(0)).unwrap();
    assert_eq!(w.next_seq().unwrap(), FIRST + 21);
    assert_eq!(
        w.current_segment().unwrap().path,
        before.last().unwrap().path
    );
    let mut copy_wants = wants[..21].to_vec();
    put(&w, &mut copy_wants);
    w.close().unwrap();
    let after = scan(copy.path(), "s");
    check_order(copy.path(), "s", &after, false);
    assert_eq!(after.len(), n_before, "resuming created a segment");
    assert_log_holds(copy.path(), "s", FIRST, &copy_wants);
}

/// What the reseal tests write as record `seq`.
fn reseal_want(seq: u64) -> Want {
    Want {
        type_name: if seq % 3 == 0 { "a" } else { "b" }.into(),
        payload: payload(seq, 100),
    }
}

/// A closed log `r` in segments of 10 records holding records `0..n`
/// (`reseal_want`), its options (`first_seq` for a new log) and segments.
fn rolled_log(tag: &str, n: u64, first_seq: u64) -> (TempDir, LogOptions, Vec<Seg>) {
    let d = TempDir::new(tag);
    let o = LogOptions {
        max_segment_records: Some(10),
        first_seq,
        ..opts(&FakeClock::new(T0))
    };
    let w = LogWriter::open(d.path(), "r", o.clone()).unwrap();
    for seq in 0..n {
        let x = reseal_want(seq);
        assert_eq!(w.write(&x.type_name, &x.payload).unwrap(), seq);
    }
    w.close().unwrap();
    let segs = scan(d.path(), "r");
    (d, o, segs)
}

/// Cuts sealed segment `s` back to `less` bytes before the end of its
/// records, as power loss before its seal reached the disk would; returns
/// the new length.
fn strip_seal(s: &Seg, less: u64) -> u64 {
    let end = Reader::open(&s.path).unwrap().seal().unwrap().records_end;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&s.path)
        .unwrap()
        .set_len(end - less)
        .unwrap();
    end - less
}

/// Power loss under durability `None` can leave an older segment without
/// its seal (nothing forces the seal to disk before the next segment is
/// created). Opening the log seals such segments, reports them sealed,
/// keeps a torn record's bytes beside its segment, and goes on: the log
/// reads whole but for the torn record, which the reader reports as a gap.
#[test]
fn older_segments_found_without_their_seal_are_sealed_on_open() {
    let (d, o, before) = rolled_log("reseal", 35, 0);
    assert_eq!(before.len(), 4, "segments of 10, 10, 10 and 5 records");
    // Segment 1 loses its seal; segment 2 its seal and the last 50 bytes of
    // its last record (seq 29).
    strip_seal(&before[1], 0);
    let torn_at = strip_seal(&before[2], 50);
    assert!(Reader::open(&before[1].path).unwrap().seal().is_none());

    let w = LogWriter::open(d.path(), "r", o).unwrap();
    let polled: Vec<(u64, u64, u64)> = std::iter::from_fn(|| w.poll_sealed())
        .map(|i| (i.segment_no, i.first_seq, i.record_count))
        .collect();
    assert_eq!(polled, [(1, 10, 10), (2, 20, 9)], "resealed segments");
    assert_eq!(w.next_seq().unwrap(), 35, "continues after the newest");
    let x = reseal_want(35);
    assert_eq!(w.write(&x.type_name, &x.payload).unwrap(), 35);
    check_manifest(d.path(), "r", Some(&w));
    w.close().unwrap();

    let after = scan(d.path(), "r");
    assert_eq!(after.len(), 5);
    check_order(d.path(), "r", &after, true);
    assert!(after.iter().all(|s| s.sealed), "every segment sealed");
    assert_eq!(after[2].recs.len(), 9, "the torn record was cut");
    let backup = format!("{}.corrupt-", after[2].name);
    let backups: Vec<u64> = std::fs::read_dir(d.path())
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            n.strip_prefix(&backup).map(|o| o.parse().unwrap())
        })
        .collect();
    let last_frame = before[2].recs.last().unwrap();
    assert_eq!(backups, [last_frame.offset], "the torn bytes backed up");
    assert_eq!(torn_at, last_frame.offset + last_frame.frame_len - 50);

    let mut r = LogReader::open(d.path(), "r").unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        let x = reseal_want(rec.seq);
        assert!(rec.type_name == x.type_name && rec.payload == &x.payload[..]);
        seqs.push(rec.seq);
    }
    let expect: Vec<u64> = (0..36).filter(|&s| s != 29).collect();
    assert_eq!(seqs, expect);
    let gaps: Vec<(Option<u64>, Option<u64>)> =
        r.gaps().iter().map(|g| (g.from_seq, g.to_seq)).collect();
    assert_eq!(gaps, [(Some(29), Some(30))]);
}

/// An older segment without its seal and with damage in the middle (a
/// flipped bit, valid records after it) is sealed on open: the records
/// after the damage are copied into a salvaged file of the log, the bytes
/// from the damage on are kept in `<segment>.corrupt-<offset>`, the segment
/// is cut there and sealed, and the log goes on above every number in any
/// file (docs/FORMAT.md section 12). Only the damaged record is missing.
#[test]
fn an_older_unsealed_segment_damaged_in_the_middle_is_backed_up_cut_and_sealed() {
    let (d, o, segs) = rolled_log("reseal-mid", 35, 0);
    // Segment 1: unsealed with a torn tail (sealable on its own).
    strip_seal(&segs[1], 30);
    // Segment 2: unsealed, a bit flipped in its fifth record (seq 24).
    let s2 = &segs[2];
    strip_seal(s2, 0);
    let (at, bytes) = damage_record(s2, 4);
    opens_at_with_backup(&d, o, s2, at, &bytes);
    let sealed = Reader::open(&s2.path).unwrap();
    let seal = sealed.seal().expect("sealed");
    assert_eq!((seal.first_seq, seal.record_count), (20, 4));
    let mut r = LogReader::open(d.path(), "r").unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        seqs.push(rec.seq);
    }
    let expect: Vec<u64> = (0..35).filter(|&s| s != 19 && s != 24).collect();
    assert_eq!(seqs, expect);
}

/// A crash after a log's open cut damage and the records after it into a
/// backup, before the log went on above them, leaves the segment cut and
/// unsealed, its backup beside it: the next open numbers above the
/// backup's records all the same (docs/FORMAT.md section 12).
#[test]
fn a_backup_of_an_unsealed_segment_holds_its_numbers_until_the_log_goes_on_above() {
    let (d, o, segs) = rolled_log("cut-backup", 35, 0);
    let s3 = &segs[3]; // records 30..34
    strip_seal(s3, 0);
    std::fs::remove_file(naming::manifest_path(d.path(), "r")).unwrap();
    let bytes = std::fs::read(&s3.path).unwrap();
    let at = s3.recs[2].offset; // records 32..34 in the backup
    let backup = d.path().join(format!("{}.corrupt-{at}", s3.name));
    std::fs::write(&backup, &bytes[at as usize..]).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&s3.path)
        .unwrap()
        .set_len(at)
        .unwrap();

    let w = LogWriter::open(d.path(), "r", o).unwrap();
    assert_eq!(w.next_seq().unwrap(), 35, "above the backup's records");
    w.close().unwrap();
    assert_eq!(std::fs::read(&backup).unwrap(), &bytes[at as usize..]);
}

/// The newest segment found ending (its records closed by `SEAL_BEGIN`,
/// the rest of its seal lost), a backup beside it holding higher numbers
/// and no manifest: what power loss can leave of an open that cut damage,
/// recorded the position and began the seal. The open records the
/// position again before it seals the segment. If it cannot, it fails and
/// the segment stays ending, its `SEAL_BEGIN` frame in place: a segment's
/// lifecycle goes one way (docs/FORMAT.md section 12). Once it can, the
/// open seals the segment and goes on above the backup's records.
#[test]
fn an_ending_segment_stays_ending_when_the_open_cannot_record_the_position() {
    let (d, o, segs) = rolled_log("ending-unrecorded", 35, 0);
    let s3 = &segs[3]; // records 30..34
    let ending_len = s3.records_end + binlog::format::seal::SEAL_BEGIN_LEN as u64;
    set_len(&s3.path, ending_len);
    std::fs::remove_file(naming::manifest_path(d.path(), "r")).unwrap();
    // Records 35..37 in the backup, from a log that got further.
    let (further, _, further_segs) = rolled_log("ending-unrecorded-further", 38, 0);
    let f3 = &further_segs[3];
    let bytes = std::fs::read(&f3.path).unwrap();
    let at = f3.recs[5].offset;
    let backup = d.path().join(format!("{}.corrupt-{at}", s3.name));
    std::fs::write(&backup, &bytes[at as usize..f3.records_end as usize]).unwrap();
    drop(further);
    // The position is written to `<name>.manifest.position.tmp` and
    // renamed: a directory in that place makes the write fail.
    let blocker = d.path().join("r.manifest.position.tmp");
    std::fs::create_dir(&blocker).unwrap();

    let Err(e) = LogWriter::open(d.path(), "r", o.clone()) else {
        panic!("opened without recording the position");
    };
    let len = std::fs::metadata(&s3.path).unwrap().len();
    assert_eq!(len, ending_len, "SEAL_BEGIN kept ({e})");
    let mut r = Reader::open(&s3.path).unwrap();
    while r.next().unwrap().is_some() {}
    let offset = s3.records_end;
    assert_eq!(r.tail(), Tail::SealDamaged { offset }, "still ending");

    std::fs::remove_dir(&blocker).unwrap();
    let w = LogWriter::open(d.path(), "r", o).unwrap();
    assert_eq!(w.next_seq().unwrap(), 38, "above the backup's records");
    w.close().unwrap();
    let sealed = Reader::open(&s3.path).unwrap();
    let seal = sealed.seal().expect("sealed");
    assert_eq!((seal.first_seq, seal.record_count), (30, 5));
}

/// Damage at the first record of the newest unsealed segment, valid
/// records after it: the segment is not taken for an empty one left by a
/// failed roll (which would be removed, or refuse the open); it is backed
/// up from the damage on and the log numbers above its records.
#[test]
fn damage_at_the_first_record_of_the_newest_segment_is_backed_up_not_taken_for_empty() {
    let (d, o, segs) = rolled_log("first-damaged", 35, 0);
    let s3 = &segs[3]; // records 30..34
    strip_seal(s3, 0);
    std::fs::remove_file(naming::manifest_path(d.path(), "r")).unwrap();
    let (at, bytes) = damage_record(s3, 0);
    opens_at_with_backup(&d, o, s3, at, &bytes);
}

/// Flips a bit in the middle of record `i` of segment `s`: its offset, and
/// the segment's bytes after.
fn damage_record(s: &Seg, i: usize) -> (u64, Vec<u8>) {
    let mut bytes = std::fs::read(&s.path).unwrap();
    let at = s.recs[i].offset;
    bytes[(at + s.recs[i].frame_len / 2) as usize] ^= 0x40;
    std::fs::write(&s.path, &bytes).unwrap();
    (at, bytes)
}

/// Opens log `r` of 35 records in `d` whose segment `s` was damaged at
/// `at` (its bytes then `bytes`): it goes on at 35, above the records
/// after the damage, which `<segment>.corrupt-<at>` holds.
fn opens_at_with_backup(d: &TempDir, o: LogOptions, s: &Seg, at: u64, bytes: &[u8]) {
    let w = LogWriter::open(d.path(), "r", o).unwrap();
    assert_eq!(w.next_seq().unwrap(), 35);
    w.close().unwrap();
    let backup = d.path().join(format!("{}.corrupt-{at}", s.name));
    assert_eq!(std::fs::read(&backup).unwrap(), &bytes[at as usize..]);
}

/// The options of the logs `rolled_log` makes, for a child process.
fn rolled_opts() -> LogOptions {
    LogOptions {
        max_segment_records: Some(10),
        ..opts(&FakeClock::new(T0))
    }
}

/// A closed log `r` of records 0..38 in segments of 10 whose newest
/// segment (records 30..37) lost its seal and a bit of record 33, as a
/// power cut that kept a later page and lost an earlier one leaves it: the
/// directory, the segment, and its bytes.
fn newest_damaged_in_the_middle(tag: &str) -> (TempDir, Seg, Vec<u8>) {
    let (d, _, segs) = rolled_log(tag, 38, 0);
    let s = segs[3].clone();
    strip_seal(&s, 0);
    std::fs::remove_file(naming::manifest_path(d.path(), "r")).unwrap();
    let (_, bytes) = damage_record(&s, 3);
    (d, s, bytes)
}

/// What log `r` in `dir` holds once its newest segment `s`, damaged at
/// record 33 (its bytes then `bytes`), was recovered and records 38..38 +
/// `extra` written: every record but 33, each read once with what was
/// written, and a damage gap of record 33 alone; records 34..37 in the one
/// file salvaged from `s`, sealed; the damaged bytes in a backup; `binlog
/// verify` counting the same records and the same record missing.
fn assert_recovered_with_salvage(dir: &Path, s: &Seg, bytes: &[u8], extra: u64) {
    let mut r = LogReader::open(dir, "r").unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        let x = reseal_want(rec.seq);
        assert!(rec.type_name == x.type_name && rec.payload == &x.payload[..]);
        seqs.push(rec.seq);
    }
    let want: Vec<u64> = (0..38 + extra).filter(|&q| q != 33).collect();
    assert_eq!(seqs, want, "every valid record, once");
    let gaps: Vec<_> = r
        .gaps()
        .iter()
        .map(|g| (g.reason, g.from_seq, g.to_seq))
        .collect();
    assert_eq!(gaps, [(binlog::GapReason::Damage, Some(33), Some(34))]);
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let stem = s.name.strip_suffix(".binlog").unwrap();
    let salvaged: Vec<&String> = names.iter().filter(|n| n.contains(".salvaged-")).collect();
    let want_name = format!("{stem}.salvaged-{}.binlog", s.recs[4].offset);
    assert_eq!(
        salvaged,
        [&want_name],
        "one salvaged file, no copy left over"
    );
    let mut copy = Reader::open(dir.join(&want_name)).unwrap();
    assert!(copy.seal().is_some(), "the salvaged file is sealed");
    let mut copied = Vec::new();
    while let Some(rec) = copy.next().unwrap() {
        copied.push(rec.seq);
    }
    assert_eq!(copied, (34..38).collect::<Vec<u64>>());
    let at = s.recs[3].offset;
    let backup = dir.join(format!("{}.corrupt-{at}", s.name));
    assert_eq!(std::fs::read(backup).unwrap(), &bytes[at as usize..]);
    assert_verify_agrees(dir, want.len());
}

/// `binlog verify` of log directory `dir`: `records` records, record 33
/// missing and nothing else.
fn assert_verify_agrees(dir: &Path, records: usize) {
    let dir = dir.to_str().unwrap();
    let j = common::cli::json_of(common::cli::binlog().args(["verify", "--json", dir]));
    assert_eq!(j["records"], records as u64, "{j}");
    let text = common::cli::stdout_of(common::cli::binlog().args(["verify", dir]));
    assert!(text.contains("record 33 is missing"), "{text}");
    assert_eq!(text.matches("missing").count(), 1, "{text}");
}

/// Damage in the middle of the newest unsealed segment of a log, valid
/// records after it: opening the log copies those records into a sealed
/// salvaged file of the log before it cuts the damage, so that log readers
/// read them in place; only the damaged record is a gap, `binlog verify`
/// says the same, and writing goes on above every number, none given twice.
#[test]
fn damage_in_the_middle_of_the_newest_segment_keeps_the_records_after_it_in_the_log() {
    let (d, s, bytes) = newest_damaged_in_the_middle("salvage-newest");
    // What a reader skipping damage reads before the open, it reads after.
    let before = read_skipping_damage(d.path());
    assert_eq!(before, (0..38).filter(|&q| q != 33).collect::<Vec<u64>>());
    let w = LogWriter::open(d.path(), "r", rolled_opts()).unwrap();
    assert_eq!(w.next_seq().unwrap(), 38, "above the salvaged records");
    for seq in 38..41 {
        let x = reseal_want(seq);
        assert_eq!(w.write(&x.type_name, &x.payload).unwrap(), seq);
    }
    w.close().unwrap();
    assert_recovered_with_salvage(d.path(), &s, &bytes, 3);
    // Opening again changes nothing and salvages nothing twice.
    let w = LogWriter::open(d.path(), "r", rolled_opts()).unwrap();
    assert_eq!(w.next_seq().unwrap(), 41);
    w.close().unwrap();
    assert_recovered_with_salvage(d.path(), &s, &bytes, 3);
}

/// Damage in the middle of a log's unsealed segment whose last record's
/// payload ends in zeros, as a power cut leaves it: opening the log takes
/// those zeros for the record's, not for space a durable writer prepared.
/// The backup holds the whole record, and the log goes on above its
/// number, which its salvaged copy holds: none given twice.
#[test]
fn a_record_ending_in_zeros_after_damage_is_backed_up_whole_and_numbered_once() {
    let d = TempDir::new("zero-ended");
    let w = LogWriter::open(d.path(), "r", rolled_opts()).unwrap();
    for seq in 0..5 {
        assert_eq!(w.write("a", &payload(seq, 100)).unwrap(), seq);
    }
    let mut last = payload(5, 100);
    last.extend_from_slice(&[0; 16]);
    assert_eq!(w.write("a", &last).unwrap(), 5);
    w.close().unwrap();
    let s = scan(d.path(), "r").remove(0);
    strip_seal(&s, 0);
    std::fs::remove_file(naming::manifest_path(d.path(), "r")).unwrap();
    let (at, bytes) = damage_record(&s, 2);
    let w = LogWriter::open(d.path(), "r", rolled_opts()).unwrap();
    assert_eq!(w.next_seq().unwrap(), 6, "above the salvaged record 5");
    w.close().unwrap();
    let backup = d.path().join(format!("{}.corrupt-{at}", s.name));
    assert_eq!(std::fs::read(&backup).unwrap(), &bytes[at as usize..]);
    assert_eq!(read_skipping_damage(d.path()), [0, 1, 3, 4, 5]);
}

/// The directory of the log `salvage_recovery_child` opens.
const SALVAGE_DIR: &str = "BINLOG_SALVAGE_RECOVERY_DIR";

/// In a child process (`SALVAGE_DIR` set): opens and closes log `r` there.
#[test]
fn salvage_recovery_child() {
    let Some(dir) = std::env::var_os(SALVAGE_DIR) else {
        return;
    };
    let w = LogWriter::open(&dir, "r", rolled_opts()).unwrap();
    w.close().unwrap();
}

/// Copies the files of directory `from` into `to`.
fn copy_files(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

/// The sequence numbers log `r` in `dir` reads as it is, skipping damage.
fn read_skipping_damage(dir: &Path) -> Vec<u64> {
    let mut r = LogReader::open(dir, "r").unwrap();
    r.skip_damaged(true);
    let mut seqs = Vec::new();
    while let Some(rec) = r
        .next()
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
    {
        seqs.push(rec.seq);
    }
    seqs
}

/// Reads log `r` in `dir` as it is, skipping damage: no number twice.
fn assert_read_once(dir: &Path, ctx: &str) {
    let seqs = read_skipping_damage(dir);
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{ctx}: {seqs:?}");
}

/// A kill -9 at any step of recovering a segment damaged in the middle
/// (the salvaged copy written, synced, renamed, its directory synced; the
/// backup; the cut; the position; the seal), then an open: the log holds
/// every valid record once, its salvaged file once, and goes on above;
/// read as the kill left it, it gives no number twice.
#[test]
fn a_kill_at_any_step_of_salvaging_on_open_then_a_reopen_loses_and_repeats_nothing() {
    let (d, s, bytes) = newest_damaged_in_the_middle("salvage-kill");
    let mut kills = 0;
    for call in ["pwrite64", "fsync", "fdatasync", "rename", "ftruncate"] {
        for n in 1.. {
            let run = TempDir::new(&format!("salvage-kill-{call}-{n}"));
            copy_files(d.path(), run.path());
            let envs = [(SALVAGE_DIR, run.path().as_os_str())];
            let killed = common::killed_at::run_killed_at("salvage_recovery_child", &envs, call, n);
            assert_read_once(run.path(), &format!("{call} #{n}"));
            let w = LogWriter::open(run.path(), "r", rolled_opts()).unwrap();
            assert_eq!(w.next_seq().unwrap(), 38, "{call} #{n}");
            let x = reseal_want(38);
            assert_eq!(w.write(&x.type_name, &x.payload).unwrap(), 38);
            w.close().unwrap();
            let s = Seg {
                path: run.path().join(&s.name),
                ..s.clone()
            };
            assert_recovered_with_salvage(run.path(), &s, &bytes, 1);
            if !killed {
                break;
            }
            kills += 1;
        }
    }
    assert!(kills >= 10, "killed at {kills} steps only");
}

/// An older segment whose header was torn (created, then power loss) holds
/// no record: it is started afresh, empty, and sealed, numbered so that the
/// next segment follows it even when the options' `first_seq` (which only
/// applies to a new log) says otherwise.
#[test]
fn an_older_segment_with_a_torn_header_is_sealed_empty_before_the_next() {
    let (d, o, segs) = rolled_log("reseal-header", 25, 0);
    let head = std::fs::read(&segs[0].path).unwrap()[..20].to_vec();
    std::fs::write(&segs[0].path, &head).unwrap();

    let w = LogWriter::open(
        d.path(),
        "r",
        LogOptions {
            first_seq: 1000,
            ..o
        },
    )
    .unwrap();
    let polled: Vec<(u64, u64, u64)> = std::iter::from_fn(|| w.poll_sealed())
        .map(|i| (i.segment_no, i.first_seq, i.record_count))
        .collect();
    assert_eq!(polled, [(0, 10, 0)]);
    assert_eq!(w.next_seq().unwrap(), 25);
    w.close().unwrap();
    let backup = d.path().join(format!("{}.corrupt-0", segs[0].name));
    assert_eq!(std::fs::read(backup).unwrap(), head, "the torn header kept");
    let after = scan(d.path(), "r");
    assert!(after.iter().all(|s| s.sealed));
    check_order(d.path(), "r", &after, true);
    let mut r = LogReader::open(d.path(), "r").unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        assert_eq!(rec.payload, &reseal_want(rec.seq).payload[..]);
        seqs.push(rec.seq);
    }
    assert_eq!(seqs, (10..25).collect::<Vec<u64>>());
}

/// Every record of the log (sequence numbers) and the gaps reported.
fn seqs_and_gaps(dir: &Path, name: &str) -> (Vec<u64>, Vec<binlog::Gap>) {
    let mut r = LogReader::open(dir, name).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    while let Some(rec) = r.next().unwrap_or_else(|e| panic!("{e}")) {
        out.push(rec.seq);
    }
    (out, r.gaps().to_vec())
}

/// Power loss under durability `None` right after a roll: the segment
/// rolled away from lost its last records (a torn tail, and no seal), while
/// the new segment, empty, survived with a header saying it starts after
/// them (10). Opening the log seals the older segment (records 0..6 left)
/// and must go on after 10: records 7..9 were given out, and a reader must
/// be told they are missing. The empty segment is not what a failed roll
/// leaves (a header starting *before* where the log went on): removed, the
/// next record would get 7 again, one number for two records, and no gap
/// would be reported.
#[test]
fn an_empty_newest_segment_after_a_torn_older_one_keeps_its_first_seq() {
    let d = TempDir::new("log-torn-then-empty");
    let opts = || LogOptions {
        background: false,
        segment: Options {
            durability: Durability::None,
            ..Options::default()
        },
        ..LogOptions::default()
    };
    let w = LogWriter::open(d.path(), "p", opts()).unwrap();
    for i in 0..10u64 {
        assert_eq!(w.write("t", &[i as u8; 40]).unwrap(), i);
    }
    w.roll().unwrap();
    // Segment 1 as the roll created it, put back after the close, which
    // removes it (it holds no record).
    let newest = w.current_segment().unwrap().path;
    let created = std::fs::read(&newest).unwrap();
    w.close().unwrap();
    std::fs::write(&newest, created).unwrap();
    let paths = segment_paths(d.path(), "p");
    assert_eq!(paths.len(), 2);
    // Segment 1 as the roll created it: its header and nothing else.
    let data_start = Reader::open(&paths[1]).unwrap().data_start();
    set_len(&paths[1], data_start);
    {
        let mut r = Reader::open(&paths[1]).unwrap();
        assert!(r.seal().is_none());
        assert!(r.next().unwrap().is_none());
        assert_eq!(r.tail(), Tail::Unsealed);
        assert_eq!(r.header().first_seq, 10);
    }
    // Segment 0 cut inside record 7, its seal gone.
    let mut r = Reader::open(&paths[0]).unwrap();
    let mut cut = None;
    while let Some(rec) = r.next().unwrap() {
        if rec.seq == 7 {
            cut = Some(rec.offset + 5);
        }
    }
    drop(r);
    set_len(&paths[0], cut.unwrap());

    let w = LogWriter::open(d.path(), "p", opts()).unwrap();
    let seq = w.write("t", b"after").unwrap();
    w.close().unwrap();
    assert_eq!(
        seq, 10,
        "the first record after reopening reused a number given out before"
    );
    let (seqs, gaps) = seqs_and_gaps(d.path(), "p");
    assert_eq!(seqs, vec![0, 1, 2, 3, 4, 5, 6, 10]);
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].from_seq, Some(7));
    assert_eq!(gaps[0].to_seq, Some(10));
}

// ---------------------------------------------------------------- callbacks

#[test]
fn callbacks_see_opened_and_sealed_segments_and_failures_stay_isolated() {
    quiet_deliberate_panics();
    let d = TempDir::new("cb");
    let clock = FakeClock::new(T0);
    let w = LogWriter::open(
        d.path(),
        "cb",
        LogOptions {
            max_segment_records: Some(5),
            ..opts(&clock)
        },
    )
    .unwrap();
    type Log = Arc<Mutex<Vec<SegmentEvent>>>;
    let problems: Arc<Mutex<Vec<String>>> = Arc::default();
    // Checks each event against the files while the callback runs.
    let recorder = |log: Log, problems: Arc<Mutex<Vec<String>>>| -> binlog::SegmentCallback {
        Box::new(move |ev| {
            let bad = |m: String| problems.lock().unwrap().push(m);
            let (info, sealed) = match ev {
                SegmentEvent::Opened(i) => (i, false),
                SegmentEvent::Sealed(i) => (i, true),
                SegmentEvent::Compressed(i) => {
                    return Err(format!(
                        "{}: compressed by a log that does not compress",
                        i.path.display()
                    ));
                }
            };
            match Reader::open(&info.path) {
                Err(e) => bad(format!("{ev:?}: cannot open the segment: {e}")),
                Ok(r) => {
                    let h = r.header();
                    if (h.segment_no, h.first_seq) != (info.segment_no, info.first_seq) {
                        bad(format!(
                            "{ev:?}: header says {} / {}",
                            h.segment_no, h.first_seq
                        ));
                    }
                    match (sealed, r.seal()) {
                        (true, Some(s)) if s.record_count == info.record_count => {}
                        (true, s) => bad(format!("{ev:?}: seal {:?}", s.map(|s| s.record_count))),
                        (false, None) if info.record_count == 0 => {}
                        (false, _) => {
                            bad(format!("{ev:?}: a new segment is sealed or has records"))
                        }
                    }
                    // A sealed segment is final; an opened one may hold the
                    // records of the write that rolled to it by the time its
                    // event is reported (after that write), never fewer bytes.
                    let len = std::fs::metadata(&info.path).map(|m| m.len()).unwrap_or(0);
                    if len != info.bytes && (sealed || len < info.bytes) {
                        bad(format!("{ev:?}: file has {len} bytes"));
                    }
                }
            }
            log.lock().unwrap().push(ev.clone());
            Ok(())
        })
    };
    let first: Log = Arc::default();
    let last: Log = Arc::default();
    w.on_segment(recorder(Arc::clone(&first), Arc::clone(&problems)))
        .unwrap();
    let errs = Arc::new(AtomicU64::new(0));
    let e2 = Arc::clone(&errs);
    w.on_segment(Box::new(move |_| {
        e2.fetch_add(1, Ordering::SeqCst);
        Err("callback says no".to_string())
    }))
    .unwrap();
    let panics = Arc::new(AtomicU64::new(0));
    let p2 = Arc::clone(&panics);
    w.on_segment(Box::new(move |_| {
        p2.fetch_add(1, Ordering::SeqCst);
        panic!("deliberate panic in a segment callback (expected by the test)")
    }))
    .unwrap();
    w.on_segment(recorder(Arc::clone(&last), Arc::clone(&problems)))
        .unwrap();

    for seq in 0..6u64 {
        assert_eq!(w.write("t", &payload(seq, 20)).unwrap(), seq);
    }
    // Polling returns the sealed segment once.
    let p = poll_all(&w);
    assert_eq!(p.len(), 1);
    assert_eq!(
        (p[0].segment_no, p[0].first_seq, p[0].record_count),
        (0, 0, 5)
    );
    assert!(w.poll_sealed().is_none());
    assert_eq!(
        w.callback_failures().0,
        4,
        "two events, two failing callbacks"
    );
    for seq in 6..23u64 {
        assert_eq!(w.write("t", &payload(seq, 20)).unwrap(), seq);
    }
    w.roll().unwrap();
    for seq in 23..25u64 {
        assert_eq!(w.write("t", &payload(seq, 20)).unwrap(), seq);
    }
    w.close().unwrap();

    let problems = problems.lock().unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
    let events = first.lock().unwrap().clone();
    assert_eq!(
        events,
        *last.lock().unwrap(),
        "callbacks after failing ones saw less"
    );
    let summary: Vec<(char, u64, u64, u64)> = events.iter().map(event_key).collect();
    assert_eq!(
        summary,
        vec![
            ('S', 0, 0, 5),
            ('O', 1, 5, 0),
            ('S', 1, 5, 5),
            ('O', 2, 10, 0),
            ('S', 2, 10, 5),
            ('O', 3, 15, 0),
            ('S', 3, 15, 5),
            ('O', 4, 20, 0),
            ('S', 4, 20, 3),
            ('O', 5, 23, 0),
            ('S', 5, 23, 2),
        ]
    );
    let n = events.len() as u64;
    assert_eq!(errs.load(Ordering::SeqCst), n);
    assert_eq!(panics.load(Ordering::SeqCst), n);
    let (failures, last_failure) = w.callback_failures();
    assert_eq!(failures, 2 * n);
    assert!(last_failure.is_some());
    // Polling: the rest, once each, in order.
    let polled: Vec<(u64, u64, u64)> = poll_all(&w)
        .iter()
        .map(|i| (i.segment_no, i.first_seq, i.record_count))
        .collect();
    assert_eq!(
        polled,
        vec![(1, 5, 5), (2, 10, 5), (3, 15, 5), (4, 20, 3), (5, 23, 2)]
    );
    assert!(w.poll_sealed().is_none());
    // The sealed events' paths and byte counts match the files.
    for e in &events {
        if let SegmentEvent::Sealed(i) = e {
            assert_eq!(std::fs::metadata(&i.path).unwrap().len(), i.bytes);
        }
    }
    let segs = scan(d.path(), "cb");
    check_order(d.path(), "cb", &segs, false);
    assert_eq!(segs.len(), 6);
}

// ---------------------------------------------------------------- retention

/// The files of the log's sealed segments and its current one must be
/// exactly what the manifest lists, with the right numbers.
fn check_manifest(dir: &Path, log: &str, w: Option<&LogWriter>) -> Manifest {
    let m = Manifest::load(&naming::manifest_path(dir, log)).unwrap();
    assert_eq!(m.log, log);
    let segs = scan(dir, log);
    let sealed: Vec<&Seg> = segs.iter().filter(|s| s.sealed).collect();
    let listed: Vec<(u64, String, u64, u64, u64)> = m
        .sealed
        .iter()
        .map(|e| {
            (
                e.segment_no,
                e.file.clone(),
                e.first_seq,
                e.record_count,
                e.bytes,
            )
        })
        .collect();
    let on_disk: Vec<(u64, String, u64, u64, u64)> = sealed
        .iter()
        .map(|s| {
            (
                s.segment_no,
                s.name.clone(),
                s.first_seq,
                s.recs.len() as u64,
                s.file_len,
            )
        })
        .collect();
    assert_eq!(listed, on_disk, "manifest sealed entries vs files");
    match w {
        Some(w) => {
            let cur = w.current_segment().unwrap();
            let last = segs.last().unwrap();
            assert!(!last.sealed);
            assert_eq!(last.path, cur.path);
            assert_eq!(m.current, Some((last.segment_no, last.name.clone())));
        }
        None => assert_eq!(m.current, None),
    }
    m
}

#[test]
fn retention_by_segment_count_removes_the_oldest_first() {
    let d = TempDir::new("ret-count");
    let clock = FakeClock::new(T0);
    let w = LogWriter::open(
        d.path(),
        "r",
        LogOptions {
            max_segment_records: Some(3),
            retention: Retention {
                max_segments: Some(2),
                ..Retention::default()
            },
            ..opts(&clock)
        },
    )
    .unwrap();
    let mut frozen = Frozen::default();
    let mut sealed_total = 0u64;
    for seq in 0..40u64 {
        w.write("t", &payload(seq, 30)).unwrap();
        sealed_total += poll_all(&w).len() as u64;
        let segs = scan(d.path(), "r");
        check_order(d.path(), "r", &segs, true);
        frozen.add(&segs);
        let cur = w.current_segment().unwrap();
        assert_eq!(segs.last().unwrap().segment_no, cur.segment_no);
        let kept = sealed_total.min(2);
        assert_eq!(segs.len() as u64, kept + 1, "after seq {seq}");
        // The newest sealed ones are kept: numbers run up to the current one.
        for (k, s) in segs.iter().enumerate() {
            assert_eq!(s.segment_no, cur.segment_no - kept + k as u64);
        }
        check_manifest(d.path(), "r", Some(&w));
    }
    let last_no = w.current_segment().unwrap().segment_no;
    frozen.verify(|p| {
        let name = p.file_name().unwrap().to_str().unwrap();
        naming::parse_segment_name("r", name).unwrap() + 2 < last_no
    });
    w.close().unwrap();
    check_manifest(d.path(), "r", None);
    // After a restart the limit still holds once retention runs (tick).
    let w = LogWriter::open(
        d.path(),
        "r",
        LogOptions {
            max_segment_records: Some(3),
            retention: Retention {
                max_segments: Some(2),
                ..Retention::default()
            },
            ..opts(&clock)
        },
    )
    .unwrap();
    w.tick().unwrap();
    let segs = scan(d.path(), "r");
    check_order(d.path(), "r", &segs, true);
    let cur = w.current_segment().unwrap().segment_no;
    let nos: Vec<u64> = segs.iter().map(|s| s.segment_no).collect();
    assert_eq!(nos, vec![cur - 2, cur - 1, cur]);
    check_manifest(d.path(), "r", Some(&w));
    w.close().unwrap();
}

#[test]
fn retention_by_bytes_keeps_the_newest_that_fit_and_never_the_current() {
    let d = TempDir::new("ret-bytes");
    let clock = FakeClock::new(T0);
    const MAX: u64 = 20_000;
    let w = LogWriter::open(
        d.path(),
        "r",
        LogOptions {
            max_segment_records: Some(2),
            retention: Retention {
                max_bytes: Some(MAX),
                ..Retention::default()
            },
            ..opts(&clock)
        },
    )
    .unwrap();
    let mut rng = Rng::new(99);
    let mut sealed: Vec<SegmentInfo> = Vec::new();
    let mut frozen = Frozen::default();
    for seq in 0..60u64 {
        // Mostly small segments; now and then one bigger than MAX alone.
        let len = if seq % 17 == 16 {
            25_000
        } else {
            rng.below(4000) as usize
        };
        w.write("t", &payload(seq, len)).unwrap();
        sealed.extend(poll_all(&w));
        // Model: the longest run of newest sealed segments within MAX.
        let mut keep = Vec::new();
        let mut total = 0;
        for s in sealed.iter().rev() {
            if total + s.bytes > MAX {
                break;
            }
            total += s.bytes;
            keep.push(s.segment_no);
        }
        keep.reverse();
        let segs = scan(d.path(), "r");
        check_order(d.path(), "r", &segs, true);
        frozen.add(&segs);
        let on_disk: Vec<u64> = segs
            .iter()
            .filter(|s| s.sealed)
            .map(|s| s.segment_no)
            .collect();
        assert_eq!(on_disk, keep, "after seq {seq}");
        let disk_total: u64 = segs.iter().filter(|s| s.sealed).map(|s| s.file_len).sum();
        assert!(disk_total <= MAX);
        assert!(!segs.last().unwrap().sealed, "the current segment went");
        check_manifest(d.path(), "r", Some(&w));
    }
    // A segment bigger than MAX on its own was removed at its first chance.
    assert!(sealed.iter().any(|s| s.bytes > MAX));
    let still: Vec<u64> = scan(d.path(), "r").iter().map(|s| s.segment_no).collect();
    frozen.verify(|p| {
        let name = p.file_name().unwrap().to_str().unwrap();
        !still.contains(&naming::parse_segment_name("r", name).unwrap())
    });
    w.close().unwrap();
}

#[test]
fn retention_by_age_uses_the_injected_clock_and_spares_the_current_segment() {
    let d = TempDir::new("ret-age");
    let clock = FakeClock::new(T0);
    let w = LogWriter::open(
        d.path(),
        "r",
        LogOptions {
            retention: Retention {
                max_age: Some(Duration::from_secs(20)),
                ..Retention::default()
            },
            ..opts(&clock)
        },
    )
    .unwrap();
    let nos = || -> Vec<u64> {
        scan(d.path(), "r")
            .iter()
            .filter(|s| s.sealed)
            .map(|s| s.segment_no)
            .collect()
    };
    // Segment k is sealed at T0 + 10 s * k.
    for k in 0..6u64 {
        clock.set(T0 + k as i64 * 10 * S);
        w.write("t", &payload(k, 10)).unwrap();
        w.roll().unwrap();
        // Sealed 20 s ago exactly is not older than 20 s: kept.
        let expect: Vec<u64> = (k.saturating_sub(2)..=k).collect();
        assert_eq!(nos(), expect, "after roll {k}");
        check_manifest(d.path(), "r", Some(&w));
    }
    w.write("t", &payload(6, 10)).unwrap();
    // Idle: only tick removes by age.
    clock.set(T0 + 50 * S + 20 * S);
    w.tick().unwrap();
    assert_eq!(nos(), vec![5]);
    check_manifest(d.path(), "r", Some(&w));
    clock.add(1);
    w.tick().unwrap();
    assert_eq!(nos(), Vec::<u64>::new());
    let m = check_manifest(d.path(), "r", Some(&w));
    assert!(m.sealed.is_empty() && m.current.is_some());
    // The current segment, however old, stays and keeps its record.
    clock.add(1000 * HOUR);
    w.tick().unwrap();
    w.flush().unwrap();
    let segs = scan(d.path(), "r");
    assert_eq!(segs.len(), 1);
    assert_eq!((segs[0].first_seq, segs[0].recs.len()), (6, 1));
    assert_eq!(w.write("t", &payload(7, 10)).unwrap(), 7);
    w.close().unwrap();
}

// ---------------------------------------------------------------- manifest

#[test]
fn manifest_is_replaced_atomically_and_always_decodes() {
    let d = TempDir::new("manifest");
    let clock = FakeClock::new(T0);
    let w = LogWriter::open(
        d.path(),
        "m",
        LogOptions {
            max_segment_records: Some(2),
            retention: Retention {
                max_segments: Some(5),
                ..Retention::default()
            },
            segment: Options {
                durability: Durability::None,
                ..Options::default()
            },
            ..opts(&clock)
        },
    )
    .unwrap();
    let path = naming::manifest_path(d.path(), "m");
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = Arc::clone(&stop);
    let p2 = path.clone();
    // A reader that loads the manifest as fast as it can: a non-atomic
    // replacement would show it missing, empty or half written.
    let loader = std::thread::spawn(move || {
        let (mut ok, mut bad) = (0u64, Vec::new());
        while !s2.load(Ordering::SeqCst) {
            match Manifest::load(&p2) {
                Ok(m) if m.current.is_some() && m.log == "m" => ok += 1,
                Ok(m) => bad.push(format!("{m:?}")),
                Err(e) => bad.push(e.to_string()),
            }
        }
        (ok, bad)
    });
    for seq in 0..300u64 {
        w.write("t", &payload(seq, 8)).unwrap();
        if seq % 2 == 1 {
            // Just rolled (or about to on the next write): check it now.
            let m = check_manifest(d.path(), "m", Some(&w));
            assert!(m.sealed.len() <= 5);
        }
    }
    stop.store(true, Ordering::SeqCst);
    let (ok, bad) = loader.join().unwrap();
    assert!(
        bad.is_empty(),
        "{} bad manifest loads, e.g. {:?}",
        bad.len(),
        &bad[..bad.len().min(3)]
    );
    assert!(ok > 100, "only {ok} loads ran during the rolls");
    // The text itself: a damaged byte is caught by its CRC.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("binlog-manifest 1\nlog m\ncurrent "));
    let mut damaged = text.clone().into_bytes();
    let at = damaged.len() / 2;
    damaged[at] ^= 0x01;
    assert!(Manifest::decode(&String::from_utf8_lossy(&damaged), &path).is_err());
    w.close().unwrap();
    check_manifest(d.path(), "m", None);
    let leftovers: Vec<String> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// With the background thread, a roll leaves replacing the manifest to it:
/// a manifest that cannot be written fails no write (it is counted with
/// the callback failures, naming the file), and once it can be written the
/// thread brings it up to date; `close` writes the final one.
#[test]
fn the_background_thread_replaces_the_manifest_off_the_writers_path() {
    let d = TempDir::new("manifest-bg");
    let clock = FakeClock::new(T0);
    let w = LogWriter::open(
        d.path(),
        "m",
        LogOptions {
            max_segment_records: Some(2),
            background: true,
            ..opts(&clock)
        },
    )
    .unwrap();
    let path = naming::manifest_path(d.path(), "m");
    let up_to_date = |w: &LogWriter| {
        let cur = w.current_segment().unwrap();
        let name = cur.path.file_name().unwrap().to_string_lossy().into_owned();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match Manifest::load(&path) {
                Ok(m) if m.current == Some((cur.segment_no, name.clone())) => break,
                _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(1)),
                other => panic!("manifest not brought up to date: {other:?}"),
            }
        }
        check_manifest(d.path(), "m", Some(w));
    };
    for seq in 0..6u64 {
        w.write("t", &payload(seq, 8)).unwrap();
    }
    up_to_date(&w);
    // A directory where the manifest's temporary file goes: replacing the
    // manifest fails, and the writes that roll do not.
    let blocker = d.path().join("m.manifest.tmp");
    // The thread may still be replacing the manifest (a later roll made it
    // due again): its temporary file is there until the rename.
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Err(e) = std::fs::create_dir(&blocker) {
        assert!(
            e.kind() == std::io::ErrorKind::AlreadyExists && Instant::now() < deadline,
            "{e}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    for seq in 6..12u64 {
        assert_eq!(w.write("t", &payload(seq, 8)).unwrap(), seq);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let (failures, last) = loop {
        let (n, last) = w.callback_failures();
        if n > 0 || Instant::now() > deadline {
            break (n, last);
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    assert!(failures > 0, "the failed replacement was not counted");
    let last = last.unwrap();
    assert!(last.contains("m.manifest"), "names the manifest: {last}");
    std::fs::remove_dir(&blocker).unwrap();
    for seq in 12..14u64 {
        w.write("t", &payload(seq, 8)).unwrap();
    }
    up_to_date(&w);
    w.close().unwrap();
    check_manifest(d.path(), "m", None);
    assert_log_holds(
        d.path(),
        "m",
        0,
        &(0..14)
            .map(|s| Want {
                type_name: "t".into(),
                payload: payload(s, 8),
            })
            .collect::<Vec<_>>(),
    );
}

// ---------------------------------------------------------------- threads

#[test]
fn concurrent_durable_writers_get_unique_continuous_seqs_across_rolls() {
    let d = TempDir::new("threads");
    let clock = FakeClock::new(T0);
    let w = Arc::new(
        LogWriter::open(
            d.path(),
            "th",
            LogOptions {
                max_segment_records: Some(5),
                segment: Options {
                    durability: Durability::EveryRecord,
                    ..Options::default()
                },
                ..opts(&clock)
            },
        )
        .unwrap(),
    );
    const THREADS: u64 = 4;
    const EACH: u64 = 150;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let w = Arc::clone(&w);
            std::thread::spawn(move || {
                let (mut ok, mut failed) = (Vec::new(), Vec::new());
                for i in 0..EACH {
                    let p = [t.to_le_bytes(), i.to_le_bytes()].concat();
                    match w.write(&format!("t{t}"), &p) {
                        Ok(seq) => {
                            // EveryRecord: durable when the write returns,
                            // even if another thread rolled meanwhile.
                            let durable = w.durable_seq().unwrap();
                            assert!(
                                durable > seq,
                                "write {seq} returned with durable_seq {durable}"
                            );
                            ok.push((seq, p));
                        }
                        Err(e) => failed.push((p, e.to_string())),
                    }
                }
                (ok, failed)
            })
        })
        .collect();
    let mut ok_writes = Vec::new();
    let mut failed_writes = Vec::new();
    for (t, h) in handles.into_iter().enumerate() {
        let (ok, failed) = h.join().unwrap();
        assert!(
            ok.windows(2).all(|p| p[1].0 > p[0].0),
            "thread {t}: seqs not increasing"
        );
        ok_writes.extend(ok.into_iter().map(|(seq, p)| (seq, format!("t{t}"), p)));
        failed_writes.extend(failed);
    }
    w.close().unwrap();
    // The log: continuous, and every successful write where it was told.
    let got = read_log(d.path(), "th", 0);
    let at: HashMap<Vec<u8>, (u64, String)> = got
        .iter()
        .map(|(seq, x)| (x.payload.clone(), (*seq, x.type_name.clone())))
        .collect();
    assert_eq!(at.len(), got.len(), "a record appears twice");
    for (seq, ty, p) in &ok_writes {
        assert_eq!(at.get(p), Some(&(*seq, ty.clone())), "write told seq {seq}");
    }
    let failed_but_written = failed_writes
        .iter()
        .filter(|(p, _)| at.contains_key(p))
        .count();
    assert!(
        failed_writes.is_empty(),
        "{} of {} durable writes failed while other threads rolled the log ({failed_but_written} \
         of those records are in the log anyway), e.g. {:?}",
        failed_writes.len(),
        THREADS * EACH,
        failed_writes[0].1
    );
    assert_eq!(got.len() as u64, THREADS * EACH);
    let segs = scan(d.path(), "th");
    check_order(d.path(), "th", &segs, false);
    assert_eq!(segs.len() as u64, THREADS * EACH / 5);
    assert!(segs.iter().all(|s| s.recs.len() == 5 && s.sealed));
}

#[test]
fn callbacks_may_call_back_into_the_writer() {
    let d = TempDir::new("reenter");
    let clock = FakeClock::new(T0);
    let w = Arc::new(
        LogWriter::open(
            d.path(),
            "re",
            LogOptions {
                max_segment_records: Some(2),
                ..opts(&clock)
            },
        )
        .unwrap(),
    );
    let weak = Arc::downgrade(&w);
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen2 = Arc::clone(&seen);
    // Callbacks run outside the log's lock: asking the writer is fine.
    w.on_segment(Box::new(move |ev| {
        let w = weak.upgrade().ok_or("writer gone")?;
        let cur = w.current_segment().map_err(|e| e.to_string())?;
        let (what, no) = match ev {
            SegmentEvent::Opened(i) => ("opened", i.segment_no),
            SegmentEvent::Sealed(i) => ("sealed", i.segment_no),
            SegmentEvent::Compressed(i) => ("compressed", i.segment_no),
        };
        seen2
            .lock()
            .unwrap()
            .push(format!("{what} {no}, current {}", cur.segment_no));
        Ok(())
    }))
    .unwrap();
    let (tx, rx) = mpsc::channel();
    let w2 = Arc::clone(&w);
    std::thread::spawn(move || {
        for i in 0..5u64 {
            w2.write("t", &i.to_le_bytes()).unwrap();
        }
        let _ = tx.send(());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("writes did not finish: a callback that calls the writer deadlocked");
    assert_eq!(w.callback_failures().0, 0, "{:?}", w.callback_failures().1);
    assert_eq!(
        *seen.lock().unwrap(),
        vec![
            "sealed 0, current 1",
            "opened 1, current 1",
            "sealed 1, current 2",
            "opened 2, current 2",
        ]
    );
    w.close().unwrap();
}

#[test]
fn invalid_options_and_names_are_refused_before_anything_is_created() {
    let d = TempDir::new("invalid");
    let clock = FakeClock::new(T0);
    let cases: Vec<(&str, LogOptions)> = vec![
        (
            "ok",
            LogOptions {
                max_segment_bytes: Some(99),
                ..opts(&clock)
            },
        ),
        (
            "ok",
            LogOptions {
                max_segment_records: Some(0),
                ..opts(&clock)
            },
        ),
        (
            "ok",
            LogOptions {
                retention: Retention {
                    max_segments: Some(0),
                    ..Retention::default()
                },
                ..opts(&clock)
            },
        ),
        ("../escape", opts(&clock)),
        (".hidden", opts(&clock)),
        ("", opts(&clock)),
        ("a/b", opts(&clock)),
    ];
    for (name, o) in cases {
        let e = LogWriter::open(d.path(), name, o.clone())
            .err()
            .unwrap_or_else(|| panic!("{name:?} {o:?} was accepted"));
        assert_eq!(
            e.kind(),
            binlog::ErrorKind::InvalidArgument,
            "{name:?}: {e}"
        );
    }
    let left: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
    assert!(left.is_empty(), "files were created: {left:?}");
}

const SECOND_WRITER: &str = "BINLOG_SECOND_WRITER_DIR";

/// A clock that, once armed, stops the thread that reads it until released:
/// a writer held inside a roll, between sealing the old segment (its lock
/// released) and creating the next.
#[derive(Default)]
struct Gate {
    state: parking_lot::Mutex<(bool, bool, bool)>, // (armed, held, released)
    cv: parking_lot::Condvar,
}

impl Gate {
    fn read(&self) -> i64 {
        let mut st = self.state.lock();
        if st.0 && !st.2 {
            st.1 = true;
            self.cv.notify_all();
            while !st.2 {
                self.cv.wait(&mut st);
            }
        }
        T0
    }
}

/// A second process that opens a log while the first is rolling it must be
/// refused (`Locked`), as it is while the first writes: otherwise both
/// create a next segment (under different names, a second apart) and give
/// out the same sequence numbers, and the log no longer reads.
#[test]
fn a_second_process_cannot_open_a_log_while_its_writer_rolls() {
    if let Ok(dir) = std::env::var(SECOND_WRITER) {
        // The second process: its clock one second on, as a process started
        // a moment later sees it.
        let opts = LogOptions {
            clock: Arc::new(|| T0 + 1_000_000_000),
            ..fixed_clock_opts()
        };
        match LogWriter::open(Path::new(&dir), "x", opts) {
            Ok(w) => {
                let seq = w.write("t", b"second").unwrap();
                println!("SECOND-WRITER opened seq {seq}");
                w.close().unwrap();
            }
            Err(e) => println!("SECOND-WRITER refused {:?} {e}", e.kind()),
        }
        return;
    }
    let d = TempDir::new("two-writers");
    let gate = Arc::new(Gate::default());
    let g = Arc::clone(&gate);
    let w = Arc::new(
        LogWriter::open(
            d.path(),
            "x",
            LogOptions {
                clock: Arc::new(move || g.read()),
                ..fixed_clock_opts()
            },
        )
        .unwrap(),
    );
    for i in 0..3u64 {
        assert_eq!(w.write("t", &[i as u8]).unwrap(), i);
    }
    gate.state.lock().0 = true;
    let w2 = Arc::clone(&w);
    let roller = std::thread::spawn(move || w2.roll());
    {
        let mut st = gate.state.lock();
        while !st.1 {
            gate.cv.wait(&mut st);
        }
    }
    // The first writer is inside its roll now.
    let lines = ChildProc::spawn(
        "a_second_process_cannot_open_a_log_while_its_writer_rolls",
        &[(SECOND_WRITER, d.path().as_os_str())],
        "SECOND-WRITER ",
    )
    .wait_ok();
    {
        let mut st = gate.state.lock();
        st.2 = true;
        gate.cv.notify_all();
    }
    let rolled = roller.join().unwrap();
    let after = w.write("t", b"first");
    w.close().unwrap();
    let names: Vec<String> = segments::list(d.path(), "x")
        .unwrap()
        .iter()
        .map(|s| s.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let read = LogReader::open(d.path(), "x").and_then(|mut r| {
        let mut seqs = Vec::new();
        while let Some(rec) = r.next()? {
            seqs.push(rec.seq);
        }
        Ok(seqs)
    });
    assert!(
        lines.len() == 1 && lines[0].starts_with("refused Locked"),
        "the second process: {lines:?}; the first's roll: {rolled:?}, its next write: {after:?}; \
         segments {names:?}; reading the log: {read:?}"
    );
    rolled.unwrap();
    assert_eq!(after.unwrap(), 3);
    assert_eq!(read.unwrap(), vec![0, 1, 2, 3]);
}

/// The segment after number u64::MAX (only a crafted or renamed file has
/// it) cannot be numbered: opening the log says so, instead of numbering
/// the next segment 0, whose name would sort before every other one.
#[test]
fn no_segment_follows_segment_number_u64_max() {
    let d = TempDir::new("segno-max");
    let clock = FakeClock::new(T0);
    let last = d
        .path()
        .join(naming::segment_name("m", u64::MAX, T0 - HOUR));
    let w = binlog::Writer::open(
        &last,
        Options {
            log_name: "m".into(),
            segment_no: u64::MAX,
            ..Options::default()
        },
    )
    .unwrap();
    w.write("t", b"last").unwrap();
    w.close().unwrap();

    let e = LogWriter::open(d.path(), "m", opts(&clock))
        .err()
        .expect("opened");
    assert_eq!(e.kind(), binlog::ErrorKind::InvalidArgument, "{e}");
    assert!(
        e.message().contains("segment number 18446744073709551615"),
        "{e}"
    );
    let names: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|f| f.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".binlog"))
        .collect();
    assert_eq!(names.len(), 1, "a segment was created: {names:?}");
    let mut r = LogReader::open(d.path(), "m").unwrap();
    let rec = r.next().unwrap().expect("the record written");
    assert_eq!((rec.seq, rec.payload), (0, &b"last"[..]));
}

/// Without the background thread a roll replaces the manifest itself. If
/// that fails, the roll still happened: it returns OK, the failure is
/// counted with the callbacks', and the next roll or close writes the
/// manifest again.
#[test]
fn a_manifest_a_roll_cannot_replace_does_not_fail_the_roll() {
    let d = TempDir::new("manifest-fails");
    let clock = FakeClock::new(T0);
    let w = LogWriter::open(d.path(), "m", opts(&clock)).unwrap();
    w.write("t", b"0").unwrap();
    // The manifest is written to `<name>.manifest.tmp` and renamed: a
    // directory in that place makes the write fail.
    let tmp = d.path().join("m.manifest.tmp");
    std::fs::create_dir(&tmp).unwrap();
    w.roll()
        .expect("the roll happened; only the manifest failed");
    let (failures, last) = w.callback_failures();
    assert_eq!(failures, 1);
    assert!(
        last.as_deref().unwrap_or("").contains("manifest"),
        "{last:?}"
    );
    assert_eq!(w.write("t", b"1").unwrap(), 1);
    assert_eq!(segments::list(d.path(), "m").unwrap().len(), 2);

    std::fs::remove_dir(&tmp).unwrap();
    w.close().unwrap();
    let m = Manifest::load(&naming::manifest_path(d.path(), "m")).unwrap();
    assert_eq!(m.sealed.len(), 2, "{m:?}");
}

/// A write that rolls (here by size) reads the clock once: the segment it
/// opens is named and periodised by that reading, the one its records are
/// stamped with, even when the clock passes a period boundary during the
/// roll. Otherwise the first record of the new segment would fall before
/// its segment's period.
#[test]
fn a_roll_names_the_new_segment_by_the_reading_its_records_get() {
    let d = TempDir::new("roll-reading");
    // Each reading is 1 ms after the one before, starting 2 ms before an
    // hour boundary: a write and the roll inside it straddle the boundary.
    let boundary = (T0 / HOUR + 1) * HOUR;
    let next = Arc::new(AtomicI64::new(boundary - 5 * 1_000_000));
    let n = Arc::clone(&next);
    let w = LogWriter::open(
        d.path(),
        "r",
        LogOptions {
            clock: Arc::new(move || n.fetch_add(1_000_000, Ordering::SeqCst)),
            background: false,
            period: Period::Hour,
            max_segment_records: Some(2),
            ..LogOptions::default()
        },
    )
    .unwrap();
    for i in 0..6u64 {
        w.write("t", &i.to_le_bytes()).unwrap();
    }
    w.close().unwrap();
    let mut r = LogReader::open(d.path(), "r").unwrap();
    let mut seen = 0;
    while let Some((seq, ts)) = r.next().unwrap().map(|x| (x.seq, x.timestamp_ns)) {
        let seg = r.current_path().expect("a segment").to_path_buf();
        let name = seg.file_name().unwrap().to_str().unwrap().to_owned();
        // `r-<number>-YYYYMMDDTHHMMSSZ.binlog`: the hour in the name is
        // the record's.
        let stamp = &name[name.len() - ".binlog".len() - 16..name.len() - ".binlog".len()];
        assert_eq!(
            &stamp[..11],
            &naming::utc_stamp(ts)[..11],
            "record {} at {} in segment {name}",
            seq,
            ts
        );
        seen += 1;
    }
    assert_eq!(seen, 6);
}
