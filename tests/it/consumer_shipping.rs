//! Consumers of a shipped log (a real versitygw, tests/it/common/s3.rs): a
//! committed position whose local segments were shipped and removed
//! (`keep_local 0`) resumes from the bucket; the shipper's removal of
//! local copies and the bucket's prune wait for a consumer within its
//! bound (`ShipOptions::wait_for_consumers`, `PruneOptions`).

use crate::common;

use binlog::archive::{Location, PruneOptions, ShipOptions, Shipper};
use binlog::{Consumer, ConsumerBound, LogReader, SegmentState, Start};
use common::remote::remote_log;
use common::s3::S3Server;
use common::TempDir;
use std::path::Path;

const BOUND: ConsumerBound = ConsumerBound {
    max_bytes: Some(1 << 20),
    max_age: None,
};

fn sealed(dir: &Path) -> Vec<u64> {
    binlog::list_segments(dir, "orders")
        .unwrap()
        .into_iter()
        .filter(|l| l.state == SegmentState::Sealed)
        .map(|l| l.segment_no)
        .collect()
}

fn ship(server: &S3Server, dir: &Path, prefix: &str, wait: Option<ConsumerBound>) {
    let opts = ShipOptions {
        connection: server.connection(),
        keep_local: Some(0),
        wait_for_consumers: wait,
        ..ShipOptions::default()
    };
    let to = Location::parse(&format!("s3://logs/{prefix}")).unwrap();
    Shipper::open(dir, "orders", &to, opts)
        .unwrap()
        .ship_once()
        .unwrap();
}

/// Consumer `c` of log `orders` in `dir`, committed after `n` records.
fn commit_after(dir: &Path, n: u64) {
    let mut c = Consumer::open(dir, "orders", "c", Start::First).unwrap();
    for _ in 0..n {
        c.next().unwrap().unwrap();
    }
    c.commit().unwrap();
}

#[test]
fn a_position_in_segments_shipped_and_removed_resumes_from_the_bucket() {
    let server = S3Server::start(&["logs"]);
    let dir = TempDir::new("consumer-shipped");
    common::append_orders(dir.path(), 20, 4);
    commit_after(dir.path(), 3);
    ship(&server, dir.path(), "resume", None);
    assert!(
        sealed(dir.path()).is_empty(),
        "a closed log's every segment removed"
    );
    let log = remote_log(&server, "logs", "resume", "orders");
    let r = LogReader::open_tiered(dir.path(), "orders", log).unwrap();
    let mut c = Consumer::new(r, "c", Start::First).unwrap();
    let seqs: Vec<u64> = std::iter::from_fn(|| c.next().unwrap().map(|r| r.seq)).collect();
    assert_eq!(seqs, (3..20).collect::<Vec<_>>());
    assert!(c.reader().gaps().is_empty());
}

#[test]
fn removing_local_copies_waits_for_a_consumer_within_its_bound() {
    let server = S3Server::start(&["logs"]);
    let dir = TempDir::new("consumer-keep-local");
    common::append_orders(dir.path(), 20, 4); // segments 0..=4, 4 records each
    commit_after(dir.path(), 1);
    ship(&server, dir.path(), "wait", Some(BOUND));
    assert_eq!(
        sealed(dir.path()),
        [0, 1, 2, 3, 4],
        "segment 0 held, and all after it"
    );
    commit_after(dir.path(), 8); // the consumer at 9: past segments 0 and 1
    ship(&server, dir.path(), "wait", Some(BOUND));
    assert_eq!(sealed(dir.path()), [2, 3, 4]);
    // Beyond the bound the consumer is not waited for.
    let tight = ConsumerBound {
        max_bytes: Some(1),
        max_age: None,
    };
    ship(&server, dir.path(), "wait", Some(tight));
    assert!(sealed(dir.path()).is_empty());
}

#[test]
fn the_buckets_prune_waits_for_a_consumer_within_its_bound() {
    let server = S3Server::start(&["logs"]);
    let dir = TempDir::new("consumer-prune");
    common::append_orders(dir.path(), 20, 4);
    ship(&server, dir.path(), "prune", None);
    commit_after(dir.path(), 0); // the consumer at 0: every object held
    let log = remote_log(&server, "logs", "prune", "orders");
    let opts = |wait| PruneOptions {
        max_segments: Some(1),
        wait_for_consumers: wait,
        ..PruneOptions::default()
    };
    let held = log
        .prune(&opts(Some((dir.path().to_path_buf(), BOUND))))
        .unwrap();
    assert!(held.deleted.is_empty(), "{:?}", held.deleted);
    // Committed past segments 0..=2 (records 0..12).
    let r = LogReader::open_tiered(dir.path(), "orders", log.clone()).unwrap();
    let mut c = Consumer::new(r, "c", Start::First).unwrap();
    for _ in 0..12 {
        c.next().unwrap().unwrap();
    }
    c.commit().unwrap();
    drop(c);
    let report = log
        .prune(&opts(Some((dir.path().to_path_buf(), BOUND))))
        .unwrap();
    let gone: Vec<u64> = report.deleted.iter().map(|s| s.key.segment_no).collect();
    assert_eq!(gone, [0, 1, 2]);
}
