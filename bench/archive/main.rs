//! Object storage benchmark (not a test): `make bench` runs it as
//! `cargo bench --bench archive -- target/bench-archive.json`, against a
//! real S3-compatible server it starts on 127.0.0.1 (versitygw, or MinIO
//! with `BINLOG_S3_SERVER=minio`: tests/it/common/s3.rs).
//!
//! - upload (upload.rs): `Shipper` shipping a log's sealed segments, plain
//!   and compressed, against the same object_store client PUTting the same
//!   files with no journal, hashing or verification; interleaved pairs,
//!   the median ratio of their speeds.
//! - open and seek (seek.rs): the GETs and bytes the library's reader of
//!   an object, compressed and plain (`RemoteLog::open_reader`), sends to
//!   open it and reach the record with a given sequence number, as a
//!   share of the object.
//! - full read (full_read.rs): a segment's object read to its end by the
//!   library's reader (every record's CRC checked; streamed with ranged
//!   GETs and read-ahead), against one plain GET of the object.
//! - full read of the compressed log (log_read.rs): every segment's
//!   object read by the library's reader of a log in a bucket
//!   (`LogReader::open_remote`, decompressed ahead), against boto3
//!   downloading the same objects into `zstd -d`.
//! - remote follow (follow.rs): from a segment's upload to its first
//!   record returned by a follower of the bucket alone, p50 and p99;
//! - merged read by time (merged.rs): 100 logs of a day in hourly
//!   segment objects, one hour read as one stream; objects read and
//!   passed over, GETs, and records/s against one log of the same records.
//! - remote ls (listing.rs): `archive::list_logs` of a prefix of 100 logs
//!   of 100 segment objects, its requests and time against boto3 listing
//!   the same keys.
//!
//! The boto3 baselines run in a Python process of their own (boto3.rs).
//! Every ratio is the median of the per-pair ratios of interleaved pairs
//! (7, after one not measured), printed and written with the number of
//! pairs and their spread (`Ratios`).
//!
//! Exit status 0 even when a target is missed; a panic if something fails.
//! Run by `cargo test` (without the `--bench` argument `cargo bench`
//! gives), it does the same at small sizes (two 1 MiB segments, 5 logs for
//! the merged read, 3 logs of 3 segments for remote ls), one pair: a check
//! that it still runs, its figures not meaningful.

#[path = "../../tests/it/common/mod.rs"]
mod common;

mod boto3;
mod client;
mod follow;
mod full_read;
mod listing;
mod log_read;
mod merged;
mod seek;
mod segments;
mod upload;

use common::s3::S3Server;
use std::path::{Path, PathBuf};

const BUCKET: &str = "bench";

/// The sizes of a run.
pub struct Size {
    /// Sealed segments of the log shipped.
    pub segments: u64,
    /// Bytes a segment's records take before it rolls.
    pub segment_bytes: u64,
    /// Measured rounds (after one not measured).
    pub rounds: usize,
    /// Segments shipped one at a time to a follower (the first before it
    /// starts: not measured).
    pub follow_segments: u64,
    pub merged: merged::MergedSize,
    /// Logs, and segment objects each, under the prefix remote ls lists.
    pub listing_logs: usize,
    pub listing_segments: u64,
}

const BENCH: Size = Size {
    segments: 8,
    segment_bytes: 60 << 20,
    rounds: 7,
    follow_segments: 61,
    merged: merged::MERGED_BENCH,
    listing_logs: 100,
    listing_segments: 100,
};
const SMOKE: Size = Size {
    segments: 2,
    segment_bytes: 1 << 20,
    rounds: 1,
    follow_segments: 3,
    merged: merged::MERGED_SMOKE,
    listing_logs: 3,
    listing_segments: 3,
};

/// Whether `name` is among the arguments.
fn arg(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

fn main() {
    let json_out = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let size = match arg("--bench") {
        true => BENCH,
        false => SMOKE,
    };
    let dir = PathBuf::from("target/bench-tmp-archive");
    let _ = std::fs::remove_dir_all(&dir);
    let results = measure_all(&dir, &size);
    let _ = std::fs::remove_dir_all(&dir);
    let json = format!("{{{}}}\n", results.join(",\n"));
    if let Some(path) = json_out {
        std::fs::write(&path, &json).expect("write results");
        println!("results in {path}");
    }
}

/// The figure an argument asks for alone, if one does: `--follow-only`
/// (the remote follow latency), `--merged-only` (the merged read by
/// time), `--listing-only` (remote ls).
fn measure_alone(dir: &Path, size: &Size) -> Option<String> {
    let server = || S3Server::start(&[BUCKET]);
    if arg("--follow-only") {
        return Some(follow::measure(&server(), dir, size.follow_segments));
    }
    if arg("--merged-only") {
        return Some(merged::measure(&server(), dir, &size.merged));
    }
    if arg("--listing-only") {
        let server = server();
        let mut boto3 = boto3::Boto3::start(&server);
        return Some(listing::measure(&server, size, &mut boto3));
    }
    None
}

/// Every figure the arguments ask for, as JSON members.
fn measure_all(dir: &Path, size: &Size) -> Vec<String> {
    if let Some(alone) = measure_alone(dir, size) {
        return vec![alone];
    }
    let logs = segments::make_logs(dir, size);
    let server = S3Server::start(&[BUCKET]);
    let mut boto3 = boto3::Boto3::start(&server);
    println!(
        "server: {}; {} sealed segments of {:.1} MB (plain), {:.1} MB (compressed)",
        common::s3::server_name(),
        logs.plain.len(),
        logs.mean_bytes(false) as f64 / 1e6,
        logs.mean_bytes(true) as f64 / 1e6,
    );
    let mut results = Vec::new();
    // `--full-read-only`: the full reads alone (the uploads and seeks
    // measured by other runs), for a change to the reading of objects;
    // `--reads-only`: the seeks and the full reads.
    let full_read_only = arg("--full-read-only");
    let reads_only = full_read_only || arg("--reads-only");
    for compressed in [false, true].into_iter().filter(|_| !reads_only) {
        results.push(upload::measure(&server, &logs, compressed, size.rounds));
    }
    let shipped = upload::ship_for_reading(&server, &logs);
    for object in [&shipped.compressed, &shipped.plain] {
        if !full_read_only {
            results.push(seek::measure(&server, object));
        }
    }
    for object in [&shipped.compressed, &shipped.plain] {
        results.push(full_read::measure(&server, object, size.rounds));
    }
    let compressed = &shipped.compressed;
    let log = log_read::measure(&server, &logs, compressed, &mut boto3, size.rounds);
    results.push(log);
    if !reads_only {
        results.push(follow::measure(&server, dir, size.follow_segments));
        results.push(merged::measure(&server, dir, &size.merged));
        results.push(listing::measure(&server, size, &mut boto3));
    }
    results
}

/// The median of some figures.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `a` and `b` run in `pairs` pairs after one pair not measured, which
/// goes first alternating from pair to pair, so that a disturbance of the
/// shared machine falls on both: the measured pairs.
pub fn interleaved<A, B>(
    pairs: usize,
    mut a: impl FnMut() -> A,
    mut b: impl FnMut() -> B,
) -> Vec<(A, B)> {
    let mut out = Vec::with_capacity(pairs);
    for round in 0..=pairs {
        let pair = match round % 2 {
            0 => {
                let first = a();
                (first, b())
            }
            _ => {
                let first = b();
                (a(), first)
            }
        };
        if round > 0 {
            out.push(pair);
        }
    }
    out
}

/// A figure's per-pair ratios: their median and spread.
pub struct Ratios(pub Vec<f64>);

impl Ratios {
    pub fn median(&self) -> f64 {
        median(self.0.clone())
    }

    fn spread(&self) -> (f64, f64) {
        let min = self.0.iter().copied().fold(f64::INFINITY, f64::min);
        (min, self.0.iter().copied().fold(min, f64::max))
    }

    /// `0.95x (median of 7 pairs, 0.90-1.02)`.
    pub fn text(&self) -> String {
        let (min, max) = self.spread();
        let n = self.0.len();
        format!(
            "{:.2}x (median of {n} pairs, {min:.2}-{max:.2})",
            self.median()
        )
    }

    /// The JSON members `"pairs","ratio","ratio_min","ratio_max"`.
    pub fn json(&self) -> String {
        let (min, max) = self.spread();
        format!(
            r#""pairs":{},"ratio":{:.3},"ratio_min":{min:.3},"ratio_max":{max:.3}"#,
            self.0.len(),
            self.median()
        )
    }
}
