//! Reading a segment that may still be written: its frames are checked in
//! copies read with pread before the mapping is trusted with them, the file
//! is mapped again when its length changes, and a `SEAL_BEGIN` frame ends
//! its records.
//!
//! Why not through the mapping alone: a torn tail after the last whole
//! record may be cut by a recovering writer at any moment, and a mapped
//! page wholly past the end of the file raises SIGBUS; pread just comes up
//! short. A whole frame is never cut, so once a copy shows it whole the
//! mapping may be read; records that fit a chunk are returned from the copy.

use super::frame_check::FrameCheck;
use super::mapped_pages::read_upto;
use super::record::BytesIn;
use super::source::{MappedSegment, Source};
use super::{Reader, Tail};
use crate::error::{Error, Result};
use crate::format::frame::{self, FrameAt, KIND_RECORD};
use crate::format::FRAME_HEADER_LEN;
use crate::source::seal_trust::read_seal;
use std::path::Path;

/// An unsealed segment's frames are checked in copies read with pread, this
/// many bytes at a time (see `Reader::check_unsealed`).
pub(super) const CHECK_CHUNK: usize = 64 << 10;

impl Reader {
    /// Checks the frame at `pos` of an unsealed segment (see
    /// `check_unsealed`) and reads it from where it is then: the copy, or
    /// the mapping once the copy showed it whole.
    #[inline(always)]
    pub(super) fn read_unsealed_frame(
        &mut self,
        pos: usize,
        verify: bool,
    ) -> Result<(FrameCheck, BytesIn)> {
        let Source::Mapped(m) = &mut self.source else {
            unreachable!("only a mapped segment is read unsealed");
        };
        Ok(match m.check_unsealed(&self.path, self.end, pos, verify)? {
            Some(check) => (check, BytesIn::Mapping),
            // Checked in the copy, and read from it.
            None if m.unsealed.frames_in_copy => {
                let (copy, at) = self.source.unsealed_frame_in(pos);
                let check = FrameCheck::of(frame::frame_at(copy, at, false));
                (check, BytesIn::UnsealedCopy)
            }
            // Whole in the file, as the copy showed: a writer never cuts a
            // whole frame, so the mapping holds it.
            None => {
                let check = FrameCheck::of(frame::frame_at(&self.map[..self.end], pos, false));
                (check, BytesIn::Mapping)
            }
        })
    }

    /// Forgets the frames checked in the copy: the position moved, or what
    /// was checked is stale.
    pub(super) fn forget_checked(&mut self) {
        if let Source::Mapped(m) = &mut self.source {
            m.unsealed.checked_to = 0;
        }
    }
}

impl MappedSegment {
    /// Checks the frame at `pos` of an unsealed segment, and those after it
    /// in the same chunk, in a copy read with pread: `None` if it is a whole
    /// record frame (CRC checked if `verify`), to be read from that copy, or
    /// through the mapping if too long for one; otherwise what it is.
    #[inline(never)]
    pub(super) fn check_unsealed(
        &mut self,
        path: &Path,
        end: usize,
        pos: usize,
        verify: bool,
    ) -> Result<Option<FrameCheck>> {
        let u = &mut self.unsealed;
        if pos < u.checked_to && (u.with_crc || !verify) {
            return Ok(None);
        }
        // The copy is read again from `pos`: what was checked before goes.
        u.checked_to = 0;
        let avail = end.saturating_sub(pos);
        let got = self.copy_unsealed(path, pos, avail.min(CHECK_CHUNK))?;
        let buf = &self.unsealed.buf[..got];
        if let (FrameAt::Incomplete, Some(head)) = (
            frame::frame_at(buf, 0, false),
            buf.get(..FRAME_HEADER_LEN + 1),
        ) {
            let len = u32::from_le_bytes(head[0..4].try_into().expect("4 bytes")) as usize;
            if got == CHECK_CHUNK && FRAME_HEADER_LEN + len <= avail {
                return self.check_large(path, pos, len, verify);
            }
        }
        let mut at = 0;
        loop {
            match frame::frame_at(buf, at, verify) {
                FrameAt::Frame {
                    kind: KIND_RECORD,
                    total,
                    ..
                } => at += total,
                f if at == 0 => return Ok(Some(FrameCheck::of(f))),
                _ => break,
            }
        }
        let u = &mut self.unsealed;
        (u.checked_to, u.with_crc) = (pos + at, verify);
        (u.at, u.len, u.frames_in_copy) = (pos, got, true);
        Ok(None)
    }

    /// `check_unsealed` for a frame longer than a chunk (its body `len`
    /// bytes): read and checksummed a chunk at a time.
    #[inline(never)]
    fn check_large(
        &mut self,
        path: &Path,
        pos: usize,
        len: usize,
        verify: bool,
    ) -> Result<Option<FrameCheck>> {
        const INCOMPLETE: FrameCheck = FrameCheck::Bad("frame extends past the end of the data");
        self.unsealed.frames_in_copy = false;
        let head = &self.unsealed.buf[..FRAME_HEADER_LEN + 1];
        let crc = u32::from_le_bytes(head[4..8].try_into().expect("4 bytes"));
        let kind = head[FRAME_HEADER_LEN];
        if kind & frame::RESERVED_FLAGS != 0 {
            return Ok(Some(FrameCheck::Bad("reserved flag bits set")));
        }
        if verify {
            let mut h = crc32fast::Hasher::new();
            let mut done = 0;
            while done < len {
                let at = pos + FRAME_HEADER_LEN + done;
                let n = (len - done).min(CHECK_CHUNK);
                if self.copy_unsealed(path, at, n)? < n {
                    return Ok(Some(INCOMPLETE));
                }
                h.update(&self.unsealed.buf[..n]);
                done += n;
            }
            if h.finalize() != crc {
                return Ok(Some(FrameCheck::Bad("CRC mismatch")));
            }
        } else if self.copy_unsealed(path, pos + FRAME_HEADER_LEN + len - 1, 1)? < 1 {
            return Ok(Some(INCOMPLETE));
        }
        if kind & frame::KIND_MASK != KIND_RECORD {
            return Ok(Some(FrameCheck::Bad("unexpected frame kind")));
        }
        self.unsealed.checked_to = pos + FRAME_HEADER_LEN + len;
        self.unsealed.with_crc = verify;
        Ok(None)
    }

    /// Reads up to `len` bytes at `offset` into the copy with pread;
    /// returns how many there were before the end of the file.
    fn copy_unsealed(&mut self, path: &Path, offset: usize, len: usize) -> Result<usize> {
        read_upto(&self.file, &mut self.unsealed.buf, offset as u64, len)
            .map_err(|e| Error::io_at(path, offset as u64, "read", e))
    }
}

impl Reader {
    /// Maps the file again if its length changed since it was mapped; true
    /// if it did. A file cut shorter (a writer recovered it) is read again
    /// from the start. A sealed segment never changes: false.
    pub(super) fn remap_if_len_changed(&mut self) -> Result<bool> {
        let sealed = self.sealed();
        let Source::Mapped(m) = &mut self.source else {
            return Ok(false);
        };
        if sealed || !m.remap_if_len_changed(&self.path, &mut self.map)? {
            return Ok(false);
        }
        self.end = self.map.len();
        m.unsealed.checked_to = 0;
        if self.pos > self.end {
            // Types learned from records that were cut may be defined
            // differently by the writer that cut them.
            self.rewind();
            self.types.clear();
            self.zero_tail = Default::default();
        }
        self.damage.seal_types = None;
        Ok(true)
    }

    /// At the end of the records of a sealed standalone segment: whether a
    /// writer reopened it to append since, which cuts its seal off
    /// (docs/FORMAT.md section 12) and so changes the file's length. If so,
    /// the reader forgets the seal and reads on from the end of its records
    /// as in an unsealed segment (the types it knows stay).
    pub(crate) fn read_on_if_unsealed(&mut self) -> Result<bool> {
        let at_end = self.sealed() && self.pos >= self.end;
        let Source::Mapped(m) = &mut self.source else {
            return Ok(false);
        };
        if !at_end || !m.remap_if_len_changed(&self.path, &mut self.map)? {
            return Ok(false);
        }
        self.end = self.map.len();
        self.seals = Default::default();
        self.damage.seal_types = None;
        if let Some(f) = self.filter.as_mut() {
            // The seal's per-type arrays are gone: a scan filters.
            f.cursors = None;
        }
        m.unsealed.checked_to = 0;
        self.tail = Tail::Reading;
        Ok(true)
    }

    /// A SEAL_BEGIN frame at `pos`, counting `count` records, in a segment
    /// opened unsealed; returns whether to read on. It ends the records if
    /// the seal that follows is now usable, or if it counts the records read
    /// and no valid record follows it (a damaged or half-written seal).
    /// Otherwise it is damage, which must not hide the records after it.
    pub(super) fn seal_reached(&mut self, pos: usize, count: u64) -> Result<bool> {
        if self.remap_if_len_changed()? && self.pos != pos {
            // Cut shorter by a writer: the reader starts again.
            return Ok(true);
        }
        let seal = read_seal(&*self.original(), self.data_start, self.start_seq);
        if let Some(d) = seal.filter(|d| d.records_end == pos as u64) {
            self.end = pos;
            self.seals.usable = Some(d);
            self.tail = Tail::Sealed;
            return Ok(false);
        }
        let read = self.next_seq.wrapping_sub(self.header.first_seq);
        if count != read {
            let why = format!("seal marker counting {count} records after {read}");
            return self.bad_frame(pos, &why);
        }
        if self.resume_after(pos)?.is_some() {
            return self.bad_frame(pos, "seal marker followed by valid records");
        }
        self.tail = Tail::SealDamaged { offset: pos as u64 };
        Ok(false)
    }
}
