//! The compressed layout (docs/FORMAT.md, section 17) against a small
//! independent decoder written from that text: the seek table parsed by
//! hand, each frame decompressed on its own with zstd, and the frame sizes
//! the cut rules of section 17.2 give, computed from the segment's header
//! and seal parsed by hand (sections 5 and 8). The golden file
//! `tests/vectors/sealed-basic.binlog.zst` is `sealed-basic.binlog`
//! compressed with 128-byte frames; `BINLOG_UPDATE_VECTORS=1` rewrites it.
//! Its zstd bytes may change with the zstd library, its seek table's sizes
//! may not (that would be a format change).

use crate::common;

use binlog::compressed::{compress_segment_with_copies, CompressedSegment, TypeCopies};
use binlog::CompressOptions;
use common::TempDir;
use std::path::{Path, PathBuf};

const FRAME_SIZE: u64 = 128;

fn vector(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Section 17.1: the seek table's (compressed, decompressed) sizes.
fn seek_table(file: &[u8]) -> Vec<(u32, u32)> {
    let len = file.len();
    assert_eq!(file[len - 4..], [0xb1, 0xea, 0x92, 0x8f], "seekable magic");
    let n = u32_at(file, len - 9) as usize;
    let descriptor = file[len - 5];
    assert_eq!(descriptor & 0x7c, 0, "reserved bits");
    let entry = if descriptor & 0x80 != 0 { 12 } else { 8 };
    let start = len - (8 + n * entry + 9);
    assert_eq!(u32_at(file, start), 0x184d_2a5e, "skippable magic");
    assert_eq!(
        u32_at(file, start + 4) as usize,
        n * entry + 9,
        "frame_size"
    );
    let sizes: Vec<(u32, u32)> = (0..n)
        .map(|i| {
            (
                u32_at(file, start + 8 + i * entry),
                u32_at(file, start + 12 + i * entry),
            )
        })
        .collect();
    let frames: usize = sizes.iter().map(|s| s.0 as usize).sum();
    assert_eq!(frames, start, "the frames fill the file up to the table");
    sizes
}

/// Section 17.1: every frame decompressed on its own, in order; an entry
/// of decompressed size 0 (a type copy's skippable frame, 17.5) passed
/// over.
fn spec_decompress(file: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut at = 0;
    for (c, d) in seek_table(file) {
        if d == 0 {
            let magic = u32_at(file, at);
            assert_eq!(
                magic & 0xffff_fff0,
                0x184d_2a50,
                "a skippable frame at {at}"
            );
            assert_eq!(u32_at(file, at + 4), c - 8, "its size fills the entry");
            at += c as usize;
            continue;
        }
        let frame = &file[at..at + c as usize];
        assert_eq!(frame[..4], [0x28, 0xb5, 0x2f, 0xfd], "a zstd frame at {at}");
        let bytes = zstd::bulk::decompress(frame, d as usize).unwrap();
        assert_eq!(bytes.len(), d as usize, "frame at {at}");
        out.extend_from_slice(&bytes);
        at += c as usize;
    }
    out
}

/// Section 8.4: each type's (count, bytes, array_offset), in id order.
fn spec_types(seg: &[u8]) -> Vec<(u64, u64, u64)> {
    let len = seg.len();
    let body = u64_at(seg, len - 24) as usize + 8;
    assert_eq!(seg[body], 3, "SEAL_DIR kind");
    let mut at = body + 85;
    let varint = |at: &mut usize| {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = seg[*at];
            *at += 1;
            v |= u64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                return v;
            }
        }
    };
    (0..varint(&mut at))
        .map(|_| {
            at += varint(&mut at) as usize;
            let t = (u64_at(seg, at), u64_at(seg, at + 8), u64_at(seg, at + 16));
            at += 28;
            t
        })
        .collect()
}

/// Section 17.5: the type copies of the compressed `file` of `seg`,
/// decoded from the text and each copied record compared with the record
/// at its offset; returns the ids of the types copied.
fn spec_copies(file: &[u8], seg: &[u8]) -> Vec<u32> {
    let records_end = u64_at(seg, seg.len() - 32);
    // The empty entries placed at original offset `records_end`.
    let (mut at, mut original, mut side) = (0usize, 0u64, Vec::new());
    for (c, d) in seek_table(file) {
        if d == 0 && original == records_end {
            side.push((at, c as usize));
        }
        at += c as usize;
        original += u64::from(d);
    }
    let Some(&(dir_at, dir_len)) = side.last() else {
        return Vec::new();
    };
    assert_eq!(u32_at(file, dir_at), 0x184d_2a5c, "the directory last");
    let dir = &file[dir_at + 8..dir_at + dir_len];
    assert_eq!(&dir[..8], b"BLGCOPY1");
    let n = u32_at(dir, 8) as usize;
    assert_eq!(n, side.len() - 1, "one entry per copy frame");
    assert_eq!(dir.len(), 12 + 20 * n + 4);
    assert_eq!(
        crc32fast::hash(&dir[..dir.len() - 4]),
        u32_at(dir, dir.len() - 4)
    );
    let types = spec_types(seg);
    let mut copied = vec![(0u64, 0u64); types.len()];
    for (j, &(frame_at, frame_len)) in side[..n].iter().enumerate() {
        let e = &dir[12 + 20 * j..];
        let (type_id, first, count, len) =
            (u32_at(e, 0), u64_at(e, 4), u32_at(e, 12), u32_at(e, 16));
        assert_eq!(u32_at(file, frame_at), 0x184d_2a5b, "copy frame {j}");
        let payload = &file[frame_at + 8..frame_at + frame_len];
        let records = zstd::bulk::decompress(payload, len as usize).unwrap();
        assert_eq!(records.len(), len as usize);
        let (t_count, _, array) = types[type_id as usize];
        assert_eq!(first, copied[type_id as usize].0, "records in order");
        let mut pos = 0;
        for k in first..first + u64::from(count) {
            let offset = u64_at(seg, (array + 8 * k) as usize) as usize;
            let total = 8 + u32_at(&records, pos) as usize;
            assert!(
                records[pos..pos + total] == seg[offset..offset + total],
                "record {k}"
            );
            pos += total;
        }
        assert_eq!(
            pos,
            records.len(),
            "copy frame {j} holds exactly its records"
        );
        copied[type_id as usize].0 += u64::from(count);
        copied[type_id as usize].1 += u64::from(len);
        assert!(copied[type_id as usize].0 <= t_count);
    }
    (0..types.len() as u32)
        .filter(|&id| {
            let (count, bytes) = copied[id as usize];
            let whole = count == types[id as usize].0 && bytes == types[id as usize].1;
            assert!(count == 0 || whole, "type {id} copied whole");
            count > 0
        })
        .collect()
}

/// Sections 8.3 and 8.4: the record offset of each sparse index entry.
fn spec_sparse_offsets(seg: &[u8]) -> Vec<u64> {
    let dir_body = u64_at(seg, seg.len() - 24) as usize + 8;
    let sparse_offset = u64_at(seg, dir_body + 65);
    let sparse_count = u64_at(seg, dir_body + 73);
    (0..sparse_count)
        .map(|i| u64_at(seg, (sparse_offset + 24 * i + 8) as usize))
        .collect()
}

/// Section 17.2: the decompressed frame sizes a 1.0 writer makes of `seg`.
fn spec_frame_sizes(seg: &[u8], f: u64) -> Vec<u64> {
    frame_sizes_by_rule(seg, f, &spec_sparse_offsets(seg))
}

/// The decompressed frame sizes earlier 1.0 writers made of `seg`: rule 2
/// without the sparse index entries (record frames end at the last record
/// boundary that fits).
fn earlier_frame_sizes(seg: &[u8], f: u64) -> Vec<u64> {
    frame_sizes_by_rule(seg, f, &[])
}

/// Section 17.2's frame sizes, rule 2 ending record frames at the entries
/// `seek_starts`.
fn frame_sizes_by_rule(seg: &[u8], f: u64, seek_starts: &[u64]) -> Vec<u64> {
    let len = seg.len();
    let header_len = u32_at(seg, 12) as u64;
    let records_end = u64_at(seg, len - 32);
    let sparse_offset = u64_at(seg, u64_at(seg, len - 24) as usize + 8 + 65);
    let mut cuts = vec![
        header_len,
        records_end,
        records_end + 17,
        sparse_offset,
        len as u64,
    ];
    // Rule 2a: the record at the last non-empty array's first entry.
    let mut last_first_record = None;
    for (count, _, array) in spec_types(seg) {
        if count > 0 {
            cuts.extend([array, array + 8, array + 8 * count]);
            last_first_record = Some(u64_at(seg, array as usize));
        }
    }
    if let Some(r) = last_first_record {
        let defs_end = r + 8 + u64::from(u32_at(seg, r as usize));
        if defs_end > header_len && defs_end - header_len <= f && defs_end < records_end {
            cuts.push(defs_end);
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut ends = Vec::new();
    let mut start = 0;
    for cut in cuts {
        if start >= header_len && cut <= records_end {
            // Rule 2: greedy record frames, ending at a sparse index
            // entry in their second half if there is one.
            let (mut s, mut last, mut pos) = (start, start, start);
            let mut last_entry = start;
            while pos < cut {
                let next = pos + 8 + u64::from(u32_at(seg, pos as usize));
                while next - s > f {
                    s = if last_entry > s + f / 2 {
                        last_entry
                    } else if last > s {
                        last
                    } else {
                        s + f
                    };
                    ends.push(s);
                }
                if seek_starts.contains(&next) {
                    last_entry = next;
                }
                (last, pos) = (next, next);
            }
            ends.push(cut);
        } else {
            // Rule 6: other spans every F bytes.
            let mut s = start;
            while cut - s > f {
                s += f;
                ends.push(s);
            }
            ends.push(cut);
        }
        start = cut;
    }
    let mut prev = 0;
    ends.into_iter()
        .map(|e| e - std::mem::replace(&mut prev, e))
        .collect()
}

/// `seg` compressed as `compress_segment` does, with frames of
/// `FRAME_SIZE`.
fn compress_copy(dir: &TempDir, seg: &[u8]) -> Vec<u8> {
    compress_with(dir, seg, "seg", &TypeCopies::default())
}

/// The type copies of the second golden file (17.4).
const GOLDEN_COPIES: TypeCopies = TypeCopies {
    max_share: 0.4,
    min_spread: 0,
};

fn compress_with_copies(dir: &TempDir, seg: &[u8]) -> Vec<u8> {
    compress_with(dir, seg, "copies", &GOLDEN_COPIES)
}

fn compress_with(dir: &TempDir, seg: &[u8], name: &str, copies: &TypeCopies) -> Vec<u8> {
    compress_in_frames(dir, seg, name, copies, FRAME_SIZE)
}

fn compress_in_frames(
    dir: &TempDir,
    seg: &[u8],
    name: &str,
    copies: &TypeCopies,
    frame_size: u64,
) -> Vec<u8> {
    let path = dir.join(format!("{name}.binlog"));
    std::fs::write(&path, seg).unwrap();
    let opts = CompressOptions {
        frame_size,
        ..CompressOptions::default()
    };
    let done = compress_segment_with_copies(&path, &opts, copies, |_| {}).unwrap();
    std::fs::read(done.path).unwrap()
}

fn records_of(path: &Path, types: &[&str]) -> Vec<(u64, Vec<u8>)> {
    let mut r = binlog::Reader::open(path).unwrap();
    r.filter_types(types);
    let mut out = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        out.push((rec.seq, rec.payload.to_vec()));
    }
    out
}

#[test]
fn type_copies_follow_the_spec_and_the_golden_file_with_copies_reads_back() {
    let seg = std::fs::read(vector("sealed-basic.binlog")).unwrap();
    let dir = TempDir::new("zst-spec-copies");
    assert!(
        spec_copies(&compress_copy(&dir, &seg), &seg).is_empty(),
        "no type rare enough by default"
    );
    let fresh = compress_with_copies(&dir, &seg);
    let data_sizes = |file: &[u8]| -> Vec<u64> {
        seek_table(file)
            .iter()
            .filter(|s| s.1 > 0)
            .map(|s| u64::from(s.1))
            .collect()
    };
    assert_eq!(data_sizes(&fresh), spec_frame_sizes(&seg, FRAME_SIZE));
    assert!(spec_decompress(&fresh) == seg);
    let copied = spec_copies(&fresh, &seg);
    let types = spec_types(&seg);
    let records: u64 = types.iter().map(|t| t.1).sum();
    assert!(
        !copied.is_empty() && copied.len() < types.len(),
        "{copied:?} of {types:?}"
    );
    for &id in &copied {
        assert!(types[id as usize].1 as f64 <= 0.4 * records as f64);
    }

    let golden_path = vector("sealed-basic-copies.binlog.zst");
    if std::env::var_os("BINLOG_UPDATE_VECTORS").is_some_and(|v| v == "1") {
        std::fs::write(&golden_path, &fresh).unwrap();
    }
    let golden = std::fs::read(&golden_path).unwrap();
    let sizes = |file: &[u8]| -> Vec<u32> { seek_table(file).iter().map(|s| s.1).collect() };
    assert_eq!(
        sizes(&golden),
        sizes(&fresh),
        "the copy layout changed: a format change"
    );
    assert!(spec_decompress(&golden) == seg);
    assert_eq!(spec_copies(&golden, &seg), copied);
    let plain = dir.join("plain.binlog");
    std::fs::write(&plain, &seg).unwrap();
    let names: Vec<String> = binlog::Reader::open(&plain)
        .unwrap()
        .seal()
        .unwrap()
        .types
        .iter()
        .map(|t| t.name.clone())
        .collect();
    for &id in &copied {
        let name = [names[id as usize].as_str()];
        assert_eq!(records_of(&golden_path, &name), records_of(&plain, &name));
    }
}

#[test]
fn a_fresh_compression_follows_the_spec_and_the_golden_file_reads_back() {
    let seg = std::fs::read(vector("sealed-basic.binlog")).unwrap();
    let dir = TempDir::new("zst-spec");
    let fresh = compress_copy(&dir, &seg);
    let sizes: Vec<u64> = seek_table(&fresh).iter().map(|s| u64::from(s.1)).collect();
    assert_eq!(sizes, spec_frame_sizes(&seg, FRAME_SIZE));
    assert!(spec_decompress(&fresh) == seg);

    let golden_path = vector("sealed-basic.binlog.zst");
    if std::env::var_os("BINLOG_UPDATE_VECTORS").is_some_and(|v| v == "1") {
        std::fs::write(&golden_path, &fresh).unwrap();
    }
    let golden = std::fs::read(&golden_path).unwrap();
    let golden_sizes: Vec<u64> = seek_table(&golden).iter().map(|s| u64::from(s.1)).collect();
    assert_eq!(
        golden_sizes, sizes,
        "the cut rules changed: a format change"
    );
    assert!(spec_decompress(&golden) == seg);
    let mut read = CompressedSegment::open(&golden_path).unwrap();
    assert!(read.read_at(0, seg.len()).unwrap() == seg);
}

#[test]
fn a_file_cut_by_the_earlier_record_rule_reads_the_same() {
    let seg = std::fs::read(vector("sealed-basic.binlog")).unwrap();
    let path = vector("sealed-basic-record-cuts.binlog.zst");
    let earlier = std::fs::read(&path).unwrap();
    let sizes: Vec<u64> = seek_table(&earlier)
        .iter()
        .map(|s| u64::from(s.1))
        .collect();
    assert_eq!(sizes, earlier_frame_sizes(&seg, FRAME_SIZE));
    assert_ne!(
        sizes,
        spec_frame_sizes(&seg, FRAME_SIZE),
        "cut otherwise now"
    );
    assert!(spec_decompress(&earlier) == seg);
    let mut read = CompressedSegment::open(&path).unwrap();
    assert!(read.read_at(0, seg.len()).unwrap() == seg);
    let plain = TempDir::new("zst-spec-earlier");
    let plain_path = plain.join("plain.binlog");
    std::fs::write(&plain_path, &seg).unwrap();
    let all = records_of(&plain_path, &[]);
    assert!(all.len() > 3);
    assert_eq!(records_of(&path, &[]), all);
    for (seq, payload) in &all {
        let mut r = binlog::Reader::open(&path).unwrap();
        r.seek_seq(*seq).unwrap();
        let rec = r.next().unwrap().unwrap();
        assert_eq!((rec.seq, rec.payload), (*seq, &payload[..]));
    }
}

#[test]
fn the_golden_file_shows_every_cut_rule() {
    let seg = std::fs::read(vector("sealed-basic.binlog")).unwrap();
    let sizes = spec_frame_sizes(&seg, FRAME_SIZE);
    let header_len = u64::from(u32_at(&seg, 12));
    assert_eq!(sizes[0], header_len, "rule 1: the header alone");
    assert!(sizes.contains(&17), "rule 3: SEAL_BEGIN alone");
    assert!(sizes.contains(&8), "rule 4: an array's first entry alone");
    assert!(
        sizes.iter().all(|&s| s <= FRAME_SIZE || s == header_len),
        "{sizes:?}"
    );
    assert!(
        sizes.len() > 8,
        "records, arrays and the tail are several frames: {sizes:?}"
    );
}

#[test]
fn record_frames_end_at_sparse_index_entries_as_the_spec_says() {
    // Entries every 100 bytes or so, records of 40-70 bytes: each 400-byte
    // frame has an entry in its second half to end at (rule 2).
    let dir = TempDir::new("zst-spec-seek-starts");
    let path = dir.join("seeks.binlog");
    let opts = binlog::Options {
        sparse_interval: 100,
        ..binlog::Options::default()
    };
    let w = binlog::Writer::open(&path, opts).unwrap();
    for i in 0..200u64 {
        let payload = vec![i as u8; 10 + (i as usize * 7) % 30];
        w.write_with(["a", "b"][i as usize % 2], &[], Some(i as i64), &payload)
            .unwrap();
    }
    w.close().unwrap();
    let seg = std::fs::read(&path).unwrap();
    let f = 400;
    let fresh = compress_in_frames(&dir, &seg, "fresh", &TypeCopies::NONE, f);
    let sizes: Vec<u64> = seek_table(&fresh).iter().map(|s| u64::from(s.1)).collect();
    assert_eq!(sizes, spec_frame_sizes(&seg, f));
    assert!(spec_decompress(&fresh) == seg);

    let header_len = u64::from(u32_at(&seg, 12));
    let records_end = u64_at(&seg, seg.len() - 32);
    let entries = spec_sparse_offsets(&seg);
    assert!(entries.len() > 40, "{} entries", entries.len());
    let ends: Vec<u64> = sizes
        .iter()
        .scan(0, |at, &s| {
            *at += s;
            Some(*at)
        })
        .filter(|&e| e > header_len + f && e < records_end)
        .collect();
    assert!(ends.len() > 10, "{ends:?}");
    for e in ends {
        assert!(
            entries.contains(&e),
            "frame end {e} is no entry: {entries:?}"
        );
    }
}
