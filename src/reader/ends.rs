//! How a segment's records end, where that is not where a seal says.
//!
//! Zeros: a durable writer writes zeros ahead of its records and then its
//! records over them (`writer::prepared`). A frame never starts with a zero
//! length (docs/FORMAT.md section 6): zeros from where the next frame should
//! start to the end of the file are the end of the records so far, not
//! damage. Everything here reads with pread, never through the mapping:
//! sealing cuts the zeros, and a mapped page wholly past the end of the file
//! raises SIGBUS. A reader may see a record being copied into those zeros
//! (the file's length does not change, so nothing orders the copy before the
//! read). A writer writes its bytes in file order: a zero head means nothing
//! was written there yet, and a frame found bad before a search that saw
//! later bytes is looked at again, whole (`frame_became_valid`).
//!
//! A torn tail: bytes after the last whole record of an unsealed segment
//! with nothing valid after them (`torn_tail_at`).
//!
//! A shipped object (docs/FORMAT.md 18.2) is a sealed segment shipped,
//! never one being written, so one that ends without its seal lost its end
//! in the bucket: that is damage, never a torn tail (`check_object_end`).

use super::frame_check::FrameCheck;
use super::pager::CHECK_CHUNK;
use super::{Reader, Tail};
use crate::error::{Error, ErrorKind, Result};
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
        if self.sealed() || !self.source.may_grow() || pos >= self.end || self.written_at(pos)? {
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
            // Read short: the file was cut meanwhile, its end is nearer.
            to = if n < to - from { from + n } else { from };
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
        let rechecked = self.zero_tail.rechecked_at == Some(pos);
        if self.sealed() || self.nothing_can_cut_file || rechecked || !self.source.may_grow() {
            return Ok(false);
        }
        let check = self.source.recheck_unsealed(&self.path, self.end, pos)?;
        let valid = matches!(check, None | Some(FrameCheck::SealBegin(_)));
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
        match self.tail {
            _ if self.sealed() || !self.source.may_grow() => Ok(false),
            Tail::Unsealed if self.pos < self.end => self.written_at(self.pos),
            Tail::Torn { offset, len } => Ok(offset + len < self.end as u64),
            _ => Ok(false),
        }
    }

    /// Whether a frame's head at `pos` is written: a byte of it is not
    /// zero (one small pread).
    fn written_at(&self, pos: usize) -> Result<bool> {
        let mut head = Vec::new();
        let n = self.pread(&mut head, pos, FRAME_HEADER_LEN)?;
        Ok(head[..n].iter().any(|&b| b != 0))
    }

    /// How an unsealed segment ends whose bad frame at `pos` has nothing
    /// valid after it: a torn tail up to the last byte that is not zero.
    /// With nothing but zeros from `pos` on now (a recovering writer cut
    /// the bytes found bad), the end is `Unsealed` at `pos`, looked at
    /// again on the next call.
    pub(super) fn torn_tail_at(&mut self, pos: usize) -> Result<Tail> {
        let len = self.nonzero_end(pos)?.saturating_sub(pos);
        if len == 0 {
            self.pos = pos;
            return Ok(Tail::Unsealed);
        }
        Ok(Tail::Torn {
            offset: pos as u64,
            len: len as u64,
        })
    }
}

/// What is known of a shipped object's records.
#[derive(Clone, Copy, Debug)]
pub(super) struct ObjectEnd {
    /// Where its records end, by its metadata (`first_seq + records`).
    records_end: Option<u64>,
    /// Whether its size is not the one its metadata says.
    resized: bool,
    /// Where it was found cut short, once read to its end.
    cut_at: Option<u64>,
}

/// Why an object that ends unsealed is damaged.
const CUT_SHORT: &str = "the object ends there without its seal: it is cut short, and the \
                         records after that are lost";

impl Reader {
    /// Reads this segment as a shipped object whose records end, its
    /// metadata says, before `records_end` (when it has metadata), and
    /// whose size is not the one its metadata says if `resized`.
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    pub(crate) fn read_as_object(&mut self, records_end: Option<u64>, resized: bool) {
        self.object = Some(ObjectEnd {
            records_end,
            resized,
            cut_at: None,
        });
    }

    /// Where the object this reader reads was found cut short (the start
    /// of the damaged region that runs to its end), once read to its end
    /// skipping damage; `None` for a segment read as a file, or an object
    /// that ends sealed.
    pub fn cut_short_at(&self) -> Option<u64> {
        self.object.and_then(|o| o.cut_at)
    }

    /// At the end of an object's records: if it ends unsealed or torn, or
    /// its size is not its metadata's, it was cut short where its records
    /// end. Skipping damage, the bytes from there and the records its
    /// metadata says follow are a damaged region, ending with a damaged
    /// seal; else a `Corrupt` error names the object and offset.
    pub(super) fn check_object_end(&mut self) -> Result<()> {
        let Some(object @ ObjectEnd { cut_at: None, .. }) = self.object else {
            return Ok(());
        };
        let at = match self.tail {
            Tail::Torn { offset, .. } => offset,
            Tail::Unsealed => self.file_len(),
            Tail::SealDamaged { offset } if object.resized => offset,
            _ => return Ok(()),
        };
        if !self.damage.skip {
            return Err(Error::at(ErrorKind::Corrupt, &self.path, at, CUT_SHORT));
        }
        let to_seq = object.records_end.unwrap_or(0).max(self.next_seq);
        let end = self.file_len() as usize;
        self.log_damage(at as usize, end, to_seq, Some(CUT_SHORT));
        self.object = Some(ObjectEnd {
            cut_at: Some(at),
            ..object
        });
        self.next_seq = to_seq;
        self.tail = Tail::SealDamaged { offset: at };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_segments::temp_path;
    use crate::{Options, Reader, Tail, Writer};

    /// The verdict on a bad frame with nothing valid after it in an unsealed
    /// segment (`torn_tail_at`) when the bytes found bad are cut between the
    /// frame's checks and the verdict: a writer recovering the file backs them
    /// up and cuts them. The window is too narrow to hit from outside the
    /// reader, so the verdict is asked for right after the cut.
    #[test]
    fn torn_bytes_cut_before_the_verdict_leave_the_segment_unsealed_there() {
        let seg = temp_path("torn-cut");
        let live = seg.with_file_name("live.binlog");
        let w = Writer::open(&live, Options::default()).unwrap();
        for i in 0..3u8 {
            w.write("t", &[i; 100]).unwrap();
        }
        let at = w.bytes() as usize;
        w.write("t", &[3; 100]).unwrap();
        w.flush().unwrap();
        let image = std::fs::read(&live).unwrap();
        w.close().unwrap();
        std::fs::write(&seg, &image[..at + 60]).unwrap();

        let mut r = Reader::open(&seg).unwrap();
        while r.next().unwrap().is_some() {}
        let torn = Tail::Torn {
            offset: at as u64,
            len: 60,
        };
        assert_eq!(r.tail(), torn);
        let f = std::fs::OpenOptions::new().write(true).open(&seg).unwrap();
        f.set_len(at as u64).unwrap();
        assert_eq!(r.torn_tail_at(at).unwrap(), Tail::Unsealed);
        assert_eq!(r.position(), at as u64);
    }
}
