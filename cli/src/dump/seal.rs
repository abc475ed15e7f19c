//! The parts of a valid seal, after the records: its SEAL_BEGIN frame, the
//! per-type offset arrays, the sparse index, the directory and the
//! trailer.

use super::line::{DumpOutput, Field};
use crate::error::CliResult;
use binlog::codec::{
    crc32, frame_header, seal_begin_count, SealDirectory, SparseEntry, Trailer, SEAL_BEGIN_LEN,
    SPARSE_ENTRY_LEN, TRAILER_LEN,
};
use serde_json::{json, Value};

pub(super) fn dump_seal(d: &mut DumpOutput<'_>, map: &[u8], s: &SealDirectory) -> CliResult<()> {
    // The seal was read and checked through these same decoders.
    let re = s.records_end as usize;
    let (_, begin_stored) = frame_header(map, re).expect("the seal was read");
    let count = seal_begin_count(&map[re..]).expect("the seal was read");
    let fields = vec![
        ("crc", Field::Crc(begin_stored, begin_stored)),
        ("record_count", Field::Unsigned(count)),
    ];
    d.line(re as u64, "seal-begin", SEAL_BEGIN_LEN as u64, fields)?;
    dump_type_arrays(d, map, s)?;
    dump_sparse_index(d, map, s)?;
    dump_directory_and_trailer(d, map, s)
}

fn dump_type_arrays(d: &mut DumpOutput<'_>, map: &[u8], s: &SealDirectory) -> CliResult<()> {
    for (i, t) in s.types.iter().enumerate() {
        let at = t.array_offset as usize;
        let bytes = &map[at..at + 8 * t.count as usize];
        let first: Vec<(String, Value)> = bytes
            .chunks(8)
            .take(4)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .map(|o| (o.to_string(), json!(o)))
            .collect();
        let fields = vec![
            ("type_id", Field::Unsigned(i as u64)),
            ("type", Field::Quoted(t.name.clone())),
            ("entries", Field::Unsigned(t.count)),
            ("crc_ok", Field::OkBad(crc32(bytes) == t.array_crc)),
            ("first", Field::Entries(first, t.count > 4)),
        ];
        d.line(at as u64, "type-array", bytes.len() as u64, fields)?;
    }
    Ok(())
}

fn dump_sparse_index(d: &mut DumpOutput<'_>, map: &[u8], s: &SealDirectory) -> CliResult<()> {
    let sp = s.sparse_offset as usize;
    let sparse = &map[sp..sp + SPARSE_ENTRY_LEN * s.sparse_count as usize];
    let first: Vec<(String, Value)> = sparse
        .chunks(SPARSE_ENTRY_LEN)
        .take(3)
        .filter_map(SparseEntry::decode)
        .map(|e| {
            let text = format!("seq {}@{}", e.seq, e.offset);
            (text, json!({"seq": e.seq, "offset": e.offset}))
        })
        .collect();
    let fields = vec![
        ("entries", Field::Unsigned(s.sparse_count)),
        ("crc_ok", Field::OkBad(crc32(sparse) == s.sparse_crc)),
        ("first", Field::Entries(first, s.sparse_count > 3)),
    ];
    d.line(sp as u64, "sparse-index", sparse.len() as u64, fields)
}

fn dump_directory_and_trailer(d: &mut DumpOutput, map: &[u8], s: &SealDirectory) -> CliResult<()> {
    let tr = Trailer::decode(map, 0).expect("the seal was read through it");
    let dir = tr.dir_offset as usize;
    let (_, dir_stored) = frame_header(map, dir).expect("the seal was read");
    let types: Vec<(String, u64)> = s.types.iter().map(|t| (t.name.clone(), t.count)).collect();
    let fields = vec![
        ("crc", Field::Crc(dir_stored, dir_stored)),
        ("record_count", Field::Unsigned(s.record_count)),
        ("first_seq", Field::Unsigned(s.first_seq)),
        ("last_seq", Field::Unsigned(s.last_seq)),
        ("first_ts", Field::Time(s.first_ts)),
        ("last_ts", Field::Time(s.last_ts)),
        ("min_ts", Field::Time(s.min_ts)),
        ("max_ts", Field::Time(s.max_ts)),
        ("records_end", Field::Unsigned(s.records_end)),
        ("types", Field::TypeCounts(types)),
    ];
    d.line(dir as u64, "seal-dir", tr.dir_len as u64, fields)?;
    let t0 = map.len() - TRAILER_LEN;
    let stored = Trailer::stored_crc(&map[t0..]).expect("the seal was read");
    let fields = vec![
        ("records_end", Field::Unsigned(tr.records_end)),
        ("dir_offset", Field::Unsigned(tr.dir_offset)),
        ("dir_len", Field::Unsigned(tr.dir_len as u64)),
        ("crc", Field::Crc(stored, stored)),
        ("magic", Field::Bare("BLGSEAL1".into())),
    ];
    d.line(t0 as u64, "trailer", TRAILER_LEN as u64, fields)
}
