//! Sealing a rolled segment off the writer's path (`seal_in_background`):
//! a roll ends the old segment's records with a `SEAL_BEGIN` frame
//! and leaves the rest of the seal to that thread. Readers must read such a
//! segment to its end without reporting a gap, an explicit `roll` and
//! `close` must still leave every segment sealed, callbacks on that thread
//! may call back into the log, and a crash between the two halves must
//! leave a log that opens and reads whole.

use crate::common;
use binlog::log::naming;
use binlog::{LogOptions, LogReader, LogWriter, SegmentEvent};
use binlog::{Reader, Tail};
use common::child::ChildProc;
use common::{event_key, segment_paths, TempDir};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// A log rolling every `records` records; `background`: with the background
/// thread, which then seals the segments rolled away from.
fn rolling(records: u64, background: bool) -> LogOptions {
    LogOptions {
        max_segment_records: Some(records),
        background,
        seal_in_background: background,
        ..LogOptions::default()
    }
}

/// Every record of the log in order, and the gaps the reader reported.
fn read_all(dir: &Path, name: &str) -> (Vec<(u64, Vec<u8>)>, usize) {
    let mut r = LogReader::open(dir, name).unwrap();
    let mut out = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        out.push((rec.seq, rec.payload.to_vec()));
    }
    (out, r.gaps().len())
}

/// A size roll's seal is written on the background thread, which reports
/// the events in order: a segment sealed, then the one rolled to opened.
#[test]
fn size_rolls_are_sealed_on_the_background_thread() {
    let d = TempDir::new("bg-seal");
    let w = LogWriter::open(d.path(), "s", rolling(5, true)).unwrap();
    let (tx, rx) = mpsc::channel::<(String, SegmentEvent)>();
    let tx = Mutex::new(tx);
    w.on_segment(Box::new(move |ev| {
        let thread = std::thread::current().name().unwrap_or("").to_string();
        let _ = tx.lock().unwrap().send((thread, ev.clone()));
        Ok(())
    }))
    .unwrap();
    let writer_thread = std::thread::current().name().unwrap_or("").to_string();
    for i in 0..12u64 {
        w.write("t", &i.to_le_bytes()).unwrap();
    }
    let mut seen = Vec::new();
    while seen.len() < 4 {
        let (thread, ev) = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("two rolls reported (the bound catches a hang only)");
        assert_ne!(thread, writer_thread, "{ev:?}");
        assert_eq!(thread, "binlog-roller", "{ev:?}");
        if let SegmentEvent::Sealed(info) = &ev {
            let r = Reader::open(&info.path).unwrap();
            assert!(r.seal().is_some(), "reported sealed: {info:?}");
        }
        seen.push(event_key(&ev));
    }
    assert_eq!(
        seen,
        vec![
            ('S', 0, 0, 5),
            ('O', 1, 5, 0),
            ('S', 1, 5, 5),
            ('O', 2, 10, 0)
        ]
    );
    w.close().unwrap();
    let (records, gaps) = read_all(d.path(), "s");
    assert_eq!(records.len(), 12);
    assert_eq!(gaps, 0);
    for p in segment_paths(d.path(), "s") {
        assert!(
            Reader::open(&p).unwrap().seal().is_some(),
            "{}",
            p.display()
        );
    }
}

/// An explicit `roll` returns with the old segment sealed, even when the
/// background thread would otherwise seal it; `close` seals the rest (and
/// removes the last segment, which holds no record).
#[test]
fn explicit_roll_and_close_leave_every_segment_sealed() {
    for background in [true, false] {
        let d = TempDir::new("roll-sealed");
        let w = LogWriter::open(d.path(), "e", rolling(1000, background)).unwrap();
        for round in 0..5u64 {
            w.write("t", &round.to_le_bytes()).unwrap();
            let before = w.current_segment().unwrap().path;
            w.roll().unwrap();
            let r = Reader::open(&before).unwrap();
            assert!(r.seal().is_some(), "background {background}: not sealed");
            assert_eq!(r.seal().unwrap().record_count, 1);
            let polled = w.poll_sealed().expect("reported at once");
            assert_eq!(polled.path, before);
        }
        w.close().unwrap();
        assert_eq!(segment_paths(d.path(), "e").len(), 5);
        let (records, gaps) = read_all(d.path(), "e");
        assert_eq!(records.len(), 5);
        assert_eq!(gaps, 0);
    }
}

/// A callback on the background thread may roll and close the log: the
/// sealing thread does not hold its order lock while calling back, and
/// `close` does not wait for the thread it runs on.
#[test]
fn callbacks_on_the_background_thread_may_roll_and_close_the_log() {
    let d = TempDir::new("bg-reenter");
    let w = Arc::new(LogWriter::open(d.path(), "c", rolling(3, true)).unwrap());
    let weak = Arc::downgrade(&w);
    let (tx, rx) = mpsc::channel::<std::result::Result<(), String>>();
    let tx = Mutex::new(tx);
    w.on_segment(Box::new(move |ev| {
        let SegmentEvent::Sealed(info) = ev else {
            return Ok(());
        };
        let w = weak.upgrade().ok_or("writer gone")?;
        let outcome = match info.segment_no {
            0 => w.roll().map_err(|e| e.to_string()),
            1 => w.close().map_err(|e| e.to_string()),
            _ => Ok(()),
        };
        let _ = tx.lock().unwrap().send(outcome);
        Ok(())
    }))
    .unwrap();
    for i in 0..4u64 {
        w.write("t", &i.to_le_bytes()).unwrap();
    }
    for step in ["roll", "close"] {
        let outcome = rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("the callback's {step} deadlocked"));
        assert_eq!(outcome, Ok(()), "{step}");
    }
    assert!(w.is_closed());
    assert_eq!(w.callback_failures().0, 0, "{:?}", w.callback_failures().1);
    let (records, gaps) = read_all(d.path(), "c");
    assert_eq!(records.len(), 4);
    assert_eq!(gaps, 0);
}

/// What a crash between a roll and its background seal leaves: an older
/// segment whose records end in a `SEAL_BEGIN` frame and nothing after it.
/// A log reader reads it to its end and on into the next segment without a
/// gap; opening the log for writing seals it.
#[test]
fn a_segment_left_with_only_seal_begin_reads_whole_and_is_sealed_on_open() {
    let d = TempDir::new("seal-begin-only");
    let w = LogWriter::open(d.path(), "b", rolling(4, false)).unwrap();
    for i in 0..10u64 {
        w.write("t", &i.to_le_bytes()).unwrap();
    }
    w.close().unwrap();
    let paths = segment_paths(d.path(), "b");
    assert_eq!(paths.len(), 3);
    // Cut the first two back to their records and the SEAL_BEGIN frame.
    for p in &paths[..2] {
        let end = Reader::open(p).unwrap().seal().unwrap().records_end;
        let f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
        f.set_len(end + 17).unwrap();
        let mut r = Reader::open(p).unwrap();
        assert!(r.seal().is_none());
        let mut n = 0;
        while r.next().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, 4);
        assert_eq!(r.tail(), Tail::SealDamaged { offset: end });
    }
    let (records, gaps) = read_all(d.path(), "b");
    let seqs: Vec<u64> = records.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, (0..10).collect::<Vec<_>>());
    assert_eq!(gaps, 0);

    let w = LogWriter::open(d.path(), "b", rolling(4, false)).unwrap();
    let resealed: Vec<u64> = std::iter::from_fn(|| w.poll_sealed())
        .map(|i| i.segment_no)
        .collect();
    assert_eq!(resealed, vec![0, 1]);
    assert_eq!(w.write("t", b"next").unwrap(), 10);
    w.close().unwrap();
    for p in &paths[..2] {
        let r = Reader::open(p).unwrap();
        assert_eq!(r.seal().map(|s| s.record_count), Some(4), "{}", p.display());
    }
    let (records, gaps) = read_all(d.path(), "b");
    assert_eq!(records.len(), 11);
    assert_eq!(gaps, 0);
}

/// A roll that cannot create the next segment (a directory has its name)
/// fails the write that rolls, naming the file; the log goes on in the old
/// segment, never reported sealed, and rolls once the name is free, losing
/// nothing. Both ways of sealing: first (default) and in the background.
#[test]
fn a_roll_that_cannot_create_the_next_segment_keeps_the_old_one_open() {
    const T: i64 = 1_795_000_000_000_000_000;
    for background in [false, true] {
        let d = TempDir::new("roll-blocked");
        let opts = LogOptions {
            clock: Arc::new(|| T),
            ..rolling(3, background)
        };
        let w = LogWriter::open(d.path(), "x", opts).unwrap();
        let blocker = d.path().join(naming::segment_name("x", 1, T));
        std::fs::create_dir(&blocker).unwrap();
        for i in 0..3u64 {
            assert_eq!(w.write("t", &i.to_le_bytes()).unwrap(), i);
        }
        let e = w.write("t", b"3").unwrap_err();
        let name = blocker.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            e.to_string().contains(&name),
            "background {background}: {e}"
        );
        let cur = w.current_segment().unwrap();
        assert_eq!((cur.segment_no, cur.record_count), (0, 3));
        assert_eq!(w.next_seq().unwrap(), 3);
        assert_eq!(w.poll_sealed(), None, "background {background}");
        // Still writable, and readable meanwhile: nothing lost or sealed.
        let mut r = Reader::open(&cur.path).unwrap();
        assert!(r.seal().is_none());
        std::fs::remove_dir(&blocker).unwrap();
        assert_eq!(w.write("t", b"3").unwrap(), 3);
        assert_eq!(w.current_segment().unwrap().segment_no, 1);
        w.close().unwrap();
        let polled: Vec<(u64, u64)> = std::iter::from_fn(|| w.poll_sealed())
            .map(|i| (i.segment_no, i.record_count))
            .collect();
        assert_eq!(polled, vec![(0, 3), (1, 1)], "background {background}");
        r = Reader::open(&cur.path).unwrap();
        assert_eq!(r.seal().map(|s| s.record_count), Some(3));
        let (records, gaps) = read_all(d.path(), "x");
        let seqs: Vec<u64> = records.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, vec![0, 1, 2, 3], "background {background}");
        assert_eq!(gaps, 0);
        assert_eq!(w.callback_failures().0, 0);
    }
}

/// A callback run by an explicit `roll` may roll again, or close the log
/// while the background thread waits to seal: `roll` lets go of its
/// sealing-order lock before it calls back.
#[test]
fn callbacks_of_an_explicit_roll_may_roll_and_close_the_log() {
    for background in [false, true] {
        for then_close in [false, true] {
            let d = TempDir::new("roll-reenter");
            let w = Arc::new(LogWriter::open(d.path(), "p", rolling(1000, background)).unwrap());
            let weak = Arc::downgrade(&w);
            w.on_segment(Box::new(move |ev| {
                let SegmentEvent::Sealed(info) = ev else {
                    return Ok(());
                };
                let w = weak.upgrade().ok_or("writer gone")?;
                match info.segment_no {
                    0 => w.roll().map_err(|e| e.to_string()),
                    1 if then_close => w.close().map_err(|e| e.to_string()),
                    _ => Ok(()),
                }
            }))
            .unwrap();
            w.write("t", b"x").unwrap();
            let (tx, rx) = mpsc::channel();
            let w2 = Arc::clone(&w);
            std::thread::spawn(move || {
                let _ = tx.send(w2.roll().map_err(|e| e.to_string()));
            });
            let ctx = format!("background {background}, close {then_close}");
            let r = rx
                .recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|_| panic!("{ctx}: the explicit roll deadlocked"));
            assert_eq!(r, Ok(()), "{ctx}");
            assert_eq!(
                w.callback_failures().0,
                0,
                "{ctx}: {:?}",
                w.callback_failures().1
            );
            assert_eq!(w.is_closed(), then_close, "{ctx}");
            w.close().unwrap();
            let (records, gaps) = read_all(d.path(), "p");
            assert_eq!((records.len(), gaps), (1, 0), "{ctx}");
        }
    }
}

/// Retention runs only once a roll has opened the next segment: a roll that
/// fails leaves every segment (the current one counts as current, not as
/// sealed), and the records after it continue the sequence.
#[test]
fn a_failed_roll_applies_no_retention() {
    const T: i64 = 1_795_000_000_000_000_000;
    for (keep, max_bytes) in [(Some(2), None), (None, Some(1))] {
        let d = TempDir::new("roll-blocked-retention");
        let mut opts = LogOptions {
            clock: Arc::new(|| T),
            ..rolling(2, false)
        };
        opts.retention.max_segments = keep;
        opts.retention.max_bytes = max_bytes;
        let w = LogWriter::open(d.path(), "r", opts).unwrap();
        for i in 0..6u64 {
            w.write("t", &i.to_le_bytes()).unwrap();
        }
        let kept = segment_paths(d.path(), "r");
        let blocker = d.path().join(naming::segment_name("r", 3, T));
        std::fs::create_dir(&blocker).unwrap();
        assert!(w.write("t", b"6").is_err());
        let files: Vec<PathBuf> = segment_paths(d.path(), "r")
            .into_iter()
            .filter(|p| p.is_file())
            .collect();
        assert_eq!(files, kept, "keep {keep:?}, bytes {max_bytes:?}");
        std::fs::remove_dir(&blocker).unwrap();
        assert_eq!(w.write("t", b"6").unwrap(), 6);
        w.flush().unwrap();
        let cur = w.current_segment().unwrap();
        assert_eq!((cur.segment_no, cur.first_seq, cur.record_count), (3, 6, 1));
        // What retention left reads in order, ending with 6.
        let (records, _) = read_all(d.path(), "r");
        let seqs: Vec<u64> = records.iter().map(|(s, _)| *s).collect();
        let from = seqs.first().copied().unwrap_or(6);
        assert_eq!(
            seqs,
            (from..7).collect::<Vec<_>>(),
            "keep {keep:?}, bytes {max_bytes:?}"
        );
        w.close().unwrap();
    }
}

/// The child process of the test below (set: the log's directory).
const SEAL_FAILS_CHILD: &str = "BINLOG_SEAL_FAILS_CHILD";

/// A background seal that fails (here: the file may not grow past its
/// `SEAL_BEGIN` frame, RLIMIT_FSIZE in a child process) cuts the rest of
/// the seal off but keeps `SEAL_BEGIN`, and so does its retry (which
/// reopens the segment): a reader of that segment alone
/// sees where the seal began, the log reads whole with no gap, and the log
/// opened again seals it.
#[test]
fn a_failed_background_seal_keeps_seal_begin() {
    if let Ok(dir) = std::env::var(SEAL_FAILS_CHILD) {
        fail_a_background_seal(Path::new(&dir));
        return;
    }
    let d = TempDir::new("bg-seal-fails");
    let lines = ChildProc::spawn(
        "a_failed_background_seal_keeps_seal_begin",
        &[(SEAL_FAILS_CHILD, d.path().as_os_str())],
        "SEAL-CHILD ",
    )
    .wait_ok();
    let records_end: u64 = lines
        .iter()
        .find_map(|l| l.strip_prefix("records_end "))
        .expect("the child reports where the records end")
        .parse()
        .unwrap();
    let paths = segment_paths(d.path(), "s");
    assert_eq!(paths.len(), 2, "{paths:?}");
    let len = std::fs::metadata(&paths[0]).unwrap().len();
    assert_eq!(len, records_end + 17, "cut after SEAL_BEGIN");
    let mut r = Reader::open(&paths[0]).unwrap();
    let mut n = 0;
    while r.next().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 1000);
    assert_eq!(
        r.tail(),
        Tail::SealDamaged {
            offset: records_end
        }
    );
    let (records, gaps) = read_all(d.path(), "s");
    assert_eq!(gaps, 0);
    let seqs: Vec<u64> = records.iter().map(|r| r.0).collect();
    assert_eq!(seqs, (0..1010).collect::<Vec<_>>());
    // Opened again, the log seals the segment.
    LogWriter::open(d.path(), "s", rolling(1000, true))
        .unwrap()
        .close()
        .unwrap();
    let mut r = Reader::open(&paths[0]).unwrap();
    while r.next().unwrap().is_some() {}
    assert_eq!(r.tail(), Tail::Sealed);
}

/// In the child: 1000 records, then a file size limit just past where
/// `SEAL_BEGIN` will end, then the roll. Exits without closing the log (a
/// close would retry the seal and fail again).
fn fail_a_background_seal(dir: &Path) {
    let w = LogWriter::open(dir, "s", rolling(1000, true)).unwrap();
    for i in 0..1000u64 {
        w.write("t", &[i as u8; 100]).unwrap();
    }
    w.flush().unwrap();
    let records_end = std::fs::metadata(&w.current_segment().unwrap().path)
        .unwrap()
        .len();
    println!("SEAL-CHILD records_end {records_end}");
    let limit = libc::rlimit {
        rlim_cur: records_end + 17,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: plain system calls on this process's own signal disposition
    // and limit; a write past the limit then fails with EFBIG.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
    }
    for i in 1000..1010u64 {
        w.write("t", &[i as u8; 100]).unwrap();
    }
    w.flush().unwrap();
    // Two failures: the first seal, and a retry, which reopens the segment
    // (and must keep `SEAL_BEGIN` as well).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while w.callback_failures().0 < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the seal did not fail twice"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let why = w.callback_failures().1.unwrap_or_default();
    assert!(why.contains("seal"), "{why}");
    std::process::exit(0);
}
