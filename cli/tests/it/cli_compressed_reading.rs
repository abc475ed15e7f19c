//! The commands that read segments (cat, tail, dump, verify, stats, info)
//! read a compressed segment (`.binlog.zst`) as the plain one it came from:
//! the same output but for the file's name and size, and a frame that does
//! not decompress reported as damage naming the file and the frame.
//! Helpers in tests/it/common/cli.rs.

use binlog::compressed::CompressedSegment;
use std::path::Path;

use crate::common;
use common::cli::*;

/// The command's output, exit status first, with the file's name made
/// `FILE`.
fn run(args: &[&str], file: &Path) -> (i32, String) {
    let out = binlog().args(args).arg(file).output().unwrap();
    let text = out_text(&out).replace(file.to_str().unwrap(), "FILE");
    (out.status.code().unwrap(), text)
}

#[test]
fn reading_commands_print_for_a_compressed_segment_what_they_print_for_the_plain_one() {
    let t = Tmp::new("zst-read-cmds");
    let (plain, zst) = plain_and_compressed(&t, 30_000);
    let commands: [&[&str]; 9] = [
        &["cat"],
        &["cat", "--json"],
        &["cat", "--type", "trade"],
        &["tail", "-n", "7"],
        &["dump"],
        &["verify"],
        &["stats"],
        &["stats", "--json"],
        &["cat", "--from-seq", "12345", "--to-seq", "12350"],
    ];
    for args in commands {
        let (code, expected) = run(args, &plain);
        assert_eq!(code, 0, "{args:?}: {expected}");
        assert!(expected.len() > 40, "{args:?}: {expected}");
        assert_eq!(run(args, &zst), (code, expected), "{args:?}");
    }
    // info: all but the file's size on disk.
    let lines = |s: String| -> Vec<String> {
        s.lines()
            .filter(|l| !l.trim_start().starts_with("bytes"))
            .map(String::from)
            .collect()
    };
    let (code, expected) = run(&["info"], &plain);
    assert_eq!(code, 0, "{expected}");
    let (zcode, got) = run(&["info"], &zst);
    assert_eq!((zcode, lines(got)), (0, lines(expected)));
}

#[test]
fn a_frame_that_does_not_decompress_is_damage_naming_the_file_and_frame() {
    let t = Tmp::new("zst-read-damage");
    let (plain, zst) = plain_and_compressed(&t, 30_000);
    let offset = damage_compressed_frame(&zst, 4).offset;
    let frame = format!("frame 4 (original offset {offset})");

    let (code, text) = run(&["verify"], &zst);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("DAMAGED") && text.contains(&frame), "{text}");
    assert!(text.contains(&format!("offset {offset}")), "{text}");

    let (code, text) = run(&["cat"], &zst);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("FILE") && text.contains(&frame), "{text}");

    let all = seqs_of_lines(&stdout_of(binlog().arg("cat").arg(&plain)));
    let out = binlog()
        .args(["cat", "--skip-damaged"])
        .arg(&zst)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", out_text(&out));
    let kept = seqs_of_lines(&String::from_utf8(out.stdout).unwrap());
    let lost: Vec<u64> = all.iter().copied().filter(|s| !kept.contains(s)).collect();
    assert!(
        !lost.is_empty() && lost.len() < all.len() / 4,
        "{} lost",
        lost.len()
    );
    assert!(
        lost.windows(2).all(|w| w[1] == w[0] + 1),
        "one run of records lost"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    let range = format!("records {}..{} are lost", lost[0], lost[lost.len() - 1]);
    assert!(stderr.contains(&range), "{stderr}");
    // The region starts in frame 4, or in frame 3 with a record cut across.
    assert!(
        stderr.contains("(in compressed frame 4)")
            || stderr.contains("(in compressed frames 3..4)"),
        "{stderr}"
    );
}

/// `dump` of a segment with a damaged records frame shows as records those
/// `cat --skip-damaged` prints: the intact frames' and those the damaged
/// frame yields before its damage (docs/FORMAT.md 17.3a); only the rest of
/// the frame is zeros, shown as damage, and named on standard error.
#[test]
fn dump_shows_the_records_a_damaged_frame_yields_as_cat_does() {
    let t = Tmp::new("zst-dump-yield");
    let (zst, largest) = compressed_damaged_late(&t);
    let mut seg = CompressedSegment::open(&zst).unwrap();
    let entry = seg.frames()[largest];
    let mut yielded = Vec::new();
    assert!(seg
        .frame_yield_into(largest, &mut yielded)
        .unwrap()
        .is_some());
    let kept = yielded.len() as u64;
    assert!(kept > 0 && kept < u64::from(entry.size), "{kept} kept");

    let printed = stdout_of(binlog().args(["cat", "--skip-damaged"]).arg(&zst));
    let out = binlog()
        .args(["dump", "--json"])
        .arg(&zst)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", out_text(&out));
    let lines = json_lines(&String::from_utf8(out.stdout).unwrap());
    let shown: Vec<u64> = lines
        .iter()
        .filter(|l| l["what"] == "record")
        .map(|l| l["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(shown, seqs_of_lines(&printed));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lost = format!(
        "original bytes {}..{} are lost",
        entry.offset + kept,
        entry.end()
    );
    assert!(stderr.contains(&lost), "{stderr}");
}

/// A segment's `.binlog` path, handed out before the segment was
/// compressed (by a log's `Sealed` event, say), leads the reading commands
/// to its `.binlog.zst`, as it leads the library's reader.
#[test]
fn a_compressed_segments_plain_path_reads_its_compressed_copy() {
    let t = Tmp::new("zst-read-plain-path");
    let (plain, zst) = plain_and_compressed(&t, 2_000);
    let handed_out = t.join("copy.binlog");
    assert!(!handed_out.exists() && zst.exists());
    for args in [&["cat"][..], &["verify"][..], &["stats"][..]] {
        let want = stdout_of(binlog().args(args).arg(&zst));
        let out = binlog().args(args).arg(&handed_out).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", out_text(&out));
        assert_eq!(String::from_utf8(out.stdout).unwrap(), want, "{args:?}");
    }
    let records = seqs_of_lines(&stdout_of(binlog().arg("cat").arg(&plain)));
    assert_eq!(records.len(), 2_000);
    let out = binlog()
        .arg("cat")
        .arg(t.join("never.binlog"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", out_text(&out));
}

/// The exit status and output of `binlog ARGS FILE`, standard error apart.
fn run_split(args: &[&str], file: &Path) -> (i32, String, String) {
    let out = binlog().args(args).arg(file).output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (
        out.status.code().unwrap(),
        text(out.stdout),
        text(out.stderr),
    )
}

/// A damaged header frame, `SEAL_BEGIN` frame or last frame (sparse
/// index, directory, trailer) is damage to every command (exit 1), named
/// with its frame and compressed offset; `cat --skip-damaged` prints every
/// record (all are in intact frames) and reports the frame.
#[test]
fn a_damaged_header_or_seal_frame_is_damage_and_skip_damaged_prints_every_record() {
    let t = Tmp::new("zst-read-seal-damage");
    let (plain, zst) = plain_and_compressed(&t, 5_000);
    let all = seqs_of_lines(&stdout_of(binlog().arg("cat").arg(&plain)));
    let seg = CompressedSegment::open(&zst).unwrap();
    let records_end = binlog::Reader::open(&plain)
        .unwrap()
        .seal()
        .unwrap()
        .records_end;
    let seal_begin = seg.frame_index_at(records_end).unwrap();
    let last = seg.frames().len() - 1;
    for i in [0, seal_begin, last] {
        let damaged = t.join(format!("frame-{i}.binlog.zst"));
        std::fs::copy(&zst, &damaged).unwrap();
        let at = seg.frames()[i].compressed_offset;
        damage_compressed_frame(&damaged, i);
        let (code, text, _) = run_split(&["verify"], &damaged);
        assert_eq!(code, 1, "frame {i}: {text}");
        assert!(text.contains(&format!("offset {at}: frame {i} ")), "{text}");
        for cmd in ["cat", "info", "stats", "dump"] {
            let (code, _, err) = run_split(&[cmd], &damaged);
            assert_eq!(code, 1, "{cmd}, frame {i}: {err}");
        }
        let (code, out, err) = run_split(&["cat", "--skip-damaged"], &damaged);
        assert_eq!(code, 1, "frame {i}: {err}");
        assert_eq!(seqs_of_lines(&out), all, "frame {i}");
        let named = format!("(in compressed frame {i}), at compressed offset {at}");
        assert!(err.contains(&named), "frame {i}: {err}");
    }
}

/// A `.zst` cut short: damage to every command (exit 1) naming the file
/// and offset; `cat --skip-damaged` prints every record of the whole
/// frames before the cut, as a plain segment's torn tail is read (exit 0,
/// a warning). A `.zst` that holds no segment is no segment (exit 2).
#[test]
fn a_compressed_segment_cut_short_is_damage_and_one_of_other_bytes_no_segment() {
    let t = Tmp::new("zst-read-cut");
    let (plain, zst) = plain_and_compressed(&t, 5_000);
    let all = seqs_of_lines(&stdout_of(binlog().arg("cat").arg(&plain)));
    let bytes = std::fs::read(&zst).unwrap();
    let cut = bytes.len() / 2;
    let cut_file = t.join("cut.binlog.zst");
    std::fs::write(&cut_file, &bytes[..cut]).unwrap();
    for cmd in ["verify", "cat", "info", "stats", "dump"] {
        let (code, out, err) = run_split(&[cmd], &cut_file);
        assert_eq!(code, 1, "{cmd}: {out}{err}");
        let named = format!("cut.binlog.zst: offset {cut}");
        assert!(
            out.contains(&named) || err.contains(&named),
            "{cmd}: {out}{err}"
        );
    }
    let (code, out, err) = run_split(&["cat", "--skip-damaged"], &cut_file);
    assert_eq!(code, 0, "{err}");
    let kept = seqs_of_lines(&out);
    assert!(
        kept.len() > all.len() / 4 && kept.len() < all.len(),
        "{}",
        kept.len()
    );
    assert_eq!(kept[..], all[..kept.len()]);
    assert!(err.contains("the seal is damaged or incomplete"), "{err}");

    let other = t.join("other.binlog.zst");
    let noise: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(&other, zstd::bulk::compress(&noise, 3).unwrap()).unwrap();
    for cmd in ["verify", "cat", "info", "stats", "dump"] {
        let (code, out, err) = run_split(&[cmd], &other);
        assert_eq!(code, 2, "{cmd}: {out}{err}");
        let said = "other.binlog.zst: offset 0: zstd frames without the seek table";
        assert!(
            out.contains(said) || err.contains(said),
            "{cmd}: {out}{err}"
        );
    }
}

/// A `.zst` whose seal ends the records before a valid record: `cat`
/// fails on it (exit 1) naming the file and the original offset of its
/// trailer; `cat --skip-damaged` prints every record and the warning
/// (where the records truly end) that it prints for the plain segment
/// with the same seal, and `verify` reports the same damaged seal.
#[test]
fn a_seal_that_ends_the_records_early_is_damage_and_skip_damaged_prints_every_record() {
    let t = Tmp::new("zst-read-lying-end");
    let (plain, zst) = plain_and_compressed_lying(&t);
    let len = std::fs::metadata(&plain).unwrap().len();
    let trailer_at = len - binlog::format::seal::TRAILER_LEN as u64;
    let (code, _, err) = run_split(&["cat"], &zst);
    assert_eq!(code, 1, "{err}");
    let named = format!("{}: offset {trailer_at}: ", zst.display());
    assert!(err.contains(&named), "{err}");

    let (code, out, err) = run_split(&["cat", "--skip-damaged"], &zst);
    assert_eq!(code, 0, "{err}");
    let seqs = seqs_of_lines(&out);
    assert!(
        seqs.iter().copied().eq(0..5_000),
        "{} records printed of 5000",
        seqs.len()
    );
    for args in [&["cat", "--skip-damaged"][..], &["verify"]] {
        let expected = run(args, &plain);
        assert!(expected.1.contains("damaged"), "{args:?}: {}", expected.1);
        assert_eq!(run(args, &zst), expected, "{args:?}");
    }
}
