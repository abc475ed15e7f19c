//! Space prepared ahead for durable writers: zeros written past the records
//! by a thread of the writer's own, which the records then overwrite.
//!
//! Why: an fdatasync after an append must also commit the file's new size
//! and block map (a journal commit); after overwriting blocks already on
//! disk it writes only the data (docs/PERFORMANCE.md, figure c). So the
//! file is longer than its records while the segment is live.
//!
//! What makes that safe: a frame never starts with a zero length
//! (docs/FORMAT.md section 6), so readers and recovery find the records' end
//! by content (section 10). Sealing stops the thread before it cuts the
//! zeros, which need no backup.
//!
//! Invariant: zeros are written only at or past `ready`, and records only
//! below it, or past it while the thread is idle, which moves `ready` past
//! them first; so zeros never land on a record.
//!
//! Preparing is an optimisation only: a failure cuts the zeros being
//! written and prepares no more in the segment; the record writes that
//! follow report the real outcome.

use parking_lot::{Condvar, Mutex};
use std::fs::File;
use std::io;
use std::os::{fd::AsRawFd, unix::fs::FileExt};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Zeros are written from this many bytes at a time.
const ZEROS_CHUNK: usize = 64 << 10;

/// Zeros are prepared at least this far ahead, and at most as far as the
/// records written since the thread started, up to the chunk. A durable
/// writer's first records wait for the zeros they reach, and their
/// fdatasyncs queue behind the thread's; and sealing cuts what is left, at
/// about 0.37 ms a MiB. A whole chunk (4 MiB) ahead from the start cost a
/// log of 1,000 records about 7 ms (docs/PERFORMANCE.md, durable appends).
const MIN_AHEAD: u64 = 2 * ZEROS_CHUNK as u64;

/// Where the zeros ahead are, shared by the writer's threads and the
/// thread that writes them.
#[derive(Default)]
struct Ahead {
    /// Records may be written below this offset: they are records, or
    /// zeros written (or appended past, see `Prepared::before_write`).
    ready: u64,
    /// The thread is writing zeros from `ready` up to here: records that
    /// would reach past `ready` wait.
    writing_to: Option<u64>,
    /// The thread prepares up to here.
    wanted: u64,
    stop: bool,
    /// Preparing failed: the writer appends from now on.
    failed: bool,
}

struct Shared {
    ahead: Mutex<Ahead>,
    changed: Condvar,
    /// Prepared at most this far ahead of the records (more once less
    /// than half of the step is left).
    chunk: u64,
    /// Where the records ended when the thread started.
    start: u64,
    /// Nothing is prepared past this offset (the segment's expected size).
    limit: u64,
}

/// A writer's handle on its space prepared ahead; cloned for each thread
/// that writes records.
#[derive(Clone)]
pub struct Prepared(Arc<Shared>);

/// The thread that writes the zeros; stopped (and joined) when dropped.
pub struct Preparer {
    prepared: Prepared,
    thread: Option<JoinHandle<()>>,
}

impl Preparer {
    /// Starts preparing `file`, whose records end at `ready`, `chunk`
    /// bytes ahead, up to `limit`. The thread writes and syncs through an
    /// open file description of its own: an fdatasync that fails reports
    /// the error once per description, so a failure it met is not consumed
    /// for the writer's own syncs, which still see it.
    pub fn start(file: &File, ready: u64, chunk: u64, limit: u64) -> io::Result<Preparer> {
        let own = std::fs::OpenOptions::new()
            .write(true)
            .open(format!("/proc/self/fd/{}", file.as_raw_fd()))?;
        let prepared = Prepared(Arc::new(Shared {
            ahead: Mutex::new(Ahead {
                ready,
                wanted: ready,
                ..Ahead::default()
            }),
            changed: Condvar::new(),
            chunk,
            start: ready,
            limit,
        }));
        let shared = prepared.clone();
        let thread = std::thread::Builder::new()
            .name("binlog-prepare".into())
            .spawn(move || shared.run(&own))?;
        Ok(Preparer {
            prepared,
            thread: Some(thread),
        })
    }

    pub fn handle(&self) -> Prepared {
        self.prepared.clone()
    }
}

impl Drop for Preparer {
    fn drop(&mut self) {
        self.prepared.0.ahead.lock().stop = true;
        self.prepared.0.changed.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Prepared {
    /// Called (by the one thread writing records at the time) before
    /// writing records up to `upto`. Waits while the zeros they would
    /// reach are being written; appends past the zeros if none are being
    /// written (the records outran them, or one is larger than a chunk);
    /// asks for more zeros once less than half a step is left.
    pub fn before_write(&self, upto: u64) {
        let s = &*self.0;
        let mut a = s.ahead.lock();
        while a.writing_to.is_some() && upto > a.ready && !a.failed {
            s.changed.wait(&mut a);
        }
        if a.failed || a.stop {
            return;
        }
        a.ready = a.ready.max(upto);
        let step = upto
            .saturating_sub(s.start)
            .clamp(MIN_AHEAD.min(s.chunk), s.chunk);
        let want = (upto + step).min(s.limit.max(upto));
        if a.ready < upto + step / 2 && want > a.wanted {
            a.wanted = want;
            s.changed.notify_all();
        }
    }

    /// The thread: writes zeros from `ready` up to `wanted` whenever asked,
    /// then syncs them.
    fn run(&self, own: &File) {
        let s = &*self.0;
        loop {
            let (from, to) = {
                let mut a = s.ahead.lock();
                while !a.stop && a.wanted <= a.ready {
                    s.changed.wait(&mut a);
                }
                if a.stop {
                    return;
                }
                a.writing_to = Some(a.wanted);
                (a.ready, a.wanted)
            };
            let written = write_zeros(own, from, to);
            {
                let mut a = s.ahead.lock();
                a.writing_to = None;
                match written {
                    Ok(()) => a.ready = to,
                    Err(_) => {
                        // A full disk, or an I/O error: the zeros written
                        // are past every record (none is written past
                        // `ready` meanwhile).
                        let _ = own.set_len(from);
                        a.failed = true;
                    }
                }
                s.changed.notify_all();
                if a.failed {
                    return;
                }
            }
            // A failure here is the kernel's to report to the writer's own
            // syncs (see `Preparer::start`).
            let _ = crate::sys::sync_data(own);
        }
    }
}

/// Writes zeros over `[from, to)` of `file` (past its end: it grows).
fn write_zeros(file: &File, from: u64, to: u64) -> io::Result<()> {
    // A buffer of the heap's, not a static one: 64 KiB of zeros in the
    // library's read-only data were 4% of the lean C library.
    let zeros = vec![0u8; to.saturating_sub(from).min(ZEROS_CHUNK as u64) as usize];
    let mut at = from;
    while at < to {
        let n = (to - at).min(zeros.len() as u64) as usize;
        file.write_all_at(&zeros[..n], at)?;
        at += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::test_file::TestFile;
    use super::*;
    use std::time::{Duration, Instant};

    fn len(f: &File) -> u64 {
        f.metadata().unwrap().len()
    }

    /// Waits until the zeros are ready up to `to`.
    fn wait_ready(p: &Prepared, to: u64) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while p.0.ahead.lock().ready < to {
            assert!(Instant::now() < deadline, "never prepared up to {to}");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn prepares_ahead_what_was_written_up_to_a_chunk_and_the_limit_keeping_what_is_before() {
        let t = TestFile::new("prepared-ahead");
        let f = &t.file;
        f.write_all_at(b"records", 0).unwrap();
        const CHUNK: u64 = 256 << 10;
        let preparer = Preparer::start(f, 7, CHUNK, 3 << 20).unwrap();
        let p = preparer.handle();
        // As far ahead as the records written since the start (7), at
        // least MIN_AHEAD and at most the chunk.
        let (mut upto, mut capped) = (100, false);
        loop {
            let step = (upto - 7).clamp(MIN_AHEAD, CHUNK);
            if upto + step >= 3 << 20 {
                break;
            }
            p.before_write(upto);
            wait_ready(&p, upto + step);
            assert_eq!(len(f), upto + step, "a step of {step} after {upto}");
            (upto, capped) = (upto + step, capped || step == CHUNK);
        }
        assert!(capped, "the step never reached the chunk");
        let mut back = vec![1u8; len(f) as usize];
        f.read_exact_at(&mut back, 0).unwrap();
        assert_eq!(&back[..7], b"records");
        assert!(back[7..].iter().all(|&b| b == 0));
        // Up to the limit, and past it nothing is prepared.
        p.before_write(upto);
        wait_ready(&p, 3 << 20);
        assert_eq!(len(f), 3 << 20, "zeros up to the limit");
        p.before_write(5 << 20);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(len(f), 3 << 20, "zeros past the limit");
        assert_eq!(p.0.ahead.lock().ready, 5 << 20);
        drop(preparer);
    }

    #[test]
    fn records_below_the_zeros_being_written_never_wait_and_are_kept() {
        let t = TestFile::new("prepared-disjoint");
        let f = &t.file;
        let preparer = Preparer::start(f, 0, 1 << 20, u64::MAX).unwrap();
        let p = preparer.handle();
        // Records written below `ready` as the thread writes zeros past it.
        let mut at = 0u64;
        for i in 0..3000u64 {
            let rec = [(i % 250) as u8 + 1; 700];
            p.before_write(at + rec.len() as u64);
            f.write_all_at(&rec, at).unwrap();
            at += rec.len() as u64;
        }
        // Idle now: the zeros catch up with the records.
        wait_ready(&p, at + (1 << 19));
        drop(preparer);
        let mut back = vec![0u8; len(f) as usize];
        f.read_exact_at(&mut back, 0).unwrap();
        for (i, rec) in back[..at as usize].chunks(700).enumerate() {
            assert!(rec.iter().all(|&b| b == (i % 250) as u8 + 1), "record {i}");
        }
        assert!(back[at as usize..].iter().all(|&b| b == 0));
        assert!(len(f) >= at + (1 << 19), "nothing prepared");
    }
}
