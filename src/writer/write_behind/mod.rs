//! Write-behind: when the writer's buffer fills, a per-writer thread fills
//! in its frames' CRCs and hands it to the OS while the writer fills the
//! next one, so that encoding overlaps checksumming and the kernel's copy.
//!
//! Up to [`DEPTH`] full buffers are in flight, written in order: with one,
//! each hand-off would cost a wakeup of the other thread and whichever
//! thread got ahead would idle. After a failed write nothing later in the
//! queue is written (that would leave a hole): the unwritten bytes all come
//! back to the writer, which puts them in front of its buffer and reports
//! the error. Buffers are paired (`pair`), so that a 2 MiB piece of the file
//! stays in one 2 MiB folio of the page cache.
//!
//! A buffer may end inside a record (`State::hand_off` cuts at aligned
//! offsets): the next one then starts with that record's last
//! `split_tail_len` bytes and carries a copy of its first part
//! (`split_head`), so that if the next write fails, the file is cut back to
//! where the record starts and the whole record comes back to the writer.

mod pair;
mod pieces;
#[cfg(test)]
mod test_jobs;

use super::job::{write_remainder, Failed, Finished, Job, DEPTH};
use super::prealloc::Prealloc;
use parking_lot::{Condvar, Mutex};
use pieces::{Chooser, Kind};
use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub(crate) use pair::PAIR_WAIT_MAX;

/// What the writer and the thread share, under `Shared::queue`.
#[derive(Default)]
struct QueueState {
    jobs: VecDeque<Job>,
    /// Jobs the thread took off the queue and is writing (2 for a pair).
    writing: usize,
    written: Vec<Vec<u8>>,
    failed: Option<Failed>,
    /// The writer waits until at most this many jobs are in flight.
    waiting_for: Option<usize>,
    stop: bool,
    /// The thread panicked and ended (see `thread_main`).
    dead: bool,
    /// Pairs written, and buffers written in pieces (`pieces`).
    writes: (u64, u64),
    /// Jobs this thread had frames to seal in (tests check who sealed).
    #[cfg(test)]
    sealed_here: usize,
    /// Jobs taken, and the one to panic on (tests of a panic's handling).
    #[cfg(test)]
    taken: usize,
    #[cfg(test)]
    panic_on_job: Option<usize>,
    /// First halves written whole (to pair), the rest in pieces, whatever
    /// the times (`WriteBehind::write_both_kinds`).
    #[cfg(test)]
    both_kinds: bool,
}

impl QueueState {
    /// The next job off the queue, counted as being written.
    fn take_next_job(&mut self) -> Option<Job> {
        let job = self.jobs.pop_front()?;
        self.writing += 1;
        #[cfg(test)]
        {
            self.sealed_here += !job.unsealed.is_empty() as usize;
            self.taken += 1;
            assert!(self.panic_on_job != Some(self.taken), "test panic");
        }
        Some(job)
    }

    fn in_flight(&self) -> usize {
        self.jobs.len() + self.writing
    }
}

struct Shared {
    queue: Mutex<QueueState>,
    /// The hand-off unit if buffers are paired: a buffer of exactly this
    /// length at a multiple of twice it waits for its partner (see `pair`).
    pair_unit: Option<u64>,
    /// How long a pair's first half waits for the second at most.
    pair_wait: Duration,
    /// Signals the thread: a job was queued, or stop.
    work: Condvar,
    /// Signals the writer: a job finished.
    done: Condvar,
}

pub struct WriteBehind {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl WriteBehind {
    /// A thread writing `file`'s buffers, cut by the writer at multiples of
    /// `pair_unit` if they are to be paired (see `State::hand_off`); a
    /// pair's first half waits at most `pair_wait` (and never longer than
    /// `PAIR_WAIT_MAX`) for the second.
    pub fn start(
        file: File,
        mut prealloc: Prealloc,
        pair_unit: Option<u64>,
        pair_wait: Duration,
    ) -> io::Result<WriteBehind> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(QueueState::default()),
            pair_unit,
            pair_wait: pair_wait.min(PAIR_WAIT_MAX),
            work: Condvar::new(),
            done: Condvar::new(),
        });
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("binlog-write".into())
            .spawn(move || thread_main(&s, &file, &mut prealloc))?;
        Ok(WriteBehind {
            shared,
            thread: Some(thread),
        })
    }

    /// Queues `job`, to be written after every buffer queued before it.
    /// The caller keeps fewer than [`DEPTH`] in flight (see
    /// [`WriteBehind::take_finished`]). If a write failed since the writer
    /// last took what finished, the job is not written: its buffer joins
    /// the failure's unwritten bytes (which already hold its `split_head`).
    pub fn submit(&self, mut job: Job) {
        let mut queue = self.shared.queue.lock();
        debug_assert!(queue.in_flight() < DEPTH);
        if queue.dead {
            queue.failed.get_or_insert_with(Failed::panicked);
            return;
        }
        if let Some(failed) = queue.failed.as_mut() {
            job.seal();
            failed.unwritten.extend_from_slice(&job.buf);
            return;
        }
        queue.jobs.push_back(job);
        // No system call when the thread is busy writing (nobody waits).
        self.shared.work.notify_one();
    }

    /// Waits until at most `max_in_flight` buffers are queued or being
    /// written (or a write failed), and takes what finished.
    pub fn take_finished(&self, max_in_flight: usize) -> Finished {
        let mut queue = self.shared.queue.lock();
        while queue.in_flight() > max_in_flight && queue.failed.is_none() {
            queue.waiting_for = Some(max_in_flight);
            // A thread waiting for work now holds a pair's first half (with
            // nothing in flight this loop does not run): it is to write it
            // alone. A busy thread has no waiter to wake: no system call.
            self.shared.work.notify_one();
            self.shared.done.wait(&mut queue);
        }
        queue.waiting_for = None;
        Finished {
            written: std::mem::take(&mut queue.written),
            failed: queue.failed.take(),
        }
    }

    /// Pairs written so far, and buffers written in pieces.
    pub fn writes(&self) -> (u64, u64) {
        self.shared.queue.lock().writes
    }

    /// Jobs the thread filled in CRCs for.
    #[cfg(test)]
    pub fn sealed_here(&self) -> usize {
        self.shared.queue.lock().sealed_here
    }

    /// Makes the thread panic when it takes its `n`th job (from 1).
    #[cfg(test)]
    pub fn panic_on_job(&self, n: usize) {
        self.shared.queue.lock().panic_on_job = Some(n);
    }

    /// Makes the thread write every first half whole, to pair it, and
    /// every other buffer in pieces, whatever the `Chooser`'s times: both
    /// kinds of write on any host, however loaded (a signed writer's test).
    #[cfg(all(test, feature = "sign"))]
    pub fn write_both_kinds(&self) {
        self.shared.queue.lock().both_kinds = true;
    }
}

impl Drop for WriteBehind {
    fn drop(&mut self) {
        self.shared.queue.lock().stop = true;
        self.shared.work.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

// The write-behind thread's body: takes the queued jobs in order, seals
// and writes each (or a pair of them), and reports what came of it.

/// The thread's body. A panic in it (a bug) must not leave the writer
/// waiting forever for a job: the thread ends, the jobs in flight are
/// dropped and the writer gets a failure that poisons it.
fn thread_main(shared: &Shared, file: &File, prealloc: &mut Prealloc) {
    let wrote = panic::catch_unwind(AssertUnwindSafe(|| write_jobs(shared, file, prealloc)));
    if wrote.is_err() {
        // The guard of a lock held at the panic was dropped while unwinding.
        let mut queue = shared.queue.lock();
        queue.dead = true;
        queue.jobs.clear();
        queue.writing = 0;
        queue.failed = Some(Failed::panicked());
        shared.done.notify_all();
    }
}

/// Writes jobs until told to stop, whole or in pieces (see `pieces`).
fn write_jobs(shared: &Shared, file: &File, prealloc: &mut Prealloc) {
    let mut chooser = Chooser::default();
    while let Some(mut job) = wait_for_job(shared) {
        job.seal();
        let kind = chooser.next();
        #[cfg(test)]
        let kind = match shared.queue.lock().both_kinds {
            true if (shared.pair_unit).is_some_and(|u| pair::is_first_half(&job, u)) => Kind::Whole,
            true => Kind::Pieces,
            false => kind,
        };
        let second = match shared.pair_unit {
            Some(u) if kind == Kind::Whole && pair::is_first_half(&job, u) => {
                pair::take_second_half(shared, job.due)
            }
            _ => None,
        };
        let bytes = job.buf.len() + second.as_ref().map_or(0, |s| s.buf.len());
        let paired = second.is_some();
        // Hashed before the write, outside its timing (`Chooser`).
        #[cfg(feature = "sign")]
        for j in std::iter::once(&job).chain(&second) {
            (j.tap.iter()).for_each(|t| t.wrote(j.offset, &[&j.buf], false));
        }
        let start = Instant::now();
        let (first, result) = write_job(file, prealloc, job, second, kind);
        // A failed write says nothing of how fast its kind is.
        if result.is_ok() {
            chooser.wrote(kind, bytes, start.elapsed());
        }
        let wrote = (u64::from(paired), u64::from(kind == Kind::Pieces));
        report(shared, first, result, wrote);
    }
}

/// The next job; `None` once the thread is to stop.
fn wait_for_job(shared: &Shared) -> Option<Job> {
    let mut queue = shared.queue.lock();
    loop {
        if let Some(job) = queue.take_next_job() {
            return Some(job);
        }
        if queue.stop {
            return None;
        }
        shared.work.wait(&mut queue);
    }
}

/// Writes `job`, or `job` and `second` as a pair, or `job` in pieces.
/// Returns the first half's buffer if a pair's first half was written in
/// full, and the result of the (last) job.
fn write_job(
    file: &File,
    prealloc: &mut Prealloc,
    job: Job,
    second: Option<Job>,
    kind: Kind,
) -> (Option<Vec<u8>>, Result<Vec<u8>, Failed>) {
    let end = second.as_ref().map_or(&job, |s| s).end();
    prealloc.ensure(file, job.offset, end);
    match (second, kind) {
        (Some(second), _) => pair::write_pair(file, job, second),
        (None, Kind::Pieces) => (None, pieces::write_in_pieces(file, job)),
        (None, Kind::Whole) => (None, write_remainder(file, job, 0)),
    }
}

/// Hands what a write came to back to the writer: the buffers written, or
/// the failure with every byte queued behind it; counts the write (a pair,
/// a buffer in pieces).
fn report(
    shared: &Shared,
    first: Option<Vec<u8>>,
    result: Result<Vec<u8>, Failed>,
    wrote: (u64, u64),
) {
    let mut queue = shared.queue.lock();
    queue.writes = (queue.writes.0 + wrote.0, queue.writes.1 + wrote.1);
    queue.writing = 0;
    queue.written.extend(first);
    match result {
        Ok(buf) => queue.written.push(buf),
        Err(mut failed) => {
            // Nothing after a failed write may reach the file.
            for mut job in queue.jobs.drain(..) {
                job.seal();
                failed.unwritten.extend_from_slice(&job.buf);
            }
            queue.failed = Some(failed);
        }
    }
    // Wake the writer only once what it waits for is true: waiting for
    // every buffer in flight costs one wakeup, not one a buffer.
    let reached = queue
        .waiting_for
        .is_some_and(|n| queue.in_flight() <= n || queue.failed.is_some());
    if reached {
        shared.done.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_file::TestFile;
    use super::test_jobs::{assert_all_sealed, frame, job, start, unsealed_records};
    use super::*;
    use crate::format::frame;

    #[test]
    fn queued_buffers_are_written_in_order() {
        let t = TestFile::new("behind-order");
        let wb = start(&t);
        let bufs: Vec<Vec<u8>> = (0..DEPTH as u8)
            .map(|i| frame(i, 1000 + i as usize))
            .collect();
        let mut offset = 0u64;
        for b in &bufs {
            wb.submit(job(b, offset));
            offset += b.len() as u64;
        }
        let finished = wb.take_finished(0);
        assert!(finished.failed.is_none());
        assert_eq!(finished.written, bufs, "buffers come back in order");
        assert_eq!(std::fs::read(&t.path).unwrap(), bufs.concat());
    }

    #[test]
    fn nothing_after_a_failed_write_is_written() {
        let t = TestFile::new("behind-fail");
        // Read-only: every write fails (EBADF).
        let ro = File::open(&t.path).unwrap();
        let wb =
            WriteBehind::start(ro, Prealloc::new(0, 1 << 16, None), None, PAIR_WAIT_MAX).unwrap();
        let a = frame(1, 100);
        let b = frame(2, 200);
        wb.submit(job(&a, 0));
        wb.submit(job(&b, a.len() as u64));
        let finished = wb.take_finished(0);
        let failed = finished.failed.expect("the write failed");
        assert!(finished.written.is_empty());
        assert_eq!(failed.written_whole, 0);
        assert_eq!(
            failed.unwritten,
            [a.clone(), b.clone()].concat(),
            "every unwritten byte comes back, in order"
        );
        // A buffer submitted after a failure that was not yet taken joins it.
        wb.submit(job(&a, 0));
        // Let the thread fail it first or not: either way it comes back.
        let finished = wb.take_finished(0);
        let failed = finished.failed.expect("still failing");
        assert_eq!(failed.unwritten, a);
        assert_eq!(
            std::fs::metadata(&t.path).unwrap().len(),
            0,
            "nothing reached the file"
        );
    }

    /// Bytes that come back unwritten after a failure are sealed: those of
    /// the failed buffer, of the buffers queued behind it and of a buffer
    /// submitted after it.
    #[test]
    fn unwritten_bytes_come_back_sealed() {
        let t = TestFile::new("behind-fail-sealed");
        let ro = File::open(&t.path).unwrap();
        let wb =
            WriteBehind::start(ro, Prealloc::new(0, 1 << 16, None), None, PAIR_WAIT_MAX).unwrap();
        let mut expected = Vec::new();
        for i in 0..3u64 {
            let buf = unsealed_records(i * 100, 100, 32);
            expected.extend_from_slice(&buf);
            wb.submit(Job {
                unsealed: 0..buf.len(),
                ..job(&buf, 0)
            });
        }
        // Give the thread time to fail the first buffer, so that this one
        // (almost always) joins the failure in `submit`; it must come back
        // sealed either way.
        std::thread::sleep(std::time::Duration::from_millis(50));
        let late = unsealed_records(300, 10, 32);
        expected.extend_from_slice(&late);
        wb.submit(Job {
            unsealed: 0..late.len(),
            ..job(&late, 0)
        });
        let unwritten = wb.take_finished(0).failed.expect("writes fail").unwritten;
        assert_all_sealed(&unwritten, "unwritten bytes");
        frame::seal_frames(&mut expected);
        assert_eq!(unwritten, expected);
    }

    /// The writer leaves the CRCs of a buffer's whole frames to the thread
    /// (see `State::hand_off`): they are in the file, and the bytes outside
    /// the range (sealed by the writer) are untouched.
    #[test]
    fn the_thread_fills_in_the_crcs_of_its_range() {
        let t = TestFile::new("behind-seal");
        let wb = start(&t);
        let mut sealed_front = unsealed_records(0, 3, 40);
        frame::seal_frames(&mut sealed_front);
        let middle = unsealed_records(3, 50, 32);
        // A last record the writer sealed itself (the one a cut falls in),
        // with its CRC spoilt: the thread must not touch it.
        let mut last = unsealed_records(53, 1, 10);
        frame::seal_frames(&mut last);
        last[4] ^= 0xff;
        let buf = [&sealed_front[..], &middle, &last].concat();
        let range = sealed_front.len()..sealed_front.len() + middle.len();
        wb.submit(Job {
            unsealed: range.clone(),
            ..job(&buf, 0)
        });
        let finished = wb.take_finished(0);
        assert!(finished.failed.is_none());
        let file = std::fs::read(&t.path).unwrap();
        assert_eq!(file.len(), buf.len());
        assert_all_sealed(&file[..range.end], "file");
        assert_eq!(file[range.end..], last, "bytes past the range untouched");
        assert_eq!(file[..range.start], sealed_front);
    }

    /// A panic on the thread fails the job and poisons the writer instead
    /// of leaving it waiting for the job forever.
    #[test]
    fn a_panic_on_the_thread_fails_the_job() {
        let t = TestFile::new("behind-panic");
        let wb = start(&t);
        let buf = unsealed_records(0, 10, 32);
        // A range past the buffer's end: sealing it panics.
        wb.submit(Job {
            unsealed: 0..buf.len() + 1,
            ..job(&buf, 0)
        });
        let failed = wb.take_finished(0).failed.expect("the job failed");
        assert!(
            failed.err.to_string().contains("panicked"),
            "{}",
            failed.err
        );
        assert!(failed.cut_err.is_some(), "the writer is poisoned");
        // The thread is gone: a later job fails at once, nothing hangs.
        wb.submit(job(&frame(7, 100), 0));
        assert!(wb.take_finished(0).failed.is_some());
        assert_eq!(std::fs::metadata(&t.path).unwrap().len(), 0);
    }

    /// The same with jobs queued behind the one that panics (sealing them
    /// for the failure would panic too, outside the write).
    #[test]
    fn a_panic_with_jobs_queued_fails_them_all() {
        let t = TestFile::new("behind-panic-queued");
        let wb = start(&t);
        let buf = unsealed_records(0, 10, 32);
        for _ in 0..DEPTH - 1 {
            wb.submit(Job {
                unsealed: 0..buf.len() + 1,
                ..job(&buf, 0)
            });
        }
        let failed = wb.take_finished(0).failed.expect("the jobs failed");
        assert!(failed.cut_err.is_some(), "the writer is poisoned");
        assert!(
            wb.take_finished(0).failed.is_none(),
            "nothing left in flight"
        );
    }
}
