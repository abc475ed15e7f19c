//! The seal, written when a segment is closed:
//!
//! ```text
//! records_end:  SEAL_BEGIN frame   body: kind u8, record_count u64
//!               per-type offset arrays: u64 offsets, type by type
//!               sparse index: (seq u64, offset u64, max_ts_before i64) entries
//! dir_offset:   SEAL_DIR frame     body: see SealDirectory::encode
//! file_len-32:  trailer            records_end u64, dir_offset u64,
//!                                  dir_len u32, crc32(previous 20 bytes) u32,
//!                                  TRAILER_MAGIC [8]
//! ```
//! A reader checks the trailer, then the directory frame's CRC; each offset
//! array and the sparse index carry their own CRC in the directory, checked
//! when they are used. Anything that fails falls back to a scan.

use super::chain::ChainBlock;
use super::cursor::Cursor;
use super::frame::{self, FrameAt, KIND_SEAL_BEGIN, KIND_SEAL_DIR};
pub use super::frame::{seal_begin_body_count, SEAL_BEGIN_LEN};
use super::varint;
use super::FRAME_HEADER_LEN;
use std::borrow::Cow;

pub const TRAILER_LEN: usize = 32;
pub const TRAILER_MAGIC: [u8; 8] = *b"BLGSEAL1";
/// Bytes of one sparse index entry.
pub const SPARSE_ENTRY_LEN: usize = 24;

/// One type's entry in the seal directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeEntry {
    pub name: String,
    /// Records of this type.
    pub count: u64,
    /// Bytes of those records' frames.
    pub bytes: u64,
    /// File offset of the type's u64 offset array (`count` entries).
    pub array_offset: u64,
    pub array_crc: u32,
}

/// A sparse index point: the record at `offset` has sequence number `seq`,
/// and every record before it has a timestamp of at most `max_ts_before`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SparseEntry {
    pub seq: u64,
    pub offset: u64,
    pub max_ts_before: i64,
}

impl SparseEntry {
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.seq.to_le_bytes());
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.max_ts_before.to_le_bytes());
    }

    pub fn decode(b: &[u8]) -> Option<SparseEntry> {
        let mut c = Cursor::new(b);
        Some(SparseEntry {
            seq: c.u64()?,
            offset: c.u64()?,
            max_ts_before: c.i64()?,
        })
    }
}

/// Summary and index locations of a sealed segment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SealDirectory {
    pub record_count: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    pub first_ts: i64,
    pub last_ts: i64,
    pub min_ts: i64,
    pub max_ts: i64,
    /// Offset where records end and the seal begins.
    pub records_end: u64,
    pub sparse_offset: u64,
    pub sparse_count: u64,
    pub sparse_crc: u32,
    pub types: Vec<TypeEntry>,
    /// A signed segment's chain block (section 8.6), after the types.
    pub chain: Option<ChainBlock>,
}

impl SealDirectory {
    /// Appends the SEAL_DIR frame.
    pub fn encode_frame(&self, out: &mut Vec<u8>) -> usize {
        let start = out.len();
        out.extend_from_slice(&[0u8; FRAME_HEADER_LEN]);
        out.push(KIND_SEAL_DIR);
        // The fixed fields, u64 and i64 alike eight little-endian bytes.
        let seqs = [self.record_count, self.first_seq, self.last_seq];
        let times = [self.first_ts, self.last_ts, self.min_ts, self.max_ts].map(|t| t as u64);
        let ends = [self.records_end, self.sparse_offset, self.sparse_count];
        for v in seqs.into_iter().chain(times).chain(ends) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.sparse_crc.to_le_bytes());
        varint::encode(self.types.len() as u64, out);
        for t in &self.types {
            varint::encode(t.name.len() as u64, out);
            out.extend_from_slice(t.name.as_bytes());
            for v in [t.count, t.bytes, t.array_offset] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.extend_from_slice(&t.array_crc.to_le_bytes());
        }
        if let Some(chain) = &self.chain {
            chain.encode(out);
        }
        frame::seal_frame(out, start)
    }

    /// Decodes a SEAL_DIR body (kind byte included). Offsets are checked
    /// against `records_end <= array/sparse ranges <= dir_offset`.
    pub fn decode(body: &[u8], dir_offset: u64) -> Option<SealDirectory> {
        let mut c = Cursor::new(body);
        if c.u8()? != KIND_SEAL_DIR {
            return None;
        }
        let mut d = SealDirectory {
            record_count: c.u64()?,
            first_seq: c.u64()?,
            last_seq: c.u64()?,
            first_ts: c.i64()?,
            last_ts: c.i64()?,
            min_ts: c.i64()?,
            max_ts: c.i64()?,
            records_end: c.u64()?,
            sparse_offset: c.u64()?,
            sparse_count: c.u64()?,
            sparse_crc: c.u32()?,
            ..SealDirectory::default()
        };
        let within = |off: u64, count: u64, each: u64| {
            count
                .checked_mul(each)
                .and_then(|n| off.checked_add(n))
                .is_some_and(|end| {
                    off >= d.records_end.saturating_add(SEAL_BEGIN_LEN as u64) && end <= dir_offset
                })
        };
        if !within(d.sparse_offset, d.sparse_count, SPARSE_ENTRY_LEN as u64) {
            return None;
        }
        let ntypes = c.varint()?;
        // Each entry takes at least 29 bytes: never trust the count alone.
        if ntypes > (c.remaining() / 29) as u64 {
            return None;
        }
        let mut total = 0u64;
        for _ in 0..ntypes {
            let t = TypeEntry {
                name: std::str::from_utf8(c.var_bytes()?).ok()?.to_owned(),
                count: c.u64()?,
                bytes: c.u64()?,
                array_offset: c.u64()?,
                array_crc: c.u32()?,
            };
            if !within(t.array_offset, t.count, 8) {
                return None;
            }
            total = total.checked_add(t.count)?;
            d.types.push(t);
        }
        if total != d.record_count {
            return None;
        }
        d.chain = ChainBlock::decode(c.rest());
        Some(d)
    }

    /// The sparse index's entries, its bytes read by `read(offset, len)`
    /// and kept if `keep` holds for them (its CRC, say); none if its length
    /// overflows, the read fails or `keep` refuses them.
    pub(crate) fn sparse_index<B: AsRef<[u8]>>(
        &self,
        read: impl FnOnce(u64, usize) -> Option<B>,
        keep: impl FnOnce(&[u8]) -> bool,
    ) -> Option<Vec<SparseEntry>> {
        let len = SPARSE_ENTRY_LEN.checked_mul(self.sparse_count.try_into().ok()?)?;
        let bytes = read(self.sparse_offset, len)?;
        let entries = bytes.as_ref().chunks_exact(SPARSE_ENTRY_LEN);
        keep(bytes.as_ref()).then(|| entries.filter_map(SparseEntry::decode).collect())
    }
}

/// The SEAL_BEGIN frame, which marks where records end.
pub fn encode_seal_begin(record_count: u64) -> Vec<u8> {
    let mut out = vec![0u8; FRAME_HEADER_LEN];
    out.push(KIND_SEAL_BEGIN);
    out.extend_from_slice(&record_count.to_le_bytes());
    frame::seal_frame(&mut out, 0);
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trailer {
    pub records_end: u64,
    pub dir_offset: u64,
    pub dir_len: u32,
}

impl Trailer {
    pub fn encode(&self) -> [u8; TRAILER_LEN] {
        let mut out = [0u8; TRAILER_LEN];
        out[0..8].copy_from_slice(&self.records_end.to_le_bytes());
        out[8..16].copy_from_slice(&self.dir_offset.to_le_bytes());
        out[16..20].copy_from_slice(&self.dir_len.to_le_bytes());
        let crc = crc32fast::hash(&out[0..20]);
        out[20..24].copy_from_slice(&crc.to_le_bytes());
        out[24..32].copy_from_slice(&TRAILER_MAGIC);
        out
    }

    /// Decodes the trailer at the end of `file` (the whole mapped segment)
    /// and checks that it is consistent with the file's length.
    pub fn decode(file: &[u8], data_start: usize) -> Option<Trailer> {
        let len = file.len();
        Trailer::decode_last(file.get(len.checked_sub(TRAILER_LEN)?..)?, len, data_start)
    }

    /// The CRC stored in the trailer's bytes `t`, unchecked.
    pub fn stored_crc(t: &[u8]) -> Option<u32> {
        Some(u32::from_le_bytes(t.get(20..24)?.try_into().ok()?))
    }

    /// `decode` of the trailer's bytes `t` of a file `len` bytes long.
    pub fn decode_last(t: &[u8], len: usize, data_start: usize) -> Option<Trailer> {
        if t.len() != TRAILER_LEN || len < TRAILER_LEN || t[24..32] != TRAILER_MAGIC {
            return None;
        }
        if crc32fast::hash(&t[0..20]) != Trailer::stored_crc(t)? {
            return None;
        }
        let mut c = Cursor::new(t);
        let tr = Trailer {
            records_end: c.u64()?,
            dir_offset: c.u64()?,
            dir_len: c.u32()?,
        };
        let end = tr.dir_offset.checked_add(tr.dir_len as u64)?;
        if tr.records_end < data_start as u64
            || tr.records_end.checked_add(SEAL_BEGIN_LEN as u64)? > tr.dir_offset
            || end != (len - TRAILER_LEN) as u64
        {
            return None;
        }
        Some(tr)
    }
}

/// Reads and checks the seal of a whole mapped segment: the trailer, the
/// SEAL_BEGIN frame and the directory. `None` if any part is missing or bad.
pub fn read_seal(file: &[u8], data_start: usize) -> Option<SealDirectory> {
    read_seal_from(file.len(), data_start, |at, n| {
        file.get(at..at.checked_add(n)?).map(Cow::Borrowed)
    })
}

/// `read_seal` of a segment `len` bytes long whose bytes `at..at + n`
/// `read(at, n)` returns (`None` if not all there), reading only the
/// trailer, the SEAL_BEGIN frame and the directory frame.
pub fn read_seal_from<'a>(
    len: usize,
    data_start: usize,
    mut read: impl FnMut(usize, usize) -> Option<Cow<'a, [u8]>>,
) -> Option<SealDirectory> {
    read_directory_from(len, data_start, &mut read).filter(|d| seal_begin_agrees(d, &mut read))
}

/// Whether the `SEAL_BEGIN` frame at `d.records_end` (read through `read`,
/// as `read_seal_from` reads) is intact and counts the records `d` counts.
pub fn seal_begin_agrees<'a>(
    d: &SealDirectory,
    mut read: impl FnMut(usize, usize) -> Option<Cow<'a, [u8]>>,
) -> bool {
    let begin = usize::try_from(d.records_end).ok();
    let bytes = begin.and_then(|at| read(at, SEAL_BEGIN_LEN));
    bytes.and_then(|b| seal_begin_count(&b)) == Some(d.record_count)
}

/// The directory of a segment `len` bytes long (see `read_seal_from`) if
/// its trailer and directory frame are intact and agree on where the
/// records end; the `SEAL_BEGIN` frame is not read. Such a seal bounds the
/// records (docs/FORMAT.md section 9) even if the rest fails its checks.
pub fn read_directory_from<'a>(
    len: usize,
    data_start: usize,
    mut read: impl FnMut(usize, usize) -> Option<Cow<'a, [u8]>>,
) -> Option<SealDirectory> {
    let last = len.checked_sub(TRAILER_LEN)?;
    let tr = Trailer::decode_last(&read(last, TRAILER_LEN)?, len, data_start)?;
    let dir_at = usize::try_from(tr.dir_offset).ok()?;
    let dir_frame = read(dir_at, tr.dir_len as usize)?;
    let FrameAt::Frame { body, total, .. } = frame::frame_at(&dir_frame, 0, true) else {
        return None;
    };
    // `decode` takes only a SEAL_DIR body (its kind byte exactly).
    let d = SealDirectory::decode(body, tr.dir_offset)?;
    (total == tr.dir_len as usize && d.records_end == tr.records_end).then_some(d)
}

/// The record count of the `SEAL_BEGIN` frame at the start of `bytes`, if
/// one is there as a writer writes it (see `seal_begin_body_count`).
pub fn seal_begin_count(bytes: &[u8]) -> Option<u64> {
    match frame::frame_at(bytes, 0, true) {
        FrameAt::Frame { body, total, .. } => seal_begin_body_count(body, total),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_round_trip_and_flips() {
        let d = SealDirectory {
            record_count: 3,
            first_seq: 10,
            last_seq: 12,
            first_ts: 1,
            last_ts: 3,
            min_ts: 1,
            max_ts: 3,
            records_end: 100,
            sparse_offset: 100 + SEAL_BEGIN_LEN as u64 + 24,
            sparse_count: 1,
            sparse_crc: 7,
            types: vec![TypeEntry {
                name: "a".into(),
                count: 3,
                bytes: 90,
                array_offset: 100 + SEAL_BEGIN_LEN as u64,
                array_crc: 5,
            }],
            // A signed seal's chain block round-trips too, an epoch key's
            // certificate with it.
            chain: Some(ChainBlock {
                digest: [1; 32],
                prev: [2; 32],
                key: [3; 32],
                signature: [4; 64],
                epoch: Some(crate::format::chain::EpochCert {
                    start_ns: -5,
                    signature: [6; 64],
                }),
            }),
        };
        let dir_offset = d.sparse_offset + 24;
        let mut file = vec![0u8; 100];
        file.extend(encode_seal_begin(3));
        file.resize(dir_offset as usize, 0);
        let n = d.encode_frame(&mut file);
        file.extend_from_slice(
            &Trailer {
                records_end: 100,
                dir_offset,
                dir_len: n as u32,
            }
            .encode(),
        );
        assert_eq!(read_seal(&file, 50), Some(d));
        for bit in (100 * 8)..file.len() * 8 {
            let mut g = file.clone();
            g[bit / 8] ^= 1 << (bit % 8);
            let in_padding = (bit / 8) >= 100 + SEAL_BEGIN_LEN && (bit / 8) < dir_offset as usize;
            if !in_padding {
                assert_eq!(read_seal(&g, 50), None, "flip {bit} undetected");
            }
        }
    }
}
