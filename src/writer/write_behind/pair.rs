//! Pairs: a buffer that covers the first half of a piece of the file twice
//! the hand-off unit long, aligned to its length, waits for the buffer
//! after it, and both go to the OS in one write, so that the page cache
//! holds the piece in one 2 MiB folio (one page-table entry for a reader's
//! mapping, not 16: docs/PERFORMANCE.md). The first half waits only while
//! nobody waits for it (a flush, sync or close writes it at once, alone)
//! and for at most `PAIR_WAIT_MAX` (see `take_second_half`).

use super::Shared;
use crate::writer::job::{write_remainder, Failed, Job};
use std::fs::File;
use std::io::{IoSlice, Seek, SeekFrom, Write};
use std::time::{Duration, Instant};

/// How long a pair's first half waits for the second at most: it bounds how
/// much later a slow writer's records reach the OS than when its buffer
/// filled. A writer with a flush delay waits no longer than that.
pub(crate) const PAIR_WAIT_MAX: Duration = Duration::from_secs(1);

/// Whether `job` is the first half of a piece of the file `2 * unit` long
/// and aligned to that length.
pub(super) fn is_first_half(job: &Job, unit: u64) -> bool {
    job.buf.len() as u64 == unit && job.offset % (2 * unit) == 0
}

/// The job after a pair's first half, sealed, once it is queued, but no
/// later than the first half's `due` time (its oldest record's flush
/// deadline, which the hand-off does not move) nor than `pair_wait` from
/// now; `None` then, and when the writer waits for the first half (a
/// flush, sync or close) or the thread is to stop: the first half is then
/// written alone.
///
/// Every first half waits, even on a thread that is the writer's
/// bottleneck: a busy thread finds the second half queued and loses
/// nothing; holding only when the thread had time to spare left many
/// pieces unpaired (docs/PERFORMANCE.md, e).
pub(super) fn take_second_half(shared: &Shared, due: Option<Instant>) -> Option<Job> {
    let waited = Instant::now() + shared.pair_wait;
    let deadline = due.map_or(waited, |due| due.min(waited));
    let mut queue = shared.queue.lock();
    let mut second = loop {
        if let Some(job) = queue.take_next_job() {
            break job;
        }
        let awaited = queue.waiting_for.is_some_and(|n| queue.in_flight() > n);
        if queue.stop || awaited || Instant::now() >= deadline {
            return None;
        }
        shared.work.wait_until(&mut queue, deadline);
    };
    drop(queue);
    second.seal();
    Some(second)
}

/// Writes `first` and `second` (the job after it) with one system call, so
/// that the page cache keeps the piece they cover in one folio, and what
/// that call left of them with `pwrite` (a short write, an error, which the
/// retry then reports). Returns `first`'s buffer if it was written in full
/// and `second`'s result; if `first` failed, its failure carries `second`'s
/// bytes too.
pub(super) fn write_pair(
    file: &File,
    first: Job,
    mut second: Job,
) -> (Option<Vec<u8>>, Result<Vec<u8>, Failed>) {
    debug_assert_eq!(first.end(), second.offset, "jobs are written in order");
    let mut f = file;
    let wrote = f
        .seek(SeekFrom::Start(first.offset))
        .and_then(|_| f.write_vectored(&[IoSlice::new(&first.buf), IoSlice::new(&second.buf)]));
    // An error is met again, and reported, by the retry below.
    let n = wrote.unwrap_or(0);
    let first_len = first.buf.len();
    match write_remainder(file, first, n.min(first_len)) {
        Ok(buf) => (
            Some(buf),
            write_remainder(file, second, n.saturating_sub(first_len)),
        ),
        Err(mut failed) => {
            failed.unwritten.append(&mut second.buf);
            (None, Err(failed))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_jobs::{frame, job, unsealed_records};
    use super::super::WriteBehind;
    use super::*;
    use crate::format::frame;
    use crate::writer::job::DEPTH;
    use crate::writer::prealloc::Prealloc;
    use crate::writer::test_file::TestFile;

    /// A thread pairing buffers of `UNIT` bytes.
    const UNIT: u64 = 1 << 16;
    fn start_pairing(file: File) -> WriteBehind {
        WriteBehind::start(
            file,
            Prealloc::new(0, UNIT as usize, None),
            Some(UNIT),
            PAIR_WAIT_MAX,
        )
        .unwrap()
    }

    /// Whole frames filling `UNIT` bytes, their CRCs left to the thread.
    fn unit_job(fill: u8, offset: u64) -> Job {
        let buf = frame(fill, UNIT as usize - crate::format::FRAME_HEADER_LEN);
        Job {
            unsealed: 0..0,
            ..job(&buf, offset)
        }
    }

    /// A first half waits for the second (nothing reaches the file
    /// meanwhile), and the two go out together, in order.
    #[test]
    fn a_first_half_waits_for_its_second_half() {
        let t = TestFile::new("behind-pair");
        let wb = start_pairing(t.file.try_clone().unwrap());
        let (a, b) = (unit_job(1, 0), unit_job(2, UNIT));
        let expected = [a.buf.clone(), b.buf.clone()].concat();
        wb.submit(a);
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert_eq!(
            t.path.metadata().unwrap().len(),
            0,
            "the first half is held"
        );
        assert_eq!(
            wb.take_finished(DEPTH - 1).written.len(),
            0,
            "and still in flight"
        );
        wb.submit(b);
        let finished = wb.take_finished(0);
        assert!(finished.failed.is_none());
        assert_eq!(
            finished.written.concat(),
            expected,
            "both come back, in order"
        );
        assert_eq!(std::fs::read(&t.path).unwrap(), expected);
    }

    /// A first half queued while the thread writes the buffer before it
    /// (a thread with no time to spare) waits for its second half too.
    #[test]
    fn a_first_half_queued_behind_a_write_waits_for_its_second_half() {
        let t = TestFile::new("behind-pair-busy");
        let wb = start_pairing(t.file.try_clone().unwrap());
        let zeros = vec![0u8; UNIT as usize];
        std::fs::write(&t.path, &zeros).unwrap();
        let (x, a, b) = (
            unit_job(1, UNIT),
            unit_job(2, 2 * UNIT),
            unit_job(3, 3 * UNIT),
        );
        let expected = [zeros, x.buf.clone(), a.buf.clone(), b.buf.clone()].concat();
        let submitted = std::time::Instant::now();
        wb.submit(x);
        wb.submit(a);
        // The second half before it is written (the bound catches a hang)...
        let len = || t.path.metadata().unwrap().len();
        while len() < 2 * UNIT {
            assert!(submitted.elapsed() < 30 * PAIR_WAIT_MAX, "never written");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        // ... and the first half held, unless its wait is over already.
        let seen = len();
        if submitted.elapsed() < PAIR_WAIT_MAX {
            assert_eq!(seen, 2 * UNIT, "the first half was not held");
        }
        wb.submit(b);
        let finished = wb.take_finished(0);
        assert!(finished.failed.is_none());
        assert_eq!(std::fs::read(&t.path).unwrap(), expected);
    }

    /// A buffer that is not a first half (the second half of a piece, or
    /// one at a piece's start but shorter than the unit) is not held: it is
    /// written with nobody waiting for it (how soon is not timed: a loaded
    /// machine makes any bound fail).
    #[test]
    fn only_a_first_half_is_held() {
        assert!(is_first_half(&unit_job(1, 0), UNIT));
        assert!(is_first_half(&unit_job(1, 2 * UNIT), UNIT));
        assert!(!is_first_half(&unit_job(2, UNIT), UNIT));
        assert!(!is_first_half(&job(&frame(3, 100), 2 * UNIT), UNIT));
        let t = TestFile::new("behind-pair-not-first");
        let wb = start_pairing(t.file.try_clone().unwrap());
        std::fs::write(&t.path, vec![0u8; UNIT as usize]).unwrap();
        // What taking the finished buffers without waiting returns, once it
        // returns some (the bound catches a hang only).
        let written_unheld = |what: &str| {
            let deadline = std::time::Instant::now() + 30 * PAIR_WAIT_MAX;
            loop {
                let written = wb.take_finished(DEPTH - 1).written;
                if !written.is_empty() {
                    return written;
                }
                assert!(std::time::Instant::now() < deadline, "{what} was held");
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        };
        let second = unit_job(2, UNIT);
        let expected = second.buf.clone();
        wb.submit(second);
        assert_eq!(written_unheld("a second half"), vec![expected]);
        let short = frame(3, 100);
        wb.submit(job(&short, 2 * UNIT));
        assert_eq!(written_unheld("a short buffer"), vec![short]);
    }

    /// A writer waiting for the first half (a flush, sync or close) gets it
    /// written alone; so does a thread told to stop.
    #[test]
    fn a_held_first_half_is_written_when_the_writer_waits_or_the_thread_stops() {
        let t = TestFile::new("behind-pair-flush");
        let wb = start_pairing(t.file.try_clone().unwrap());
        let a = unit_job(1, 0);
        let expected = a.buf.clone();
        wb.submit(a);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let finished = wb.take_finished(0);
        assert_eq!(finished.written, vec![expected.clone()]);
        assert_eq!(std::fs::read(&t.path).unwrap(), expected);

        let t = TestFile::new("behind-pair-stop");
        let wb = start_pairing(t.file.try_clone().unwrap());
        wb.submit(unit_job(1, 0));
        std::thread::sleep(std::time::Duration::from_millis(20));
        drop(wb);
        assert_eq!(std::fs::read(&t.path).unwrap(), expected);
    }

    /// A first half waits for its second half at most `PAIR_WAIT_MAX`, then
    /// goes alone.
    #[test]
    fn a_first_half_waits_no_longer_than_pair_wait_max() {
        let t = TestFile::new("behind-pair-deadline");
        let wb = start_pairing(t.file.try_clone().unwrap());
        let a = unit_job(1, 0);
        let expected = a.buf.clone();
        let submitted = std::time::Instant::now();
        wb.submit(a);
        while t.path.metadata().unwrap().len() == 0 {
            assert!(submitted.elapsed() < 10 * PAIR_WAIT_MAX, "never written");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(
            submitted.elapsed() >= PAIR_WAIT_MAX,
            "{:?}",
            submitted.elapsed()
        );
        assert_eq!(wb.take_finished(0).written, vec![expected]);
    }

    /// A first half whose oldest record is due (`Job::due`) before
    /// `PAIR_WAIT_MAX` ends waits no later than that: a record handed off
    /// in it reaches the OS within its flush delay, not a delay after the
    /// hand-off.
    #[test]
    fn a_first_half_waits_no_later_than_its_due_time() {
        let t = TestFile::new("behind-pair-due");
        let wb = start_pairing(t.file.try_clone().unwrap());
        let submitted = std::time::Instant::now();
        let due = submitted + std::time::Duration::from_millis(50);
        wb.submit(Job {
            due: Some(due),
            ..unit_job(1, 0)
        });
        while t.path.metadata().unwrap().len() == 0 {
            assert!(
                submitted.elapsed() < PAIR_WAIT_MAX / 2,
                "held past its due time"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(
            std::time::Instant::now() >= due,
            "written before it was due"
        );
        assert_eq!(wb.take_finished(0).written.len(), 1);
    }

    /// A pair whose write fails comes back whole: the first half, then the
    /// second, sealed; nothing reaches the file.
    #[test]
    fn a_failed_pair_comes_back_in_order() {
        let t = TestFile::new("behind-pair-fail");
        let ro = File::open(&t.path).unwrap();
        let wb = start_pairing(ro);
        let mut expected = Vec::new();
        for (i, offset) in [(0u64, 0), (1, UNIT)] {
            // Records whose CRCs the thread fills in, then one frame that
            // makes the buffer a whole unit.
            let mut buf = unsealed_records(i * 100, 100, 32);
            let records = buf.len();
            let pad = UNIT as usize - records - crate::format::FRAME_HEADER_LEN;
            buf.extend_from_slice(&frame(9, pad));
            let mut sealed = buf.clone();
            frame::seal_frames(&mut sealed[..records]);
            expected.extend_from_slice(&sealed);
            wb.submit(Job {
                unsealed: 0..records,
                ..job(&buf, offset)
            });
        }
        let failed = wb.take_finished(0).failed.expect("writes fail");
        assert_eq!(failed.written_whole, 0);
        assert_eq!(failed.unwritten, expected);
        assert_eq!(t.path.metadata().unwrap().len(), 0);
    }
}
