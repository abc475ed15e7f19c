//! `binlog_options`: an opaque options handle with setters, so options can
//! grow without breaking the ABI.

use super::prelude::*;
use super::segment_events::c_callback;
use crate::log::{Compression, LogOptions, Period, Retention};
use crate::writer::options::Durability;
use std::sync::Arc;

/// Options for `binlog_writer_open`. Not thread-safe: configure it from one
/// thread; it may be freed as soon as `binlog_writer_open` returns.
pub struct binlog_options {
    /// Segment options live in `log.segment`; a plain segment writer uses
    /// only those.
    pub(crate) log: LogOptions,
}

/// When records are forced to stable storage.
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
    /// A background thread syncs every `param` milliseconds. If its write
    /// fails, the records stay buffered (the next flush retries them) and
    /// the next write call returns the failure, writing nothing.
    BINLOG_DURABILITY_INTERVAL_MS = 3,
}

/// Creates options with the defaults (64 MiB maximum record size, 1 MiB
/// buffer, durability NONE). Free with `binlog_options_free`.
#[no_mangle]
pub extern "C" fn binlog_options_new(out: *mut *mut binlog_options) -> binlog_result {
    let log = LogOptions::default();
    make(out, || Ok(()), |()| Ok(new_handle(binlog_options { log })))
}

/// Frees options; NULL is accepted.
#[no_mangle]
pub extern "C" fn binlog_options_free(opts: *mut binlog_options) {
    unsafe { free(opts) }
}

/// `set_log` for a change that cannot fail before `validate`.
pub(super) fn assign_log(
    opts: *mut binlog_options,
    f: impl FnOnce(&mut LogOptions),
) -> binlog_result {
    set_log(opts, |l| {
        f(l);
        Ok(())
    })
}

/// Applies `f` to the options behind `opts` (a segment's in `segment`);
/// nothing changes if the result is invalid.
pub(super) fn set_log(
    opts: *mut binlog_options,
    f: impl FnOnce(&mut LogOptions) -> CallResult<()>,
) -> binlog_result {
    update(opts, "options", |o| {
        let mut next = o.log.clone();
        f(&mut next)?;
        next.validate()?;
        o.log = next;
        Ok(())
    })
}

/// Log name recorded in a new segment's header (UTF-8).
#[no_mangle]
pub extern "C" fn binlog_options_set_log_name(
    opts: *mut binlog_options,
    name: *const u8,
    name_len: usize,
) -> binlog_result {
    set_log(opts, |l| {
        l.segment.log_name = unsafe { utf8(name, name_len, "log name") }?.to_owned();
        Ok(())
    })
}

/// A signed log also checkpoints its live segment into its signed head
/// each time its next sequence number reaches a multiple of `records`
/// (besides each second); 0: each second only (the default).
#[no_mangle]
pub extern "C" fn binlog_options_set_checkpoint_records(
    opts: *mut binlog_options,
    records: u64,
) -> binlog_result {
    assign_log(opts, |l| l.checkpoint_records = c_option(records, 0))
}

/// Signs each segment's seal with the Ed25519 secret key in the file at
/// `key_path` (`binlog keys new` writes it), or forward secure with the
/// epoch keys of the file `binlog keys epochs` writes (a log then rolls at
/// each epoch's end and erases past epochs' keys from the file):
/// docs/FORMAT.md section 8.6. `BINLOG_ERR_INVALID_ARGUMENT` for a file
/// that is no secret key (or an epoch key whose certificate fails), or a
/// library built without signing.
#[no_mangle]
pub extern "C" fn binlog_options_set_signing_key(
    opts: *mut binlog_options,
    key_path: *const c_char,
) -> binlog_result {
    set_log(opts, |l| {
        let path = unsafe { c_path(key_path, "key_path") }?;
        #[cfg(feature = "sign")]
        {
            l.segment.signing = Some(crate::sign::Signing::from_key_file(path)?);
            Ok(())
        }
        #[cfg(not(feature = "sign"))]
        Err(super::verify::without_signing(path, l))
    })
}

/// Writes a new Ed25519 secret key to the file at `key_path` (mode 0600)
/// and its public key to `key_path` + ".pub", as `binlog keys new` does;
/// `BINLOG_ERR_ALREADY_EXISTS` if either exists,
/// `BINLOG_ERR_INVALID_ARGUMENT` in a library built without signing.
#[no_mangle]
pub extern "C" fn binlog_keys_new(key_path: *const c_char) -> binlog_result {
    call(|| {
        let path = unsafe { c_path(key_path, "key_path") }?;
        #[cfg(feature = "sign")]
        return crate::sign::Signing::new_key_files(path)
            .map(|_| BINLOG_OK)
            .map_err(Into::into);
        #[cfg(not(feature = "sign"))]
        Err(super::verify::without_signing(path, ()))
    })
}

/// Content type recorded in a new segment's header (UTF-8).
#[no_mangle]
pub extern "C" fn binlog_options_set_content_type(
    opts: *mut binlog_options,
    ct: *const u8,
    ct_len: usize,
) -> binlog_result {
    set_log(opts, |l| {
        l.segment.content_type = unsafe { utf8(ct, ct_len, "content type") }?.to_owned();
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
    set_log(opts, |l| {
        let k = unsafe { utf8(key, key_len, "parameter key") }?;
        let v = unsafe { utf8(value, value_len, "parameter value") }?;
        l.segment.params.push((k.to_owned(), v.to_owned()));
        Ok(())
    })
}

/// Largest encoded record accepted (64 to 4 GiB + 7 bytes; default 64 MiB).
/// A log measures a record as the first of its type in a segment encodes it
/// (with its type's name), so that a batch is checked whole before any of
/// it is written.
#[no_mangle]
pub extern "C" fn binlog_options_set_max_record_size(
    opts: *mut binlog_options,
    bytes: u64,
) -> binlog_result {
    assign_log(opts, |l| l.segment.max_record_size = bytes)
}

/// Bytes buffered before records are handed to the OS (default 1 MiB; 0:
/// each write call's at once; over 1 GiB is `BINLOG_ERR_INVALID_ARGUMENT`).
/// A 1 to 2 MiB buffer that begins a 2 MiB-aligned piece of the file may
/// wait for the next, up to the flush delay, so both reach the page cache in
/// one 2 MiB folio (fast reads by type); flush, sync and close never wait.
#[no_mangle]
pub extern "C" fn binlog_options_set_buffer_size(
    opts: *mut binlog_options,
    bytes: usize,
) -> binlog_result {
    assign_log(opts, |l| l.segment.buffer_size = bytes)
}

/// Microseconds a record may wait in the writer's buffer after its write
/// call before it is handed to the OS, where other processes' readers see
/// it and a crash of this process cannot lose it (default 10000), by a
/// writer thread asleep while nothing waits. 0: every write call hands its
/// records over before it returns (a system call each); UINT64_MAX: only
/// when the buffer fills, and on flush, sync and close.
#[no_mangle]
pub extern "C" fn binlog_options_set_flush_delay_us(
    opts: *mut binlog_options,
    us: u64,
) -> binlog_result {
    let delay = c_option(us, u64::MAX).map(Duration::from_micros);
    assign_log(opts, |l| l.segment.flush_delay = delay)
}

/// Durability policy: `mode` is a `binlog_durability` value; `param` is N
/// for EVERY_N (1 to 2^32 - 1) and milliseconds for INTERVAL_MS (at least
/// 1), ignored otherwise. Values outside the enum or those ranges are
/// refused with `BINLOG_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn binlog_options_set_durability(
    opts: *mut binlog_options,
    mode: u32,
    param: u64,
) -> binlog_result {
    set_log(opts, |l| {
        use binlog_durability::*;
        l.segment.durability = match mode {
            m if m == BINLOG_DURABILITY_NONE as u32 => Durability::None,
            m if m == BINLOG_DURABILITY_EVERY_RECORD as u32 => Durability::EveryRecord,
            m if m == BINLOG_DURABILITY_EVERY_N as u32 => Durability::EveryN(
                u32::try_from(param).map_err(|_| Error::invalid("N above 2^32-1"))?,
            ),
            m if m == BINLOG_DURABILITY_INTERVAL_MS as u32 => {
                Durability::Interval(Duration::from_millis(param))
            }
            _ => return invalid(format!("unknown durability mode {mode}")),
        };
        Ok(())
    })
}

/// With durability EVERY_RECORD: microseconds a write waiting for another
/// thread's fdatasync (group commit) stays runnable, yielding its CPU, before
/// it sleeps (default 0; at most 10000, more is refused): about one
/// fdatasync's duration trades CPU time for throughput.
#[no_mangle]
pub extern "C" fn binlog_options_set_sync_wait_spin_us(
    opts: *mut binlog_options,
    us: u32,
) -> binlog_result {
    assign_log(opts, |l| {
        l.segment.sync_wait_spin = Duration::from_micros(us.into())
    })
}

/// Sequence number of a new segment's first record (default 0).
#[no_mangle]
pub extern "C" fn binlog_options_set_first_seq(
    opts: *mut binlog_options,
    seq: u64,
) -> binlog_result {
    assign_log(opts, |l| l.segment.first_seq = seq)
}

/// Segment number recorded in a new segment's header (default 0). Segments
/// only: `binlog_writer_open_log` refuses options with it set.
#[no_mangle]
pub extern "C" fn binlog_options_set_segment_no(
    opts: *mut binlog_options,
    n: u64,
) -> binlog_result {
    assign_log(opts, |l| l.segment.segment_no = n)
}

/// Creation time recorded in a new segment's header (default: now).
/// Segments only: `binlog_writer_open_log` refuses options with it set.
#[no_mangle]
pub extern "C" fn binlog_options_set_created_ns(
    opts: *mut binlog_options,
    ns: i64,
) -> binlog_result {
    assign_log(opts, |l| l.segment.created_ns = Some(ns))
}

/// Bytes of records between entries of the sparse seq/time index
/// (default 65536; 0 is refused with `BINLOG_ERR_INVALID_ARGUMENT`).
#[no_mangle]
pub extern "C" fn binlog_options_set_sparse_interval(
    opts: *mut binlog_options,
    bytes: u32,
) -> binlog_result {
    assign_log(opts, |l| l.segment.sparse_interval = bytes)
}

/// Time period after which a log starts a new segment (UTC).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum binlog_period {
    BINLOG_PERIOD_NEVER = 0,
    BINLOG_PERIOD_MINUTE = 1,
    BINLOG_PERIOD_FIVE_MINUTES = 2,
    BINLOG_PERIOD_TEN_MINUTES = 3,
    BINLOG_PERIOD_QUARTER_HOUR = 4,
    BINLOG_PERIOD_HALF_HOUR = 5,
    BINLOG_PERIOD_HOUR = 6,
    BINLOG_PERIOD_DAY = 7,
}

/// Logs only: roll before a record would take a segment past `bytes`
/// (0 = no size limit; at least 4096 otherwise).
#[no_mangle]
pub extern "C" fn binlog_options_set_max_segment_bytes(
    opts: *mut binlog_options,
    bytes: u64,
) -> binlog_result {
    assign_log(opts, |l| l.max_segment_bytes = c_option(bytes, 0))
}

/// Logs only: roll after `records` records (0 = no limit).
#[no_mangle]
pub extern "C" fn binlog_options_set_max_segment_records(
    opts: *mut binlog_options,
    records: u64,
) -> binlog_result {
    assign_log(opts, |l| l.max_segment_records = c_option(records, 0))
}

/// Logs only: roll when a new UTC period starts, even while idle; `period`
/// is a `binlog_period` value.
#[no_mangle]
pub extern "C" fn binlog_options_set_period(
    opts: *mut binlog_options,
    period: u32,
) -> binlog_result {
    set_log(opts, |l| period_of(period).map(|p| l.period = p))
}

/// The core's period for a `binlog_period` number: its place in the
/// core's table (the test below checks each name).
fn period_of(n: u32) -> CallResult<Period> {
    let found = Period::nth(n as usize);
    found.ok_or_else(|| Error::invalid(format!("unknown period {n}")).into())
}

/// Logs only: `true` seals the segments a log rolls away from on its
/// background thread, so the write that rolls does not wait for the seal
/// (docs/PERFORMANCE.md, g); SEALED events, polling and retention then
/// follow shortly after that write, and a crash in between leaves a segment
/// the next open seals. Default `false`: all done before that write returns.
#[no_mangle]
pub extern "C" fn binlog_options_set_seal_in_background(
    opts: *mut binlog_options,
    on: bool,
) -> binlog_result {
    assign_log(opts, |l| l.seal_in_background = on)
}

/// Logs only: compress sealed segments (`on`; default off) into
/// `<segment>.binlog.zst` (docs/FORMAT.md section 17), which readers read as
/// the segment, once `after_segments` newer sealed segments exist (0: at
/// once), on a thread of the log's own at the lowest normal CPU and I/O
/// priority; closing the log compresses those still due (its last one too
/// with `after_segments` 0) on the closing thread. `level` is zstd's (0: 3;
/// up to 22; negative is faster), `frame_size` the original bytes per frame
/// (0: 1 MiB; at most 1 GiB); out of range is `BINLOG_ERR_INVALID_ARGUMENT`.
/// Retention counts compressed bytes; callbacks get a COMPRESSED event.
#[no_mangle]
pub extern "C" fn binlog_options_set_compression(
    opts: *mut binlog_options,
    on: bool,
    after_segments: u64,
    level: i32,
    frame_size: u64,
) -> binlog_result {
    assign_log(opts, |l| {
        let defaults = Compression::default();
        let copies = l.compression.unwrap_or(defaults).type_copies_per_mille;
        l.compression = on.then_some(Compression {
            type_copies_per_mille: copies,
            after_segments,
            level: c_option(level, 0).unwrap_or(defaults.level),
            frame_size: c_option(frame_size, 0).unwrap_or(defaults.frame_size),
        });
    })
}

/// Logs only, with compression on: the share of a compressed segment's
/// record bytes, in thousandths, that second copies of its rare types may
/// take (docs/FORMAT.md section 17.5), so a filter on a rare type
/// decompresses only its copy; 50 unless set, 0 for none; a later
/// `binlog_options_set_compression` keeps it. Over 1000, or compression
/// off, is refused with `BINLOG_ERR_INVALID_ARGUMENT`.
#[no_mangle]
pub extern "C" fn binlog_options_set_compression_type_copies(
    opts: *mut binlog_options,
    per_mille: u32,
) -> binlog_result {
    set_log(opts, |l| {
        let off = "type copies: compression is off (binlog_options_set_compression first)";
        let c = l.compression.as_mut().ok_or_else(|| Error::invalid(off))?;
        c.type_copies_per_mille = per_mille;
        Ok(())
    })
}

/// Logs only: keep at most `max_segments` sealed segments, `max_bytes` bytes
/// of them, none sealed over `max_age_ms` ago (0: no such limit), setting
/// the three limits below at once. The oldest go first, never the segment
/// being written. Ages count from the log's open on CLOCK_BOOTTIME (a
/// wall-clock step deletes nothing early); a segment found on disk at open
/// ages from its modification time.
#[no_mangle]
pub extern "C" fn binlog_options_set_retention(
    opts: *mut binlog_options,
    max_segments: u64,
    max_bytes: u64,
    max_age_ms: u64,
) -> binlog_result {
    assign_log(opts, |l| {
        keep_segments(&mut l.retention, max_segments);
        l.retention.max_bytes = c_option(max_bytes, 0);
        l.retention.max_age = ms_option(max_age_ms);
    })
}

/// Logs only: keep at most `max_segments` sealed segments, the oldest going
/// first (0 = no such limit). The other retention limits stay as set.
#[no_mangle]
pub extern "C" fn binlog_options_set_retention_max_segments(
    opts: *mut binlog_options,
    max_segments: u64,
) -> binlog_result {
    assign_log(opts, |l| keep_segments(&mut l.retention, max_segments))
}

/// Logs only: keep at most `max_bytes` bytes of sealed segments, the oldest
/// going first (0 = no such limit). The other retention limits stay as set.
#[no_mangle]
pub extern "C" fn binlog_options_set_retention_max_bytes(
    opts: *mut binlog_options,
    max_bytes: u64,
) -> binlog_result {
    assign_log(opts, |l| l.retention.max_bytes = c_option(max_bytes, 0))
}

/// Logs only: delete sealed segments sealed longer than `max_age_ms` ago
/// (0 = no such limit; ages as `binlog_options_set_retention` says). The
/// other retention limits stay as set.
#[no_mangle]
pub extern "C" fn binlog_options_set_retention_max_age_ms(
    opts: *mut binlog_options,
    max_age_ms: u64,
) -> binlog_result {
    assign_log(opts, |l| l.retention.max_age = ms_option(max_age_ms))
}

fn keep_segments(r: &mut Retention, max_segments: u64) {
    r.max_segments = c_option(max_segments, 0).map(|n| n.min(usize::MAX as u64) as usize);
}

/// A duration in milliseconds where 0 is no limit.
pub(super) fn ms_option(ms: u64) -> Option<Duration> {
    c_option(ms, 0).map(Duration::from_millis)
}

/// Logs only: a callback for segment events, registered before the log opens
/// its first segment (so it sees that OPENED event too), called as
/// `binlog_writer_on_segment` says. `user` is passed back unchanged and must
/// stay valid while any writer opened with these options lives.
#[no_mangle]
pub extern "C" fn binlog_options_add_segment_callback(
    opts: *mut binlog_options,
    cb: super::segment_events::binlog_segment_callback,
    user: *mut std::ffi::c_void,
) -> binlog_result {
    set_log(opts, |l| {
        let cb = cb.ok_or_else(|| null("callback"))?;
        l.callbacks.push(c_callback(cb, user).into());
        Ok(())
    })
}

// `binlog_options_set_clock`: a C function as the wall clock a log rolls
// by and stamps records with (the core's `LogOptions::clock`), so that
// period rolls can be tested without waiting for real minutes.

/// A wall clock: nanoseconds since the Unix epoch (UTC). `user` is the
/// pointer given with it to `binlog_options_set_clock`.
pub type binlog_clock = Option<extern "C" fn(user: *mut c_void) -> i64>;

/// Logs only: read the time from `clock(user)` instead of CLOCK_REALTIME,
/// for period rolls, records written with `BINLOG_TIME_NOW`, segment
/// creation times and names, and retention by age; NULL restores the system
/// clock. For tests: advance it past a period boundary and the next write
/// rolls at once. It is called often (once per write call), from every
/// thread that writes to or rolls the log and from the log's background
/// thread, at once, with the log's lock held: it must be thread-safe, quick
/// and not call libbinlog, and `user` must stay valid while any writer
/// opened with these options lives. A clock that goes back unrolls nothing.
#[no_mangle]
pub extern "C" fn binlog_options_set_clock(
    opts: *mut binlog_options,
    clock: binlog_clock,
    user: *mut c_void,
) -> binlog_result {
    assign_log(opts, |l| {
        l.clock = match clock {
            None => LogOptions::default().clock,
            Some(f) => {
                let user = UserPtr(user);
                Arc::new(move || f(user.get()))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_period_number_is_the_c_value_of_its_name() {
        use binlog_period::*;
        let all = [
            BINLOG_PERIOD_NEVER,
            BINLOG_PERIOD_MINUTE,
            BINLOG_PERIOD_FIVE_MINUTES,
            BINLOG_PERIOD_TEN_MINUTES,
            BINLOG_PERIOD_QUARTER_HOUR,
            BINLOG_PERIOD_HALF_HOUR,
            BINLOG_PERIOD_HOUR,
            BINLOG_PERIOD_DAY,
        ];
        for c in all {
            let name = period_of(c as u32).unwrap().name();
            assert_eq!(format!("{c:?}"), format!("BINLOG_PERIOD_{name}"));
        }
        assert!(period_of(all.len() as u32).is_err());
    }
}
