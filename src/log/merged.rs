//! Many logs read as one stream ordered by time ([`MergedReader`]): each
//! log's records in its own order; across logs, at each step the smallest
//! (timestamp, log name, sequence number) of the logs' next records. A log
//! whose timestamps go backwards is not reordered (the stream is then not
//! sorted by time at that place; every record still comes once).
//!
//! Following many live logs (`next_wait`): the log directory of the local
//! logs is watched as a `LogReader::next_wait` watches its own
//! (`crate::reader::watch`: polling while writers are active, blocking on the notifier
//! once quiet). Logs read from a bucket alone are looked at again when
//! their next listing is due (the same backoff as their own follower:
//! `reader/tier.rs`); logs in a directory other than the first local log's
//! are looked at every `OTHER_DIR_PAUSE`. The logs of a directory are
//! taken by name pattern (`open_dir`: `*` any run, `?` one character).

use super::gap::Gap;
use super::reader::{LogReader, LEAST_PAUSE};
use super::segments::logs_in;
use crate::error::{Error, ErrorKind, Result};
use crate::reader::watch::{wait_in_steps, Follow};
use crate::reader::{Damage, Found, Record};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A record of a merged read, with the name of its log.
#[derive(Debug)]
pub struct MergedRecord<'a> {
    /// The log's name (as given to `MergedReader::new`).
    pub log: &'a str,
    /// The record.
    pub record: Record<'a>,
}

/// One log of a merged read: its reader and the next record it found.
struct Member {
    name: String,
    reader: LogReader,
    /// The record found next, not returned yet (a log has one in the
    /// heap while it has one here).
    head: Option<Found>,
    /// Its reader returned an error: it is read no further.
    failed: bool,
}

/// Reads many logs as one stream ordered by (timestamp, log name,
/// sequence number) (see the module doc). Each log is read by its own
/// [`LogReader`], whose gaps and damage are reported with the log's name;
/// [`next_wait`](MergedReader::next_wait) follows live logs. One thread at
/// a time.
pub struct MergedReader {
    /// By name: a log's place here breaks ties between equal timestamps.
    logs: Vec<Member>,
    /// The logs with a record found: (timestamp, place in `logs`, seq).
    heap: BinaryHeap<Reverse<(i64, usize, u64)>>,
    /// The log whose record was returned last (see `record_path`).
    returned: Option<usize>,
    /// The logs whose next record is to be found before the next one is
    /// chosen: every log at first, then the one returned last.
    pending: Vec<usize>,
    /// The last `next` returned `None`: the next one looks at every log
    /// again (not each call).
    at_end: bool,
    follow: Follow,
}

impl MergedReader {
    /// Merges `logs`, each a log's name and its reader (set up as wanted).
    /// Two logs of the same name are refused.
    pub fn new(logs: Vec<(String, LogReader)>) -> Result<MergedReader> {
        let mut logs: Vec<Member> = logs
            .into_iter()
            .map(|(name, reader)| Member {
                name,
                reader,
                head: None,
                failed: false,
            })
            .collect();
        logs.sort_by(|a, b| a.name.cmp(&b.name));
        let n = logs.len();
        if let Some(w) = logs.windows(2).find(|w| w[0].name == w[1].name) {
            let twice = &w[0].name;
            let why = format!("log {twice:?} is given twice to the merged reader");
            return Err(Error::invalid(why));
        }
        Ok(MergedReader {
            logs,
            heap: BinaryHeap::new(),
            returned: None,
            pending: (0..n).rev().collect(),
            at_end: false,
            follow: Follow::default(),
        })
    }

    /// `LogReader::time_window` for every log. Call before the first
    /// `next`.
    pub fn time_window(&mut self, from_ns: Option<i64>, to_ns: Option<i64>) -> Result<()> {
        for m in &mut self.logs {
            m.reader.time_window(from_ns, to_ns)?;
        }
        Ok(())
    }

    /// Skips damaged regions in every log (`LogReader::skip_damaged`).
    pub fn skip_damaged(&mut self, skip: bool) {
        for m in &mut self.logs {
            m.reader.skip_damaged(skip);
        }
    }

    /// The logs' names, sorted.
    pub fn log_names(&self) -> impl Iterator<Item = &str> {
        self.logs.iter().map(|m| m.name.as_str())
    }

    /// The next record in merged order, or `None` once every log is read
    /// to its end for now. An error of one log's reader is returned as it
    /// is: that log is read no further, and the next call goes on with the
    /// others.
    // A lending iterator (records borrow the reader), so not `Iterator`.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<MergedRecord<'_>>> {
        if std::mem::take(&mut self.at_end) {
            self.look_again();
        }
        self.find_pending()?;
        self.at_end = self.heap.is_empty();
        Ok(self.pop())
    }

    /// Puts every log at its end (no record found, and no error) among
    /// those whose next record is to be found.
    fn look_again(&mut self) {
        for (i, m) in self.logs.iter().enumerate() {
            if m.head.is_none() && !m.failed && !self.pending.contains(&i) {
                self.pending.push(i);
            }
        }
    }

    /// Finds the next record of every log in `pending`.
    fn find_pending(&mut self) -> Result<()> {
        while let Some(i) = self.pending.pop() {
            self.find_next(i)?;
        }
        Ok(())
    }

    /// Returns the smallest record found.
    fn pop(&mut self) -> Option<MergedRecord<'_>> {
        let Reverse((_, i, _)) = self.heap.pop()?;
        self.returned = Some(i);
        self.pending.push(i);
        let m = &self.logs[i];
        let found = m.head.as_ref().expect("a log in the heap has a record");
        Some(MergedRecord {
            log: &m.name,
            record: m.reader.record_of(found),
        })
    }

    /// Finds log `i`'s next record and puts the log in the heap if there
    /// is one; an error marks the log failed.
    fn find_next(&mut self, i: usize) -> Result<()> {
        let m = &mut self.logs[i];
        m.head = None;
        m.head = m.reader.next_found().inspect_err(|_| m.failed = true)?;
        if let Some(f) = &m.head {
            self.heap.push(Reverse((f.timestamp_ns, i, f.seq)));
        }
        Ok(())
    }

    /// Applies `f` to each log's name and reader, before the first `next`
    /// (a consumer puts each where it goes on).
    pub(crate) fn each_log(
        &mut self,
        mut f: impl FnMut(&str, &mut LogReader) -> Result<()>,
    ) -> Result<()> {
        self.logs
            .iter_mut()
            .try_for_each(|m| f(&m.name, &mut m.reader))
    }

    /// Where the merged reader stands in each log (log name, sequence
    /// number it reads on at): a record found but not returned yet counts
    /// as not read. What a merged consumer commits and its token holds.
    pub fn positions(&self) -> Vec<(String, u64)> {
        let returned_last = |i: usize| self.pending.contains(&i);
        let at = |(i, m): (usize, &Member)| match &m.head {
            Some(f) if !returned_last(i) => f.seq,
            _ => m.reader.next_position(),
        };
        let seqs = self.logs.iter().enumerate().map(at);
        self.logs.iter().map(|m| m.name.clone()).zip(seqs).collect()
    }

    /// The position token of `positions`, for `seek_position`.
    pub fn position_token(&self) -> String {
        super::token::encode(&self.positions())
    }

    /// Positions each log the token names where it says (`resume_at`);
    /// the others stay where they are. `InvalidArgument` for a token
    /// that names a log not merged here (the token is wrong, not the log).
    pub fn seek_position(&mut self, token: &str) -> Result<()> {
        let mut named = Vec::new();
        for (log, seq) in super::token::decode(token)? {
            let Some(i) = self.logs.iter().position(|m| m.name == log) else {
                return Err(Error::invalid(format!(
                    "position token {token:?} names log {log}, which is not merged here"
                )));
            };
            named.push((i, seq));
        }
        // The record returned last is behind its reader: not found again.
        for i in self.pending.drain(..) {
            self.logs[i].head = None;
        }
        for (i, seq) in named {
            self.logs[i].head = None;
            self.logs[i].reader.resume_at(seq)?;
        }
        // The others keep the record they found and had not returned.
        let heads = self.logs.iter().enumerate();
        let found = heads.filter_map(|(i, m)| m.head.as_ref().map(|f| (i, f)));
        self.heap = found
            .map(|(i, f)| Reverse((f.timestamp_ns, i, f.seq)))
            .collect();
        self.look_again();
        self.pending.reverse();
        self.returned = None;
        self.at_end = false;
        Ok(())
    }

    /// Every log's gaps met so far, with the log's name.
    pub fn gaps(&self) -> Vec<(&str, &Gap)> {
        self.logs
            .iter()
            .flat_map(|m| m.reader.gaps().iter().map(|g| (m.name.as_str(), g)))
            .collect()
    }

    /// Whether the read met records it could not return in any log
    /// ([`LogReader::records_missing`], every damaged region counted).
    pub fn records_missing(&self) -> bool {
        let lost = |r: &LogReader| r.records_missing(r.damages().len());
        self.logs.iter().any(|m| lost(&m.reader))
    }

    /// Every log's damaged regions skipped so far, with the log's name and
    /// the segment each was in.
    pub fn damages(&self) -> Vec<(&str, PathBuf, Damage)> {
        let mut all = Vec::new();
        for m in &self.logs {
            let name = m.name.as_str();
            all.extend(m.reader.damages().into_iter().map(|(p, d)| (name, p, d)));
        }
        all
    }

    /// `LogReader::segment_opens` over every log.
    pub fn segments_read(&self) -> u64 {
        self.logs.iter().map(|m| m.reader.segment_opens()).sum()
    }

    /// `LogReader::segments_passed_over` over every log.
    pub fn segments_passed_over(&self) -> u64 {
        self.logs
            .iter()
            .map(|m| m.reader.segments_passed_over())
            .sum()
    }

    /// The segment of the last record returned, with its log's name.
    pub fn record_path(&self) -> Option<(&str, &Path)> {
        let m = &self.logs[self.returned?];
        Some((&m.name, m.reader.record_segment()?.path()))
    }

    /// The schema of type `type_name` in the header of the segment the
    /// last record returned came from (its own log's).
    pub fn type_schema(&self, type_name: &str) -> Option<&crate::TypeSchema> {
        let m = &self.logs[self.returned?];
        m.reader.record_segment()?.header().type_schema(type_name)
    }
}

/// How often logs in a directory other than the watched one are looked at.
const OTHER_DIR_PAUSE: Duration = Duration::from_millis(20);

impl MergedReader {
    /// Like `next`, but when no log has a record waits up to `timeout` for
    /// one to be written to any log (or shipped), and returns `None` on
    /// timeout. No record is held back for a log that has none yet: a
    /// slower log's record comes as soon as it is found, even after later
    /// timestamps of other logs.
    pub fn next_wait(&mut self, timeout: Duration) -> Result<Option<MergedRecord<'_>>> {
        if !self.attempt()? && !self.wait_for_any(timeout)? {
            return Ok(None);
        }
        Ok(self.pop())
    }

    /// Looks again at every log at its end; true if some log has a record.
    fn attempt(&mut self) -> Result<bool> {
        self.look_again();
        self.find_pending()?;
        Ok(!self.heap.is_empty())
    }

    /// Waits up to `timeout` for a record in any log; true once there is.
    fn wait_for_any(&mut self, timeout: Duration) -> Result<bool> {
        let watched = self.watched_dir();
        // Taken out while `attempt` borrows the reader.
        let mut follow = std::mem::take(&mut self.follow);
        let pause = |m: &MergedReader| m.unwatched_pause(watched.as_ref());
        let attempt = |m: &mut MergedReader| m.attempt().map(|any| any.then_some(()));
        let found = wait_in_steps(
            self,
            &mut follow,
            timeout,
            watched.as_deref(),
            pause,
            attempt,
        );
        self.follow = follow;
        Ok(found?.is_some())
    }
    /// The directory watched: the first local log's (`None` if every log
    /// is read from a bucket alone).
    fn watched_dir(&self) -> Option<PathBuf> {
        self.logs.iter().find_map(|m| m.reader.follow_dir())
    }

    /// The longest step of a wait on `watched` before the logs it does not
    /// cover are looked at again (`Duration::MAX`: none).
    fn unwatched_pause(&self, watched: Option<&PathBuf>) -> Duration {
        let mut pause = Duration::MAX;
        for m in &self.logs {
            if let Some(due) = m.reader.listing_due_in() {
                pause = pause.min(due.max(LEAST_PAUSE));
            } else if m.reader.follow_dir().as_ref() != watched {
                pause = pause.min(OTHER_DIR_PAUSE);
            }
        }
        pause
    }
}

impl MergedReader {
    /// Every log in `dir` whose name matches `pattern`, merged. None
    /// matching is `NotFound` naming `dir` and the pattern.
    pub fn open_dir(dir: impl AsRef<Path>, pattern: &str) -> Result<MergedReader> {
        let dir = dir.as_ref();
        let names = logs_in(dir, pattern, "list directory")?;
        if names.is_empty() {
            return Err(no_log_matches(dir, pattern));
        }
        let logs = names
            .into_keys()
            .map(|name| LogReader::open(dir, &name).map(|r| (name, r)))
            .collect::<Result<Vec<_>>>()?;
        MergedReader::new(logs)
    }
}

/// The error of a merged read that finds no log matching `pattern` in
/// `place` (a directory, or a bucket's prefix).
pub(crate) fn no_log_matches(place: &Path, pattern: &str) -> Error {
    let why = format!("no log's name matches {pattern:?}");
    Error::file(ErrorKind::NotFound, place, why)
}
