//! A hostile segment file: every byte is the fuzzer's.
//!
//! Two layers: the byte-level decoders of `binlog::format` run on the input
//! as a slice (header, frames, records, metadata, resynchronisation, seal),
//! and then the input is written to a file in a tmpfs directory and read
//! with `binlog::Reader` in every mode it has: `next`, `next_header`,
//! `filter_types`, `seek_seq` and `seek_time`, errors ignored. The target
//! fails on a panic, a hang (-timeout) or an allocation over libFuzzer's
//! -malloc_limit_mb (an allocation driven by an unchecked length).
#![no_main]

use binlog::format::frame::{self, FrameAt, MetaIter, RecordHead, KIND_RECORD};
use binlog::format::header::SegmentHeader;
use binlog::format::{seal, FORMAT_MINOR, FORMAT_MINOR_SCHEMAS, FRAME_HEADER_LEN};
use binlog::Reader;
use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod tmpfs;

/// Upper bound on records read in one pass: every successful read moves
/// forward by at least a frame, so this is never reached by a correct
/// reader on inputs of libFuzzer's sizes; reaching it means a loop.
const MAX_STEPS: usize = 1 << 20;

/// The file the reader layer reads, removed after each input (see
/// `tmpfs::per_process_path`).
fn seg_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| tmpfs::per_process_path("segment", "binlog"))
}

fuzz_target!(|data: &[u8]| {
    one(data);
    // CRCs gate everything past them, and mutation rarely gets a CRC-32
    // right: also read the input with its CRCs recomputed, so the parsers
    // behind them (header fields, record bodies, seal directory, sparse
    // index) see hostile values.
    let mut fixed = data.to_vec();
    fix_crcs(&mut fixed);
    if fixed != data {
        one(&fixed);
    }
});

fn one(data: &[u8]) {
    bytes_layer(data);
    let path = seg_path();
    std::fs::write(path, data).expect("write temp segment");
    reader_layer(path);
    let _ = std::fs::remove_file(path);
}

fn le32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        d.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn put_crc(d: &mut [u8], at: usize, range: std::ops::Range<usize>) {
    let crc = binlog::format::crc32(&d[range]);
    d[at..at + 4].copy_from_slice(&crc.to_le_bytes());
}

/// Recomputes, where the lengths allow, the header CRC, each frame's CRC
/// from the first record up to a SEAL_BEGIN frame, the directory's sparse
/// index CRC and frame CRC, and the trailer CRC. Offset arrays' CRCs are
/// left alone.
fn fix_crcs(d: &mut [u8]) {
    if d.len() < 16 || d[..8] != binlog::format::MAGIC {
        return;
    }
    let hl = le32(d, 12).unwrap() as usize;
    if !(56..=d.len().min(1 << 20)).contains(&hl) {
        return;
    }
    put_crc(d, hl - 4, 0..hl - 4);
    let mut pos = hl;
    while let Some(len) = le32(d, pos) {
        let len = len as usize;
        let start = pos + FRAME_HEADER_LEN;
        if len == 0 || start + len > d.len() {
            break;
        }
        put_crc(d, pos + 4, start..start + len);
        pos = start + len;
        if d[start] & 0x0f == frame::KIND_SEAL_BEGIN {
            break;
        }
    }
    let n = d.len();
    if n < hl + seal::TRAILER_LEN || d[n - 8..] != seal::TRAILER_MAGIC {
        return;
    }
    let t = n - seal::TRAILER_LEN;
    let dir_offset = u64::from_le_bytes(d[t + 8..t + 16].try_into().unwrap());
    if let Ok(dir) = usize::try_from(dir_offset) {
        if let Some(len) = le32(d, dir).map(|l| l as usize) {
            let body = dir + FRAME_HEADER_LEN;
            if len >= 89 && body + len <= t {
                let off = u64::from_le_bytes(d[body + 65..body + 73].try_into().unwrap());
                let count = u64::from_le_bytes(d[body + 73..body + 81].try_into().unwrap());
                let range = usize::try_from(off).ok().and_then(|o| {
                    let c = usize::try_from(count).ok()?;
                    Some(o..o.checked_add(c.checked_mul(seal::SPARSE_ENTRY_LEN)?)?)
                });
                if let Some(r) = range.filter(|r| r.end <= t) {
                    put_crc(d, body + 81, r);
                }
                put_crc(d, dir + 4, body..body + len);
            }
        }
    }
    put_crc(d, t + 20, t..t + 20);
}

fn bytes_layer(data: &[u8]) {
    let p = Path::new("fuzz");
    // The resynchronisation search on the raw bytes, as the header decoder
    // uses it.
    let _ = frame::find_next_record(data, 0, None);
    let Ok((h, data_start)) = SegmentHeader::decode(data, p) else {
        return;
    };
    assert!(data_start <= data.len());
    // A decoded header re-encodes to one that decodes to itself (fields of
    // later minors are dropped, and the minor becomes the lowest that says
    // what the segment holds: 1.2 signed, 1.1 with type schemas, else 1.0).
    let enc = h.encode().expect("a decoded header re-encodes");
    let (back, n) = SegmentHeader::decode(&enc, p).expect("re-encoded header decodes");
    assert_eq!(n, enc.len());
    let minor = match (h.signed, h.schemas.is_empty()) {
        (true, _) => FORMAT_MINOR,
        (false, true) => 0,
        (false, false) => FORMAT_MINOR_SCHEMAS,
    };
    assert_eq!(back, SegmentHeader { minor, ..h.clone() });

    let sealed = seal::read_seal(data, data_start);
    let end = sealed
        .as_ref()
        .map_or(data.len(), |d| d.records_end as usize);
    assert!(end <= data.len());

    // Walk the frames as a scan does, with and without CRC checks.
    for verify in [true, false] {
        let mut pos = data_start;
        let mut last_seq = h.first_seq.checked_sub(1);
        for _ in 0..MAX_STEPS {
            match frame::frame_at(&data[..end], pos, verify) {
                FrameAt::Frame { kind, body, total } => {
                    assert_eq!(total, FRAME_HEADER_LEN + body.len());
                    if kind == KIND_RECORD {
                        if let Some(r) = frame::decode_record(body) {
                            record_round_trip(&r);
                            last_seq = Some(r.seq);
                        }
                    }
                    pos += total;
                }
                FrameAt::Incomplete | FrameAt::Invalid(_) => {
                    if let Some(q) = frame::find_next_record(&data[..end], pos + 1, last_seq) {
                        assert!(q > pos && q < end);
                    }
                    // Where a reader resumes (a torn frame's carried frames
                    // checked to run to the end).
                    let expected = last_seq.map_or(h.first_seq, |s| s.wrapping_add(1));
                    if let Some(q) = frame::find_resume(&data[..end], pos, expected) {
                        assert!(q > pos && q < end);
                    }
                    break;
                }
            }
        }
    }
}

/// A decoded record body re-encodes to a body that decodes to the same
/// fields (the original may use non-minimal varints, so bytes may differ).
fn record_round_trip(r: &frame::RecordBody<'_>) {
    let entries: Vec<(&[u8], &[u8])> = MetaIter::new(r.meta).collect();
    assert_eq!(entries.len(), r.meta_count as usize);
    let Ok(meta) = entries
        .iter()
        .map(|(k, v)| Ok((std::str::from_utf8(k)?, std::str::from_utf8(v)?)))
        .collect::<Result<Vec<(&str, &str)>, std::str::Utf8Error>>()
    else {
        return;
    };
    let head = RecordHead {
        seq: r.seq,
        timestamp_ns: r.timestamp_ns,
        type_id: r.type_id,
        define: r.defines,
        meta: &meta,
    };
    let mut out = Vec::new();
    let total = frame::encode_record(&mut out, &head, &[r.payload]);
    let FrameAt::Frame { body, .. } = frame::frame_at(&out, 0, true) else {
        panic!("re-encoded record is not a frame");
    };
    assert_eq!(total, out.len());
    let back = frame::decode_record(body).expect("re-encoded record decodes");
    assert_eq!(
        (back.seq, back.timestamp_ns, back.type_id, back.defines),
        (r.seq, r.timestamp_ns, r.type_id, r.defines)
    );
    assert_eq!(back.payload, r.payload);
    // A zero count with HAS_META re-encodes without the flag: same entries.
    assert_eq!(MetaIter::new(back.meta).collect::<Vec<_>>(), entries);
}

/// Reads to the end with `next` (or `next_header`); the sequence numbers and
/// timestamps seen. Stops at the first error: the reader stays where it is
/// after one, so asking again would return it again.
fn drain(r: &mut Reader, verify: bool, limit: usize) -> Vec<(u64, i64)> {
    let mut seen = Vec::new();
    for _ in 0..limit {
        let got = if verify {
            r.next()
                .map(|o| o.map(|x| (x.seq, x.timestamp_ns, x.meta_count(), x.metadata().count())))
        } else {
            r.next_header().map(|o| {
                o.map(|x| {
                    (
                        x.seq,
                        x.timestamp_ns,
                        x.meta_count as usize,
                        x.meta_count as usize,
                    )
                })
            })
        };
        match got {
            Ok(Some((seq, ts, count, iterated))) => {
                assert_eq!(count, iterated, "metadata count and entries differ");
                seen.push((seq, ts));
            }
            Ok(None) | Err(_) => return seen,
        }
    }
    assert!(
        limit < MAX_STEPS,
        "reader did not reach an end in {limit} steps"
    );
    seen
}

fn reader_layer(path: &Path) {
    let Ok(mut r) = Reader::open(path) else {
        return;
    };
    let _ = (
        r.header(),
        r.tail(),
        r.position(),
        r.file_len(),
        r.data_start(),
    );
    let seal_types: Vec<String> = r
        .seal()
        .map(|d| d.types.iter().map(|t| t.name.clone()).collect())
        .unwrap_or_default();
    let seal_ts = r
        .seal()
        .map(|d| (d.min_ts, d.max_ts, d.first_seq, d.last_seq));

    let seen = drain(&mut r, true, MAX_STEPS);
    let _ = r.tail();
    // At the end, another call stays at the end (or repeats the error).
    let _ = r.next();
    let mut types: Vec<String> = r.types().iter().map(|t| t.to_string()).collect();
    types.extend(seal_types);
    types.sort();
    types.dedup();

    // Headers only (no CRC checks), from a fresh reader.
    if let Ok(mut r) = Reader::open(path) {
        drain(&mut r, false, MAX_STEPS);
    }

    // Type filters: each known type alone, all of them with an unknown one,
    // and an unknown one alone; verified and header-only reads.
    let mut filters: Vec<Vec<&str>> = types.iter().take(4).map(|t| vec![t.as_str()]).collect();
    let mut all: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    all.push("no such type");
    filters.push(all);
    filters.push(vec!["no such type"]);
    for (i, names) in filters.iter().enumerate() {
        if let Ok(mut r) = Reader::open(path) {
            r.filter_types(names);
            drain(&mut r, i % 2 == 0, MAX_STEPS);
            r.filter_types(&[]);
            drain(&mut r, true, MAX_STEPS);
        }
    }

    // Seeks by sequence number and by time, to interesting targets, each
    // followed by a few reads; without a filter the record found must
    // satisfy the seek.
    let Ok(mut r) = Reader::open(path) else {
        return;
    };
    let first = r.header().first_seq;
    let mut seqs = vec![0, first, first.wrapping_add(1), u64::MAX, u64::MAX - 1];
    let mut times = vec![i64::MIN, i64::MIN + 1, 0, i64::MAX];
    if let Some((min_ts, max_ts, fs, ls)) = seal_ts {
        seqs.extend([fs, ls, ls.wrapping_add(1)]);
        times.extend([min_ts, max_ts, max_ts.wrapping_add(1)]);
    }
    for &(s, t) in seen.iter().step_by(seen.len() / 8 + 1).chain(seen.last()) {
        seqs.extend([s, s.wrapping_add(1)]);
        times.extend([t, t.wrapping_add(1)]);
    }
    // Backwards as well as forwards.
    seqs.extend(seqs.clone().into_iter().rev());
    times.extend(times.clone().into_iter().rev());
    for &s in &seqs {
        if r.seek_seq(s).is_ok() {
            if let Ok(Some(rec)) = r.next() {
                assert!(rec.seq >= s, "seek_seq({s}) then record {}", rec.seq);
            }
            drain(&mut r, true, 2);
        }
    }
    for &t in &times {
        if r.seek_time(t).is_ok() {
            if let Ok(Some(rec)) = r.next() {
                assert!(
                    rec.timestamp_ns >= t,
                    "seek_time({t}) then ts {}",
                    rec.timestamp_ns
                );
            }
            drain(&mut r, true, 2);
        }
    }
    // Seeks under a type filter.
    if let Some(t) = types.first() {
        r.filter_types(&[t.as_str()]);
        for &s in seqs.iter().take(6) {
            let _ = r.seek_seq(s);
            drain(&mut r, true, 3);
        }
        for &t in times.iter().take(6) {
            let _ = r.seek_time(t);
            drain(&mut r, false, 3);
        }
        drain(&mut r, true, MAX_STEPS);
    }
}
