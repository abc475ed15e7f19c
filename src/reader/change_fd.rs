//! A descriptor a follower can hand to poll, select or epoll: readable when
//! the segment or log it follows may have new records.
//!
//! It is readable on a change notifier's report of what `next_wait` watches
//! and on a one-shot timer for what the notifier does not report: readable
//! `SETTLE` after a change (a log reader lists a changed directory again
//! only once settled), and otherwise every `RECHECK`, or every
//! `NETWORK_POLL` on a network filesystem. It may be readable with nothing
//! new to read.

use crate::error::{Error, Result};
use crate::sys::notify::{self, Notifier, Watched};
use crate::sys::ready::Pollable;
use std::os::fd::RawFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// After a change: another look once a directory's listing can be trusted
/// (more than `log::segments::ListingStamp`'s 20 ms).
const SETTLE: Duration = Duration::from_millis(25);
/// Without a change: the longest the descriptor stays unreadable (as a
/// blocked `next_wait` reads again).
const RECHECK: Duration = Duration::from_millis(250);
/// On a network filesystem: a poll interval.
const NETWORK_POLL: Duration = Duration::from_millis(10);

/// A pollable descriptor for a follower (see the module comment). Use:
/// poll it for reading; once readable, call `rearm`, then read records
/// until the reader has none (`next` returns `None`), then poll again. A
/// change after `rearm` makes it readable again, so a record written while
/// the reader reads is never waited for unseen. It is readable when made,
/// so that a first poll reads what is already there. Do not read from the
/// descriptor itself.
pub struct ChangeFd {
    ready: Pollable,
    path: PathBuf,
}

impl ChangeFd {
    /// A descriptor for changes to `path` (a segment file, or a log's
    /// directory), as `next_wait` watches it.
    pub(crate) fn new(path: &Path, what: Watched) -> Result<ChangeFd> {
        // Without a notifier (a network filesystem, or none to be had) the
        // timer alone makes it readable.
        let local = notify::on_network_filesystem(path) == Some(false);
        let watch = local.then(|| Notifier::new(path, what)).flatten();
        let ready = Pollable::new(watch).and_then(|r| r.arm(Duration::ZERO).map(|()| r));
        let ready = ready.map_err(|e| Error::io(path, "making a pollable change descriptor", e))?;
        let path = path.to_path_buf();
        Ok(ChangeFd { ready, path })
    }

    /// The descriptor to poll for reading; valid while this lives.
    pub fn raw_fd(&self) -> RawFd {
        self.ready.raw_fd()
    }

    /// Takes the changes reported so far: the descriptor is not readable
    /// until the next change or timed re-check. Call it before reading
    /// (see `ChangeFd`).
    pub fn rearm(&self) -> Result<()> {
        let changed = self.ready.take_changes();
        self.ready
            .arm(self.next_look(changed))
            .map_err(|e| Error::io(&self.path, "re-arming a pollable change descriptor", e))
    }

    /// How long after a re-arm the timer makes the descriptor readable:
    /// `SETTLE` after a change was reported (`changed`), else `RECHECK`;
    /// without a notifier, `NETWORK_POLL`.
    fn next_look(&self, changed: bool) -> Duration {
        match self.ready.watches() {
            false => NETWORK_POLL,
            true if changed => SETTLE,
            true => RECHECK,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn readable(fd: RawFd, ms: u64) -> bool {
        crate::sys::readable(fd, Duration::from_millis(ms))
    }

    #[test]
    fn readable_at_first_then_after_a_change_or_a_recheck() {
        let d = crate::sys::scratch::empty_dir("change-fd");
        let p = d.join("seg");
        let mut f = std::fs::File::create(&p).unwrap();
        let c = ChangeFd::new(&p, Watched::File).unwrap();
        assert!(readable(c.raw_fd(), 1000), "readable when made");
        c.rearm().unwrap();
        assert!(!readable(c.raw_fd(), 0), "nothing changed");
        // Only a change can make it readable now (a notifier without
        // kqueue reports it at its next look).
        c.ready.arm(Duration::from_secs(3600)).unwrap();
        f.write_all(b"x").unwrap();
        assert!(readable(c.raw_fd(), 5000), "a write");
        c.rearm().unwrap();
        // The settle look after a change, then the recheck.
        assert!(readable(c.raw_fd(), 5000));
        assert_eq!(c.next_look(true), SETTLE);
        c.rearm().unwrap();
        assert!(readable(c.raw_fd(), 5000));
        assert_eq!(c.next_look(false), RECHECK);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
