//! A hostile compressed segment (`.binlog.zst`): every byte is the fuzzer's.
//!
//! The input is written to a `.binlog.zst` file in a tmpfs directory (a
//! file, not an in-memory source: the reader a user opens) and read with
//! `binlog::Reader` in every mode a user has: a full scan with the scan's
//! frames decompressed on the reader's thread and on 2 threads ahead, type
//! filters (the type copies' path), `seek_seq` / `seek_time`, and
//! `open_salvage` (which skips damaged regions). Oracles, besides no panic,
//! no hang (-timeout) and no allocation over -malloc_limit_mb:
//!
//! - sequence numbers strictly increase within a pass;
//! - every record returned is, byte for byte, a record frame whose CRC
//!   holds in the original segment, as zstd itself decompresses the file
//!   (the records the reader hands out are the ones written): at its
//!   offset, until the reader skipped damage (after a frame the seek table
//!   lists with another original size, a salvage numbers offsets as the
//!   table does, docs/FORMAT.md 17.3a: the record is then found by
//!   searching), and anywhere for a type filter (a type copy, 17.5,
//!   serves a rare type's records without the main frames, which may be
//!   damaged where the copy is not);
//! - decode_threads 0 and 2 give the same records, error (kind, file and
//!   offset), damage and tail;
//! - when the scan is clean (no error, no damage), a type filter returns
//!   exactly that type's records of the scan, a seek lands on the scan's
//!   first record at or past its target, and a salvage reads every record.
#![no_main]

use binlog::format::frame::{self, FrameAt, MetaIter, KIND_RECORD};
use binlog::{Damage, Reader, Record, Tail};
use libfuzzer_sys::fuzz_target;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod tmpfs;

/// Upper bound on records read in one pass: every successful read moves
/// forward by at least a frame, so a correct reader never reaches it on
/// inputs of libFuzzer's sizes; reaching it means a loop.
const MAX_STEPS: usize = 1 << 20;

/// Original bytes the oracle decompresses at most (the reader is bounded by
/// the malloc limit, the oracle by this).
const ORIGINAL_MAX: u64 = 32 << 20;

/// Original bytes a zstd frame of the input may hold at most for the input
/// to be read. A reader holds a frame whole (docs/FORMAT.md 17.3a), and
/// frames of up to 1 GiB are valid (17.1): a few KB of zstd blocks can
/// truly hold that much, whatever the seek table says. An input with a
/// frame whose blocks may hold more than this is passed over: its memory
/// is the format's cost, not a length trusted unchecked. Small enough that
/// a frame on the reader's thread, the frames decoded ahead and those a
/// dropped reader's workers finish stay within -rss_limit_mb.
const FRAME_BOUND_MAX: u64 = 32 << 20;

/// Types a pass filters on, at most (each is a pass).
const TYPED_PASSES: usize = 3;

/// The file read, removed after each input (see `tmpfs::per_process_path`).
fn zst_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| tmpfs::per_process_path("compressed", "binlog.zst"))
}

fuzz_target!(|data: &[u8]| {
    if !frames_fit(data) {
        return;
    }
    let path = zst_path();
    std::fs::write(path, data).expect("write temp segment");
    let original = decompressed(data);
    read_every_way(path, &original, data);
    let _ = std::fs::remove_file(path);
});

/// The original segment as zstd decompresses the file, frame by frame
/// (skippable frames, the seek table and type copies among them, give
/// nothing): its bytes up to the first frame that fails (whose bytes are
/// left out: zstd hands them out before it checks the frame's checksum)
/// or `ORIGINAL_MAX` bytes, and whether that is all of it.
struct Original {
    bytes: Vec<u8>,
    whole: bool,
}

fn decompressed(data: &[u8]) -> Original {
    let mut bytes = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let room = ORIGINAL_MAX - bytes.len() as u64;
        let frame = zstd::zstd_safe::find_frame_compressed_size(rest)
            .ok()
            .and_then(|n| Some((decompressed_frame(rest.get(..n)?, room)?, n)));
        let Some((frame, n)) = frame else {
            return Original {
                bytes,
                whole: false,
            };
        };
        bytes.extend_from_slice(&frame);
        rest = &rest[n..];
    }
    let whole = (bytes.len() as u64) < ORIGINAL_MAX;
    Original { bytes, whole }
}

/// Whether no zstd frame of `data`, as zstd finds them from its start, may
/// hold more than `FRAME_BOUND_MAX` bytes (by zstd's bound from its block
/// headers); bytes that are no frame end the walk (a reader refuses them).
fn frames_fit(data: &[u8]) -> bool {
    let mut rest = data;
    while let Ok(n) = zstd::zstd_safe::find_frame_compressed_size(rest) {
        let Some(frame) = rest.get(..n).filter(|_| n > 0) else {
            break;
        };
        if zstd::zstd_safe::decompress_bound(frame).is_ok_and(|b| b > FRAME_BOUND_MAX) {
            return false;
        }
        rest = &rest[n..];
    }
    true
}

/// What zstd decompresses of one frame, at most `room` bytes; `None` if
/// the frame fails.
fn decompressed_frame(frame: &[u8], room: u64) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let d = zstd::stream::read::Decoder::new(frame).ok()?;
    d.take(room).read_to_end(&mut out).ok()?;
    Some(out)
}

/// One record as read: seq, timestamp, type, payload, metadata, offset,
/// frame length.
type Rec = (u64, i64, String, Vec<u8>, Vec<(String, String)>, u64, u64);

/// A pass to its end: the records, the error that stopped it
/// (`error_text`), the damage skipped and where the reader stands.
#[derive(Debug, PartialEq)]
struct Pass {
    records: Vec<Rec>,
    error: Option<String>,
    damages: Vec<Damage>,
    tail: Tail,
}

impl Pass {
    fn clean(&self) -> bool {
        self.error.is_none() && self.damages.is_empty()
    }
}

fn owned(r: &Record<'_>) -> Rec {
    let meta = r
        .metadata()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<Vec<_>>();
    assert_eq!(
        meta.len(),
        r.meta_count(),
        "metadata count and entries differ"
    );
    (
        r.seq,
        r.timestamp_ns,
        r.type_name.to_string(),
        r.payload.to_vec(),
        meta,
        r.offset,
        r.frame_len,
    )
}

/// What an error reports that passes must agree on: its kind, file and
/// offset. Its text may differ after them: zstd words the same damage
/// differently when it decompresses a frame in one call (ahead) or a block
/// at a time (on the reader's thread).
fn error_text(e: &binlog::Error) -> String {
    format!("{:?} {:?} {:?}", e.kind(), e.path(), e.offset())
}

/// Reads up to `limit` records with `next`, checking each against the
/// original (at its offset if `at_offset`, until damage is skipped); stops
/// at the first error (asking again would repeat it).
fn drain(
    r: &mut Reader,
    original: &Original,
    limit: usize,
    at_offset: bool,
) -> (Vec<Rec>, Option<String>) {
    let mut seen: Vec<Rec> = Vec::new();
    for _ in 0..limit {
        match r.next() {
            Ok(Some(rec)) => {
                let rec = owned(&rec);
                if let Some(last) = seen.last() {
                    assert!(rec.0 > last.0, "seq {} after {}", rec.0, last.0);
                }
                assert_written(&rec, original, at_offset && r.damages().is_empty());
                seen.push(rec);
            }
            Ok(None) => return (seen, None),
            Err(e) => return (seen, Some(error_text(&e))),
        }
    }
    assert!(
        limit < MAX_STEPS,
        "reader did not reach an end in {limit} steps"
    );
    (seen, None)
}

/// A record handed out is a record frame of the original segment (where
/// zstd's own decompression reaches it) whose CRC holds and whose fields
/// are the record's: the frame at its offset, or (`at_offset` false) at
/// any offset.
fn assert_written(rec: &Rec, original: &Original, at_offset: bool) {
    let (seq, _, _, payload, _, offset, frame_len) = rec;
    assert!(*frame_len as usize >= binlog::format::FRAME_HEADER_LEN + payload.len());
    let end = offset.checked_add(*frame_len).expect("offset + frame_len");
    let bytes = &original.bytes[..];
    if at_offset && end <= bytes.len() as u64 {
        if let Err(why) = written_at(rec, bytes, *offset as usize) {
            panic!("record {seq} at offset {offset}: {why}");
        }
    } else if !at_offset && original.whole {
        let found = (bytes.len() as u64)
            .checked_sub(*frame_len)
            .is_some_and(|last| (0..=last as usize).any(|at| written_at(rec, bytes, at).is_ok()));
        assert!(
            found,
            "record {seq} (offset {offset}) is nowhere in the original"
        );
    }
}

/// Whether the record frame at `at` of `original` is `rec`, and if not,
/// why.
fn written_at(rec: &Rec, original: &[u8], at: usize) -> Result<(), String> {
    let (seq, ts, _, payload, meta, _, frame_len) = rec;
    let FrameAt::Frame { kind, body, total } = frame::frame_at(original, at, true) else {
        return Err("no valid frame there in the original".into());
    };
    let body = match frame::decode_record(body) {
        Some(b) if kind == KIND_RECORD => b,
        _ => return Err("not a record frame".into()),
    };
    if total as u64 != *frame_len || (body.seq, body.timestamp_ns) != (*seq, *ts) {
        return Err(format!(
            "the frame there is record {} of {total} bytes",
            body.seq
        ));
    }
    let written: Vec<(&[u8], &[u8])> = MetaIter::new(body.meta).collect();
    let read: Vec<(&[u8], &[u8])> = meta
        .iter()
        .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
        .collect();
    if body.payload != &payload[..] || written != read {
        return Err("payload or metadata differ".into());
    }
    Ok(())
}

/// A full pass of a reader opened with `open` (after `setup`); its records
/// checked as `assert_written` does with `at_offset`.
fn pass(
    open: fn(&Path) -> binlog::Result<Reader>,
    path: &Path,
    original: &Original,
    at_offset: bool,
    setup: impl FnOnce(&mut Reader),
) -> Result<Pass, String> {
    let mut r = open(path).map_err(|e| error_text(&e))?;
    setup(&mut r);
    let (records, error) = drain(&mut r, original, MAX_STEPS, at_offset);
    // At the end (or at the error), another call stays there.
    let _ = r.next();
    Ok(Pass {
        records,
        error,
        damages: r.damages().to_vec(),
        tail: r.tail(),
    })
}

fn open(p: &Path) -> binlog::Result<Reader> {
    Reader::open(p)
}

fn open_salvage(p: &Path) -> binlog::Result<Reader> {
    Reader::open_salvage(p)
}

fn read_every_way(path: &Path, original: &Original, data: &[u8]) {
    let on_thread = pass(open, path, original, true, |r| r.decode_threads(0));
    let ahead = pass(open, path, original, true, |r| r.decode_threads(2));
    assert_eq!(on_thread, ahead, "decode_threads 0 and 2 differ");
    let salvaged = pass(open_salvage, path, original, true, |_| {});
    let Ok(scan) = on_thread else {
        return;
    };
    if let Ok(s) = &salvaged {
        if scan.clean() {
            assert_eq!(
                s.records, scan.records,
                "a salvage of a clean segment differs"
            );
        }
    }
    typed_reads(path, original, &scan);
    seeks(path, original, &scan, data);
}

/// Each type of the scan alone (up to `TYPED_PASSES`), and one no record
/// has: a clean typed read returns exactly the clean scan's records of
/// that type.
fn typed_reads(path: &Path, original: &Original, scan: &Pass) {
    let mut types: Vec<&str> = scan.records.iter().map(|r| r.2.as_str()).collect();
    types.sort();
    types.dedup();
    types.truncate(TYPED_PASSES);
    types.push("no such type");
    for t in types {
        let Ok(typed) = pass(open, path, original, false, |r| r.filter_types(&[t])) else {
            continue;
        };
        if scan.clean() && typed.clean() {
            let want: Vec<&Rec> = scan.records.iter().filter(|r| r.2 == t).collect();
            let got: Vec<&Rec> = typed.records.iter().collect();
            assert_eq!(got, want, "type filter {t:?} differs from the scan");
        }
    }
}

/// Seeks by sequence number and time to targets from the scan and from the
/// input's bytes, each followed by a few reads; after a clean scan, the
/// record found is the scan's first at or past the target.
fn seeks(path: &Path, original: &Original, scan: &Pass, data: &[u8]) {
    let Ok(mut r) = Reader::open(path) else {
        return;
    };
    let from_input = |at: usize| {
        let b = data.get(at..at + 8).unwrap_or(&[0; 8]);
        u64::from_le_bytes(b.try_into().unwrap())
    };
    let mut seqs = vec![0, u64::MAX, from_input(data.len() / 2)];
    let mut times = vec![i64::MIN, i64::MAX, from_input(data.len() / 3) as i64];
    let recs = &scan.records;
    for rec in recs.iter().step_by(recs.len() / 4 + 1).chain(recs.last()) {
        seqs.extend([rec.0, rec.0.wrapping_add(1)]);
        times.extend([rec.1, rec.1.wrapping_add(1)]);
    }
    // Backwards as well as forwards.
    seqs.extend(seqs.clone().into_iter().rev());
    times.extend(times.clone().into_iter().rev());
    for &s in &seqs {
        let want = recs.iter().find(|r| r.0 >= s);
        let sought = r.seek_seq(s);
        let what = format!("seek_seq({s})");
        seek_then_read(&mut r, original, scan, sought, want, &what);
    }
    for &t in &times {
        let want = recs.iter().find(|r| r.1 >= t);
        let sought = r.seek_time(t);
        let what = format!("seek_time({t})");
        seek_then_read(&mut r, original, scan, sought, want, &what);
    }
}

fn seek_then_read(
    r: &mut Reader,
    original: &Original,
    scan: &Pass,
    sought: binlog::Result<()>,
    want: Option<&Rec>,
    what: &str,
) {
    if sought.is_err() {
        return;
    }
    let (got, error) = drain(r, original, 3, true);
    if scan.clean() && error.is_none() {
        assert_eq!(got.first(), want, "{what} differs from the scan");
    }
}
