//! commitlog's side of each row.
use crate::harness::timed;
use commitlog::message::{MessageBuf, MessageSet};
use commitlog::{CommitLog, LogOptions, ReadLimit};
use std::path::Path;
use std::time::Duration;

const READ_LIMIT: usize = 1 << 20;

fn open(dir: &Path) -> CommitLog {
    CommitLog::new(LogOptions::new(dir)).expect("open a commitlog")
}

fn append_all(log: &mut CommitLog, payload: &[u8], n: u64) {
    for _ in 0..n {
        log.append_msg(payload).expect("commitlog append_msg");
    }
}

/// One `append_msg` per record, then `flush` (everything handed to the OS).
pub fn append_one(dir: &Path, payload: &[u8], n: u64) -> Duration {
    timed(|| {
        let mut log = open(dir);
        append_all(&mut log, payload, n);
        log.flush().expect("commitlog flush");
    })
}

/// `append` of a `MessageBuf` of `batch` records at a time, filled for each
/// batch (`push` frames each message and computes its CRC-32C: a caller
/// with new records pays it, as libbinlog's `write_batch` encodes them).
pub fn append_batched(dir: &Path, payload: &[u8], n: u64, batch: usize) -> Duration {
    timed(|| {
        let mut log = open(dir);
        let mut buf = MessageBuf::default();
        let mut left = n as usize;
        while left > 0 {
            let k = left.min(batch);
            buf.clear();
            for _ in 0..k {
                buf.push(payload).expect("commitlog push");
            }
            log.append(&mut buf).expect("commitlog append");
            left -= k;
        }
        log.flush().expect("commitlog flush");
    })
}

/// Writes `n` records (not timed), then times opening and reading them all
/// (`read` checks each message's CRC-32C).
pub fn read_all(dir: &Path, payload: &[u8], n: u64) -> Duration {
    let mut log = open(dir);
    append_all(&mut log, payload, n);
    log.flush().expect("commitlog flush");
    drop(log);
    timed(|| {
        let log = open(dir);
        let (mut next, mut bytes) = (0u64, 0usize);
        while next < n {
            let buf = log
                .read(next, ReadLimit::max_bytes(READ_LIMIT))
                .expect("commitlog read");
            for m in buf.iter() {
                bytes += m.payload().len();
                next = m.offset() + 1;
            }
        }
        assert_eq!(bytes, n as usize * payload.len());
    })
}
