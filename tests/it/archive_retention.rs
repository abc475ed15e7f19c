//! Retention of a shipped log (`Retention::until_shipped`): a sealed
//! segment goes only once its shipper's journal says its copy is in the
//! bucket (a real versitygw, tests/it/common/s3.rs), whatever the other
//! limits say; the hard byte cap still deletes, and counts every segment
//! it deleted unshipped (`LogWriter::dropped_unshipped`).

use crate::common;

use binlog::archive::{Location, ShipOptions, Shipper};
use binlog::log::ship_journal::{journal_path, Entry, Journal, State};
use binlog::{list_segments, LogOptions, LogWriter, Retention, SegmentState};
use common::s3::S3Server;
use common::TempDir;
use std::path::Path;

/// Log `orders` in `dir`, 2 records a segment, with `retention`.
fn shipped_log(dir: &Path, retention: Retention) -> LogWriter {
    let o = LogOptions {
        max_segment_records: Some(2),
        retention,
        ..common::fixed_clock_opts()
    };
    LogWriter::open(dir, "orders", o).unwrap()
}

/// Retention of a shipped log, with these limits.
fn until_shipped(max_segments: Option<usize>, hard_max_bytes: Option<u64>) -> Retention {
    Retention {
        max_segments,
        hard_max_bytes,
        until_shipped: true,
        ..Retention::default()
    }
}

/// Writes `n` records.
fn write(w: &LogWriter, n: u64) {
    for i in 0..n {
        w.write("trade", format!("payload {i}").as_bytes()).unwrap();
    }
}

/// The numbers of the sealed segments on disk.
fn sealed(dir: &Path) -> Vec<u64> {
    list_segments(dir, "orders")
        .unwrap()
        .into_iter()
        .filter(|l| l.state == SegmentState::Sealed)
        .map(|l| l.segment_no)
        .collect()
}

fn ship(server: &S3Server, dir: &Path) -> Vec<u64> {
    let opts = ShipOptions {
        connection: server.connection(),
        ..ShipOptions::default()
    };
    let to = Location::parse("s3://logs/retention").unwrap();
    let mut s = Shipper::open(dir, "orders", &to, opts).unwrap();
    s.ship_once().unwrap().uploaded
}

#[test]
fn retention_keeps_segments_until_the_shipper_uploaded_them() {
    let server = S3Server::start(&["logs"]);
    let dir = TempDir::new("retention-until-shipped");
    let w = shipped_log(dir.path(), until_shipped(Some(1), None));
    write(&w, 9); // segments 0..=3 sealed, 4 active
    assert_eq!(
        sealed(dir.path()),
        [0, 1, 2, 3],
        "nothing shipped: all kept"
    );
    assert_eq!(ship(&server, dir.path()), [0, 1, 2, 3]);
    // The next roll applies retention: shipped, the old ones go.
    write(&w, 2);
    assert_eq!(sealed(dir.path()), [4]);
    write(&w, 4); // 5 and 6 sealed; 4 not shipped keeps them all
    assert_eq!(sealed(dir.path()), [4, 5, 6]);
    assert_eq!(w.dropped_unshipped(), (0, None));
    w.close().unwrap();
}

#[test]
fn an_uploading_segment_is_not_shipped_for_retention() {
    let dir = TempDir::new("retention-uploading");
    let w = shipped_log(dir.path(), until_shipped(Some(1), None));
    // Segments 0 and 1 sealed, and a journal that says 0 is being
    // uploaded, 1 uploaded: 0 is the oldest and not shipped, so neither goes.
    write(&w, 5);
    let mut journal = Journal::new("orders", "s3://logs/p");
    for (segment_no, state) in [(0, State::Uploading), (1, State::Uploaded)] {
        journal.set(Entry {
            segment_no,
            salvaged: None,
            state,
            object: format!("{segment_no}.binlog"),
            bytes: 1,
            sha256: "ab".repeat(32),
        });
    }
    journal.store(&journal_path(dir.path(), "orders")).unwrap();
    write(&w, 2);
    assert_eq!(sealed(dir.path()), [0, 1, 2]);
    w.close().unwrap();
}

#[test]
fn the_hard_byte_cap_deletes_unshipped_segments_and_counts_them() {
    let dir = TempDir::new("retention-hard-cap");
    let w = shipped_log(dir.path(), until_shipped(None, Some(1)));
    write(&w, 10); // segments 0..=3 sealed, each over the cap
    assert_eq!(sealed(dir.path()), Vec::<u64>::new());
    let (count, last) = w.dropped_unshipped();
    assert_eq!(count, 4);
    let last = last.expect("the last segment dropped");
    assert!(!last.exists(), "{}", last.display());
    let name = last.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("orders-00000000000000000003-"), "{name}");
    // Closing keeps the newest sealed segment whatever the cap says.
    w.close().unwrap();
    assert_eq!(sealed(dir.path()), [4]);
    assert_eq!(w.dropped_unshipped().0, 4);
}

#[test]
fn a_log_not_shipped_deletes_by_its_limits_alone() {
    let dir = TempDir::new("retention-unshipped-log");
    let w = shipped_log(
        dir.path(),
        Retention {
            max_segments: Some(1),
            ..Retention::default()
        },
    );
    write(&w, 9);
    assert_eq!(sealed(dir.path()), [3]);
    assert_eq!(w.dropped_unshipped(), (0, None));
    w.close().unwrap();
}
