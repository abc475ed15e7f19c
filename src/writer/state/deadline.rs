//! The flush deadline (`Options::flush_delay`): when the oldest record in
//! the buffer must be handed to the OS, for the flusher thread to keep.
//!
//! Invariant: while `due` is `None`, the buffer holds no record a write
//! call returned with. The write path reads the clock only when it sets
//! `due`: once a buffer, not once a record.

use super::State;
use std::time::{Duration, Instant};

#[derive(Default)]
pub(crate) struct Deadline {
    /// `Options::flush_delay` if not zero (zero writes through instead).
    pub delay: Option<Duration>,
    /// When the buffer's oldest record must go to the OS.
    pub due: Option<Instant>,
    /// The flusher sleeps without a deadline of this buffer: setting `due`
    /// must wake it.
    pub flusher_idle: bool,
    /// The flusher is to end (the writer is closing).
    pub stop: bool,
}

impl State {
    /// After a write call appended: starts the deadline of a buffer that
    /// holds records and had none. Returns whether the flusher must be
    /// woken for it.
    #[inline(always)]
    pub fn note_buffered(&mut self) -> bool {
        if self.deadline.due.is_some() || self.deadline.delay.is_none() || self.buf.is_empty() {
            return false;
        }
        self.start_deadline()
    }

    #[cold]
    #[inline(never)]
    fn start_deadline(&mut self) -> bool {
        let d = &mut self.deadline;
        d.due = d.delay.map(|delay| Instant::now() + delay);
        std::mem::take(&mut d.flusher_idle)
    }

    /// The buffer's records went to the OS (or to the write-behind thread,
    /// which hands them over within the delay): no deadline until the next
    /// record.
    #[inline(always)]
    pub(super) fn clear_deadline(&mut self) {
        self.deadline.due = None;
    }
}
