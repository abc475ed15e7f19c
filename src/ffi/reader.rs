//! `binlog_reader`: the C face of `crate::Reader` and `crate::LogReader`,
//! through the calls both take (`crate::RecordReader`) and a
//! `crate::HoldBack` for the record a batch read holds back.

use super::archive_tier::open_tiered;
use super::prelude::*;
use super::types::*;
use crate::error::Result;
use crate::format::header::SegmentHeader;
use crate::log::{hold_back::HoldBack, record_reader::RecordReader, LogReader};
use crate::reader::{Reader, Record, Tail};
use crate::Damage;
use std::ffi::c_int;

/// A reader of one segment. Not thread-safe: use it from one thread at a
/// time. Record views it returns stay valid until the next call on it;
/// `binlog_reader_free` invalidates the handle.
#[derive(Default)]
pub struct binlog_reader {
    /// The segment's or the log's reader, which holds back a record that
    /// did not fit a batch buffer (see `binlog_reader_next_batch`).
    pub(super) inner: Option<HoldBack>,
    /// The metadata array of the last record view.
    meta: Vec<binlog_meta>,
    /// The segment or log directory it reads, for error messages.
    pub(super) path: PathBuf,
    /// The parameter array of the last `binlog_reader_header`.
    params: Vec<binlog_meta>,
    /// A copy of the header last returned by `binlog_reader_header`, which
    /// its view points into: a log reader reopens its segment on a seek
    /// (and may on `next`), which frees the reader's own header.
    header: Option<Box<SegmentHeader>>,
    /// The descriptor `binlog_reader_poll_fd` handed out, once asked for.
    pub(super) change_fd: Option<crate::ChangeFd>,
    /// The damaged regions the last `binlog_reader_damages` or
    /// `binlog_reader_damages2` copied out, whose paths the views of the
    /// latter point into.
    pub(super) damages: Vec<(PathBuf, crate::Damage)>,
    /// The mapping the last `binlog_reader_next_mapped` pointed into, kept
    /// mapped until the next such call or the reader's close.
    pub(super) pinned: Option<crate::reader::Mapping>,
    /// A consumer's file, where `binlog_consumer_commit` commits to.
    pub(super) consumer: Option<Box<crate::log::consumer::store::Store>>,
    /// The token the last `binlog_reader_position` pointed at.
    pub(super) token: std::ffi::CString,
    /// The schema the last `binlog_reader_type_schema` pointed into.
    pub(super) schema: Option<Box<crate::TypeSchema>>,
}

impl binlog_reader {
    /// Runs a call's argument checks, naming the reader's segment (or log
    /// directory) in their errors.
    #[inline(always)]
    pub(super) fn args<T>(&self, f: impl FnOnce() -> CallResult<T>) -> CallResult<T> {
        checked(&self.path, f)
    }

    /// The reader, unless it was closed.
    pub(super) fn open(&mut self) -> Result<&mut HoldBack> {
        let binlog_reader { inner, path, .. } = self;
        inner.as_mut().ok_or_else(|| closed(path))
    }
}

/// The body of a call that writes what `f` reads of reader `r` to `out`
/// (required: its error names what the reader reads, as `args` does).
pub(super) fn read_out<T>(
    r: *mut binlog_reader,
    out: *mut T,
    f: impl FnOnce(&mut binlog_reader) -> CallResult<T>,
) -> binlog_result {
    call(|| {
        let h = unsafe { handle_mut(r, "reader") }?;
        h.args(|| need_out(out))?;
        unsafe { done(out, f(h)?) }
    })
}

/// The error of a call on a closed reader, naming what it read.
pub(super) fn closed(path: &Path) -> Error {
    Error::file(ErrorKind::Closed, path, "reader is closed")
}

/// A new handle for a reader of `path` (a segment or a log directory).
pub(super) fn boxed(inner: impl RecordReader + 'static, path: &Path) -> *mut binlog_reader {
    new_handle(binlog_reader {
        inner: Some(HoldBack::new(inner)),
        path: path.to_path_buf(),
        ..binlog_reader::default()
    })
}

/// The body of a call that acts on the open reader `r`.
fn with_open(r: *mut binlog_reader, f: impl FnOnce(&mut HoldBack) -> Result<()>) -> binlog_result {
    update(r, "reader", |h| Ok(f(h.open()?)?))
}

/// A C array's pointer: NULL when it is empty.
fn c_array<T>(items: &[T]) -> *const T {
    items.first().map_or(std::ptr::null(), |x| x as *const T)
}

/// Fills the C view of `rec`, keeping its metadata array in `meta`.
/// Inlined into each read call: as a call of its own it adds to every
/// record a call and the copy of its result.
#[inline(always)]
pub(super) fn view_record(rec: &Record<'_>, meta: &mut Vec<binlog_meta>) -> binlog_record {
    meta.clear();
    // Most records have none: skip the iterator's setup.
    if rec.meta_count() > 0 {
        meta.extend(rec.metadata().map(|(k, v)| c_meta(k, v)));
    }
    binlog_record {
        seq: rec.seq,
        timestamp_ns: timestamp_apart(rec),
        type_name: c_bytes(rec.type_name.as_bytes()),
        type_len: rec.type_name.len(),
        payload: c_bytes(rec.payload),
        payload_len: rec.payload.len(),
        meta: c_array(meta),
        meta_count: meta.len(),
        offset: rec.offset,
    }
}

/// `r`'s timestamp, read apart from its `seq`: a 16-byte load of the two
/// would wait for the reader's 8-byte stores of them (no store-to-load
/// forwarding). One volatile load (`black_box` stores and loads again).
#[inline(always)]
pub(super) fn timestamp_apart(r: &Record<'_>) -> i64 {
    // SAFETY: a reference is valid to read.
    unsafe { std::ptr::read_volatile(&r.timestamp_ns) }
}

/// The C view of one key/value pair.
fn c_meta(k: &str, v: &str) -> binlog_meta {
    binlog_meta {
        key: c_bytes(k.as_bytes()),
        key_len: k.len(),
        value: c_bytes(v.as_bytes()),
        value_len: v.len(),
    }
}

/// Opens a segment for reading (read permission suffices; no lock is taken).
#[no_mangle]
pub extern "C" fn binlog_reader_open(
    path: *const c_char,
    out: *mut *mut binlog_reader,
) -> binlog_result {
    let args = || unsafe { c_path(path, "path") };
    make(out, args, |p| Ok(boxed(Reader::open(p)?, p)))
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
    next_record(r, out, None)
}

/// Fills `*out` with the next record, waiting up to `wait` for one.
fn next_record(
    r: *mut binlog_reader,
    out: *mut binlog_record,
    wait: Option<Duration>,
) -> binlog_result {
    call(|| {
        let h = unsafe { handle_mut(r, "reader") }?;
        h.args(|| need_out(out))?;
        let binlog_reader {
            inner, meta, path, ..
        } = h;
        let reader = inner.as_mut().ok_or_else(|| closed(path))?;
        let found = match wait {
            None => reader.next(),
            Some(timeout) => reader.next_wait(timeout),
        };
        // The record is read where the call left it, not moved out of the
        // `Result` (see `batch::fill`).
        let rec = match &found {
            Ok(Some(rec)) => rec,
            Ok(None) => return Ok(BINLOG_END),
            Err(_) => return Err(found.expect_err("an error").into()),
        };
        unsafe { done(out, view_record(rec, meta)) }
    })
}

/// Like `binlog_reader_next`, but waits up to `timeout_ms` for a record
/// (following a log's writer into new segments; at the end of a sealed
/// standalone segment, for records a writer that reopens it appends);
/// `BINLOG_END` on timeout, never a partial record. While the writer is
/// active it polls, each pause cut short by inotify (tens of microseconds'
/// latency); after 25 ms without a change it sleeps until inotify reports
/// one (on a network filesystem, which inotify misses, it polls).
#[no_mangle]
pub extern "C" fn binlog_reader_next_wait(
    r: *mut binlog_reader,
    timeout_ms: u64,
    out: *mut binlog_record,
) -> binlog_result {
    next_record(r, out, Some(Duration::from_millis(timeout_ms)))
}

/// Opens a segment whose header may be damaged: the reader finds the first
/// valid record after it, reports the header as a damaged region (see
/// `binlog_reader_damages`; its fields become placeholders) and skips later
/// damage as with `binlog_reader_skip_damaged`. A sound segment opens as
/// with `binlog_reader_open`; a file without the magic number is still
/// `BINLOG_ERR_NOT_A_BINLOG`.
#[no_mangle]
pub extern "C" fn binlog_reader_open_salvage(
    path: *const c_char,
    out: *mut *mut binlog_reader,
) -> binlog_result {
    let args = || unsafe { c_path(path, "path") };
    make(out, args, |p| Ok(boxed(Reader::open_salvage(p)?, p)))
}

/// Opens a reader of the rolling log `name` in `dir`: every segment in write
/// order as one stream, new ones picked up as the writer rolls, those
/// removed by retention skipped (see `binlog_reader_gap_count`). A file
/// named as its segment whose header names another log, or another segment
/// number than its name, stops it there with `BINLOG_ERR_WRONG_LOG`.
/// `BINLOG_ERR_NOT_FOUND`, naming `dir` and `name`, if `dir` holds no file
/// of the log (segment, compressed or salvaged file, or manifest): a
/// misspelled name is an error, not an empty log. A log
/// exists from its writer's first open on, also once retention removed
/// every segment; a follower started before the writer retries the open on
/// `BINLOG_ERR_NOT_FOUND`.
#[no_mangle]
pub extern "C" fn binlog_reader_open_log(
    dir: *const c_char,
    name: *const c_char,
    out: *mut *mut binlog_reader,
) -> binlog_result {
    let args = || unsafe { Ok((c_path(dir, "dir")?, c_str(name, "name")?)) };
    make(out, args, |(d, n)| Ok(boxed(LogReader::open(d, n)?, d)))
}

/// Opens a reader of the files in `dir` whose names match `pattern` (`*` and
/// `?` wildcards), read in name order as one stream.
#[no_mangle]
pub extern "C" fn binlog_reader_open_glob(
    dir: *const c_char,
    pattern: *const c_char,
    out: *mut *mut binlog_reader,
) -> binlog_result {
    let args = || unsafe { Ok((c_path(dir, "dir")?, c_str(pattern, "pattern")?)) };
    make(out, args, |(d, p)| {
        Ok(boxed(LogReader::open_glob(d, p)?, d))
    })
}

/// Fills `*out` with the header of the segment being read: for a log reader,
/// that of the last record returned (a record `binlog_reader_next_batch`
/// holds back counts while held), or, after a seek and until a record is
/// returned, the segment the seek landed in. `BINLOG_ERR_NOT_FOUND` before
/// either, and after a seek that landed in no segment. Reading to the end of
/// a segment does not move it to the next: at `BINLOG_END`,
/// `binlog_reader_tail` describes this same segment. The strings and the
/// parameter array stay valid until the reader moves to another segment, is
/// closed or freed, or this is called again.
#[no_mangle]
pub extern "C" fn binlog_reader_header(
    r: *mut binlog_reader,
    out: *mut binlog_header,
) -> binlog_result {
    read_out(r, out, |h| {
        // A log's: the segment of the last record, not one opened since.
        let what = "no segment to describe: a log reader has a header once binlog_reader_next has returned a record, or a seek has landed in a segment";
        let hd = h.open()?.segment_header().cloned();
        let hd = hd.ok_or_else(|| Error::file(ErrorKind::NotFound, &h.path, what))?;
        let hd = &**h.header.insert(Box::new(hd));
        h.params.clear();
        h.params.extend(hd.params.iter().map(|(k, v)| c_meta(k, v)));
        Ok(binlog_header {
            major: hd.major,
            minor: hd.minor,
            created_ns: hd.created_ns,
            segment_no: hd.segment_no,
            first_seq: hd.first_seq,
            log_name: c_bytes(hd.log_name.as_bytes()),
            log_name_len: hd.log_name.len(),
            content_type: c_bytes(hd.content_type.as_bytes()),
            content_type_len: hd.content_type.len(),
            writer: c_bytes(hd.writer.as_bytes()),
            writer_len: hd.writer.len(),
            params: c_array(&h.params),
            param_count: h.params.len(),
        })
    })
}

/// How many gaps a log reader met (see `binlog_reader_gaps`); 0 for a
/// segment.
#[no_mangle]
pub extern "C" fn binlog_reader_gap_count(r: *mut binlog_reader, out: *mut u64) -> binlog_result {
    read_out(r, out, |h| Ok(h.open()?.gaps().len() as u64))
}

/// Copies up to `cap` of the gaps a log reader met so far, oldest first, into
/// `out` (NULL when `cap` is 0) and writes their total number to `*count`
/// (0 for a segment reader): what it could not return, where and why, alike
/// for a log read from its directory, compressed segments or a bucket. Each
/// `path` stays valid until the next call on the reader.
/// `BINLOG_ERR_NULL_POINTER` if `r` or `count` is NULL (or `out` with a
/// `cap` above 0), `BINLOG_ERR_CLOSED` if it is closed.
#[no_mangle]
pub extern "C" fn binlog_reader_gaps(
    r: *mut binlog_reader,
    out: *mut binlog_gap,
    cap: usize,
    count: *mut usize,
) -> binlog_result {
    update(r, "reader", |h| {
        h.args(|| out_array(out, cap, count))?;
        unsafe { copy_out(h.open()?.gaps(), c_gap, out, cap, count) };
        Ok(())
    })
}

/// Checks the arguments of a call that copies up to `cap` items to `out`
/// and their number to `count`.
pub(super) fn out_array<T>(out: *mut T, cap: usize, count: *mut usize) -> CallResult<()> {
    if count.is_null() {
        return Err(null("count"));
    }
    if out.is_null() && cap > 0 {
        return Err(null("out"));
    }
    Ok(())
}

/// Writes the C views of the first `cap` of `items` to `out` and their
/// total number to `*count`.
///
/// # Safety
/// `out` has `cap` writable slots (checked by `out_array`), `count` is
/// writable.
pub(super) unsafe fn copy_out<U, T>(
    items: &[U],
    view: impl Fn(&U) -> T,
    out: *mut T,
    cap: usize,
    count: *mut usize,
) {
    for (i, item) in items.iter().take(cap).enumerate() {
        unsafe { out.add(i).write(view(item)) };
    }
    unsafe { put(count, items.len()) };
}

/// The C view of gap `g` (its path borrowed from it).
pub(super) fn c_gap(g: &crate::Gap) -> binlog_gap {
    let path = g.path.as_os_str().as_encoded_bytes();
    binlog_gap {
        reason: gap_reason(g.reason),
        path: c_bytes(path),
        path_len: path.len(),
        has_offset: g.offset.is_some(),
        offset: g.offset.unwrap_or(0),
        has_from_seq: g.from_seq.is_some(),
        from_seq: g.from_seq.unwrap_or(0),
        has_to_seq: g.to_seq.is_some(),
        to_seq: g.to_seq.unwrap_or(0),
    }
}

fn gap_reason(r: crate::GapReason) -> binlog_gap_reason {
    // SAFETY: the numbers of binlog_gap_reason, from 1 in the order of
    // `GapReason` (tests below).
    unsafe { c_enum(r as u32 + 1, 1..=4) }
}

/// Positions the reader at the first record with a sequence number of at
/// least `seq` (at the end if none), by the seal's sparse index. Records a
/// live segment or log gets later below `seq` are skipped; `UINT64_MAX`
/// means the end as it is now, where a follow from the end starts (the
/// library's `LogReader::seek_end`): the records written later are read,
/// and a log with no readable record yet is read from its first. A log reader's
/// `binlog_reader_header` then describes the segment it landed in
/// (`BINLOG_ERR_NOT_FOUND` if none).
#[no_mangle]
pub extern "C" fn binlog_reader_seek_seq(r: *mut binlog_reader, seq: u64) -> binlog_result {
    with_open(r, |r| r.seek_seq(seq))
}

/// Positions the reader at the first record, in write order, with a
/// timestamp of at least `ts_ns` (at the end if none). Records a live
/// segment or log gets later with earlier timestamps are skipped;
/// `INT64_MAX` means the end. `binlog_reader_header` then as after
/// `binlog_reader_seek_seq`.
#[no_mangle]
pub extern "C" fn binlog_reader_seek_time(r: *mut binlog_reader, ts_ns: i64) -> binlog_result {
    with_open(r, |r| r.seek_time(ts_ns))
}

/// Restricts `binlog_reader_next` to records whose type is one of
/// `types[0..count]` (UTF-8 byte strings); `count == 0` reads every type
/// again. A sealed segment is read through its per-type index (unless the
/// types hold over 8 M of its records: then it scans). A record
/// `binlog_reader_next_batch` held back that the filter excludes is dropped
/// (`binlog_reader_header` then describes the last returned record's
/// segment again).
#[no_mangle]
pub extern "C" fn binlog_reader_filter_types(
    r: *mut binlog_reader,
    types: *const binlog_iovec,
    count: usize,
) -> binlog_result {
    update(r, "reader", |h| {
        let names = h.args(|| {
            unsafe { array(types, count, "types") }?
                .iter()
                .map(|t| unsafe { utf8(t.base, t.len, "type name") })
                .collect::<CallResult<Vec<&str>>>()
        })?;
        h.open()?.filter_types(&names);
        Ok(())
    })
}

/// How the segment ended, once `binlog_reader_next` returned `BINLOG_END`.
/// For a log reader, the segment `binlog_reader_header` describes, as it
/// ended when the reader left it (e.g. `BINLOG_TAIL_SEALED`, not the next
/// segment's `BINLOG_TAIL_UNSEALED`); without a header
/// (`BINLOG_ERR_NOT_FOUND`), the segment it stands in (`BINLOG_TAIL_READING`
/// if none). `BINLOG_TAIL_READING` while a record `binlog_reader_next_batch`
/// held back is still to be returned.
#[no_mangle]
pub extern "C" fn binlog_reader_tail(
    r: *mut binlog_reader,
    out: *mut binlog_tail,
) -> binlog_result {
    read_out(r, out, |h| {
        use binlog_tail_kind::*;
        let (kind, offset, len) = match h.open()?.segment_tail() {
            Tail::Reading => (BINLOG_TAIL_READING, 0, 0),
            Tail::Sealed => (BINLOG_TAIL_SEALED, 0, 0),
            Tail::Unsealed => (BINLOG_TAIL_UNSEALED, 0, 0),
            Tail::SealDamaged { offset } => (BINLOG_TAIL_SEAL_DAMAGED, offset, 0),
            Tail::Torn { offset, len } => (BINLOG_TAIL_TORN, offset, len),
        };
        Ok(binlog_tail { kind, offset, len })
    })
}

/// Releases the reader's file and mapping (and the descriptor of
/// `binlog_reader_poll_fd`); later calls return `BINLOG_ERR_CLOSED`. Closing
/// twice is OK; NULL is accepted; the handle stays until `binlog_reader_free`.
#[no_mangle]
pub extern "C" fn binlog_reader_close(r: *mut binlog_reader) -> binlog_result {
    call(|| {
        if let Some(h) = unsafe { r.as_mut() } {
            // Kept: the path, for the errors of later calls, and the
            // damaged regions last copied out.
            let binlog_reader { path, damages, .. } = std::mem::take(h);
            *h = binlog_reader {
                path,
                damages,
                ..binlog_reader::default()
            };
        }
        Ok(BINLOG_OK)
    })
}

/// Frees the handle (closing it if needed); NULL is accepted.
#[no_mangle]
pub extern "C" fn binlog_reader_free(r: *mut binlog_reader) {
    unsafe { free(r) }
}

/// With `skip` true, a damaged region in the middle of a segment (bytes that
/// fail their checks while valid records follow) is skipped: the reader
/// resumes at the next valid record and records the gap (see
/// `binlog_reader_damages`). By default it stops there with
/// `BINLOG_ERR_CORRUPT` naming the file and offset.
#[no_mangle]
pub extern "C" fn binlog_reader_skip_damaged(r: *mut binlog_reader, skip: bool) -> binlog_result {
    with_open(r, |r| {
        r.skip_damaged(skip);
        Ok(())
    })
}

/// How many threads a full scan of a compressed segment decompresses its
/// next frames on, ahead of the reader (at most 4; 0 or 1: the reader's
/// thread decompresses each frame as it reaches it); records, damage and
/// errors are the same either way. Default: the cores (at most 4) for a
/// remote object, 0 for a local file. The threads are the library's own,
/// end when the reader is freed or leaves the segment, and do not exist in
/// a child after fork() (its reader decompresses on its own thread).
/// `BINLOG_ERR_NULL_POINTER` if `r` is NULL, `BINLOG_ERR_CLOSED` if closed.
#[no_mangle]
pub extern "C" fn binlog_reader_decode_threads(
    r: *mut binlog_reader,
    threads: u32,
) -> binlog_result {
    with_open(r, |r| {
        r.decode_threads(threads as usize);
        Ok(())
    })
}

// -------- damages
// The damaged regions a reader skipped (`crate::RecordReader::damages`),
// as the C ABI hands them out: `binlog_damage` (offsets and sequence
// numbers) and `binlog_damage2` (the same with the file or object each
// is in).

/// Copies up to `cap` of the damaged regions skipped so far into `out` (NULL
/// when `cap` is 0) and writes their total number to `*count`. Without the
/// file or object each is in: see `binlog_reader_damages2`.
#[no_mangle]
pub extern "C" fn binlog_reader_damages(
    r: *mut binlog_reader,
    out: *mut binlog_damage,
    cap: usize,
    count: *mut usize,
) -> binlog_result {
    copy_damages(r, out, cap, count, |(_, d)| binlog_damage {
        offset: d.offset,
        resume_offset: d.resume_offset,
        from_seq: d.from_seq,
        to_seq: d.to_seq,
    })
}

/// As `binlog_reader_damages`, in the order met, each with the segment file
/// or `s3://` object URL it is in (`binlog_damage2`): a log reader's regions
/// may be in several segments, local or in a bucket. Each `path` stays valid
/// until the next call on the reader. `BINLOG_ERR_NULL_POINTER` if `r` or
/// `count` is NULL (or `out` with `cap` > 0), `BINLOG_ERR_CLOSED` if closed.
#[no_mangle]
pub extern "C" fn binlog_reader_damages2(
    r: *mut binlog_reader,
    out: *mut binlog_damage2,
    cap: usize,
    count: *mut usize,
) -> binlog_result {
    copy_damages(r, out, cap, count, c_damage2)
}

/// The body of both calls: the reader's damaged regions, kept in the
/// handle (a `binlog_damage2` borrows its path from there), copied to
/// `out` as `view` makes each.
fn copy_damages<T>(
    r: *mut binlog_reader,
    out: *mut T,
    cap: usize,
    count: *mut usize,
    view: impl Fn(&(PathBuf, Damage)) -> T,
) -> binlog_result {
    update(r, "reader", |h| {
        h.args(|| out_array(out, cap, count))?;
        h.damages = h.open()?.damages();
        unsafe { copy_out(&h.damages, view, out, cap, count) };
        Ok(())
    })
}

/// The C view of damaged region `d` of `path` (the path borrowed).
pub(super) fn c_damage2((path, d): &(PathBuf, Damage)) -> binlog_damage2 {
    let path = path.as_os_str().as_encoded_bytes();
    binlog_damage2 {
        offset: d.offset,
        resume_offset: d.resume_offset,
        from_seq: d.from_seq,
        to_seq: d.to_seq,
        path: c_bytes(path),
        path_len: path.len(),
    }
}

// -------- poll
// `binlog_reader_poll_fd` and `binlog_reader_poll_rearm`: a descriptor
// for an event loop's poll, select or epoll, readable when a follower may
// have new records (the core's `ChangeFd`).

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
    read_out(r, fd, |h| {
        if h.change_fd.is_none() {
            let made = h.open()?.change_fd()?;
            h.change_fd = Some(made);
        }
        Ok(h.change_fd.as_ref().map_or(-1, crate::ChangeFd::raw_fd))
    })
}

/// Takes the changes the descriptor of `binlog_reader_poll_fd` reported:
/// it is not readable again until the next change or timed re-check. Call
/// it before reading the new records (see `binlog_reader_poll_fd`).
/// `BINLOG_ERR_INVALID_ARGUMENT` if no descriptor was asked for.
#[no_mangle]
pub extern "C" fn binlog_reader_poll_rearm(r: *mut binlog_reader) -> binlog_result {
    update(r, "reader", |h| {
        h.open()?;
        let Some(c) = &h.change_fd else {
            let what = "no pollable descriptor to re-arm: call binlog_reader_poll_fd first";
            return h.args(|| invalid(what));
        };
        Ok(c.rearm()?)
    })
}

// -------- tiered
// The C ABI's tiered log reader: a log read from its directory and from
// the bucket its sealed segments were shipped to (`LogReader::open_tiered`).

/// Opens a reader of the rolling log `name` in `dir` and of its segments
/// shipped to `remote` (`s3://bucket/prefix`, as `binlog ship --to` put
/// them) as one stream, as `binlog_reader_open_log` reads a log: a segment
/// removed locally after its upload is read from the bucket (compressed ones
/// with ranged GETs), not reported as a gap; one missing from both is a gap
/// of reason `BINLOG_GAP_MISSING` naming the object's `s3://` URL; a damaged
/// object, or one shorter than its metadata says, is `BINLOG_ERR_CORRUPT`
/// naming its URL and offset (when skipping damage, its records before the
/// cut are read and `binlog_reader_damages2` names the URL). The endpoint,
/// region and credentials come from the environment (`AWS_ENDPOINT_URL`,
/// `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`); read and list permissions suffice. After fork(), a
/// child opens its own reader. `BINLOG_ERR_INVALID_ARGUMENT` in a library
/// built without the archive tier (cargo feature "s3", `make lib ARCHIVE=0`).
#[no_mangle]
pub extern "C" fn binlog_reader_open_log_tiered(
    dir: *const c_char,
    name: *const c_char,
    remote: *const c_char,
    out: *mut *mut binlog_reader,
) -> binlog_result {
    open_call(dir, name, remote, None, out)
}

/// As `binlog_reader_open_log_tiered`, with failed requests to the bucket
/// retried for `retry_timeout_ms` milliseconds (the default, 180 000, is
/// `binlog_reader_open_log_tiered`'s) before the open, or a later read,
/// fails: a server that is down, refuses connections or stops answering
/// is a `BINLOG_ERR_REMOTE` error in about this long, naming the server's
/// URL and the cause. 0: no retries (a request then waits at most 60 s).
#[no_mangle]
pub extern "C" fn binlog_reader_open_log_tiered_timeout(
    dir: *const c_char,
    name: *const c_char,
    remote: *const c_char,
    retry_timeout_ms: u64,
    out: *mut *mut binlog_reader,
) -> binlog_result {
    let retry = Duration::from_millis(retry_timeout_ms);
    open_call(dir, name, remote, Some(retry), out)
}

/// Both opens: the C arguments checked, the reader opened with
/// `retry_timeout` (the library's default if `None`) put in `out`.
fn open_call(
    dir: *const c_char,
    name: *const c_char,
    remote: *const c_char,
    retry_timeout: Option<Duration>,
    out: *mut *mut binlog_reader,
) -> binlog_result {
    call(|| {
        let d = unsafe { c_path(dir, "dir") }?;
        let n = unsafe { c_str(name, "name") }?;
        let url = unsafe { c_str(remote, "remote") }?;
        need_out(out)?;
        unsafe { done(out, boxed(open_tiered(d, n, url, retry_timeout)?, d)) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::boundary::enum_names;

    #[test]
    fn gap_reasons_are_the_c_values_of_their_names() {
        use crate::GapReason::*;
        let all = [Retention, Missing, Damage, SeqJump];
        enum_names::check(all, |r| gap_reason(*r), "BINLOG_GAP_");
    }
}
