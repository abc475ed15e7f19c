//! Waiting at the end of a live segment or log for its writer to add to it
//! (`next_wait`), without reading the file thousands of times a second.
//!
//! A follower watches the log's directory (or the segment) with a change notifier
//! (`sys::notify`).
//! While the writer is active it polls, from `MIN_PAUSE` doubling up to
//! `MAX_PAUSE`, and a change the notifier reports ends a pause early
//! (docs/PERFORMANCE.md, h); a change that brings nothing to read (another
//! log's writes in the directory) does not. Polling also covers what the
//! readers look at only once settled (a log directory's listing, see
//! `log::segments::ListingStamp`). Once `QUIET` passes with nothing new it blocks on
//! the notifier, so that an idle follower uses no CPU; it reads again every
//! `RECHECK`, for what the notifier does not report, and watches again if the
//! path names another file by then.
//!
//! Where the notifier cannot see every writer (a network filesystem) or no
//! instance is to be had (`MAX_WATCHES`), the follower only polls.

use crate::error::Result;
use crate::sys::notify::{self, Notifier};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The first pause of a follower that found nothing new.
const MIN_PAUSE: Duration = Duration::from_micros(20);
/// The longest pause while polling.
const MAX_PAUSE: Duration = Duration::from_micros(500);
/// How long a follower polls after the last change before it blocks on
/// the notifier: longer than a log reader waits for a directory's modification
/// time to settle before it trusts a new listing (`log::segments::ListingStamp`, 20 ms),
/// so that the directory is listed once settled before the follower blocks.
const QUIET: Duration = Duration::from_millis(25);
/// The longest a blocked follower waits without reading again.
const RECHECK: Duration = Duration::from_millis(250);

/// A follower's wait state: kept by the reader across `next_wait` calls, so
/// that the notifier is made once.
#[derive(Default)]
pub(crate) struct Follow {
    watch: WatchState,
    /// The last change seen when the last call ended: a follower that
    /// found nothing goes on blocking in its next call (`binlog tail -f`
    /// waits 200 ms a call), one that found something polls first.
    changed: Option<Instant>,
}

#[derive(Default)]
enum WatchState {
    /// Not needed yet.
    #[default]
    Unset,
    Watching(ChangeWatch),
    /// No notifier here (a network filesystem), or none to be had (the
    /// process's `MAX_WATCHES` in use, or the user's instances) since the
    /// instant it holds: poll, and try again `RETRY` after it.
    Unavailable(Instant),
}

/// How long a follower without a watch polls before it tries again to get
/// one (another reader may have let its watch go).
const RETRY: Duration = Duration::from_secs(1);

/// The most notifiers the readers of one process hold at once.
/// They are a per-user resource (on Linux, `max_user_instances`: 128
/// by default, shared by every process of the user: file managers, editors,
/// systemd): a service with hundreds of idle followers must not take them
/// all. Followers beyond this only poll.
const MAX_WATCHES: usize = 16;
static WATCHES: AtomicUsize = AtomicUsize::new(0);

// What to watch: a log's directory or one segment file.
pub(crate) use crate::sys::notify::Watched;

impl Follow {
    /// A record was found without waiting: the writer is active, and the
    /// next wait polls first.
    pub(crate) fn found(&mut self) {
        self.changed = None;
    }

    /// Whether a wait that starts at `now` polls first (rather than block
    /// at once): the follower found something since its last wait, or its
    /// last wait saw a change less than `QUIET` before `now` (what
    /// `wait_for` decides at its first pause; for the tests).
    #[cfg(test)]
    pub(crate) fn polls_first(&self, now: Instant) -> bool {
        !quiet_since(self.changed.unwrap_or(now), now)
    }

    /// Calls `attempt` until it finds something (returned) or `timeout`
    /// passes (`None`). `path` is what a blocked follower watches for
    /// changes (used when it first blocks).
    pub(crate) fn wait_for<T>(
        &mut self,
        timeout: Duration,
        path: &Path,
        what: Watched,
        mut attempt: impl FnMut() -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        let mut wait = Wait {
            // A timeout too long for an Instant (Duration::MAX) waits for
            // good.
            deadline: Instant::now().checked_add(timeout),
            pause: MIN_PAUSE,
            changed: self.changed.unwrap_or_else(Instant::now),
            rest: None,
        };
        loop {
            // What was reported so far is what `attempt` now sees. A change
            // reported but not found may be one the readers look at only
            // now and then (a directory listing taken again once its
            // modification time settled): poll on for it.
            if let WatchState::Watching(w) = &self.watch {
                if w.notifier.drain() {
                    wait.changed = Instant::now();
                }
            }
            if let Some(found) = attempt()? {
                self.changed = None;
                return Ok(Some(found));
            }
            let now = Instant::now();
            let Some(left) = left_until(wait.deadline, now) else {
                self.changed = Some(wait.changed);
                return Ok(None);
            };
            match &self.watch {
                WatchState::Watching(w) if quiet_since(wait.changed, now) => {
                    if !wait.block(w, left) && identity(path) != Some(w.id) {
                        // The path names another file now (the directory
                        // was replaced, or the file renamed over): the
                        // watch follows the old one, so watch the new.
                        self.watch = WatchState::Unset;
                    }
                }
                WatchState::Watching(w) => wait.poll(Some(w), now, left),
                WatchState::Unavailable(since) if now.duration_since(*since) < RETRY => {
                    wait.poll(None, now, left)
                }
                // Never tried, or no notifier was to be had `RETRY` ago: the
                // watch is made now. A change between the last attempt and
                // the watch would not be reported: it looks once more first.
                _ => {
                    let made = ChangeWatch::new(path, what);
                    self.watch = made.map_or(WatchState::Unavailable(now), WatchState::Watching);
                }
            }
        }
    }
}

/// Whether a follower that last saw a change at `changed` has been quiet
/// long enough at `now` to block (`QUIET`).
fn quiet_since(changed: Instant, now: Instant) -> bool {
    now.duration_since(changed) >= QUIET
}

/// One `Follow::wait_for` call's state between its attempts.
struct Wait {
    deadline: Option<Instant>,
    /// The next polling pause (doubling up to `MAX_PAUSE`).
    pause: Duration,
    /// When a change was last reported (or the wait began).
    changed: Instant,
    /// The end of a pause a change cut short (see `poll`).
    rest: Option<Instant>,
}

/// The time left at `now` before `deadline` (none: for good), `None` once
/// it passed.
fn left_until(deadline: Option<Instant>, now: Instant) -> Option<Duration> {
    match deadline {
        Some(d) if now >= d => None,
        Some(d) => Some(d - now),
        None => Some(Duration::MAX),
    }
}

impl Wait {
    /// Blocks on the watch `w` for up to `left` (and `RECHECK`); true if it
    /// reported a change (polling starts over).
    fn block(&mut self, w: &ChangeWatch, left: Duration) -> bool {
        if w.notifier.wait(left.min(RECHECK)) {
            self.changed = Instant::now();
            self.pause = MIN_PAUSE;
            return true;
        }
        false
    }

    /// Polling: a pause that a change reported by `w` ends early, so that a
    /// record is read as soon as it is written. A change that brings
    /// nothing to read (another log's writes in the directory) does not
    /// shorten the pause: the rest of it is slept. Without a watch, a plain
    /// sleep.
    fn poll(&mut self, w: Option<&ChangeWatch>, now: Instant, left: Duration) {
        match (w, self.rest.take()) {
            (None, rest) => {
                self.rest = rest;
                std::thread::sleep(self.pause.min(left));
            }
            (Some(_), Some(end)) => {
                std::thread::sleep(end.saturating_duration_since(now).min(left))
            }
            (Some(w), None) => {
                let step = self.pause.min(left);
                if w.notifier.wait(step) {
                    self.rest = Some(now + step);
                    return;
                }
            }
        }
        self.pause = (self.pause * 2).min(MAX_PAUSE);
    }
}

/// A notifier watching one file or directory, and one of the
/// process's `MAX_WATCHES`: `drain` discards the changes reported so far
/// (true if there were any); `wait` waits up to a timeout for a change
/// (true if one was reported: it stays reported until `drain`).
pub(crate) struct ChangeWatch {
    notifier: Notifier,
    /// The (device, inode) the path named when the watch was made.
    id: (u64, u64),
}

impl Drop for ChangeWatch {
    fn drop(&mut self) {
        WATCHES.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The (device, inode) `path` names (through symlinks).
fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

impl ChangeWatch {
    /// Watches `path` (see `Notifier::new`). `None` where a notifier cannot be
    /// used or would miss other hosts' writes (see the module comment).
    pub(crate) fn new(path: &Path, what: Watched) -> Option<ChangeWatch> {
        if notify::on_network_filesystem(path)? {
            return None;
        }
        // Before the watch: if the path is replaced in between, the next
        // recheck sees another file and watches again.
        let id = identity(path)?;
        let slot = WATCHES.fetch_add(1, Ordering::Relaxed) < MAX_WATCHES;
        let Some(notifier) = slot.then(|| Notifier::new(path, what)).flatten() else {
            WATCHES.fetch_sub(1, Ordering::Relaxed);
            return None;
        };
        // From here the slot goes back when the watch drops.
        Some(ChangeWatch { notifier, id })
    }
}

/// Calls `attempt` on `s` until it finds something (returned) or `timeout`
/// passes (`None`), in steps of at most `pause(s)`: each a wait of
/// `follow` on `watched`, or with nothing to watch a sleep, then a look.
pub(crate) fn wait_in_steps<S, T>(
    s: &mut S,
    follow: &mut Follow,
    timeout: Duration,
    watched: Option<&Path>,
    pause: impl Fn(&S) -> Duration,
    mut attempt: impl FnMut(&mut S) -> Result<Option<T>>,
) -> Result<Option<T>> {
    let deadline = Instant::now().checked_add(timeout);
    loop {
        let Some(left) = left_until(deadline, Instant::now()) else {
            return Ok(None);
        };
        let step = left.min(pause(s));
        let found = match watched {
            Some(dir) => follow.wait_for(step, dir, Watched::Dir, || attempt(s))?,
            None => {
                std::thread::sleep(step);
                attempt(s)?
            }
        };
        if found.is_some() {
            return Ok(found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::Write;

    #[test]
    fn a_directory_watch_reports_writes_to_files_in_it() {
        let d = crate::sys::scratch::empty_dir("watch-dir");
        let mut f = File::create(d.join("seg")).unwrap();
        let w = ChangeWatch::new(&d, Watched::Dir).expect("a notifier on a local filesystem");
        w.notifier.drain();
        assert!(
            !w.notifier.wait(Duration::from_millis(30)),
            "nothing changed yet"
        );
        f.write_all(b"x").unwrap();
        assert!(w.notifier.wait(Duration::from_secs(5)));
        // Reported until drained.
        assert!(w.notifier.wait(Duration::ZERO));
        w.notifier.drain();
        assert!(!w.notifier.wait(Duration::from_millis(30)));
        File::create(d.join("next")).unwrap();
        assert!(
            w.notifier.wait(Duration::from_secs(5)),
            "a new file is a change"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_file_watch_reports_its_writes_and_removal() {
        let d = crate::sys::scratch::empty_dir("watch-file");
        let p = d.join("seg");
        let mut f = File::create(&p).unwrap();
        let w = ChangeWatch::new(&p, Watched::File).unwrap();
        assert!(!w.notifier.wait(Duration::from_millis(30)));
        f.write_all(b"x").unwrap();
        assert!(w.notifier.wait(Duration::from_secs(5)));
        w.notifier.drain();
        std::fs::remove_file(&p).unwrap();
        drop(f);
        assert!(
            w.notifier.wait(Duration::from_secs(5)),
            "removal is a change"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn no_watch_of_a_missing_path_or_a_file_as_a_directory() {
        let d = crate::sys::scratch::empty_dir("watch-missing");
        assert!(ChangeWatch::new(&d.join("nope"), Watched::File).is_none());
        File::create(d.join("f")).unwrap();
        assert!(ChangeWatch::new(&d.join("f"), Watched::Dir).is_none());
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// A follower that found nothing blocks after `QUIET`, and a change
    /// wakes it: `attempt` runs a few dozen times in a second, not 2,000.
    /// The write comes 600 ms after the follower's first look (not after
    /// the writer thread starts), so that however late the wait begins it
    /// first finds the file empty, then blocks, then is woken.
    #[test]
    fn an_idle_follower_blocks_and_a_change_wakes_it() {
        let d = crate::sys::scratch::empty_dir("watch-follow");
        let p = d.join("seg");
        let mut f = File::create(&p).unwrap();
        let (first_look, looked) = std::sync::mpsc::channel();
        let writer = std::thread::spawn(move || {
            looked.recv().unwrap();
            std::thread::sleep(Duration::from_millis(600));
            f.write_all(b"x").unwrap();
        });
        let mut follow = Follow::default();
        let (mut attempts, mut empty_looks) = (0u32, 0u32);
        let got = follow
            .wait_for(Duration::from_secs(20), &p, Watched::File, || {
                attempts += 1;
                let _ = first_look.send(());
                let written = std::fs::metadata(&p).unwrap().len() > 0;
                empty_looks += u32::from(!written);
                Ok(written.then_some(()))
            })
            .unwrap();
        writer.join().unwrap();
        assert_eq!(got, Some(()));
        // It waited: it looked at the file before the write.
        assert!(empty_looks >= 1, "{empty_looks} looks at the empty file");
        // Polling alone would have made about 1,200 attempts in 600 ms.
        assert!(attempts < 200, "{attempts} attempts");
        assert!(matches!(follow.watch, WatchState::Watching(_)));
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// `binlog tail -f` calls `next_wait` every 200 ms: a follower quiet
    /// through one call does not poll again at the start of the next. A
    /// new follower polls first.
    #[test]
    fn a_quiet_follower_blocks_at_once_in_its_next_call() {
        let d = crate::sys::scratch::empty_dir("watch-calls");
        let p = d.join("seg");
        File::create(&p).unwrap();
        let mut follow = Follow::default();
        assert!(follow.polls_first(Instant::now()));
        let mut attempts = 0u32;
        let mut call = |follow: &mut Follow| {
            attempts = 0;
            let got: Option<()> = follow
                .wait_for(Duration::from_millis(100), &p, Watched::File, || {
                    attempts += 1;
                    Ok(None)
                })
                .unwrap();
            assert_eq!(got, None);
            attempts
        };
        // Nothing changed through the whole call (at least 100 ms, longer
        // than QUIET).
        call(&mut follow);
        assert!(!follow.polls_first(Instant::now()));
        // Blocks from the start: an attempt, then one after the wait.
        let second = call(&mut follow);
        assert!(second <= 3, "{second} attempts");
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// A change seen less than `QUIET` ago makes a follower poll; one seen
    /// `QUIET` ago or longer lets it block.
    #[test]
    fn a_follower_polls_until_quiet_for_quiet() {
        let t = Instant::now();
        assert!(!quiet_since(t, t));
        assert!(!quiet_since(t, t + QUIET - Duration::from_nanos(1)));
        assert!(quiet_since(t, t + QUIET));
        let follow = Follow {
            changed: Some(t),
            ..Follow::default()
        };
        assert!(follow.polls_first(t + QUIET / 2));
        assert!(!follow.polls_first(t + QUIET));
    }

    /// A change reported but not found yet (a log reader lists a changed
    /// directory again only once its modification time has settled) puts a
    /// follower that was quiet back to polling: blocked, it would look
    /// again only at each 250 ms recheck. What the follower takes for its
    /// last change is then the change reported (`polls_first` and
    /// `a_follower_polls_until_quiet_for_quiet` say what follows from it).
    #[test]
    fn a_change_not_found_yet_is_polled_for() {
        let d = crate::sys::scratch::empty_dir("watch-unfound");
        let p = d.join("seg");
        let mut f = File::create(&p).unwrap();
        let mut follow = Follow::default();
        let none: Option<()> = follow
            .wait_for(Duration::from_millis(60), &p, Watched::File, || Ok(None))
            .unwrap();
        assert_eq!(none, None);
        assert!(!follow.polls_first(Instant::now()), "quiet");
        let written = Instant::now();
        f.write_all(b"x").unwrap();
        // The change is reported by the time the write returns; the
        // follower takes it at its next look.
        let none: Option<()> = follow
            .wait_for(Duration::ZERO, &p, Watched::File, || Ok(None))
            .unwrap();
        assert_eq!(none, None);
        assert!(
            follow.changed.is_some_and(|c| c >= written),
            "the change was not taken for the last one"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// Changes that bring nothing to read (another log written in the same
    /// directory) do not make a follower look more often than polling
    /// does (at most every 500 us once it found nothing for a while).
    #[test]
    fn a_busy_neighbour_does_not_make_a_follower_spin() {
        let d = crate::sys::scratch::empty_dir("watch-neighbour");
        let mut other = File::create(d.join("other")).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s2 = stop.clone();
        let busy = std::thread::spawn(move || {
            while !s2.load(Ordering::Relaxed) {
                other.write_all(b"x").unwrap();
            }
        });
        let mut follow = Follow::default();
        let mut attempts = 0u32;
        let got: Option<()> = follow
            .wait_for(Duration::from_millis(400), &d, Watched::Dir, || {
                attempts += 1;
                Ok(None)
            })
            .unwrap();
        stop.store(true, Ordering::Relaxed);
        busy.join().unwrap();
        assert_eq!(got, None);
        // Polling: about 800 looks in 400 ms; woken by every write, tens of
        // thousands.
        assert!(attempts < 1500, "{attempts} looks in 400 ms");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn the_timeout_ends_a_blocked_wait() {
        let d = crate::sys::scratch::empty_dir("watch-timeout");
        let p = d.join("seg");
        File::create(&p).unwrap();
        let mut follow = Follow::default();
        let t0 = Instant::now();
        let got: Option<()> = follow
            .wait_for(Duration::from_millis(400), &p, Watched::File, || Ok(None))
            .unwrap();
        assert_eq!(got, None);
        assert!(t0.elapsed() >= Duration::from_millis(400));
        std::fs::remove_dir_all(&d).unwrap();
    }
}
