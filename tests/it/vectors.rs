//! Golden vectors: committed segment files in `tests/vectors/` that pin the
//! on-disk format (docs/FORMAT.md) byte for byte.
//!
//! For every vector this test
//!   (a) writes it again with the Rust API (`binlog::Writer`, deterministic
//!       options: fixed `created_ns`, `writer_version = "libbinlog/golden"`,
//!       explicit timestamps, fixed parameters) and asserts that the bytes
//!       equal the committed file exactly;
//!   (b) reads the committed file with `binlog::Reader` and asserts every
//!       field of every record (sequence number, timestamp, type, metadata,
//!       payload, offset and frame length), the header, the seal summary and
//!       how the reader classifies the end (`Tail`);
//!   (c) decodes the committed file a second time with the small independent
//!       decoder in `mod spec` below, written from docs/FORMAT.md and not from
//!       the library, and checks literal bytes at fixed offsets (magic,
//!       version, header length, trailer), so that a format change is caught
//!       even if the writer and the reader change together.
//!
//! A missing vector is a failure, never a skip. To (re)generate the files run
//!
//!     BINLOG_UPDATE_VECTORS=1 tests/run_rust_tests.sh vectors
//!
//! which writes every vector and then runs all the checks against the new
//! files (so it passes only if they are sound). Regenerating changes committed
//! bytes: that is a format change. Read the diff, update docs/FORMAT.md
//! (including its worked hex example) and the literal values below
//! (`SEALED_*` constants and the fixed-offset checks) by hand.
//!
//! Vectors:
//! - `sealed-basic`:  three types (one with a non-ASCII name), metadata on some
//!   records, an empty payload, a binary payload, an out-of-order timestamp;
//!   sealed by `close`.
//! - `unsealed`:      written and flushed, copied before `close`: no seal;
//!   read by a scan, `Tail::Unsealed`.
//! - `torn-tail`:     `unsealed` cut inside its last record: the earlier records
//!   read, then `Tail::Torn` at the last record's offset.
//! - `minor-version`: `sealed-basic` whose header says version 1.1 and carries
//!   an extra field before the header CRC (header_len and CRC fixed up). It is
//!   made by writing that header, then letting a 1.0 writer append the same
//!   records and seal (so the seal's offsets are shifted consistently).

use crate::common;

use binlog::{Durability, Options, Reader, Tail, Writer};
use common::TempDir;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const T0: i64 = 1_700_000_000_000_000_000; // 2023-11-14T22:13:20Z
const WRITER_VERSION: &str = "libbinlog/golden";
const SPARSE_INTERVAL: u32 = 128;

/// Literal facts about `sealed-basic`, checked independently of the library.
const SEALED_HEADER_LEN: u64 = 127;
const SEALED_FIRST_FRAME_LEN: u64 = 64;
const SEALED_RECORDS_END: u64 = 525;
const SEALED_DIR_OFFSET: u64 = 670;
const SEALED_FILE_LEN: u64 = 904;

/// Bytes a 1.1 header carries after the 1.0 fields in `minor-version`.
const EXTRA_FIELD: &[u8] = b"\x00\x00\x0f\x00future-field-v1";

// ---------------------------------------------------------------------------
// The records of each vector.

#[derive(Clone, Debug)]
struct Rec {
    seq: u64,
    ts: i64,
    ty: &'static str,
    meta: Vec<(&'static str, &'static str)>,
    payload: Vec<u8>,
}

fn rec(
    seq: u64,
    ts: i64,
    ty: &'static str,
    meta: &[(&'static str, &'static str)],
    payload: &[u8],
) -> Rec {
    Rec {
        seq,
        ts,
        ty,
        meta: meta.to_vec(),
        payload: payload.to_vec(),
    }
}

fn sealed_records() -> Vec<Rec> {
    let binary: Vec<u8> = vec![
        0x00, 0xff, 0x80, 0x7f, 0x0d, 0x0a, 0x1a, 0x0a, 0xde, 0xad, 0xbe, 0xef,
    ];
    let ramp: Vec<u8> = (0u8..64).collect();
    vec![
        rec(
            100,
            T0 + 1_000,
            "trade",
            &[("venue", "XLON")],
            b"BUY 100 ACME @ 12.50",
        ),
        rec(101, T0 + 2_000, "quote", &[], &binary),
        rec(
            102,
            T0 + 3_000,
            "événement",
            &[("ключ", "значение"), ("empty", "")],
            b"",
        ),
        rec(103, T0 + 1_500, "trade", &[], b"SELL 5 ACME @ 12.75"),
        rec(104, T0 + 4_000, "quote", &[("src", "feed-b")], &ramp),
        rec(105, T0 + 5_000, "événement", &[], br#"{"k":1}"#),
        rec(106, T0 + 6_000, "trade", &[("venue", "XNAS")], b""),
    ]
}

fn sealed_options() -> Options {
    Options {
        log_name: "golden".into(),
        content_type: "application/octet-stream".into(),
        params: vec![
            ("host".into(), "h1".into()),
            ("zone".into(), "eu-west".into()),
        ],
        first_seq: 100,
        segment_no: 2,
        created_ns: Some(T0),
        writer_version: WRITER_VERSION.into(),
        sparse_interval: SPARSE_INTERVAL,
        durability: Durability::None,
        buffer_size: 64 << 10,
        ..Options::default()
    }
}

fn unsealed_records() -> Vec<Rec> {
    vec![
        rec(0, T0 + 10, "tick", &[], b"one"),
        rec(1, T0 + 20, "tick", &[("k", "v")], b"two"),
        rec(2, T0 + 30, "note", &[], b"three"),
        rec(3, T0 + 40, "tick", &[], b"four: the last record"),
    ]
}

fn unsealed_options() -> Options {
    Options {
        log_name: "golden-unsealed".into(),
        content_type: "text/plain".into(),
        params: vec![],
        first_seq: 0,
        segment_no: 0,
        created_ns: Some(T0),
        writer_version: WRITER_VERSION.into(),
        sparse_interval: SPARSE_INTERVAL,
        durability: Durability::None,
        buffer_size: 64 << 10,
        ..Options::default()
    }
}

/// Bytes cut off the end of `unsealed` to make `torn-tail` (all inside the
/// last record's payload).
const TORN_CUT: usize = 7;

// ---------------------------------------------------------------------------
// Plumbing.

fn update() -> bool {
    std::env::var_os("BINLOG_UPDATE_VECTORS").is_some_and(|v| v == "1")
}

fn vector_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(format!("{name}.binlog"))
}

fn write_records(w: &Writer, recs: &[Rec]) {
    for r in recs {
        let seq = w.write_with(r.ty, &r.meta, Some(r.ts), &r.payload).unwrap();
        assert_eq!(seq, r.seq, "writer gave an unexpected sequence number");
    }
}

/// Writes vector `name` with the Rust API, in a scratch directory.
fn generate(name: &str) -> Vec<u8> {
    let dir = TempDir::new(&format!("gen-{name}"));
    let bytes = match name {
        "sealed-basic" => generate_sealed(&dir),
        "unsealed" => generate_unsealed(&dir),
        "torn-tail" => generate_torn(&dir),
        "minor-version" => generate_minor(&dir),
        "type-schemas" => generate_schemas(&dir),
        _ => panic!("no generator for vector {name}"),
    };
    bytes
}

/// The committed bytes of vector `name`; a missing file is a failure. With
/// BINLOG_UPDATE_VECTORS=1 the vector is generated and written first (through
/// a temporary file and a rename, so that tests running in parallel never see
/// a partly written vector).
fn vector(name: &str) -> Vec<u8> {
    let path = vector_path(name);
    if update() {
        let fresh = generate(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let tmp_dir = TempDir::new(&format!("update-{name}"));
        let tmp = tmp_dir.join("vector.tmp");
        std::fs::write(&tmp, &fresh).unwrap();
        if std::fs::rename(&tmp, &path).is_err() {
            // Another filesystem: write next to the target, then rename.
            static N: AtomicUsize = AtomicUsize::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let near = path.with_extension(format!("tmp-{}-{n}", std::process::id()));
            std::fs::write(&near, &fresh).unwrap();
            std::fs::rename(&near, &path).unwrap();
        }
    }
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "golden vector {} is missing ({e}); generate it with BINLOG_UPDATE_VECTORS=1 tests/run_rust_tests.sh vectors",
            path.display()
        )
    })
}

fn assert_same_bytes(name: &str, committed: &[u8], fresh: &[u8]) {
    if committed == fresh {
        return;
    }
    let at = committed
        .iter()
        .zip(fresh)
        .position(|(a, b)| a != b)
        .unwrap_or(committed.len().min(fresh.len()));
    let window = |b: &[u8]| {
        let lo = at.saturating_sub(8);
        let hi = (at + 8).min(b.len());
        hex(&b[lo..hi])
    };
    panic!(
        "{name}: the writer no longer reproduces the committed vector: first difference at offset {at} \
         (committed {} bytes, written {} bytes)\n  committed: {}\n  written:   {}\n\
         If the format change is intended, regenerate with BINLOG_UPDATE_VECTORS=1 and update docs/FORMAT.md.",
        committed.len(),
        fresh.len(),
        window(committed),
        window(fresh)
    );
}

fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn u32_at(b: &[u8], at: u64) -> u32 {
    let at = at as usize;
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], at: u64) -> u64 {
    let at = at as usize;
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

// ---------------------------------------------------------------------------
// Generators: the Rust API writes each vector.

fn generate_sealed(dir: &Path) -> Vec<u8> {
    let p = dir.join("sealed-basic.binlog");
    let w = Writer::open(&p, sealed_options()).unwrap();
    write_records(&w, &sealed_records());
    w.close().unwrap();
    std::fs::read(&p).unwrap()
}

fn generate_unsealed(dir: &Path) -> Vec<u8> {
    let p = dir.join("unsealed.binlog");
    let w = Writer::open(&p, unsealed_options()).unwrap();
    write_records(&w, &unsealed_records());
    w.flush().unwrap();
    // What a crash between records leaves: everything handed to the OS, no seal.
    let bytes = std::fs::read(&p).unwrap();
    w.close().unwrap();
    bytes
}

fn generate_torn(dir: &Path) -> Vec<u8> {
    let mut b = generate_unsealed(dir);
    b.truncate(b.len() - TORN_CUT);
    b
}

/// The minor version of `minor-version`: one past the newest, whose
/// fields this library does not know.
const FUTURE_MINOR: u16 = 2;

/// The 1.0 header of `sealed` turned into a header of a future minor
/// version: 1.1's schema table (empty) and a field of its own.
fn minor_header(sealed: &[u8]) -> Vec<u8> {
    let hl = u32_at(sealed, 12) as usize;
    let mut h = sealed[..hl - 4].to_vec();
    h[10..12].copy_from_slice(&FUTURE_MINOR.to_le_bytes());
    h.extend_from_slice(EXTRA_FIELD);
    let total = (h.len() + 4) as u32;
    h[12..16].copy_from_slice(&total.to_le_bytes());
    let crc = crc32fast::hash(&h);
    h.extend_from_slice(&crc.to_le_bytes());
    h
}

fn generate_minor(dir: &Path) -> Vec<u8> {
    let sealed_dir = dir.join("for-minor");
    std::fs::create_dir_all(&sealed_dir).unwrap();
    let sealed = generate_sealed(&sealed_dir);
    let p = dir.join("minor-version.binlog");
    std::fs::write(&p, minor_header(&sealed)).unwrap();
    // A writer opens the newer segment (no records yet), keeps its header,
    // appends the records and seals.
    let w = Writer::open(&p, sealed_options()).unwrap();
    assert_eq!(w.next_seq(), 100);
    write_records(&w, &sealed_records());
    w.close().unwrap();
    std::fs::read(&p).unwrap()
}

/// A FileDescriptorSet declaring message `golden.Trade`, encoded by hand
/// (file { package "golden", message_type { name "Trade" } }).
fn descriptor_set() -> Vec<u8> {
    let field = |n: u8, body: &[u8]| [&[n << 3 | 2, body.len() as u8][..], body].concat();
    let file = [field(2, b"golden"), field(4, &field(1, b"Trade"))].concat();
    field(1, &file)
}

fn schema_options() -> Options {
    let mut json = binlog::TypeSchema::self_describing("événement", "json");
    json.schema_encoding = "jsonschema".into();
    json.schema = br#"{"type":"object","properties":{"k":{"type":"integer"}}}"#.to_vec();
    Options {
        schemas: vec![
            binlog::TypeSchema::protobuf("trade", descriptor_set(), "golden.Trade"),
            json,
        ],
        ..sealed_options()
    }
}

fn generate_schemas(dir: &Path) -> Vec<u8> {
    let p = dir.join("type-schemas.binlog");
    let w = Writer::open(&p, schema_options()).unwrap();
    write_records(&w, &sealed_records());
    w.close().unwrap();
    std::fs::read(&p).unwrap()
}

// ---------------------------------------------------------------------------
// Checks through the library.

/// Reads every record with `binlog::Reader` and compares it with `expected`;
/// returns the reader (at its end) and the records' (offset, frame_len).
fn read_all(path: &Path, expected: &[Rec]) -> (Reader, Vec<(u64, u64)>) {
    let mut r = Reader::open(path).unwrap();
    let mut placed = Vec::new();
    for (i, want) in expected.iter().enumerate() {
        let got = r
            .next()
            .unwrap_or_else(|e| panic!("{}: record {i}: {e}", path.display()))
            .unwrap_or_else(|| {
                panic!(
                    "{}: only {i} records, expected {}",
                    path.display(),
                    expected.len()
                )
            });
        assert_eq!(got.seq, want.seq, "record {i}: seq");
        assert_eq!(got.timestamp_ns, want.ts, "record {i}: timestamp");
        assert_eq!(got.type_name, want.ty, "record {i}: type");
        assert_eq!(
            got.meta_count(),
            want.meta.len(),
            "record {i}: metadata count"
        );
        assert_eq!(
            got.metadata().collect::<Vec<_>>(),
            want.meta,
            "record {i}: metadata"
        );
        for (k, v) in &want.meta {
            assert_eq!(got.meta(k), Some(*v), "record {i}: meta({k:?})");
        }
        assert_eq!(got.payload, &want.payload[..], "record {i}: payload");
        placed.push((got.offset, got.frame_len));
    }
    assert!(
        r.next().unwrap().is_none(),
        "{}: more records than expected",
        path.display()
    );
    (r, placed)
}

fn check_header(r: &Reader, opts: &Options, minor: u16) {
    let h = r.header();
    assert_eq!((h.major, h.minor), (1, minor));
    assert_eq!(h.created_ns, T0);
    assert_eq!(h.segment_no, opts.segment_no);
    assert_eq!(h.first_seq, opts.first_seq);
    assert_eq!(h.log_name, opts.log_name);
    assert_eq!(h.content_type, opts.content_type);
    assert_eq!(h.writer, WRITER_VERSION);
    assert_eq!(h.params, opts.params);
}

/// The sparse index the writer builds (docs/FORMAT.md, "Sparse index").
fn expected_sparse(recs: &[Rec], placed: &[(u64, u64)], interval: u64) -> Vec<(u64, u64, i64)> {
    let mut out = Vec::new();
    let mut next_at = 0u64;
    let mut max_ts: Option<i64> = None;
    for (r, &(offset, _)) in recs.iter().zip(placed) {
        if offset >= next_at {
            out.push((r.seq, offset, max_ts.unwrap_or(i64::MIN)));
            next_at = offset + interval;
        }
        max_ts = Some(max_ts.map_or(r.ts, |m| m.max(r.ts)));
    }
    out
}

/// Everything a sealed vector's seal must say, through `Reader::seal` and
/// through the independent decoder.
fn check_seal(bytes: &[u8], r: &Reader, recs: &[Rec], placed: &[(u64, u64)]) {
    let d = r.seal().expect("sealed vector must open from its seal");
    let records_end = placed.last().map(|&(o, l)| o + l).unwrap();
    assert_eq!(d.record_count, recs.len() as u64);
    assert_eq!(d.first_seq, recs[0].seq);
    assert_eq!(d.last_seq, recs.last().unwrap().seq);
    assert_eq!(d.first_ts, recs[0].ts);
    assert_eq!(d.last_ts, recs.last().unwrap().ts);
    assert_eq!(d.min_ts, recs.iter().map(|r| r.ts).min().unwrap());
    assert_eq!(d.max_ts, recs.iter().map(|r| r.ts).max().unwrap());
    assert_eq!(d.records_end, records_end);

    // Types in id order (order of first use), with counts and frame bytes.
    let mut names: Vec<&str> = Vec::new();
    for rc in recs {
        if !names.contains(&rc.ty) {
            names.push(rc.ty);
        }
    }
    assert_eq!(
        d.types.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        names
    );
    assert_eq!(r.types().iter().map(|t| &**t).collect::<Vec<_>>(), names);
    for t in &d.types {
        let mine: Vec<_> = recs
            .iter()
            .zip(placed)
            .filter(|(rc, _)| rc.ty == t.name)
            .collect();
        assert_eq!(t.count, mine.len() as u64, "type {}: count", t.name);
        assert_eq!(
            t.bytes,
            mine.iter().map(|(_, p)| p.1).sum::<u64>(),
            "type {}: bytes",
            t.name
        );
    }

    // The same, and the index contents, decoded independently.
    let s = spec::seal(bytes);
    assert_eq!(s.records_end, records_end);
    assert_eq!(s.begin_count, recs.len() as u64);
    assert_eq!(s.record_count, d.record_count);
    assert_eq!((s.first_seq, s.last_seq), (d.first_seq, d.last_seq));
    assert_eq!(
        (s.first_ts, s.last_ts, s.min_ts, s.max_ts),
        (d.first_ts, d.last_ts, d.min_ts, d.max_ts)
    );
    assert_eq!(s.sparse_offset, d.sparse_offset);
    assert_eq!(s.sparse.len() as u64, d.sparse_count);
    assert_eq!(s.types.len(), d.types.len());
    // Layout written by a 1.0 writer: SEAL_BEGIN, the arrays in type id order,
    // the sparse index, the directory frame, the trailer, with no gaps.
    let mut at = records_end + 17;
    for (st, t) in s.types.iter().zip(&d.types) {
        assert_eq!(
            (st.name.as_str(), st.count, st.bytes),
            (t.name.as_str(), t.count, t.bytes)
        );
        assert_eq!(st.array_offset, at, "type {}: array offset", t.name);
        assert_eq!(t.array_offset, at);
        let want: Vec<u64> = recs
            .iter()
            .zip(placed)
            .filter(|(rc, _)| rc.ty == t.name)
            .map(|(_, p)| p.0)
            .collect();
        assert_eq!(st.offsets, want, "type {}: offset array", t.name);
        at += 8 * st.count;
    }
    assert_eq!(s.sparse_offset, at);
    assert_eq!(s.dir_offset, at + 24 * s.sparse.len() as u64);
    assert_eq!(s.dir_offset + s.dir_len as u64 + 32, bytes.len() as u64);
    assert_eq!(
        s.sparse,
        expected_sparse(recs, placed, SPARSE_INTERVAL as u64)
    );
    assert!(
        s.sparse.len() >= 3,
        "the vector should exercise several sparse entries"
    );
}

/// The independent decoder must agree with the reader about every record.
fn check_spec_records(
    bytes: &[u8],
    recs: &[Rec],
    placed: &[(u64, u64)],
    first_seq: u64,
) -> spec::Scan {
    let h = spec::header(bytes);
    let scan = spec::scan(bytes, h.header_len as usize, first_seq);
    assert_eq!(scan.records.len(), recs.len(), "spec decoder: record count");
    let mut defined: Vec<String> = Vec::new();
    for (i, ((s, want), &(offset, frame_len))) in
        scan.records.iter().zip(recs).zip(placed).enumerate()
    {
        assert_eq!(
            (s.offset, s.frame_len),
            (offset, frame_len),
            "record {i}: placement"
        );
        assert_eq!((s.seq, s.ts), (want.seq, want.ts), "record {i}");
        // Inline definition exactly on the first record of each type.
        let first_use = !defined.iter().any(|d| d == want.ty);
        if first_use {
            assert_eq!(
                s.defines.as_deref(),
                Some(want.ty),
                "record {i}: inline type definition"
            );
            assert_eq!(s.type_id as usize, defined.len(), "record {i}: new type id");
            defined.push(want.ty.to_string());
        } else {
            assert_eq!(
                s.defines, None,
                "record {i}: only the first record of a type defines it"
            );
        }
        assert_eq!(defined[s.type_id as usize], want.ty, "record {i}: type id");
        let meta: Vec<(&str, &str)> = s
            .meta
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(meta, want.meta, "record {i}: metadata");
        assert_eq!(
            s.has_meta_flag,
            !want.meta.is_empty(),
            "record {i}: metadata flag"
        );
        assert_eq!(s.payload, want.payload, "record {i}: payload");
    }
    scan
}

/// Literal bytes every 1.x segment has at fixed places.
fn check_fixed_prefix(b: &[u8], minor: u16) {
    assert_eq!(
        &b[0..8],
        &[0x89, 0x42, 0x4c, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
        "magic"
    );
    assert_eq!(&b[8..10], &[0x01, 0x00], "major version 1, little-endian");
    assert_eq!(&b[10..12], &minor.to_le_bytes(), "minor version");
    assert_eq!(&b[40..44], &[0, 0, 0, 0], "header flags are zero");
    let hl = u32_at(b, 12) as usize;
    assert_eq!(
        u32_at(b, hl as u64 - 4),
        crc32fast::hash(&b[..hl - 4]),
        "header CRC"
    );
}

fn check_sealed_suffix(b: &[u8], records_end: u64) {
    let n = b.len() as u64;
    assert_eq!(
        &b[b.len() - 8..],
        b"BLGSEAL1",
        "trailer magic ends the file"
    );
    assert_eq!(u64_at(b, n - 32), records_end, "trailer: records_end");
    assert_eq!(
        u32_at(b, n - 12),
        crc32fast::hash(&b[b.len() - 32..b.len() - 12]),
        "trailer CRC"
    );
    // SEAL_BEGIN: body length 9, kind 2.
    assert_eq!(u32_at(b, records_end), 9, "SEAL_BEGIN body length");
    assert_eq!(b[records_end as usize + 8], 0x02, "SEAL_BEGIN kind");
    let dir_offset = u64_at(b, n - 24);
    assert_eq!(b[dir_offset as usize + 8], 0x03, "SEAL_DIR kind");
    assert_eq!(
        dir_offset + u32_at(b, n - 16) as u64,
        n - 32,
        "directory ends at the trailer"
    );
}

// ---------------------------------------------------------------------------
// The vectors.

#[test]
fn sealed_basic() {
    let fresh = generate("sealed-basic");
    let bytes = vector("sealed-basic");
    let path = vector_path("sealed-basic");
    let recs = sealed_records();

    let (r, placed) = read_all(&path, &recs);
    assert_eq!(r.tail(), Tail::Sealed);
    check_header(&r, &sealed_options(), 0);
    assert_eq!(r.data_start(), SEALED_HEADER_LEN);
    check_seal(&bytes, &r, &recs, &placed);
    let scan = check_spec_records(&bytes, &recs, &placed, 100);
    assert_eq!(scan.end, spec::End::SealBegin(SEALED_RECORDS_END));

    // Literal layout facts (update by hand only for an intended format change).
    check_fixed_prefix(&bytes, 0);
    assert_eq!(u32_at(&bytes, 12) as u64, SEALED_HEADER_LEN, "header_len");
    assert_eq!(bytes.len() as u64, SEALED_FILE_LEN, "file length");
    assert_eq!(
        placed[0],
        (SEALED_HEADER_LEN, SEALED_FIRST_FRAME_LEN),
        "first record frame"
    );
    assert_eq!(
        bytes[SEALED_HEADER_LEN as usize + 8],
        0x31,
        "first record: kind 1 | defines type | has metadata"
    );
    assert_eq!(
        bytes[(SEALED_HEADER_LEN + SEALED_FIRST_FRAME_LEN) as usize + 8],
        0x11,
        "second record: kind 1 | defines type"
    );
    check_sealed_suffix(&bytes, SEALED_RECORDS_END);
    assert_eq!(
        u64_at(&bytes, SEALED_FILE_LEN - 24),
        SEALED_DIR_OFFSET,
        "trailer: dir_offset"
    );
    assert_same_bytes("sealed-basic", &bytes, &fresh);
}

#[test]
fn sealed_basic_seek_and_filter_use_the_seal() {
    let recs = sealed_records();
    vector("sealed-basic");
    let mut r = Reader::open(vector_path("sealed-basic")).unwrap();
    for target in [100u64, 103, 106] {
        r.seek_seq(target).unwrap();
        assert_eq!(r.next().unwrap().unwrap().seq, target);
    }
    r.seek_seq(107).unwrap();
    assert!(r.next().unwrap().is_none());
    // First record in write order with a timestamp at or after the target.
    for (ts, want) in [
        (T0 + 1_200, 101u64),
        (T0 + 1_500, 101),
        (T0 + 3_500, 104),
        (T0, 100),
        (T0 + 6_000, 106),
    ] {
        r.seek_time(ts).unwrap();
        assert_eq!(r.next().unwrap().unwrap().seq, want, "seek_time({ts})");
    }
    r.seek_time(T0 + 6_001).unwrap();
    assert!(r.next().unwrap().is_none());

    let mut r = Reader::open(vector_path("sealed-basic")).unwrap();
    r.filter_types(&["événement"]);
    let mut seqs = Vec::new();
    while let Some(x) = r.next().unwrap() {
        let want = recs.iter().find(|w| w.seq == x.seq).unwrap();
        assert_eq!((x.type_name, x.payload), (want.ty, &want.payload[..]));
        seqs.push(x.seq);
    }
    assert_eq!(seqs, vec![102, 105]);
    assert_eq!(r.tail(), Tail::Sealed);
}

#[test]
fn sealed_basic_reopen_removes_and_rewrites_the_same_seal() {
    let dir = TempDir::new("sealed-reopen");
    let p = dir.join("copy.binlog");
    let bytes = vector("sealed-basic");
    std::fs::write(&p, &bytes).unwrap();
    let w = Writer::open(&p, sealed_options()).unwrap();
    assert_eq!(w.next_seq(), 107);
    // While open for appending the seal is gone; the records are untouched.
    assert_eq!(
        std::fs::read(&p).unwrap(),
        &bytes[..SEALED_RECORDS_END as usize]
    );
    w.close().unwrap();
    assert_eq!(
        std::fs::read(&p).unwrap(),
        bytes,
        "resealing must reproduce the seal"
    );
}

#[test]
fn unsealed() {
    let fresh = generate("unsealed");
    let bytes = vector("unsealed");
    let path = vector_path("unsealed");
    let recs = unsealed_records();

    let (r, placed) = read_all(&path, &recs);
    assert_eq!(r.tail(), Tail::Unsealed);
    assert!(r.seal().is_none());
    check_header(&r, &unsealed_options(), 0);
    let end = placed.last().map(|&(o, l)| o + l).unwrap();
    assert_eq!(
        end,
        bytes.len() as u64,
        "an unsealed segment ends right after its last record"
    );
    assert_eq!(r.position(), end);
    assert_eq!(r.next_seq(), 4);
    let scan = check_spec_records(&bytes, &recs, &placed, 0);
    assert_eq!(scan.end, spec::End::Clean(end));
    check_fixed_prefix(&bytes, 0);
    assert_ne!(&bytes[bytes.len() - 8..], b"BLGSEAL1");

    // A writer reopening it cuts nothing and continues the sequence.
    let dir = TempDir::new("reopen");
    let copy = dir.join("reopen.binlog");
    std::fs::write(&copy, &bytes).unwrap();
    let w = Writer::open(&copy, unsealed_options()).unwrap();
    assert_eq!(w.next_seq(), 4);
    assert_eq!(std::fs::read(&copy).unwrap(), bytes);
    drop(w);

    assert_same_bytes("unsealed", &bytes, &fresh);
}

#[test]
fn torn_tail() {
    let fresh = generate("torn-tail");
    let bytes = vector("torn-tail");
    let path = vector_path("torn-tail");
    let all = unsealed_records();
    let recs = &all[..3];

    let (r, placed) = read_all(&path, recs);
    let last_offset = placed.last().map(|&(o, l)| o + l).unwrap();
    let torn_len = bytes.len() as u64 - last_offset;
    assert_eq!(
        r.tail(),
        Tail::Torn {
            offset: last_offset,
            len: torn_len
        }
    );
    assert!(r.seal().is_none());
    assert_eq!(r.position(), last_offset);
    // The torn record is the whole last record minus the cut.
    let unsealed = vector("unsealed");
    assert_eq!(
        &bytes[..],
        &unsealed[..unsealed.len() - TORN_CUT],
        "torn-tail is unsealed minus its last bytes"
    );
    assert_eq!(
        u32_at(&bytes, last_offset) as u64 + 8,
        torn_len + TORN_CUT as u64,
        "the cut is inside the last record"
    );
    let scan = check_spec_records(&bytes, recs, &placed, 0);
    assert_eq!(scan.end, spec::End::Torn(last_offset));
    check_fixed_prefix(&bytes, 0);

    // A writer reopening it backs the torn bytes up, cuts them off, and
    // continues with the torn record's sequence number.
    let dir = TempDir::new("reopen");
    let copy = dir.join("reopen.binlog");
    std::fs::write(&copy, &bytes).unwrap();
    let w = Writer::open(&copy, unsealed_options()).unwrap();
    assert_eq!(w.next_seq(), 3);
    let backup = std::fs::read(format!("{}.corrupt-{last_offset}", copy.display())).unwrap();
    assert_eq!(backup, &bytes[last_offset as usize..]);
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        &bytes[..last_offset as usize]
    );
    assert_eq!(
        w.write_with("tick", &[], Some(T0 + 40), b"four again")
            .unwrap(),
        3
    );
    w.close().unwrap();
    let mut r = Reader::open(&copy).unwrap();
    let mut n = 0;
    while let Some(x) = r.next().unwrap() {
        n += 1;
        if x.seq == 3 {
            assert_eq!((x.type_name, x.payload), ("tick", &b"four again"[..]));
        }
    }
    assert_eq!((n, r.tail()), (4, Tail::Sealed));

    assert_same_bytes("torn-tail", &bytes, &fresh);
}

#[test]
fn minor_version() {
    let fresh = generate("minor-version");
    let bytes = vector("minor-version");
    let path = vector_path("minor-version");
    let recs = sealed_records();

    let (r, placed) = read_all(&path, &recs);
    assert_eq!(r.tail(), Tail::Sealed);
    check_header(&r, &sealed_options(), FUTURE_MINOR);
    let delta = EXTRA_FIELD.len() as u64;
    assert_eq!(r.data_start(), SEALED_HEADER_LEN + delta);
    check_seal(&bytes, &r, &recs, &placed);
    let scan = check_spec_records(&bytes, &recs, &placed, 100);
    assert_eq!(scan.end, spec::End::SealBegin(SEALED_RECORDS_END + delta));

    check_fixed_prefix(&bytes, FUTURE_MINOR);
    assert_eq!(
        u32_at(&bytes, 12) as u64,
        SEALED_HEADER_LEN + delta,
        "header_len"
    );
    let hl = (SEALED_HEADER_LEN + delta) as usize;
    assert_eq!(
        &bytes[hl - 4 - EXTRA_FIELD.len()..hl - 4],
        EXTRA_FIELD,
        "the extra field sits before the CRC"
    );
    check_sealed_suffix(&bytes, SEALED_RECORDS_END + delta);
    assert_eq!(
        u64_at(&bytes, SEALED_FILE_LEN + delta - 24),
        SEALED_DIR_OFFSET + delta,
        "trailer: dir_offset"
    );
    // Apart from the header, the records are sealed-basic's, byte for byte.
    let sealed = vector("sealed-basic");
    assert_eq!(
        &bytes[hl..(SEALED_RECORDS_END + delta) as usize],
        &sealed[SEALED_HEADER_LEN as usize..SEALED_RECORDS_END as usize]
    );
    assert_eq!(bytes.len() as u64, SEALED_FILE_LEN + delta);
    // The header fields up to the extension are sealed-basic's too.
    assert_eq!(
        &bytes[12 + 4..SEALED_HEADER_LEN as usize - 4],
        &sealed[16..SEALED_HEADER_LEN as usize - 4]
    );

    assert_same_bytes("minor-version", &bytes, &fresh);
}

#[test]
fn type_schemas_are_a_1_1_header_field_that_a_1_0_reader_skips() {
    let fresh = generate("type-schemas");
    let bytes = vector("type-schemas");
    let path = vector_path("type-schemas");
    let recs = sealed_records();

    // The library: the schemas back, the records as sealed-basic's.
    let (r, placed) = read_all(&path, &recs);
    check_header(&r, &sealed_options(), 1);
    assert_eq!(r.header().schemas, schema_options().schemas);
    assert!(r.header().type_schema("quote").is_none());
    check_seal(&bytes, &r, &recs, &placed);

    // This document's decoder: the table where FORMAT.md puts it.
    let h = spec::header(&bytes);
    let table = spec::schemas(&bytes, &h);
    let names: Vec<_> = table.iter().map(|s| s.type_name.as_str()).collect();
    assert_eq!(names, ["trade", "événement"]);
    assert_eq!(table[0].schema, descriptor_set());
    assert_eq!(table[0].schema_name, "golden.Trade");
    assert_eq!(table[1].schema_encoding, "jsonschema");

    // A 1.0 reader: the header fields it knows, the rest skipped, and every
    // record, frame and seal byte for byte sealed-basic's after the header.
    let delta = h.header_len as u64 - SEALED_HEADER_LEN;
    assert_eq!(h.params, sealed_options().params);
    let scan = check_spec_records(&bytes, &recs, &placed, 100);
    assert_eq!(scan.end, spec::End::SealBegin(SEALED_RECORDS_END + delta));
    let sealed = vector("sealed-basic");
    let hl = h.header_len as usize;
    assert_eq!(
        &bytes[hl..(SEALED_RECORDS_END + delta) as usize],
        &sealed[SEALED_HEADER_LEN as usize..SEALED_RECORDS_END as usize]
    );
    assert_same_bytes("type-schemas", &bytes, &fresh);
}

#[test]
fn other_major_is_refused() {
    let mut b = vector("sealed-basic");
    b[8] = 2; // major 2; the header CRC is not even looked at
    let dir = TempDir::new("major");
    let p = dir.join("major2.binlog");
    std::fs::write(&p, &b).unwrap();
    let e = Reader::open(&p).err().expect("major 2 must be refused");
    assert_eq!(e.kind(), binlog::ErrorKind::UnsupportedVersion);
    let e = Writer::open(&p, sealed_options())
        .err()
        .expect("a writer must refuse major 2 too");
    assert_eq!(e.kind(), binlog::ErrorKind::UnsupportedVersion);
}

// ---------------------------------------------------------------------------
// An independent decoder, written from docs/FORMAT.md. It panics on anything
// the specification calls invalid.

mod spec {
    pub struct Cur<'a> {
        pub b: &'a [u8],
        pub pos: usize,
    }

    impl<'a> Cur<'a> {
        pub fn new(b: &'a [u8], pos: usize) -> Cur<'a> {
            Cur { b, pos }
        }
        pub fn take(&mut self, n: usize) -> &'a [u8] {
            let s = &self.b[self.pos..self.pos + n];
            self.pos += n;
            s
        }
        pub fn u8(&mut self) -> u8 {
            self.take(1)[0]
        }
        pub fn u16(&mut self) -> u16 {
            u16::from_le_bytes(self.take(2).try_into().unwrap())
        }
        pub fn u32(&mut self) -> u32 {
            u32::from_le_bytes(self.take(4).try_into().unwrap())
        }
        pub fn u64(&mut self) -> u64 {
            u64::from_le_bytes(self.take(8).try_into().unwrap())
        }
        pub fn i64(&mut self) -> i64 {
            i64::from_le_bytes(self.take(8).try_into().unwrap())
        }
        /// Unsigned LEB128, at most 10 bytes.
        pub fn varint(&mut self) -> u64 {
            let mut v = 0u64;
            for i in 0..10 {
                let byte = self.u8();
                v |= ((byte & 0x7f) as u64) << (7 * i);
                if byte & 0x80 == 0 {
                    return v;
                }
            }
            panic!("varint longer than 10 bytes");
        }
        pub fn short_str(&mut self) -> String {
            let n = self.u16() as usize;
            String::from_utf8(self.take(n).to_vec()).expect("UTF-8")
        }
        pub fn var_str(&mut self) -> String {
            let n = self.varint() as usize;
            String::from_utf8(self.take(n).to_vec()).expect("UTF-8")
        }
    }

    #[allow(dead_code)]
    pub struct Header {
        pub major: u16,
        pub minor: u16,
        pub header_len: u32,
        pub created_ns: i64,
        pub segment_no: u64,
        pub first_seq: u64,
        pub flags: u32,
        pub log_name: String,
        pub content_type: String,
        pub writer: String,
        pub params: Vec<(String, String)>,
        /// Where the fields of 1.0 end: a 1.0 reader skips the rest.
        pub end_of_1_0: usize,
    }

    /// One entry of 1.1's schema table.
    #[derive(Debug, PartialEq, Eq)]
    pub struct Schema {
        pub type_name: String,
        pub encoding: String,
        pub schema_encoding: String,
        pub schema_name: String,
        pub schema: Vec<u8>,
    }

    /// 1.1's schema table, which starts where 1.0's fields end.
    pub fn schemas(b: &[u8], h: &Header) -> Vec<Schema> {
        assert!(h.minor >= 1, "a 1.0 header has no schema table");
        let mut c = Cur::new(&b[..h.header_len as usize - 4], h.end_of_1_0);
        (0..c.u16())
            .map(|_| Schema {
                type_name: c.short_str(),
                encoding: c.short_str(),
                schema_encoding: c.short_str(),
                schema_name: c.short_str(),
                schema: {
                    let n = c.u32() as usize;
                    c.take(n).to_vec()
                },
            })
            .collect()
    }

    pub fn header(b: &[u8]) -> Header {
        assert_eq!(&b[..8], b"\x89BLG\r\n\x1a\n");
        let mut c = Cur::new(b, 8);
        let major = c.u16();
        let minor = c.u16();
        assert_eq!(major, 1);
        let header_len = c.u32();
        assert!((56..=1 << 20).contains(&header_len));
        let hl = header_len as usize;
        let crc = u32::from_le_bytes(b[hl - 4..hl].try_into().unwrap());
        assert_eq!(crc, crc32fast::hash(&b[..hl - 4]), "header CRC");
        let mut c = Cur::new(&b[..hl - 4], 16);
        let h = Header {
            major,
            minor,
            header_len,
            created_ns: c.i64(),
            segment_no: c.u64(),
            first_seq: c.u64(),
            flags: c.u32(),
            log_name: c.short_str(),
            content_type: c.short_str(),
            writer: c.short_str(),
            params: (0..c.u16())
                .map(|_| (c.short_str(), c.short_str()))
                .collect(),
            end_of_1_0: 0,
        };
        let h = Header {
            end_of_1_0: c.pos,
            ..h
        };
        // Bytes left before the CRC belong to later minor versions: skipped.
        assert!(
            minor > 0 || c.pos == hl - 4,
            "a 1.0 header has nothing after the parameters"
        );
        h
    }

    #[derive(Debug)]
    pub struct SpecRecord {
        pub offset: u64,
        pub frame_len: u64,
        pub seq: u64,
        pub ts: i64,
        pub type_id: u32,
        pub defines: Option<String>,
        pub has_meta_flag: bool,
        pub meta: Vec<(String, String)>,
        pub payload: Vec<u8>,
    }

    #[derive(Debug, PartialEq, Eq)]
    pub enum End {
        /// The data ends right after the last record.
        Clean(u64),
        /// A SEAL_BEGIN frame starts here.
        SealBegin(u64),
        /// The frame here extends past the end of the file (or fails its CRC)
        /// and no valid record follows.
        Torn(u64),
    }

    pub struct Scan {
        pub records: Vec<SpecRecord>,
        pub end: End,
    }

    /// Reads frames from `start` to the first SEAL_BEGIN or the end.
    pub fn scan(b: &[u8], start: usize, first_seq: u64) -> Scan {
        let mut records = Vec::new();
        let mut pos = start;
        let mut types: Vec<String> = Vec::new();
        let end = loop {
            if pos == b.len() {
                break End::Clean(pos as u64);
            }
            if pos + 8 > b.len() {
                break End::Torn(pos as u64);
            }
            let len = u32::from_le_bytes(b[pos..pos + 4].try_into().unwrap()) as usize;
            let crc = u32::from_le_bytes(b[pos + 4..pos + 8].try_into().unwrap());
            assert!(len > 0, "zero frame length at {pos}");
            if pos + 8 + len > b.len() {
                break End::Torn(pos as u64);
            }
            let body = &b[pos + 8..pos + 8 + len];
            assert_eq!(crc32fast::hash(body), crc, "frame CRC at {pos}");
            let kind = body[0];
            assert_eq!(kind & 0xc0, 0, "reserved flag bits at {pos}");
            match kind & 0x0f {
                1 => {}
                2 => break End::SealBegin(pos as u64),
                k => panic!("unexpected frame kind {k} at {pos}"),
            }
            let mut c = Cur::new(body, 1);
            let seq = c.u64();
            assert_eq!(
                seq,
                first_seq + records.len() as u64,
                "sequence numbers are gap-free"
            );
            let ts = c.i64();
            let type_id = c.varint() as u32;
            let defines = (kind & 0x10 != 0).then(|| c.var_str());
            match &defines {
                Some(name) => {
                    assert_eq!(
                        type_id as usize,
                        types.len(),
                        "types are defined in id order"
                    );
                    types.push(name.clone());
                }
                None => assert!(
                    (type_id as usize) < types.len(),
                    "type used before its definition"
                ),
            }
            let has_meta_flag = kind & 0x20 != 0;
            let meta = if has_meta_flag {
                (0..c.varint())
                    .map(|_| (c.var_str(), c.var_str()))
                    .collect()
            } else {
                Vec::new()
            };
            let payload = body[c.pos..].to_vec();
            records.push(SpecRecord {
                offset: pos as u64,
                frame_len: (8 + len) as u64,
                seq,
                ts,
                type_id,
                defines,
                has_meta_flag,
                meta,
                payload,
            });
            pos += 8 + len;
        };
        Scan { records, end }
    }

    pub struct SpecType {
        pub name: String,
        pub count: u64,
        pub bytes: u64,
        pub array_offset: u64,
        pub offsets: Vec<u64>,
    }

    pub struct Seal {
        pub records_end: u64,
        pub dir_offset: u64,
        pub dir_len: u32,
        pub begin_count: u64,
        pub record_count: u64,
        pub first_seq: u64,
        pub last_seq: u64,
        pub first_ts: i64,
        pub last_ts: i64,
        pub min_ts: i64,
        pub max_ts: i64,
        pub sparse_offset: u64,
        pub sparse: Vec<(u64, u64, i64)>,
        pub types: Vec<SpecType>,
    }

    pub fn seal(b: &[u8]) -> Seal {
        let n = b.len();
        let t = &b[n - 32..];
        assert_eq!(&t[24..], b"BLGSEAL1");
        assert_eq!(
            u32::from_le_bytes(t[20..24].try_into().unwrap()),
            crc32fast::hash(&t[..20]),
            "trailer CRC"
        );
        let mut c = Cur::new(t, 0);
        let (records_end, dir_offset, dir_len) = (c.u64(), c.u64(), c.u32());
        assert_eq!(dir_offset + dir_len as u64, (n - 32) as u64);

        // SEAL_BEGIN: a 17-byte frame.
        let mut c = Cur::new(b, records_end as usize);
        assert_eq!(c.u32(), 9);
        let crc = c.u32();
        assert_eq!(
            crc,
            crc32fast::hash(&b[records_end as usize + 8..records_end as usize + 17])
        );
        assert_eq!(c.u8(), 2);
        let begin_count = c.u64();

        // SEAL_DIR.
        let mut c = Cur::new(b, dir_offset as usize);
        let len = c.u32() as usize;
        assert_eq!(len + 8, dir_len as usize);
        let crc = c.u32();
        let body_at = dir_offset as usize + 8;
        assert_eq!(
            crc,
            crc32fast::hash(&b[body_at..body_at + len]),
            "directory CRC"
        );
        assert_eq!(c.u8(), 3);
        let record_count = c.u64();
        let first_seq = c.u64();
        let last_seq = c.u64();
        let first_ts = c.i64();
        let last_ts = c.i64();
        let min_ts = c.i64();
        let max_ts = c.i64();
        assert_eq!(c.u64(), records_end, "directory records_end");
        let sparse_offset = c.u64();
        let sparse_count = c.u64();
        let sparse_crc = c.u32();
        let ntypes = c.varint();
        let mut types = Vec::new();
        for _ in 0..ntypes {
            let name = c.var_str();
            let (count, bytes, array_offset, array_crc) = (c.u64(), c.u64(), c.u64(), c.u32());
            let arr = &b[array_offset as usize..(array_offset + 8 * count) as usize];
            assert_eq!(
                crc32fast::hash(arr),
                array_crc,
                "offset array CRC of {name}"
            );
            let offsets = arr
                .chunks(8)
                .map(|x| u64::from_le_bytes(x.try_into().unwrap()))
                .collect();
            types.push(SpecType {
                name,
                count,
                bytes,
                array_offset,
                offsets,
            });
        }
        assert_eq!(
            c.pos,
            body_at + len,
            "a 1.0 directory has nothing after the type entries"
        );
        assert_eq!(types.iter().map(|t| t.count).sum::<u64>(), record_count);
        let sp = &b[sparse_offset as usize..(sparse_offset + 24 * sparse_count) as usize];
        assert_eq!(crc32fast::hash(sp), sparse_crc, "sparse index CRC");
        let sparse = sp
            .chunks(24)
            .map(|e| {
                let mut c = Cur::new(e, 0);
                (c.u64(), c.u64(), c.i64())
            })
            .collect();
        Seal {
            records_end,
            dir_offset,
            dir_len,
            begin_count,
            record_count,
            first_seq,
            last_seq,
            first_ts,
            last_ts,
            min_ts,
            max_ts,
            sparse_offset,
            sparse,
            types,
        }
    }
}

use crate::spec_classify;

/// Damaged files: the library's reader (skipping damage, and not) and the
/// classifier written from docs/FORMAT.md sections 9 and 10
/// (`spec_classify`) agree on every one.
mod damaged {
    use super::spec_classify::{classify, End};
    use binlog::{Options, Reader, Record, Tail, Writer};
    use std::path::Path;

    const TYPES: [&str; 3] = ["a", "b", "c"];

    /// Eight records of types a, b, c in turn (payloads of various sizes,
    /// metadata on one), sealed, and the same unsealed (copied before the
    /// writer closed); the record frames (offset, length).
    fn base(dir: &Path) -> (Vec<u8>, Vec<u8>, Vec<(usize, usize)>) {
        let p = dir.join("base.binlog");
        let w = Writer::open(&p, Options::default()).unwrap();
        for i in 0..8u64 {
            let payload: Vec<u8> = (0..(i * 7 % 40)).map(|j| (i * 31 + j) as u8 | 1).collect();
            let meta: &[(&str, &str)] = if i == 4 { &[("k", "v")] } else { &[] };
            w.write_with(TYPES[(i % 3) as usize], meta, Some(i as i64), &payload)
                .unwrap();
        }
        w.flush().unwrap();
        let unsealed = std::fs::read(&p).unwrap();
        w.close().unwrap();
        let sealed = std::fs::read(&p).unwrap();
        let mut r = Reader::open(&p).unwrap();
        let mut frames = Vec::new();
        while let Some(rec) = r.next().unwrap() {
            frames.push((rec.offset as usize, rec.frame_len as usize));
        }
        (sealed, unsealed, frames)
    }

    /// Damaged copies of `b`, named: every byte after the header flipped,
    /// length fields made large, 4 bytes zeroed or overwritten at each
    /// frame boundary, a stray SEAL_BEGIN frame at each record (counting
    /// the records before it, or not), cuts at every length.
    fn cases(b: &[u8], frames: &[(usize, usize)]) -> Vec<(String, Vec<u8>)> {
        let start = frames[0].0;
        let mut out = Vec::new();
        let mut with = |name: String, f: &dyn Fn(&mut Vec<u8>)| {
            let mut c = b.to_vec();
            f(&mut c);
            out.push((name, c));
        };
        for at in start..b.len() {
            with(format!("flip {at}"), &|c| c[at] ^= 0x01);
        }
        let mut bounds: Vec<usize> = frames.iter().map(|f| f.0).collect();
        let records_end = frames.last().map(|(o, l)| o + l).unwrap();
        bounds.push(records_end);
        for &s in &bounds {
            for at in [s + 1, s + 3].into_iter().filter(|&a| a < b.len()) {
                with(format!("length byte {at}"), &|c| c[at] ^= 0x7f);
            }
            // (Not into the header: a damaged header is another matter.)
            if s >= start + 2 && s + 2 <= b.len() {
                with(format!("zeros at {s}"), &|c| c[s - 2..s + 2].fill(0));
                with(format!("0xee at {s}"), &|c| c[s - 2..s + 2].fill(0xee));
            }
        }
        for (i, &(off, _)) in frames.iter().enumerate() {
            for count in [i as u64, 99] {
                let begin = binlog::format::seal::encode_seal_begin(count);
                with(format!("SEAL_BEGIN({count}) at record {i}"), &|c| {
                    c[off..off + begin.len()].copy_from_slice(&begin)
                });
            }
        }
        for len in start..b.len() {
            with(format!("cut at {len}"), &|c| c.truncate(len));
        }
        out
    }

    fn tail_of(e: End) -> Tail {
        match e {
            End::Sealed => Tail::Sealed,
            End::Unsealed => Tail::Unsealed,
            End::SealDamaged(offset) => Tail::SealDamaged { offset },
            End::Torn(offset, len) => Tail::Torn { offset, len },
        }
    }

    /// The library and the classifier agree on the file at `path`.
    fn agree(path: &Path, bytes: &[u8], header_len: usize, ctx: &str) {
        let spec = classify(bytes, header_len, 0);
        let mut r = Reader::open(path).unwrap();
        r.skip_damaged(true);
        let mut got = Vec::new();
        loop {
            match r.next() {
                Ok(Some(rec)) => {
                    got.push((rec.seq, rec.type_name.to_string(), rec.payload.to_vec()))
                }
                Ok(None) => break,
                Err(e) => panic!("{ctx}: the skipping reader failed: {e}"),
            }
        }
        let seqs = |v: &[(u64, String, Vec<u8>)]| v.iter().map(|r| r.0).collect::<Vec<_>>();
        let spec_seqs: Vec<u64> = spec.records.iter().map(|r| r.0).collect();
        assert_eq!(seqs(&got), spec_seqs, "{ctx}: records");
        for ((seq, id, name, payload), (_, lib_name, lib_payload)) in spec.records.iter().zip(&got)
        {
            assert_eq!(payload, lib_payload, "{ctx}: payload of {seq}");
            match name {
                Some(n) => assert_eq!(n, lib_name, "{ctx}: type of {seq}"),
                // Lost: named by its id, or from a seal that survives.
                None => assert!(
                    *lib_name == Record::lost_type_name(*id)
                        || spec.dir_names.get(*id as usize) == Some(lib_name)
                        || TYPES.get(*id as usize) == Some(&lib_name.as_str()),
                    "{ctx}: lost type {id} of {seq} named {lib_name}"
                ),
            }
        }
        let damages: Vec<_> = r
            .damages()
            .iter()
            .map(|d| (d.offset, d.resume_offset, d.from_seq, d.to_seq))
            .collect();
        assert_eq!(damages, spec.damages, "{ctx}: damages");
        assert_eq!(r.tail(), tail_of(spec.end), "{ctx}: end");

        let mut r = Reader::open(path).unwrap();
        let mut n = 0;
        let err = loop {
            match r.next() {
                Ok(Some(_)) => n += 1,
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        match spec.first_error {
            Some((off, before)) => {
                let e = err.unwrap_or_else(|| panic!("{ctx}: no error at {off}"));
                assert_eq!((e.offset(), n), (Some(off), before), "{ctx}: {e}");
            }
            None => assert!(err.is_none(), "{ctx}: {}", err.unwrap()),
        }
    }

    #[test]
    fn the_library_classifies_damaged_files_as_format_md_says() {
        let dir = super::TempDir::new("damaged");
        let (sealed, unsealed, frames) = base(&dir);
        let header_len = frames[0].0;
        let p = dir.join("case.binlog");
        let mut checked = 0;
        for (what, b) in [("sealed", &sealed), ("unsealed", &unsealed)] {
            for (name, bytes) in cases(b, &frames) {
                std::fs::write(&p, &bytes).unwrap();
                agree(&p, &bytes, header_len, &format!("{what}, {name}"));
                checked += 1;
            }
        }
        assert!(checked > 1000, "{checked}");
    }
}
