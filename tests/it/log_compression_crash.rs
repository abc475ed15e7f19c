//! A `kill -9` while a log's sealed segment is being compressed leaves the
//! segment or a verified compressed copy, never neither and never other
//! bytes; the log's next writer removes the leftover temporary file or
//! finishes the step, goes on numbering after the last record, and
//! compresses what is due again. Killed after each step of the conversion
//! (`compress_segment_with`, what the log's compressing thread runs), and
//! at moments of the log's own compressing thread.

use crate::common;

use binlog::compressed::compress::{compressed_path, compressed_tmp_path};
use binlog::compressed::{compress_segment_with, Step};
use binlog::decompress_segment;
use binlog::Reader;
use binlog::{list_segments, Compression, LogOptions, LogWriter};
use common::child::{kill_at_line, ChildProc};
use common::TempDir;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CHILD: &str = "BINLOG_LOG_ZST_KILL_CHILD";
const MARK: &str = "LOG-ZST-CHILD ";
const STEPS: [Step; 4] = [
    Step::Written,
    Step::Verified,
    Step::Renamed,
    Step::SourceRemoved,
];
const PER_SEGMENT: u64 = 4_000;

fn payload(seq: u64) -> Vec<u8> {
    format!(
        "{{\"seq\":{seq},\"pad\":\"{}\"}}",
        "p".repeat((seq % 90) as usize)
    )
    .into_bytes()
}

fn compressing(background: bool) -> LogOptions {
    LogOptions {
        max_segment_records: Some(PER_SEGMENT),
        background,
        compression: Some(Compression {
            frame_size: 16 << 10,
            ..Compression::default()
        }),
        ..LogOptions::default()
    }
}

/// Writes records `from..to` to log `lg` in `dir` with `opts`, and closes it.
fn write_log(dir: &Path, opts: LogOptions, from: u64, to: u64) {
    let w = LogWriter::open(dir, "lg", opts).unwrap();
    for seq in from..to {
        assert_eq!(w.write("t", &payload(seq)).unwrap(), seq);
    }
    w.close().unwrap();
}

/// The sequence numbers and payloads in the segment at `path`, plain or
/// compressed (a compressed one read from a decompressed copy).
fn records(path: &Path) -> Vec<(u64, Vec<u8>)> {
    let scratch = TempDir::new("log-zst-crash-copy");
    let plain = if path.to_str().unwrap().ends_with(".zst") {
        let copy = scratch.join(path.file_name().unwrap().to_str().unwrap());
        std::fs::copy(path, &copy).unwrap();
        decompress_segment(&copy).unwrap().path
    } else {
        path.to_path_buf()
    };
    let mut r = Reader::open(&plain).unwrap();
    let mut out = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        out.push((rec.seq, rec.payload.to_vec()));
    }
    out
}

/// Every record `0..n` is in the log's segments, each once, in order.
fn log_holds(dir: &TempDir, n: u64, ctx: &str) {
    let listed = list_segments(dir.path(), "lg").unwrap();
    let got: Vec<(u64, Vec<u8>)> = listed.iter().flat_map(|l| records(&l.path)).collect();
    let want: Vec<(u64, Vec<u8>)> = (0..n).map(|s| (s, payload(s))).collect();
    assert_eq!(got.len(), want.len(), "{ctx}");
    assert!(got == want, "{ctx}: records differ");
}

/// No temporary file of a compression is left in `dir`.
fn no_leftovers(dir: &TempDir, ctx: &str) {
    let tmp: Vec<String> = dir
        .names()
        .into_iter()
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(tmp.is_empty(), "{ctx}: {tmp:?}");
}

/// The child: compresses the segment at `path` as the log's thread does,
/// reporting each step, and stops for good after step `stop`.
fn step_child(spec: &str) {
    let (stop, path) = spec.split_once(' ').unwrap();
    let stop: usize = stop.parse().unwrap();
    let opts = compressing(false).compression.unwrap().options();
    compress_segment_with(Path::new(path), &opts, |s| {
        let i = STEPS.iter().position(|&x| x == s).unwrap();
        println!("{MARK}step {i}");
        if i == stop {
            std::thread::sleep(Duration::from_secs(600));
        }
    })
    .unwrap();
}

#[test]
fn a_kill_after_any_step_leaves_the_segment_or_its_copy_and_the_log_goes_on() {
    if let Ok(spec) = std::env::var(CHILD) {
        return step_child(&spec);
    }
    for (stop, step) in STEPS.iter().enumerate() {
        let ctx = format!("killed after step {stop} ({step:?})");
        let d = TempDir::new(&format!("log-zst-kill-{stop}"));
        let plain = LogOptions {
            compression: None,
            ..compressing(false)
        };
        write_log(d.path(), plain, 0, 2 * PER_SEGMENT + 10);
        let seg: PathBuf = binlog::log::segments::list(d.path(), "lg").unwrap()[0]
            .path
            .clone();
        let original = std::fs::read(&seg).unwrap();
        let spec = format!("{stop} {}", seg.display());
        kill_at_line(
            "a_kill_after_any_step_leaves_the_segment_or_its_copy_and_the_log_goes_on",
            &[(CHILD, spec.as_ref())],
            MARK,
            &format!("step {stop}"),
            &ctx,
        );
        // Never neither, never other bytes.
        let plain_ok = std::fs::read(&seg).is_ok_and(|b| b == original);
        assert!(plain_ok || compressed_path(&seg).exists(), "{ctx}");
        if seg.exists() {
            assert!(plain_ok, "{ctx}: the segment holds other bytes");
        }
        log_holds(&d, 2 * PER_SEGMENT + 10, &ctx);

        // The next writer cleans up on open, goes on, and compresses.
        let w = LogWriter::open(d.path(), "lg", compressing(false)).unwrap();
        assert!(!compressed_tmp_path(&seg).exists(), "{ctx}");
        assert!(
            !(seg.exists() && compressed_path(&seg).exists()),
            "{ctx}: both files left"
        );
        assert_eq!(w.next_seq().unwrap(), 2 * PER_SEGMENT + 10, "{ctx}");
        w.write("t", &payload(2 * PER_SEGMENT + 10)).unwrap();
        w.tick().unwrap();
        w.close().unwrap();
        assert!(!seg.exists() && compressed_path(&seg).exists(), "{ctx}");
        log_holds(&d, 2 * PER_SEGMENT + 11, &ctx);
        no_leftovers(&d, &ctx);
    }
}

/// The child: a log that compresses on its own thread, rolled twice; it
/// says when it rolled and waits to be killed.
fn log_child(dir: &str) {
    let w = LogWriter::open(dir, "lg", compressing(true)).unwrap();
    for seq in 0..2 * PER_SEGMENT + 10 {
        w.write("t", &payload(seq)).unwrap();
    }
    w.flush().unwrap();
    println!("{MARK}rolled");
    std::thread::sleep(Duration::from_secs(600));
}

#[test]
fn a_kill_while_the_logs_thread_compresses_leaves_every_record() {
    if let Ok(dir) = std::env::var(CHILD) {
        return log_child(&dir);
    }
    // Kills at moments of the compressing thread's work, seen in the
    // directory: at once, while the first segment's temporary file is
    // there, once its copy has its name, while the second one's is there,
    // once the second one's copy has its name.
    let moments: [(&str, Seen); 5] = [
        ("at once", |_| true),
        ("first temporary file", |n| has(n, "00000-", ".zst.tmp")),
        ("first copy named", |n| has(n, "00000-", ".binlog.zst")),
        ("second temporary file", |n| has(n, "00001-", ".zst.tmp")),
        ("second copy named", |n| has(n, "00001-", ".binlog.zst")),
    ];
    let (mut unseen, mut killed_mid_write) = (Vec::new(), 0);
    for (i, (moment, seen_in)) in moments.iter().enumerate() {
        let ctx = format!("killed {moment}");
        let d = TempDir::new(&format!("log-zst-thread-kill-{i}"));
        let mut c = ChildProc::spawn(
            "a_kill_while_the_logs_thread_compresses_leaves_every_record",
            &[(CHILD, d.path().as_os_str())],
            MARK,
        );
        let mut seen = Vec::new();
        assert!(
            c.wait_for("rolled", &mut seen, Duration::from_secs(60)),
            "{ctx}: {seen:?}"
        );
        // A moment may pass unseen between two looks: then the kill comes
        // once both segments are compressed.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let names = d.names();
            if seen_in(&names) {
                break;
            }
            if has(&names, "00001-", ".binlog.zst") {
                unseen.push(*moment);
                break;
            }
            assert!(Instant::now() < deadline, "{ctx}: {names:?}");
            std::thread::sleep(Duration::from_micros(100));
        }
        if d.names().iter().any(|n| n.ends_with(".zst.tmp")) {
            killed_mid_write += 1;
        }
        c.kill9(seen);
        // Written and flushed: every record must be found, each once,
        // after the next writer's open.
        let w = LogWriter::open(d.path(), "lg", compressing(false)).unwrap();
        assert_eq!(w.next_seq().unwrap(), 2 * PER_SEGMENT + 10, "{ctx}");
        w.tick().unwrap();
        w.close().unwrap();
        log_holds(&d, 2 * PER_SEGMENT + 10, &ctx);
        no_leftovers(&d, &ctx);
        let listed = list_segments(d.path(), "lg").unwrap();
        assert!(listed[..2].iter().all(|l| l.is_compressed()), "{ctx}");
    }
    // Each segment takes long enough to compress (its copy is verified)
    // that most moments are seen; at least one kill must have hit a
    // compression half done, or this test tested nothing of it.
    assert!(
        killed_mid_write >= 1,
        "no kill mid-compression; unseen: {unseen:?}"
    );
}

/// Whether a moment has come, from the names of the log's files.
type Seen = fn(&[String]) -> bool;

/// Whether one of `names` holds `part` and ends with `end`.
fn has(names: &[String], part: &str, end: &str) -> bool {
    names.iter().any(|n| n.contains(part) && n.ends_with(end))
}
