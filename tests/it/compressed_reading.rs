//! Reading compressed sealed segments (`.binlog.zst`) through `Reader` and
//! `LogReader` as if they were not: the same records, seeks and type
//! filters as the plain segment, with only the frames needed decompressed,
//! and a frame that does not decompress costing only the records in it.

use crate::common;

use binlog::compressed::{compress_segment_with_copies, CompressedSegment, TypeCopies};
use binlog::{compress_segment, CompressOptions};
use binlog::{Damage, ErrorKind, LogReader, Options, Reader, Tail, Writer};
use common::TempDir;
use std::path::{Path, PathBuf};
use std::time::Duration;

const TYPES: [&str; 3] = ["trade", "quote", "heartbeat"];

type Owned = (u64, i64, String, Vec<u8>, Vec<(String, String)>, u64, u64);

/// A sealed segment of `n` JSON-like records of three types (one a
/// hundredth of them), some longer than a 64 KiB frame, from `first_seq`.
fn write_segment(path: &Path, first_seq: u64, n: u64) -> Writer {
    let opts = Options {
        first_seq,
        ..Options::default()
    };
    let w = Writer::open(path, opts).unwrap();
    for i in first_seq..first_seq + n {
        let t = if i % 100 == 0 {
            TYPES[2]
        } else {
            TYPES[(i % 2) as usize]
        };
        let mut payload = format!(r#"{{"i":{i},"px":{},"sym":"S{}"}}"#, i * 7 % 1000, i % 37);
        if i % 997 == 5 {
            payload.push_str(&"large ".repeat(30_000));
        }
        let meta = [("k", "v")];
        let meta: &[(&str, &str)] = if i % 3 == 0 { &meta } else { &[] };
        w.write_with(t, meta, Some(1_000 + i as i64 * 10), payload.as_bytes())
            .unwrap();
    }
    w
}

fn sealed(dir: &TempDir, n: u64) -> PathBuf {
    let path = dir.join("seg.binlog");
    write_segment(&path, 0, n).close().unwrap();
    path
}

/// Compresses a copy of `plain` with 64 KiB frames; returns the `.zst`.
fn compressed_copy(plain: &Path) -> PathBuf {
    compressed_copy_with(plain, "copy", &TypeCopies::default())
}

/// `compressed_copy` without type copies (docs/FORMAT.md 17.5): a type
/// filter then reads the main frames.
fn compressed_copy_without_type_copies(plain: &Path) -> PathBuf {
    compressed_copy_with(plain, "nocopies", &TypeCopies::NONE)
}

fn compressed_copy_with(plain: &Path, name: &str, copies: &TypeCopies) -> PathBuf {
    let copy = plain.with_extension(format!("{name}.binlog"));
    std::fs::copy(plain, &copy).unwrap();
    let opts = CompressOptions {
        frame_size: 64 << 10,
        ..CompressOptions::default()
    };
    compress_segment_with_copies(&copy, &opts, copies, |_| {})
        .unwrap()
        .path
}

fn owned(r: &binlog::Record<'_>) -> Owned {
    let meta = r
        .metadata()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let t = r.type_name.to_string();
    (
        r.seq,
        r.timestamp_ns,
        t,
        r.payload.to_vec(),
        meta,
        r.offset,
        r.frame_len,
    )
}

fn read_all(r: &mut Reader) -> Vec<Owned> {
    let mut out = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        out.push(owned(&rec));
    }
    out
}

#[test]
fn a_compressed_segment_reads_as_the_plain_one() {
    let dir = TempDir::new("zread-scan");
    let plain = sealed(&dir, 5_000);
    let zst = compressed_copy(&plain);
    let mut p = Reader::open(&plain).unwrap();
    let mut z = Reader::open(&zst).unwrap();
    assert!(z.is_compressed() && !p.is_compressed());
    assert_eq!(z.header(), p.header());
    assert_eq!(z.seal(), p.seal());
    assert_eq!(z.file_len(), p.file_len());
    assert_eq!(z.data_start(), p.data_start());
    assert!(z.has_seal_trailer());
    let expected = read_all(&mut p);
    assert_eq!(expected.len(), 5_000);
    assert!(
        expected.iter().any(|r| r.3.len() > 64 << 10),
        "records span frames"
    );
    assert_eq!(read_all(&mut z), expected);
    assert_eq!(z.tail(), Tail::Sealed);
    assert_eq!(z.types(), p.types());
    let original = std::fs::metadata(&plain).unwrap().len();
    assert!(
        z.bytes_decompressed() < original * 2,
        "a scan decompresses each frame about once: {} of {original}",
        z.bytes_decompressed()
    );
    // Headers only, and a sealed segment's end waits for nothing.
    let mut z = Reader::open(&zst).unwrap();
    let mut n = 0;
    while let Some(h) = z.next_header().unwrap() {
        assert_eq!(h.seq, expected[n].0);
        assert_eq!(h.payload_len, expected[n].3.len() as u64);
        n += 1;
    }
    assert_eq!(n, expected.len());
    assert!(z.next_wait(Duration::from_millis(1)).unwrap().is_none());
}

#[test]
fn seeks_on_a_compressed_segment_decompress_only_the_frames_they_need() {
    let dir = TempDir::new("zread-seek");
    let plain = sealed(&dir, 20_000);
    let zst = compressed_copy(&plain);
    let all = read_all(&mut Reader::open(&plain).unwrap());
    let frames = CompressedSegment::open(&zst).unwrap().frames().len();
    assert!(frames > 30, "{frames} frames");
    for seq in [0, 1, 4_999, 12_345, 19_999] {
        let mut z = Reader::open(&zst).unwrap();
        let opened = z.bytes_decompressed();
        // The header's frame and the seal's last frames, and the starts of
        // the frames holding each type's first array entry and record.
        assert!(opened <= 2 * (64 << 10), "open decompressed {opened} bytes");
        z.seek_seq(seq).unwrap();
        let rec = owned(&z.next().unwrap().unwrap());
        assert_eq!(rec, all[seq as usize]);
        // The record's frame up to the record (the frames are 64 KiB, so
        // whole), and the one after for a record cut across.
        let frame = 64 << 10;
        let seek = z.bytes_decompressed() - opened;
        assert!(
            seek <= 2 * frame + rec.6,
            "seek to {seq} decompressed {seek} bytes"
        );
        let after = z.next().unwrap().map(|r| owned(&r));
        assert_eq!(after.as_ref(), all.get(seq as usize + 1));
    }
    let mut z = Reader::open(&zst).unwrap();
    let ts = all[7_777].1;
    z.seek_time(ts).unwrap();
    assert_eq!(owned(&z.next().unwrap().unwrap()), all[7_777]);
    // Back again, to an earlier frame.
    z.seek_seq(3).unwrap();
    assert_eq!(owned(&z.next().unwrap().unwrap()), all[3]);
}

#[test]
fn a_seek_decompresses_only_the_frame_that_holds_its_record() {
    // Records far shorter than the sparse interval (16 KiB), frames of
    // 64 KiB: each frame ends at a sparse index entry, so the records from
    // a seek's entry to its target share the target's frame.
    let dir = TempDir::new("zread-seek-one-frame");
    let plain = dir.join("seg.binlog");
    let opts = Options {
        sparse_interval: 16 << 10,
        ..Options::default()
    };
    let w = Writer::open(&plain, opts).unwrap();
    for i in 0..20_000u64 {
        let payload = format!(r#"{{"i":{i},"px":{},"sym":"S{}"}}"#, i * 7 % 1000, i % 37);
        w.write_with(
            TYPES[(i % 2) as usize],
            &[],
            Some(i as i64),
            payload.as_bytes(),
        )
        .unwrap();
    }
    w.close().unwrap();
    let zst = compressed_copy_without_type_copies(&plain);
    let segment = CompressedSegment::open(&zst).unwrap();
    assert!(
        segment.frames().len() > 15,
        "{} frames",
        segment.frames().len()
    );
    for seq in (0..20_000).step_by(331) {
        let mut z = Reader::open(&zst).unwrap();
        let opened = z.bytes_decompressed();
        z.seek_seq(seq).unwrap();
        let rec = z.next().unwrap().unwrap();
        assert_eq!(rec.seq, seq);
        let frame = segment.frame_index_at(rec.offset).unwrap();
        let frame_size = u64::from(segment.frames()[frame].size);
        let seek = z.bytes_decompressed() - opened;
        assert!(
            seek <= frame_size,
            "seek to {seq} decompressed {seek} bytes, its frame {frame} holds {frame_size}"
        );
    }
}

#[test]
fn a_type_filter_reads_a_compressed_segment_through_its_index() {
    let dir = TempDir::new("zread-filter");
    let plain = sealed(&dir, 20_000);
    let zst = compressed_copy(&plain);
    for names in [&["heartbeat"][..], &["quote", "heartbeat"][..]] {
        let mut p = Reader::open(&plain).unwrap();
        p.filter_types(names);
        let expected = read_all(&mut p);
        assert!(!expected.is_empty());
        let mut z = Reader::open(&zst).unwrap();
        z.filter_types(names);
        assert_eq!(read_all(&mut z), expected, "{names:?}");
        // From the middle, after a seek.
        let mut z = Reader::open(&zst).unwrap();
        z.filter_types(names);
        z.seek_seq(10_000).unwrap();
        let from: Vec<_> = expected.iter().filter(|r| r.0 >= 10_000).cloned().collect();
        assert_eq!(read_all(&mut z), from, "{names:?} from 10000");
    }
}

/// The error a reader of `zst` stops at, reading every record before it.
fn first_error(zst: &Path) -> binlog::Error {
    let mut z = Reader::open(zst).unwrap();
    loop {
        match z.next() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("read past a damaged frame"),
            Err(e) => break e,
        }
    }
}

#[test]
fn a_frame_that_does_not_decompress_costs_only_its_records() {
    let dir = TempDir::new("zread-damage");
    let plain = sealed(&dir, 20_000);
    let zst = compressed_copy(&plain);
    let all = read_all(&mut Reader::open(&plain).unwrap());
    let f = common::compressed::damage_compressed_frame(&zst, 10);
    let (from, to) = (f.offset, f.end());

    let err = first_error(&zst);
    assert_eq!(err.kind(), ErrorKind::CorruptFrame, "{err}");
    assert!(err.to_string().contains("frame 10"), "{err}");
    assert!(
        err.to_string().contains(&zst.display().to_string()),
        "{err}"
    );

    let mut z = Reader::open(&zst).unwrap();
    z.skip_damaged(true);
    let got = read_all(&mut z);
    // Kept: the records of the frame that zstd yields whole before the
    // damaged block (docs/FORMAT.md 17.3a), and all the others; lost: the
    // records from the first it does not yield whole to the last that
    // starts in it.
    let lost: Vec<&Owned> = all.iter().filter(|r| !got.contains(r)).collect();
    let kept: Vec<Owned> = all.iter().filter(|r| got.contains(r)).cloned().collect();
    assert!(!lost.is_empty());
    assert_eq!(got, kept);
    let first_lost = lost[0];
    assert!(first_lost.5 + first_lost.6 > from && first_lost.5 < to);
    assert!(
        first_lost.5 > from,
        "the records before the damaged block of the frame are kept"
    );
    assert!(lost.windows(2).all(|w| w[1].0 == w[0].0 + 1));
    assert!(lost.last().unwrap().5 < to);
    let resume = kept.iter().find(|r| r.0 > first_lost.0).unwrap();
    assert!(resume.5 >= to);
    assert_eq!(
        z.damages(),
        &[Damage {
            offset: first_lost.5,
            resume_offset: resume.5,
            from_seq: first_lost.0,
            to_seq: resume.0,
        }]
    );
    assert_eq!(z.tail(), Tail::Sealed);

    // A type filter and a seek over the damaged frame lose the same,
    // without type copies; with them, the rare type's records are all read
    // from its copy, those of the damaged frame too.
    let heartbeats = |records: &[Owned]| -> Vec<Owned> {
        records
            .iter()
            .filter(|r| r.2 == "heartbeat")
            .cloned()
            .collect()
    };
    let no_copies = compressed_copy_without_type_copies(&plain);
    common::compressed::damage_compressed_frame(&no_copies, 10);
    let mut z = Reader::open(&no_copies).unwrap();
    z.skip_damaged(true);
    z.filter_types(&["heartbeat"]);
    assert_eq!(read_all(&mut z), heartbeats(&kept));
    let mut z = Reader::open(&zst).unwrap();
    z.skip_damaged(true);
    z.filter_types(&["heartbeat"]);
    let in_frame = all.iter().filter(|r| r.5 >= from && r.5 < to);
    let heartbeats_in_frame = in_frame.filter(|r| r.2 == "heartbeat").count();
    assert!(
        heartbeats_in_frame > 0,
        "the damaged frame holds a heartbeat"
    );
    assert_eq!(read_all(&mut z), heartbeats(&all));
    assert!(z.damages().is_empty(), "{:?}", z.damages());
}

#[test]
fn a_reader_opens_a_compressed_segment_by_its_contents_not_its_name() {
    let dir = TempDir::new("zread-name");
    let plain = sealed(&dir, 300);
    let zst = compressed_copy(&plain);
    let renamed = dir.join("renamed.binlog");
    std::fs::rename(&zst, &renamed).unwrap();
    let mut z = Reader::open(&renamed).unwrap();
    assert!(z.is_compressed());
    assert_eq!(
        read_all(&mut z),
        read_all(&mut Reader::open(&plain).unwrap())
    );
    let err = compress_segment(&renamed, &CompressOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
}

#[test]
fn a_log_reader_crosses_from_compressed_history_into_a_live_segment() {
    let dir = TempDir::new("zread-follow");
    let old = dir.join("a.binlog");
    write_segment(&old, 0, 2_000).close().unwrap();
    let old_records = read_all(&mut Reader::open(&old).unwrap());
    let zst = compress_segment(&old, &CompressOptions::default())
        .unwrap()
        .path;
    let live = dir.join("b.binlog");
    let w = write_segment(&live, 2_000, 100);
    w.flush().unwrap();
    let mut r = LogReader::open_files(vec![zst, live.clone()]).unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        if rec.seq < 2_000 {
            assert_eq!(owned(&rec), old_records[rec.seq as usize]);
        }
        seqs.push(rec.seq);
    }
    assert!(seqs.iter().copied().eq(0..2_100), "{} records", seqs.len());
    w.write("trade", b"new").unwrap();
    w.flush().unwrap();
    let rec = r.next_wait(Duration::from_secs(60)).unwrap().unwrap();
    assert_eq!((rec.seq, rec.payload), (2_100, &b"new"[..]));
    // A seek back into the compressed history.
    r.seek_seq(1_234).unwrap();
    assert_eq!(owned(&r.next().unwrap().unwrap()), old_records[1_234]);
}

#[test]
fn a_damaged_frame_a_reader_first_read_in_part_is_reported_as_a_damaged_frame() {
    // Frame 1 holds the records that define the types (FORMAT.md 17.2
    // rule 2a), which opening reads without decompressing the rest of it.
    let dir = TempDir::new("zread-damage-first");
    let plain = sealed(&dir, 2_000);
    let zst = compressed_copy(&plain);
    let all = read_all(&mut Reader::open(&plain).unwrap());
    let f = common::compressed::damage_compressed_frame(&zst, 1);
    let err = first_error(&zst);
    assert_eq!(err.kind(), ErrorKind::CorruptFrame, "{err}");
    assert!(err.to_string().contains("frame 1 "), "{err}");
    assert_eq!(err.offset(), Some(f.compressed_offset), "{err}");
    let mut z = Reader::open(&zst).unwrap();
    z.skip_damaged(true);
    let got = read_all(&mut z);
    let kept: Vec<Owned> = all
        .iter()
        .filter(|r| r.5 + r.6 <= f.offset || r.5 >= f.end())
        .cloned()
        .collect();
    // Every record outside the frame, and of the frame's own at most those
    // before the damage that the open's partial read reached: each read
    // the plain segment's, in order.
    let in_frame = |r: &Owned| r.5 + r.6 > f.offset && r.5 < f.end();
    let outside: Vec<&Owned> = got.iter().filter(|r| !in_frame(r)).collect();
    assert!(
        outside.iter().copied().eq(kept.iter()),
        "frame {}..{}",
        f.offset,
        f.end()
    );
    let mut plain = all.iter();
    assert!(
        got.iter().all(|r| plain.any(|p| p == r)),
        "the records read are the plain segment's, in order"
    );
    assert!(got.len() < all.len(), "the damaged frame cost records");
}

/// A sealed segment of `n` short records compressed in 1 MiB frames (each
/// several zstd blocks of 128 KiB), without type copies: its plain
/// records, the `.zst`, and the original ranges of its frames of records
/// cut by size (not the small one of the records that define the types,
/// FORMAT.md 17.2 rule 2a).
fn in_frames_of_blocks(dir: &TempDir, n: u64) -> (Vec<Owned>, PathBuf, Vec<(u64, u64)>) {
    let plain = dir.join("seg.binlog");
    let w = Writer::open(&plain, Options::default()).unwrap();
    for i in 0..n {
        let payload = format!(r#"{{"i":{i},"px":{},"sym":"S{}"}}"#, i * 7 % 1000, i % 37);
        let t = TYPES[(i % 2) as usize];
        w.write_with(t, &[], Some(i as i64), payload.as_bytes())
            .unwrap();
    }
    w.close().unwrap();
    let all = read_all(&mut Reader::open(&plain).unwrap());
    let copy = plain.with_extension("blocks.binlog");
    std::fs::copy(&plain, &copy).unwrap();
    let opts = CompressOptions::default();
    let zst = compress_segment_with_copies(&copy, &opts, &TypeCopies::NONE, |_| {})
        .unwrap()
        .path;
    let frames = CompressedSegment::open(&zst).unwrap().frames().to_vec();
    let records = frames
        .iter()
        .map(|f| (f.offset, f.end()))
        .filter(|&(from, to)| to - from > 512 << 10 && all.iter().any(|r| r.5 >= from && r.5 < to))
        .collect();
    (all, zst, records)
}

/// Records, the `.zst`, its record frames' original spans, and the
/// positions of the first and last record of each frame.
type FrameEnds = (Vec<Owned>, PathBuf, Vec<(u64, u64)>, Vec<usize>);

/// `in_frames_of_blocks` of 70,000 records (at least three record frames),
/// with the positions in its records of the first and last record of each
/// frame, in order.
fn with_frame_ends(dir: &TempDir) -> FrameEnds {
    let (all, zst, frames) = in_frames_of_blocks(dir, 70_000);
    assert!(frames.len() >= 3, "{} record frames", frames.len());
    let mut targets = Vec::new();
    for &(from, to) in &frames {
        let first = all.iter().position(|r| r.5 >= from).unwrap();
        let last = all.iter().rposition(|r| r.5 < to).unwrap();
        targets.extend([first, last]);
    }
    (all, zst, frames, targets)
}

#[test]
fn seeks_to_the_first_and_last_record_of_each_frame_read_the_plain_records() {
    let dir = TempDir::new("zread-seek-frame-ends");
    let (all, zst, frames, targets) = with_frame_ends(&dir);
    for (n, &(from, to)) in frames.iter().enumerate() {
        let first = targets[2 * n];
        for i in [first, targets[2 * n + 1]] {
            let mut z = Reader::open(&zst).unwrap();
            let opened = z.bytes_decompressed();
            z.seek_seq(all[i].0).unwrap();
            assert_eq!(owned(&z.next().unwrap().unwrap()), all[i]);
            // Its frame's zstd blocks up to the one that holds the record
            // (at most 128 KiB each), not the frame's rest.
            let through = all[i].5 + all[i].6 - from;
            // The first frame cut by size starts at no sparse index entry:
            // a seek to its first record starts in the types' frame, and
            // reads on into it only up to the record, as every seek does.
            let seek = z.bytes_decompressed() - opened;
            assert!(
                seek <= (through + (128 << 10)).min(to - from),
                "seek to {} decompressed {seek} bytes, the record ends {through} bytes into its frame",
                all[i].0
            );
            // Reading on crosses into the next frame.
            let next = z.next().unwrap().map(|r| owned(&r));
            assert_eq!(next.as_ref(), all.get(i + 1));
        }
    }
}

#[test]
fn one_reader_seeking_back_and_forth_across_and_within_frames_reads_the_plain_records() {
    let dir = TempDir::new("zread-seek-back-and-forth");
    let (all, zst, _, targets) = with_frame_ends(&dir);
    let mut z = Reader::open(&zst).unwrap();
    let order = targets.iter().rev().chain(targets.iter()).copied();
    for i in order.chain([targets[1] - 1, 1, targets[1] + 1, targets[1] - 500]) {
        z.seek_seq(all[i].0).unwrap();
        assert_eq!(owned(&z.next().unwrap().unwrap()), all[i]);
        assert_eq!(
            z.next().unwrap().map(|r| owned(&r)).as_ref(),
            all.get(i + 1)
        );
    }
    let mut z = Reader::open(&zst).unwrap();
    let end = all.len() - 1;
    z.seek_time(all[end].1).unwrap();
    assert_eq!(owned(&z.next().unwrap().unwrap()), all[end]);
    assert!(z.next().unwrap().is_none());
}

#[test]
fn a_seek_into_a_frame_damaged_past_its_record_returns_the_record_then_reports_the_frame() {
    let dir = TempDir::new("zread-seek-damaged");
    let (all, zst, frames) = in_frames_of_blocks(&dir, 70_000);
    let index = CompressedSegment::open(&zst)
        .unwrap()
        .frame_index_at(frames[2].0)
        .unwrap();
    // Not the first frame cut by size: one that starts at a sparse index
    // entry (see `seeks_to_the_first_and_last_record_of_each_frame_...`).
    // The middle of the frame's compressed bytes: blocks before it decode.
    let f = common::compressed::damage_compressed_frame(&zst, index);
    let in_frame: Vec<usize> = (0..all.len())
        .filter(|&i| all[i].5 >= f.offset && all[i].5 < f.end())
        .collect();
    let (first, last) = (in_frame[0], in_frame[in_frame.len() - 1]);

    let mut z = Reader::open(&zst).unwrap();
    z.seek_seq(all[first].0).unwrap();
    assert_eq!(owned(&z.next().unwrap().unwrap()), all[first]);
    let err = loop {
        match z.next() {
            Ok(Some(r)) => assert_eq!(owned(&r), all[r.seq as usize], "an intact record"),
            Ok(None) => panic!("read past a damaged frame"),
            Err(e) => break e,
        }
    };
    assert_eq!(err.kind(), ErrorKind::CorruptFrame, "{err}");
    assert!(
        err.to_string().contains(&format!("frame {index} ")),
        "{err}"
    );
    assert_eq!(err.offset(), Some(f.compressed_offset), "{err}");

    // A seek to the frame's last record decompresses through the damage.
    let mut z = Reader::open(&zst).unwrap();
    let err = z.seek_seq(all[last].0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CorruptFrame, "{err}");
    assert_eq!(err.offset(), Some(f.compressed_offset), "{err}");

    // With `skip_damaged`, the first intact record after the frame.
    let mut z = Reader::open(&zst).unwrap();
    z.skip_damaged(true);
    z.seek_seq(all[last].0).unwrap();
    assert_eq!(owned(&z.next().unwrap().unwrap()), all[last + 1]);
    assert_eq!(z.damages().len(), 1, "{:?}", z.damages());
    assert_eq!(z.damages()[0].resume_offset, all[last + 1].5);
}
