//! Segment events (OPENED, SEALED): reported to callbacks and queued for
//! polling, in the log's order, outside the log's lock.

use super::Shared;
use crate::log::events::{SegmentEvent, SegmentInfo};
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};

thread_local! {
    /// The `Shared::id` of the log whose events this thread is reporting
    /// (see `Shared::dispatch`), or 0. No destructor: usable at any time.
    static REPORTING: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// This thread's tag in `Shared::deferred` (0 until first needed).
    static THREAD_TAG: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The last `THREAD_TAG` given out.
static LAST_THREAD_TAG: AtomicU64 = AtomicU64::new(0);

/// The calling thread's tag (see `Shared::deferred`), never 0.
pub(super) fn thread_tag() -> u64 {
    THREAD_TAG.with(|t| {
        if t.get() == 0 {
            t.set(LAST_THREAD_TAG.fetch_add(1, Ordering::Relaxed) + 1);
        }
        t.get()
    })
}

/// Sealed segments kept for polling when nobody polls.
const MAX_UNPOLLED: usize = 65_536;

#[derive(Default)]
pub(super) struct Events {
    pub(super) unpolled: VecDeque<SegmentInfo>,

    pub(super) failures: u64,
    pub(super) last_failure: Option<String>,
}

impl Shared {
    /// Counts a failure of a callback, or of the background work (see
    /// `callback_failures`).
    pub(super) fn count_failure(&self, e: impl std::fmt::Display) {
        let mut ev = self.events.lock();
        ev.failures += 1;
        ev.last_failure = Some(e.to_string());
    }

    /// `f`'s result, the events it gathered dispatched once it returns
    /// (outside whatever locks `f` took).
    pub(super) fn reporting<T>(&self, f: impl FnOnce(&mut Vec<SegmentEvent>) -> T) -> T {
        let mut events = Vec::new();
        let result = f(&mut events);
        self.dispatch(events);
        result
    }

    /// Runs the callbacks and queues sealed segments for polling, in the
    /// order of the events. Events a callback causes (it rolled or closed
    /// the log) are reported after the earlier ones, by the outermost
    /// `dispatch`, so that every callback sees the log's order.
    pub(super) fn dispatch(&self, mut events: Vec<SegmentEvent>) {
        if events.is_empty() {
            return;
        }
        let tag = thread_tag();
        if REPORTING.with(|r| r.get()) == self.id {
            let tagged = events.into_iter().map(|ev| (tag, ev));
            self.deferred.lock().extend(tagged);
            return;
        }
        // Another log's callback may write to this one: its id comes back.
        let outer = REPORTING.with(|r| r.replace(self.id));
        while !events.is_empty() {
            self.report(&events);
            // This thread's deferred events only, in order.
            let mut deferred = self.deferred.lock();
            let (mine, others) = std::mem::take(&mut *deferred)
                .into_iter()
                .partition::<Vec<_>, _>(|(t, _)| *t == tag);
            *deferred = others;
            events = mine.into_iter().map(|(_, ev)| ev).collect();
        }
        REPORTING.with(|r| r.set(outer));
    }

    /// `dispatch`'s work for `events`. A failing or panicking callback is
    /// counted and does not stop the others.
    pub(super) fn report(&self, events: &[SegmentEvent]) {
        let callbacks = self.callbacks.lock().clone();
        for ev in events {
            for cb in callbacks.iter() {
                match catch_unwind(AssertUnwindSafe(|| cb(ev))) {
                    Ok(Ok(())) => {}
                    Ok(Err(msg)) => self.count_failure(msg),
                    Err(_) => self.count_failure("callback panicked"),
                }
            }
            if let SegmentEvent::Sealed(info) = ev {
                let mut e = self.events.lock();
                if e.unpolled.len() >= MAX_UNPOLLED {
                    e.unpolled.pop_front();
                }
                e.unpolled.push_back(info.clone());
            }
        }
    }
}
