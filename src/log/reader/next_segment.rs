//! Moving a log reader on to its next segment: opening `files[idx]`
//! (skipping what a failed roll left, or what was removed meanwhile),
//! checking that its sequence numbers continue from the segment before,
//! and the gaps where they do not; leaving a segment read to its end.

use super::{LogReader, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::format::naming::{remote_key, remote_order};
use crate::log::gap::{gap_after, overlap, Gap, GapReason, SegmentEnd};
use crate::log::gap::{starts_behind, Behind, FileShape};
use crate::log::segments;
use crate::reader::{Found, Reader, Tail};
use std::path::Path;

/// Why the last gap is still open (see `Place::open_gap`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum OpenGap {
    /// Segments removed before they could be read: if the next segment
    /// starts where they would have, they held no records, and nothing is
    /// missing.
    Removed,
    /// A segment ending in a torn tail: its bytes are lost either way.
    Torn,
}

/// What `LogReader::open_segment` did with a segment file.
enum Opened {
    Yes,
    /// None to read yet (the newest is being created).
    NotYet,
    /// Skipped as holding nothing (a failed roll's leftover).
    Skipped,
    /// Look again: at the next file, or at a new listing.
    TryAgain,
}

impl LogReader {
    /// Finds the next record across segments. At the end of the log the
    /// last segment stays open, so `tail` reports how it ended and a later
    /// call picks up what the writer adds.
    pub(super) fn advance(&mut self) -> Result<Option<Found>> {
        let mut reread = false;
        loop {
            if self.at.current.is_none() && !self.open_segment()? {
                return Ok(None);
            }
            let r = self.at.current.as_mut().expect("opened");
            if let Some(found) = r.next_found()? {
                self.at.expected = Some(found.seq + 1);
                if let Some(t) = self.at.unreached {
                    if !t.reached(found.seq, found.timestamp_ns) {
                        continue;
                    }
                    self.at.unreached = None;
                }
                if self.window.is_some_and(|w| !w.holds(found.timestamp_ns)) {
                    continue;
                }
                return Ok(Some(found));
            }
            if self.current_replaced()? {
                continue;
            }
            if !self.later_segment_exists()? {
                // The last of a list of files may be a standalone segment
                // reopened to append (see `Reader::read_on_if_unsealed`).
                let files = !self.is_log();
                let r = self.at.current.as_mut().expect("opened");
                if files && r.read_on_if_unsealed()? {
                    continue;
                }
                return Ok(None);
            }
            let r = self.at.current.as_ref().expect("opened");
            let ended = matches!(r.tail(), Tail::Sealed | Tail::SealDamaged { .. });
            if !ended && !reread {
                // A roll creates the next segment before it closes this
                // one's records (and goes on here if it cannot): wait while
                // a writer holds this segment; once none does, read it to
                // its end once more.
                if r.has_writer()? {
                    return Ok(None);
                }
                reread = true;
                continue;
            }
            self.leave_segment();
            reread = false;
        }
    }

    /// Moves on from the segment read to its end (`current`): a torn tail
    /// it ends in is reported as a gap, and the next segment is expected to
    /// start where this one's sequence numbers end.
    fn leave_segment(&mut self) {
        let r = self.at.current.take().expect("opened");
        if let Tail::Torn { offset, .. } = r.tail() {
            let mut gap = Gap::new(GapReason::Damage, r.path(), Some(r.next_seq()), None);
            gap.offset = Some(offset);
            self.gaps.push(gap);
            self.at.open_gap = Some(OpenGap::Torn);
        }
        // Where this segment's sequence numbers end: from the seal (a type
        // filter skips records, so the position alone may lag).
        let end = r.seal().map_or(r.next_seq(), |d| {
            r.header().first_seq.saturating_add(d.record_count)
        });
        self.at.left.push((self.opens, r.tail()));
        let path = r.path().to_path_buf();
        self.damages
            .extend(r.damages().iter().map(|d| (path.clone(), *d)));
        self.moved_past(&path, r.header().segment_no, end.max(r.next_seq()));
    }

    /// Moves on from segment `segment_no` at `path` (read to its end, or
    /// passed over), whose sequence numbers end before `end`.
    pub(super) fn moved_past(&mut self, path: &Path, segment_no: u64, end: u64) {
        self.at.expected = Some(self.at.expected.map_or(end, |e| e.max(end)));
        self.at.prev_segment = Some(segment_no);
        self.at.last_done = Some(path.to_path_buf());
        self.at.idx += 1;
    }

    /// Whether the segment being read, which has shown no record yet, is no
    /// longer the file of its name (a failed roll's file, removed, maybe
    /// made again by the next roll): it is dropped, to open what is there.
    fn current_replaced(&mut self) -> Result<bool> {
        let r = self.at.current.as_ref().expect("opened");
        // A remote segment first: its `seal` may cost GETs.
        if !self.is_log()
            || r.next_seq() != r.header().first_seq
            || remote_order(r.path()).is_some()
            || r.seal().is_some()
        {
            return Ok(false);
        }
        let now = match std::fs::metadata(r.path()) {
            Ok(m) => Some(m.len()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(r.path(), "stat", e)),
        };
        if now == Some(r.file_len()) {
            return Ok(false);
        }
        self.at.current = None;
        Ok(true)
    }

    /// Opens `files[idx]`, skipping segments removed meanwhile (reported as
    /// gaps); false if there is none (yet).
    pub(super) fn open_segment(&mut self) -> Result<bool> {
        let mut relisted = false;
        let mut skipped = false;
        loop {
            if self.at.idx >= self.files.len() {
                if skipped {
                    // Listed again, it would be skipped again.
                    return Ok(false);
                }
                self.refresh_files(false)?;
                if self.at.idx >= self.files.len() {
                    return Ok(false);
                }
            }
            let path = self.files[self.at.idx].clone();
            let opened = match self.looked_at.take() {
                Some((at, r)) if at == path => Ok(r),
                _ => self.open_reader(&path),
            };
            let next = match opened {
                Ok(r) => self.take_opened(r, &path, &mut relisted)?,
                Err(e) => self.not_opened(e, &path)?,
            };
            match next {
                Opened::Yes => return Ok(true),
                Opened::NotYet => return Ok(false),
                Opened::Skipped => skipped = true,
                Opened::TryAgain => {}
            }
        }
    }

    /// Takes `r`, the segment at `files[idx]`, as the current one if it
    /// starts where the reader expects (or after: a gap is reported).
    fn take_opened(&mut self, r: Reader, path: &Path, relisted: &mut bool) -> Result<Opened> {
        if let Source::Log { name, .. } = &self.source {
            segments::check_file_name(path, r.header(), name)?;
        }
        let first = r.header().first_seq;
        if self.at.expected.is_some_and(|exp| first > exp) && !*relisted && self.is_log() {
            // A listing taken while the writer creates files may miss one:
            // look again first.
            *relisted = true;
            self.refresh_files(false)?;
            return Ok(Opened::TryAgain);
        }
        match self.at.expected {
            Some(exp) if first > exp => {
                self.note_missing_records(path, r.header().segment_no, exp, first)
            }
            // Not taken as done: a file made under its name later is read.
            Some(exp) => match starts_behind(&FileShape::of(&r), exp) {
                Some(Behind::FailedRollLeftover | Behind::SalvagedAlreadyRead) => {
                    self.at.idx += 1;
                    return Ok(Opened::Skipped);
                }
                Some(Behind::Overlap) => {
                    let previous = self
                        .at
                        .last_done
                        .as_deref()
                        .unwrap_or(Path::new("(not known)"));
                    return Err(overlap(path, first, previous, exp));
                }
                None => self.close_open_gap(true, first),
            },
            expected => self.close_open_gap(expected.is_some(), first),
        }
        if self.pass_over(&r, path) {
            return Ok(Opened::TryAgain);
        }
        self.at.current = Some(r);
        self.opens += 1;
        Ok(Opened::Yes)
    }

    /// Records `exp..first` are missing before the segment at `path`
    /// (segment `segment_no`): a gap, or the end of the gap still open.
    fn note_missing_records(&mut self, path: &Path, segment_no: u64, exp: u64, first: u64) {
        if self.at.open_gap.take().is_some() {
            self.gaps.last_mut().expect("an open gap").to_seq = Some(first);
            return;
        }
        // After a seek, or segments removed before any was read: the
        // segment before is not known, nor whether numbers were skipped.
        let prev = SegmentEnd {
            segment_no: self.at.prev_segment.unwrap_or(segment_no.saturating_sub(1)),
            next_seq: exp,
        };
        let before = self.at.prev_segment.and(self.at.last_done.as_deref());
        let Some(mut gap) = gap_after(prev, before, path, segment_no, first) else {
            return;
        };
        // Retention removes a log's oldest segments first: missing ones
        // with no listed file left before them (a reader behind it) are
        // its doing; with one left, something else removed them.
        let oldest_left = self.files[..self.at.idx].is_empty();
        let local_retention = self.is_log() && oldest_left && remote_order(path).is_none();
        // Objects the bucket's retention removed (the last one skipped
        // is covered by its marker: so is every one before it).
        let retention = local_retention || self.pruned_remotely(segment_no.saturating_sub(1));
        if gap.reason == GapReason::Missing && retention {
            gap.reason = GapReason::Retention;
        }
        self.gaps.push(gap);
    }

    /// A segment that starts at `first`, where expected (if `expected`),
    /// closes the gap still open: removed segments that held no record are
    /// no loss.
    fn close_open_gap(&mut self, expected: bool, first: u64) {
        match self.at.open_gap.take() {
            Some(OpenGap::Removed) if expected => {
                self.gaps.pop();
            }
            Some(_) => self.gaps.last_mut().expect("an open gap").to_seq = Some(first),
            None => {}
        }
    }

    /// What to do when the segment at `files[idx]` could not be opened.
    fn not_opened(&mut self, e: Error, path: &Path) -> Result<Opened> {
        // A segment compressed since it was listed is not missing: the open
        // read its `.binlog.zst` (`source::open_segment_file`).
        match e.kind() {
            // The newest segment of a live log gone: retention never
            // removes that one, a failed roll does. It had no record.
            ErrorKind::NotFound if self.is_live_newest(self.at.idx) => {
                self.at.idx += 1;
                Ok(Opened::TryAgain)
            }
            // Shipped and removed locally since it was listed: read from
            // the bucket, listed again.
            ErrorKind::NotFound if self.tier.is_some() && remote_order(path).is_none() => {
                self.refresh_files(true)?;
                Ok(Opened::TryAgain)
            }
            ErrorKind::NotFound => {
                self.note_removed(path);
                // Not taken as done: a failed roll's file, removed, may be
                // made again under its name.
                self.at.idx += 1;
                Ok(Opened::TryAgain)
            }
            // The newest segment of a live log may be caught between its
            // creation and its header write: nothing to read yet.
            _ if segments::not_written_yet(&e, self.is_live_newest(self.at.idx)) => {
                Ok(Opened::NotYet)
            }
            _ => Err(e),
        }
    }

    /// The segment at `path` was removed before it could be read: a gap,
    /// whose end the next segment tells (further removed segments extend
    /// it).
    fn note_removed(&mut self, path: &Path) {
        if self.at.open_gap.is_some() {
            return;
        }
        // Only retention removes a listed segment of a log directory; a
        // file named in a list, or an object, should have been there.
        let reason = match remote_order(path) {
            None if self.is_log() => GapReason::Retention,
            Some(o) if self.pruned_remotely(o.segment_no) => GapReason::Retention,
            _ => GapReason::Missing,
        };
        // Before any record was read, an object's key still says where its
        // records started.
        let from = self
            .at
            .expected
            .or_else(|| remote_key(path).map(|k| k.first_seq));
        self.gaps.push(Gap::new(reason, path, from, None));
        self.at.open_gap = Some(OpenGap::Removed);
    }

    /// Whether segment object `segment_no` was removed by the bucket's
    /// retention (its prune marker says so).
    fn pruned_remotely(&self, segment_no: u64) -> bool {
        let through = self.tier.as_ref().and_then(|t| t.log.retention_through());
        through.is_some_and(|t| segment_no <= t)
    }
}
