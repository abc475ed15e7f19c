//! `binlog_options_set_clock`: a C function as the wall clock a log rolls
//! by and stamps records with (the core's `LogOptions::clock`), so that
//! period rolls can be tested without waiting for real minutes.

use super::boundary::{CallResult, UserPtr};
use super::options::{binlog_options, set_log};
use super::result::binlog_result;
use crate::log::LogOptions;
use std::ffi::c_void;
use std::sync::Arc;

/// A wall clock: nanoseconds since the Unix epoch (UTC). `user` is the
/// pointer given with it to `binlog_options_set_clock`.
pub type binlog_clock = Option<extern "C" fn(user: *mut c_void) -> i64>;

/// Logs only: read the time from `clock(user)` instead of CLOCK_REALTIME,
/// for period rolls, records written with `BINLOG_TIME_NOW`, segment
/// creation times and names, and retention by age; NULL restores the system
/// clock. For tests: advance it past a period boundary and the next write
/// rolls at once. It is called often (once per write call), from every
/// thread that writes to or rolls the log and from the log's background
/// thread, at once, with the log's lock held: it must be thread-safe, quick
/// and not call libbinlog, and `user` must stay valid while any writer
/// opened with these options lives. A clock that goes back unrolls nothing.
#[no_mangle]
pub extern "C" fn binlog_options_set_clock(
    opts: *mut binlog_options,
    clock: binlog_clock,
    user: *mut c_void,
) -> binlog_result {
    set_log(opts, |l| {
        l.clock = match clock {
            None => LogOptions::default().clock,
            Some(f) => {
                let user = UserPtr(user);
                Arc::new(move || f(user.get()))
            }
        };
        Ok(())
    })
}

/// Refuses an injected clock for a plain segment, which has none of a
/// log's time triggers: a writer of one segment stamps records from the
/// system clock.
pub(super) fn refuse_for_segment(l: &LogOptions) -> CallResult<()> {
    if l.system_clock() {
        return Ok(());
    }
    Err(crate::error::Error::invalid(
        "a clock (binlog_options_set_clock) applies to logs: use binlog_writer_open_log",
    )
    .into())
}
