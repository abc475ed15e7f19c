//! Which parts of a CRC-valid seal a reader may trust. Checksums show a
//! seal was written whole, not that a writer wrote it truthfully: a hostile
//! or miswritten seal with valid checksums must not make a reader return
//! wrong records. These checks run once (at open, or at a first seek) and
//! cost no scan; a seal or sparse index that fails one is not used, and
//! the reader scans instead.

use super::original::Original;
use crate::format::frame::{self, FrameAt, KIND_RECORD};
use crate::format::seal::{self, SealDirectory, SparseEntry, SPARSE_ENTRY_LEN};
use std::borrow::Cow;

/// The seal of a segment (its `original` bytes), if it passes
/// `seal::read_seal`, its counts agree with its sequence numbers and its
/// type table names the types as the records that define them do.
///
/// The seal's parts of a plain segment are read from its file with pread,
/// not through the reader's mapping (only records are read there): a writer that reopens the
/// segment cuts a torn tail (where an unsealed segment's trailer would be)
/// off at any moment, and one that reopens a standalone segment its seal,
/// and a mapped page wholly past the end of the file raises SIGBUS. A seal
/// already cut reads short: none.
pub(super) fn read_seal(
    original: &Original<'_>,
    data_start: usize,
    first_seq: u64,
) -> Option<SealDirectory> {
    read_bounding_seal(original, data_start).filter(|d| usable(original, data_start, first_seq, d))
}

/// The seal of a segment (see `read_seal`), read once: `(usable, bounding)`,
/// the directory as `read_seal` returns it or else as `read_bounding_seal`
/// does (one of them `None`).
pub(super) fn read_seals(
    original: &Original<'_>,
    data_start: usize,
    first_seq: u64,
) -> (Option<SealDirectory>, Option<SealDirectory>) {
    match read_bounding_seal(original, data_start) {
        Some(d) if usable(original, data_start, first_seq, &d) => (Some(d), None),
        bounding => (None, bounding),
    }
}

/// Whether the directory `d` (its trailer and directory frame intact) is
/// a usable seal: its `SEAL_BEGIN` frame agrees (`seal::read_seal_from`),
/// and it passes the checks of `read_seal`.
fn usable(original: &Original<'_>, data_start: usize, first_seq: u64, d: &SealDirectory) -> bool {
    seal::seal_begin_agrees(d, part_reader(original))
        && counts_agree(d, first_seq)
        && types_defined_as_named(original, data_start, d)
}

/// `original`'s bytes `at..at + n`, as `seal::read_seal_from` reads them.
fn part_reader<'o>(
    original: &'o Original<'_>,
) -> impl Fn(usize, usize) -> Option<Cow<'static, [u8]>> + 'o {
    |at, n| original.read_part(at as u64, n).map(Cow::Owned)
}

/// The seal of the segment `bytes` (its records starting at `data_start`,
/// numbered from `first_seq`) if a reader may use it: the checks of
/// docs/FORMAT.md section 9, as `Reader::open` makes them. For tools that
/// classify a segment as the reader does (`binlog verify`).
pub fn usable_seal(bytes: &[u8], data_start: usize, first_seq: u64) -> Option<SealDirectory> {
    read_seal(&Original::Bytes(bytes), data_start, first_seq)
}

/// The directory of a seal that is not usable but whose trailer and
/// directory frame are intact (`seal::read_directory_from`): it bounds the
/// records. Read as `read_seal` reads.
pub(super) fn read_bounding_seal(
    original: &Original<'_>,
    data_start: usize,
) -> Option<SealDirectory> {
    seal::read_directory_from(original.len(), data_start, part_reader(original))
}

/// Whether the directory's record count is what its sequence numbers say:
/// records are numbered consecutively from the header's `first_seq`, so a
/// sealed segment of n records holds `first_seq ..= first_seq + n - 1`.
/// (The type counts add up to the record count, checked by
/// `seal::read_seal`.) A directory that counts fewer records leaves some
/// out of its type table or arrays: a seek or a filtered read through it
/// would miss them.
fn counts_agree(d: &SealDirectory, first_seq: u64) -> bool {
    match d.record_count {
        0 => true,
        n => d.first_seq == first_seq && d.last_seq.checked_sub(d.first_seq) == Some(n - 1),
    }
}

/// Whether the first record of each type in the seal's directory (the
/// first entry of its offset array) defines that type, with the id and
/// name the directory gives it. A reader names records by the directory,
/// so a seek that lands after the defining records would otherwise label
/// them by a CRC-valid directory that lies. One record per type, its CRC
/// checked: the open stays O(1) in the number of records.
///
/// Types are defined in id order, each by the first record of its type:
/// so type 0 is defined by the first record (at `data_start`), each type's
/// first record comes after the one before it, and a type without records
/// can only follow every type with records (a later type's definition
/// means the earlier ones were defined, by records). A directory that
/// breaks one of these lists records under the wrong type.
///
/// What is not checked is damage: a first entry that is not an intact
/// record that defines its type is no proof of the names, whatever the
/// reason, and the segment is read by a scan (which reports any damage
/// where it is). Forgiving such an entry as damage would let a lying
/// directory through: its first entries could point into the middle of a
/// record or past the records, or list a type without records.
fn types_defined_as_named(original: &Original<'_>, data_start: usize, d: &SealDirectory) -> bool {
    let Ok(end) = usize::try_from(d.records_end) else {
        return false;
    };
    // Where the previous type's first record is (none yet: the records'
    // start, which type 0's must be).
    let mut prev: Option<usize> = None;
    let mut ended = false;
    d.types.iter().enumerate().all(|(id, t)| {
        if t.count == 0 {
            ended = true;
            return true;
        }
        if ended {
            return false;
        }
        let first = original
            .read_part(t.array_offset, 8)
            .map(|b| u64::from_le_bytes(b[..].try_into().expect("8 bytes")));
        let Some(at) = first.and_then(|o| usize::try_from(o).ok()) else {
            return false;
        };
        let in_order = match prev {
            None => at == data_start,
            Some(p) => at > p,
        };
        prev = Some(at);
        in_order
            && original.check_frame(at, end, |f| match f {
                FrameAt::Frame {
                    kind: KIND_RECORD,
                    body,
                    ..
                } => frame::decode_record(body).is_some_and(|r| {
                    r.type_id as usize == id && r.defines == Some(t.name.as_bytes())
                }),
                _ => false,
            })
    })
}

/// Whether a sparse index (`bytes`, its CRC checked) is what a writer
/// writes for the seal `d` (docs/FORMAT.md section 8.3): entries inside the
/// records `[data_start, end)`, increasing in offset by at least a record
/// frame and in sequence number by at most one per record frame between
/// them (sequence numbers are consecutive), starting at the header's
/// `first_seq`; `max_ts_before` never decreasing, `i64::MIN` for the first
/// record and between the first record's and the largest timestamp after
/// it. A seek through an index that fails would land on the wrong record.
/// One pass, in the pass that checks the CRC.
pub(super) fn sparse_sound(
    bytes: &[u8],
    d: &SealDirectory,
    data_start: u64,
    end: u64,
    first_seq: u64,
) -> bool {
    let min_frame = frame::MIN_RECORD_FRAME as u64;
    let mut prev = (data_start, first_seq, i64::MIN);
    let mut first = true;
    bytes.chunks_exact(SPARSE_ENTRY_LEN).all(|c| {
        let e = SparseEntry::decode(c).expect("24 bytes");
        let (off, seq, ts) = prev;
        let ok = if first && e.offset == data_start {
            e.seq == first_seq && e.max_ts_before == i64::MIN
        } else {
            let room = e.offset.checked_sub(off).map(|n| n / min_frame);
            let steps = e.seq.checked_sub(seq);
            let floor = if first {
                first_seq
            } else {
                seq.saturating_add(1)
            };
            e.offset < end
                && room.is_some_and(|n| n >= u64::from(!first))
                && e.seq >= floor
                && steps.is_some_and(|s| room.is_some_and(|n| s <= n))
                && e.max_ts_before >= ts
                && e.max_ts_before >= d.first_ts
                && e.max_ts_before <= d.max_ts
        };
        prev = (e.offset, e.seq, e.max_ts_before);
        first = false;
        ok
    })
}
