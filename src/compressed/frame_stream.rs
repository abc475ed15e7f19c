//! One frame of a compressed segment decompressed a part at a time: a
//! reader that needs bytes early in a frame (a seek's record, a type's
//! first record, a scan's next records) decompresses the frame's zstd
//! blocks up to the one that holds them, and continues from there later.
//!
//! zstd writes the blocks straight into the stream's buffer (its stable
//! output buffer), which holds a whole frame and is reused; it is offered
//! the compressed bytes zstd's own hint asks for next (a block and the
//! next block's header), so it stops after the block asked for.
//!
//! A frame decompressed in parts has zstd's checksum check turned off: the
//! stream checks it (XXH64, twox-hash's) once it holds the whole frame, on reaching
//! its end unless it reads for a seek, else in `check_checksum`. Bytes
//! handed out before that are checked by the caller (every part of a
//! segment carries a CRC). A frame decompressed whole is checked by zstd.
//! zstd's own check, on in parts, would hash every block it decodes, also
//! for a seek that decodes only part of a frame (docs/PERFORMANCE.md, the
//! seek); zstd does not export its XXH64, hence twox-hash.
//!
//! A frame that fails still yields the bytes zstd wrote before the
//! failure, as in parts: a frame decompressed whole that fails is
//! decompressed again in parts to find them (docs/FORMAT.md 17.3a). The
//! failure is reported once, by the first `extend` asking for a byte past
//! them or by `check_checksum`, which then drop the frame: what a reader
//! reads of a damaged frame does not depend on how it decompressed it.

use super::frame_decoder::{damaged, states_size, Frame};
use super::seek_table::FrameEntry;
use super::source::{read_frame, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::format::u32_at;
use std::path::Path;
use zstd::zstd_safe::zstd_sys::ZSTD_ErrorCode;
use zstd::zstd_safe::ResetDirective;
use zstd::zstd_safe::{DCtx, DParameter, InBuffer, OutBuffer};

/// How far past the bytes asked for a scan's stream reads at least in a
/// stored frame (`extend_stored`): a block, not a record, at a time.
const SCAN_READ_AHEAD: usize = 128 << 10;

/// The bit of a frame header's descriptor byte (the frame's fifth) that
/// says the frame ends with a content checksum (RFC 8878, 3.1.1.1.1).
const FRAME_CHECKSUM_FLAG: u8 = 0x04;

pub struct FrameStream {
    dctx: DCtx<'static>,
    /// The frame being decompressed (None: none).
    index: Option<usize>,
    /// Its compressed bytes, how many zstd has taken, and how many more
    /// it asked for by its last hint.
    src: Vec<u8>,
    src_pos: usize,
    hint: usize,
    /// Its original bytes decompressed so far (`produced`: the length).
    /// While zstd decompresses into it, its allocation holds the whole
    /// frame and one byte more and does not move (zstd's stable output
    /// buffer). Reused from frame to frame.
    out: Vec<u8>,
    produced: usize,
    /// The held frame's size, in original bytes.
    size: usize,
    /// Whether zstd reached the frame's end.
    ended: bool,
    /// Whether the frame is decompressed in parts (zstd's checksum check
    /// off), and whether its checksum is still to be checked.
    parts: bool,
    unchecked: bool,
    /// Why the held frame yields no more than `out` holds, until reported.
    failure: Option<Error>,
    /// How far past the bytes asked for `extend_stored` reads at least.
    read_ahead: usize,
    /// Whether a frame this stream starts is decompressed whole, in one
    /// call (a scan: zstd then writes straight into `out`).
    whole: bool,
    /// Whether this stream reads for a seek: it decompresses the frames it
    /// starts in parts and leaves their checksums to `check_checksum`.
    seeking: bool,
    /// Whether zstd's stable output buffer is set (see `of`).
    stable: bool,
}

impl FrameStream {
    /// A stream for a scan: it decompresses the frames it starts whole, a
    /// frame taken over part way (`swap_frames`) a block at a time.
    pub fn for_scan() -> FrameStream {
        FrameStream::new(SCAN_READ_AHEAD, true, false)
    }

    /// A stream for reads of a few bytes: it decompresses only as far as
    /// the block that holds them (a stored frame: reads only them).
    pub fn for_prefixes() -> FrameStream {
        FrameStream::new(0, false, true)
    }

    /// Whether this stream reads for a seek (see `seeking`) from now on: a
    /// scan's stream does while its reader seeks.
    pub fn set_seeking(&mut self, seeking: bool) {
        self.seeking = seeking;
    }

    fn new(read_ahead: usize, whole: bool, seeking: bool) -> FrameStream {
        let mut dctx = DCtx::create();
        // zstd then checks that its output buffer does not move within a
        // frame. A system zstd before 1.4.4 lacks the parameter: see `of`.
        let stable = dctx
            .set_parameter(DParameter::StableOutBuffer(true))
            .is_ok();
        let mut s = FrameStream::of(dctx, read_ahead, whole, stable);
        s.seeking = seeking;
        s
    }

    /// A stream on `dctx`, which has zstd's stable output buffer set if
    /// `stable`; without it, every frame is decompressed whole in one call
    /// (a prefix read then costs its whole frame, for the same bytes).
    fn of(dctx: DCtx<'static>, read_ahead: usize, whole: bool, stable: bool) -> FrameStream {
        FrameStream {
            dctx,
            index: None,
            src: Vec::new(),
            src_pos: 0,
            hint: 0,
            out: Vec::new(),
            produced: 0,
            size: 0,
            ended: false,
            parts: false,
            unchecked: false,
            failure: None,
            read_ahead,
            whole: whole || !stable,
            seeking: false,
            stable,
        }
    }

    /// The frame held, if any.
    pub fn index(&self) -> Option<usize> {
        self.index
    }

    /// The held frame's bytes decompressed so far, from its start.
    pub fn bytes(&self) -> &[u8] {
        &self.out
    }

    /// The held frame's size, in original bytes (not only what is held).
    pub fn size(&self) -> usize {
        self.size
    }

    /// Whether the held frame is decompressed to its end.
    pub fn is_whole(&self) -> bool {
        self.index.is_some() && self.ended
    }

    /// Checks the checksum of the held frame (frame `index`, `entry` in the
    /// seek table of the file at `path`) if it is decompressed to its end
    /// and not yet checked, and reports a failure not reported yet: a
    /// mismatch is `CorruptFrame` at the frame's compressed offset, and
    /// the frame is no longer held. A frame not at its end passes.
    pub fn check_checksum(&mut self, path: &Path, index: usize, entry: &FrameEntry) -> Result<()> {
        if self.index != Some(index) {
            return Ok(());
        }
        self.settle_checksum(Frame::new(path, index, *entry));
        let failure = self.failure.take();
        if failure.is_some() {
            self.index = None;
        }
        failure.map_or(Ok(()), Err)
    }

    /// Checks the checksum of the held frame, decompressed to its end, if
    /// not yet checked: a mismatch is kept as its failure.
    fn settle_checksum(&mut self, frame: Frame) {
        if !self.ended || !self.unchecked || self.failure.is_some() {
            return;
        }
        self.unchecked = false;
        let stated = self.src.len().checked_sub(4);
        if stated.map(|at| u32_at(&self.src, at))
            != Some(twox_hash::XxHash64::oneshot(0, &self.out) as u32)
        {
            let code = 0usize.wrapping_sub(ZSTD_ErrorCode::ZSTD_error_checksum_wrong as usize);
            self.failure = Some(frame.error(ErrorKind::CorruptFrame, damaged(code)));
        }
    }

    /// Holds nothing: the next `extend` starts a frame.
    pub fn clear(&mut self) {
        self.index = None;
    }

    /// Exchanges the frames held (and their progress) with `other`; each
    /// stream keeps its own way of reading.
    pub fn swap_frames(&mut self, other: &mut FrameStream) {
        std::mem::swap(self, other);
        std::mem::swap(&mut self.read_ahead, &mut other.read_ahead);
        std::mem::swap(&mut self.whole, &mut other.whole);
        std::mem::swap(&mut self.seeking, &mut other.seeking);
    }

    /// Holds frame `index` whole, as `bytes` (a copy of a cached frame).
    pub fn hold_whole(&mut self, index: usize, bytes: &[u8]) {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        out.extend_from_slice(bytes);
        self.hold_decoded(index, out);
    }

    /// Holds frame `index` whole, as `bytes`, decompressed and checked by
    /// `decode_ahead`'s zstd (not left to `check_checksum`); returns the
    /// buffer it held before, for reuse.
    pub fn hold_decoded(&mut self, index: usize, bytes: Vec<u8>) -> Vec<u8> {
        let spare = std::mem::replace(&mut self.out, bytes);
        let size = self.out.len();
        (self.index, self.produced, self.ended, self.size) = (Some(index), size, true, size);
        (self.parts, self.unchecked) = (false, false);
        self.failure = None;
        spare
    }

    /// Decompresses `frame` (its compressed bytes in `file`) until its
    /// first `upto` bytes are held (all, if shorter),
    /// from where this stream left off in it; returns how many bytes it
    /// decompressed. A failure to read leaves nothing held; a damaged frame
    /// yields what zstd wrote first and fails only when asked for more.
    pub fn extend(&mut self, file: &dyn Source, frame: Frame, upto: usize) -> Result<usize> {
        if self.index != Some(frame.index) {
            self.start(file, frame)?;
        }
        let before = self.produced;
        if self.failure.is_none() {
            let result = if before == 0 && !self.parts {
                self.decompress_whole(frame)
            } else {
                self.decompress_to(frame, upto)
            };
            if let Err(e) = result {
                if !is_frame_damage(&e) {
                    self.index = None;
                    return Err(e);
                }
                let in_parts = self.keep_what_failed_frame_yields(frame);
                self.failure = Some(in_parts.unwrap_or(e));
            }
        }
        match self.failure.take() {
            Some(e) if self.produced < upto.min(self.size) => {
                self.index = None;
                Err(e)
            }
            failure => {
                self.failure = failure;
                Ok(self.produced.saturating_sub(before))
            }
        }
    }

    /// Decompresses `frame` from its start as far as it yields: to
    /// its end, its checksum checked, or to its failure, which it returns.
    /// The bytes yielded are then in `bytes` until the stream is used
    /// again, though the frame is not held. A failure to read the frame
    /// (`Io`: unreadable, or no room for it) is an error, `bytes` empty.
    pub fn extend_to_failure(&mut self, file: &dyn Source, frame: Frame) -> Result<Option<Error>> {
        (self.index, self.produced) = (None, 0);
        self.out.clear();
        let Frame { path, index, entry } = frame;
        let failure = match self.extend(file, frame, entry.size as usize) {
            Ok(_) => self.check_checksum(path, index, &entry).err(),
            // `extend` leaves what the frame yields in `out` when it meets
            // the failure; a frame that fails in `start` left it empty.
            Err(e) => Some(e),
        };
        match failure {
            Some(e) if e.kind() == ErrorKind::Io => {
                self.out.clear();
                Err(e)
            }
            failure => Ok(failure),
        }
    }

    /// After `frame` failed: holds the bytes zstd writes before the
    /// failure, found by decompressing it again from its start in parts
    /// (whole in one call leaves none; parts may have stopped elsewhere in
    /// the damaged block); none without a stable output buffer. Returns
    /// the failure met so, the one every way of reading the frame reports.
    fn keep_what_failed_frame_yields(&mut self, frame: Frame) -> Option<Error> {
        self.out.clear();
        self.restart(true);
        // Room for exactly the frame and one byte more: how far zstd writes
        // into a damaged block, and so what it says of it, depends on the
        // room it has (a buffer kept from a larger frame has more).
        if self.out.capacity() != self.size + 1 {
            self.out = Vec::new();
            if self.out.try_reserve_exact(self.size + 1).is_err() {
                return None;
            }
        }
        if !self.stable {
            return None;
        }
        let seeking = std::mem::replace(&mut self.seeking, true);
        let in_parts = self.decompress_to(frame, usize::MAX).err();
        self.seeking = seeking;
        self.unchecked = false;
        self.produced = self.produced.min(self.size);
        self.out.truncate(self.produced);
        in_parts
    }

    /// `extend` for `frame` of a plain segment read as stored frames
    /// (`CompressedSegment::open_stored`), its bytes at `entry.offset` of
    /// `file`: reads no more than `extend` would decompress (a frame a
    /// scan starts whole, else up to `upto` and `read_ahead` beyond).
    pub fn extend_stored(&mut self, file: &dyn Source, frame: Frame, upto: usize) -> Result<usize> {
        let Frame { path, index, entry } = frame;
        let size = entry.size as usize;
        if self.index != Some(index) {
            (self.index, self.produced, self.ended, self.size) = (None, 0, false, size);
            self.unchecked = false;
        }
        let from = self.produced;
        let want = match self.whole && from == 0 {
            true => size,
            false => upto.max(from + self.read_ahead).min(size),
        };
        self.out.truncate(from);
        if want > from {
            self.out.resize(want, 0);
            let at = entry.offset + from as u64;
            if let Err(e) = file.read_exact_at(&mut self.out[from..want], at) {
                self.index = None;
                return Err(Error::io_at(path, at, "read", e));
            }
        }
        (self.index, self.produced) = (Some(index), want.max(from));
        self.ended = self.produced == size;
        Ok(self.produced - from)
    }

    fn start(&mut self, file: &dyn Source, frame: Frame) -> Result<()> {
        self.index = None;
        read_frame(file, frame.path, &frame.entry, &mut self.src)?;
        frame.check(&self.src)?;
        self.size = frame.entry.size as usize;
        self.failure = None;
        // Where zstd cannot turn its check off, it checks it as well.
        self.restart(!self.whole || (self.seeking && self.stable));
        let has_checksum = self
            .src
            .get(4)
            .is_some_and(|&d| d & FRAME_CHECKSUM_FLAG != 0);
        self.unchecked = self.parts && has_checksum;
        // Room for the whole frame and one byte more (see `decompress_to`),
        // allocated once: zstd's stable output buffer must not move while
        // the frame is held. A smaller allocation is replaced, not grown
        // (that would copy it); pages are touched only as zstd writes them.
        if self.out.capacity() <= self.size {
            self.out = Vec::new();
        }
        frame.reserve(&mut self.out)?;
        self.index = Some(frame.index);
        Ok(())
    }

    /// Decompresses the held frame from its start again: in `parts` (zstd's
    /// check of its checksum off), or whole.
    fn restart(&mut self, parts: bool) {
        let _ = self.dctx.reset(ResetDirective::SessionOnly);
        let _ = self
            .dctx
            .set_parameter(DParameter::ForceIgnoreChecksum(parts));
        (self.src_pos, self.hint, self.produced, self.ended) = (0, 0, 0, false);
        self.parts = parts;
    }

    /// Decompresses the frame just started whole, in one call.
    fn decompress_whole(&mut self, frame: Frame) -> Result<()> {
        frame.decode_checked(&mut self.dctx, &self.src, &mut self.out)?;
        (self.produced, self.src_pos, self.ended) = (self.out.len(), self.src.len(), true);
        Ok(())
    }

    /// Decompresses until `upto` bytes (or the whole frame, its end and
    /// checksum included) are held: zstd offered what its last hint asked
    /// for (a block and the next one's header, so one block a call), each
    /// block written straight after the last in `out` (see `start`).
    fn decompress_to(&mut self, frame: Frame, upto: usize) -> Result<()> {
        let size = frame.entry.size as usize;
        let want = upto.min(size);
        // A frame that states its size (the entry's, checked) and holds
        // another contradicts itself: damaged. One that does not state it
        // and holds more than the entry says shows as a size mismatch: the
        // buffer has room for one byte more than the entry's size.
        while self.produced < want || (self.produced == size && !self.ended) {
            let offered = self.src.len().min(self.src_pos + self.hint);
            let mut output = OutBuffer::around_pos(&mut self.out, self.produced);
            let mut input = InBuffer::around(&self.src[..offered]);
            input.set_pos(self.src_pos);
            let hint = self.dctx.decompress_stream(&mut output, &mut input);
            let moved = output.pos() > self.produced || input.pos() > self.src_pos;
            (self.produced, self.src_pos) = (output.pos(), input.pos());
            self.hint = hint.map_err(|code| frame.failure(&self.src, code))?;
            self.ended |= self.hint == 0;
            let stalled = !moved && offered == self.src.len();
            if self.produced > size || (self.ended && self.produced != size) || stalled {
                let what = format!(
                    "the frame decompresses to {}{} bytes, the seek table says {size}",
                    if self.ended { "" } else { "at least " },
                    self.produced
                );
                let kind = match states_size(&self.src) {
                    true => ErrorKind::CorruptFrame,
                    false => ErrorKind::FrameSizeMismatch,
                };
                return Err(frame.error(kind, what));
            }
        }
        if !self.seeking {
            self.settle_checksum(frame);
        }
        Ok(())
    }
}

/// Whether `e` says a frame does not decompress as its entry says (its
/// bytes damaged), rather than that it could not be read.
pub(crate) fn is_frame_damage(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::CorruptFrame | ErrorKind::FrameSizeMismatch
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compressed::frame_writer::{SeekableWriter, DEFAULT_LEVEL};
    use std::fs::File;
    use std::os::unix::fs::FileExt;

    /// Frame 0 of the file at `path`, `entry` in its seek table.
    fn first(path: &(impl AsRef<Path> + ?Sized), entry: FrameEntry) -> Frame<'_> {
        Frame::new(path.as_ref(), 0, entry)
    }

    /// A file of one frame holding `original`, and its seek table entry.
    fn one_frame(original: &[u8]) -> (File, FrameEntry) {
        let mut w = SeekableWriter::new(Vec::new(), DEFAULT_LEVEL).unwrap();
        w.frame(original).unwrap();
        let (bytes, table) = w.finish().unwrap();
        (crate::sys::scratch::unlinked_file(&bytes), table.frames[0])
    }

    fn original() -> Vec<u8> {
        (0..600_000u32)
            .flat_map(|i| (i / 7).to_le_bytes())
            .collect()
    }

    #[test]
    fn a_frame_read_a_part_at_a_time_gives_its_bytes_and_no_more_than_asked_and_a_block() {
        let original = original();
        let (file, entry) = one_frame(&original);
        let path = Path::new("one-frame.zst");
        let mut s = FrameStream::for_prefixes();
        let mut made = 0;
        for upto in [10, 5_000, 300_000, 1_000_000, original.len()] {
            made += s.extend(&file, first(path, entry), upto).unwrap();
            assert!(s.bytes().len() >= upto.min(original.len()));
            assert!(s.bytes().len() <= upto + (128 << 10), "{}", s.bytes().len());
            assert_eq!(s.bytes(), &original[..s.bytes().len()]);
        }
        assert_eq!(made, original.len());
        assert!(s.ended, "the frame's end was reached");
        assert!(
            s.unchecked,
            "read for a seek: its checksum left to check_checksum"
        );
        s.check_checksum(path, 0, &entry).unwrap();
        assert!(!s.unchecked);
        assert_eq!(s.bytes(), &original[..]);
    }

    #[test]
    fn a_part_of_a_frame_is_decompressed_in_whole_blocks_up_to_the_one_that_holds_it() {
        let original = original();
        let (file, entry) = one_frame(&original);
        let mut s = FrameStream::for_prefixes();
        let block = 128 << 10;
        for upto in [10, 5_000, block, block + 1, 300_000, 1_000_000] {
            s.extend(&file, first("f.zst", entry), upto).unwrap();
            assert_eq!(s.bytes().len(), upto.div_ceil(block) * block, "{upto}");
            assert_eq!(s.bytes(), &original[..s.bytes().len()]);
        }
    }

    #[test]
    fn a_frame_that_states_no_size_and_holds_another_is_a_size_mismatch_read_in_parts() {
        let original = original();
        let mut c = zstd::zstd_safe::CCtx::create();
        c.set_parameter(zstd::zstd_safe::CParameter::ContentSizeFlag(false))
            .unwrap();
        let mut bytes = Vec::with_capacity(original.len());
        c.compress2(&mut bytes, &original).unwrap();
        let file = crate::sys::scratch::unlinked_file(&bytes);
        let size = original.len() as u32;
        for stated in [size - 1000, size + 1000] {
            let entry = FrameEntry {
                compressed_offset: 0,
                compressed_size: bytes.len() as u32,
                offset: 0,
                size: stated,
            };
            let mut s = FrameStream::for_prefixes();
            s.extend(&file, first("f.zst", entry), 1_000).unwrap();
            let e = s
                .extend(&file, first("f.zst", entry), stated as usize)
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::FrameSizeMismatch, "{e}");
            assert_eq!(s.index(), None, "a failure leaves nothing held");
        }
    }

    #[test]
    fn a_stream_without_zstd_s_stable_output_buffer_reads_each_frame_whole() {
        let original = original();
        let (file, entry) = one_frame(&original);
        let mut s = FrameStream::of(DCtx::create(), 0, false, false);
        s.extend(&file, first("f.zst", entry), 10).unwrap();
        assert_eq!(s.bytes(), &original[..]);
        assert!(s.is_whole());
        s.extend(&file, first("f.zst", entry), original.len())
            .unwrap();
        assert_eq!(s.bytes(), &original[..]);
    }

    #[test]
    fn a_scan_stream_decompresses_a_frame_it_starts_whole() {
        let original = original();
        let (file, entry) = one_frame(&original);
        let mut s = FrameStream::for_scan();
        s.extend(&file, first("f.zst", entry), 1).unwrap();
        assert_eq!(s.bytes(), &original[..]);
    }

    #[test]
    fn a_frame_decompressed_elsewhere_is_held_checked_after_a_frame_read_in_parts() {
        let original = original();
        let (file, entry) = one_frame(&original);
        let path = Path::new("f.zst");
        let mut s = FrameStream::for_scan();
        s.set_seeking(true);
        s.extend(&file, first(path, entry), 10).unwrap();
        assert!(s.unchecked, "in parts, its checksum still to check");
        s.set_seeking(false);
        let other: Vec<u8> = original.iter().map(|b| b ^ 0x11).collect();
        s.hold_decoded(1, other.clone());
        assert!(s.is_whole() && !s.unchecked);
        let other_entry = FrameEntry {
            size: other.len() as u32,
            ..entry
        };
        s.check_checksum(path, 1, &other_entry).unwrap();
        assert_eq!((s.index(), s.bytes()), (Some(1), &other[..]));
    }

    /// A frame of bytes zstd cannot compress (stored in raw blocks), with
    /// one byte in its last block changed: zstd decodes it, to other bytes
    /// than its checksum's.
    fn frame_changed_where_zstd_still_decodes() -> (File, FrameEntry) {
        let mut x = 1u64;
        let original: Vec<u8> = (0..400_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let (file, entry) = one_frame(&original);
        let mut bytes = vec![0u8; entry.compressed_size as usize];
        FileExt::read_exact_at(&file, &mut bytes, 0).unwrap();
        let at = bytes.len() - 100;
        bytes[at] ^= 0x20;
        (crate::sys::scratch::unlinked_file(&bytes), entry)
    }

    #[test]
    fn a_frame_whose_checksum_fails_yields_its_bytes_and_fails_when_checked() {
        let (bad, entry) = frame_changed_where_zstd_still_decodes();
        let path = Path::new("changed.zst");
        let size = entry.size as usize;
        let expect_checksum_error = |e: Error| {
            assert_eq!(e.kind(), ErrorKind::CorruptFrame, "{e}");
            assert_eq!(e.offset(), Some(entry.compressed_offset), "{e}");
            assert!(e.message().contains("changed.zst"), "{e}");
            assert!(e.message().contains("checksum"), "{e}");
        };
        // Read for a seek: to the end without a check, then checked when asked.
        let mut seek = FrameStream::for_prefixes();
        seek.extend(&bad, first(path, entry), size).unwrap();
        assert!(seek.is_whole());
        expect_checksum_error(seek.check_checksum(path, 0, &entry).unwrap_err());
        assert_eq!(seek.index(), None, "a failure reported leaves nothing held");
        // A scan's stream, whole (zstd checks it, and it is decompressed
        // again in parts) or in parts after a seek: every byte is yielded,
        // the same bytes, and the failure is reported when checked.
        let mut scan = FrameStream::for_scan();
        assert_eq!(scan.extend(&bad, first(path, entry), 1).unwrap(), size);
        let whole = scan.bytes().to_vec();
        expect_checksum_error(scan.check_checksum(path, 0, &entry).unwrap_err());
        assert_eq!(scan.index(), None, "a failure reported leaves nothing held");
        scan.set_seeking(true);
        scan.extend(&bad, first(path, entry), 1_000).unwrap();
        assert!(!scan.is_whole(), "read in parts while seeking");
        scan.set_seeking(false);
        scan.extend(&bad, first(path, entry), size).unwrap();
        assert_eq!(scan.bytes(), &whole[..]);
        expect_checksum_error(scan.check_checksum(path, 0, &entry).unwrap_err());
    }

    /// One frame of `original()` with 16 bytes three quarters into its
    /// compressed bytes changed, in an unlinked file (`name` in errors),
    /// and its seek table entry.
    fn frame_damaged_late(name: &str) -> (Vec<u8>, File, FrameEntry, std::path::PathBuf) {
        let original = original();
        let (file, entry) = one_frame(&original);
        let mut bytes = vec![0u8; entry.compressed_size as usize];
        FileExt::read_exact_at(&file, &mut bytes, 0).unwrap();
        let at = bytes.len() * 3 / 4;
        for b in &mut bytes[at..at + 16] {
            *b ^= 0x5a;
        }
        let bad = crate::sys::scratch::unlinked_file(&bytes);
        (original, bad, entry, name.into())
    }

    #[test]
    fn a_frame_that_fails_yields_the_same_bytes_decompressed_whole_or_in_parts() {
        let (original, bad, entry, path) = frame_damaged_late("frame-stream-yields");
        let mut whole = FrameStream::for_scan();
        whole.extend(&bad, first(&path, entry), 1).unwrap();
        let n = whole.bytes().len();
        assert!(n > 0, "{n} of {} bytes", original.len());
        let mut parts = FrameStream::for_prefixes();
        parts.extend(&bad, first(&path, entry), n).unwrap();
        assert_eq!(&parts.bytes()[..n], whole.bytes());
        for s in [&mut whole, &mut parts] {
            let e = s
                .extend(&bad, first(&path, entry), original.len())
                .and_then(|_| s.check_checksum(&path, 0, &entry))
                .unwrap_err();
            let kinds = [ErrorKind::CorruptFrame, ErrorKind::FrameSizeMismatch];
            assert!(kinds.contains(&e.kind()), "{e}");
            assert_eq!(s.index(), None, "a failure reported leaves nothing held");
        }
    }

    #[test]
    fn a_frame_decompressed_to_its_failure_yields_what_a_scan_reads_and_the_failure() {
        let (original, bad, entry, path) = frame_damaged_late("frame-stream-to-failure");
        let mut scan = FrameStream::for_scan();
        scan.extend(&bad, first(&path, entry), 1).unwrap();
        let yielded = scan.bytes().to_vec();
        assert!(!yielded.is_empty());
        let mut s = FrameStream::for_prefixes();
        let failure = s.extend_to_failure(&bad, first(&path, entry)).unwrap();
        assert!(failure.is_some_and(|e| e.kind() != ErrorKind::Io));
        assert_eq!(s.bytes(), yielded);
        let (good, entry) = one_frame(&original);
        assert!(s
            .extend_to_failure(&good, first(&path, entry))
            .unwrap()
            .is_none());
        assert_eq!(s.bytes(), original);
    }

    #[test]
    fn a_frame_damaged_past_the_bytes_read_fails_when_the_read_reaches_it() {
        let (original, bad, entry, path) = frame_damaged_late("frame-stream-bad");
        let mut s = FrameStream::for_prefixes();
        s.extend(&bad, first(&path, entry), 1_000).unwrap();
        assert_eq!(s.bytes(), &original[..s.bytes().len()]);
        // Read for a seek, the frame's checksum is checked when asked.
        let e = s
            .extend(&bad, first(&path, entry), original.len())
            .and_then(|_| s.check_checksum(&path, 0, &entry))
            .unwrap_err();
        assert!(
            matches!(
                e.kind(),
                ErrorKind::CorruptFrame | ErrorKind::FrameSizeMismatch
            ),
            "{e}"
        );
        assert_eq!(e.offset(), Some(0));
        assert_eq!(s.index(), None, "a failure leaves nothing held");
    }

    /// Set in a child process `in_limited_child` spawns.
    const LIMITED_CHILD: &str = "BINLOG_TEST_ADDRESS_SPACE_LIMITED";

    /// In the test process: runs test `name` again in a child process and
    /// asserts it passed; false (at once under an emulator). In that child: limits its address space
    /// to what it uses plus 256 MiB; true (the test runs on).
    fn in_limited_child(name: &str) -> bool {
        if crate::sys::scratch::under_runner(
            "the address-space limit (qemu-user ignores RLIMIT_AS)",
        ) {
            return false;
        }
        if std::env::var_os(LIMITED_CHILD).is_none() {
            let out = crate::sys::scratch::this_binary()
                .args(["--exact", name, "--test-threads=1", "--nocapture"])
                .env(LIMITED_CHILD, "1")
                .output()
                .unwrap();
            let said = String::from_utf8_lossy(&out.stderr).into_owned()
                + &String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "the limited child: {said}");
            assert!(said.contains("1 passed"), "the limited child: {said}");
            return false;
        }
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
        let pages: u64 = statm.split(' ').next().unwrap().parse().unwrap();
        let limit = pages * 4096 + (256 << 20);
        crate::sys::limit_address_space(limit).unwrap();
        true
    }

    /// A zstd frame (RFC 8878) that states no content size and holds
    /// `len` bytes of 7s in RLE blocks of 128 KiB (`len` a multiple of
    /// that): its blocks' headers say it holds `len` bytes, in a few bytes
    /// per block.
    fn rle_frame(len: u64) -> Vec<u8> {
        const BLOCK: u64 = 128 << 10;
        // Magic; no content size, checksum or dictionary; a 128 KiB window
        // (exponent 7, mantissa 0).
        let mut f = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3];
        let blocks = len / BLOCK;
        for i in 0..blocks {
            let last = u32::from(i + 1 == blocks);
            let header = last | (1 << 1) | ((BLOCK as u32) << 3);
            f.extend_from_slice(&header.to_le_bytes()[..3]);
            f.push(7);
        }
        f
    }

    #[test]
    fn a_frame_claiming_more_than_can_be_allocated_is_an_out_of_memory_error_naming_it_not_an_abort(
    ) {
        let name = "compressed::frame_stream::tests::\
                    a_frame_claiming_more_than_can_be_allocated_is_an_out_of_memory_error_naming_it_not_an_abort";
        if !in_limited_child(name) {
            return;
        }
        let bytes = rle_frame(1 << 30);
        let file = crate::sys::scratch::unlinked_file(&bytes);
        let entry = FrameEntry {
            compressed_offset: 0,
            compressed_size: bytes.len() as u32,
            offset: 0,
            size: 1 << 30,
        };
        let path = Path::new("huge-frame.zst");
        let check = |e: Error| {
            assert_eq!(e.kind(), ErrorKind::Io, "{e}");
            let source = std::error::Error::source(&e).expect("an I/O source");
            let io = source
                .downcast_ref::<std::io::Error>()
                .expect("an io::Error");
            assert_eq!(io.kind(), std::io::ErrorKind::OutOfMemory, "{e}");
            assert_eq!(e.path(), Some(path), "{e}");
            assert_eq!(e.offset(), Some(0), "{e}");
            assert!(e.message().contains("huge-frame.zst"), "{e}");
            assert!(e.message().contains("frame 0"), "{e}");
            assert!(e.message().contains(&((1u64 << 30) + 1).to_string()), "{e}");
        };
        let mut out = Vec::new();
        let mut decoder = super::super::frame_decoder::FrameDecoder::default();
        check(
            decoder
                .decode(first(path, entry), &bytes, &mut out)
                .unwrap_err(),
        );
        for mut s in [FrameStream::for_prefixes(), FrameStream::for_scan()] {
            check(s.extend(&file, first(path, entry), 10).unwrap_err());
            assert_eq!(s.index(), None, "a failure leaves nothing held");
        }
        // So in a worker decompressing ahead: the error comes back.
        let mut ahead = super::super::decode_ahead::DecodeAhead::start(path, 2, 0..1).unwrap();
        ahead.hand_over(&[entry], |_, buf| {
            buf.clone_from(&bytes);
            Ok(())
        });
        check(ahead.take().unwrap().result.unwrap_err());
    }
}

/// XXH64 as the stream checks a frame with it: its low 32 bits are the
/// checksum zstd writes.
#[cfg(test)]
mod xxh64_tests {
    fn xxh64(bytes: &[u8]) -> u64 {
        twox_hash::XxHash64::oneshot(0, bytes)
    }
    use zstd::zstd_safe::{CCtx, CParameter};

    #[test]
    fn xxh64_of_nothing_is_the_reference_value() {
        assert_eq!(xxh64(b""), 0xEF46_DB37_51D8_E999);
    }

    fn data() -> Vec<u8> {
        (0..1_000_003u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect()
    }

    /// The checksum zstd writes at the end of a frame holding `bytes`.
    fn zstd_checksum(c: &mut CCtx<'_>, bytes: &[u8]) -> u32 {
        let mut frame = Vec::with_capacity(bytes.len() + 1024);
        c.compress2(&mut frame, bytes).unwrap();
        u32::from_le_bytes(frame[frame.len() - 4..].try_into().unwrap())
    }

    fn checksumming() -> CCtx<'static> {
        let mut c = CCtx::create();
        c.set_parameter(CParameter::ChecksumFlag(true)).unwrap();
        c
    }

    /// zstd's checksum of every length up to 300 bytes (each path through
    /// stripes, words, a half word and bytes) and of a frame's worth.
    #[test]
    fn xxh64_s_low_32_bits_are_the_checksum_zstd_writes_in_a_frame() {
        let data = data();
        let mut c = checksumming();
        let lens = (0..300).chain([4_096, 131_073, data.len()]);
        for len in lens {
            let written = zstd_checksum(&mut c, &data[..len]);
            assert_eq!(xxh64(&data[..len]) as u32, written, "{len} bytes");
        }
    }

    /// The same of bytes that start at every offset from an 8-byte
    /// boundary (a frame's bytes need not be aligned).
    #[test]
    fn xxh64_of_bytes_at_any_alignment_is_zstds_checksum() {
        let data = data();
        let mut c = checksumming();
        for from in 1..8 {
            for len in [7, 31, 32, 33, 100, 65_537] {
                let bytes = &data[from..from + len];
                let written = zstd_checksum(&mut c, bytes);
                assert_eq!(xxh64(bytes) as u32, written, "{len} bytes from {from}");
            }
        }
    }
}
