//! Remote retention: a log's oldest segment objects deleted while the
//! bucket holds more of it than a count, a byte total or an age (its last
//! record's timestamp) allows, by the one rule local retention applies
//! (`log::RetentionLimits`). `binlog remote prune` and the shipper
//! (`ShipOptions::remote_retention`) call `RemoteLog::prune`.
//!
//! Guarantees:
//! - Oldest first, and never the newest object (it holds the log's
//!   position for a shipper that rebuilds its journal from the bucket):
//!   an object goes only if every older one goes too.
//! - Journaled: the marker (marker.rs) naming the last object to go is
//!   stored before the first DELETE, and the DELETEs go oldest first, so a
//!   prune killed anywhere leaves a prefix of them deleted, never a hole;
//!   a rerun deletes the rest before anything new.
//! - One pruner per log (lease.rs): a second one refuses with `Locked`.
//! - An object under S3 Object Lock (object_lock.rs: a retention date
//!   not passed, or a legal hold) is not deleted, nor any newer one: the
//!   prune stops before it and reports it (`PruneReport::locked`). The
//!   log's signed heads go with the segments they name.
//! - A DELETE refused (403: credentials that may read, not delete) stops
//!   the prune with a `PermissionDenied` error naming the object and the
//!   endpoint; nothing after it is deleted.
//! - A reader that finds an object gone that the marker covers reports a
//!   gap of reason `retention` (`Archived::pruned_through`).

mod lease;
pub(crate) mod marker;

use super::remote_log::{ListedSegment, RemoteLog};
use super::{ObjectLockHold, PruneOptions};
use crate::error::Result;
use crate::log::{position::Position, RetentionLimits};

impl PruneOptions {
    pub(crate) fn limits(&self) -> RetentionLimits {
        RetentionLimits {
            max_segments: self.max_segments,
            max_bytes: self.max_bytes,
            max_age: self.max_age,
        }
    }
}

/// What a prune did (or, dry, would do).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// The objects deleted (to be deleted, dry), oldest first: first
    /// those a prune killed before left, then the ones these limits
    /// remove.
    pub deleted: Vec<ListedSegment>,
    /// How many of `deleted` a prune killed before had left.
    pub finished: usize,
    /// The segment objects kept.
    pub kept: usize,
    /// Every segment up to this one is pruned (the marker's), if any is.
    pub pruned_through: Option<u64>,
    /// The object the limits would delete next that its lock keeps, and
    /// what keeps it (its retention or a legal hold): it and every newer
    /// one stay.
    pub locked: Option<(ListedSegment, ObjectLockHold)>,
}

impl RemoteLog {
    /// Deletes the log's oldest segment objects beyond `opts`'s limits
    /// (see the module's guarantees); first finishes a prune killed
    /// before. Needs PUT and DELETE on the log's prefix (the claim and
    /// the marker are objects there).
    pub fn prune(&self, opts: &PruneOptions) -> Result<PruneReport> {
        let remote = self.remote();
        if opts.dry_run {
            return self.plan(opts, self.pruned_through()?);
        }
        let lease = lease::take(remote, self.log(), opts.stale_claim_after)?;
        let done = self.prune_holding(opts, &lease);
        // A claim left behind goes stale; the prune's own error comes first.
        let released = lease.release(remote);
        done.and_then(|report| released.map(|()| report))
    }

    fn prune_holding(&self, opts: &PruneOptions, lease: &lease::Lease) -> Result<PruneReport> {
        let (remote, log) = (self.remote(), self.log());
        let old = marker::load(remote, log)?;
        let report = self.plan(opts, old.map(|m| m.through))?;
        if report.pruned_through != old.map(|m| m.through) {
            let through = report.pruned_through.expect("a new prune names its last");
            let m = marker::Marker {
                through,
                next: self.position_after(through, old.map(|m| m.next))?,
            };
            lease.check(remote, log)?;
            marker::store(remote, log, &m)?;
        }
        for s in &report.deleted {
            lease.check(remote, log)?;
            remote.delete(&s.object_key)?;
        }
        // The heads go in a prune that deletes segments: not again in each
        // that finds nothing to delete.
        if let (Some(through), false) = (report.pruned_through, report.deleted.is_empty()) {
            // The log's signed heads naming segments up to it, but those a
            // lock keeps.
            for (no, key) in self.heads()? {
                if no <= through && remote.lock_of(&key)?.is_none() {
                    remote.delete(&key)?;
                }
            }
        }
        Ok(report)
    }

    /// What a prune with `opts` deletes, the marker saying `through`.
    fn plan(&self, opts: &PruneOptions, through: Option<u64>) -> Result<PruneReport> {
        let listed = self.segments()?;
        let covered = |s: &ListedSegment| through.is_some_and(|t| s.key.segment_no <= t);
        let finished = listed.iter().take_while(|s| covered(s)).count();
        let rest = &listed[finished..];
        let limits = opts.limits();
        let now = crate::clock::now_ns();
        // A segment's object and those of the files salvaged from it go
        // together and count as one segment: none is kept without the
        // others, as `through` covers them all.
        let units: Vec<&[ListedSegment]> = rest
            .chunk_by(|a, b| a.key.segment_no == b.key.segment_no)
            .collect();
        let (mut going_units, mut locked) = (0, None);
        // The newest segment stays whatever the limits say.
        'units: while going_units + 1 < units.len() && limits.any() {
            let kept = &units[going_units..];
            let bytes = kept.iter().flat_map(|u| u.iter()).map(|s| s.size).sum();
            // The oldest kept segment's newest record, read if an age is asked.
            let last_ns = |asked: bool| asked.then(|| self.last_record_ns_of(kept[0])).transpose();
            let oldest_ns = last_ns(opts.max_age.is_some())?.unwrap_or(i64::MAX);
            if !limits.exceeded(kept.len(), bytes, oldest_ns, now) {
                break;
            }
            if let Some((dir, bound)) = &opts.wait_for_consumers {
                let end = units[going_units + 1][0].key.first_seq;
                let age = last_ns(bound.max_age.is_some())?.map_or(0, |ns| now.saturating_sub(ns));
                if crate::log::consumer::holds(dir, self.log(), *bound, end, bytes, age) {
                    break;
                }
            }
            // The first object of the unit a lock keeps, and what keeps it.
            for s in units[going_units] {
                if let Some(why) = self.remote().lock_of(&s.object_key)? {
                    locked = Some((s.clone(), why));
                    break 'units;
                }
            }
            going_units += 1;
        }
        let going: usize = units[..going_units].iter().map(|u| u.len()).sum();
        let new_through = rest[..going].last().map(|s| s.key.segment_no);
        Ok(PruneReport {
            deleted: listed[..finished + going].to_vec(),
            finished,
            kept: rest.len() - going,
            pruned_through: new_through.or(through),
            locked,
        })
    }

    /// The newest last record of the objects of one segment and its
    /// salvaged files (from their seals); without records: `i64::MIN`
    /// (oldest).
    fn last_record_ns_of(&self, unit: &[ListedSegment]) -> Result<i64> {
        let mut newest = i64::MIN;
        for s in unit {
            let r = self.open_reader(&s.object_key, false)?;
            if let Some(d) = r.seal().filter(|d| d.record_count > 0) {
                newest = newest.max(d.last_ts);
            }
        }
        Ok(newest)
    }

    /// The log's position past segment `through`: the first object after
    /// it (kept: the newest always is), at least `old`.
    fn position_after(&self, through: u64, old: Option<Position>) -> Result<Position> {
        let listed = self.segments()?;
        let next = listed.iter().find(|s| s.key.segment_no > through);
        let found = next.map(|s| Position::new(through.saturating_add(1), s.key.first_seq));
        // Position::max takes each number's higher: the default, zeros, adds nothing.
        let all = old.into_iter().chain(found);
        Ok(all.fold(Position::default(), Position::max))
    }

    /// Every segment up to the one returned is pruned, as the log's
    /// marker says; `None` if none is (or no marker can be read).
    pub fn pruned_through(&self) -> Result<Option<u64>> {
        Ok(marker::load(self.remote(), self.log())?.map(|m| m.through))
    }
}
