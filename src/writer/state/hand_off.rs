//! Handing full buffers to the write-behind thread, cut at aligned file
//! offsets, and taking them back once written (or their bytes, unwritten,
//! after a failure).

use super::{State, NO_RECORD};
use crate::error::{Error, Result};
use crate::format::frame;
use crate::writer::job::{Failed, Job, DEPTH};

impl State {
    /// Hands the full buffer to the background writer (first waiting, if
    /// [`DEPTH`] buffers are in flight, for the oldest to be written), or
    /// writes it here without one.
    ///
    /// The buffer is cut at the last multiple of the hand-off unit it
    /// reaches, even inside a record, and the bytes after the cut start the
    /// next buffer: every background write then covers whole aligned units
    /// of the file, which the page cache keeps in large folios, where
    /// indexed reads are much faster than in 4 KiB pages (docs/PERFORMANCE.md).
    pub(super) fn hand_off(&mut self) -> Result<()> {
        if self.write_behind.is_none() {
            return self.flush_buf();
        }
        self.take_finished(DEPTH - 1)?;
        self.submit_buf(self.cut_in_buf(self.file_len + self.in_flight_len));
        // What stays in the buffer ends the record being appended: its
        // call starts the deadline again (`note_buffered`).
        self.clear_deadline();
        Ok(())
    }

    /// Hands the whole buffer, whose flush deadline passed, to the
    /// write-behind thread (or to the OS here without one), after taking
    /// back what that thread finished: an earlier buffer's failure is
    /// returned here, its bytes back in front of the buffer to be retried.
    /// While buffers are in flight the deadline stays, a `delay` on, so that
    /// the flusher takes their failure back even while the writer idles.
    pub fn hand_off_due(&mut self) -> Result<()> {
        if self.write_behind.is_none() {
            return self.flush_buf();
        }
        let buffered = !self.buf.is_empty();
        // With nothing to queue, only what finished is taken: no wait.
        self.take_finished(if buffered { DEPTH - 1 } else { DEPTH })?;
        if buffered {
            self.submit_buf(self.buf.len());
            self.flusher_in_flight = true;
        }
        let delay = self.deadline.delay.filter(|_| self.in_flight_len > 0);
        self.deadline.due = delay.map(|d| std::time::Instant::now() + d);
        Ok(())
    }

    /// Queues the buffer's first `split` bytes for the write-behind thread;
    /// the bytes after them start the next buffer.
    fn submit_buf(&mut self, split: usize) {
        let offset = self.file_len + self.in_flight_len;
        // Whichever thread has time fills in the CRCs: the background
        // thread with small records (the caller's encoding is the
        // bottleneck), this one with large records or when it is more than
        // one buffer ahead (the kernel's copy is), and always for a signed
        // segment, whose thread also hashes what it writes.
        if self.in_flight_len >= self.caller_seals_from || self.tap.is_some() {
            self.seal_buffered();
        }
        let job = self.cut_off_job(offset, split);
        #[cfg(feature = "sign")]
        (job.tap.iter()).for_each(|t| t.wrote(offset, &[&job.buf], true));
        // What stays was sealed above.
        self.unsealed_from = self.buf.len();
        self.last_record_start = NO_RECORD;
        self.in_flight_len += job.buf.len() as u64;
        self.write_behind.as_ref().expect("checked").submit(job);
    }

    /// Where in the buffer, which starts at file offset `offset`, the job
    /// to hand off ends: at the last multiple of the hand-off unit the
    /// buffer reaches, if that is inside the last record appended (the one
    /// that crossed the boundary) or at its start; never inside the bytes
    /// at the front that end a record of the buffer before. Else the whole
    /// buffer goes.
    fn cut_in_buf(&self, offset: u64) -> usize {
        let end = offset + self.buf.len() as u64;
        let cut = end & !self.unit_mask;
        if self.last_record_start != NO_RECORD
            && cut > offset
            && cut >= offset + self.last_record_start as u64
            && cut < end
        {
            (cut - offset) as usize
        } else {
            self.buf.len()
        }
    }

    /// The job of the buffer's first `split` bytes, at `offset`; the bytes
    /// after them start the next buffer (a spare one).
    fn cut_off_job(&mut self, offset: u64, split: usize) -> Job {
        // A record the cut falls inside (or at) is sealed here: its parts
        // go out in two writes, and a failure returns its first part as
        // sealed bytes.
        let end = if split < self.buf.len() {
            if self.last_record_start >= self.unsealed_from {
                frame::seal_frames(&mut self.buf[self.last_record_start..]);
            }
            self.last_record_start
        } else {
            self.buf.len()
        };
        let unsealed = self.unsealed_from.min(end)..end;
        // The usual capacity, not the buffer's: after a failed write that
        // one holds the bytes taken back too, and spare buffers grown to the
        // capacity of the one before them would double in turn, no end.
        let mut next = self.spare_bufs.pop().unwrap_or_default();
        next.reserve(buf_capacity(self.buffer_size));
        next.extend_from_slice(&self.buf[split..]);
        let (split_tail_len, split_head) =
            if split > self.last_record_start && split < self.buf.len() {
                // `next` starts inside the last record.
                (next.len(), self.buf[self.last_record_start..split].to_vec())
            } else {
                (0, Vec::new())
            };
        self.buf.truncate(split);
        let full = std::mem::replace(&mut self.buf, next);
        Job {
            buf: full,
            offset,
            split_tail_len: std::mem::replace(&mut self.split_tail_len, split_tail_len),
            split_head: std::mem::replace(&mut self.split_head, split_head),
            unsealed,
            due: self.deadline.due,
            tap: self.tap.clone(),
        }
    }

    /// Jobs whose CRCs the write-behind thread filled in (see `hand_off`).
    #[cfg(test)]
    pub fn sealed_behind(&self) -> usize {
        self.write_behind.as_ref().map_or(0, |b| b.sealed_here())
    }

    /// Pairs the write-behind thread wrote, and buffers in pieces.
    pub fn write_behind_writes(&self) -> (u64, u64) {
        self.write_behind.as_ref().map_or((0, 0), |b| b.writes())
    }

    /// The write-behind thread (tests reach it to make it panic).
    #[cfg(test)]
    pub fn write_behind_thread(&self) -> &crate::writer::write_behind::WriteBehind {
        self.write_behind.as_ref().expect("a write-behind thread")
    }

    /// Waits until at most `max_in_flight` buffers are in flight (0: every
    /// one written, or one failed) and takes what the background writer
    /// finished. On failure the unwritten bytes go back to the front of the
    /// buffer, to be retried by the next flush, and the error is returned.
    pub(super) fn take_finished(&mut self, max_in_flight: usize) -> Result<()> {
        if self.in_flight_len == 0 {
            return Ok(());
        }
        let behind = self.write_behind.as_ref().expect("in flight");
        let finished = behind.take_finished(max_in_flight);
        for mut buf in finished.written {
            self.file_len += buf.len() as u64;
            self.in_flight_len -= buf.len() as u64;
            buf.clear();
            self.spare_bufs.push(buf);
        }
        self.flusher_in_flight &= self.in_flight_len > 0;
        finished.failed.map_or(Ok(()), |f| self.take_back(f))
    }

    /// Takes back what a failed write left (`job::write_remainder`), here
    /// or on the write-behind thread: the whole records written stay, the
    /// unwritten bytes go back to the front of the buffer, to be retried by
    /// the next flush, and the error is returned.
    pub(super) fn take_back(&mut self, failed: Failed) -> Result<()> {
        self.file_len = self.file_len + failed.written_whole - failed.cut_back;
        // The file may be cut below what the running digest holds: a new
        // one (nothing is in flight).
        #[cfg(feature = "sign")]
        (self.tap.iter_mut()).for_each(|t| *t = Default::default());
        self.in_flight_len = 0;
        self.flusher_in_flight = false;
        // `unwritten` ends where the buffer starts: a record cut across
        // both is whole again.
        self.split_tail_len = 0;
        self.split_head = Vec::new();
        self.last_record_start = NO_RECORD;
        // `unwritten` is sealed (see `Failed::unwritten`).
        self.unsealed_from += failed.unwritten.len();
        // In place, by memmove: byte by byte (`splice`), a debug build spent
        // minutes of a test's failing writes here.
        let (n, old) = (failed.unwritten.len(), self.buf.len());
        self.buf.extend_from_slice(&failed.unwritten);
        self.buf.copy_within(..old, n);
        self.buf[..n].copy_from_slice(&failed.unwritten);
        if let Some(e) = failed.cut_err {
            // `e` is why: cutting failed, or the thread panicked.
            let why = "after a failed write the file could not be made to end on a whole record";
            self.poison_at(self.file_len, format!("{why}: {e}"));
        }
        Err(Error::io_at(&self.path, self.file_len, "write", failed.err))
    }
}

/// The capacity of a buffer: its size (at least 4 KiB) and room for one
/// more record as long (a longer one goes to the file directly).
pub(super) fn buf_capacity(buffer_size: usize) -> usize {
    buffer_size.max(4096) * 2
}

/// The unit at whose multiples full buffers are cut: the buffer size
/// rounded down to a power of two, at least 4 KiB and at most 2 MiB (the
/// largest folio the page cache uses on x86-64 and arm64 with 4 KiB pages).
pub(super) fn hand_off_unit(buffer_size: usize) -> u64 {
    const MAX: u64 = 2 << 20;
    let size = (buffer_size as u64).clamp(4096, MAX);
    1 << (63 - size.leading_zeros())
}

/// The hand-off unit when the write-behind thread writes buffers in pairs
/// (see `write_behind::pair`): when two units make a 2 MiB folio. Pairs of
/// smaller units would hold records back for folios that gain little.
pub(super) fn pair_unit(buffer_size: usize) -> Option<u64> {
    let unit = hand_off_unit(buffer_size);
    (unit == 1 << 20).then_some(unit)
}

/// `State::caller_seals_from` for buffers of `buffer_size` bytes: more than
/// a buffer and, when buffers are paired, a pair's first half, which waits
/// in flight for the second: the thread is behind only with more than that.
pub(super) fn caller_seals_from(buffer_size: usize) -> u64 {
    buffer_size as u64 + pair_unit(buffer_size).map_or(0, |u| u) + 1
}

#[cfg(test)]
mod tests {
    use crate::error::ErrorKind;
    use crate::writer::options::Options;
    use crate::writer::test_file::temp_segment;
    use crate::writer::{Entry, Writer};

    /// Whichever thread fills in the CRCs at a hand-off (the caller when the
    /// background thread is behind, else that thread), the segment is the
    /// same, byte for byte, and reads back whole: records cut across two
    /// buffers, records larger than the buffer and batches included.
    #[test]
    fn either_thread_sealing_writes_the_same_segment() {
        let write = |name: &str, caller_seals_from: u64| {
            let path = temp_segment(name);
            let w = Writer::open(
                &path,
                Options {
                    buffer_size: 16 << 10,
                    created_ns: Some(1),
                    ..Options::default()
                },
            )
            .unwrap();
            w.shared.state.lock().caller_seals_from = caller_seals_from;
            let payloads: Vec<Vec<u8>> = (0..20_000u64)
                .map(|i| {
                    let len = if i % 5_000 == 4_999 {
                        40_000
                    } else {
                        (i * 37 % 300) as usize
                    };
                    vec![i as u8; len]
                })
                .collect();
            for chunk in payloads.chunks(7) {
                let parts: Vec<[&[u8]; 1]> = chunk.iter().map(|p| [&p[..]]).collect();
                let entries: Vec<Entry<'_>> = parts
                    .iter()
                    .map(|p| Entry {
                        type_name: "t",
                        meta: &[],
                        timestamp_ns: Some(5),
                        parts: p,
                    })
                    .collect();
                w.write_batch(&entries).unwrap();
            }
            w.flush().unwrap();
            let sealed_behind = w.shared.state.lock().sealed_behind();
            w.close().unwrap();
            let mut r = crate::reader::Reader::open(&path).unwrap();
            let mut n = 0;
            while let Some(rec) = r.next().unwrap() {
                assert_eq!(rec.payload, &payloads[n][..], "{name}: record {n}");
                n += 1;
            }
            assert_eq!(n, payloads.len(), "{name}");
            let bytes = std::fs::read(&path).unwrap();
            (bytes, sealed_behind)
        };
        let (by_caller, behind) = write("seal-caller", 0);
        assert_eq!(behind, 0, "the caller sealed every buffer");
        let (by_thread, behind) = write("seal-thread", u64::MAX);
        assert!(behind > 100, "the thread sealed {behind} buffers");
        assert!(by_caller == by_thread, "the two segments differ");
    }

    /// A failed write can leave the buffer with another capacity than the
    /// usual (grown to take the bytes not written back in front): the
    /// hand-offs that follow give the next buffer the usual capacity, not
    /// the current one's, which grew the spare buffers in turn, each to
    /// twice its own, until an allocation of many GiB aborted the process.
    #[test]
    fn hand_offs_after_a_failed_write_do_not_grow_the_buffers() {
        let path = temp_segment("odd-capacity");
        let bs = 4097;
        let w = Writer::open(
            &path,
            Options {
                buffer_size: bs,
                ..Options::default()
            },
        )
        .unwrap();
        let payload = [3u8; 700];
        // Spare buffers of the usual capacity, none in flight.
        for _ in 0..100 {
            w.write("t", &payload).unwrap();
        }
        w.flush().unwrap();
        let usual = super::buf_capacity(bs);
        w.shared.state.lock().buf = Vec::with_capacity(usual * 3 / 2);
        for n in 0..100 {
            w.write("t", &payload).unwrap();
            // Each buffer handed off is back before the next hand-off: the
            // spare taken next is the one handed off last.
            let mut s = w.shared.state.lock();
            s.take_finished(0).unwrap();
            let bufs = || s.spare_bufs.iter().chain([&s.buf]);
            let most = bufs().map(Vec::capacity).max().unwrap();
            assert!(most <= 2 * usual, "{most} bytes after {n} writes");
        }
        w.close().unwrap();
        let mut r = crate::reader::Reader::open(&path).unwrap();
        let mut n = 0;
        while let Some(rec) = r.next().unwrap() {
            assert_eq!((rec.seq, rec.payload), (n, &payload[..]));
            n += 1;
        }
        assert_eq!(n, 200);
    }

    /// A panic on the write-behind thread in the middle of a batch whose
    /// records are split across buffers fails the call and poisons the
    /// writer, without a panic on the caller's thread (a debug build once
    /// overflowed rolling the batch back) and without a hang; the records
    /// written before it read back whole.
    #[test]
    fn a_panic_on_the_write_behind_thread_poisons_the_writer() {
        let path = temp_segment("behind-panic");
        let w = Writer::open(
            &path,
            Options {
                buffer_size: 4096,
                ..Options::default()
            },
        )
        .unwrap();
        w.shared.state.lock().write_behind_thread().panic_on_job(3);
        let payload = [7u8; 150];
        let parts = [&payload[..]];
        let entries = vec![
            Entry {
                type_name: "t",
                meta: &[],
                timestamp_ns: Some(1),
                parts: &parts,
            };
            200
        ];
        let first = w.write_batch(&entries[..30]).unwrap();
        assert_eq!(first, 0);
        let err = w.write_batch(&entries).unwrap_err();
        assert!(err.message().contains("panicked"), "{err}");
        let again = w.write_batch(&entries[..1]).unwrap_err();
        assert_eq!(again.kind(), ErrorKind::Poisoned, "{again}");
        assert!(
            again.message().contains(
                "could not be made to end on a whole record: the write-behind thread panicked"
            ),
            "{again}"
        );
        let _ = w.close();
        let mut r = crate::reader::Reader::open(&path).unwrap();
        let mut n = 0;
        while let Ok(Some(rec)) = r.next() {
            assert_eq!(rec.seq, n);
            assert_eq!(rec.payload, &payload[..]);
            n += 1;
        }
        assert!(n >= 30, "{n} records read back");
    }
}
