//! `binlog_summary_*`: the C face of `crate::Summary`, what the records of
//! a segment, a log or a reader hold, in all and per type.

use super::merged_reader::binlog_merged_reader;
use super::prelude::*;
use super::reader::binlog_reader;
use crate::error::Result;
use crate::verify::summary::{summarize, Summary};

/// A summary (`binlog_summary_open`, `binlog_summary_of_reader`): records,
/// bytes, first and last sequence numbers and times, in all and per type.
/// It does not change once made: any number of threads may read it at
/// once. Freed with `binlog_summary_free`, which invalidates the type
/// names it gave out.
pub struct binlog_summary {
    summary: Summary,
    /// The types' names with a NUL after them (a name may hold NULs of
    /// its own: `name_len` counts its bytes), by their place in
    /// `summary.types`.
    names: Vec<Box<[u8]>>,
}

/// What a summary holds in all (`binlog_summary_totals`). With no record,
/// `records` is 0 and so is every other field. "First" and "last" are in
/// read order; `min_ns` and `max_ns` are the earliest and latest
/// timestamps. Bytes are the records' bytes in the file (framing, type,
/// metadata and payload); `payload_bytes` their payloads'.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct binlog_totals {
    pub records: u64,
    pub bytes: u64,
    pub payload_bytes: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    pub first_ns: i64,
    pub last_ns: i64,
    pub min_ns: i64,
    pub max_ns: i64,
}

/// What the records of one type hold (`binlog_summary_type`). `name` is
/// NUL-terminated UTF-8 (`name_len` bytes before the NUL), borrowed from
/// the summary until `binlog_summary_free`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct binlog_type_summary {
    pub name: *const c_char,
    pub name_len: usize,
    pub records: u64,
    pub bytes: u64,
    pub payload_bytes: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    pub first_ns: i64,
    pub last_ns: i64,
}

/// A new handle of `s` (released by `binlog_summary_free`).
fn made(s: Result<Summary>) -> super::boundary::CallResult<*mut binlog_summary> {
    let summary = s?;
    let names = summary
        .types
        .iter()
        .map(|t| [t.name.as_bytes(), b"\0"].concat().into_boxed_slice())
        .collect();
    Ok(new_handle(binlog_summary { summary, names }))
}

/// Summarizes every record at `path`: a segment file (plain or compressed)
/// or a directory that holds one log (`BINLOG_ERR_INVALID_ARGUMENT` for one
/// with several: open a reader of one and call `binlog_summary_of_reader`;
/// `BINLOG_ERR_NOT_FOUND` for one with none). A log with no segment (none
/// written yet, or every one shipped or deleted) has every count 0. Memory
/// grows with the number of types, not of records. Damage fails the call
/// (`BINLOG_ERR_CORRUPT`, naming the file and offset). `*out` is written
/// only on success; free it with `binlog_summary_free`. Thread-safe.
#[no_mangle]
pub extern "C" fn binlog_summary_open(
    path: *const c_char,
    out: *mut *mut binlog_summary,
) -> binlog_result {
    let args = || unsafe { c_path(path, "path") };
    make(out, args, |p| made(summarize(p)))
}

/// Reads `r` from where it stands to its end (`binlog_reader_next` until
/// `BINLOG_END`, with its type filter, seeks and `skip_damaged` setting)
/// and summarizes what it read: a segment's, a log's, a tiered or a
/// consumer's reader. A record a batch read held back is counted first. An
/// error of the read (damage) fails the call, and the records read before
/// it are consumed. `*out` is written only on success. One thread at a
/// time per reader, as for every reader call.
#[no_mangle]
pub extern "C" fn binlog_summary_of_reader(
    r: *mut binlog_reader,
    out: *mut *mut binlog_summary,
) -> binlog_result {
    get_mut(r, "reader", out, |h| {
        made(h.open().and_then(|hb| Summary::of_reader(hb)))
    })
}

/// `binlog_summary_of_reader` for a merged reader, in its order.
#[no_mangle]
pub extern "C" fn binlog_summary_of_merged(
    r: *mut binlog_merged_reader,
    out: *mut *mut binlog_summary,
) -> binlog_result {
    get_mut(r, "reader", out, |h| made(Summary::of_merged(&mut h.inner)))
}

/// Fills `*out` with the totals of summary `s`.
#[no_mangle]
pub extern "C" fn binlog_summary_totals(
    s: *const binlog_summary,
    out: *mut binlog_totals,
) -> binlog_result {
    get(s, "summary", out, |h| {
        let s = &h.summary;
        Ok(binlog_totals {
            records: s.records,
            bytes: s.bytes,
            payload_bytes: s.payload_bytes,
            first_seq: s.first_seq.unwrap_or(0),
            last_seq: s.last_seq.unwrap_or(0),
            first_ns: s.first_ns.unwrap_or(0),
            last_ns: s.last_ns.unwrap_or(0),
            min_ns: s.min_ns.unwrap_or(0),
            max_ns: s.max_ns.unwrap_or(0),
        })
    })
}

/// Writes to `*out` how many types summary `s` holds.
#[no_mangle]
pub extern "C" fn binlog_summary_type_count(
    s: *const binlog_summary,
    out: *mut usize,
) -> binlog_result {
    get(s, "summary", out, |h| Ok(h.summary.types.len()))
}

/// Fills `*out` with type `index` of summary `s` (0 up to
/// `binlog_summary_type_count`, in the order of each type's first record);
/// `BINLOG_ERR_INVALID_ARGUMENT` past them.
#[no_mangle]
pub extern "C" fn binlog_summary_type(
    s: *const binlog_summary,
    index: usize,
    out: *mut binlog_type_summary,
) -> binlog_result {
    get(s, "summary", out, |h| {
        let (Some(t), Some(name)) = (h.summary.types.get(index), h.names.get(index)) else {
            let n = h.summary.types.len();
            return invalid(format!("type {index} of a summary of {n} types"));
        };
        Ok(binlog_type_summary {
            name: name.as_ptr().cast::<c_char>(),
            name_len: t.name.len(),
            records: t.records,
            bytes: t.bytes,
            payload_bytes: t.payload_bytes,
            first_seq: t.first_seq,
            last_seq: t.last_seq,
            first_ns: t.first_ns,
            last_ns: t.last_ns,
        })
    })
}

/// Frees summary `s` and the names it gave out; NULL is accepted.
#[no_mangle]
pub extern "C" fn binlog_summary_free(s: *mut binlog_summary) {
    unsafe { free(s) }
}
