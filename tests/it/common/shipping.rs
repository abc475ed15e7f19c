//! Shipping log `orders` through faults (tests/it/archive_faults.rs,
//! tests/it/archive_multipart_faults.rs): a shipper with short timeouts that
//! removes every verified local copy, passes run until one succeeds, and
//! the checks every fault test makes: nothing lost, no object holding
//! other bytes than its segment. And a log with a salvaged file to ship
//! (cli/tests/it/archive_salvaged.rs, cli/tests/it/archive_ship_kill.rs).

use super::proxy::Proxy;
use super::s3::S3Server;
use binlog::archive::object_name::segment_key;
use binlog::archive::{
    Connection, Location, ShipOptions, ShipReport, ShipStep, Shipper, Step, StepHook,
};
use binlog::list_segments;
use binlog::{Error, Result};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub const BUCKET: &str = "logs";

/// Options through `endpoint` with short timeouts, removing every local
/// copy once verified (the most a shipper may delete).
pub fn options(server: &S3Server, endpoint: String) -> ShipOptions {
    ShipOptions {
        keep_local: Some(0),
        connection: Connection {
            endpoint: Some(endpoint),
            request_timeout: Some(Duration::from_secs(2)),
            retry_timeout: Some(Duration::from_secs(4)),
            ..server.connection()
        },
        ..ShipOptions::default()
    }
}

pub fn open(dir: &Path, prefix: &str, opts: ShipOptions) -> Result<Shipper> {
    let to = Location::parse(&format!("s3://{BUCKET}/{prefix}")).unwrap();
    Shipper::open(dir, "orders", &to, opts)
}

/// The file the server keeps segment `no`'s object in.
pub fn object_file(server: &S3Server, prefix: &str, no: u64, first_seq: u64) -> std::path::PathBuf {
    server.object_file(BUCKET, &segment_key(prefix, "orders", no, first_seq, false))
}

/// Every segment of log `orders` in `dir`: its first sequence number and
/// bytes, by segment number.
pub fn segments(dir: &Path) -> BTreeMap<u64, (u64, Vec<u8>)> {
    list_segments(dir, "orders")
        .unwrap()
        .into_iter()
        .map(|l| {
            let bytes = std::fs::read(&l.path).unwrap();
            (l.segment_no, (l.first_seq.unwrap(), bytes))
        })
        .collect()
}

/// Every segment of `before` is still local or in the bucket with its
/// bytes, and no object in the bucket holds other bytes than its segment.
pub fn assert_nothing_lost(
    server: &S3Server,
    dir: &Path,
    prefix: &str,
    before: &BTreeMap<u64, (u64, Vec<u8>)>,
) {
    let local: BTreeMap<u64, Vec<u8>> = list_segments(dir, "orders")
        .unwrap()
        .into_iter()
        .map(|l| (l.segment_no, std::fs::read(&l.path).unwrap()))
        .collect();
    for (no, (first_seq, bytes)) in before {
        let remote = std::fs::read(object_file(server, prefix, *no, *first_seq)).ok();
        if let Some(r) = &remote {
            assert!(r == bytes, "segment {no}: the object holds other bytes");
        }
        let here = local.get(no).is_some_and(|l| l == bytes);
        assert!(
            here || remote.is_some(),
            "segment {no} is neither local nor remote"
        );
    }
}

/// Runs passes until one succeeds (at most `n`), returning every report
/// and every failure.
pub fn ship_until_done(s: &mut Shipper, n: usize) -> (Vec<ShipReport>, Vec<Error>) {
    let (mut done, mut failed) = (Vec::new(), Vec::new());
    for _ in 0..n {
        match s.ship_once() {
            Ok(r) => {
                done.push(r);
                break;
            }
            Err(e) => failed.push(e),
        }
    }
    (done, failed)
}

/// The segments uploaded or found uploaded over `reports`.
pub fn shipped(reports: &[ShipReport]) -> Vec<u64> {
    let mut all: Vec<u64> = reports
        .iter()
        .flat_map(|r| r.uploaded.iter().chain(&r.found_uploaded).copied())
        .collect();
    all.sort();
    all
}

/// Runs a pass of `s` on a thread of its own, stops `server` once the
/// proxy holds a request a fault (a stall) matched, and returns the
/// shipper and what the pass did.
pub fn pass_with_server_stopped(
    mut s: Shipper,
    proxy: &Proxy,
    server: &mut S3Server,
) -> (Shipper, Result<ShipReport>) {
    let pass = std::thread::spawn(move || {
        let r = s.ship_once();
        (s, r)
    });
    while proxy.hits().is_empty() {
        std::thread::sleep(Duration::from_millis(10));
    }
    server.stop();
    pass.join().unwrap()
}

/// In a child process a test spawned with the server's `S3Server::env`:
/// ship options connecting as that environment says, that kill the
/// process (SIGKILL) right after the `nth` time any segment passes the
/// step named `step` (its `Debug` name).
pub fn killed_after_step(step: &str, nth: u64) -> ShipOptions {
    let step = *Step::ALL
        .iter()
        .find(|s| format!("{s:?}") == step)
        .expect("a step");
    let seen = AtomicU64::new(0);
    let hook = StepHook(Arc::new(move |s: ShipStep| {
        if s.step == step && seen.fetch_add(1, Ordering::SeqCst) + 1 == nth {
            // SAFETY: kill(2) on this process; nothing after it runs.
            unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
        }
    }));
    let env = |k: &str| std::env::var(k).ok();
    ShipOptions {
        on_step: Some(hook),
        connection: Connection {
            endpoint: env("AWS_ENDPOINT_URL"),
            region: env("AWS_REGION"),
            access_key_id: env("AWS_ACCESS_KEY_ID"),
            secret_access_key: env("AWS_SECRET_ACCESS_KEY"),
            virtual_hosted_style: Some(false),
            retry_timeout: Some(Duration::from_secs(5)),
            ..Connection::default()
        },
        ..ShipOptions::default()
    }
}

/// Runs test `test` of this test binary as a child with `envs` and
/// `server`'s environment, and asserts that it was killed (SIGKILL, see
/// `killed_after_step`), saying `ctx` if not.
pub fn assert_child_killed(server: &S3Server, test: &str, envs: &[(&str, &OsStr)], ctx: &str) {
    let out = super::child::this_binary()
        .args(["--exact", &super::child::full_test_name(test)])
        .args(["--nocapture", "--test-threads=1"])
        .envs(envs.iter().copied())
        .envs(server.env())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGKILL),
        "{ctx}: the child was not killed there ({:?}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Log `orders` in `dir` of records 0..40 (type "trade", payload
/// "payload <i>"), 10 a segment, whose segment 2
/// (records 20..29) its writer found without a seal and with record 24
/// damaged (what a power cut that kept a later page and lost an earlier
/// one leaves): the open copied records 25..29 into a salvaged file and
/// cut the segment before the damage, so every record but 24 is in the
/// log once. Returns the segment's path and the salvaged file's.
pub fn log_with_a_salvaged_file(dir: &Path) -> (PathBuf, PathBuf) {
    let w = super::open_rolling(dir, "orders", 10);
    for i in 0..30 {
        let p = format!("payload {i}");
        assert_eq!(w.write("trade", p.as_bytes()).unwrap(), i);
    }
    w.close().unwrap();
    let seg = list_segments(dir, "orders").unwrap()[2].path.clone();
    // Its seal gone and no manifest of the close: as a killed writer
    // leaves it.
    let end = binlog::Reader::open(&seg)
        .unwrap()
        .seal()
        .unwrap()
        .records_end;
    let f = std::fs::OpenOptions::new().write(true).open(&seg).unwrap();
    f.set_len(end).unwrap();
    std::fs::remove_file(dir.join("orders.manifest")).unwrap();
    let (at, len) = super::frames(&seg)[4];
    super::flip_byte(&seg, at + len / 2);

    let w = super::open_rolling(dir, "orders", 10);
    assert_eq!(w.next_seq().unwrap(), 30, "no number lost");
    for i in 30..40 {
        let p = format!("payload {i}");
        assert_eq!(w.write("trade", p.as_bytes()).unwrap(), i);
    }
    w.close().unwrap();
    let salvaged: Vec<PathBuf> = list_segments(dir, "orders")
        .unwrap()
        .into_iter()
        .filter(|l| l.salvaged_offset.is_some())
        .map(|l| l.path)
        .collect();
    assert_eq!(salvaged.len(), 1, "one salvaged file");
    (seg, salvaged[0].clone())
}
