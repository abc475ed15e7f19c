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

/// `append` of a `MessageBuf` of `batch` records at a time.
pub fn append_batched(dir: &Path, payload: &[u8], n: u64, batch: usize) -> Duration {
    let buf_of = |k: usize| -> MessageBuf { std::iter::repeat_n(payload, k).collect() };
    timed(|| {
        let mut log = open(dir);
        let mut full = buf_of(batch);
        let mut left = n as usize;
        while left >= batch {
            log.append(&mut full).expect("commitlog append");
            left -= batch;
        }
        if left > 0 {
            log.append(&mut buf_of(left)).expect("commitlog append");
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
