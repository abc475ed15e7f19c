//! Many logs read as one stream by time (`MergedReader`): the order
//! (timestamp, then log name, then sequence number), a log whose clock
//! goes back keeping its own order, a time window that reads only the
//! segments whose seals overlap it, gaps and damaged regions named with
//! their log, and logs in a bucket merged with local ones.

use crate::common;

use binlog::{GapReason, LogReader, MergedReader};
use common::records::{flip_byte, frames, segment_paths};
use common::timed_log::{write_at, writer};
use common::TempDir;
use std::path::Path;

/// (timestamp, log, seq) of each record, in the order returned.
type Seen = Vec<(i64, String, u64)>;

/// Writes log `name` in `dir` with records at `times`, and closes it.
fn log_at(dir: &Path, name: &str, per: u64, times: &[i64]) {
    let w = writer(dir, name, per);
    write_at(&w, times, |ts| ts.to_le_bytes().to_vec());
    w.close().unwrap();
}

fn read_all(r: &mut MergedReader) -> Seen {
    let mut out = Vec::new();
    while let Some(m) = r.next().unwrap() {
        let ts = i64::from_le_bytes(m.record.payload.try_into().unwrap());
        assert_eq!(ts, m.record.timestamp_ns, "payload of {}", m.log);
        out.push((m.record.timestamp_ns, m.log.to_string(), m.record.seq));
    }
    out
}

/// Log `l`'s `n` timestamps: increasing, each log stepping its own way,
/// so that logs interleave and some timestamps are equal across logs.
fn times_of(l: i64, n: i64) -> Vec<i64> {
    (0..n).map(|i| 1_000 + i * (3 + l % 5) + l % 7).collect()
}

#[test]
fn hundred_logs_merge_by_timestamp_then_name_then_seq() {
    let dir = TempDir::new("merged-hundred");
    let mut want = Seen::new();
    for l in 0..100 {
        let name = format!("app-{l:03}");
        let times = times_of(l, 20);
        log_at(dir.path(), &name, 7, &times);
        want.extend(
            times
                .iter()
                .enumerate()
                .map(|(i, &t)| (t, name.clone(), i as u64)),
        );
    }
    // Not matched by the pattern: never read.
    log_at(dir.path(), "other", 7, &[1, 2, 3]);
    want.sort();

    let mut r = MergedReader::open_dir(dir.path(), "app-*").unwrap();
    assert_eq!(r.log_names().count(), 100);
    let got = read_all(&mut r);
    assert_eq!(got.len(), 2000);
    assert_eq!(got, want);
    assert!(r.gaps().is_empty());
}

#[test]
fn equal_timestamps_come_by_log_name_then_seq() {
    let dir = TempDir::new("merged-ties");
    log_at(dir.path(), "b", 100, &[5, 5, 7]);
    log_at(dir.path(), "a", 100, &[5, 7, 7]);
    log_at(dir.path(), "c", 100, &[4, 5]);
    let mut r = MergedReader::open_dir(dir.path(), "*").unwrap();
    let got = read_all(&mut r);
    let s = |t, l: &str, q| (t, l.to_string(), q);
    let want = vec![
        s(4, "c", 0),
        s(5, "a", 0),
        s(5, "b", 0),
        s(5, "b", 1),
        s(5, "c", 1),
        s(7, "a", 1),
        s(7, "a", 2),
        s(7, "b", 2),
    ];
    assert_eq!(got, want);
}

#[test]
fn a_log_whose_time_goes_back_keeps_its_own_order() {
    let dir = TempDir::new("merged-backwards");
    log_at(dir.path(), "a", 100, &[10, 30, 20]);
    log_at(dir.path(), "b", 100, &[15, 25]);
    let mut r = MergedReader::open_dir(dir.path(), "*").unwrap();
    let got = read_all(&mut r);
    let s = |t, l: &str, q| (t, l.to_string(), q);
    // `a`'s 20 comes after its 30: each log is read in its own order, the
    // merge picks the smallest of the logs' next records.
    let want = vec![
        s(10, "a", 0),
        s(15, "b", 0),
        s(25, "b", 1),
        s(30, "a", 1),
        s(20, "a", 2),
    ];
    assert_eq!(got, want);
}

/// One hour, in ns.
const HOUR: i64 = 3_600_000_000_000;

/// A day of records, one a minute, in segments of an hour (60 records).
fn day_of_records(offset: i64) -> Vec<i64> {
    (0..24 * 60).map(|m| m * HOUR / 60 + offset).collect()
}

#[test]
fn a_time_window_reads_only_the_segments_it_overlaps() {
    let dir = TempDir::new("merged-window");
    let names = ["web-1", "web-2", "web-3"];
    for (i, name) in names.iter().enumerate() {
        log_at(dir.path(), name, 60, &day_of_records(i as i64));
    }
    let (from, to) = (10 * HOUR, 11 * HOUR);
    let mut want: Seen = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let times = day_of_records(i as i64);
        let inside = times
            .iter()
            .enumerate()
            .filter(|(_, &t)| t >= from && t < to);
        want.extend(inside.map(|(q, &t)| (t, name.to_string(), q as u64)));
    }
    want.sort();
    assert_eq!(want.len(), 3 * 60);

    let mut r = MergedReader::open_dir(dir.path(), "web-*").unwrap();
    r.time_window(Some(from), Some(to)).unwrap();
    assert_eq!(read_all(&mut r), want);
    // Per log: hour 10's segment read; the 13 after it passed over unread
    // (those before, skipped by the seek).
    assert_eq!(r.segments_read(), 3);
    assert_eq!(r.segments_passed_over(), 3 * 13);
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
}

#[test]
fn a_time_window_passes_over_segments_yet_reports_a_missing_one() {
    let dir = TempDir::new("merged-window-gap");
    log_at(dir.path(), "web", 60, &day_of_records(0));
    // Segment 15 (hour 15) lost: a gap, though the window is before it.
    let lost: Vec<_> = binlog::list_segments(dir.path(), "web").unwrap();
    std::fs::remove_file(&lost[15].path).unwrap();
    let mut r = LogReader::open(dir.path(), "web").unwrap();
    r.time_window(Some(10 * HOUR), Some(11 * HOUR)).unwrap();
    let mut n = 0;
    while r.next().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 60);
    let gaps = r.gaps();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(
        (gaps[0].from_seq, gaps[0].to_seq),
        (Some(15 * 60), Some(16 * 60))
    );
}

#[test]
fn two_logs_of_one_name_are_refused() {
    let dir = TempDir::new("merged-twice");
    log_at(dir.path(), "a", 10, &[1]);
    let a1 = LogReader::open(dir.path(), "a").unwrap();
    let a2 = LogReader::open(dir.path(), "a").unwrap();
    let e = MergedReader::new(vec![("a".into(), a1), ("a".into(), a2)])
        .err()
        .unwrap();
    assert_eq!(e.kind(), binlog::ErrorKind::InvalidArgument);
}

#[test]
fn no_log_matching_the_pattern_is_not_found() {
    let dir = TempDir::new("merged-none");
    log_at(dir.path(), "a", 10, &[1]);
    let e = MergedReader::open_dir(dir.path(), "web-*").err().unwrap();
    assert_eq!(e.kind(), binlog::ErrorKind::NotFound);
    assert!(e.to_string().contains("web-*"), "{e}");
}

#[test]
fn a_missing_segment_of_one_log_is_a_gap_named_with_the_log() {
    let dir = TempDir::new("merged-gap");
    let times: Vec<i64> = (0..30).collect();
    log_at(dir.path(), "a", 10, &times);
    log_at(dir.path(), "b", 10, &times);
    let lost = segment_paths(dir.path(), "b")[1].clone();
    std::fs::remove_file(&lost).unwrap();
    let mut r = MergedReader::open_dir(dir.path(), "*").unwrap();
    assert_eq!(read_all(&mut r).len(), 50);
    let gaps = r.gaps();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    let (log, g) = gaps[0];
    assert_eq!(log, "b");
    assert_eq!(g.reason, GapReason::Missing);
    assert_eq!((g.from_seq, g.to_seq), (Some(10), Some(20)));
}

#[test]
fn damage_in_one_log_is_named_with_the_log_and_its_file() {
    let dir = TempDir::new("merged-damage");
    let times: Vec<i64> = (0..20).collect();
    log_at(dir.path(), "a", 10, &times);
    log_at(dir.path(), "b", 10, &times);
    let seg = segment_paths(dir.path(), "b")[0].clone();
    // A byte near the end of record 3: damage in the middle.
    let (offset, len) = frames(&seg)[3];
    flip_byte(&seg, offset + len - 2);
    let mut r = MergedReader::open_dir(dir.path(), "*").unwrap();
    r.skip_damaged(true);
    let got = read_all(&mut r);
    assert_eq!(got.len(), 39);
    assert!(!got.contains(&(3, "b".to_string(), 3)));
    let damages = r.damages();
    assert_eq!(damages.len(), 1, "{damages:?}");
    let (log, file, d) = &damages[0];
    assert_eq!((*log, file), ("b", &seg));
    assert_eq!((d.from_seq, d.to_seq), (3, 4));
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
}

#[test]
fn next_after_the_end_reads_records_written_since() {
    let dir = TempDir::new("merged-again");
    let a = writer(dir.path(), "a", 100);
    write_at(&a, &[1], |ts| ts.to_le_bytes().to_vec());
    a.flush().unwrap();
    log_at(dir.path(), "b", 100, &[2]);
    let mut r = MergedReader::open_dir(dir.path(), "*").unwrap();
    assert_eq!(read_all(&mut r).len(), 2);
    write_at(&a, &[3], |ts| ts.to_le_bytes().to_vec());
    a.flush().unwrap();
    assert_eq!(read_all(&mut r), vec![(3, "a".to_string(), 1)]);
    a.close().unwrap();
}
