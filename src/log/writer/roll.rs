//! Rolling: the next segment is created, the current one's records are
//! closed, and the log switches; a failure before the switch leaves the
//! current segment active and unchanged.

use super::found::{empty_segment_first_seq, remove_segment_file};
use super::{Ending, Shared, State};
use crate::error::{Error, ErrorKind, Result};
use crate::format::naming;
use crate::log::events::{SegmentEvent, SegmentInfo};
use crate::writer::{options::Options, Purpose, Recycled, Writer};
use std::path::Path;
use std::sync::{atomic::Ordering, Arc};

impl Shared {
    /// Rolls to the next segment (`start_next_segment`) and seals the old
    /// one (and any left before whose seal failed) now, or unless
    /// `seal_now` with `seal_in_background` leaves that to the background
    /// thread. The roll stands even if the seal fails (retried at the next
    /// roll or at close); the caller gets the seal's error.
    pub(super) fn roll(
        &self,
        st: &mut State,
        events: &mut Vec<SegmentEvent>,
        now: i64,
        seal_now: bool,
    ) -> Result<()> {
        self.start_next_segment(st, now)?;
        let sealed = if !seal_now && self.opts.background && self.opts.seal_in_background {
            self.seal_due.store(true, Ordering::SeqCst);
            Ok(())
        } else {
            self.seal_ending_locked(st, events)
        };
        self.manifest_changed(st).and(sealed)
    }

    /// Switches the log to a new segment, named and its period set by `now`
    /// (the call's clock reading, that its records get), and leaves the old
    /// one ending for the caller to seal. The order: (1) the old records go
    /// to the OS; (2) the next segment is created; (3) the old segment's
    /// records are closed by a `SEAL_BEGIN` frame; (4) the log switches. A
    /// failure in (1) to (3) leaves the old segment current and unchanged,
    /// and removes what (2) created.
    pub(super) fn start_next_segment(&self, st: &mut State, now: i64) -> Result<()> {
        let old = Arc::clone(self.writer(st)?);
        self.remove_leftover(st, old.segment_no)?;
        // A failure here keeps the records buffered in the segment, retried
        // by the next write or flush.
        let bufs = old
            .flush_lending_buffers()
            .map_err(|e| self.poison_on(st, e))?;
        let next_first = old.next_seq();
        let no = self.segment_after(old.segment_no)?;
        let recycled = bufs.or(std::mem::take(&mut st.spare));
        let (next, opened) = self.create_segment(st, no, next_first, recycled, now)?;
        if let Err(e) = old.end_records() {
            // Not switched to: closed without a seal (it holds no record)
            // and its file removed.
            next.discard();
            self.remove_created(st, next.path());
            return Err(self.poison_on(st, e));
        }
        if old.durable_seq() < next_first {
            // Durability `None`: nothing synced its records.
            st.unsynced
                .push((old.durable_seq(), old.path().to_path_buf()));
        }
        let mut ending = Ending::of_current(old);
        // Reported after the old segment's SEALED event.
        ending.next_opened = Some(opened);
        self.switch_to(st, next, now);
        st.ending.push_back(ending);
        Ok(())
    }

    /// `e`, a failed flush or end of the current segment's records: an
    /// fdatasync that failed poisons the log.
    pub(super) fn poison_on(&self, st: &mut State, e: Error) -> Error {
        if e.kind() == ErrorKind::Poisoned {
            st.poisoned = Some(e.clone());
        }
        e
    }

    /// The number of the segment after segment `no`; an error after
    /// u64::MAX rather than a wrap to 0.
    pub(super) fn segment_after(&self, no: u64) -> Result<u64> {
        let log = &self.name;
        let why = || {
            format!("log {log}: segment number {no} is the last there is; no segment can follow it")
        };
        no.checked_add(1)
            .ok_or_else(|| Error::invalid(why()).in_file(&self.dir))
    }

    /// Creates segment `no`, whose first record gets `first_seq`, and
    /// returns its writer and its OPENED event; the caller makes it
    /// current. A failure leaves no file behind (or, if it cannot be
    /// removed, remembers it in `leftover`).
    pub(super) fn create_segment(
        &self,
        st: &mut State,
        no: u64,
        first_seq: u64,
        recycled: Recycled,
        now: i64,
    ) -> Result<(Writer, SegmentInfo)> {
        let path = self.dir.join(naming::segment_name(&self.name, no, now));
        // One already there is what a roll that failed in this same second
        // left: reopened if it starts at `first_seq`, else removed.
        if path.symlink_metadata().is_ok() {
            match empty_segment_first_seq(&path)? {
                Some(first) if first == first_seq => {}
                Some(_) => remove_segment_file(&path)?,
                None => {
                    let why = format!("segment {no} already exists, with records");
                    return Err(Error::file(ErrorKind::AlreadyExists, &path, why));
                }
            }
        }
        // A log reopened after a crash takes the segment's period from its
        // header's creation time.
        let opts = Options {
            created_ns: Some(now),
            ..self.segment_options(no, first_seq)
        };
        let w = Writer::open_for(&path, opts, recycled, Purpose::Append).inspect_err(|_| {
            // Opening may have created the file before it failed.
            self.remove_created(st, &path);
        })?;
        let opened = super::info_of(&w);
        Ok((w, opened))
    }

    /// Removes the file at `path` that a roll created before it failed (the
    /// log goes on numbering records from its `first_seq` in the segment
    /// before: resumed, it would number them again). If it cannot be
    /// removed now, the next roll removes it first (`leftover`).
    pub(super) fn remove_created(&self, st: &mut State, path: &Path) {
        if path.symlink_metadata().is_ok() && crate::sys::remove_if_there(path, "remove").is_err() {
            st.leftover = Some(path.to_path_buf());
        }
    }

    /// Makes `w`, just created (see `create_segment`), the log's current
    /// segment.
    pub(super) fn switch_to(&self, st: &mut State, w: Writer, now: i64) {
        st.current = Some(Arc::new(w));
        st.period_start = self.period_of(now);
    }

    /// Where the span of time a segment started at `now` belongs to
    /// starts: its UTC period's start or, with forward-secure keys, its
    /// epoch's, whichever is later. The log rolls when it changes.
    pub(super) fn period_of(&self, now: i64) -> Option<i64> {
        #[cfg(feature = "sign")]
        let epoch = (self.opts.segment.signing.as_ref()).and_then(|s| s.epoch_floor(now));
        #[cfg(not(feature = "sign"))]
        let epoch = None;
        self.opts.period.floor(now).max(epoch)
    }

    /// Removes the file a failed roll left (`State::leftover`), if any,
    /// after segment `current`. While it cannot be, no roll starts: the
    /// next segment would have its number.
    pub(super) fn remove_leftover(&self, st: &mut State, current: u64) -> Result<()> {
        let Some(path) = st.leftover.take() else {
            return Ok(());
        };
        let next = current.saturating_add(1);
        let doing = format!(
            "remove the empty segment {next} a failed roll left (no roll starts while it is \
             there: the next segment would have its number; the log goes on in segment {current})"
        );
        // Removed, or gone already: done.
        if let Err(err) = crate::sys::remove_if_there(&path, &doing) {
            st.leftover = Some(path);
            return Err(err);
        }
        Ok(())
    }
}
