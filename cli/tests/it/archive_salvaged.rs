//! A log with a salvaged file (docs/FORMAT.md section 14a, "Salvaged
//! files": records after damage in the middle of an unsealed segment,
//! copied out by the writer's open) shipped to a real S3-compatible server
//! (versitygw, tests/it/common/s3.rs): the salvaged file is shipped after its
//! segment and removed locally like one, so the bucket alone holds every
//! record once; and a log read from its directory and its bucket reads it
//! in its place whichever of the segment and the salvaged file is local.

use crate::common;

use binlog::archive::{Location, PruneOptions, RemoteLog, ShipOptions, Shipper};
use binlog::{list_segments, LogReader};
use common::remote::remote_log;
use common::s3::S3Server;
use common::shipping::log_with_a_salvaged_file;
use common::TempDir;
use std::path::Path;
use std::process::{Command, Output};

const BUCKET: &str = "logs";
/// Records of the log `log_with_a_salvaged_file` makes: 0..END.
const END: u64 = 40;
/// The record the damage destroyed.
const LOST: u64 = 24;

/// The record `i` is written as.
fn record(i: u64) -> (&'static str, Vec<u8>) {
    ("trade", format!("payload {i}").into_bytes())
}

/// Every record of the log but `LOST`, in order.
fn every_record() -> Vec<u64> {
    (0..END).filter(|&s| s != LOST).collect()
}

/// The gaps a log reader reports of the log: record `LOST` alone, lost to
/// damage in segment 2.
fn lost_gap(gaps: &str) -> bool {
    gaps.contains("reason: Damage") && gaps.contains("from_seq: Some(24), to_seq: Some(25)")
}

/// Ships log `orders` in `dir` to s3://logs/`prefix`, removing local
/// copies past the newest `keep_local` sealed segments.
fn ship(server: &S3Server, dir: &Path, prefix: &str, keep_local: Option<usize>) {
    let o = ShipOptions {
        keep_local,
        connection: server.connection(),
        ..ShipOptions::default()
    };
    let to = Location::parse(&format!("s3://{BUCKET}/{prefix}")).unwrap();
    let mut s = Shipper::open(dir, "orders", &to, o).unwrap();
    s.ship_once().unwrap();
}

fn bucket(server: &S3Server, prefix: &str) -> RemoteLog {
    remote_log(server, BUCKET, prefix, "orders")
}

/// Every record `r` reads, checked against what was written; and the gaps
/// it reported.
fn read_all(mut r: LogReader) -> (Vec<u64>, String) {
    let mut seqs = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        let (ty, p) = record(rec.seq);
        assert_eq!((rec.type_name, rec.payload), (ty, &p[..]), "{}", rec.seq);
        seqs.push(rec.seq);
    }
    (seqs, format!("{:?}", r.gaps()))
}

fn binlog(server: &S3Server, args: &[&str]) -> Output {
    Command::new(crate::common::cli::tool())
        .args(args)
        .envs(server.env())
        .output()
        .unwrap()
}

#[test]
fn ship_keep_local_0_of_a_log_with_a_salvaged_file_leaves_a_bucket_that_reads_every_record_once() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("salvaged-ship");
    log_with_a_salvaged_file(dir.path());
    ship(&server, dir.path(), "all", Some(0));
    let left = list_segments(dir.path(), "orders").unwrap();
    assert!(left.is_empty(), "every file shipped and removed: {left:?}");

    let all = every_record();
    let (seqs, gaps) = read_all(LogReader::open_remote(bucket(&server, "all")).unwrap());
    assert_eq!(seqs, all);
    assert!(lost_gap(&gaps), "{gaps}");
    let url = format!("s3://{BUCKET}/all/orders");
    let cat = binlog(&server, &["cat", &url]);
    let text = String::from_utf8_lossy(&cat.stdout);
    let printed: Vec<u64> = text
        .lines()
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(printed, all, "{text}");
    // `cat` (on stderr) and `verify` of the bucket report what they report
    // of the log before it was shipped: record 24 lost, nothing else; each
    // salvaged object is read as a clean file of the log.
    let verify = binlog(&server, &["verify", &url]);
    let verdicts = String::from_utf8_lossy(&verify.stdout).into_owned();
    let objects = verdicts.lines().filter(|l| l.starts_with("ok ")).count();
    assert_eq!(objects, 5, "4 segments and the salvaged file: {verdicts}");
    let problems: Vec<&str> = verdicts.lines().filter(|l| !l.starts_with("ok ")).collect();
    assert_eq!(
        problems,
        ["GAP     records 24..24 are in no object"],
        "{verdicts}"
    );
    assert_eq!(verify.status.code(), Some(1));
    let gaps = String::from_utf8_lossy(&cat.stderr).into_owned();
    assert_eq!(gaps.lines().count(), 1, "{gaps}");
    assert!(gaps.contains("record 24 is missing"), "{gaps}");
    assert_eq!(cat.status.code(), Some(1), "{cat:?}");
}

#[test]
fn a_log_read_from_its_directory_and_bucket_reads_a_salvaged_file_in_its_place_whichever_is_local()
{
    let server = S3Server::start(&[BUCKET]);
    let all = every_record();
    for salvaged_local in [true, false] {
        let dir = TempDir::new("salvaged-tiered");
        let (seg, salvaged) = log_with_a_salvaged_file(dir.path());
        let prefix = format!("tiered-{salvaged_local}");
        ship(&server, dir.path(), &prefix, None);
        let gone = if salvaged_local { &seg } else { &salvaged };
        std::fs::remove_file(gone).unwrap();
        let tiered =
            LogReader::open_tiered(dir.path(), "orders", bucket(&server, &prefix)).unwrap();
        let (seqs, gaps) = read_all(tiered);
        let removed = gone.display();
        assert_eq!(seqs, all, "{removed} removed locally");
        assert!(lost_gap(&gaps), "{removed} removed locally: {gaps}");
    }
}

#[test]
fn a_prune_keeps_or_deletes_a_salvaged_object_with_its_segment_and_counts_them_as_one() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("salvaged-prune");
    log_with_a_salvaged_file(dir.path());
    ship(&server, dir.path(), "pruned", None);
    let log = bucket(&server, "pruned");
    let listed = |log: &RemoteLog| -> Vec<(u64, bool)> {
        let objects = log.segments().unwrap();
        objects
            .iter()
            .map(|s| (s.key.segment_no, s.key.salvaged.is_some()))
            .collect()
    };
    let before = listed(&log);
    let listed_before = before.clone();
    assert!(before.contains(&(2, true)), "{before:?}");
    let newest = before.last().unwrap().0;

    // Two segments kept: segment 2 with its salvaged file among them when
    // it is one of the two newest, else both gone.
    let opts = PruneOptions {
        max_segments: Some(2),
        ..PruneOptions::default()
    };
    log.prune(&opts).unwrap();
    let after = listed(&log);
    let kept: Vec<u64> = (newest - 1..=newest).collect();
    let expected: Vec<(u64, bool)> = before
        .into_iter()
        .filter(|(n, _)| kept.contains(n))
        .collect();
    assert_eq!(after, expected, "before the prune: {:?}", listed_before);
    let (seqs, gaps) = read_all(LogReader::open_remote(bucket(&server, "pruned")).unwrap());
    let first_kept = seqs[0];
    let all: Vec<u64> = every_record()
        .into_iter()
        .filter(|&s| s >= first_kept)
        .collect();
    assert_eq!(seqs, all, "{gaps}");
    assert!(!gaps.contains("Missing"), "{gaps}");
}
