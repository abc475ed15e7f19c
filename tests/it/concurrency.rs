//! Concurrency: 8 threads write to one writer while 2 followers read it.
//!
//! Each thread writes N records (`BINLOG_CONCURRENCY_RECORDS`, default
//! 10,000; `make torture` sets 1,000,000) of mixed sizes, some larger than
//! the writer's buffer, as single writes and as small batches. Every payload
//! starts with the writing thread's id and that thread's own counter, and
//! its body is a slice of a fixed random pool chosen by both, so a reader
//! can check each record byte for byte without storing what was written.
//!
//! Checked: every record is present exactly once; each thread's records
//! appear in that thread's order (counters 0, 1, 2, ... with nothing
//! skipped); sequence numbers run 0, 1, 2, ... with no gap; and the
//! followers, reading while the writers write, never see a torn,
//! out-of-order or foreign record. Two variants: one segment `Writer`
//! followed by polling `Reader`s, and a rolling `LogWriter` with small
//! segments followed by `LogReader::next_wait`.

use crate::common;

use binlog::log::segments;
use binlog::{Entry, LogOptions, LogReader, LogWriter, Options, Reader, Tail, Writer};
use common::*;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const THREADS: usize = 8;
const FOLLOWERS: usize = 2;
/// The writers' buffer: records above it are written straight to the file.
const BUFFER: usize = 64 << 10;
const HEAD: usize = 16;
const POOL_LEN: usize = 1 << 20;

fn records_per_thread() -> u64 {
    knob("BINLOG_CONCURRENCY_RECORDS", 10_000)
}

/// The random bytes every payload body is a slice of.
fn pool() -> &'static [u8] {
    static POOL: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    POOL.get_or_init(|| payload_bytes(0xc0ffee, POOL_LEN))
}

fn mix(tid: u64, n: u64) -> u64 {
    let mut z = (tid << 48 ^ n).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Body length of thread `tid`'s record `n`: mostly small, some kilobytes,
/// one in 2,500 larger than the buffer.
fn body_len(tid: u64, n: u64) -> usize {
    let h = mix(tid, n);
    let r = (h >> 32) as u32 % 10_000;
    let x = (h & 0xffff_ffff) as usize;
    match r {
        0..=3 => BUFFER + x % (3 * BUFFER),
        4..=203 => 1024 + x % 8192,
        204..=2699 => 64 + x % 960,
        _ => x % 64,
    }
}

fn type_of(tid: u64) -> &'static str {
    ["a", "b", "тип"][(tid % 3) as usize]
}

/// Payload of thread `tid`'s record `n`.
fn payload(tid: u64, n: u64) -> Vec<u8> {
    let len = body_len(tid, n);
    let off = (mix(n, tid) as usize) % (POOL_LEN - len + 1);
    let mut p = Vec::with_capacity(HEAD + len);
    p.extend_from_slice(&(tid as u32).to_le_bytes());
    p.extend_from_slice(&(len as u32).to_le_bytes());
    p.extend_from_slice(&n.to_le_bytes());
    p.extend_from_slice(&pool()[off..off + len]);
    p
}

/// Checks one record and the per-thread order. `next` holds, per thread,
/// the counter its next record must carry.
fn check(seq: u64, type_name: &str, p: &[u8], next: &mut [u64], who: &str) {
    assert!(
        p.len() >= HEAD,
        "{who}: seq {seq}: payload of {} bytes",
        p.len()
    );
    let tid = u32::from_le_bytes(p[0..4].try_into().unwrap()) as u64;
    let len = u32::from_le_bytes(p[4..8].try_into().unwrap()) as usize;
    let n = u64::from_le_bytes(p[8..16].try_into().unwrap());
    assert!(
        (tid as usize) < THREADS,
        "{who}: seq {seq}: foreign thread id {tid}"
    );
    assert_eq!(
        n, next[tid as usize],
        "{who}: seq {seq}: thread {tid}'s record {n} out of order (expected {})",
        next[tid as usize]
    );
    assert_eq!(
        len,
        body_len(tid, n),
        "{who}: seq {seq}: thread {tid} record {n}: length field"
    );
    assert_eq!(
        p.len(),
        HEAD + len,
        "{who}: seq {seq}: thread {tid} record {n}: torn payload"
    );
    let off = (mix(n, tid) as usize) % (POOL_LEN - len + 1);
    assert!(
        p[HEAD..] == pool()[off..off + len],
        "{who}: seq {seq}: thread {tid} record {n}: payload bytes differ"
    );
    assert_eq!(
        type_name,
        type_of(tid),
        "{who}: seq {seq}: thread {tid} record {n}: type"
    );
    next[tid as usize] += 1;
}

/// What a writer thread writes to: a segment or a rolling log.
trait Sink: Send + Sync {
    fn write_batch(&self, entries: &[Entry<'_>]) -> u64;
}

impl Sink for Writer {
    fn write_batch(&self, entries: &[Entry<'_>]) -> u64 {
        Writer::write_batch(self, entries).expect("write")
    }
}

impl Sink for LogWriter {
    fn write_batch(&self, entries: &[Entry<'_>]) -> u64 {
        LogWriter::write_batch(self, entries).expect("write")
    }
}

/// Thread `tid` writes its `n` records: mostly one per call, every so often
/// a batch of up to 8. Checks that the sequence numbers it gets back rise.
fn write_thread(sink: &dyn Sink, tid: u64, n: u64) {
    let mut k = 0u64;
    let mut last: Option<u64> = None;
    while k < n {
        let h = mix(tid ^ 0x55, k);
        let count = if h % 10 == 0 { 1 + (h >> 8) % 8 } else { 1 }.min(n - k);
        let ps: Vec<Vec<u8>> = (k..k + count).map(|i| payload(tid, i)).collect();
        let parts: Vec<[&[u8]; 1]> = ps.iter().map(|p| [&p[..]]).collect();
        let entries: Vec<Entry<'_>> = parts
            .iter()
            .map(|p| Entry {
                type_name: type_of(tid),
                meta: &[],
                timestamp_ns: None,
                parts: p,
            })
            .collect();
        let first = sink.write_batch(&entries);
        if let Some(l) = last {
            assert!(first > l, "thread {tid}: write got seq {first} after {l}");
        }
        last = Some(first + count - 1);
        k += count;
    }
}

/// Runs the writer threads; returns when all are done.
fn run_writers(sink: Arc<dyn Sink>, n: u64) {
    let start = Arc::new(Barrier::new(THREADS));
    let hs: Vec<_> = (0..THREADS as u64)
        .map(|tid| {
            let sink = Arc::clone(&sink);
            let start = Arc::clone(&start);
            std::thread::Builder::new()
                .name(format!("writer-{tid}"))
                .spawn(move || {
                    start.wait();
                    write_thread(&*sink, tid, n);
                })
                .unwrap()
        })
        .collect();
    for h in hs {
        h.join().expect("a writer thread failed");
    }
}

/// A follower's result: records seen.
type Seen = u64;

/// Follows one segment with a polling `Reader` until the writer is done and
/// the segment sealed.
fn follow_segment(path: &Path, done: &AtomicBool, total: u64, who: &str) -> Seen {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut r = loop {
        match Reader::open(path) {
            Ok(r) => break r,
            Err(e) => {
                assert!(Instant::now() < deadline, "{who}: open: {e}");
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    };
    let mut next = [0u64; THREADS];
    let mut seq = 0u64;
    let mut idle = Duration::from_micros(50);
    let mut closed_at: Option<Instant> = None;
    loop {
        match r.next() {
            Ok(Some(rec)) => {
                assert_eq!(rec.seq, seq, "{who}: out-of-order record");
                check(rec.seq, rec.type_name, rec.payload, &mut next, who);
                seq += 1;
                idle = Duration::from_micros(50);
            }
            Ok(None) => {
                if r.tail() == Tail::Sealed {
                    break;
                }
                assert!(
                    // SealDamaged: the seal was met half written; the same
                    // reader sees it whole once the writer finishes it.
                    matches!(
                        r.tail(),
                        Tail::Unsealed
                            | Tail::Torn { .. }
                            | Tail::Reading
                            | Tail::SealDamaged { .. }
                    ),
                    "{who}: at seq {seq}: tail {:?}",
                    r.tail()
                );
                // The writer closed (sealed) the segment: the seal must
                // show up promptly.
                if done.load(Ordering::Acquire) {
                    let t = *closed_at.get_or_insert_with(Instant::now);
                    assert!(
                        t.elapsed() < Duration::from_secs(30),
                        "{who}: at seq {seq}, 30 s after close: tail {:?}",
                        r.tail()
                    );
                }
                std::thread::sleep(idle);
                idle = (idle * 2).min(Duration::from_millis(2));
            }
            Err(e) => panic!("{who}: at seq {seq}: {e}"),
        }
    }
    assert_eq!(seq, total, "{who}: records seen");
    assert!(
        next.iter().all(|&c| c * THREADS as u64 == total),
        "{who}: {next:?}"
    );
    seq
}

/// Follows a rolling log with `next_wait` until every record is seen.
fn follow_log(dir: &Path, name: &str, total: u64, who: &str) -> Seen {
    let mut r = LogReader::open(dir, name).unwrap_or_else(|e| panic!("{who}: open: {e}"));
    let mut next = [0u64; THREADS];
    let mut seq = 0u64;
    while seq < total {
        match r.next_wait(Duration::from_secs(30)) {
            Ok(Some(rec)) => {
                assert_eq!(
                    rec.seq,
                    seq,
                    "{who}: out-of-order record (gaps {:?})",
                    r.gaps()
                );
                check(rec.seq, rec.type_name, rec.payload, &mut next, who);
                seq += 1;
            }
            Ok(None) => panic!("{who}: waited 30 s at seq {seq}"),
            Err(e) => panic!("{who}: at seq {seq}: {e}"),
        }
    }
    assert!(r.gaps().is_empty(), "{who}: gaps {:?}", r.gaps());
    seq
}

/// Reads the finished segment or log once more, start to end.
fn verify_all(mut next_rec: impl FnMut() -> Option<(u64, String, Vec<u8>)>, total: u64) {
    let mut next = [0u64; THREADS];
    let mut seq = 0u64;
    while let Some((s, ty, p)) = next_rec() {
        assert_eq!(s, seq, "final read: out-of-order record");
        check(s, &ty, &p, &mut next, "final read");
        seq += 1;
    }
    assert_eq!(seq, total, "final read: record count");
    for (tid, &c) in next.iter().enumerate() {
        assert_eq!(c * THREADS as u64, total, "final read: thread {tid}");
    }
}

#[test]
fn eight_threads_write_one_segment_while_two_followers_poll() {
    let n = records_per_thread();
    let total = n * THREADS as u64;
    let dir = TempDir::new("conc-seg");
    let path = dir.join("seg.binlog");
    let w = Arc::new(
        Writer::open(
            &path,
            Options {
                buffer_size: BUFFER,
                ..Options::default()
            },
        )
        .unwrap(),
    );
    let started = Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    let followers: Vec<_> = (0..FOLLOWERS)
        .map(|i| {
            let path = path.clone();
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                follow_segment(&path, &done, total, &format!("follower {i}"))
            })
        })
        .collect();
    run_writers(Arc::clone(&w) as Arc<dyn Sink>, n);
    assert_eq!(w.next_seq(), total);
    w.close().unwrap();
    done.store(true, Ordering::Release);
    for f in followers {
        assert_eq!(f.join().expect("a follower failed"), total);
    }
    let mut r = Reader::open(&path).unwrap();
    assert!(r.seal().is_some(), "segment not sealed");
    verify_all(
        || {
            r.next()
                .unwrap()
                .map(|rec| (rec.seq, rec.type_name.to_string(), rec.payload.to_vec()))
        },
        total,
    );
    assert_eq!(r.tail(), Tail::Sealed);
    eprintln!(
        "{THREADS} threads x {n} records ({} MiB), {FOLLOWERS} followers: {:?}",
        std::fs::metadata(&path).unwrap().len() >> 20,
        started.elapsed()
    );
}

#[test]
fn eight_threads_write_a_rolling_log_while_two_followers_wait() {
    let n = records_per_thread();
    let total = n * THREADS as u64;
    let dir = TempDir::new("conc-log");
    // Small segments: hundreds of rolls in a default run.
    let seg_bytes: u64 = if n <= 100_000 { 256 << 10 } else { 4 << 20 };
    let w = Arc::new(
        LogWriter::open(
            dir.path(),
            "c",
            LogOptions {
                max_segment_bytes: Some(seg_bytes),
                segment: Options {
                    buffer_size: BUFFER,
                    ..Options::default()
                },
                ..LogOptions::default()
            },
        )
        .unwrap(),
    );
    let started = Instant::now();
    let followers: Vec<_> = (0..FOLLOWERS)
        .map(|i| {
            let dir = dir.path().to_path_buf();
            std::thread::spawn(move || follow_log(&dir, "c", total, &format!("follower {i}")))
        })
        .collect();
    run_writers(Arc::clone(&w) as Arc<dyn Sink>, n);
    assert_eq!(w.next_seq().unwrap(), total);
    w.close().unwrap();
    for f in followers {
        assert_eq!(f.join().expect("a follower failed"), total);
    }
    let files = segments::list(dir.path(), "c").unwrap();
    for f in &files {
        assert!(
            Reader::open(&f.path).unwrap().seal().is_some(),
            "{} not sealed",
            f.path.display()
        );
    }
    let mut r = LogReader::open(dir.path(), "c").unwrap();
    verify_all(
        || {
            r.next()
                .unwrap()
                .map(|rec| (rec.seq, rec.type_name.to_string(), rec.payload.to_vec()))
        },
        total,
    );
    assert!(r.gaps().is_empty(), "gaps {:?}", r.gaps());
    eprintln!(
        "{THREADS} threads x {n} records over {} segments, {FOLLOWERS} followers: {:?}",
        files.len(),
        started.elapsed()
    );
    assert!(files.len() > 10, "only {} segments", files.len());
}

/// A `Reader` that reached a seal while the writer was still writing it
/// must report the segment sealed once the seal is complete, not
/// `Tail::SealDamaged` for good (the polling-follower test above met it).
#[test]
fn reader_that_saw_a_seal_half_written_sees_it_sealed_once_complete() {
    let dir = TempDir::new("conc-seal");
    let whole = dir.join("whole.binlog");
    let live = dir.join("live.binlog");
    make_sealed(&whole, 10, Options::default());
    let bytes = read_bytes(&whole);
    let records_end = Reader::open(&whole).unwrap().seal().unwrap().records_end as usize;
    // The crash-free moment a follower can see: records plus part of the seal.
    write_bytes(&live, &bytes[..records_end + 20]);
    let mut r = Reader::open(&live).unwrap();
    let out = drain(&mut r);
    assert_eq!(out.recs.len(), 10);
    assert_eq!(
        r.tail(),
        Tail::SealDamaged {
            offset: records_end as u64
        }
    );
    // The writer finishes the seal.
    write_bytes(&live, &bytes);
    assert_eq!(Reader::open(&live).unwrap().tail(), Tail::Reading);
    assert!(
        Reader::open(&live).unwrap().seal().is_some(),
        "fresh reader"
    );
    assert!(r.next().unwrap().is_none());
    assert_eq!(r.tail(), Tail::Sealed, "the reader that saw the seal begin");
}

/// Group commit under CPU contention (two busy loops beside 8 durable
/// writers on this machine's CPUs), which makes yields slow, so leaders
/// switch to parking in `gather` (woken by `wake_gatherer`): every write
/// returns with its record durable (`durable_seq` past it), none hangs,
/// and all records are in the file.
#[test]
fn group_commit_under_cpu_contention_loses_no_wakeup_and_returns_durable() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    let d = TempDir::new("gc-contention");
    let path = d.path().join("gc.binlog");
    let w = Arc::new(
        Writer::open(
            &path,
            Options {
                durability: binlog::Durability::EveryRecord,
                ..Options::default()
            },
        )
        .unwrap(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let hogs: Vec<_> = (0..2)
        .map(|_| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut x = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            })
        })
        .collect();
    let worst = Arc::new(AtomicU64::new(0));
    let per = 300u64;
    let writers: Vec<_> = (0..8)
        .map(|_| {
            let (w, worst) = (Arc::clone(&w), Arc::clone(&worst));
            std::thread::spawn(move || {
                for i in 0..per {
                    let t = Instant::now();
                    let seq = w.write("t", &i.to_le_bytes()).unwrap();
                    let took = t.elapsed().as_micros() as u64;
                    worst.fetch_max(took, Ordering::Relaxed);
                    assert!(
                        w.durable_seq() > seq,
                        "write {seq} returned before it was durable ({})",
                        w.durable_seq()
                    );
                }
            })
        })
        .collect();
    // The bounds catch a hang only: a lost wakeup costs at most
    // GATHER_MAX, and a busy disk's syncs take what they take.
    let deadline = Instant::now() + Duration::from_secs(300);
    for t in writers {
        t.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for h in hogs {
        h.join().unwrap();
    }
    assert!(
        Instant::now() < deadline,
        "durable writes took over five minutes"
    );
    let worst = worst.load(Ordering::Relaxed);
    eprintln!("worst durable write: {worst} us");
    assert!(worst < 60_000_000, "a durable write waited {worst} us");
    w.close().unwrap();
    let mut r = binlog::Reader::open(&path).unwrap();
    let mut n = 0u64;
    while let Some(rec) = r.next().unwrap() {
        assert_eq!(rec.seq, n);
        n += 1;
    }
    assert_eq!(n, 8 * per);
}
