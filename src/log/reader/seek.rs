//! Where a log reader stands, and moving it there: a seek by sequence
//! number (whole segments skipped by their first sequence numbers), to
//! the log's end, or by time (sealed segments whose seals say every
//! record is older skipped unread); a target no record reached yet stays
//! pending across segments (`unreached`).

use super::{LogReader, Place, Source};
use crate::error::{Error, ErrorKind, Result};
use crate::format::naming::{remote_key, remote_order};
use crate::log::gap::{Gap, GapReason};
use crate::reader::{Reader, SeekTarget, Tail};
use std::path::PathBuf;

impl LogReader {
    /// Where the reader stands: the sequence number it reads on at. One
    /// past the last record found (returned, or passed over by a type
    /// filter, a time window or a seek), or where a seek by sequence number
    /// put it if no record past that was found yet; 0 (the first record)
    /// before either. A consumer commits it; a position token holds it.
    pub fn next_position(&self) -> u64 {
        self.at.expected.unwrap_or(0).max(self.seek_at)
    }

    /// The sequence number the record the reader stands before carries,
    /// as far as the segment it stands in knows (after a seek); `None`
    /// with no segment open.
    pub(crate) fn standing_at(&self) -> Option<u64> {
        self.at.current.as_ref().map(|r| r.next_seq())
    }

    /// The log directory this reader reads (`None`: a list of files, or a
    /// log read from its bucket alone).
    pub fn log_dir(&self) -> Option<&std::path::Path> {
        match &self.source {
            Source::Log { dir, .. } => Some(dir),
            Source::Files => None,
        }
    }

    /// The log this reader reads: its name, for a log directory; else the
    /// log named by the header of the first segment it can open.
    pub fn log_name(&self) -> Result<String> {
        if let Source::Log { name, .. } = &self.source {
            return Ok(name.clone());
        }
        if let Some(s) = &self.record_segment {
            return Ok(s.header.log_name.clone());
        }
        let first = self
            .files
            .first()
            .ok_or_else(|| Error::invalid("no segment to read"))?;
        Ok(self.open_reader(first)?.header().log_name.clone())
    }

    /// The position token of where the reader stands (`next_position` in
    /// `log_name`): printable text that `seek_position` takes, valid across
    /// rolls, compression, shipping and retention.
    pub fn position_token(&self) -> Result<String> {
        let log = self.log_name()?;
        crate::log::options::validate_name(&log)?;
        Ok(crate::log::token::encode(&[(log, self.next_position())]))
    }

    /// Positions the reader where `token` (from `position_token`) says:
    /// `InvalidArgument` for a token of another log or text that is none.
    /// Records below it deleted meanwhile (retention, prune) are reported
    /// as a `Retention` gap, as `resume_at` does.
    pub fn seek_position(&mut self, token: &str) -> Result<()> {
        let seq = crate::log::token::seq_in(token, &self.log_name()?)?;
        self.resume_at(seq)
    }

    /// Goes on at sequence number `seq`, where a reader stood before (a
    /// commit, a token): as `seek_seq`, and if the log's records from `seq`
    /// on are gone (its oldest segment left starts after it), the records
    /// never seen are a `Retention` gap, never skipped silently.
    pub fn resume_at(&mut self, seq: u64) -> Result<()> {
        self.seek_seq(seq)?;
        match &self.at.current {
            Some(r) if r.header().first_seq > seq => {
                let first = Some(r.header().first_seq);
                let gap = Gap::new(GapReason::Retention, r.path(), Some(seq), first);
                self.gaps.push(gap);
            }
            Some(_) => {}
            // No segment yet: the first one to come is checked against it.
            None => self.at.expected = Some(seq),
        }
        Ok(())
    }

    /// `seek_seq`'s move: into the last segment whose first sequence
    /// number is at most `seq`.
    pub(super) fn position_at_seq(&mut self, seq: u64) -> Result<()> {
        self.refresh_files(false)?;
        // The last segment whose first sequence number is <= seq.
        let starts_by = |f: &PathBuf| {
            // A remote segment's key says where it starts (no GET).
            let first = remote_key(f)
                .map(|k| k.first_seq)
                .or_else(|| Reader::open(f).ok().map(|r| r.header().first_seq));
            first.is_some_and(|first| first <= seq)
        };
        let start = self.files.iter().rposition(starts_by).unwrap_or(0);
        self.position(start, |r| r.seek_seq(seq))?;
        self.keep_unreached(SeekTarget::Seq(seq));
        Ok(())
    }

    /// After a seek to `target`: if no record reached it, it stays pending
    /// across segments.
    fn keep_unreached(&mut self, target: SeekTarget) {
        let current = self.at.current.as_ref();
        self.at.unreached = current.map_or_else(|| target.pending(), |r| r.unreached());
    }

    /// `seek_time`'s move: into the first segment not skipped as older.
    pub(super) fn position_at_time(&mut self, ts_ns: i64) -> Result<()> {
        self.refresh_files(false)?;
        let mut i = 0;
        while i < self.files.len() {
            let older = |r: &Reader| {
                r.seal()
                    .is_some_and(|d| d.record_count == 0 || d.max_ts < ts_ns)
            };
            let skip = match self.open_to_look(i, older) {
                Ok(skip) => skip,
                // Removed (by retention) since the listing: nothing to read.
                Err(e) if e.kind() == ErrorKind::NotFound => true,
                // One that cannot be opened may hold such records: stop
                // there, so that reading it says what is wrong.
                Err(_) => false,
            };
            if !skip {
                self.position(i, |r| r.seek_time(ts_ns))?;
                // Found in this segment, or it is the newest: done.
                if self.tail() == Tail::Reading || i + 1 >= self.files.len() {
                    self.keep_unreached(SeekTarget::Time(ts_ns));
                    return Ok(());
                }
            }
            i += 1;
        }
        // Every record is older: stand at the end of the newest segment,
        // skipping records written later that are older still.
        let last = self.files.len().saturating_sub(1);
        self.position(last, |r| r.seek_seq(u64::MAX))?;
        self.at.unreached = SeekTarget::Time(ts_ns).pending();
        Ok(())
    }

    /// Whether `skip` says to skip segment `i`, opened to look at its
    /// seal; a remote one is kept for `open_segment` if not skipped
    /// (opening it again would cost its GETs again).
    pub(super) fn open_to_look(
        &mut self,
        i: usize,
        skip: impl Fn(&Reader) -> bool,
    ) -> Result<bool> {
        let path = self.files[i].clone();
        if remote_order(&path).is_none() {
            return Reader::open(&path).map(|r| skip(&r));
        }
        let r = self.open_reader(&path)?;
        let skipped = skip(&r);
        if !skipped {
            self.looked_at = Some((path, r));
        }
        Ok(skipped)
    }

    /// Opens segment `i` and applies `seek` to it.
    pub(super) fn position(
        &mut self,
        i: usize,
        seek: impl FnOnce(&mut Reader) -> Result<()>,
    ) -> Result<()> {
        self.at = Place {
            idx: i,
            ..Place::default()
        };
        if self.open_segment()? {
            seek(self.at.current.as_mut().expect("opened"))?;
        }
        Ok(())
    }
}
