//! Stand-ins for the archive tier's types in a library built without the
//! cargo feature "s3" (the lean C library): the shipper's C functions keep
//! their signatures, so include/binlog.h is the same in every build. No
//! handle of them can exist: `binlog_ship_options_new` and
//! `binlog_shipper_open` answer `tier_built()`'s error first, so the
//! stand-ins below are only compiled, never used (`Location`,
//! `Connection` and `ShipOptions`, plain data, are the tier's own).

use super::{prelude::*, remote_prune::*, shipper::*};
use crate::{LogReader, MergedReader, Result};

/// What every entry to the archive tier answers here
/// (`BINLOG_ERR_INVALID_ARGUMENT`).
fn absent() -> Error {
    Error::invalid(
        "this libbinlog was built without the archive tier (cargo feature \"s3\"): \
         no shipping to or reading from S3",
    )
}

/// Ok in a library with the archive tier, `absent()` here.
pub fn tier_built() -> Result<()> {
    Err(absent())
}

// Where and how to reach a bucket, how its objects are locked and the
// shipper's options: plain data and URL parsing, no network code,
// compiled here from the archive tier's own files. What only the
// shipper reads of it (object URLs, timeouts) has no reader here.
#[allow(dead_code)]
#[path = "../archive/location.rs"]
mod location;
pub use location::Location;
#[allow(dead_code)]
#[path = "../archive/object_lock.rs"]
mod object_lock;
pub use object_lock::{LockMode, ObjectLock};
// Its Rust types are no C's: cbindgen, told below, does not read it.
/// cbindgen:ignore
#[allow(dead_code)]
#[path = "../archive/options.rs"]
mod options;
pub use options::ShipOptions;

pub fn open_tiered(_: &Path, _: &str, _: &str, _: Option<Duration>) -> Result<LogReader> {
    Err(absent())
}

pub fn open_merged(_: Option<&Path>, _: &str, _: &str) -> Result<MergedReader> {
    Err(absent())
}

pub fn prune(_: &binlog_ship_options, _: &str, _: bool) -> CallResult<binlog_prune_report> {
    Err(absent().into())
}

/// Uninhabited: no shipper is ever opened.
pub enum Shipper {}

impl Shipper {
    pub fn open(_: &Path, _: &str, _: &Location, _: ShipOptions) -> Result<Shipper> {
        Err(absent())
    }
}

pub fn ship_once(s: &mut Shipper) -> Result<binlog_ship_report> {
    match *s {}
}
