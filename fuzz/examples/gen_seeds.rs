//! Writes the seed corpus of the fuzz targets into fuzz/seeds/<target>/:
//! real segments made by `binlog::Writer` (sealed, unsealed, torn, with a
//! damaged seal, with metadata and several types, empty), the golden
//! vectors, manifests, and compressed segments made by
//! `compress_segment_with_copies` (small frames, a type copy, a record cut
//! across frames, empty). Deterministic: fixed clocks and names.
//!
//!     cargo run --manifest-path fuzz/Cargo.toml --example gen_seeds
//!
//! Run from anywhere; the output goes next to this file's crate.

use binlog::compressed::type_copies::COPY_DIRECTORY_MAGIC;
use binlog::compressed::{compress_segment_with_copies, TypeCopies};
use binlog::log::manifest::{Manifest, SealedEntry};
use binlog::CompressOptions;
use binlog::{Options, Writer};
use std::fs;
use std::path::{Path, PathBuf};

const T0: i64 = 1_700_000_000_000_000_000;

fn opts(sparse_interval: u32) -> Options {
    Options {
        log_name: "fuzz".into(),
        content_type: "application/octet-stream".into(),
        params: vec![("host".into(), "h1".into())],
        created_ns: Some(T0),
        writer_version: "libbinlog/fuzz-seed".into(),
        first_seq: 100,
        segment_no: 3,
        sparse_interval,
        ..Options::default()
    }
}

/// Writes `n` records of several types (some with metadata, out-of-order
/// timestamps, empty payloads) and returns the file's bytes; sealed when
/// `seal`.
fn segment(dir: &Path, name: &str, n: usize, seal: bool, sparse: u32) -> Vec<u8> {
    let p = dir.join(name);
    let _ = fs::remove_file(&p);
    let w = Writer::open(&p, opts(sparse)).expect("open writer");
    for i in 0..n {
        let ty = ["trade", "quote", "événement"][i % 3];
        let i_s = i.to_string();
        let meta: &[(&str, &str)] = match i % 4 {
            0 => &[("venue", "XLON")],
            1 => &[],
            2 => &[("i", &i_s), ("", "")],
            _ => &[],
        };
        let ts = T0 + 1000 * i as i64 - if i % 5 == 3 { 1500 } else { 0 };
        let payload = vec![b'a' + (i % 26) as u8; [0, 5, 12, 1, 30][i % 5]];
        w.write_with(ty, meta, Some(ts), &payload).expect("write");
    }
    if seal {
        w.close().expect("close");
    } else {
        w.flush().expect("flush");
        let bytes = fs::read(&p).expect("read");
        drop(w);
        return bytes;
    }
    fs::read(&p).expect("read")
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let seeds = root.join("seeds");
    let tmp = std::env::temp_dir().join(format!("binlog-gen-seeds-{}", std::process::id()));
    fs::create_dir_all(&tmp).unwrap();
    for t in ["segment", "seal", "manifest", "varint", "compressed"] {
        let d = seeds.join(t);
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
    }
    let put = |target: &str, name: &str, bytes: &[u8]| {
        fs::write(seeds.join(target).join(name), bytes).unwrap();
    };

    // Segments. Small sparse intervals so that the sparse index has several
    // entries in a few hundred bytes.
    let sealed = segment(&tmp, "sealed", 9, true, 64);
    let sealed_one = segment(&tmp, "sealed-one", 1, true, 64);
    let sealed_empty = segment(&tmp, "sealed-empty", 0, true, 64);
    let unsealed = segment(&tmp, "unsealed", 7, false, 64);
    let empty = segment(&tmp, "header-only", 0, false, 64);
    let torn = unsealed[..unsealed.len() - 7].to_vec();
    // The seal cut in the middle of its directory: records complete, seal
    // damaged.
    let seal_damaged = sealed[..sealed.len() - 40].to_vec();
    // A flipped payload byte in the middle: corruption with records after it.
    let mut corrupt = unsealed.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 0x40;
    for (name, bytes) in [
        ("sealed.binlog", &sealed),
        ("sealed-one.binlog", &sealed_one),
        ("sealed-empty.binlog", &sealed_empty),
        ("unsealed.binlog", &unsealed),
        ("header-only.binlog", &empty),
        ("torn-tail.binlog", &torn),
        ("seal-damaged.binlog", &seal_damaged),
        ("corrupt-middle.binlog", &corrupt),
    ] {
        put("segment", name, bytes);
    }
    // The golden vectors of tests/vectors/ (a 1.1 header among them); the
    // compressed ones seed the compressed target.
    let vectors = root.join("../tests/vectors");
    if let Ok(rd) = fs::read_dir(&vectors) {
        let mut names: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        names.sort();
        for p in names {
            let name = format!("vector-{}", p.file_name().unwrap().to_string_lossy());
            let target = if name.ends_with(".zst") {
                "compressed"
            } else {
                "segment"
            };
            put(target, &name, &fs::read(&p).unwrap());
        }
    }

    // Seal target: the sealed segments, with data_start (first two bytes of
    // the input) taken from the file itself: the bytes are the same file.
    put("seal", "sealed.binlog", &sealed);
    put("seal", "sealed-one.binlog", &sealed_one);
    put("seal", "sealed-empty.binlog", &sealed_empty);
    // Just the seal region, from records_end on.
    let (_, start) =
        binlog::format::header::SegmentHeader::decode(&sealed, Path::new("s")).unwrap();
    let d = binlog::format::seal::read_seal(&sealed, start).unwrap();
    put("seal", "seal-only.bin", &sealed[d.records_end as usize..]);
    // A SEAL_DIR body alone (for SealDirectory::decode on the input).
    let mut dir = Vec::new();
    d.encode_frame(&mut dir);
    put("seal", "dir-body.bin", &dir[8..]);

    // Manifests.
    let m = Manifest {
        log: "orders".into(),
        current: Some((
            42,
            "orders-00000000000000000042-20261121T053000Z.binlog".into(),
        )),
        sealed: vec![
            SealedEntry {
                segment_no: 40,
                file: "orders-00000000000000000040-20261121T052800Z.binlog".into(),
                first_seq: 0,
                record_count: 1000,
                bytes: 65536,
            },
            SealedEntry {
                segment_no: 41,
                file: "orders-00000000000000000041-20261121T052900Z.binlog".into(),
                first_seq: 1000,
                record_count: 500,
                bytes: 32768,
            },
        ],
        next: Some(binlog::log::position::Position {
            segment_no: 42,
            seq: 1500,
        }),
    };
    put("manifest", "full.manifest", m.encode().as_bytes());
    let bare = Manifest {
        log: "x".into(),
        ..Manifest::default()
    };
    put("manifest", "bare.manifest", bare.encode().as_bytes());
    let only_current = Manifest {
        log: "log_1.a-b".into(),
        current: Some((
            0,
            "log_1.a-b-00000000000000000000-19700101T000000Z.binlog".into(),
        )),
        sealed: vec![],
        next: None,
    };
    put(
        "manifest",
        "current.manifest",
        only_current.encode().as_bytes(),
    );

    // Varints and cursor programs.
    put("varint", "small", &[0x05]);
    put(
        "varint",
        "u64-max",
        &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    );
    put("varint", "non-minimal", &[0x80, 0x80, 0x00]);
    put("varint", "record-head", &sealed[start..start + 40]);

    compressed_seeds(&tmp, &|name, bytes| put("compressed", name, bytes));

    let _ = fs::remove_dir_all(&tmp);
    println!("seeds written to {}", seeds.display());
}

/// Original bytes per frame of the compressed seeds: small, so that a seed
/// of a few KB has many frames (and a type copy, and records cut across
/// frames) and stays under 64 KB.
const SEED_FRAME_SIZE: u64 = 256;

/// Copies for rare types, as by default but for a smaller spread: the few
/// records of a seed lie in fewer frames than a copy asks by default.
const SEED_COPIES: TypeCopies = TypeCopies {
    max_share: 0.05,
    min_spread: 2,
};

/// A sealed segment of `n` records, "rare" (empty) every 40th (a type
/// copy's share) and every `big`-th record's payload `big_len` bytes (cut
/// across frames), compressed with `SEED_FRAME_SIZE` frames and
/// `SEED_COPIES`.
fn compressed_segment(dir: &Path, name: &str, n: usize, big: usize, big_len: usize) -> Vec<u8> {
    let p = dir.join(format!("{name}.binlog"));
    let _ = fs::remove_file(&p);
    let w = Writer::open(&p, opts(64)).expect("open writer");
    for i in 0..n {
        let ty = if i % 40 == 7 {
            "rare"
        } else {
            ["trade", "quote"][i % 2]
        };
        let meta: &[(&str, &str)] = if i % 9 == 0 {
            &[("venue", "XLON")]
        } else {
            &[]
        };
        let len = match i {
            _ if ty == "rare" => 0,
            _ if i % big == big - 1 => big_len,
            _ => i % 23,
        };
        let payload: Vec<u8> = (0..len).map(|j| b'a' + ((i + j) % 26) as u8).collect();
        let ts = T0 + 1000 * i as i64 - if i % 5 == 3 { 1500 } else { 0 };
        w.write_with(ty, meta, Some(ts), &payload).expect("write");
    }
    w.close().expect("close");
    let opts = CompressOptions {
        frame_size: SEED_FRAME_SIZE,
        ..CompressOptions::default()
    };
    let done = compress_segment_with_copies(&p, &opts, &SEED_COPIES, |_| {}).expect("compress");
    let bytes = fs::read(&done.path).expect("read .zst");
    assert!(bytes.len() < 64 << 10, "{name}: {} bytes", bytes.len());
    bytes
}

/// Whether the compressed segment holds a type-copy directory.
fn has_copies(zst: &[u8]) -> bool {
    let magic = COPY_DIRECTORY_MAGIC.to_le_bytes();
    zst.windows(4).any(|w| w == magic)
}

fn compressed_seeds(tmp: &Path, put: &dyn Fn(&str, &[u8])) {
    let mix = compressed_segment(tmp, "mix", 400, 1000, 0);
    assert!(has_copies(&mix), "the mix seed has no type copy");
    let big = compressed_segment(tmp, "big", 12, 5, 2000);
    let empty = compressed_segment(tmp, "empty", 0, 1, 0);
    let one = compressed_segment(tmp, "one", 1, 1, 300);
    // A flipped byte in the middle (a frame that fails) and the file cut
    // before its seek table ends.
    let mut flipped = mix.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x10;
    let cut = big[..big.len() - 5].to_vec();
    for (name, bytes) in [
        ("mix-copies.binlog.zst", &mix),
        ("big-record.binlog.zst", &big),
        ("empty.binlog.zst", &empty),
        ("one.binlog.zst", &one),
        ("mix-flipped.binlog.zst", &flipped),
        ("big-cut.binlog.zst", &cut),
    ] {
        put(name, bytes);
    }
}
