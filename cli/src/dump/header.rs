//! The header line of a dump, or what is wrong with the header and where
//! records start after it.

use super::line::{DumpOutput, Field};
use crate::error::CliResult;
use binlog::codec::{crc32, find_next_record};
use binlog::SegmentHeader;
use std::path::Path;

/// Dumps the header: where records start, and the header if it is sound;
/// None when it is not and no record follows it.
pub(super) fn dump_header(
    d: &mut DumpOutput<'_>,
    map: &[u8],
    path: &Path,
) -> CliResult<Option<(usize, Option<SegmentHeader>)>> {
    let e = match SegmentHeader::decode(map, path) {
        Ok((h, len)) => {
            let stored = u32::from_le_bytes(map[len - 4..len].try_into().expect("4 bytes"));
            let fields = vec![
                ("version", Field::Bare(format!("{}.{}", h.major, h.minor))),
                ("crc", Field::Crc(stored, crc32(&map[..len - 4]))),
                ("created", Field::Time(h.created_ns)),
                ("segment_no", Field::Unsigned(h.segment_no)),
                ("first_seq", Field::Unsigned(h.first_seq)),
                ("log", Field::Quoted(h.log_name.clone())),
                ("content_type", Field::Quoted(h.content_type.clone())),
                ("writer", Field::Quoted(h.writer.clone())),
                ("params", Field::Pairs(h.params.clone())),
            ];
            d.line(0, "header", len as u64, fields)?;
            return Ok(Some((len, Some(h))));
        }
        Err(e) => e,
    };
    let error = vec![("error", Field::Quoted(e.message().to_string()))];
    d.line(0, "bad-header", map.len().min(64) as u64, error)?;
    let Some(q) = find_next_record(map, 0, None) else {
        return Ok(None);
    };
    let next = vec![("next_record", Field::Unsigned(q as u64))];
    d.line(0, "skip", q as u64, next)?;
    Ok(Some((q, None)))
}
