//! The frames source (`Source::Frames`): a compressed sealed segment
//! (`.binlog.zst`), or a plain one read as stored frames (a remote object),
//! its records checked in decompressed frames instead of a mapping. A scan
//! holds one frame at a time (and a copy of a record cut across frames), so
//! its memory does not grow with the segment; a seek or an indexed read
//! decompresses only the frames it lands in.
//!
//! A frame that fails to decompress yields the bytes zstd wrote before its
//! failure (`FrameStream`), read as any; the failure is met where a read
//! needs more, a record fails its checks, the reader leaves the frame or the
//! records end (docs/FORMAT.md 17.3a): an error naming the file and frame,
//! or with `skip_damaged` a damaged region up to the next intact record.

use super::compressed_type_copies::CopyReads;
use super::crc_ahead::CheckedAhead;
use super::frame_check::{resume_in_growing, FrameCheck, INCOMPLETE};
use super::record::BytesIn;
use super::{salvage, Damage, HeaderParts, Reader, Tail};
pub(super) use crate::compressed::frame_decoder::starts_with_zstd_frame as is_compressed;
use crate::compressed::{
    frame_stream::{is_frame_damage, FrameStream},
    CompressedSegment,
};
use crate::error::{Error, ErrorKind, Result};
use crate::format::frame;
use crate::format::{header::SegmentHeader, FRAME_HEADER_LEN};
use crate::source::SegmentSource;
use std::cell::RefCell;
use std::fs::File;

/// After a frame that fails to decompress, the bytes that follow are
/// searched for the next record in copies of this many bytes, doubling.
const RESUME_CHUNK: usize = 64 << 10;

/// A frame that failed to decompress: its index and the error.
type FrameFailed = (usize, Error);

/// What a read of the frames gives, or the frame that failed it.
type Framed<T> = std::result::Result<T, FrameFailed>;

/// The decompressed bytes a reader of a compressed segment reads records
/// from: the frame that holds the position, and a copy of a record cut
/// across frames.
pub(super) struct CompressedFrames {
    pub(super) segment: RefCell<CompressedSegment>,
    /// The local file the frames are read from (`None` for a remote
    /// object), whose lock `Reader::has_writer` reports.
    local_file: Option<File>,
    /// The frame that holds the position, decompressed as far as the
    /// reader has read in it; its original bytes start at `frame_at`.
    frame: FrameStream,
    frame_at: usize,
    /// Original bytes from `join_at` that span frames.
    join: Vec<u8>,
    join_at: usize,
    /// Whether the bytes last made held (by `hold`) are in `join`.
    in_join: bool,
    /// A frame that failed to decompress where a record was read (with
    /// `skip_damaged`), for the search of the next record after it.
    failed: Option<usize>,
    /// A frame's failure a reader that does not skip damage stopped at:
    /// where, which frame, and the error. Its stream reports it once, so it
    /// is kept here: each read from there fails again, as at any damage.
    stopped: Option<(usize, usize, Error)>,
    /// Whether the frames of a damaged seal were looked at
    /// (`check_seal_frames`).
    seal_frames_checked: bool,
    /// The type copies read by a type filter (see `compressed_type_copies`).
    copies: CopyReads,
    /// How a scan decompresses frames ahead (`ScanAhead`).
    pub(super) ahead: ScanAhead,
    /// Frames of the frame held whose CRCs the scan's short path checked
    /// ahead (short_path.rs), at offsets in it: of frame `checked_in`
    /// only, emptied when another frame is held.
    checked: CheckedAhead,
    checked_in: Option<usize>,
}

/// When a scan's next frames are decompressed ahead by a pool of threads
/// (`CompressedSegment::decode_ahead`): once the reader has started
/// `SEQUENTIAL_FRAMES` frames in a row with no type filter set, up to the
/// frame that holds the end of the records. A frame started out of that
/// order, a type filter or a change of `threads` drops the work ahead.
#[derive(Default)]
pub(super) struct ScanAhead {
    /// Threads to decompress on (0 or 1: none, the reader's thread does).
    pub(super) threads: usize,
    /// Frames started in a row, each the one after the last.
    run: usize,
    /// Where the records end (the reader's `end`), and whether the reader
    /// scans (no type filter): set before each read.
    pub(super) records_end: usize,
    pub(super) scanning: bool,
    /// Whether a seek reads forward to its target (`CompressedFrames::set_seeking`).
    seeking: bool,
}

/// Frames a scan starts in a row before the next are decompressed ahead:
/// a seek and the frame after it do not start a pool.
const SEQUENTIAL_FRAMES: usize = 2;

impl CompressedFrames {
    /// The local file the frames are read from, if any.
    pub(super) fn local_file(&self) -> Option<&File> {
        self.local_file.as_ref()
    }

    /// The frames of `segment`, read from `local_file` if it is local.
    pub(super) fn of(segment: CompressedSegment, local_file: Option<File>) -> CompressedFrames {
        CompressedFrames {
            segment: RefCell::new(segment),
            local_file,
            frame: FrameStream::for_scan(),
            frame_at: 0,
            join: Vec::new(),
            join_at: 0,
            in_join: false,
            failed: None,
            stopped: None,
            seal_frames_checked: false,
            copies: CopyReads::default(),
            ahead: ScanAhead {
                scanning: true,
                ..ScanAhead::default()
            },
            checked: CheckedAhead::default(),
            checked_in: None,
        }
    }

    /// For a segment whose header is lost (`header_lost`, the error that
    /// says so): the header's parts as `salvage::salvage_lost_header` finds
    /// them after the header's frame and from the seal's first sequence
    /// number (if it survived), the region up to the first intact record
    /// damage. Fails with `header_lost` if no record is found in the first
    /// two intact frames after it.
    pub fn salvage_header(&self, header_lost: Error) -> Result<HeaderParts> {
        let mut s = self.segment.borrow_mut();
        let from = s.data_start() as usize;
        let seal_first = (s.seal().record_count > 0).then(|| s.seal().first_seq);
        let search = |bytes: &[u8], base: usize| {
            salvage::salvage_lost_header(bytes, base, from, seal_first)
                .map(salvage::with_header_damage)
        };
        // The bytes of the intact frames from `base` (an original offset)
        // on. No record in or across a damaged frame is taken: the search
        // runs in what came before it, then starts again after it.
        let mut bytes = Vec::new();
        let mut base = from;
        let mut frame = Vec::new();
        let mut intact_frames = 0;
        for i in 1..s.frames().len() {
            match s.frame_into(i, &mut frame) {
                Ok(()) => {
                    intact_frames += 1;
                    bytes.extend_from_slice(&frame);
                }
                Err(e) if is_damage(&e) => {
                    if let Some(found) = search(&bytes, base) {
                        return Ok(found);
                    }
                    bytes.clear();
                    base = s.frames()[i].end() as usize;
                }
                Err(e) => return Err(e),
            }
            if intact_frames == 2 {
                break;
            }
        }
        search(&bytes, base).ok_or(header_lost)
    }

    /// The segment's header, and where its records start.
    pub fn header(&self) -> (SegmentHeader, usize) {
        let s = self.segment.borrow();
        (s.header().clone(), s.data_start() as usize)
    }

    /// The bytes that hold what `hold` last made held, and the original
    /// offset of their first byte.
    pub fn held(&self) -> (&[u8], usize) {
        match self.copies.held {
            Some((slot, base)) => (self.copies.bytes(slot), base),
            None if self.in_join => (&self.join, self.join_at),
            None => (self.frame.bytes(), self.frame_at),
        }
    }

    /// For the scan's short path: the frame held, as far as decompressed,
    /// the original offset of its first byte, and the CRCs checked ahead in
    /// it; `None` unless what `hold` last made held is that frame.
    pub(super) fn scan_frame(&mut self) -> Option<(&[u8], usize, &mut CheckedAhead)> {
        let index = self.frame.index()?;
        if self.in_join || self.copies.held.is_some() {
            return None;
        }
        if self.checked_in != Some(index) {
            self.checked = CheckedAhead::default();
            self.checked_in = Some(index);
        }
        Some((self.frame.bytes(), self.frame_at, &mut self.checked))
    }

    /// Makes the original bytes `pos..pos + len` (inside the segment) held:
    /// in the frame held, else in the frame that holds `pos`, else joined
    /// from the frames they span (the last one is then the frame held).
    fn hold(&mut self, pos: usize, len: usize) -> Framed<()> {
        self.copies.held = None;
        self.in_join = self.held_in_join(pos, len)?;
        Ok(())
    }

    /// `hold`'s work; returns whether the bytes are in `join`.
    fn held_in_join(&mut self, pos: usize, len: usize) -> Framed<bool> {
        let end = pos + len;
        if let Some(i) = self.frame.index() {
            if pos >= self.frame_at && end <= self.frame_at + self.frame.size() {
                if end > self.frame_at + self.frame.bytes().len() {
                    self.load(i, end - self.frame_at)?;
                }
                return Ok(false);
            }
        }
        if pos >= self.join_at && end <= self.join_at + self.join.len() {
            return Ok(true);
        }
        let s = self.segment.borrow();
        let first = s.frame_index_at(pos as u64).expect("inside the segment");
        let entry = s.frames()[first];
        drop(s);
        let first_at = entry.offset as usize;
        if end <= entry.end() as usize {
            self.load(first, end - first_at)?;
            return Ok(false);
        }
        self.load(first, usize::MAX)?;
        self.join.clear();
        self.join
            .extend_from_slice(&self.frame.bytes()[pos - first_at..]);
        self.join_at = pos;
        let mut next = first;
        while pos + self.join.len() < end {
            // A frame left whole for the next (a record cut across them)
            // has its checksum checked, also while seeking: its bytes
            // leave the stream here.
            self.check_held(next)?;
            next += 1;
            let take = end - pos - self.join.len();
            self.load(next, take)?;
            let bytes = self.frame.bytes();
            self.join.extend_from_slice(&bytes[..take.min(bytes.len())]);
        }
        Ok(true)
    }

    /// Decompresses the frame held to its end, and checks its checksum
    /// (also while the reader seeks).
    fn finish_frame(&mut self) -> Framed<()> {
        let Some(i) = self.frame.index() else {
            return Ok(());
        };
        if !self.frame.is_whole() {
            self.load(i, usize::MAX)?;
        }
        self.check_held(i)
    }

    /// Whether the frames read from now on are read for a seek: started in
    /// parts, their checksums left unchecked (see `FrameStream`).
    pub(super) fn set_seeking(&mut self, seeking: bool) {
        self.frame.set_seeking(seeking);
        self.ahead.seeking = seeking;
    }

    /// The frame's failure a reader that does not skip damage stopped at
    /// `pos`, if it did.
    fn stopped_at(&self, pos: usize) -> Option<FrameFailed> {
        let (at, index, e) = self.stopped.as_ref()?;
        (*at == pos).then(|| (*index, e.clone()))
    }

    /// Checks the checksum of frame `index`, held, if it was decompressed
    /// to its end in parts and its checksum is not checked yet.
    fn check_held(&mut self, index: usize) -> Framed<()> {
        let s = self.segment.borrow();
        let entry = &s.frames()[index];
        self.frame
            .check_checksum(s.path(), index, entry)
            .map_err(|e| (index, e))
    }

    /// Makes the frame held frame `index`, decompressed at least up to its
    /// `upto`th byte. A scan leaving a frame checks that frame's checksum
    /// first, unless it reads for a seek.
    fn load(&mut self, index: usize, upto: usize) -> Framed<()> {
        let leaving = self.frame.index().filter(|&held| held != index);
        if let Some(held) = leaving.filter(|_| !self.ahead.seeking) {
            self.check_held(held)?;
        }
        let mut s = self.segment.borrow_mut();
        if self.frame.index() != Some(index) {
            self.ahead.starting(&mut s, self.frame.index(), index);
        }
        s.stream_frame(&mut self.frame, index, upto)
            .map_err(|e| (index, e))?;
        self.frame_at = s.frames()[index].offset as usize;
        // A frame whose checksum is still to be checked is checked when the
        // scan leaves it or reaches the end of the records: its records
        // that pass their own checks are read first (17.3a).
        Ok(())
    }

    /// Original bytes `from..from + len` (inside the segment), copied out
    /// of the frames through the cache.
    fn copy(&self, from: usize, len: usize, out: &mut Vec<u8>) -> Framed<()> {
        let mut s = self.segment.borrow_mut();
        out.clear();
        while out.len() < len {
            let at = from + out.len();
            let i = s.frame_index_at(at as u64).expect("inside the segment");
            let bytes = s.frame(i).map_err(|e| (i, e))?;
            let skip = at - s.frames()[i].offset as usize;
            let take = (len - out.len()).min(bytes.len() - skip);
            out.extend_from_slice(&bytes[skip..skip + take]);
        }
        Ok(())
    }

    fn frame_end(&self, index: usize) -> usize {
        self.segment.borrow().frames()[index].end() as usize
    }
}

/// A compressed segment's original bytes, decompressed from the frames
/// that hold them through its frame cache.
impl SegmentSource for RefCell<CompressedSegment> {
    fn len(&self) -> usize {
        self.borrow().original_len() as usize
    }

    fn read_part(&self, offset: u64, len: usize) -> Option<Vec<u8>> {
        self.borrow_mut().read_prefix_at(offset, len).ok()
    }

    fn in_memory(&self) -> Option<&[u8]> {
        None
    }

    fn holds(&self, offset: u64, len: u64) -> bool {
        self.borrow().holds(offset, len)
    }

    fn will_read(&self, offset: u64, len: u64) {
        self.borrow().will_read(offset, len);
    }
}

impl ScanAhead {
    /// Before the scan starts frame `index` of `s` (the frame held before
    /// is `held`): starts decompressing frames from it on ahead (the scan
    /// takes it from the pool at once), or stops (see `ScanAhead`).
    fn starting(&mut self, s: &mut CompressedSegment, held: Option<usize>, index: usize) {
        let in_order = held.is_some_and(|h| h + 1 == index);
        self.run = if in_order { self.run + 1 } else { 0 };
        if !self.scanning || self.seeking || self.threads <= 1 {
            self.run = 0;
            s.stop_decoding_ahead();
            return;
        }
        match s.decoding_ahead() {
            Some(next) if next == index => {}
            Some(_) => s.stop_decoding_ahead(),
            None if self.run >= SEQUENTIAL_FRAMES && !s.is_stored() => {
                let last = s.frame_index_at(self.records_end.saturating_sub(1) as u64);
                let end = last.map_or(0, |l| l + 1);
                s.decode_ahead(self.threads, index..end.max(index));
            }
            None => {}
        }
    }
}

/// Whether an error is a frame that does not decompress as its seek table
/// says (damage), rather than a failure to read the file.
pub(super) fn is_damage(e: &Error) -> bool {
    is_frame_damage(e) || e.kind() == ErrorKind::CorruptSeekTable
}

impl Reader {
    /// Reads and checks the frame at `pos` of a compressed segment, from
    /// the decompressed bytes held (a record filter cursor `cursor` points
    /// at from its type's copy, if usable). A frame that does not
    /// decompress is an error, or with `skip_damaged` a bad frame here.
    /// Out of line, away from the plain segment's read path.
    #[inline(never)]
    pub(super) fn read_decoded_frame(
        &mut self,
        pos: usize,
        verify: bool,
        cursor: Option<usize>,
    ) -> Result<(FrameCheck, BytesIn)> {
        if let Some(read) = cursor.and_then(|i| self.read_copied_frame(pos, verify, i)) {
            return Ok(read);
        }
        let avail = self.end.saturating_sub(pos);
        if avail < FRAME_HEADER_LEN {
            return Ok((INCOMPLETE, BytesIn::Decompressed));
        }
        let d = self.source.frames_mut().expect("a compressed segment");
        if let Some(failed) = d.stopped_at(pos) {
            return self.frame_failed(failed);
        }
        (d.ahead.records_end, d.ahead.scanning) = (self.end, self.filter.is_none());
        let held = d.hold(pos, FRAME_HEADER_LEN).and_then(|()| {
            let (bytes, base) = d.held();
            let (len, _) = frame::frame_header(bytes, pos - base).expect("held");
            let total = FRAME_HEADER_LEN.saturating_add(len as usize).min(avail);
            d.hold(pos, total).map(|()| total)
        });
        // Bytes of a frame not yet decompressed to its end have not had the
        // frame's checksum checked: when they fail the record's checks, the
        // rest of the frame is decompressed, so that a damaged frame is
        // reported as one, not as the record damage it caused.
        let held = held.and_then(|total| {
            let (bytes, base) = d.held();
            let at = pos - base;
            let check = FrameCheck::of(frame::frame_at(&bytes[..at + total], at, verify));
            if matches!(check, FrameCheck::Bad(_)) {
                d.finish_frame()?;
            }
            Ok(check)
        });
        match held {
            Ok(check) => Ok((check, BytesIn::Decompressed)),
            Err((index, e)) if is_damage(&e) => {
                d.stopped = Some((pos, index, e.clone()));
                self.frame_failed((index, e))
            }
            Err((_, e)) => Err(e),
        }
    }

    /// Reads the record at `pos`, which filter cursor `cursor` just took
    /// from its offset array, from the type's copy, if the segment has a
    /// usable one; None otherwise (the caller reads the main frames).
    fn read_copied_frame(
        &mut self,
        pos: usize,
        verify: bool,
        cursor: usize,
    ) -> Option<(FrameCheck, BytesIn)> {
        let c = self.filter.as_ref()?.cursors.as_ref()?.get(cursor)?;
        let k = c.taken()?;
        if c.offsets.get(k) != Some(&(pos as u64)) {
            return None;
        }
        let d = self.source.frames_mut()?;
        let segment = d.segment.get_mut();
        if !d.copies.hold(segment, c.type_id, k, &c.offsets) {
            return None;
        }
        let (bytes, base) = d.held();
        let check = FrameCheck::of(frame::frame_at(bytes, pos - base, verify));
        Some((check, BytesIn::Decompressed))
    }

    /// A frame's failure met at the position: with `skip_damaged`, a bad
    /// frame there (the search for where records resume starts after the
    /// frame); else the error, met again by every read from there.
    fn frame_failed(&mut self, (index, e): FrameFailed) -> Result<(FrameCheck, BytesIn)> {
        let d = self.source.frames_mut().expect("a compressed segment");
        if !self.damage.skip {
            return Err(e);
        }
        (d.stopped, d.failed) = (None, Some(index));
        let bad = FrameCheck::Bad("in a compressed frame that does not decompress");
        Ok((bad, BytesIn::Decompressed))
    }

    /// At the end of the records of a compressed segment: a failure of the
    /// frame that ends them (its checksum, checked now if it was not) is
    /// the error it is, or with `skip_damaged` a damaged region of no bytes
    /// and no records where the reader stands. The frame held is checked
    /// whole there (see `finish_frame`), as no later frame is loaded after
    /// it: its failure is then reported where a scan's failure of any other
    /// frame is, where the reader leaves it (17.3a).
    pub(super) fn check_frame_at_end(&mut self) -> Result<()> {
        let Some(d) = self.source.frames_mut() else {
            return Ok(());
        };
        match d.stopped_at(self.pos).map_or_else(|| d.finish_frame(), Err) {
            Ok(()) => Ok(()),
            Err((_, e)) if self.damage.skip && is_damage(&e) => {
                d.stopped = None;
                self.log_damage(self.pos, self.pos, self.next_seq, None);
                Ok(())
            }
            Err((i, e)) => {
                d.stopped = Some((self.pos, i, e.clone()));
                Err(e)
            }
        }
    }

    /// Where intact records resume after the bad frame at `pos` of a
    /// compressed segment, and the sequence number there: the first record
    /// numbered from `next_seq` on after `pos`, or at or after the end of
    /// a compressed frame that failed to decompress. Frames that fail in
    /// the search are passed over the same way.
    pub(super) fn resume_after_decoded(&mut self, pos: usize) -> Result<Option<(usize, u64)>> {
        let end = self.end;
        let expected = self.next_seq;
        let d = self.source.frames_mut().expect("a compressed segment");
        // Where the search starts, and whether a record may start right there.
        let failed = d.failed.take();
        let (mut from, mut at_from) =
            failed.map_or((pos, false), |i| (d.frame_end(i).max(pos), true));
        while from < end {
            let copy = |want, buf: &mut Vec<u8>| d.copy(from, want, buf).map(|()| want);
            match resume_in_growing(end - from, RESUME_CHUNK, expected, at_from, copy) {
                Ok(found) => return Ok(found.map(|(q, seq)| (from + q, seq))),
                Err((i, e)) if is_damage(&e) => {
                    (from, at_from) = (d.frame_end(i).max(from + 1), true);
                }
                Err((_, e)) => return Err(e),
            }
        }
        Ok(None)
    }

    /// At the end of a compressed segment whose seal is damaged (the tail
    /// `SealDamaged` at `offset`), once: each frame from `offset` on that
    /// does not decompress is a damaged region that holds no record (with
    /// `skip_damaged`), or the first one's error. A frame lost there costs
    /// no record, but it is damage all the same, reported where it is.
    #[inline(never)]
    pub(super) fn check_seal_frames(&mut self) -> Result<()> {
        let (Tail::SealDamaged { offset }, Some(d)) = (self.tail, self.source.frames_mut()) else {
            return Ok(());
        };
        // A plain segment's stored frames are its bytes: none fails.
        if d.segment.borrow().is_stored() || std::mem::replace(&mut d.seal_frames_checked, true) {
            return Ok(());
        }
        let mut s = d.segment.borrow_mut();
        let first = s.frame_index_at(offset).unwrap_or(s.frames().len());
        let mut scratch = Vec::new();
        for i in first..s.frames().len() {
            let Err(e) = s.frame_into(i, &mut scratch) else {
                continue;
            };
            if !(self.damage.skip && is_damage(&e)) {
                return Err(e);
            }
            let f = s.frames()[i];
            let damage = Damage {
                offset: f.offset.max(offset),
                resume_offset: f.end(),
                from_seq: self.next_seq,
                to_seq: self.next_seq,
            };
            self.damage.add(damage);
        }
        Ok(())
    }

    /// How many threads a full scan of a compressed segment decompresses
    /// its next frames on, ahead of the reader (at most `2 * threads`
    /// frames, together at most 32 MiB, beyond the first; see
    /// `compressed::decode_ahead`), at most 4. 0 or 1: the reader's thread
    /// decompresses each frame when it reaches it. Seeks, type filters and
    /// reads of the seal decompress on the reader's thread either way;
    /// records, damage and errors are the same.
    ///
    /// By default `compressed::decode_ahead::default_threads()` for a
    /// remote object (`open_compressed`), where decompressing overlaps the
    /// network, and 0 for a file, whose scan was not shown faster with it
    /// and costs more CPU per MB (docs/PERFORMANCE.md).
    pub fn decode_threads(&mut self, threads: usize) {
        if let Some(d) = self.source.frames_mut() {
            d.ahead.threads = threads;
            d.segment.get_mut().stop_decoding_ahead();
        }
    }

    /// Whether a scan's next frames are being decompressed ahead on other
    /// threads now (see `decode_threads`).
    pub fn decodes_ahead(&self) -> bool {
        self.source
            .frames()
            .is_some_and(|d| d.segment.borrow().decoding_ahead().is_some())
    }

    /// Whether this reader reads a compressed segment (not a plain one
    /// read as stored frames, see `CompressedSegment::open_stored`).
    pub fn is_compressed(&self) -> bool {
        self.source
            .frames()
            .is_some_and(|d| !d.segment.borrow().is_stored())
    }

    /// Original bytes this reader decompressed so far: 0 for a plain
    /// segment, read as stored frames or not (see
    /// `CompressedSegment::bytes_decompressed`).
    pub fn bytes_decompressed(&self) -> u64 {
        match self.source.frames() {
            Some(d) if self.is_compressed() => d.segment.borrow().bytes_decompressed(),
            _ => 0,
        }
    }
}
