//! Records as (sequence number, type, payload) triples: writing a segment
//! of given types, reading one back (to the end or the error that stopped
//! the reader), the frames a scan finds, and damage to a byte.

use binlog::{Options, Reader, Tail, Writer};
use std::path::{Path, PathBuf};

/// (seq, type, payload) of records, in the order written or read.
pub type Recs = Vec<(u64, String, Vec<u8>)>;

/// Writes a sealed segment of `types.len()` records, record i of type
/// `types[i]` with an 8-byte payload holding i.
pub fn write_types(path: &Path, types: &[&str], opts: Options) -> Recs {
    let w = Writer::open(path, opts).unwrap();
    let mut want = Vec::new();
    for (i, ty) in types.iter().enumerate() {
        let payload = (i as u64).to_le_bytes().to_vec();
        let seq = w.write_with(ty, &[], Some(i as i64), &payload).unwrap();
        want.push((seq, ty.to_string(), payload));
    }
    w.close().unwrap();
    want
}

/// Every record of `r` until the end, or the error that stopped it.
pub fn read_recs(r: &mut Reader) -> (Recs, Result<Tail, String>) {
    let mut got = Vec::new();
    loop {
        match r.next() {
            Ok(Some(rec)) => got.push((rec.seq, rec.type_name.to_string(), rec.payload.to_vec())),
            Ok(None) => return (got, Ok(r.tail())),
            Err(e) => return (got, Err(e.to_string())),
        }
    }
}

/// The records of `want` whose type is one of `names`.
pub fn only(want: &Recs, names: &[&str]) -> Recs {
    want.iter()
        .filter(|r| names.contains(&r.1.as_str()))
        .cloned()
        .collect()
}

/// (offset, frame length) of every record of a segment, by a scan.
pub fn frames(path: &Path) -> Vec<(u64, u64)> {
    let mut r = Reader::open(path).unwrap();
    let mut v = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        v.push((rec.offset, rec.frame_len));
    }
    v
}

/// Damages the byte at `at` (xor 0x5a).
pub fn flip_byte(path: &Path, at: u64) {
    let mut b = std::fs::read(path).unwrap();
    b[at as usize] ^= 0x5a;
    std::fs::write(path, b).unwrap();
}

/// The segment files of log `name` in `dir`, oldest first.
pub fn segment_paths(dir: &Path, name: &str) -> Vec<PathBuf> {
    binlog::log::segments::list(dir, name)
        .unwrap()
        .into_iter()
        .map(|s| s.path)
        .collect()
}
