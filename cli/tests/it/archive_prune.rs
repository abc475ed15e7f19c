//! Remote retention (`RemoteLog::prune`, `binlog remote prune`, the
//! shipper's `remote_retention`) against a real versitygw
//! (tests/it/common/s3.rs): a log's oldest segment objects go first, within
//! a count, bytes or the age of their last record; the newest stays; the
//! marker makes a killed prune leave a prefix deleted (never a hole) that
//! a rerun finishes; one pruner at a time; a reader reports pruned
//! objects as a retention gap and a missing one as missing.

use crate::common;

use binlog::archive::{Location, PruneOptions, Remote, RemoteLog, ShipOptions, Shipper};
use binlog::{ErrorKind, GapReason, LogOptions, LogReader, LogWriter};
use common::proxy::{Action, Fault, Proxy};
use common::s3::S3Server;
use common::TempDir;
use std::process::Command;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Records a segment.
const PER: u64 = 3;
const DAY: i64 = 86_400 * 1_000_000_000;

fn now_ns() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    d.as_nanos() as i64
}

/// Log `orders` in a new directory: `segments` sealed segments of `PER`
/// records each (record `s` holds `r<s>`), those of segment `k` written at
/// time `at(k)`; shipped to `s3://logs/<prefix>`.
fn shipped(server: &S3Server, prefix: &str, segments: u64, at: impl Fn(u64) -> i64) -> TempDir {
    let dir = TempDir::new("prune");
    let t = Arc::new(AtomicI64::new(at(0)));
    let clock = Arc::clone(&t);
    let o = LogOptions {
        max_segment_records: Some(PER),
        clock: Arc::new(move || clock.load(Ordering::Relaxed)),
        background: false,
        ..LogOptions::default()
    };
    let w = LogWriter::open(dir.path(), "orders", o).unwrap();
    for seq in 0..segments * PER {
        t.store(at(seq / PER), Ordering::Relaxed);
        w.write("trade", format!("r{seq}").as_bytes()).unwrap();
    }
    w.close().unwrap();
    let opts = ShipOptions {
        connection: server.connection(),
        ..ShipOptions::default()
    };
    let to = Location::parse(&format!("s3://logs/{prefix}")).unwrap();
    let mut s = Shipper::open(dir.path(), "orders", &to, opts).unwrap();
    s.ship_once().unwrap();
    dir
}

fn remote_log(server: &S3Server, prefix: &str) -> RemoteLog {
    common::remote::remote_log(server, "logs", prefix, "orders")
}

/// The segment numbers of the log's objects in the bucket.
fn listed(log: &RemoteLog) -> Vec<u64> {
    log.segments()
        .unwrap()
        .iter()
        .map(|s| s.key.segment_no)
        .collect()
}

fn keep(n: usize) -> PruneOptions {
    PruneOptions {
        max_segments: Some(n),
        ..PruneOptions::default()
    }
}

/// Every record a reader of the bucket alone returns (sequence number and
/// payload), and its gaps.
fn read_all(log: &RemoteLog) -> (Vec<(u64, String)>, Vec<binlog::Gap>) {
    let mut r = LogReader::open_remote(log.clone()).unwrap();
    let mut out = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        out.push((rec.seq, String::from_utf8_lossy(rec.payload).into_owned()));
    }
    (out, r.gaps().to_vec())
}

/// The records of segments `from..to` as written.
fn records_of(from: u64, to: u64) -> Vec<(u64, String)> {
    (from * PER..to * PER)
        .map(|s| (s, format!("r{s}")))
        .collect()
}

#[test]
fn prune_keeps_the_newest_objects_by_count_oldest_first() {
    let server = S3Server::start(&["logs"]);
    let _dir = shipped(&server, "count", 8, |_| now_ns());
    let log = remote_log(&server, "count");
    assert_eq!(listed(&log), (0..8).collect::<Vec<_>>());
    let report = log.prune(&keep(3)).unwrap();
    let deleted: Vec<u64> = report.deleted.iter().map(|s| s.key.segment_no).collect();
    assert_eq!(deleted, vec![0, 1, 2, 3, 4]);
    assert_eq!((report.kept, report.pruned_through), (3, Some(4)));
    assert_eq!(listed(&log), vec![5, 6, 7]);
    assert_eq!(log.pruned_through().unwrap(), Some(4));
    // Within the limits: nothing more goes.
    let again = log.prune(&keep(3)).unwrap();
    assert!(again.deleted.is_empty());
    assert_eq!(read_all(&log), (records_of(5, 8), vec![]));
}

#[test]
fn prune_keeps_the_objects_within_a_byte_total() {
    let server = S3Server::start(&["logs"]);
    let _dir = shipped(&server, "bytes", 6, |_| now_ns());
    let log = remote_log(&server, "bytes");
    let sizes: Vec<u64> = log.segments().unwrap().iter().map(|s| s.size).collect();
    let last_two = sizes[4] + sizes[5];
    let opts = PruneOptions {
        max_bytes: Some(last_two),
        ..PruneOptions::default()
    };
    log.prune(&opts).unwrap();
    assert_eq!(listed(&log), vec![4, 5]);
}

#[test]
fn prune_by_age_goes_by_the_last_record_of_each_object() {
    let server = S3Server::start(&["logs"]);
    let now = now_ns();
    // Segments 0..3 ten days old, then one day old, then new.
    let at = move |k: u64| match k {
        0..=2 => now - 10 * DAY,
        3 => now - DAY,
        _ => now,
    };
    let _dir = shipped(&server, "age", 6, at);
    let log = remote_log(&server, "age");
    let opts = |days: u64| PruneOptions {
        max_age: Some(Duration::from_secs(days * 86_400)),
        ..PruneOptions::default()
    };
    log.prune(&opts(5)).unwrap();
    assert_eq!(listed(&log), vec![3, 4, 5]);
    log.prune(&opts(2)).unwrap();
    assert_eq!(listed(&log), vec![3, 4, 5]);
    log.prune(&PruneOptions {
        max_age: Some(Duration::from_secs(3600)),
        ..PruneOptions::default()
    })
    .unwrap();
    assert_eq!(listed(&log), vec![4, 5]);
}

#[test]
fn the_newest_object_stays_whatever_the_limits_say() {
    let server = S3Server::start(&["logs"]);
    let _dir = shipped(&server, "newest", 3, |_| now_ns());
    let log = remote_log(&server, "newest");
    let report = log.prune(&keep(0)).unwrap();
    assert_eq!(report.kept, 1);
    assert_eq!(listed(&log), vec![2]);
}

#[test]
fn a_dry_run_deletes_nothing_and_says_what_would_go() {
    let server = S3Server::start(&["logs"]);
    let _dir = shipped(&server, "dry", 5, |_| now_ns());
    let log = remote_log(&server, "dry");
    let report = log
        .prune(&PruneOptions {
            dry_run: true,
            ..keep(2)
        })
        .unwrap();
    assert_eq!(report.deleted.len(), 3);
    assert_eq!(listed(&log), (0..5).collect::<Vec<_>>());
    assert_eq!(log.pruned_through().unwrap(), None);
}

#[test]
fn a_reader_reports_pruned_objects_as_retention_and_a_lost_one_as_missing() {
    let server = S3Server::start(&["logs"]);
    let _dir = shipped(&server, "gaps", 8, |_| now_ns());
    let log = remote_log(&server, "gaps");
    // The reader lists every object, then they are pruned under it.
    let mut r = LogReader::open_remote(log.clone()).unwrap();
    remote_log(&server, "gaps").prune(&keep(5)).unwrap();
    // An object kept deleted by something else: damage, not retention.
    let lost = log.segments().unwrap()[2].object_key.clone(); // segment 5
    log.remote().delete(&lost).unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        assert_eq!(rec.payload, format!("r{}", rec.seq).as_bytes());
        seqs.push(rec.seq);
    }
    let want: Vec<u64> = (3 * PER..5 * PER).chain(6 * PER..8 * PER).collect();
    assert_eq!(seqs, want);
    let gaps = r.gaps();
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    assert_eq!(gaps[0].reason, GapReason::Retention, "{}", gaps[0]);
    assert_eq!((gaps[0].from_seq, gaps[0].to_seq), (Some(0), Some(3 * PER)));
    assert!(gaps[0]
        .path
        .to_str()
        .unwrap()
        .starts_with("s3://logs/gaps/orders/0000"));
    assert!(
        gaps[0].to_string().contains("removed by retention"),
        "{}",
        gaps[0]
    );
    assert_eq!(gaps[1].reason, GapReason::Missing, "{}", gaps[1]);
    assert_eq!(
        (gaps[1].from_seq, gaps[1].to_seq),
        (Some(5 * PER), Some(6 * PER))
    );
    assert!(gaps[1]
        .path
        .to_str()
        .unwrap()
        .contains("00000000000000000005-"));
}

/// A claim as a pruner that started `age` ago would hold.
fn put_claim(log: &RemoteLog, prefix: &str, age: Duration) {
    let since = std::time::SystemTime::now() - age;
    let ms = since
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let body = format!("binlog-prune-claim 1\nby pid 1 on elsewhere\nsince {ms}\n");
    let key = format!("{prefix}/orders/prune-claim-{:020}", 0);
    log.remote()
        .put_create_plain(&key, body.into_bytes())
        .unwrap();
}

#[test]
fn a_second_pruner_refuses_on_the_claim_and_a_stale_claim_is_taken_over() {
    let server = S3Server::start(&["logs"]);
    let _dir = shipped(&server, "claimed", 5, |_| now_ns());
    let log = remote_log(&server, "claimed");
    put_claim(&log, "claimed", Duration::from_secs(5));
    let e = log.prune(&keep(2)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Locked, "{e}");
    assert!(
        e.message()
            .contains("s3://logs/claimed/orders/prune-claim-"),
        "{e}"
    );
    assert_eq!(listed(&log).len(), 5, "nothing pruned");
    // Stale after a second: the claim of a pruner taken for dead.
    let stale = PruneOptions {
        stale_claim_after: Duration::from_secs(1),
        ..keep(2)
    };
    log.prune(&stale).unwrap();
    assert_eq!(listed(&log), vec![3, 4]);
    let left: Vec<String> = log
        .remote()
        .list("claimed/orders/")
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .filter(|n| n.starts_with("prune-claim-"))
        .collect();
    assert!(left.is_empty(), "claims left: {left:?}");
}

#[test]
fn two_pruners_at_once_never_both_prune() {
    let server = S3Server::start(&["logs"]);
    let _dir = shipped(&server, "race", 10, |_| now_ns());
    let barrier = Arc::new(std::sync::Barrier::new(2));
    let results: Vec<_> = (0..2)
        .map(|_| {
            let (log, b) = (remote_log(&server, "race"), Arc::clone(&barrier));
            std::thread::spawn(move || {
                b.wait();
                log.prune(&keep(4))
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    for r in &results {
        if let Err(e) = r {
            assert_eq!(e.kind(), ErrorKind::Locked, "{e}");
        }
    }
    assert!(results.iter().any(|r| r.is_ok()), "{results:?}");
    assert_eq!(listed(&remote_log(&server, "race")), vec![6, 7, 8, 9]);
}

#[test]
fn the_shipper_prunes_after_its_uploads_and_never_uploads_a_pruned_segment_again() {
    let server = S3Server::start(&["logs"]);
    let dir = shipped(&server, "ship", 6, |_| now_ns());
    let to = Location::parse("s3://logs/ship").unwrap();
    let opts = || ShipOptions {
        connection: server.connection(),
        remote_retention: keep(2),
        ..ShipOptions::default()
    };
    let mut s = Shipper::open(dir.path(), "orders", &to, opts()).unwrap();
    let report = s.ship_once().unwrap();
    assert_eq!(report.pruned, vec![0, 1, 2, 3]);
    drop(s);
    // The journal lost: the startup scan rebuilds it from the bucket,
    // and the local segments the bucket pruned stay pruned.
    std::fs::remove_file(dir.join("orders.ship")).unwrap();
    let mut s = Shipper::open(dir.path(), "orders", &to, opts()).unwrap();
    let report = s.ship_once().unwrap();
    assert!(report.uploaded.is_empty(), "{report:?}");
    assert_eq!(listed(&remote_log(&server, "ship")), vec![4, 5]);
    // Another pruner at work: the pass ships and leaves pruning to it.
    put_claim(&remote_log(&server, "ship"), "ship", Duration::ZERO);
    let report = s.ship_once().unwrap();
    assert!(report.pruned.is_empty(), "{report:?}");
}

/// The `binlog` tool.
fn binlog() -> Command {
    Command::new(crate::common::cli::tool())
}

#[test]
fn binlog_remote_prune_prints_what_it_deleted_and_cat_reads_what_is_kept() {
    let server = S3Server::start(&["logs"]);
    let _dir = shipped(&server, "cli", 5, |_| now_ns());
    let prune = |extra: &[&str]| {
        binlog()
            .args(["remote", "prune", "s3://logs/cli", "--log", "orders"])
            .args(extra)
            .envs(server.env())
            .output()
            .unwrap()
    };
    let usage = prune(&[]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&usage.stderr).contains("--keep-count"));
    let dry = prune(&["--keep-count", "2", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0));
    let text = String::from_utf8_lossy(&dry.stdout);
    assert_eq!(text.matches("would delete segment").count(), 3, "{text}");
    let out = prune(&["--keep-count", "2"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("deleted segment 0 "), "{text}");
    assert!(
        text.contains("kept 2 objects; pruned: segments up to 2"),
        "{text}"
    );
    let cat = binlog()
        .args(["cat", "s3://logs/cli/orders"])
        .envs(server.env())
        .output()
        .unwrap();
    assert_eq!(cat.status.code(), Some(0), "{cat:?}");
    let text = String::from_utf8_lossy(&cat.stdout);
    assert!(
        !text.contains("r8") && text.contains("r9") && text.contains("r14"),
        "{text}"
    );
    // Held by another pruner: refused, exit 2, naming the claim.
    put_claim(&remote_log(&server, "cli"), "cli", Duration::ZERO);
    let locked = prune(&["--keep-count", "1"]);
    assert_eq!(locked.status.code(), Some(2));
    let err = String::from_utf8_lossy(&locked.stderr);
    assert!(err.contains("s3://logs/cli/orders/prune-claim-"), "{err}");
    assert_eq!(listed(&remote_log(&server, "cli")), vec![3, 4]);
}

/// How many kills of a prune the test makes (`BINLOG_PRUNE_KILLS`, 100).
fn kills() -> u64 {
    std::env::var("BINLOG_PRUNE_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

/// Copies prefix `from` of bucket `logs` to `to` on the server's disk
/// (each object a file, its metadata in extended attributes).
fn copy_prefix(server: &S3Server, from: &str, to: &str) {
    let root = server.root.join("logs");
    let ok = Command::new("cp")
        .arg("-a")
        .arg(root.join(from))
        .arg(root.join(to))
        .status()
        .unwrap();
    assert!(ok.success());
}

/// `binlog remote prune` of `s3://logs/<prefix>` run under strace,
/// killed (SIGKILL) at its `n`th call of `call` (strace counts each
/// system call apart): at `connect`, before its `n`th request is sent
/// (each request has a connection of its own); at `recvfrom`, once the
/// server did its `n`th request, before the answer is read. True if it
/// was killed, false if it ran to its end first.
fn prune_killed_at(server: &S3Server, prefix: &str, call: &str, n: u64) -> bool {
    let url = format!("s3://logs/{prefix}");
    let out = Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null", "-e"])
        .arg(format!("inject={call}:signal=KILL:when={n}"))
        .arg(crate::common::cli::tool())
        .args([
            "remote",
            "prune",
            &url,
            "--log",
            "orders",
            "--keep-count",
            "3",
        ])
        .envs(server.env())
        .output()
        .unwrap();
    if out.status.success() {
        return false;
    }
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(9), "{out:?}");
    true
}

/// How many requests a whole prune of `prefix` sends: its `connect`
/// calls (each request has a connection of its own). Each makes at least
/// one `recvfrom` too (more when its answer comes in parts).
fn requests(server: &S3Server, prefix: &str) -> u64 {
    let trace = TempDir::new("prune-trace");
    let file = trace.join("trace");
    let ok = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=connect", "-o"])
        .arg(&file)
        .arg(crate::common::cli::tool())
        .args([
            "remote",
            "prune",
            &format!("s3://logs/{prefix}"),
            "--log",
            "orders",
        ])
        .args(["--keep-count", "3"])
        .envs(server.env())
        .status()
        .unwrap();
    assert!(ok.success());
    let text = std::fs::read_to_string(&file).unwrap();
    text.lines().filter(|l| l.contains("connect(")).count() as u64
}

#[test]
fn a_prune_killed_anywhere_leaves_no_hole_and_a_rerun_finishes_it() {
    // Each run prunes a copy of the log's objects made on versitygw's
    // disk (MinIO keeps no object as a file of its own).
    if common::s3::is_minio() {
        return;
    }
    let server = S3Server::start(&["logs"]);
    let segments = 10;
    let _dir = shipped(&server, "base", segments, |_| now_ns());
    let all: Vec<u64> = (0..segments).collect();
    copy_prefix(&server, "base", "measure");
    let requests = requests(&server, "measure");
    assert!(requests > 10, "{requests} requests");
    eprintln!("a prune of 10 objects to 3 sends {requests} requests");
    assert_eq!(listed(&remote_log(&server, "measure")), vec![7, 8, 9]);
    let mut rng = common::Rng::from_env(46);
    let mut killed = 0;
    for i in 0..kills() {
        let prefix = format!("k{i}");
        copy_prefix(&server, "base", &prefix);
        let log = remote_log(&server, &prefix);
        let call = ["connect", "recvfrom"][rng.below(2) as usize];
        let n = 1 + rng.below(requests);
        if prune_killed_at(&server, &prefix, call, n) {
            killed += 1;
        }
        // A suffix of the objects is left, every record of it readable.
        let left = listed(&log);
        assert_eq!(
            left,
            all[all.len() - left.len()..],
            "kill {i} at {call} {n}: a hole"
        );
        assert!(left.len() >= 3, "kill {i}: {left:?}");
        let (records, gaps) = read_all(&log);
        assert_eq!(
            records,
            records_of(left[0], segments),
            "kill {i} at {call} {n}"
        );
        assert!(gaps.is_empty(), "kill {i}: {gaps:?}");
        // The rerun (the claim the killed one left taken over as stale).
        let rerun = PruneOptions {
            stale_claim_after: Duration::ZERO,
            ..keep(3)
        };
        log.prune(&rerun)
            .unwrap_or_else(|e| panic!("kill {i} at {call} {n}: rerun: {e}"));
        assert_eq!(listed(&log), vec![7, 8, 9], "kill {i} at {call} {n}");
        assert_eq!(read_all(&log), (records_of(7, segments), vec![]));
        assert_eq!(log.pruned_through().unwrap(), Some(6));
    }
    assert_eq!(killed, kills(), "every run is killed before its end");
}

#[test]
fn a_delete_refused_stops_the_prune_naming_the_object_and_the_endpoint() {
    // versitygw gives no read-only user without its IAM setup: the proxy
    // answers a DELETE of segment 1 as S3 answers credentials that may
    // not delete (403 AccessDenied).
    let server = S3Server::start(&["logs"]);
    let _dir = shipped(&server, "denied", 5, |_| now_ns());
    let proxy = Proxy::start(server.port);
    proxy.add(Fault {
        method: "DELETE",
        path_part: "00000000000000000001-".into(),
        action: Action::Answer403,
        times: usize::MAX,
    });
    let at = Location::parse("s3://logs/denied").unwrap();
    let c = binlog::archive::Connection {
        endpoint: Some(proxy.endpoint()),
        ..server.connection()
    };
    let log = RemoteLog::new(Arc::new(Remote::connect(&at, &c).unwrap()), "orders").unwrap();
    let e = log.prune(&keep(1)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    let m = e.message();
    assert!(
        m.contains("s3://logs/denied/orders/00000000000000000001-"),
        "{m}"
    );
    assert!(
        m.contains(&proxy.endpoint()) && m.contains("AccessDenied"),
        "{m}"
    );
    // Segment 0 went; nothing after the refused one.
    let direct = remote_log(&server, "denied");
    assert_eq!(listed(&direct), vec![1, 2, 3, 4]);
    // Every record left reads; a rerun with the permission finishes.
    assert_eq!(read_all(&direct), (records_of(1, 5), vec![]));
    let rerun = PruneOptions {
        stale_claim_after: Duration::ZERO,
        ..keep(1)
    };
    direct.prune(&rerun).unwrap();
    assert_eq!(listed(&direct), vec![4]);
}

#[test]
fn remote_ls_of_a_prefix_holding_a_pruned_log_lists_it_and_exits_0() {
    let server = S3Server::start(&["logs"]);
    let _dir = shipped(&server, "fleet", 5, |_| now_ns());
    let log = remote_log(&server, "fleet");
    assert_eq!(log.prune(&keep(2)).unwrap().pruned_through, Some(2));
    // A pruner's claim left behind (its pruner killed) is the log's too.
    put_claim(&log, "fleet", Duration::from_secs(5));
    let ls = binlog()
        .args(["remote", "ls", "s3://logs/fleet"])
        .envs(server.env())
        .output()
        .unwrap();
    assert!(ls.status.success(), "{ls:?}");
    assert!(ls.stderr.is_empty(), "{ls:?}");
    let text = String::from_utf8_lossy(&ls.stdout);
    let rows = common::remote::ls_rows(&text);
    assert_eq!(rows.len(), 1, "{text}");
    assert_eq!(&rows[0][..4], ["orders", "2", "9", "14"], "{text}");
}
