//! Opening a segment whose header fails its checks (`Reader::open_salvage`):
//! the records start at the first valid one after the header's fixed
//! fields, and a placeholder header takes what the fixed fields still say.
//! A compressed segment whose header frame does not decompress has no
//! fixed fields left: its records start at the first valid one after that
//! frame.

use super::frame_check::seq_at;
use super::{Damage, HeaderParts};
use crate::error::{ErrorKind, Result};
use crate::format::header::{self, SegmentHeader, FIXED_LEN};
use crate::format::{frame, FORMAT_MAJOR, MAX_HEADER_LEN};
use std::path::Path;

/// The segment's header, where its records start and the sequence number
/// of the first one, and the damaged regions met: with `salvage`, a header
/// that fails its checks is one (see `salvage_header`).
pub(super) fn decode_header(map: &[u8], path: &Path, salvage: bool) -> Result<HeaderParts> {
    match SegmentHeader::decode(map, path) {
        Ok(decoded) => Ok(intact(decoded)),
        Err(e) if salvage && e.kind() == ErrorKind::CorruptHeader => {
            let found = salvage_header(map).ok_or(e)?;
            Ok(with_header_damage(found))
        }
        Err(e) => Err(e),
    }
}

/// The parts of a segment whose header (`header`, its records from
/// `start`) passed its checks: numbered from its `first_seq`, no damage.
pub(super) fn intact((header, start): (SegmentHeader, usize)) -> HeaderParts {
    let first = header.first_seq;
    (header, start, first, Vec::new())
}

/// For a segment whose header fails its checks: the first valid record
/// after the fixed header fields (`first_record_after_header`: docs/FORMAT.md
/// 10.5), and a placeholder header. Also returns that record's sequence
/// number: the
/// placeholder header's `first_seq` is the header's own when the record
/// agrees with it and the bytes between the header and the record could
/// hold the records before it (lost with the header), else the record's.
pub(super) fn salvage_header(map: &[u8]) -> Option<(SegmentHeader, usize, u64)> {
    let (start, header_first) = first_record_after_header(map)?;
    let first_seq = seq_at(map, start)?;
    // Records lost with the header lay between its end (the header length
    // at offset 12, if plausible) and the record found.
    let header_len = header::stated_len(map).filter(|&n| n >= FIXED_LEN + 12 && n <= start);
    let lost_bytes = start - header_len.unwrap_or(start);
    let lost_from = lost_from(header_len.and(header_first), first_seq, lost_bytes);
    let header = SegmentHeader {
        major: bytes_at(map, 8).map_or(FORMAT_MAJOR, u16::from_le_bytes),
        minor: bytes_at(map, 10).map_or(0, u16::from_le_bytes),
        created_ns: bytes_at(map, 16).map_or(0, i64::from_le_bytes),
        segment_no: bytes_at(map, 24).map_or(0, u64::from_le_bytes),
        ..SegmentHeader::placeholder(lost_from)
    };
    Some((header, start, first_seq))
}

/// Where the first valid record after the header's fixed fields starts,
/// and the header's first sequence number if a record near it agrees with
/// it. That record is found by the number (a header's own bytes could
/// hold a frame), but a valid record before it that could precede it is
/// taken instead, the first such after the header's stated length where
/// that is plausible: the number may be damaged too, and a salvage never
/// drops a valid record silently. With no record agreeing,
/// the first valid one that ends within `UNNUMBERED_SEARCH` bytes.
fn first_record_after_header(map: &[u8]) -> Option<(usize, Option<u64>)> {
    let agreed = bytes_at(map, 32).and_then(|first| {
        let first = u64::from_le_bytes(first);
        let at = frame::find_next_record_after(map, FIXED_LEN, first)?;
        let seq = seq_at(map, at)?;
        // Not inside the header where its stated length is plausible: its
        // parameters' bytes could hold a frame.
        let from = header::stated_len(map)
            .filter(|&n| n >= FIXED_LEN + 12 && n <= at)
            .unwrap_or(FIXED_LEN);
        let before = frame::find_record_before(&map[..at], from, seq);
        Some((before.unwrap_or(at), Some(first)))
    });
    if agreed.is_some() {
        return agreed;
    }
    let limit = map.len().min(UNNUMBERED_SEARCH);
    frame::find_next_record(&map[..limit], FIXED_LEN, None).map(|start| (start, None))
}

/// How far into a file with a damaged header a record no number narrows
/// the search for may end: the largest header and 64 KiB (a first record
/// up to that size after it). Unnarrowed, the search checksums at every
/// position whose length field fits, so it is bounded.
const UNNUMBERED_SEARCH: usize = MAX_HEADER_LEN as usize + (64 << 10);

/// The first sequence number of records lost before the first record
/// found (`first_seq`) in the `lost_bytes` before it: `claimed` (the
/// header's or the seal's) if it could be, the records from it up to the
/// one found fitting those bytes, one per smallest frame at most; else
/// `first_seq`. A first number that would need more (or a record found
/// right at the header's end that is not numbered as the header says) is
/// damaged itself.
fn lost_from(claimed: Option<u64>, first_seq: u64, lost_bytes: usize) -> u64 {
    let room = (lost_bytes / frame::MIN_RECORD_FRAME) as u64;
    match claimed {
        Some(f) if f <= first_seq && first_seq - f <= room => f,
        _ => first_seq,
    }
}

/// The `N` bytes at `at` of the header's fixed fields, if the file has them.
fn bytes_at<const N: usize>(map: &[u8], at: usize) -> Option<[u8; N]> {
    map.get(at..at + N)?.try_into().ok()
}

/// The parts of a segment whose header was salvaged (`header`, its records
/// from `start` numbered from `seq`), the header a damaged region up to
/// there whose records are those the placeholder's `first_seq` counts.
pub(super) fn with_header_damage((header, start, seq): (SegmentHeader, usize, u64)) -> HeaderParts {
    let damage = Damage {
        offset: 0,
        resume_offset: start as u64,
        from_seq: header.first_seq,
        to_seq: seq,
    };
    (header, start, seq, vec![damage])
}

/// For a compressed segment whose header is lost (its frame does not
/// decompress): the first valid record in `bytes` (the segment's bytes
/// from original offset `base` on, at or after `from`, the end of the
/// header's frame), a placeholder header, and the record's original
/// offset and sequence number. The placeholder's `first_seq` is the
/// seal's (`seal_first`, if it survived) when the bytes from `from` to the
/// record could hold the records before the one found (lost with the
/// frames), else the record's.
#[cfg(feature = "compression")]
pub(super) fn salvage_lost_header(
    bytes: &[u8],
    base: usize,
    from: usize,
    seal_first: Option<u64>,
) -> Option<(SegmentHeader, usize, u64)> {
    let at = frame::find_next_record(bytes, 0, None)?;
    let first_seq = seq_at(bytes, at)?;
    let start = base + at;
    let lost_from = lost_from(seal_first, first_seq, start - from);
    Some((SegmentHeader::placeholder(lost_from), start, first_seq))
}
