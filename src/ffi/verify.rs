//! `binlog_verify_*`: the C face of `crate::verify`, the findings of a
//! verification of a segment file or a log directory, one at a time.

use super::prelude::*;
use super::segment_events::c_string;
use crate::verify::{Finding, FindingKind, RepairAction, Verify};
use std::collections::VecDeque;

/// What a finding is (`binlog_finding.kind`); see docs/FORMAT.md sections
/// 3, 4, 10, 14a, 17 and 18. The numbers are never reused.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum binlog_finding_kind {
    /// The last record of an unsealed segment cut off, nothing valid after.
    BINLOG_FINDING_TORN_TAIL = 1,
    /// Bytes that are not valid records, or a record whose CRC is right but
    /// whose contents are wrong: corruption, records `from_seq..to_seq` lost.
    BINLOG_FINDING_CORRUPT = 2,
    /// A valid record numbered past the one expected: records lost.
    BINLOG_FINDING_SEQUENCE_JUMP = 3,
    /// The records complete, the seal after them incomplete or damaged.
    BINLOG_FINDING_SEAL_DAMAGED = 4,
    /// Zeros after the records: a durable writer's prepared space (a note).
    BINLOG_FINDING_ZERO_TAIL = 5,
    /// Unsealed, its writer gone, a file alone or a log's newest (a note).
    BINLOG_FINDING_UNSEALED = 6,
    /// Not a segment (no magic number).
    BINLOG_FINDING_NOT_A_BINLOG = 7,
    /// The file ends inside its header (0 bytes included).
    BINLOG_FINDING_TRUNCATED = 8,
    /// A format version this library does not read.
    BINLOG_FINDING_UNSUPPORTED_VERSION = 9,
    /// The header is damaged; the records after it were read.
    BINLOG_FINDING_CORRUPT_HEADER = 10,
    /// Records `from_seq..to_seq` missing between two segments of a log,
    /// or past its files' end where its manifest lists them sealed.
    BINLOG_FINDING_MISSING_RECORDS = 11,
    /// A segment starting before the one before it ended.
    BINLOG_FINDING_SEQUENCE_OVERLAP = 12,
    /// A file named as the log's whose header names another log or place.
    BINLOG_FINDING_WRONG_LOG = 13,
    /// The file could not be read (I/O, permission).
    BINLOG_FINDING_UNREADABLE = 14,
    /// A writer holds the segment and is writing its end (a note).
    BINLOG_FINDING_BEING_WRITTEN = 15,
    /// Records missing between segments, accepted as lost (a note).
    BINLOG_FINDING_ACCEPTED_GAP = 16,
    /// A log's newest file with no header yet (a note).
    BINLOG_FINDING_NOT_YET_WRITTEN = 17,
    /// An empty segment a failed roll left, skipped by readers (a note).
    BINLOG_FINDING_FAILED_ROLL_LEFTOVER = 18,
    /// Unsealed with newer segments of its log after it: its writer died.
    BINLOG_FINDING_NOT_SEALED = 19,
    /// A compressed segment's frame that does not decompress, or its seek
    /// table lost: named with the frame and its compressed offset.
    BINLOG_FINDING_CORRUPT_FRAME = 20,
    /// A seal's offset array or sparse index that fails its checks (no
    /// record lost: reads scan instead).
    BINLOG_FINDING_SEAL_INDEX_DAMAGED = 21,
    /// A log's manifest that cannot be read or fails its check while it is
    /// the only record of the log's position (no segment file left, no
    /// ship journal position): a writer's open refuses the log. `location`
    /// is the manifest; given after the log's segments.
    BINLOG_FINDING_MANIFEST_DAMAGED = 22,
    /// A log's manifest that cannot be read or fails its check while a
    /// segment file or the ship journal holds the log's position: not
    /// used, rewritten when the log is next opened for writing (a note).
    BINLOG_FINDING_MANIFEST_UNUSED = 23,
    /// A segment's findings past the first `BINLOG_VERIFY_MAX_FINDINGS`,
    /// counted only: `len` is how many. Given after the segment's listed
    /// findings; damage.
    BINLOG_FINDING_NOT_LISTED = 24,
    /// A signed segment whose bytes are not those its seal's digest names:
    /// records changed after sealing, CRCs recomputed or not.
    BINLOG_FINDING_RECORDS_CHANGED = 25,
    /// A seal whose signature does not verify (changed after signing).
    BINLOG_FINDING_BAD_SIGNATURE = 26,
    /// A seal signed by a key other than the trusted one.
    BINLOG_FINDING_OTHER_KEY = 27,
    /// A sealed segment not signed, where a trusted key is given.
    BINLOG_FINDING_UNSIGNED = 28,
    /// The segments before it in its log's chain missing (deleted).
    BINLOG_FINDING_CHAIN_GAP = 29,
    /// A signed segment not in its log's chain (inserted, replaced, or
    /// from another log).
    BINLOG_FINDING_NOT_IN_CHAIN = 30,
    /// A signed segment whose predecessor in the chain (its `prev`) is
    /// another segment of the log than the one numbered right before it:
    /// segments reordered.
    BINLOG_FINDING_REORDERED = 31,
    /// A copy of a signed segment before it.
    BINLOG_FINDING_DUPLICATE = 32,
    /// A log's signed head names a segment it does not hold: its newest
    /// segments cut off (`location` is the head's file).
    BINLOG_FINDING_CUT_OFF = 33,
    /// A seal signed by a forward-secure epoch key whose records are older
    /// than the key's epoch (a later key resealed them).
    BINLOG_FINDING_OUT_OF_EPOCH = 34,
}

/// The findings `binlog_verify_next` lists per segment; past them one
/// `BINLOG_FINDING_NOT_LISTED` finding counts the rest.
pub const BINLOG_VERIFY_MAX_FINDINGS: u32 = 1000;
const _: () = assert!(BINLOG_VERIFY_MAX_FINDINGS as usize == crate::verify::MAX_FINDINGS);

/// What `binlog repair` does about a finding (`binlog_finding.repair`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum binlog_repair_action {
    /// Nothing (not damage, or nothing a repair can do).
    BINLOG_REPAIR_NOTHING = 0,
    /// Backs the segment up, cuts the torn tail and seals it.
    BINLOG_REPAIR_CUT_TORN_TAIL = 1,
    /// Backs the segment up and seals it again.
    BINLOG_REPAIR_RESEAL = 2,
    /// With `--salvage` only: keeps the valid records around the damage.
    BINLOG_REPAIR_SALVAGE = 3,
}

/// One finding (`binlog_verify_next`). `location` (the segment's path or
/// object URL, or the log's manifest) and `message` are NUL-terminated and
/// borrowed from the handle: valid until the next `binlog_verify_next` or
/// `binlog_verify_free` on it. `has_offset` and `has_seq` say whether
/// `offset` and `from_seq`/`to_seq` hold values; the sequence numbers lost
/// are `from_seq` up to `to_seq`, `to_seq` excluded. `damage` is false for
/// a note (a writer at work, prepared space, an accepted gap...).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct binlog_finding {
    pub kind: binlog_finding_kind,
    pub location: *const c_char,
    pub has_offset: bool,
    pub offset: u64,
    /// Bytes affected from `offset` (0 for a finding about one place); for
    /// `BINLOG_FINDING_NOT_LISTED`, the number of findings not listed.
    pub len: u64,
    pub has_seq: bool,
    pub from_seq: u64,
    pub to_seq: u64,
    pub repair: binlog_repair_action,
    pub damage: bool,
    pub message: *const c_char,
}

/// A verification in progress (`binlog_verify_open`). Not thread-safe: one
/// thread at a time may call it (it may move between threads). Freed with
/// `binlog_verify_free`, which invalidates the strings it gave out.
#[derive(Default)]
pub struct binlog_verify {
    segments: Verify,
    /// Findings of the segment verified last, not handed out yet.
    pending: VecDeque<Finding>,
    /// The strings of the finding handed out last.
    location: CString,
    message: CString,
    segments_done: u64,
    records: u64,
}

/// Opens a verification of `path`: a segment file (plain or compressed), or
/// a log directory, then of log `log_name` in it (NULL: of the one log whose
/// files it holds), verified segment by segment as `binlog_verify_next`
/// reaches them. `*out` is written only on success; free it with
/// `binlog_verify_free`. `BINLOG_ERR_NOT_FOUND` for a path that does not
/// exist, a directory with no log's segment files, or, `log_name` given,
/// neither a segment file nor the manifest of that log;
/// `BINLOG_ERR_INVALID_ARGUMENT` for one with several logs and no name.
#[no_mangle]
pub extern "C" fn binlog_verify_open(
    path: *const c_char,
    log_name: *const c_char,
    out: *mut *mut binlog_verify,
) -> binlog_result {
    let args = || unsafe { Ok((c_path(path, "path")?, c_str_or_null(log_name, "log_name")?)) };
    make(out, args, |(p, name)| {
        let segments = Verify::path(p, name)?;
        Ok(new_handle(binlog_verify {
            segments,
            ..binlog_verify::default()
        }))
    })
}

/// Verifies signed seals against the Ed25519 public key in the file at
/// `key_path` (`binlog keys new` writes it): each sealed segment signed by
/// it (else `BINLOG_FINDING_UNSIGNED`, `_OTHER_KEY` or `_BAD_SIGNATURE`),
/// and a log's segments one chain (else `BINLOG_FINDING_CHAIN_GAP`,
/// `_NOT_IN_CHAIN`, `_REORDERED` or `_DUPLICATE`). A log directory's
/// newest segments are checked against its signed head `<log>.head` beside
/// it by default (`BINLOG_FINDING_CUT_OFF` if it names a segment the log
/// does not hold), unless `binlog_verify_head` names a kept copy. Called
/// before the first `binlog_verify_next` (else
/// `BINLOG_ERR_INVALID_ARGUMENT`, as for a file that is no public key, or a
/// library built without signing).
#[no_mangle]
pub extern "C" fn binlog_verify_trust(
    v: *mut binlog_verify,
    key_path: *const c_char,
) -> binlog_result {
    update(v, "verify", |v| {
        let path = unsafe { c_path(key_path, "key_path") }?;
        if v.segments_done > 0 || !v.pending.is_empty() {
            return invalid("binlog_verify_trust after binlog_verify_next");
        }
        // The key read first: a verification that fails to take it is
        // left as it was.
        #[cfg(feature = "sign")]
        {
            let key = crate::sign::PublicKey::from_file(path)?;
            v.segments = std::mem::take(&mut v.segments).trusting(key);
            Ok(())
        }
        #[cfg(not(feature = "sign"))]
        Err(without_signing(path, ()))
    })
}

/// Checks a log's newest segments against its signed head in the file at
/// `head_path` (a copy of `<log>.head` kept where the writer's host cannot
/// change it): a head signed by another key is `BINLOG_FINDING_OTHER_KEY`,
/// one whose signature does not verify `BINLOG_FINDING_BAD_SIGNATURE`, one
/// naming a segment the log does not hold `BINLOG_FINDING_CUT_OFF`. Called
/// after `binlog_verify_trust` and before the first `binlog_verify_next`
/// (else `BINLOG_ERR_INVALID_ARGUMENT`, as for a file that is no signed
/// head).
#[no_mangle]
pub extern "C" fn binlog_verify_head(
    v: *mut binlog_verify,
    head_path: *const c_char,
) -> binlog_result {
    update(v, "verify", |v| {
        let path = unsafe { c_path(head_path, "head_path") }?;
        if v.segments_done > 0 || !v.pending.is_empty() {
            return invalid("binlog_verify_head after binlog_verify_next");
        }
        #[cfg(feature = "sign")]
        return v.segments.with_head(path).map(drop).map_err(Into::into);
        #[cfg(not(feature = "sign"))]
        Err(without_signing(path, ()))
    })
}

/// Fills `*out` with the next finding, in file order, segment by segment (at
/// most `BINLOG_VERIFY_MAX_FINDINGS` of one, then a
/// `BINLOG_FINDING_NOT_LISTED` counting the rest), then, for a log, one
/// about its manifest if unusable (`BINLOG_FINDING_MANIFEST_DAMAGED`,
/// `BINLOG_FINDING_MANIFEST_UNUSED` or `BINLOG_FINDING_UNREADABLE`);
/// `BINLOG_END` (`*out` untouched) once all is verified. A clean sealed
/// segment gives none.
#[no_mangle]
pub extern "C" fn binlog_verify_next(
    v: *mut binlog_verify,
    out: *mut binlog_finding,
) -> binlog_result {
    call(|| {
        let v = unsafe { handle_mut(v, "verify") }?;
        need_out(out)?;
        while v.pending.is_empty() {
            let Some(rep) = v.segments.next() else {
                return Ok(BINLOG_END);
            };
            v.segments_done += u64::from(!rep.manifest);
            v.records += rep.records;
            let not_listed = rep.not_listed();
            v.pending.extend(rep.findings);
            v.pending.extend(not_listed);
        }
        let f = v.pending.pop_front().expect("not empty");
        v.location = c_string(&f.location);
        v.message = CString::new(f.message.as_bytes()).unwrap_or_default();
        let c = binlog_finding {
            kind: kind_code(f.kind),
            location: v.location.as_ptr(),
            has_offset: f.offset.is_some(),
            offset: f.offset.unwrap_or(0),
            len: f.len,
            has_seq: f.from_seq.is_some() && f.to_seq.is_some(),
            from_seq: f.from_seq.unwrap_or(0),
            to_seq: f.to_seq.unwrap_or(0),
            repair: repair_code(f.repair),
            damage: f.is_damage(),
            message: v.message.as_ptr(),
        };
        unsafe { done(out, c) }
    })
}

/// The segments verified so far and the valid records they hold (after
/// `BINLOG_END`: of the whole path; a log's manifest is no segment).
/// Either output may be NULL.
#[no_mangle]
pub extern "C" fn binlog_verify_counts(
    v: *mut binlog_verify,
    segments: *mut u64,
    records: *mut u64,
) -> binlog_result {
    assign(v, "verify", |v| unsafe {
        put(segments, v.segments_done);
        put(records, v.records);
    })
}

/// Frees the handle and the strings it gave out; NULL is accepted.
#[no_mangle]
pub extern "C" fn binlog_verify_free(v: *mut binlog_verify) {
    unsafe { free(v) }
}

/// The name of finding kind `kind` as `binlog verify` names it (e.g.
/// "torn-tail"; the `kind` of a `--json` issue), a static NUL-terminated
/// string; NULL for a number that is no finding kind. Thread-safe.
#[no_mangle]
pub extern "C" fn binlog_finding_kind_name(kind: u32) -> *const c_char {
    FindingKind::from_number(kind).map_or(std::ptr::null(), |k| k.c_name().as_ptr())
}

/// The name of repair action `action` (e.g. "cut-torn-tail"), as a static
/// NUL-terminated string; NULL for a number that is no repair action.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn binlog_repair_action_name(action: u32) -> *const c_char {
    RepairAction::from_number(action).map_or(std::ptr::null(), |a| a.c_name().as_ptr())
}

/// The error of a call that signs or verifies signatures (given `_`), in
/// a library built without them.
#[cfg(not(feature = "sign"))]
pub(super) fn without_signing<T>(path: &std::path::Path, _: T) -> Failure {
    let what = "this build of libbinlog cannot sign or verify signatures (cargo feature `sign`)";
    Error::file(ErrorKind::InvalidArgument, path, what).into()
}

fn kind_code(k: FindingKind) -> binlog_finding_kind {
    // SAFETY: the numbers of binlog_finding_kind, one for each kind from 1
    // (tests below).
    unsafe { c_enum(k as u32, 1..=FindingKind::ALL.len() as u32) }
}

fn repair_code(a: RepairAction) -> binlog_repair_action {
    // SAFETY: the numbers of binlog_repair_action (tests below).
    unsafe { c_enum(a as u32, 0..=3) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::boundary::enum_names;

    #[test]
    fn kinds_and_repairs_are_the_c_values_of_their_names() {
        enum_names::check(FindingKind::ALL, |k| kind_code(*k), "BINLOG_FINDING_");
        enum_names::check(RepairAction::ALL, |a| repair_code(*a), "BINLOG_REPAIR_");
    }
}
