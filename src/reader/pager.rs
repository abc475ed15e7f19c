//! The pager: what the record scan reads a segment's bytes from, whatever
//! holds them. `Mapped`, a plain segment file, mapped (the reader's `map`,
//! which every record view of it borrows), that a writer may still append
//! to or cut; or `Frames`, the frames of a compressed segment or of a
//! remote plain object (`frames`), sealed, never growing. The record loop,
//! the seal and the damage rules above it ask the pager what differs; its
//! random reads (the seal's parts, the sparse index, the per-type arrays)
//! go through `original`, a `SegmentSource`, whichever the pager.
//!
//! A mapped segment that may still be written is not read through the
//! mapping alone: a torn tail after the last whole record may be cut by a
//! recovering writer at any moment, and a mapped page wholly past the end
//! of the file raises SIGBUS; pread just comes up short. So its frames are
//! checked in copies read with pread before the mapping is trusted with
//! them (a whole frame is never cut, so once a copy shows it whole the
//! mapping may be read; records that fit a chunk are returned from the
//! copy), and the file is mapped again when its length changes.

use super::frame_check::{FrameCheck, INCOMPLETE};
use super::frames::CompressedFrames;
use super::record::BytesIn;
use super::{salvage, HeaderParts, Reader, Tail};
#[cfg(feature = "compression")]
use crate::compressed::CompressedSegment;
use crate::error::{Error, ErrorKind, Result};
use crate::format::frame::{self, FrameAt, KIND_RECORD};
use crate::format::FRAME_HEADER_LEN;
use crate::source::{MappedFile, SegmentSource};
use crate::sys::read_upto;
use memmap2::{Mmap, UncheckedAdvice};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

/// A pager, the reader's mapping and the segment's header parts.
type Opened = (Pager, Arc<Mmap>, HeaderParts);

pub(super) enum Pager {
    Mapped(MappedSegment),
    #[cfg_attr(not(feature = "compression"), allow(dead_code))]
    Frames(Box<CompressedFrames>),
}

/// A plain segment file, mapped (the mapping is also the reader's `map`,
/// the same one, kept there for the scan's short path).
pub(super) struct MappedSegment {
    mapped: MappedFile,
    /// The frames of an unsealed segment checked in a copy.
    unsealed: UnsealedCopy,
}

/// The frames of an unsealed segment checked in a copy read with pread
/// (see `MappedSegment::check_unsealed`).
#[derive(Default)]
struct UnsealedCopy {
    /// The frames from the position up to here were checked, CRCs
    /// included if `with_crc`.
    checked_to: usize,
    with_crc: bool,
    /// The copy: `len` bytes of the file from offset `at`; the checked
    /// frames are read from it unless `frames_in_copy` is false (a frame
    /// too long for it).
    buf: Vec<u8>,
    at: usize,
    len: usize,
    frames_in_copy: bool,
}

/// An unsealed segment's frames are checked in copies read with pread, this
/// many bytes at a time (see `check_unsealed`); the searches after damage
/// and the zeros a durable writer prepared are read in chunks as large.
pub(super) const CHECK_CHUNK: usize = 64 << 10;

/// Frames up to this size that the per-type index points at may be copied
/// into the reader's buffer with pread (see `Reader::read_indexed`); larger
/// ones are read through the mapping, where faults are few per byte.
pub(super) const PREAD_MAX: usize = 64 * 1024;

/// A sequential reader hands back the pages behind it every this many bytes.
const RELEASE_EVERY: usize = 64 << 20;
/// Released ranges start and end on this boundary: a multiple of any page
/// size Linux uses for file mappings, and of the 2 MiB a large folio may be
/// mapped with (releasing part of one would split its mapping).
const RELEASE_ALIGN: usize = 2 << 20;

impl Pager {
    /// The pager of the segment in `file`: mapped, or its frames if it is
    /// compressed; its mapping (empty for frames), which the reader keeps;
    /// and the header's parts (with `salvage`, of a damaged header too).
    pub(super) fn open(file: File, path: &Path, salvage: bool) -> Result<Opened> {
        // A compressed segment (without the feature `compression`, a
        // `.binlog.zst` fails to open as not a segment). With `salvage`, a
        // header or seal whose frames are damaged does not fail its open:
        // the header's error comes back beside it, for `salvage_header`.
        #[cfg(feature = "compression")]
        if super::frames::is_compressed(&file) {
            let read = (file.try_clone()).map_err(|e| Error::io(path, "open again", e))?;
            let (segment, header_lost) =
                CompressedSegment::open_source(path.into(), Box::new(read), salvage)?;
            let frames = CompressedFrames::of(segment, Some(file));
            return Pager::of_frames(frames, header_lost, path);
        }
        let mapped = MappedFile::new(file, path)?;
        let parts = salvage::decode_header(&mapped.map, path, salvage)?;
        let map = Arc::clone(&mapped.map);
        Ok((Pager::mapped(mapped), map, parts))
    }

    /// `open` for the compressed segment `d` (at `path`), its header
    /// salvaged after its frame if `header_lost` says it is lost.
    #[cfg(feature = "compression")]
    pub(super) fn of_frames(
        d: CompressedFrames,
        header_lost: Option<Error>,
        path: &Path,
    ) -> Result<Opened> {
        let parts = match header_lost {
            Some(e) => d.salvage_header(e)?,
            None => salvage::intact(d.header()),
        };
        let empty = memmap2::MmapOptions::new().len(0).map_anon();
        let map =
            (empty.and_then(|m| m.make_read_only())).map_err(|e| Error::io(path, "map", e))?;
        Ok((Pager::Frames(Box::new(d)), Arc::new(map), parts))
    }

    /// The pager of a plain segment mapped (a remote object's whole copy).
    pub(super) fn mapped(mapped: MappedFile) -> Pager {
        let unsealed = UnsealedCopy::default();
        Pager::Mapped(MappedSegment { mapped, unsealed })
    }

    /// The segment's original bytes, for reads other than the scan's.
    pub(super) fn original(&self) -> &dyn SegmentSource {
        match self {
            Pager::Mapped(m) => &m.mapped,
            #[cfg(feature = "compression")]
            Pager::Frames(d) => &d.segment,
            #[cfg(not(feature = "compression"))]
            Pager::Frames(d) => match **d {},
        }
    }

    /// The local file that holds the segment, if any (a remote object's
    /// frames have none): the one its writer locks.
    pub(super) fn local_file(&self) -> Option<&File> {
        match self {
            Pager::Mapped(m) => Some(&m.mapped.file),
            Pager::Frames(d) => d.local_file(),
        }
    }

    /// A mapped segment's copy its unsealed frames were checked in, and
    /// where the frame at `pos` is in it (nothing for frames).
    #[inline(always)]
    pub(super) fn unsealed_frame_in(&self, pos: usize) -> (&[u8], usize) {
        match self {
            Pager::Mapped(m) => (&m.unsealed.buf[..m.unsealed.len], pos - m.unsealed.at),
            Pager::Frames(_) => (&[], 0),
        }
    }

    /// Reads up to `into.len()` bytes of a mapped segment's file at
    /// `offset` with pread; returns how many there were before its end.
    /// Frames have no file: a read of one is an error (naming the segment
    /// and offset), not a panic, should a path reach it that the scan's
    /// guards did not foresee.
    pub(super) fn pread(&self, path: &Path, into: &mut [u8], offset: usize) -> Result<usize> {
        let read = match self {
            Pager::Mapped(m) => read_upto(|b, o| m.mapped.file.read_at(b, o), into, offset as u64),
            Pager::Frames(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a compressed segment or remote object has no file to read with pread",
            )),
        };
        read.map_err(|e| Error::io_at(path, offset as u64, "read", e))
    }

    /// Whether the segment may grow or be cut while it is read: a file (a
    /// writer may append to it, or recover it), not frames (sealed once).
    #[inline(always)]
    pub(super) fn may_grow(&self) -> bool {
        matches!(self, Pager::Mapped(_))
    }

    pub(super) fn frames(&self) -> Option<&CompressedFrames> {
        match self {
            Pager::Frames(d) => Some(d),
            Pager::Mapped(_) => None,
        }
    }

    pub(super) fn frames_mut(&mut self) -> Option<&mut CompressedFrames> {
        match self {
            Pager::Frames(d) => Some(d),
            Pager::Mapped(_) => None,
        }
    }

    /// Forgets the frames checked in the copy: the position moved, or what
    /// was checked is stale.
    pub(super) fn forget_checked(&mut self) {
        if let Pager::Mapped(m) = self {
            m.unsealed.checked_to = 0;
        }
    }

    /// The frame at `pos` of an unsealed mapped segment checked again,
    /// whole, however long, in a fresh copy (see `check_unsealed`): what
    /// was checked before is stale.
    pub(super) fn recheck_unsealed(
        &mut self,
        path: &Path,
        end: usize,
        pos: usize,
    ) -> Result<Option<FrameCheck>> {
        let Pager::Mapped(m) = self else {
            return Ok(Some(FrameCheck::Bad("not a file")));
        };
        m.unsealed.checked_to = 0;
        m.check_unsealed(path, end, pos, true)
    }
}

impl MappedSegment {
    /// Checks the frame at `pos` of an unsealed segment, and those after it
    /// in the same chunk, in a copy read with pread: `None` if it is a whole
    /// record frame (CRC checked if `verify`), to be read from that copy, or
    /// through the mapping if too long for one; otherwise what it is.
    #[inline(never)]
    fn check_unsealed(
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
        if let (FrameAt::Incomplete, Some((len, crc))) =
            (frame::frame_at(buf, 0, false), frame::frame_header(buf, 0))
        {
            // A whole chunk holds the frame's kind byte too.
            let len = len as usize;
            if got == CHECK_CHUNK && FRAME_HEADER_LEN + len <= avail {
                return self.check_large(path, pos, (len, crc), verify);
            }
        }
        let mut at = 0;
        loop {
            match FrameCheck::of(frame::frame_at(buf, at, verify)) {
                FrameCheck::Record(total) => at += total,
                check if at == 0 => return Ok(Some(check)),
                _ => break,
            }
        }
        let u = &mut self.unsealed;
        (u.checked_to, u.with_crc) = (pos + at, verify);
        (u.at, u.len, u.frames_in_copy) = (pos, got, true);
        Ok(None)
    }

    /// `check_unsealed` for a frame longer than a chunk (its body `len`
    /// bytes, its CRC `crc`), its head in the copy: read and checksummed a
    /// chunk at a time.
    #[inline(never)]
    fn check_large(
        &mut self,
        path: &Path,
        pos: usize,
        (len, crc): (usize, u32),
        verify: bool,
    ) -> Result<Option<FrameCheck>> {
        self.unsealed.frames_in_copy = false;
        let kind = self.unsealed.buf[FRAME_HEADER_LEN];
        if kind & frame::RESERVED_FLAGS != 0 {
            return Ok(Some(FrameCheck::Bad("reserved flag bits set")));
        }
        if verify {
            let mut h = crc32fast::Hasher::new();
            for done in (0..len).step_by(CHECK_CHUNK) {
                let at = pos + FRAME_HEADER_LEN + done;
                let n = (len - done).min(CHECK_CHUNK);
                if self.copy_unsealed(path, at, n)? < n {
                    return Ok(Some(INCOMPLETE));
                }
                h.update(&self.unsealed.buf[..n]);
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
        let buf = &mut self.unsealed.buf;
        buf.resize(len.max(buf.len()), 0);
        let file = &self.mapped.file;
        read_upto(|b, o| file.read_at(b, o), &mut buf[..len], offset as u64)
            .map_err(|e| Error::io_at(path, offset as u64, "read", e))
    }
}

/// A reader's mapping of its segment file, kept mapped while a `Mapping`
/// of it lives, whatever the reader does meanwhile (remap a grown file,
/// move to another segment, close). Bytes of records the reader returned
/// from it stay readable there: for callers that hand out record
/// positions rather than copies (the C ABI's `binlog_reader_next_mapped`).
#[derive(Clone)]
pub struct Mapping(Arc<Mmap>);

impl Mapping {
    /// The mapped bytes (empty for a compressed segment, whose records are
    /// decoded elsewhere).
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether `part` lies wholly in the mapping.
    #[inline]
    pub fn holds(&self, part: &[u8]) -> bool {
        self.offset_of(part.as_ptr() as usize, part.len()).is_some()
    }

    /// The offset in the mapping of the `len` bytes at address `addr`, if
    /// they lie wholly in it.
    #[inline]
    pub fn offset_of(&self, addr: usize, len: usize) -> Option<usize> {
        let at = addr.checked_sub(self.0.as_ptr() as usize)?;
        (at <= self.0.len() && len <= self.0.len() - at).then_some(at)
    }
}

impl std::fmt::Debug for Mapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mapping({} bytes)", self.0.len())
    }
}

/// Makes a copy of a segment's bytes, whole, in a file (a remote object's
/// `copy_whole`): what a reader of its stored frames reads on in.
pub type WholeCopy = Box<dyn Fn() -> Result<File> + Send>;

impl Reader {
    /// The mapping the records are read from now (see [`Mapping`]). A
    /// record's payload may lie elsewhere (a copy read with pread, a
    /// compressed segment's decoded frames): `Mapping::holds` says. For the
    /// C ABI's mapped reads; not part of the Rust API.
    #[doc(hidden)]
    pub fn mapping(&self) -> Mapping {
        Mapping(Arc::clone(&self.map))
    }

    /// Hands back to the kernel the mapped pages of records already passed,
    /// every `RELEASE_EVERY` bytes, so a pass over a multi-GB segment keeps
    /// a bounded resident size (the pages stay in the page cache).
    #[inline(always)]
    pub(super) fn release_behind(&mut self) {
        if self.pos >= self.released_below.saturating_add(RELEASE_EVERY) {
            self.release_behind_now();
        }
    }

    /// `release_behind`'s release, out of line: once every
    /// `RELEASE_EVERY` bytes. Not while indexed records are read with
    /// pread: only the pages of the mapping's checks are mapped then, a
    /// few records' in 512, left to the next release or the close.
    #[inline(never)]
    fn release_behind_now(&mut self) {
        // The position may be past the mapping (an index offset from a
        // hostile file): never advise beyond it.
        let pos = self.pos.min(self.map.len());
        if pos < self.released_below.saturating_add(RELEASE_EVERY) || self.indexed_by_pread() {
            return;
        }
        let upto = pos & !(RELEASE_ALIGN - 1);
        let (from, len) = (self.released_below, upto - self.released_below);
        // SAFETY: called at the start of `next`/`next_found`, which take the
        // reader mutably: no record view into the mapping is alive (C views
        // are documented to die at the next call). MADV_DONTNEED on a shared
        // read-only file mapping only drops this process's mapping of the
        // pages; touching them again reads them back from the file.
        let _ = unsafe {
            self.map
                .unchecked_advise_range(UncheckedAdvice::DontNeed, from, len)
        };
        self.released_below = upto;
    }

    /// Checks the frame at `pos` of an unsealed segment (see
    /// `check_unsealed`) and reads it from where it is then: the copy, or
    /// the mapping once the copy showed it whole.
    #[inline(always)]
    pub(super) fn read_unsealed_frame(
        &mut self,
        pos: usize,
        verify: bool,
    ) -> Result<(FrameCheck, BytesIn)> {
        let Pager::Mapped(m) = &mut self.source else {
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

    /// Reads up to `len` bytes at `offset` with pread into `buf` (grown if
    /// needed); returns how many there were before the end of the file.
    pub(super) fn pread(&self, buf: &mut Vec<u8>, offset: usize, len: usize) -> Result<usize> {
        buf.resize(len.max(buf.len()), 0);
        self.source.pread(&self.path, &mut buf[..len], offset)
    }

    /// Maps the file again if its length changed since it was mapped; true
    /// if it did. A file cut shorter (a writer recovered it) is read again
    /// from the start. A sealed segment never changes: false.
    pub(super) fn remap_if_len_changed(&mut self) -> Result<bool> {
        if self.sealed() || !self.remap_to_new_len()? {
            return Ok(false);
        }
        if self.pos > self.end {
            // Types learned from records that were cut may be defined
            // differently by the writer that cut them.
            self.rewind();
            self.types.clear();
            self.zero_tail = Default::default();
        }
        Ok(true)
    }

    /// Maps the file again if its length changed since it was mapped (the
    /// mapping's is its length then); true if it did. What was checked in
    /// the copy is stale then, the records end at its new end, and the
    /// seal's type table found for lost types is found again when next
    /// needed. Frames never change.
    fn remap_to_new_len(&mut self) -> Result<bool> {
        let Pager::Mapped(m) = &mut self.source else {
            return Ok(false);
        };
        if !m.mapped.remap_if_len_changed(&self.path)? {
            return Ok(false);
        }
        m.unsealed.checked_to = 0;
        self.map = Arc::clone(&m.mapped.map);
        self.end = self.map.len();
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
        if !at_end || !self.remap_to_new_len()? {
            return Ok(false);
        }
        self.seals = Default::default();
        if let Some(f) = self.filter.as_mut() {
            // The seal's per-type arrays are gone: a scan filters.
            f.cursors = None;
        }
        self.tail = Tail::Reading;
        Ok(true)
    }

    /// For a plain segment read as stored frames (a remote object,
    /// `CompressedSegment::open_stored`): `copy` makes a whole copy of its
    /// bytes, read (from where the reader is) if its seal turns out to lie
    /// about where the records end (`bound_holds`): this reader has no file
    /// to read on in as a local reader does.
    pub fn read_on_in_copy(&mut self, copy: WholeCopy) {
        self.whole_copy = Some(copy);
    }

    /// Swaps the stored frames for a whole copy of the same bytes, read as
    /// a local file's mapping from the same position on, with the seal
    /// dropped (as `bound_holds` leaves a local reader): the same records,
    /// damage and end. A copy of another length is an error naming the
    /// segment; on an error nothing changed.
    pub(super) fn switch_to_whole_copy(&mut self) -> Result<()> {
        let make = self
            .whole_copy
            .as_ref()
            .expect("a whole copy to read on in");
        let len = self.file_len();
        let copy = MappedFile::new(make()?, &self.path)?;
        if copy.map.len() as u64 != len {
            let what = format!("changed while read: {len} bytes, now {}", copy.map.len());
            return Err(Error::at(ErrorKind::Remote, &self.path, len, what));
        }
        self.whole_copy = None;
        self.end = copy.map.len();
        self.map = Arc::clone(&copy.map);
        self.source = Pager::mapped(copy);
        self.seals.bounding = None;
        Ok(())
    }
}
