//! `binlog_writer`: the C face of `crate::Writer` and `crate::LogWriter`,
//! through the calls both take (`crate::RecordWriter`).

use super::options::binlog_options;
use super::prelude::*;
use super::segment_events::*;
use super::types::{binlog_entry, binlog_iovec, binlog_meta, BINLOG_TIME_NOW};
use crate::error::Result;
use crate::log::{record_writer::RecordWriter, LogOptions, LogWriter};
use crate::writer::{options::Options, Entry, Writer};
use parking_lot::Mutex;
use std::sync::Arc;

/// A segment writer. Thread-safe: any number of threads may call write,
/// flush, sync and close on it at once; `binlog_writer_free` must not race
/// any other call and the handle is invalid after it. The calls that change
/// the writer (write, flush, sync, roll, close, callbacks, polling) take a
/// `binlog_writer *`, those that only read it a `const binlog_writer *`.
pub struct binlog_writer {
    /// The segment's or the log's writer: every call that both take.
    writer: Arc<dyn RecordWriter>,
    /// The same writer when it is a log's, for the calls only logs take.
    log: Option<Arc<LogWriter>>,
    /// Path of the segment last returned by `binlog_writer_poll_sealed`.
    polled_path: Mutex<CString>,
}

impl binlog_writer {
    /// Runs a call's argument checks, naming the writer's segment (or log
    /// directory) in their errors.
    #[inline(always)]
    fn args<T>(&self, f: impl FnOnce() -> CallResult<T>) -> CallResult<T> {
        checked(self.writer.path(), f)
    }

    /// The log's writer, for a call only logs take.
    pub(super) fn log(&self) -> Result<&LogWriter> {
        self.log.as_deref().ok_or_else(|| {
            let what = "this call needs a log writer (binlog_writer_open_log)";
            Error::file(ErrorKind::InvalidArgument, self.writer.path(), what)
        })
    }
}

fn boxed(writer: Arc<dyn RecordWriter>, log: Option<Arc<LogWriter>>) -> *mut binlog_writer {
    new_handle(binlog_writer {
        writer,
        log,
        polled_path: Mutex::new(CString::default()),
    })
}

/// Opens (creating or reopening for append) the segment at `path`; `opts`
/// may be NULL for defaults. On success `*out` owns a writer: release it
/// with `binlog_writer_close`, then `binlog_writer_free`. Options only logs
/// have (segment size, records, period, retention, background sealing,
/// compression, segment callbacks, a clock) are
/// `BINLOG_ERR_INVALID_ARGUMENT`. A sealed or ending segment of a rolling log
/// is `BINLOG_ERR_SEALED`: open the log instead (`binlog_writer_open_log`).
#[no_mangle]
pub extern "C" fn binlog_writer_open(
    path: *const std::ffi::c_char,
    opts: *const binlog_options,
    out: *mut *mut binlog_writer,
) -> binlog_result {
    let args = || unsafe { c_path(path, "path") };
    make(out, args, |p| {
        let o = match unsafe { opts.as_ref() } {
            Some(o) => {
                let l = &o.log;
                if l.max_segment_bytes.is_some()
                    || l.max_segment_records.is_some()
                    || l.period != crate::log::Period::Never
                    || l.retention != crate::log::Retention::default()
                    || l.seal_in_background
                    || l.compression.is_some()
                    || !l.callbacks.is_empty()
                {
                    let why = "segment size, record, period, retention, background sealing, compression and segment callback options apply to logs: use binlog_writer_open_log";
                    return invalid(why);
                }
                // An injected clock too: a writer of one segment, which has
                // none of a log's time triggers, stamps records from the
                // system clock.
                if !l.system_clock() {
                    let why = "a clock (binlog_options_set_clock) applies to logs: use binlog_writer_open_log";
                    return invalid(why);
                }
                l.segment.clone()
            }
            None => Options::default(),
        };
        Ok(boxed(Arc::new(Writer::open(p, o)?), None))
    })
}

/// Appends a record with the current time and no metadata; `*seq_out` (may
/// be NULL) receives its sequence number. Under
/// `BINLOG_DURABILITY_EVERY_RECORD` (and every Nth record under EVERY_N) it
/// returns once the record is on stable storage. A record that reached the
/// file is reported written, also when a log's roll failed to seal the
/// segment while the call waited for its fdatasync (the log goes on in that
/// segment): an error means the record was not written, unless the message
/// says which were (see `binlog_writer_write_batch`). Only a failed
/// fdatasync (`BINLOG_ERR_POISONED`) leaves a record written but not known
/// durable.
#[no_mangle]
pub extern "C" fn binlog_writer_write(
    w: *mut binlog_writer,
    type_name: *const u8,
    type_len: usize,
    payload: *const u8,
    payload_len: usize,
    seq_out: *mut u64,
) -> binlog_result {
    call(|| {
        let w = unsafe { handle(w, "writer") }?;
        let (t, p) = w.args(|| unsafe {
            let t = utf8(type_name, type_len, "type name")?;
            Ok((t, array(payload, payload_len, "payload")?))
        })?;
        unsafe { done(seq_out, w.writer.write(t, p)?) }
    })
}

/// Appends one record whose payload is gathered from `iov[0..iovcnt]`.
#[no_mangle]
pub extern "C" fn binlog_writer_writev(
    w: *mut binlog_writer,
    type_name: *const u8,
    type_len: usize,
    iov: *const binlog_iovec,
    iovcnt: usize,
    seq_out: *mut u64,
) -> binlog_result {
    call(|| {
        let w = unsafe { handle(w, "writer") }?;
        let (t, parts) = w.args(|| unsafe {
            let t = utf8(type_name, type_len, "type name")?;
            let parts = array(iov, iovcnt, "iov")?
                .iter()
                .map(|v| array(v.base, v.len, "iov base"))
                .collect::<CallResult<Vec<&[u8]>>>()?;
            Ok((t, parts))
        })?;
        let seq = w.writer.write_batch(&[Entry::of(t, &parts)])?;
        unsafe { done(seq_out, seq) }
    })
}

/// Appends one record with metadata and an explicit timestamp.
#[no_mangle]
pub extern "C" fn binlog_writer_write_entry(
    w: *mut binlog_writer,
    entry: *const binlog_entry,
    seq_out: *mut u64,
) -> binlog_result {
    binlog_writer_write_batch(w, entry, 1, seq_out)
}

/// Appends `count` records under one lock, in as few system calls as the
/// buffer allows; `*first_seq_out` (may be NULL) receives the first one's
/// sequence number. Every entry is checked first: if any is invalid (a NULL
/// pointer with a length, a name or metadata not UTF-8, a type name over
/// 4096 bytes, a record above the maximum record size; for a log, measured
/// as the first of its type in a segment), nothing is written, no sequence
/// number taken and a log does not roll; the message names the entry ("entry
/// I of N: ...; no record of this call was written"). Only an I/O error
/// stops a batch part way: the records before it that reached the file
/// stay, and the message says how many were written, with their sequence
/// numbers when a log's roll failed between two of them (see
/// `binlog_writer_next_seq`).
#[no_mangle]
pub extern "C" fn binlog_writer_write_batch(
    w: *mut binlog_writer,
    entries: *const binlog_entry,
    count: usize,
    first_seq_out: *mut u64,
) -> binlog_result {
    call(|| {
        let w = unsafe { handle(w, "writer") }?;
        let entries = w.args(|| unsafe { array(entries, count, "entries") })?;
        let fields = w.args(|| unsafe { BatchFields::of(entries) })?;
        let first_seq = w.writer.write_batch(&fields.entries(entries))?;
        unsafe { done(first_seq_out, first_seq) }
    })
}

/// The fields of a C batch's entries, checked and flattened (type names,
/// payload parts and metadata, in entry order), for the entries to borrow.
struct BatchFields<'a> {
    types: Vec<&'a str>,
    parts: Vec<&'a [u8]>,
    metas: Vec<(&'a str, &'a str)>,
}

impl<'a> BatchFields<'a> {
    /// Checks every entry's fields in order before anything is written, so
    /// that a bad one writes nothing; a bad entry is named, as the core
    /// names one it refuses (the header promises both the same message).
    ///
    /// # Safety
    /// Each entry's pointers satisfy `binlog_entry`'s contract.
    #[inline]
    unsafe fn of(entries: &'a [binlog_entry]) -> CallResult<BatchFields<'a>> {
        let mut f = BatchFields {
            types: Vec::with_capacity(entries.len()),
            parts: Vec::with_capacity(entries.len()),
            metas: Vec::new(),
        };
        // Batches usually repeat one type name: validate a name once per run
        // of entries pointing at the same bytes.
        let mut last_type: Option<(*const u8, usize, &str)> = None;
        let n = entries.len();
        for (i, e) in entries.iter().enumerate() {
            let refused = |err: Failure| err.with_detail(|what| Error::refused_entry(i, n, what));
            f.types.push(match last_type {
                Some((p, len, t)) if p == e.type_name && len == e.type_len => t,
                _ => {
                    let t = utf8(e.type_name, e.type_len, "type name").map_err(refused)?;
                    last_type = Some((e.type_name, e.type_len, t));
                    t
                }
            });
            f.add_payload(e).map_err(refused)?;
            for m in array::<binlog_meta>(e.meta, e.meta_count, "meta").map_err(refused)? {
                let k = utf8(m.key, m.key_len, "metadata key").map_err(refused)?;
                let v = utf8(m.value, m.value_len, "metadata value").map_err(refused)?;
                f.metas.push((k, v));
            }
        }
        Ok(f)
    }

    /// Adds entry `e`'s payload: its parts, or its one payload.
    ///
    /// # Safety
    /// As `of`.
    #[inline]
    unsafe fn add_payload(&mut self, e: &'a binlog_entry) -> CallResult<()> {
        if e.part_count == 0 {
            self.parts.push(array(e.payload, e.payload_len, "payload")?);
            return Ok(());
        }
        for v in array(e.parts, e.part_count, "parts")? {
            self.parts.push(array(v.base, v.len, "part base")?);
        }
        Ok(())
    }

    /// The core's entries for `entries`, borrowing these fields (walked in
    /// the same order, so each entry's ranges follow from running counts).
    #[inline]
    fn entries(&self, entries: &[binlog_entry]) -> Vec<Entry<'_>> {
        let time = |e: &binlog_entry| (e.timestamp_ns != BINLOG_TIME_NOW).then_some(e.timestamp_ns);
        let types = self.types.iter().copied();
        if self.parts.len() == entries.len() && self.metas.is_empty() {
            // One payload each and no metadata (the usual batch): no range
            // arithmetic.
            return entries
                .iter()
                .zip(types)
                .zip(self.parts.chunks_exact(1))
                .map(|((e, type_name), parts)| Entry {
                    timestamp_ns: time(e),
                    ..Entry::of(type_name, parts)
                })
                .collect();
        }
        let (mut p0, mut m0) = (0, 0);
        entries
            .iter()
            .zip(types)
            .map(|(e, type_name)| {
                let p1 = p0 + e.part_count.max(1);
                let m1 = m0 + e.meta_count;
                let entry = Entry {
                    type_name,
                    meta: &self.metas[m0..m1],
                    timestamp_ns: time(e),
                    parts: &self.parts[p0..p1],
                };
                (p0, m0) = (p1, m1);
                entry
            })
            .collect()
    }
}

/// Hands buffered records to the OS; readers see them afterwards.
#[no_mangle]
pub extern "C" fn binlog_writer_flush(w: *mut binlog_writer) -> binlog_result {
    with_writer(w, |w| w.writer.flush())
}

/// The body of a call that acts on writer `w`.
fn with_writer(
    w: *mut binlog_writer,
    f: impl FnOnce(&binlog_writer) -> Result<()>,
) -> binlog_result {
    call(|| {
        f(unsafe { handle(w, "writer") }?)?;
        Ok(BINLOG_OK)
    })
}

/// Flushes and fdatasyncs: every record written so far is on stable storage.
#[no_mangle]
pub extern "C" fn binlog_writer_sync(w: *mut binlog_writer) -> binlog_result {
    with_writer(w, |w| w.writer.sync())
}

/// The sequence number the next record will get.
#[no_mangle]
pub extern "C" fn binlog_writer_next_seq(w: *const binlog_writer, out: *mut u64) -> binlog_result {
    get(w, "writer", out, |w| Ok(w.writer.next_seq()?))
}

/// Every record with a lower sequence number than `*out` is on stable
/// storage: covered by an fdatasync. Under `BINLOG_DURABILITY_NONE` only
/// `binlog_writer_sync` does that (for a log, also of the segments rolled
/// away from), and records found by a reopen count only after it.
#[no_mangle]
pub extern "C" fn binlog_writer_durable_seq(
    w: *const binlog_writer,
    out: *mut u64,
) -> binlog_result {
    get(w, "writer", out, |w| Ok(w.writer.durable_seq()?))
}

/// Flushes, seals and closes the segment and releases its lock (a log's
/// current segment that holds no record is removed instead of sealed).
/// Later calls on the writer return `BINLOG_ERR_CLOSED`; closing twice is
/// OK; NULL is accepted. The handle stays allocated until
/// `binlog_writer_free`.
#[no_mangle]
pub extern "C" fn binlog_writer_close(w: *mut binlog_writer) -> binlog_result {
    call(|| {
        if let Some(w) = unsafe { w.as_ref() } {
            w.writer.close()?;
        }
        Ok(BINLOG_OK)
    })
}

/// Closes the writer if needed and frees the handle; NULL is accepted.
#[no_mangle]
pub extern "C" fn binlog_writer_free(w: *mut binlog_writer) {
    unsafe { free(w) }
}

/// Opens the rolling log `name` in directory `dir` (created if missing) for
/// appending: segments `<name>-<20-digit number>-<UTC start>.binlog`, rolled
/// by the options' size, record and period limits and trimmed by their
/// retention; every binlog_writer call works on it and close seals the
/// current segment. One writer per log: it holds an flock on
/// `<dir>/<name>.lock` until closed; another gets `BINLOG_ERR_LOCKED`. A file
/// named as one of its segments whose header names another log is
/// `BINLOG_ERR_WRONG_LOG`, changing nothing. Options with a segment number
/// or creation time set, or naming another log, are
/// `BINLOG_ERR_INVALID_ARGUMENT`; `binlog_options_set_first_seq` gives a new
/// log's first sequence number.
#[no_mangle]
pub extern "C" fn binlog_writer_open_log(
    dir: *const c_char,
    name: *const c_char,
    opts: *const binlog_options,
    out: *mut *mut binlog_writer,
) -> binlog_result {
    let args = || unsafe { Ok((c_path(dir, "dir")?, c_str(name, "name")?)) };
    make(out, args, |(d, n)| {
        let o = match unsafe { opts.as_ref() } {
            Some(o) => {
                let seg = &o.log.segment;
                if seg.segment_no != 0 || seg.created_ns.is_some() {
                    return invalid("a log numbers and dates its segments itself: do not set segment number or creation time");
                }
                if !seg.log_name.is_empty() && seg.log_name != n {
                    let named = &seg.log_name;
                    let what = format!("options name the log {named:?} but it is opened as {n:?}");
                    return invalid(what);
                }
                // The first sequence number of a new log is the segment option.
                LogOptions {
                    first_seq: seg.first_seq,
                    ..o.log.clone()
                }
            }
            None => LogOptions::default(),
        };
        let l = Arc::new(LogWriter::open(d, n, o)?);
        Ok(boxed(l.clone(), Some(l)))
    })
}

/// Registers a callback for segment events of a log writer. `user` is
/// passed back unchanged. Events before the registration (the opening of
/// the first segment) are not replayed: to see them, give the callback in
/// the options (`binlog_options_add_segment_callback`).
#[no_mangle]
pub extern "C" fn binlog_writer_on_segment(
    w: *mut binlog_writer,
    cb: binlog_segment_callback,
    user: *mut c_void,
) -> binlog_result {
    call(|| {
        let l = unsafe { handle(w, "writer") }?.log()?;
        let cb = cb.ok_or_else(|| null("callback"))?;
        l.on_segment(c_callback(cb, user))?;
        Ok(BINLOG_OK)
    })
}

/// The oldest sealed segment not yet polled: `BINLOG_OK` and `*out` filled,
/// or `BINLOG_END` if none; for callers that prefer not to be called back
/// from another thread (JNI, cgo). Poll from one thread; also after close,
/// for the segments the close sealed. At most 65,536 wait; beyond that the
/// oldest leave this queue (the files stay).
#[no_mangle]
pub extern "C" fn binlog_writer_poll_sealed(
    w: *mut binlog_writer,
    out: *mut binlog_segment_info,
) -> binlog_result {
    call(|| {
        let h = unsafe { handle(w, "writer") }?;
        let l = h.log()?;
        need_out(out)?;
        let Some(info) = l.poll_sealed() else {
            return Ok(BINLOG_END);
        };
        let mut path = h.polled_path.lock();
        *path = c_string(&info.path);
        let view = info_view(binlog_segment_event::BINLOG_SEGMENT_SEALED, &info, &path);
        unsafe { done(out, view) }
    })
}

/// How many segment callbacks failed (returned non-zero or could not run),
/// with the work of the log's own threads that failed (a manifest not
/// replaced, a compression not finished on a full disk: see
/// `LogWriter::callback_failures`). Works after close too.
#[no_mangle]
pub extern "C" fn binlog_writer_callback_failures(
    w: *const binlog_writer,
    out: *mut u64,
) -> binlog_result {
    // Also after close: the last segment's Sealed callbacks run during close.
    log_count(w, out, |l| l.callback_failures().0)
}

/// Writes `f` of the log behind `w` to `out`: a segment writer is refused
/// before `out` is checked.
pub(super) fn log_count(
    w: *const binlog_writer,
    out: *mut u64,
    f: impl FnOnce(&LogWriter) -> u64,
) -> binlog_result {
    let log = || Ok(unsafe { handle(w, "writer") }?.log()?);
    make(out, log, |l| Ok(f(l)))
}

/// Starts the next segment of a log now; returns once the current one is
/// sealed (and any segment rolled away from before it).
#[no_mangle]
pub extern "C" fn binlog_writer_roll(w: *mut binlog_writer) -> binlog_result {
    with_writer(w, |w| w.log()?.roll())
}
