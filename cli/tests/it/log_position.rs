//! A log's position never goes back (docs/FORMAT.md section 14a, "A log's
//! position"): the next segment number and sequence number survive every
//! way its segments are removed (shipped with `--keep-local 0`, retention,
//! deleted by hand), through the manifest, also with the shipper or the
//! writer killed (SIGKILL, real child processes) between any two steps.
//! The S3 tests run against a real versitygw on 127.0.0.1.

use crate::common;

use binlog::archive::{Location, ShipOptions, Shipper, Step};
use binlog::{list_segments, LogOptions, Retention};
use binlog::{ErrorKind, LogWriter};
use common::child::{kill_at_line, say};
use common::s3::S3Server;
use common::shipping::{assert_child_killed, killed_after_step};
use common::{damage_manifest, TempDir};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const BUCKET: &str = "logs";

fn binlog(server: &S3Server, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut c = Command::new(crate::common::cli::tool())
        .args(args)
        .envs(server.env())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that refuses before reading its input may close it first.
    match c.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        written => written.unwrap(),
    }
    c.wait_with_output().unwrap()
}

/// `binlog write DIR --log orders`, rolling every 250 records, of `n`
/// lines; its standard error.
fn cli_write(server: &S3Server, dir: &Path, n: u64) -> String {
    let lines: String = (0..n).map(|i| format!("line {i}\n")).collect();
    let d = dir.to_str().unwrap();
    let args = ["write", d, "--log", "orders", "--type", "e"];
    let out = binlog(
        server,
        &[&args[..], &["--max-segment-records", "250"]].concat(),
        &lines,
    );
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{err}");
    err
}

/// `binlog ship DIR --log orders --to s3://logs/pos --keep-local 0`.
fn cli_ship(server: &S3Server, dir: &Path) -> Output {
    let d = dir.to_str().unwrap();
    let to = format!("s3://{BUCKET}/pos");
    binlog(
        server,
        &[
            "ship",
            d,
            "--log",
            "orders",
            "--to",
            &to,
            "--keep-local",
            "0",
        ],
        "",
    )
}

/// The sequence numbers `binlog cat` prints, in order (the first field of
/// each line).
fn cat_seqs(server: &S3Server, what: &str) -> Vec<u64> {
    let out = binlog(server, &["cat", what], "");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect()
}

/// A server and a directory in which `binlog write` wrote 500 records
/// (segments 0 and 1), then `binlog ship --keep-local 0` shipped and
/// removed every segment.
fn shipped_and_removed(name: &str) -> (S3Server, TempDir) {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new(name);
    cli_write(&server, dir.path(), 500);
    let shipped = cli_ship(&server, dir.path());
    assert!(shipped.status.success(), "{shipped:?}");
    assert!(list_segments(dir.path(), "orders").unwrap().is_empty());
    (server, dir)
}

#[test]
fn binlog_write_after_every_segment_was_shipped_and_removed_goes_on_after_them() {
    let (server, dir) = shipped_and_removed("position-ship-cli");

    // Segment 2, after them, shipped after them.
    write_then_ship(&server, dir.path(), (3, 500), 2);
    // The manifest lost too: the ship journal holds the position.
    std::fs::remove_file(dir.join("orders.manifest")).unwrap();
    write_then_ship(&server, dir.path(), (2, 503), 3);
}

#[test]
fn a_ship_journal_rebuilt_after_every_segment_was_removed_holds_the_position_from_the_bucket() {
    let (server, dir) = shipped_and_removed("position-journal-rebuilt");
    // The manifest and the journal lost: the next run rebuilds the
    // journal from the bucket, whose last object (segment 1, 250 records
    // from 250 on) is all that says where the log ended.
    std::fs::remove_file(dir.join("orders.manifest")).unwrap();
    std::fs::remove_file(dir.join("orders.ship")).unwrap();
    let shipped = cli_ship(&server, dir.path());
    assert!(shipped.status.success(), "{shipped:?}");
    write_then_ship(&server, dir.path(), (3, 500), 2);
}

#[test]
fn a_shipped_log_with_only_a_damaged_manifest_goes_on_once_shipping_rebuilt_its_journal() {
    let (server, dir) = shipped_and_removed("position-damaged-manifest-shipped");
    std::fs::remove_file(dir.join("orders.ship")).unwrap();
    let (path, damaged) = damage_manifest(dir.path(), "orders");
    let d = dir.path().to_str().unwrap();
    let args = ["write", d, "--log", "orders", "--type", "e"];
    let refused = binlog(&server, &args, "x\n");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{err}");
    assert!(err.contains(path.to_str().unwrap()), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), damaged);
    // The way on: shipping rebuilds the journal, its position included.
    let shipped = cli_ship(&server, dir.path());
    assert!(shipped.status.success(), "{shipped:?}");
    write_then_ship(&server, dir.path(), (3, 500), 2);
}

/// `binlog write` of `n` records into the shipped log in `dir`, which must
/// number them from `first` in one new segment `segment_no`, then
/// `binlog ship`: the bucket then holds every record from 0 on, once.
fn write_then_ship(server: &S3Server, dir: &Path, (n, first): (u64, u64), segment_no: u64) {
    let err = cli_write(server, dir, n);
    let wrote = format!("wrote {n} records (seq {first}..{})", first + n - 1);
    assert!(err.contains(&wrote), "{err}");
    let segs = list_segments(dir, "orders").unwrap();
    assert_eq!(
        segs.iter().map(|s| s.segment_no).collect::<Vec<_>>(),
        [segment_no]
    );
    let shipped = cli_ship(server, dir);
    assert!(shipped.status.success(), "{shipped:?}");
    let all: Vec<u64> = (0..first + n).collect();
    assert_eq!(cat_seqs(server, "s3://logs/pos/orders"), all);
}

/// Log `orders` in `dir`, rolling every `per` records, without background
/// threads.
fn open(dir: &Path, per: u64, retention: Retention) -> LogWriter {
    let opts = LogOptions {
        max_segment_records: Some(per),
        background: false,
        retention,
        ..LogOptions::default()
    };
    LogWriter::open(dir, "orders", opts).unwrap()
}

/// Writes `n` records; returns the last one's sequence number.
fn write(w: &LogWriter, n: u64) -> u64 {
    (0..n)
        .map(|i| w.write("e", &i.to_le_bytes()).unwrap())
        .last()
        .unwrap()
}

/// Removes every segment file of log `orders` in `dir` (as a user would
/// by hand): the manifest stays.
fn delete_segments_by_hand(dir: &Path) {
    for s in list_segments(dir, "orders").unwrap() {
        std::fs::remove_file(&s.path).unwrap();
    }
}

/// (current segment number, next sequence number) of `w`.
fn at(w: &LogWriter) -> (u64, u64) {
    (
        w.current_segment().unwrap().segment_no,
        w.next_seq().unwrap(),
    )
}

/// What a child process of this test binary does (see
/// `run_child_if_asked`).
const CHILD_ENV: &str = "BINLOG_POSITION_CHILD";
const DIR_ENV: &str = "BINLOG_POSITION_DIR";
const MARK: &str = "POSITION: ";

/// In a child (`CHILD_ENV` set), does what it says and exits; in the
/// test process, nothing. `open:<n>` opens log `orders`, writes `n`
/// records, hands them to the OS and waits to be killed; `write` writes with retention keeping one sealed segment,
/// reporting each record handed to the OS, until killed;
/// `ship:<step>:<n>` ships with `--keep-local 0` and kills itself right
/// after the `n`th time a segment passes `step`.
fn run_child_if_asked() {
    let Ok(what) = std::env::var(CHILD_ENV) else {
        return;
    };
    let dir = PathBuf::from(std::env::var(DIR_ENV).unwrap());
    match what.split(':').collect::<Vec<_>>()[..] {
        ["open", n] => {
            let w = open(&dir, 10, Retention::default());
            if n != "0" {
                write(&w, n.parse().unwrap());
            }
            w.flush().unwrap();
            say(MARK, "OPENED");
            std::thread::sleep(Duration::from_secs(600));
        }
        ["write"] => write_until_killed(&dir),
        ["ship", step, nth] => ship_until_killed(&dir, step, nth.parse().unwrap()),
        _ => panic!("unknown child {what}"),
    }
    std::process::exit(0);
}

/// Runs test `test` of this binary as a child doing `what` in `dir`, and
/// kills it (SIGKILL) once it printed a line starting with `line`.
fn kill_child_at(test: &str, what: &str, dir: &Path, line: &str) -> Vec<String> {
    let envs = [(CHILD_ENV, what.as_ref()), (DIR_ENV, dir.as_os_str())];
    kill_at_line(test, &envs, MARK, line, &format!("{what}: {line}"))
}

#[test]
fn a_log_whose_segments_were_all_deleted_by_hand_goes_on_after_them_from_its_manifest() {
    run_child_if_asked();
    let dir = TempDir::new("position-by-hand");
    let w = open(dir.path(), 10, Retention::default());
    assert_eq!(write(&w, 35), 34);
    w.close().unwrap();
    delete_segments_by_hand(dir.path());
    // `first_seq` is a new log's: this one goes on where it was.
    let opts = LogOptions {
        max_segment_records: Some(10),
        background: false,
        first_seq: 1000,
        ..LogOptions::default()
    };
    let w = LogWriter::open(dir.path(), "orders", opts).unwrap();
    assert_eq!(at(&w), (4, 35));
    w.close().unwrap();
    // That close removed segment 4, which held no record; then a writer
    // killed right after it opened segment 4 again, which is removed by
    // hand: the manifest that writer wrote at open still holds the
    // position (its `next` line: segment 4, which held no record, at 35).
    assert!(list_segments(dir.path(), "orders").unwrap().is_empty());
    let test = "a_log_whose_segments_were_all_deleted_by_hand_goes_on_after_them_from_its_manifest";
    kill_child_at(test, "open:0", dir.path(), "OPENED");
    delete_segments_by_hand(dir.path());
    let w = open(dir.path(), 10, Retention::default());
    assert_eq!(at(&w), (4, 35));
    w.close().unwrap();

    // Without its manifest either, the directory holds nothing of the log:
    // a new log.
    delete_segments_by_hand(dir.path());
    std::fs::remove_file(dir.join("orders.manifest")).unwrap();
    let w = open(dir.path(), 10, Retention::default());
    assert_eq!(at(&w), (0, 0));
}

/// A directory in which log `orders` was written, 35 records in segments
/// of 10 (0 to 3), and closed.
fn written_and_closed(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    let w = open(dir.path(), 10, Retention::default());
    write(&w, 35);
    w.close().unwrap();
    dir
}

#[test]
fn a_damaged_manifest_that_is_the_only_record_of_the_position_is_refused_and_kept() {
    let dir = written_and_closed("position-damaged-manifest");
    delete_segments_by_hand(dir.path());
    let (path, damaged) = damage_manifest(dir.path(), "orders");
    let opts = LogOptions {
        background: false,
        ..LogOptions::default()
    };
    let e = LogWriter::open(dir.path(), "orders", opts.clone())
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    assert!(e.message().contains(path.to_str().unwrap()), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), damaged);
    assert!(list_segments(dir.path(), "orders").unwrap().is_empty());
    // The way out: the manifest moved aside, a new log numbered from
    // where the user says the old one ended.
    std::fs::rename(&path, dir.join("orders.manifest.damaged")).unwrap();
    let w = LogWriter::open(
        dir.path(),
        "orders",
        LogOptions {
            first_seq: 35,
            ..opts
        },
    )
    .unwrap();
    assert_eq!(at(&w), (0, 35));
}

#[test]
fn a_damaged_manifest_is_rewritten_where_segment_files_hold_the_position() {
    let dir = written_and_closed("position-damaged-manifest-segments");
    let (path, _) = damage_manifest(dir.path(), "orders");
    let w = open(dir.path(), 10, Retention::default());
    assert_eq!(at(&w), (4, 35));
    w.close().unwrap();
    let m = binlog::log::manifest::Manifest::load(&path).unwrap();
    assert_eq!(m.position().seq, 35);
}

/// Copies the segment files of log `orders` in `from` into `to`.
fn copy_segments(from: &Path, to: &Path) {
    for s in list_segments(from, "orders").unwrap() {
        std::fs::copy(&s.path, to.join(s.path.file_name().unwrap())).unwrap();
    }
}

#[test]
fn segments_put_back_from_an_older_backup_are_sealed_and_the_log_goes_on_after_its_position() {
    run_child_if_asked();
    let test =
        "segments_put_back_from_an_older_backup_are_sealed_and_the_log_goes_on_after_its_position";
    let dir = TempDir::new("position-backup");
    // A writer killed with segment 2 active, 5 records in it: backed up.
    kill_child_at(test, "open:25", dir.path(), "OPENED");
    let backup = TempDir::new("position-backup-copy");
    copy_segments(dir.path(), backup.path());
    let w = open(dir.path(), 10, Retention::default());
    assert_eq!(at(&w), (2, 25));
    write(&w, 30);
    w.close().unwrap();
    // The segments replaced by the backup's; the manifest stays.
    delete_segments_by_hand(dir.path());
    copy_segments(backup.path(), dir.path());
    let w = open(dir.path(), 10, Retention::default());
    assert_eq!(at(&w), (6, 55));
    drop(w);
    // Segment 6, holding no record, is removed at close.
    let listed = list_segments(dir.path(), "orders").unwrap();
    let sealed: Vec<(u64, binlog::SegmentState)> =
        listed.iter().map(|s| (s.segment_no, s.state)).collect();
    use binlog::SegmentState::Sealed;
    assert_eq!(sealed, [(0, Sealed), (1, Sealed), (2, Sealed)]);
}

#[test]
fn retention_then_the_newest_segment_deleted_by_hand_leave_the_log_where_it_was() {
    let dir = TempDir::new("position-retention");
    let w = open(dir.path(), 10, keep_one());
    assert_eq!(write(&w, 95), 94);
    w.close().unwrap();
    assert_eq!(list_segments(dir.path(), "orders").unwrap().len(), 1);
    delete_segments_by_hand(dir.path());
    let w = open(dir.path(), 10, keep_one());
    assert_eq!(at(&w), (10, 95));
}

fn keep_one() -> Retention {
    Retention {
        max_segments: Some(1),
        ..Retention::default()
    }
}

/// The child `write`: writes records to log `orders` in `dir`, rolling
/// every 10 and keeping one sealed segment, each handed to the OS before
/// `WROTE <seq> <segment number>` is printed, until killed.
fn write_until_killed(dir: &Path) {
    let w = open(dir, 10, keep_one());
    loop {
        let seq = w.write("e", b"x").unwrap();
        w.flush().unwrap();
        let no = w.current_segment().unwrap().segment_no;
        say(MARK, &format!("WROTE {seq} {no}"));
    }
}

/// The highest (segment number, sequence number) a killed `write` child
/// reported.
fn reported(lines: &[String]) -> (u64, u64) {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("WROTE "))
        .map(|l| {
            let f: Vec<u64> = l.split(' ').map(|n| n.parse().unwrap()).collect();
            (f[1], f[0])
        })
        .max()
        .unwrap()
}

#[test]
fn a_writer_killed_while_retention_removes_segments_reopens_after_every_record_it_wrote() {
    run_child_if_asked();
    let test =
        "a_writer_killed_while_retention_removes_segments_reopens_after_every_record_it_wrote";
    let dir = TempDir::new("position-retention-kill");
    // (the segment number and sequence number the log goes on at)
    let mut last = (0, 0);
    // Killed at a moment that moves through the rolls: the child keeps
    // writing after the line it is killed at.
    for (round, k) in [3u64, 9, 10, 11, 19, 20, 31, 44, 50, 61].iter().enumerate() {
        let line = format!("WROTE {} ", last.1 + k);
        let lines = kill_child_at(test, "write", dir.path(), &line);
        let first = lines.iter().find_map(|l| l.strip_prefix("WROTE "));
        let ctx = format!("round {round}, killed after {line:?}");
        assert!(
            first.is_some_and(|f| f.starts_with(&format!("{} ", last.1))),
            "{ctx}: {first:?}"
        );
        let (no, seq) = reported(&lines);
        let w = open(dir.path(), 10, keep_one());
        let (at_no, next) = at(&w);
        let ctx =
            format!("{ctx}: wrote up to seq {seq} in segment {no}, reopened at {at_no}, {next}");
        assert!(at_no >= no.max(last.0) && next > seq, "{ctx}");
        w.close().unwrap();
        // Every segment deleted by hand (the newest, holding no record,
        // was removed by that close): the manifest holds the position.
        delete_segments_by_hand(dir.path());
        last = (at_no, next);
    }
}

/// The child `ship:<step>:<n>`: ships log `orders` in `dir` to
/// s3://logs/kill, removing every verified local copy, and kills itself
/// right after the `nth` time a segment passes `step`; exits 0 if none
/// does.
fn ship_until_killed(dir: &Path, step: &str, nth: u64) {
    let opts = ShipOptions {
        keep_local: Some(0),
        ..killed_after_step(step, nth)
    };
    let to = Location::parse(&format!("s3://{BUCKET}/kill")).unwrap();
    let mut shipper = Shipper::open(dir, "orders", &to, opts).unwrap();
    shipper.ship_once().unwrap();
}

#[test]
fn a_shipper_killed_after_each_step_of_removing_segments_never_sets_the_log_back() {
    run_child_if_asked();
    let test = "a_shipper_killed_after_each_step_of_removing_segments_never_sets_the_log_back";
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("position-ship-kill");
    let w = open(dir.path(), 10, Retention::default());
    write(&w, 30);
    // (the next segment number, the next sequence number)
    let mut expect = (w.current_segment().unwrap().segment_no + 1, 30);
    w.close().unwrap();
    for step in [Step::ReadBack, Step::PositionRecorded, Step::RemovedLocally] {
        // Killed after the step for the oldest segment, and for the newest
        // (the last one removed).
        for newest in [false, true] {
            let local = list_segments(dir.path(), "orders").unwrap().len() as u64;
            let nth = if newest { local } else { 1 };
            let what = format!("ship:{step:?}:{nth}");
            let envs = [
                (CHILD_ENV, what.as_ref()),
                (DIR_ENV, dir.path().as_os_str()),
            ];
            assert_child_killed(&server, test, &envs, &what);
            let w = open(dir.path(), 10, Retention::default());
            assert_eq!(at(&w), expect, "killed after {step:?} #{nth} of {local}");
            write(&w, 25);
            expect = (w.current_segment().unwrap().segment_no + 1, expect.1 + 25);
            w.close().unwrap();
        }
    }
}
