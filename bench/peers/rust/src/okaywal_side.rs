//! okaywal's side of the durable rows: one entry of one chunk per record,
//! each `commit` returning after its fsync (shared by concurrent writers).
use crate::harness::timed;
use okaywal::{LogVoid, WriteAheadLog};
use std::path::Path;
use std::time::Duration;

fn append_all(wal: &WriteAheadLog, payload: &[u8], n: u64) {
    for _ in 0..n {
        let mut entry = wal.begin_entry().expect("okaywal begin_entry");
        entry.write_chunk(payload).expect("okaywal write_chunk");
        entry.commit().expect("okaywal commit");
    }
}

pub fn append_durable(dir: &Path, payload: &[u8], n: u64, threads: usize) -> Duration {
    timed(|| {
        let wal = WriteAheadLog::recover(dir, LogVoid).expect("open an okaywal");
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| append_all(&wal, payload, n / threads as u64));
            }
        });
        wal.shutdown().expect("okaywal shutdown");
    })
}
