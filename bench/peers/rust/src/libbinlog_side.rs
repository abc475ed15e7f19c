//! libbinlog's side of each row, through its Rust API.
use crate::harness::timed;
use binlog::{Durability, Entry, Options, Reader, Writer};
use std::path::{Path, PathBuf};
use std::time::Duration;

const TYPE: &str = "rec";

fn segment(dir: &Path) -> PathBuf {
    dir.join("bench.binlog")
}

fn open(dir: &Path, durability: Durability) -> Writer {
    let opts = Options {
        durability,
        ..Options::default()
    };
    Writer::open(segment(dir), opts).expect("open a libbinlog writer")
}

fn write_all(w: &Writer, payload: &[u8], n: u64) {
    for _ in 0..n {
        w.write(TYPE, payload).expect("libbinlog write");
    }
}

/// One `write` per record, then `close` (everything handed to the OS).
pub fn append_one(dir: &Path, payload: &[u8], n: u64) -> Duration {
    timed(|| {
        let w = open(dir, Durability::None);
        write_all(&w, payload, n);
        w.close().expect("libbinlog close");
    })
}

/// `write_batch` of `batch` records at a time (the last one may be shorter).
pub fn append_batched(dir: &Path, payload: &[u8], n: u64, batch: usize) -> Duration {
    let parts = [payload];
    let entry = Entry {
        type_name: TYPE,
        meta: &[],
        timestamp_ns: None,
        parts: &parts,
    };
    let entries = vec![entry; batch];
    timed(|| {
        let w = open(dir, Durability::None);
        let mut left = n as usize;
        while left > 0 {
            let k = left.min(batch);
            w.write_batch(&entries[..k]).expect("libbinlog write_batch");
            left -= k;
        }
        w.close().expect("libbinlog close");
    })
}

/// Writes the segment the read rows read: `n` records, one `write` each,
/// then `close` (which seals it); returns its path.
pub fn write_segment(dir: &Path, payload: &[u8], n: u64) -> PathBuf {
    let w = open(dir, Durability::None);
    write_all(&w, payload, n);
    w.close().expect("libbinlog close");
    segment(dir)
}

/// Writes `n` records (not timed), then times opening and reading them all.
pub fn read_all(dir: &Path, payload: &[u8], n: u64) -> Duration {
    write_segment(dir, payload, n);
    timed(|| {
        let mut r = Reader::open(segment(dir)).expect("open a libbinlog reader");
        let (mut count, mut bytes) = (0u64, 0usize);
        while let Some(rec) = r.next().expect("libbinlog read") {
            count += 1;
            bytes += rec.payload.len();
        }
        assert_eq!((count, bytes), (n, n as usize * payload.len()));
    })
}

/// `n` records, each written with durability `EveryRecord` (an fdatasync
/// before `write` returns, shared by concurrent writers), over `threads`.
pub fn append_durable(dir: &Path, payload: &[u8], n: u64, threads: usize) -> Duration {
    timed(|| {
        let w = open(dir, Durability::EveryRecord);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| write_all(&w, payload, n / threads as u64));
            }
        });
        w.close().expect("libbinlog close");
    })
}
