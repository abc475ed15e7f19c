//! Rewriting a segment's seal with valid CRCs after changing its parts (a
//! seal a buggy writer could leave), for the tests of readers that must not
//! trust it blindly (tests/it/hostile_seal.rs).

use binlog::format::seal::{
    encode_seal_begin, read_seal, SealDirectory, SparseEntry, Trailer, SPARSE_ENTRY_LEN,
};
use binlog::Reader;
use std::path::Path;

/// The parts of a seal, to change and write back with valid CRCs.
pub struct Seal {
    pub dir: SealDirectory,
    pub arrays: Vec<Vec<u64>>,
    pub sparse: Vec<SparseEntry>,
}

/// Each type's offset array in a sealed segment's `bytes`, as the seal
/// `dir` places them.
pub fn type_arrays(bytes: &[u8], dir: &SealDirectory) -> Vec<Vec<u64>> {
    dir.types
        .iter()
        .map(|t| {
            let at = t.array_offset as usize;
            u64s(&bytes[at..at + 8 * t.count as usize])
        })
        .collect()
}

pub fn u64s(b: &[u8]) -> Vec<u64> {
    b.chunks(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// Rewrites the seal of the segment at `path` after `change`, with every
/// CRC (arrays, sparse index, directory, trailer) valid for the new bytes:
/// what a buggy writer could leave.
pub fn rewrite_seal(path: &Path, change: impl FnOnce(&mut Seal)) {
    let bytes = std::fs::read(path).unwrap();
    let data_start = Reader::open(path).unwrap().data_start() as usize;
    let dir = read_seal(&bytes, data_start).expect("sealed");
    let arrays = type_arrays(&bytes, &dir);
    let at = dir.sparse_offset as usize;
    let sparse = bytes[at..at + SPARSE_ENTRY_LEN * dir.sparse_count as usize]
        .chunks(SPARSE_ENTRY_LEN)
        .map(|c| SparseEntry::decode(c).unwrap())
        .collect();
    let mut s = Seal {
        dir,
        arrays,
        sparse,
    };
    change(&mut s);
    let records_end = s.dir.records_end as usize;
    let mut out = bytes[..records_end].to_vec();
    out.extend(encode_seal_begin(s.dir.record_count));
    for (t, a) in s.dir.types.iter_mut().zip(&s.arrays) {
        let raw: Vec<u8> = a.iter().flat_map(|o| o.to_le_bytes()).collect();
        t.array_offset = out.len() as u64;
        t.count = a.len() as u64;
        t.array_crc = crc32fast::hash(&raw);
        out.extend(raw);
    }
    s.dir.record_count = s.dir.types.iter().map(|t| t.count).sum();
    let mut raw = Vec::new();
    for e in &s.sparse {
        e.encode(&mut raw);
    }
    s.dir.sparse_offset = out.len() as u64;
    s.dir.sparse_count = s.sparse.len() as u64;
    s.dir.sparse_crc = crc32fast::hash(&raw);
    out.extend(raw);
    // The SEAL_BEGIN frame holds the count too.
    out[records_end..records_end + 17].copy_from_slice(&encode_seal_begin(s.dir.record_count));
    let dir_offset = out.len() as u64;
    let dir_len = s.dir.encode_frame(&mut out) as u32;
    out.extend_from_slice(
        &Trailer {
            records_end: records_end as u64,
            dir_offset,
            dir_len,
        }
        .encode(),
    );
    std::fs::write(path, &out).unwrap();
    assert!(
        read_seal(&out, data_start).is_some(),
        "the rewritten seal passes its CRCs"
    );
}

/// Rewrites the seal of the segment at `path` to say its records end at
/// `to` (its directory and trailer, CRCs valid), every byte else kept: a
/// directory that lies about where the records end, what a buggy writer
/// could leave. `to` before a record leaves a valid record right there.
pub fn move_records_end(path: &Path, to: u64) {
    let mut bytes = std::fs::read(path).unwrap();
    let data_start = Reader::open(path).unwrap().data_start() as usize;
    let mut dir = read_seal(&bytes, data_start).expect("sealed");
    let len = bytes.len();
    let trailer_at = len - binlog::format::seal::TRAILER_LEN;
    let dir_offset = u64::from_le_bytes(bytes[trailer_at + 8..trailer_at + 16].try_into().unwrap());
    dir.records_end = to;
    let mut frame = Vec::new();
    let dir_len = dir.encode_frame(&mut frame) as u32;
    let at = dir_offset as usize;
    assert_eq!(
        at + frame.len(),
        trailer_at,
        "the directory keeps its length"
    );
    bytes[at..trailer_at].copy_from_slice(&frame);
    let trailer = Trailer {
        records_end: to,
        dir_offset,
        dir_len,
    };
    bytes[trailer_at..].copy_from_slice(&trailer.encode());
    std::fs::write(path, &bytes).unwrap();
    let read = |at: usize, n: usize| bytes.get(at..at + n).map(std::borrow::Cow::Borrowed);
    let bound = binlog::format::seal::read_directory_from(len, data_start, read);
    assert_eq!(
        bound.map(|d| d.records_end),
        Some(to),
        "an intact directory"
    );
}

/// `move_records_end` to `to`, the offset of a record frame, whose body
/// length is then set to 0xFFFFFFF0: a length that runs past the end of
/// the segment. Returns the file's bytes.
pub fn move_records_end_to_a_length_past_the_end(path: &Path, to: u64) -> Vec<u8> {
    move_records_end(path, to);
    let mut bytes = std::fs::read(path).unwrap();
    let at = to as usize;
    bytes[at..at + 4].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    std::fs::write(path, &bytes).unwrap();
    bytes
}
