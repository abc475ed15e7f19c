//! Removing local copies of shipped segments (and of the files salvaged
//! from them): only past the newest `keep_local` sealed segments, only
//! after the copy in the bucket is read back and found to hold the bytes
//! uploaded (one download per segment removed), and the log's manifest
//! durably records a position past the segment (`log::position`).

use super::{Shipper, Step};
use crate::archive::journal::{Entry, State};
use crate::archive::local::{self, LocalLog, SealedSegment};
use crate::archive::metadata::ObjectMetadata;
use crate::compressed::durable::{remove_durably, CONVERTERS};
use crate::error::{Error, ErrorKind, Result};
use crate::log::position::{self, Position};
use std::fs::File;
use std::time::Duration;

impl Shipper {
    /// Removes the local copies of uploaded segments older than the newest
    /// `keep_local` sealed ones (`remove_one`); a segment a conversion or
    /// writer holds is left for the next pass. The files salvaged from a
    /// segment go before it, so that the journal's `through` (folded from
    /// a segment's LOCAL_DELETED line) never passes a salvaged file still
    /// here. Returns the numbers of the segments removed.
    pub(super) fn remove_shipped(&mut self, local: &LocalLog) -> Result<Vec<u64>> {
        let Some(keep) = self.opts.keep_local else {
            return Ok(Vec::new());
        };
        let mut removed = Vec::new();
        for group in local.sealed.chunk_by(|a, b| a.segment_no == b.segment_no) {
            let later =
                |s: &&SealedSegment| s.salvaged.is_none() && s.segment_no > group[0].segment_no;
            let segments_after = local.sealed.iter().filter(later).count();
            if segments_after < keep || self.held_by_consumer(local, group) {
                break;
            }
            // The salvaged files first, then the segment (first listed).
            let (segment, salvaged) = match group[0].salvaged {
                None => (Some(&group[0]), &group[1..]),
                Some(_) => (None, group),
            };
            for s in salvaged.iter().chain(segment) {
                match self.remove_one(s)? {
                    Removal::Removed if s.salvaged.is_none() => removed.push(s.segment_no),
                    Removal::Removed | Removal::Gone => {}
                    Removal::Stop => return Ok(removed),
                }
            }
        }
        Ok(removed)
    }

    /// Whether a consumer of the log holds the local copy of segment
    /// `group` (with its salvaged files), as the log's retention would
    /// (`consumer::holds`; its age from the file's modification time).
    fn held_by_consumer(&self, local: &LocalLog, group: &[SealedSegment]) -> bool {
        let Some(bound) = self.opts.wait_for_consumers else {
            return false;
        };
        let s = &group[0];
        let end = s.last_seq.map_or(s.first_seq, |l| l.saturating_add(1));
        let size = |p: &std::path::Path| std::fs::metadata(p).map_or(0, |m| m.len());
        let from_here = local.sealed.iter().filter(|l| l.segment_no >= s.segment_no);
        let bytes = from_here.map(|l| size(&l.path)).sum();
        let modified = std::fs::metadata(&s.path).and_then(|m| m.modified());
        let age = modified.ok().and_then(|t| t.elapsed().ok());
        let age_ns = age.map_or(0, |a| i64::try_from(a.as_nanos()).unwrap_or(i64::MAX));
        crate::log::consumer::holds(&self.dir, &self.log, bound, end, bytes, age_ns)
    }

    /// Removes the local file `s` if the journal says it is uploaded and
    /// its copy in the bucket is read back whole, after the log's manifest
    /// records a position past it; then stores LOCAL_DELETED.
    fn remove_one(&mut self, s: &SealedSegment) -> Result<Removal> {
        let uploaded = self.journal.entry_of(s.order());
        let Some(e) = uploaded.filter(|e| e.state == State::Uploaded).cloned() else {
            return Ok(Removal::Stop); // not uploaded: nothing after it is removed either
        };
        let meta = ObjectMetadata {
            bytes: e.bytes,
            sha256: e.sha256.clone(),
            ..local::metadata(&self.log, s, 0, &Default::default())
        };
        // A copy the bucket's retention removed was verified when
        // uploaded: there is nothing left to read back.
        let pruned = self.pruned(s.segment_no);
        if !pruned {
            if let Err(bad) = self.read_back(s, &e)? {
                // Not uploaded any more as far as retention is concerned.
                self.journal.forget(s.order());
                self.journal.store(&self.journal_path)?;
                return Err(bad);
            }
        }
        self.stepped(s.segment_no, Step::ReadBack);
        let key = self.object_key(&e.object);
        if !pruned && !self.check_object(&key, &meta)? {
            let what = format!("uploaded, now missing: {} is kept", s.path.display());
            return Err(self.remote.object_error(&key, ErrorKind::NotFound, what));
        }
        let file = match File::open(&s.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Removal::Gone),
            Err(e) => return Err(Error::io(&s.path, "open", e)),
        };
        match crate::sys::lock_exclusive(&file, &s.path, Duration::ZERO, "lock", CONVERTERS) {
            Err(e) if e.kind() == ErrorKind::Locked => return Ok(Removal::Stop),
            r => r?,
        }
        let after = self.record_position_past(s)?;
        remove_durably(&s.path)?;
        self.stepped(s.segment_no, Step::RemovedLocally);
        self.journal.set(Entry {
            state: State::LocalDeleted,
            ..e
        });
        self.journal.next = Some(self.journal.next.unwrap_or_default().max(after));
        self.journal.fold();
        self.journal.store(&self.journal_path)?;
        Ok(Removal::Removed)
    }

    /// Makes the log's manifest record, durably, that the log goes on past
    /// `s` (docs/FORMAT.md section 14a, "A log's position"), before `s` is
    /// removed: when it was the newest segment file, nothing else would
    /// say where the log's next writer goes on. A salvaged file's records
    /// are numbered above its segment's, below the next segment's. Returns
    /// that position, which the journal records too once `s` is removed.
    fn record_position_past(&self, s: &SealedSegment) -> Result<Position> {
        let after = Position::new(
            s.segment_no.saturating_add(1),
            s.first_seq.saturating_add(local::record_count(s)?),
        );
        let segment = s.salvaged.is_none().then_some(s.segment_no);
        position::record_before_removal(&self.dir, &self.log, after, segment)?;
        self.stepped(s.segment_no, Step::PositionRecorded);
        Ok(after)
    }

    /// Whether the object of journal entry `e` still holds the bytes it
    /// was uploaded with (ranged GETs, its SHA-256 compared with the entry's):
    /// `Corrupt`, naming the object and keeping the local segment `s`, if
    /// it was damaged or truncated in the bucket since; `NotFound` if it
    /// is gone. The outer result is a failure to find out.
    pub(super) fn read_back(&self, s: &SealedSegment, e: &Entry) -> Result<Result<()>> {
        let key = self.object_key(&e.object);
        let Some(d) = self.remote.digest(&key)? else {
            return Ok(Err(self.gone(&key)));
        };
        if d.bytes == e.bytes && d.sha256 == e.sha256 {
            return Ok(Ok(()));
        }
        let what = format!(
            "damaged in the bucket: {} bytes, sha256 {}, uploaded as {} bytes, sha256 {}; segment \
             {} is kept in {} and shipping stopped",
            d.bytes,
            d.sha256,
            e.bytes,
            e.sha256,
            s.segment_no,
            s.path.display()
        );
        let damaged = self.remote.object_error(&key, ErrorKind::Corrupt, what);
        Ok(Err(damaged))
    }
}

/// What `remove_one` did with a file.
enum Removal {
    Removed,
    /// Gone already (a conversion or retention took it).
    Gone,
    /// Not removed (not uploaded yet, or held): nor is any file after it.
    Stop,
}
