//! `binlog ship` against a real S3-compatible server (versitygw on
//! 127.0.0.1): what it prints and its exit status, and SIGKILLed at random
//! moments while the log grows and its segments are compressed between
//! runs: no segment is ever missing both locally and from the bucket, no
//! object ever holds other bytes than its segment (none is overwritten),
//! the journal is always whole, and a final run ships everything.
//! `BINLOG_SHIP_KILLS` sets the number of kills (default 30). A shipper
//! is also killed right after each step of an upload and of a removal
//! (`ShipOptions::on_step`), for single and multipart uploads;
//! `BINLOG_SHIP_STEP_ROUNDS` sets how many times (default 5). A log with a
//! salvaged file (as a writer's recovery or `binlog repair` leaves one) is
//! shipped by runs killed at random moments too (`BINLOG_SHIP_KILLS` / 6
//! of them), each followed by a run to the end: the salvaged object is
//! there once, with the file's bytes.

use crate::common;

use binlog::archive::multipart::Upload;
use binlog::archive::object_name::{log_prefix, parse_object_key, segment_key};
use binlog::archive::{Location, Remote, ShipOptions, Shipper, Step};
use binlog::log::ship_journal::{journal_path, Journal};
use binlog::{compress_segment, CompressOptions};
use binlog::{list_segments, SegmentState};
use common::s3::S3Server;
use common::shipping::{assert_child_killed, killed_after_step, log_with_a_salvaged_file};
use common::{knob, Rng, TempDir};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const BUCKET: &str = "logs";

/// Appends `n` records to log `orders` in `dir`, `per` a segment, and
/// closes it (its last segment sealed); returns the plain bytes of every
/// sealed segment not in `known` yet, by segment number.
fn grow(dir: &Path, n: u64, per: u64, known: &mut BTreeMap<u64, Vec<u8>>) {
    common::append_orders(dir, n, per);
    for l in list_segments(dir, "orders").unwrap() {
        if l.state == SegmentState::Sealed && !l.is_compressed() {
            known
                .entry(l.segment_no)
                .or_insert_with(|| std::fs::read(&l.path).unwrap());
        }
    }
}

fn ship(server: &S3Server, dir: &Path, extra: &[&str]) -> Command {
    ship_to(server, dir, &format!("s3://{BUCKET}/kill"), extra)
}

fn ship_to(server: &S3Server, dir: &Path, to: &str, extra: &[&str]) -> Command {
    let mut c = Command::new(crate::common::cli::tool());
    c.arg("ship")
        .arg(dir)
        .args(["--log", "orders", "--to", to])
        .args(["--retry-timeout", "5"])
        .args(extra)
        .envs(server.env())
        .stdin(Stdio::null());
    c
}

/// The plain bytes of an object (decompressed if it is a `.binlog.zst`).
fn plain(bytes: Vec<u8>, compressed: bool) -> Vec<u8> {
    if !compressed {
        return bytes;
    }
    let mut out = Vec::new();
    zstd::stream::read::Decoder::new(&bytes[..])
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// A client of `s3://BUCKET/kill`, where the shippers of these tests ship.
fn kill_bucket(server: &S3Server) -> Remote {
    bucket_at(server, "kill")
}

fn bucket_at(server: &S3Server, prefix: &str) -> Remote {
    Remote::connect(
        &Location::parse(&format!("s3://{BUCKET}/{prefix}")).unwrap(),
        &server.connection(),
    )
    .unwrap()
}

/// Checks the invariants after a kill: every segment ever sealed is local
/// or in the bucket; every object holds exactly its segment's bytes; the
/// journal, if there is one, is whole.
fn check(server: &S3Server, dir: &Path, known: &BTreeMap<u64, Vec<u8>>, ctx: &str) -> usize {
    check_at(server, "kill", dir, known, ctx)
}

/// `check` of a shipment to `s3://BUCKET/<at>`.
fn check_at(
    server: &S3Server,
    at: &str,
    dir: &Path,
    known: &BTreeMap<u64, Vec<u8>>,
    ctx: &str,
) -> usize {
    let remote = bucket_at(server, at);
    let prefix = log_prefix(at, "orders");
    let mut in_bucket = BTreeMap::new();
    for o in remote.list(&prefix).unwrap() {
        if let Some(k) = parse_object_key(&o.name).filter(|k| k.salvaged.is_none()) {
            let bytes = remote.get(&format!("{prefix}{}", o.name)).unwrap().unwrap();
            let original = known
                .get(&k.segment_no)
                .unwrap_or_else(|| panic!("{ctx}: unknown object {}", o.name));
            assert!(
                plain(bytes, k.compressed) == *original,
                "{ctx}: object {} holds other bytes",
                o.name
            );
            assert!(
                in_bucket.insert(k.segment_no, o.name).is_none(),
                "{ctx}: two objects of one segment"
            );
        }
    }
    let local: Vec<u64> = list_segments(dir, "orders")
        .unwrap()
        .iter()
        .map(|l| l.segment_no)
        .collect();
    for segno in known.keys() {
        assert!(
            local.contains(segno) || in_bucket.contains_key(segno),
            "{ctx}: segment {segno} is neither local nor in the bucket"
        );
    }
    let jp = journal_path(dir, "orders");
    if let Ok(text) = std::fs::read_to_string(&jp) {
        Journal::decode(&text, &jp).unwrap_or_else(|e| panic!("{ctx}: {e}"));
    }
    in_bucket.len()
}

#[test]
fn binlog_ship_prints_each_segment_and_a_second_run_nothing() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("ship-cli");
    let mut known = BTreeMap::new();
    grow(dir.path(), 30, 10, &mut known);
    let out = ship(&server, dir.path(), &[]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(
        lines[0],
        format!("uploaded segment 0 of orders to s3://{BUCKET}/kill")
    );
    let again = ship(&server, dir.path(), &["--keep-local", "1"])
        .output()
        .unwrap();
    assert!(again.status.success());
    let text = String::from_utf8_lossy(&again.stdout);
    assert_eq!(text, format!("removed local segment 0 (verified in s3://{BUCKET}/kill)\nremoved local segment 1 (verified in s3://{BUCKET}/kill)\n"));
    // A wrong destination is a usage error (exit 2), naming it.
    let bad = ship_to(&server, dir.path(), "http://x", &[])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("http://x"));
}

#[test]
fn a_shipper_killed_at_random_moments_loses_and_overwrites_nothing() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("ship-kill");
    let kills = knob("BINLOG_SHIP_KILLS", 30);
    let mut rng = Rng::from_env(29);
    let mut known = BTreeMap::new();
    grow(dir.path(), 40, 10, &mut known);
    // How many objects the bucket held after each kill: kills that fell
    // before, between and after uploads.
    let mut shipped_after_kill = Vec::new();
    for i in 0..kills {
        let mut child = ship(
            &server,
            dir.path(),
            &["--follow", "--interval", "0.01", "--keep-local", "2"],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        std::thread::sleep(Duration::from_millis(rng.below(400)));
        child.kill().unwrap();
        child.wait().unwrap();
        shipped_after_kill.push(check(&server, dir.path(), &known, &format!("kill {i}")));
        // The log goes on between runs: new segments, and a shipped or
        // unshipped one compressed.
        grow(dir.path(), 1 + rng.below(25), 10, &mut known);
        if rng.below(3) == 0 {
            let sealed: Vec<_> = list_segments(dir.path(), "orders")
                .unwrap()
                .into_iter()
                .filter(|l| l.state == SegmentState::Sealed && !l.is_compressed())
                .collect();
            if let Some(l) = sealed.get(rng.below(sealed.len().max(1) as u64) as usize) {
                compress_segment(&l.path, &CompressOptions::default()).unwrap();
            }
        }
    }
    eprintln!(
        "objects in the bucket after each kill: {shipped_after_kill:?} of {} segments",
        known.len()
    );
    ship_to_the_end(&server, dir.path(), &known, 2);
}

/// A `binlog ship --keep-local keep` run to the end: it succeeds, every
/// sealed segment is in the bucket, and the newest `keep` stay local.
fn ship_to_the_end(server: &S3Server, dir: &Path, known: &BTreeMap<u64, Vec<u8>>, keep: usize) {
    let out = ship(server, dir, &["--keep-local", &keep.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shipped = check(server, dir, known, "the final run");
    assert_eq!(
        shipped,
        known.len(),
        "every sealed segment is in the bucket"
    );
    let local = list_segments(dir, "orders").unwrap();
    assert_eq!(local.len(), keep, "the newest {keep} are kept: {local:?}");
}

/// The child of `a_shipper_killed_right_after_each_step_...`: the step,
/// which time it is reached, and `multipart` or `single`.
const STEP_CHILD_ENV: &str = "BINLOG_SHIPSTEP_CHILD";
const STEP_DIR_ENV: &str = "BINLOG_SHIPSTEP_DIR";
const STEP_TEST: &str = "a_shipper_killed_right_after_each_step_loses_and_overwrites_nothing";

/// In a child: ships log `orders` (keeping 1 sealed segment locally) and
/// kills itself with SIGKILL right after the `n`th time any segment
/// passes the step asked for; exits 0 if it never does.
fn run_step_child_if_asked() {
    let Ok(spec) = std::env::var(STEP_CHILD_ENV) else {
        return;
    };
    let f: Vec<&str> = spec.split(':').collect();
    let opts = ShipOptions {
        keep_local: Some(1),
        multipart_threshold: if f[2] == "multipart" { 0 } else { 64 << 20 },
        ..killed_after_step(f[0], f[1].parse().unwrap())
    };
    let dir = PathBuf::from(std::env::var(STEP_DIR_ENV).unwrap());
    let to = Location::parse(&format!("s3://{BUCKET}/kill")).unwrap();
    let mut shipper = Shipper::open(&dir, "orders", &to, opts).unwrap();
    shipper.ship_once().unwrap();
    std::process::exit(0);
}

/// Runs a child shipper of `dir` (see `run_step_child_if_asked`) that
/// kills itself after the `nth` time a segment passes `step`, uploading
/// `how` ("single" or "multipart"); asserts it was killed there.
fn kill_child_after(server: &S3Server, dir: &Path, step: Step, nth: u64, how: &str, ctx: &str) {
    let spec = format!("{step:?}:{nth}:{how}");
    let envs = [
        (STEP_CHILD_ENV, spec.as_ref()),
        (STEP_DIR_ENV, dir.as_os_str()),
    ];
    assert_child_killed(server, STEP_TEST, &envs, ctx);
}

#[test]
fn a_shipper_killed_right_after_each_step_loses_and_overwrites_nothing() {
    run_step_child_if_asked();
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("ship-step-kill");
    let rounds = knob("BINLOG_SHIP_STEP_ROUNDS", 5);
    let mut rng = Rng::from_env(31);
    let mut known = BTreeMap::new();
    grow(dir.path(), 40, 10, &mut known);
    for round in 0..rounds {
        for step in Step::ALL {
            for how in ["single", "multipart"] {
                // The first or second time: there are at least two new
                // sealed segments to upload, and two uploaded to remove.
                let nth = 1 + rng.below(2);
                if how == "single" && Step::MULTIPART.contains(&step) {
                    continue; // a step of multipart uploads only
                }
                let ctx = format!("round {round}, killed after {step:?} #{nth} ({how})");
                kill_child_after(&server, dir.path(), step, nth, how, &ctx);
                check(&server, dir.path(), &known, &ctx);
                grow(dir.path(), 20 + rng.below(15), 10, &mut known);
            }
        }
    }
    // A run to the end ships every segment and keeps the newest local.
    ship_to_the_end(&server, dir.path(), &known, 1);
}

/// A shipper killed in the middle of a multipart upload (after its
/// creation, after its id reached the journal, after a part) leaves an
/// unfinished upload on the server; the next shipper aborts it as it
/// starts (none is listed after its startup scan) and uploads the segment
/// once: one object holding its bytes.
#[test]
fn a_killed_multipart_upload_is_aborted_on_restart_and_its_segment_shipped_once() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("ship-multipart-kill");
    let remote = kill_bucket(&server);
    let prefix = log_prefix("kill", "orders");
    let mut known = BTreeMap::new();
    for step in Step::MULTIPART {
        grow(dir.path(), 20, 10, &mut known);
        let ctx = format!("killed after {step:?}");
        let before = check(&server, dir.path(), &known, &ctx);
        kill_child_after(&server, dir.path(), step, 1, "multipart", &ctx);
        let left = uploads_left(&remote, dir.path());
        assert_eq!(left.len(), 1, "{ctx}: {left:?}");
        let killed = parse_object_key(left[0].key.strip_prefix(&prefix).unwrap())
            .unwrap()
            .segment_no;
        assert_eq!(check(&server, dir.path(), &known, &ctx), before);
        let opts = ShipOptions {
            multipart_threshold: 0,
            connection: server.connection(),
            ..ShipOptions::default()
        };
        let to = Location::parse(&format!("s3://{BUCKET}/kill")).unwrap();
        let mut shipper = Shipper::open(dir.path(), "orders", &to, opts).unwrap();
        assert_eq!(uploads_left(&remote, dir.path()), [], "{ctx}");
        let report = shipper.ship_once().unwrap();
        assert!(report.uploaded.contains(&killed), "{ctx}: {report:?}");
        assert!(shipper.journal().multipart.is_empty(), "{ctx}");
        drop(shipper);
        assert_eq!(
            check(&server, dir.path(), &known, &ctx),
            known.len(),
            "{ctx}"
        );
        assert_eq!(uploads_left(&remote, dir.path()), [], "{ctx}");
    }
}

/// The multipart uploads in progress under the log's prefix: listed by
/// the prefix, and by the exact keys each local segment could have (MinIO
/// lists the uploads of one exact key only).
fn uploads_left(remote: &Remote, dir: &Path) -> Vec<Upload> {
    let mut found = remote
        .multipart_uploads(&log_prefix("kill", "orders"))
        .unwrap();
    for l in list_segments(dir, "orders").unwrap() {
        let Some(first) = l.first_seq else { continue };
        for compressed in [false, true] {
            let key = segment_key("kill", "orders", l.segment_no, first, compressed);
            for u in remote.multipart_uploads(&key).unwrap() {
                if u.key == key && !found.contains(&u) {
                    found.push(u);
                }
            }
        }
    }
    found
}

/// The salvaged objects under `s3://BUCKET/<at>`: each holds `bytes`;
/// their number.
fn salvaged_objects(server: &S3Server, at: &str, bytes: &[u8], ctx: &str) -> usize {
    let remote = bucket_at(server, at);
    let prefix = log_prefix(at, "orders");
    let mut n = 0;
    for o in remote.list(&prefix).unwrap() {
        if parse_object_key(&o.name).is_some_and(|k| k.salvaged.is_some()) {
            let got = remote.get(&format!("{prefix}{}", o.name)).unwrap().unwrap();
            assert!(
                got == bytes,
                "{ctx}: salvaged object {} holds other bytes",
                o.name
            );
            n += 1;
        }
    }
    n
}

/// After a final run: every line of the journal names an object of the
/// bucket of its size, and every object of the bucket is journaled or
/// below the journal's `through`.
fn assert_journal_agrees(server: &S3Server, at: &str, dir: &Path, ctx: &str) {
    let jp = journal_path(dir, "orders");
    let journal = Journal::decode(&std::fs::read_to_string(&jp).unwrap(), &jp).unwrap();
    let objects: BTreeMap<String, u64> = bucket_at(server, at)
        .list(&log_prefix(at, "orders"))
        .unwrap()
        .into_iter()
        .map(|o| (o.name, o.size))
        .collect();
    for e in &journal.entries {
        assert_eq!(
            objects.get(&e.object),
            Some(&e.bytes),
            "{ctx}: journal line {e:?}"
        );
    }
    for name in objects.keys() {
        let Some(k) = parse_object_key(name) else {
            continue;
        };
        let below = journal.through.is_some_and(|t| k.segment_no <= t);
        assert!(
            below || journal.entries.iter().any(|e| &e.object == name),
            "{ctx}: object {name} is not in the journal {journal:?}"
        );
    }
}

/// One shipment of a fresh log with a salvaged file to `s3://BUCKET/<at>`
/// (`--keep-local 0`), killed after `delay` (`None`: run to its end);
/// checks what the kill left; then a run to the end, and checks that it
/// shipped everything once. Returns how long the killed run lasted if it
/// ended first, and what the kill left (segments, salvaged objects).
fn ship_salvaged_killed(
    server: &S3Server,
    at: &str,
    delay: Option<Duration>,
) -> (Option<Duration>, (usize, usize)) {
    let ctx = format!("{at}, killed after {delay:?}");
    let dir = TempDir::new("ship-kill-salvaged");
    let (_, salvaged) = log_with_a_salvaged_file(dir.path());
    let salvaged_bytes = std::fs::read(&salvaged).unwrap();
    let mut known = BTreeMap::new();
    grow(dir.path(), 0, 10, &mut known);
    let to = format!("s3://{BUCKET}/{at}");
    let started = std::time::Instant::now();
    let mut child = ship_to(server, dir.path(), &to, &["--keep-local", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ended = loop {
        if let Some(st) = child.try_wait().unwrap() {
            assert!(st.success(), "{ctx}: {st}");
            break Some(started.elapsed());
        }
        if delay.is_some_and(|d| started.elapsed() >= d) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let _ = child.kill();
    child.wait().unwrap();
    let segments = check_at(server, at, dir.path(), &known, &ctx);
    let copies = salvaged_objects(server, at, &salvaged_bytes, &ctx);
    assert!(copies <= 1, "{ctx}: {copies} salvaged objects");
    assert!(
        salvaged.exists() || copies == 1,
        "{ctx}: the salvaged file is neither local nor in the bucket"
    );
    let out = ship_to(server, dir.path(), &to, &["--keep-local", "0"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{ctx}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        check_at(server, at, dir.path(), &known, &ctx),
        known.len(),
        "{ctx}"
    );
    assert_eq!(
        salvaged_objects(server, at, &salvaged_bytes, &ctx),
        1,
        "{ctx}"
    );
    assert!(
        !salvaged.exists(),
        "{ctx}: the salvaged file is still local"
    );
    assert_journal_agrees(server, at, dir.path(), &ctx);
    // The bucket alone reads every record but the one the damage took, once.
    let bucket = common::remote::remote_log(server, BUCKET, at, "orders");
    let mut r = binlog::LogReader::open_remote(bucket).unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        assert_eq!(
            rec.payload,
            format!("payload {}", rec.seq).as_bytes(),
            "{ctx}"
        );
        seqs.push(rec.seq);
    }
    let want: Vec<u64> = (0..40).filter(|&s| s != 24).collect();
    assert_eq!(seqs, want, "{ctx}");
    (ended, (segments, copies))
}

/// A shipper of a log with a salvaged file killed at random moments (up
/// to 1.25 times the longest run seen to its end, so that kills fall all
/// through it), then run to the end: the journal and the bucket agree,
/// every record is in the bucket once, the salvaged object once with the
/// file's bytes, nothing is left locally.
#[test]
fn a_shipper_killed_at_random_moments_ships_a_salvaged_file_once() {
    let server = S3Server::start(&[BUCKET]);
    let kills = knob("BINLOG_SHIP_KILLS", 30) / 6;
    let mut rng = Rng::from_env(37);
    let (took, _) = ship_salvaged_killed(&server, "salvaged-whole", None);
    let mut longest = took.expect("a run without a kill ends");
    eprintln!("a run to the end took {longest:?}");
    let mut left = Vec::new();
    for i in 0..kills {
        let span = longest.as_micros() as u64 * 5 / 4;
        let delay = Duration::from_micros(rng.below(span.max(1)));
        let (ended, after) = ship_salvaged_killed(&server, &format!("salvaged-{i}"), Some(delay));
        longest = longest.max(ended.unwrap_or_default());
        left.push(after);
    }
    eprintln!("segments and salvaged objects in the bucket after each kill: {left:?}");
}
