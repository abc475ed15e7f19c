//! A log with a salvaged file (docs/FORMAT.md section 14a, "Salvaged
//! files": records after damage in the middle of an unsealed segment,
//! copied out by the writer's open) shipped to a real S3-compatible server
//! (versitygw, tests/common/s3.rs): the salvaged file is shipped after its
//! segment and removed locally like one, so the bucket alone holds every
//! record once; and a log read from its directory and its bucket reads it
//! in its place whichever of the segment and the salvaged file is local.

mod common;

use binlog::archive::{Location, RemoteLog, ShipOptions, Shipper};
use binlog::{list_segments, LogReader, Reader};
use common::remote::remote_log;
use common::s3::S3Server;
use common::TempDir;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BUCKET: &str = "logs";
/// Records of the log `log_with_a_salvaged_file` makes: 0..END.
const END: u64 = 40;

/// The record `i` is written as: type "late" for record 25 (the first of
/// its type, so a type definition is written just before it), "trade"
/// for the others.
fn record(i: u64) -> (&'static str, Vec<u8>) {
    let ty = if i == 25 { "late" } else { "trade" };
    (ty, format!("payload {i}").into_bytes())
}

/// Log `orders` in `dir` of records 0..END, 10 a segment, whose segment 2
/// (records 20..29) its writer found without a seal and with the type
/// definition before record 25 damaged (what a power cut leaves): the open
/// copied records 25..29 into a salvaged file and cut the segment before
/// the damage, so every record is in the log once, none lost. Returns the
/// segment's path and the salvaged file's.
fn log_with_a_salvaged_file(dir: &Path) -> (PathBuf, PathBuf) {
    let w = common::open_rolling(dir, "orders", 10);
    for i in 0..30 {
        let (ty, p) = record(i);
        assert_eq!(w.write(ty, &p).unwrap(), i);
    }
    w.close().unwrap();
    let seg = list_segments(dir, "orders").unwrap()[2].path.clone();
    // Its seal gone and no manifest of the close: as a killed writer
    // leaves it.
    let end = Reader::open(&seg).unwrap().seal().unwrap().records_end;
    let f = std::fs::OpenOptions::new().write(true).open(&seg).unwrap();
    f.set_len(end).unwrap();
    std::fs::remove_file(dir.join("orders.manifest")).unwrap();
    let frames = common::frames(&seg);
    let def_start = frames[4].0 + frames[4].1;
    assert!(def_start < frames[5].0, "a type definition before record 25");
    common::flip_byte(&seg, (def_start + frames[5].0) / 2);

    let w = common::open_rolling(dir, "orders", 10);
    assert_eq!(w.next_seq().unwrap(), 30, "no number lost");
    for i in 30..END {
        let (ty, p) = record(i);
        assert_eq!(w.write(ty, &p).unwrap(), i);
    }
    w.close().unwrap();
    let salvaged: Vec<PathBuf> = list_segments(dir, "orders")
        .unwrap()
        .into_iter()
        .filter(|l| l.salvaged_offset.is_some())
        .map(|l| l.path)
        .collect();
    assert_eq!(salvaged.len(), 1, "one salvaged file");
    (seg, salvaged[0].clone())
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
        let ty = if rec.seq == 25 { rec.type_name } else { ty };
        assert_eq!((rec.type_name, rec.payload), (ty, &p[..]), "{}", rec.seq);
        seqs.push(rec.seq);
    }
    (seqs, format!("{:?}", r.gaps()))
}

fn binlog(server: &S3Server, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_binlog"))
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

    let all: Vec<u64> = (0..END).collect();
    let (seqs, gaps) = read_all(LogReader::open_remote(bucket(&server, "all")).unwrap());
    assert_eq!((seqs, gaps.as_str()), (all.clone(), "[]"));
    let url = format!("s3://{BUCKET}/all/orders");
    let cat = binlog(&server, &["cat", &url]);
    let text = String::from_utf8_lossy(&cat.stdout);
    assert!(cat.status.success(), "{cat:?}");
    let printed: Vec<u64> = text
        .lines()
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(printed, all, "{text}");
    let verify = binlog(&server, &["verify", &url]);
    assert!(verify.status.success(), "verify of the bucket: {verify:?}");
}

#[test]
fn a_log_read_from_its_directory_and_bucket_reads_a_salvaged_file_in_its_place_whichever_is_local()
{
    let server = S3Server::start(&[BUCKET]);
    let all: Vec<u64> = (0..END).collect();
    for salvaged_local in [true, false] {
        let dir = TempDir::new("salvaged-tiered");
        let (seg, salvaged) = log_with_a_salvaged_file(dir.path());
        let prefix = format!("tiered-{salvaged_local}");
        ship(&server, dir.path(), &prefix, None);
        let gone = if salvaged_local { &seg } else { &salvaged };
        std::fs::remove_file(gone).unwrap();
        let tiered = LogReader::open_tiered(dir.path(), "orders", bucket(&server, &prefix)).unwrap();
        let (seqs, gaps) = read_all(tiered);
        assert_eq!(
            (seqs, gaps.as_str()),
            (all.clone(), "[]"),
            "{} removed locally",
            gone.display()
        );
    }
}
