//! The state of a writer's group commit (see `group_commit`), guarded by
//! its own lock so that fdatasync runs without the writer's state lock.

use std::time::{Duration, Instant};

#[derive(Default)]
pub(super) struct SyncState {
    /// A leader is gathering or running an fdatasync.
    pub(super) syncing: bool,
    /// Records below this are covered by the fdatasync in progress (0 while
    /// none runs or its leader is still gathering).
    pub(super) running_upto: u64,
    /// How long the last fdatasync took: a leader never waits longer than
    /// this (nor than `GATHER_MAX`) for more records.
    pub(super) last_sync: Duration,
    /// Threads sleeping on `Shared::completions` until the fdatasync in
    /// progress ends, woken by one futex call to check `durable` without the
    /// lock: waking them one at a time costs a system call and a wakeup
    /// each, and the group's next records would trickle in.
    pub(super) waiters: usize,
    /// Until when no thread yields its CPU while it waits for callers to
    /// queue or for an fdatasync to end (it sleeps instead): set when a
    /// yield gave the CPU away for long (see `wait_for_queued_callers`,
    /// `YIELD_SLOW`).
    pub(super) yields_off_until: Option<Instant>,
}
