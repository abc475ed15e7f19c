//! `binlog_options`: an opaque options handle with setters, so options can
//! grow without breaking the ABI.

use super::boundary::{call, call_void, handle_mut, put, utf8};
use super::result::binlog_result::{self, BINLOG_OK};
use crate::error::Error;
use crate::options::{Durability, Options};
use std::time::Duration;

/// Options for `binlog_writer_open`. Not thread-safe: configure it from one
/// thread; it may be freed as soon as `binlog_writer_open` returns.
pub struct binlog_options {
    pub(crate) inner: Options,
}

/// When records are forced to stable storage.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum binlog_durability {
    /// Never forced (the OS decides); buffers go to the OS when full and on
    /// flush, sync and close.
    BINLOG_DURABILITY_NONE = 0,
    /// Every write call returns after fdatasync; concurrent writers share one.
    BINLOG_DURABILITY_EVERY_RECORD = 1,
    /// Every Nth record syncs (`param` = N).
    BINLOG_DURABILITY_EVERY_N = 2,
    /// A background thread syncs every `param` milliseconds.
    BINLOG_DURABILITY_INTERVAL_MS = 3,
}

/// Creates options with the defaults (64 MiB maximum record size, 256 KiB
/// buffer, durability NONE). Free with `binlog_options_free`.
#[no_mangle]
pub extern "C" fn binlog_options_new(out: *mut *mut binlog_options) -> binlog_result {
    call(|| {
        if out.is_null() {
            return Err(super::boundary::null("out"));
        }
        let o = Box::new(binlog_options {
            inner: Options::default(),
        });
        unsafe { put(out, Box::into_raw(o)) };
        Ok(BINLOG_OK)
    })
}

/// Frees options; NULL is accepted.
#[no_mangle]
pub extern "C" fn binlog_options_free(opts: *mut binlog_options) {
    call_void(|| {
        if !opts.is_null() {
            drop(unsafe { Box::from_raw(opts) });
        }
    })
}

/// Applies `f` to the options behind `opts`.
fn set(
    opts: *mut binlog_options,
    f: impl FnOnce(&mut Options) -> crate::Result<()>,
) -> binlog_result {
    call(|| {
        let o = unsafe { handle_mut(opts, "options") }?;
        let mut next = o.inner.clone();
        f(&mut next)?;
        next.validate()?;
        o.inner = next;
        Ok(BINLOG_OK)
    })
}

/// Log name recorded in a new segment's header (UTF-8).
#[no_mangle]
pub extern "C" fn binlog_options_set_log_name(
    opts: *mut binlog_options,
    name: *const u8,
    name_len: usize,
) -> binlog_result {
    set(opts, |o| {
        o.log_name = unsafe { utf8(name, name_len, "log name") }?.to_owned();
        Ok(())
    })
}

/// Content type recorded in a new segment's header (UTF-8).
#[no_mangle]
pub extern "C" fn binlog_options_set_content_type(
    opts: *mut binlog_options,
    ct: *const u8,
    ct_len: usize,
) -> binlog_result {
    set(opts, |o| {
        o.content_type = unsafe { utf8(ct, ct_len, "content type") }?.to_owned();
        Ok(())
    })
}

/// Adds a key/value parameter to a new segment's header (UTF-8).
#[no_mangle]
pub extern "C" fn binlog_options_add_param(
    opts: *mut binlog_options,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
) -> binlog_result {
    set(opts, |o| {
        let k = unsafe { utf8(key, key_len, "parameter key") }?;
        let v = unsafe { utf8(value, value_len, "parameter value") }?;
        o.params.push((k.to_owned(), v.to_owned()));
        Ok(())
    })
}

/// Largest encoded record accepted (64 to 4 GiB + 7 bytes; default 64 MiB).
#[no_mangle]
pub extern "C" fn binlog_options_set_max_record_size(
    opts: *mut binlog_options,
    bytes: u64,
) -> binlog_result {
    set(opts, |o| {
        o.max_record_size = bytes;
        Ok(())
    })
}

/// Bytes buffered before records are handed to the OS (0 = hand every write
/// call's records to the OS at once; default 256 KiB).
#[no_mangle]
pub extern "C" fn binlog_options_set_buffer_size(
    opts: *mut binlog_options,
    bytes: usize,
) -> binlog_result {
    set(opts, |o| {
        o.buffer_size = bytes;
        Ok(())
    })
}

/// Durability policy; `param` is N for EVERY_N and milliseconds for
/// INTERVAL_MS, ignored otherwise. Values outside the enum are refused.
#[no_mangle]
pub extern "C" fn binlog_options_set_durability(
    opts: *mut binlog_options,
    mode: u32,
    param: u64,
) -> binlog_result {
    set(opts, |o| {
        o.durability = match mode {
            0 => Durability::None,
            1 => Durability::EveryRecord,
            2 => Durability::EveryN(
                u32::try_from(param).map_err(|_| Error::invalid("N above 2^32-1"))?,
            ),
            3 => Durability::Interval(Duration::from_millis(param)),
            _ => return Err(Error::invalid(format!("unknown durability mode {mode}"))),
        };
        Ok(())
    })
}

/// Sequence number of a new segment's first record (default 0).
#[no_mangle]
pub extern "C" fn binlog_options_set_first_seq(
    opts: *mut binlog_options,
    seq: u64,
) -> binlog_result {
    set(opts, |o| {
        o.first_seq = seq;
        Ok(())
    })
}

/// Segment number recorded in a new segment's header (default 0).
#[no_mangle]
pub extern "C" fn binlog_options_set_segment_no(
    opts: *mut binlog_options,
    n: u64,
) -> binlog_result {
    set(opts, |o| {
        o.segment_no = n;
        Ok(())
    })
}

/// Creation time recorded in a new segment's header (default: now).
#[no_mangle]
pub extern "C" fn binlog_options_set_created_ns(
    opts: *mut binlog_options,
    ns: i64,
) -> binlog_result {
    set(opts, |o| {
        o.created_ns = Some(ns);
        Ok(())
    })
}

/// Bytes of records between entries of the sparse seq/time index
/// (default 65536).
#[no_mangle]
pub extern "C" fn binlog_options_set_sparse_interval(
    opts: *mut binlog_options,
    bytes: u32,
) -> binlog_result {
    set(opts, |o| {
        o.sparse_interval = bytes;
        Ok(())
    })
}
