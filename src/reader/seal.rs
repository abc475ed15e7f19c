//! The seal as a reader holds it: usable, only a bound of the records
//! (intact trailer and directory, another check failed), or usable with
//! checks put off until the source holds its bytes (a remote object's);
//! the sparse index copied out of it; where an unsealed segment's records
//! end at a `SEAL_BEGIN` frame; a bound that does not hold; and the parts
//! of a usable seal that only a seek or a type filter reads, checked for
//! verification. Which parts of a seal may be believed is
//! `crate::source::seal_trust`; this is what the reader made of it, the
//! same for every pager.

use super::filter::{TypeFilter, ARRAYS_COPY_MAX};
use super::frame_check::FrameCheck;
use super::pager::Pager;
use super::{Reader, Tail};
use crate::error::Result;
use crate::format::frame;
use crate::format::seal::{SealDirectory, SparseEntry};
use crate::source::seal_trust as trust;
use std::cell::OnceCell;

#[derive(Default)]
pub(super) struct SealState {
    /// The seal, if it is usable.
    pub(super) usable: Option<SealDirectory>,
    /// A seal whose trailer and directory are intact but that failed another
    /// check (`usable` is `None`): the segment is sealed all the same, its
    /// records end at the directory's `records_end` (no torn tail), and the
    /// directory is used for nothing else (see `sealed`).
    pub(super) bounding: Option<SealDirectory>,
    /// Whether `usable` is usable with some of its checks put off (a remote
    /// object's: see `trust::read_seals_when_held`); `settle_trust` makes
    /// them.
    pub(super) trust_pending: bool,
    /// What the checks put off decided, once made: by `seal` (which takes
    /// `&self`) or by `settle_trust`, whichever comes first.
    pub(super) trust_verdict: OnceCell<bool>,
    /// Whether the sparse index passed its checks (None = not checked yet).
    pub(super) sparse_usable: Option<bool>,
    /// The sparse index's entries, copied out of the seal when first used
    /// (see `last_sparse_entry_where`); empty unless `sparse_usable` is
    /// `Some(true)`.
    pub(super) sparse_index: Vec<SparseEntry>,
}

impl Reader {
    /// Makes the checks of the seal put off at open, if any (see
    /// `open_compressed`): a seal that fails them is used from then on
    /// only as a bound of the records, as if it had failed them at open.
    pub(super) fn settle_trust(&mut self) {
        if !self.seals.trust_pending {
            return;
        }
        let usable = self.pending_seal_usable();
        self.seals.trust_pending = false;
        if !usable {
            self.seals.bounding = self.seals.usable.take();
        }
    }

    /// Whether the seal whose checks were put off passes them (made once:
    /// `trust_verdict`).
    pub(super) fn pending_seal_usable(&self) -> bool {
        *self.seals.trust_verdict.get_or_init(|| {
            let d = self.seals.usable.as_ref();
            let d = d.expect("a seal pending its checks");
            trust::usable(self.original(), self.data_start, self.start_seq, d)
        })
    }

    /// Every check of the seal put off at open: `settle_trust`, and the
    /// check of a compressed segment's `SEAL_BEGIN` frame (its error, if
    /// the frame disagrees).
    pub(super) fn settle_seal(&mut self) -> Result<()> {
        self.settle_trust();
        match self.source.frames() {
            #[cfg(feature = "compression")]
            Some(d) => d.segment.borrow_mut().check_seal_begin(),
            _ => Ok(()),
        }
    }

    /// Whether the segment is sealed: its seal is usable (`seal`), or its
    /// trailer and directory are intact (`seals.bounding`). Either way its
    /// records end where the seal says, it has no torn tail, and nothing
    /// may cut it.
    pub(crate) fn sealed(&self) -> bool {
        self.seals.usable.is_some() || self.seals.bounding.is_some()
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
        let seal = trust::read_seal(self.original(), self.data_start, self.start_seq);
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

    /// At the end of the records a seal only bounds (`seals.bounding`):
    /// whether the bound holds. A valid record frame right there shows the
    /// directory wrong about where the records end: it is dropped, and the
    /// segment is read on, as unsealed, to the end of its original bytes
    /// (frame by frame for frames; a plain segment read as stored frames
    /// switches to a whole copy of them first, see `read_on_in_copy`).
    #[inline(never)]
    pub(super) fn bound_holds(&mut self) -> Result<bool> {
        if self.seals.usable.is_some() || self.seals.bounding.is_none() {
            return Ok(true);
        }
        let record_there = match &self.source {
            // A compressed frame there that does not decompress holds no
            // record: the bound holds, and the frame is damage reported at
            // the end (`check_seal_frames`).
            #[cfg(feature = "compression")]
            Pager::Frames(d) => {
                match record_frame_at(&mut d.segment.borrow_mut(), self.end as u64) {
                    Err(e) if super::frames::is_damage(&e) => false,
                    found => found?,
                }
            }
            #[cfg(not(feature = "compression"))]
            Pager::Frames(d) => match **d {},
            Pager::Mapped(_) => {
                let frame = frame::frame_at(&self.map, self.end, true);
                matches!(FrameCheck::of(frame), FrameCheck::Record(_))
            }
        };
        if !record_there {
            return Ok(true);
        }
        if self.whole_copy.is_some() {
            self.switch_to_whole_copy()?;
        }
        self.seals.bounding = None;
        self.end = self.file_len() as usize;
        Ok(false)
    }

    /// The offset and a description of each part of the seal a read through
    /// it would not use: each type's offset array (checked as a type filter
    /// checks it), then the sparse index (as a seek checks it). Empty
    /// without a usable seal.
    pub fn unusable_seal_parts(&mut self) -> Vec<(u64, String)> {
        let Some(d) = self.seals.usable.clone() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        // An array too large for a filter to copy is not used: it scans.
        let copied = |count: u64| count > 0 && count.saturating_mul(8) <= ARRAYS_COPY_MAX;
        for t in d.types.iter().filter(|t| copied(t.count)) {
            let name: &str = &t.name;
            let start = self.data_start as u64;
            let f = TypeFilter::new(&[name], Some(&d), self.original(), start, ARRAYS_COPY_MAX);
            if f.cursors.is_none() {
                let what = format!(
                    "the offset array of type {name:?} fails its checks (a type filter scans instead)"
                );
                out.push((t.array_offset, what));
            }
        }
        if d.sparse_count > 0 && !self.sparse_index_usable() {
            let what = "the sparse index fails its checks (a seek scans instead)".to_string();
            out.push((d.sparse_offset, what));
        }
        out
    }
}

/// Whether a valid record frame starts at original offset `at` of `s` (a
/// reader of decompressed or stored frames, at the end of the records a
/// seal only bounds: then the bound does not hold): its header read first,
/// its body (if it fits in what remains) checked against the header's CRC
/// frame by frame, one at a time, without a copy (a frame header whose
/// length runs past the original bytes is no record: a lying length costs
/// no more reads). A seek table whose frames do not cover the body is an
/// error naming the file and offset, not a panic; so is any other failed
/// read.
#[cfg(feature = "compression")]
fn record_frame_at(s: &mut crate::compressed::CompressedSegment, at: u64) -> Result<bool> {
    use crate::error::{Error, ErrorKind};
    use crate::format::frame::is_record_kind;
    use crate::format::FRAME_HEADER_LEN;
    let left = s.original_len().saturating_sub(at);
    if left < FRAME_HEADER_LEN as u64 + 1 {
        return Ok(false);
    }
    let head = s.read_at(at, FRAME_HEADER_LEN)?;
    let (body_len, crc) = frame::frame_header(&head, 0).expect("a frame header read");
    let body_len = u64::from(body_len);
    if body_len == 0 || FRAME_HEADER_LEN as u64 + body_len > left {
        return Ok(false);
    }
    let body_at = at + FRAME_HEADER_LEN as u64;
    if !is_record_kind(s.read_at(body_at, 1)?[0]) {
        return Ok(false);
    }
    let path = s.path().to_path_buf();
    let mut hasher = crc32fast::Hasher::new();
    let (mut pos, end) = (body_at, body_at + body_len);
    while pos < end {
        // Named at a compressed offset, as every error about a `.zst` is:
        // the frame's, or past the last frame when none holds `pos`.
        let uncovered = |at: u64, what: &str| {
            let what = format!("original offset {pos}: {what}");
            Error::at(ErrorKind::CorruptSeekTable, &path, at, what)
        };
        let Some(i) = s.frame_index_at(pos) else {
            let past = (s.frames().last())
                .map_or(0, |f| f.compressed_offset + u64::from(f.compressed_size));
            return Err(uncovered(past, "no frame of the seek table holds it"));
        };
        let (start, at) = (s.frames()[i].offset, s.frames()[i].compressed_offset);
        let frame = s.frame(i)?;
        let from = (pos - start) as usize;
        let upto = (frame.len() as u64).min(end - start) as usize;
        if upto <= from {
            return Err(uncovered(at, "its frame decompresses to fewer bytes"));
        }
        hasher.update(&frame[from..upto]);
        pos = start + upto as u64;
    }
    Ok(hasher.finalize() == crc)
}
