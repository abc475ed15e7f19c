//! Helpers shared by the integration tests (each test file that uses them
//! says `use crate::common;`): temporary directories on the real filesystem, a
//! seeded PRNG, deterministic records derived from their sequence number, a
//! reader that copies out everything a segment yields, and the sizes the
//! long tests take from the environment. Submodules: child processes to
//! kill (`child`), or to kill at the nth call of a system call
//! (`killed_at`), injected system call failures (`faults`), the C ABI
//! (`ffi`), the long tests' sizes (`knobs`), seals rewritten with valid
//! CRCs (`seal`), records as (seq, type, payload) (`records`), damage to
//! compressed segments (`compressed`, with the feature "compression"), and the
//! `binlog` tool's tests (`cli`: the built tool), the conformance corpus's
//! expectations (`conformance`), protobuf messages of every kind
//! (`protobuf_all`),
//! and a real S3 server (`s3`, feature "s3")
//! with a proxy in front of it that misbehaves on purpose (`proxy`),
//! readers of its objects (`remote`) and the checks of shipping through
//! faults (`shipping`), a small real filesystem to fill (`tmpfs`), and a
//! filesystem that forgets what was not synced when the power is cut
//! (`powercut`), and logs of records at given timestamps (`timed_log`).

#![allow(dead_code)]

pub mod child;
pub mod cli;
#[cfg(feature = "compression")]
pub mod compressed;
pub mod conformance;
pub mod faults;
pub mod ffi;
pub mod killed_at;
pub mod knobs;
pub mod power_loss;
pub mod powercut;
pub mod protobuf_all;
#[cfg(feature = "s3")]
pub mod proxy;
pub mod records;
#[cfg(feature = "s3")]
pub mod remote;
#[cfg(feature = "s3")]
pub mod s3;
pub mod seal;
#[cfg(feature = "s3")]
pub mod shipping;
#[cfg(feature = "sign")]
pub mod signed;
pub mod space;
pub mod timed_log;
pub mod tmpfs;

// Part of `common::*` for the tests; a test binary may use none of them.
#[allow(unused_imports)]
pub use knobs::*;
#[allow(unused_imports)]
pub use records::*;

use binlog::SegmentEvent;
use binlog::{Error, Options, Reader, Tail, Writer};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh directory under cargo's per-target temporary directory, removed
/// when dropped: also when the test fails (a panic drops it too).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("binlog-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Names of the files in the directory, sorted.
    pub fn names(&self) -> Vec<String> {
        list_dir(&self.0)
    }

    /// The `*.binlog` files in it, by name.
    pub fn segments(&self) -> Vec<String> {
        self.names()
            .into_iter()
            .filter(|n| n.ends_with(".binlog"))
            .collect()
    }
}

/// Where a `&Path` is wanted, `&dir` will do; `dir.join(name)` is its path.
impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The plain segment files (`*.binlog`) in `dir`, sorted.
pub fn binlog_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "binlog"))
        .collect();
    v.sort();
    v
}

pub fn list_dir(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("list {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// splitmix64: small, seeded, good enough to pick delays and offsets.
pub struct Rng(u64);

impl Rng {
    /// Seeded from `BINLOG_TEST_SEED` if set, else from `default`; the seed
    /// is printed so a failure can be replayed.
    pub fn from_env(default: u64) -> Rng {
        let seed = std::env::var("BINLOG_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default);
        eprintln!("PRNG seed {seed} (set BINLOG_TEST_SEED to replay)");
        Rng(seed)
    }

    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

pub const TYPES: [&str; 3] = ["trade", "quote", "тип"];

/// What was written as the record with a given sequence number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Want {
    pub seq: u64,
    pub ts: i64,
    pub type_name: String,
    pub meta: Vec<(String, String)>,
    pub payload: Vec<u8>,
}

/// Deterministic bytes for `seq`: the seq itself, then a splitmix stream.
pub fn payload_bytes(seq: u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&seq.to_le_bytes());
    let mut r = Rng::new(seq.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x5eed);
    while out.len() < len {
        out.extend_from_slice(&r.next_u64().to_le_bytes());
    }
    out.truncate(len);
    out
}

/// The record with sequence number `seq` and a payload of `len` bytes.
pub fn want_sized(seq: u64, len: usize) -> Want {
    let meta = if seq % 4 == 0 {
        vec![
            ("k".to_string(), seq.to_string()),
            ("ключ".to_string(), String::new()),
        ]
    } else {
        Vec::new()
    };
    Want {
        seq,
        ts: 1_700_000_000_000_000_000 + seq as i64 * 1_000,
        type_name: TYPES[(seq % 3) as usize].to_string(),
        meta,
        payload: payload_bytes(seq, len),
    }
}

/// Small records of varying size (0 to 96 bytes of payload).
pub fn want(seq: u64) -> Want {
    want_sized(seq, ((seq * 29) % 97) as usize)
}

/// Writes `w` and checks it got the expected sequence number.
pub fn put(writer: &Writer, w: &Want) -> Result<u64, Error> {
    let meta: Vec<(&str, &str)> = w
        .meta
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    writer.write_with(&w.type_name, &meta, Some(w.ts), &w.payload)
}

/// A record as a reader returned it, copied out of the map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rec {
    pub seq: u64,
    pub ts: i64,
    pub type_name: String,
    pub meta: Vec<(String, String)>,
    pub payload: Vec<u8>,
    pub offset: u64,
    pub frame_len: u64,
}

impl Rec {
    pub fn as_want(&self) -> Want {
        Want {
            seq: self.seq,
            ts: self.ts,
            type_name: self.type_name.clone(),
            meta: self.meta.clone(),
            payload: self.payload.clone(),
        }
    }
}

/// Everything a reader yields: the records, then how it ended (the tail, or
/// the error that stopped it).
#[derive(Debug)]
pub struct ReadOut {
    pub recs: Vec<Rec>,
    pub end: Result<Tail, Error>,
}

impl ReadOut {
    /// The records read, as the `Want`s they are compared with.
    #[allow(dead_code)] // not every test binary compares them
    pub fn wants(&self) -> Vec<Want> {
        self.recs.iter().map(Rec::as_want).collect()
    }
}

/// An owned copy of a record.
pub fn copy(r: &binlog::Record<'_>) -> Rec {
    Rec {
        seq: r.seq,
        ts: r.timestamp_ns,
        type_name: r.type_name.to_string(),
        meta: r
            .metadata()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        payload: r.payload.to_vec(),
        offset: r.offset,
        frame_len: r.frame_len,
    }
}

/// Reads to the end (or the first error) with `next`. Stops after 1 M
/// records so a reader that loops forever fails instead of hanging.
pub fn drain(r: &mut Reader) -> ReadOut {
    let mut recs = Vec::new();
    loop {
        match r.next() {
            Ok(Some(rec)) => recs.push(copy(&rec)),
            Ok(None) => {
                return ReadOut {
                    recs,
                    end: Ok(r.tail()),
                }
            }
            Err(e) => return ReadOut { recs, end: Err(e) },
        }
        assert!(recs.len() < 1_000_000, "reader does not end");
    }
}

/// Opens `path` and reads it to the end; the reader is closed on return.
pub fn read_all(path: &Path) -> Result<ReadOut, Error> {
    let mut r = Reader::open(path)?;
    Ok(drain(&mut r))
}

/// Reads `path` and asserts it holds exactly `wants`, in order, and ends
/// with `tail`.
pub fn assert_holds(path: &Path, wants: &[Want], tail: Tail) {
    let out = read_all(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let got = out.wants();
    assert_eq!(got.len(), wants.len(), "record count of {}", path.display());
    for (g, w) in got.iter().zip(wants) {
        assert_eq!(g, w, "record {} of {}", w.seq, path.display());
    }
    match out.end {
        Ok(t) => assert_eq!(t, tail, "tail of {}", path.display()),
        Err(e) => panic!("{}: read ended with an error: {e}", path.display()),
    }
}

/// Reads the whole segment and checks every record against `wants`, then
/// reads each type through the per-type index and checks the seal's
/// summary against the records.
pub fn check_segment(path: &Path, wants: &[Want], ctx: &str) {
    assert_holds(path, wants, Tail::Sealed);
    let r = Reader::open(path).unwrap();
    let d = r.seal().unwrap_or_else(|| panic!("{ctx}: no usable seal"));
    assert_eq!(d.record_count, wants.len() as u64, "{ctx}: seal count");
    if let (Some(f), Some(l)) = (wants.first(), wants.last()) {
        assert_eq!((d.first_seq, d.last_seq), (f.seq, l.seq), "{ctx}: seqs");
        assert_eq!((d.first_ts, d.last_ts), (f.ts, l.ts), "{ctx}: times");
        let min = wants.iter().map(|w| w.ts).min().unwrap();
        let max = wants.iter().map(|w| w.ts).max().unwrap();
        assert_eq!((d.min_ts, d.max_ts), (min, max), "{ctx}: min/max");
    }
    let mut names: Vec<&str> = Vec::new();
    for w in wants {
        if !names.contains(&w.type_name.as_str()) {
            names.push(&w.type_name);
        }
    }
    let table: Vec<&str> = d.types.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(table, names, "{ctx}: type table");
    for (t, entry) in names.iter().zip(&d.types) {
        let want: Vec<&Want> = wants.iter().filter(|w| w.type_name == *t).collect();
        assert_eq!(entry.count, want.len() as u64, "{ctx}: count of {t}");
        let mut r = Reader::open(path).unwrap();
        r.filter_types(&[t]);
        let got = drain(&mut r).wants();
        assert_eq!(got.len(), want.len(), "{ctx}: records of type {t}");
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g, w, "{ctx}: record {} of type {t}", w.seq);
        }
    }
    for w in wants.iter().step_by(7) {
        let mut r = Reader::open(path).unwrap();
        r.seek_seq(w.seq).unwrap();
        assert_eq!(
            r.next().unwrap().unwrap().seq,
            w.seq,
            "{ctx}: seek {}",
            w.seq
        );
    }
}

/// Writes records `0..n` (see [`want`]) and closes: a sealed segment.
pub fn make_sealed(path: &Path, n: u64, opts: Options) -> Vec<Want> {
    let w = Writer::open(path, opts).unwrap();
    let wants: Vec<Want> = (0..n).map(want).collect();
    for x in &wants {
        assert_eq!(put(&w, x).unwrap(), x.seq);
    }
    w.close().unwrap();
    wants
}

/// A sealed segment cut back to where its records end: exactly what a
/// writer that stopped between records leaves behind. Returns the records
/// and the offset where they end.
pub fn make_unsealed(path: &Path, n: u64) -> (Vec<Want>, u64) {
    let wants = make_sealed(path, n, Options::default());
    let end = Reader::open(path)
        .unwrap()
        .seal()
        .expect("sealed")
        .records_end;
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.set_len(end).unwrap();
    drop(f);
    (wants, end)
}

pub fn read_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Where the bytes that are not zero end in `bytes`: a segment's content,
/// without the zeros a durable writer prepares ahead of its records.
pub fn nonzero_end(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |i| i as u64 + 1)
}

pub fn write_bytes(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()))
}

/// Cuts (or extends) the file at `p` to `len` bytes.
pub fn set_len(p: &Path, len: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(p)
        .unwrap()
        .set_len(len)
        .unwrap();
}

/// A log under `durability` rolling every 10 records, without the
/// background thread (rolls and seals happen in the calls).
pub fn log_opts(durability: binlog::Durability) -> binlog::LogOptions {
    binlog::LogOptions {
        segment: Options {
            durability,
            ..Options::default()
        },
        max_segment_records: Some(10),
        background: false,
        ..binlog::LogOptions::default()
    }
}

/// Log `name` in `dir` rolling every `per` records, without the
/// background thread.
pub fn open_rolling(dir: &Path, name: &str, per: u64) -> binlog::LogWriter {
    let opts = binlog::LogOptions {
        max_segment_records: Some(per),
        background: false,
        ..binlog::LogOptions::default()
    };
    binlog::LogWriter::open(dir, name, opts).unwrap()
}

/// Appends `n` records (type "trade", payload "payload <i>") to log
/// `orders` in `dir`, `per` a segment, and closes it: its last segment is
/// sealed.
pub fn append_orders(dir: &Path, n: u64, per: u64) {
    let w = open_rolling(dir, "orders", per);
    for i in 0..n {
        w.write("trade", format!("payload {i}").as_bytes()).unwrap();
    }
    w.close().unwrap();
}

/// Writes `n` records to log `name` in `dir`, rolling every `per` (if
/// some), and closes it: record i of type `type_of(i)`, with 20 to 120
/// bytes from `Rng::new(seed)`.
pub fn append_random(
    dir: &Path,
    name: &str,
    (n, per): (u64, Option<u64>),
    seed: u64,
    type_of: impl Fn(u64) -> &'static str,
) {
    let opts = binlog::LogOptions {
        max_segment_records: per,
        background: false,
        ..binlog::LogOptions::default()
    };
    let w = binlog::LogWriter::open(dir, name, opts).unwrap();
    let mut rng = Rng::new(seed);
    for i in 0..n {
        let len = 20 + (rng.next_u64() % 100) as usize;
        let payload: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        w.write(type_of(i), &payload).unwrap();
    }
    w.close().unwrap();
}

/// 2026-11-21T05:37:42.5Z: the rolling-log tests' wall clock.
pub const LOG_T0: i64 = 1_795_239_462_500_000_000;

/// A log whose clock stays at [`LOG_T0`] (every roll in the same second),
/// without the background thread.
pub fn fixed_clock_opts() -> binlog::LogOptions {
    binlog::LogOptions {
        clock: std::sync::Arc::new(|| LOG_T0),
        background: false,
        ..binlog::LogOptions::default()
    }
}

/// `<segment>.corrupt-<offset>`, the writer's backup of a cut tail.
pub fn backup_path(seg: &Path, offset: u64) -> PathBuf {
    let mut s = seg.as_os_str().to_owned();
    s.push(format!(".corrupt-{offset}"));
    PathBuf::from(s)
}

/// Asserts that an error message names the file.
pub fn assert_names(e: &Error, path: &Path) {
    let p = path.display().to_string();
    assert!(e.message().contains(&p), "message does not name {p}: {e}");
}

/// Asserts that an error message names the file and the byte offset.
pub fn assert_names_at(e: &Error, path: &Path, offset: u64) {
    assert_names(e, path);
    assert!(
        e.message().contains(&format!("offset {offset}")),
        "message does not name offset {offset}: {e}"
    );
}

/// A segment event as ('O'pened, 'S'ealed or 'C'ompressed, segment
/// number, first sequence number, record count), for comparing event
/// sequences.
pub fn event_key(ev: &SegmentEvent) -> (char, u64, u64, u64) {
    let (kind, i) = match ev {
        SegmentEvent::Opened(i) => ('O', i),
        SegmentEvent::Sealed(i) => ('S', i),
        SegmentEvent::Compressed(i) => ('C', i),
    };
    (kind, i.segment_no, i.first_seq, i.record_count)
}

/// Runs `f` while the process can open one more descriptor only.
pub fn with_one_descriptor_left<T>(f: impl FnOnce() -> T) -> T {
    with_descriptors_left(1, f)
}

/// Runs `f` while the process can open `left` more descriptors only.
pub fn with_descriptors_left<T>(left: usize, f: impl FnOnce() -> T) -> T {
    // SAFETY: plain system calls on this process's own descriptor limit and
    // on descriptors it opens and closes here.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        let saved = limit.rlim_cur;
        limit.rlim_cur = 256;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        let mut fds = Vec::new();
        loop {
            let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
            if fd < 0 {
                break;
            }
            fds.push(fd);
        }
        for _ in 0..left {
            libc::close(fds.pop().expect("descriptors were opened"));
        }
        let out = f();
        for fd in fds {
            libc::close(fd);
        }
        limit.rlim_cur = saved;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        out
    }
}

/// Sets this process's file size limit (RLIMIT_FSIZE; `libc::RLIM_INFINITY`
/// lifts it). A write past it fails with EFBIG once SIGXFSZ is ignored,
/// which the caller does (only in a child process: the limit is the
/// whole process's).
pub fn set_file_size_limit(bytes: u64) {
    // SAFETY: plain system calls on a local struct.
    unsafe {
        let mut l = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        assert_eq!(libc::getrlimit(libc::RLIMIT_FSIZE, &mut l), 0);
        l.rlim_cur = bytes;
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &l), 0);
    }
}

/// Writes `xs` (their types, metadata, timestamps and payloads) with one
/// `write_batch` call.
pub fn write_wants(w: &Writer, xs: &[Want]) -> binlog::Result<u64> {
    let metas: Vec<Vec<(&str, &str)>> = xs
        .iter()
        .map(|x| {
            x.meta
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect()
        })
        .collect();
    let parts: Vec<[&[u8]; 1]> = xs.iter().map(|x| [&x.payload[..]]).collect();
    let entries: Vec<binlog::Entry> = xs
        .iter()
        .enumerate()
        .map(|(i, x)| binlog::Entry {
            type_name: &x.type_name,
            meta: &metas[i],
            timestamp_ns: Some(x.ts),
            parts: &parts[i],
        })
        .collect();
    w.write_batch(&entries)
}

/// Runs `body(dir)` in a child process (the test binary run again for
/// `test`, told the directory through the environment variable `var`) that
/// ignores SIGXFSZ, so that a file size limit it sets gives EFBIG and stays
/// its own; the child's output is shown with `prefix`.
pub fn in_fsize_child(test: &str, var: &str, prefix: &'static str, body: impl FnOnce(&Path)) {
    if let Ok(dir) = std::env::var(var) {
        // SAFETY: ignoring a signal; the process is this test's child.
        unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
        body(Path::new(&dir));
        return;
    }
    let d = TempDir::new(test);
    for line in child::ChildProc::spawn(test, &[(var, d.path().as_os_str())], prefix).wait_ok() {
        eprintln!("{line}");
    }
}

/// Takes an exclusive flock on `f` without waiting, as a writer and `binlog
/// repair` do: false if another open file description holds one.
pub fn try_flock(f: &std::fs::File) -> bool {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor owned by `f`.
    unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

/// Releases `f`'s flock and closes it. Closing alone is not enough where
/// another test thread forks a child meanwhile: the child holds the open
/// file description, and so the lock, until it execs.
pub fn unlock(f: std::fs::File) {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor owned by `f`.
    assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_UN) }, 0);
}

/// For benchmarks: the threads a compressed scan decompresses ahead on,
/// if `BINLOG_BENCH_DECODE_THREADS` says (else the library's default), so
/// that runs with and without can alternate; read here only, never by the
/// library.
pub fn bench_decode_threads() -> Option<usize> {
    let set = std::env::var("BINLOG_BENCH_DECODE_THREADS").ok()?;
    Some(set.parse().expect("BINLOG_BENCH_DECODE_THREADS: a number"))
}

/// CPU seconds this process has used so far: user and system, all its
/// threads (a benchmark's CPU time per byte, steadier than its speed on a
/// loaded host).
pub fn cpu_seconds() -> f64 {
    rusage_seconds(libc::RUSAGE_SELF)
}

/// CPU seconds the calling thread has used so far (what of a benchmark's
/// CPU time was on its own thread, not on threads working ahead of it).
pub fn thread_cpu_seconds() -> f64 {
    rusage_seconds(libc::RUSAGE_THREAD)
}

fn rusage_seconds(who: libc::c_int) -> f64 {
    // SAFETY: getrusage fills the plain struct it is given.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut u);
        u
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// Flips one bit of a character in the middle of log `log`'s manifest in
/// `dir` (its CRC then fails); returns the manifest's path and new bytes.
pub fn damage_manifest(dir: &Path, log: &str) -> (PathBuf, Vec<u8>) {
    let path = binlog::log::naming::manifest_path(dir, log);
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

/// The repository's root, where Cargo.lock, docs/ and tests/ are: the
/// library's crate directory, the parent of the tool's (cli/).
pub fn repo_root() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    match crate_dir.join("Cargo.lock").exists() {
        true => crate_dir.to_path_buf(),
        false => crate_dir.parent().unwrap().to_path_buf(),
    }
}
