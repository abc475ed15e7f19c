//! `binlog_reader_next_mapped`: many records per call, their payloads left
//! where the reader's mapping holds them, for callers that read payloads
//! in place across an expensive boundary (JNI: a direct buffer over the
//! mapping). The records are checked by the library as every read is; the
//! caller reads positions, never the format.

use super::boundary::{call, done_new, free, handle_mut, need_out, put, CallResult};
use super::reader::{binlog_reader, closed};
use super::reader_batch::{batch_args, batch_record, file_of, next_for, too_small, Source};
use super::result::binlog_result::{self, BINLOG_END, BINLOG_OK};
use super::types::{binlog_batch_record, binlog_mapped_record};
use crate::hold_back::OwnedRecord;
use crate::reader::Mapping;
use crate::record_reader::RecordReader;
use std::time::Duration;

/// As `binlog_reader_next_batch` (the same waiting, errors, held-back record
/// and `BINLOG_END`), but a payload the reader reads from its mapping of the
/// segment is not copied: its record has `mapped` 1 and the payload at
/// `*mapping + payload_off`, `[*mapping, *mapping + *mapping_len)` being that
/// mapping. Other payloads (a compressed segment's, a held-back record's, a
/// frame read with pread) are copied into `buf` (`mapped` 0), as are every
/// type name and metadata entry. One call's mapped payloads all lie in one
/// mapping: a record in another (the next segment, a grown file mapped
/// again) ends the call and comes first in the next. `*mapping` is NULL and
/// `*mapping_len` 0 when no payload is mapped. The mapping stays mapped until
/// the next `binlog_reader_next_mapped` call on this reader or its close or
/// free. Outputs are written only on success; one thread at a time, as the
/// reader.
#[no_mangle]
pub extern "C" fn binlog_reader_next_mapped(
    r: *mut binlog_reader,
    buf: *mut u8,
    buf_len: usize,
    records: *mut binlog_mapped_record,
    cap: usize,
    timeout_ms: u64,
    count: *mut usize,
    mapping: *mut *const u8,
    mapping_len: *mut usize,
) -> binlog_result {
    call(|| {
        let h = unsafe { handle_mut(r, "reader") }?;
        let nulls = count.is_null() || mapping.is_null() || mapping_len.is_null();
        let (buf, out, wait) =
            unsafe { batch_args(h, buf, buf_len, records, cap, timeout_ms, nulls) }?;
        let n = fill(h, buf, out, wait)?;
        let (base, len) = h.pinned.as_ref().map_or((std::ptr::null(), 0), |m| {
            (m.bytes().as_ptr(), m.bytes().len())
        });
        unsafe {
            put(count, n);
            put(mapping, base);
            put(mapping_len, len);
        }
        Ok(if n == 0 { BINLOG_END } else { BINLOG_OK })
    })
}

/// Reads records from `h`'s reader into `out` (payloads in the mapping it
/// pins in `h.pinned`, or copied into `buf`); a record that does not fit,
/// or lies in another mapping than the call's first mapped one, is held
/// back for the next call.
fn fill(
    h: &mut binlog_reader,
    buf: &mut [u8],
    out: &mut [binlog_mapped_record],
    wait: Option<Duration>,
) -> CallResult<usize> {
    let binlog_reader {
        inner,
        path,
        pinned,
        ..
    } = h;
    let reader = inner.as_mut().ok_or_else(|| closed(path))?;
    // The previous call's payloads are no longer promised: its mapping may go.
    let mut pin: Option<Mapping> = reader.mapping();
    let mut mapped_any = false;
    let (mut n, mut at) = (0, 0);
    while n < out.len() {
        let found = next_for(reader, wait, n);
        let rec = batch_record!(found, n);
        let in_pin = pin.as_ref().is_some_and(|m| m.holds(rec.payload));
        // Read from elsewhere than this call's mapping (an empty payload is
        // nowhere: it is "copied", 0 bytes).
        let elsewhere = !in_pin && !rec.payload.is_empty();
        let copy_payload = !in_pin;
        let src = Source { rec, copy_payload };
        let place = src.at(at);
        // Another mapping than this call's (the reader moved on), or no room.
        if (elsewhere && mapped_any) || place.end > buf.len() {
            let what = (rec.seq, rec.offset, src.at(0).end);
            let (addr, len) = (rec.payload.as_ptr() as usize, rec.payload.len());
            let held = OwnedRecord::from(rec);
            drop(found);
            // Held where a mapping has it (not as a copy, which the next
            // call would have to copy into its buffer).
            let has = |m: &Mapping| m.offset_of(addr, len).is_some();
            match pin
                .clone()
                .filter(has)
                .or_else(|| reader.mapping().filter(has))
            {
                Some(m) => reader.hold_back(held.with_payload_in(&m, addr)),
                None => reader.hold_back(held),
            }
            if n == 0 {
                return Err(too_small(file_of(reader, path), what, buf.len()));
            }
            break;
        }
        out[n] = mapped_record(
            src.place(buf, &place),
            rec.payload,
            pin.as_ref().filter(|_| in_pin),
        );
        (at, n) = (place.end, n + 1);
        mapped_any |= in_pin;
        drop(found);
        if elsewhere {
            // The reader may have moved to another mapping: the next
            // record may be in it.
            pin = reader.mapping();
        }
    }
    *pinned = pin.filter(|_| mapped_any);
    Ok(n)
}

/// The description of a record `place` copied (all but its payload if
/// `mapped` holds it) as `b`; `payload` is its payload.
#[inline]
fn mapped_record(
    b: binlog_batch_record,
    payload: &[u8],
    mapped: Option<&Mapping>,
) -> binlog_mapped_record {
    let payload_off = match mapped {
        Some(m) => (payload.as_ptr() as usize - m.bytes().as_ptr() as usize) as u64,
        None => b.payload_off as u64,
    };
    binlog_mapped_record {
        seq: b.seq,
        timestamp_ns: b.timestamp_ns,
        offset: b.offset,
        payload_off,
        payload_len: b.payload_len,
        mapped: mapped.is_some() as u32,
        type_off: b.type_off,
        type_len: b.type_len,
        meta_off: b.meta_off,
        meta_count: b.meta_count,
    }
}

/// A segment's mapping kept mapped for as long as the caller holds this
/// handle (`binlog_reader_keep_mapping`), whatever its reader does
/// meanwhile, `binlog_reader_free` included: for a caller whose views of
/// the payloads may outlive the next call (a garbage collector frees
/// them). Immutable: any thread may free it, once.
pub struct binlog_mapping {
    _mapping: Mapping,
}

/// Keeps the mapping the last `binlog_reader_next_mapped` call on `r`
/// pointed into (its `*mapping`) mapped until `binlog_mapping_free(*out)`.
/// Fails with `BINLOG_ERR_INVALID_ARGUMENT` if that call mapped no payload
/// (or none was made since the reader's close).
#[no_mangle]
pub extern "C" fn binlog_reader_keep_mapping(
    r: *mut binlog_reader,
    out: *mut *mut binlog_mapping,
) -> binlog_result {
    call(|| {
        let h = unsafe { handle_mut(r, "reader") }?;
        need_out(out)?;
        let kept = h.args(|| {
            h.pinned.clone().ok_or_else(|| {
                crate::Error::invalid("keep mapping: the last batch read mapped no payload").into()
            })
        })?;
        unsafe { done_new(out, binlog_mapping { _mapping: kept }) }
    })
}

/// Unmaps what `m` kept mapped (unless a reader or another handle still
/// holds it); NULL is accepted.
#[no_mangle]
pub extern "C" fn binlog_mapping_free(m: *mut binlog_mapping) {
    unsafe { free(m) }
}
