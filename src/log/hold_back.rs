//! A reader that can hold back a record it returned, and return it again
//! first: for a caller that copies records into a buffer of its own and
//! meets one that does not fit (the C API's batch reads).

use crate::error::Result;
use crate::format::header::SegmentHeader;
use crate::log::record_reader::{forward, RecordReader};
use crate::log::Gap;
use crate::reader::{Damage, Mapping, OwnedRecord, Record, Tail};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A reader (of a segment or a log) that can hold back the record it
/// returned last: the next `next` or `next_wait` returns it first. While
/// held it counts as returned (`segment_header` describes its segment,
/// which it may have started) and `segment_tail` is `Reading`; a seek drops
/// it, and so does a type filter that excludes it (then the record before
/// it counts as the last one returned again).
pub struct HoldBack {
    reader: Box<dyn RecordReader>,
    /// The record held back. Boxed, as is `shown`: a call that finds none
    /// moves a pointer, not a record.
    held: Option<Box<OwnedRecord>>,
    /// The held record `next` returned last, which its view borrows.
    shown: Option<Box<OwnedRecord>>,
}

impl HoldBack {
    /// Wraps `reader`, holding nothing back yet.
    pub fn new(reader: impl RecordReader + 'static) -> HoldBack {
        HoldBack {
            reader: Box::new(reader),
            held: None,
            shown: None,
        }
    }

    /// Holds back `record`, which must be the one `next` or `next_wait`
    /// returned last, to return it again.
    pub fn hold_back(&mut self, record: OwnedRecord) {
        self.held = Some(Box::new(record));
    }

    /// Moves the record held back, if any, to `shown`, for `next` and
    /// `next_wait` to return first; true if there is one.
    #[inline]
    fn show_held(&mut self) -> bool {
        if self.held.is_none() && self.shown.is_none() {
            return false;
        }
        self.shown = self.held.take();
        self.shown.is_some()
    }

    /// The record `show_held` moved to `shown`.
    fn shown(&self) -> Option<Record<'_>> {
        self.shown.as_deref().map(OwnedRecord::record)
    }

    /// `next`, inlined into a caller that reads a run of records (a
    /// batch): while no record is held back or shown, the reader is asked
    /// directly, without `next`'s call of its own for every record.
    #[inline]
    pub(crate) fn next_in_run(&mut self) -> Result<Option<Record<'_>>> {
        if self.held.is_some() || self.shown.is_some() {
            return self.next();
        }
        self.reader.next()
    }

    /// Whether a record is held back.
    pub fn is_holding(&self) -> bool {
        self.held.is_some()
    }
}

impl RecordReader for HoldBack {
    forward!((self.reader);
        fn skip_damaged(&mut self, skip: bool);
        fn decode_threads(&mut self, threads: usize);
        fn damages(&self) -> Vec<(PathBuf, Damage)>;
        fn gaps(&self) -> &[Gap];
        fn current_path(&self) -> Option<&Path>;
        fn segment_header(&self) -> Option<&SegmentHeader>;
        fn mapping(&self) -> Option<Mapping>;
        fn change_fd(&self) -> Result<crate::ChangeFd>;
    );

    #[inline]
    fn next(&mut self) -> Result<Option<Record<'_>>> {
        if self.show_held() {
            return Ok(self.shown());
        }
        self.reader.next()
    }

    #[inline]
    fn next_wait(&mut self, timeout: Duration) -> Result<Option<Record<'_>>> {
        if self.show_held() {
            return Ok(self.shown());
        }
        self.reader.next_wait(timeout)
    }

    // A seek drops the record held back, and so does a caller that takes
    // back the last record.
    forward!((self.reader after dropping held);
        fn seek_seq(&mut self, seq: u64) -> Result<()>;
        fn seek_time(&mut self, ts_ns: i64) -> Result<()>;
        fn seek_position(&mut self, token: &str) -> Result<()>;
        fn forget_last_record(&mut self);
    );

    /// The reader is already past a held record: it is kept if the new
    /// filter lets it through (it would be lost otherwise).
    fn filter_types(&mut self, names: &[&str]) {
        self.reader.filter_types(names);
        let filtered =
            |h: &OwnedRecord| !names.is_empty() && !names.contains(&h.record().type_name);
        if self.held.as_deref().is_some_and(filtered) {
            // Dropped: the reader stands where it was taken from, so the
            // record is not returned again.
            self.held = None;
            self.reader.forget_last_record();
        }
    }

    fn segment_tail(&self) -> Tail {
        if self.held.is_some() {
            return Tail::Reading;
        }
        self.reader.segment_tail()
    }

    /// A record held back was not returned: the position is before it.
    fn position(&self) -> Result<(String, u64)> {
        let (log, at) = self.reader.position()?;
        Ok((log, self.held.as_ref().map_or(at, |h| h.record().seq)))
    }
}
