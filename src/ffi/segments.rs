//! `binlog_segment_list`: the C face of `crate::log::list_segments`, a
//! snapshot of a log's files with their state, for uploaders and tools.

use super::prelude::*;
use super::segment_events::c_string;
use crate::log::{list_segments, ListedSegment, SegmentState};

/// Where a log's file is in its lifecycle (`binlog_listed_segment.state`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum binlog_segment_state {
    /// No seal: being written, or its writer stopped between records.
    BINLOG_SEGMENT_STATE_ACTIVE = 0,
    /// Records closed by a SEAL_BEGIN frame, the rest of the seal not
    /// written (yet): no record is added any more.
    BINLOG_SEGMENT_STATE_ENDING = 1,
    /// Sealed: it never changes again (safe to upload or archive).
    BINLOG_SEGMENT_STATE_SEALED = 2,
    /// Its header cannot be read; first and last sequence numbers unknown.
    BINLOG_SEGMENT_STATE_UNREADABLE = 3,
}

/// One file of a log (`binlog_segment_list_get`). `path` is NUL-terminated
/// and stays valid until the list is freed. `has_first_seq`,
/// `has_last_seq` and `salvaged` say whether the field after each holds a
/// value: the last sequence number is known once the records are closed
/// (SEALED or ENDING) and there is one; `salvaged` is true for a file
/// `binlog repair --salvage` made of the records at `salvaged_offset` of
/// segment `segment_no`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct binlog_listed_segment {
    pub path: *const c_char,
    pub segment_no: u64,
    pub state: binlog_segment_state,
    pub salvaged: bool,
    pub salvaged_offset: u64,
    pub has_first_seq: bool,
    pub first_seq: u64,
    pub has_last_seq: bool,
    pub last_seq: u64,
    /// The file's size in bytes when listed.
    pub bytes: u64,
}

/// A snapshot of a log's files (`binlog_log_list_segments`). Immutable:
/// any number of threads may read one list at once; it is freed with
/// `binlog_segment_list_free`, which invalidates every `path` it gave out.
pub struct binlog_segment_list {
    files: Vec<ListedSegment>,
    /// Each file's path, NUL-terminated, for `binlog_listed_segment.path`.
    paths: Vec<CString>,
}

/// Lists the files of log `name` in `dir` in the order a log reader reads
/// them (segments by number, each followed by its salvaged files), with
/// state, segment number, first and last sequence number when known, and
/// size (a segment without a seal is read to its end to tell ENDING from
/// ACTIVE): a snapshot of a log that may roll meanwhile. `*out` is written
/// only on success; free it with `binlog_segment_list_free`.
#[no_mangle]
pub extern "C" fn binlog_log_list_segments(
    dir: *const c_char,
    name: *const c_char,
    out: *mut *mut binlog_segment_list,
) -> binlog_result {
    let args = || unsafe { Ok((c_path(dir, "dir")?, c_str(name, "name")?)) };
    make(out, args, |(d, n)| {
        let files = list_segments(d, n)?;
        let paths = files.iter().map(|f| c_string(&f.path)).collect();
        Ok(new_handle(binlog_segment_list { files, paths }))
    })
}

/// How many files the list holds.
#[no_mangle]
pub extern "C" fn binlog_segment_list_count(
    list: *const binlog_segment_list,
    out: *mut usize,
) -> binlog_result {
    get(list, "list", out, |l| Ok(l.files.len()))
}

/// Fills `*out` with file `index` of the list (0 is the oldest);
/// `BINLOG_ERR_INVALID_ARGUMENT` if `index` is not below the count.
#[no_mangle]
pub extern "C" fn binlog_segment_list_get(
    list: *const binlog_segment_list,
    index: usize,
    out: *mut binlog_listed_segment,
) -> binlog_result {
    get(list, "list", out, |l| {
        let (f, path) = file(l, index)?;
        Ok(binlog_listed_segment {
            path: path.as_ptr(),
            segment_no: f.segment_no,
            state: state_code(f.state),
            salvaged: f.salvaged_offset.is_some(),
            salvaged_offset: f.salvaged_offset.unwrap_or(0),
            has_first_seq: f.first_seq.is_some(),
            first_seq: f.first_seq.unwrap_or(0),
            has_last_seq: f.last_seq.is_some(),
            last_seq: f.last_seq.unwrap_or(0),
            bytes: f.bytes,
        })
    })
}

/// Whether file `index` of the list is a compressed segment
/// (`<segment>.binlog.zst`): `*compressed` true and `*original_bytes` the
/// size of the segment it holds (its `bytes` being the compressed size) if
/// its seek table could be read; false and 0 otherwise. Apart from
/// `binlog_listed_segment`, whose layout stays as built against.
/// `BINLOG_ERR_INVALID_ARGUMENT` if `index` is not below the count.
#[no_mangle]
pub extern "C" fn binlog_segment_list_get_compression(
    list: *const binlog_segment_list,
    index: usize,
    compressed: *mut bool,
    original_bytes: *mut u64,
) -> binlog_result {
    call(|| {
        let l = unsafe { handle(list, "list") }?;
        need_out(compressed)?;
        need_out(original_bytes)?;
        let (f, _) = file(l, index)?;
        unsafe {
            put(compressed, f.original_bytes.is_some());
            put(original_bytes, f.original_bytes.unwrap_or(0));
        }
        Ok(BINLOG_OK)
    })
}

/// File `index` of the list and its path.
fn file(l: &binlog_segment_list, index: usize) -> Result<(&ListedSegment, &CString), Error> {
    let (found, n) = (l.files.get(index).zip(l.paths.get(index)), l.files.len());
    found.ok_or_else(|| Error::invalid(format!("index {index}: the list holds {n} files")))
}

/// Frees the list and every path it gave out; NULL is accepted.
#[no_mangle]
pub extern "C" fn binlog_segment_list_free(list: *mut binlog_segment_list) {
    unsafe { free(list) }
}

fn state_code(s: SegmentState) -> binlog_segment_state {
    // SAFETY: the numbers of binlog_segment_state (tests below).
    unsafe { c_enum(s as u32, 0..=3) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::boundary::enum_names;

    #[test]
    fn states_are_the_c_values_of_their_names() {
        use SegmentState::*;
        let all = [Active, Ending, Sealed, Unreadable];
        enum_names::check(all, |s| state_code(*s), "BINLOG_SEGMENT_STATE_");
    }
}
