//! `binlog tail --consumer NAME` (goes on after the consumer's last commit,
//! commits after each batch printed), `--cursor-file FILE` (journalctl's
//! convention), both with `--merge`, and `binlog consumers` (list, `--json`,
//! `rm`). Helpers in tests/it/common/cli.rs.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use crate::common;
use common::cli::*;

/// Waits (up to a minute) until `cond` holds.
fn until(cond: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "waited a minute");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn tail(args: &[&str]) -> Vec<u64> {
    seqs_of_lines(&stdout_of(binlog().arg("tail").args(args)))
}

#[test]
fn tail_as_a_consumer_goes_on_after_what_it_printed_before() {
    let t = Tmp::new("tail-consumer");
    let dir = t.join("log");
    rolled_log(&dir, 12, 5);
    let d = dir.to_str().unwrap();
    // A new consumer starts where -n says, and commits what it printed.
    assert_eq!(
        tail(&["--consumer", "billing", "-n", "3", d]),
        vec![9, 10, 11]
    );
    assert_eq!(tail(&["--consumer", "billing", d]), Vec::<u64>::new());
    let w = common::open_rolling(&dir, "orders", 5);
    for _ in 0..4 {
        w.write("trade", b"more").unwrap();
    }
    w.close().unwrap();
    assert_eq!(tail(&["--consumer", "billing", d]), vec![12, 13, 14, 15]);
    // Another consumer is independent.
    assert_eq!(
        tail(&["--consumer", "audit", "-n", "100", d]),
        (0..16).collect::<Vec<_>>()
    );

    let listed = json_of(binlog().args(["consumers", d, "--json"]));
    let rows = listed.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["consumer"], "billing");
    assert_eq!(rows[1]["next_seq"], 16);
    assert_eq!(rows[1]["lag_records"], 0);
    let text = stdout_of(binlog().args(["consumers", d]));
    assert!(text.contains("orders\tbilling\t16\t0\t0\t"), "{text}");
    binlog()
        .args(["consumers", "rm", d, "billing"])
        .assert()
        .success();
    let rows = json_of(binlog().args(["consumers", d, "--json"]));
    assert_eq!(rows.as_array().unwrap().len(), 1);
    binlog()
        .args(["consumers", "rm", d, "billing"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("billing.consumer"));
}

/// A log whose segments are all gone (shipped with `--keep-local 0`, or
/// deleted) is still a log of its directory: its consumers are listed,
/// the one furthest behind too, lagging the end its manifest records.
#[test]
fn consumers_of_a_log_with_no_segment_left_are_listed() {
    let t = Tmp::new("consumers-no-segment");
    let dir = t.join("log");
    rolled_log(&dir, 12, 5);
    let mut c = binlog::Consumer::open(&dir, "orders", "behind", binlog::Start::First).unwrap();
    for _ in 0..4 {
        c.next().unwrap().unwrap();
    }
    c.commit().unwrap();
    drop(c);
    for seg in t_names(&dir) {
        std::fs::remove_file(seg).unwrap();
    }
    let rows = json_of(binlog().args(["consumers", dir.to_str().unwrap(), "--json"]));
    let row = |k: &str| rows[0][k].clone();
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
    assert_eq!(
        (row("log"), row("consumer")),
        ("orders".into(), "behind".into())
    );
    assert_eq!((row("next_seq"), row("lag_records")), (4.into(), 8.into()));
}

#[test]
fn tail_follow_as_a_consumer_commits_each_batch_and_a_second_one_is_locked() {
    let t = Tmp::new("tail-consumer-follow");
    let dir = t.join("log");
    rolled_log(&dir, 6, 5);
    let d = dir.to_str().unwrap();
    let mut child = crate::common::child::KillOnDrop(
        std::process::Command::new(crate::common::cli::tool())
            .args([
                "tail",
                "-f",
                "--consumer",
                "f",
                "-n",
                "0",
                "--poll-ms",
                "20",
                d,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (tx, lines) = std::sync::mpsc::channel();
    let out = BufReader::new(child.stdout.take().unwrap());
    std::thread::spawn(move || {
        out.lines()
            .map_while(Result::ok)
            .for_each(|l| drop(tx.send(l)))
    });
    // The consumer has committed its start (the end, 6) once the follow
    // opened: what is written after that is printed.
    until(|| {
        let rows = json_of(binlog().args(["consumers", d, "--json"]));
        rows.as_array()
            .is_some_and(|r| r.len() == 1 && r[0]["next_seq"] == 6)
    });
    let w = common::open_rolling(&dir, "orders", 5);
    for _ in 0..7 {
        w.write("trade", b"live").unwrap();
    }
    w.close().unwrap();
    let got: Vec<u64> = (0..7)
        .map(|_| {
            lines
                .recv_timeout(Duration::from_secs(60))
                .expect("a line within a minute")
        })
        .map(|l| seqs_of_lines(&l)[0])
        .collect();
    assert_eq!(got, (6..13).collect::<Vec<_>>());
    // Committed after the batch it printed.
    until(|| {
        let rows = json_of(binlog().args(["consumers", d, "--json"]));
        rows[0]["next_seq"] == 13
    });
    // What holds the name is said: another reader, not a writer.
    let refused = binlog()
        .args(["tail", "--consumer", "f", d])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    assert!(
        err.contains("f.consumer") && err.contains("consumer f is in use by another reader"),
        "{err}"
    );
    assert!(!err.contains("writer"), "{err}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn filters_a_commit_would_pass_unprinted_are_refused_with_a_consumer() {
    let t = Tmp::new("tail-consumer-filters");
    let dir = t.join("log");
    rolled_log(&dir, 3, 5);
    let d = dir.to_str().unwrap();
    for (flag, v) in [
        ("--until", "1h"),
        ("--since", "1h"),
        ("--to-seq", "1"),
        ("--from-seq", "1"),
    ] {
        binlog()
            .args(["tail", "--consumer", "c", flag, v, d])
            .assert()
            .code(2)
            .stderr(predicates::str::contains("--type can"));
    }
    assert!(
        !dir.join("c.consumer").exists(),
        "refused before the consumer was opened"
    );
    assert_eq!(
        tail(&["--consumer", "c", "--type", "trade", "-n", "100", d]),
        vec![1]
    );
}

#[test]
fn a_cursor_file_resumes_after_its_position_and_is_rewritten() {
    let t = Tmp::new("tail-cursor");
    let dir = t.join("log");
    rolled_log(&dir, 12, 5);
    let d = dir.to_str().unwrap();
    let cursor = t.join("orders.cursor");
    let c = cursor.to_str().unwrap();
    assert_eq!(tail(&["--cursor-file", c, "-n", "2", d]), vec![10, 11]);
    let token = std::fs::read_to_string(&cursor).unwrap();
    assert!(token.starts_with("binlog1:orders@12:"), "{token}");
    assert_eq!(tail(&["--cursor-file", c, d]), Vec::<u64>::new());
    std::fs::write(&cursor, "binlog1:orders@12:00000000\n").unwrap();
    binlog()
        .args(["tail", "--cursor-file", c, d])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("check"));
}

/// A damaged consumer file is an input the command cannot use, not damage
/// to the log: exit status 2, naming the file, for the listing and for a
/// read as that consumer.
#[test]
fn a_damaged_consumer_file_is_exit_status_2_naming_it() {
    let t = Tmp::new("consumer-damaged-file");
    let dir = t.join("log");
    rolled_log(&dir, 3, 5);
    std::fs::write(dir.join("billing.consumer"), vec![0xa5; 300]).unwrap();
    let d = dir.to_str().unwrap();
    for args in [
        vec!["consumers", d],
        vec!["tail", "--consumer", "billing", d],
    ] {
        binlog()
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains("binlog: error: "))
            .stderr(predicates::str::contains(
                "billing.consumer: offset 0: consumer file",
            ));
    }
}

/// A cursor file whose token is of another log (or names a log not
/// merged) is an input the command cannot use: exit status 2, naming the
/// cursor file; the log read is not damaged.
#[test]
fn a_cursor_file_of_another_log_is_exit_status_2_naming_it() {
    let t = Tmp::new("tail-cursor-other-log");
    let dir = t.join("log");
    rolled_log(&dir, 3, 5);
    let cursor = t.join("orders.cursor");
    let c = cursor.to_str().unwrap();
    assert_eq!(
        tail(&["--cursor-file", c, dir.to_str().unwrap()]),
        vec![0, 1, 2]
    );
    let other = t.join("other");
    let w = common::open_rolling(&other, "payments", 5);
    w.write("t", b"x").unwrap();
    w.close().unwrap();
    let o = other.to_str().unwrap();
    for (args, why) in [
        (vec!["tail", "--cursor-file", c, o], "not in log payments"),
        (
            vec!["tail", "--merge", "--cursor-file", c, o],
            "not merged here",
        ),
    ] {
        binlog()
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains(format!("binlog: error: {c}: ")))
            .stderr(predicates::str::contains(why));
    }
}

#[test]
fn tail_merge_as_a_consumer_keeps_a_position_in_each_log() {
    let t = Tmp::new("tail-merge-consumer");
    let dir = t.join("logs");
    for (log, n) in [("a", 3u64), ("b", 4)] {
        let w = common::open_rolling(&dir, log, 10);
        for i in 0..n {
            w.write("t", format!("{log}{i}").as_bytes()).unwrap();
        }
        w.close().unwrap();
    }
    let d = dir.to_str().unwrap();
    let first = stdout_of(binlog().args(["tail", "--merge", "--consumer", "m", d]));
    assert_eq!(first.lines().count(), 7, "{first}");
    let w = common::open_rolling(&dir, "b", 10);
    w.write("t", b"b4").unwrap();
    w.close().unwrap();
    let second = stdout_of(binlog().args(["tail", "--merge", "--consumer", "m", d]));
    assert_eq!(second.lines().count(), 1, "{second}");
    assert!(second.starts_with("b "), "{second}");
    let rows = json_of(binlog().args(["consumers", d, "--json"]));
    let positions: Vec<(String, u64)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["log"].as_str().unwrap().to_string(),
                r["next_seq"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(positions, [("a".to_string(), 3), ("b".to_string(), 5)]);
}
