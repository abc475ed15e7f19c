//! Type copies of compressed segments (docs/FORMAT.md 17.5): a rare type's
//! records stored a second time, apart, in skippable frames. `zstd -d`
//! still gives back the segment; a type filter reads the same records with
//! or without them, at a seek too, decompressing far less with them; a
//! damaged or lying copy is never trusted (the reader reads the main
//! frames, every record once) and `check_type_copies` (`binlog verify`)
//! names it.

use crate::common;

use binlog::compressed::seek_table::SeekTable;
use binlog::compressed::type_copies::{CopyDirectory, COPY_DIRECTORY_MAGIC, COPY_FRAME_MAGIC};
use binlog::compressed::{compress_segment_with_copies, CompressedSegment, TypeCopies};
use binlog::CompressOptions;
use binlog::{Options, Reader, Writer};
use common::TempDir;
use std::path::{Path, PathBuf};

/// (seq, timestamp, type, payload) of a record read.
type Rec = (u64, i64, String, Vec<u8>);

const FRAME_SIZE: u64 = 4096;

/// A sealed segment of `n` records: "rare" every 50th, "common" the rest.
fn sealed(dir: &TempDir, n: u64) -> PathBuf {
    let path = dir.join("seg.binlog");
    let w = Writer::open(&path, Options::default()).unwrap();
    for i in 0..n {
        let t = if i % 50 == 7 { "rare" } else { "common" };
        let payload = format!(r#"{{"i":{i},"px":{},"sym":"S{}"}}"#, i * 7 % 1000, i % 37);
        w.write_with(t, &[], Some(1_000 + i as i64 * 10), payload.as_bytes())
            .unwrap();
    }
    w.close().unwrap();
    path
}

/// Compresses a copy of `plain` named `name`, with `copies`.
fn compressed(plain: &Path, name: &str, copies: &TypeCopies) -> PathBuf {
    let copy = plain.with_file_name(format!("{name}.binlog"));
    std::fs::copy(plain, &copy).unwrap();
    let opts = CompressOptions {
        frame_size: FRAME_SIZE,
        ..CompressOptions::default()
    };
    compress_segment_with_copies(&copy, &opts, copies, |_| {})
        .unwrap()
        .path
}

fn filtered(path: &Path, types: &[&str], seek: Option<u64>) -> (Vec<Rec>, u64) {
    let mut r = Reader::open(path).unwrap();
    r.filter_types(types);
    if let Some(seq) = seek {
        r.seek_seq(seq).unwrap();
    }
    let before = r.bytes_decompressed();
    let mut got = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        got.push((
            rec.seq,
            rec.timestamp_ns,
            rec.type_name.to_string(),
            rec.payload.to_vec(),
        ));
    }
    (got, r.bytes_decompressed() - before)
}

fn rare_type_id(path: &Path) -> u32 {
    let r = Reader::open(path).unwrap();
    let types = &r.seal().unwrap().types;
    types.iter().position(|t| t.name == "rare").unwrap() as u32
}

#[test]
fn only_the_rare_type_gets_a_copy_and_zstd_decompresses_the_segment_unchanged() {
    let dir = TempDir::new("copies-zstd");
    let plain = sealed(&dir, 6000);
    let zst = compressed(&plain, "with", &TypeCopies::default());
    let mut s = CompressedSegment::open(&zst).unwrap();
    let directory = s.copy_directory().unwrap().expect("copies made").clone();
    let rare = rare_type_id(&plain);
    assert!(directory.frames.iter().all(|f| f.type_id == rare));
    let held: u64 = directory.frames.iter().map(|f| u64::from(f.count)).sum();
    assert_eq!(held, 120, "every rare record");
    let out = dir.join("out.binlog");
    let status = std::process::Command::new("zstd")
        .args(["-d", "-q", "-f", "-o"])
        .arg(&out)
        .arg(&zst)
        .status()
        .expect("the zstd command-line tool");
    assert!(status.success());
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&plain).unwrap());
    let none = compressed(&plain, "none", &TypeCopies::NONE);
    assert!(CompressedSegment::open(&none)
        .unwrap()
        .copy_directory()
        .unwrap()
        .is_none());
}

#[test]
fn a_filter_reads_the_same_records_with_or_without_copies_and_decompresses_less() {
    let dir = TempDir::new("copies-filter");
    let plain = sealed(&dir, 6000);
    let with = compressed(&plain, "with", &TypeCopies::default());
    let none = compressed(&plain, "none", &TypeCopies::NONE);
    for (types, seek) in [
        (&["rare"][..], None),
        (&["rare", "common"][..], None),
        (&["rare"][..], Some(1500)),
        (&["rare"][..], Some(1507)),
        (&["rare"][..], Some(5999)),
        (&["rare"][..], Some(4207)),
        (&["rare", "common"][..], Some(2222)),
    ] {
        let (want, _) = filtered(&plain, types, seek);
        let (got, copied) = filtered(&with, types, seek);
        let (main, unpacked) = filtered(&none, types, seek);
        assert_eq!(got, want, "{types:?} from {seek:?}, with copies");
        assert_eq!(main, want, "{types:?} from {seek:?}, without");
        if types == ["rare"] && seek.is_none() {
            assert_eq!(want.len(), 120);
            assert!(
                copied * 5 < unpacked,
                "{copied} bytes decompressed with the copy, {unpacked} without"
            );
        }
    }
    let mut r = Reader::open(&with).unwrap();
    r.filter_types(&["rare"]);
    r.seek_time(1_000 + 1234 * 10).unwrap();
    assert_eq!(r.next().unwrap().unwrap().seq, 1257);
}

/// The entries of a compressed file in file order: (offset, size, whether
/// it holds original bytes).
fn entries(path: &Path) -> Vec<(u64, u32, bool)> {
    let bytes = std::fs::read(path).unwrap();
    let table = table_of(&bytes);
    let mut all: Vec<(u64, u32, bool)> = table
        .frames
        .iter()
        .map(|f| (f.compressed_offset, f.compressed_size, true))
        .chain(
            table
                .side
                .iter()
                .map(|s| (s.compressed_offset, s.compressed_size, false)),
        )
        .collect();
    all.sort_unstable();
    all
}

fn table_of(file: &[u8]) -> SeekTable {
    let n = u32::from_le_bytes(file[file.len() - 9..file.len() - 5].try_into().unwrap());
    let len = 8 + n as usize * 8 + 9;
    SeekTable::decode(&file[file.len() - len..]).unwrap()
}

/// `path` rebuilt with the skippable frames of the given magic replaced
/// by `replace(i, payload)` (the `i`th such frame), the seek table
/// rewritten to match.
fn rebuilt(path: &Path, magic: u32, replace: impl Fn(usize, &[u8]) -> Vec<u8>) -> Vec<u8> {
    let file = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut table = SeekTable::default();
    let mut nth = 0;
    let old = table_of(&file);
    for (at, size, data) in entries(path) {
        let bytes = &file[at as usize..at as usize + size as usize];
        if data {
            let f = old
                .frames
                .iter()
                .find(|f| f.compressed_offset == at)
                .unwrap();
            out.extend_from_slice(bytes);
            table.push(size, f.size);
            continue;
        }
        let mut frame = bytes.to_vec();
        if u32::from_le_bytes(bytes[..4].try_into().unwrap()) == magic {
            let payload = replace(nth, &bytes[8..]);
            nth += 1;
            frame = magic.to_le_bytes().to_vec();
            frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            frame.extend_from_slice(&payload);
        }
        out.extend_from_slice(&frame);
        table.push_side(frame.len() as u32);
    }
    out.extend_from_slice(&table.encode());
    out
}

/// Whether a type filter on "rare" reads from `zst` exactly the records
/// the plain segment holds; and the errors `check_type_copies` reports.
fn read_and_verify(plain: &Path, zst: &Path) -> Vec<binlog::Error> {
    for seek in [None, Some(1500)] {
        let (want, _) = filtered(plain, &["rare"], seek);
        let (got, _) = filtered(zst, &["rare"], seek);
        assert_eq!(got, want, "from {seek:?}");
    }
    let original = std::fs::File::open(plain).unwrap();
    CompressedSegment::open(zst)
        .unwrap()
        .check_type_copies(&original)
}

#[test]
fn a_damaged_copy_frame_is_not_trusted_and_verify_names_it() {
    let dir = TempDir::new("copies-damaged");
    let plain = sealed(&dir, 6000);
    let zst = compressed(&plain, "with", &TypeCopies::default());
    assert!(read_and_verify(&plain, &zst).is_empty(), "an intact copy");
    let copies = entries(&zst);
    let copy_frames: Vec<_> = copies.iter().filter(|e| !e.2).collect();
    assert!(copy_frames.len() >= 3, "two copy frames and the directory");
    // The first copy frame (no record read from the copy), then the
    // second (records already read from the first).
    for n in [0, 1] {
        let (at, size, _) = *copy_frames[n];
        let mut bytes = std::fs::read(&zst).unwrap();
        bytes[(at + u64::from(size) / 2) as usize] ^= 0x40;
        let damaged = dir.join(format!("damaged-{n}.binlog.zst"));
        std::fs::write(&damaged, &bytes).unwrap();
        let errors = read_and_verify(&plain, &damaged);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].offset(), Some(at));
        assert_eq!(errors[0].path(), Some(damaged.as_path()));
        let named = format!("type copy frame {n}");
        assert!(errors[0].message().contains(&named), "{}", errors[0]);
    }
}

#[test]
fn a_copy_directory_that_lies_about_counts_or_sizes_is_not_trusted() {
    let dir = TempDir::new("copies-lies");
    let plain = sealed(&dir, 6000);
    let zst = compressed(&plain, "with", &TypeCopies::default());
    let lies: [fn(&mut CopyDirectory); 4] = [
        |d| d.frames[0].count += 1,
        |d| d.frames[0].len -= 1,
        |d| d.frames[0].first = 1,
        |d| {
            let last = d.frames.len() - 1;
            d.frames[last].count -= 1;
            d.frames[0].count += 1;
        },
    ];
    for (i, lie) in lies.iter().enumerate() {
        let bytes = rebuilt(&zst, COPY_DIRECTORY_MAGIC, |_, payload| {
            let mut d = CopyDirectory::decode(payload).unwrap();
            lie(&mut d);
            d.encode()
        });
        let lying = dir.join(format!("lie-{i}.binlog.zst"));
        std::fs::write(&lying, &bytes).unwrap();
        let errors = read_and_verify(&plain, &lying);
        assert_eq!(errors.len(), 1, "lie {i}: {errors:?}");
        assert!(
            errors[0].message().contains("directory"),
            "lie {i}: {}",
            errors[0]
        );
    }
}

#[test]
fn a_copy_frame_holding_other_records_than_its_place_says_is_not_trusted() {
    let dir = TempDir::new("copies-shifted");
    let plain = sealed(&dir, 6000);
    let zst = compressed(&plain, "with", &TypeCopies::default());
    // The first copy frame's records shifted by one: its first record
    // dropped and the second repeated at the end, the length kept.
    let bytes = rebuilt(&zst, COPY_FRAME_MAGIC, |i, payload| {
        let records = zstd::decode_all(payload).unwrap();
        if i > 0 {
            return payload.to_vec();
        }
        let first = 8 + u32::from_le_bytes(records[..4].try_into().unwrap()) as usize;
        let second = 8 + u32::from_le_bytes(records[first..first + 4].try_into().unwrap()) as usize;
        let mut shifted = records[first..].to_vec();
        shifted.extend_from_slice(&records[first..first + second]);
        shifted.truncate(records.len());
        zstd::encode_all(&shifted[..], 3).unwrap()
    });
    let lying = dir.join("shifted.binlog.zst");
    std::fs::write(&lying, &bytes).unwrap();
    let errors = read_and_verify(&plain, &lying);
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn a_salvaging_reader_of_a_file_without_its_seek_table_reads_every_record() {
    let dir = TempDir::new("copies-salvage");
    let plain = sealed(&dir, 6000);
    let zst = compressed(&plain, "with", &TypeCopies::default());
    let bytes = std::fs::read(&zst).unwrap();
    let cut = dir.join("cut.binlog.zst");
    std::fs::write(&cut, &bytes[..bytes.len() - 3]).unwrap();
    let mut want = Reader::open(&plain).unwrap();
    let mut r = Reader::open_salvage(&cut).unwrap();
    let mut n = 0;
    while let Some(rec) = r.next().unwrap() {
        let w = want.next().unwrap().unwrap();
        assert_eq!((rec.seq, rec.payload), (w.seq, w.payload));
        n += 1;
    }
    assert_eq!(n, 6000);
    assert!(r.damages().is_empty(), "{:?}", r.damages());
}
