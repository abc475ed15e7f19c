//! The writer's flusher thread: hands the buffer to the OS (through the
//! write-behind thread if there is one) once its oldest record has waited
//! `Options::flush_delay` (see `state::flush`'s `Deadline`), and
//! under `Durability::Interval` syncs every record written so far once a
//! period, keeping a failure for the next write call to report. It sleeps
//! without a timer while neither is due: an idle writer costs no wakeups.

use super::shared::Shared;
use super::state::State;
use super::Writer;
use crate::error::{Error, Result};
use crate::writer::options::Durability;
use parking_lot::MutexGuard;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Starts the flusher if something is due in the background: a flush
/// deadline's `delay` (`Deadline::delay`), or the period of
/// `Durability::Interval`.
pub(super) fn start(
    shared: &Arc<Shared>,
    delay: Option<Duration>,
    durability: Durability,
) -> Result<Option<JoinHandle<()>>> {
    let interval = match durability {
        Durability::Interval(period) => Some(period),
        _ => None,
    };
    if delay.is_none() && interval.is_none() {
        return Ok(None);
    }
    let s = Arc::clone(shared);
    let handle = std::thread::Builder::new()
        .name("binlog-flusher".into())
        .spawn(move || s.run_flusher(interval))
        .map_err(|e| Error::io(&shared.path, "start flusher thread", e))?;
    Ok(Some(handle))
}

impl Writer {
    /// Stops the flusher, if there is one, and waits for it to end.
    pub(super) fn stop_flusher(&self) {
        self.shared.state.lock().deadline.stop = true;
        self.shared.flush_cv.notify_all();
        if let Some(h) = self.flusher.lock().take() {
            let _ = h.join();
        }
    }
}

impl Shared {
    /// The flusher's body: until told to stop, flushes the buffer when its
    /// deadline passes and syncs every `interval`, sleeping until the
    /// earlier of the two (without a timer if neither is set).
    fn run_flusher(&self, interval: Option<Duration>) {
        let mut next_sync = interval.map(|p| Instant::now() + p);
        let mut st = self.state.lock();
        while !st.deadline.stop {
            let now = Instant::now();
            if next_sync.is_some_and(|t| now >= t) {
                MutexGuard::unlocked(&mut st, || self.flush_interval());
                next_sync = interval.map(|p| Instant::now() + p);
                continue;
            }
            if st.deadline.due.is_some_and(|t| now >= t) {
                flush_due(&mut st);
                continue;
            }
            self.wait_for_due(&mut st, next_sync);
        }
    }

    /// Sleeps until the buffer's deadline or `next_sync`, whichever comes
    /// first, or until woken: by `note_buffered` once a deadline starts
    /// while the flusher sleeps without one (`flusher_idle`), or to stop.
    fn wait_for_due(&self, st: &mut MutexGuard<'_, State>, next_sync: Option<Instant>) {
        st.deadline.flusher_idle = st.deadline.due.is_none();
        match st.deadline.due.into_iter().chain(next_sync).min() {
            Some(t) => {
                self.flush_cv.wait_until(st, t);
            }
            None => self.flush_cv.wait(st),
        }
        st.deadline.flusher_idle = false;
    }

    /// Syncs every record written so far. A failure is kept for the next
    /// write call to return, unless that is moot: a poisoned or closed
    /// writer tells every later call itself, and a flush by a caller since
    /// this one's told that caller its own result.
    fn flush_interval(&self) {
        let (to, flushes) = {
            let st = self.state.lock();
            (st.next_seq, st.flushes)
        };
        if let Err(e) = self.sync_upto(to, None) {
            let mut st = self.state.lock();
            if st.file.is_some() && st.poisoned.is_none() && st.flushes == flushes + 1 {
                keep_failure(&mut st, e, "background flush");
            }
        }
    }
}

/// Hands the buffer, whose deadline passed, to the write-behind thread
/// (the lock held only to queue it) or, without one, to the OS here (as
/// `Writer::flush` does). A failure is kept for the next write call (as
/// `flush_interval`'s) and tried again after another delay.
fn flush_due(st: &mut State) {
    if st.check_usable().is_err() {
        // Closed or poisoned: every later call is told; nothing to hand over.
        st.deadline.due = None;
        return;
    }
    if let Err(e) = st.hand_off_due() {
        keep_failure(st, e, "background flush after the flush delay");
        st.deadline.due = st.deadline.delay.map(|d| Instant::now() + d);
    }
}

/// Keeps `e`, a failure of the flusher's `what`, for the next write call.
fn keep_failure(st: &mut State, e: Error, what: &str) {
    st.flusher_failed = Some(e.with_detail(|d| {
        format!(
            "{d} (in the {what}; the records written before stay buffered and are retried; \
             this call's records were not written)"
        )
    }));
}
