//! Sealing the segments a roll left ending (their records closed by a
//! `SEAL_BEGIN` frame): on the caller's thread or on the background thread,
//! oldest first; a seal that fails is retried, the segment never reopened.

use super::found::{file_name, summarize};
use super::{Sealed, Shared, State};
use crate::error::{Error, Result};
use crate::log::events::{SegmentEvent, SegmentInfo};
use crate::log::manifest::SealedEntry;
use crate::writer::options::{Durability, Options};
use crate::writer::{Recycled, Writer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A segment the log rolled away from whose seal is not written yet: its
/// records are complete and closed by a `SEAL_BEGIN` frame. It is only
/// ever sealed.
#[derive(Clone)]
pub(super) struct Ending {
    /// `None` once sealing it failed: the next attempt opens the file again
    /// (see `seal_found_segment`).
    pub(super) writer: Option<Arc<Writer>>,
    pub(super) path: PathBuf,
    pub(super) segment_no: u64,
    pub(super) first_seq: u64,
    /// The OPENED event of the segment the log rolled to, reported after
    /// this one's SEALED event so that a log's events come in order.
    pub(super) next_opened: Option<SegmentInfo>,
}

impl Ending {
    pub(super) fn of_current(w: Arc<Writer>) -> Ending {
        Ending {
            path: w.path().to_path_buf(),
            segment_no: w.segment_no,
            first_seq: w.first_seq,
            writer: Some(w),
            next_opened: None,
        }
    }

    /// Writes the rest of its seal; after a failed attempt (the writer is
    /// closed then), opens the file again and seals it, as `open` does.
    /// Returns its record count and its memory, for the next segment.
    pub(super) fn seal(&self, log: &Shared) -> Result<(u64, Recycled)> {
        let Some(w) = &self.writer else {
            let opts = log.segment_options(self.segment_no, self.first_seq);
            let (record_count, _) = seal_found_segment(&self.path, opts)?;
            return Ok((record_count, Recycled::default()));
        };
        Ok((w.record_count(), w.close_recycling()?))
    }

    /// This segment after a failed attempt to seal it, `e`. The next
    /// segment's OPENED event is reported now. A failed fdatasync of the
    /// seal poisons the log, as every failed fdatasync does.
    pub(super) fn failed(
        self,
        st: &mut State,
        e: &Error,
        events: &mut Vec<SegmentEvent>,
    ) -> Ending {
        if self.writer.as_ref().is_some_and(|w| w.is_poisoned()) && st.poisoned.is_none() {
            st.poisoned = Some(super::durability::poisoned_by(e));
        }
        events.extend(self.next_opened.map(SegmentEvent::Opened));
        Ending {
            writer: None,
            next_opened: None,
            ..self
        }
    }
}

impl Shared {
    /// Seals the ending segments, oldest first, holding the log's lock. On
    /// failure the segment stays first in line for the next attempt.
    pub(super) fn seal_ending_locked(
        &self,
        st: &mut State,
        events: &mut Vec<SegmentEvent>,
    ) -> Result<()> {
        while let Some(r) = st.ending.pop_front() {
            let result = r.seal(self);
            self.settle(st, r, result, events)?;
        }
        Ok(())
    }

    /// Takes `result`, the attempt to seal `r` (taken from the front of
    /// the line): sealed, it is listed, retention applied and, the last in
    /// line, the keys of the epochs over erased; on failure it stays first
    /// in line for the next attempt.
    fn settle(
        &self,
        st: &mut State,
        r: Ending,
        result: Result<(u64, Recycled)>,
        events: &mut Vec<SegmentEvent>,
    ) -> Result<()> {
        match result {
            Ok(done) => {
                self.sealed(st, r, done, events);
                self.enforce_retention(st);
                #[cfg(feature = "sign")]
                self.erase_past_epochs(st);
                Ok(())
            }
            Err(e) => {
                let failed = r.failed(st, &e, events);
                st.ending.push_front(failed);
                Err(e)
            }
        }
    }

    /// With forward-secure keys, once no segment rolled away from is left
    /// to seal: erases the keys of the epochs over before the live
    /// segment's (docs/FORMAT.md section 8.6). After each seal, at each
    /// checkpoint and at open; a failure is counted in `callback_failures`
    /// (the file keeps the keys), and erasing is tried again at the next.
    #[cfg(feature = "sign")]
    pub(super) fn erase_past_epochs(&self, st: &State) {
        let live = st.period_start.filter(|_| st.ending.is_empty());
        if let (Some(s), Some(t)) = (&self.opts.segment.signing, live) {
            let erased = s.erase_epochs_before(t);
            erased.unwrap_or_else(|e| self.count_failure(e));
        }
    }

    /// The background thread's sealing: the ending segments one at a
    /// time, oldest first, each seal written outside the log's lock so that
    /// writers go on meanwhile.
    pub(super) fn seal_ending_in_background(&self) -> Result<()> {
        // Each one's events are reported without `sealer`: a callback may
        // roll the log itself.
        while self.reporting(|events| self.seal_first_ending(events))? {}
        Ok(())
    }

    /// A step of `seal_ending_in_background`: seals the oldest ending
    /// segment, if there is one (whether there was).
    fn seal_first_ending(&self, events: &mut Vec<SegmentEvent>) -> Result<bool> {
        let _order = self.sealer.lock();
        let Some(r) = self.state.lock().ending.front().cloned() else {
            return Ok(false);
        };
        let result = r.seal(self);
        let mut st = self.state.lock();
        // Only a holder of `sealer` takes ending segments (or `close`, once
        // this thread has ended or is in a callback).
        if st.ending.front().is_none_or(|first| first.path != r.path) {
            return Ok(false);
        }
        let r = st.ending.pop_front().expect("checked");
        self.settle(&mut st, r, result, events)?;
        self.manifest_changed(&mut st).map(|()| true)
    }

    /// Records that ending segment `r` is sealed with `record_count`
    /// records: listed, reported, and its memory (`recycled`) kept for the
    /// next segment. The caller applies retention.
    pub(super) fn sealed(
        &self,
        st: &mut State,
        r: Ending,
        (record_count, recycled): (u64, Recycled),
        events: &mut Vec<SegmentEvent>,
    ) {
        let bytes = std::fs::metadata(&r.path).map(|m| m.len()).unwrap_or(0);
        let entry = SealedEntry {
            segment_no: r.segment_no,
            file: file_name(&r.path),
            first_seq: r.first_seq,
            record_count,
            bytes,
        };
        let info = SegmentInfo::of_sealed(&r.path, &entry);
        events.push(SegmentEvent::Sealed(info));
        st.sealed.push_back(Sealed {
            entry,
            path: r.path.clone(),
            sealed_ns: self.ages.now(),
        });
        events.extend(r.next_opened.map(SegmentEvent::Opened));
        st.spare = recycled.or(std::mem::take(&mut st.spare));
        // Under `None` nothing synced the seal just written: the log's next
        // `sync` does. A seal lost holds no record (the next open seals the
        // records again), so it bounds no `durable_seq` (u64::MAX): a seal
        // written after a `sync` never takes `durable_seq` back.
        // Listed again even if its roll listed it for its records: a `sync`
        // under way may have synced it before the seal was written. (A
        // second fdatasync of a file with nothing dirty costs little.)
        if self.opts.segment.durability == Durability::None {
            st.unsynced.push((u64::MAX, r.path.clone()));
        }
    }
}

/// Seals a segment of the log found without a seal (a crash between a
/// roll and its seal, power loss under durability `None`, a seal that
/// failed at a roll): opening it for writing recovers it as any reopened
/// segment is (damage backed up and cut, docs/FORMAT.md section 12), and
/// closing it seals it; one found sealed meanwhile is left as it is.
/// Returns its record count and the number the log goes on at or above
/// (`Writer::numbers_past`).
pub(super) fn seal_found_segment(path: &Path, opts: Options) -> Result<(u64, u64)> {
    if let Some(Sealed { entry: e, .. }) = summarize(path, opts.segment_no, &opts.log_name)? {
        return Ok((e.record_count, e.first_seq + e.record_count));
    }
    let w = Writer::open_log_segment(path, opts)?;
    w.close()?;
    Ok((w.record_count(), w.numbers_past().max(w.next_seq())))
}
