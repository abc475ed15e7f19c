//! A compressed segment's next frames decompressed ahead of a scan by a
//! small pool of threads, each with its own zstd context, and taken back
//! in frame order: decompressing overlaps the reader's checks, on as many
//! cores as there are threads.
//!
//! The reader's thread reads each frame's compressed bytes (a source is
//! read by one thread) and hands them over; a worker checks and
//! decompresses the frame as the reader's thread would
//! (`FrameDecoder::decode`: the same checks and errors), and the reader
//! takes the outcome when it reaches that frame. A frame whose bytes could
//! not be read is handed back as that error, in its place.
//!
//! Memory is bounded: at most `frames_max` frames (`FRAMES_PER_THREAD` a
//! thread) are handed over and not yet taken, and beyond the first of them
//! at most `AHEAD_BYTES` (each the larger of its compressed and original
//! sizes). Each frame's room is reserved with `try_reserve`
//! (`Frame::reserve`): room that cannot be had is an error handed back,
//! never an abort (the caller then decodes the frame itself: see
//! `CompressedSegment::stream_frame`).
//!
//! Workers end once the pool is dropped (a seek elsewhere, a filter, the
//! last frame taken, the reader dropped): each finishes its frame, if any,
//! and decodes none of those still queued. Dropping the pool never waits
//! for a frame being decoded. In a child after fork() the workers do not
//! exist: the pool notices and gives up (`take` returns `None`).

use super::frame_decoder::{Frame, FrameDecoder};
use super::seek_table::FrameEntry;
use crate::error::Result;
use std::collections::VecDeque;
use std::io;
use std::mem::ManuallyDrop;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex, Weak};

/// Frames handed over and not yet taken, at most, for each thread.
pub const FRAMES_PER_THREAD: usize = 2;
/// Bytes of the frames handed over and not yet taken (each the larger of
/// its compressed and original sizes), at most, beyond the first of them.
pub const AHEAD_BYTES: u64 = 32 << 20;
/// Threads a pool has at most.
pub const MAX_THREADS: usize = 4;

/// A frame decompressed (or not) by a worker.
pub struct DecodedFrame {
    pub index: usize,
    /// Its original bytes, if `result` is `Ok`.
    pub bytes: Vec<u8>,
    pub result: Result<()>,
    /// The compressed bytes' buffer, for reuse.
    src: Vec<u8>,
}

/// A frame for a worker: its entry, its compressed bytes and the buffer to
/// decompress it into (`frame`), and where to send it back.
struct Job {
    entry: FrameEntry,
    frame: DecodedFrame,
    done: SyncSender<DecodedFrame>,
}

/// What the pool shares with its workers.
struct Channels {
    jobs: Sender<Job>,
    pending: VecDeque<Pending>,
}

/// A frame handed over: its size, and where its outcome comes back.
struct Pending {
    size: u64,
    outcome: Receiver<DecodedFrame>,
}

pub struct DecodeAhead {
    /// The workers' queue, and the frames handed over, in frame order,
    /// from `taken_next` on; dropped only in the process that made them.
    channels: ManuallyDrop<Channels>,
    pending_bytes: u64,
    /// The frame `take` returns next, and the frames still to hand over.
    taken_next: usize,
    to_hand: Range<usize>,
    frames_max: usize,
    /// Whether handing over stopped (a frame's bytes could not be read).
    stopped: bool,
    /// Buffers back from the reader, for the next frames.
    spare_out: Vec<Vec<u8>>,
    spare_src: Vec<Vec<u8>>,
    /// The process the workers run in.
    pid: u32,
    /// Alive as long as the pool: a worker decodes no job taken after.
    _alive: Arc<()>,
    /// Each worker holds a clone while it runs.
    #[cfg(test)]
    pub(super) probe: Arc<Probe>,
}

/// What a worker holds.
struct Worker {
    path: Arc<PathBuf>,
    queue: Arc<Mutex<Receiver<Job>>>,
    /// The pool's `_alive`.
    pool: Weak<()>,
    #[cfg(test)]
    probe: Arc<Probe>,
}

/// For the tests: a gate each worker passes before decoding a frame, the
/// frames decoded, and a frame whose worker panics (if set).
#[cfg(test)]
#[derive(Default)]
pub(super) struct Probe {
    gate: Mutex<()>,
    decoded: std::sync::atomic::AtomicUsize,
    pub(super) panic_at: Mutex<Option<usize>>,
}

impl DecodeAhead {
    /// Starts `threads` workers (at least one spawned, or the error) to
    /// decompress frames `frames` of the segment named `path`.
    pub fn start(path: &Path, threads: usize, frames: Range<usize>) -> io::Result<DecodeAhead> {
        let threads = threads.clamp(1, MAX_THREADS);
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let path: Arc<PathBuf> = Arc::new(path.to_path_buf());
        let alive = Arc::new(());
        #[cfg(test)]
        let probe = Arc::new(Probe::default());
        let mut spawned = 0;
        let mut failure = None;
        for _ in 0..threads {
            let worker = Worker {
                path: path.clone(),
                queue: queue.clone(),
                pool: Arc::downgrade(&alive),
                #[cfg(test)]
                probe: probe.clone(),
            };
            let builder = std::thread::Builder::new().name("binlog-decode".into());
            match builder.spawn(move || worker.work()) {
                Ok(_) => spawned += 1,
                Err(e) => failure = Some(e),
            }
        }
        if spawned == 0 {
            return Err(failure.expect("a failure when no thread was spawned"));
        }
        let pending = VecDeque::new();
        Ok(DecodeAhead {
            channels: ManuallyDrop::new(Channels { jobs, pending }),
            pending_bytes: 0,
            taken_next: frames.start,
            to_hand: frames,
            frames_max: spawned * FRAMES_PER_THREAD,
            stopped: false,
            spare_out: Vec::new(),
            spare_src: Vec::new(),
            pid: std::process::id(),
            _alive: alive,
            #[cfg(test)]
            probe,
        })
    }

    /// The frame `take` returns next (if the pool has it to give).
    pub fn next_index(&self) -> usize {
        self.taken_next
    }

    /// Hands over frames (their entries in `frames`, the whole seek table)
    /// up to the bound: `read(entry, buf)` reads a frame's compressed
    /// bytes; a read that fails is handed back as that frame's error, and
    /// ends the handing over.
    pub fn hand_over(
        &mut self,
        frames: &[FrameEntry],
        mut read: impl FnMut(&FrameEntry, &mut Vec<u8>) -> Result<()>,
    ) {
        while !self.stopped && self.to_hand.start < self.to_hand.end {
            let index = self.to_hand.start;
            let entry = frames[index];
            // What it holds in memory: its compressed or original size, the larger.
            let size = u64::from(entry.size).max(u64::from(entry.compressed_size));
            let full = self.channels.pending.len() >= self.frames_max
                || (!self.channels.pending.is_empty() && self.pending_bytes + size > AHEAD_BYTES);
            if full {
                return;
            }
            let (done, outcome) = sync_channel(1);
            let mut frame = DecodedFrame {
                index,
                bytes: self.spare_out.pop().unwrap_or_default(),
                result: Ok(()),
                src: self.spare_src.pop().unwrap_or_default(),
            };
            match read(&entry, &mut frame.src) {
                Ok(()) => {
                    if self.channels.jobs.send(Job { entry, frame, done }).is_err() {
                        return; // no worker left: `take` says so
                    }
                }
                Err(e) => {
                    frame.result = Err(e);
                    let _ = done.send(frame);
                    self.stopped = true;
                }
            }
            self.channels.pending.push_back(Pending { size, outcome });
            self.pending_bytes += size;
            self.to_hand.start += 1;
        }
    }

    /// The next frame (`next_index`), once its worker is done with it;
    /// `None` if the pool cannot give it (nothing handed over, a worker
    /// gone, another process since fork()): the caller decodes it itself.
    pub fn take(&mut self) -> Option<DecodedFrame> {
        if std::process::id() != self.pid {
            return None;
        }
        let pending = self.channels.pending.pop_front()?;
        self.pending_bytes -= pending.size;
        let mut frame = pending.outcome.recv().ok()?;
        self.taken_next += 1;
        self.spare_src.push(std::mem::take(&mut frame.src));
        Some(frame)
    }

    /// A buffer the reader is done with, to decompress a later frame into.
    pub fn give_back(&mut self, bytes: Vec<u8>) {
        if self.spare_out.len() < self.frames_max {
            self.spare_out.push(bytes);
        }
    }

    /// Whether every frame of the pool's range (or, handing over stopped,
    /// every frame handed over) has been taken.
    pub fn is_done(&self) -> bool {
        (self.stopped || self.to_hand.is_empty()) && self.channels.pending.is_empty()
    }

    /// Frames handed over and not yet taken.
    pub fn frames_ahead(&self) -> usize {
        self.channels.pending.len()
    }
}

impl Drop for DecodeAhead {
    /// Closes the workers' queue and drops the frames handed over: each
    /// worker ends after its frame. Not in a child after fork(): its
    /// workers do not exist, and a lock one held at the fork would never
    /// be released (the channels' memory is the child's loss).
    fn drop(&mut self) {
        if std::process::id() == self.pid {
            // SAFETY: dropped once, here, and never used after.
            unsafe { ManuallyDrop::drop(&mut self.channels) };
        }
    }
}

impl Worker {
    /// Decompresses the queue's frames, each into its job's buffer, and
    /// sends each back, until the pool is dropped.
    fn work(self) {
        let mut decoder = FrameDecoder::default();
        loop {
            let next = self.queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
            let Ok(mut job) = next else {
                return; // the pool was dropped
            };
            #[cfg(test)]
            drop(self.probe.gate.lock());
            if self.pool.strong_count() == 0 {
                return; // nobody takes the frames still queued
            }
            let (f, entry) = (&mut job.frame, job.entry);
            #[cfg(test)]
            if *self.probe.panic_at.lock().unwrap() == Some(f.index) {
                panic!("a worker panics on frame {}, for a test", f.index);
            }
            let frame = Frame::new(&self.path, f.index, entry);
            f.result = decoder.decode(frame, &f.src, &mut f.bytes);
            #[cfg(test)]
            (self.probe.decoded).fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = job.done.send(job.frame); // unwanted once the pool is dropped
        }
    }
}

/// The threads a scan decompresses ahead on by default: as many as the
/// machine runs at once, at most `MAX_THREADS`; 0 on a single core (the
/// reader's thread decompresses).
pub fn default_threads() -> usize {
    match std::thread::available_parallelism().map_or(1, |n| n.get()) {
        1 => 0,
        n => n.min(MAX_THREADS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compressed::frame_writer::{SeekableWriter, DEFAULT_LEVEL};
    use crate::error::ErrorKind;
    use std::time::{Duration, Instant};

    /// `n` frames of distinct bytes, compressed, and their entries.
    fn frames(n: usize, size: usize) -> (Vec<u8>, Vec<FrameEntry>, Vec<Vec<u8>>) {
        let mut w = SeekableWriter::new(Vec::new(), DEFAULT_LEVEL).unwrap();
        let originals: Vec<Vec<u8>> = (0..n)
            .map(|f| (0..size).map(|i| (i * 7 / 5 + f * 13) as u8).collect())
            .collect();
        let entries = originals.iter().map(|o| w.frame(o).unwrap()).collect();
        let (bytes, _) = w.finish().unwrap();
        (bytes, entries, originals)
    }

    fn read_from(bytes: &[u8]) -> impl FnMut(&FrameEntry, &mut Vec<u8>) -> Result<()> + '_ {
        |e, buf| {
            let at = e.compressed_offset as usize;
            buf.clear();
            buf.extend_from_slice(&bytes[at..at + e.compressed_size as usize]);
            Ok(())
        }
    }

    #[test]
    fn frames_come_back_in_order_and_no_more_than_the_bound_are_held_ahead() {
        let (bytes, entries, originals) = frames(20, 50_000);
        let mut ahead = DecodeAhead::start(Path::new("f.zst"), 3, 2..20).unwrap();
        assert_eq!(ahead.frames_max, 3 * FRAMES_PER_THREAD);
        for (i, original) in originals.iter().enumerate().skip(2) {
            ahead.hand_over(&entries, read_from(&bytes));
            assert!(ahead.frames_ahead() <= ahead.frames_max);
            assert!(ahead.frames_ahead() > 0);
            assert_eq!(ahead.next_index(), i);
            let f = ahead.take().unwrap();
            assert_eq!(f.index, i);
            f.result.unwrap();
            assert_eq!(f.bytes, *original, "frame {i}");
            ahead.give_back(f.bytes);
        }
        ahead.hand_over(&entries, read_from(&bytes));
        assert!(ahead.take().is_none(), "nothing past the range");
    }

    #[test]
    fn frames_larger_than_the_byte_bound_are_held_ahead_one_at_a_time() {
        let (bytes, mut entries, _) = frames(4, 1000);
        for e in &mut entries {
            e.size = (AHEAD_BYTES / 2 + 1) as u32; // a lying seek table
        }
        let mut ahead = DecodeAhead::start(Path::new("f.zst"), 2, 0..4).unwrap();
        ahead.hand_over(&entries, read_from(&bytes));
        assert_eq!(ahead.frames_ahead(), 1);
        let f = ahead.take().unwrap();
        assert!(f.result.is_err(), "the frame's size is not the entry's");
    }

    #[test]
    fn frames_whose_compressed_bytes_exceed_the_byte_bound_are_held_ahead_one_at_a_time() {
        let (bytes, entries, _) = frames(4, 1000);
        let mut lying = entries.clone();
        for e in &mut lying {
            e.compressed_size = (AHEAD_BYTES / 2 + 1) as u32; // a lying seek table
        }
        let mut ahead = DecodeAhead::start(Path::new("f.zst"), 2, 0..4).unwrap();
        let mut read = read_from(&bytes);
        ahead.hand_over(&lying, |e, buf| {
            let real = entries.iter().find(|r| r.offset == e.offset).unwrap();
            read(real, buf)
        });
        assert_eq!(ahead.frames_ahead(), 1);
    }

    #[test]
    fn a_frame_that_fails_in_a_worker_comes_back_with_the_error_the_reader_s_thread_gives() {
        let (mut bytes, entries, _) = frames(3, 50_000);
        let e = entries[1];
        let at = (e.compressed_offset + u64::from(e.compressed_size) / 2) as usize;
        bytes[at] ^= 0x5a;
        bytes[at + 1] ^= 0x5a;
        let path = Path::new("damaged.zst");
        let mut ahead = DecodeAhead::start(path, 2, 0..3).unwrap();
        ahead.hand_over(&entries, read_from(&bytes));
        let mut results = Vec::new();
        while let Some(f) = ahead.take() {
            results.push(f.result);
        }
        assert!(results[0].is_ok() && results[2].is_ok());
        let theirs = results[1].as_ref().unwrap_err();
        let mut out = Vec::new();
        let src = &bytes[e.compressed_offset as usize..][..e.compressed_size as usize];
        let ours = FrameDecoder::default()
            .decode(Frame::new(path, 1, e), src, &mut out)
            .unwrap_err();
        assert_eq!(theirs.to_string(), ours.to_string());
        assert_eq!(theirs.kind(), ours.kind());
    }

    #[test]
    fn a_frame_whose_bytes_cannot_be_read_is_its_error_in_its_place_and_ends_the_handing_over() {
        let (bytes, entries, _) = frames(4, 1000);
        let mut ahead = DecodeAhead::start(Path::new("f.zst"), 2, 0..4).unwrap();
        let mut inner = read_from(&bytes);
        ahead.hand_over(&entries, |e, buf| match e.offset {
            1000 => Err(crate::Error::invalid("no bytes")),
            _ => inner(e, buf),
        });
        assert!(ahead.take().unwrap().result.is_ok());
        let e = ahead.take().unwrap().result.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(ahead.take().is_none());
    }

    #[test]
    fn a_worker_that_panics_gives_no_frame_in_its_place_and_the_pool_ends_without_waiting() {
        let (bytes, entries, _) = frames(6, 10_000);
        for threads in [1, 2] {
            let mut ahead = DecodeAhead::start(Path::new("f.zst"), threads, 0..6).unwrap();
            *ahead.probe.panic_at.lock().unwrap() = Some(1);
            ahead.hand_over(&entries, read_from(&bytes));
            ahead.take().unwrap().result.unwrap();
            assert!(
                ahead.take().is_none(),
                "{threads} threads: frame 1's worker panicked"
            );
            assert_eq!(ahead.next_index(), 1, "the caller decodes frame 1 itself");
        }
    }

    #[test]
    fn in_a_child_after_fork_the_pool_gives_no_frame_and_drops_without_waiting() {
        let (bytes, entries, _) = frames(8, 1 << 20);
        let mut ahead = DecodeAhead::start(Path::new("f.zst"), 2, 0..8).unwrap();
        ahead.hand_over(&entries, read_from(&bytes));
        let child = crate::sys::ForkedChild::spawn(move || {
            let none = ahead.take().is_none();
            drop(ahead);
            none
        });
        child.wait().unwrap();
    }

    #[test]
    fn a_pool_dropped_while_its_workers_decode_returns_at_once_and_its_workers_end_leaving_the_queue(
    ) {
        let (bytes, entries, _) = frames(8, 1 << 20);
        let mut ahead = DecodeAhead::start(Path::new("f.zst"), 2, 0..8).unwrap();
        let probe = ahead.probe.clone();
        let held = probe.gate.lock().unwrap();
        ahead.hand_over(&entries, read_from(&bytes));
        assert_eq!(ahead.frames_ahead(), 4, "2 frames being decoded, 2 queued");
        // Dropped while both workers are inside a frame: it must not wait
        // for them (it would wait as long as the gate is held).
        let (dropped, returned) = channel();
        std::thread::spawn(move || {
            drop(ahead);
            dropped.send(()).unwrap();
        });
        let waited = returned.recv_timeout(Duration::from_secs(30));
        assert!(waited.is_ok(), "dropping the pool waited for its workers");
        drop(held);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Arc::strong_count(&probe) > 1 {
            assert!(Instant::now() < deadline, "workers still running");
            std::thread::sleep(Duration::from_millis(5));
        }
        let decoded = probe.decoded.load(std::sync::atomic::Ordering::SeqCst);
        assert!(
            decoded <= 2,
            "{decoded} frames decoded: the queued ones too"
        );
    }
}
