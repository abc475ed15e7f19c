//! One ordered reader across a log's segments: a log directory (new
//! segments picked up as the writer rolls, in `segments::list_files`
//! order) or a fixed list of segment files. Sequence numbers are checked
//! to be continuous across segments; a segment removed before or while it
//! is read is reported as a gap, not an error.

use crate::error::{Error, ErrorKind, Result};
use crate::format::{header::SegmentHeader, naming::remote_order};
use crate::log::{gap::Gap, segments};
use crate::reader::watch::{wait_in_steps, Follow, Watched};
use crate::reader::{Damage, Found, Reader, Record, SeekTarget, Tail};
use crate::sys::parent_dir;
use next_segment::OpenGap;
use segments::ListingStamp;
use std::path::{Path, PathBuf};
use std::time::Duration;
#[cfg(feature = "s3")]
pub use tier::Archived;
use tier::Tier;
use window::TimeWindow;

/// The shortest step between two looks at logs that are not watched (a
/// bucket's listing due now still waits this long, so that a listing that
/// finds nothing new cannot make the wait spin).
pub(super) const LEAST_PAUSE: Duration = Duration::from_millis(20);

mod files;
mod next_segment;
mod seek;
#[cfg_attr(not(feature = "s3"), allow(dead_code))]
mod tier;
mod window;

/// A segment a log reader returned records from, or a seek landed in:
/// which one, and how it ended once the reader left it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadSegment {
    /// Its `LogReader::segment_opens` number while it was being read.
    opens: u64,
    path: PathBuf,
    header: SegmentHeader,
    ended: Option<Tail>,
}

impl ReadSegment {
    /// The segment's file (or object URL).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The segment's header.
    pub fn header(&self) -> &SegmentHeader {
        &self.header
    }

    /// Its segment number in the log.
    pub fn segment_no(&self) -> u64 {
        self.header.segment_no
    }

    /// How it ended (what `LogReader::tail` said once the reader left it
    /// for a later segment); `None` while the reader is still in it.
    pub fn ended(&self) -> Option<Tail> {
        self.ended
    }
}

enum Source {
    Log { dir: PathBuf, name: String },
    Files,
}

/// Reads a rolling log's segments in order as one stream of records, across
/// rolls, gaps (reported in [`gaps`](LogReader::gaps)) and damage, and
/// follows a live log (`next_wait`). Takes no lock: it reads while a
/// [`LogWriter`](crate::LogWriter) appends. One thread at a time.
///
/// # Example
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("binlog-doc-logreader-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// use binlog::{LogOptions, LogReader, LogWriter};
///
/// let log = LogWriter::open(&dir, "orders", LogOptions::default())?;
/// log.write("order", b"42 widgets")?;
/// log.close()?;
///
/// let mut r = LogReader::open(&dir, "orders")?;
/// let rec = r.next()?.expect("one record");
/// assert_eq!(rec.payload, b"42 widgets");
/// assert!(r.next()?.is_none());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct LogReader {
    source: Source,
    /// Segment files in read order.
    files: Vec<PathBuf>,
    at: Place,
    /// See `segment_opens`.
    opens: u64,
    /// See `record_segment`.
    record_segment: Option<Box<ReadSegment>>,
    /// When the last record returned was the first of its segment: what
    /// `record_segment` was before it (see `forget_last_record`).
    before_record: Option<Option<Box<ReadSegment>>>,
    filter: Vec<String>,
    gaps: Vec<Gap>,
    skip_damaged: bool,
    decode_threads: Option<usize>,
    /// Damaged regions skipped in segments already left behind.
    damages: Vec<(PathBuf, Damage)>,
    /// The log directory as the last listing saw it: a follower at the end
    /// reads the directory again only once it changed.
    listing: Option<ListingStamp>,
    follow: Follow,
    /// The log's segments in a bucket (see `tier`), if it has some.
    tier: Option<Tier>,
    /// A remote segment a seek opened to look at (see `open_to_look`).
    looked_at: Option<(PathBuf, Reader)>,
    window: Option<TimeWindow>,
    passed_over: u64,
    /// Where the last seek put the reader (0: its first record): its
    /// position until a record past it is found (see `next_position`).
    seek_at: u64,
}

/// Where a log reader is in its files, and what it knows of the segments
/// it left: what a seek starts afresh (`position`).
#[derive(Default)]
struct Place {
    /// Index in `files` of the segment being read (or to read next).
    idx: usize,
    /// The last segment read to its end (or found removed): a re-listing
    /// resumes after it.
    last_done: Option<PathBuf>,
    current: Option<Reader>,
    /// See `left_segments`.
    left: Vec<(u64, Tail)>,
    /// The sequence number the next record should carry.
    expected: Option<u64>,
    /// The segment number of the last segment left, to tell a segment
    /// missing after it (`gap_after`).
    prev_segment: Option<u64>,
    /// A seek's target no record had reached: records below it, in this
    /// segment or later ones, are skipped (see `SeekTarget`).
    unreached: Option<SeekTarget>,
    /// The last gap's end is not known yet (a segment removed, or ending in
    /// a torn tail): the next segment opened completes it, rather than
    /// report the same loss a second time.
    open_gap: Option<OpenGap>,
}

impl LogReader {
    /// Reads log `name` in `dir`, every segment in write order. A log of
    /// which `dir` holds no file at all is `NotFound` naming `dir` and
    /// `name` (`segments::require_log`).
    pub fn open(dir: impl AsRef<Path>, name: &str) -> Result<LogReader> {
        LogReader::open_listed(dir.as_ref(), name, None)
    }

    /// `open`, with the log's remote tier `tier` if it has one.
    fn open_listed(dir: &Path, name: &str, tier: Option<Tier>) -> Result<LogReader> {
        super::options::validate_name(name)?;
        let source = Source::Log {
            dir: dir.to_path_buf(),
            name: name.to_string(),
        };
        let mut r = LogReader::new(source, Vec::new());
        r.tier = tier;
        r.refresh_files(false)?;
        segments::require_log(dir, name, !r.files.is_empty())?;
        Ok(r)
    }

    /// Reads the given segment files in the given order.
    pub fn open_files(files: Vec<PathBuf>) -> Result<LogReader> {
        if files.is_empty() {
            return Err(Error::invalid("no segment files given"));
        }
        Ok(LogReader::new(Source::Files, files))
    }

    /// Reads the files of `dir` whose names match `pattern` (`*`, `?`), in
    /// name order.
    pub fn open_glob(dir: impl AsRef<Path>, pattern: &str) -> Result<LogReader> {
        let dir = dir.as_ref();
        let files = segments::glob(dir, pattern)?;
        if files.is_empty() {
            let why = format!("no file matches {pattern:?}");
            return Err(Error::file(ErrorKind::NotFound, dir, why));
        }
        Ok(LogReader::new(Source::Files, files))
    }

    fn new(source: Source, files: Vec<PathBuf>) -> LogReader {
        LogReader {
            source,
            files,
            at: Place::default(),
            opens: 0,
            record_segment: None,
            before_record: None,
            filter: Vec::new(),
            gaps: Vec::new(),
            skip_damaged: false,
            decode_threads: None,
            damages: Vec::new(),
            listing: None,
            follow: Follow::default(),
            tier: None,
            looked_at: None,
            window: None,
            passed_over: 0,
            seek_at: 0,
        }
    }

    /// Reads log `name` in `dir` and its segments shipped to a bucket
    /// (`remote`, such as an `archive::RemoteLog`) as one stream: each
    /// segment from its local file if there is one, else from its object.
    /// Only read and list permissions on the bucket are needed.
    ///
    /// ```no_run
    /// use binlog::archive::{Connection, Location, Remote, RemoteLog};
    /// use binlog::LogReader;
    /// use std::sync::Arc;
    ///
    /// let at = Location::parse("s3://my-bucket/logs")?;
    /// let remote = Arc::new(Remote::connect(&at, &Connection::default())?);
    /// let mut r = LogReader::open_tiered("/var/log/app", "orders", RemoteLog::new(remote, "orders")?)?;
    /// while let Some(rec) = r.next()? {
    ///     println!("{} {}", rec.seq, rec.type_name);
    /// }
    /// # Ok::<(), binlog::Error>(())
    /// ```
    #[cfg(feature = "s3")]
    pub fn open_tiered(
        dir: impl AsRef<Path>,
        name: &str,
        remote: impl Archived + 'static,
    ) -> Result<LogReader> {
        if remote.log() != name {
            let why = format!("the remote log is {:?}, not {name:?}", remote.log());
            return Err(Error::invalid(why));
        }
        let tier = Tier::new(Box::new(remote));
        LogReader::open_listed(dir.as_ref(), name, Some(tier))
    }

    /// Reads the segments of a log shipped to a bucket (`remote`), in
    /// order, with no local directory. At the end, the bucket is listed
    /// again with backoff (`tier`), so that a follower
    /// (`next_wait`) reads the segments shipped since.
    #[cfg(feature = "s3")]
    pub fn open_remote(remote: impl Archived + 'static) -> Result<LogReader> {
        let mut tier = Tier::new(Box::new(remote));
        let files = tier.urls()?;
        let mut r = LogReader::new(Source::Files, files);
        r.tier = Some(tier);
        Ok(r)
    }

    /// Gaps met so far (oldest first).
    pub fn gaps(&self) -> &[Gap] {
        &self.gaps
    }

    /// Whether this read met records it could not return, by the one rule
    /// ([`records_missing`](crate::records_missing)): a gap that the log's
    /// accepted gaps (`binlog repair --accept-gap`) do not cover, or one of
    /// `damaged_regions` (those of `damages` that count: all of them for a
    /// read from the start).
    pub fn records_missing(&self, damaged_regions: usize) -> bool {
        let accepted = match &self.source {
            Source::Log { dir, name } if !self.gaps.is_empty() => {
                super::accepted_gaps::load(dir, name).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        let lost = self.gaps.iter().filter(|g| match (g.from_seq, g.to_seq) {
            (Some(from), Some(to)) if to > from => !accepted.iter().any(|a| a.covers(from, to - 1)),
            _ => true,
        });
        super::gap::records_missing(lost, damaged_regions)
    }

    /// The segment being read, if any.
    pub fn current_path(&self) -> Option<&Path> {
        self.at.current.as_ref().map(|r| r.path())
    }

    /// How many times a segment was opened for reading so far: while it
    /// stays the same, `current_path` and `current_header` describe the
    /// same segment.
    pub fn segment_opens(&self) -> u64 {
        self.opens
    }

    /// The header of the segment being read, if any (none before the first
    /// `next`).
    pub fn current_header(&self) -> Option<&crate::format::header::SegmentHeader> {
        self.at.current.as_ref().map(|r| r.header())
    }

    /// The mapping of the segment being read, if any (see
    /// `Reader::mapping`; for the C ABI's mapped reads).
    #[doc(hidden)]
    pub fn mapping(&self) -> Option<crate::reader::Mapping> {
        self.at.current.as_ref().map(|r| r.mapping())
    }

    /// How the current segment ended (see [`Tail`]).
    pub fn tail(&self) -> Tail {
        self.at.current.as_ref().map_or(Tail::Reading, |r| r.tail())
    }

    /// The segments the last `next` or `next_wait` call read to their end
    /// and left, oldest first: each one's `segment_opens` number and how
    /// it ended (what `tail` said of it). Empty after a seek.
    pub fn left_segments(&self) -> &[(u64, Tail)] {
        &self.at.left
    }

    /// The segment the last record returned came from; after a seek, until
    /// a record is returned, the segment the seek landed in. `None` before
    /// either, and after a seek that landed in no segment (all removed, or
    /// the newest still being created). It changes only with a record of a
    /// later segment; its `ended` then says how it ended.
    pub fn record_segment(&self) -> Option<&ReadSegment> {
        self.record_segment.as_deref()
    }

    /// How the segment `record_segment` describes ended, once the reader
    /// left it; otherwise `tail`.
    pub fn record_segment_tail(&self) -> Tail {
        self.record_segment
            .as_ref()
            .and_then(|s| s.ended)
            .unwrap_or_else(|| self.tail())
    }

    /// Takes back the last record returned, for `record_segment` (a caller
    /// that held it back and dropped it: `crate::HoldBack`). Only the first
    /// call after a record has an effect.
    pub fn forget_last_record(&mut self) {
        if let Some(before) = self.before_record.take() {
            self.record_segment = before;
        }
    }

    /// After a call that moved the reader: if it left the segment of the
    /// last record returned, notes how that one ended.
    fn note_left(&mut self) {
        let Some(s) = self.record_segment.as_mut() else {
            return;
        };
        if s.ended.is_none() && s.opens != self.opens {
            s.ended = self
                .at
                .left
                .iter()
                .find(|(opens, _)| *opens == s.opens)
                .map(|(_, tail)| *tail);
        }
    }

    /// After a record was returned from the segment being read: notes it as
    /// the last record's (copying its header only when the segment changed).
    fn note_record(&mut self) {
        let last = self.record_segment.as_ref();
        if last.is_some_and(|s| s.opens == self.opens) {
            self.before_record = None;
            return;
        }
        let here = self.here();
        self.before_record = Some(std::mem::replace(&mut self.record_segment, here));
    }

    /// After a seek (one that failed too): the segment it landed in.
    fn note_landed(&mut self) {
        self.record_segment = self.here();
        self.before_record = None;
    }

    /// The segment being read, as a `ReadSegment` not yet left.
    fn here(&self) -> Option<Box<ReadSegment>> {
        let r = self.at.current.as_ref()?;
        Some(Box::new(ReadSegment {
            opens: self.opens,
            path: r.path().to_path_buf(),
            header: r.header().clone(),
            ended: None,
        }))
    }

    /// Skip damaged regions in the middle of segments (see
    /// [`Reader::skip_damaged`]) instead of stopping with an error.
    pub fn skip_damaged(&mut self, skip: bool) {
        self.skip_damaged = skip;
        if let Some(r) = self.at.current.as_mut() {
            r.skip_damaged(skip);
        }
    }

    /// See [`Reader::decode_threads`].
    pub fn decode_threads(&mut self, threads: usize) {
        self.decode_threads = Some(threads);
        if let Some(r) = self.at.current.as_mut() {
            r.decode_threads(threads);
        }
    }

    /// The damaged regions skipped so far, with the segment each was in.
    pub fn damages(&self) -> Vec<(PathBuf, Damage)> {
        let mut all = self.damages.clone();
        if let Some(r) = &self.at.current {
            all.extend(r.damages().iter().map(|d| (r.path().to_path_buf(), *d)));
        }
        all
    }

    /// Only records of these types (empty: all types again).
    pub fn filter_types(&mut self, names: &[&str]) {
        self.filter = names.iter().map(|s| s.to_string()).collect();
        if let Some(r) = self.at.current.as_mut() {
            r.filter_types(names);
        }
    }

    /// The next record, or `None` at the end of the log for now (a live log
    /// may grow: call again, or use `next_wait`).
    // A lending iterator (records borrow the reader), so not `Iterator`.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Record<'_>>> {
        let found = self.next_found()?;
        Ok(found.map(|f| self.record_of(&f)))
    }

    /// `next`, leaving the record where it is (a merged reader holds one
    /// per log): `record_of` borrows it until the next call.
    pub(super) fn next_found(&mut self) -> Result<Option<Found>> {
        self.at.left.clear();
        let found = self.advance();
        self.returned(found)
    }

    /// What `advance` found, once `record_segment` is brought up to date.
    fn returned(&mut self, found: Result<Option<Found>>) -> Result<Option<Found>> {
        self.note_left();
        let found = found?;
        if found.is_some() {
            self.note_record();
        }
        Ok(found)
    }

    /// The record `next_found` found, while it is the last one found.
    pub(super) fn record_of(&self, found: &Found) -> Record<'_> {
        self.at.current.as_ref().expect("opened").record_at(found)
    }

    /// Like `next`, but at the end waits up to `timeout` for the writer to
    /// add records or roll to a new segment. Returns `None` on timeout. A
    /// record is returned only once whole: never a partial one.
    pub fn next_wait(&mut self, timeout: Duration) -> Result<Option<Record<'_>>> {
        self.at.left.clear();
        let found = self.wait_for_record(timeout);
        let found = self.returned(found)?;
        Ok(found.map(|f| self.record_of(&f)))
    }

    /// `advance`, waiting up to `timeout` at the end: on the log's
    /// directory (`crate::reader::watch`), or for a log read from its bucket alone,
    /// for its next listing (`tier`'s backoff).
    fn wait_for_record(&mut self, timeout: Duration) -> Result<Option<Found>> {
        if let Some(f) = self.advance()? {
            self.follow.found();
            return Ok(Some(f));
        }
        let dir = self.follow_dir();
        let mut follow = std::mem::take(&mut self.follow);
        let pause = |r: &LogReader| {
            r.listing_due_in()
                .map_or(Duration::MAX, |d| d.max(LEAST_PAUSE))
        };
        let found = wait_in_steps(self, &mut follow, timeout, dir.as_deref(), pause, |r| {
            r.advance()
        });
        self.follow = follow;
        found
    }

    /// Whether the log is read from its bucket alone (`open_remote`).
    fn reads_bucket_alone(&self) -> bool {
        matches!(self.source, Source::Files) && self.tier.is_some()
    }

    /// The directory a follower of this log watches for its writer
    /// (`watched_dir`); `None` for a log read from its bucket alone.
    pub(super) fn follow_dir(&self) -> Option<PathBuf> {
        (!self.reads_bucket_alone()).then(|| self.watched_dir())
    }

    /// For a log read from its bucket alone: how long until its next
    /// listing is due; `None` for another log.
    pub(super) fn listing_due_in(&self) -> Option<Duration> {
        if !self.reads_bucket_alone() {
            return None;
        }
        self.tier.as_ref().map(|t| t.next_listing_in())
    }

    /// The directory a follower watches: the log's (for a list of files,
    /// the last one's, where it really is if the name is a symlink).
    fn watched_dir(&self) -> PathBuf {
        match &self.source {
            Source::Log { dir, .. } => dir.clone(),
            Source::Files => self.files.last().map_or_else(
                || PathBuf::from("."),
                |f| {
                    let real = std::fs::canonicalize(f).unwrap_or_else(|_| f.clone());
                    parent_dir(&real).to_path_buf()
                },
            ),
        }
    }

    /// A descriptor to poll for the log's new records: readable when it
    /// may have some, in its current segment or a new one (see
    /// [`crate::ChangeFd`] for how to use it).
    pub fn change_fd(&self) -> Result<crate::ChangeFd> {
        crate::ChangeFd::new(&self.watched_dir(), Watched::Dir)
    }

    /// A reader of the segment at `path`, with this reader's type filter
    /// and damage policy (skipping damage reads past a damaged header too).
    fn open_reader(&self, path: &Path) -> Result<Reader> {
        let mut r = match &self.tier {
            Some(tier) if remote_order(path).is_some() => {
                tier.log.open_url(path, self.skip_damaged)?
            }
            _ if self.skip_damaged => Reader::open_salvage(path)?,
            _ => Reader::open(path)?,
        };
        let names: Vec<&str> = self.filter.iter().map(|s| s.as_str()).collect();
        r.filter_types(&names);
        r.skip_damaged(self.skip_damaged);
        if let Some(threads) = self.decode_threads {
            r.decode_threads(threads);
        }
        Ok(r)
    }

    fn is_live_newest(&self, i: usize) -> bool {
        self.is_log() && i + 1 == self.files.len()
    }

    fn is_log(&self) -> bool {
        matches!(self.source, Source::Log { .. })
    }

    /// Positions the reader at the first record with a sequence number of at
    /// least `seq`, skipping whole segments by their first sequence numbers.
    pub fn seek_seq(&mut self, seq: u64) -> Result<()> {
        let done = self.position_at_seq(seq);
        self.note_landed();
        // Failed, the reader stands at no known record: its position is the
        // log's start (a commit then gives records again, never skips them).
        self.seek_at = if done.is_ok() { seq } else { 0 };
        done
    }

    /// Positions the reader at the log's end as it is now, where every
    /// follow "from the end" starts (`binlog tail -f -n 0`; the C ABI's
    /// `binlog_reader_seek_seq(UINT64_MAX)` is this seek): the next record
    /// returned is the first one written after this call, however many
    /// segments later. Returns that record's sequence number; `None` for a
    /// log with no readable record yet (no segment, or only one being
    /// created), which is then read from its first record.
    pub fn seek_end(&mut self) -> Result<Option<u64>> {
        // The newest segment that opens, read to its end: a target of
        // u64::MAX stays pending for no later record.
        self.seek_seq(u64::MAX)?;
        let end = self.at.current.as_ref().map(|r| r.next_seq());
        self.seek_at = end.unwrap_or(0);
        Ok(end)
    }

    /// Positions the reader at the first record, in write order, whose
    /// timestamp is at least `ts_ns`; sealed segments whose newest record is
    /// older are skipped without reading them.
    pub fn seek_time(&mut self, ts_ns: i64) -> Result<()> {
        let done = self.position_at_time(ts_ns);
        self.note_landed();
        self.seek_at = 0;
        done
    }
}
