//! Review 17b: a log reader that goes back to the segment it left (a roll
//! that failed after creating the next segment's file), seen through the
//! C ABI's `binlog_reader_tail`, and the Rust reader's own state. The
//! failed roll is simulated on real files with the segment writer: segment
//! 0 sealed, segment 1 created (header only), then segment 1 removed and
//! segment 0 reopened (which unseals it), as `roll_sealing_first` does when
//! opening the next segment fails. Last, a group-commit stress under CPU
//! contention (src/writer/mod.rs, not changed here).

mod common;
use binlog::ffi::reader::{binlog_reader, binlog_reader_free, binlog_reader_tail};
use binlog::ffi::result::binlog_result::BINLOG_OK;
use binlog::ffi::types::{binlog_tail, binlog_tail_kind};
use binlog::log::{naming, LogReader};
use binlog::{Options, Tail, Writer};
use common::ffi::{header, next, open_log};
use common::TempDir;
use std::path::{Path, PathBuf};

const T0: i64 = 1_795_239_462_500_000_000;

fn tail(r: *mut binlog_reader) -> binlog_tail_kind {
    let mut t = binlog_tail {
        kind: binlog_tail_kind::BINLOG_TAIL_READING,
        offset: 0,
        len: 0,
    };
    assert_eq!(binlog_reader_tail(r, &mut t), BINLOG_OK);
    t.kind
}

fn seg_opts(no: u64, first: u64) -> Options {
    Options {
        log_name: "x".into(),
        segment_no: no,
        first_seq: first,
        created_ns: Some(T0),
        ..Options::default()
    }
}

fn seg_path(dir: &Path, no: u64) -> PathBuf {
    dir.join(naming::segment_name("x", no, T0))
}

/// Segment 0 with records 0..3, sealed; segment 1 (first 3) created, left
/// open and unsealed (the writer is leaked, as a crashed or still-running
/// roll would leave it). Returns segment 0's path.
fn sealed_then_half_made(dir: &Path) -> PathBuf {
    let p0 = seg_path(dir, 0);
    let w0 = Writer::open(&p0, seg_opts(0, 0)).unwrap();
    for i in 0..3u64 {
        assert_eq!(w0.write("t", &i.to_le_bytes()).unwrap(), i);
    }
    w0.close().unwrap();
    let w1 = Writer::open(seg_path(dir, 1), seg_opts(1, 3)).unwrap();
    w1.flush().unwrap();
    std::mem::forget(w1);
    p0
}

/// The roll "fails": segment 1's file goes, segment 0 is reopened
/// (unsealed) and the log goes on there.
fn roll_fails(dir: &Path, p0: &Path) -> Writer {
    std::fs::remove_file(seg_path(dir, 1)).unwrap();
    let w0 = Writer::open(p0, seg_opts(0, 0)).unwrap();
    assert_eq!(w0.next_seq(), 3);
    w0
}

/// At END, `binlog_reader_tail` describes the header's segment. After the
/// reader went back to segment 0 (reopened, unsealed) and read record 3
/// there, the header is segment 0's and the tail UNSEALED, then SEALED
/// once its writer closes it. (Passes on the old code too: coverage.)
#[test]
fn c_header_and_tail_follow_the_reader_back_into_the_reopened_segment() {
    let d = TempDir::new("r17b-ctail");
    let p0 = sealed_then_half_made(d.path());
    let r = open_log(d.path(), "x");
    assert_eq!((next(r), next(r), next(r)), (Some(0), Some(1), Some(2)));
    assert_eq!(next(r), None);
    assert_eq!(header(r), Ok((0, 0)));
    assert_eq!(tail(r), binlog_tail_kind::BINLOG_TAIL_SEALED);
    let w0 = roll_fails(d.path(), &p0);
    assert_eq!(next(r), None);
    w0.write("t", b"3").unwrap();
    w0.flush().unwrap();
    assert_eq!(next(r), Some(3));
    assert_eq!(header(r), Ok((0, 0)));
    assert_eq!(next(r), None);
    assert_eq!(tail(r), binlog_tail_kind::BINLOG_TAIL_UNSEALED);
    w0.close().unwrap();
    assert_eq!(next(r), None);
    assert_eq!(tail(r), binlog_tail_kind::BINLOG_TAIL_SEALED);
    binlog_reader_free(r);
}

/// The Rust reader after the same sequence: every record once, no gap.
#[test]
fn rust_reader_goes_back_and_reports_nothing_false() {
    let d = TempDir::new("r17b-rust");
    let p0 = sealed_then_half_made(d.path());
    let mut r = LogReader::open(d.path(), "x").unwrap();
    assert_eq!(read_on(&mut r), vec![0, 1, 2]);
    let w0 = roll_fails(d.path(), &p0);
    assert!(r.next().unwrap().is_none());
    w0.write("t", b"3").unwrap();
    w0.flush().unwrap();
    assert_eq!(r.next().unwrap().map(|x| x.seq), Some(3));
    assert!(r.next().unwrap().is_none());
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
    assert!(r.damages().is_empty());
    w0.close().unwrap();
}

/// The record appended after the failed roll makes segment 0 exactly as
/// long as it was sealed (seal cut, record added): the reader, which
/// looked for a change of length only, never went back for it while the
/// writer added nothing more (a follower waited for good). Failed on the
/// old code: `next` returned None, `next_wait` timed out.
#[test]
fn a_reader_goes_back_when_the_reopened_segment_regains_its_sealed_length() {
    let d = TempDir::new("r17b-samelen");
    let p0 = sealed_then_half_made(d.path());
    let sealed_len = std::fs::metadata(&p0).unwrap().len();
    let mut r = LogReader::open(d.path(), "x").unwrap();
    assert_eq!(read_on(&mut r), vec![0, 1, 2]);
    let w0 = roll_fails(d.path(), &p0);
    let cut = std::fs::metadata(&p0).unwrap().len();
    // One record that takes exactly the room the seal took (a record's
    // frame is 26 bytes plus its payload here; checked below).
    let payload = vec![7u8; (sealed_len - cut - 26) as usize];
    assert_eq!(w0.write("t", &payload).unwrap(), 3);
    w0.flush().unwrap();
    assert_eq!(
        std::fs::metadata(&p0).unwrap().len(),
        sealed_len,
        "test setup: segment 0 should be as long as when sealed"
    );
    let rec = r.next_wait(std::time::Duration::from_millis(300)).unwrap();
    assert_eq!(
        rec.map(|x| x.seq),
        Some(3),
        "record 3, in segment 0, never reached the reader"
    );
    assert!(r.next().unwrap().is_none());
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
    w0.close().unwrap();
    assert!(r.next().unwrap().is_none());
    assert_eq!(r.tail(), Tail::Sealed);
}

/// The reader did not look at the directory between the failed roll and
/// record 3, so its list still named segment 1 (removed) when it went
/// back to segment 0: taken as a later segment, it made the reader leave
/// segment 0 again after record 3 and stand in no segment (Rust `tail`
/// READING; the C tail kept UNSEALED after the writer sealed segment 0).
/// Failed on the old code (the first `tail` assertion, and in the C
/// variant the SEALED one).
#[test]
fn a_reader_back_in_the_reopened_segment_stays_there_at_its_end() {
    let d = TempDir::new("r17b-stale");
    let p0 = sealed_then_half_made(d.path());
    let mut r = LogReader::open(d.path(), "x").unwrap();
    while r.next().unwrap().is_some() {}
    let w0 = roll_fails(d.path(), &p0);
    w0.write("t", b"3").unwrap();
    w0.flush().unwrap();
    assert_eq!(r.next().unwrap().map(|x| x.seq), Some(3));
    let opens = r.segment_opens();
    assert!(r.next().unwrap().is_none());
    assert_eq!(r.tail(), Tail::Unsealed);
    assert_eq!(r.current_path(), Some(p0.as_path()));
    assert_eq!(r.segment_opens(), opens, "left segment 0 and came back");
    w0.close().unwrap();
    assert!(r.next().unwrap().is_none());
    assert_eq!(r.tail(), Tail::Sealed);
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
}

#[test]
fn c_tail_is_sealed_once_the_reopened_segment_is_sealed_again() {
    let d = TempDir::new("r17b-stale-c");
    let p0 = sealed_then_half_made(d.path());
    let r = open_log(d.path(), "x");
    while next(r).is_some() {}
    let w0 = roll_fails(d.path(), &p0);
    w0.write("t", b"3").unwrap();
    w0.flush().unwrap();
    assert_eq!(next(r), Some(3));
    assert_eq!(next(r), None);
    assert_eq!(tail(r), binlog_tail_kind::BINLOG_TAIL_UNSEALED);
    w0.close().unwrap();
    assert_eq!(next(r), None);
    assert_eq!(header(r), Ok((0, 0)));
    assert_eq!(tail(r), binlog_tail_kind::BINLOG_TAIL_SEALED);
    binlog_reader_free(r);
}

/// Group commit under CPU contention (two busy loops beside 8 durable
/// writers on this machine's CPUs), which makes yields slow, so leaders
/// switch to parking in `gather` (woken by `wake_gatherer`): every write
/// returns with its record durable (`durable_seq` past it), none waits
/// anywhere near a lost wakeup's length, and all records are in the file.
#[test]
fn group_commit_under_cpu_contention_loses_no_wakeup_and_returns_durable() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    let d = TempDir::new("r17b-gc");
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
    let deadline = Instant::now() + Duration::from_secs(60);
    for t in writers {
        t.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for h in hogs {
        h.join().unwrap();
    }
    assert!(
        Instant::now() < deadline,
        "durable writes took over a minute"
    );
    let worst = worst.load(Ordering::Relaxed);
    eprintln!("worst durable write: {worst} us");
    assert!(worst < 5_000_000, "a durable write waited {worst} us");
    w.close().unwrap();
    let mut r = binlog::Reader::open(&path).unwrap();
    let mut n = 0u64;
    while let Some(rec) = r.next().unwrap() {
        assert_eq!(rec.seq, n);
        n += 1;
    }
    assert_eq!(n, 8 * per);
}

/// The sequence numbers `r.next()` returns until it has none.
fn read_on(r: &mut LogReader) -> Vec<u64> {
    let mut got = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        got.push(rec.seq);
    }
    got
}
