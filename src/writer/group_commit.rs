//! Group commit: durable writes share fdatasyncs. One thread at a time (the
//! leader) runs fdatasync for every record appended so far; the others wait
//! and are covered by it or by the next one. Before it syncs, a leader
//! waits briefly for the durable write calls in progress to append their
//! records, so that one sync covers them all.

use super::shared::{Shared, SyncState};
use super::state::State;
use crate::error::{Error, Result};
use parking_lot::MutexGuard;
use std::sync::{atomic::Ordering, Arc};
use std::time::{Duration, Instant};

/// Upper bound on how long a leader delays its fdatasync to let writers
/// already inside a durable write call append first.
const GATHER_MAX: Duration = Duration::from_micros(100);

/// A yield while waiting that took longer than this gave the CPU to a task
/// that ran its time slice (another process keeps the CPUs busy), not to
/// writers that appended or yielded in turn, which take far less
/// (docs/PERFORMANCE.md).
const YIELD_SLOW: Duration = Duration::from_micros(200);

/// How long, after a slow yield, waiting threads sleep instead of yielding
/// before one tries again (so at most one slow yield in this time).
const YIELDS_OFF_FOR: Duration = Duration::from_millis(100);

/// A durable write call in progress, counted in `Shared::callers` until it
/// leaves (also when dropped, should the call fail or unwind).
pub(crate) struct Caller {
    /// The writer's, while the call is counted (until it leaves).
    shared: Option<Arc<Shared>>,
    /// `Shared::batches_taken` when this call counted itself in `queued`.
    queued_in: Option<u64>,
}

impl Shared {
    /// Counts a durable write call in `callers` until its `Caller` leaves.
    pub(super) fn count_durable_call(self: &Arc<Shared>) -> Caller {
        self.group.callers.fetch_add(1, Ordering::SeqCst);
        Caller {
            shared: Some(Arc::clone(self)),
            queued_in: None,
        }
    }

    /// Returns once every record below `target` is on stable storage. One
    /// thread at a time (the leader) runs fdatasync; the others wait and are
    /// covered by it or by the next one (group commit). `caller` is the
    /// durable write call waiting, if it is one.
    pub(super) fn sync_upto(&self, target: u64, mut caller: Option<&mut Caller>) -> Result<()> {
        let result = loop {
            if self.durable.load(Ordering::Acquire) >= target {
                break Ok(());
            }
            let sync = self.group.sync.lock();
            if self.durable.load(Ordering::Acquire) >= target {
                break Ok(());
            }
            if let Some(c) = caller.as_deref_mut() {
                self.queue_for_next_sync(c, &sync, target);
            }
            if sync.syncing {
                self.wait_for_running_sync(sync, target);
                continue;
            }
            if let Err(e) = self.run_group_sync(sync) {
                // A concurrent `close` may have sealed and synced the record.
                if self.durable.load(Ordering::Acquire) < target {
                    break Err(e);
                }
            }
        };
        if let Some(c) = caller {
            c.leave();
        }
        result
    }

    /// A caller whose record below `target` the fdatasync in progress does
    /// not cover waits for the next one: it counts itself in `queued` (once)
    /// and lets that sync's leader know its record is ready.
    fn queue_for_next_sync(&self, c: &mut Caller, sync: &SyncState, target: u64) {
        if c.queued_in.is_none() && sync.running_upto < target {
            self.group.queued.fetch_add(1, Ordering::SeqCst);
            c.queued_in = Some(self.group.batches_taken.load(Ordering::Relaxed));
            self.wake_gathering_leader();
        }
    }

    /// Waits, without the sync lock, until the fdatasync in progress ends or
    /// every record below `target` is durable: yielding until the spin
    /// deadline (`Options::sync_wait_spin`), then sleeping on `completions`.
    fn wait_for_running_sync(&self, mut sync: MutexGuard<'_, SyncState>, target: u64) {
        let seen = self.group.completions.load(Ordering::Relaxed);
        sync.waiters += 1;
        // Until when it yields instead of sleeping (`Options::sync_wait_spin`):
        // it then sees the change without being woken.
        let spin = (!self.spin.is_zero()).then(|| Instant::now() + self.spin);
        let mut spin_until = spin.filter(|_| Self::may_yield(&sync, Instant::now()));
        drop(sync);
        // The wait returns at once if `completions` moved on since it was
        // read under the lock (no wakeup is lost), and may return
        // spuriously.
        while self.durable.load(Ordering::Acquire) < target
            && self.group.completions.load(Ordering::Acquire) == seen
        {
            let now = Instant::now();
            if spin_until.is_some_and(|t| now < t) {
                std::thread::yield_now();
                if now.elapsed() > YIELD_SLOW {
                    // Another process has the CPU: sleep instead.
                    spin_until = None;
                    Self::pause_yields(&mut self.group.sync.lock());
                }
            } else {
                atomic_wait::wait(&self.group.completions, seen);
            }
        }
    }

    /// Runs one fdatasync as the leader, covering every record in the file
    /// once it has gathered.
    fn run_group_sync(&self, mut sync: MutexGuard<'_, SyncState>) -> Result<()> {
        sync.syncing = true;
        self.wait_for_queued_callers(&mut sync);
        // Every queued caller appended before it queued: its record is below
        // `next_seq`, and this fdatasync covers it.
        let to_sync = self.records_to_sync();
        if to_sync.is_some() {
            self.group.queued.store(0, Ordering::SeqCst);
            self.group.batches_taken.fetch_add(1, Ordering::Release);
        }
        let Some(Ok(upto)) = to_sync else {
            // Failed, or closed meanwhile (a log rolled: `None`), when the
            // seal's fdatasync already covered every record.
            sync.syncing = false;
            self.sync_ended(sync);
            return to_sync.transpose().map(drop);
        };
        sync.running_upto = upto;
        drop(sync);
        let started = Instant::now();
        let synced = self.sync_data();
        let took = started.elapsed();
        let mut sync = self.group.sync.lock();
        sync.syncing = false;
        sync.running_upto = 0;
        sync.last_sync = took;
        if synced.is_ok() {
            self.durable.fetch_max(upto, Ordering::Release);
        }
        self.sync_ended(sync);
        synced
    }

    /// The sequence number below which a leader's fdatasync covers every
    /// record: all appended (flushed first), or what a writer closed without
    /// a synced seal left (`sync_target_when_closed`). `None` if the writer
    /// closed with a synced seal, which covered every record: `durable` is
    /// then raised to all of them.
    fn records_to_sync(&self) -> Option<Result<u64>> {
        let mut st = self.state.lock();
        if st.file.is_none() && st.closed_durable {
            self.durable.fetch_max(st.next_seq, Ordering::Release);
            return None;
        }
        Some(if st.file.is_none() {
            self.sync_target_when_closed(&st)
        } else {
            st.check_usable()
                .and_then(|()| st.flush_buf())
                .map(|()| st.next_seq)
        })
    }

    /// What a leader syncs once the writer is closed without a synced seal
    /// (a rolling log's failed roll): the records whole in the file, so that
    /// a durable write waiting for its record is told it was written rather
    /// than fail and be retried. Only once, and not after a failed
    /// fdatasync (a second one would succeed without the dropped pages).
    fn sync_target_when_closed(&self, st: &State) -> Result<u64> {
        match st.closed_written {
            Some(upto) if st.poisoned.is_none() && upto > self.durable.load(Ordering::Acquire) => {
                Ok(upto)
            }
            Some(upto) if st.poisoned.is_none() => Err(st.closed(&format!(
                "writer is closed: sealing it failed before records from sequence \
                 number {upto} on reached the file; they were not written"
            ))),
            _ => st.check_usable().map(|()| st.next_seq),
        }
    }

    /// Before its fdatasync, a leader waits, briefly, until every durable
    /// write call in progress has appended its record, so that one sync
    /// covers them all (otherwise about half the writers woken by the last
    /// sync append just after the next one started and wait for a third).
    /// The wait is bounded by the last fdatasync's duration and `GATHER_MAX`.
    ///
    /// The leader yields its CPU rather than sleep: a leader asleep lets its
    /// CPU halt, and each writer must then wake it (docs/PERFORMANCE.md).
    /// But where other processes keep the CPUs busy, a yield hands the CPU
    /// away for a whole time slice: a yield slower than `YIELD_SLOW` makes
    /// every leader sleep instead for `YIELDS_OFF_FOR`, woken by the last
    /// caller to queue (`wake_gathering_leader`).
    fn wait_for_queued_callers(&self, sync: &mut MutexGuard<'_, SyncState>) {
        if self.all_queued() {
            return;
        }
        let now = Instant::now();
        let deadline = now + sync.last_sync.min(GATHER_MAX);
        let yielding = Self::may_yield(sync, now);
        *self.group.gathering_leader.lock() = Some(std::thread::current());
        self.group.gathering.store(true, Ordering::SeqCst);
        // Unlocked, so that callers can queue.
        let slow_yield =
            MutexGuard::unlocked(sync, || self.wait_until_all_queued(deadline, yielding));
        self.group.gathering.store(false, Ordering::SeqCst);
        *self.group.gathering_leader.lock() = None;
        if slow_yield {
            Self::pause_yields(sync);
        }
    }

    /// Yields (while `yielding`) or sleeps until every caller has queued or
    /// `deadline` passed; returns whether a yield was slow.
    fn wait_until_all_queued(&self, deadline: Instant, mut yielding: bool) -> bool {
        let mut slow = false;
        while !self.all_queued() {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            if yielding {
                std::thread::yield_now();
                if now.elapsed() > YIELD_SLOW {
                    (slow, yielding) = (true, false);
                }
            } else {
                std::thread::park_timeout(deadline - now);
            }
        }
        slow
    }

    /// Whether a waiting thread may yield its CPU (no yield was slow lately).
    fn may_yield(sync: &SyncState, now: Instant) -> bool {
        sync.yields_off_until.is_none_or(|t| now >= t)
    }

    /// After a slow yield: waiting threads sleep for `YIELDS_OFF_FOR`.
    fn pause_yields(sync: &mut SyncState) {
        sync.yields_off_until = Some(Instant::now() + YIELDS_OFF_FOR);
    }

    /// Wakes a leader sleeping in `wait_for_queued_callers` once every
    /// caller has queued (or left).
    fn wake_gathering_leader(&self) {
        if self.group.gathering.load(Ordering::SeqCst) && self.all_queued() {
            if let Some(t) = &*self.group.gathering_leader.lock() {
                t.unpark();
            }
        }
    }

    fn all_queued(&self) -> bool {
        self.group.queued.load(Ordering::SeqCst) >= self.group.callers.load(Ordering::SeqCst)
    }

    /// Ends an fdatasync (or the attempt, or the writer): every waiter
    /// looks again, and the covered ones return.
    pub(super) fn sync_ended(&self, mut sync: MutexGuard<'_, SyncState>) {
        self.group.completions.fetch_add(1, Ordering::Release);
        let waiters = std::mem::take(&mut sync.waiters);
        drop(sync);
        if waiters > 0 {
            atomic_wait::wake_all(&self.group.completions);
        }
    }

    /// fdatasync on the second descriptor, without any lock held.
    fn sync_data(&self) -> Result<()> {
        if let Err(e) = crate::sys::sync_data(&self.sync_file) {
            let e = Error::io(&self.path, "fdatasync", e);
            return Err(self.state.lock().poison_after_failed_sync(e));
        }
        if self.dir_unsynced.load(Ordering::Acquire) {
            crate::sys::sync_parent(&self.path)?;
            self.dir_unsynced.store(false, Ordering::Release);
        }
        Ok(())
    }
}

impl Caller {
    /// The call leaves: it is no longer counted in `callers`, nor in
    /// `queued` if no leader took it into a sync. Only once.
    fn leave(&mut self) {
        let Some(shared) = self.shared.take() else {
            return;
        };
        let s = &*shared;
        // Still counted in `queued` only if no leader took that batch (the
        // call failed, or `close` made its record durable).
        if let Some(b) = self.queued_in.take() {
            if s.group.batches_taken.load(Ordering::Acquire) == b {
                let _sync = s.group.sync.lock();
                if s.group.batches_taken.load(Ordering::Relaxed) == b {
                    s.group.queued.fetch_sub(1, Ordering::SeqCst);
                }
            }
        }
        s.group.callers.fetch_sub(1, Ordering::SeqCst);
        s.wake_gathering_leader();
    }

    /// Whether this call belongs to the writer that `shared` is part of.
    pub(super) fn is_for(&self, shared: &Arc<Shared>) -> bool {
        self.shared.as_ref().is_some_and(|s| Arc::ptr_eq(s, shared))
    }
}

impl Drop for Caller {
    fn drop(&mut self) {
        self.leave();
    }
}

#[cfg(test)]
mod tests {
    use crate::error::ErrorKind;
    use crate::writer::options::{Durability, Options};
    use crate::writer::test_file::{durable_opts, temp_segment};
    use crate::writer::{Entry, Writer};
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    /// Group commit: every durable write returns with its record synced,
    /// whether the threads share syncs or not, and nothing is left counted.
    #[test]
    fn concurrent_durable_writes_are_all_synced() {
        check_group_commit("group", durable_opts());
    }

    /// The same with waiters that yield before they sleep: a spin shorter
    /// than a sync (waiters then sleep and are woken) and one longer.
    #[test]
    fn concurrent_durable_writes_with_spinning_waiters_are_all_synced() {
        for (name, us) in [("spin-short", 1), ("spin-long", 5_000)] {
            let opts = Options {
                sync_wait_spin: Duration::from_micros(us),
                ..durable_opts()
            };
            check_group_commit(name, opts);
        }
    }

    fn check_group_commit(name: &str, opts: Options) {
        let p = temp_segment(name);
        let w = Writer::open(&p, opts).unwrap();
        std::thread::scope(|s| {
            for t in 0..6 {
                let w = &w;
                s.spawn(move || {
                    for i in 0..40 {
                        let seq = if i % 5 == 4 {
                            let e = Entry {
                                type_name: "b",
                                meta: &[],
                                timestamp_ns: None,
                                parts: &[b"x", b"y"],
                            };
                            w.write_batch(&[e, e]).unwrap()
                        } else {
                            w.write("t", &[t as u8; 100]).unwrap()
                        };
                        assert!(w.durable_seq() > seq, "returned before its sync");
                    }
                });
            }
            // A durability-less caller joins in now and then.
            s.spawn(|| {
                for _ in 0..20 {
                    w.sync().unwrap();
                }
            });
        });
        let sh = &*w.shared;
        assert_eq!(sh.group.callers.load(Ordering::SeqCst), 0);
        assert_eq!(sh.group.queued.load(Ordering::SeqCst), 0);
        // Every sleeper was counted, then woken by the sync it waited for.
        assert_eq!(sh.group.sync.lock().waiters, 0);
        assert_eq!(w.durable_seq(), w.next_seq());
        assert_eq!(w.next_seq(), 6 * (32 + 8 * 2));
        w.close().unwrap();
    }

    /// Durable writers racing `close`: each write either succeeds with its
    /// record durable or fails with `Closed`; nobody hangs.
    #[test]
    fn durable_writes_racing_close_end() {
        for round in 0..10 {
            let p = temp_segment(&format!("close-{round}"));
            let w = Writer::open(&p, durable_opts()).unwrap();
            std::thread::scope(|s| {
                for _ in 0..4 {
                    let w = &w;
                    s.spawn(move || loop {
                        match w.write("t", b"payload") {
                            Ok(seq) => assert!(w.durable_seq() > seq),
                            Err(e) => {
                                assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
                                break;
                            }
                        }
                    });
                }
                std::thread::sleep(Duration::from_millis(5));
                w.close().unwrap();
            });
            assert_eq!(w.shared.group.callers.load(Ordering::SeqCst), 0);
        }
    }

    /// Durability `None` does not fsync the directory of a segment it
    /// creates; the first `sync` must, once, or the records it reports
    /// durable could vanish with the file's name.
    #[test]
    fn first_sync_of_a_segment_created_under_none_syncs_its_directory() {
        let p = temp_segment("dir-sync");
        let dir = p.parent().unwrap().to_path_buf();
        let syncs = || {
            crate::sys::DIR_SYNCS
                .lock()
                .iter()
                .filter(|d| **d == dir)
                .count()
        };
        let w = Writer::open(&p, Options::default()).unwrap();
        w.write("t", b"x").unwrap();
        assert_eq!(syncs(), 0, "not at creation under None");
        w.sync().unwrap();
        assert_eq!(syncs(), 1);
        w.write("t", b"y").unwrap();
        w.sync().unwrap();
        assert_eq!(syncs(), 1, "only once");
        w.close().unwrap();
        // Reopened: whoever created the file may not have synced its name,
        // so the first sync does it again, once.
        let w = Writer::open(&p, Options::default()).unwrap();
        w.write("t", b"z").unwrap();
        assert_eq!(syncs(), 1, "not at a reopen under None");
        w.sync().unwrap();
        w.sync().unwrap();
        assert_eq!(syncs(), 2);
        w.close().unwrap();
        // Reopened under a durable policy, which counts every record found
        // durable at once: the name is synced at open.
        let w = Writer::open(
            &p,
            Options {
                durability: Durability::EveryRecord,
                ..Options::default()
            },
        )
        .unwrap();
        assert_eq!(syncs(), 3, "at a reopen under a durable policy");
        assert_eq!(w.durable_seq(), 3);
        drop(w);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
