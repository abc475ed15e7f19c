//! The remote tier of a log reader (feature "s3"): the log's segments
//! shipped to a bucket (an `Archived`, such as `archive::RemoteLog`), read
//! where no local file holds them. They take their places in the reader's
//! list of files as `s3://bucket/key` names, ordered by the segment numbers
//! their keys carry, so the log reads as one stream.
//!
//! The bucket is listed when the reader opens, and again only when the
//! local files start after the last segment listed, when a local file
//! vanished before it could be opened, or, polling with backoff, while
//! the bucket holds the log's newest segment (always, for a log read from
//! its bucket alone): a follower at a local live end sends no LIST. The
//! pause between two listings starts at `RELIST_MIN` and doubles after
//! each listing that shows no new object, up to `RELIST_MAX`.

use crate::error::Result;
use crate::format::naming::{remote_order, ReadOrder};
use crate::reader::Reader;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The shortest pause between two listings of the bucket (a LIST is a paid
/// request; a segment is shipped once sealed, seconds to hours apart).
pub(super) const RELIST_MIN: Duration = Duration::from_millis(250);

/// The longest such pause, which an idle follower reaches (a record is
/// seen within 2 s of its segment's upload).
pub(super) const RELIST_MAX: Duration = Duration::from_secs(1);

/// A log's segments shipped beyond its directory, as a `LogReader` reads
/// them: `archive::RemoteLog` (a bucket) is one.
pub trait Archived: Send {
    /// The log's name.
    fn log(&self) -> &str;

    /// Each segment object's segment number and URL (`s3://bucket/...`,
    /// ending in its `naming::segment_object_name`), by segment number, as
    /// a listing shows them now; each followed by the objects of the files
    /// salvaged from it (`naming::salvaged_object_name`).
    fn segment_urls(&self) -> Result<Vec<(u64, PathBuf)>>;

    /// A reader of the segment object at `url`; with `salvage`, as
    /// `Reader::open_salvage`.
    fn open_url(&self, url: &Path, salvage: bool) -> Result<Reader>;

    /// Every segment object up to the one returned was removed by the
    /// bucket's retention (`RemoteLog::prune`), or is being: one of them
    /// found gone is a gap of reason `retention`. `None` if none was, or
    /// if that cannot be read.
    fn retention_through(&self) -> Option<u64> {
        None
    }
}

/// The remote tier itself; without feature "s3" none is ever made (no
/// `Archived` can be given), and an `s3://` name is no object's.
pub(super) struct Tier {
    /// The log's segments beyond its directory (a reader opens its
    /// objects with `open_url`).
    pub log: Box<dyn Archived>,
    /// The segment objects the last listing showed, as (number, URL).
    listed: Vec<(u64, PathBuf)>,
    /// When `listed` was listed (`None`: never yet).
    listed_at: Option<Instant>,
    /// The pause after `listed_at` before the next listing is due.
    pause: Duration,
}

impl Tier {
    pub fn new(log: Box<dyn Archived>) -> Tier {
        Tier {
            log,
            listed: Vec::new(),
            listed_at: None,
            pause: RELIST_MIN,
        }
    }

    /// The URLs of the segment objects, by segment number (listed now).
    pub fn urls(&mut self) -> Result<Vec<PathBuf>> {
        self.list()?;
        Ok(self.listed.iter().map(|(_, u)| u.clone()).collect())
    }

    /// Lists the bucket, and sets the pause before the next listing: the
    /// shortest if it shows an object the last one did not (the newest
    /// object's URL changed), else twice the last, up to the longest.
    fn list(&mut self) -> Result<()> {
        let urls = self.log.segment_urls()?;
        let newest = |l: &[(u64, PathBuf)]| l.last().map(|(_, u)| u.clone());
        let before = self.listed_at.map(|_| newest(&self.listed));
        self.pause = match before {
            Some(b) if b == newest(&urls) => (self.pause * 2).min(RELIST_MAX),
            _ => RELIST_MIN,
        };
        (self.listed, self.listed_at) = (urls, Some(Instant::now()));
        Ok(())
    }

    /// How long until the next listing is due (zero: now).
    pub fn next_listing_in(&self) -> Duration {
        self.listed_at
            .map_or(Duration::ZERO, |at| self.pause.saturating_sub(at.elapsed()))
    }

    /// Adds to `files` (a log's local files, in read order) the objects
    /// whose places (`ReadOrder`) no local file takes, listing the bucket
    /// again when the module's comment says.
    pub fn merge(
        &mut self,
        files: &mut Vec<PathBuf>,
        local: &[ReadOrder],
        relist: bool,
    ) -> Result<()> {
        let listed_newest = self.listed_at.map(|_| self.listed.last().map(|(n, _)| *n));
        let oldest_local = local.iter().map(|o| o.segment_no).min();
        let newest_local = local.iter().map(|o| o.segment_no).max();
        let stale = match (listed_newest, oldest_local) {
            (Some(newest), Some(oldest)) => oldest > newest.map_or(0, |n| n + 1),
            _ => true,
        };
        let bucket_ends_log = matches!(
            (listed_newest.flatten(), newest_local),
            (Some(remote), Some(local)) if local <= remote
        );
        let due = bucket_ends_log && self.next_listing_in().is_zero();
        if relist || stale || due {
            self.list()?;
        }
        let remote_only = (self.listed)
            .iter()
            .filter(|(_, u)| remote_order(u).is_some_and(|o| !local.contains(&o)));
        files.extend(remote_only.map(|(_, u)| u.clone()));
        Ok(())
    }
}
