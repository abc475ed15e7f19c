//! `binlog_shipper`, the C face of `archive::Shipper`, and
//! `binlog_ship_options`: where and how a shipper (`binlog_shipper_open`)
//! ships a log, the C face of `archive::ShipOptions` and
//! `archive::Location`, set one at a time so that options can grow without
//! breaking the ABI.

use super::archive_tier::*;
use super::prelude::*;

/// Options for `binlog_shipper_open`. Not thread-safe: configure it from
/// one thread; it may be freed as soon as `binlog_shipper_open` returns.
pub struct binlog_ship_options {
    pub(crate) to: Option<Location>,
    pub(crate) ship: ShipOptions,
}

/// Creates ship options with the defaults: no destination (one must be
/// set), the endpoint, region and credentials of the environment
/// (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, ...), path-style
/// addressing, no local segment removed, multipart uploads above 64 MiB.
/// Free with `binlog_ship_options_free`. `BINLOG_ERR_INVALID_ARGUMENT` in a
/// library built without the archive tier (cargo feature "s3",
/// `make lib ARCHIVE=0`), whose shipper functions all fail.
#[no_mangle]
pub extern "C" fn binlog_ship_options_new(out: *mut *mut binlog_ship_options) -> binlog_result {
    call(|| {
        tier_built()?;
        need_out(out)?;
        let ship = ShipOptions::default();
        unsafe { done(out, new_handle(binlog_ship_options { to: None, ship })) }
    })
}

/// Frees ship options; NULL is accepted.
#[no_mangle]
pub extern "C" fn binlog_ship_options_free(opts: *mut binlog_ship_options) {
    unsafe { free(opts) }
}

/// Where `o` ships to: an invalid-argument error if no destination is set.
pub(crate) fn destination(o: &binlog_ship_options) -> CallResult<&Location> {
    let what = "no destination: set one with binlog_ship_options_set_url";
    o.to.as_ref().ok_or_else(|| Error::invalid(what).into())
}

/// Applies `f`, which cannot fail, to the ship options behind `opts`.
pub(super) fn assign_ship(
    opts: *mut binlog_ship_options,
    f: impl FnOnce(&mut ShipOptions),
) -> binlog_result {
    assign(opts, "ship options", |o| f(&mut o.ship))
}

/// Where the log goes: `url` is `s3://bucket[/prefix]` (NUL-terminated);
/// its objects are named `<prefix>/<log name>/...`. A malformed URL is
/// refused with `BINLOG_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn binlog_ship_options_set_url(
    opts: *mut binlog_ship_options,
    url: *const std::ffi::c_char,
) -> binlog_result {
    update(opts, "ship options", |o| {
        o.to = Some(Location::parse(unsafe { c_str(url, "url") }?)?);
        Ok(())
    })
}

/// Where the log goes, as a bucket and a key prefix (NUL-terminated;
/// `prefix` may be NULL or empty): the same as
/// `binlog_ship_options_set_url` with `s3://<bucket>/<prefix>`.
#[no_mangle]
pub extern "C" fn binlog_ship_options_set_bucket(
    opts: *mut binlog_ship_options,
    bucket: *const std::ffi::c_char,
    prefix: *const std::ffi::c_char,
) -> binlog_result {
    update(opts, "ship options", |o| {
        let bucket = unsafe { c_str(bucket, "bucket") }?;
        let prefix = unsafe { c_str_or_null(prefix, "prefix") }?.unwrap_or("");
        o.to = Some(Location::parse(&format!("s3://{bucket}/{prefix}"))?);
        Ok(())
    })
}

/// The server's URL, for S3-compatible servers (`http://host:port`;
/// NUL-terminated); unset: `AWS_ENDPOINT_URL`, or AWS's endpoint of the
/// region.
#[no_mangle]
pub extern "C" fn binlog_ship_options_set_endpoint(
    opts: *mut binlog_ship_options,
    endpoint: *const std::ffi::c_char,
) -> binlog_result {
    update(opts, "ship options", |o| {
        o.ship.connection.endpoint = Some(unsafe { c_str(endpoint, "endpoint") }?.to_owned());
        Ok(())
    })
}

/// The bucket's region (NUL-terminated); unset: `AWS_REGION` or
/// `AWS_DEFAULT_REGION`.
#[no_mangle]
pub extern "C" fn binlog_ship_options_set_region(
    opts: *mut binlog_ship_options,
    region: *const std::ffi::c_char,
) -> binlog_result {
    update(opts, "ship options", |o| {
        o.ship.connection.region = Some(unsafe { c_str(region, "region") }?.to_owned());
        Ok(())
    })
}

/// The access key id and secret access key (NUL-terminated, both
/// required); unset: `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
#[no_mangle]
pub extern "C" fn binlog_ship_options_set_credentials(
    opts: *mut binlog_ship_options,
    access_key_id: *const std::ffi::c_char,
    secret_access_key: *const std::ffi::c_char,
) -> binlog_result {
    update(opts, "ship options", |o| {
        let id = unsafe { c_str(access_key_id, "access key id") }?;
        let secret = unsafe { c_str(secret_access_key, "secret access key") }?;
        o.ship.connection.access_key_id = Some(id.to_owned());
        o.ship.connection.secret_access_key = Some(secret.to_owned());
        Ok(())
    })
}

/// Path-style addressing (`host/bucket/key`, the default) if true,
/// virtual-hosted style (`bucket.host/key`) if false; unset:
/// `AWS_VIRTUAL_HOSTED_STYLE_REQUEST`.
#[no_mangle]
pub extern "C" fn binlog_ship_options_set_path_style(
    opts: *mut binlog_ship_options,
    path_style: bool,
) -> binlog_result {
    assign_ship(opts, |s| {
        s.connection.virtual_hosted_style = Some(!path_style)
    })
}

/// Removes a local segment once its verified copy is in the bucket,
/// keeping the newest `keep` sealed segments; UINT64_MAX: removes none
/// (the default).
#[no_mangle]
pub extern "C" fn binlog_ship_options_set_keep_local(
    opts: *mut binlog_ship_options,
    keep: u64,
) -> binlog_result {
    let keep = c_option(keep, u64::MAX).map(|k| usize::try_from(k).unwrap_or(usize::MAX));
    assign_ship(opts, |s| s.keep_local = keep)
}

/// Removing local copies (`binlog_ship_options_set_keep_local`) and the
/// bucket's retention wait for the log's consumers, as the log's retention
/// does (`binlog_options_set_retention_wait_for_consumers`, the same
/// bounds: 0 leaves one unset; both 0, the default, waits for none).
#[no_mangle]
pub extern "C" fn binlog_ship_options_set_wait_for_consumers(
    opts: *mut binlog_ship_options,
    max_bytes: u64,
    max_age_ms: u64,
) -> binlog_result {
    assign_ship(opts, |s| {
        s.wait_for_consumers = super::consumer::bound_of(max_bytes, max_age_ms)
    })
}

/// Segments larger than `bytes` go up as multipart uploads (default
/// 64 MiB; a single PUT is limited to 5 GiB by S3).
#[no_mangle]
pub extern "C" fn binlog_ship_options_set_multipart_threshold(
    opts: *mut binlog_ship_options,
    bytes: u64,
) -> binlog_result {
    assign_ship(opts, |s| s.multipart_threshold = bytes)
}

/// How long failed requests are retried, with backoff, before a call gives
/// up, in milliseconds (default 180 000; the CLI's `--retry-timeout`): a
/// server that is down, refuses connections or never answers fails the call
/// in about this long with `BINLOG_ERR_REMOTE`, naming the server's URL and
/// the cause. 0: no retries (a request then waits at most 60 s).
#[no_mangle]
pub extern "C" fn binlog_ship_options_set_retry_timeout(
    opts: *mut binlog_ship_options,
    retry_timeout_ms: u64,
) -> binlog_result {
    let timeout = Duration::from_millis(retry_timeout_ms);
    assign_ship(opts, |s| s.connection.retry_timeout = Some(timeout))
}

/// How `binlog_ship_options_set_object_lock` locks objects.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum binlog_lock_mode {
    /// No lock (the default).
    BINLOG_LOCK_NONE = 0,
    /// S3 Object Lock's governance mode: deleted before its date only by
    /// a user allowed `s3:BypassGovernanceRetention`.
    BINLOG_LOCK_GOVERNANCE = 1,
    /// Compliance mode: deleted before its date by no one.
    BINLOG_LOCK_COMPLIANCE = 2,
}

/// Locks each segment object and signed head the shipper creates under
/// S3 Object Lock (WORM): `mode` a `binlog_lock_mode`, for `days` (1 to
/// 36500) from its upload. `binlog_shipper_open` then fails with
/// `BINLOG_ERR_INVALID_ARGUMENT`, saying so, if the bucket does not have
/// Object Lock enabled; remote prune deletes no locked object. Another
/// mode or a number of days outside those is refused with
/// `BINLOG_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn binlog_ship_options_set_object_lock(
    opts: *mut binlog_ship_options,
    mode: u32,
    days: u32,
) -> binlog_result {
    update(opts, "ship options", |o| {
        use binlog_lock_mode::*;
        let mode = match mode {
            m if m == BINLOG_LOCK_NONE as u32 => None,
            m if m == BINLOG_LOCK_GOVERNANCE as u32 => Some(LockMode::Governance),
            m if m == BINLOG_LOCK_COMPLIANCE as u32 => Some(LockMode::Compliance),
            _ => return invalid(format!("unknown lock mode {mode}")),
        };
        let lock = mode.map(|mode| ObjectLock { mode, days }.checked());
        o.ship.object_lock = lock.transpose()?;
        Ok(())
    })
}

// `binlog_shipper`: the C face of `archive::Shipper`, which ships a log's
// sealed segments to an S3-compatible bucket (see `crate::archive` for
// its guarantees).

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
    let args = || unsafe {
        tier_built()?;
        Ok((
            c_path(dir, "dir")?,
            c_str(name, "name")?,
            handle(opts, "ship options")?,
        ))
    };
    make(out, args, |(d, n, o)| {
        let shipper = Shipper::open(d, n, destination(o)?, o.ship.clone())?;
        Ok(new_handle(binlog_shipper { shipper }))
    })
}

/// Uploads every sealed segment not yet in the bucket, in order, each
/// verified by a HEAD after its create-only PUT, then removes the local
/// copies the options allow (`binlog_ship_options_set_keep_local`); those
/// after the first one not sealed wait for it. `*out` (required) receives
/// the counts, on success only. A failure names the object or file and
/// leaves the journal where the pass stopped (the next pass resumes); an
/// object holding other bytes than its segment is
/// `BINLOG_ERR_REMOTE_CONFLICT`, never overwritten. With a remote
/// retention set, the pass ends with a prune: `binlog_last_prune_lock`
/// then says what an Object Lock kept from it.
#[no_mangle]
pub extern "C" fn binlog_shipper_ship_once(
    s: *mut binlog_shipper,
    out: *mut binlog_ship_report,
) -> binlog_result {
    get_mut(s, "shipper", out, |s| Ok(ship_once(&mut s.shipper)?))
}

/// Frees the shipper and releases the log's ship lock; NULL is accepted.
#[no_mangle]
pub extern "C" fn binlog_shipper_free(s: *mut binlog_shipper) {
    unsafe { free(s) }
}
