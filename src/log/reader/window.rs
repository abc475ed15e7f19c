//! A log reader's time window (`LogReader::time_window`): only records
//! whose timestamps are in `[from, to)` are returned, and a sealed segment
//! whose seal says none of its records is in it (its `min_ts..=max_ts`
//! outside the window, or no record) is passed over as read: its records
//! are never read, and the next segment is expected to start where its
//! sequence numbers end, so that gaps are still told as without a window.
//! A segment with no seal (a live log's newest) is read, record by record.

use super::LogReader;
use crate::error::Result;
use crate::reader::Reader;
use std::path::Path;

/// The timestamps a window lets through: `from` inclusive, `to` exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct TimeWindow {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl TimeWindow {
    /// Whether a record of timestamp `ts` is in the window.
    pub fn holds(&self, ts: i64) -> bool {
        self.from.is_none_or(|f| ts >= f) && self.to.is_none_or(|t| ts < t)
    }

    /// Whether the seal of the segment `r` reads says none of its records
    /// is in the window.
    fn excludes(&self, r: &Reader) -> bool {
        r.seal().is_some_and(|d| {
            d.record_count == 0
                || self.from.is_some_and(|f| d.max_ts < f)
                || self.to.is_some_and(|t| d.min_ts >= t)
        })
    }
}

impl LogReader {
    /// Only records with timestamps in `[from_ns, to_ns)` (either end
    /// open if `None`), the log still read in its order (by sequence
    /// number): seeks to `from_ns` (`seek_time`) and, from then on, passes
    /// over every sealed segment whose seal says it holds no record in
    /// the window without reading its records (for a segment in a bucket:
    /// its seal's GETs only). `segments_passed_over` counts them.
    pub fn time_window(&mut self, from_ns: Option<i64>, to_ns: Option<i64>) -> Result<()> {
        self.window = Some(TimeWindow {
            from: from_ns,
            to: to_ns,
        });
        from_ns.map_or(Ok(()), |ts| self.seek_time(ts))
    }

    /// How many segments the time window had passed over, unread (see
    /// `time_window`); `segment_opens` counts those read.
    pub fn segments_passed_over(&self) -> u64 {
        self.passed_over
    }

    /// Whether the segment `r` (at `path`, the one expected next) is
    /// outside the time window: if so it is taken as read to its end,
    /// and the reader moves past it.
    pub(super) fn pass_over(&mut self, r: &Reader, path: &Path) -> bool {
        if !self.window.is_some_and(|w| w.excludes(r)) {
            return false;
        }
        let count = r.seal().map_or(0, |d| d.record_count);
        let end = r.header().first_seq.saturating_add(count);
        self.moved_past(path, r.header().segment_no, end);
        self.passed_over += 1;
        true
    }
}
