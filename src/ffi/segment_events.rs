//! Segment events in C: what a log writer's callbacks and
//! `binlog_writer_poll_sealed` describe, and a C callback wrapped as the
//! core's `SegmentCallback`.

use super::prelude::*;
use crate::log::{SegmentCallback, SegmentEvent, SegmentInfo};

/// A segment opened, sealed or compressed.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum binlog_segment_event {
    BINLOG_SEGMENT_OPENED = 1,
    BINLOG_SEGMENT_SEALED = 2,
    /// A sealed segment compressed (`binlog_options_set_compression`):
    /// `path` is its `.binlog.zst`, `bytes` that file's size. Only logs
    /// that compress report it, on their compressing thread, once the
    /// segment is sealed. `binlog_writer_poll_sealed` does not return it:
    /// a polled segment's path may have become `<path>.zst` since.
    BINLOG_SEGMENT_COMPRESSED = 3,
}

/// A segment of a log. `path` is NUL-terminated: in a callback it is valid
/// during the call; from `binlog_writer_poll_sealed`, until the next poll on
/// the same writer.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct binlog_segment_info {
    pub event: binlog_segment_event,
    pub path: *const c_char,
    pub segment_no: u64,
    pub first_seq: u64,
    pub record_count: u64,
    pub bytes: u64,
}

/// Called when a segment is opened, sealed or compressed, outside the log's
/// lock, on the thread that caused it: a writer that rolled, or the log's
/// background thread (time rolls, and seals with
/// `binlog_options_set_seal_in_background`). A roll reports the old segment
/// SEALED, then the new one OPENED (rolls by two threads at once may
/// interleave their events). The callback may call the log's functions,
/// `binlog_writer_close` included: the events such a call causes are
/// reported once the callbacks being run have returned, so callbacks and
/// polling see a log's events in order. It must not free the writer (the
/// call that rolled still uses it): close it, and free it after that call
/// returns. Return 0 on success; any other value counts as a failure (see
/// `binlog_writer_callback_failures`) and affects nothing else.
pub type binlog_segment_callback =
    Option<extern "C" fn(user: *mut c_void, info: *const binlog_segment_info) -> i32>;

pub(super) fn info_view(
    kind: binlog_segment_event,
    i: &SegmentInfo,
    path: &CString,
) -> binlog_segment_info {
    binlog_segment_info {
        event: kind,
        path: path.as_ptr(),
        segment_no: i.segment_no,
        first_seq: i.first_seq,
        record_count: i.record_count,
        bytes: i.bytes,
    }
}

pub(super) fn c_string(p: &std::path::Path) -> CString {
    use std::os::unix::ffi::OsStrExt;
    CString::new(p.as_os_str().as_bytes()).unwrap_or_default()
}

/// Wraps a C segment callback and its user pointer as a Rust callback.
pub(crate) fn c_callback(
    cb: extern "C" fn(*mut c_void, *const binlog_segment_info) -> i32,
    user: *mut c_void,
) -> SegmentCallback {
    let user = UserPtr(user);
    Box::new(move |ev| {
        let (kind, info) = match ev {
            SegmentEvent::Opened(i) => (binlog_segment_event::BINLOG_SEGMENT_OPENED, i),
            SegmentEvent::Sealed(i) => (binlog_segment_event::BINLOG_SEGMENT_SEALED, i),
            SegmentEvent::Compressed(i) => (binlog_segment_event::BINLOG_SEGMENT_COMPRESSED, i),
        };
        let path = c_string(&info.path);
        let view = info_view(kind, info, &path);
        let p = info.path.display();
        match cb(user.get(), &view) {
            0 => Ok(()),
            rc => Err(format!("segment callback returned {rc} for {p}")),
        }
    })
}
