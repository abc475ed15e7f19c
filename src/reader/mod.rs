//! Reading one segment: every record checked against its CRC, its
//! sequence number and its type table, and handed out without a copy. A
//! sealed segment opens in O(1) from its trailer; an unsealed one (being
//! written, or whose writer crashed) is read by a scan that stops at the
//! first bad frame and tells a torn tail from corruption in the middle.
//!
//! The scan reads a segment's bytes from one pager (`pager`), whatever
//! holds them: a plain segment file, mapped, which a writer may still
//! append to or cut; or the frames of a compressed segment (or of a remote
//! plain object), decoded as it goes. One record loop (`advance`, and its
//! short path `short_path`) runs over it; the rules of the seal, of how
//! records end, of damage and salvage sit above it once (`seal`, `ends`,
//! `damage`, `salvage`). What differs by pager is asked of it, except the
//! failures only frames have, which are in `frames`. This file holds the
//! reader, its opening and what it answers.

mod advance;
pub(crate) mod change_fd;
#[cfg(feature = "compression")]
mod compressed_type_copies;
mod crc_ahead;
mod damage;
mod ends;
mod filter;
#[cfg(test)]
mod follow_tests;
mod frame_check;
#[cfg(feature = "compression")]
mod frames;
#[cfg(not(feature = "compression"))]
#[path = "frames_none.rs"]
mod frames;
mod owned;
mod pager;
mod record;
mod salvage;
mod seal;
mod seal_types;
mod seek;
mod short_path;
pub(crate) mod watch;

pub use owned::OwnedRecord;
pub use pager::{Mapping, WholeCopy};
pub(crate) use record::Found;
pub use record::{Damage, Record, RecordHeader, Tail};
pub use seal_types::SealTypes;
pub(crate) use seek::SeekTarget;

use crate::error::{Error, Result};
use crate::format::{header::SegmentHeader, seal::SealDirectory};
use crate::source::{open_segment_file, seal_trust as trust, SegmentSource};
use crc_ahead::CheckedAhead;
use damage::DamageLog;
use filter::{IndexedRead, TypeFilter};
use memmap2::Mmap;
use pager::Pager;
use seal::SealState;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use watch::{Follow, Watched};

/// A reader of one segment file. It needs only read permission, takes no
/// lock, and may read a segment while a writer appends to it: it returns
/// every complete record handed to the OS and never a torn one.
///
/// Not `Sync`: one thread at a time iterates a reader.
///
/// # Example
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("binlog-doc-reader-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// use binlog::{Options, Reader, Tail, Writer};
///
/// let path = dir.join("events.binlog");
/// let w = Writer::open(&path, Options::default())?;
/// w.write("login", b"alice")?;
/// w.close()?;
///
/// let mut r = Reader::open(&path)?;
/// while let Some(rec) = r.next()? {
///     println!("{} {} {:?}", rec.seq, rec.type_name, rec.payload);
/// }
/// println!("ended: {:?}", r.tail());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Reader {
    path: PathBuf,
    /// What the scan reads the records from (see `pager`).
    source: Pager,
    /// A mapped source's mapping (empty for frames), which record views of
    /// it borrow. Shared so that a caller may keep it mapped past a remap
    /// or the reader's end (see [`Reader::mapping`]).
    map: Arc<Mmap>,
    header: SegmentHeader,
    data_start: usize,
    /// Sequence number of the record at `data_start`: the header's
    /// `first_seq`, unless a salvaged header lost records with it.
    start_seq: u64,
    /// The seal, as far as it is believed (see `seal`).
    seals: SealState,
    /// Records are parsed below this offset.
    end: usize,
    pos: usize,
    next_seq: u64,
    types: Vec<Box<str>>,
    tail: Tail,
    filter: Option<TypeFilter>,
    /// Mapped bytes below this were handed back (see `release_behind`).
    released_below: usize,
    /// The damage met, and whether it is skipped (see `damage`).
    damage: DamageLog,
    /// Set for a shipped object (see `ends`): ending without its
    /// seal is damage, not a torn tail or an end still being written.
    object: Option<ends::ObjectEnd>,
    /// Reads through the per-type index: their copy, and whether through the
    /// mapping or with pread.
    indexed: IndexedRead,
    /// A seek's target that no record written by then reached (see
    /// `SeekTarget`).
    unreached: Option<SeekTarget>,
    /// Nothing but this reader's owner can cut the file while it reads (see
    /// `declare_nothing_can_cut_file`): an unsealed segment is read through
    /// the mapping, without copies.
    nothing_can_cut_file: bool,
    /// What was seen of zeros a durable writer prepared past the records.
    zero_tail: ends::ZeroTail,
    /// `filter::ARRAYS_COPY_MAX` (smaller in tests).
    arrays_copy_max: u64,
    /// How `next_wait` waits at the end (a change notifier, once made).
    follow: Follow,
    /// Frames whose CRCs `next_plain` checked ahead of the position.
    crc_ahead: CheckedAhead,
    /// A plain segment read as stored frames: how to copy it whole, to read
    /// on in if its seal lies about where the records end (`bound_holds`).
    whole_copy: Option<WholeCopy>,
}

impl Reader {
    /// Opens a segment for reading: plain or compressed (`.binlog.zst`),
    /// told apart by its contents. A missing `X.binlog` whose compressed
    /// copy `X.binlog.zst` exists opens that copy (a log compresses sealed
    /// segments in the background: a path handed out before, by a `SEALED`
    /// event or `poll_sealed`, stays usable); `path()` then names it.
    pub fn open(path: impl AsRef<Path>) -> Result<Reader> {
        let (path, file) = open_segment_file(path.as_ref())?;
        Reader::open_file(path, file, false)
    }

    /// Like `open`, for a segment whose header is damaged (`CorruptHeader`):
    /// the reader reads on from the first valid record after it and reports
    /// the header as a damaged region (offset 0 up to that record). The
    /// header's fields are then placeholders: empty strings, and numbers
    /// read from their fixed places where the first record agrees. Damaged
    /// regions later on are skipped too (`skip_damaged(true)`).
    ///
    /// A compressed segment opens too when its header's or its seal's
    /// frames do not decompress, or its seek table is missing or broken
    /// (docs/FORMAT.md section 17.3a).
    pub fn open_salvage(path: impl AsRef<Path>) -> Result<Reader> {
        let (path, file) = open_segment_file(path.as_ref())?;
        Reader::open_file(path, file, true)
    }

    /// A reader of the segment (plain or compressed) in `file`, an open
    /// file that holds a copy of it (a remote object fetched whole), named
    /// `name` (its URL) in errors; with `salvage`, as `open_salvage`.
    pub fn open_file(name: PathBuf, file: File, salvage: bool) -> Result<Reader> {
        let (source, map, parts) = Pager::open(file, &name, salvage)?;
        let mut r = Reader::of_parts(name, source, map, parts, false);
        r.skip_damaged(salvage);
        Ok(r)
    }

    /// A reader of `segment`, a compressed segment read from a source other
    /// than a file (a remote object), named `name` (its URL) in errors; or
    /// a plain one read as stored frames (`CompressedSegment::open_stored`),
    /// which the caller makes sure is sealed. `header_lost`: what
    /// `CompressedSegment::open_source` said of a lost header (with
    /// `salvage`, as `open_salvage`).
    ///
    /// Without `salvage`, checks of the seal whose bytes the source does
    /// not hold yet are put off (`trust::read_seals_when_held`) until the
    /// reader reaches the end of the records or a type filter reads through
    /// the seal's index; they decide then what they decide at an open (a
    /// disagreeing `SEAL_BEGIN` frame is the same `CorruptSeal` error).
    #[cfg(feature = "compression")]
    #[doc(hidden)]
    pub fn open_compressed(
        name: PathBuf,
        segment: crate::compressed::CompressedSegment,
        header_lost: Option<Error>,
        salvage: bool,
    ) -> Result<Reader> {
        let frames = frames::CompressedFrames::of(segment, None);
        let (source, map, parts) = Pager::of_frames(frames, header_lost, &name)?;
        let mut r = Reader::of_parts(name, source, map, parts, !salvage);
        if let Some(d) = r.source.frames() {
            d.segment.borrow().streams_end_at(r.end as u64);
        }
        if !r.seals.trust_pending {
            r.settle_seal()?;
        }
        r.skip_damaged(salvage);
        r.decode_threads(crate::compressed::decode_ahead::default_threads());
        Ok(r)
    }

    fn of_parts(
        path: PathBuf,
        source: Pager,
        map: Arc<Mmap>,
        (header, data_start, start_seq, damages): HeaderParts,
        defer_trust: bool,
    ) -> Reader {
        let original = source.original();
        let (usable, bounding, trust_pending) =
            trust::read_seals_when_held(original, data_start, start_seq, defer_trust);
        let end = usable
            .as_ref()
            .or(bounding.as_ref())
            .map_or(original.len(), |d| d.records_end as usize);
        let types = usable
            .as_ref()
            .map(|d| d.types.iter().map(|t| t.name.as_str().into()).collect())
            .unwrap_or_default();
        Reader {
            next_seq: start_seq,
            start_seq,
            path,
            source,
            map,
            header,
            data_start,
            seals: SealState {
                usable,
                bounding,
                trust_pending,
                ..SealState::default()
            },
            end,
            pos: data_start,
            types,
            tail: Tail::Reading,
            filter: None,
            indexed: IndexedRead::default(),
            released_below: 0,
            damage: DamageLog {
                regions: damages,
                ..DamageLog::default()
            },
            object: None,
            unreached: None,
            nothing_can_cut_file: false,
            zero_tail: ends::ZeroTail::default(),
            arrays_copy_max: filter::ARRAYS_COPY_MAX,
            follow: Follow::default(),
            crc_ahead: CheckedAhead::default(),
            whole_copy: None,
        }
    }

    /// The segment's file (or object URL).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A descriptor to poll for this segment's new records: readable when
    /// it may have grown (see [`crate::ChangeFd`] for how to use it).
    pub fn change_fd(&self) -> Result<crate::ChangeFd> {
        crate::ChangeFd::new(&self.path, Watched::File)
    }

    /// The segment's header.
    pub fn header(&self) -> &SegmentHeader {
        &self.header
    }

    /// The seal's summary, when the segment is sealed and its seal is intact
    /// (a remote object's seal whose checks were put off at open is checked
    /// at the first call, see `open_compressed`).
    pub fn seal(&self) -> Option<&SealDirectory> {
        let trusted = || !self.seals.trust_pending || self.pending_seal_usable();
        self.seals.usable.as_ref().filter(|_| trusted())
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

    /// Current length of the mapped file (of the original segment, for a
    /// compressed one).
    pub fn file_len(&self) -> u64 {
        self.original().len() as u64
    }

    /// The segment's original bytes, for reads other than the scan's.
    pub(crate) fn original(&self) -> &dyn SegmentSource {
        self.source.original()
    }

    /// Whether the file ends in a whole seal trailer (its CRC holds and it
    /// agrees with the file's length): its writer finished sealing it, even
    /// if the rest of the seal is damaged or untrusted (`seal` is `None`).
    pub fn has_seal_trailer(&self) -> bool {
        self.original().has_seal_trailer(self.data_start)
    }

    /// Whether a writer holds the segment (its exclusive lock): one that may
    /// still add records to it, or close them with a `SEAL_BEGIN` frame.
    pub(crate) fn has_writer(&self) -> Result<bool> {
        let Some(file) = self.source.local_file() else {
            return Ok(false);
        };
        crate::sys::is_locked_exclusively(file)
            .map_err(|e| Error::io(&self.path, "look for its writer's lock", e))
    }

    /// The next record, verified, or `None` at the end. At the end of an
    /// unsealed segment, a later call returns records written since.
    // A lending iterator (records borrow the mapping), so not `Iterator`.
    #[allow(clippy::should_implement_trait)]
    #[inline]
    pub fn next(&mut self) -> Result<Option<Record<'_>>> {
        self.next_record(true)
    }

    /// Like `next`, but at the end of an unsealed segment waits up to
    /// `timeout` for its writer to add a record (`None` if none came). A
    /// record is returned only once whole. At the end of a sealed
    /// standalone segment it waits too: a writer that reopens it to append
    /// removes the seal, and the records it appends are returned.
    pub fn next_wait(&mut self, timeout: Duration) -> Result<Option<Record<'_>>> {
        let found = match self.next_found()? {
            Some(f) => {
                self.follow.found();
                Some(f)
            }
            None if !self.source.may_grow() && self.tail == Tail::Sealed => {
                // Nothing follows a compressed segment's seal: only the
                // wait is left to do.
                std::thread::sleep(timeout);
                None
            }
            None => {
                // See `watch`: the segment file is watched.
                let path = self.path.clone();
                let mut follow = std::mem::take(&mut self.follow);
                let found = follow.wait_for(timeout, &path, Watched::File, || {
                    self.read_on_if_unsealed()?;
                    self.next_found()
                });
                self.follow = follow;
                found?
            }
        };
        Ok(found.map(|f| self.record_at(&f)))
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

    /// The next record: the common one on its short path (`next_plain`),
    /// inlined into the caller's loop; any other out of line.
    #[inline(always)]
    fn next_record(&mut self, verify: bool) -> Result<Option<Record<'_>>> {
        self.release_behind();
        match self.next_plain(verify) {
            Some(f) => Ok(Some(self.record_at(&f))),
            None => self.next_record_advancing(verify),
        }
    }

    /// `next_record` for a record `next_plain` did not take: a compressed
    /// segment's on its own short path (`next_decoded`), any other through
    /// `advance`.
    #[inline(never)]
    fn next_record_advancing(&mut self, verify: bool) -> Result<Option<Record<'_>>> {
        let found = match self.next_decoded(verify) {
            Some(f) => Some(f),
            None => self.advance_to_target(verify)?,
        };
        Ok(found.map(|f| self.record_at(&f)))
    }

    /// The next verified record's location, without borrowing the reader:
    /// lets a caller (the log reader) move between segments in a loop and
    /// borrow the record only once found.
    pub(crate) fn next_found(&mut self) -> Result<Option<Found>> {
        self.release_behind();
        match self.next_plain(true).or_else(|| self.next_decoded(true)) {
            Some(f) => Ok(Some(f)),
            None => self.advance_to_target(true),
        }
    }

    /// With `true`, a damaged region in the middle of the segment (a frame
    /// that fails its checks while valid records follow) is skipped and
    /// recorded in `damages`; by default (`false`) the reader stops there
    /// with a `Corrupt` error naming the file and offset. A type whose
    /// defining record was in a skipped region is named by the seal where
    /// it survives and agrees (see `SealTypes`), else `<lost type N>`.
    pub fn skip_damaged(&mut self, skip: bool) {
        self.damage.skip = skip;
    }

    /// What was wrong at the start of the damaged region at `offset` (one of
    /// `damages`), as a reader that does not skip damage would say it: `CRC
    /// mismatch`, `sequence number 2 where 3 was expected`, ... `None` for a
    /// region of no bytes (records missing) and past the first regions.
    pub fn damage_reason(&self, offset: u64) -> Option<&str> {
        let why = self.damage.why.iter().find(|(at, _)| *at == offset);
        why.map(|(_, why)| &**why)
    }

    /// The damaged regions skipped so far, in file order.
    pub fn damages(&self) -> &[Damage] {
        &self.damage.regions
    }

    /// Restricts `next` to records of these types (an empty list reads all
    /// types again). A sealed segment reads them through its per-type index
    /// (copying up to `filter::ARRAYS_COPY_MAX` offsets out of the seal);
    /// otherwise the reader scans and skips the others. A record the index
    /// points at that is not an intact record of its type stops the use of
    /// the index (`stop_using_index`): damage is reported where a scan would.
    pub fn filter_types(&mut self, names: &[&str]) {
        if names.is_empty() {
            self.filter = None;
            return;
        }
        self.settle_trust();
        let (seal, start) = (self.seals.usable.as_ref(), self.data_start as u64);
        let mut f = TypeFilter::new(names, seal, self.original(), start, self.arrays_copy_max);
        f.seek(self.pos as u64);
        self.filter = Some(f);
    }

    /// For a reader whose file nothing else can cut while it reads: the
    /// scan of a writer that holds the segment's lock (other writers, and
    /// `binlog repair`, wait for it). It reads an unsealed segment through
    /// the mapping, without the copies of `check_unsealed`.
    pub(crate) fn declare_nothing_can_cut_file(&mut self) {
        self.nothing_can_cut_file = true;
    }

    /// The target of the last seek if no record has reached it yet.
    pub(crate) fn unreached(&self) -> Option<SeekTarget> {
        self.unreached
    }
}

/// A segment's header, where its records start, the sequence number of
/// its first record, and the damage found reading the header.
pub(super) type HeaderParts = (SegmentHeader, usize, u64, Vec<Damage>);

/// Segments and payloads for the tests of the reader's modules.
#[cfg(test)]
mod test_segments {
    use super::pager::PREAD_MAX;
    use super::Record;
    use std::path::PathBuf;

    pub fn temp_path(name: &str) -> PathBuf {
        crate::sys::scratch::empty_dir(&format!("reader-{name}")).join("seg.binlog")
    }

    /// Sizes around the pread guess and above `PREAD_MAX`, in an order
    /// that makes the guess both too small and too large.
    pub fn payload(i: usize) -> Vec<u8> {
        let sizes = [0, 600, 17, 5000, 600, PREAD_MAX + 10, 3, 600, 70_000, 1];
        vec![i as u8; sizes[i % sizes.len()]]
    }

    pub fn owned(r: &Record<'_>) -> (u64, String, Vec<u8>, Vec<(String, String)>) {
        let meta = r
            .metadata()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        (r.seq, r.type_name.to_string(), r.payload.to_vec(), meta)
    }
}
