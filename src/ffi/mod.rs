//! The C ABI: the only place with `extern "C"`, raw pointers and `unsafe`
//! pointer conversions. Conventions (as rustls-ffi's): every name starts with
//! `binlog_`; handles are opaque; every function returns a `binlog_result`
//! and writes its outputs only on success; the object comes first and a
//! buffer is followed by its length; `*_close` and `*_free` accept NULL; no
//! panic crosses into C (each body runs inside `boundary::call`).

// C names are the ABI's names; and every exported function checks its
// pointers for NULL itself, the rest of each pointer's contract is the C
// caller's, as documented in include/binlog.h.
#![allow(non_camel_case_types, clippy::not_unsafe_ptr_arg_deref)]

#[cfg(not(feature = "s3"))]
mod archive_absent;
pub mod batch;
mod boundary;
pub mod consumer;
pub mod options;
pub mod reader;
pub mod remote_prune;
pub mod repair;
pub mod result;
pub mod retention_shipped;
pub mod schema;
pub mod segment_events;
pub mod segments;
pub mod shipper;
pub mod types;
pub mod verify;
pub mod version;
pub mod writer;
// Last: cbindgen emits items in module order, and this one uses the
// reader's record view.
pub mod merged_reader;
// After it: summaries of either reader.
pub mod summary;

/// What the files of the C ABI share: the boundary's helpers, the result
/// codes, the core's error, and the std types of their arguments.
mod prelude {
    pub use super::boundary::*;
    pub use super::result::binlog_result::{self, BINLOG_END, BINLOG_OK};
    pub use crate::error::{Error, ErrorKind};
    pub use std::ffi::{c_char, c_void, CString};
    pub use std::path::{Path, PathBuf};
    pub use std::time::Duration;
}

/// The archive tier's types behind the shipper's functions and
/// `tier_built()`, Ok when the library has the tier: the real ones, or
/// (cargo feature "s3" off) stand-ins that answer a "built without the
/// archive tier" error, so every build exports the same functions.
#[cfg(feature = "s3")]
mod archive_tier {
    use super::{prelude::*, remote_prune::*, shipper::*};
    use crate::archive::{Connection, ListedSegment, ObjectLockHold, Remote, RemoteLog};
    pub use crate::archive::{Location, LockMode, ObjectLock, ShipOptions, Shipper};
    use crate::{LogReader, MergedReader, Result};
    use std::sync::Arc;

    pub fn tier_built() -> Result<()> {
        Ok(())
    }

    fn remote_log(to: &Location, connection: &Connection, name: &str) -> Result<RemoteLog> {
        RemoteLog::new(Arc::new(Remote::connect(to, connection)?), name)
    }

    /// A reader of log `name` in `dir` and at `url`, whose requests are
    /// retried for `retry_timeout` (the default if `None`).
    pub fn open_tiered(
        dir: &Path,
        name: &str,
        url: &str,
        retry_timeout: Option<Duration>,
    ) -> Result<LogReader> {
        let c = Connection {
            retry_timeout,
            ..Connection::default()
        };
        LogReader::open_tiered(dir, name, remote_log(&Location::parse(url)?, &c, name)?)
    }

    /// A merged reader of the logs matching `pattern` in `dir` and at `url`.
    pub fn open_merged(dir: Option<&Path>, url: &str, pattern: &str) -> Result<MergedReader> {
        let remote = Remote::connect(&Location::parse(url)?, &Connection::default())?;
        crate::archive::open_merged(dir, &Arc::new(remote), pattern)
    }

    /// A prune of log `log` at the destination of `o`, with its connection
    /// and limits; what a lock kept from it is the thread's last
    /// (`keep_lock`).
    pub fn prune(o: &binlog_ship_options, log: &str, dry: bool) -> CallResult<binlog_prune_report> {
        let mut opts = o.ship.remote_retention.clone();
        opts.dry_run = dry;
        let r = remote_log(destination(o)?, &o.ship.connection, log)?.prune(&opts)?;
        keep_lock(&r.locked);
        Ok(binlog_prune_report {
            deleted: r.deleted.len() as u64,
            finished: r.finished as u64,
            kept: r.kept as u64,
            pruned_through: r.pruned_through.unwrap_or(u64::MAX),
        })
    }

    /// One pass of `s`, in segments; what a lock kept from its remote
    /// retention is the thread's last prune's (`keep_lock`).
    pub fn ship_once(s: &mut Shipper) -> Result<binlog_ship_report> {
        let r = s.ship_once()?;
        keep_lock(&r.prune_locked);
        Ok(binlog_ship_report {
            uploaded: r.uploaded.len() as u64,
            already_uploaded: r.found_uploaded.len() as u64,
            removed_local: r.removed_local.len() as u64,
        })
    }

    /// Keeps what a lock kept from a prune that succeeded as the thread's
    /// last (`binlog_last_prune_lock`).
    fn keep_lock(locked: &Option<(ListedSegment, ObjectLockHold)>) {
        let (c, l) = (|s: &str| CString::new(s).ok(), locked.as_ref());
        let key = l.and_then(|(s, _)| c(&s.object_key));
        let until = l.and_then(|(_, why)| match why {
            ObjectLockHold::Until(date) => c(date),
            ObjectLockHold::LegalHold => None,
        });
        let ptr = |s: &Option<CString>| s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr());
        let lock = binlog_prune_lock {
            key: ptr(&key),
            segment: l.map_or(0, |(s, _)| s.key.segment_no),
            retain_until: ptr(&until),
            legal_hold: matches!(l, Some((_, ObjectLockHold::LegalHold))),
        };
        let _ = LAST_LOCK.try_with(|l| *l.borrow_mut() = (lock, [key, until]));
    }
}
#[cfg(not(feature = "s3"))]
use archive_absent as archive_tier;
