//! The commands that read segments (cat, tail, dump, verify, stats, info)
//! read a compressed segment (`.binlog.zst`) as the plain one it came from:
//! the same output but for the file's name and size, and a frame that does
//! not decompress reported as damage naming the file and the frame.
//! Helpers in tests/common/cli.rs.

use binlog::compressed::{compress_segment, CompressOptions, CompressedSegment};
use std::path::{Path, PathBuf};

mod common;
use common::cli::*;

/// A sealed segment of `n` sample records and its compressed copy (64 KiB
/// frames); returns both paths.
fn plain_and_compressed(t: &Tmp, n: u64) -> (PathBuf, PathBuf) {
    let plain = t.join("plain.binlog");
    sealed_segment(&plain, n);
    let copy = t.join("copy.binlog");
    std::fs::copy(&plain, &copy).unwrap();
    let opts = CompressOptions {
        frame_size: 64 << 10,
        ..CompressOptions::default()
    };
    (plain, compress_segment(&copy, &opts).unwrap().path)
}

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

/// Flips bytes in the middle of frame `index`'s compressed bytes; returns
/// the frame's original offset.
fn damage_frame(zst: &Path, index: usize) -> u64 {
    let f = CompressedSegment::open(zst).unwrap().frames()[index];
    let mut bytes = std::fs::read(zst).unwrap();
    let mid = (f.compressed_offset + u64::from(f.compressed_size) / 2) as usize;
    for b in &mut bytes[mid..mid + 8] {
        *b ^= 0x5a;
    }
    std::fs::write(zst, bytes).unwrap();
    f.offset
}

#[test]
fn a_frame_that_does_not_decompress_is_damage_naming_the_file_and_frame() {
    let t = Tmp::new("zst-read-damage");
    let (plain, zst) = plain_and_compressed(&t, 30_000);
    let offset = damage_frame(&zst, 4);
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
