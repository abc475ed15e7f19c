//! `binlog_reader_next_mapped`: many records per call, their payloads left
//! where the reader's mapping holds them, for callers that read payloads
//! in place across an expensive boundary (JNI: a direct buffer over the
//! mapping). The records are checked by the library as every read is; the
//! caller reads positions, never the format.

use super::boundary::{call, done_new, free, handle_mut, need_out, put};
use super::reader::binlog_reader;
use super::reader_batch::batch_args;
use super::result::binlog_result::{self, BINLOG_END, BINLOG_OK};
use super::types::binlog_mapped_record;
use crate::reader::Mapping;

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
        let n = super::batch_fill::fill(h, buf, out, wait)?;
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
