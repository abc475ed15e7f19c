//! Segment callbacks that call back into the log: rolling it (which reports
//! events in turn) and closing it, from the writing thread and from the
//! log's background thread, without deadlocking, and with every segment's
//! events still reported in order, each on the thread that caused them.

use crate::common;
use binlog::{LogOptions, LogReader, LogWriter, Period, SegmentEvent};
use common::{fixed_clock_opts, TempDir};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// Registers a callback that, on the SEALED event of segment `roll_on`,
/// rolls the log and, on that of `close_on`, closes it; each outcome is
/// sent on the returned channel.
fn reenter(
    w: &Arc<LogWriter>,
    roll_on: u64,
    close_on: u64,
) -> mpsc::Receiver<(u64, Result<(), String>)> {
    let weak = Arc::downgrade(w);
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    w.on_segment(Box::new(move |ev| {
        let SegmentEvent::Sealed(info) = ev else {
            return Ok(());
        };
        let w = weak.upgrade().ok_or("writer gone")?;
        let outcome = if info.segment_no == roll_on {
            w.roll().map_err(|e| e.to_string())
        } else if info.segment_no == close_on {
            w.close().map_err(|e| e.to_string())
        } else {
            return Ok(());
        };
        let _ = tx.lock().unwrap().send((info.segment_no, outcome));
        Ok(())
    }))
    .unwrap();
    rx
}

fn outcomes(rx: &mpsc::Receiver<(u64, Result<(), String>)>) -> Vec<(u64, Result<(), String>)> {
    let mut got: Vec<_> = (0..2)
        .map(|_| {
            rx.recv_timeout(Duration::from_secs(10))
                .expect("a callback that rolls or closes the log deadlocked")
        })
        .collect();
    got.sort_by_key(|(no, _)| *no);
    got
}

/// A size roll reports on the writing thread: the callback rolls the log
/// (reporting segment 1 sealed from inside the callback) and then closes it.
#[test]
fn a_callback_on_the_writing_thread_may_roll_and_close_the_log() {
    let d = TempDir::new("cb-reenter");
    let o = LogOptions {
        max_segment_records: Some(3),
        background: false,
        ..LogOptions::default()
    };
    let w = Arc::new(LogWriter::open(d.path(), "c", o).unwrap());
    let rx = reenter(&w, 0, 1);
    // On another thread, so that a deadlock fails the test by timeout.
    let w2 = Arc::clone(&w);
    std::thread::spawn(move || {
        for i in 0..4u64 {
            assert_eq!(w2.write("t", &i.to_le_bytes()).unwrap(), i);
        }
    });
    assert_eq!(outcomes(&rx), vec![(0, Ok(())), (1, Ok(()))]);
    assert!(w.is_closed());
    assert_eq!(w.callback_failures().0, 0, "{:?}", w.callback_failures().1);
    let mut r = LogReader::open(d.path(), "c").unwrap();
    let mut n = 0;
    while r.next().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 4);
}

/// A time roll reports on the log's background thread: a callback there
/// may close the log (which must not wait for the thread it runs on).
#[test]
fn a_callback_on_the_background_thread_may_close_the_log() {
    let d = TempDir::new("cb-bg-close");
    // 2026-11-21T05:37:42.5Z, then past 06:00.
    let now = Arc::new(AtomicI64::new(1_795_239_462_500_000_000));
    let clock = Arc::clone(&now);
    let o = LogOptions {
        period: Period::Hour,
        clock: Arc::new(move || clock.load(Ordering::SeqCst)),
        background: true,
        ..LogOptions::default()
    };
    let w = Arc::new(LogWriter::open(d.path(), "b", o).unwrap());
    let rx = reenter(&w, u64::MAX, 0);
    w.write("t", b"before the hour").unwrap();
    now.fetch_add(3600 * 1_000_000_000, Ordering::SeqCst);
    let (no, outcome) = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the background thread's callback closing the log deadlocked");
    assert_eq!((no, outcome), (0, Ok(())));
    assert!(w.is_closed());
    assert_eq!(w.callback_failures().0, 0, "{:?}", w.callback_failures().1);
    // Closing again from here is a no-op.
    w.close().unwrap();
}

/// The events a callback causes (here: it rolls the log) are reported
/// after the ones being reported on its thread, so that a segment's OPENED
/// comes before its SEALED, even while another thread reports that log's
/// events (an explicit roll on thread A, its callback still running): with
/// one queue of such events per log, A would take them and report them as
/// its own, segment 2 sealed (by A) before thread B, whose callback's roll
/// sealed it, reported it opened.
#[test]
fn events_a_callback_causes_stay_on_its_thread() {
    use binlog::SegmentEvent;
    use std::sync::mpsc;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    let d = TempDir::new("log-deferred");
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
            SegmentEvent::Compressed(i) => ('C', i.segment_no),
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
    // A record for segment 3, which its close then seals (one holding no
    // record would be removed, not sealed).
    w.write("t", b"y").unwrap();
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

/// A callback that rolls the log (here: on segment 0's SEALED event) and
/// closes it (on segment 1's) causes events while others are being
/// reported on the same thread. Every callback still sees the log's events
/// in order, each segment SEALED after it was OPENED and before the next
/// one's, and polling returns the sealed segments oldest first.
#[test]
fn callbacks_that_roll_or_close_the_log_keep_its_events_in_order() {
    use binlog::SegmentEvent;
    let d = TempDir::new("reentrant-order");
    let w = Arc::new(
        LogWriter::open(
            d.path(),
            "c",
            LogOptions {
                max_segment_records: Some(3),
                ..fixed_clock_opts()
            },
        )
        .unwrap(),
    );
    let weak = Arc::downgrade(&w);
    w.on_segment(Box::new(move |ev| {
        let w = weak.upgrade().ok_or("writer gone")?;
        match ev {
            SegmentEvent::Sealed(i) if i.segment_no == 0 => w.roll().map_err(|e| e.to_string()),
            SegmentEvent::Sealed(i) if i.segment_no == 1 => w.close().map_err(|e| e.to_string()),
            _ => Ok(()),
        }
    }))
    .unwrap();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    w.on_segment(Box::new(move |ev| {
        s.lock().unwrap().push(match ev {
            SegmentEvent::Opened(i) => format!("opened {}", i.segment_no),
            SegmentEvent::Sealed(i) => format!("sealed {}", i.segment_no),
            SegmentEvent::Compressed(i) => format!("compressed {}", i.segment_no),
        });
        Ok(())
    }))
    .unwrap();
    for i in 0..4u64 {
        assert_eq!(w.write("t", &i.to_le_bytes()).unwrap(), i);
    }
    assert!(w.is_closed());
    assert_eq!(w.callback_failures().0, 0, "{:?}", w.callback_failures().1);
    assert_eq!(
        *seen.lock().unwrap(),
        ["sealed 0", "opened 1", "sealed 1", "opened 2"],
        "segment 2, which held no record, is removed at close, not sealed"
    );
    let polled: Vec<u64> = std::iter::from_fn(|| w.poll_sealed().map(|i| i.segment_no)).collect();
    assert_eq!(polled, [0, 1]);
}
