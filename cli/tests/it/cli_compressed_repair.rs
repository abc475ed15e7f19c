//! `binlog repair` of a damaged compressed segment (`X.binlog.zst`): its
//! backup is made first; a segment to reseal or cut is written as the plain
//! segment `X.binlog` (every record of the intact frames) and the `.zst`
//! removed; `--salvage` copies the records after damage in the records into
//! `X.salvaged-<offset>.binlog`; without it such damage is refused and
//! nothing changes; an `X.binlog` already there is never replaced.
//! Helpers in tests/it/common/cli.rs.

use crate::common;
use binlog::compressed::CompressedSegment;
use common::cli::*;
use std::path::{Path, PathBuf};

/// The files in `dir` whose names start with `prefix`.
fn named(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with(prefix))
        .collect();
    v.sort();
    v
}

/// The record lines `binlog cat ARGS FILES` prints.
fn cat(args: &[&str], files: &[PathBuf]) -> String {
    stdout_of(binlog().arg("cat").args(args).args(files))
}

/// `plain_and_compressed` with the compressed segment's last frame
/// (directory and trailer) damaged; also the damaged file's bytes.
fn with_damaged_seal(t: &Tmp, n: u64) -> (PathBuf, PathBuf, Vec<u8>) {
    let (plain, zst) = plain_and_compressed(t, n);
    let last = CompressedSegment::open(&zst).unwrap().frames().len() - 1;
    damage_compressed_frame(&zst, last);
    let damaged = std::fs::read(&zst).unwrap();
    (plain, zst, damaged)
}

#[test]
fn a_compressed_segment_with_a_damaged_seal_is_resealed_as_the_plain_segment() {
    let t = Tmp::new("zst-repair-seal");
    let (plain, zst, damaged) = with_damaged_seal(&t, 5_000);

    let out = binlog()
        .args(["repair", "--dry-run"])
        .arg(&zst)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    assert!(out_text(&out).contains("would write the repaired segment as the plain segment"));
    assert_eq!(
        std::fs::read(&zst).unwrap(),
        damaged,
        "a dry run changes nothing"
    );

    let out = repair(&[zst.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    let repaired = t.join("copy.binlog");
    assert!(!zst.exists());
    assert_eq!(
        cat(&[], std::slice::from_ref(&repaired)),
        cat(&[], &[plain])
    );
    let v = binlog().arg("verify").arg(&repaired).output().unwrap();
    assert_eq!(v.status.code(), Some(0), "{}", out_text(&v));
    let backups = named(t.path(), "copy.binlog.zst.backup-");
    assert_eq!(backups.len(), 1, "{:?}", t.names());
    assert_eq!(std::fs::read(&backups[0]).unwrap(), damaged);
}

#[test]
fn damage_in_a_compressed_segments_records_is_refused_then_salvaged() {
    let t = Tmp::new("zst-repair-salvage");
    let (_, zst) = plain_and_compressed(&t, 30_000);
    damage_compressed_frame(&zst, 3);
    let damaged = std::fs::read(&zst).unwrap();
    let readable = cat(&["--skip-damaged"], std::slice::from_ref(&zst));

    let out = repair(&[zst.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", out_text(&out));
    assert!(out_text(&out).contains("refused, nothing changed"));
    assert_eq!(std::fs::read(&zst).unwrap(), damaged);
    assert_eq!(t.names().len(), 2, "{:?}", t.names());

    let out = repair(&["--salvage", zst.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    assert!(!zst.exists());
    let salvaged = named(t.path(), "copy.salvaged-");
    assert_eq!(salvaged.len(), 1, "{:?}", t.names());
    let kept = [t.join("copy.binlog"), salvaged[0].clone()];
    // Every record `cat --skip-damaged` prints of the damaged file, and
    // nothing else: those of the intact frames, and those the damaged frame
    // yields before its damage (docs/FORMAT.md 17.3a).
    assert_eq!(cat(&[], &kept), readable);
    let v = binlog().arg("verify").args(&kept).output().unwrap();
    assert_eq!(v.status.code(), Some(0), "{}", out_text(&v));
    let backups = named(t.path(), "copy.binlog.zst.backup-");
    assert_eq!(std::fs::read(&backups[0]).unwrap(), damaged);
}

/// A `.zst` whose damaged records frame yields its first blocks before it
/// fails: `repair --salvage` keeps every record `cat --skip-damaged`
/// prints, those of the yielded blocks included, in the plain segment it
/// writes and the salvaged run, and nothing else.
#[test]
fn repair_salvage_keeps_the_records_a_damaged_frame_yields() {
    let t = Tmp::new("zst-repair-yield");
    let (zst, largest) = compressed_damaged_late(&t);
    let mut seg = CompressedSegment::open(&zst).unwrap();
    let size = seg.frames()[largest].size as usize;
    let mut yielded = Vec::new();
    assert!(seg
        .frame_yield_into(largest, &mut yielded)
        .unwrap()
        .is_some());
    assert!(!yielded.is_empty() && yielded.len() < size);
    let readable = cat(&["--skip-damaged"], std::slice::from_ref(&zst));

    let out = repair(&["--salvage", zst.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    assert!(!zst.exists());
    let mut kept = vec![t.join("big.binlog")];
    kept.extend(named(t.path(), "big.salvaged-"));
    assert_eq!(cat(&[], &kept), readable);
    let v = binlog().arg("verify").args(&kept).output().unwrap();
    assert_eq!(v.status.code(), Some(0), "{}", out_text(&v));
}

/// A `.zst` whose seal ends the records before a valid record (a writer
/// with a bug): `repair --salvage` rewrites it as the plain segment with
/// every record written (those `cat --skip-damaged` prints of the plain
/// segment with the same seal), sealed and intact.
#[test]
fn a_compressed_segment_whose_seal_ends_the_records_early_is_repaired_with_every_record() {
    let t = Tmp::new("zst-repair-lying-end");
    let (plain, zst) = plain_and_compressed_lying(&t);
    let every = cat(&["--skip-damaged"], &[plain]);
    assert_eq!(seqs_of_lines(&every).len(), 5_000);
    let out = repair(&["--salvage", zst.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    assert!(!zst.exists());
    let repaired = t.join("lying.binlog");
    assert_eq!(cat(&[], std::slice::from_ref(&repaired)), every);
    let v = binlog().arg("verify").arg(&repaired).output().unwrap();
    assert_eq!(v.status.code(), Some(0), "{}", out_text(&v));
}

#[test]
fn a_plain_segment_beside_a_damaged_compressed_one_is_never_replaced() {
    let t = Tmp::new("zst-repair-taken");
    let (_, zst, damaged) = with_damaged_seal(&t, 2_000);
    let taken = t.join("copy.binlog");
    std::fs::write(&taken, b"someone else's").unwrap();
    let out = repair(&[zst.to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(0), "{}", out_text(&out));
    assert!(
        out_text(&out).contains("exists beside it"),
        "{}",
        out_text(&out)
    );
    assert_eq!(std::fs::read(&zst).unwrap(), damaged);
    assert_eq!(std::fs::read(&taken).unwrap(), b"someone else's");
}

/// A `.zst` whose records end inside a frame, cut in the middle of a
/// record (compressed from a segment with a torn tail, as no compressor of
/// ours does): the library's reader ends it with its seal damaged (a
/// compressed segment was sealed when compressed, so nothing is torn), and
/// `verify`, `repair --dry-run` and `info` say so too.
#[test]
fn a_compressed_segment_cut_in_a_record_is_seal_damaged_to_every_command() {
    use binlog::compressed::frame_writer::SeekableWriter;
    let t = Tmp::new("zst-cut-records");
    let torn = t.join("torn.binlog");
    torn_segment(&torn, 3_000);
    let bytes = std::fs::read(&torn).unwrap();
    let mut w = SeekableWriter::new(Vec::new(), 3).unwrap();
    for chunk in bytes.chunks(64 << 10) {
        w.frame(chunk).unwrap();
    }
    let zst = t.join("cut.binlog.zst");
    std::fs::write(&zst, w.finish().unwrap().0).unwrap();
    let mut r = binlog::Reader::open_salvage(&zst).unwrap();
    while r.next().unwrap().is_some() {}
    let binlog::Tail::SealDamaged { offset } = r.tail() else {
        panic!("{:?}", r.tail());
    };
    let s = zst.to_str().unwrap();
    for args in [
        vec!["verify", s],
        vec!["repair", "--dry-run", s],
        vec!["info", s],
    ] {
        let out = binlog().args(&args).output().unwrap();
        let text = out_text(&out);
        assert!(!text.contains("torn"), "{args:?}: {text}");
        assert!(text.contains("seal-damaged"), "{args:?}: {text}");
    }
    let j = json_of(binlog().args(["verify", "--json", s]));
    assert_eq!(j["segments"][0]["state"], "seal-damaged");
    assert_eq!(j["segments"][0]["issues"][0]["offset"], offset);
}
