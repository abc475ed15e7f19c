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
mod full_read;
mod merged;
mod seek;
mod segments;
mod upload;

use common::s3::S3Server;
use std::path::PathBuf;

const BUCKET: &str = "bench";

/// The sizes of a run.
pub struct Size {
    /// Sealed segments of the log shipped.
    pub segments: u64,
    /// Bytes a segment's records take before it rolls.
    pub segment_bytes: u64,
    /// Measured rounds (after one not measured).
    pub rounds: usize,
}

const BENCH: Size = Size {
    segments: 8,
    segment_bytes: 60 << 20,
    rounds: 7,
};
const SMOKE: Size = Size {
    segments: 2,
    segment_bytes: 1 << 20,
    rounds: 1,
};

fn main() {
    let json_out = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let size = match std::env::args().any(|a| a == "--bench") {
        true => BENCH,
        false => SMOKE,
    };
    let dir = PathBuf::from("target/bench-tmp-archive");
    let _ = std::fs::remove_dir_all(&dir);
    let mut results = Vec::new();
    // `--full-read-only`: the full reads alone (the uploads and seeks
    // measured by other runs), for a change to the reading of objects;
    // `--reads-only`: the seeks and the full reads.
    let full_read_only = std::env::args().any(|a| a == "--full-read-only");
    let merged_only = std::env::args().any(|a| a == "--merged-only");
    let reads_only = full_read_only || std::env::args().any(|a| a == "--reads-only");
    let server = S3Server::start(&[BUCKET]);
    if !merged_only {
        let logs = segments::make_logs(&dir, &size);
        println!(
            "server: {}; {} sealed segments of {:.1} MB (plain), {:.1} MB (compressed)",
            common::s3::server_name(),
            logs.plain.len(),
            logs.mean_bytes(false) as f64 / 1e6,
            logs.mean_bytes(true) as f64 / 1e6,
        );
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
    }
    // `--merged-only`: the merged read by time alone.
    let merged_size = match std::env::args().any(|a| a == "--bench") {
        true => merged::MERGED_BENCH,
        false => merged::MERGED_SMOKE,
    };
    results.push(merged::measure(&server, &dir, &merged_size));
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    let json = format!("{{{}}}\n", results.join(",\n"));
    if let Some(path) = json_out {
        std::fs::write(&path, &json).expect("write results");
        println!("results in {path}");
    }
}

/// The median of some figures.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
