//! Following a log from its bucket alone, as a reader on a host that has
//! only the bucket does (a real S3-compatible server, tests/it/common/s3.rs):
//! the library's follower polls the bucket with backoff, not with a LIST
//! per wait, and reads the segments shipped while it waits (so does a
//! tiered follower whose directory holds none of the log, or only its
//! older segments); `binlog tail
//! -f s3://...` in a second process, while a writer writes and `binlog
//! ship --follow` ships, prints every record once, in order, and ends at
//! `--to-seq`.

use crate::common;
use crate::common::child::KillOnDrop;

use binlog::archive::RemoteLog;
use binlog::LogReader;
use common::remote::{remote_log, ship_orders};
use common::s3::S3Server;
use common::{append_orders, TempDir};
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BUCKET: &str = "logs";

#[test]
fn a_follower_of_the_bucket_lists_it_with_backoff_not_on_every_wait() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("follow-backoff");
    append_orders(dir.path(), 20, 10);
    assert_eq!(ship_orders(&server, dir.path(), "backoff"), [0, 1]);
    let log = remote_log(&server, BUCKET, "backoff", "orders");
    let mut r = LogReader::open_remote(log.clone()).unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        seqs.push(rec.seq);
    }
    assert_eq!(seqs, (0..20).collect::<Vec<_>>());

    assert_idle_waits_list_with_backoff(&mut r, &log);

    // A segment shipped now is read by the waits that follow.
    append_orders(dir.path(), 10, 10);
    assert_eq!(ship_orders(&server, dir.path(), "backoff"), [2]);
    follow_to(&mut r, &mut seqs, 29);
    assert_eq!(seqs, (0..30).collect::<Vec<_>>(), "gaps {:?}", r.gaps());
}

/// Short waits of `r` at the end, for a few seconds, with nothing new:
/// the bucket is listed after 250 ms, 500 ms, then once a second at most,
/// however many waits there are.
fn assert_idle_waits_list_with_backoff(r: &mut LogReader, log: &RemoteLog) {
    let before = log.remote().requests().lists;
    let start = Instant::now();
    let mut waits = 0u64;
    while start.elapsed() < Duration::from_secs(3) {
        assert!(r.next_wait(Duration::from_millis(5)).unwrap().is_none());
        waits += 1;
    }
    let idle = start.elapsed();
    let lists = log.remote().requests().lists - before;
    let most = 2 + idle.as_secs() + 1;
    assert!(
        lists <= most && lists < waits,
        "{lists} LISTs in {idle:?} of {waits} waits (at most {most})"
    );
}

/// Adds to `seqs` the records `r` returns, waiting up to 20 s for each,
/// until record `last`.
fn follow_to(r: &mut LogReader, seqs: &mut Vec<u64>, last: u64) {
    while let Some(rec) = r.next_wait(Duration::from_secs(20)).unwrap() {
        seqs.push(rec.seq);
        if rec.seq == last {
            break;
        }
    }
}

/// `binlog ARGS` with the `AWS_*` environment that reaches `server`, run
/// in `cwd`, its output piped.
fn binlog(server: &S3Server, cwd: &Path, args: &[&str]) -> KillOnDrop {
    let child = Command::new(crate::common::cli::tool())
        .args(args)
        .current_dir(cwd)
        .envs(server.env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    KillOnDrop(child)
}

#[test]
fn tail_f_of_the_bucket_in_a_second_process_prints_every_record_once_in_order_and_ends_at_to_seq() {
    const RECORDS: u64 = 400;
    const PER: u64 = 25;
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("follow-tail-writer");
    let elsewhere = TempDir::new("follow-tail-reader");
    append_orders(dir.path(), PER, PER);
    assert_eq!(ship_orders(&server, dir.path(), "live"), [0]);
    let dir_arg = dir.path().to_str().unwrap();
    let _ship = binlog(
        &server,
        dir.path(),
        &[
            "ship",
            dir_arg,
            "--log",
            "orders",
            "--to",
            "s3://logs/live",
            "--follow",
            "--interval",
            "0.2",
        ],
    );
    // The follower's host has the bucket alone: it runs elsewhere.
    let last = (RECORDS - 1).to_string();
    let mut tail = binlog(
        &server,
        elsewhere.path(),
        &[
            "tail",
            "-f",
            "-n",
            "1000000",
            "s3://logs/live/orders",
            "--to-seq",
            &last,
        ],
    );
    let out = drain(tail.0.stdout.take().unwrap());
    let err = drain(tail.0.stderr.take().unwrap());

    // The writer goes on, a few records at a time, rolling every PER;
    // closed, it seals its last segment, which is shipped too.
    let w = common::open_rolling(dir.path(), "orders", PER);
    for i in PER..RECORDS {
        w.write("trade", format!("payload {i}").as_bytes()).unwrap();
        if i % 10 == 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    w.close().unwrap();

    let status = wait_at_most(&mut tail.0, Duration::from_secs(120));
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    assert_eq!(status.code(), Some(0), "{err}");
    let seqs: Vec<u64> = out
        .lines()
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(
        seqs == (0..RECORDS).collect::<Vec<_>>(),
        "{} records printed, first {:?}, last {:?}; {err}",
        seqs.len(),
        seqs.first(),
        seqs.last()
    );
    assert!(err.is_empty(), "{err}");
}

/// Everything `from` gives until it ends, read on a thread.
fn drain(mut from: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        from.read_to_string(&mut s).unwrap();
        s
    })
}

/// `child`'s exit status; the test fails if it has not exited by `most`.
fn wait_at_most(child: &mut Child, most: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + most;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "still running after {most:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_tiered_follower_whose_directory_holds_none_of_the_log_reads_segments_shipped_while_it_waits() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("follow-tiered-writer");
    let empty = TempDir::new("follow-tiered-reader");
    append_orders(dir.path(), 20, 10);
    assert_eq!(ship_orders(&server, dir.path(), "tiered"), [0, 1]);
    let log = remote_log(&server, BUCKET, "tiered", "orders");
    let mut r = LogReader::open_tiered(empty.path(), "orders", log).unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next_wait(Duration::from_millis(50)).unwrap() {
        seqs.push(rec.seq);
    }
    assert_eq!(seqs, (0..20).collect::<Vec<_>>());

    append_orders(dir.path(), 20, 10);
    assert_eq!(ship_orders(&server, dir.path(), "tiered"), [2, 3]);
    follow_to(&mut r, &mut seqs, 39);
    assert_eq!(seqs, (0..40).collect::<Vec<_>>(), "gaps {:?}", r.gaps());
}

#[test]
fn a_tiered_follower_whose_directory_holds_only_older_segments_reads_segments_shipped_while_it_waits(
) {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("follow-older-writer");
    let older = TempDir::new("follow-older-reader");
    append_orders(dir.path(), 20, 10);
    assert_eq!(ship_orders(&server, dir.path(), "older"), [0, 1]);
    // The reader's directory holds copies of segments 0 and 1 alone.
    for l in binlog::list_segments(dir.path(), "orders").unwrap() {
        std::fs::copy(
            &l.path,
            older.join(l.path.file_name().unwrap().to_str().unwrap()),
        )
        .unwrap();
    }
    let log = remote_log(&server, BUCKET, "older", "orders");
    let mut r = LogReader::open_tiered(older.path(), "orders", log.clone()).unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next_wait(Duration::from_millis(50)).unwrap() {
        seqs.push(rec.seq);
    }
    assert_eq!(seqs, (0..20).collect::<Vec<_>>());
    assert_idle_waits_list_with_backoff(&mut r, &log);

    // Segments 2 and 3 are in the bucket alone: read from there.
    append_orders(dir.path(), 20, 10);
    assert_eq!(ship_orders(&server, dir.path(), "older"), [2, 3]);
    follow_to(&mut r, &mut seqs, 39);
    assert_eq!(seqs, (0..40).collect::<Vec<_>>(), "gaps {:?}", r.gaps());
}
