//! Following many live logs as one stream (`MergedReader::next_wait`):
//! records appended to two logs after the reader reached the end are
//! returned, records present at once come in merged order, a late record
//! of a slower log comes when it arrives (not held back), and a wait with
//! nothing written ends at its timeout with nothing.

use crate::common;

use binlog::{LogWriter, MergedReader};
use common::timed_log::{write_at, writer};
use common::TempDir;
use std::time::Duration;

/// Long enough for any loaded machine: a test that waits this long failed.
const PATIENCE: Duration = Duration::from_secs(30);

/// Writes one record to `w` at `ts` (its payload: the timestamp), and
/// flushes it.
fn put(w: &LogWriter, ts: i64) {
    write_at(w, &[ts], |ts| ts.to_le_bytes().to_vec());
    // Handed to the OS now, where the reader sees it (not within the
    // flush delay).
    w.flush().unwrap();
}

/// The next record by `next_wait`: (timestamp, log, seq).
fn next_wait(r: &mut MergedReader, timeout: Duration) -> Option<(i64, String, u64)> {
    let m = r.next_wait(timeout).unwrap()?;
    Some((m.record.timestamp_ns, m.log.to_string(), m.record.seq))
}

fn s(t: i64, l: &str, q: u64) -> (i64, String, u64) {
    (t, l.to_string(), q)
}

#[test]
fn follow_sees_records_appended_to_two_logs_after_the_end() {
    let dir = TempDir::new("merged-follow");
    let (a, b) = (writer(dir.path(), "a", 3), writer(dir.path(), "b", 3));
    put(&a, 1);
    put(&b, 2);
    let mut r = MergedReader::open_dir(dir.path(), "*").unwrap();
    assert_eq!(next_wait(&mut r, PATIENCE), Some(s(1, "a", 0)));
    assert_eq!(next_wait(&mut r, PATIENCE), Some(s(2, "b", 0)));
    assert!(r.next().unwrap().is_none());
    // Written while the reader waits (or before: it must see them either
    // way), across a roll of each log (3 records a segment).
    let w = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        for ts in 10..14 {
            put(&a, ts);
            put(&b, ts);
        }
        (a, b)
    });
    let mut got = Vec::new();
    while got.len() < 8 {
        got.push(next_wait(&mut r, PATIENCE).expect("a record within the patience"));
    }
    let (a, b) = w.join().unwrap();
    // Each log's records in its order, each once.
    for log in ["a", "b"] {
        let seqs: Vec<u64> = got.iter().filter(|g| g.1 == log).map(|g| g.2).collect();
        assert_eq!(seqs, [1, 2, 3, 4], "{log}: {got:?}");
    }
    a.close().unwrap();
    b.close().unwrap();
    assert_eq!(next_wait(&mut r, Duration::from_millis(50)), None);
}

#[test]
fn records_present_at_once_come_in_merged_order_and_a_late_one_is_not_held_back() {
    let dir = TempDir::new("merged-follow-order");
    let (a, b) = (writer(dir.path(), "a", 100), writer(dir.path(), "b", 100));
    put(&a, 10);
    put(&b, 30);
    let mut r = MergedReader::open_dir(dir.path(), "*").unwrap();
    assert_eq!(next_wait(&mut r, PATIENCE), Some(s(10, "a", 0)));
    assert_eq!(next_wait(&mut r, PATIENCE), Some(s(30, "b", 0)));
    // Slower log `a` writes 20 after `b`'s 30 was returned: it comes when
    // it arrives.
    put(&a, 20);
    assert_eq!(next_wait(&mut r, PATIENCE), Some(s(20, "a", 1)));
    // Both present before the call: the smaller timestamp first, though
    // `a`'s record was written first.
    put(&a, 40);
    put(&b, 35);
    assert_eq!(next_wait(&mut r, PATIENCE), Some(s(35, "b", 1)));
    assert_eq!(next_wait(&mut r, PATIENCE), Some(s(40, "a", 2)));
    a.close().unwrap();
    b.close().unwrap();
}

#[test]
fn follow_ends_at_its_timeout_returning_nothing() {
    let dir = TempDir::new("merged-follow-timeout");
    let (a, b) = (writer(dir.path(), "a", 100), writer(dir.path(), "b", 100));
    put(&a, 1);
    put(&b, 2);
    let mut r = MergedReader::open_dir(dir.path(), "*").unwrap();
    assert!(next_wait(&mut r, PATIENCE).is_some());
    assert!(next_wait(&mut r, PATIENCE).is_some());
    assert_eq!(next_wait(&mut r, Duration::from_millis(300)), None);
    assert_eq!(next_wait(&mut r, Duration::ZERO), None);
    // Still following: a record written after the timeouts comes.
    put(&b, 3);
    assert_eq!(next_wait(&mut r, PATIENCE), Some(s(3, "b", 1)));
    a.close().unwrap();
    b.close().unwrap();
}
