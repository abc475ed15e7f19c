//! Helpers of the `binlog` tool's tests (cli/tests/it/cli*.rs): the built binary,
//! temporary directories, sample segments and logs made with the library,
//! damage, and parsing of the tool's output.

use assert_cmd::Command;
use binlog::{Options, Reader, Writer};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

// Re-exported for the tool's tests, which glob-import this module only.
#[allow(unused_imports)]
#[cfg(feature = "compression")]
pub use super::compressed::damage_compressed_frame;
#[allow(unused_imports)]
pub use super::{flip_byte, frames, TempDir as Tmp};

pub const T0: i64 = 1_700_000_000_000_000_000; // 2023-11-14T22:13:20Z
pub const SEC: i64 = 1_000_000_000;
pub const TYPES: [&str; 3] = ["order", "trade", "quote"];

/// The built `binlog` tool: cargo names it to the tool crate's tests; the
/// library's find it beside their own binary (target/debug), where `cargo
/// test` of the workspace builds it.
pub fn tool() -> std::path::PathBuf {
    if let Some(p) = option_env!("CARGO_BIN_EXE_binlog") {
        return p.into();
    }
    let exe = std::env::current_exe().unwrap();
    let p = exe.parent().and_then(Path::parent).unwrap().join("binlog");
    assert!(
        p.exists(),
        "{}: build the tool first (cargo build -p binlog-cli)",
        p.display()
    );
    p
}

pub fn binlog() -> Command {
    let mut c = Command::from_std(super::child::command(tool()));
    c.timeout(Duration::from_secs(120));
    c
}

/// Record `i` of the sample data: type cycles order/trade/quote, trades
/// carry a venue, record 5 has a binary payload, one second apart.
pub fn write_sample(w: &Writer, range: std::ops::Range<u64>) {
    write_sample_named(w, range, TYPES);
}

/// The sample data with other names for its three types (`types[1]` is the
/// one whose records carry a venue).
pub fn write_sample_named(w: &Writer, range: std::ops::Range<u64>, types: [&str; 3]) {
    for i in range {
        let t = types[(i % 3) as usize];
        let meta: Vec<(&str, &str)> = if t == types[1] {
            vec![("venue", "XLON")]
        } else {
            vec![]
        };
        let payload: Vec<u8> = if i == 5 {
            vec![0, 255, 1]
        } else {
            format!("payload {i}").into_bytes()
        };
        w.write_with(t, &meta, Some(T0 + i as i64 * SEC), &payload)
            .unwrap();
    }
}

/// A sealed segment of `n` sample records.
pub fn sealed_segment(path: &Path, n: u64) {
    let w = Writer::open(
        path,
        Options {
            log_name: "sample".into(),
            ..Options::default()
        },
    )
    .unwrap();
    write_sample(&w, 0..n);
    w.close().unwrap();
}

/// An unsealed segment of `n` sample records: the file as it was before
/// its writer closed it (as after a crash between records).
pub fn unsealed_segment(path: &Path, n: u64) {
    let tmp = path.with_extension("writing");
    let w = Writer::open(&tmp, Options::default()).unwrap();
    write_sample(&w, 0..n);
    w.flush().unwrap();
    std::fs::copy(&tmp, path).unwrap();
    w.close().unwrap();
    std::fs::remove_file(&tmp).unwrap();
}

/// An unsealed segment of `n` sample records whose last record is cut in
/// half: a torn tail, as a writer killed mid-record leaves it.
pub fn torn_segment(path: &Path, n: u64) -> u64 {
    unsealed_segment(path, n);
    tear_last_record(path)
}

/// Cuts the last record of the unsealed segment at `path` in half (a torn
/// tail); returns its offset.
pub fn tear_last_record(path: &Path) -> u64 {
    let (offset, len) = *super::frames(path).last().unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(offset + len / 2)
        .unwrap();
    offset
}

/// Damages record `i` of a segment (a byte near its end): corruption in the
/// middle, valid records after it. Returns the record's offset.
pub fn damage_record(path: &Path, i: usize) -> u64 {
    let (offset, len) = super::frames(path)[i];
    super::flip_byte(path, offset + len - 2);
    offset
}

/// Cuts a sealed segment's seal off after its `SEAL_BEGIN` frame: what an
/// ending segment of a log looks like (its records closed, the rest of its
/// seal not written yet).
pub fn leave_ending(path: &Path) {
    let end = Reader::open(path).unwrap().seal().unwrap().records_end;
    let len = end + binlog::format::seal::SEAL_BEGIN_LEN as u64;
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

/// Cuts a sealed segment back to its records: an active segment, as a
/// killed writer leaves it between records.
pub fn leave_unsealed(path: &Path) {
    let end = Reader::open(path).unwrap().seal().unwrap().records_end;
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(end)
        .unwrap();
}

/// Holds the segment's lock, as its writer does, until the file is dropped.
pub fn hold_lock(path: &Path) -> std::fs::File {
    let f = std::fs::File::open(path).unwrap();
    assert!(super::try_flock(&f), "{} is locked already", path.display());
    f
}

/// Releases a lock `hold_lock` took and waits until it is free: a child
/// another test thread forked before our `drop` holds the descriptor (and
/// so the lock) until its exec closes it.
pub fn release_lock(held: std::fs::File, path: &Path) {
    drop(held);
    while !super::try_flock(&std::fs::File::open(path).unwrap()) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Every (seq, type, payload) a reader returns.
pub fn records(path: &Path) -> Vec<(u64, String, Vec<u8>)> {
    let mut r = Reader::open(path).unwrap();
    let mut v = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        v.push((rec.seq, rec.type_name.to_string(), rec.payload.to_vec()));
    }
    v
}

/// The tool's output, both streams, for a failure message.
pub fn out_text(o: &std::process::Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `binlog repair ARGS`, run to its end.
pub fn repair(args: &[&str]) -> std::process::Output {
    binlog().arg("repair").args(args).output().unwrap()
}

pub fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

pub fn json_of(cmd: &mut Command) -> Value {
    serde_json::from_str(&stdout_of(cmd)).unwrap()
}

pub fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn seqs_of_lines(s: &str) -> Vec<u64> {
    s.lines()
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect()
}

/// The `*.binlog` files in `dir`, as paths, sorted.
pub fn t_names(dir: &Path) -> Vec<String> {
    let paths = super::binlog_files(dir).into_iter();
    paths.map(|p| p.to_string_lossy().into_owned()).collect()
}

/// Waits for `child` to exit; kills it and fails the test after `limit`.
pub fn wait_with_deadline(
    child: &mut std::process::Child,
    limit: Duration,
) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("binlog did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Each record's payload, in order.
pub fn payloads(path: &Path) -> Vec<Vec<u8>> {
    let mut r = Reader::open(path).unwrap();
    let mut v = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        v.push(rec.payload.to_vec());
    }
    v
}

/// A log `orders` in `dir` of `n` sample records, `per` records a segment.
pub fn rolled_log(dir: &Path, n: u64, per: u64) {
    let w = super::open_rolling(dir, "orders", per);
    for i in 0..n {
        let t = TYPES[(i % 3) as usize];
        w.write_batch(&[binlog::Entry {
            type_name: t,
            meta: &[],
            timestamp_ns: Some(T0 + i as i64 * SEC),
            parts: &[format!("payload {i}").as_bytes()],
        }])
        .unwrap();
    }
    w.close().unwrap();
}

/// Log `orders` in `dir`: 150 records in segments of 50, closed, then its
/// last segment (records 100..149, sealed, as its manifest says) cut in
/// the middle of record 120. Returns that segment's path.
pub fn log_cut_in_its_last_sealed_segment(dir: &Path) -> std::path::PathBuf {
    rolled_log(dir, 150, 50);
    let last = std::path::PathBuf::from(t_names(dir).pop().unwrap());
    assert_eq!(Reader::open(&last).unwrap().header().first_seq, 100);
    let (offset, len) = super::frames(&last)[20];
    std::fs::OpenOptions::new()
        .write(true)
        .open(&last)
        .unwrap()
        .set_len(offset + len / 2)
        .unwrap();
    last
}

/// Log `orders` in `dir` as a power cut leaves it between a log writer's
/// salvage and its cut of the damage (docs/FORMAT.md section 12): records
/// 0..9 in segments of 3, the newest unsealed with record 6 damaged, and
/// records 7 and 8 both still after the damage and in the sealed file
/// salvaged from it. Returns the damage's offset.
pub fn log_salvaged_but_not_cut(dir: &Path) -> u64 {
    use binlog::writer::salvage;
    rolled_log(dir, 9, 3);
    let seg = std::path::PathBuf::from(t_names(dir).pop().unwrap());
    leave_unsealed(&seg);
    let at = damage_record(&seg, 0);
    let header = Reader::open(&seg).unwrap().header().clone();
    let origin = binlog::Options {
        log_name: header.log_name.clone(),
        segment_no: header.segment_no,
        created_ns: Some(header.created_ns),
        ..binlog::Options::default()
    };
    let runs = salvage::runs_from(&seg, at).unwrap();
    assert_eq!(runs.len(), 1);
    salvage::salvage_run(&seg, origin, &runs[0]).unwrap();
    at
}

#[cfg(feature = "compression")]
/// A sealed segment of `n` sample records and its compressed copy (64 KiB
/// frames); returns both paths.
pub fn plain_and_compressed(t: &Tmp, n: u64) -> (std::path::PathBuf, std::path::PathBuf) {
    use binlog::{compress_segment, CompressOptions};
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

#[cfg(feature = "compression")]
/// The sealed segment `big.binlog` of 30000 sample records in `t`,
/// compressed in frames of 1 MiB (several zstd blocks each), with 256 bytes
/// three quarters into the compressed bytes of its largest frame zeroed: a
/// frame that yields its first blocks, then fails (docs/FORMAT.md 17.3a).
/// Returns the `.zst` and the damaged frame's index.
pub fn compressed_damaged_late(t: &Tmp) -> (std::path::PathBuf, usize) {
    use binlog::compressed::CompressedSegment;
    use binlog::{compress_segment, CompressOptions};
    let plain = t.join("big.binlog");
    sealed_segment(&plain, 30_000);
    let zst = compress_segment(&plain, &CompressOptions::default())
        .unwrap()
        .path;
    let frames = CompressedSegment::open(&zst).unwrap().frames().to_vec();
    let largest = (0..frames.len()).max_by_key(|&i| frames[i].size).unwrap();
    let f = frames[largest];
    let mut bytes = std::fs::read(&zst).unwrap();
    let at = (f.compressed_offset + u64::from(f.compressed_size) * 3 / 4) as usize;
    bytes[at..at + 256].fill(0);
    std::fs::write(&zst, bytes).unwrap();
    (zst, largest)
}

#[cfg(feature = "compression")]
/// The plain segment `plain.binlog` of 5000 records in `t`, its seal
/// (every CRC valid) made to end the records before record 4000, and
/// `lying.binlog.zst`, its copy compressed as it is (a writer with a bug:
/// the compressor refuses such a seal). Returns both.
pub fn plain_and_compressed_lying(t: &Tmp) -> (std::path::PathBuf, std::path::PathBuf) {
    let plain = t.join("plain.binlog");
    sealed_segment(&plain, 5_000);
    let mut r = binlog::Reader::open(&plain).unwrap();
    let mut offsets = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        offsets.push(rec.offset);
    }
    super::seal::move_records_end(&plain, offsets[4_000]);
    let zst = t.join("lying.binlog.zst");
    let bytes = super::compressed::compress_as_is(&plain, 16 << 10);
    std::fs::write(&zst, bytes).unwrap();
    (plain, zst)
}
