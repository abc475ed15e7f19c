//! The write-behind thread's body: takes the queued jobs in order, seals
//! and writes each (or a pair of them), and reports what came of it.

use super::pair;
use super::pieces::{self, Chooser, Kind};
use super::Shared;
use crate::writer::job::{write_remainder, Failed, Job};
use crate::writer::prealloc::Prealloc;
use std::fs::File;
use std::panic::{self, AssertUnwindSafe};
use std::time::Instant;

/// The thread's body. A panic in it (a bug) must not leave the writer
/// waiting forever for a job: the thread ends, the jobs in flight are
/// dropped and the writer gets a failure that poisons it.
pub(super) fn thread_main(shared: &Shared, file: &File, prealloc: &mut Prealloc) {
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
        let second = match shared.pair_unit {
            Some(u) if kind == Kind::Whole && pair::is_first_half(&job, u) => {
                pair::take_second_half(shared, job.due)
            }
            _ => None,
        };
        let bytes = job.buf.len() + second.as_ref().map_or(0, |s| s.buf.len());
        let paired = second.is_some();
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
    use super::super::test_jobs::{assert_all_sealed, frame, job, start, unsealed_records};
    use crate::format::frame;
    use crate::writer::job::{Job, DEPTH};
    use crate::writer::test_file::TestFile;

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
