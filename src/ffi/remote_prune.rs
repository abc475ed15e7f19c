//! `binlog_remote_prune` and the shipper's remote retention: the C face of
//! `RemoteLog::prune` (see `crate::archive` and docs/FORMAT.md section
//! 18.4 for its guarantees), through the ship options' destination,
//! connection and limits; `binlog_last_prune_lock`, what an S3 Object
//! Lock kept from the thread's last prune.

use super::{archive_tier::*, prelude::*, shipper::*};
use std::cell::RefCell;

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
    assign_ship(opts, |s| {
        let r = &mut s.remote_retention;
        (r.max_segments, r.max_bytes, r.max_age) = (count, c_option(max_bytes, u64::MAX), age);
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
    make(out, args, |(o, n)| prune(o, n, dry_run))
}

/// The object an S3 Object Lock kept from a prune
/// (`binlog_last_prune_lock`): the oldest the limits would have deleted,
/// which the prune stopped before, keeping it and every newer one.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct binlog_prune_lock {
    /// The object's key in the bucket (`<prefix>/<log>/...`),
    /// NUL-terminated; NULL if no lock kept one (`segment` then 0,
    /// `retain_until` NULL, `legal_hold` false).
    pub key: *const c_char,
    /// The number of its segment.
    pub segment: u64,
    /// The date its retention ends, as the server wrote it
    /// (`2026-11-18T11:06:40Z`, perhaps with fractions of a second),
    /// NUL-terminated; NULL when a legal hold keeps it.
    pub retain_until: *const c_char,
    /// A legal hold keeps it (whatever its retention date).
    pub legal_hold: bool,
}

thread_local! {
    /// What a lock kept from the thread's last prune, and the strings it
    /// points at (`archive_tier::keep_lock`); none at first (SAFETY: all
    /// zeros is NULL, 0 and false).
    pub(super) static LAST_LOCK: RefCell<(binlog_prune_lock, [Option<CString>; 2])> =
        const { RefCell::new((unsafe { std::mem::zeroed() }, [None, None])) };
}

/// Writes to `*out` (required) the object an S3 Object Lock kept from the
/// last `binlog_remote_prune` (dry or not) or `binlog_shipper_ship_once`
/// (the prune of its remote retention) that succeeded on the calling
/// thread: the oldest object the limits would have deleted but its lock
/// keeps, which the prune stopped before, keeping every newer one too (how
/// many more the limits would have deleted is not known). `out->key` is
/// NULL if that call's lock kept none (or none ran on this thread). Per
/// thread, like `binlog_last_error`: ask on the thread that called; the
/// strings are the thread's, valid until its next `binlog_remote_prune` or
/// `binlog_shipper_ship_once` that succeeds, or its end.
#[no_mangle]
pub extern "C" fn binlog_last_prune_lock(out: *mut binlog_prune_lock) -> binlog_result {
    make(out, || Ok(()), |()| Ok(LAST_LOCK.with_borrow(|l| l.0)))
}
