//! The logs the benchmark ships: log `bench` of `Size::segments` sealed
//! segments of order-book-like records in `<dir>/plain`, and the same log
//! with every segment compressed in `<dir>/compressed`.

use crate::Size;
use binlog::{compress_segment, CompressOptions};
use binlog::{list_segments, ListedSegment, SegmentState};
use binlog::{Entry, LogOptions, LogWriter};
use std::path::{Path, PathBuf};

pub const LOG: &str = "bench";
const BATCH: u64 = 256;

pub struct Logs {
    pub plain_dir: PathBuf,
    pub compressed_dir: PathBuf,
    /// The sealed segments of each, in order.
    pub plain: Vec<ListedSegment>,
    pub compressed: Vec<ListedSegment>,
}

impl Logs {
    pub fn dir(&self, compressed: bool) -> &Path {
        match compressed {
            true => &self.compressed_dir,
            false => &self.plain_dir,
        }
    }

    pub fn sealed(&self, compressed: bool) -> &[ListedSegment] {
        match compressed {
            true => &self.compressed,
            false => &self.plain,
        }
    }

    /// Bytes of all the sealed segment files.
    pub fn total_bytes(&self, compressed: bool) -> u64 {
        self.sealed(compressed).iter().map(file_len).sum()
    }

    pub fn mean_bytes(&self, compressed: bool) -> u64 {
        self.total_bytes(compressed) / self.sealed(compressed).len() as u64
    }
}

pub fn file_len(s: &ListedSegment) -> u64 {
    std::fs::metadata(&s.path)
        .unwrap_or_else(|e| panic!("{}: {e}", s.path.display()))
        .len()
}

/// Writes the plain log, copies it and compresses the copy's segments.
pub fn make_logs(dir: &Path, size: &Size) -> Logs {
    let plain_dir = dir.join("plain");
    let compressed_dir = dir.join("compressed");
    write_log(&plain_dir, size);
    std::fs::create_dir_all(&compressed_dir).expect("create directory");
    for e in std::fs::read_dir(&plain_dir).expect("list log") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, compressed_dir.join(p.file_name().expect("name"))).expect("copy");
    }
    for s in sealed(&compressed_dir) {
        compress_segment(&s.path, &CompressOptions::default()).expect("compress");
    }
    Logs {
        plain: sealed(&plain_dir),
        compressed: sealed(&compressed_dir),
        plain_dir,
        compressed_dir,
    }
}

fn sealed(dir: &Path) -> Vec<ListedSegment> {
    list_segments(dir, LOG)
        .expect("list segments")
        .into_iter()
        .filter(|s| s.state == SegmentState::Sealed)
        .collect()
}

/// `size.segments` segments rolled at `size.segment_bytes` (the last cut
/// a little shorter), each sealed (the last by the close).
fn write_log(dir: &Path, size: &Size) {
    std::fs::create_dir_all(dir).expect("create directory");
    let opts = LogOptions {
        max_segment_bytes: Some(size.segment_bytes),
        background: false,
        ..LogOptions::default()
    };
    let w = LogWriter::open(dir, LOG, opts).expect("open log");
    let mut seq = 0;
    while !last_is_full(&w, size) {
        let bodies: Vec<(&str, Vec<u8>)> = (seq..seq + BATCH).map(order_event).collect();
        let parts: Vec<[&[u8]; 1]> = bodies.iter().map(|(_, b)| [&b[..]]).collect();
        let entries: Vec<Entry> = bodies
            .iter()
            .zip(&parts)
            .enumerate()
            .map(|(i, ((t, _), p))| Entry {
                type_name: t,
                meta: &[],
                timestamp_ns: Some(1_700_000_000_000_000_000 + (seq + i as u64) as i64 * 1000),
                parts: p,
            })
            .collect();
        w.write_batch(&entries).expect("write");
        // So that the segment's size, which `last_is_full` reads, is the
        // size of what was written.
        w.flush().expect("flush");
        seq += BATCH;
    }
    w.close().expect("close");
}

/// Whether the last segment of `size` is open and nearly as long as the
/// others (which roll before their records and seal, about 8 bytes a
/// record, pass `segment_bytes`): the close then seals it.
fn last_is_full(w: &LogWriter, size: &Size) -> bool {
    let s = w.current_segment().expect("segment");
    s.segment_no >= size.segments
        || (s.segment_no + 1 == size.segments && s.bytes >= size.segment_bytes / 8 * 7)
}

/// Record `i`: an order book event as JSON text, of one of three types.
fn order_event(i: u64) -> (&'static str, Vec<u8>) {
    let r = i.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17) ^ i;
    let text = format!(
        r#"{{"seq":{i},"sym":"SYM{:03}","side":"{}","px":{}.{:02},"qty":{},"trader":"t{:05}"}}"#,
        r % 500,
        ["buy", "sell"][(r >> 9) as usize % 2],
        100 + (r >> 12) % 900,
        (r >> 22) % 100,
        (r >> 30) % 10_000,
        (r >> 44) % 50_000,
    );
    let t = ["order", "trade", "quote"][(r >> 50) as usize % 3];
    (t, text.into_bytes())
}
