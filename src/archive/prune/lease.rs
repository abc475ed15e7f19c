//! The prune claim: one pruner of a log at a time. A pruner holds the
//! object `<prefix>/<log>/prune-claim-<generation, 20 digits>` it created
//! with a create-only PUT (as the log's claim is made, identity.rs), and
//! deletes it when done. Of two pruners that start together, the second
//! PUT of a key gets a 412 and refuses.
//!
//! A claim older than the stale age (its holder was killed, or lost its
//! way to the bucket) is taken over by creating the next generation's
//! key, create-only too, so that of several pruners taking it over one
//! wins; the winner then deletes the stale one. Before each of its
//! writes a holder checks (two HEADs) that its claim is still there and
//! that no next generation exists: a holder that was only slow stops,
//! rather than prune beside the one that took over.

use crate::archive::object_name::{log_prefix, prune_claim_key, LogObject};
use crate::archive::remote::{Created, Remote};
use crate::error::{ErrorKind, Result};
use std::time::Duration;

fn now_ms() -> u64 {
    (crate::clock::now_ns() / 1_000_000) as u64
}

/// A claim held; released by `release` (a pruner killed leaves it to
/// go stale).
pub struct Lease {
    key: String,
    generation: u64,
}

fn claim_key(remote: &Remote, log: &str, generation: u64) -> String {
    prune_claim_key(&remote.location().prefix, log, generation)
}

/// The generations of the claims of `log` in the bucket, lowest first.
fn generations(remote: &Remote, log: &str) -> Result<Vec<u64>> {
    let prefix = log_prefix(&remote.location().prefix, log);
    let mut out = Vec::new();
    for o in remote.list(&prefix)? {
        if let LogObject::PruneClaim(generation) = LogObject::of(&o.name) {
            out.push(generation);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// When the claim at `key` was taken (ms since the epoch) and by whom;
/// `None` if it is gone or unreadable (taken as stale: a claim is
/// written whole by one PUT).
fn taken(remote: &Remote, key: &str) -> Result<Option<(u64, String)>> {
    let Some((text, _)) = remote.get_text(key)? else {
        return Ok(None);
    };
    let line = |name| text.lines().find_map(|l| l.strip_prefix(name));
    let since = line("since ").and_then(|s| s.parse().ok());
    Ok(since.map(|s| (s, line("by ").unwrap_or("?").to_string())))
}

/// Takes the prune claim of `log`, or a `Locked` error naming the claim
/// held by another pruner (taken less than `stale_after` ago).
pub fn take(remote: &Remote, log: &str, stale_after: Duration) -> Result<Lease> {
    let held = generations(remote, log)?;
    let generation = match held.last() {
        None => 0,
        Some(&top) => {
            let key = claim_key(remote, log, top);
            if let Some((since, by)) = taken(remote, &key)? {
                let age = Duration::from_millis(now_ms().saturating_sub(since));
                if age < stale_after {
                    let what = format!(
                        "another pruner of the log holds the prune claim ({by}, {} s ago); \
                         it is taken over once {} s old",
                        age.as_secs(),
                        stale_after.as_secs()
                    );
                    return Err(remote.object_error(&key, ErrorKind::Locked, what));
                }
            }
            top + 1
        }
    };
    let key = claim_key(remote, log, generation);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname");
    let host = host.map_or_else(|_| "?".into(), |h| h.trim().to_string());
    let (pid, now) = (std::process::id(), now_ms());
    let body = format!("binlog-prune-claim 1\nby pid {pid} on {host}\nsince {now}\n");
    if remote.put_create_plain(&key, body.into_bytes())? == Created::AlreadyExists {
        let what = "another pruner of the log took the prune claim first";
        return Err(remote.object_error(&key, ErrorKind::Locked, what));
    }
    // The stale claims taken over: their holders stop at their next check
    // (which the next generation fails as well: deleting them is tidying).
    for &stale in &held {
        let _ = remote.delete(&claim_key(remote, log, stale));
    }
    Ok(Lease { key, generation })
}

impl Lease {
    /// Whether the claim is still this pruner's: a `Locked` error if it
    /// was taken over (deleted, or a next generation created).
    pub fn check(&self, remote: &Remote, log: &str) -> Result<()> {
        let next = claim_key(remote, log, self.generation + 1);
        if remote.head(&self.key)?.is_none() || remote.head(&next)?.is_some() {
            let what = "the prune claim was taken over as stale by another pruner: stopped \
                        (nothing pruned out of order; the other pruner finishes)";
            return Err(remote.object_error(&self.key, ErrorKind::Locked, what));
        }
        Ok(())
    }

    /// Gives the claim up.
    pub fn release(self, remote: &Remote) -> Result<()> {
        remote.delete(&self.key)
    }
}
