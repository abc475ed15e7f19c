//! `binlog_remote_prune` and the shipper's remote retention: the C face of
//! `RemoteLog::prune` (see `crate::archive` and docs/FORMAT.md section
//! 18.4 for its guarantees), through the ship options' destination,
//! connection and limits.

use super::archive_tier::{prune, tier_built};
use super::prelude::*;
use super::shipper::{assign_ship, binlog_ship_options, destination};

/// What one `binlog_remote_prune` did (or, dry, would do).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct binlog_prune_report {
    /// Segment objects deleted (dry: to be deleted), those a prune killed
    /// before left included.
    pub deleted: u64,
    /// How many of `deleted` a prune killed before had left.
    pub finished: u64,
    /// Segment objects kept.
    pub kept: u64,
    /// Every segment up to this one is pruned (the prune marker);
    /// UINT64_MAX if none is.
    pub pruned_through: u64,
}

/// Sets how much of the log the bucket keeps: at most `max_count`
/// segment objects, `max_bytes` bytes of them, objects whose last record
/// is at most `max_age_ns` old (wall clock); UINT64_MAX: no such limit
/// (the default: none). With a limit set, each `binlog_shipper_ship_once`
/// ends with a prune, and `binlog_remote_prune` applies them.
#[no_mangle]
pub extern "C" fn binlog_ship_options_set_remote_retention(
    opts: *mut binlog_ship_options,
    max_count: u64,
    max_bytes: u64,
    max_age_ns: u64,
) -> binlog_result {
    // A limit of UINT64_MAX is none.
    let count = c_option(max_count, u64::MAX).map(|c| usize::try_from(c).unwrap_or(usize::MAX));
    let age = c_option(max_age_ns, u64::MAX).map(Duration::from_nanos);
    let bytes = c_option(max_bytes, u64::MAX);
    assign_ship(opts, |s| {
        let r = &mut s.remote_retention;
        (r.max_segments, r.max_bytes, r.max_age) = (count, bytes, age);
    })
}

/// Deletes the oldest segment objects of log `name` at the destination of
/// `opts` (required, with one set) beyond its remote retention
/// (`binlog_ship_options_set_remote_retention`), never the newest, first
/// finishing a prune killed before; with `dry_run`, only says what would go.
/// `*out` (required) receives the counts, on success only. Another pruner
/// holding the log's claim is `BINLOG_ERR_LOCKED` naming it; a refused
/// request (credentials that may not PUT or DELETE) is
/// `BINLOG_ERR_PERMISSION_DENIED` naming the object, nothing after it
/// deleted. Readers report pruned records as `BINLOG_GAP_RETENTION` gaps.
/// `BINLOG_ERR_INVALID_ARGUMENT` in a library built without the archive
/// tier (cargo feature "s3", `make lib ARCHIVE=0`).
#[no_mangle]
pub extern "C" fn binlog_remote_prune(
    opts: *const binlog_ship_options,
    name: *const c_char,
    dry_run: bool,
    out: *mut binlog_prune_report,
) -> binlog_result {
    let args = || {
        tier_built()?;
        unsafe { Ok((handle(opts, "ship options")?, c_str(name, "name")?)) }
    };
    make(out, args, |(o, n)| {
        Ok(prune(destination(o)?, &o.ship, n, dry_run)?)
    })
}
