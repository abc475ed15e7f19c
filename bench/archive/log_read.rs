//! A full read of the compressed log shipped for reading, through the
//! library's reader of a log in a bucket (`LogReader::open_remote`, then
//! `next` to the end: every record's CRC and sequence number checked; each
//! object streamed with ranged GETs and read-ahead and decompressed ahead
//! on the default decoding threads), against boto3 downloading the same
//! objects into `zstd -d` (boto3_baseline.py), in interleaved pairs.
//!
//! Where the time goes, timed after each pair: the same objects fetched
//! whole by plain GETs (object_store, one at a time, nothing decoded);
//! from the log's local compressed files (nothing fetched), the library's
//! read with the same decoding threads, and `zstd -d` of the files.

use crate::boto3::{Boto3, Fetched};
use crate::client::Client;
use crate::common::s3::S3Server;
use crate::common::{cpu_seconds, thread_cpu_seconds};
use crate::segments::{Logs, LOG};
use crate::upload::Object;
use crate::{interleaved, median, Ratios};
use binlog::archive::object_name::segment_key;
use binlog::archive::{Location, Remote, RemoteLog};
use binlog::LogReader;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

/// The decoding threads: `BINLOG_BENCH_DECODE_THREADS`, else the remote
/// reader's default.
fn decode_threads(r: &mut LogReader) {
    if let Some(threads) = crate::common::bench_decode_threads() {
        r.decode_threads(threads);
    }
}

/// Reads `r` to its end: the records, checked in order from 0.
fn read_to_end(mut r: LogReader, records: u64) {
    let mut want = 0;
    while let Some(rec) = r.next().expect("read") {
        assert_eq!(rec.seq, want, "records in order");
        want += 1;
    }
    assert_eq!(want, records, "records read");
}

/// Seconds, and CPU ms per MB of the objects: the process's and the
/// reader's thread's.
fn remote_read(log: &RemoteLog, records: u64, mb: f64) -> (f64, f64, f64) {
    let (cpu, own) = (cpu_seconds(), thread_cpu_seconds());
    let t = Instant::now();
    let mut r = LogReader::open_remote(log.clone()).expect("open remote log");
    decode_threads(&mut r);
    read_to_end(r, records);
    let secs = t.elapsed().as_secs_f64();
    let ms_mb = |s: f64| s * 1e3 / mb;
    let own = ms_mb(thread_cpu_seconds() - own);
    (secs, ms_mb(cpu_seconds() - cpu), own)
}

/// Seconds plain GETs of the whole objects take, one after the other.
fn gets_alone(client: &Client, keys: &[String]) -> f64 {
    let t = Instant::now();
    keys.iter().for_each(|k| drop(client.get(k)));
    t.elapsed().as_secs_f64()
}

/// Seconds the log's full read takes from its local compressed files,
/// decompressed ahead on as many threads as the remote read's.
fn local_read(logs: &Logs, records: u64) -> f64 {
    let t = Instant::now();
    let mut r = LogReader::open(logs.dir(true), LOG).expect("open local log");
    r.decode_threads(binlog::compressed::decode_ahead::default_threads());
    decode_threads(&mut r);
    read_to_end(r, records);
    t.elapsed().as_secs_f64()
}

/// Seconds `zstd -d` takes to decompress the log's local compressed
/// files (output discarded).
fn zstd_alone(logs: &Logs) -> f64 {
    let t = Instant::now();
    let status = Command::new("zstd")
        .args(["-d", "-c", "-q"])
        .args(logs.sealed(true).iter().map(|s| &s.path))
        .stdout(Stdio::null())
        .status()
        .expect("run zstd -d");
    assert!(status.success(), "zstd -d: {status}");
    t.elapsed().as_secs_f64()
}

pub fn measure(
    server: &S3Server,
    logs: &Logs,
    shipped: &Object,
    boto3: &mut Boto3,
    pairs: usize,
) -> String {
    let sealed = logs.sealed(true);
    let keys: Vec<String> = sealed
        .iter()
        .map(|s| {
            let first = s.first_seq.expect("records");
            segment_key(&shipped.prefix, LOG, s.segment_no, first, true)
        })
        .collect();
    let records = sealed.last().and_then(|s| s.last_seq).expect("records") + 1;
    let bytes = logs.total_bytes(true);
    let mb = bytes as f64 / 1e6;
    let at =
        Location::parse(&format!("s3://{}/{}", crate::BUCKET, shipped.prefix)).expect("location");
    let remote = Remote::connect(&at, &server.connection()).expect("connect");
    let log = RemoteLog::new(Arc::new(remote), LOG).expect("remote log");
    let client = Client::new(server);
    let (mut gets_s, mut local_s, mut zstd_s) = (Vec::new(), Vec::new(), Vec::new());
    let measured = interleaved(
        pairs,
        || {
            let ours = remote_read(&log, records, mb);
            gets_s.push(gets_alone(&client, &keys));
            local_s.push(local_read(logs, records));
            zstd_s.push(zstd_alone(logs));
            ours
        },
        || boto3.fetch(&keys),
    );
    for (_, b) in &measured {
        assert_eq!(b.bytes, bytes, "bytes boto3 downloaded");
    }
    let ratios = Ratios(measured.iter().map(|(a, b)| b.secs / a.0).collect());
    let mb_s = |v: Vec<f64>| mb / median(v);
    let ours = mb_s(measured.iter().map(|(a, _)| a.0).collect());
    let theirs = mb_s(measured.iter().map(|(_, b)| b.secs).collect());
    let cpu = median(measured.iter().map(|(a, _)| a.1).collect());
    let own = median(measured.iter().map(|(a, _)| a.2).collect());
    let (gets, local, zstd) = (mb_s(gets_s), mb_s(local_s), mb_s(zstd_s));
    let ms_mb =
        |f: fn(&Fetched) -> f64| median(measured.iter().map(|(_, b)| f(b)).collect()) * 1e3 / mb;
    let (py_cpu, zstd_cpu) = (ms_mb(|b| b.cpu), ms_mb(|b| b.zstd_cpu));
    println!(
        "full read of the compressed log ({} objects, {mb:.1} MB, {records} records; \
         LogReader::open_remote, next to the end): {ours:.0} MB/s of the objects vs boto3 \
         downloading them into zstd -d {theirs:.0} MB/s: {} (target >= 0.90); CPU ms per MB of \
         the objects: the reader's process {cpu:.2} ({own:.2} on the reader's thread), boto3's \
         {py_cpu:.2} and zstd's {zstd_cpu:.2}; the same objects by plain GETs alone {gets:.0} \
         MB/s; from the local files, the library's read {local:.0} MB/s, zstd -d {zstd:.0} MB/s",
        keys.len(),
        ratios.text(),
    );
    format!(
        r#""full_read_compressed_log":{{"objects":{},"object_bytes":{bytes},"records":{records},"read_mb_s":{ours:.1},"boto3_zstd_mb_s":{theirs:.1},"cpu_ms_per_object_mb":{cpu:.3},"own_thread_cpu_ms_per_object_mb":{own:.3},"boto3_cpu_ms_per_object_mb":{py_cpu:.3},"zstd_cpu_ms_per_object_mb":{zstd_cpu:.3},"plain_gets_alone_mb_s":{gets:.1},"local_files_mb_s":{local:.1},"local_zstd_mb_s":{zstd:.1},{}}}"#,
        keys.len(),
        ratios.json()
    )
}
