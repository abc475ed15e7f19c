//! `binlog_reader`: the C face of `crate::Reader`.

use super::boundary::{array, c_path, call, call_void, handle_mut, put, utf8};
use super::result::binlog_result::{self, BINLOG_END, BINLOG_OK};
use super::types::{binlog_iovec, binlog_meta, binlog_record, binlog_tail, binlog_tail_kind};
use crate::error::{Error, ErrorKind, Result};
use crate::reader::{Reader, Tail};

/// A reader of one segment. Not thread-safe: use it from one thread at a
/// time. Record views it returns stay valid until the next call on it;
/// `binlog_reader_free` invalidates the handle.
pub struct binlog_reader {
    inner: Option<Reader>,
    meta: Vec<binlog_meta>,
}

impl binlog_reader {
    fn open(&mut self) -> Result<&mut Reader> {
        self.inner
            .as_mut()
            .ok_or_else(|| Error::new(ErrorKind::Closed, "reader is closed"))
    }
}

/// Opens a segment for reading (read permission suffices; no lock is taken).
#[no_mangle]
pub extern "C" fn binlog_reader_open(
    path: *const std::ffi::c_char,
    out: *mut *mut binlog_reader,
) -> binlog_result {
    call(|| {
        let p = unsafe { c_path(path) }?;
        if out.is_null() {
            return Err(super::boundary::null("out"));
        }
        let r = Reader::open(p)?;
        let h = Box::new(binlog_reader {
            inner: Some(r),
            meta: Vec::new(),
        });
        unsafe { put(out, Box::into_raw(h)) };
        Ok(BINLOG_OK)
    })
}

/// Fills `*out` with the next record (verified against its CRC) and returns
/// `BINLOG_OK`, or returns `BINLOG_END` when there are no more records for
/// now (an unsealed segment may grow: call again later), or an error such as
/// `BINLOG_ERR_CORRUPT` naming the file and offset.
#[no_mangle]
pub extern "C" fn binlog_reader_next(
    r: *mut binlog_reader,
    out: *mut binlog_record,
) -> binlog_result {
    call(|| {
        let h = unsafe { handle_mut(r, "reader") }?;
        if out.is_null() {
            return Err(super::boundary::null("out"));
        }
        let binlog_reader { inner, meta } = h;
        let reader = inner
            .as_mut()
            .ok_or_else(|| Error::new(ErrorKind::Closed, "reader is closed"))?;
        let Some(rec) = reader.next()? else {
            return Ok(BINLOG_END);
        };
        meta.clear();
        meta.extend(rec.metadata().map(|(k, v)| binlog_meta {
            key: k.as_ptr(),
            key_len: k.len(),
            value: v.as_ptr(),
            value_len: v.len(),
        }));
        let view = binlog_record {
            seq: rec.seq,
            timestamp_ns: rec.timestamp_ns,
            type_name: rec.type_name.as_ptr(),
            type_len: rec.type_name.len(),
            payload: rec.payload.as_ptr(),
            payload_len: rec.payload.len(),
            meta: if meta.is_empty() {
                std::ptr::null()
            } else {
                meta.as_ptr()
            },
            meta_count: meta.len(),
            offset: rec.offset,
        };
        unsafe { put(out, view) };
        Ok(BINLOG_OK)
    })
}

/// Positions the reader at the first record with a sequence number of at
/// least `seq` (at the end if none), using the seal's sparse index.
#[no_mangle]
pub extern "C" fn binlog_reader_seek_seq(r: *mut binlog_reader, seq: u64) -> binlog_result {
    call(|| {
        unsafe { handle_mut(r, "reader") }?.open()?.seek_seq(seq)?;
        Ok(BINLOG_OK)
    })
}

/// Positions the reader at the first record, in write order, with a
/// timestamp of at least `ts_ns` (at the end if none).
#[no_mangle]
pub extern "C" fn binlog_reader_seek_time(r: *mut binlog_reader, ts_ns: i64) -> binlog_result {
    call(|| {
        unsafe { handle_mut(r, "reader") }?
            .open()?
            .seek_time(ts_ns)?;
        Ok(BINLOG_OK)
    })
}

/// Restricts `binlog_reader_next` to records whose type is one of
/// `types[0..count]` (UTF-8 byte strings); `count == 0` reads every type
/// again. A sealed segment is read through its per-type index.
#[no_mangle]
pub extern "C" fn binlog_reader_filter_types(
    r: *mut binlog_reader,
    types: *const binlog_iovec,
    count: usize,
) -> binlog_result {
    call(|| {
        let h = unsafe { handle_mut(r, "reader") }?;
        let names = unsafe { array(types, count, "types") }?
            .iter()
            .map(|t| unsafe { utf8(t.base, t.len, "type name") })
            .collect::<Result<Vec<&str>>>()?;
        h.open()?.filter_types(&names);
        Ok(BINLOG_OK)
    })
}

/// How the segment ended, once `binlog_reader_next` returned `BINLOG_END`.
#[no_mangle]
pub extern "C" fn binlog_reader_tail(
    r: *mut binlog_reader,
    out: *mut binlog_tail,
) -> binlog_result {
    call(|| {
        let h = unsafe { handle_mut(r, "reader") }?;
        if out.is_null() {
            return Err(super::boundary::null("out"));
        }
        use binlog_tail_kind::*;
        let (kind, offset, len) = match h.open()?.tail() {
            Tail::Reading => (BINLOG_TAIL_READING, 0, 0),
            Tail::Sealed => (BINLOG_TAIL_SEALED, 0, 0),
            Tail::Unsealed => (BINLOG_TAIL_UNSEALED, 0, 0),
            Tail::SealDamaged { offset } => (BINLOG_TAIL_SEAL_DAMAGED, offset, 0),
            Tail::Torn { offset, len } => (BINLOG_TAIL_TORN, offset, len),
        };
        unsafe { put(out, binlog_tail { kind, offset, len }) };
        Ok(BINLOG_OK)
    })
}

/// Releases the reader's file and mapping. Later calls return
/// `BINLOG_ERR_CLOSED`; closing twice is OK; NULL is accepted. The handle
/// stays allocated until `binlog_reader_free`.
#[no_mangle]
pub extern "C" fn binlog_reader_close(r: *mut binlog_reader) -> binlog_result {
    call(|| {
        if let Some(h) = unsafe { r.as_mut() } {
            h.inner = None;
            h.meta = Vec::new();
        }
        Ok(BINLOG_OK)
    })
}

/// Frees the handle (closing it if needed); NULL is accepted.
#[no_mangle]
pub extern "C" fn binlog_reader_free(r: *mut binlog_reader) {
    call_void(|| {
        if !r.is_null() {
            drop(unsafe { Box::from_raw(r) });
        }
    })
}
