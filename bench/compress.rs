//! Compressed segments benchmark (not a test): `make bench` runs it as
//! `cargo bench --bench compress -- target/bench-compress.json`.
//!
//! For two sealed segments of realistic records (JSON-like text, and the
//! quickstart's mix of four types and small binary payloads), it compares
//! `binlog::compressed::compress_segment` (written, fsynced, read back and
//! compared, renamed) with `zstd -3` on the command line on the same file,
//! interleaved round by round, and reports the median speed ratio and both
//! sizes; then opening the compressed segment and seeking to a sequence
//! number in its middle (microseconds, frames decompressed), and a full
//! streamed read (original bytes per second). Exit status 0 even when a
//! target is missed; 1 if something fails.

use binlog::compressed::{compress_segment_with, CompressOptions, CompressedSegment, Step};
use binlog::format::seal::{SparseEntry, SPARSE_ENTRY_LEN};
use binlog::{Options, Writer};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const ROUNDS: usize = 5;
const SEGMENT_BYTES: u64 = 128 << 20;

fn main() {
    let json_out = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let dir = PathBuf::from("target/bench-tmp-compress");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create bench directory");
    let mut results = Vec::new();
    for (name, record) in [
        ("json", json_record as fn(u64, &mut Vec<u8>) -> &'static str),
        ("quickstart-mix", mix_record),
    ] {
        let seg = dir.join(format!("{name}.binlog"));
        write_segment(&seg, record);
        results.push(measure(name, &seg));
    }
    let _ = std::fs::remove_dir_all(&dir);
    let json = format!("[{}]\n", results.join(",\n"));
    if let Some(path) = json_out {
        std::fs::write(&path, &json).expect("write results");
        println!("results in {path}");
    }
}

/// Record `i` of the JSON-like data: an order book event.
fn json_record(i: u64, out: &mut Vec<u8>) -> &'static str {
    let r = mix64(i);
    let side = if r & 1 == 0 { "buy" } else { "sell" };
    let text = format!(
        r#"{{"seq":{i},"sym":"SYM{:03}","side":"{side}","px":{}.{:02},"qty":{},"venue":"{}","trader":"t{:05}","note":"{}"}}"#,
        r % 500,
        100 + (r >> 8) % 900,
        (r >> 20) % 100,
        (r >> 28) % 10_000,
        ["XNAS", "XNYS", "XLON", "XPAR"][(r >> 40) as usize % 4],
        (r >> 44) % 50_000,
        "lorem ipsum dolor ".repeat(((r >> 60) % 4) as usize),
    );
    out.extend_from_slice(text.as_bytes());
    ["order", "trade", "quote"][(r % 3) as usize]
}

/// Record `i` of the quickstart's mix: 60% order, 25% trade, 14% quote, 1%
/// audit, payloads of varied sizes cut from one patterned buffer.
fn mix_record(i: u64, out: &mut Vec<u8>) -> &'static str {
    let k = i % 100;
    let (t, base, spread) = match k {
        0..=59 => ("order", 48, 64),
        60..=84 => ("trade", 64, 64),
        85..=98 => ("quote", 24, 16),
        _ => ("audit", 200, 256),
    };
    let n = base + (i.wrapping_mul(2_654_435_761) % spread) as usize;
    let start = (i % 64) as usize;
    out.extend((start..start + n).map(|j| (j * 31 + 7) as u8));
    t
}

fn mix64(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn write_segment(path: &Path, record: fn(u64, &mut Vec<u8>) -> &'static str) {
    let w = Writer::open(path, Options::default()).expect("open writer");
    let mut payload = Vec::new();
    let mut i = 0;
    while w.bytes() < SEGMENT_BYTES {
        payload.clear();
        let t = record(i, &mut payload);
        w.write_with(
            t,
            &[],
            Some(1_700_000_000_000_000_000 + i as i64 * 1000),
            &payload,
        )
        .expect("write");
        i += 1;
    }
    w.close().expect("close");
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Compresses copies of `seg` both ways, round by round; then opens, seeks
/// and scans the compressed copy. Returns the results as a JSON object.
fn measure(name: &str, seg: &Path) -> String {
    let len = std::fs::metadata(seg).expect("segment").len();
    let copy = seg.with_extension("copy.binlog");
    let cli_out = seg.with_extension("cli.zst");
    let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut write_s, mut verify_s) = (Vec::new(), Vec::new());
    let (mut our_size, mut their_size) = (0, 0);
    for round in 0..=ROUNDS {
        std::fs::copy(seg, &copy).expect("copy segment");
        let _ = std::fs::remove_file(zst(&copy));
        let t = Instant::now();
        let mut written_at = 0.0;
        let mut verified_at = 0.0;
        let done = compress_segment_with(&copy, &CompressOptions::default(), |step| match step {
            Step::Written => written_at = t.elapsed().as_secs_f64(),
            Step::Verified => verified_at = t.elapsed().as_secs_f64(),
            _ => {}
        })
        .expect("compress");
        let our_s = t.elapsed().as_secs_f64();
        if round > 0 {
            write_s.push(written_at);
            verify_s.push(verified_at - written_at);
        }
        our_size = done.compressed_len;

        let t = Instant::now();
        let status = Command::new("zstd")
            .args(["-3", "-q", "-f", "-o"])
            .arg(&cli_out)
            .arg(seg)
            .status();
        let their_s = t.elapsed().as_secs_f64();
        assert!(
            status.is_ok_and(|s| s.success()),
            "zstd -3 failed (is zstd installed?)"
        );
        their_size = std::fs::metadata(&cli_out).expect("zstd output").len();
        if round > 0 {
            ours.push(len as f64 / our_s / 1e6);
            theirs.push(len as f64 / their_s / 1e6);
            ratios.push(their_s / our_s);
        }
    }
    let speed_ratio = median(ratios);
    let size_excess = our_size as f64 / their_size as f64 - 1.0;
    println!(
        "{name}: {:.0} MB segment; compress {:.0} MB/s vs zstd -3 {:.0} MB/s: {speed_ratio:.2}x (target >= 0.90); \
         size {our_size} vs {their_size} bytes: {:+.2}% (target within 3%)",
        len as f64 / 1e6,
        median(ours.clone()),
        median(theirs.clone()),
        size_excess * 100.0
    );
    println!(
        "{name}: of which writing and fsyncing the compressed copy {:.3} s, reading it back and comparing {:.3} s",
        median(write_s),
        median(verify_s)
    );
    let (open_us, seek_us, open_frames, seek_frames) = open_and_seek(&zst(&copy));
    println!(
        "{name}: open {open_us:.0} us ({open_frames} frames decompressed), then seek to the middle sequence number \
         {seek_us:.0} us ({seek_frames} more); target under 1 ms in all"
    );
    let scan_mbs = scan(&zst(&copy), len);
    println!("{name}: streamed read of every frame: {scan_mbs:.0} MB/s of original bytes");
    let _ = std::fs::remove_file(zst(&copy));
    let _ = std::fs::remove_file(&cli_out);
    format!(
        r#"{{"data":"{name}","segment_bytes":{len},"compress_mb_s":{:.1},"zstd3_mb_s":{:.1},"speed_ratio":{speed_ratio:.3},"compressed_bytes":{our_size},"zstd3_bytes":{their_size},"size_excess":{size_excess:.4},"open_us":{open_us:.1},"open_frames":{open_frames},"seek_us":{seek_us:.1},"seek_frames":{seek_frames},"scan_mb_s":{scan_mbs:.1}}}"#,
        median(ours),
        median(theirs)
    )
}

fn zst(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".zst");
    PathBuf::from(s)
}

/// Opens the compressed segment, then reads the record frame head at the
/// sparse index entry of its middle sequence number: the medians of 7 runs
/// of each, and the frames each decompressed.
fn open_and_seek(path: &Path) -> (f64, f64, u64, u64) {
    let (mut opens, mut seeks) = (Vec::new(), Vec::new());
    let (mut open_frames, mut seek_frames) = (0, 0);
    for _ in 0..7 {
        let t = Instant::now();
        let mut seg = CompressedSegment::open(path).expect("open compressed");
        opens.push(t.elapsed().as_secs_f64() * 1e6);
        open_frames = seg.frames_decompressed();
        let t = Instant::now();
        let seal = seg.seal().clone();
        let target = (seal.first_seq + seal.last_seq) / 2;
        let sparse = seg
            .read_at(
                seal.sparse_offset,
                seal.sparse_count as usize * SPARSE_ENTRY_LEN,
            )
            .expect("sparse index");
        let entry = sparse
            .chunks_exact(SPARSE_ENTRY_LEN)
            .filter_map(SparseEntry::decode)
            .take_while(|e| e.seq <= target)
            .last()
            .expect("an entry");
        let head = seg.read_at(entry.offset, 8).expect("record frame");
        std::hint::black_box(head);
        seeks.push(t.elapsed().as_secs_f64() * 1e6);
        seek_frames = seg.frames_decompressed() - open_frames;
    }
    (median(opens), median(seeks), open_frames, seek_frames)
}

fn scan(path: &Path, len: u64) -> f64 {
    let mut seg = CompressedSegment::open(path).expect("open compressed");
    let t = Instant::now();
    let mut sum = 0u64;
    seg.for_each_frame(|_, b| {
        sum += b.len() as u64;
        Ok(())
    })
    .expect("scan");
    assert_eq!(sum, len);
    len as f64 / t.elapsed().as_secs_f64() / 1e6
}
