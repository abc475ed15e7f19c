//! Opening a log: the segment files found are the truth. Older segments
//! without a seal are sealed, the newest is resumed (or sealed if it is
//! ending), and the next segment follows a sealed one.

#[cfg(feature = "compression")]
use super::compress;
use super::found::{
    empty_segment_first_seq, header_first_seq, numbers_held_aside, remove_segment_file, summarize,
};
use super::seal::seal_found_segment;
use super::{segment_options, Ending, Events, LogWriter, Sealed, Shared, State, LAST_LOG_ID};
use crate::error::{Error, ErrorKind, Result};
use crate::format::naming;
use crate::log::age_clock::AgeClock;
use crate::log::events::{SegmentEvent, SegmentInfo};
use crate::log::options::{validate_name, LogOptions};
use crate::log::position::{self, Position};
use crate::log::segments::{self, SegmentFile};
use crate::reader::Reader;
use crate::writer::{options::Durability, Recycled, Writer};
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// The log's background thread (time rolls, retention, background seals
/// and manifests) and its compressing thread.
pub(super) const ROLLER: &str = "binlog-roller";
pub(super) const COMPRESSOR: &str = "binlog-compress";

thread_local! {
    /// On a log's thread started by `Shared::spawn`: the log's
    /// `Shared::id` and the thread's name.
    static BACKGROUND_OF: std::cell::Cell<(u64, &'static str)> =
        const { std::cell::Cell::new((0, "")) };
}

impl LogWriter {
    /// Opens log `name` in `dir` (created if missing) for appending.
    pub fn open(dir: impl AsRef<Path>, name: &str, opts: LogOptions) -> Result<LogWriter> {
        opts.validate()?;
        // This log's chain, whoever else signs with the same key.
        #[cfg(feature = "sign")]
        let opts = LogOptions {
            segment: crate::writer::options::Options {
                signing: (opts.segment.signing.as_ref()).map(|s| s.new_chain(dir.as_ref(), name)),
                ..opts.segment
            },
            ..opts
        };
        validate_name(name)?;
        let dir = dir.as_ref().to_path_buf();
        if std::fs::metadata(&dir).is_ok_and(|m| !m.is_dir()) {
            return Err(segments::not_a_directory(&dir));
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| segments::dir_error(&dir, "create log directory", e))?;
        // Before anything is looked at or changed: a second writer must not
        // seal, remove or resume segments the first one is working on.
        let lock = lock_log(&dir, name)?;
        #[cfg(feature = "compression")]
        compress::finish_interrupted(&dir, name, &opts.compression.unwrap_or_default())?;
        let mut found = Found::in_dir(&dir, name, &opts)?;
        let shared = Shared::new(dir, name, opts, lock, &mut found);
        if shared.opts.segment.durability != Durability::None {
            // What the policy promises for the records found. Before the
            // current segment opens, so that a failure here leaves it as it
            // was (a writer dropped on the error path would seal it).
            shared.sync_older()?;
        }
        let mut events = found.sealed_now;
        shared.start_writing(found.resume, found.next_first, &mut events)?;
        shared.dispatch(events);
        let roller = shared.spawn(shared.opts.background, ROLLER, Shared::roller_loop)?;
        let writer = LogWriter {
            shared,
            roller: Mutex::new(roller),
            compressor: Mutex::new(None),
        };
        // Dropped on failure: the writer closes, its roller stopped.
        #[cfg(feature = "compression")]
        {
            let s = &writer.shared;
            let wanted = s.opts.compression.is_some() && s.opts.background;
            *writer.compressor.lock() = s.spawn(wanted, COMPRESSOR, Shared::compressor_loop)?;
        }
        Ok(writer)
    }
}

/// What opening a log found in its directory, once every older segment is
/// sealed.
#[derive(Default)]
struct Found {
    /// Every sealed segment, oldest first.
    sealed: VecDeque<Sealed>,
    /// The SEALED events of the segments this open sealed.
    sealed_now: Vec<SegmentEvent>,
    /// The newest segment, found without a seal.
    resume: Option<SegmentFile>,
    /// The sequence number after the last sealed segment's records.
    next_first: u64,
    /// Above every number the bytes cut from the segments sealed by this
    /// open held (`seal_found_segment`).
    numbers_past: u64,
    /// The position the manifest recorded: the log goes on no lower.
    floor: Position,
}

impl Found {
    /// Lists log `name`'s segments in `dir`, reads the position its
    /// manifest records, seals the older segments found without a seal
    /// (and the newest too if the recorded position is past it), and
    /// removes an empty one that a failed roll left.
    fn in_dir(dir: &Path, name: &str, opts: &LogOptions) -> Result<Found> {
        // The files first, then the manifest: a shipper records a position
        // in the manifest before it removes a segment, so a segment gone
        // from this listing is in the manifest read after it.
        let files = segments::list(dir, name)?;
        let floor = position::recorded(dir, name, !files.is_empty())?;
        let summaries = files
            .iter()
            .map(|f| summarize(&f.path, f.segment_no, name))
            .collect::<Result<Vec<_>>>()?;
        // A segment found without a seal is resumed only if it is the
        // newest and the recorded position is not past it (a directory put
        // back from a backup): else it is sealed as an older one. First each
        // is checked to be one that can be, so that a refusal leaves every
        // file as it was.
        let older = |i: usize| i + 1 < files.len() || files[i].segment_no < floor.segment_no;
        let unsealed_older = (0..files.len()).filter(|&i| summaries[i].is_none() && older(i));
        for i in unsealed_older {
            crate::writer::check_log_segment(&files[i].path).map_err(|e| not_resealed(e, true))?;
        }
        let mut found = Found {
            next_first: opts.first_seq,
            floor,
            ..Found::default()
        };
        for (i, (f, summary)) in files.iter().zip(summaries).enumerate() {
            let next = files.get(i + 1);
            found.take(f, summary, (next, older(i)), name, opts)?;
        }
        follow_chain(opts, found.sealed.back());
        // (A resumed segment's header says where it starts; this is the
        // start of a new one, or of one whose header was torn.) A log with
        // no segment file left but a recorded position, or whose only
        // segment a crash left unsealed, is no new log: `first_seq` is not
        // its to take. Never below a number that files beside the segments
        // hold, whatever step of a recovery (this open's, or one a crash
        // cut short) made them.
        let aside = numbers_held_aside(dir, name)?;
        if files.is_empty() && floor != Position::default() {
            found.next_first = 0;
        }
        let only_resumed = found.resume.as_ref().filter(|_| found.sealed.is_empty());
        if let Some(first) = only_resumed.and_then(|f| header_first_seq(&f.path)) {
            found.next_first = first;
        }
        let held = [floor.seq, found.numbers_past, aside];
        found.next_first = held.into_iter().fold(found.next_first, u64::max);
        Ok(found)
    }

    /// Takes segment `f` (followed by `next`, unless it is the newest), as
    /// `summarize` found it; `older`: one to seal if found without a seal.
    fn take(
        &mut self,
        f: &SegmentFile,
        mut summary: Option<Sealed>,
        (next, older): (Option<&SegmentFile>, bool),
        name: &str,
        opts: &LogOptions,
    ) -> Result<()> {
        // An empty segment that starts before the one before ends: a failed
        // roll's leftover, which resumed or sealed would number records
        // twice. One that starts after it is kept: the segment before lost
        // records whose numbers were given out (a reader reports the gap).
        if summary.is_none()
            && !self.sealed.is_empty()
            && empty_segment_first_seq(&f.path)?.is_some_and(|first| first < self.next_first)
        {
            return remove_segment_file(&f.path);
        }
        if summary.is_none() && older {
            // A segment whose header was torn starts afresh, empty: at most
            // where the next one starts.
            let first = next
                .and_then(|n| header_first_seq(&n.path))
                .map_or(self.next_first, |n| n.min(self.next_first));
            let seg_opts = segment_options(opts, name, f.segment_no, first);
            follow_chain(opts, self.sealed.back());
            let (_, past) =
                seal_found_segment(&f.path, seg_opts).map_err(|e| not_resealed(e, false))?;
            self.numbers_past = self.numbers_past.max(past);
            summary = summarize(&f.path, f.segment_no, name)?;
            if let Some(s) = &summary {
                let info = SegmentInfo::of_sealed(&s.path, &s.entry);
                self.sealed_now.push(SegmentEvent::Sealed(info));
            }
        }
        match summary {
            Some(sealed) => {
                // Never below a number that bytes a recovery cut hold: a
                // salvage of them must not meet it again.
                let e = &sealed.entry;
                self.next_first = (e.first_seq + e.record_count).max(self.numbers_past);
                self.sealed.push_back(sealed);
                Ok(())
            }
            None if !older => {
                self.resume = Some(f.clone());
                Ok(())
            }
            None => {
                let why = "still without a seal after sealing";
                let e = Error::file(ErrorKind::Corrupt, &f.path, why);
                Err(not_resealed(e, false))
            }
        }
    }
}

/// A signed log's next seal follows `newest`, its newest sealed segment.
fn follow_chain(opts: &LogOptions, newest: Option<&Sealed>) {
    #[cfg(feature = "sign")]
    if let Some(signing) = &opts.segment.signing {
        signing.follow(newest.map(|s| s.path.as_path()));
    }
    #[cfg(not(feature = "sign"))]
    let _ = (opts, newest);
}

impl Shared {
    /// The log's shared state, taking the sealed segments `found`.
    fn new(
        dir: PathBuf,
        name: &str,
        opts: LogOptions,
        lock: std::fs::File,
        found: &mut Found,
    ) -> Arc<Shared> {
        let sealed = std::mem::take(&mut found.sealed);
        // Found on disk, the older segments' records may be only in the
        // page cache: not durable until synced.
        let unsynced: Vec<(u64, PathBuf)> = sealed
            .iter()
            .map(|s| (s.entry.first_seq, s.path.clone()))
            .collect();
        Arc::new(Shared {
            id: LAST_LOG_ID.fetch_add(1, Ordering::Relaxed) + 1,
            dir,
            name: name.to_string(),
            ages: AgeClock::new(&opts.clock, opts.system_clock()),
            callbacks: Mutex::new(opts.callbacks.clone()),
            opts,
            state: Mutex::new(State {
                floor: found.floor,
                sealed,
                unsynced,
                ..State::default()
            }),
            events: Mutex::new(Events::default()),
            stop: Mutex::new(false),
            stop_cv: Condvar::new(),
            manifest_due: AtomicBool::new(false),
            seal_due: AtomicBool::new(false),
            manifest_written: Mutex::new(0),
            sealer: Mutex::new(()),
            closing: Mutex::new(()),
            lock: Mutex::new(Some(lock)),
            deferred: Mutex::new(Vec::new()),
        })
    }

    /// Makes the log's current segment: the newest one found (`resume`)
    /// if it is active, else a new one after the last sealed segment; then
    /// erases the keys of the epochs over and writes the manifest.
    fn start_writing(
        &self,
        resume: Option<SegmentFile>,
        next_first: u64,
        events: &mut Vec<SegmentEvent>,
    ) -> Result<()> {
        let mut st = self.state.lock();
        let next_first = match resume {
            Some(f) => self.resume_newest(&mut st, &f, next_first, events)?,
            None => Some(next_first),
        };
        if let Some(next_first) = next_first {
            let last = st.sealed.back().map(|s| s.entry.segment_no);
            let no = last.map_or(Ok(0), |n| self.segment_after(n))?;
            // Never below the position recorded: the segments it came from
            // may all be gone (retention, a shipper, deleted by hand).
            let no = no.max(st.floor.segment_no);
            let first = next_first.max(st.floor.seq);
            let now = (self.opts.clock)();
            let (w, opened) = self.create_segment(&mut st, no, first, Recycled::default(), now)?;
            self.switch_to(&mut st, w, now);
            events.push(SegmentEvent::Opened(opened));
        }
        #[cfg(feature = "sign")]
        self.erase_past_epochs(&st);
        self.store_manifest(&mut st, false)
    }

    /// Starts thread `name` of the log running `run`, if `wanted`.
    pub(super) fn spawn(
        self: &Arc<Shared>,
        wanted: bool,
        name: &'static str,
        run: fn(&Shared),
    ) -> Result<Option<JoinHandle<()>>> {
        if !wanted {
            return Ok(None);
        }
        let s = Arc::clone(self);
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                BACKGROUND_OF.with(|b| b.set((s.id, name)));
                run(&s)
            })
            .map(Some)
            .map_err(|e| Error::io(&self.dir, &format!("start thread {name}"), e))
    }

    /// Whether the calling thread is this log's thread `name` (`spawn`).
    /// (Not `thread::current()`: on a C caller's thread that allocates a
    /// handle that lives until the thread ends, which valgrind reports as
    /// lost.)
    pub(super) fn on_thread(&self, name: &str) -> bool {
        BACKGROUND_OF.with(|b| b.get() == (self.id, name))
    }

    /// Goes on in the log's newest segment `f`, found without a seal, and
    /// returns `None`; if it is ending, seals it instead and returns the
    /// first sequence number of the next segment, which the caller starts.
    /// So too if its recovery cut
    /// bytes holding numbers past its records, or `next_first` is past
    /// them: a segment's numbers never jump (docs/FORMAT.md section 12);
    /// and if its header holds other type schemas than the options: each
    /// record is read by the schemas of its segment's header.
    pub(super) fn resume_newest(
        &self,
        st: &mut State,
        f: &segments::SegmentFile,
        next_first: u64,
        events: &mut Vec<SegmentEvent>,
    ) -> Result<Option<u64>> {
        let w = Writer::open_log_segment(&f.path, self.segment_options(f.segment_no, next_first))?;
        let first_seq = w.first_seq;
        let past = w.numbers_past().max(next_first);
        if past > w.next_seq() {
            // Before the seal: from then on only this record holds the
            // number up.
            let pos = Position::new(f.segment_no + 1, past);
            if let Err(e) = position::record_before_removal(&self.dir, &self.name, pos, None) {
                // Unsealed, its backup holds the numbers up for the next
                // open.
                w.close_unsealed();
                return Err(e);
            }
            st.floor = st.floor.max(pos);
        }
        let header = Reader::open(&f.path).map(|r| r.header().clone());
        let other_schemas = header
            .as_ref()
            .is_ok_and(|h| h.schemas != self.opts.segment.schemas);
        if w.is_ending() || past > w.next_seq() || other_schemas {
            let ending = Ending::of_current(Arc::new(w));
            let done = ending.seal(self)?;
            let next_first = (first_seq + done.0).max(past);
            self.sealed(st, ending, done, events);
            if self.opts.segment.durability == Durability::None {
                st.unsynced.push((first_seq, f.path.clone()));
            }
            return Ok(Some(next_first));
        }
        let created = header.map_or_else(|_| (self.opts.clock)(), |h| h.created_ns);
        st.period_start = self.period_of(created);
        st.current = Some(Arc::new(w));
        Ok(None)
    }
}

/// Says what an older segment that could not be sealed needs (not when
/// another writer holds it: that is not damage). `checked`: refused by the
/// check that runs before any segment is changed.
pub(super) fn not_resealed(e: Error, checked: bool) -> Error {
    if e.kind() == ErrorKind::Locked {
        return e;
    }
    let changed = match checked {
        true => "nothing was changed",
        false => "older segments before it may have been sealed",
    };
    e.with_detail(|d| {
        format!(
            "{d} (an older segment of the log, found without its seal, could not be sealed; \
             {changed}; `binlog repair --dry-run` shows the options)"
        )
    })
}

/// Takes the lock of log `name` in `dir` (`naming::lock_path`), creating
/// the file if needed: one writer per log (between sealing one segment and
/// creating the next a roll holds no segment lock). An flock, released by
/// the kernel when a killed writer's process ends.
pub(super) fn lock_log(dir: &Path, name: &str) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = naming::lock_path(dir, name);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .open(&path)
        .map_err(|e| Error::io(&path, "open log lock", e))?;
    let held = format!(
        "another writer (in this or another process) has log {name} ({name}-*.binlog) open"
    );
    crate::sys::lock_exclusive(&file, &path, crate::sys::LOCK_PATIENCE, "lock", held)?;
    Ok(file)
}
