//! Which parts of a CRC-valid seal a reader may trust. Checksums show a
//! seal was written whole, not that a writer wrote it truthfully: a hostile
//! or miswritten seal with valid checksums must not make a reader return
//! wrong records. These checks run once (at open, or at a first seek; for
//! a remote object, some once the bytes they read are fetched anyway: see
//! `read_seals_when_held`) and cost no scan; a seal or sparse index that
//! fails one is not used, and the reader scans instead.

use super::SegmentSource;
use crate::format::seal::{self, SealDirectory, SparseEntry, SEAL_BEGIN_LEN, SPARSE_ENTRY_LEN};
use crate::format::{frame, FRAME_HEADER_LEN};
use std::borrow::Cow;

/// The seal of a segment (its `original` bytes), read once, if usable:
/// the directory as `read_bounding_seal` returns it, if it passes
/// `seal::read_seal`, its counts agree with its sequence numbers and its
/// type table names the types as the records that define them do
/// (`usable`).
///
/// The seal's parts are read with pread, not through the mapping (see
/// `map_file`): a seal already cut reads short: none.
pub(crate) fn read_seal(
    original: &dyn SegmentSource,
    data_start: usize,
    first_seq: u64,
) -> Option<SealDirectory> {
    read_bounding_seal(original, data_start).filter(|d| usable(original, data_start, first_seq, d))
}

/// `(usable, bounding)`: `read_seal`'s answer, or else the bounding seal
/// (one of them `None`); for a segment whose bytes are not all at hand (a
/// remote object's: each read elsewhere is a GET), if `defer`. If the checks of
/// `usable` would read bytes not held (the `SEAL_BEGIN` frame, a
/// type's first offset), and the records the segment starts with, held,
/// define every type the directory names with records, by the names it
/// gives them (`names_defined_as_named`), the directory is returned as
/// usable with `true`: the checks were put off, and `usable` makes them.
/// Otherwise (and always without `defer`) `read_seal`'s answer, with
/// `false`.
///
/// Why that is enough to read by until then: the directory is intact, its
/// counts agree and it names every type as the record that defines it.
/// What is left unproved is where the seal's parts say they are, and those
/// are used through checks of their own (a sparse entry must lead to its
/// record; every record's CRC and sequence number are checked), so no
/// record is returned differently from what its writer wrote. The checks
/// put off decide, once made, at the end of the records and before a type
/// filter reads through the per-type index.
pub(crate) fn read_seals_when_held(
    original: &dyn SegmentSource,
    data_start: usize,
    first_seq: u64,
    defer: bool,
) -> (Option<SealDirectory>, Option<SealDirectory>, bool) {
    let bounding = read_bounding_seal(original, data_start);
    let unheld = |d: &&SealDirectory| defer && !checks_held(original, d);
    if let Some(d) = bounding.as_ref().filter(unheld) {
        if counts_agree(d, first_seq) && names_defined_as_named(original, data_start, first_seq, d)
        {
            return (bounding, None, true);
        }
    }
    match bounding {
        Some(d) if usable(original, data_start, first_seq, &d) => (Some(d), None, false),
        bounding => (None, bounding, false),
    }
}

/// Whether every byte the checks of `usable` read at the seal's end (the
/// `SEAL_BEGIN` frame, each type's first offset) is at hand.
fn checks_held(original: &dyn SegmentSource, d: &SealDirectory) -> bool {
    original.holds(d.records_end, SEAL_BEGIN_LEN as u64)
        && d.types
            .iter()
            .filter(|t| t.count > 0)
            .all(|t| original.holds(t.array_offset, 8))
}

/// How many types the directory `d` lists with records, if they all come
/// first (the types without records after every one of them, as a writer
/// writes them), and where its records end.
fn named_types(d: &SealDirectory) -> Option<(usize, usize)> {
    let named = d.types.iter().take_while(|t| t.count > 0).count();
    let end = usize::try_from(d.records_end).ok()?;
    let listed_last = d.types[named..].iter().all(|t| t.count == 0);
    listed_last.then_some((named, end))
}

/// Whether the records from `data_start` on (numbered from `first_seq`),
/// read only as far as they are at hand, define every type the directory
/// `d` lists with records, in id order, by the names `d` gives them, before
/// any record of a type not yet defined; the types `d` lists without
/// records all come after. Every record read is intact and numbered in
/// order. (A compressed segment's frames are cut after the record that
/// defines the last type, so the first frames usually hold them.)
fn names_defined_as_named(
    original: &dyn SegmentSource,
    data_start: usize,
    first_seq: u64,
    d: &SealDirectory,
) -> bool {
    let Some((named, end)) = named_types(d) else {
        return false;
    };
    let (mut at, mut seq, mut defined) = (data_start, first_seq, 0);
    while defined < named {
        let Some(total) = held_frame_len(original, at, end) else {
            return false;
        };
        let mut defines = false;
        let in_order = original.check_record(at, end, |r| {
            let id = r.type_id as usize;
            defines = r.defines.is_some();
            r.seq == seq
                && match r.defines {
                    Some(name) => id == defined && d.types[id].name.as_bytes() == name,
                    None => id < defined,
                }
        });
        if !in_order {
            return false;
        }
        defined += usize::from(defines);
        (at, seq) = (at + total, seq + 1);
    }
    true
}

/// The length of the frame at `at` (below `end`), if its bytes are at hand.
fn held_frame_len(original: &dyn SegmentSource, at: usize, end: usize) -> Option<usize> {
    if at.checked_add(FRAME_HEADER_LEN)? > end
        || !original.holds(at as u64, FRAME_HEADER_LEN as u64)
    {
        return None;
    }
    let (body, _) = frame::frame_header(&original.read_part(at as u64, FRAME_HEADER_LEN)?, 0)?;
    let total = FRAME_HEADER_LEN.checked_add(body as usize)?;
    (at.checked_add(total)? <= end && original.holds(at as u64, total as u64)).then_some(total)
}

/// Whether the directory `d` (its trailer and directory frame intact) is
/// a usable seal: its `SEAL_BEGIN` frame agrees (`seal::read_seal_from`),
/// and it passes the checks `read_seal` makes.
pub(crate) fn usable(
    original: &dyn SegmentSource,
    data_start: usize,
    first_seq: u64,
    d: &SealDirectory,
) -> bool {
    seal::seal_begin_agrees(d, part_reader(original))
        && counts_agree(d, first_seq)
        && types_defined_as_named(original, data_start, d)
}

/// `original`'s bytes `at..at + n`, as `seal::read_seal_from` reads them.
fn part_reader<'o>(
    original: &'o dyn SegmentSource,
) -> impl Fn(usize, usize) -> Option<Cow<'static, [u8]>> + 'o {
    |at, n| original.read_part(at as u64, n).map(Cow::Owned)
}

/// The directory of a seal that is not usable but whose trailer and
/// directory frame are intact (`seal::read_directory_from`): it bounds the
/// records. Read as `read_seal` reads.
pub(crate) fn read_bounding_seal(
    original: &dyn SegmentSource,
    data_start: usize,
) -> Option<SealDirectory> {
    seal::read_directory_from(original.len(), data_start, part_reader(original))
}

/// Whether the directory's record count is what its sequence numbers say:
/// a sealed segment of n records holds `first_seq ..= first_seq + n - 1`.
/// A directory that counts fewer records leaves some out of its type table
/// or arrays: a seek or a filtered read through it would miss them.
fn counts_agree(d: &SealDirectory, first_seq: u64) -> bool {
    match d.record_count {
        0 => true,
        n => d.first_seq == first_seq && d.last_seq.checked_sub(d.first_seq) == Some(n - 1),
    }
}

/// Whether the first record of each type in the seal's directory (the
/// first entry of its offset array) defines that type, with the id and
/// name the directory gives it: a reader names records by the directory,
/// so a seek past the defining records would otherwise label them by a
/// CRC-valid directory that lies. One record per type: the open stays O(1).
///
/// Types are defined in id order, each by the first record of its type:
/// type 0's is the first record (at `data_start`), each type's first
/// record comes after the one before it, and types without records follow
/// every type with records.
///
/// A first entry that is not an intact record defining its type is no
/// proof of the names, whatever the reason (damage included): the segment
/// is then read by a scan, which reports any damage where it is.
fn types_defined_as_named(
    original: &dyn SegmentSource,
    data_start: usize,
    d: &SealDirectory,
) -> bool {
    let Some((named, end)) = named_types(d) else {
        return false;
    };
    // Where the previous type's first record is (none yet: the records'
    // start, which type 0's must be).
    let mut prev: Option<usize> = None;
    d.types[..named].iter().enumerate().all(|(id, t)| {
        let first = original.read_u64(t.array_offset);
        let Some(at) = first.and_then(|o| usize::try_from(o).ok()) else {
            return false;
        };
        let in_order = prev.map_or(at == data_start, |p| at > p);
        prev = Some(at);
        in_order
            && original.check_record(at, end, |r| {
                r.type_id as usize == id && r.defines == Some(t.name.as_bytes())
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
pub(crate) fn sparse_sound(
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
            // The first entry's number is at least the header's, each
            // later one's above the one before it.
            let floor = seq.saturating_add(u64::from(!first));
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
