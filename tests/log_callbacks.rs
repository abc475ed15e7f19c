//! Segment callbacks that call back into the log: rolling it (which reports
//! events in turn) and closing it, from the writing thread and from the
//! log's background thread, without deadlocking.

mod common;
use binlog::log::{LogOptions, LogReader, LogWriter, Period, SegmentEvent};
use common::TempDir;
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
