//! Write-behind: when the writer's buffer fills, a per-writer thread fills
//! in its frames' CRCs and hands it to the OS while the writer fills the
//! next one, so that encoding overlaps checksumming and the kernel's copy
//! into the page cache.
//!
//! Up to [`DEPTH`] full buffers are in flight (queued or being written),
//! written in order. One
//! buffer in flight was not enough: each hand-off then cost a wakeup of the
//! other thread (tens of microseconds on a virtual machine whose idle CPU
//! halts), and whichever thread got ahead idled. With a queue the writing
//! thread keeps going while the encoder runs ahead, and neither waits on the
//! other unless it is really faster.
//!
//! After a failed write nothing later in the queue is written (that would
//! leave a hole): the unwritten bytes all come back to the writer, which
//! puts them in front of its buffer and reports the error, so errors still
//! surface in order and nothing is written out of order.
//!
//! Buffers are paired: one that covers the first half of a piece of the
//! file twice the hand-off unit long, aligned to its length, waits for the
//! buffer after it (the second half), and both go to the OS in one write.
//! With the default 1 MiB buffer the page cache then holds each 2 MiB piece
//! in one 2 MiB folio, which a reader's mapping maps with one page-table
//! entry: a rare type's records read through the per-type index cost about
//! 0.3 us each, against 0.8 us in the 1 MiB folios of 1 MiB writes (fault
//! and unmap of 16 page-table entries a record; a 2 MiB buffer gets the same
//! folios but cost the writer about a tenth of its speed on the benchmark
//! VM, see the README). The first half waits only while nobody waits for it
//! (a flush, a sync or a close writes it at once, alone), for at most
//! `HOLD_MAX`, and only when the thread has time to spare (see `partner`).
//!
//! A buffer may end inside a record (the writer cuts its buffers at aligned
//! file offsets, see `State::hand_off`): the next one then starts with that
//! record's last `lead` bytes and carries a copy of its first part (`head`),
//! so that if the next write fails before the record is whole in the file,
//! the file is cut back to where the record starts and the whole record
//! comes back to the writer.

use super::prealloc::Prealloc;
use crate::format::frame;
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, IoSlice, Seek, SeekFrom, Write};
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Full buffers that may be queued or being written at once.
pub const DEPTH: usize = 4;

/// How long a pair's first half waits for the second at most: it bounds how
/// much later a slow writer's records reach the OS (and its followers) than
/// when its buffer filled. A writer slower than 1 MiB a second gets no pairs.
const HOLD_MAX: Duration = Duration::from_secs(1);

/// A write that failed, and everything queued behind it.
pub struct Failed {
    /// Bytes of the failed buffer (whole records) that are in the file; the
    /// file was cut there.
    pub whole: u64,
    /// Bytes before the failed buffer's start that were cut off with it:
    /// the first part of a record the buffer was to complete (0 if it did
    /// not start inside a record, or completed it).
    pub cut_back: u64,
    /// The bytes that were not written: the cut-back part, the rest of the
    /// failed buffer and every buffer queued after it, in order, sealed.
    pub rest: Vec<u8>,
    pub err: io::Error,
    /// Cutting a partial record off failed too: the file is suspect.
    pub cut_err: Option<io::Error>,
}

impl Failed {
    /// The thread panicked: the bytes in flight are lost and the file may
    /// hold part of them, so the writer must not go on (`cut_err`).
    fn panicked() -> Failed {
        let err = || io::Error::other("the write-behind thread panicked");
        Failed {
            whole: 0,
            cut_back: 0,
            rest: Vec::new(),
            err: err(),
            cut_err: Some(err()),
        }
    }
}

/// What the writer collects from the thread.
#[derive(Default)]
pub struct Reaped {
    /// Buffers written in full, in order, for reuse (not yet cleared).
    pub written: Vec<Vec<u8>>,
    pub failed: Option<Failed>,
}

/// A buffer to write at `offset`; see [`WriteBehind::submit`].
pub struct Job {
    pub buf: Vec<u8>,
    pub offset: u64,
    /// The buffer's first `lead` bytes end a record begun in the buffer
    /// before, whose bytes there `head` holds.
    pub lead: usize,
    pub head: Vec<u8>,
    /// The frames in this range of `buf` have no CRC yet (`head` and any
    /// bytes outside the range are sealed); see [`Job::seal`].
    pub unsealed: Range<usize>,
}

impl Job {
    /// Fills in the CRCs the buffer lacks. Done before the first attempt to
    /// write it, and before its bytes go back to the writer unwritten, so
    /// that no unsealed frame ever reaches the file or the writer's buffer.
    fn seal(&mut self) {
        let range = std::mem::take(&mut self.unsealed);
        frame::seal_frames(&mut self.buf[range]);
    }

    /// The file offset just past the buffer.
    fn end(&self) -> u64 {
        self.offset + self.buf.len() as u64
    }
}

#[derive(Default)]
struct Slot {
    queue: VecDeque<Job>,
    /// Jobs the thread took off the queue and is writing (2 for a pair).
    writing: usize,
    written: Vec<Vec<u8>>,
    failed: Option<Failed>,
    /// The writer waits until at most this many jobs are in flight.
    waiting_for: Option<usize>,
    stop: bool,
    /// The thread panicked and ended (see `run`).
    dead: bool,
    /// Jobs this thread had frames to seal in (tests check who sealed).
    #[cfg(test)]
    sealed_here: usize,
    /// Jobs taken, and the one to panic on (tests of a panic's handling).
    #[cfg(test)]
    taken: usize,
    #[cfg(test)]
    panic_on_job: Option<usize>,
}

impl Slot {
    fn in_flight(&self) -> usize {
        self.queue.len() + self.writing
    }
}

struct Shared {
    slot: Mutex<Slot>,
    /// The hand-off unit if buffers are paired: a buffer of exactly this
    /// length at a multiple of twice it waits for its partner (see the
    /// module's comment).
    pair_unit: Option<u64>,
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
    /// `pair_unit` if they are to be paired (see `State::hand_off`).
    pub fn start(
        file: File,
        mut prealloc: Prealloc,
        pair_unit: Option<u64>,
    ) -> io::Result<WriteBehind> {
        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot::default()),
            pair_unit,
            work: Condvar::new(),
            done: Condvar::new(),
        });
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("binlog-write".into())
            .spawn(move || run(&s, &file, &mut prealloc))?;
        Ok(WriteBehind {
            shared,
            thread: Some(thread),
        })
    }

    /// Queues `job`, to be written after every buffer queued before it.
    /// The caller keeps fewer than [`DEPTH`] in flight (see
    /// [`WriteBehind::reap`]). If a write failed since the last reap, the
    /// job is not written: its buffer joins the failure's unwritten bytes
    /// (which already hold its `head`).
    pub fn submit(&self, mut job: Job) {
        let mut slot = self.shared.slot.lock();
        debug_assert!(slot.in_flight() < DEPTH);
        if slot.dead {
            slot.failed.get_or_insert_with(Failed::panicked);
            return;
        }
        if let Some(failed) = slot.failed.as_mut() {
            job.seal();
            failed.rest.extend_from_slice(&job.buf);
            return;
        }
        slot.queue.push_back(job);
        // No system call when the thread is busy writing (nobody waits).
        self.shared.work.notify_one();
    }

    /// Waits until at most `max_in_flight` buffers are queued or being
    /// written (or a write failed), and takes what finished.
    pub fn reap(&self, max_in_flight: usize) -> Reaped {
        let mut slot = self.shared.slot.lock();
        while slot.in_flight() > max_in_flight && slot.failed.is_none() {
            slot.waiting_for = Some(max_in_flight);
            // A thread waiting for work now holds a pair's first half (with
            // nothing in flight this loop does not run): it is to write it
            // alone. A busy thread has no waiter to wake: no system call.
            self.shared.work.notify_one();
            self.shared.done.wait(&mut slot);
        }
        slot.waiting_for = None;
        Reaped {
            written: std::mem::take(&mut slot.written),
            failed: slot.failed.take(),
        }
    }

    /// Jobs the thread filled in CRCs for.
    #[cfg(test)]
    pub fn sealed_here(&self) -> usize {
        self.shared.slot.lock().sealed_here
    }

    /// Makes the thread panic when it takes its `n`th job (from 1).
    #[cfg(test)]
    pub fn panic_on_job(&self, n: usize) {
        self.shared.slot.lock().panic_on_job = Some(n);
    }
}

impl Drop for WriteBehind {
    fn drop(&mut self) {
        self.shared.slot.lock().stop = true;
        self.shared.work.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The thread's body. A panic in it (a bug) must not leave the writer
/// waiting forever for a job: the thread ends, the jobs in flight are
/// dropped and the writer gets a failure that poisons it.
fn run(shared: &Shared, file: &File, prealloc: &mut Prealloc) {
    let served = panic::catch_unwind(AssertUnwindSafe(|| serve(shared, file, prealloc)));
    if served.is_err() {
        // The guard of a lock held at the panic was dropped while unwinding.
        let mut slot = shared.slot.lock();
        slot.dead = true;
        slot.queue.clear();
        slot.writing = 0;
        slot.failed = Some(Failed::panicked());
        shared.done.notify_all();
    }
}

fn serve(shared: &Shared, file: &File, prealloc: &mut Prealloc) {
    // How long the last job kept the thread busy (sealing and writing; see
    // `partner`).
    let mut busy = Duration::ZERO;
    loop {
        // How long the thread waited for this job.
        let mut idle = Duration::ZERO;
        let mut job = {
            let mut slot = shared.slot.lock();
            loop {
                if let Some(job) = take(&mut slot) {
                    break job;
                }
                if slot.stop {
                    return;
                }
                let since = Instant::now();
                shared.work.wait(&mut slot);
                idle += since.elapsed();
            }
        };
        let hold = idle >= busy;
        let sealing = Instant::now();
        job.seal();
        busy = sealing.elapsed();
        let second = if shared.pair_unit.is_some_and(|u| starts_pair(&job, u)) {
            partner(shared, hold)
        } else {
            None
        };
        let writing = Instant::now();
        let end = second.as_ref().map_or(&job, |s| s).end();
        prealloc.ensure(file, job.offset, end);
        let (first, result) = match second {
            Some(second) => write_pair(file, job, second),
            None => (None, write_from(file, job, 0)),
        };
        busy += writing.elapsed();
        let mut slot = shared.slot.lock();
        slot.writing = 0;
        slot.written.extend(first);
        match result {
            Ok(buf) => slot.written.push(buf),
            Err(mut failed) => {
                // Nothing after a failed write may reach the file.
                for mut job in slot.queue.drain(..) {
                    job.seal();
                    failed.rest.extend_from_slice(&job.buf);
                }
                slot.failed = Some(failed);
            }
        }
        // Wake the writer only once what it waits for is true: a settle
        // waiting for 4 buffers costs one wakeup, not 4.
        let reached = slot
            .waiting_for
            .is_some_and(|n| slot.in_flight() <= n || slot.failed.is_some());
        if reached {
            shared.done.notify_one();
        }
    }
}

/// The next job off the queue, counted as being written.
fn take(slot: &mut Slot) -> Option<Job> {
    let job = slot.queue.pop_front()?;
    slot.writing += 1;
    #[cfg(test)]
    {
        slot.sealed_here += !job.unsealed.is_empty() as usize;
        slot.taken += 1;
        assert!(slot.panic_on_job != Some(slot.taken), "test panic");
    }
    Some(job)
}

/// Whether `job` is the first half of a piece of the file `2 * unit` long
/// and aligned to that length (see the module's comment).
fn starts_pair(job: &Job, unit: u64) -> bool {
    job.buf.len() as u64 == unit && job.offset % (2 * unit) == 0
}

/// The job after a pair's first half, sealed, if it is queued, or, if
/// `hold`, once it is; `None` otherwise, and when the writer waits for the
/// first half (a flush, sync or close) or the thread is to stop: the first
/// half is then written alone.
///
/// Holding the first half is free only while the thread has time to spare:
/// the caller (`serve`) holds when the thread waited for the first half at
/// least as long as its last job kept it busy. After a pair that job wrote
/// 2 MiB, so a writer that fills a buffer in less than about four times
/// what the thread spends on one gets only some of its pieces paired (it
/// alternates); counting the wait for the second half too, to pair those
/// writers' every piece, cost small records in batches of 1024 another 6%
/// (34.9 against 37.2 M records/s, 7 interleaved runs). A thread that is the
/// bottleneck and idles while holding loses that time for good (32-byte
/// records in batches of 1024, where the thread fills in the CRCs: 8% fewer
/// records a second when it always held, 4% when it never did, against no
/// pairing; 9 and 5 interleaved runs of each). When it has work queued it
/// pairs without waiting.
fn partner(shared: &Shared, hold: bool) -> Option<Job> {
    let deadline = Instant::now() + HOLD_MAX;
    let mut slot = shared.slot.lock();
    let mut second = loop {
        if let Some(job) = take(&mut slot) {
            break job;
        }
        let awaited = slot.waiting_for.is_some_and(|n| slot.in_flight() > n);
        if !hold || slot.stop || awaited || Instant::now() >= deadline {
            return None;
        }
        shared.work.wait_until(&mut slot, deadline);
    };
    drop(slot);
    second.seal();
    Some(second)
}

/// Writes `first` and `second` (the job after it) with one system call, so
/// that the page cache keeps the piece they cover in one folio, and what
/// that call left of them with `pwrite` (a short write, an error, which the
/// retry then reports). Returns `first`'s buffer if it was written in full
/// and `second`'s result; if `first` failed, its failure carries `second`'s
/// bytes too.
fn write_pair(file: &File, first: Job, second: Job) -> (Option<Vec<u8>>, Result<Vec<u8>, Failed>) {
    debug_assert_eq!(first.end(), second.offset, "jobs are written in order");
    let mut f = file;
    let wrote = f
        .seek(SeekFrom::Start(first.offset))
        .and_then(|_| f.write_vectored(&[IoSlice::new(&first.buf), IoSlice::new(&second.buf)]));
    // An error is met again, and reported, by the retry below.
    let n = wrote.unwrap_or(0);
    let first_len = first.buf.len();
    match write_from(file, first, n.min(first_len)) {
        Ok(buf) => (
            Some(buf),
            write_from(file, second, n.saturating_sub(first_len)),
        ),
        Err(mut failed) => {
            let mut second = second;
            failed.rest.append(&mut second.buf);
            (None, Err(failed))
        }
    }
}

/// Writes what is left of `job`'s buffer after its first `written` bytes.
fn write_from(file: &File, job: Job, mut written: usize) -> Result<Vec<u8>, Failed> {
    while written < job.buf.len() {
        match file.write_at(&job.buf[written..], job.offset + written as u64) {
            Ok(0) => return Err(failed(file, job, written, io::ErrorKind::WriteZero.into())),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(failed(file, job, written, e)),
        }
    }
    Ok(job.buf)
}

fn failed(file: &File, job: Job, written: usize, err: io::Error) -> Failed {
    if written < job.lead {
        // The record begun in the buffer before is not whole in the file:
        // cut it off from where it starts and give all of it back.
        let start = job.offset - job.head.len() as u64;
        let mut rest = job.head;
        rest.extend_from_slice(&job.buf);
        return Failed {
            whole: 0,
            cut_back: job.offset - start,
            rest,
            err,
            cut_err: file.set_len(start).err(),
        };
    }
    let whole = job.lead + frame::whole_frames_len(&job.buf[job.lead..written]);
    let cut_err = if whole < written {
        file.set_len(job.offset + whole as u64).err()
    } else {
        None
    };
    Failed {
        whole: whole as u64,
        cut_back: 0,
        rest: job.buf[whole..].to_vec(),
        err,
        cut_err,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_file::TestFile;
    use super::*;

    /// A frame of `len` body bytes (whole_frames_len reads the length).
    fn frame(fill: u8, len: usize) -> Vec<u8> {
        let mut v = (len as u32).to_le_bytes().to_vec();
        v.extend_from_slice(&[0; 4]);
        v.resize(crate::format::FRAME_HEADER_LEN + len, fill);
        v
    }

    /// A thread writing `t`'s file.
    fn start(t: &TestFile) -> WriteBehind {
        WriteBehind::start(
            t.file.try_clone().unwrap(),
            Prealloc::new(0, 1 << 16, None),
            None,
        )
        .unwrap()
    }

    fn job(buf: &[u8], offset: u64) -> Job {
        Job {
            buf: buf.to_vec(),
            offset,
            lead: 0,
            head: Vec::new(),
            unsealed: 0..0,
        }
    }

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
        let reaped = wb.reap(0);
        assert!(reaped.failed.is_none());
        assert_eq!(reaped.written, bufs, "buffers come back in order");
        assert_eq!(std::fs::read(&t.path).unwrap(), bufs.concat());
    }

    /// A buffer that starts by ending a record of the buffer before: a
    /// write that fails before that record is whole cuts the file back to
    /// the record's start and returns all of it; one that fails after keeps
    /// it and the whole records that follow.
    #[test]
    fn failed_write_inside_a_record_split_across_buffers() {
        let t = TestFile::new("behind-lead");
        let whole = frame(1, 100);
        let split = frame(2, 300);
        let after = frame(3, 50);
        let (head, tail) = split.split_at(120);
        let before = [whole.clone(), head.to_vec()].concat();
        std::fs::write(&t.path, &before).unwrap();
        let buf = [tail, &after[..]].concat();
        let job = || Job {
            buf: buf.clone(),
            offset: before.len() as u64,
            lead: tail.len(),
            head: head.to_vec(),
            unsealed: 0..0,
        };
        let err = || io::Error::from(io::ErrorKind::StorageFull);

        // Failed 10 bytes into the record's end: cut back to its start.
        std::fs::write(&t.path, [&before[..], &tail[..10]].concat()).unwrap();
        let f = failed(&t.file, job(), 10, err());
        assert_eq!((f.whole, f.cut_back), (0, head.len() as u64));
        assert_eq!(f.rest, [split.clone(), after.clone()].concat());
        assert!(f.cut_err.is_none());
        assert_eq!(
            std::fs::read(&t.path).unwrap(),
            whole,
            "cut at the record's start"
        );

        // Failed inside the next record: the split one is whole and stays.
        std::fs::write(&t.path, [&before[..], &buf[..tail.len() + 7]].concat()).unwrap();
        let f = failed(&t.file, job(), tail.len() + 7, err());
        assert_eq!((f.whole, f.cut_back), (tail.len() as u64, 0));
        assert_eq!(f.rest, after);
        assert_eq!(
            std::fs::read(&t.path).unwrap(),
            [whole.clone(), split.clone()].concat()
        );
    }

    #[test]
    fn nothing_after_a_failed_write_is_written() {
        let t = TestFile::new("behind-fail");
        // Read-only: every write fails (EBADF).
        let ro = File::open(&t.path).unwrap();
        let wb = WriteBehind::start(ro, Prealloc::new(0, 1 << 16, None), None).unwrap();
        let a = frame(1, 100);
        let b = frame(2, 200);
        wb.submit(job(&a, 0));
        wb.submit(job(&b, a.len() as u64));
        let reaped = wb.reap(0);
        let failed = reaped.failed.expect("the write failed");
        assert!(reaped.written.is_empty());
        assert_eq!(failed.whole, 0);
        assert_eq!(
            failed.rest,
            [a.clone(), b.clone()].concat(),
            "every unwritten byte comes back, in order"
        );
        // A buffer submitted after a failure that was not yet reaped joins it.
        wb.submit(job(&a, 0));
        // Let the thread fail it first or not: either way it comes back.
        let reaped = wb.reap(0);
        let failed = reaped.failed.expect("still failing");
        assert_eq!(failed.rest, a);
        assert_eq!(
            std::fs::metadata(&t.path).unwrap().len(),
            0,
            "nothing reached the file"
        );
    }

    /// `count` records of `payload_len` bytes, their CRCs left for `seal`.
    fn unsealed_records(first_seq: u64, count: u64, payload_len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for seq in first_seq..first_seq + count {
            let head = frame::RecordHead {
                seq,
                timestamp_ns: seq as i64 * 1000,
                type_id: 0,
                define: None,
                meta: &[],
            };
            frame::encode_unsealed(&mut out, &head, &[&vec![seq as u8; payload_len]]);
        }
        out
    }

    /// Every frame of `bytes` whole, with a matching CRC.
    fn assert_all_sealed(bytes: &[u8], what: &str) {
        let mut pos = 0;
        while pos < bytes.len() {
            match frame::frame_at(bytes, pos, true) {
                frame::FrameAt::Frame { total, .. } => pos += total,
                other => panic!("{what}: frame at {pos}: {other:?}"),
            }
        }
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
        let reaped = wb.reap(0);
        assert!(reaped.failed.is_none());
        let file = std::fs::read(&t.path).unwrap();
        assert_eq!(file.len(), buf.len());
        assert_all_sealed(&file[..range.end], "file");
        assert_eq!(file[range.end..], last, "bytes past the range untouched");
        assert_eq!(file[..range.start], sealed_front);
    }

    /// Bytes that come back unwritten after a failure are sealed: those of
    /// the failed buffer, of the buffers queued behind it and of a buffer
    /// submitted after it.
    #[test]
    fn unwritten_bytes_come_back_sealed() {
        let t = TestFile::new("behind-fail-sealed");
        let ro = File::open(&t.path).unwrap();
        let wb = WriteBehind::start(ro, Prealloc::new(0, 1 << 16, None), None).unwrap();
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
        let rest = wb.reap(0).failed.expect("writes fail").rest;
        assert_all_sealed(&rest, "unwritten bytes");
        frame::seal_frames(&mut expected);
        assert_eq!(rest, expected);
    }

    /// A thread pairing buffers of `UNIT` bytes.
    const UNIT: u64 = 1 << 16;
    fn start_pairing(file: File) -> WriteBehind {
        WriteBehind::start(file, Prealloc::new(0, UNIT as usize, None), Some(UNIT)).unwrap()
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
        assert_eq!(wb.reap(DEPTH - 1).written.len(), 0, "and still in flight");
        wb.submit(b);
        let reaped = wb.reap(0);
        assert!(reaped.failed.is_none());
        assert_eq!(
            reaped.written.concat(),
            expected,
            "both come back, in order"
        );
        assert_eq!(std::fs::read(&t.path).unwrap(), expected);
    }

    /// A buffer that is not a first half (the second half of a piece, or
    /// one at a piece's start but shorter than the unit) is written at once:
    /// well before `HOLD_MAX`, which ends any hold.
    #[test]
    fn only_a_first_half_is_held() {
        let t = TestFile::new("behind-pair-not-first");
        let wb = start_pairing(t.file.try_clone().unwrap());
        std::fs::write(&t.path, vec![0u8; UNIT as usize]).unwrap();
        // What a reap that waits for nothing returns, once it returns some.
        let written_unheld = |what: &str| {
            let deadline = std::time::Instant::now() + HOLD_MAX / 2;
            loop {
                let written = wb.reap(DEPTH - 1).written;
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
        let reaped = wb.reap(0);
        assert_eq!(reaped.written, vec![expected.clone()]);
        assert_eq!(std::fs::read(&t.path).unwrap(), expected);

        let t = TestFile::new("behind-pair-stop");
        let wb = start_pairing(t.file.try_clone().unwrap());
        wb.submit(unit_job(1, 0));
        std::thread::sleep(std::time::Duration::from_millis(20));
        drop(wb);
        assert_eq!(std::fs::read(&t.path).unwrap(), expected);
    }

    /// A first half waits for its second half at most `HOLD_MAX`, then
    /// goes alone.
    #[test]
    fn a_first_half_waits_no_longer_than_hold_max() {
        let t = TestFile::new("behind-pair-deadline");
        let wb = start_pairing(t.file.try_clone().unwrap());
        let a = unit_job(1, 0);
        let expected = a.buf.clone();
        let submitted = std::time::Instant::now();
        wb.submit(a);
        while t.path.metadata().unwrap().len() == 0 {
            assert!(submitted.elapsed() < 10 * HOLD_MAX, "never written");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(submitted.elapsed() >= HOLD_MAX, "{:?}", submitted.elapsed());
        assert_eq!(wb.reap(0).written, vec![expected]);
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
        let failed = wb.reap(0).failed.expect("writes fail");
        assert_eq!(failed.whole, 0);
        assert_eq!(failed.rest, expected);
        assert_eq!(t.path.metadata().unwrap().len(), 0);
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
        let failed = wb.reap(0).failed.expect("the job failed");
        assert!(
            failed.err.to_string().contains("panicked"),
            "{}",
            failed.err
        );
        assert!(failed.cut_err.is_some(), "the writer is poisoned");
        // The thread is gone: a later job fails at once, nothing hangs.
        wb.submit(job(&frame(7, 100), 0));
        assert!(wb.reap(0).failed.is_some());
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
        let failed = wb.reap(0).failed.expect("the jobs failed");
        assert!(failed.cut_err.is_some(), "the writer is poisoned");
        assert!(wb.reap(0).failed.is_none(), "nothing left in flight");
    }
}
