//! `CompressedSegment`: random access to a compressed sealed segment
//! (`.binlog.zst`). Opening reads the seek table, the header's frame and
//! the seal's frames at the end; `read_at` decompresses only the frames a
//! range needs, keeping the last few in a small cache; `for_each_frame`
//! streams the whole segment one frame at a time. A plain segment (a
//! remote `.binlog` object) is read the same way, as stored frames
//! (`open_stored`).

use super::copy_read::CopyState;
use super::decode_ahead::DecodeAhead;
use super::frame_decoder::{Frame, FrameDecoder};
use super::frame_stream::{is_frame_damage, FrameStream};
use super::open::{read_table, read_table_salvage};
use super::seek_table::{FrameEntry, SeekTable};
use super::source::{read_frame, source_len, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::format::header::{stated_len, SegmentHeader};
use crate::format::seal::{
    read_directory_from, seal_begin_agrees, SealDirectory, SparseEntry, SEAL_BEGIN_LEN, TRAILER_LEN,
};
use crate::format::MAX_HEADER_LEN;
use std::borrow::Cow;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Reads take `&mut self` (the cache and the decompression context); the
/// segment may move to another thread (`Send`), as a `Reader` may.
pub struct CompressedSegment {
    /// The file's path, or the object's `s3://` URL: what errors name.
    pub(super) path: PathBuf,
    pub(super) file: Box<dyn Source>,
    pub(super) table: SeekTable,
    header: SegmentHeader,
    pub(super) header_len: u64,
    pub(super) seal: SealDirectory,
    pub(super) decoder: FrameDecoder,
    /// The frame `read_prefix_at` reads the start of.
    prefix: FrameStream,
    cache: FrameCache,
    pub(super) compressed: Vec<u8>,
    frames_decompressed: u64,
    bytes_decompressed: u64,
    /// The type copies' directory, read on first use (see `copy_read`),
    /// and the sparse index their records are checked against.
    pub(super) copies: CopyState,
    pub(super) copy_sparse: Vec<SparseEntry>,
    /// Whether the check that the `SEAL_BEGIN` frame agrees with the seal
    /// was put off at open (see `open_source`): `check_seal_begin` makes it.
    seal_begin_unchecked: bool,
    /// Whether the source is a plain segment read as stored frames (see
    /// `open_stored`): its bytes are the original bytes.
    pub(super) stored: bool,
    /// The frames a scan reads next, decompressed ahead by a pool of
    /// threads (`decode_ahead`), if one was started.
    ahead: Option<DecodeAhead>,
    /// Whether decompressing ahead failed for this segment (no thread, no
    /// room for a frame, a frame never given back): the scan decompresses
    /// on its own thread from then on.
    ahead_failed: bool,
}

impl CompressedSegment {
    /// Opens a compressed segment: its seek table, header and seal must be
    /// intact (a compressed segment is always sealed).
    pub fn open(path: impl AsRef<Path>) -> Result<CompressedSegment> {
        CompressedSegment::open_frames(path)?.read_header_and_seal()
    }

    /// Like `open`, for bytes read from `source` (a remote object), named
    /// `name` in errors; with `salvage`, as `open_salvage` opens a file.
    /// Without it, the check of the `SEAL_BEGIN` frame is put off while
    /// `source` does not hold that frame's bytes (a remote open fetches
    /// the tail and the header's frame only): the caller makes it with
    /// `check_seal_begin` once it reads near there, failing as `open` would.
    pub fn open_source(
        name: PathBuf,
        source: Box<dyn Source>,
        salvage: bool,
    ) -> Result<(CompressedSegment, Option<Error>)> {
        let table = match salvage {
            true => read_table_salvage(source.as_ref(), &name)?.0,
            false => read_table(source.as_ref(), &name)?,
        };
        let s = CompressedSegment::with_table(name, source, table);
        match salvage {
            true => s.read_header_and_seal_salvage(),
            false => s.read_header_and_seal().map(|s| (s, None)),
        }
    }

    /// Reads the header and the seal, the `SEAL_BEGIN` frame's check put
    /// off if the source does not hold its bytes (see `open_source`).
    fn read_header_and_seal(mut self) -> Result<CompressedSegment> {
        self.read_header()?;
        self.read_seal_directory()?;
        if self.holds(self.seal.records_end, SEAL_BEGIN_LEN as u64) {
            self.check_seal_begin()?;
        }
        Ok(self)
    }

    /// Like `open`, for a reader that salvages what it can: a header or
    /// seal that does not decompress or fails its checks does not fail the
    /// open. Returns the header's error, if any: `header` is then a
    /// placeholder and `data_start` the end of the header's frame. A seal
    /// that cannot be read leaves `seal` empty. A missing or broken seek
    /// table is replaced as in `open_frames_salvage`. Only a file that
    /// cannot be read, or that has no whole frame, fails.
    pub fn open_salvage(path: impl AsRef<Path>) -> Result<(CompressedSegment, Option<Error>)> {
        let (s, _) = CompressedSegment::open_frames_salvage(path)?;
        s.read_header_and_seal_salvage()
    }

    /// `open_salvage`'s reads of the header and the seal.
    fn read_header_and_seal_salvage(mut self) -> Result<(CompressedSegment, Option<Error>)> {
        let header_lost = match self.read_header() {
            Ok(()) => None,
            Err(e) if is_lost_header(&e) => {
                self.header_len = self.table.frames[0].end();
                Some(e)
            }
            Err(e) => return Err(e),
        };
        match self.read_seal() {
            Err(e) if e.kind() == ErrorKind::Io => Err(e),
            _ => Ok((self, header_lost)),
        }
    }

    /// Opens a compressed segment's frames only (`header` and `seal` are
    /// empty placeholders): for tools that look at damaged segments.
    pub fn open_frames(path: impl AsRef<Path>) -> Result<CompressedSegment> {
        let (path, file) = open_file(path.as_ref())?;
        let table = read_table(&file, &path)?;
        Ok(CompressedSegment::with_table(path, Box::new(file), table))
    }

    /// Like `open_frames`, for a file whose seek table is missing or
    /// broken: its frames are the whole zstd frames a walk from the start
    /// finds, returned with the table's error; fails if there are none.
    pub fn open_frames_salvage(
        path: impl AsRef<Path>,
    ) -> Result<(CompressedSegment, Option<Error>)> {
        let (path, file) = open_file(path.as_ref())?;
        let (table, lost) = read_table_salvage(&file, &path)?;
        let segment = CompressedSegment::with_table(path, Box::new(file), table);
        Ok((segment, lost))
    }

    pub(super) fn with_table(
        path: PathBuf,
        file: Box<dyn Source>,
        table: SeekTable,
    ) -> CompressedSegment {
        CompressedSegment {
            path,
            file,
            table,
            // Until its own is read.
            header: SegmentHeader::default(),
            header_len: 0,
            seal: SealDirectory::default(),
            decoder: FrameDecoder::default(),
            prefix: FrameStream::for_prefixes(),
            cache: FrameCache::default(),
            compressed: Vec::new(),
            frames_decompressed: 0,
            bytes_decompressed: 0,
            copies: CopyState::Unread,
            copy_sparse: Vec::new(),
            seal_begin_unchecked: false,
            stored: false,
            ahead: None,
            ahead_failed: false,
        }
    }

    /// Whether the original bytes `offset..offset + len` can be read
    /// without a request (`Source::holds`, or cached); not past the end.
    pub fn holds(&self, offset: u64, len: u64) -> bool {
        let Some(end) = offset.checked_add(len.max(1)) else {
            return false;
        };
        let Some(last) = self.table.frame_at(end - 1) else {
            return false;
        };
        let first = self.table.frame_at(offset).expect("before a frame held");
        (first..=last).all(|i| {
            let f = &self.table.frames[i];
            self.cache.contains(i)
                || match self.stored {
                    // Only the part asked for: a stored frame's bytes are
                    // read from any offset.
                    true => {
                        let (from, to) = (f.offset.max(offset), f.end().min(end));
                        self.file.holds(from, to - from)
                    }
                    false => self
                        .file
                        .holds(f.compressed_offset, u64::from(f.compressed_size)),
                }
        })
    }

    /// Makes the check of the `SEAL_BEGIN` frame `open_source` put off, if
    /// it did: fails as `open` would (`CorruptSeal`) until it passes.
    pub fn check_seal_begin(&mut self) -> Result<()> {
        if !self.seal_begin_unchecked {
            return Ok(());
        }
        let seal = self.seal.clone();
        if !self.with_reads(|read| seal_begin_agrees(&seal, read))? {
            return Err(self.no_intact_seal());
        }
        self.seal_begin_unchecked = false;
        Ok(())
    }

    /// The compressed file's path (or its object's URL).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The segment's header.
    pub fn header(&self) -> &SegmentHeader {
        &self.header
    }

    /// Offset where the records start (the header's length).
    pub fn data_start(&self) -> u64 {
        self.header_len
    }

    /// The segment's seal directory (a compressed segment is always sealed).
    pub fn seal(&self) -> &SealDirectory {
        &self.seal
    }

    /// The frames, as the seek table lists them.
    pub fn frames(&self) -> &[FrameEntry] {
        &self.table.frames
    }

    /// Bytes of the original segment.
    pub fn original_len(&self) -> u64 {
        self.table.original_len()
    }

    /// Frames decompressed so far (cache hits not counted).
    pub fn frames_decompressed(&self) -> u64 {
        self.frames_decompressed
    }

    /// Original bytes decompressed so far (cache hits not counted).
    pub fn bytes_decompressed(&self) -> u64 {
        self.bytes_decompressed
    }

    /// The index of the frame holding original offset `offset`, if any.
    pub fn frame_index_at(&self, offset: u64) -> Option<usize> {
        self.table.frame_at(offset)
    }

    /// Frame `index` decompressed into `out` (replaced): copied from the
    /// cache, or decompressed into `out` without caching it.
    pub fn frame_into(&mut self, index: usize, out: &mut Vec<u8>) -> Result<()> {
        match self.cache.get(index) {
            Some(bytes) => {
                out.clear();
                out.extend_from_slice(&bytes);
                Ok(())
            }
            None => self.decompress(index, out),
        }
    }

    /// Frame `index`'s original bytes as a reader reads them, into `out`
    /// (replaced): all of them, or, of a frame that does not decompress as
    /// its entry says, the bytes it yields before its failure, returned
    /// with it (docs/FORMAT.md 17.3a, rule 1). A failure to read the
    /// frame (`Io`) is an error.
    pub fn frame_yield_into(&mut self, index: usize, out: &mut Vec<u8>) -> Result<Option<Error>> {
        match self.frame_into(index, out) {
            Ok(()) => return Ok(None),
            Err(e) if e.kind() == ErrorKind::Io => return Err(e),
            Err(_) => {}
        }
        // Only a frame that fails is decompressed again, by the stream a
        // reader reads it with, which keeps what the frame yields.
        let frame = Frame::new(&self.path, index, self.table.frames[index]);
        let mut stream = FrameStream::for_scan();
        let failure = stream.extend_to_failure(self.file.as_ref(), frame)?;
        out.clear();
        out.extend_from_slice(stream.bytes());
        Ok(failure)
    }

    /// The original bytes `offset..offset + len`.
    pub fn read_at(&mut self, offset: u64, len: usize) -> Result<Vec<u8>> {
        let mut out = vec![0u8; len];
        self.read_exact_at(offset, &mut out)?;
        Ok(out)
    }

    /// Fills `buf` with the original bytes from `offset` on.
    pub fn read_exact_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let (len, end) = (self.original_len(), offset.checked_add(buf.len() as u64));
        if end.is_none_or(|end| end > len) {
            let what = format!("{} bytes past the segment's {len} bytes", buf.len());
            let past_end = Error::at(ErrorKind::InvalidArgument, &self.path, offset, what);
            return Err(past_end);
        }
        if self.stored {
            return self
                .file
                .read_exact_at(buf, offset)
                .map_err(|e| Error::io_at(&self.path, offset, "read", e));
        }
        let mut done = 0;
        while done < buf.len() {
            let at = offset + done as u64;
            let i = self
                .table
                .frame_at(at)
                .expect("offset checked against the length");
            let frame = self.frame(i)?;
            let from = (at - self.table.frames[i].offset) as usize;
            let n = (frame.len() - from).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&frame[from..from + n]);
            done += n;
        }
        Ok(())
    }

    /// Like `read_at`, decompressing a frame not cached only up to the
    /// bytes asked for (and a block or so beyond, see `FrameStream`); a
    /// later read further into it continues from there. The frame's
    /// checksum is checked when a read reaches its end (a frame that fails
    /// it fails that read, as `read_at` does: docs/FORMAT.md 17.3a), so the
    /// caller checks what it reads before (every part of a segment has its
    /// own CRC): a reader's open reads the seal, each type's first offsets
    /// and first record this way.
    pub fn read_prefix_at(&mut self, offset: u64, len: usize) -> Result<Vec<u8>> {
        let Some(i) = self.table.frame_at(offset).filter(|_| !self.stored) else {
            return self.read_at(offset, len);
        };
        let entry = self.table.frames[i];
        let from = (offset - entry.offset) as usize;
        let upto = from + len;
        if upto > entry.size as usize || self.cache.contains(i) {
            return self.read_at(offset, len);
        }
        let frame = Frame::new(&self.path, i, entry);
        let source = (self.file.as_ref(), self.stored);
        let made = fill(&mut self.prefix, source, &mut self.cache, frame, upto)?;
        self.count(made);
        if upto == entry.size as usize {
            self.prefix.check_checksum(&self.path, i, &entry)?;
        }
        Ok(self.prefix.bytes()[from..upto].to_vec())
    }

    /// Makes `stream` hold at least the first `upto` original bytes of
    /// frame `index` (all of it, if shorter): from the cache, or
    /// decompressed on from where this stream or `read_prefix_at`'s left
    /// off in that frame. A frame whose decompression begins counts once.
    pub fn stream_frame(
        &mut self,
        stream: &mut FrameStream,
        index: usize,
        upto: usize,
    ) -> Result<()> {
        let progress = |s: &FrameStream| match s.index() {
            Some(i) if i == index => s.bytes().len(),
            _ => 0,
        };
        if stream.index() != Some(index) {
            let own = progress(&self.prefix) > 0 || self.cache.contains(index);
            let held = self.hold_decoded_ahead(stream, index, own);
            if self.ahead.as_ref().is_some_and(DecodeAhead::is_done) {
                // Every frame it had to give taken: its threads end when
                // the scan leaves its range, not with the reader.
                self.ahead = None;
            }
            if let Some(held) = held {
                return held;
            }
        }
        if progress(&self.prefix) > progress(stream) {
            stream.swap_frames(&mut self.prefix);
        }
        let frame = Frame::new(&self.path, index, self.table.frames[index]);
        let source = (self.file.as_ref(), self.stored);
        let made = fill(stream, source, &mut self.cache, frame, upto)?;
        self.count(made);
        Ok(())
    }

    /// Starts decompressing frames `frames` ahead of a scan on `threads`
    /// threads (see `decode_ahead`), for `stream_frame` to take in order,
    /// dropping any earlier start's. Nothing for stored frames, nor if no
    /// thread can be started (the scan decompresses on its own thread).
    pub fn decode_ahead(&mut self, threads: usize, frames: std::ops::Range<usize>) {
        self.ahead = None;
        if self.stored || self.ahead_failed || threads == 0 || frames.is_empty() {
            return;
        }
        self.ahead = DecodeAhead::start(&self.path, threads, frames).ok();
        self.ahead_failed = self.ahead.is_none();
        self.hand_over_ahead();
    }

    /// Drops the frames decompressed ahead, if any (their workers end).
    pub fn stop_decoding_ahead(&mut self) {
        self.ahead = None;
    }

    /// Whether frames are decompressed ahead of a scan, and which frame the
    /// scan takes next from them.
    pub fn decoding_ahead(&self) -> Option<usize> {
        self.ahead.as_ref().map(|a| a.next_index())
    }

    /// Hands the pool the next frames' compressed bytes, up to its bound.
    fn hand_over_ahead(&mut self) {
        let Some(ahead) = self.ahead.as_mut() else {
            return;
        };
        let (file, path) = (self.file.as_ref(), self.path.as_path());
        ahead.hand_over(&self.table.frames, |entry, buf| {
            read_frame(file, path, entry, buf)
        });
    }

    /// For `stream_frame` starting frame `index`: takes it from the frames
    /// decompressed ahead if it is the next of them (any other frame drops
    /// them: a jump). Makes `stream` hold it, or returns its error, unless
    /// `own` (the prefix stream's progress in it, or the cache, gives it
    /// as without the pool) or its room could not be had beside the frames
    /// ahead (they are dropped; the reader's thread decompresses it): then
    /// `None`, for `stream_frame` to go on as without the pool.
    fn hold_decoded_ahead(
        &mut self,
        stream: &mut FrameStream,
        index: usize,
        own: bool,
    ) -> Option<Result<()>> {
        let ahead = self.ahead.as_mut()?;
        let next = ahead.next_index() == index;
        let handed_over = next && ahead.frames_ahead() > 0;
        let Some(frame) = next.then(|| ahead.take()).flatten() else {
            // Another frame than the next: a jump. The next, handed over
            // and not given back: its worker is gone (or this is a child
            // process after fork()).
            self.ahead_failed |= handed_over;
            self.ahead = None;
            return None;
        };
        if own {
            ahead.give_back(frame.bytes);
            self.hand_over_ahead();
            return None;
        }
        if let Err(e) = frame.result {
            // No room for the frame could be had (`Frame::reserve`).
            let io = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<std::io::Error>());
            if io.is_some_and(|io| io.kind() == std::io::ErrorKind::OutOfMemory) {
                self.ahead = None;
                self.ahead_failed = true;
                return None;
            }
            stream.clear();
            ahead.give_back(frame.bytes);
            self.hand_over_ahead();
            // A frame that fails is decompressed again on this thread, which
            // keeps the bytes it yields before its failure (`FrameStream`):
            // a scan reads the same records with threads or without.
            return (!is_frame_damage(&e)).then_some(Err(e));
        }
        let size = frame.bytes.len();
        let spare = stream.hold_decoded(index, frame.bytes);
        ahead.give_back(spare);
        self.hand_over_ahead();
        self.count((true, size));
        Some(Ok(()))
    }

    /// Counts what `fill` decompressed: whether it began a frame, and bytes.
    pub(super) fn count(&mut self, (started, bytes): (bool, usize)) {
        self.frames_decompressed += u64::from(started);
        self.bytes_decompressed += bytes as u64;
    }

    /// Frame `index`, decompressed, from the cache or the file.
    pub fn frame(&mut self, index: usize) -> Result<Arc<[u8]>> {
        if let Some(bytes) = self.cache.get(index) {
            return Ok(bytes);
        }
        let mut out = Vec::new();
        self.decompress(index, &mut out)?;
        let bytes: Arc<[u8]> = out.into();
        self.cache.insert(index, Arc::clone(&bytes));
        Ok(bytes)
    }

    /// Calls `f(offset, bytes)` on every frame in order, decompressing each
    /// into one reused buffer (memory does not grow with the segment).
    pub fn for_each_frame(&mut self, mut f: impl FnMut(u64, &[u8]) -> Result<()>) -> Result<()> {
        let mut out = Vec::new();
        for i in 0..self.table.frames.len() {
            self.decompress(i, &mut out)?;
            f(self.table.frames[i].offset, &out)?;
        }
        Ok(())
    }

    fn decompress(&mut self, index: usize, out: &mut Vec<u8>) -> Result<()> {
        let entry = self.table.frames[index];
        if self.stored {
            out.resize(entry.size as usize, 0);
            self.read_exact_at(entry.offset, out)?;
        } else {
            read_frame(self.file.as_ref(), &self.path, &entry, &mut self.compressed)?;
            let frame = Frame::new(&self.path, index, entry);
            self.decoder.decode(frame, &self.compressed, out)?;
        }
        self.count((true, out.len()));
        Ok(())
    }

    pub(super) fn read_header(&mut self) -> Result<()> {
        let not_segment = |e: Error| e.with_detail(|d| format!("{d} (in the decompressed bytes)"));
        let prefix_len = self.original_len().min(16) as usize;
        let prefix = self.read_at(0, prefix_len)?;
        let stated = stated_len(&prefix).unwrap_or(0);
        let len = (stated.min(MAX_HEADER_LEN as usize) as u64)
            .min(self.original_len())
            .max(prefix_len as u64);
        let bytes = self.read_at(0, len as usize)?;
        let decoded = SegmentHeader::decode(&bytes, &self.path);
        let (header, header_len) = match self.stored {
            true => decoded?,
            false => decoded.map_err(not_segment)?,
        };
        (self.header, self.header_len) = (header, header_len as u64);
        Ok(())
    }

    /// Reads the seal's directory, then checks its `SEAL_BEGIN` frame (as
    /// `read_seal_from` does); a seal that fails leaves `seal` empty.
    fn read_seal(&mut self) -> Result<()> {
        self.read_seal_directory()?;
        let checked = self.check_seal_begin();
        if checked.is_err() {
            self.seal = SealDirectory::default();
            self.seal_begin_unchecked = false;
        }
        checked
    }

    /// Reads the seal's trailer and directory (`read_directory_from`), not
    /// its `SEAL_BEGIN` frame: its check is left to `check_seal_begin`.
    fn read_seal_directory(&mut self) -> Result<()> {
        let too_large = "segment too large for this platform";
        let len = usize::try_from(self.original_len())
            .map_err(|_| Error::file(ErrorKind::InvalidArgument, &self.path, too_large))?;
        let header_len = self.header_len as usize;
        let seal = self.with_reads(|read| read_directory_from(len, header_len, read))?;
        self.seal = seal.ok_or_else(|| self.no_intact_seal())?;
        self.seal_begin_unchecked = true;
        Ok(())
    }

    /// `f`'s answer, given `read(at, n)`: the original bytes `at..at + n`,
    /// or `None` past the end or where a read fails. A read that fails
    /// ends `f`'s use of `read`: its error is returned instead.
    fn with_reads<T>(
        &mut self,
        f: impl FnOnce(&mut dyn FnMut(usize, usize) -> Option<Cow<'static, [u8]>>) -> T,
    ) -> Result<T> {
        let len = self.original_len();
        let mut failure = None;
        let mut read = |at: usize, n: usize| {
            (at as u64)
                .checked_add(n as u64)
                .filter(|&end| end <= len)?;
            let bytes = self.read_at(at as u64, n);
            bytes.map(Cow::Owned).map_err(|e| failure = Some(e)).ok()
        };
        let answer = f(&mut read);
        failure.map_or(Ok(answer), Err)
    }

    /// The error of a seal that is not intact.
    fn no_intact_seal(&self) -> Error {
        let trailer_at = self.original_len().saturating_sub(TRAILER_LEN as u64);
        let what = "the decompressed segment has no intact seal (original offset of its trailer)";
        Error::at(ErrorKind::CorruptSeal, &self.path, trailer_at, what)
    }
}

/// The file at `path`, opened for reading.
fn open_file(path: &Path) -> Result<(PathBuf, File)> {
    let file = File::open(path).map_err(|e| Error::io(path, "open", e))?;
    Ok((path.to_path_buf(), file))
}

/// `CompressedSegment::stream_frame`'s work on `stream`: makes it hold
/// the first `upto` bytes of `frame`, from `cache` or from `file`
/// (`stored`: see `CompressedSegment::open_stored`). Returns whether it
/// began a frame, and how many bytes it decompressed.
fn fill(
    stream: &mut FrameStream,
    (file, stored): (&dyn Source, bool),
    cache: &mut FrameCache,
    frame: Frame,
    upto: usize,
) -> Result<(bool, usize)> {
    let index = frame.index;
    let held = stream.index() == Some(index);
    if held && stream.bytes().len() >= upto.min(frame.entry.size as usize) {
        return Ok((false, 0));
    }
    if let Some(bytes) = cache.get(index) {
        stream.hold_whole(index, &bytes);
        return Ok((false, 0));
    }
    let bytes = match stored {
        true => stream.extend_stored(file, frame, upto)?,
        false => stream.extend(file, frame, upto)?,
    };
    Ok((!held, bytes))
}

/// Whether a failed header read is damage a salvage reads past: the header
/// frame does not decompress as its seek table entry says, or its bytes
/// fail the header's checks. Not a file that is no segment at all
/// (`NotABinlog`), nor one that cannot be read.
pub fn is_lost_header(e: &Error) -> bool {
    let kind = e.kind();
    is_frame_damage(e) || kind == ErrorKind::CorruptSeekTable || kind == ErrorKind::CorruptHeader
}

/// The original bytes of each stored frame (`open_stored`): the least a
/// read fetches at once (a remote object's windows grow past it).
pub const STORED_FRAME: u32 = 16 << 10;

/// A plain segment read as a compressed one whose frames are stored as
/// they are: a remote `.binlog` object, fetched in the ranges a reader
/// reads, as a `.binlog.zst` object is (`Reader::open_compressed`). Its
/// seek table is made up (`SeekTable::stored`): frames of `STORED_FRAME`
/// bytes at the same offsets in both "files".
impl CompressedSegment {
    /// A plain segment's bytes, read from `source` (a remote object) as if
    /// compressed in stored frames of `STORED_FRAME` bytes: a reader of a
    /// compressed segment reads it, fetching the ranges it reads instead
    /// of the whole object. Reads the header only: the seal is the
    /// reader's to read and check, as for a file.
    pub fn open_stored(name: PathBuf, source: Box<dyn Source>) -> Result<CompressedSegment> {
        let len = source_len(source.as_ref(), &name)?;
        let table = SeekTable::stored(len, STORED_FRAME);
        let mut s = CompressedSegment::with_table(name, source, table);
        s.stored = true;
        s.read_header()?;
        Ok(s)
    }

    /// Whether this is a plain segment read as stored frames (`open_stored`).
    pub fn is_stored(&self) -> bool {
        self.stored
    }

    /// Tells the source that the original bytes `offset..offset + len` are
    /// about to be read (`Source::will_read`): for stored frames, the
    /// frames that hold them. Nothing for a compressed segment, whose
    /// frames are fetched whole anyway.
    pub fn will_read(&self, offset: u64, len: u64) {
        let end = offset.saturating_add(len.max(1)).min(self.original_len());
        if !self.stored || end <= offset {
            return;
        }
        let table = &self.table;
        let first = table.frame_at(offset).expect("offset below the end");
        let last = table.frame_at(end - 1).expect("end within the segment");
        let from = table.frames[first].offset;
        self.file.will_read(from, table.frames[last].end() - from);
    }

    /// Says that a scan of a plain segment read as stored frames ends at
    /// `end` (where its records end): a remote object's read-ahead stops
    /// there. Nothing for a compressed segment.
    pub fn streams_end_at(&self, end: u64) {
        if self.stored {
            self.file.streams_end_at(end);
        }
    }
}

/// A small least-recently-used cache of decompressed frames, by frame
/// index. A handful of frames is enough: random reads cluster (a record and
/// its neighbours, a type's offsets and then its records).
/// Frames kept: with 1 MiB frames, 4 MiB of memory at most.
const CACHED_FRAMES: usize = 4;

#[derive(Default)]
struct FrameCache {
    /// Most recently used last.
    frames: Vec<(usize, Arc<[u8]>)>,
}

impl FrameCache {
    /// The frame `index`, if cached; it becomes the most recently used.
    pub fn get(&mut self, index: usize) -> Option<Arc<[u8]>> {
        let at = self.frames.iter().position(|(i, _)| *i == index)?;
        self.frames[at..].rotate_left(1);
        self.frames.last().map(|(_, bytes)| Arc::clone(bytes))
    }

    /// Whether frame `index` is cached (its place in the order unchanged).
    pub fn contains(&self, index: usize) -> bool {
        self.frames.iter().any(|(i, _)| *i == index)
    }

    /// Caches frame `index`, dropping the least recently used if full.
    pub fn insert(&mut self, index: usize, bytes: Arc<[u8]>) {
        self.frames.retain(|(i, _)| *i != index);
        if self.frames.len() == CACHED_FRAMES {
            self.frames.remove(0);
        }
        self.frames.push((index, bytes));
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode_ahead::DecodeAhead;
    use super::super::frame_stream::FrameStream;
    use super::super::test_segment::sealed;
    use super::super::{compress_segment, CompressOptions};
    use super::{CompressedSegment, FrameCache, CACHED_FRAMES};
    use std::sync::Arc;

    #[test]
    fn a_compressed_segment_can_move_between_threads() {
        fn send<T: Send>() {}
        send::<CompressedSegment>();
    }

    /// A sealed segment (`test_segment::sealed`) compressed in frames of
    /// about 64 KiB.
    fn compressed(name: &str) -> std::path::PathBuf {
        let opts = CompressOptions {
            frame_size: 64 << 10,
            ..CompressOptions::default()
        };
        compress_segment(&sealed(name), &opts).unwrap().path
    }

    #[test]
    fn a_frame_the_pool_never_gives_back_ends_decompressing_ahead_for_the_segment() {
        let path = compressed("ahead-lost");
        let mut s = CompressedSegment::open(&path).unwrap();
        let n = s.frames().len();
        assert!(n > 6, "{n} frames");
        let ahead = DecodeAhead::start(&path, 2, 1..n).unwrap();
        *ahead.probe.panic_at.lock().unwrap() = Some(2);
        s.ahead = Some(ahead);
        s.hand_over_ahead();
        let (mut stream, mut own) = (FrameStream::for_scan(), FrameStream::for_scan());
        for i in 1..4 {
            s.stream_frame(&mut stream, i, usize::MAX).unwrap();
            let mut other = CompressedSegment::open(&path).unwrap();
            other.stream_frame(&mut own, i, usize::MAX).unwrap();
            assert_eq!(stream.bytes(), own.bytes(), "frame {i}");
        }
        assert_eq!(s.decoding_ahead(), None, "frame 2 was lost: no pool");
        s.decode_ahead(2, 4..n);
        assert_eq!(s.decoding_ahead(), None, "no new pool for this segment");
    }

    #[test]
    fn the_pool_ends_once_the_scan_takes_its_last_frame() {
        let path = compressed("ahead-done");
        let mut s = CompressedSegment::open(&path).unwrap();
        let n = s.frames().len();
        assert!(n > 3, "{n} frames");
        s.decode_ahead(2, 1..n - 1);
        let probe = std::sync::Arc::clone(&s.ahead.as_ref().expect("a pool").probe);
        let mut stream = FrameStream::for_scan();
        for i in 1..n - 2 {
            s.stream_frame(&mut stream, i, usize::MAX).unwrap();
            assert_eq!(s.decoding_ahead(), Some(i + 1), "frame {i} taken");
        }
        s.stream_frame(&mut stream, n - 2, usize::MAX).unwrap();
        assert_eq!(s.decoding_ahead(), None, "every frame taken: no pool");
        let (mut alone, mut own) = (
            CompressedSegment::open(&path).unwrap(),
            FrameStream::for_scan(),
        );
        alone.stream_frame(&mut own, n - 2, usize::MAX).unwrap();
        assert_eq!(
            stream.bytes(),
            own.bytes(),
            "the last frame, as decoded without a pool"
        );
        // The workers hold the probe while they run: they end without the
        // segment being dropped (the bound is for a loaded machine).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::sync::Arc::strong_count(&probe) > 1 {
            assert!(
                std::time::Instant::now() < deadline,
                "workers still running"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[test]
    fn the_least_recently_used_frame_goes_first() {
        let mut c = FrameCache::default();
        for i in 1..=CACHED_FRAMES {
            c.insert(i, Arc::from(&b"frame"[..]));
        }
        assert_eq!(c.get(1).as_deref(), Some(&b"frame"[..]));
        c.insert(0, Arc::from(&b"new"[..]));
        assert!(c.get(2).is_none(), "2 was the least recently used");
        assert_eq!(c.get(1).as_deref(), Some(&b"frame"[..]));
        assert_eq!(c.get(0).as_deref(), Some(&b"new"[..]));
        assert!((3..=CACHED_FRAMES).all(|i| c.contains(i)));
    }
}
