//! Object storage benchmark (not a test): `make bench` runs it as
//! `cargo bench --bench archive -- target/bench-archive.json`, against a
//! real S3-compatible server it starts on 127.0.0.1 (versitygw, or MinIO
//! with `BINLOG_S3_SERVER=minio`: tests/common/s3.rs).
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
//! - remote follow (follow.rs): from a segment's upload to its first
//!   record returned by a follower of the bucket alone, p50 and p99;
//! - merged read by time (merged.rs): 100 logs of a day in hourly
//!   segment objects, one hour read as one stream; objects read and
//!   passed over, GETs, and records/s against one log of the same records.
//!
//! Exit status 0 even when a target is missed; a panic if something fails.
//! Run by `cargo test` (without the `--bench` argument `cargo bench`
//! gives), it does the same on two 1 MiB segments, one round: a check that
//! it still runs, its figures not meaningful.

#[path = "../../tests/common/mod.rs"]
mod common;

mod client;
mod follow;
mod full_read;
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
}

const BENCH: Size = Size {
    segments: 8,
    segment_bytes: 60 << 20,
    rounds: 7,
    follow_segments: 61,
};
const SMOKE: Size = Size {
    segments: 2,
    segment_bytes: 1 << 20,
    rounds: 1,
    follow_segments: 3,
};

fn main() {
    let json_out = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let size = match std::env::args().any(|a| a == "--bench") {
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

/// Every figure the arguments ask for, as JSON members.
fn measure_all(dir: &Path, size: &Size) -> Vec<String> {
    // `--follow-only`: the remote follow latency alone.
    if std::env::args().any(|a| a == "--follow-only") {
        let server = S3Server::start(&[BUCKET]);
        return vec![follow::measure(&server, dir, size.follow_segments)];
    }
    // `--merged-only`: the merged read by time alone.
    let merged_size = match std::env::args().any(|a| a == "--bench") {
        true => merged::MERGED_BENCH,
        false => merged::MERGED_SMOKE,
    };
    if std::env::args().any(|a| a == "--merged-only") {
        let server = S3Server::start(&[BUCKET]);
        return vec![merged::measure(&server, dir, &merged_size)];
    }
    let logs = segments::make_logs(dir, size);
    let server = S3Server::start(&[BUCKET]);
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
    let full_read_only = std::env::args().any(|a| a == "--full-read-only");
    let reads_only = full_read_only || std::env::args().any(|a| a == "--reads-only");
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
    if !reads_only {
        results.push(follow::measure(&server, dir, size.follow_segments));
        results.push(merged::measure(&server, dir, &merged_size));
    }
    results
}

/// The median of some figures.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
