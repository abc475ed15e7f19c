//! `binlog_writer`: the C face of `crate::Writer`.

use super::boundary::{array, bytes, c_path, call, call_void, handle, put, utf8};
use super::options::binlog_options;
use super::result::binlog_result::{self, BINLOG_OK};
use super::types::{binlog_entry, binlog_iovec, binlog_meta, BINLOG_TIME_NOW};
use crate::error::{Error, ErrorKind, Result};
use crate::options::Options;
use crate::writer::{Entry, Writer};

/// A segment writer. Thread-safe: any number of threads may call write,
/// flush, sync and close on it at once; `binlog_writer_free` must not race
/// any other call and the handle is invalid after it.
pub struct binlog_writer {
    inner: Writer,
}

/// Opens (creating or reopening for append) the segment at `path`. `opts`
/// may be NULL for defaults. On success `*out` owns a writer; release it with
/// `binlog_writer_close` and then `binlog_writer_free`.
#[no_mangle]
pub extern "C" fn binlog_writer_open(
    path: *const std::ffi::c_char,
    opts: *const binlog_options,
    out: *mut *mut binlog_writer,
) -> binlog_result {
    call(|| {
        let p = unsafe { c_path(path) }?;
        if out.is_null() {
            return Err(super::boundary::null("out"));
        }
        let o = match unsafe { opts.as_ref() } {
            Some(o) => o.inner.clone(),
            None => Options::default(),
        };
        let w = Writer::open(p, o)?;
        unsafe { put(out, Box::into_raw(Box::new(binlog_writer { inner: w }))) };
        Ok(BINLOG_OK)
    })
}

/// Appends a record with the current time and no metadata. `*seq_out` (may
/// be NULL) receives its sequence number.
#[no_mangle]
pub extern "C" fn binlog_writer_write(
    w: *const binlog_writer,
    type_name: *const u8,
    type_len: usize,
    payload: *const u8,
    payload_len: usize,
    seq_out: *mut u64,
) -> binlog_result {
    call(|| {
        let w = unsafe { handle(w, "writer") }?;
        let t = unsafe { utf8(type_name, type_len, "type name") }?;
        let p = unsafe { bytes(payload, payload_len, "payload") }?;
        let seq = w.inner.write(t, p)?;
        unsafe { put(seq_out, seq) };
        Ok(BINLOG_OK)
    })
}

/// Appends one record whose payload is gathered from `iov[0..iovcnt]`.
#[no_mangle]
pub extern "C" fn binlog_writer_writev(
    w: *const binlog_writer,
    type_name: *const u8,
    type_len: usize,
    iov: *const binlog_iovec,
    iovcnt: usize,
    seq_out: *mut u64,
) -> binlog_result {
    call(|| {
        let w = unsafe { handle(w, "writer") }?;
        let t = unsafe { utf8(type_name, type_len, "type name") }?;
        let iov = unsafe { array(iov, iovcnt, "iov") }?;
        let parts = iov
            .iter()
            .map(|v| unsafe { bytes(v.base, v.len, "iov base") })
            .collect::<Result<Vec<&[u8]>>>()?;
        let seq = w.inner.write_batch(&[Entry {
            type_name: t,
            meta: &[],
            timestamp_ns: None,
            parts: &parts,
        }])?;
        unsafe { put(seq_out, seq) };
        Ok(BINLOG_OK)
    })
}

/// Appends one record with metadata and an explicit timestamp.
#[no_mangle]
pub extern "C" fn binlog_writer_write_entry(
    w: *const binlog_writer,
    entry: *const binlog_entry,
    seq_out: *mut u64,
) -> binlog_result {
    binlog_writer_write_batch(w, entry, 1, seq_out)
}

/// Appends `count` records under one lock, buffered into as few system
/// calls as the buffer allows; `*first_seq_out` (may be NULL) receives the
/// first one's sequence number. Nothing is written if any entry is invalid.
/// On an I/O error, the records that reached the file stay (the message says
/// how many; see `binlog_writer_next_seq`) and the rest are not written.
#[no_mangle]
pub extern "C" fn binlog_writer_write_batch(
    w: *const binlog_writer,
    entries: *const binlog_entry,
    count: usize,
    first_seq_out: *mut u64,
) -> binlog_result {
    call(|| {
        let w = unsafe { handle(w, "writer") }?;
        let entries = unsafe { array(entries, count, "entries") }?;
        // Convert every entry first, so a bad one writes nothing.
        let mut parts: Vec<&[u8]> = Vec::new();
        let mut metas: Vec<(&str, &str)> = Vec::new();
        let mut spans = Vec::with_capacity(entries.len());
        // Batches usually repeat one type name: validate a name once per run
        // of entries pointing at the same bytes.
        let mut last_type: Option<(*const u8, usize, &str)> = None;
        for e in entries {
            let t = match last_type {
                Some((p, n, t)) if p == e.type_name && n == e.type_len => t,
                _ => {
                    let t = unsafe { utf8(e.type_name, e.type_len, "type name") }?;
                    last_type = Some((e.type_name, e.type_len, t));
                    t
                }
            };
            let p0 = parts.len();
            if e.part_count > 0 {
                for v in unsafe { array(e.parts, e.part_count, "parts") }? {
                    parts.push(unsafe { bytes(v.base, v.len, "part base") }?);
                }
            } else {
                parts.push(unsafe { bytes(e.payload, e.payload_len, "payload") }?);
            }
            let m0 = metas.len();
            for m in unsafe { array::<binlog_meta>(e.meta, e.meta_count, "meta") }? {
                let k = unsafe { utf8(m.key, m.key_len, "metadata key") }?;
                let v = unsafe { utf8(m.value, m.value_len, "metadata value") }?;
                metas.push((k, v));
            }
            let ts = (e.timestamp_ns != BINLOG_TIME_NOW).then_some(e.timestamp_ns);
            spans.push((t, p0..parts.len(), m0..metas.len(), ts));
        }
        let batch: Vec<Entry<'_>> = spans
            .into_iter()
            .map(|(t, p, m, ts)| Entry {
                type_name: t,
                meta: &metas[m],
                timestamp_ns: ts,
                parts: &parts[p],
            })
            .collect();
        let first = w.inner.write_batch(&batch)?;
        unsafe { put(first_seq_out, first) };
        Ok(BINLOG_OK)
    })
}

/// Hands buffered records to the OS; readers see them afterwards.
#[no_mangle]
pub extern "C" fn binlog_writer_flush(w: *const binlog_writer) -> binlog_result {
    call(|| {
        unsafe { handle(w, "writer") }?.inner.flush()?;
        Ok(BINLOG_OK)
    })
}

/// Flushes and fdatasyncs: every record written so far is on stable storage.
#[no_mangle]
pub extern "C" fn binlog_writer_sync(w: *const binlog_writer) -> binlog_result {
    call(|| {
        unsafe { handle(w, "writer") }?.inner.sync()?;
        Ok(BINLOG_OK)
    })
}

/// The sequence number the next record will get.
#[no_mangle]
pub extern "C" fn binlog_writer_next_seq(w: *const binlog_writer, out: *mut u64) -> binlog_result {
    call(|| {
        let w = unsafe { handle(w, "writer") }?;
        if out.is_null() {
            return Err(super::boundary::null("out"));
        }
        if w.inner.is_closed() {
            return Err(closed());
        }
        unsafe { put(out, w.inner.next_seq()) };
        Ok(BINLOG_OK)
    })
}

/// Every record with a lower sequence number than `*out` is on stable
/// storage.
#[no_mangle]
pub extern "C" fn binlog_writer_durable_seq(
    w: *const binlog_writer,
    out: *mut u64,
) -> binlog_result {
    call(|| {
        let w = unsafe { handle(w, "writer") }?;
        if out.is_null() {
            return Err(super::boundary::null("out"));
        }
        if w.inner.is_closed() {
            return Err(closed());
        }
        unsafe { put(out, w.inner.durable_seq()) };
        Ok(BINLOG_OK)
    })
}

/// Flushes, seals and closes the segment and releases its lock. Later calls
/// on the writer return `BINLOG_ERR_CLOSED`; closing twice is OK; NULL is
/// accepted. The handle stays allocated until `binlog_writer_free`.
#[no_mangle]
pub extern "C" fn binlog_writer_close(w: *const binlog_writer) -> binlog_result {
    call(|| {
        if let Some(w) = unsafe { w.as_ref() } {
            w.inner.close()?;
        }
        Ok(BINLOG_OK)
    })
}

/// Closes the writer if needed and frees the handle; NULL is accepted.
#[no_mangle]
pub extern "C" fn binlog_writer_free(w: *mut binlog_writer) {
    call_void(|| {
        if !w.is_null() {
            drop(unsafe { Box::from_raw(w) });
        }
    })
}

fn closed() -> Error {
    Error::new(ErrorKind::Closed, "writer is closed")
}
