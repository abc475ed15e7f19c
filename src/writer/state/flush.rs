//! Writing on the caller's thread: the buffer handed to the OS (after the
//! buffers in flight), with what a failed write leaves (whole records in
//! the file, a partial one cut off, the rest buffered); a record larger
//! than the buffer written straight from the caller's buffers, with one
//! gathering write; and the flush deadline (`Options::flush_delay`): when
//! the oldest record in the buffer must be handed to the OS, for the
//! flusher thread to keep.
//!
//! Invariant: while `Deadline::due` is `None`, the buffer holds no record a
//! write call returned with. The write path reads the clock only when it
//! sets `due`: once a buffer, not once a record.

use super::{State, NO_RECORD};
use crate::error::{Error, ErrorKind, Result};
use crate::format::{frame, frame::RecordHead, FRAME_HEADER_LEN};
use crate::writer::job::{write_remainder, Job};
use std::fs::File;
use std::io::{self, IoSlice, Seek, SeekFrom, Write};
use std::time::{Duration, Instant};

#[derive(Default)]
pub(crate) struct Deadline {
    /// `Options::flush_delay` if not zero (zero writes through instead).
    pub delay: Option<Duration>,
    /// When the buffer's oldest record must go to the OS.
    pub due: Option<Instant>,
    /// The flusher sleeps without a deadline of this buffer: setting `due`
    /// must wake it.
    pub flusher_idle: bool,
    /// The flusher is to end (the writer is closing).
    pub stop: bool,
}

impl State {
    /// Hands the buffer to the OS (after the buffers in flight). On failure,
    /// whole records that reached the file stay (they leave the buffer), a
    /// partial record is cut off, and the rest stays buffered.
    pub fn flush_buf(&mut self) -> Result<()> {
        // Every caller of this one reports its result: a background
        // flusher's failure not yet told is retried here, and told now
        // (this attempt's failure), or moot (it succeeds). Kept, it would
        // fail the next write call once the cause has gone.
        self.flusher_failed = None;
        self.flushes += 1;
        let flushers = self.flusher_in_flight;
        if let Err(e) = self.take_finished(0) {
            // The flusher's failure is retried below, its bytes back in
            // the buffer (see `flusher_in_flight`); not on a poisoned file.
            if !flushers || self.poisoned.is_some() {
                return Err(e);
            }
        }
        if self.buf.is_empty() {
            // Nothing waits (a failed call may have taken back the records
            // that started the deadline): a deadline left set would have
            // the flusher call this again at once, holding the lock.
            self.clear_deadline();
            return Ok(());
        }
        self.seal_buffered();
        let file = self.file.as_ref().expect("checked open");
        let offset = self.file_len;
        self.prealloc
            .ensure(file, offset, offset + self.buf.len() as u64);
        // Written as the write-behind thread writes a job, by the same rule
        // of a failed write (`job::write_remainder`).
        let job = Job {
            buf: std::mem::take(&mut self.buf),
            offset,
            split_tail_len: std::mem::take(&mut self.split_tail_len),
            split_head: std::mem::take(&mut self.split_head),
            unsealed: 0..0,
            due: None,
            tap: None,
        };
        self.unsealed_from = 0;
        self.last_record_start = NO_RECORD;
        #[cfg(feature = "sign")]
        (self.tap.iter()).for_each(|t| t.wrote(offset, &[&job.buf], false));
        match write_remainder(file, job, 0) {
            Ok(mut buf) => {
                self.file_len += buf.len() as u64;
                buf.clear();
                self.buf = buf;
                self.clear_deadline();
                Ok(())
            }
            Err(failed) => self.take_back(failed),
        }
    }

    /// Fills in the CRCs of the buffered frames that lack one.
    pub(super) fn seal_buffered(&mut self) {
        frame::seal_frames(&mut self.buf[self.unsealed_from..]);
        self.unsealed_from = self.buf.len();
    }

    /// Cuts a partial record off the end of the file; if even that fails the
    /// file can no longer be trusted and the writer is poisoned.
    pub(super) fn cut_file(&mut self, len: u64) {
        let file = self.file.as_ref().expect("checked open");
        if let Err(e) = file.set_len(len) {
            let why = format!("could not cut a partial record after a failed write: {e}");
            self.poison_at(len, why);
        }
    }

    /// Poisons the writer: the file is suspect from `at` on, for `why`.
    pub(super) fn poison_at(&mut self, at: u64, why: String) {
        self.poisoned = Some(Error::at(ErrorKind::Poisoned, &self.path, at, why));
    }

    /// After a write call appended: starts the deadline of a buffer that
    /// holds records and had none. Returns whether the flusher must be
    /// woken for it.
    #[inline(always)]
    pub fn note_buffered(&mut self) -> bool {
        if self.deadline.due.is_some() || self.deadline.delay.is_none() || self.buf.is_empty() {
            return false;
        }
        self.start_deadline()
    }

    #[cold]
    #[inline(never)]
    fn start_deadline(&mut self) -> bool {
        let d = &mut self.deadline;
        d.due = d.delay.map(|delay| Instant::now() + delay);
        std::mem::take(&mut d.flusher_idle)
    }

    /// The buffer's records went to the OS (or to the write-behind thread,
    /// which hands them over within the delay): no deadline until the next
    /// record.
    #[inline(always)]
    pub(super) fn clear_deadline(&mut self) {
        self.deadline.due = None;
    }

    /// Writes one record larger than the buffer straight from the caller's
    /// buffers, with one gathering write.
    pub(super) fn write_direct(
        &mut self,
        head: &RecordHead<'_>,
        parts: &[&[u8]],
        total: u64,
    ) -> Result<()> {
        let mut h = Vec::with_capacity(FRAME_HEADER_LEN + head.encoded_len());
        h.extend_from_slice(&[0u8; FRAME_HEADER_LEN]);
        head.encode(&mut h);
        let mut crc = crc32fast::Hasher::new();
        crc.update(&h[FRAME_HEADER_LEN..]);
        for p in parts {
            crc.update(p);
        }
        h[0..4].copy_from_slice(&((total - FRAME_HEADER_LEN as u64) as u32).to_le_bytes());
        h[4..8].copy_from_slice(&crc.finalize().to_le_bytes());
        let all = || std::iter::once(&h[..]).chain(parts.iter().copied());
        let mut slices: Vec<IoSlice<'_>> = all().map(IoSlice::new).collect();
        let mut file = self.file.as_ref().expect("checked open");
        self.prealloc
            .ensure(file, self.file_len, self.file_len + total);
        let result = file
            .seek(SeekFrom::Start(self.file_len))
            .and_then(|_| write_all_vectored(file, &mut slices));
        if let Err(e) = result {
            self.cut_file(self.file_len);
            return Err(Error::io_at(&self.path, self.file_len, "write", e));
        }
        #[cfg(feature = "sign")]
        (self.tap.iter()).for_each(|t| t.wrote(self.file_len, &all().collect::<Vec<_>>(), false));
        self.file_len += total;
        Ok(())
    }
}

fn write_all_vectored(mut file: &File, mut slices: &mut [IoSlice<'_>]) -> io::Result<()> {
    while !slices.is_empty() {
        match file.write_vectored(slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
