//! Following many live logs as one stream (`MergedReader::next_wait`).
//!
//! The order while following: each call first looks again at every log
//! at its end, then returns the smallest (timestamp, log name, sequence
//! number) of the logs' next records present then, as `next` orders them.
//! No record is held back for a log that has none yet: a record that a
//! slower log writes after records of later timestamps from other logs
//! were returned comes as soon as it is found, so the stream is then not
//! sorted by time at that place (each log's records still come in their
//! order, each once).
//!
//! The wait: the log directory of the local logs is watched as a
//! `LogReader::next_wait` watches its own (`crate::watch`: polling while
//! writers are active, blocking on inotify once quiet). Logs read from a
//! bucket alone are looked at again when their next listing is due (the
//! same backoff as their own follower: `reader_tier`); logs in a directory
//! other than the first local log's are looked at every `OTHER_DIR_PAUSE`.

use super::merged::{MergedReader, MergedRecord};
use crate::error::Result;
use crate::watch::Watched;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The shortest step between two looks at logs that are not watched (a
/// bucket's listing due now still waits this long, so that a listing that
/// finds nothing new cannot make the wait spin).
const LEAST_PAUSE: Duration = Duration::from_millis(20);

/// How often logs in a directory other than the watched one are looked at.
const OTHER_DIR_PAUSE: Duration = Duration::from_millis(20);

impl MergedReader {
    /// Like `next`, but when no log has a record waits up to `timeout` for
    /// one to be written to any log (or shipped to the bucket of a log
    /// read from there), and returns `None` on timeout. A record is
    /// returned whole, never a partial one.
    ///
    /// The order while following: each call first looks again at every log
    /// at its end, then returns the smallest (timestamp, log name, sequence
    /// number) of the logs' next records present then. No record is held
    /// back for a log that has none yet: a record a slower log writes after
    /// records of later timestamps from other logs were returned comes as
    /// soon as it is found (the stream is then not sorted by time at that
    /// place; each log's records still come in their order, each once).
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
        let deadline = Instant::now().checked_add(timeout);
        let watched = self.watched_dir();
        // Taken out while `attempt` borrows the reader.
        let mut follow = std::mem::take(&mut self.follow);
        let found = loop {
            let left = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => Duration::MAX,
            };
            if left.is_zero() {
                break Ok(false);
            }
            let step = left.min(self.unwatched_pause(watched.as_ref()));
            let got = match &watched {
                Some(dir) => follow.wait_for(step, dir, Watched::Dir, || {
                    self.attempt().map(|any| any.then_some(()))
                }),
                None => {
                    std::thread::sleep(step);
                    self.attempt().map(|any| any.then_some(()))
                }
            };
            match got {
                Ok(Some(())) => break Ok(true),
                Ok(None) => {}
                Err(e) => break Err(e),
            }
        };
        self.follow = follow;
        found
    }

    /// The directory watched: the first local log's (`None` if every log
    /// is read from a bucket alone).
    fn watched_dir(&self) -> Option<PathBuf> {
        self.logs.iter().find_map(|m| m.reader.follow_dir())
    }

    /// The longest step of a wait on `watched` before the logs it does not
    /// cover are looked at again: a bucket's next listing, a log in
    /// another directory (`Duration::MAX`: none).
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
