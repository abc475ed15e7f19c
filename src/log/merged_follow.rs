//! Following many live logs as one stream (`MergedReader::next_wait`).
//!
//! The wait: the log directory of the local logs is watched as a
//! `LogReader::next_wait` watches its own (`crate::watch`: polling while
//! writers are active, blocking on inotify once quiet). Logs read from a
//! bucket alone are looked at again when their next listing is due (the
//! same backoff as their own follower: `reader_tier`); logs in a directory
//! other than the first local log's are looked at every `OTHER_DIR_PAUSE`.

use super::merged::{MergedReader, MergedRecord};
use super::reader::LEAST_PAUSE;
use crate::error::Result;
use crate::watch::wait_in_steps;
use std::path::PathBuf;
use std::time::Duration;

/// How often logs in a directory other than the watched one are looked at.
const OTHER_DIR_PAUSE: Duration = Duration::from_millis(20);

impl MergedReader {
    /// Like `next`, but when no log has a record waits up to `timeout` for
    /// one to be written to any log (or shipped), and returns `None` on
    /// timeout. No record is held back for a log that has none yet: a
    /// slower log's record comes as soon as it is found, even after later
    /// timestamps of other logs.
    pub fn next_wait(&mut self, timeout: Duration) -> Result<Option<MergedRecord<'_>>> {
        if !self.attempt()? && !self.wait_for_any(timeout)? {
            return Ok(None);
        }
        Ok(self.pop())
    }

    /// Looks again at every log at its end; true if some log has a record.
    fn attempt(&mut self) -> Result<bool> {
        self.look_again();
        self.find_pending()?;
        Ok(self.has_record())
    }

    /// Waits up to `timeout` for a record in any log; true once there is.
    fn wait_for_any(&mut self, timeout: Duration) -> Result<bool> {
        let watched = self.watched_dir();
        // Taken out while `attempt` borrows the reader.
        let mut follow = std::mem::take(&mut self.follow);
        let pause = |m: &MergedReader| m.unwatched_pause(watched.as_ref());
        let attempt = |m: &mut MergedReader| m.attempt().map(|any| any.then_some(()));
        let found = wait_in_steps(
            self,
            &mut follow,
            timeout,
            watched.as_deref(),
            pause,
            attempt,
        );
        self.follow = follow;
        Ok(found?.is_some())
    }
    /// The directory watched: the first local log's (`None` if every log
    /// is read from a bucket alone).
    fn watched_dir(&self) -> Option<PathBuf> {
        self.logs.iter().find_map(|m| m.reader.follow_dir())
    }

    /// The longest step of a wait on `watched` before the logs it does not
    /// cover are looked at again (`Duration::MAX`: none).
    fn unwatched_pause(&self, watched: Option<&PathBuf>) -> Duration {
        let mut pause = Duration::MAX;
        for m in &self.logs {
            if let Some(due) = m.reader.listing_due_in() {
                pause = pause.min(due.max(LEAST_PAUSE));
            } else if m.reader.follow_dir().as_ref() != watched {
                pause = pause.min(OTHER_DIR_PAUSE);
            }
        }
        pause
    }
}
