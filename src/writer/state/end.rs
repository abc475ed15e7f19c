//! Ending a segment a rolling log rolls away from: its records closed by a
//! `SEAL_BEGIN` frame, one way, the rest of the seal left to `close`.

use super::{Recycled, State};
use crate::error::{Error, Result};
use crate::format::seal;
use std::os::unix::fs::FileExt;

impl State {
    /// Closes the records of a segment that a rolling log rolls away from:
    /// every record is handed to the OS and a `SEAL_BEGIN` frame written
    /// after them, so that a log reader knows the segment is complete. The
    /// rest of the seal is left to `close`. One way: appends are refused
    /// from now on. A failure leaves the segment as it was.
    pub fn end_records(&mut self) -> Result<()> {
        self.check_usable()?;
        self.flush_buf()?;
        let begin = seal::encode_seal_begin(self.index.record_count);
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

    /// A segment reopened only to seal it that already ends in a
    /// `SEAL_BEGIN` frame (its seal failed, or its writer died before
    /// writing the rest) is ending: a seal that fails again keeps the
    /// frame.
    pub fn mark_ending(&mut self) {
        self.ending = true;
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
