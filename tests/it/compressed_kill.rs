//! A `kill -9` after each step of compressing or decompressing a segment
//! leaves the segment or a verified compressed copy (never neither, never
//! other bytes), and running the conversion again finishes it.

use crate::common;

use binlog::compressed::CompressedSegment;
use binlog::compressed::{compress_segment_with, decompress_segment_with, Step};
use binlog::{compress_segment, decompress_segment, CompressOptions};
use binlog::{Options, Writer};
use common::child::kill_at_line;
use common::TempDir;
use std::path::{Path, PathBuf};
use std::time::Duration;

const CHILD: &str = "BINLOG_ZST_KILL_CHILD";
const MARK: &str = "ZST-CHILD ";
const STEPS: [Step; 4] = [
    Step::Written,
    Step::Verified,
    Step::Renamed,
    Step::SourceRemoved,
];

fn sealed_segment(path: &Path) -> Vec<u8> {
    let w = Writer::open(path, Options::default()).unwrap();
    for i in 0..3_000u64 {
        let payload = format!(
            "{{\"i\":{i},\"pad\":\"{}\"}}",
            "p".repeat((i % 90) as usize)
        );
        w.write(["a", "b", "c"][(i % 3) as usize], payload.as_bytes())
            .unwrap();
    }
    w.close().unwrap();
    std::fs::read(path).unwrap()
}

/// The child: runs `mode` on `path`, reporting each step, and stops for
/// good after step `stop`, to be killed there.
fn child(spec: &str) {
    let mut parts = spec.splitn(3, ' ');
    let (mode, stop, path) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let stop: usize = stop.parse().unwrap();
    let on_step = |s: Step| {
        let i = STEPS.iter().position(|&x| x == s).unwrap();
        println!("{MARK}step {i}");
        if i == stop {
            std::thread::sleep(Duration::from_secs(600));
        }
    };
    let opts = CompressOptions {
        frame_size: 16 << 10,
        ..CompressOptions::default()
    };
    if mode == "compress" {
        compress_segment_with(Path::new(path), &opts, on_step).unwrap();
    } else {
        decompress_segment_with(&zst(Path::new(path)), on_step).unwrap();
    }
}

fn zst(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".zst");
    PathBuf::from(s)
}

/// The segment at `path` or its compressed copy holds `original`.
fn segment_or_copy_holds(path: &Path, original: &[u8], ctx: &str) {
    let plain_ok = std::fs::read(path).is_ok_and(|b| b == original);
    let copy_ok = CompressedSegment::open(zst(path)).is_ok_and(|mut c| {
        c.read_at(0, original.len()).is_ok_and(|b| b == original)
            && c.original_len() == original.len() as u64
    });
    assert!(
        plain_ok || copy_ok,
        "{ctx}: neither the segment nor a verified copy remains"
    );
    if path.exists() {
        assert!(plain_ok, "{ctx}: the segment file holds other bytes");
    }
}

#[test]
fn a_kill_after_any_step_leaves_the_segment_or_a_verified_copy() {
    if let Ok(spec) = std::env::var(CHILD) {
        return child(&spec);
    }
    for mode in ["compress", "decompress"] {
        for (stop, step) in STEPS.iter().enumerate() {
            let ctx = format!("{mode}, killed after step {stop} ({step:?})");
            let d = TempDir::new(&format!("zst-kill-{mode}-{stop}"));
            let path = d.join("seg.binlog");
            let original = sealed_segment(&path);
            if mode == "decompress" {
                compress_segment(&path, &CompressOptions::default()).unwrap();
            }
            let spec = format!("{mode} {stop} {}", path.display());
            kill_at_line(
                "a_kill_after_any_step_leaves_the_segment_or_a_verified_copy",
                &[(CHILD, spec.as_ref())],
                MARK,
                &format!("step {stop}"),
                &ctx,
            );
            segment_or_copy_holds(&path, &original, &ctx);
            // Running it again finishes the job (if the source is still
            // there: after the last step it is gone, the job done).
            if stop == STEPS.len() - 1 {
                assert!(!path.exists() || !zst(&path).exists(), "{ctx}");
            } else if mode == "compress" {
                compress_segment(&path, &CompressOptions::default()).unwrap();
                assert!(!path.exists() && zst(&path).exists(), "{ctx}");
            } else {
                decompress_segment(&zst(&path)).unwrap();
                assert!(!zst(&path).exists(), "{ctx}");
            }
            segment_or_copy_holds(&path, &original, &ctx);
            let leftovers: Vec<String> = d
                .names()
                .into_iter()
                .filter(|n| n.ends_with(".tmp"))
                .collect();
            assert!(leftovers.is_empty(), "{ctx}: {leftovers:?}");
        }
    }
}
