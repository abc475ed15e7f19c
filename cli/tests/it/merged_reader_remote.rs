//! Merged reads of logs in a bucket (versitygw, tests/it/common/s3.rs) and a
//! local directory: a log only local, one shipped (read from both), one
//! only in the bucket, as one stream by time; a time window reads only
//! the segments it overlaps; `binlog cat --merge` prints the same; a
//! follower sees a segment shipped after it reached the end.

use crate::common;

use binlog::archive::{open_merged, Location, PruneOptions, Remote, ShipOptions, Shipper};
use binlog::MergedReader;
use common::remote::binlog_at;
use common::s3::S3Server;
use common::timed_log::named_log_at;
use common::TempDir;
use std::path::Path;
use std::sync::Arc;

const BUCKET: &str = "logs";
/// A minute, in ns: each log writes one record a minute.
const MINUTE: i64 = 60_000_000_000;

/// Log `name` in `dir`: 6 hours, a record a minute from `offset`, a
/// segment an hour.
fn log_of_hours(dir: &Path, name: &str, offset: i64) -> Vec<i64> {
    let times: Vec<i64> = (0..6 * 60).map(|m| m * MINUTE + offset).collect();
    named_log_at(dir, name, 60, &times);
    times
}

fn ship(server: &S3Server, dir: &Path, name: &str) {
    ship_keeping(server, dir, name, Some(0));
}

/// Ships log `name`'s 6 segments to s3://logs/m, keeping `keep_local` of
/// them in `dir` (None: all).
fn ship_keeping(server: &S3Server, dir: &Path, name: &str, keep_local: Option<usize>) {
    let o = ShipOptions {
        keep_local,
        connection: server.connection(),
        ..ShipOptions::default()
    };
    let to = Location::parse(&format!("s3://{BUCKET}/m")).unwrap();
    let mut s = Shipper::open(dir, name, &to, o).unwrap();
    assert_eq!(s.ship_once().unwrap().uploaded.len(), 6);
}

fn read_all(r: &mut MergedReader) -> Vec<(i64, String, u64)> {
    let mut out = Vec::new();
    while let Some(m) = r.next().unwrap() {
        assert_eq!(m.record.payload, m.log.as_bytes());
        out.push((m.record.timestamp_ns, m.log.to_string(), m.record.seq));
    }
    out
}

#[test]
fn logs_in_a_bucket_and_a_directory_merge_as_one_stream() {
    let server = S3Server::start(&[BUCKET]);
    let (local, other) = (TempDir::new("merged-local"), TempDir::new("merged-other"));
    let mut want = Vec::new();
    let mut add = |name: &str, times: Vec<i64>| {
        let seqs = times.into_iter().enumerate();
        want.extend(seqs.map(|(q, t)| (t, name.to_string(), q as u64)));
    };
    add("web-a", log_of_hours(local.path(), "web-a", 0));
    add("web-b", log_of_hours(local.path(), "web-b", 1));
    ship(&server, local.path(), "web-b");
    add("web-c", log_of_hours(other.path(), "web-c", 0));
    ship(&server, other.path(), "web-c");
    log_of_hours(other.path(), "db", 0);
    ship(&server, other.path(), "db");
    want.sort();

    let at = Location::parse(&format!("s3://{BUCKET}/m")).unwrap();
    let remote = Arc::new(Remote::connect(&at, &server.connection()).unwrap());
    let mut r = open_merged(Some(local.path()), &remote, "web-*").unwrap();
    let names: Vec<&str> = r.log_names().collect();
    assert_eq!(names, ["web-a", "web-b", "web-c"]);
    assert_eq!(read_all(&mut r), want);
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());

    // Hour 2 only: one segment read per log, those after it passed over.
    let (from, to) = (120 * MINUTE, 180 * MINUTE);
    let mut r = open_merged(Some(local.path()), &remote, "web-*").unwrap();
    r.time_window(Some(from), Some(to)).unwrap();
    let inside: Vec<_> = want
        .iter()
        .filter(|w| w.0 >= from && w.0 < to)
        .cloned()
        .collect();
    assert_eq!(inside.len(), 3 * 60);
    assert_eq!(read_all(&mut r), inside);
    assert_eq!(r.segments_read(), 3);
    assert_eq!(r.segments_passed_over(), 3 * 3);

    // The same through the command line, each line naming its log.
    let out = binlog_at(
        &server,
        &[
            "cat",
            "--merge",
            local.path().to_str().unwrap(),
            &format!("s3://{BUCKET}/m"),
            "--log",
            "web-*",
            "--json",
            "--from-time",
            "1970-01-01T02:00:00Z",
            "--to-time",
            "1970-01-01T03:00:00Z",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<_> = lines
        .iter()
        .map(|v| {
            let ts = v["ts_ns"].as_i64().unwrap();
            (
                ts,
                v["log"].as_str().unwrap().to_string(),
                v["seq"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, inside);
}

/// Following a merged read of a log in the bucket alone and a local one:
/// a segment shipped after the reader reached the end is listed again
/// (the bucket follower's backoff) and its records returned, as is a
/// record written to the local log.
#[test]
fn following_sees_a_segment_shipped_after_the_end_and_a_local_record() {
    let server = S3Server::start(&[BUCKET]);
    let (local, shipping) = (
        TempDir::new("merged-follow-local"),
        TempDir::new("merged-follow-ship"),
    );
    named_log_at(local.path(), "local", 100, &[1]);
    let w = common::timed_log::writer(shipping.path(), "shipped", 2);
    common::timed_log::write_at(&w, &[2, 3], |_| b"shipped".to_vec());
    let o = ShipOptions {
        connection: server.connection(),
        ..ShipOptions::default()
    };
    let to = Location::parse(&format!("s3://{BUCKET}/f")).unwrap();
    let mut s = Shipper::open(shipping.path(), "shipped", &to, o).unwrap();
    w.roll().unwrap();
    s.ship_once().unwrap();

    let remote = Arc::new(Remote::connect(&to, &server.connection()).unwrap());
    let mut r = open_merged(Some(local.path()), &remote, "*").unwrap();
    let patience = std::time::Duration::from_secs(30);
    let mut got = Vec::new();
    while got.len() < 3 {
        let m = r.next_wait(patience).unwrap().expect("a record");
        got.push((m.record.timestamp_ns, m.log.to_string()));
    }
    assert_eq!(
        got,
        [
            (1, "local".into()),
            (2, "shipped".into()),
            (3, "shipped".into())
        ]
    );
    assert!(r
        .next_wait(std::time::Duration::from_millis(50))
        .unwrap()
        .is_none());

    common::timed_log::write_at(&w, &[10, 11], |_| b"shipped".to_vec());
    w.roll().unwrap();
    s.ship_once().unwrap();
    let m = r
        .next_wait(patience)
        .unwrap()
        .expect("the shipped segment's first record");
    assert_eq!((m.record.timestamp_ns, m.log), (10, "shipped"));
    w.close().unwrap();
}

/// `binlog` with `args`: its exit status and standard error.
fn status_and_stderr(server: &S3Server, args: &[&str]) -> (Option<i32>, String) {
    let o = binlog_at(server, args);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A merged read that meets records it cannot return ends in exit status
/// 1, as a read of the one log does, after naming the gap: a segment
/// missing from a local log, an object missing from the bucket, segments
/// removed by the bucket's retention between a log's local segments and
/// its objects. `cat --merge` and `tail --merge` alike.
#[test]
fn a_merged_read_that_meets_a_gap_exits_1_as_a_read_of_one_log_does() {
    let server = S3Server::start(&[BUCKET]);
    let (a, b, c) = (
        TempDir::new("merged-gap-a"),
        TempDir::new("merged-gap-b"),
        TempDir::new("merged-gap-c"),
    );
    let segment = |dir: &Path, name: &str, no: u64| {
        let all = binlog::list_segments(dir, name).unwrap();
        all.into_iter().find(|l| l.segment_no == no).unwrap().path
    };
    // A segment of a local log removed.
    log_of_hours(a.path(), "web-a", 0);
    std::fs::remove_file(segment(a.path(), "web-a", 2)).unwrap();
    // An object of a log in the bucket alone deleted.
    log_of_hours(b.path(), "web-b", 0);
    ship(&server, b.path(), "web-b");
    let bucket = common::remote::remote_log(&server, BUCKET, "m", "web-b");
    let objects = bucket.segments().unwrap();
    bucket.remote().delete(&objects[2].object_key).unwrap();
    // Segments 0 and 1 kept locally, 2..=4 pruned from the bucket.
    log_of_hours(c.path(), "web-c", 0);
    ship_keeping(&server, c.path(), "web-c", None);
    for no in 2..6 {
        std::fs::remove_file(segment(c.path(), "web-c", no)).unwrap();
    }
    let pruned = common::remote::remote_log(&server, BUCKET, "m", "web-c");
    let keep_one = PruneOptions {
        max_segments: Some(1),
        ..PruneOptions::default()
    };
    pruned.prune(&keep_one).unwrap();

    let url = format!("s3://{BUCKET}/m");
    let cases: [(&str, Vec<&str>, &str); 3] = [
        (
            "web-a",
            vec![a.path().to_str().unwrap()],
            "a segment of the log before this one is missing",
        ),
        ("web-b", vec![&url], "is not in the bucket"),
        (
            "web-c",
            vec![c.path().to_str().unwrap(), &url],
            "removed by retention",
        ),
    ];
    for (log, places, why) in &cases {
        for cmd in [&["cat", "--merge"][..], &["tail", "--merge", "-n", "1000"]] {
            let args = [cmd, places.as_slice(), &["--log", log]].concat();
            let (code, err) = status_and_stderr(&server, &args);
            assert_eq!(code, Some(1), "{args:?}: {err}");
            assert!(
                err.contains(&format!("gap in log {log}: ")),
                "{args:?}: {err}"
            );
            assert!(err.contains(why), "{args:?}: {err}");
        }
    }
    // The same logs read one at a time.
    let one_a = ["cat", a.path().to_str().unwrap(), "--log", "web-a"];
    let one_b = format!("{url}/web-b");
    for args in [&one_a[..], &["cat", &one_b]] {
        let (code, err) = status_and_stderr(&server, args);
        assert_eq!(code, Some(1), "{args:?}: {err}");
    }
}
