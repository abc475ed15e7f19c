//! What a rolling log reports as durable (`durable_seq`) and what `sync`
//! makes durable, under each durability policy, across rolls and reopens:
//! a record is counted only once an fdatasync covered it.

mod common;
use binlog::log::LogWriter;
use binlog::{Durability, Entry};
use common::{log_opts, TempDir};

fn write_n(w: &LogWriter, n: u64) {
    for _ in 0..n {
        w.write("t", b"record").unwrap();
    }
}

/// Under `None` nothing is synced by itself: rolled segments count as not
/// durable until `sync`, which must then sync them too, and a reopened log
/// counts nothing it found until its first `sync`.
#[test]
fn under_none_only_sync_makes_records_durable_across_rolls_and_reopens() {
    let dir = TempDir::new("durable-none");
    let w = LogWriter::open(dir.path(), "d", log_opts(Durability::None)).unwrap();
    write_n(&w, 25);
    assert_eq!(w.current_segment().unwrap().segment_no, 2, "rolled twice");
    assert_eq!(
        w.durable_seq().unwrap(),
        0,
        "two rolled segments never synced"
    );
    w.sync().unwrap();
    assert_eq!(w.durable_seq().unwrap(), 25);
    // The segment being written when `sync` ran is rolled away from with
    // records 25..30 not synced.
    write_n(&w, 15);
    assert_eq!(w.next_seq().unwrap(), 40);
    assert_eq!(w.durable_seq().unwrap(), 25);
    w.sync().unwrap();
    assert_eq!(w.durable_seq().unwrap(), 40);
    w.close().unwrap();

    let w = LogWriter::open(dir.path(), "d", log_opts(Durability::None)).unwrap();
    assert_eq!(w.next_seq().unwrap(), 40);
    assert_eq!(
        w.durable_seq().unwrap(),
        0,
        "what a reopen finds may be only in the page cache"
    );
    w.sync().unwrap();
    assert_eq!(w.durable_seq().unwrap(), 40);
    w.close().unwrap();
}

/// A segment removed by retention has nothing left to sync: it no longer
/// holds `durable_seq` back, and `sync` succeeds and counts the rest.
#[test]
fn sync_under_none_skips_segments_retention_removed() {
    let dir = TempDir::new("durable-none-retention");
    let mut o = log_opts(Durability::None);
    o.retention.max_segments = Some(1);
    let w = LogWriter::open(dir.path(), "d", o).unwrap();
    write_n(&w, 35);
    // Segments 0 and 1 are gone; segment 2 (20..30) is kept, never synced.
    assert_eq!(w.durable_seq().unwrap(), 20);
    w.sync().unwrap();
    assert_eq!(w.durable_seq().unwrap(), 35);
    w.close().unwrap();
}

/// The durable policies sync a segment's records before it is sealed, and
/// a reopen syncs what it found: nothing is left for `sync` to catch up on.
#[test]
fn durable_policies_count_rolled_and_reopened_records_at_once() {
    for durability in [Durability::EveryRecord, Durability::EveryN(4)] {
        let dir = TempDir::new("durable-policies");
        let w = LogWriter::open(dir.path(), "d", log_opts(durability)).unwrap();
        write_n(&w, 24);
        // EveryN(4) synced at 4, 8, ..., 24; each roll sealed (and synced)
        // the segment it left.
        assert_eq!(w.durable_seq().unwrap(), 24, "{durability:?}");
        w.close().unwrap();
        let w = LogWriter::open(dir.path(), "d", log_opts(durability)).unwrap();
        assert_eq!(w.durable_seq().unwrap(), 24, "{durability:?} after reopen");
        w.close().unwrap();
    }
}

/// Durable writers of a rolling log share fdatasyncs (each write call is
/// counted by the segment it appends to, so a leader waits for its record)
/// while other threads roll the log under them: every call returns only
/// once its records are durable, batches that straddle a roll included,
/// and every record is there afterwards, in order, under the sequence
/// number its call was given.
#[test]
fn concurrent_durable_writers_share_syncs_across_rolls() {
    let dir = TempDir::new("durable-concurrent");
    let w = LogWriter::open(dir.path(), "d", log_opts(Durability::EveryRecord)).unwrap();
    let (threads, calls) = (6u8, 40u8);
    let mut given = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let w = &w;
                s.spawn(move || {
                    let mut given = Vec::new();
                    for i in 0..calls {
                        let payload = [t, i];
                        // Every fifth call is a batch of 3, which a roll (one
                        // every 10 records) may split.
                        let n = if i % 5 == 4 { 3 } else { 1 };
                        let e = Entry {
                            type_name: "t",
                            meta: &[],
                            timestamp_ns: None,
                            parts: &[&payload],
                        };
                        let first = w.write_batch(&vec![e; n]).unwrap();
                        let durable = w.durable_seq().unwrap();
                        assert!(durable >= first + n as u64, "returned before its sync");
                        given.extend((0..n as u64).map(|k| (first + k, payload)));
                    }
                    given
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    let total = given.len() as u64;
    assert_eq!(w.next_seq().unwrap(), total);
    assert_eq!(w.durable_seq().unwrap(), total);
    assert!(
        w.current_segment().unwrap().segment_no >= 20,
        "the log rolled"
    );
    w.close().unwrap();
    given.sort();
    let mut r = binlog::log::LogReader::open(dir.path(), "d").unwrap();
    for (seq, payload) in given {
        let rec = r
            .next()
            .unwrap()
            .expect("a record for every sequence number given");
        assert_eq!((rec.seq, rec.payload), (seq, &payload[..]));
    }
    assert!(r.next().unwrap().is_none());
}
