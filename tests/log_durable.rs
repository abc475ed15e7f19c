//! What a rolling log reports as durable (`durable_seq`) and what `sync`
//! makes durable, under each durability policy, across rolls and reopens:
//! a record is counted only once an fdatasync covered it.

mod common;
use binlog::log::LogWriter;
use binlog::Durability;
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
