//! Where a log reader stands, and moving it there: a seek by sequence
//! number (whole segments skipped by their first sequence numbers), to
//! the log's end, or by time (sealed segments whose seals say every
//! record is older skipped unread); a target no record reached yet stays
//! pending across segments (`unreached`).

use super::LogReader;
use crate::error::{ErrorKind, Result};
use crate::format::naming::{remote_key, remote_order};
use crate::reader::{Reader, SeekTarget, Tail};

impl LogReader {
    /// `seek_seq`'s move: into the last segment whose first sequence
    /// number is at most `seq`.
    pub(super) fn position_at_seq(&mut self, seq: u64) -> Result<()> {
        self.refresh_files(false)?;
        // The last segment whose first sequence number is <= seq.
        let mut start = 0;
        for (i, f) in self.files.iter().enumerate().rev() {
            // A remote segment's key says where it starts (no GET).
            let first = remote_key(f)
                .map(|k| k.first_seq)
                .or_else(|| Reader::open(f).ok().map(|r| r.header().first_seq));
            if first.is_some_and(|first| first <= seq) {
                start = i;
                break;
            }
        }
        self.position(start, |r| r.seek_seq(seq))?;
        self.keep_unreached(SeekTarget::Seq(seq));
        Ok(())
    }

    /// After a seek to `target`: if no record reached it, it stays pending
    /// across segments.
    fn keep_unreached(&mut self, target: SeekTarget) {
        self.unreached = match &self.current {
            Some(r) => r.unreached(),
            None => target.pending(),
        };
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
        self.unreached = SeekTarget::Time(ts_ns).pending();
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
        self.idx = i;
        self.current = None;
        self.left.clear();
        self.expected = None;
        self.prev_segment = None;
        self.last_done = None;
        self.unreached = None;
        self.open_gap = None;
        if self.open_segment()? {
            seek(self.current.as_mut().expect("opened"))?;
        }
        Ok(())
    }
}
