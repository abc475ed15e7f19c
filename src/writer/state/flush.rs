//! Handing the buffer to the OS on the caller's thread (after the buffers
//! in flight), and what a failed write leaves: whole records in the file,
//! a partial one cut off, the rest buffered.

use super::{State, NO_RECORD};
use crate::error::{Error, ErrorKind, Result};
use crate::format::frame;
use crate::format::frame::whole_frames_len;
use std::io;
use std::os::unix::fs::FileExt;

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
        if let Err(e) = self.finish_in_flight() {
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
        self.prealloc
            .ensure(file, self.file_len, self.file_len + self.buf.len() as u64);
        let mut written = 0usize;
        while written < self.buf.len() {
            match file.write_at(&self.buf[written..], self.file_len + written as u64) {
                Ok(0) => return self.partial_write(written, io::ErrorKind::WriteZero.into()),
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.partial_write(written, e),
            }
        }
        self.file_len += self.buf.len() as u64;
        self.buf.clear();
        self.clear_deadline();
        self.unsealed_from = 0;
        self.last_record_start = NO_RECORD;
        self.split_tail_len = 0;
        self.split_head.clear();
        Ok(())
    }

    /// Fills in the CRCs of the buffered frames that lack one.
    pub(super) fn seal_buffered(&mut self) {
        frame::seal_frames(&mut self.buf[self.unsealed_from..]);
        self.unsealed_from = self.buf.len();
    }

    /// The write of the buffer failed after `written` bytes.
    fn partial_write(&mut self, written: usize, err: io::Error) -> Result<()> {
        self.last_record_start = NO_RECORD;
        if written < self.split_tail_len {
            // The record begun in the last buffer handed off is not whole in
            // the file: cut it off from where it starts, and buffer it all.
            let mut whole_record = std::mem::take(&mut self.split_head);
            let at = self.file_len - whole_record.len() as u64;
            self.cut_file(at);
            whole_record.extend_from_slice(&self.buf);
            self.buf = whole_record;
            self.split_tail_len = 0;
            self.unsealed_from = self.buf.len();
            self.file_len = at;
            return Err(Error::io_at(&self.path, at, "write", err));
        }
        let whole = self.split_tail_len + whole_frames_len(&self.buf[self.split_tail_len..written]);
        self.split_tail_len = 0;
        self.split_head.clear();
        let at = self.file_len + whole as u64;
        if whole < written {
            self.cut_file(at);
        }
        self.buf.drain(..whole);
        self.unsealed_from = self.buf.len();
        self.file_len = at;
        Err(Error::io_at(&self.path, at, "write", err))
    }

    /// Cuts a partial record off the end of the file; if even that fails the
    /// file can no longer be trusted and the writer is poisoned.
    pub(super) fn cut_file(&mut self, len: u64) {
        let file = self.file.as_ref().expect("checked open");
        if let Err(e) = file.set_len(len) {
            self.poisoned = Some(Error::at(
                ErrorKind::Poisoned,
                &self.path,
                len,
                format!("could not cut a partial record after a failed write: {e}"),
            ));
        }
    }
}
