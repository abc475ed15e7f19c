//! Ending and closing the segment. Ending, for a rolling log that rolls
//! away from it: its records closed by a `SEAL_BEGIN` frame, one way, the
//! rest of the seal left to `close`. Closing: every record handed to the
//! OS, the seal written (see `seal`), the file's lock released, even when
//! sealing fails.

use super::{Recycled, State};
use crate::error::{Error, Result};
use crate::format::{seal, FRAME_HEADER_LEN};
use std::os::unix::fs::FileExt;

impl State {
    /// Closes the file without a seal (see `Writer::discard` and
    /// `Writer::close_unsealed`): nothing is buffered or in flight, as
    /// nothing was written since the open. An ending segment keeps its
    /// `SEAL_BEGIN` frame (`unsealed_len`): it stays ending, as a failed
    /// seal leaves it.
    pub fn close_unsealed(&mut self) {
        // No more zeros prepared ahead (see `preparer`).
        self.preparer = None;
        let _ = self.take_finished(0);
        self.write_behind = None;
        if let Some(file) = self.file.take() {
            crate::writer::prealloc::release(&file, self.unsealed_len());
            crate::sys::unlock(&file);
        }
    }

    /// Flushes, writes the seal and syncs, then closes the file (even when
    /// sealing fails, so the lock is always released).
    pub fn close(&mut self) -> Result<()> {
        if self.file.is_none() {
            return Ok(());
        }
        let flushed = self.check_usable().and_then(|()| self.flush_for_close());
        // No more zeros prepared ahead: none may land past the seal once
        // sealing cuts them.
        self.preparer = None;
        let sealing = flushed.is_ok();
        let result = flushed.and_then(|seal| self.seal(seal));
        self.closed_durable = result.is_ok() && self.sync_on_seal;
        // Stop the background writer (its buffers were written by
        // flush_buf, or are lost with the error being returned).
        let _ = self.take_finished(0);
        self.write_behind = None;
        if result.is_err() && self.poisoned.is_none() {
            self.closed_written = self.written_below();
        }
        let file = self.file.take().expect("open");
        if !sealing {
            // The seal truncates the file, releasing the blocks reserved
            // past its end; without one, release them here.
            crate::writer::prealloc::release(&file, self.unsealed_len());
        }
        crate::sys::unlock(&file);
        drop(file);
        let lost = self.buf.len();
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        self.spare_bufs.push(buf);
        self.unsealed_from = 0;
        let unwritten = |d: &str| format!("{d}; {lost} buffered bytes of records were not written");
        result.map_err(|e| match lost {
            0 => e,
            _ => e.with_detail(unwritten),
        })
    }

    /// Hands every buffered record to the OS for `close`, with the seal
    /// built meanwhile when it can be (`prebuild_seal`). A write-behind
    /// failure not yet reported comes back here, its bytes returned to the
    /// buffer: no later call can retry them, so they are written once more,
    /// directly (unless the writer is poisoned), and the seal built after.
    fn flush_for_close(&mut self) -> Result<Option<Vec<u8>>> {
        let first = self
            .prebuild_seal()
            .and_then(|seal| self.flush_buf().map(|()| seal));
        match first {
            Err(_) if self.poisoned.is_none() => self.flush_buf().map(|()| None),
            done => done,
        }
    }

    /// The sequence number below which every record is whole in the file,
    /// once nothing is in flight: all of them, or all but the whole frames
    /// left in the buffer by a failed write. `None` if the buffer does not
    /// start with a record (it ends one begun in a buffer handed off).
    fn written_below(&self) -> Option<u64> {
        if self.in_flight_len > 0 || self.split_tail_len > 0 {
            return None;
        }
        let mut pos = 0;
        let mut left = 0u64;
        while let Some(len) = self.buf.get(pos..pos + 4) {
            pos += FRAME_HEADER_LEN + u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
            left += 1;
        }
        (pos == self.buf.len()).then(|| self.next_seq - left)
    }

    /// Closes the records of a segment that a rolling log rolls away from:
    /// every record is handed to the OS and a `SEAL_BEGIN` frame written
    /// after them, so that a log reader knows the segment is complete. The
    /// rest of the seal is left to `close`. One way: appends are refused
    /// from now on. A failure leaves the segment as it was.
    pub fn end_records(&mut self) -> Result<()> {
        self.check_usable()?;
        self.flush_buf()?;
        let begin = seal::encode_seal_begin(self.index.summary.record_count);
        let file = self.file.as_ref().expect("checked open");
        self.prealloc
            .ensure(file, self.file_len, self.file_len + begin.len() as u64);
        if let Err(e) = file.write_all_at(&begin, self.file_len) {
            // Part of the frame may be in the file: this writer's own bytes,
            // past every record.
            self.cut_file(self.file_len);
            return Err(Error::io_at(&self.path, self.file_len, "write seal", e));
        }
        self.ending = true;
        Ok(())
    }

    /// Hands every buffered record to the OS and lends the write buffers
    /// then idle, warm, to the next segment of a rolling log. This segment
    /// stays active; should it write again, it allocates buffers anew.
    pub fn flush_lending_buffers(&mut self) -> Result<Recycled> {
        self.check_usable()?;
        self.flush_buf()?;
        Ok(Recycled {
            bufs: std::mem::take(&mut self.spare_bufs),
            ..Recycled::default()
        })
    }

    /// See `Writer::is_ending`.
    pub fn is_ending(&self) -> bool {
        self.ending
    }

    /// The file's length while it has no seal: its records, and for an
    /// ending segment the `SEAL_BEGIN` frame after them (a failed seal
    /// keeps it, as the seal writes the same bytes there), so that log
    /// readers know the segment is complete.
    pub(super) fn unsealed_len(&self) -> u64 {
        if self.ending {
            self.file_len + seal::SEAL_BEGIN_LEN as u64
        } else {
            self.file_len
        }
    }
}
