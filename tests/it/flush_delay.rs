//! No record waits unseen: with default options a writer hands each record
//! to the OS within `Options::flush_delay` (10 ms) of its write call, so a
//! follower in another process sees it then, and a crash of the writing
//! process (SIGKILL) after that loses nothing. A child process (this test
//! binary re-executed, switched into child mode by an environment variable)
//! writes; the parent follows or kills it.

use crate::common;

use binlog::{LogOptions, LogReader, LogWriter};
use binlog::{Options, Reader, Writer};
use common::child::ChildProc;
use common::TempDir;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const CHILD_ENV: &str = "BINLOG_FLUSH_DELAY_CHILD";
const DIR_ENV: &str = "BINLOG_FLUSH_DELAY_DIR";
/// The child's flush delay in microseconds (unset: the default options).
const DELAY_ENV: &str = "BINLOG_FLUSH_DELAY_US";
const MARK: &str = "FLUSH-DELAY-CHILD ";

/// Records the idle child writes before it is killed.
const KILL_RECORDS: u64 = 1_000;
/// Records the child with a flush delay of 0 writes, saying so after each.
const EACH_RECORDS: u64 = 50;
/// Records the slow child writes, and the pause after each.
const SLOW_RECORDS: usize = 100;
const SLOW_PAUSE: Duration = Duration::from_millis(20);

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{MARK}{line}").unwrap();
    out.flush().unwrap();
}

/// The child's options: the defaults, or the flush delay `DELAY_ENV` sets.
fn child_options() -> Options {
    match std::env::var(DELAY_ENV) {
        Ok(us) => Options {
            flush_delay: Some(Duration::from_micros(us.parse().unwrap())),
            ..Options::default()
        },
        Err(_) => Options::default(),
    }
}

/// In a child: what `CHILD_ENV` asks, then idle until killed (never
/// closing its writers, which would flush them).
fn run_child_if_asked() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let dir = PathBuf::from(std::env::var(DIR_ENV).unwrap());
    let segment = Writer::open(dir.join("one.binlog"), child_options()).unwrap();
    match mode.as_str() {
        "idle" => {
            let log = LogWriter::open(dir.join("log"), "l", LogOptions::default()).unwrap();
            for i in 0..KILL_RECORDS {
                segment.write("t", &i.to_le_bytes()).unwrap();
                log.write("t", &i.to_le_bytes()).unwrap();
            }
            say("WROTE");
            std::thread::sleep(Duration::from_secs(600));
            drop(log);
        }
        "each" => {
            for i in 0..EACH_RECORDS {
                segment.write("t", &i.to_le_bytes()).unwrap();
                say(&format!("WROTE {i}"));
            }
            std::thread::sleep(Duration::from_secs(600));
        }
        "slow" => {
            for _ in 0..SLOW_RECORDS {
                segment.write("t", &now_ns().to_le_bytes()).unwrap();
                std::thread::sleep(SLOW_PAUSE);
            }
            say("WROTE");
            std::thread::sleep(Duration::from_secs(600));
        }
        m => panic!("unknown child mode {m}"),
    }
    drop(segment);
}

/// The records `r` reads (none of a segment or log not made yet).
fn count(mut r: LogReader) -> u64 {
    let mut n = 0;
    while let Ok(Some(_)) = r.next() {
        n += 1;
    }
    n
}

fn spawn(test: &str, mode: &str, dir: &Path, delay_us: Option<u64>) -> ChildProc {
    let delay = delay_us.map(|us| us.to_string());
    let mut envs: Vec<(&str, &OsStr)> =
        vec![(CHILD_ENV, OsStr::new(mode)), (DIR_ENV, dir.as_os_str())];
    if let Some(d) = &delay {
        envs.push((DELAY_ENV, OsStr::new(d)));
    }
    ChildProc::spawn(test, &envs, MARK)
}

/// A writer with default options (a segment, and a rolling log) writes
/// 1,000 records and idles: every record becomes visible to this process,
/// handed to the OS by the flush delay although no buffer filled and
/// nothing was flushed, and is still in the files after a SIGKILL.
#[test]
fn an_idle_writer_killed_after_the_flush_delay_loses_no_record() {
    run_child_if_asked();
    let dir = TempDir::new("flush-delay-kill");
    let mut child = spawn(
        "an_idle_writer_killed_after_the_flush_delay_loses_no_record",
        "idle",
        dir.path(),
        None,
    );
    let mut seen = Vec::new();
    assert!(
        child.wait_for("WROTE", &mut seen, Duration::from_secs(60)),
        "the child never wrote: {seen:?}"
    );
    // Bounds a hang only: the records come within the flush delay.
    let t0 = std::time::Instant::now();
    while count(LogReader::open_files(vec![dir.join("one.binlog")]).unwrap()) < KILL_RECORDS
        || count(LogReader::open(dir.join("log"), "l").unwrap()) < KILL_RECORDS
    {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "records never handed over"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill9(seen);

    let mut r = Reader::open(dir.join("one.binlog")).unwrap();
    let mut n = 0u64;
    while let Some(rec) = r.next().unwrap() {
        assert_eq!((rec.seq, rec.payload), (n, &n.to_le_bytes()[..]));
        n += 1;
    }
    assert_eq!(n, KILL_RECORDS, "records of the segment after SIGKILL");
    let mut r = LogReader::open(dir.join("log"), "l").unwrap();
    let mut n = 0u64;
    while let Some(rec) = r.next().unwrap() {
        assert_eq!((rec.seq, rec.payload), (n, &n.to_le_bytes()[..]));
        n += 1;
    }
    assert_eq!(n, KILL_RECORDS, "records of the log after SIGKILL");
}

/// Write-to-visible latency in another process: a child writes a record
/// every 20 ms, its wall-clock time at the write call in the payload; this
/// process follows the segment (`next_wait`) and takes, for each record,
/// the time it saw it minus that. Returns them sorted, in microseconds.
fn write_to_visible_us(test: &str, delay_us: Option<u64>) -> Vec<u64> {
    let dir = TempDir::new("flush-delay-visible");
    let mut child = spawn(test, "slow", dir.path(), delay_us);
    let path = dir.join("one.binlog");
    let mut r = loop {
        // The child creates the segment (header first) as it starts.
        match Reader::open(&path) {
            Ok(r) => break r,
            Err(_) => std::thread::sleep(Duration::from_millis(1)),
        }
    };
    let mut latencies = Vec::with_capacity(SLOW_RECORDS);
    while latencies.len() < SLOW_RECORDS {
        let rec = r.next_wait(Duration::from_secs(5)).unwrap();
        let seen = now_ns();
        let rec = rec.unwrap_or_else(|| {
            panic!(
                "record {} not visible 5 s after the one before (delay {delay_us:?} us)",
                latencies.len()
            )
        });
        let written = u64::from_le_bytes(rec.payload.try_into().unwrap());
        latencies.push(seen.saturating_sub(written) / 1000);
    }
    let mut seen = Vec::new();
    assert!(child.wait_for("WROTE", &mut seen, Duration::from_secs(60)));
    child.kill9(seen);
    latencies.sort_unstable();
    latencies
}

/// The median and the 99th percentile of sorted `v`.
fn median_p99(v: &[u64]) -> (u64, u64) {
    (v[v.len() / 2], v[(v.len() * 99).div_ceil(100) - 1])
}

/// With a flush delay of 0 each write call hands its record to the OS
/// before it returns: a reader in another process sees the record as soon
/// as the writer says its call returned, without waiting.
#[test]
fn with_a_flush_delay_of_0_a_record_is_visible_when_its_write_returns() {
    run_child_if_asked();
    let dir = TempDir::new("flush-delay-each");
    let mut child = spawn(
        "with_a_flush_delay_of_0_a_record_is_visible_when_its_write_returns",
        "each",
        dir.path(),
        Some(0),
    );
    let mut seen = Vec::new();
    let mut r: Option<Reader> = None;
    for i in 0..EACH_RECORDS {
        assert!(
            child.wait_for(&format!("WROTE {i}"), &mut seen, Duration::from_secs(60)),
            "the child never wrote record {i}: {seen:?}"
        );
        let r = r.get_or_insert_with(|| Reader::open(dir.join("one.binlog")).unwrap());
        let rec = r.next().unwrap().map(|x| (x.seq, x.payload.to_vec()));
        assert_eq!(rec, Some((i, i.to_le_bytes().to_vec())), "record {i}");
    }
    child.kill9(seen);
}

/// The measurement of docs/PERFORMANCE.md figure i, not a test (it times
/// the scheduler): a follower in another process sees each record of a
/// slow writer with default options about the flush delay (10 ms) after
/// its write call, and at once with a flush delay of 0. Run by hand:
/// `cargo test --release --test it -- --ignored --exact --nocapture
/// flush_delay::a_follower_in_another_process_sees_records_within_the_flush_delay`.
#[test]
#[ignore = "a measurement (docs/PERFORMANCE.md figure i): it times the scheduler"]
fn a_follower_in_another_process_sees_records_within_the_flush_delay() {
    run_child_if_asked();
    let test = "a_follower_in_another_process_sees_records_within_the_flush_delay";
    let default = write_to_visible_us(test, None);
    let (median, p99) = median_p99(&default);
    println!(
        "write-to-visible, default flush delay (10 ms), {SLOW_RECORDS} records 20 ms apart: \
         median {median} us, p99 {p99} us, max {} us",
        default[default.len() - 1]
    );
    assert!(
        (5_000..=40_000).contains(&median),
        "median {median} us: not about the 10 ms flush delay"
    );
    assert!(p99 <= 500_000, "p99 {p99} us");
    let zero = write_to_visible_us(test, Some(0));
    let (median0, p99_0) = median_p99(&zero);
    println!(
        "write-to-visible, flush delay 0: median {median0} us, p99 {p99_0} us, max {} us",
        zero[zero.len() - 1]
    );
    assert!(median0 < median, "flush delay 0: median {median0} us");
    assert!(p99_0 <= 500_000, "flush delay 0: p99 {p99_0} us");
}
