//! Type copies (docs/FORMAT.md 17.5) of a compressed segment shipped to a
//! real S3-compatible server (versitygw on 127.0.0.1, tests/it/common/s3.rs):
//! opening the object costs the same two ranged GETs as without copies,
//! and a type filter on the rare type reads its records from the copy in a
//! few more, fetching a small part of the object.

use crate::common;

use binlog::archive::{Location, Remote, RemoteLog, ShipOptions, Shipper};
use binlog::compressed::CompressedSegment;
use binlog::{compress_segment, CompressOptions};
use binlog::{list_segments, LogOptions};
use binlog::{LogWriter, Reader};
use common::s3::S3Server;
use common::{copy, Rec, Rng, TempDir};
use std::sync::Arc;

const BUCKET: &str = "logs";
const PER: u64 = 6000;

/// Record `i`: every 50th a "rare" one, else a "trade"; 200 random bytes
/// and some text.
fn record(i: u64) -> (&'static str, Vec<u8>) {
    let mut r = Rng::new(i);
    let mut p: Vec<u8> = (0..25).flat_map(|_| r.next_u64().to_le_bytes()).collect();
    p.extend(format!("record {i:>8} ").repeat(9).bytes());
    (if i % 50 == 3 { "rare" } else { "trade" }, p)
}

fn rare_records(path: &std::path::Path) -> Vec<Rec> {
    let mut r = Reader::open(path).unwrap();
    r.filter_types(&["rare"]);
    let mut out = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        out.push(copy(&rec));
    }
    out
}

#[test]
fn a_type_filter_on_a_remote_segment_reads_the_copy_in_a_few_ranged_gets() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("copies-remote");
    let opts = LogOptions {
        max_segment_records: Some(PER),
        background: false,
        ..LogOptions::default()
    };
    let w = LogWriter::open(dir.path(), "orders", opts).unwrap();
    for i in 0..2 * PER {
        let (t, p) = record(i);
        w.write(t, &p).unwrap();
    }
    w.close().unwrap();
    let first = list_segments(dir.path(), "orders").unwrap()[0].path.clone();
    let plain = dir.join("plain.binlog.keep");
    std::fs::copy(&first, &plain).unwrap();
    let o = CompressOptions {
        frame_size: 64 << 10,
        ..CompressOptions::default()
    };
    let zst = compress_segment(&first, &o).unwrap().path;
    assert!(
        CompressedSegment::open(&zst)
            .unwrap()
            .copy_directory()
            .unwrap()
            .is_some(),
        "the rare type has a copy"
    );
    let want = rare_records(&plain);
    assert_eq!(want.len() as u64, PER / 50);

    let location = Location::parse(&format!("s3://{BUCKET}/c")).unwrap();
    let ship = ShipOptions {
        keep_local: Some(1),
        connection: server.connection(),
        ..ShipOptions::default()
    };
    let mut s = Shipper::open(dir.path(), "orders", &location, ship).unwrap();
    assert_eq!(s.ship_once().unwrap().removed_local, [0]);
    let remote = Remote::connect(&location, &server.connection()).unwrap();
    let log = RemoteLog::new(Arc::new(remote), "orders").unwrap();
    let seg = &log.segments().unwrap()[0];
    assert!(seg.key.compressed);

    let before = log.remote().requests();
    let mut r = log.open_reader(&seg.object_key, false).unwrap();
    let opened = log.remote().requests();
    assert_eq!(opened.gets - before.gets, 2, "open: {opened:?}");
    r.filter_types(&["rare"]);
    let mut got = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        got.push(copy(&rec));
    }
    assert!(got == want, "the rare records, in order");
    let read = log.remote().requests();
    let (gets, bytes) = (read.gets - opened.gets, read.bytes - before.bytes);
    assert!(gets <= 3, "{gets} GETs for the filtered read");
    assert!(
        bytes * 4 < seg.size,
        "{bytes} bytes fetched of {}",
        seg.size
    );
    eprintln!(
        "open + the rare type of a {} byte object: {} GETs, {bytes} bytes",
        seg.size,
        read.gets - before.gets
    );
}
