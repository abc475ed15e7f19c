//! Review of the rolling-log layer (helper 1): each test pins a bug found
//! by that review.

mod common;
use binlog::log::{segments, LogOptions, LogReader, LogWriter};
use common::child::ChildProc;
use common::TempDir;
use parking_lot::{Condvar, Mutex};
use std::path::Path;
use std::sync::Arc;

/// 2026-11-21T05:37:42.5Z.
const T0: i64 = 1_795_239_462_500_000_000;

fn fixed_clock_opts() -> LogOptions {
    LogOptions {
        clock: Arc::new(|| T0),
        background: false,
        ..LogOptions::default()
    }
}

/// A record whose type is new to the segment adds a directory entry to the
/// seal; the size limit must count it, or a segment that holds two records
/// ends up larger than `max_segment_bytes`.
#[test]
fn a_record_of_a_new_type_never_takes_a_segment_past_the_size_limit() {
    const LIMIT: u64 = 4096;
    let long_type = "a-type-name-that-is-new-to-the-segment-and-rather-long";
    let d = TempDir::new("h1-newtype");
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

const SECOND_WRITER: &str = "BINLOG_H1_SECOND_WRITER";

/// A clock that, once armed, stops the thread that reads it until released:
/// a writer held inside a roll, between sealing the old segment (its lock
/// released) and creating the next.
#[derive(Default)]
struct Gate {
    state: Mutex<(bool, bool, bool)>, // (armed, held, released)
    cv: Condvar,
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
                println!("H1-SECOND opened seq {seq}");
                w.close().unwrap();
            }
            Err(e) => println!("H1-SECOND refused {:?} {e}", e.kind()),
        }
        return;
    }
    let d = TempDir::new("h1-two-writers");
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
        "H1-SECOND ",
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

/// Log "g" in `dir`: records 0..15 (payload `payload(seq)`), five a
/// segment, closed.
fn write_three_segments(dir: &std::path::Path, payload: impl Fn(u64) -> Vec<u8>) {
    let w = LogWriter::open(
        dir,
        "g",
        LogOptions {
            max_segment_records: Some(5),
            ..fixed_clock_opts()
        },
    )
    .unwrap();
    for i in 0..15u64 {
        w.write("t", &payload(i)).unwrap();
    }
    w.close().unwrap();
}

/// A segment removed (by retention, say) after the reader listed the log
/// and before it reached it is one gap, named by the sequence numbers it
/// held, not two (one for the file, one for the jump in sequence numbers).
#[test]
fn a_segment_removed_after_the_reader_listed_it_is_one_gap() {
    let d = TempDir::new("h1-one-gap");
    write_three_segments(d.path(), |i| i.to_le_bytes().to_vec());
    let files = segments::list(d.path(), "g").unwrap();
    assert_eq!(files.len(), 3, "{files:?}");
    let mut r = LogReader::open(d.path(), "g").unwrap();
    std::fs::remove_file(&files[1].path).unwrap(); // records 5..9
    let seqs: Vec<u64> = std::iter::from_fn(|| r.next().unwrap().map(|x| x.seq)).collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]);
    let gaps: Vec<(Option<u64>, Option<u64>)> =
        r.gaps().iter().map(|g| (g.from_seq, g.to_seq)).collect();
    assert_eq!(gaps, [(Some(5), Some(10))], "{:?}", r.gaps());
}

/// An older segment whose last record is torn (no writer recovered it) is
/// one gap, from the torn record to the next segment's first, not two.
#[test]
fn a_torn_older_segment_is_one_gap() {
    let d = TempDir::new("h1-torn-gap");
    write_three_segments(d.path(), |i| vec![i as u8; 40]);
    let files = segments::list(d.path(), "g").unwrap();
    // Segment 1 (records 5..9) cut inside record 9, seal and all.
    let last_offset = {
        let mut r = binlog::Reader::open(&files[1].path).unwrap();
        let mut at = 0;
        while let Some(rec) = r.next().unwrap() {
            at = rec.offset;
        }
        at
    };
    std::fs::OpenOptions::new()
        .write(true)
        .open(&files[1].path)
        .unwrap()
        .set_len(last_offset + 20)
        .unwrap();
    let mut r = LogReader::open(d.path(), "g").unwrap();
    let seqs: Vec<u64> = std::iter::from_fn(|| r.next().unwrap().map(|x| x.seq)).collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14]);
    let gaps: Vec<(Option<u64>, Option<u64>)> =
        r.gaps().iter().map(|g| (g.from_seq, g.to_seq)).collect();
    assert_eq!(gaps, [(Some(9), Some(10))], "{:?}", r.gaps());
    assert!(r.gaps()[0].reason.contains("torn tail"), "{:?}", r.gaps());
}

/// A callback that rolls the log (here: on segment 0's SEALED event) and
/// closes it (on segment 1's) causes events while others are being
/// reported on the same thread. Every callback still sees the log's events
/// in order, each segment SEALED after it was OPENED and before the next
/// one's, and polling returns the sealed segments oldest first.
#[test]
fn callbacks_that_roll_or_close_the_log_keep_its_events_in_order() {
    use binlog::log::SegmentEvent;
    let d = TempDir::new("h1-reentrant-order");
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
        ["sealed 0", "opened 1", "sealed 1", "opened 2", "sealed 2"]
    );
    let polled: Vec<u64> = std::iter::from_fn(|| w.poll_sealed().map(|i| i.segment_no)).collect();
    assert_eq!(polled, [0, 1, 2]);
}
