//! A log reader's list of files, in read order: the log directory listed
//! again (once its listing is no longer current, `segments::ListingStamp`)
//! with its bucket's objects merged in (`tier`), or a bucket read alone
//! listed again when due; the reader keeps its place by file name.

use super::{LogReader, Source};
use crate::error::Result;
use crate::format::{naming::remote_order, naming::ReadOrder};
use crate::log::segments;
use segments::ListingStamp;
use std::cmp::Ordering;
use std::path::{Path, PathBuf};

impl LogReader {
    /// Whether a segment after the current one exists, by a current listing
    /// of the log directory (taken again if it changed: a failed roll
    /// removes the file it made); a bucket read alone, by its polling.
    pub(super) fn later_segment_exists(&mut self) -> Result<bool> {
        let current = match (&self.source, &self.listing) {
            (Source::Log { dir, .. }, Some(stamp)) => stamp.still_current(dir),
            (Source::Log { .. }, None) => false,
            // A bucket is listed again when due (`refresh_remote_files`).
            (Source::Files, _) => !self.reads_bucket_alone(),
        };
        if !current {
            self.refresh_files(false)?;
        }
        Ok(self.at.idx + 1 < self.files.len())
    }

    /// Re-lists a log directory (a log read from its bucket alone: the
    /// bucket, when due), keeping the reader's place (`take_listing`); with
    /// `relist`, the bucket is listed again whatever the local files say.
    pub(super) fn refresh_files(&mut self, relist: bool) -> Result<()> {
        let Source::Log { dir, name } = &self.source else {
            return self.refresh_remote_files(relist);
        };
        // Stamped before listing, kept only once the listing succeeded.
        let stamp = ListingStamp::before_listing(dir);
        self.listing = None;
        let local = segments::list_files(dir, name)?;
        let mut files: Vec<PathBuf> = local.iter().map(|s| s.path.clone()).collect();
        let name = name.clone();
        let cmp = |a: &Path, b: &Path| segments::read_cmp(&name, a, b);
        if let Some(tier) = &mut self.tier {
            let orders: Vec<ReadOrder> = local.iter().map(|f| f.order).collect();
            tier.merge(&mut files, &orders, relist)?;
            files.sort_by(|a, b| cmp(a, b));
        }
        self.take_listing(files, cmp);
        self.listing = stamp;
        Ok(())
    }

    /// A log read from its bucket alone: its objects listed again when due
    /// or `relist`.
    fn refresh_remote_files(&mut self, relist: bool) -> Result<()> {
        let Some(tier) = self.tier.as_mut() else {
            return Ok(());
        };
        if !relist && !tier.next_listing_in().is_zero() {
            return Ok(());
        }
        let files = tier.urls()?;
        self.take_listing(files, |a, b| remote_order(a).cmp(&remote_order(b)));
        Ok(())
    }

    /// Replaces the list of files with `files` (in read order by `cmp`),
    /// keeping the reader's place. The place is a file name: the segment
    /// being read; else the first after the last one read to its end;
    /// else the one at `idx` (after a seek), or after the last one known.
    fn take_listing(&mut self, mut files: Vec<PathBuf>, cmp: impl Fn(&Path, &Path) -> Ordering) {
        let find = |files: &[PathBuf], at: &Path| files.binary_search_by(|f| cmp(f, at));
        let after = |files: &[PathBuf], at: &Path| files.partition_point(|f| cmp(f, at).is_le());
        let from = |files: &[PathBuf], at: &Path| files.partition_point(|f| cmp(f, at).is_lt());
        self.at.idx = if self.at.current.is_some() {
            // The segment being read stays in the list even if retention
            // removed its name (its mapping is still readable).
            let cur = &self.files[self.at.idx];
            find(&files, cur).unwrap_or_else(|pos| {
                files.insert(pos, cur.clone());
                pos
            })
        } else if let Some(done) = &self.at.last_done {
            after(&files, done)
        } else {
            match (self.files.get(self.at.idx), self.files.last()) {
                (Some(at), _) => from(&files, at),
                (None, Some(last)) => after(&files, last),
                (None, None) => 0,
            }
        };
        self.files = files;
    }
}
