//! `binlog compress` and `binlog decompress`: a directory's sealed segments
//! become `.binlog.zst` files and back, byte for byte; the segment a writer
//! holds is skipped; a named unsealed segment is refused (exit 2); a
//! damaged `.zst` exits 1 and stays. Helpers in tests/it/common/cli.rs.

use predicates::prelude::*;
use std::path::{Path, PathBuf};

use crate::common;
use common::cli::*;

fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_str().unwrap().ends_with(suffix))
        .collect();
    v.sort();
    v
}

#[test]
fn compress_a_directory_skips_the_held_segment_and_decompress_restores_the_bytes() {
    let t = Tmp::new("compress-dir");
    let dir = t.join("log");
    rolled_log(&dir, 40, 10);
    let segments = files_ending(&dir, ".binlog");
    assert!(segments.len() >= 3, "{segments:?}");
    let before: Vec<Vec<u8>> = segments.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let held = segments.last().unwrap().clone();
    let _lock = hold_lock(&held);

    let out = binlog()
        .args(["compress", "--no-progress", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", out_text(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let zsts = files_ending(&dir, ".binlog.zst");
    assert_eq!(zsts.len(), segments.len() - 1, "{stdout}");
    for z in &zsts {
        assert!(stdout.contains(z.to_str().unwrap()), "{stdout}");
    }
    assert!(stdout.contains("skipped"), "{stdout}");
    assert_eq!(files_ending(&dir, ".binlog"), std::slice::from_ref(&held));

    let mut args = vec!["decompress".to_string()];
    args.extend(zsts.iter().map(|z| z.to_str().unwrap().to_string()));
    binlog().args(&args).assert().success();
    assert!(files_ending(&dir, ".zst").is_empty());
    for (p, bytes) in segments.iter().zip(&before) {
        assert!(
            &std::fs::read(p).unwrap() == bytes,
            "{} restored",
            p.display()
        );
    }
}

#[test]
fn compress_refuses_a_named_unsealed_segment() {
    let t = Tmp::new("compress-unsealed");
    let path = t.join("open.binlog");
    unsealed_segment(&path, 5);
    let before = std::fs::read(&path).unwrap();
    binlog()
        .args(["compress", path.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("open.binlog").and(predicate::str::contains("not sealed")),
        );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(files_ending(t.path(), ".zst").is_empty());
}

#[test]
fn decompress_of_a_damaged_file_exits_1_and_keeps_it() {
    let t = Tmp::new("decompress-damaged");
    let path = t.join("seg.binlog");
    sealed_segment(&path, 200);
    binlog()
        .args(["compress", "--frame-size", "4096", path.to_str().unwrap()])
        .assert()
        .success();
    let zst = t.join("seg.binlog.zst");
    let mut bytes = std::fs::read(&zst).unwrap();
    let mid = bytes.len() / 3;
    bytes[mid] ^= 0x40;
    std::fs::write(&zst, &bytes).unwrap();
    binlog()
        .args(["decompress", zst.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("seg.binlog.zst"));
    assert_eq!(std::fs::read(&zst).unwrap(), bytes);
    assert!(!path.exists() && !t.join("seg.binlog.tmp").exists());
}

/// `binlog info` of a log with compressed segments: each one's compressed
/// and original size and the ratio, read from its seek table and seal
/// (its records as the seal counts them), and the totals of both sizes.
#[test]
fn info_shows_each_compressed_segments_sizes_and_ratio() {
    let t = Tmp::new("compress-info");
    let dir = t.join("log");
    rolled_log(&dir, 40, 10);
    let segments = files_ending(&dir, ".binlog");
    let original = std::fs::metadata(&segments[0]).unwrap().len();
    let done = binlog::compress_segment(&segments[0], &binlog::CompressOptions::default()).unwrap();
    assert_eq!(done.original_len, original);

    let doc = json_of(binlog().args(["info", "--json", dir.to_str().unwrap()]));
    let segs = doc["segments"].as_array().unwrap();
    assert_eq!(segs.len(), segments.len());
    assert_eq!(segs[0]["compressed"], true);
    assert_eq!(segs[0]["bytes"], done.compressed_len);
    assert_eq!(segs[0]["original_bytes"], original);
    assert_eq!(segs[0]["state"], "sealed");
    assert_eq!(segs[0]["counts"]["records"], 10);
    assert_eq!(segs[1]["compressed"], false);
    assert_eq!(segs[1]["original_bytes"], serde_json::Value::Null);
    assert_eq!(doc["total"]["compressed"], 1);
    let plain_rest: u64 = segments[1..]
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert_eq!(doc["total"]["original_bytes"], original + plain_rest);
    assert_eq!(doc["total"]["bytes"], done.compressed_len + plain_rest);

    let text = stdout_of(binlog().args(["info", dir.to_str().unwrap()]));
    let ratio = format!("{:.2}x", original as f64 / done.compressed_len as f64);
    let line = text
        .lines()
        .find(|l| l.contains(".binlog.zst"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("compressed from") && line.contains(&ratio),
        "{line}"
    );
    assert!(text.contains("1 compressed;"), "{text}");

    let one = stdout_of(binlog().args(["info", done.path.to_str().unwrap()]));
    assert!(
        one.contains("compressed from") && one.contains(&format!("({original})")),
        "{one}"
    );
    assert!(one.contains(&ratio), "{one}");
}

/// A sealed segment at `path`: 3,000 records of 100 bytes, every 100th
/// of the rare type "audit", the rest "trade".
fn segment_with_a_rare_type(path: &Path) {
    let w = binlog::Writer::open(path, binlog::Options::default()).unwrap();
    for i in 0..3000u32 {
        let t = if i % 100 == 7 { "audit" } else { "trade" };
        let p: Vec<u8> = (0..100u32).map(|j| (i * 7 + j * 13) as u8).collect();
        w.write(t, &p).unwrap();
    }
    w.close().unwrap();
}

#[test]
fn compress_type_copies_sets_the_share_that_gets_a_copy_and_0_makes_none() {
    let t = Tmp::new("compress-copies");
    let (with, without) = (t.join("with.binlog"), t.join("without.binlog"));
    segment_with_a_rare_type(&with);
    std::fs::copy(&with, &without).unwrap();
    let compress = |path: &Path, extra: &[&str]| {
        let out = binlog()
            .args(["compress", "--no-progress", "--frame-size", "4096"])
            .args(extra)
            .arg(path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", out_text(&out));
    };
    compress(&with, &[]);
    compress(&without, &["--type-copies", "0"]);
    let size = |p: &Path| {
        std::fs::metadata(format!("{}.zst", p.display()))
            .unwrap()
            .len()
    };
    assert!(
        size(&with) > size(&without),
        "with copies {} bytes, without {}",
        size(&with),
        size(&without)
    );
    // Both read the rare type alone as the same records.
    let audit = |p: &Path| {
        let out = binlog()
            .args(["cat", "--type", "audit"])
            .arg(format!("{}.zst", p.display()))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", out_text(&out));
        out.stdout
    };
    let records = audit(&with);
    assert_eq!(String::from_utf8_lossy(&records).lines().count(), 30);
    assert!(records == audit(&without));

    let bad = binlog()
        .args(["compress", "--type-copies", "2"])
        .arg(&with)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "{}", out_text(&bad));
    assert!(
        out_text(&bad).contains("--type-copies"),
        "{}",
        out_text(&bad)
    );
}
