//! Reading one segment: memory-mapped, zero-copy, every record checked
//! against its CRC, its sequence number and its type table. A sealed segment
//! opens in O(1) from its trailer; an unsealed one (being written, or whose
//! writer crashed) is read by a scan that stops at the first bad frame and
//! tells a torn tail from corruption in the middle.

mod filter;
mod indexed;
mod record;
mod seal_types;
mod trust;

pub use record::{Damage, Record, RecordHeader, Tail};
pub use seal_types::SealTypes;

use crate::error::{Error, ErrorKind, Result};
use crate::format::frame::{self, FrameAt, KIND_RECORD, KIND_SEAL_BEGIN};
use crate::format::header::SegmentHeader;
use crate::format::seal::{SealDirectory, SparseEntry, Trailer, SPARSE_ENTRY_LEN, TRAILER_LEN};
use crate::format::FRAME_HEADER_LEN;
use crate::watch::{Follow, Watched};
use filter::TypeFilter;
use indexed::IndexedRead;
use memmap2::{Mmap, MmapOptions, UncheckedAdvice};
use std::borrow::Cow;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use trust::{read_seal, sparse_sound};

/// A sequential reader hands back the pages behind it every this many bytes.
const RELEASE_EVERY: usize = 64 << 20;
/// Released ranges start and end on this boundary: a multiple of any page
/// size Linux uses for file mappings, and of the 2 MiB a large folio may be
/// mapped with (releasing part of one would split its mapping).
const RELEASE_ALIGN: usize = 2 << 20;

/// Frames up to this size that the per-type index points at may be copied
/// into the reader's buffer with pread (see `Reader::read_indexed`); larger
/// ones are read through the mapping, where faults are few per byte.
const PREAD_MAX: usize = 64 * 1024;
/// How many records ahead of the one it checks a read through the
/// per-type index prefetches (see `prefetch`).
const PREFETCH_AHEAD: usize = 4;

/// An unsealed segment's frames are checked in copies read with pread, this
/// many bytes at a time (see `Reader::check_unsealed`).
const CHECK_CHUNK: usize = 64 << 10;
/// After a bad frame in an unsealed segment, up to this many bytes that
/// follow are copied with pread to search for valid records (a torn tail
/// is at most one write); beyond, the search reads through the mapping.
const RESUME_COPY_MAX: usize = 64 << 20;

/// A reader of one segment file. It needs only read permission, takes no
/// lock, and may read a segment while a writer appends to it: it returns
/// every complete record handed to the OS and never a torn one.
///
/// Not `Sync`: one thread at a time iterates a reader.
pub struct Reader {
    path: PathBuf,
    file: File,
    map: Mmap,
    header: SegmentHeader,
    data_start: usize,
    /// Sequence number of the record at `data_start`: the header's
    /// `first_seq`, unless a salvaged header lost records with it.
    start_seq: u64,
    seal: Option<SealDirectory>,
    /// Sparse index checked against its CRC (None = not checked yet).
    sparse_ok: Option<bool>,
    /// The sparse index, copied out of the seal when first used (see
    /// `sparse_floor`); empty unless `sparse_ok` is `Some(true)`.
    sparse: Vec<u8>,
    /// Records are parsed below this offset.
    end: usize,
    pos: usize,
    next_seq: u64,
    types: Vec<Box<str>>,
    tail: Tail,
    filter: Option<TypeFilter>,
    /// The last frame read by `read_indexed`; a record view may point into
    /// it until the next call on the reader.
    frame_buf: Vec<u8>,
    /// Mapped bytes below this were handed back (see `release_behind`).
    released: usize,
    /// Skip damaged regions instead of stopping (see `skip_damaged`).
    skip_damaged: bool,
    /// The type table of a seal that could not be trusted whole, to name
    /// types whose defining record was in a skipped damaged region
    /// (`lost_type_name`): None until first needed, then what was found.
    seal_types: Option<Option<SealTypes>>,
    /// Damaged regions skipped so far.
    damages: Vec<Damage>,
    /// How many bytes `read_indexed` reads first: the last frame's length,
    /// so that records of one size take one pread each.
    frame_guess: usize,
    /// Whether indexed records are read through the mapping or with pread.
    indexed: IndexedRead,
    /// A seek's target that no record written by then reached (see
    /// `SeekTarget`).
    unreached: Option<SeekTarget>,
    /// Unsealed segment: the frames from the position up to here were
    /// checked in a copy (see `check_unsealed`), CRCs included if
    /// `checked_crc`.
    checked_to: usize,
    checked_crc: bool,
    /// The copy `check_unsealed` reads into: `check_len` bytes of the file
    /// from offset `check_at`; the checked frames are read from it unless
    /// `checked_in_copy` is false (a frame too long for it).
    check_buf: Vec<u8>,
    /// Nothing can cut the file (see `uncut`): no copies needed.
    uncut: bool,
    check_at: usize,
    check_len: usize,
    checked_in_copy: bool,
    /// `filter::ARRAYS_COPY_MAX` (smaller in tests).
    arrays_copy_max: u64,
    /// How `next_wait` waits at the end (an inotify watch, once made).
    follow: Follow,
}

/// Where `seek_seq` or `seek_time` asked to go. When no record written by
/// then reaches it (a live segment, read ahead of its writer), records
/// written later that stay below it are skipped, not returned, until one
/// reaches it: a reader that resumes from a checkpoint never goes back.
/// `seek_seq(u64::MAX)` and `seek_time(i64::MAX)` mean "the end": records
/// written after the seek are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SeekTarget {
    Seq(u64),
    Time(i64),
}

impl SeekTarget {
    pub(crate) fn reached(self, seq: u64, timestamp_ns: i64) -> bool {
        match self {
            SeekTarget::Seq(s) => seq >= s,
            SeekTarget::Time(t) => timestamp_ns >= t,
        }
    }

    /// The target, unless it is the end (which later records never reach).
    pub(crate) fn pending(self) -> Option<SeekTarget> {
        (self != SeekTarget::Seq(u64::MAX) && self != SeekTarget::Time(i64::MAX)).then_some(self)
    }
}

impl Reader {
    /// Opens a segment for reading.
    pub fn open(path: impl AsRef<Path>) -> Result<Reader> {
        Reader::open_with(path.as_ref(), false)
    }

    /// Like `open`, for a segment whose header is damaged (`CorruptHeader`):
    /// the reader finds the first valid record after it, reads on from
    /// there, and reports the header as a damaged region (offset 0 up to
    /// that record). The header's fields are then placeholders: empty
    /// strings, and numbers read from their fixed places where the first
    /// record agrees. Damaged regions later in the segment are skipped too
    /// (`skip_damaged(true)`). A segment with a sound header opens as with
    /// `open`.
    pub fn open_salvage(path: impl AsRef<Path>) -> Result<Reader> {
        let mut r = Reader::open_with(path.as_ref(), true)?;
        r.skip_damaged(true);
        Ok(r)
    }

    fn open_with(path: &Path, salvage: bool) -> Result<Reader> {
        let path = path.to_path_buf();
        let file = crate::sys::open_read_noatime(&path).map_err(|e| Error::io(&path, "open", e))?;
        if file
            .metadata()
            .map_err(|e| Error::io(&path, "stat", e))?
            .is_dir()
        {
            return Err(Error::file(
                ErrorKind::InvalidArgument,
                &path,
                "is a directory, not a segment",
            ));
        }
        let map = map_file(&file, &path)?;
        let mut damages = Vec::new();
        let (header, data_start, start_seq) = match SegmentHeader::decode(&map, &path) {
            Ok((h, start)) => {
                let first = h.first_seq;
                (h, start, first)
            }
            Err(e) if salvage && e.kind() == ErrorKind::CorruptHeader => {
                let (h, start, seq) = salvage_header(&map).ok_or(e)?;
                damages.push(Damage {
                    offset: 0,
                    resume_offset: start as u64,
                    from_seq: h.first_seq,
                    to_seq: seq,
                });
                (h, start, seq)
            }
            Err(e) => return Err(e),
        };
        let seal = read_seal(&file, &map, data_start, start_seq);
        let end = seal.as_ref().map_or(map.len(), |d| d.records_end as usize);
        let types = seal
            .as_ref()
            .map(|d| d.types.iter().map(|t| t.name.as_str().into()).collect())
            .unwrap_or_default();
        Ok(Reader {
            next_seq: start_seq,
            start_seq,
            path,
            file,
            map,
            header,
            data_start,
            seal,
            sparse_ok: None,
            sparse: Vec::new(),
            end,
            pos: data_start,
            types,
            tail: Tail::Reading,
            filter: None,
            frame_buf: Vec::new(),
            frame_guess: 0,
            indexed: IndexedRead::new(),
            released: 0,
            skip_damaged: false,
            seal_types: None,
            damages,
            unreached: None,
            checked_to: 0,
            checked_crc: false,
            check_buf: Vec::new(),
            uncut: false,
            check_at: 0,
            check_len: 0,
            checked_in_copy: false,
            arrays_copy_max: filter::ARRAYS_COPY_MAX,
            follow: Follow::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn header(&self) -> &SegmentHeader {
        &self.header
    }

    /// The seal's summary, when the segment is sealed and its seal is intact.
    pub fn seal(&self) -> Option<&SealDirectory> {
        self.seal.as_ref()
    }

    /// Type names met so far (all of them, for a sealed segment), by id.
    pub fn types(&self) -> &[Box<str>] {
        &self.types
    }

    /// Where the reader stands after the last record; see [`Tail`].
    pub fn tail(&self) -> Tail {
        self.tail
    }

    /// Offset where the next record is read.
    pub fn position(&self) -> u64 {
        self.pos as u64
    }

    /// Sequence number the next record is expected to carry.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Offset where the records start (the header's length).
    pub fn data_start(&self) -> u64 {
        self.data_start as u64
    }

    /// Current length of the mapped file.
    pub fn file_len(&self) -> u64 {
        self.map.len() as u64
    }

    /// Whether the file ends in a whole seal trailer (its CRC holds and it
    /// agrees with the file's length): its writer finished sealing it. The
    /// rest of the seal may still be damaged or untrusted (`seal` is `None`
    /// then); a sealed segment of a log is never written again either way.
    pub fn has_seal_trailer(&self) -> bool {
        let len = self.map.len();
        let Some(at) = len.checked_sub(TRAILER_LEN) else {
            return false;
        };
        read_part(&self.file, at as u64, TRAILER_LEN)
            .and_then(|t| Trailer::decode_last(&t, len, self.data_start))
            .is_some()
    }

    /// Whether a writer holds the segment (its exclusive lock): one that may
    /// still add records to it, or close them with a `SEAL_BEGIN` frame.
    pub(crate) fn has_writer(&self) -> Result<bool> {
        crate::sys::is_locked_exclusively(&self.file)
            .map_err(|e| Error::io(&self.path, "look for its writer's lock", e))
    }

    /// The file's length now (the mapping's is the length when mapped).
    fn len_now(&self) -> Result<u64> {
        Ok(self
            .file
            .metadata()
            .map_err(|e| Error::io(&self.path, "stat", e))?
            .len())
    }

    /// The next record, verified, or `None` at the end. At the end of an
    /// unsealed segment, a later call returns records written since.
    // A lending iterator (records borrow the mapping), so not `Iterator`.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Record<'_>>> {
        self.next_record(true)
    }

    /// Like `next`, but at the end of an unsealed segment waits up to
    /// `timeout` for its writer to add a record (`None` if none came). A
    /// record is returned only once whole.
    pub fn next_wait(&mut self, timeout: Duration) -> Result<Option<Record<'_>>> {
        let found = match self.next_found()? {
            Some(f) => {
                self.follow.found();
                f
            }
            None if self.tail == Tail::Sealed => {
                // Nothing follows a seal: only the wait is left to do.
                std::thread::sleep(timeout);
                return Ok(None);
            }
            None => {
                // See `crate::watch`: the segment file is watched.
                let path = self.path.clone();
                let mut follow = std::mem::take(&mut self.follow);
                let found = follow.wait_for(timeout, &path, Watched::File, || self.next_found());
                self.follow = follow;
                match found? {
                    Some(f) => f,
                    None => return Ok(None),
                }
            }
        };
        Ok(Some(self.record_at(&found)))
    }

    /// The next record's header without reading its payload bytes; CRCs are
    /// not checked (use [`Reader::next`] for verified reads).
    pub fn next_header(&mut self) -> Result<Option<RecordHeader<'_>>> {
        Ok(self.next_record(false)?.map(|r| RecordHeader {
            seq: r.seq,
            timestamp_ns: r.timestamp_ns,
            type_name: r.type_name,
            payload_len: r.payload.len() as u64,
            offset: r.offset,
            meta_count: r.meta_count,
        }))
    }

    /// With `true`, a damaged region in the middle of the segment (a frame
    /// that fails its checks while valid records follow) is skipped: the
    /// reader resumes at the next valid record and records the gap in
    /// `damages`. By default (`false`) it stops there with a `Corrupt` error
    /// that names the file and offset. A type whose defining record was in
    /// a skipped region is named by the segment's seal when a seal (or its
    /// directory) survives and agrees (see [`SealTypes`]), else
    /// `<lost type N>` (N its id).
    pub fn skip_damaged(&mut self, skip: bool) {
        self.skip_damaged = skip;
    }

    /// The damaged regions skipped so far, in file order.
    pub fn damages(&self) -> &[Damage] {
        &self.damages
    }

    /// Restricts `next` to records of these types (an empty list reads all
    /// types again). A sealed segment reads them through its per-type index
    /// (copying their offsets out of the seal, 8 bytes a record, up to
    /// `filter::ARRAYS_COPY_MAX`); otherwise the reader scans and skips the
    /// others. A record the index points at that is not an intact record
    /// of its type, numbered where it can be, stops the use of the index:
    /// the reader scans on from the last record it returned (see
    /// `index_failed`), so damage is reported where a scan reports it.
    pub fn filter_types(&mut self, names: &[&str]) {
        if names.is_empty() {
            self.filter = None;
            return;
        }
        let mut f = TypeFilter::new(
            names,
            self.seal.as_ref(),
            &self.file,
            self.data_start as u64,
            self.arrays_copy_max,
        );
        f.seek(self.pos as u64);
        self.filter = Some(f);
    }

    /// Positions the reader at the first record whose sequence number is at
    /// least `seq` (at the end if there is none: then, on a live segment,
    /// the records written later below `seq` are skipped; see `SeekTarget`).
    pub fn seek_seq(&mut self, seq: u64) -> Result<()> {
        self.unreached = None;
        let entry = self.sparse_floor(|e| e.seq <= seq);
        if let Some(e) = entry {
            self.jump(e.offset as usize, e.seq);
        } else if seq < self.next_seq || self.pos < self.data_start {
            self.rewind();
        }
        self.advance_until(SeekTarget::Seq(seq))
    }

    /// Positions the reader at the first record, in write order, whose
    /// timestamp is at least `ts_ns` (at the end if there is none: then, on
    /// a live segment, the records written later with earlier timestamps
    /// are skipped; see `SeekTarget`).
    pub fn seek_time(&mut self, ts_ns: i64) -> Result<()> {
        self.unreached = None;
        // Entries' max_ts_before never decreases: every record before the
        // last entry with max_ts_before < ts is earlier than ts.
        match self.sparse_floor(|e| e.max_ts_before < ts_ns) {
            Some(e) => self.jump(e.offset as usize, e.seq),
            None => self.rewind(),
        }
        self.advance_until(SeekTarget::Time(ts_ns))
    }

    /// For a reader whose file nothing else can cut while it reads: the
    /// scan of a writer that holds the segment's lock (other writers, and
    /// `binlog repair`, wait for it). It reads an unsealed segment through
    /// the mapping, without the copies of `check_unsealed`.
    pub(crate) fn uncut(&mut self) {
        self.uncut = true;
    }

    /// The target of the last seek if no record has reached it yet.
    pub(crate) fn unreached(&self) -> Option<SeekTarget> {
        self.unreached
    }

    fn rewind(&mut self) {
        self.jump(self.data_start, self.start_seq);
    }

    fn jump(&mut self, pos: usize, seq: u64) {
        self.pos = pos;
        self.next_seq = seq;
        self.tail = Tail::Reading;
        self.checked_to = 0;
    }

    /// Reads forward (all types) until a record reaches `target`, leaving
    /// it to be returned next; then re-applies any type filter from there.
    /// At the end with none, the target stays pending (`unreached`).
    fn advance_until(&mut self, target: SeekTarget) -> Result<()> {
        let filter = self.filter.take();
        let result = loop {
            let at = (self.pos, self.next_seq);
            match self.next_record(true) {
                Ok(Some(r)) if target.reached(r.seq, r.timestamp_ns) => {
                    self.jump(at.0, at.1);
                    break Ok(());
                }
                Ok(Some(_)) => {}
                Ok(None) => {
                    self.unreached = target.pending();
                    break Ok(());
                }
                Err(e) => break Err(e),
            }
        };
        self.filter = filter;
        if let Some(f) = self.filter.as_mut() {
            f.seek(self.pos as u64);
        }
        result
    }

    /// The last sparse index entry satisfying `pred` (a predicate that holds
    /// for a prefix of the entries), if the segment is sealed with a sound
    /// sparse index and the entry leads to the record it names.
    ///
    /// The index is copied out of the file with pread the first time, not
    /// read through the mapping: the seal lies past the records, and a
    /// writer that reopens the segment to append cuts it off (a mapped page
    /// wholly past the end of the file raises SIGBUS). A seal already cut
    /// (the read comes up short) is not used: the seek scans.
    fn sparse_floor(&mut self, pred: impl Fn(&SparseEntry) -> bool) -> Option<SparseEntry> {
        let d = self.seal.as_ref()?;
        if self.sparse_ok.is_none() {
            let (data_start, end) = (self.data_start as u64, self.end as u64);
            let bytes = usize::try_from(d.sparse_count)
                .ok()
                .and_then(|n| n.checked_mul(SPARSE_ENTRY_LEN))
                .and_then(|len| read_part(&self.file, d.sparse_offset, len))
                .filter(|b| {
                    crc32fast::hash(b) == d.sparse_crc
                        && sparse_sound(b, d, data_start, end, self.start_seq)
                });
            self.sparse_ok = Some(bytes.is_some());
            self.sparse = bytes.unwrap_or_default();
        }
        if self.sparse_ok != Some(true) {
            return None;
        }
        let bytes = &self.sparse[..];
        let count = bytes.len() / SPARSE_ENTRY_LEN;
        let entry =
            |i: usize| SparseEntry::decode(&bytes[i * SPARSE_ENTRY_LEN..]).expect("in range");
        let (mut lo, mut hi) = (0, count);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if pred(&entry(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let found = lo.checked_sub(1).map(entry)?;
        // The entry must lead to the record it names. An index that passes
        // its checks yet points elsewhere (hostile or miswritten) is not
        // used: the seek scans, and finds what a scan finds.
        let leads = match frame::frame_at(&self.map[..self.end], found.offset as usize, true) {
            FrameAt::Frame {
                kind: KIND_RECORD,
                body,
                ..
            } => frame::decode_record(body).is_some_and(|r| r.seq == found.seq),
            _ => false,
        };
        if !leads {
            self.sparse_ok = Some(false);
            return None;
        }
        Some(found)
    }

    fn next_record(&mut self, verify: bool) -> Result<Option<Record<'_>>> {
        self.release_behind();
        let Some(f) = self.advance_to_target(verify)? else {
            return Ok(None);
        };
        Ok(Some(self.record_at(&f)))
    }

    /// The next verified record's location, without borrowing the reader:
    /// lets a caller (the log reader) move between segments in a loop and
    /// borrow the record only once found.
    pub(crate) fn next_found(&mut self) -> Result<Option<Found>> {
        self.release_behind();
        self.advance_to_target(true)
    }

    /// `advance`, skipping records below a seek's pending target.
    fn advance_to_target(&mut self, verify: bool) -> Result<Option<Found>> {
        loop {
            let found = self.advance(verify)?;
            if let (Some(t), Some(f)) = (self.unreached, &found) {
                if !t.reached(f.seq, f.timestamp_ns) {
                    continue;
                }
                self.unreached = None;
            }
            return Ok(found);
        }
    }

    /// The record at a location returned by `next_found` (valid until the
    /// reader moves again).
    #[inline]
    pub(crate) fn record_at(&self, f: &Found) -> Record<'_> {
        let data = match f.source {
            Source::Map => &self.map[..],
            Source::FrameBuf => &self.frame_buf[..],
            Source::CheckBuf => &self.check_buf[..self.check_len],
        };
        Record {
            seq: f.seq,
            timestamp_ns: f.timestamp_ns,
            type_name: &self.types[f.type_id as usize],
            payload: &data[f.payload.0..f.payload.1],
            offset: f.offset as u64,
            frame_len: f.frame_len as u64,
            type_id: f.type_id,
            meta_count: f.meta_count,
            meta: &data[f.meta.0..f.meta.1],
        }
    }

    /// Hands back to the kernel the mapped pages of records already passed,
    /// every `RELEASE_EVERY` bytes, so a pass over a multi-GB segment keeps
    /// a bounded resident size (the pages stay in the page cache).
    fn release_behind(&mut self) {
        // The position may be past the mapping (an index offset from a
        // hostile file): never advise beyond it.
        let pos = self.pos.min(self.map.len());
        if pos < self.released.saturating_add(RELEASE_EVERY) {
            return;
        }
        let upto = pos & !(RELEASE_ALIGN - 1);
        // SAFETY: called at the start of `next`/`next_found`, which take the
        // reader mutably: no record view into the mapping is alive (C views
        // are documented to die at the next call). MADV_DONTNEED on a shared
        // read-only file mapping only drops this process's mapping of the
        // pages; touching them again reads them back from the file.
        let _ = unsafe {
            self.map.unchecked_advise_range(
                UncheckedAdvice::DontNeed,
                self.released,
                upto - self.released,
            )
        };
        self.released = upto;
    }

    /// Finds and checks the next record; returns where its parts are.
    fn advance(&mut self, verify: bool) -> Result<Option<Found>> {
        loop {
            // A read through the per-type index: the cursor the offset came
            // from, and where the reader stood before it jumped there (after
            // the last record returned, with the sequence number expected
            // there), for `index_failed`.
            let mut filtered_cursor = None;
            let mut scan_from = (self.pos, self.next_seq);
            if let Tail::SealDamaged { .. } = self.tail {
                // The seal may have been half written when we met it: if the
                // file's length changed since, look at what is there again
                // (from the position, the seal's start): the seal finished,
                // or a new writer that cut it off and appended records.
                if !self.grew()? {
                    return Ok(None);
                }
                self.tail = Tail::Reading;
                continue;
            }
            if self.tail != Tail::Reading {
                // Ended before: a sealed segment stays ended; an unsealed one
                // may have grown since.
                let may_grow = matches!(self.tail, Tail::Unsealed | Tail::Torn { .. });
                if !(may_grow && self.grew()?) {
                    return Ok(None);
                }
                self.tail = Tail::Reading;
            }
            if let Some(f) = self.filter.as_mut() {
                if f.cursors.is_some() {
                    match f.next_indexed() {
                        Some((off, i)) => {
                            scan_from = (self.pos, self.next_seq);
                            // Entries are at or after the position (the
                            // filter seeks its cursors there): one before it
                            // would point into a record already read.
                            if off < self.pos as u64 || off >= self.end as u64 {
                                self.index_failed(scan_from);
                                continue;
                            }
                            self.pos = off as usize;
                            filtered_cursor = Some(i);
                        }
                        None => {
                            // Every record is behind: the position is the
                            // end, and so is the sequence number (a seek
                            // from here must know it passed them all).
                            if let Some(d) = self.seal.as_ref().filter(|d| d.record_count > 0) {
                                self.next_seq = self.next_seq.max(d.last_seq.wrapping_add(1));
                            }
                            self.pos = self.end;
                            self.tail = Tail::Sealed;
                            return Ok(None);
                        }
                    }
                }
            }
            if self.pos >= self.end {
                if self.seal.is_none() && self.grew()? {
                    continue;
                }
                self.tail = if self.seal.is_some() {
                    Tail::Sealed
                } else {
                    Tail::Unsealed
                };
                return Ok(None);
            }
            let pos = self.pos;
            // A verified read through the per-type index may copy the frame
            // (see `IndexedRead`); `at` is where it starts in `data`.
            let indexed = filtered_cursor.is_some() && verify;
            let started = if indexed { self.indexed.start() } else { None };
            let copied = if indexed && !self.indexed.via_map() {
                self.read_indexed(pos)?
            } else {
                if let Some(i) = filtered_cursor {
                    self.prefetch_ahead(i);
                }
                None
            };
            let mut source = if copied.is_some() {
                Source::FrameBuf
            } else {
                Source::Map
            };
            let step = match copied {
                Some(step) => step,
                None if self.seal.is_none() && !self.uncut => {
                    match self.check_unsealed(pos, verify)? {
                        Some(step) => step,
                        // Checked in the copy, and read from it.
                        None if self.checked_in_copy => {
                            source = Source::CheckBuf;
                            let copy = &self.check_buf[..self.check_len];
                            Step::of(frame::frame_at(copy, pos - self.check_at, false))
                        }
                        // Whole in the file, as the copy showed: a writer never
                        // cuts a whole frame, so the mapping holds it.
                        None => Step::of(frame::frame_at(&self.map[..self.end], pos, false)),
                    }
                }
                None => Step::of(frame::frame_at(&self.map[..self.end], pos, verify)),
            };
            if indexed {
                self.indexed.done(started);
            }
            let (data, at) = match source {
                Source::FrameBuf => (&self.frame_buf[..], 0),
                Source::CheckBuf => (&self.check_buf[..self.check_len], pos - self.check_at),
                Source::Map => (&self.map[..], pos),
            };
            let total = match step {
                Step::Record(total) => total,
                // The index points at no intact record: damage, or an
                // array that lies. A scan tells which.
                Step::SealBegin | Step::Bad(_) if filtered_cursor.is_some() => {
                    self.index_failed(scan_from);
                    continue;
                }
                Step::SealBegin if self.seal.is_none() => {
                    self.seal_reached(pos)?;
                    return Ok(None);
                }
                Step::Bad(_) if self.seal.is_none() && self.grew()? => continue,
                Step::SealBegin => {
                    if self.bad_frame(pos, "seal marker inside the record region")? {
                        continue;
                    }
                    return Ok(None);
                }
                Step::Bad(why) => {
                    if self.bad_frame(pos, why)? {
                        continue;
                    }
                    return Ok(None);
                }
            };
            if filtered_cursor.is_some() && total <= PREAD_MAX {
                self.frame_guess = total;
            }
            let body = &data[at + FRAME_HEADER_LEN..at + total];
            // A frame whose CRC holds but whose contents are wrong: an error,
            // or with skip_damaged, a damaged region to skip.
            let decoded = frame::decode_record(body);
            let invalid = match &decoded {
                None => Some("malformed record body".to_string()),
                Some(rec) if !valid_meta(rec.meta) => Some("metadata is not UTF-8".to_string()),
                Some(rec)
                    if filtered_cursor.is_none()
                        && (rec.seq < self.next_seq
                            || (rec.seq > self.next_seq && !self.skip_damaged)) =>
                {
                    Some(format!(
                        "sequence number {} where {} was expected",
                        rec.seq, self.next_seq
                    ))
                }
                Some(rec) => self.type_problem(rec),
            };
            // Through the index, the records skipped since `scan_from` (each
            // at least the smallest frame) bound the sequence number.
            let misnumbered = |rec: &frame::RecordBody<'_>| {
                let skipped = (pos - scan_from.0.min(pos)) / frame::MIN_RECORD_FRAME;
                rec.seq < scan_from.1 || rec.seq - scan_from.1 > skipped as u64
            };
            let rec = match (decoded, invalid) {
                (Some(rec), None) if filtered_cursor.is_some() && misnumbered(&rec) => {
                    self.index_failed(scan_from);
                    continue;
                }
                (Some(rec), None) => rec,
                (_, _) if filtered_cursor.is_some() => {
                    self.index_failed(scan_from);
                    continue;
                }
                (_, why) => {
                    let why = why.expect("a record that does not decode is invalid");
                    if !self.skip_damaged {
                        return Err(self.corrupt(pos, why));
                    }
                    if self.bad_frame(pos, &why)? {
                        continue;
                    }
                    return Ok(None);
                }
            };
            if filtered_cursor.is_none() && rec.seq > self.next_seq {
                // Records missing with no damaged bytes to show for it.
                add_damage(
                    &mut self.damages,
                    Damage {
                        offset: pos as u64,
                        resume_offset: pos as u64,
                        from_seq: self.next_seq,
                        to_seq: rec.seq,
                    },
                );
            }
            let id = rec.type_id as usize;
            if let (Some(i), Some(f)) = (filtered_cursor, self.filter.as_ref()) {
                // The seal's table names every type: the array must list
                // records of its own (checked before the table changes).
                let cursors = f.cursors.as_ref().expect("indexed");
                if self
                    .types
                    .get(id)
                    .is_none_or(|t| **t != *cursors[i].type_name)
                {
                    self.index_failed(scan_from);
                    continue;
                }
            }
            // Only with skip_damaged: the definition was in a skipped
            // region (named below, once the record's bytes are let go).
            let lost = rec.defines.is_none() && id >= self.types.len();
            match rec.defines {
                Some(name) if id == self.types.len() => {
                    self.types
                        .push(std::str::from_utf8(name).expect("checked").into());
                }
                Some(name) if id < self.types.len() && self.types[id].starts_with(LOST_TYPE) => {
                    self.types[id] = std::str::from_utf8(name).expect("checked").into();
                }
                Some(_) | None => {}
            }
            let (seq, timestamp_ns, type_id, meta_count) =
                (rec.seq, rec.timestamp_ns, rec.type_id, rec.meta_count);
            // The payload is the body's tail and the metadata sits right
            // before it (see frame::decode_record).
            let payload_start = at + total - rec.payload.len();
            let meta_start = payload_start - rec.meta.len();
            if lost {
                // Named from the seal if it can be, else by its id.
                while self.types.len() <= id {
                    let name = self.lost_type_name(self.types.len());
                    self.types.push(name);
                }
            }
            self.pos = pos + total;
            self.next_seq = seq.wrapping_add(1);
            if let Some(f) = self.filter.as_ref() {
                if !f.wants(&self.types[id]) {
                    continue;
                }
            }
            return Ok(Some(Found {
                seq,
                timestamp_ns,
                type_id,
                offset: pos,
                frame_len: total,
                meta_count,
                meta: (meta_start, payload_start),
                payload: (payload_start, at + total),
                source,
            }));
        }
    }

    /// A read through the per-type index found no record of its type, or
    /// one that cannot be where the array puts it (numbered below the
    /// records already read, or above what the bytes skipped could hold):
    /// the record is damaged, or the array lies (its CRC only shows it was
    /// written whole). Either way the arrays are not used again: the
    /// filter scans on from `from` (the position after the last record
    /// returned, and the sequence number expected there), which reads
    /// every record of the types asked for and reports damage where it is,
    /// with the right sequence numbers, as a scan does.
    fn index_failed(&mut self, from: (usize, u64)) {
        if let Some(f) = self.filter.as_mut() {
            f.cursors = None;
        }
        (self.pos, self.next_seq) = from;
        self.checked_to = 0;
    }

    /// Reads the frame at `pos`, which the seal's per-type index points at,
    /// into `frame_buf` with pread and checks it; `None` when the frame is
    /// too large to copy (the caller reads it through the mapping). Used
    /// when it is faster than the mapping (see `IndexedRead`): where the
    /// page cache holds the file in small folios, each scattered record
    /// read through the mapping costs a page fault that maps pages never
    /// read, and their unmapping (1.1 against 0.75 us per 600-byte record
    /// 60 KB apart; MADV_RANDOM changes nothing).
    fn read_indexed(&mut self, pos: usize) -> Result<Option<Step>> {
        const INCOMPLETE: Step = Step::Bad("frame extends past the end of the data");
        let avail = self.end.saturating_sub(pos);
        let first = self
            .frame_guess
            .clamp(FRAME_HEADER_LEN, PREAD_MAX)
            .min(avail);
        if first < FRAME_HEADER_LEN {
            return Ok(Some(INCOMPLETE));
        }
        if !self.pread(pos, 0, first)? {
            return Ok(Some(INCOMPLETE));
        }
        let len = u32::from_le_bytes(self.frame_buf[0..4].try_into().expect("4 bytes")) as usize;
        let total = FRAME_HEADER_LEN + len;
        if total > PREAD_MAX {
            return Ok(None);
        }
        if total > avail {
            return Ok(Some(INCOMPLETE));
        }
        if total > first && !self.pread(pos, first, total)? {
            return Ok(Some(INCOMPLETE));
        }
        self.frame_guess = total;
        Ok(Some(Step::of(frame::frame_at(&self.frame_buf, 0, true))))
    }

    /// Asks the CPU for the record `PREFETCH_AHEAD` entries further along
    /// filter cursor `i` (the size of the last indexed record read), so
    /// that it is loaded while this one is checked: scattered records are
    /// cache misses, which the CRC waited on.
    fn prefetch_ahead(&self, i: usize) {
        let Some(f) = self.filter.as_ref() else {
            return;
        };
        if let Some(next) = f
            .ahead(i, PREFETCH_AHEAD)
            .and_then(|o| usize::try_from(o).ok())
        {
            let to = next.saturating_add(self.frame_guess).min(self.end);
            crate::prefetch::prefetch(self.map.get(next..to).unwrap_or_default());
        }
    }

    /// Checks the frame at `pos` of an unsealed segment, and those after it
    /// in the same chunk, in a copy read with pread: `None` if it is a
    /// whole record frame (CRC checked if `verify`), to be read from that
    /// copy (`checked_in_copy`), or through the mapping if it was too long
    /// for one (`check_large`); otherwise what it is.
    ///
    /// Why not through the mapping: what follows the last whole record of
    /// an unsealed segment may be a torn tail, which a new writer recovering
    /// the segment cuts off at any moment, and the mapping may be older than
    /// such a cut. A mapped page wholly past the end of the file raises
    /// SIGBUS, which kills the process; pread just comes up short. A whole
    /// frame is never cut, so once a copy shows it whole the mapping may be
    /// read; records that fit a chunk are returned from the copy rather
    /// than read a second time. The cost: a full scan of an unsealed
    /// segment runs at about 0.7 of the speed through the mapping (600-byte
    /// records, 7 interleaved pairs: 3.9 against 5.7 GB/s).
    #[inline(never)]
    fn check_unsealed(&mut self, pos: usize, verify: bool) -> Result<Option<Step>> {
        if pos < self.checked_to && (self.checked_crc || !verify) {
            return Ok(None);
        }
        // The copy is read again from `pos`: what was checked before goes.
        self.checked_to = 0;
        let avail = self.end.saturating_sub(pos);
        let got = self.copy(pos, avail.min(CHECK_CHUNK))?;
        let buf = &self.check_buf[..got];
        if let (FrameAt::Incomplete, Some(head)) = (
            frame::frame_at(buf, 0, false),
            buf.get(..FRAME_HEADER_LEN + 1),
        ) {
            let len = u32::from_le_bytes(head[0..4].try_into().expect("4 bytes")) as usize;
            if got == CHECK_CHUNK && FRAME_HEADER_LEN + len <= avail {
                return self.check_large(pos, len, verify);
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
                f if at == 0 => return Ok(Some(Step::of(f))),
                _ => break,
            }
        }
        self.checked_to = pos + at;
        self.checked_crc = verify;
        (self.check_at, self.check_len, self.checked_in_copy) = (pos, got, true);
        Ok(None)
    }

    /// `check_unsealed` for a frame longer than a chunk (its body `len`
    /// bytes): read and checksummed a chunk at a time.
    #[inline(never)]
    fn check_large(&mut self, pos: usize, len: usize, verify: bool) -> Result<Option<Step>> {
        self.checked_in_copy = false;
        let head = &self.check_buf[..FRAME_HEADER_LEN + 1];
        let crc = u32::from_le_bytes(head[4..8].try_into().expect("4 bytes"));
        let kind = head[FRAME_HEADER_LEN];
        if kind & frame::RESERVED_FLAGS != 0 {
            return Ok(Some(Step::Bad("reserved flag bits set")));
        }
        if verify {
            let mut h = crc32fast::Hasher::new();
            let mut done = 0;
            while done < len {
                let at = pos + FRAME_HEADER_LEN + done;
                let n = (len - done).min(CHECK_CHUNK);
                if self.copy(at, n)? < n {
                    return Ok(Some(Step::Bad("frame extends past the end of the data")));
                }
                h.update(&self.check_buf[..n]);
                done += n;
            }
            if h.finalize() != crc {
                return Ok(Some(Step::Bad("CRC mismatch")));
            }
        } else if self.copy(pos + FRAME_HEADER_LEN + len - 1, 1)? < 1 {
            return Ok(Some(Step::Bad("frame extends past the end of the data")));
        }
        if kind & frame::KIND_MASK != KIND_RECORD {
            return Ok(Some(Step::Bad("unexpected frame kind")));
        }
        self.checked_to = pos + FRAME_HEADER_LEN + len;
        self.checked_crc = verify;
        Ok(None)
    }

    /// Reads up to `len` bytes at `offset` into `check_buf` with pread;
    /// returns how many there were before the end of the file.
    fn copy(&mut self, offset: usize, len: usize) -> Result<usize> {
        read_upto(&self.file, &mut self.check_buf, offset as u64, len)
            .map_err(|e| Error::io_at(&self.path, offset as u64, "read", e))
    }

    /// Reads bytes `from..to` of the frame at `pos` into `frame_buf`, which
    /// then holds `to` bytes; false if the file ends before.
    fn pread(&mut self, pos: usize, from: usize, to: usize) -> Result<bool> {
        self.frame_buf.resize(to, 0);
        match self
            .file
            .read_exact_at(&mut self.frame_buf[from..to], (pos + from) as u64)
        {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
            Err(e) => Err(Error::io_at(&self.path, pos as u64, "read", e)),
        }
    }

    /// Remaps the file if its length changed since it was mapped; true if it
    /// did. A file cut shorter (a writer recovered it) is read again from
    /// the start.
    fn grew(&mut self) -> Result<bool> {
        if self.seal.is_some() {
            return Ok(false);
        }
        if self.len_now()? == self.map.len() as u64 {
            return Ok(false);
        }
        self.map = map_file(&self.file, &self.path)?;
        self.end = self.map.len();
        self.checked_to = 0;
        if self.pos > self.end {
            // Types learned from records that were cut may be defined
            // differently by the writer that cut them.
            self.rewind();
            self.types.clear();
        }
        self.seal_types = None;
        Ok(true)
    }

    /// A SEAL_BEGIN frame ends the records of a segment opened unsealed:
    /// either its writer just sealed it, or the seal is damaged.
    fn seal_reached(&mut self, pos: usize) -> Result<()> {
        self.grew()?;
        match read_seal(&self.file, &self.map, self.data_start, self.start_seq) {
            Some(d) if d.records_end == pos as u64 => {
                self.end = pos;
                self.seal = Some(d);
                self.tail = Tail::Sealed;
            }
            _ => self.tail = Tail::SealDamaged { offset: pos as u64 },
        }
        Ok(())
    }

    /// Handles a frame that fails its checks: corruption in the middle if a
    /// valid record follows (or the segment is sealed), else a torn tail.
    /// Handles a frame that fails its checks. A valid record after it (or a
    /// sealed segment) makes it corruption in the middle: an error, or with
    /// `skip_damaged` a damaged region skipped (returns `true`: read on).
    /// Nothing valid after it in an unsealed segment is a torn tail.
    fn bad_frame(&mut self, pos: usize, why: &str) -> Result<bool> {
        let next = self.resume_after(pos)?;
        if self.skip_damaged {
            if let Some((next, seq)) = next {
                self.checked_to = 0;
                add_damage(
                    &mut self.damages,
                    Damage {
                        offset: pos as u64,
                        resume_offset: next as u64,
                        from_seq: self.next_seq,
                        to_seq: seq,
                    },
                );
                self.pos = next;
                self.next_seq = seq;
                return Ok(true);
            }
            if let Some(d) = &self.seal {
                add_damage(
                    &mut self.damages,
                    Damage {
                        offset: pos as u64,
                        resume_offset: self.end as u64,
                        from_seq: self.next_seq,
                        to_seq: d.last_seq.wrapping_add(1).max(self.next_seq),
                    },
                );
                self.pos = self.end;
                self.tail = Tail::Sealed;
                return Ok(false);
            }
        }
        match next.map(|(next, _)| next) {
            Some(next) => Err(self.corrupt(
                pos,
                format!("{why}; the next valid record starts at offset {next}"),
            )),
            None if self.seal.is_some() => {
                Err(self.corrupt(pos, format!("{why} inside a sealed segment")))
            }
            None => {
                self.tail = Tail::Torn {
                    offset: pos as u64,
                    len: (self.map.len() - pos) as u64,
                };
                Ok(false)
            }
        }
    }

    /// Where valid records resume after the bad frame at `pos`, and the
    /// sequence number there (see `frame::find_resume`). In an unsealed
    /// segment the bytes searched may be a torn tail that a new writer
    /// cuts at any moment: up to `RESUME_COPY_MAX` of them are searched in
    /// a copy read with pread (see `check_unsealed`).
    fn resume_after(&self, pos: usize) -> Result<Option<(usize, u64)>> {
        let seq_at = |buf: &[u8], at: usize| match frame::frame_at(buf, at, true) {
            FrameAt::Frame { body, .. } => frame::decode_record(body).map(|r| r.seq),
            _ => None,
        };
        let len = self.end.saturating_sub(pos);
        if self.seal.is_none() && !self.uncut && len <= RESUME_COPY_MAX {
            // The record after a damaged region is usually near: copy a
            // chunk first, and more (doubling) only while the bytes copied
            // do not decide where records resume. (Copying all up to the
            // end each time made skipping many regions quadratic.)
            let mut copy = Vec::new();
            let mut want = len.min(CHECK_CHUNK);
            let n = loop {
                let n = read_upto(&self.file, &mut copy, pos as u64, want)
                    .map_err(|e| Error::io_at(&self.path, pos as u64, "read", e))?;
                if n < want || want == len {
                    break n;
                }
                if let Some(q) = frame::find_resume_in_prefix(&copy[..n], len, self.next_seq) {
                    let seq = seq_at(&copy[..n], q).expect("a valid record");
                    return Ok(Some((pos + q, seq)));
                }
                want = want.saturating_mul(2).min(len);
            };
            let copy = &copy[..n];
            return Ok(frame::find_resume(copy, 0, self.next_seq).map(|q| {
                let seq = seq_at(copy, q).expect("find_resume returned a valid record");
                (pos + q, seq)
            }));
        }
        let limit = &self.map[..self.end];
        Ok(frame::find_resume(limit, pos, self.next_seq).map(|q| {
            let seq = seq_at(limit, q).expect("find_resume returned a valid record");
            (q, seq)
        }))
    }

    /// What is wrong with a record's type reference, if anything.
    fn type_problem(&self, rec: &frame::RecordBody<'_>) -> Option<String> {
        let id = rec.type_id as usize;
        match rec.defines {
            Some(_) if id == self.types.len() => None,
            Some(name) if id < self.types.len() => {
                let t = &self.types[id];
                (*t.as_bytes() != *name && !t.starts_with(LOST_TYPE))
                    .then(|| format!("type id {id} defined out of order"))
            }
            Some(_) => Some(format!("type id {id} defined out of order")),
            None if id < self.types.len() => None,
            // Skipping damage: the definition may have been in a damaged
            // region, which could define one type per smallest record it
            // held, no more. A larger id is damage itself (and naming every
            // id below it would fill memory: ids go up to 2^32).
            None if self.skip_damaged && id - self.types.len() < self.lost_type_budget() => None,
            None => Some(format!("type id {id} used before it is defined")),
        }
    }

    /// The name of type `id`, whose defining record was in a skipped
    /// damaged region: the one a seal's type table gives it (see
    /// `SealTypes`: the table must agree with every type an intact record
    /// defined so far, and put the type's first record in a region skipped),
    /// else `<lost type N>`. The table is read with pread, once.
    fn lost_type_name(&mut self, id: usize) -> Box<str> {
        if self.seal_types.is_none() {
            let file = &self.file;
            self.seal_types = Some(SealTypes::find(
                self.map.len() as u64,
                self.data_start as u64,
                |at, n| read_part(file, at, n).map(Cow::Owned),
            ));
        }
        let named =
            self.seal_types
                .as_mut()
                .and_then(Option::as_mut)
                .and_then(|table| {
                    let agrees =
                        self.types.iter().enumerate().all(|(i, t)| {
                            t.starts_with(LOST_TYPE) || table.agrees(i, t.as_bytes())
                        });
                    if !agrees {
                        return None;
                    }
                    for d in &self.damages {
                        table.damaged(d.offset, d.resume_offset);
                    }
                    table.lost_name(id).map(Box::from)
                });
        named.unwrap_or_else(|| Record::lost_type_name(id as u32).into())
    }

    /// How many types the damaged regions skipped so far could have
    /// defined (one per smallest record frame they held).
    fn lost_type_budget(&self) -> usize {
        let bytes: u64 = self
            .damages
            .iter()
            .map(|d| d.resume_offset.saturating_sub(d.offset))
            .fold(0, u64::saturating_add);
        usize::try_from(bytes / frame::MIN_RECORD_FRAME as u64).unwrap_or(usize::MAX)
    }

    fn corrupt(&self, pos: usize, what: impl std::fmt::Display) -> Error {
        Error::at(ErrorKind::Corrupt, &self.path, pos as u64, what)
    }
}

/// Records a damaged region skipped in `damages`, in file order, once: a
/// reader that reads it again (a seek back, or one that scans over it)
/// meets the same region, not another one.
fn add_damage(damages: &mut Vec<Damage>, d: Damage) {
    let key = |x: &Damage| (x.offset, x.resume_offset);
    let at = damages.partition_point(|x| key(x) <= key(&d));
    // Sorted: an equal region is among those just before `at` (not a
    // search of the whole list, which a file damaged in many places makes
    // long).
    let seen = damages[..at]
        .iter()
        .rev()
        .take_while(|x| key(x) == key(&d))
        .any(|x| *x == d);
    if !seen {
        damages.insert(at, d);
    }
}

/// How the name given to a type whose defining record was in a skipped
/// damaged region begins, unless a seal's type table names it
/// (`Record::lost_type_name`).
const LOST_TYPE: &str = "<lost type ";

/// A checked record located in the map (offsets only, so the reader stays
/// free to remap while looking for it).
pub(crate) struct Found {
    pub(crate) seq: u64,
    pub(crate) timestamp_ns: i64,
    type_id: u32,
    offset: usize,
    frame_len: usize,
    meta_count: u32,
    meta: (usize, usize),
    payload: (usize, usize),
    /// Where the parts are (offsets are into it).
    source: Source,
}

/// Where a found record's bytes are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The mapping.
    Map,
    /// `frame_buf`, for a read through the per-type index.
    FrameBuf,
    /// `check_buf`, for an unsealed segment (see `check_unsealed`).
    CheckBuf,
}

/// What a frame check found, owned so the reader may remap afterwards.
enum Step {
    Record(usize),
    SealBegin,
    Bad(&'static str),
}

impl Step {
    fn of(f: FrameAt<'_>) -> Step {
        match f {
            FrameAt::Frame {
                kind: KIND_RECORD,
                total,
                ..
            } => Step::Record(total),
            FrameAt::Frame {
                kind: KIND_SEAL_BEGIN,
                ..
            } => Step::SealBegin,
            FrameAt::Frame { .. } => Step::Bad("unexpected frame kind"),
            FrameAt::Incomplete => Step::Bad("frame extends past the end of the data"),
            FrameAt::Invalid(why) => Step::Bad(why),
        }
    }
}

/// For a segment whose header fails its checks: the first valid record
/// after the fixed header fields, and a placeholder header. The record
/// should carry the header's first sequence number (read from its fixed
/// place); if that field is damaged too, any record within the largest
/// header size is taken. Also returns that record's sequence number: the
/// placeholder header's `first_seq` is the header's own when the record
/// agrees with it and the bytes between the header and the record could
/// hold the records before it (lost with the header), else the record's.
fn salvage_header(map: &[u8]) -> Option<(SegmentHeader, usize, u64)> {
    let u64_at = |at: usize| {
        map.get(at..at + 8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    };
    let from = crate::format::header::FIXED_LEN;
    let agreed = u64_at(32).and_then(|first| {
        frame::find_next_record_after(map, from, first).map(|start| (start, Some(first)))
    });
    let (start, header_first) = match agreed {
        Some(found) => found,
        None => {
            let limit = map
                .len()
                .min(crate::format::MAX_HEADER_LEN as usize + (64 << 10));
            (frame::find_next_record(&map[..limit], from, None)?, None)
        }
    };
    let first_seq = match frame::frame_at(map, start, true) {
        FrameAt::Frame { body, .. } => frame::decode_record(body)?.seq,
        _ => return None,
    };
    let u16_at = |at: usize| {
        map.get(at..at + 2)
            .map(|b| u16::from_le_bytes(b.try_into().expect("2 bytes")))
    };
    // Records lost with the header lay between its end (the header length
    // at offset 12, if plausible) and the record found, one per smallest
    // frame at most; a first sequence number that would need more (or a
    // record found right at the header's end that is not numbered as the
    // header says) is damaged itself: the record's number is taken.
    let header_len = map
        .get(12..16)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize)
        .filter(|&n| n >= crate::format::header::FIXED_LEN + 12 && n <= start);
    let lost_from = match (header_first, header_len) {
        (Some(hf), Some(hl))
            if hf <= first_seq
                && first_seq - hf <= ((start - hl) / frame::MIN_RECORD_FRAME) as u64 =>
        {
            hf
        }
        _ => first_seq,
    };
    Some((
        SegmentHeader {
            major: u16_at(8).unwrap_or(crate::format::FORMAT_MAJOR),
            minor: u16_at(10).unwrap_or(0),
            created_ns: u64_at(16).unwrap_or(0) as i64,
            segment_no: u64_at(24).unwrap_or(0),
            first_seq: lost_from,
            log_name: String::new(),
            content_type: String::new(),
            writer: String::new(),
            params: Vec::new(),
        },
        start,
        first_seq,
    ))
}

fn valid_meta(meta: &[u8]) -> bool {
    frame::MetaIter::new(meta)
        .all(|(k, v)| std::str::from_utf8(k).is_ok() && std::str::from_utf8(v).is_ok())
}

/// Reads `file` at `offset` into `buf[..len]` (growing `buf` if needed)
/// until `len` bytes or the end of the file; returns how many it read.
fn read_upto(file: &File, buf: &mut Vec<u8>, offset: u64, len: usize) -> io::Result<usize> {
    if buf.len() < len {
        buf.resize(len, 0);
    }
    let mut n = 0;
    while n < len {
        match file.read_at(&mut buf[n..len], offset + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// `len` bytes of `file` at `offset`, read with pread; `None` if the file
/// ends before (or the read fails: the caller then does without them).
pub(crate) fn read_part(file: &File, offset: u64, len: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0; len];
    file.read_exact_at(&mut buf, offset).ok()?;
    Some(buf)
}

fn map_file(file: &File, path: &Path) -> Result<Mmap> {
    // SAFETY: the mapping is read-only. A segment may get shorter while
    // mapped: a writer reopening it cuts a torn tail or its seal, and a
    // mapped page wholly past the end of the file then raises SIGBUS. The
    // reader reads only whole record frames through the mapping, which no
    // writer cuts; a seal and what follows an unsealed segment's last whole
    // frame are read with pread (see `check_unsealed`, `sparse_floor`,
    // `trust::read_seal`, `TypeFilter::new`), except by a writer's own
    // recovery scan, which holds the lock every cutter takes (`uncut`).
    // (`binlog repair` cuts nothing in place: it renames a repaired copy
    // over the segment, and a reader keeps the old file.) What remains
    // unsafe is in the README's thread-safety rules.
    unsafe { MmapOptions::new().map(file) }.map_err(|e| Error::io(path, "map", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, Writer};

    fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("binlog-reader-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("seg.binlog")
    }

    /// Sizes around the pread guess and above `PREAD_MAX`, in an order
    /// that makes the guess both too small and too large.
    fn payload(i: usize) -> Vec<u8> {
        let sizes = [0, 600, 17, 5000, 600, PREAD_MAX + 10, 3, 600, 70_000, 1];
        vec![i as u8; sizes[i % sizes.len()]]
    }

    fn owned(r: &Record<'_>) -> (u64, String, Vec<u8>, Vec<(String, String)>) {
        let meta = r
            .metadata()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        (r.seq, r.type_name.to_string(), r.payload.to_vec(), meta)
    }

    #[test]
    fn indexed_filter_reads_what_a_scan_reads() {
        let p = temp_path("indexed");
        let w = Writer::open(&p, Options::default()).unwrap();
        for i in 0..60 {
            let ty = ["a", "b", "c"][i % 3];
            let i_str = i.to_string();
            w.write_with(ty, &[("i", &i_str)], None, &payload(i))
                .unwrap();
        }
        w.close().unwrap();

        let mut r = Reader::open(&p).unwrap();
        let mut scanned = Vec::new();
        while let Some(rec) = r.next().unwrap() {
            scanned.push(owned(&rec));
        }
        // Measured (mapping, then pread, then the faster), and each way.
        let ways = [None, Some(true), Some(false)];
        for (names, way) in [&["b"][..], &["a", "c"][..]]
            .into_iter()
            .flat_map(|n| ways.map(|w| (n, w)))
        {
            let mut r = Reader::open(&p).unwrap();
            if let Some(via_map) = way {
                r.indexed.force(via_map);
            }
            r.filter_types(names);
            assert!(
                r.filter.as_ref().unwrap().cursors.is_some(),
                "sealed: indexed"
            );
            let mut got = Vec::new();
            while let Some(rec) = r.next().unwrap() {
                got.push(owned(&rec));
            }
            let want: Vec<_> = scanned
                .iter()
                .filter(|x| names.contains(&x.1.as_str()))
                .cloned()
                .collect();
            assert_eq!(got, want, "{names:?} {way:?}");
            assert_eq!(r.tail(), Tail::Sealed);
        }
        std::fs::remove_dir_all(p.parent().unwrap()).unwrap();
    }

    /// A filter whose offset arrays would take more than the copy limit
    /// does not use them (memory stays bounded): the reader scans, and
    /// returns the same records.
    #[test]
    fn a_filter_over_the_arrays_copy_limit_scans() {
        let p = temp_path("copy-limit");
        let w = Writer::open(&p, Options::default()).unwrap();
        for i in 0..300 {
            w.write(["a", "b"][usize::from(i % 10 == 0)], &payload(i))
                .unwrap();
        }
        w.close().unwrap();
        let read = |limit: u64, names: &[&str]| {
            let mut r = Reader::open(&p).unwrap();
            r.arrays_copy_max = limit;
            r.filter_types(names);
            let indexed = r.filter.as_ref().unwrap().cursors.is_some();
            let mut seqs = Vec::new();
            while let Some(rec) = r.next().unwrap() {
                seqs.push(rec.seq);
            }
            (indexed, seqs)
        };
        let b: Vec<u64> = (0..300).step_by(10).collect();
        // "b" has 30 records (240 bytes of offsets), "a" 270 (2160).
        assert_eq!(read(240, &["b"]), (true, b.clone()), "at the limit");
        assert_eq!(read(239, &["b"]), (false, b), "past it");
        assert_eq!(read(2399, &["a", "b"]), (false, (0..300).collect()));
        std::fs::remove_dir_all(p.parent().unwrap()).unwrap();
    }

    /// A frame too large to pread (read through the mapping) does not
    /// become the size guess of the next pread: the record after it is
    /// read with one small pread, not 64 KiB.
    #[test]
    fn a_large_record_does_not_inflate_the_next_pread() {
        let p = temp_path("indexed-guess");
        let w = Writer::open(&p, Options::default()).unwrap();
        for i in 0..10 {
            let len = if i == 2 { PREAD_MAX + 10 } else { 600 };
            w.write("a", &vec![i as u8; len]).unwrap();
        }
        w.close().unwrap();
        let mut r = Reader::open(&p).unwrap();
        r.indexed.force(false);
        r.filter_types(&["a"]);
        for i in 0..4 {
            let rec = r.next().unwrap().unwrap();
            assert_eq!(rec.payload[0], i as u8);
        }
        assert!(
            r.frame_buf.len() < 1024,
            "the record after the large one read {} bytes",
            r.frame_buf.len()
        );
        std::fs::remove_dir_all(p.parent().unwrap()).unwrap();
    }

    /// The checks a sparse index must pass before a seek uses it
    /// (`sparse_sound`, and the entry leading to its record) hold for what
    /// writers write: fresh, reopened and appended to, and from a high
    /// first sequence number, with timestamps that go back and forth.
    #[test]
    fn writers_write_sparse_indexes_that_seeks_use() {
        let p = temp_path("sparse-sound");
        let opts = || Options {
            sparse_interval: 100,
            first_seq: 1 << 40,
            ..Options::default()
        };
        for round in 0..2 {
            let w = Writer::open(&p, opts()).unwrap();
            for i in 0..50i64 {
                w.write_with("a", &[], Some(1000 + i * 10 - (i % 3) * 25), &[7; 30])
                    .unwrap();
            }
            w.close().unwrap();
            let mut r = Reader::open(&p).unwrap();
            let count = r.seal().unwrap().sparse_count;
            assert!(count > 5, "{count} entries");
            r.seek_seq((1 << 40) + 40).unwrap();
            assert_eq!(r.sparse_ok, Some(true), "round {round}");
            assert_eq!(r.next().unwrap().unwrap().seq, (1 << 40) + 40);
            let mut r = Reader::open(&p).unwrap();
            r.seek_time(1400).unwrap();
            assert_eq!(r.sparse_ok, Some(true), "round {round}");
        }
        std::fs::remove_dir_all(p.parent().unwrap()).unwrap();
    }

    #[test]
    fn indexed_filter_checks_the_crc_of_copied_frames() {
        let p = temp_path("indexed-crc");
        let w = Writer::open(&p, Options::default()).unwrap();
        for i in 0..10 {
            w.write(["a", "b"][i % 2], &[i as u8; 600]).unwrap();
        }
        w.close().unwrap();
        let mut r = Reader::open(&p).unwrap();
        let mut offsets = Vec::new();
        while let Some(rec) = r.next().unwrap() {
            offsets.push(rec.offset + rec.frame_len - 1);
        }
        drop(r);
        // Flip the last payload byte of the fourth record (type "b").
        let mut bytes = std::fs::read(&p).unwrap();
        bytes[offsets[3] as usize] ^= 1;
        std::fs::write(&p, &bytes).unwrap();

        for via_map in [true, false] {
            let mut r = Reader::open(&p).unwrap();
            r.indexed.force(via_map);
            r.filter_types(&["b"]);
            assert_eq!(r.next().unwrap().unwrap().seq, 1);
            let err = r.next().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
            let at = offsets[2] + 1;
            assert!(
                err.message().contains(&at.to_string()),
                "via_map {via_map}: {err} does not name offset {at}"
            );
        }
        std::fs::remove_dir_all(p.parent().unwrap()).unwrap();
    }
}
