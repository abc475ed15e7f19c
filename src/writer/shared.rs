//! What a writer's handle shares with the threads that call it and with its
//! interval flusher: the locked state, and the group commit's counters and
//! state (`SyncState`, under a lock of its own so that fdatasync runs
//! without the writer's state lock).

use super::state::State;
use crate::writer::options::Durability;
use parking_lot::{Condvar, Mutex};
use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize};
use std::thread::Thread;
use std::time::{Duration, Instant};

pub(super) struct Shared {
    pub path: PathBuf,
    pub durability: Durability,
    pub state: Mutex<State>,
    /// Every record with a lower sequence number is on stable storage. Only
    /// grows, under the sync lock; waiters read it without the lock.
    pub durable: AtomicU64,
    /// The group commit's lock and counters (group_commit.rs).
    pub group: GroupCommit,
    /// A second descriptor of the segment, so fdatasync runs without the
    /// state lock and writers keep appending meanwhile.
    pub sync_file: File,
    /// The segment was created under durability `None`, which does not
    /// fsync the directory at creation: the first successful sync does, or
    /// the file itself could vanish with the records it made durable.
    pub dir_unsynced: AtomicBool,
    /// Wakes the flusher (`writer::flusher`), with `state`'s lock: a flush
    /// deadline started, or stop.
    pub flush_cv: Condvar,
    /// `Options::flush_delay` is zero: every write call hands its records
    /// to the OS.
    pub write_through: bool,
    /// `Options::sync_wait_spin`.
    pub spin: Duration,
}

/// What the group commit shares, all empty or zero at the open.
#[derive(Default)]
pub(super) struct GroupCommit {
    pub sync: Mutex<SyncState>,
    /// Bumped under the sync lock whenever an fdatasync ends (or fails) or
    /// the writer closes. Waiters sleep on this word (a futex) and look again
    /// when it changes; it wraps, which is harmless since a waiter compares
    /// it with the value it read under the same lock a moment before.
    pub completions: AtomicU32,
    /// Durable write calls (`Writer::write_batch` with `EveryRecord`)
    /// between entry and return. Lock-free: entering and leaving must not
    /// queue behind the sync lock.
    pub callers: AtomicUsize,
    /// Of those, how many appended a record that no started fdatasync covers
    /// yet (changed under the sync lock).
    pub queued: AtomicUsize,
    /// Counts the times a leader took the queued records into its
    /// fdatasync (changed under the sync lock), so a caller knows whether it
    /// is still counted in `queued`.
    pub batches_taken: AtomicU64,
    /// The leader while it sleeps in `wait_for_queued_callers`, woken once
    /// every caller has queued (or left).
    pub gathering_leader: Mutex<Option<Thread>>,
    pub gathering: AtomicBool,
}

/// The state of a writer's group commit (see `group_commit`), guarded by
/// its own lock so that fdatasync runs without the writer's state lock.
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
