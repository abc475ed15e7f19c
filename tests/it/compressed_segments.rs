//! Compressed sealed segments on real files written by the library's
//! `Writer`: compressing and decompressing round trips, random access, the
//! zstd command-line tool reading them, refusals, redone steps, and every
//! kind of bad input (truncated, flipped bits, a lying seek table, frames of
//! the wrong size, a `.zst` that is no segment).

use crate::common;

use binlog::compressed::frame_writer::SeekableWriter;
use binlog::compressed::CompressedSegment;
use binlog::compressed::{compress_segment_with, decompress_segment_with, Step};
use binlog::{compress_segment, decompress_segment, CompressOptions};
use binlog::{ErrorKind, Options, Reader, Writer};
use common::TempDir;
use std::path::{Path, PathBuf};

const TYPES: [&str; 3] = ["trade", "quote", "heartbeat"];

/// A sealed segment of `n` JSON-like records of three types (one type a
/// hundredth of them) with a few large ones; returns its path and bytes.
fn sealed_segment(dir: &TempDir, n: u64) -> (PathBuf, Vec<u8>) {
    let path = dir.join("seg.binlog");
    let w = Writer::open(&path, Options::default()).unwrap();
    for i in 0..n {
        let t = if i % 100 == 0 {
            TYPES[2]
        } else {
            TYPES[(i % 2) as usize]
        };
        let mut payload = format!(
            r#"{{"i":{i},"px":{},"sym":"S{}","note":"{}"}}"#,
            i * 7 % 1000,
            i % 37,
            "n".repeat((i % 60) as usize)
        );
        if i % 997 == 0 {
            payload.push_str(&"large ".repeat(30_000));
        }
        w.write_with(t, &[], Some(1_000 + i as i64), payload.as_bytes())
            .unwrap();
    }
    w.close().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

fn zst_of(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".zst");
    PathBuf::from(s)
}

fn small_frames() -> CompressOptions {
    CompressOptions {
        frame_size: 64 << 10,
        ..CompressOptions::default()
    }
}

/// Compresses `path` with 64 KiB frames and returns the `.zst`'s path.
fn compressed(path: &Path) -> PathBuf {
    let done = compress_segment(path, &small_frames()).unwrap();
    assert_eq!(done.path, zst_of(path));
    done.path
}

#[test]
fn compressing_keeps_every_byte_and_decompressing_gives_the_segment_back() {
    let dir = TempDir::new("zst-roundtrip");
    let (path, original) = sealed_segment(&dir, 20_000);
    let seal = Reader::open(&path).unwrap().seal().cloned().unwrap();
    let done = compress_segment(&path, &small_frames()).unwrap();
    assert!(
        !path.exists(),
        "the segment is removed once its copy is verified"
    );
    assert_eq!(done.original_len, original.len() as u64);
    assert!(done.compressed_len * 3 < done.original_len, "{done:?}");
    assert_eq!(
        std::fs::metadata(&done.path).unwrap().len(),
        done.compressed_len
    );

    let mut seg = CompressedSegment::open(&done.path).unwrap();
    assert_eq!(seg.seal(), &seal);
    assert_eq!(seg.original_len(), original.len() as u64);
    assert!(seg.frames().iter().all(|f| f.size <= 64 << 10));
    let mut whole = Vec::new();
    seg.for_each_frame(|offset, bytes| {
        assert_eq!(offset, whole.len() as u64);
        whole.extend_from_slice(bytes);
        Ok(())
    })
    .unwrap();
    assert!(whole == original, "the frames concatenate to the segment");

    let mut rng = common::Rng::new(28);
    for _ in 0..300 {
        let at = rng.below(original.len() as u64);
        let len = rng.below((original.len() as u64 - at).min(200_000)) as usize;
        assert!(
            seg.read_at(at, len).unwrap() == original[at as usize..at as usize + len],
            "{at}+{len}"
        );
    }
    let past = seg.read_at(original.len() as u64 - 1, 2).unwrap_err();
    assert_eq!(past.kind(), ErrorKind::InvalidArgument);

    let back = decompress_segment(&done.path).unwrap();
    assert_eq!(back.path, path);
    assert!(
        !done.path.exists(),
        "the .zst is removed once the segment is back"
    );
    assert!(std::fs::read(&path).unwrap() == original);
    assert_eq!(Reader::open(&path).unwrap().seal(), Some(&seal));
}

#[test]
fn frames_are_cut_at_the_segment_structure_and_opening_reads_few_small_ones() {
    let dir = TempDir::new("zst-cuts");
    let (path, original) = sealed_segment(&dir, 30_000);
    let reader = Reader::open(&path).unwrap();
    let seal = reader.seal().cloned().unwrap();
    let data_start = reader.data_start();
    drop(reader);
    let seg_zst = compressed(&path);
    let seg = CompressedSegment::open(&seg_zst).unwrap();
    let ends: Vec<u64> = seg.frames().iter().map(|f| f.end()).collect();
    let mut cuts = vec![
        data_start,
        seal.records_end,
        seal.records_end + 17,
        seal.sparse_offset,
    ];
    for t in &seal.types {
        cuts.extend([t.array_offset, t.array_offset + 8 * t.count]);
    }
    for c in cuts {
        assert!(ends.contains(&c), "a frame ends at {c}");
    }
    let last = seg.frames().last().unwrap();
    assert_eq!(
        (last.offset, last.end()),
        (seal.sparse_offset, original.len() as u64)
    );
    // Record frames end at record boundaries except inside records larger
    // than a frame: every frame start inside the records is a record's
    // offset or inside a large record.
    let starts: Vec<u64> = seg
        .frames()
        .iter()
        .map(|f| f.offset)
        .filter(|&o| o > data_start && o < seal.records_end)
        .collect();
    let mut r = Reader::open(path_of_plain_copy(&dir, &original)).unwrap();
    let mut offsets = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        offsets.push((rec.offset, rec.offset + rec.frame_len));
    }
    for s in starts {
        let inside = offsets.iter().find(|(a, b)| *a <= s && s < *b).unwrap();
        assert!(
            inside.0 == s || inside.1 - inside.0 > 64 << 10,
            "frame start {s} inside record {inside:?}"
        );
    }
    // Opening decompressed the header, the SEAL_BEGIN frame and the tail.
    assert!(
        seg.frames_decompressed() <= 3,
        "{}",
        seg.frames_decompressed()
    );
}

/// A plain copy of `bytes` in `dir`, to read records' offsets from.
fn path_of_plain_copy(dir: &TempDir, bytes: &[u8]) -> PathBuf {
    let p = dir.join("copy.binlog");
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn the_zstd_command_line_tool_decompresses_a_compressed_segment_to_the_segment() {
    // The reference tool, on PATH (`make test` installs it when missing).
    let zstd = "zstd";
    let dir = TempDir::new("zst-cli");
    let (path, original) = sealed_segment(&dir, 5_000);
    let zst = compressed(&path);
    let out = std::process::Command::new(zstd)
        .args(["-d", "-c", "-q"])
        .arg(&zst)
        .output()
        .expect("the zstd command-line tool (make test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout == original,
        "zstd -d gives the segment byte for byte"
    );
    let test = std::process::Command::new(zstd)
        .args(["-t", "-q"])
        .arg(&zst)
        .status()
        .unwrap();
    assert!(test.success());
}

#[test]
fn only_a_sealed_segment_no_writer_holds_is_compressed() {
    let dir = TempDir::new("zst-refuse");
    let held = dir.join("held.binlog");
    let w = Writer::open(&held, Options::default()).unwrap();
    w.write("t", b"x").unwrap();
    w.flush().unwrap();
    assert_eq!(
        compress_segment(&held, &CompressOptions::default())
            .unwrap_err()
            .kind(),
        ErrorKind::Locked
    );
    w.close().unwrap();

    let (path, original) = sealed_segment(&dir, 100);
    let records_end = Reader::open(&path).unwrap().seal().unwrap().records_end;
    std::fs::write(&path, &original[..records_end as usize]).unwrap();
    let e = compress_segment(&path, &CompressOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(
        e.message().contains("not sealed") && e.message().contains("seg.binlog"),
        "{e}"
    );
    assert!(path.exists() && !zst_of(&path).exists());

    let bad = CompressOptions {
        level: 99,
        ..CompressOptions::default()
    };
    assert_eq!(
        compress_segment(&held, &bad).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
}

#[test]
fn a_leftover_temporary_file_is_removed_and_the_step_redone() {
    let dir = TempDir::new("zst-leftover");
    let (path, original) = sealed_segment(&dir, 2_000);
    let tmp = dir.join("seg.binlog.zst.tmp");
    std::fs::write(&tmp, b"half a compressed copy").unwrap();
    let zst = compressed(&path);
    assert!(!tmp.exists() && !path.exists());
    let back_tmp = dir.join("seg.binlog.tmp");
    std::fs::write(&back_tmp, b"half a decompressed copy").unwrap();
    decompress_segment(&zst).unwrap();
    assert!(!back_tmp.exists() && !zst.exists());
    assert!(std::fs::read(&path).unwrap() == original);
}

/// A second compression (or decompression) of a segment while one runs
/// is refused with `Locked`, and leaves the first's temporary copy alone:
/// the first finishes.
#[test]
fn a_conversion_already_running_is_not_disturbed_by_a_second() {
    let dir = TempDir::new("zst-twice");
    let (path, original) = sealed_segment(&dir, 2_000);
    let tmp = dir.join("seg.binlog.zst.tmp");
    let mut second = None;
    compress_segment_with(&path, &small_frames(), |step| {
        if step == Step::Written {
            assert!(tmp.exists());
            second = Some(compress_segment(&path, &small_frames()).map(|_| ()));
            assert!(tmp.exists(), "the second removed the first's copy");
        }
    })
    .unwrap();
    let e = second.expect("ran at the written step").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Locked, "{e}");
    let zst = zst_of(&path);
    let mut second = None;
    decompress_segment_with(&zst, |step| {
        if step == Step::Written {
            second = Some(decompress_segment(&zst).map(|_| ()));
        }
    })
    .unwrap();
    let e = second.expect("ran at the written step").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Locked, "{e}");
    assert!(std::fs::read(&path).unwrap() == original);
}

#[test]
fn a_crash_between_rename_and_unlink_is_finished_and_a_bad_copy_redone() {
    let dir = TempDir::new("zst-finish");
    let (path, original) = sealed_segment(&dir, 2_000);
    let zst = compressed(&path);
    // Both files, the copy verified: compressing again only unlinks.
    std::fs::write(&path, &original).unwrap();
    compress_segment(&path, &small_frames()).unwrap();
    assert!(!path.exists() && zst.exists());
    // Both files, the copy damaged: it is made again from the segment.
    std::fs::write(&path, &original).unwrap();
    let mut damaged = std::fs::read(&zst).unwrap();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x10;
    std::fs::write(&zst, &damaged).unwrap();
    compress_segment(&path, &small_frames()).unwrap();
    assert!(!path.exists());
    decompress_segment(&zst).unwrap();
    assert!(std::fs::read(&path).unwrap() == original);
    // Decompressing next to a different plain file touches nothing.
    let zst = compressed(&path);
    std::fs::write(&path, b"someone else's file").unwrap();
    assert_eq!(
        decompress_segment(&zst).unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    assert!(zst.exists() && std::fs::read(&path).unwrap() == b"someone else's file");
    // Compressing next to a whole compressed file of another segment keeps
    // that file, moved aside to `.differs`, and makes the segment's copy.
    let other_dir = TempDir::new("zst-other");
    let (other, _) = sealed_segment(&other_dir, 300);
    let other_zst = compressed(&other);
    std::fs::write(&path, &original).unwrap();
    std::fs::rename(&other_zst, &zst).unwrap();
    let theirs = std::fs::read(&zst).unwrap();
    compress_segment(&path, &small_frames()).unwrap();
    let aside = dir.join("seg.binlog.zst.differs");
    assert!(std::fs::read(&aside).unwrap() == theirs, "kept aside");
    assert!(!path.exists());
    decompress_segment(&zst).unwrap();
    assert!(std::fs::read(&path).unwrap() == original);
}

/// A compressed segment's bytes and its frames, for tampering.
fn compressed_bytes(dir: &TempDir) -> (PathBuf, Vec<u8>, Vec<u8>) {
    let (path, original) = sealed_segment(dir, 3_000);
    let zst = compressed(&path);
    (zst.clone(), std::fs::read(&zst).unwrap(), original)
}

/// Opens `bytes` as a compressed segment and reads all of it.
fn read_whole(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, binlog::Error> {
    std::fs::write(path, bytes).unwrap();
    let mut seg = CompressedSegment::open(path)?;
    let mut all = Vec::new();
    seg.for_each_frame(|_, b| {
        all.extend_from_slice(b);
        Ok(())
    })?;
    Ok(all)
}

/// Offset of seek table entry `i` in a file of `len` bytes with `n` frames.
fn entry_at(len: usize, n: usize, i: usize) -> usize {
    len - (8 + 8 * n + 9) + 8 + 8 * i
}

/// Adds `delta` to the little-endian u32 at `at`.
fn add_u32(b: &mut [u8], at: usize, delta: i64) {
    let v = u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    let v = u32::try_from(i64::from(v) + delta).unwrap();
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn a_truncated_compressed_segment_is_refused_naming_the_file() {
    let dir = TempDir::new("zst-truncated");
    let (zst, bytes, _) = compressed_bytes(&dir);
    for cut in [bytes.len() - 1, bytes.len() - 9, bytes.len() / 2, 5] {
        let e = read_whole(&zst, &bytes[..cut]).unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::CompressedTruncated,
            "cut at {cut}: {e}"
        );
        assert_eq!(
            (e.path(), e.offset()),
            (Some(zst.as_path()), Some(cut as u64)),
            "{e}"
        );
    }
}

#[test]
fn a_flipped_bit_in_a_frame_is_a_corrupt_frame_at_that_frame() {
    let dir = TempDir::new("zst-flip");
    let (zst, bytes, original) = compressed_bytes(&dir);
    let frames = CompressedSegment::open(&zst).unwrap().frames().to_vec();
    for f in frames.iter().filter(|f| f.compressed_size > 64) {
        let mut g = bytes.clone();
        g[(f.compressed_offset + u64::from(f.compressed_size) / 2) as usize] ^= 0x04;
        let e = read_whole(&zst, &g).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::CorruptFrame, "{e}");
        assert_eq!(e.offset(), Some(f.compressed_offset), "{e}");
        assert!(e.message().contains(zst.to_str().unwrap()), "{e}");
    }
    // Anywhere else: refused or the same bytes, never other bytes.
    let mut rng = common::Rng::new(7);
    for _ in 0..400 {
        let bit = rng.below(bytes.len() as u64 * 8) as usize;
        let mut g = bytes.clone();
        g[bit / 8] ^= 1 << (bit % 8);
        if let Ok(all) = read_whole(&zst, &g) {
            assert!(all == original, "flip of bit {bit} gave other bytes");
        }
    }
}

#[test]
fn a_seek_table_that_lies_about_compressed_sizes_is_refused() {
    let dir = TempDir::new("zst-lies");
    let (zst, bytes, _) = compressed_bytes(&dir);
    let n = CompressedSegment::open(&zst).unwrap().frames().len();
    // Frame 1 one byte longer, frame 2 one shorter: the total still fits.
    let mut g = bytes.clone();
    let (a, b) = (entry_at(g.len(), n, 1), entry_at(g.len(), n, 2));
    add_u32(&mut g, a, 1);
    add_u32(&mut g, b, -1);
    let e = read_whole(&zst, &g).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CorruptSeekTable, "{e}");
    // A total that does not fill the file.
    let mut g = bytes.clone();
    let a = entry_at(g.len(), n, 0);
    add_u32(&mut g, a, -1);
    let e = read_whole(&zst, &g).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CorruptSeekTable, "{e}");
    assert_eq!(e.path(), Some(zst.as_path()));
}

#[test]
fn a_frame_of_another_size_than_its_entry_is_refused() {
    let dir = TempDir::new("zst-size");
    let (zst, bytes, _) = compressed_bytes(&dir);
    let seg = CompressedSegment::open(&zst).unwrap();
    let n = seg.frames().len();
    let second = seg.frames()[1];
    // Frame 1 said 5 bytes longer, frame 2 5 shorter: the total stays.
    let mut g = bytes.clone();
    let (a, b) = (entry_at(g.len(), n, 1) + 4, entry_at(g.len(), n, 2) + 4);
    add_u32(&mut g, a, 5);
    add_u32(&mut g, b, -5);
    let e = read_whole(&zst, &g).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::FrameSizeMismatch, "{e}");
    assert_eq!(e.offset(), Some(second.compressed_offset), "{e}");
}

#[test]
fn a_compressed_file_that_is_not_a_segment_is_not_a_binlog() {
    let dir = TempDir::new("zst-not-segment");
    let path = dir.join("other.binlog.zst");
    let mut w = SeekableWriter::new(Vec::new(), 3).unwrap();
    w.frame(b"just some text, compressed the seekable way")
        .unwrap();
    let (bytes, _) = w.finish().unwrap();
    let e = read_whole(&path, &bytes).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotABinlog, "{e}");
    assert!(e.message().contains("other.binlog.zst"), "{e}");
    let e = read_whole(&path, b"plain text, not zstd at all").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotABinlog, "{e}");
}

/// A compressed segment whose lock a converting process holds (a
/// decompression, a shipper removing it) is reported as held by a writer,
/// as a plain segment's is; once the lock is gone, it is not.
#[test]
fn verify_reports_a_compressed_segment_whose_lock_is_held() {
    let d = TempDir::new("zst-locked");
    let (path, _) = sealed_segment(&d, 50);
    compress_segment(&path, &small_frames()).unwrap();
    let zst = zst_of(&path);
    assert!(!binlog::verify::segment(&zst).writer_holds);
    let lock = std::fs::File::open(&zst).unwrap();
    assert!(common::try_flock(&lock));
    assert!(binlog::verify::segment(&zst).writer_holds);
    common::unlock(lock);
    assert!(!binlog::verify::segment(&zst).writer_holds);
}
