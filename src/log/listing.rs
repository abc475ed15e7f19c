//! Whether a log directory's listing is still current, from one `stat` of
//! the directory, so that a follower at the end of a log does not read the
//! whole directory on every poll (docs/PERFORMANCE.md, h).
//!
//! Creating, removing or renaming an entry sets the directory's mtime, from
//! a clock that ticks every few milliseconds: a listing counts as current
//! only if it was begun `SETTLED` or more after the mtime it saw, and
//! never once older than `MAX_AGE` (a wall clock stepped back could make
//! an old mtime look settled).

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

/// Longer than the coarsest kernel clock tick (10 ms at HZ=100), twice.
const SETTLED: Duration = Duration::from_millis(20);

/// The longest a listing is used without reading the directory again.
const MAX_AGE: Duration = Duration::from_secs(1);

/// The directory as a listing about to be made sees it.
#[derive(Clone, Debug)]
pub struct ListingStamp {
    dev: u64,
    ino: u64,
    mtime: (i64, i64),
    /// Taken before the directory's mtime was read.
    begun_wall: SystemTime,
    begun: Instant,
}

impl ListingStamp {
    /// Stamps a listing of `dir` that the caller makes right after this
    /// returns; `None` if the directory cannot be read.
    pub fn before_listing(dir: &Path) -> Option<ListingStamp> {
        let begun_wall = SystemTime::now();
        let begun = Instant::now();
        let m = std::fs::metadata(dir).ok()?;
        Some(ListingStamp {
            dev: m.dev(),
            ino: m.ino(),
            mtime: (m.mtime(), m.mtime_nsec()),
            begun_wall,
            begun,
        })
    }

    /// Whether the listing made after this stamp still names every entry
    /// of `dir`: the directory has not changed since, and the listing was
    /// begun long enough after its last change.
    pub fn still_current(&self, dir: &Path) -> bool {
        if self.begun.elapsed() >= MAX_AGE {
            return false;
        }
        let Ok(m) = std::fs::metadata(dir) else {
            return false;
        };
        if (m.dev(), m.ino(), (m.mtime(), m.mtime_nsec())) != (self.dev, self.ino, self.mtime) {
            return false;
        }
        let Ok(mtime) = m.modified() else {
            return false;
        };
        self.begun_wall
            .duration_since(mtime)
            .is_ok_and(|settled| settled >= SETTLED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("binlog-listing-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// Sets the directory's mtime `ago` before now (negative: ahead).
    fn set_mtime(d: &Path, ago: Duration, ahead: bool) {
        let now = SystemTime::now();
        let t = if ahead { now + ago } else { now - ago };
        std::fs::File::open(d).unwrap().set_modified(t).unwrap();
    }

    #[test]
    // Real directories and modification times: Miri isolates the
    // filesystem.
    #[cfg_attr(miri, ignore)]
    fn a_listing_begun_within_settled_of_a_change_is_not_trusted() {
        let d = dir("fresh");
        // A change 5 ms before the listing (not settled), and one stamped
        // after it (a clock that went back).
        set_mtime(&d, Duration::from_millis(5), false);
        assert!(!ListingStamp::before_listing(&d).unwrap().still_current(&d));
        set_mtime(&d, Duration::from_secs(1), true);
        assert!(!ListingStamp::before_listing(&d).unwrap().still_current(&d));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    // Real directories and modification times: Miri isolates the
    // filesystem.
    #[cfg_attr(miri, ignore)]
    fn a_settled_listing_is_trusted_until_an_entry_changes() {
        let d = dir("settled");
        std::fs::write(d.join("a"), b"").unwrap();
        set_mtime(&d, Duration::from_secs(1), false);
        let s = ListingStamp::before_listing(&d).unwrap();
        assert!(s.still_current(&d));
        // Writing into an entry is not a change of the directory.
        std::fs::write(d.join("a"), b"data").unwrap();
        assert!(s.still_current(&d));
        std::fs::write(d.join("b"), b"").unwrap();
        assert!(!s.still_current(&d), "an entry was created");
        let s = {
            set_mtime(&d, Duration::from_secs(1), false);
            ListingStamp::before_listing(&d).unwrap()
        };
        std::fs::remove_file(d.join("b")).unwrap();
        assert!(!s.still_current(&d), "an entry was removed");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    // Real directories and modification times: Miri isolates the
    // filesystem.
    #[cfg_attr(miri, ignore)]
    fn a_removed_or_replaced_directory_is_a_change() {
        let d = dir("gone");
        set_mtime(&d, Duration::from_secs(1), false);
        let s = ListingStamp::before_listing(&d).unwrap();
        assert!(s.still_current(&d));
        std::fs::remove_dir_all(&d).unwrap();
        assert!(!s.still_current(&d));
        std::fs::create_dir_all(&d).unwrap();
        set_mtime(&d, Duration::from_secs(1), false);
        assert!(!s.still_current(&d), "another directory of that name");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
