//! `binlog_reader_poll_fd` and `binlog_reader_poll_rearm`: a descriptor
//! for an event loop's poll, select or epoll, readable when a follower may
//! have new records (the core's `ChangeFd`).

use super::boundary::{call, done, handle_mut, need_out};
use super::reader::binlog_reader;
use super::result::binlog_result::{self, BINLOG_OK};
use crate::record_reader::RecordReader;
use std::ffi::c_int;

/// Writes to `*fd` a descriptor for poll, select or epoll, readable when the
/// segment or log the reader follows may have new records (inotify on the
/// segment file or the log's directory), so an event loop needs no thread
/// blocked in `binlog_reader_next_wait`. Once it polls readable, call
/// `binlog_reader_poll_rearm`, then `binlog_reader_next` until `BINLOG_END`,
/// then poll again: a record written after the re-arm makes it readable, so
/// none waits unseen. It is readable at first, and also without a change:
/// 25 ms after one (a new segment is listed once the directory settles) and
/// at least every 250 ms (10 ms on a network filesystem, where inotify
/// misses other hosts' writes). The descriptor is the reader's: do not read
/// or close it; it stays the same on later calls and `binlog_reader_close`
/// closes it. A record `binlog_reader_next_batch` held back is returned
/// whether or not it is readable: read until `BINLOG_END` before polling.
#[no_mangle]
pub extern "C" fn binlog_reader_poll_fd(r: *mut binlog_reader, fd: *mut c_int) -> binlog_result {
    call(|| {
        let h = unsafe { handle_mut(r, "reader") }?;
        h.args(|| need_out(fd))?;
        if h.change_fd.is_none() {
            let made = h.open()?.change_fd()?;
            h.change_fd = Some(made);
        }
        let raw = h.change_fd.as_ref().map(crate::ChangeFd::raw_fd);
        unsafe { done(fd, raw.unwrap_or(-1)) }
    })
}

/// Takes the changes the descriptor of `binlog_reader_poll_fd` reported:
/// it is not readable again until the next change or timed re-check. Call
/// it before reading the new records (see `binlog_reader_poll_fd`).
/// `BINLOG_ERR_INVALID_ARGUMENT` if no descriptor was asked for.
#[no_mangle]
pub extern "C" fn binlog_reader_poll_rearm(r: *mut binlog_reader) -> binlog_result {
    call(|| {
        let h = unsafe { handle_mut(r, "reader") }?;
        h.open()?;
        let Some(c) = &h.change_fd else {
            return Err(crate::error::Error::file(
                crate::error::ErrorKind::InvalidArgument,
                &h.path,
                "no pollable descriptor to re-arm: call binlog_reader_poll_fd first",
            )
            .into());
        };
        c.rearm()?;
        Ok(BINLOG_OK)
    })
}
