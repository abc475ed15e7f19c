//! Compressed segments benchmark (not a test): `make bench` runs it as
//! `cargo bench --bench compress -- target/bench-compress.json`.
//!
//! For two sealed segments of realistic records (JSON-like text, and the
//! quickstart's mix of four types and small binary payloads), it compares
//! `binlog::compress_segment` (written, fsynced, read back and
//! compared, renamed) with `zstd -3` on the command line on the same file,
//! interleaved round by round, and reports the median speed ratio and both
//! sizes; then opening the compressed segment and seeking to a sequence
//! number in its middle (microseconds, frames decompressed), and a full
//! streamed read (original bytes per second). Then reading it through
//! `Reader` as a plain segment is read: a full scan with every CRC checked
//! (against the same scan of the plain segment), the rarest type alone
//! through the per-type index (and its type copy, if it has one) against
//! that full scan, `Reader::open` and
//! `seek_seq` to the middle (microseconds, bytes decompressed), and how
//! much the resident set grows during the scan. Exit status 0 even when a
//! target is missed; 1 if something fails. Run by `cargo test` (without
//! the `--bench` argument `cargo bench` gives), it does the same on 4 MiB
//! segments: a check that it still runs, in `make test`.

#[path = "../tests/it/common/mod.rs"]
mod common;

use binlog::compressed::CompressedSegment;
use binlog::compressed::{compress_segment_with, Step};
use binlog::format::seal::{SparseEntry, SPARSE_ENTRY_LEN};
use binlog::CompressOptions;
use binlog::{Options, Reader, Writer};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const ROUNDS: usize = 5;
/// Sequence numbers each seek measurement seeks to.
const SEEKS: usize = 15;
const SEGMENT_BYTES: u64 = 128 << 20;
/// The segment size when run by `cargo test` (no `--bench` argument): a
/// short run that checks the benchmark still works, its figures not
/// meaningful.
const SMOKE_SEGMENT_BYTES: u64 = 4 << 20;

fn main() {
    let json_out = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let segment_bytes = if benchmarking {
        SEGMENT_BYTES
    } else {
        SMOKE_SEGMENT_BYTES
    };
    let dir = PathBuf::from("target/bench-tmp-compress");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create bench directory");
    let mut results = Vec::new();
    for (name, record) in [
        ("json", json_record as fn(u64, &mut Vec<u8>) -> &'static str),
        ("quickstart-mix", mix_record),
    ] {
        let seg = dir.join(format!("{name}.binlog"));
        write_segment(&seg, record, segment_bytes);
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

fn write_segment(path: &Path, record: fn(u64, &mut Vec<u8>) -> &'static str, bytes: u64) {
    let w = Writer::open(path, Options::default()).expect("open writer");
    let mut payload = Vec::new();
    let mut i = 0;
    while w.bytes() < bytes {
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
        "{name}: of which writing the compressed copy, each frame read back and compared as written, and fsyncing it {:.3} s, checking its seek table {:.3} s",
        median(write_s),
        median(verify_s)
    );
    let (open_us, seek_us, open_frames, seek_frames) = open_and_seek(&zst(&copy));
    println!(
        "{name}: open {open_us:.0} us ({open_frames} frames decompressed), then read the record at a sparse \
         index entry {seek_us:.0} us ({seek_frames} more; medians of {SEEKS}); target under 1 ms in all"
    );
    let scan_mbs = scan(&zst(&copy), len);
    println!("{name}: streamed read of every frame: {scan_mbs:.0} MB/s of original bytes");
    let reading = measure_reading(name, seg, &zst(&copy), len);
    let _ = std::fs::remove_file(zst(&copy));
    let _ = std::fs::remove_file(&cli_out);
    format!(
        r#"{{"data":"{name}",{reading},"segment_bytes":{len},"compress_mb_s":{:.1},"zstd3_mb_s":{:.1},"speed_ratio":{speed_ratio:.3},"compressed_bytes":{our_size},"zstd3_bytes":{their_size},"size_excess":{size_excess:.4},"open_us":{open_us:.1},"open_frames":{open_frames},"seek_us":{seek_us:.1},"seek_frames":{seek_frames},"scan_mb_s":{scan_mbs:.1}}}"#,
        median(ours),
        median(theirs)
    )
}

fn zst(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".zst");
    PathBuf::from(s)
}

/// Opens the compressed segment, then reads the head of the record at the
/// sparse index entry before each of `SEEKS` sequence numbers, as a
/// reader's seek does (`read_prefix_at`): the median microseconds and
/// frames decompressed of the opens, and of the seeks.
fn open_and_seek(path: &Path) -> (f64, f64, u64, u64) {
    let (mut opens, mut seeks) = (Vec::new(), Vec::new());
    let (mut open_frames, mut seek_frames) = (Vec::new(), Vec::new());
    let targets = {
        let seal = CompressedSegment::open(path).expect("open").seal().clone();
        seek_targets(seal.first_seq, seal.last_seq)
    };
    for target in targets {
        let t = Instant::now();
        let mut seg = CompressedSegment::open(path).expect("open compressed");
        opens.push(t.elapsed().as_secs_f64() * 1e6);
        let opened = seg.frames_decompressed();
        open_frames.push(opened as f64);
        let t = Instant::now();
        let seal = seg.seal().clone();
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
        let head = seg.read_prefix_at(entry.offset, 8).expect("record frame");
        std::hint::black_box(head);
        seeks.push(t.elapsed().as_secs_f64() * 1e6);
        seek_frames.push((seg.frames_decompressed() - opened) as f64);
    }
    (
        median(opens),
        median(seeks),
        median(open_frames) as u64,
        median(seek_frames) as u64,
    )
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

/// Reads the compressed segment `zst` (of the plain `seg`, `len` bytes)
/// through `Reader`: scans, a filtered read, open and seek, resident set.
/// Prints the figures; returns them as JSON members.
fn measure_reading(name: &str, seg: &Path, zst: &Path, len: u64) -> String {
    let (mut plain_s, mut zst_s, mut rss) = (Vec::new(), Vec::new(), 0);
    let (mut cli_ratios, mut cpu_ms_mb, mut own_ms_mb) = (Vec::new(), Vec::new(), Vec::new());
    let ms_mb = |secs: f64| secs * 1e3 / (len as f64 / 1e6);
    for _ in 0..ROUNDS {
        plain_s.push(reader_scan(seg).0);
        let (cpu, own) = (common::cpu_seconds(), common::thread_cpu_seconds());
        let (secs, grew) = reader_scan(zst);
        cpu_ms_mb.push(ms_mb(common::cpu_seconds() - cpu));
        own_ms_mb.push(ms_mb(common::thread_cpu_seconds() - own));
        zst_s.push(secs);
        cli_ratios.push(zstd_cli_decompress(zst) / secs);
        rss = rss.max(grew);
    }
    let (cli_ratio, cpu_ms_mb) = (median(cli_ratios), median(cpu_ms_mb));
    let own_ms_mb = median(own_ms_mb);
    let (plain_gbs, zst_gbs) = (
        len as f64 / median(plain_s) / 1e9,
        len as f64 / median(zst_s.clone()) / 1e9,
    );
    println!(
        "{name}: Reader full scan, every CRC checked: compressed {zst_gbs:.2} GB/s of original bytes \
         (target >= 1), {cpu_ms_mb:.3} CPU ms per original MB ({own_ms_mb:.3} on the reader's thread), {cli_ratio:.2}x the speed \
         of `zstd -d` to /dev/null; plain {plain_gbs:.2} GB/s; \
         resident set grew {:.1} MiB while scanning the compressed {:.0} MiB segment",
        rss as f64 / 1048576.0,
        len as f64 / 1048576.0
    );
    let rare = rarest_type(zst);
    let (copies, copy_bytes) = type_copies(zst);
    let mut filtered_bytes = 0;
    let filtered: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let (secs, bytes) = filtered_read(zst, &rare);
            filtered_bytes = bytes;
            secs
        })
        .collect();
    let filter_ratio = median(zst_s) / median(filtered.clone());
    println!(
        "{name}: type {:?} alone ({:.1}% of records) through the index: {:.1} ms ({filtered_bytes} bytes \
         decompressed), {filter_ratio:.1}x faster than the full scan of the compressed segment \
         (target >= 10); type copies: {copies} frames, {copy_bytes} bytes of the compressed file",
        rare.0,
        rare.1 * 100.0,
        median(filtered) * 1e3
    );
    let (open_us, open_bytes, seek_us, seek_bytes) = reader_open_and_seek(zst);
    println!(
        "{name}: Reader::open {open_us:.0} us ({open_bytes} bytes decompressed); seek_seq and read the \
         record, {SEEKS} places: median {:.0} us ({:.0} bytes more), largest {:.0} us ({:.0} bytes); \
         target under 1 ms with the open",
        seek_us.median, seek_bytes.median, seek_us.max, seek_bytes.max
    );
    format!(
        r#""reader_scan_gb_s":{zst_gbs:.3},"reader_scan_cpu_ms_per_mb":{cpu_ms_mb:.4},"reader_scan_own_thread_cpu_ms_per_mb":{own_ms_mb:.4},"reader_scan_vs_zstd_d":{cli_ratio:.3},"plain_scan_gb_s":{plain_gbs:.3},"scan_rss_growth_bytes":{rss},"filter_type":"{}","filter_share":{:.4},"filter_ratio":{filter_ratio:.2},"filter_bytes":{filtered_bytes},"copy_bytes":{copy_bytes},"reader_open_us":{open_us:.1},"reader_open_bytes":{open_bytes},"reader_seek_us":{:.1},"reader_seek_us_max":{:.1},"reader_seek_bytes":{:.0},"reader_seek_bytes_max":{:.0}"#,
        rare.0, rare.1, seek_us.median, seek_us.max, seek_bytes.median, seek_bytes.max
    )
}

/// A full scan of `path` with every CRC checked: seconds, and how many
/// bytes the resident set grew meanwhile (sampled every 64 Ki records).
fn reader_scan(path: &Path) -> (f64, u64) {
    let before = resident_bytes();
    let t = Instant::now();
    let mut r = Reader::open(path).expect("open");
    if let Some(threads) = common::bench_decode_threads() {
        r.decode_threads(threads);
    }
    let (mut n, mut peak) = (0u64, before);
    while let Some(rec) = r.next().expect("record") {
        std::hint::black_box(rec.payload);
        n += 1;
        if n % 65_536 == 0 {
            peak = peak.max(resident_bytes());
        }
    }
    (t.elapsed().as_secs_f64(), peak.saturating_sub(before))
}

/// Seconds `zstd -d` takes to decompress `zst` to /dev/null: the
/// reference library's own speed, the baseline of the scan.
fn zstd_cli_decompress(zst: &Path) -> f64 {
    let t = Instant::now();
    let status = Command::new("zstd")
        .args(["-d", "-q", "-f", "-o", "/dev/null"])
        .arg(zst)
        .status();
    assert!(status.is_ok_and(|s| s.success()), "zstd -d failed");
    t.elapsed().as_secs_f64()
}

/// The type with the fewest records, and its share of them.
fn rarest_type(path: &Path) -> (String, f64) {
    let r = Reader::open(path).expect("open");
    let seal = r.seal().expect("sealed");
    let t = seal.types.iter().min_by_key(|t| t.count).expect("a type");
    (t.name.clone(), t.count as f64 / seal.record_count as f64)
}

/// Reads type `rare.0` alone: seconds, and bytes decompressed.
fn filtered_read(path: &Path, rare: &(String, f64)) -> (f64, u64) {
    let t = Instant::now();
    let mut r = Reader::open(path).expect("open");
    r.filter_types(&[rare.0.as_str()]);
    while let Some(rec) = r.next().expect("record") {
        std::hint::black_box(rec.payload);
    }
    (t.elapsed().as_secs_f64(), r.bytes_decompressed())
}

/// The type copies' skippable frames (the directory included) of the
/// compressed segment at `path`, and their bytes.
fn type_copies(path: &Path) -> (usize, u64) {
    let s = CompressedSegment::open(path).expect("open compressed");
    let entries = s.copy_entries();
    let bytes = entries.iter().map(|e| u64::from(e.compressed_size)).sum();
    (entries.len(), bytes)
}

/// Sequence numbers spread over the segment `[first, last]`, at
/// positions that fall anywhere in a frame (not only on the 1 MiB
/// boundaries the middle of a segment of whole MiBs lands on).
fn seek_targets(first: u64, last: u64) -> Vec<u64> {
    (0..SEEKS)
        .map(|i| first + mix64(i as u64 + 1) % (last - first + 1))
        .collect()
}

/// `Reader::open`, then `seek_seq` and the record there, for each of
/// `SEEKS` targets: the medians of the open's microseconds and bytes
/// decompressed, and the seeks' median and largest microseconds and bytes.
fn reader_open_and_seek(path: &Path) -> (f64, u64, Spread, Spread) {
    let (mut opens, mut open_bytes) = (Vec::new(), Vec::new());
    let (mut seek_us, mut seek_bytes) = (Vec::new(), Vec::new());
    let targets = {
        let r = Reader::open(path).expect("open");
        let seal = r.seal().expect("sealed");
        seek_targets(seal.first_seq, seal.last_seq)
    };
    for target in targets {
        let t = Instant::now();
        let mut r = Reader::open(path).expect("open");
        opens.push(t.elapsed().as_secs_f64() * 1e6);
        let opened = r.bytes_decompressed();
        open_bytes.push(opened as f64);
        let t = Instant::now();
        r.seek_seq(target).expect("seek");
        let rec = r.next().expect("record").expect("a record");
        assert_eq!(rec.seq, target);
        seek_us.push(t.elapsed().as_secs_f64() * 1e6);
        seek_bytes.push((r.bytes_decompressed() - opened) as f64);
    }
    (
        median(opens),
        median(open_bytes) as u64,
        Spread::of(seek_us),
        Spread::of(seek_bytes),
    )
}

/// The median and the largest of some figures.
struct Spread {
    median: f64,
    max: f64,
}

impl Spread {
    fn of(v: Vec<f64>) -> Spread {
        let max = v.iter().copied().fold(f64::MIN, f64::max);
        Spread {
            median: median(v),
            max,
        }
    }
}

/// This process's resident set (VmRSS), in bytes; 0 if unknown.
fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
