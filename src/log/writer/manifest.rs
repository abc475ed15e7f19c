//! The manifest (`<log>.manifest`, for tools): built under the log's lock,
//! written (atomically replaced) after rolls, by the background thread if
//! there is one.

use super::found::file_name;
use super::{Shared, State};
use crate::error::Result;
use crate::format::naming;
use crate::log::{manifest::Manifest, position::Position};
use std::sync::atomic::Ordering;

impl Shared {
    /// After a roll: the manifest is replaced by the background thread if
    /// there is one, so that the roll does not wait for it (a rename can
    /// wait for a discard: docs/PERFORMANCE.md); the segment files are the
    /// truth meanwhile. Else it is replaced here; a failure is counted with
    /// the callbacks' (`callback_failures`), not returned: the roll
    /// happened. The next roll or `close` writes it again.
    pub(super) fn manifest_changed(&self, st: &mut State) -> Result<()> {
        if !self.opts.background {
            (self.store_manifest(st, false)).unwrap_or_else(|e| self.count_failure(e));
            return Ok(());
        }
        self.manifest_due.store(true, Ordering::SeqCst);
        // Under the lock the roller checks the flag with: no lost wakeup.
        let _stop = self.stop.lock();
        self.stop_cv.notify_all();
        Ok(())
    }

    /// Replaces the manifest with one describing `st`, now; `durably`
    /// when the log closes (unless its durability is `None`), so that the
    /// position it records outlives its newest segment, which a shipper
    /// may remove next.
    pub(super) fn store_manifest(&self, st: &mut State, durably: bool) -> Result<()> {
        let (no, m) = self.build_manifest(st);
        self.write_manifest(no, &m, durably)
    }

    pub(super) fn build_manifest(&self, st: &mut State) -> (u64, Manifest) {
        st.manifests += 1;
        let current = (st.current.as_ref()).map(|w| (w.segment_no, file_name(w.path())));
        let mut m = Manifest {
            log: self.name.clone(),
            current,
            sealed: st.sealed.iter().map(|s| s.entry.clone()).collect(),
            next: None,
        };
        // The position reached: the highest of the position the log opened
        // at, the one after its newest sealed segment, and its current
        // segment's start (every number below those was given out).
        let started = (st.current.as_ref()).map(|w| Position::new(w.segment_no, w.first_seq));
        let opened = started.map_or(st.floor, |started| st.floor.max(started));
        m.next = Some(m.position().max(opened));
        (st.manifests, m)
    }

    /// Writes manifest number `no` unless a newer one was written already.
    pub(super) fn write_manifest(&self, no: u64, m: &Manifest, durably: bool) -> Result<()> {
        let mut written = self.manifest_written.lock();
        if *written > no {
            return Ok(());
        }
        let path = naming::manifest_path(&self.dir, &self.name);
        m.store(&path, durably.then_some(".tmp"))?;
        *written = no;
        Ok(())
    }

    /// The background thread's share of `manifest_changed` (once due):
    /// built under the log's lock, written outside it.
    pub(super) fn store_due_manifest(&self) -> Result<()> {
        let (no, m) = {
            let mut st = self.state.lock();
            if st.current.is_none() {
                // Closed (`close` writes the last one), or left without a
                // segment by a failed roll (the next open writes one).
                return Ok(());
            }
            self.build_manifest(&mut st)
        };
        self.write_manifest(no, &m, false)
    }
}
