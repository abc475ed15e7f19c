//! The log's background thread: time rolls, age retention, background
//! seals and manifests.

use super::Shared;
use crate::error::Result;
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(feature = "sign")]
use std::sync::Arc;
use std::time::Duration;

impl Shared {
    pub(super) fn tick(&self) -> Result<()> {
        let r = self.reporting(|events| {
            let mut st = self.state.lock();
            if st.current.is_none() {
                return Ok(());
            }
            let now = (self.opts.clock)();
            let snap = self.writer(&st)?.size_snapshot();
            if self.roll_due(&mut st, &snap, 0, now) && self.period_of(now) != st.period_start {
                self.roll(&mut st, events, now, false)?;
            }
            if self.enforce_retention(&mut st) > 0 {
                self.store_manifest(&mut st, false)?;
            }
            Ok(())
        });
        #[cfg(feature = "sign")]
        let r = r.and_then(|()| self.checkpoint());
        r
    }

    /// A signed log's checkpoint of its live segment (docs/FORMAT.md
    /// section 8.6): its records flushed, their bytes signed into the
    /// log's head file. Not while an older segment's seal is pending (the
    /// live one's predecessor is not linked yet), nor with no new record
    /// or none at all.
    /// With forward-secure keys, the keys of the epochs over before the
    /// live segment's are erased first (as after a seal: `settle`).
    #[cfg(feature = "sign")]
    fn checkpoint(&self) -> Result<()> {
        let Some(signing) = &self.opts.segment.signing else {
            return Ok(());
        };
        let st = self.state.lock();
        self.erase_past_epochs(&st);
        // Signed by the key of the live segment's epoch.
        let w = Arc::clone(self.writer(&st)?);
        let at = st.period_start.unwrap_or(i64::MIN);
        // None of a segment without records: close removes it, unsealed.
        if !st.ending.is_empty() || w.record_count() == 0 {
            return Ok(());
        }
        drop(st);
        match w.flush_whole()? {
            Some((end, next, digest)) => signing.checkpoint((w.segment_no, end, next), digest, at),
            None => Ok(()),
        }
    }

    /// After the records before `next_seq` were written: a checkpoint if
    /// their batch took the next sequence number from `first` to or past
    /// a multiple of `checkpoint_records`. One that fails is left to the
    /// next checkpoint or the seal: the records are written.
    #[cfg(feature = "sign")]
    pub(super) fn checkpoint_after(&self, first: u64, next_seq: u64) {
        let every = self.opts.checkpoint_records;
        if every.is_some_and(|n| first / n != next_seq / n) {
            let _ = self.checkpoint();
        }
    }

    pub(super) fn roller_loop(&self) {
        let mut retry = false;
        let mut stop = self.stop.lock();
        while !*stop {
            // Wake at the next period boundary, and at least every second
            // (for age retention and a clock that jumps).
            let now = (self.opts.clock)();
            let until = self
                .opts
                .period
                .next_start(now)
                .map_or(1_000_000_000, |t| t - now);
            let wait = Duration::from_nanos(until.clamp(1_000_000, 1_000_000_000) as u64);
            // After a failed attempt, the next one waits for the timeout
            // (or a roll) rather than spinning.
            let due =
                self.seal_due.load(Ordering::SeqCst) || self.manifest_due.load(Ordering::SeqCst);
            if retry || !due {
                self.stop_cv.wait_for(&mut stop, wait);
            }
            if *stop {
                break;
            }
            drop(stop);
            let sealing = self.run_due(&self.seal_due, Shared::seal_ending_in_background);
            retry = self.run_due(&self.manifest_due, Shared::store_due_manifest) | sealing;
            // Not the writer's failure: counted like a callback's.
            self.tick().unwrap_or_else(|e| self.count_failure(e));
            stop = self.stop.lock();
        }
    }

    /// Does `work` if `due` says so. A failure, not the writer's, is counted
    /// like a callback's and leaves the work due, to be retried after a
    /// wait: returns whether it failed.
    fn run_due(&self, due: &AtomicBool, work: fn(&Shared) -> Result<()>) -> bool {
        if !due.swap(false, Ordering::SeqCst) {
            return false;
        }
        let Err(e) = work(self) else {
            return false;
        };
        self.count_failure(e);
        due.store(true, Ordering::SeqCst);
        true
    }
}
