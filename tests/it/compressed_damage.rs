//! Damaged compressed segments (`.binlog.zst`) through `Reader`: a header
//! or seal frame that does not decompress, a file cut short, a seek table
//! that lies, a seal that ends the records early, and a `.zst` that is no
//! segment. Each fails `Reader::open`
//! (or the read that needs the frame) with its own kind, naming the file
//! and the frame's offset; `Reader::open_salvage` reads every record of the
//! intact frames, reports the damage where it is, and never returns a
//! record whose bytes differ from what was written.

use crate::common;

use binlog::compressed::frame_writer::SeekableWriter;
use binlog::compressed::seek_table::{FrameEntry, SeekTable};
use binlog::compressed::CompressedSegment;
use binlog::format::seal::TRAILER_LEN;
use binlog::verify::FindingKind;
use binlog::{compress_segment, CompressOptions};
use binlog::{Damage, Error, ErrorKind, Options, Reader, Tail};
use common::compressed::{compress_as_is, damage_compressed_frame};
use common::seal::{move_records_end, move_records_end_to_a_length_past_the_end};
use common::{drain, make_sealed, Rec, TempDir};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

/// A sealed segment of 3000 records and its compressed copy in 16 KiB
/// frames: the plain segment's records, where they end, and the `.zst`.
fn compressed_segment(dir: &TempDir) -> (Vec<Rec>, u64, PathBuf) {
    let plain = dir.join("plain.binlog");
    make_sealed(&plain, 3_000, Options::default());
    let mut r = Reader::open(&plain).unwrap();
    let records_end = r.seal().unwrap().records_end;
    let all = drain(&mut r).recs;
    let copy = dir.join("seg.binlog");
    std::fs::copy(&plain, &copy).unwrap();
    let opts = CompressOptions {
        frame_size: 16 << 10,
        ..CompressOptions::default()
    };
    let zst = compress_segment(&copy, &opts).unwrap().path;
    (all, records_end, zst)
}

/// The frames of the compressed segment at `zst`, as its seek table lists
/// them.
fn frames(zst: &Path) -> Vec<binlog::compressed::seek_table::FrameEntry> {
    CompressedSegment::open_frames(zst)
        .unwrap()
        .frames()
        .to_vec()
}

/// Rewrites the seek table's entries for frames `a` and `b`: `field` 0 is
/// the compressed size, 1 the original size; `a`'s grows by `delta`, `b`'s
/// shrinks by it (the totals stay).
fn shift_entries(zst: &Path, a: usize, b: usize, field: usize, delta: u32) {
    let mut bytes = std::fs::read(zst).unwrap();
    let (ea, eb) = (
        entry_at(zst, &bytes, a, field),
        entry_at(zst, &bytes, b, field),
    );
    let get = |bytes: &[u8], at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let (va, vb) = (get(&bytes, ea) + delta, get(&bytes, eb) - delta);
    bytes[ea..ea + 4].copy_from_slice(&va.to_le_bytes());
    bytes[eb..eb + 4].copy_from_slice(&vb.to_le_bytes());
    std::fs::write(zst, bytes).unwrap();
}

/// Where `field` (0 the compressed size, 1 the original size) of frame
/// `i`'s seek table entry is in `bytes`, the file at `zst`.
fn entry_at(zst: &Path, bytes: &[u8], i: usize, field: usize) -> usize {
    let n = frames(zst).len();
    bytes.len() - (8 + 8 * n + 9) + 8 + 8 * i + 4 * field
}

/// Asserts `e` is of `kind`, names `path` and stands at `offset`.
fn assert_error(e: &Error, kind: ErrorKind, path: &Path, offset: u64) {
    assert_eq!(e.kind(), kind, "{e}");
    assert_eq!(e.path(), Some(path), "{e}");
    assert_eq!(e.offset(), Some(offset), "{e}");
    assert!(e.message().contains(path.to_str().unwrap()), "{e}");
}

/// Reads the segment at `path` with `open_salvage`: its records, damages
/// and tail (a read error fails the test).
fn salvaged(path: &Path) -> (Vec<Rec>, Vec<Damage>, Tail) {
    let mut r = Reader::open_salvage(path).unwrap();
    let out = drain(&mut r);
    let tail = out.end.unwrap_or_else(|e| panic!("salvage read: {e}"));
    (out.recs, r.damages().to_vec(), tail)
}

#[test]
fn a_header_frame_that_does_not_decompress_fails_the_open_and_a_salvage_reads_every_record() {
    let dir = TempDir::new("zdmg-header");
    let (all, _, zst) = compressed_segment(&dir);
    damage_compressed_frame(&zst, 0);
    let e = Reader::open(&zst).err().unwrap();
    assert_error(&e, ErrorKind::CorruptFrame, &zst, 0);
    assert!(e.message().contains("frame 0"), "{e}");

    let (got, damages, tail) = salvaged(&zst);
    assert_eq!(got, all);
    assert_eq!(
        damages,
        [Damage {
            offset: 0,
            resume_offset: all[0].offset,
            from_seq: 0,
            to_seq: 0,
        }]
    );
    assert_eq!(tail, Tail::Sealed);
    let r = Reader::open_salvage(&zst).unwrap();
    assert_eq!((r.header().first_seq, r.data_start()), (0, all[0].offset));
}

#[test]
fn a_header_frame_of_another_size_fails_the_open_and_a_salvage_reads_the_intact_frames() {
    let dir = TempDir::new("zdmg-header-size");
    let (all, records_end, zst) = compressed_segment(&dir);
    let second_record_frame = frames(&zst)[2].offset;
    // Frame 0 said 5 bytes longer, frame 1 5 shorter: neither decompresses
    // to its size; frame 2 starts where it did.
    shift_entries(&zst, 0, 1, 1, 5);
    let e = Reader::open(&zst).err().unwrap();
    assert_error(&e, ErrorKind::FrameSizeMismatch, &zst, 0);

    let (got, damages, tail) = salvaged(&zst);
    let kept: Vec<Rec> = all
        .iter()
        .filter(|r| r.offset >= second_record_frame)
        .cloned()
        .collect();
    assert!(kept.len() > all.len() / 2 && kept.len() < all.len());
    assert_eq!(got, kept);
    // The seal, intact, numbers the records lost with the frames.
    assert_eq!(
        damages,
        [Damage {
            offset: 0,
            resume_offset: kept[0].offset,
            from_seq: 0,
            to_seq: kept[0].seq,
        }]
    );
    // The seal does not describe the records read (the first is missing):
    // it only bounds them.
    assert_eq!(tail, seal_damaged_at(records_end));
}

#[test]
fn seal_frames_that_do_not_decompress_fail_the_read_that_needs_them_and_cost_no_record() {
    let dir = TempDir::new("zdmg-seal");
    let (all, records_end, zst) = compressed_segment(&dir);
    let listed = frames(&zst);
    let seal_frames: Vec<usize> = (0..listed.len())
        .filter(|&i| listed[i].offset >= records_end)
        .collect();
    assert!(seal_frames.len() >= 3, "{seal_frames:?}");
    let seal_begin = seal_frames[0];
    let last = listed.len() - 1;
    for &i in &seal_frames {
        let damaged = dir.join(format!("seal-{i}.binlog.zst"));
        std::fs::copy(&zst, &damaged).unwrap();
        damage_compressed_frame(&damaged, i);
        let at = listed[i].compressed_offset;
        // Opening reads the seal's first frame (SEAL_BEGIN) and its last
        // (directory, trailer); a per-type offset array only a type
        // filter reads.
        match Reader::open(&damaged) {
            Err(e) => assert_error(&e, ErrorKind::CorruptFrame, &damaged, at),
            Ok(mut r) => {
                assert!(i != seal_begin && i != last, "frame {i} opened");
                assert_eq!(drain(&mut r).recs, all, "frame {i}");
            }
        }
        if i != seal_begin && i != last {
            continue;
        }
        let (got, damages, tail) = salvaged(&damaged);
        assert_eq!(got, all, "frame {i}");
        assert_eq!(
            damages,
            [Damage {
                offset: listed[i].offset,
                resume_offset: listed[i].end(),
                from_seq: 3_000,
                to_seq: 3_000,
            }],
            "frame {i}"
        );
        assert_eq!(tail, seal_damaged_at(records_end));
    }
}

/// How a reader ends a segment whose records end at `records_end` and
/// whose seal is damaged or not believed.
fn seal_damaged_at(records_end: u64) -> Tail {
    Tail::SealDamaged {
        offset: records_end,
    }
}

/// A sealed segment of 3000 records whose seal (every CRC valid) ends the
/// records `back` records before their end, and its copy compressed as
/// it is in 16 KiB frames: the plain segment, the `.zst`, the records
/// written and where they truly end.
fn lying_about_records_end(dir: &TempDir, back: usize) -> (PathBuf, PathBuf, Vec<Rec>, u64) {
    let plain = dir.join("plain.binlog");
    make_sealed(&plain, 3_000, Options::default());
    let mut r = Reader::open(&plain).unwrap();
    let records_end = r.seal().unwrap().records_end;
    let all = drain(&mut r).recs;
    move_records_end(&plain, all[all.len() - back].offset);
    let zst = dir.join("lying.binlog.zst");
    std::fs::write(&zst, compress_as_is(&plain, 16 << 10)).unwrap();
    (plain, zst, all, records_end)
}

/// The records of a salvaging read of `path` from the record numbered
/// `target` on (`seek_seq`), and its end.
fn salvaged_from(path: &Path, target: u64) -> (Vec<Rec>, Tail) {
    let mut r = Reader::open_salvage(path).unwrap();
    r.seek_seq(target).unwrap();
    let out = drain(&mut r);
    (out.recs, out.end.unwrap())
}

#[test]
fn a_seal_that_ends_the_records_before_a_valid_record_fails_the_open_and_a_salvage_reads_every_record(
) {
    for back in [1, 1_500] {
        let dir = TempDir::new(&format!("zdmg-lying-end-{back}"));
        let (plain, zst, all, records_end) = lying_about_records_end(&dir, back);
        // Not salvaging: the lie is the open's error, naming the file and
        // the original offset of its trailer.
        let e = Reader::open(&zst)
            .err()
            .expect("an open of a seal that lies");
        let trailer_at = std::fs::metadata(&plain).unwrap().len() - TRAILER_LEN as u64;
        assert_error(&e, ErrorKind::CorruptSeal, &zst, trailer_at);
        // Salvaging: every record written, each as written, and the end
        // and damage the plain segment's salvage reports.
        let (want, want_damages, want_tail) = salvaged(&plain);
        assert_eq!(want, all, "back {back}: the plain segment");
        assert_eq!(want_tail, seal_damaged_at(records_end), "back {back}");
        let (got, damages, tail) = salvaged(&zst);
        assert!(
            got == all,
            "back {back}: {} records of {} salvaged",
            got.len(),
            all.len()
        );
        assert_eq!(damages, want_damages, "back {back}");
        assert_eq!(tail, want_tail, "back {back}");
        // So does a seek, before the lied end, to it and past it.
        let lied_end = (all.len() - back) as u64;
        for target in [0, lied_end - 1, lied_end, all.len() as u64 - 1] {
            let (got, tail) = salvaged_from(&zst, target);
            assert!(
                got[..] == all[target as usize..],
                "back {back}: seek to {target}: {} records",
                got.len()
            );
            assert_eq!(tail, want_tail, "back {back}: seek to {target}");
        }
        // And a type filter (a scan: the seal is not believed).
        let mut r = Reader::open_salvage(&zst).unwrap();
        r.filter_types(&["quote"]);
        let out = drain(&mut r);
        let quotes: Vec<&Rec> = all.iter().filter(|r| r.type_name == "quote").collect();
        assert!(out.recs.iter().eq(quotes), "back {back}: filtered");
        assert_eq!(out.end.unwrap(), want_tail, "back {back}: filtered");
    }
}

#[test]
fn a_record_length_past_the_end_at_the_lied_records_end_is_not_read_through() {
    let dir = TempDir::new("zdmg-lying-length");
    let plain = dir.join("plain.binlog");
    make_sealed(&plain, 30_000, Options::default());
    let all = drain(&mut Reader::open(&plain).unwrap()).recs;
    let lied_end = all[1_000].offset;
    let bytes = move_records_end_to_a_length_past_the_end(&plain, lied_end);
    let frame_size = 16 << 10;
    let zst = dir.join("lying-length.binlog.zst");
    std::fs::write(&zst, compress_as_is(&plain, frame_size)).unwrap();
    // The same records, damage and end as the plain segment's salvage.
    let (want, want_damages, want_tail) = salvaged(&plain);
    assert_eq!(want, all[..1_000]);
    let mut r = Reader::open_salvage(&zst).unwrap();
    let out = drain(&mut r);
    assert!(out.recs == want, "{} records salvaged", out.recs.len());
    assert_eq!(r.damages(), &want_damages[..]);
    assert_eq!(out.end.unwrap(), want_tail);
    // What was decompressed: each frame once (the records read, the frame
    // holding the lying header, then every frame from the lied end on as
    // the seal's frames are checked, one at a time), and a frame or two
    // again; not the rest of the segment a second time, held whole.
    let bound = bytes.len() as u64 + 2 * frame_size;
    let got = r.bytes_decompressed();
    assert!(got <= bound, "{got} bytes decompressed, at most {bound}");
}

#[test]
fn seal_frames_of_another_size_fail_the_open_and_a_salvage_reads_every_record() {
    let dir = TempDir::new("zdmg-seal-size");
    let (all, _, zst) = compressed_segment(&dir);
    let n = frames(&zst).len();
    shift_entries(&zst, n - 2, n - 1, 1, 5);
    let at = frames(&zst)[n - 1].compressed_offset;
    let e = Reader::open(&zst).err().unwrap();
    assert_error(&e, ErrorKind::FrameSizeMismatch, &zst, at);
    let (got, damages, _) = salvaged(&zst);
    assert_eq!(got, all);
    assert!(!damages.is_empty());
    assert!(damages
        .iter()
        .all(|d| d.from_seq == 3_000 && d.to_seq == 3_000));
}

#[test]
fn a_compressed_segment_cut_short_fails_the_open_and_a_salvage_reads_its_whole_frames() {
    let dir = TempDir::new("zdmg-cut");
    let (all, _, zst) = compressed_segment(&dir);
    let bytes = std::fs::read(&zst).unwrap();
    let listed = frames(&zst);
    let mid = &listed[listed.len() / 3];
    let cuts = [
        bytes.len() - 3,
        listed.last().unwrap().compressed_offset as usize + 3,
        (mid.compressed_offset + u64::from(mid.compressed_size) / 2) as usize,
        mid.compressed_offset as usize,
    ];
    for cut in cuts {
        let path = dir.join(format!("cut-{cut}.binlog.zst"));
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let e = Reader::open(&path).err().unwrap();
        assert_error(&e, ErrorKind::CompressedTruncated, &path, cut as u64);

        // The frames wholly before the cut hold the records kept.
        let whole_end = listed
            .iter()
            .filter(|f| f.compressed_offset + u64::from(f.compressed_size) <= cut as u64)
            .map(|f| f.end())
            .max()
            .unwrap();
        let kept: Vec<Rec> = all
            .iter()
            .filter(|r| r.offset + r.frame_len <= whole_end)
            .cloned()
            .collect();
        let (got, _, tail) = salvaged(&path);
        assert_eq!(got, kept, "cut at {cut}");
        if got.len() < all.len() {
            assert!(matches!(tail, Tail::SealDamaged { .. }), "{tail:?}");
        }
    }
    // Cut inside the first frame: nothing is left to read.
    let path = dir.join("cut-5.binlog.zst");
    std::fs::write(&path, &bytes[..5]).unwrap();
    let e = Reader::open_salvage(&path).err().unwrap();
    assert_error(&e, ErrorKind::CompressedTruncated, &path, 5);
}

#[test]
fn a_seek_table_that_lies_about_sizes_costs_only_the_frames_it_misplaces() {
    let dir = TempDir::new("zdmg-lying-sizes");
    let (all, _, zst) = compressed_segment(&dir);
    let listed = frames(&zst);
    // Frame 3 said one byte longer, frame 4 one shorter, compressed.
    shift_entries(&zst, 3, 4, 0, 1);
    let mut r = Reader::open(&zst).unwrap();
    let out = drain(&mut r);
    assert_eq!(out.recs[..], all[..out.recs.len()]);
    let e = out.end.err().unwrap();
    assert_error(
        &e,
        ErrorKind::CorruptSeekTable,
        &zst,
        listed[3].compressed_offset,
    );

    let mut r = Reader::open(&zst).unwrap();
    r.skip_damaged(true);
    let out = drain(&mut r);
    assert_eq!(out.end.unwrap(), Tail::Sealed);
    let lost = |x: &Rec| x.offset + x.frame_len > listed[3].offset && x.offset < listed[4].end();
    let kept: Vec<Rec> = all.iter().filter(|x| !lost(x)).cloned().collect();
    assert!(kept.len() < all.len());
    assert_eq!(out.recs, kept);
}

#[test]
fn a_seek_table_that_lies_about_its_frame_count_fails_the_open_and_a_salvage_walks_the_frames() {
    let dir = TempDir::new("zdmg-lying-count");
    let (all, _, zst) = compressed_segment(&dir);
    let mut bytes = std::fs::read(&zst).unwrap();
    let count_at = bytes.len() - 9;
    let count = u32::from_le_bytes(bytes[count_at..count_at + 4].try_into().unwrap());
    bytes[count_at..count_at + 4].copy_from_slice(&(count + 1).to_le_bytes());
    std::fs::write(&zst, &bytes).unwrap();
    let e = Reader::open(&zst).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::CorruptSeekTable, "{e}");
    assert_eq!(e.path(), Some(zst.as_path()));
    assert!(e.offset().is_some(), "{e}");
    let (got, damages, tail) = salvaged(&zst);
    assert_eq!(got, all);
    assert!(damages.is_empty(), "{damages:?}");
    assert_eq!(tail, Tail::Sealed);
}

#[test]
fn a_zst_that_holds_no_segment_is_not_a_binlog_and_a_zstd_file_of_one_is_truncated() {
    let dir = TempDir::new("zdmg-not-segment");
    let mut rng = common::Rng::new(11);
    let noise: Vec<u8> = (0..50_000).map(|_| rng.next_u64() as u8).collect();
    // A seekable zstd file of random bytes.
    let mut w = SeekableWriter::new(Vec::new(), 3).unwrap();
    w.frame(&noise).unwrap();
    let (seekable, _) = w.finish().unwrap();
    // Whole zstd frames without a seek table, as `zstd` writes them.
    let plain_zstd = zstd::bulk::compress(&noise, 3).unwrap();
    for (name, bytes) in [("seekable", &seekable), ("zstd", &plain_zstd)] {
        let path = dir.join(format!("{name}.binlog.zst"));
        std::fs::write(&path, bytes).unwrap();
        for salvage in [false, true] {
            let opened = if salvage {
                Reader::open_salvage(&path)
            } else {
                Reader::open(&path)
            };
            let e = opened.err().unwrap();
            assert_eq!(e.kind(), ErrorKind::NotABinlog, "{name}: {e}");
            assert_eq!(e.path(), Some(path.as_path()), "{e}");
            assert!(e.message().contains(path.to_str().unwrap()), "{e}");
        }
    }
    // `zstd` of a real segment: no seek table, but a segment in it.
    let (all, _, _) = compressed_segment(&dir);
    let segment = std::fs::read(dir.join("plain.binlog")).unwrap();
    let path = dir.join("zstd-made.binlog.zst");
    std::fs::write(&path, zstd::bulk::compress(&segment, 3).unwrap()).unwrap();
    let len = std::fs::metadata(&path).unwrap().len();
    let e = Reader::open(&path).err().unwrap();
    assert_error(&e, ErrorKind::CompressedTruncated, &path, len);
    assert_eq!(salvaged(&path).0, all);
}

/// A bit flipped anywhere in a compressed segment: what a strict reader
/// and a salvaging reader return are records as written, in order, never
/// other bytes; a read that fails names the file.
#[test]
fn a_bit_flipped_anywhere_never_yields_a_record_that_differs() {
    let dir = TempDir::new("zdmg-flips");
    let (all, _, zst) = compressed_segment(&dir);
    let bytes = std::fs::read(&zst).unwrap();
    let path = dir.join("flipped.binlog.zst");
    let mut rng = common::Rng::from_env(23);
    for _ in 0..150 {
        let bit = rng.below(bytes.len() as u64 * 8) as usize;
        let mut g = bytes.clone();
        g[bit / 8] ^= 1 << (bit % 8);
        std::fs::write(&path, &g).unwrap();
        for salvage in [false, true] {
            let opened = if salvage {
                Reader::open_salvage(&path)
            } else {
                Reader::open(&path)
            };
            let mut r = match opened {
                Ok(r) => r,
                Err(e) => {
                    assert_eq!(e.path(), Some(path.as_path()), "bit {bit}: {e}");
                    assert!(e.offset().is_some(), "bit {bit}: {e}");
                    continue;
                }
            };
            let out = drain(&mut r);
            let mut last = None;
            for rec in &out.recs {
                assert_eq!(Some(rec), all.get(rec.seq as usize), "bit {bit}");
                assert!(last < Some(rec.seq), "bit {bit}: out of order");
                last = Some(rec.seq);
            }
            if let Err(e) = out.end {
                assert_eq!(e.path(), Some(path.as_path()), "bit {bit}: {e}");
                assert!(e.offset().is_some(), "bit {bit}: {e}");
            }
        }
    }
}

/// The compressed segment `compressed_segment` makes, with one byte of the
/// frame holding record 1500 changed where zstd still decodes the frame
/// (to its size, with other bytes than its checksum's): the frame, and the
/// record holding the first byte that differs.
fn changed_where_zstd_still_decodes(zst: &Path, all: &[Rec]) -> (FrameEntry, Rec) {
    use zstd::zstd_safe::{DCtx, DParameter};
    let frames = frames(zst);
    let f = *frames
        .iter()
        .find(|f| f.offset <= all[1500].offset && all[1500].offset < f.end())
        .unwrap();
    let bytes = std::fs::read(zst).unwrap();
    let from = f.compressed_offset as usize;
    let src = &bytes[from..from + f.compressed_size as usize];
    let mut d = DCtx::create();
    d.set_parameter(DParameter::ForceIgnoreChecksum(true))
        .unwrap();
    let mut intact = Vec::with_capacity(f.size as usize);
    d.decompress(&mut intact, src).unwrap();
    // Past the frame's header, before its checksum.
    for at in (src.len() / 2..src.len() - 4).chain(20..src.len() / 2) {
        let mut changed = src.to_vec();
        changed[at] ^= 0x20;
        let mut out = Vec::with_capacity(f.size as usize);
        if d.decompress(&mut out, &changed).ok() != Some(intact.len()) || out == intact {
            continue;
        }
        let first_diff = (0..out.len()).find(|&i| out[i] != intact[i]).unwrap();
        let diff_at = f.offset + first_diff as u64;
        let Some(rec) = all.iter().rev().find(|r| r.offset <= diff_at) else {
            continue;
        };
        let mut damaged = bytes.clone();
        damaged[from + at] ^= 0x20;
        std::fs::write(zst, damaged).unwrap();
        return (f, rec.clone());
    }
    panic!("no byte of the frame changes it where zstd still decodes it");
}

/// A seek decompresses its frame in parts without zstd's check of the
/// frame's checksum; a record that fails its own checks there gets the
/// frame's checksum checked, so the damage is the frame's, as a scan
/// reports it, never a record that differs.
#[test]
fn a_seek_into_a_frame_changed_where_zstd_still_decodes_reports_the_frame_never_a_wrong_record() {
    let dir = TempDir::new("zdmg-seek-checksum");
    let (all, _, zst) = compressed_segment(&dir);
    let (f, target) = changed_where_zstd_still_decodes(&zst, &all);
    let mut r = Reader::open(&zst).unwrap();
    let e = match r.seek_seq(target.seq) {
        Err(e) => e,
        Ok(()) => match r.next() {
            Err(e) => e,
            Ok(rec) => panic!("read {:?}", rec.map(|r| r.seq)),
        },
    };
    assert_error(&e, ErrorKind::CorruptFrame, &zst, f.compressed_offset);
    assert!(e.message().contains("checksum"), "{e}");
    // A scan reports the same.
    let scanned = drain(&mut Reader::open(&zst).unwrap());
    let e = scanned.end.unwrap_err();
    assert_error(&e, ErrorKind::CorruptFrame, &zst, f.compressed_offset);
    assert!(scanned.recs.iter().all(|rec| rec == &all[rec.seq as usize]));
    // With skip_damaged, the frame's records are lost, and only they.
    let mut r = Reader::open(&zst).unwrap();
    r.skip_damaged(true);
    r.seek_seq(target.seq).unwrap();
    let out = drain(&mut r);
    out.end.unwrap();
    assert!(out.recs.iter().all(|rec| rec == &all[rec.seq as usize]));
    assert!(
        out.recs.iter().all(|rec| rec.offset >= f.end()),
        "the frame's records are lost"
    );
    assert_eq!(
        out.recs.len(),
        all.iter().filter(|rec| rec.offset >= f.end()).count()
    );
    let lost = r
        .damages()
        .iter()
        .any(|d| d.offset <= target.offset && target.offset < d.resume_offset);
    assert!(lost, "{:?}", r.damages());
}

/// A compressed segment (16 KiB frames) of 3000 records of one type and a
/// last one of another, whose first record opening a reader reads (so the
/// last records frame is decompressed to its end before a scan reaches
/// it), with that frame's stored checksum changed: its records intact,
/// the frame damaged. Returns the records, the `.zst` and the frame.
fn last_frame_checksum_changed(dir: &TempDir) -> (Vec<Rec>, PathBuf, FrameEntry) {
    let plain = dir.join("seg.binlog");
    let w = binlog::Writer::open(&plain, Options::default()).unwrap();
    for seq in 0..3_001u64 {
        let ty = if seq < 3_000 { "common" } else { "rare" };
        w.write_with(ty, &[], None, format!("record {seq}").as_bytes())
            .unwrap();
    }
    w.close().unwrap();
    let all = drain(&mut Reader::open(&plain).unwrap()).recs;
    let opts = CompressOptions {
        frame_size: 16 << 10,
        ..CompressOptions::default()
    };
    let zst = compress_segment(&plain, &opts).unwrap().path;
    let last = all.last().unwrap().offset;
    let f = *frames(&zst)
        .iter()
        .find(|f| f.offset <= last && last < f.end())
        .unwrap();
    let mut bytes = std::fs::read(&zst).unwrap();
    bytes[(f.compressed_offset + u64::from(f.compressed_size)) as usize - 1] ^= 0x01;
    std::fs::write(&zst, bytes).unwrap();
    (all, zst, f)
}

/// A scan checks the checksum of every frame it reads records from, also
/// of a frame that opening the reader decompressed to its end without
/// zstd's check (the last, reached by no later frame). The frame's records
/// pass their own checks, so they are read (docs/FORMAT.md 17.3a: what a
/// reader reads of a damaged frame does not depend on how much of it it
/// decompressed); the frame's failure is met where the reader leaves it,
/// here the end of the records: an error, or with skip_damaged a damaged
/// region of no bytes and no records there.
#[test]
fn a_scan_reads_the_intact_records_of_a_frame_whose_checksum_fails_then_reports_it() {
    let dir = TempDir::new("zdmg-scan-checksum");
    let (all, zst, f) = last_frame_checksum_changed(&dir);
    let scanned = drain(&mut Reader::open(&zst).unwrap());
    let e = scanned.end.unwrap_err();
    assert_error(&e, ErrorKind::CorruptFrame, &zst, f.compressed_offset);
    assert!(e.message().contains("checksum"), "{e}");
    assert_eq!(scanned.recs, all);

    let mut r = Reader::open(&zst).unwrap();
    r.skip_damaged(true);
    let out = drain(&mut r);
    out.end.unwrap();
    assert_eq!(out.recs, all);
    let end = f.end();
    let n = all.len() as u64;
    let at_end = binlog::Damage {
        offset: end,
        resume_offset: end,
        from_seq: n,
        to_seq: n,
    };
    assert_eq!(r.damages(), [at_end]);
}

/// A record whose CRC fails inside a frame that decompresses intact (a
/// plain segment damaged before it was compressed, as a compressor with
/// a bug could write): every scan of the compressed segment checks each
/// record's CRC, on the reader's thread or decompressing ahead, and
/// reports it as a scan of the plain segment does: the same error, or
/// with `skip_damaged` the same records and damaged region.
#[test]
fn a_record_whose_crc_fails_in_an_intact_frame_is_damage_as_in_the_plain_segment() {
    let dir = TempDir::new("zdmg-record-crc");
    let plain = dir.join("plain.binlog");
    make_sealed(&plain, 3_000, Options::default());
    let all = drain(&mut Reader::open(&plain).unwrap()).recs;
    let seen_before = |i: usize| all[..i].iter().any(|r| r.type_name == all[i].type_name);
    let target = (1_500..all.len())
        .find(|&i| all[i].meta.is_empty() && seen_before(i))
        .map(|i| &all[i])
        .unwrap();
    let mut bytes = std::fs::read(&plain).unwrap();
    bytes[(target.offset + target.frame_len - 1) as usize] ^= 0x01;
    std::fs::write(&plain, &bytes).unwrap();
    let zst = dir.join("crc.binlog.zst");
    std::fs::write(&zst, compress_as_is(&plain, 16 << 10)).unwrap();
    let inside = |f: &FrameEntry| f.offset < target.offset && target.offset < f.end();
    assert!(
        frames(&zst).iter().any(inside),
        "not its frame's first record"
    );
    let read = |path: &Path, threads: usize, skip: bool| {
        let mut r = Reader::open(path).unwrap();
        r.decode_threads(threads);
        r.skip_damaged(skip);
        let out = drain(&mut r);
        (
            out.recs,
            out.end.map_err(|e| (e.kind(), e.offset())),
            r.damages().to_vec(),
        )
    };
    let (recs, end, _) = read(&plain, 0, false);
    let (kind, offset) = end.unwrap_err();
    assert_eq!(offset, Some(target.offset));
    assert_eq!(recs, all[..target.seq as usize]);
    let salvaged = read(&plain, 0, true);
    assert!(salvaged.1.is_ok());
    assert!(!salvaged.0.iter().any(|r| r.seq == target.seq));
    assert_eq!(salvaged.0.len(), all.len() - 1);
    for threads in [0, 3] {
        let (recs, z_end, _) = read(&zst, threads, false);
        assert_eq!(recs, all[..target.seq as usize], "{threads} threads");
        assert_eq!(z_end, Err((kind, offset)), "{threads} threads");
        assert_eq!(read(&zst, threads, true), salvaged, "{threads} threads");
    }
}

/// Set to a `.zst` path, makes this test binary, started again by
/// `salvage_in_little_address_space`, the child that salvages it.
const SALVAGE_CHILD: &str = "BINLOG_TEST_SALVAGE_CHILD";

/// Address space of that child: less than the gibibyte a seek table entry
/// may claim, so that making room for it fails at once (an abort).
const CHILD_ADDRESS_SPACE: u64 = 512 << 20;

/// Reads `zst` in a child process (this test, run again) limited to
/// `CHILD_ADDRESS_SPACE`; the child's output (see `salvage_child`).
fn salvage_in_little_address_space(test: &str, zst: &Path) -> std::process::Output {
    let mut cmd = common::child::this_binary();
    cmd.arg(common::child::full_test_name(test))
        .args(["--exact", "--nocapture", "--test-threads=1"])
        .env(SALVAGE_CHILD, zst);
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: CHILD_ADDRESS_SPACE,
                rlim_max: CHILD_ADDRESS_SPACE,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().unwrap()
}

/// The child's side of `salvage_in_little_address_space`, if this process
/// is that child: prints how a scan ends (`scan: <kind>` of the open's or
/// the read's error) and how many records a salvage reads and their
/// sequence numbers' sum.
fn salvage_child() -> bool {
    let Some(zst) = std::env::var_os(SALVAGE_CHILD) else {
        return false;
    };
    let zst = Path::new(&zst);
    let scan_end = Reader::open(zst).and_then(|mut r| drain(&mut r).end);
    println!("scan: {:?}", scan_end.map_err(|e| e.kind()));
    let (got, _, _) = salvaged(zst);
    let sum: u64 = got.iter().map(|r| r.seq).sum();
    println!("salvaged {} records, seq sum {sum}", got.len());
    true
}

#[test]
fn a_lost_header_whose_entry_claims_a_gibibyte_is_salvaged_without_room_for_it() {
    if salvage_child() {
        return;
    }
    let dir = TempDir::new("zdmg-header-gib");
    let (all, _, zst) = compressed_segment(&dir);
    // Frame 0's entry says 1 GiB: its zstd header states its true size,
    // so the frame is refused before room is made for it.
    let mut bytes = std::fs::read(&zst).unwrap();
    let at = entry_at(&zst, &bytes, 0, 1);
    bytes[at..at + 4].copy_from_slice(&(1u32 << 30).to_le_bytes());
    std::fs::write(&zst, &bytes).unwrap();
    let e = Reader::open(&zst).err().unwrap();
    assert_error(&e, ErrorKind::FrameSizeMismatch, &zst, 0);

    // Salvaging searches the frames after it for the first record,
    // holding only their bytes, never the gibibyte the entry claims.
    let test = "a_lost_header_whose_entry_claims_a_gibibyte_is_salvaged_without_room_for_it";
    let out = salvage_in_little_address_space(test, &zst);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stdout} {stderr}", out.status);
    let sum: u64 = all.iter().map(|r| r.seq).sum();
    let want = format!("salvaged {} records, seq sum {sum}", all.len());
    assert!(stdout.contains(&want), "{stdout}");
}

/// Rewrites the compressed segment at `zst` (no type copies) with frame
/// `index` compressed again without its content size in its zstd header
/// (readers accept such frames, docs/FORMAT.md 17.1) and its seek table
/// entry saying `size` original bytes.
fn without_content_size(zst: &Path, index: usize, size: u32) {
    let file = std::fs::read(zst).unwrap();
    let mut out = Vec::new();
    let mut table = SeekTable::default();
    for (i, f) in frames(zst).iter().enumerate() {
        let at = f.compressed_offset as usize;
        let bytes = &file[at..at + f.compressed_size as usize];
        if i != index {
            out.extend_from_slice(bytes);
            table.push(f.compressed_size, f.size);
            continue;
        }
        let original = zstd::bulk::decompress(bytes, f.size as usize).unwrap();
        let mut c = zstd::bulk::Compressor::new(3).unwrap();
        c.set_parameter(zstd::zstd_safe::CParameter::ContentSizeFlag(false))
            .unwrap();
        let frame = c.compress(&original).unwrap();
        assert!(matches!(
            zstd::zstd_safe::get_frame_content_size(&frame),
            Ok(None)
        ));
        out.extend_from_slice(&frame);
        table.push(frame.len() as u32, size);
    }
    out.extend_from_slice(&table.encode());
    std::fs::write(zst, out).unwrap();
}

#[test]
fn a_frame_stating_no_size_whose_entry_claims_a_gibibyte_is_refused_before_room_is_made() {
    if salvage_child() {
        return;
    }
    let dir = TempDir::new("zdmg-no-size-gib");
    let plain = dir.join("plain.binlog");
    make_sealed(&plain, 3_000, Options::default());
    let all = drain(&mut Reader::open(&plain).unwrap()).recs;
    let zst = dir.join("seg.binlog.zst");
    std::fs::write(&zst, compress_as_is(&plain, 16 << 10)).unwrap();
    let target = frames(&zst)[2];
    without_content_size(&zst, 2, 1 << 30);

    // The frame's blocks hold at most a few hundred KiB: decompressing it
    // reports the size mismatch, as a whole decompression would, without
    // making the gibibyte of room.
    let mut segment = CompressedSegment::open_frames(&zst).unwrap();
    let e = segment.frame_into(2, &mut Vec::new()).err().unwrap();
    assert_error(
        &e,
        ErrorKind::FrameSizeMismatch,
        &zst,
        target.compressed_offset,
    );
    assert!(e.message().contains("holds at most"), "{e}");

    // A salvage skips that frame and reads every record outside it, in
    // 512 MiB of address space (without the check, room for the gibibyte
    // could not be had: an `Io` error, which stops a salvage). The open
    // refuses the seal: its trailer is 1 GiB from where the seek table's
    // sizes put the end.
    let test =
        "a_frame_stating_no_size_whose_entry_claims_a_gibibyte_is_refused_before_room_is_made";
    let out = salvage_in_little_address_space(test, &zst);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stdout} {stderr}", out.status);
    assert!(stdout.contains("scan: Err(CorruptSeal)"), "{stdout}");
    let lost = |r: &Rec| r.offset + r.frame_len > target.offset && r.offset < target.end();
    let kept: Vec<&Rec> = all.iter().filter(|r| !lost(r)).collect();
    assert!(kept.len() < all.len());
    let sum: u64 = kept.iter().map(|r| r.seq).sum();
    let want = format!("salvaged {} records, seq sum {sum}", kept.len());
    assert!(stdout.contains(&want), "{stdout}");
}

/// A seal frame whose stored checksum alone is changed (every byte
/// decodes and passes its own CRC) gets one answer from every reader
/// (docs/FORMAT.md 17.3a): a read that reaches the frame's end meets its
/// failure, as for a frame that does not decompress. The frames a reader's
/// open reads to their ends (`SEAL_BEGIN`, the directory and trailer, a
/// type's offset array of one frame) fail a plain reader, lose the seal
/// for a salvage (`SealDamaged` at the records' end, the frame a damaged
/// region of no record) and are that `seal-damaged` region for verify;
/// a frame only type filters read (the rest of the arrays) is named by
/// verify alone.
#[test]
fn a_seal_frame_whose_checksum_alone_fails_gets_one_answer_from_every_reader() {
    let dir = TempDir::new("zdmg-seal-checksum");
    let (all, records_end, zst) = compressed_segment(&dir);
    let listed = frames(&zst);
    let last = listed.len() - 1;
    for (i, f) in listed
        .iter()
        .enumerate()
        .filter(|(_, f)| f.offset >= records_end)
    {
        let damaged = dir.join(format!("seal-{i}.binlog.zst"));
        let mut bytes = std::fs::read(&zst).unwrap();
        bytes[(f.compressed_offset + u64::from(f.compressed_size)) as usize - 1] ^= 0x01;
        std::fs::write(&damaged, bytes).unwrap();
        let plain = Reader::open(&damaged).and_then(|mut r| {
            let out = drain(&mut r);
            assert_eq!(out.recs, all, "frame {i}");
            out.end
        });
        let met = match plain {
            Ok(tail) => {
                assert_eq!(tail, Tail::Sealed, "frame {i}");
                false
            }
            Err(e) => {
                assert_error(&e, ErrorKind::CorruptFrame, &damaged, f.compressed_offset);
                true
            }
        };
        assert!(met || (i != records_end_frame(&listed, records_end) && i != last));
        let (got, damages, tail) = salvaged(&damaged);
        assert_eq!(got, all, "frame {i}");
        let region = Damage {
            offset: f.offset,
            resume_offset: f.end(),
            from_seq: 3_000,
            to_seq: 3_000,
        };
        let verified = binlog::verify::segment(&damaged);
        let kinds: Vec<_> = verified
            .findings
            .iter()
            .filter(|x| x.offset == Some(f.offset) && x.len == u64::from(f.size))
            .map(|x| x.kind)
            .collect();
        if met {
            assert_eq!(
                (damages, tail),
                (vec![region], seal_damaged_at(records_end))
            );
            assert_eq!(kinds, [FindingKind::SealDamaged], "frame {i}");
        } else {
            assert_eq!((damages, tail), (vec![], Tail::Sealed), "frame {i}");
            assert_eq!(kinds, [FindingKind::CorruptFrame], "frame {i}");
        }
    }
}

/// The index of the frame of `listed` where the records end (the
/// `SEAL_BEGIN` frame's).
fn records_end_frame(listed: &[FrameEntry], records_end: u64) -> usize {
    listed.iter().position(|f| f.offset == records_end).unwrap()
}
