//! The C ABI's tiered log reader: a log read from its directory and from
//! the bucket its sealed segments were shipped to (`LogReader::open_tiered`).

use super::archive_tier::open_tiered;
use super::boundary::{c_path, c_str, call, done, need_out};
use super::reader::{binlog_reader, boxed};
use super::result::binlog_result;
use std::os::raw::c_char;

/// Opens a reader of the rolling log `name` in `dir` and of its segments
/// shipped to `remote` (`s3://bucket/prefix`, as `binlog ship --to` put
/// them) as one stream, as `binlog_reader_open_log` reads a log: a segment
/// removed locally after its upload is read from the bucket (compressed ones
/// with ranged GETs), not reported as a gap; one missing from both is a gap
/// of reason `BINLOG_GAP_MISSING` naming the object's `s3://` URL; a damaged
/// object, or one shorter than its metadata says, is `BINLOG_ERR_CORRUPT`
/// naming its URL and offset (when skipping damage, its records before the
/// cut are read and `binlog_reader_damages2` names the URL). The endpoint,
/// region and credentials come from the environment (`AWS_ENDPOINT_URL`,
/// `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`); read and list permissions suffice. After fork(), a
/// child opens its own reader. `BINLOG_ERR_INVALID_ARGUMENT` in a library
/// built without the archive tier (cargo feature "s3", `make lib ARCHIVE=0`).
#[no_mangle]
pub extern "C" fn binlog_reader_open_log_tiered(
    dir: *const c_char,
    name: *const c_char,
    remote: *const c_char,
    out: *mut *mut binlog_reader,
) -> binlog_result {
    open_call(dir, name, remote, None, out)
}

/// As `binlog_reader_open_log_tiered`, with failed requests to the bucket
/// retried for `retry_timeout_ms` milliseconds (the default, 180 000, is
/// `binlog_reader_open_log_tiered`'s) before the open, or a later read,
/// fails: a server that is down, refuses connections or stops answering
/// is a `BINLOG_ERR_REMOTE` error in about this long, naming the server's
/// URL and the cause. 0: no retries (a request then waits at most 60 s).
#[no_mangle]
pub extern "C" fn binlog_reader_open_log_tiered_timeout(
    dir: *const c_char,
    name: *const c_char,
    remote: *const c_char,
    retry_timeout_ms: u64,
    out: *mut *mut binlog_reader,
) -> binlog_result {
    let retry = std::time::Duration::from_millis(retry_timeout_ms);
    open_call(dir, name, remote, Some(retry), out)
}

/// Both opens: the C arguments checked, the reader opened with
/// `retry_timeout` (the library's default if `None`) put in `out`.
fn open_call(
    dir: *const c_char,
    name: *const c_char,
    remote: *const c_char,
    retry_timeout: Option<std::time::Duration>,
    out: *mut *mut binlog_reader,
) -> binlog_result {
    call(|| {
        let d = unsafe { c_path(dir, "dir") }?;
        let n = unsafe { c_str(name, "name") }?;
        let url = unsafe { c_str(remote, "remote") }?;
        need_out(out)?;
        unsafe { done(out, boxed(open_tiered(d, n, url, retry_timeout)?, d)) }
    })
}
