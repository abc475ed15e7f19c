//! Review of the rolling log (src/log/): each test reproduces a bug found
//! by the review and fails on the code before its fix.

mod common;
use binlog::log::{LogOptions, LogReader, LogWriter};
use binlog::{Durability, Options, Reader, Tail};
use common::{segment_paths, TempDir};
use std::path::Path;

/// Every record of the log (sequence numbers) and the gaps reported.
fn read_log(dir: &Path, name: &str) -> (Vec<u64>, Vec<binlog::log::Gap>) {
    let mut r = LogReader::open(dir, name).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    while let Some(rec) = r.next().unwrap_or_else(|e| panic!("{e}")) {
        out.push(rec.seq);
    }
    (out, r.gaps().to_vec())
}

fn set_len(p: &Path, len: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(p)
        .unwrap()
        .set_len(len)
        .unwrap();
}

/// Power loss under durability `None` right after a roll: the segment
/// rolled away from lost its last records (a torn tail, and no seal), while
/// the new segment, empty, survived with a header saying it starts after
/// them (10). Opening the log seals the older segment (records 0..6 left)
/// and must go on after 10: records 7..9 were given out, and a reader must
/// be told they are missing. The empty segment was taken for what a failed
/// roll leaves (a header starting *before* where the log went on) and
/// removed, and the next record got 7 again: one number, two records, and no
/// gap reported.
#[test]
fn an_empty_newest_segment_after_a_torn_older_one_keeps_its_first_seq() {
    let d = TempDir::new("r16log-torn-then-empty");
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
    w.close().unwrap();
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
    let (seqs, gaps) = read_log(d.path(), "p");
    assert_eq!(seqs, vec![0, 1, 2, 3, 4, 5, 6, 10]);
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].from_seq, Some(7));
    assert_eq!(gaps[0].to_seq, Some(10));
}

/// The events a callback causes (here: it rolls the log) are reported
/// after the ones being reported on its thread, so that a segment's OPENED
/// comes before its SEALED. The queue of such events was one per log, and
/// another thread reporting that log's events at the same time (an
/// explicit roll on thread A, its callback still running) took them and
/// reported them as its own: segment 2 was reported sealed (by A) before
/// thread B, whose callback's roll had sealed it, reported it opened.
#[test]
fn events_a_callback_causes_stay_on_its_thread() {
    use binlog::log::SegmentEvent;
    use std::sync::mpsc;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    let d = TempDir::new("r16log-deferred");
    let w = Arc::new(
        LogWriter::open(
            d.path(),
            "q",
            LogOptions {
                background: false,
                ..LogOptions::default()
            },
        )
        .unwrap(),
    );
    let seen: Arc<Mutex<Vec<(char, u64)>>> = Arc::default();
    let s = Arc::clone(&seen);
    w.on_segment(Box::new(move |ev| {
        s.lock().unwrap().push(match ev {
            SegmentEvent::Opened(i) => ('O', i.segment_no),
            SegmentEvent::Sealed(i) => ('S', i.segment_no),
        });
        Ok(())
    }))
    .unwrap();
    let (a_blocked_tx, a_blocked) = mpsc::channel::<()>();
    let (nested_tx, nested) = mpsc::channel::<()>();
    let (a_done_tx, a_done) = mpsc::channel::<()>();
    let (nested, a_done) = (Mutex::new(nested), Mutex::new(a_done));
    let a_blocked_tx = Mutex::new(a_blocked_tx);
    let nested_tx = Mutex::new(nested_tx);
    let weak = Arc::downgrade(&w);
    w.on_segment(Box::new(move |ev| {
        let SegmentEvent::Sealed(info) = ev else {
            return Ok(());
        };
        let thread = std::thread::current().name().unwrap_or("").to_string();
        let wait = |rx: &Mutex<mpsc::Receiver<()>>| {
            rx.lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(10))
                .map_err(|e| format!("{thread}: {e}"))
        };
        match (thread.as_str(), info.segment_no) {
            ("A", 0) => {
                a_blocked_tx.lock().unwrap().send(()).unwrap();
                wait(&nested)?;
            }
            ("B", 1) => {
                let w = weak.upgrade().ok_or("writer gone")?;
                w.roll().map_err(|e| e.to_string())?;
                nested_tx.lock().unwrap().send(()).unwrap();
                wait(&a_done)?;
            }
            _ => {}
        }
        Ok(())
    }))
    .unwrap();
    w.write("t", b"x").unwrap();
    let wa = Arc::clone(&w);
    let a = std::thread::Builder::new()
        .name("A".into())
        .spawn(move || {
            let r = wa.roll();
            a_done_tx.send(()).unwrap();
            r
        })
        .unwrap();
    a_blocked.recv_timeout(Duration::from_secs(10)).unwrap();
    let wb = Arc::clone(&w);
    let b = std::thread::Builder::new()
        .name("B".into())
        .spawn(move || wb.roll())
        .unwrap();
    a.join().unwrap().unwrap();
    b.join().unwrap().unwrap();
    assert_eq!(w.callback_failures(), (0, None));
    w.close().unwrap();
    let seen = seen.lock().unwrap().clone();
    let at = |k: (char, u64)| {
        seen.iter()
            .position(|e| *e == k)
            .unwrap_or_else(|| panic!("{k:?} not reported: {seen:?}"))
    };
    // (Segment 1 was opened by A's roll and sealed by B's, two rolls on
    // two threads at once: their events may interleave.) B's own roll's
    // events come before those its callback caused.
    assert!(at(('O', 2)) < at(('S', 2)), "segment 2: {seen:?}");
    assert!(at(('O', 2)) < at(('O', 3)), "{seen:?}");
    assert!(at(('O', 3)) < at(('S', 3)), "segment 3: {seen:?}");
}

/// A roll names the new segment and sets its period by the clock reading of
/// the write that rolls (its records carry that reading), but the header's
/// creation time came from a second reading, taken after the old segment
/// was sealed (an fdatasync later, under a durable policy). When a period
/// boundary passed between the two, a log reopened after a crash took the
/// segment's period from its header, the next period, and appended that
/// period's records to a segment of the period before instead of rolling.
#[test]
fn a_resumed_segment_keeps_the_period_it_was_named_for() {
    use binlog::log::{Clock, Period};
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
    let d = TempDir::new("r16log-period-resume");
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
