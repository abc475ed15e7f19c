//! Both batch reads, `binlog_reader_next_batch` and
//! `binlog_reader_next_mapped`, and their one record loop: records read one
//! after another from the reader, placed in the caller's buffer and described, until the batch is
//! full, the buffer or (mapped) the call's mapping holds no more, or the
//! reader has none now.

use super::prelude::*;
use super::reader::{binlog_reader, closed, timestamp_apart};
use super::types::{binlog_batch_meta, binlog_batch_record, binlog_mapped_record};
use crate::log::{hold_back::HoldBack, record_reader::RecordReader};
use crate::reader::{Mapping, OwnedRecord, Record};

/// A batch call's description of one record.
pub(super) trait Described {
    /// Whether a payload in the reader's mapping is left there (and the
    /// call's mapping pinned in `binlog_reader::pinned`), not copied.
    const MAPPED: bool;

    /// The description of `rec`, placed at `p`, its payload at `mapped_at`
    /// in the call's mapping if left there.
    fn describe(rec: &Record<'_>, p: &Place, mapped_at: Option<usize>) -> Self;
}

impl Described for binlog_batch_record {
    const MAPPED: bool = false;

    #[inline(always)]
    fn describe(r: &Record<'_>, p: &Place, _: Option<usize>) -> Self {
        binlog_batch_record {
            seq: r.seq,
            timestamp_ns: timestamp_apart(r),
            offset: r.offset,
            type_off: p.type_off as u32,
            type_len: r.type_name.len() as u32,
            payload_off: p.payload_off as u32,
            payload_len: r.payload.len() as u32,
            meta_off: p.meta_at as u32,
            meta_count: r.meta_count() as u32,
        }
    }
}

impl Described for binlog_mapped_record {
    const MAPPED: bool = true;

    #[inline(always)]
    fn describe(r: &Record<'_>, p: &Place, mapped_at: Option<usize>) -> Self {
        binlog_mapped_record {
            seq: r.seq,
            timestamp_ns: timestamp_apart(r),
            offset: r.offset,
            payload_off: mapped_at.unwrap_or(p.payload_off) as u64,
            payload_len: r.payload.len() as u32,
            mapped: mapped_at.is_some() as u32,
            type_off: p.type_off as u32,
            type_len: r.type_name.len() as u32,
            meta_off: p.meta_at as u32,
            meta_count: r.meta_count() as u32,
        }
    }
}

/// Reads records from `h`'s reader into `out`, their parts into `buf` (a
/// payload in the call's mapping left there if `D::MAPPED`: the mapping of
/// the first such payload, pinned in `h.pinned`); only the first record is
/// waited for (up to `wait`). A record that does not fit, or (mapped) lies
/// in another mapping than the call's, is held back for the next call; if
/// it is the first, the call fails with `BINLOG_ERR_BUFFER_TOO_SMALL`.
pub(super) fn fill<D: Described>(
    h: &mut binlog_reader,
    buf: &mut [u8],
    out: &mut [D],
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
    let mut pin = Pin::new(D::MAPPED.then(|| reader.mapping()).flatten());
    let (mut n, mut at, mut wait) = (0, 0, wait);
    while n < out.len() {
        // Only the first record is waited for.
        let found = match wait.take() {
            Some(timeout) => reader.next_wait(timeout),
            None => reader.next_in_run(),
        };
        // The record is used where the call left it: moved out of the
        // `Result`, it would be reloaded 16 bytes at a time from what the
        // call stored 8 bytes at a time, each load stalling on those
        // stores (no store forwarding).
        let rec = match &found {
            Ok(Some(rec)) => rec,
            Ok(None) => break,
            // The reader stays at the bad place: the next call reports it.
            Err(_) if n > 0 => break,
            Err(_) => return Err(found.expect_err("an error").into()),
        };
        let mapped_at = D::MAPPED.then(|| pin.offset_of(rec.payload)).flatten();
        let src = Source {
            rec,
            copy_payload: mapped_at.is_none(),
        };
        let place = src.at(at);
        // Read from another mapping than this call's (an empty payload is
        // nowhere: it is "copied", 0 bytes): the reader moved on.
        let moved = D::MAPPED && mapped_at.is_none() && !rec.payload.is_empty();
        if place.end > buf.len() || (pin.used && moved) {
            let what = (rec.seq, rec.offset, src.at(0).end);
            let (held, addr) = (OwnedRecord::from(rec), rec.payload.as_ptr() as usize);
            drop(found);
            hold_back::<D>(reader, &pin, held, addr);
            if n == 0 {
                let file = reader.current_path().unwrap_or(path);
                return Err(too_small(file, what, buf.len()));
            }
            break;
        }
        src.place(buf, &place);
        out[n] = D::describe(rec, &place, mapped_at);
        (at, n) = (place.end, n + 1);
        drop(found);
        if mapped_at.is_some() {
            pin.used = true;
        } else if moved {
            // The next record may be in the reader's mapping now (none of
            // this call's payloads is in the old one: it would have ended
            // the call).
            pin = Pin::new(reader.mapping());
        }
    }
    if D::MAPPED {
        *pinned = pin.mapping.filter(|_| pin.used);
    }
    Ok(n)
}

/// Holds back the reader's last record, `held`, which the batch did not
/// take: (mapped) its payload, which was at `addr`, where `pin`'s mapping
/// or the reader's has it, if one does; not as a copy, which the next call
/// would copy into its buffer.
#[cold]
fn hold_back<D: Described>(reader: &mut HoldBack, pin: &Pin, held: OwnedRecord, addr: usize) {
    let len = held.record().payload.len();
    let has = |m: &Mapping| m.offset_of(addr, len).is_some();
    let in_pin = || pin.mapping.clone().filter(has);
    let map = D::MAPPED.then(|| in_pin().or_else(|| reader.mapping().filter(has)));
    let held = match map.flatten() {
        Some(m) => held.with_payload_in(&m, addr),
        None => held,
    };
    reader.hold_back(held)
}

/// The mapping a mapped batch leaves payloads in: its bounds, read once,
/// and whether a payload was left in it.
struct Pin {
    mapping: Option<Mapping>,
    /// The mapping's address (0 without one) and length.
    base: usize,
    len: usize,
    used: bool,
}

impl Pin {
    fn new(mapping: Option<Mapping>) -> Pin {
        let (base, len) = mapping
            .as_ref()
            .map_or((0, 0), |m| (m.bytes().as_ptr() as usize, m.bytes().len()));
        Pin {
            mapping,
            base,
            len,
            used: false,
        }
    }

    /// The offset of `part` in the mapping if it lies wholly in it (as
    /// `Mapping::offset_of`).
    #[inline(always)]
    fn offset_of(&self, part: &[u8]) -> Option<usize> {
        // Below `base` wraps above `len`; without a mapping `len` is 0 and
        // no slice starts at address 0.
        let at = (part.as_ptr() as usize).wrapping_sub(self.base);
        (at <= self.len && part.len() <= self.len - at).then_some(at)
    }
}

/// The error for a record (`seq`, at `offset`, needing `need` bytes) that
/// does not fit a buffer of `have` bytes, named with `file`, the segment it
/// came from (a log reader's current segment).
fn too_small(file: &Path, (seq, offset, need): (u64, u64, usize), have: usize) -> Failure {
    let code = super::result::binlog_result::BINLOG_ERR_BUFFER_TOO_SMALL;
    let what = format!(
        "{}: offset {offset}: record {seq} needs a buffer of {need} bytes; the buffer has {have} \
         (the record is kept for the next call)",
        file.display()
    );
    Failure::Abi(code, what)
}

// Where a batch read puts a record's parts in the caller's buffer, one
// after another: its metadata array (4-byte aligned), type name, payload
// (if copied), then the entries' keys and values.

/// What a batch copies of one record: the record, whose metadata entries
/// are read where they are encoded (most records have none), and whether
/// its payload is copied too (`binlog_reader_next_mapped` leaves a mapped
/// one where it is).
pub(super) struct Source<'r, 'a> {
    pub(super) rec: &'r Record<'a>,
    pub(super) copy_payload: bool,
}

impl<'r, 'a> Source<'r, 'a> {
    /// The payload bytes it copies.
    #[inline]
    fn payload(&self) -> &'a [u8] {
        if self.copy_payload {
            self.rec.payload
        } else {
            &[]
        }
    }

    /// Where it goes in the buffer from `at`: its metadata array (4-byte
    /// aligned), type name, payload (if copied), keys and values.
    #[inline(always)]
    pub(super) fn at(&self, at: usize) -> Place {
        // `at` is at most 4 GiB (see `batch_args`): no overflow.
        let meta_at = (at + 3) & !3;
        let type_off = meta_at + self.rec.meta_count() * std::mem::size_of::<binlog_batch_meta>();
        let payload_off = type_off + self.rec.type_name.len();
        let mut end = payload_off + self.payload().len();
        if self.rec.meta_count() > 0 {
            end += meta_bytes(self.rec);
        }
        Place {
            meta_at,
            type_off,
            payload_off,
            end,
        }
    }

    /// Copies it to `buf` where `at` placed it (which the caller checked
    /// fits; a payload not copied has none of its bytes at `payload_off`).
    /// Inlined into the batch loop, where a small record's copies are
    /// fixed-size: as a call it costs such a record a large share of its
    /// instructions.
    #[inline(always)]
    pub(super) fn place(&self, buf: &mut [u8], p: &Place) {
        let r = self.rec;
        put_bytes(buf, p.type_off, r.type_name.as_bytes());
        put_bytes(buf, p.payload_off, self.payload());
        if r.meta_count() > 0 {
            place_meta(r, buf, p.meta_at, p.payload_off + self.payload().len());
        }
    }
}

/// Where `Source::at` puts a record's parts in a batch buffer, and the
/// end of the bytes it takes.
pub(super) struct Place {
    pub(super) meta_at: usize,
    pub(super) type_off: usize,
    pub(super) payload_off: usize,
    pub(super) end: usize,
}

/// The bytes of `r`'s metadata keys and values (out of the batch loops:
/// most records have none).
#[inline(never)]
fn meta_bytes(r: &Record<'_>) -> usize {
    r.metadata().map(|(k, v)| k.len() + v.len()).sum::<usize>()
}

/// Copies `bytes` to `buf[at..]`. Up to 32 bytes (a type name, a small
/// payload) it copies in two overlapping moves of a fixed size, inline:
/// not a `memcpy` call per part (14 instructions each for a 32 B record's
/// parts under callgrind, and the registers the call clobbers).
#[inline(always)]
fn put_bytes(buf: &mut [u8], at: usize, bytes: &[u8]) {
    let dst = &mut buf[at..at + bytes.len()];
    let n = bytes.len();
    macro_rules! two_moves {
        ($t:ty) => {{
            const W: usize = std::mem::size_of::<$t>();
            let head: [u8; W] = bytes[..W].try_into().expect("W bytes");
            let tail: [u8; W] = bytes[n - W..].try_into().expect("W bytes");
            dst[..W].copy_from_slice(&head);
            dst[n - W..].copy_from_slice(&tail);
        }};
    }
    match n {
        0 => {}
        1..4 => {
            dst[0] = bytes[0];
            dst[n / 2] = bytes[n / 2];
            dst[n - 1] = bytes[n - 1];
        }
        4..8 => two_moves!(u32),
        8..16 => two_moves!(u64),
        16..=32 => two_moves!(u128),
        _ => dst.copy_from_slice(bytes),
    }
}

/// Copies `r`'s metadata keys and values to `buf[pos..]` and their
/// `binlog_batch_meta` array to `buf[meta_at..]` (rare: kept out of the
/// batch loops).
#[inline(never)]
fn place_meta(r: &Record<'_>, buf: &mut [u8], meta_at: usize, mut pos: usize) {
    for (i, (k, v)) in r.metadata().enumerate() {
        // The entry's words: key_off, key_len, value_off, value_len.
        let mut words = [0u32; 4];
        for (j, text) in [k, v].into_iter().enumerate() {
            // A `memcpy` call: `put_bytes` inline took more room.
            buf[pos..pos + text.len()].copy_from_slice(text.as_bytes());
            words[2 * j..2 * j + 2].copy_from_slice(&[pos as u32, text.len() as u32]);
            pos += text.len();
        }
        let at = meta_at + i * std::mem::size_of::<binlog_batch_meta>();
        for (j, word) in words.iter().enumerate() {
            buf[at + 4 * j..at + 4 * j + 4].copy_from_slice(&word.to_ne_bytes());
        }
    }
}

// -------- batch
// `binlog_reader_next_batch`: many records per call, copied into the
// caller's buffer, for callers whose every call crosses an expensive
// boundary (cgo, JNI). The output holds offsets, not pointers, so a Go
// or Java caller can keep it in its own memory.

/// Copies the next records, up to `cap` and as many as fit in
/// `buf[0..buf_len]` (used up to 4 GiB), and describes them in
/// `records[0..*count]` (offsets into `buf`; metadata entries are
/// `binlog_batch_meta` arrays in `buf`, 4-byte aligned from its start):
/// `BINLOG_OK` with `*count >= 1`, or `BINLOG_END` with `*count == 0` when
/// there is no record now. With `timeout_ms > 0` it first waits up to that
/// long for a record, as `binlog_reader_next_wait`, then takes only records
/// already there. A record that does not fit is kept for the next call on
/// the reader (a seek drops it, as does a type filter that excludes it); if
/// not even the first fits, `BINLOG_ERR_BUFFER_TOO_SMALL` with a message
/// giving the bytes it needs. Outputs are written only on success.
#[no_mangle]
pub extern "C" fn binlog_reader_next_batch(
    r: *mut binlog_reader,
    buf: *mut u8,
    buf_len: usize,
    records: *mut binlog_batch_record,
    cap: usize,
    timeout_ms: u64,
    count: *mut usize,
) -> binlog_result {
    call(|| {
        let h = unsafe { handle_mut(r, "reader") }?;
        let outs = [(count.is_null(), "count")];
        let (buf, out, wait) =
            unsafe { batch_args(h, buf, buf_len, records, cap, timeout_ms, &outs) }?;
        let n = super::batch::fill(h, buf, out, wait)?;
        unsafe { put(count, n) };
        Ok(if n == 0 { BINLOG_END } else { BINLOG_OK })
    })
}

/// Checks a batch call's arguments (`outs`: whether each output the call
/// requires is NULL, and its name) and returns its buffer (of
/// at most 4 GiB), its `cap` record slots and how long the first record
/// may be waited for.
///
/// # Safety
/// `buf` is NULL or `buf_len` writable bytes, `records` NULL or `cap`
/// writable slots, that outlive the result.
#[allow(clippy::type_complexity)]
pub(super) unsafe fn batch_args<'b, R>(
    h: &binlog_reader,
    buf: *mut u8,
    buf_len: usize,
    records: *mut R,
    cap: usize,
    timeout_ms: u64,
    outs: &[(bool, &str)],
) -> CallResult<(&'b mut [u8], &'b mut [R], Option<Duration>)> {
    h.args(|| {
        if let Some((_, name)) = outs.iter().find(|(is_null, _)| *is_null) {
            return Err(null(name));
        }
        if records.is_null() {
            return Err(null("records"));
        }
        if cap == 0 {
            return invalid("batch read with cap 0: cap must be at least 1");
        }
        // No array is larger than isize::MAX bytes: a slice claiming to
        // be is undefined behaviour (and aborts a debug build).
        if cap > isize::MAX as usize / std::mem::size_of::<R>() {
            let what = "records: an array of that many is larger than any object can be";
            return invalid(format!("batch read with cap {cap}: {what}"));
        }
        if buf.is_null() && buf_len > 0 {
            return Err(null("buf"));
        }
        Ok(())
    })?;
    let buf = match buf.is_null() {
        true => &mut [],
        // SAFETY: the caller gave `buf_len` writable bytes at `buf`.
        false => unsafe { std::slice::from_raw_parts_mut(buf, buf_len.min(u32::MAX as usize)) },
    };
    // SAFETY: the caller gave `cap` writable slots at `records`.
    let out = unsafe { std::slice::from_raw_parts_mut(records, cap) };
    let wait = (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms));
    Ok((buf, out, wait))
}

// -------- mapped
// `binlog_reader_next_mapped`: many records per call, their payloads left
// where the reader's mapping holds them, for callers that read payloads
// in place across an expensive boundary (JNI: a direct buffer over the
// mapping). The records are checked by the library as every read is; the
// caller reads positions, never the format.

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
        let outs = [
            (count.is_null(), "count"),
            (mapping.is_null(), "mapping"),
            (mapping_len.is_null(), "mapping_len"),
        ];
        let (buf, out, wait) =
            unsafe { batch_args(h, buf, buf_len, records, cap, timeout_ms, &outs) }?;
        let n = super::batch::fill(h, buf, out, wait)?;
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
    get_mut(r, "reader", out, |h| {
        let Some(kept) = h.pinned.clone() else {
            return h.args(|| invalid("keep mapping: the last batch read mapped no payload"));
        };
        Ok(new_handle(binlog_mapping { _mapping: kept }))
    })
}

/// Unmaps what `m` kept mapped (unless a reader or another handle still
/// holds it); NULL is accepted.
#[no_mangle]
pub extern "C" fn binlog_mapping_free(m: *mut binlog_mapping) {
    unsafe { free(m) }
}
