//! `binlog_shipper`: the C face of `archive::Shipper`, which ships a log's
//! sealed segments to an S3-compatible bucket (see `crate::archive` for
//! its guarantees).

use super::archive_tier::{tier_built, ShipReport, Shipper};
use super::boundary::{c_path, c_str, call, done, done_new, free, handle, handle_mut, need_out};
use super::result::binlog_result;
use super::ship_options::{binlog_ship_options, destination};
use std::ffi::c_char;

/// A shipper of one log: one thread at a time may call it, it holds the
/// log's ship lock (`<dir>/<name>.ship.lock`) until `binlog_shipper_free`,
/// after which the handle is invalid, and a child process after fork()
/// must open its own.
pub struct binlog_shipper {
    shipper: Shipper,
}

/// What one `binlog_shipper_ship_once` did, in segments.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct binlog_ship_report {
    /// Uploaded (and verified) by this pass.
    pub uploaded: u64,
    /// Found in the bucket already with the same bytes (an upload a crash
    /// interrupted after the server stored it).
    pub already_uploaded: u64,
    /// Local copies removed, their copies in the bucket verified.
    pub removed_local: u64,
}

impl From<&ShipReport> for binlog_ship_report {
    fn from(r: &ShipReport) -> binlog_ship_report {
        binlog_ship_report {
            uploaded: r.uploaded.len() as u64,
            already_uploaded: r.found_uploaded.len() as u64,
            removed_local: r.removed_local.len() as u64,
        }
    }
}

/// Starts shipping log `name` of `dir` to the destination of `opts`
/// (required, with one set): takes the log's ship lock (`BINLOG_ERR_LOCKED`
/// if another shipper holds it), claims the prefix for the log or checks its
/// claim (`BINLOG_ERR_WRONG_LOG` if another log holds it), and compares the
/// local segments with the journal `<dir>/<name>.ship` and a listing of the
/// bucket: a copy whose size no longer matches the journal is read back; one
/// damaged or truncated is `BINLOG_ERR_CORRUPT` naming the object, its
/// segment kept. Nothing is uploaded yet. `*out` is written only on success;
/// free it with `binlog_shipper_free`. `BINLOG_ERR_INVALID_ARGUMENT` in a
/// library built without the archive tier (cargo feature "s3",
/// `make lib ARCHIVE=0`), whatever the arguments.
#[no_mangle]
pub extern "C" fn binlog_shipper_open(
    dir: *const c_char,
    name: *const c_char,
    opts: *const binlog_ship_options,
    out: *mut *mut binlog_shipper,
) -> binlog_result {
    call(|| {
        tier_built()?;
        let d = unsafe { c_path(dir, "dir") }?;
        let n = unsafe { c_str(name, "name") }?;
        let o = unsafe { handle(opts, "ship options") }?;
        need_out(out)?;
        let to = destination(o)?;
        let shipper = Shipper::open(d, n, to, o.ship.clone())?;
        unsafe { done_new(out, binlog_shipper { shipper }) }
    })
}

/// Uploads every sealed segment not yet in the bucket, in order, each
/// verified by a HEAD after its create-only PUT, then removes the local
/// copies the options allow (`binlog_ship_options_set_keep_local`); those
/// after the first one not sealed wait for it. `*out` (required) receives
/// the counts, on success only. A failure names the object or file and
/// leaves the journal where the pass stopped (the next pass resumes); an
/// object holding other bytes than its segment is
/// `BINLOG_ERR_REMOTE_CONFLICT`, never overwritten.
#[no_mangle]
pub extern "C" fn binlog_shipper_ship_once(
    s: *mut binlog_shipper,
    out: *mut binlog_ship_report,
) -> binlog_result {
    call(|| {
        let s = unsafe { handle_mut(s, "shipper") }?;
        need_out(out)?;
        let report = s.shipper.ship_once()?;
        unsafe { done(out, binlog_ship_report::from(&report)) }
    })
}

/// Frees the shipper and releases the log's ship lock; NULL is accepted.
#[no_mangle]
pub extern "C" fn binlog_shipper_free(s: *mut binlog_shipper) {
    unsafe { free(s) }
}
