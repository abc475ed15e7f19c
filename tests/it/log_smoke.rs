//! Smoke tests of a rolling log: rolls by record count across restarts, an
//! idle writer rolling on its period with a follower following, and the
//! callbacks given in the options seeing the first segment opened.

use crate::common;

use binlog::{LogOptions, LogReader, LogWriter, Period};
use common::TempDir;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[test]
fn rolls_by_records_and_reads_in_order_across_restarts() {
    let dir = TempDir::new("records");
    let d = dir.path();
    let opts = || LogOptions {
        max_segment_records: Some(100),
        background: false,
        ..LogOptions::default()
    };
    let w = LogWriter::open(d, "orders", opts()).unwrap();
    for i in 0..1050u64 {
        assert_eq!(w.write("t", &i.to_le_bytes()).unwrap(), i);
    }
    w.close().unwrap();
    let w = LogWriter::open(d, "orders", opts()).unwrap();
    assert_eq!(w.write("t", &1050u64.to_le_bytes()).unwrap(), 1050);
    drop(w);
    let segs = binlog::log::segments::list(d, "orders").unwrap();
    assert_eq!(segs.len(), 12, "{segs:?}");
    let mut r = LogReader::open(d, "orders").unwrap();
    let mut n = 0u64;
    while let Some(rec) = r.next().unwrap() {
        assert_eq!(rec.seq, n);
        assert_eq!(rec.payload, &n.to_le_bytes());
        n += 1;
    }
    assert_eq!(n, 1051);
    assert!(r.gaps().is_empty());
    r.seek_seq(777).unwrap();
    assert_eq!(r.next().unwrap().unwrap().seq, 777);
}

#[test]
fn idle_writer_rolls_on_period_and_follower_follows() {
    let dir = TempDir::new("period");
    let d = dir.path();
    let now = Arc::new(AtomicI64::new(1_800_000_000_000_000_000));
    let clock = now.clone();
    let opts = LogOptions {
        period: Period::Minute,
        background: false,
        clock: Arc::new(move || clock.load(Ordering::SeqCst)),
        ..LogOptions::default()
    };
    let w = LogWriter::open(d, "l", opts).unwrap();
    w.write("t", b"a").unwrap();
    w.flush().unwrap();
    let mut r = LogReader::open(d, "l").unwrap();
    assert_eq!(r.next().unwrap().unwrap().payload, b"a");
    assert!(r.next().unwrap().is_none());
    now.fetch_add(61_000_000_000, Ordering::SeqCst);
    w.tick().unwrap();
    assert_eq!(binlog::log::segments::list(d, "l").unwrap().len(), 2);
    let sealed = w.poll_sealed().unwrap();
    assert_eq!(sealed.record_count, 1);
    w.write("t", b"b").unwrap();
    w.flush().unwrap();
    let rec = r
        .next_wait(std::time::Duration::from_secs(60))
        .unwrap()
        .unwrap();
    assert_eq!((rec.seq, rec.payload), (1, &b"b"[..]));
}

#[test]
fn callbacks_in_options_see_the_first_segment_opened() {
    use binlog::SegmentEvent;
    use std::sync::Mutex;
    let dir = TempDir::new("optcb");
    let d = dir.path();
    let seen: Arc<Mutex<Vec<(char, u64)>>> = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let opts = LogOptions {
        max_segment_records: Some(2),
        background: false,
        callbacks: vec![Arc::new(move |ev: &SegmentEvent| {
            let e = match ev {
                SegmentEvent::Opened(i) => ('O', i.segment_no),
                SegmentEvent::Sealed(i) => ('S', i.segment_no),
                SegmentEvent::Compressed(i) => ('C', i.segment_no),
            };
            s.lock().unwrap().push(e);
            Ok(())
        })],
        ..LogOptions::default()
    };
    let w = LogWriter::open(d, "cb", opts).unwrap();
    for i in 0..3u64 {
        w.write("t", &i.to_le_bytes()).unwrap();
    }
    w.close().unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![('O', 0), ('S', 0), ('O', 1), ('S', 1)]
    );
}
