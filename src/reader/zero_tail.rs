//! The end of an unsealed segment found by content: a durable writer
//! writes zeros ahead of its records and then its records over them
//! (`writer::prepared`). A frame never starts with a zero length
//! (docs/FORMAT.md section 6): zeros from where the next frame should start
//! to the end of the file are the end of the records so far, not damage.
//!
//! Everything here reads with pread, never through the mapping: sealing
//! cuts the zeros, and a mapped page wholly past the end of the file
//! raises SIGBUS.
//!
//! A reader may see a record being copied into those zeros (the file's
//! length does not change, so nothing orders the copy before the read). A
//! writer writes its bytes in file order: a zero head means nothing was
//! written there yet, and a frame found bad before a search that saw later
//! bytes is looked at again, whole (`frame_became_valid`).

use super::frame_check::FrameCheck;
use super::mapped_pages::read_upto;
use super::source::Source;
use super::unsealed::CHECK_CHUNK;
use super::{Reader, Tail};
use crate::error::{Error, Result};
use crate::format::FRAME_HEADER_LEN;

/// The state of a reader's zero-tail checks.
#[derive(Default)]
pub(super) struct ZeroTail {
    /// Bytes `[.0, .1)` of the file were all zeros when last read, and the
    /// file was `.1` bytes long then.
    seen_zero: Option<(usize, usize)>,
    /// A frame found bad at this position was found valid when looked at
    /// again after a search (`frame_became_valid`): once only.
    rechecked_at: Option<usize>,
}

impl Reader {
    /// Whether the frame at `pos` of a plain unsealed segment starts zeros
    /// that run to the end of the file: the records' end so far. Sets the
    /// tail to `Unsealed` at `pos` if so.
    pub(super) fn at_zero_tail(&mut self, pos: usize) -> Result<bool> {
        if self.sealed() || !self.source.may_grow() || pos >= self.end {
            return Ok(false);
        }
        let mut head = Vec::new();
        let n = self.pread(&mut head, pos, FRAME_HEADER_LEN)?;
        if head[..n].iter().any(|&b| b != 0) {
            return Ok(false);
        }
        // A zero head: bytes seen zero before, in a file as long, are not
        // read again. Zeros are written over only in file order, so with
        // nothing written at `pos` nothing was written after it either.
        let seen = matches!(self.zero_tail.seen_zero,
            Some((from, to)) if to == self.end && from <= pos);
        if !seen && self.nonzero_end(pos)? > pos {
            return Ok(false);
        }
        self.zero_tail.seen_zero = Some((pos, self.end));
        self.pos = pos;
        self.tail = Tail::Unsealed;
        Ok(true)
    }

    /// Where the bytes from `pos` to the end of the file that are not zero
    /// end (`pos` if there are none), read backwards from the end. Always
    /// read: bytes seen zero before may have been written since.
    pub(super) fn nonzero_end(&self, pos: usize) -> Result<usize> {
        let mut buf = Vec::new();
        let mut to = self.end;
        while to > pos {
            let from = to.saturating_sub(CHECK_CHUNK).max(pos);
            let n = self.pread(&mut buf, from, to - from)?;
            if let Some(i) = buf[..n].iter().rposition(|&b| b != 0) {
                return Ok(from + i + 1);
            }
            if n < to - from {
                // The file was cut meanwhile: its end is nearer.
                to = from + n;
                continue;
            }
            to = from;
        }
        Ok(pos)
    }

    /// After a frame found bad at `pos` of a live segment and a search of
    /// the bytes after it: whether the frame is whole and valid now (its
    /// writer was copying it into prepared zeros while it was checked). The
    /// whole frame is checked again, however long. A frame found valid here
    /// is not looked at again at the same position, so that a valid frame
    /// that fails a later check is damage, not a loop.
    pub(super) fn frame_became_valid(&mut self, pos: usize) -> Result<bool> {
        if self.sealed() || self.nothing_can_cut_file || self.zero_tail.rechecked_at == Some(pos) {
            return Ok(false);
        }
        let Source::Mapped(m) = &mut self.source else {
            return Ok(false);
        };
        // What was checked before is stale.
        m.unsealed.checked_to = 0;
        let valid = matches!(
            m.check_unsealed(&self.path, self.end, pos, true)?,
            None | Some(FrameCheck::SealBegin(_))
        );
        if valid {
            self.zero_tail.rechecked_at = Some(pos);
        }
        Ok(valid)
    }

    /// At an end met before with zeros after it (the file is longer than
    /// the records read): whether a writer may have written there since.
    /// At a zero head, whether it is no longer zero (one small pread: a
    /// caught-up follower polls this); at a torn tail followed by zeros,
    /// always (it may be a record still being copied).
    pub(super) fn written_past_end(&mut self) -> Result<bool> {
        if self.sealed() || !self.source.may_grow() {
            return Ok(false);
        }
        match self.tail {
            Tail::Unsealed if self.pos < self.end => {
                let mut head = Vec::new();
                let n = self.pread(&mut head, self.pos, FRAME_HEADER_LEN)?;
                Ok(head[..n].iter().any(|&b| b != 0))
            }
            Tail::Torn { offset, len } => Ok(offset + len < self.end as u64),
            _ => Ok(false),
        }
    }

    /// Reads up to `len` bytes at `offset` with pread into `buf`; returns
    /// how many there were before the end of the file.
    fn pread(&self, buf: &mut Vec<u8>, offset: usize, len: usize) -> Result<usize> {
        (self.source.file())
            .and_then(|f| read_upto(f, buf, offset as u64, len))
            .map_err(|e| Error::io_at(&self.path, offset as u64, "read", e))
    }
}
