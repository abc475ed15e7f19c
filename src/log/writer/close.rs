//! Closing a log: the background thread stops, every ending segment and
//! then the current one are sealed (the current one removed instead if it
//! holds no record), the sealed segments due for
//! compression are compressed (`LogOptions::compression`), the manifest is
//! written durably and the log's lock released.

use super::open::{COMPRESSOR, ROLLER};
use super::{Ending, LogWriter, Shared, State};
use crate::error::{Error, Result};
use crate::log::{events::SegmentEvent, position::Position};
use crate::writer::{options::Durability, Writer};
use parking_lot::Mutex;
use std::thread::JoinHandle;

impl LogWriter {
    /// Seals the current segment (removes it if it holds no record:
    /// docs/FORMAT.md section 14a), compresses the sealed segments due (with
    /// `LogOptions::compression`; a failure there is counted in
    /// `callback_failures`, not returned), writes the manifest durably and
    /// closes the log. Later calls return `Closed`; closing again is a
    /// no-op (returning once the first close has released the log).
    pub fn close(&self) -> Result<()> {
        self.stop_background_thread();
        let s = &*self.shared;
        let mut events = Vec::new();
        // A second close waits for the first to release the log: the
        // compressions below run outside the log's state lock.
        let closing = s.closing.lock();
        let closed = match s.seal_for_close(&mut events) {
            Some(sealed) => {
                // Sealed or not, what is sealed and due is compressed: a
                // closed log has no thread left to do it, and a shipper
                // run next would ship it plain. A failure is counted with
                // the callbacks' (`callback_failures`) and leaves the rest
                // plain, for the log's next writer.
                #[cfg(feature = "compression")]
                (s.compress_due(Some(&mut events))).unwrap_or_else(|e| s.count_failure(e));
                let durably = s.opts.segment.durability != Durability::None;
                let stored = s.store_manifest(&mut s.state.lock(), durably);
                sealed.and(stored)
            }
            None => Ok(()),
        };
        s.unlock();
        drop(closing);
        s.dispatch(events);
        closed
    }

    /// Stops the log's background threads and waits for them to end (a
    /// compression under way is finished first), but for the one this is
    /// (a callback on it closing the log): that thread ends once the
    /// callback returns, so it leaves the handle, and a close on any other
    /// thread joins it.
    fn stop_background_thread(&self) {
        *self.shared.stop.lock() = true;
        self.shared.stop_cv.notify_all();
        join_unless(self.shared.on_thread(ROLLER), &self.roller);
        join_unless(self.shared.on_thread(COMPRESSOR), &self.compressor);
    }
}

/// Joins the thread `handle` holds, unless `on_it`. The handle is taken
/// out before the join: a guard held while joining would make a callback's
/// close on that thread wait for it forever.
fn join_unless(on_it: bool, handle: &Mutex<Option<JoinHandle<()>>>) {
    let h = if on_it { None } else { handle.lock().take() };
    if let Some(h) = h {
        let _ = h.join();
    }
}

impl Shared {
    /// Seals the segments rolled away from, then the current one, even if
    /// one of them fails; `None` if the log was closed already. The caller
    /// replaces the manifest then, even when sealing failed (the
    /// background thread may have left it rolls behind).
    fn seal_for_close(&self, events: &mut Vec<SegmentEvent>) -> Option<Result<()>> {
        let mut st = self.state.lock();
        let w = st.current.take()?;
        // Best effort: a log opened later removes it too.
        let _ = self.remove_leftover(&mut st, w.segment_no);
        let older = self.seal_ending_locked(&mut st, events);
        let sealed = if w.record_count() == 0 {
            self.remove_empty_current(&mut st, &w)
        } else {
            let current = Ending::of_current(w);
            current
                .seal(self)
                .map(|done| self.sealed(&mut st, current, done, events))
        };
        if sealed.is_ok() {
            self.enforce_retention(&mut st);
        }
        Some(older.and(sealed))
    }

    /// Removes the current segment `w`, which holds no record, instead of
    /// sealing it: a log leaves no segment without records (one opened and
    /// closed with no write, or made by an idle writer's period roll). Its
    /// number and first sequence number stay the log's position, which the
    /// next open takes again: the manifest records it durably first, under
    /// every durability (docs/FORMAT.md section 14a: before a segment is
    /// removed, a record of a position past it remains), since retention
    /// may have left this segment the only one. A follower waiting in it
    /// opens what is there then. If the manifest or the removal fails, the
    /// segment stays, unsealed, for the next open to go on in.
    fn remove_empty_current(&self, st: &mut State, w: &Writer) -> Result<()> {
        st.floor = st.floor.max(Position::new(w.segment_no, w.first_seq));
        self.store_manifest(st, true)?;
        w.discard();
        let path = w.path();
        std::fs::remove_file(path)
            .map_err(|e| Error::io(path, "remove the log's segment holding no record", e))?;
        crate::sys::sync_parent(path)
    }

    /// Releases the log's lock: every segment is left as the next writer
    /// may find it. Unlocked, not only closed: a child process between fork
    /// and exec holds a copy of the descriptor, and the lock with it, until
    /// its exec; LOCK_UN releases the lock for every copy.
    fn unlock(&self) {
        if let Some(f) = self.lock.lock().take() {
            crate::sys::unlock(&f);
        }
    }
}
