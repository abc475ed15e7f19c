//! The `binlog` command-line tool, run as a built binary on real logs made
//! here with the Rust API: every command, filters, JSON shapes, exit codes
//! (0 clean, 1 damaged, 2 usage or I/O), damage made on purpose (torn tails,
//! mid-file corruption, broken seals) and what verify and repair do with it,
//! following a log a writer thread rolls, and a closed output pipe.

use binlog::{LogOptions, LogWriter, Options, Reader, Writer};
use predicates::prelude::*;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

mod common;
use common::cli::*;

// ------------------------------------------------------------ help, usage

#[test]
fn every_command_has_help_with_an_example() {
    binlog()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit status"))
        .stdout(predicate::str::contains("Examples:"));
    for cmd in [
        "info", "cat", "tail", "verify", "repair", "dump", "write", "stats",
    ] {
        binlog()
            .args([cmd, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Examples:"))
            .stdout(predicate::str::contains(format!("binlog {cmd}")));
    }
    binlog()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains("binlog"));
}

#[test]
fn usage_and_io_errors_exit_2_naming_the_problem() {
    let t = Tmp::new("usage");
    binlog().assert().code(2);
    binlog().args(["cat"]).assert().code(2);
    binlog().args(["frobnicate", "x"]).assert().code(2);
    binlog()
        .args(["cat", t.join("missing.binlog").to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.binlog"));
    let seg = t.join("a.binlog");
    sealed_segment(&seg, 3);
    let s = seg.to_str().unwrap();
    binlog()
        .args(["cat", s, "--json", "--payload", "raw"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--payload raw"));
    binlog()
        .args(["cat", s, "--since", "yesterday-ish"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--since"));
    binlog()
        .args(["cat", s, "--from-seq", "5", "--to-seq", "2"])
        .assert()
        .code(2);
    // Not a segment at all.
    let text = t.join("notes.txt");
    std::fs::write(&text, "hello, I am not a log").unwrap();
    binlog()
        .args(["cat", text.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("notes.txt"));
    binlog()
        .args(["verify", text.to_str().unwrap()])
        .assert()
        .code(2);
    // write needs a type.
    binlog()
        .args(["write", s])
        .write_stdin("x\n")
        .assert()
        .code(2);
}

/// A directory named as a segment of a log, where segment 1 was or as a
/// newest segment 3: every command that reads the log says so, naming it,
/// with exit status 2 (a file that is not a segment, as the library's
/// `InvalidArgument`), prints no record after it, and changes no file. The
/// commands used to leave it out of the listing without a word (`cat`
/// printed records 0..2 and 6..8, exit 0), while the library's log reader
/// and writer refuse it.
#[test]
fn a_directory_named_as_a_segment_of_a_log_is_an_error_naming_it() {
    for newest in [false, true] {
        let t = Tmp::new("segment-dir");
        rolled_log(&t.0, 9, 3);
        let segs: Vec<String> = t
            .names()
            .into_iter()
            .filter(|n| n.starts_with("orders-") && n.ends_with(".binlog"))
            .collect();
        assert_eq!(segs.len(), 3, "{segs:?}");
        let bad = if newest {
            t.join(&binlog::log::naming::segment_name("orders", 3, T0))
        } else {
            let p = t.join(&segs[1]);
            std::fs::remove_file(&p).unwrap();
            p
        };
        std::fs::create_dir(&bad).unwrap();
        let names = t.names();
        let dir = t.0.to_str().unwrap();
        let commands: [&[&str]; 9] = [
            &["cat", dir],
            &["cat", "--log", "orders", dir],
            &["tail", "-n", "100", dir],
            &[
                "tail", "-f", "-n", "100", "--to-seq", "1000", "--log", "orders", dir,
            ],
            &["info", dir],
            &["verify", dir],
            &["stats", dir],
            &["dump", dir],
            &["repair", dir],
        ];
        for args in commands {
            let out = binlog().args(args).output().unwrap();
            let (stdout, stderr) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            let what = format!("newest {newest}: binlog {}", args.join(" "));
            assert_eq!(out.status.code(), Some(2), "{what}: {stdout}{stderr}");
            let all = format!("{stdout}{stderr}");
            assert!(
                all.contains(&format!("{}: is a directory", bad.display())),
                "{what}: no message naming {}: {all}",
                bad.display()
            );
            if args[0] == "cat" && !newest {
                assert!(
                    !stdout.contains("payload 6"),
                    "{what}: printed records after it: {stdout}"
                );
            }
            assert_eq!(t.names(), names, "{what}: changed the directory");
        }
    }
}

/// A segment of a log that is a symbolic link to the file (moved to another
/// disk, say) is read like the file, as the library's log reader reads it:
/// the commands used to leave it out, so `cat` printed records 0..2 and
/// 6..8 with exit status 0.
#[test]
fn a_segment_that_is_a_symbolic_link_is_read() {
    let t = Tmp::new("segment-link");
    rolled_log(&t.0, 9, 3);
    let seg = t
        .names()
        .into_iter()
        .filter(|n| n.starts_with("orders-") && n.ends_with(".binlog"))
        .nth(1)
        .unwrap();
    let elsewhere = Tmp::new("segment-link-target");
    let moved = elsewhere.join(&seg);
    std::fs::rename(t.join(&seg), &moved).unwrap();
    std::os::unix::fs::symlink(&moved, t.join(&seg)).unwrap();
    let out = stdout_of(binlog().args(["cat", t.0.to_str().unwrap()]));
    assert_eq!(seqs_of_lines(&out), (0..9).collect::<Vec<u64>>(), "{out}");
    binlog()
        .args(["verify", t.0.to_str().unwrap()])
        .assert()
        .code(0);
}

// -------------------------------------------------------------------- info

#[test]
fn info_shows_header_state_counts_and_totals() {
    let t = Tmp::new("info");
    let seg = t.join("a.binlog");
    sealed_segment(&seg, 10);
    binlog()
        .args(["info", seg.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("sealed"))
        .stdout(predicate::str::contains("\"sample\""))
        .stdout(predicate::str::contains("10, seq 0..9"))
        .stdout(predicate::str::contains("2023-11-14T22:13:20.000000000Z"))
        .stdout(predicate::str::is_match(r"order\s+4 records").unwrap());
    let j = json_of(binlog().args(["info", "--json", seg.to_str().unwrap()]));
    let s0 = &j["segments"][0];
    assert_eq!(s0["state"], "sealed");
    assert_eq!(s0["header"]["log_name"], "sample");
    assert_eq!(s0["counts"]["records"], 10);
    assert_eq!(s0["counts"]["first_seq"], 0);
    assert_eq!(s0["counts"]["last_seq"], 9);
    assert_eq!(s0["counts"]["first_ts_ns"], T0);
    let types = s0["counts"]["types"].as_array().unwrap();
    let count = |n: &str| {
        types.iter().find(|t| t["type"] == n).unwrap()["records"]
            .as_u64()
            .unwrap()
    };
    assert_eq!((count("order"), count("trade"), count("quote")), (4, 3, 3));

    // An unsealed segment is scanned and said to be unsealed.
    let open = t.join("open.binlog");
    unsealed_segment(&open, 4);
    let j = json_of(binlog().args(["info", "--json", open.to_str().unwrap()]));
    assert_eq!(j["segments"][0]["state"], "unsealed");
    assert_eq!(j["segments"][0]["counts"]["records"], 4);

    // A log directory: per segment, and in total.
    let dir = t.join("log");
    rolled_log(&dir, 25, 10);
    let j = json_of(binlog().args(["info", "--json", dir.to_str().unwrap()]));
    assert_eq!(j["total"]["segments"], 3);
    assert_eq!(j["total"]["sealed"], 3);
    assert_eq!(j["total"]["counts"]["records"], 25);
    assert_eq!(j["total"]["counts"]["last_seq"], 24);
    binlog()
        .args(["info", dir.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("total: 3 segments, 3 sealed"));
}

// --------------------------------------------------------------------- cat

#[test]
fn cat_prints_readable_lines_and_json_lines() {
    let t = Tmp::new("cat");
    let seg = t.join("a.binlog");
    sealed_segment(&seg, 10);
    let s = seg.to_str().unwrap();
    let out = stdout_of(binlog().args(["cat", s]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 10);
    assert_eq!(lines[0], "0 2023-11-14T22:13:20.000000000Z order payload 0");
    assert_eq!(
        lines[1],
        "1 2023-11-14T22:13:21.000000000Z trade {venue=XLON} payload 1"
    );
    assert_eq!(
        lines[5],
        "5 2023-11-14T22:13:25.000000000Z quote hex:00ff01"
    );

    let j = json_lines(&stdout_of(binlog().args(["cat", s, "--json"])));
    assert_eq!(j.len(), 10);
    assert_eq!(j[1]["seq"], 1);
    assert_eq!(j[1]["type"], "trade");
    assert_eq!(j[1]["time"], "2023-11-14T22:13:21.000000000Z");
    assert_eq!(j[1]["ts_ns"], T0 + SEC);
    assert_eq!(j[1]["meta"]["venue"], "XLON");
    assert_eq!(j[1]["payload"], "payload 1");
    assert_eq!(j[1]["encoding"], "utf8");
    assert_eq!(j[5]["payload"], "00ff01");
    assert_eq!(j[5]["encoding"], "hex");
    assert_eq!(j[5]["size"], 3);

    let b64 = json_lines(&stdout_of(binlog().args([
        "cat",
        s,
        "--json",
        "--payload",
        "base64",
    ])));
    assert_eq!(b64[5]["payload"], "AP8B");
    assert_eq!(b64[5]["encoding"], "base64");
    let hex = stdout_of(binlog().args(["cat", s, "--payload", "hex", "--head", "1"]));
    assert!(hex.ends_with(" 7061796c6f61642030\n"), "{hex}");
    let raw = binlog()
        .args([
            "cat",
            s,
            "--payload",
            "raw",
            "--from-seq",
            "4",
            "--to-seq",
            "5",
        ])
        .output()
        .unwrap();
    assert_eq!(raw.stdout, b"payload 4\n\x00\xff\x01\n");
}

#[test]
fn cat_filters_by_type_sequence_time_head_and_tail() {
    let t = Tmp::new("filters");
    let dir = t.join("log");
    rolled_log(&dir, 30, 7); // five segments
    let d = dir.to_str().unwrap();
    let seqs = |args: &[&str]| {
        let mut full = vec!["cat", d];
        full.extend_from_slice(args);
        seqs_of_lines(&stdout_of(binlog().args(&full)))
    };
    assert_eq!(seqs(&[]), (0..30).collect::<Vec<_>>());
    assert_eq!(
        seqs(&["--type", "trade"]),
        (0..30).filter(|i| i % 3 == 1).collect::<Vec<_>>()
    );
    assert_eq!(
        seqs(&["--type", "trade", "--type", "quote"]),
        (0..30).filter(|i| i % 3 != 0).collect::<Vec<_>>()
    );
    assert_eq!(
        seqs(&["-t", "trade,quote"]),
        seqs(&["--type", "trade", "--type", "quote"])
    );
    assert_eq!(
        seqs(&["--from-seq", "12", "--to-seq", "16"]),
        vec![12, 13, 14, 15, 16]
    );
    assert_eq!(
        seqs(&[
            "--since",
            "2023-11-14T22:13:40Z",
            "--until",
            "2023-11-14T22:13:43Z"
        ]),
        vec![20, 21, 22]
    );
    assert_eq!(
        seqs(&["--since", "2023-11-14T23:13:45+01:00"]),
        (25..30).collect::<Vec<_>>()
    );
    assert_eq!(seqs(&["--head", "3"]), vec![0, 1, 2]);
    assert_eq!(seqs(&["--tail", "4"]), vec![26, 27, 28, 29]);
    assert_eq!(seqs(&["--tail", "3", "--type", "order"]), vec![21, 24, 27]);
    assert_eq!(seqs(&["--tail", "5", "--head", "2"]), vec![25, 26]);
    assert_eq!(seqs(&["--tail", "0"]), Vec::<u64>::new());
    // Relative times: the records are from 2023, so "the last hour" is empty.
    assert_eq!(seqs(&["--since", "1h"]), Vec::<u64>::new());
    assert_eq!(seqs(&["--until", "10m"]).len(), 30);
    // A list of files, in the order given.
    let mut files: Vec<String> = t_names(&dir);
    files.reverse();
    let mut args = vec!["cat".to_string()];
    args.extend(files.iter().cloned());
    let got = seqs_of_lines(&stdout_of(binlog().args(&args)));
    assert_eq!(got.len(), 30);
    assert_eq!(&got[..2], &[28, 29]);
}

fn t_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "binlog"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn cat_into_a_closed_pipe_exits_quietly_with_status_0() {
    let t = Tmp::new("pipe");
    let seg = t.join("big.binlog");
    let w = Writer::open(&seg, Options::default()).unwrap();
    let payload = vec![b'x'; 100];
    for _ in 0..300_000 {
        w.write("line", &payload).unwrap();
    }
    w.close().unwrap();
    let started = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_binlog"))
        .args(["cat", seg.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    for _ in 0..5 {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert!(line.contains(" line "), "{line}");
    }
    drop(out); // like `head` exiting
    let status = wait_with_deadline(&mut child, Duration::from_secs(30));
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {err}");
    assert_eq!(err, "", "nothing on stderr for a closed pipe");
    assert!(started.elapsed() < Duration::from_secs(30));
}

fn wait_with_deadline(
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

// ------------------------------------------------------------------ verify

#[test]
fn verify_a_clean_log_exits_0() {
    let t = Tmp::new("verify-clean");
    let dir = t.join("log");
    rolled_log(&dir, 20, 6);
    binlog()
        .args(["verify", dir.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "verify: clean: 4 segments, 20 records",
        ));
    let j = json_of(binlog().args(["verify", "--json", dir.to_str().unwrap()]));
    assert_eq!(j["clean"], true);
    assert_eq!(j["records"], 20);
    assert!(j["segments"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"] == "ok"));
    // An unsealed segment is not damage.
    let open = t.join("open.binlog");
    unsealed_segment(&open, 5);
    binlog()
        .args(["verify", open.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("unsealed"));
}

#[test]
fn verify_reports_a_torn_tail_with_file_and_offset() {
    let t = Tmp::new("verify-torn");
    let seg = t.join("torn.binlog");
    unsealed_segment(&seg, 8);
    let (last_off, _) = *frames(&seg).last().unwrap();
    let len = std::fs::metadata(&seg).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&seg)
        .unwrap()
        .set_len(len - 3)
        .unwrap();
    binlog()
        .args(["verify", seg.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "torn.binlog: offset {last_off}: torn-tail"
        )))
        .stdout(predicate::str::contains("DAMAGED"));
    let j = json_of(binlog().args(["verify", "--json", seg.to_str().unwrap()]));
    assert_eq!(j["clean"], false);
    let s = &j["segments"][0];
    assert_eq!(s["state"], "torn-tail");
    assert_eq!(s["records"], 7);
    assert_eq!(s["issues"][0]["kind"], "torn-tail");
    assert_eq!(s["issues"][0]["offset"], last_off);
    assert_eq!(s["issues"][0]["len"], len - 3 - last_off);
}

#[test]
fn verify_reports_mid_file_corruption_and_where_records_resume() {
    let t = Tmp::new("verify-mid");
    let seg = t.join("mid.binlog");
    sealed_segment(&seg, 10);
    let f = frames(&seg);
    let (bad, bad_len) = f[4];
    flip_byte(&seg, bad + bad_len - 1); // the last payload byte of seq 4
    binlog()
        .args(["verify", seg.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "mid.binlog: offset {bad}: corrupt: CRC mismatch"
        )))
        .stdout(predicate::str::contains(format!("up to offset {}", f[5].0)))
        .stdout(predicate::str::contains("sequence number 4 is missing"));
    let j = json_of(binlog().args(["verify", "--json", seg.to_str().unwrap()]));
    let i = &j["segments"][0]["issues"][0];
    assert_eq!(i["kind"], "corrupt");
    assert_eq!(i["offset"], bad);
    assert_eq!(i["resume"], f[5].0);
    // The other commands stop at the damage and say so, with status 1.
    binlog()
        .args(["cat", seg.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!("offset {bad}")));
    // info summarizes a sealed segment from its seal alone; an unsealed
    // one is scanned, and the damage found.
    let open = t.join("open.binlog");
    unsealed_segment(&open, 10);
    let (bad2, bad2_len) = frames(&open)[4];
    flip_byte(&open, bad2 + bad2_len - 1);
    binlog()
        .args(["info", open.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "corrupt: {}: offset {bad2}",
            open.display()
        )));
    binlog()
        .args(["dump", seg.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!("@{bad}")))
        .stdout(predicate::str::contains("bad-frame"))
        .stdout(predicate::str::contains(format!("next_record={}", f[5].0)));
}

#[test]
fn verify_checks_continuity_and_seals_across_a_log() {
    let t = Tmp::new("verify-log");
    let dir = t.join("log");
    rolled_log(&dir, 20, 5);
    let names = t_names(&dir);
    // A segment in the middle goes missing: records 5..9 are gone.
    std::fs::remove_file(&names[1]).unwrap();
    binlog()
        .args(["verify", dir.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("records 5..9 are missing"));
    // A broken seal in another one.
    let seg = PathBuf::from(&names[2]);
    let len = std::fs::metadata(&seg).unwrap().len();
    flip_byte(&seg, len - 40); // inside the seal directory
    let j = json_of(binlog().args(["verify", "--json", seg.to_str().unwrap()]));
    assert_eq!(j["segments"][0]["status"], "damaged");
    assert_eq!(j["segments"][0]["issues"][0]["kind"], "seal-damaged");
}

/// A segment of a log that a writer holds while newer segments follow it
/// (a log writer sealing a retired segment in the background, after a
/// roll) was reported as damage, "not sealed ... (its writer died)", and
/// verify exited 1 on a healthy live log.
#[test]
fn verify_notes_an_older_segment_a_writer_holds_instead_of_damage() {
    let t = Tmp::new("locked-older");
    rolled_log(&t.0, 10, 4);
    let first = t
        .names()
        .into_iter()
        .find(|n| n.ends_with(".binlog"))
        .unwrap();
    // Held and unsealed, as a segment a log rolls away from is between the
    // next segment's creation and the SEAL_BEGIN frame that closes its
    // records.
    leave_unsealed(&t.join(&first));
    let held = hold_lock(&t.join(&first));
    let out = binlog()
        .args(["verify", "--json", t.0.to_str().unwrap()])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    assert_eq!(v["clean"], true);
    let s = &v["segments"][0];
    assert_eq!(s["locked"], true);
    assert!(s["notes"].to_string().contains("writer has it open"), "{s}");
    // Repair leaves it alone and has nothing to do.
    let before = std::fs::read(t.join(&first)).unwrap();
    let out = binlog()
        .args(["repair", t.0.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    assert_eq!(std::fs::read(t.join(&first)).unwrap(), before);
    assert!(!t.names().iter().any(|n| n.contains(".backup-")));
    drop(held);
    // Once its writer is gone, an unsealed older segment is damage again.
    binlog()
        .args(["verify", t.0.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("not sealed"));
}

/// `cat`, `stats`, `tail` and `info` read a log's segments one after another: a
/// segment missing from the middle is reported (exit 1), as `verify` and
/// the library's `LogReader` do, unless the missing records lie outside
/// the sequence range asked for.
#[test]
fn cat_stats_tail_and_info_report_a_segment_missing_from_a_log() {
    let t = Tmp::new("cat-gap");
    let dir = t.join("log");
    rolled_log(&dir, 20, 5);
    let names = t_names(&dir);
    let d = dir.to_str().unwrap();
    // Intact: no report.
    for cmd in ["cat", "info", "stats"] {
        binlog()
            .args([cmd, d])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("missing").not())
            .stderr(predicate::str::contains("missing").not());
    }
    std::fs::remove_file(&names[1]).unwrap();
    let gap = "records 5..9 are missing before this segment";
    let out = binlog().args(["cat", d]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(gap) && err.contains(&names[2]), "{err}");
    // Every record that is there is still printed.
    let seqs = seqs_of_lines(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(seqs, (0..5).chain(10..20).collect::<Vec<u64>>());
    binlog()
        .args(["stats", d])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(gap));
    binlog()
        .args(["cat", d, "--tail", "12"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(gap));
    binlog()
        .args(["tail", "-n", "12", d])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(gap));
    // info says it in its totals (and --json), with exit status 1.
    binlog()
        .args(["info", d])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("missing     records 5..9, before"))
        .stderr(predicate::str::contains(gap));
    let out = binlog().args(["info", "--json", d]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let gaps = j["total"]["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 1, "{j}");
    assert_eq!(
        (gaps[0]["from_seq"].as_u64(), gaps[0]["to_seq"].as_u64()),
        (Some(5), Some(9))
    );
    assert_eq!(gaps[0]["before"], names[2].as_str());
    // A type filter reads the seals' indexes: the gap is still seen.
    binlog()
        .args(["cat", d, "--type", TYPES[0]])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(gap));
    // Ranges that do not reach the missing records: nothing to report.
    for range in [["--to-seq", "4"], ["--from-seq", "10"]] {
        binlog()
            .args(["cat", d])
            .args(range)
            .assert()
            .code(0)
            .stderr(predicate::str::contains("missing").not());
    }
    // A range that does: reported.
    binlog()
        .args(["cat", d, "--from-seq", "9", "--to-seq", "12"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(gap));
    // Segments of different logs, or standalone files, are not compared.
    let other = t.join("other.binlog");
    sealed_segment(&other, 3);
    binlog()
        .args(["cat", &names[0], other.to_str().unwrap()])
        .assert()
        .code(0);
}

// ------------------------------------------------------------------ repair

fn backups(t: &Tmp) -> Vec<String> {
    t.names()
        .into_iter()
        .filter(|n| n.contains(".backup-"))
        .collect()
}

#[test]
fn repair_backs_up_then_cuts_a_torn_tail_and_reseals() {
    let t = Tmp::new("repair-torn");
    let seg = t.join("torn.binlog");
    unsealed_segment(&seg, 8);
    let (last_off, _) = *frames(&seg).last().unwrap();
    let len = std::fs::metadata(&seg).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&seg)
        .unwrap()
        .set_len(len - 3)
        .unwrap();
    let damaged = std::fs::read(&seg).unwrap();

    // --dry-run says what it would do and changes nothing.
    binlog()
        .args(["repair", "--dry-run", seg.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "would cut the torn tail: {} bytes at offset {last_off}",
            len - 3 - last_off
        )))
        .stdout(predicate::str::contains("would back up"));
    assert_eq!(std::fs::read(&seg).unwrap(), damaged);
    assert_eq!(t.names(), vec!["torn.binlog".to_string()]);

    binlog()
        .args(["repair", seg.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("backed up"))
        .stdout(predicate::str::contains("now sealed and intact, 7 records"));
    let b = backups(&t);
    assert_eq!(b.len(), 1);
    assert_eq!(
        std::fs::read(t.join(&b[0])).unwrap(),
        damaged,
        "the backup is the file as it was"
    );
    assert!(t
        .names()
        .contains(&format!("torn.binlog.corrupt-{last_off}")));
    let r = Reader::open(&seg).unwrap();
    assert!(r.seal().is_some(), "resealed");
    assert_eq!(r.seal().unwrap().record_count, 7);
    assert_eq!(records(&seg).len(), 7);
    binlog()
        .args(["verify", seg.to_str().unwrap()])
        .assert()
        .success();
    // Nothing left to do.
    binlog()
        .args(["repair", seg.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("changed 0"));
    assert_eq!(backups(&t).len(), 1);
}

#[test]
fn repair_rewrites_missing_and_broken_seals() {
    let t = Tmp::new("repair-seal");
    let open = t.join("open.binlog");
    unsealed_segment(&open, 6);
    let broken = t.join("broken.binlog");
    sealed_segment(&broken, 6);
    let len = std::fs::metadata(&broken).unwrap().len();
    flip_byte(&broken, len - 40);
    binlog()
        .args(["verify", broken.to_str().unwrap()])
        .assert()
        .code(1);
    binlog()
        .args(["repair", t.0.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("changed 2, 0 left damaged"));
    for seg in [&open, &broken] {
        let r = Reader::open(seg).unwrap();
        assert_eq!(
            r.seal().map(|d| d.record_count),
            Some(6),
            "{}",
            seg.display()
        );
    }
    assert_eq!(backups(&t).len(), 2);
    binlog()
        .args(["verify", t.0.to_str().unwrap()])
        .assert()
        .success();
}

#[test]
fn repair_refuses_mid_file_corruption_without_salvage() {
    let t = Tmp::new("repair-refuse");
    let seg = t.join("mid.binlog");
    sealed_segment(&seg, 10);
    let (bad, bad_len) = frames(&seg)[4];
    flip_byte(&seg, bad + bad_len - 1);
    let before = std::fs::read(&seg).unwrap();
    binlog()
        .args(["repair", seg.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "corruption in the middle at offset {bad}: refused"
        )))
        .stdout(predicate::str::contains("--salvage"));
    assert_eq!(std::fs::read(&seg).unwrap(), before, "nothing changed");
    assert_eq!(
        t.names(),
        vec!["mid.binlog".to_string()],
        "no backup, no new file"
    );
}

/// Records missing between segments cannot be repaired: `repair` says so
/// and exits 1 (docs/CLI.md), also when every segment itself is healthy
/// (it exited 0 then, "0 left damaged") or needs a repair of its own.
#[test]
fn repair_exits_1_when_records_are_missing_between_healthy_segments() {
    let t = Tmp::new("repair-gap");
    let dir = t.join("log");
    rolled_log(&dir, 20, 5);
    let names = t_names(&dir);
    std::fs::remove_file(&names[1]).unwrap(); // records 5..9
    binlog()
        .args(["repair", dir.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("records 5..9 are missing"))
        .stdout(predicate::str::contains("not repairable"))
        .stdout(predicate::str::contains("1 left damaged"));
    // The segment after the gap also needs a repair (its seal is gone):
    // repaired, and the gap still reported.
    let after = PathBuf::from(&names[2]);
    let len = std::fs::metadata(&after).unwrap().len();
    flip_byte(&after, len - 40);
    binlog()
        .args(["repair", dir.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("REPAIR"))
        .stdout(predicate::str::contains("records 5..9 are missing"));
    binlog()
        .args(["verify", after.to_str().unwrap()])
        .assert()
        .code(0);
}

#[test]
fn repair_salvage_keeps_the_records_after_the_damage() {
    let t = Tmp::new("repair-salvage");
    let seg = t.join("mid.binlog");
    sealed_segment(&seg, 10);
    let original = records(&seg);
    let f = frames(&seg);
    let (bad, bad_len) = f[4];
    flip_byte(&seg, bad + bad_len - 1);
    let damaged = std::fs::read(&seg).unwrap();

    binlog()
        .args(["repair", "--salvage", "--dry-run", seg.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("would copy 5 records (seq 5..9"));
    assert_eq!(std::fs::read(&seg).unwrap(), damaged);

    binlog()
        .args(["repair", "--salvage", seg.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("salvaged 5 records (seq 5..9)"));
    let salvaged = t.join(&format!("mid.salvaged-{}.binlog", f[5].0));
    assert!(salvaged.exists(), "{:?}", t.names());
    assert_eq!(std::fs::read(t.join(&backups(&t)[0])).unwrap(), damaged);
    // The segment keeps the records before the damage, sealed.
    assert_eq!(records(&seg), original[..4].to_vec());
    assert!(Reader::open(&seg).unwrap().seal().is_some());
    // The new segment holds the ones after it, with their sequence numbers,
    // types, payloads, timestamps and metadata.
    assert_eq!(records(&salvaged), original[5..].to_vec());
    let j = json_lines(&stdout_of(binlog().args([
        "cat",
        "--json",
        salvaged.to_str().unwrap(),
    ])));
    assert_eq!(j[2]["seq"], 7);
    assert_eq!(j[2]["ts_ns"], T0 + 7 * SEC);
    assert_eq!(j[2]["meta"]["venue"], "XLON");
    assert_eq!(j[0]["payload"], "00ff01");
    let h = json_of(binlog().args(["info", "--json", salvaged.to_str().unwrap()]));
    assert_eq!(h["segments"][0]["header"]["log_name"], "sample");
    // Everything readable is clean now.
    binlog()
        .args(["verify", t.0.to_str().unwrap()])
        .assert()
        .success();
}

// -------------------------------------------------------------------- dump

#[test]
fn dump_shows_the_raw_framing() {
    let t = Tmp::new("dump");
    let seg = t.join("a.binlog");
    sealed_segment(&seg, 4);
    let f = frames(&seg);
    let out = stdout_of(binlog().args(["dump", seg.to_str().unwrap()]));
    assert!(out.contains("header"), "{out}");
    assert!(out.contains(&format!("@{:<10} record", f[1].0)), "{out}");
    assert!(
        out.contains("flags=0x31(record|defines-type|has-meta)"),
        "{out}"
    );
    assert!(out.contains("seq=1"), "{out}");
    assert!(
        out.contains("payload=[70 61 79 6c 6f 61 64 20 31]"),
        "{out}"
    );
    for part in [
        "seal-begin",
        "type-array",
        "sparse-index",
        "seal-dir",
        "trailer",
        "magic=BLGSEAL1",
    ] {
        assert!(out.contains(part), "{part} missing in {out}");
    }
    let j = json_lines(&stdout_of(binlog().args([
        "dump",
        "--json",
        seg.to_str().unwrap(),
    ])));
    assert_eq!(j[0]["what"], "header");
    assert_eq!(j[1]["what"], "record");
    assert_eq!(j[1]["offset"], f[0].0);
    assert_eq!(j[1]["len"], f[0].1);
    assert_eq!(j[1]["type"], "order");
    assert_eq!(j[1]["payload_len"], 9);
    assert_eq!(j.last().unwrap()["what"], "trailer");
    let limited = stdout_of(binlog().args([
        "dump",
        "--limit",
        "2",
        "--from-offset",
        &f[1].0.to_string(),
        seg.to_str().unwrap(),
    ]));
    assert!(
        limited.contains("seq=1") && limited.contains("seq=2") && !limited.contains("seq=3"),
        "{limited}"
    );
}

/// `dump --from-offset N` with N inside a record of a healthy segment
/// reported a bad frame there, skipped the valid records after it that
/// did not carry the header's first sequence number, and exited 1.
#[test]
fn dump_from_an_offset_inside_a_record_starts_at_the_next_record() {
    let t = Tmp::new("dump-from");
    let seg = t.join("a.binlog");
    sealed_segment(&seg, 10);
    // `binlog dump --json PATH --from-offset FROM`: its output, JSON lines
    // and the sequence numbers of the records shown.
    let dump = |path: &Path, from: u64| {
        let out = binlog()
            .args(["dump", "--json", path.to_str().unwrap()])
            .args(["--from-offset", &from.to_string()])
            .output()
            .unwrap();
        let lines = json_lines(&String::from_utf8(out.stdout.clone()).unwrap());
        let seqs: Vec<u64> = lines
            .iter()
            .filter(|l| l["what"] == "record")
            .map(|l| l["seq"].as_u64().unwrap())
            .collect();
        (out, lines, seqs)
    };
    let f = frames(&seg);
    let from = f[3].0 + 3;
    let (out, lines, seqs) = dump(&seg, from);
    let what: Vec<&str> = lines.iter().map(|l| l["what"].as_str().unwrap()).collect();
    assert!(!what.contains(&"bad-frame"), "{}", out_text(&out));
    assert_eq!(seqs, (4..10).collect::<Vec<_>>(), "{}", out_text(&out));
    // Type names are known although their definitions come before N.
    assert!(lines
        .iter()
        .filter(|l| l["what"] == "record")
        .all(|l| l["type"] != "?"));
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    // On a record boundary of an unsealed segment: the same records.
    let u = t.join("u.binlog");
    unsealed_segment(&u, 10);
    let f = frames(&u);
    let (out, _, seqs) = dump(&u, f[6].0 - 1);
    assert_eq!(seqs, (6..10).collect::<Vec<_>>(), "{}", out_text(&out));
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    // Real damage after the offset is still shown and still exits 1.
    let f = frames(&seg);
    flip_byte(&seg, f[7].0 + 12);
    let (out, lines, _) = dump(&seg, from);
    assert!(lines
        .iter()
        .any(|l| l["what"] == "bad-frame" && l["offset"] == f[7].0));
    assert_eq!(out.status.code(), Some(1), "{}", out_text(&out));
}

// ------------------------------------------------------------------- write

#[test]
fn write_from_stdin_then_cat() {
    let t = Tmp::new("write");
    let seg = t.join("w.binlog");
    let s = seg.to_str().unwrap();
    binlog()
        .args(["write", s, "--type", "greeting", "--meta", "from=test"])
        .write_stdin("hello\nworld\n\nlast line without newline")
        .assert()
        .success()
        .stderr(predicate::str::contains("wrote 4 records (seq 0..3)"));
    let out = stdout_of(binlog().args(["cat", s]));
    let payloads: Vec<&str> = out
        .lines()
        .map(|l| l.splitn(5, ' ').nth(4).unwrap())
        .collect();
    assert_eq!(
        payloads,
        vec!["hello", "world", "", "last line without newline"]
    );
    assert!(out.contains("greeting {from=test}"));

    // Appends continue the sequence; JSON objects carry type, meta, time
    // and payload in any encoding.
    let input = r#"{"type":"order","meta":{"venue":"XLON","qty":5},"payload":"buy","time":"2023-11-14T22:13:20Z"}
{"type":"blob","payload":"AP8B","encoding":"base64","ts_ns":42}
{"payload":{"id":1},"meta":[["k","v"]]}"#;
    binlog()
        .args(["write", s, "--json", "--type", "fallback"])
        .write_stdin(input)
        .assert()
        .success()
        .stderr(predicate::str::contains("wrote 3 records (seq 4..6)"));
    let j = json_lines(&stdout_of(binlog().args([
        "cat",
        s,
        "--json",
        "--from-seq",
        "4",
    ])));
    assert_eq!(j[0]["type"], "order");
    assert_eq!(j[0]["meta"]["qty"], "5");
    assert_eq!(j[0]["ts_ns"], T0);
    assert_eq!(j[1]["payload"], "00ff01");
    assert_eq!(j[1]["ts_ns"], 42);
    assert_eq!(j[2]["type"], "fallback");
    assert_eq!(j[2]["payload"], r#"{"id":1}"#);
    assert_eq!(j[2]["meta"]["k"], "v");
    assert!(
        Reader::open(&seg).unwrap().seal().is_some(),
        "closed and sealed"
    );

    // cat --json | write --json copies records (not their sequence numbers).
    let copy = t.join("copy.binlog");
    let dumped = stdout_of(binlog().args(["cat", s, "--json"]));
    binlog()
        .args(["write", copy.to_str().unwrap(), "--json"])
        .write_stdin(dumped.clone())
        .assert()
        .success();
    assert_eq!(
        stdout_of(binlog().args(["cat", copy.to_str().unwrap(), "--json"])),
        dumped
    );

    // Bad input: exit 2, naming the object.
    binlog()
        .args(["write", s, "--json"])
        .write_stdin("{\"type\":\"x\"}\n[1,2]\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("JSON object 2"));

    // Into a log directory, rolling.
    let dir = t.join("log");
    let lines: String = (0..25).map(|i| format!("event {i}\n")).collect();
    binlog()
        .args([
            "write",
            dir.to_str().unwrap(),
            "--log",
            "events",
            "--type",
            "e",
            "--max-segment-records",
            "10",
        ])
        .write_stdin(lines)
        .assert()
        .success();
    assert_eq!(t_names(&dir).len(), 3);
    let out = stdout_of(binlog().args(["cat", dir.to_str().unwrap(), "--tail", "1"]));
    assert!(
        out.starts_with("24 ") && out.trim_end().ends_with("event 24"),
        "{out}"
    );
}

/// Bad input (a line above the record size limit, a value that is not an
/// object, an object too large) stops the write with exit status 2, naming
/// the line or object; the records before it are written and the segment
/// is sealed.
#[test]
fn write_keeps_the_records_before_bad_input() {
    let t = Tmp::new("write-bad");

    let seg = t.join("e.binlog");
    let s = seg.to_str().unwrap();
    binlog()
        .args(["write", "--json", "--type", "t", s])
        .write_stdin("{\"payload\":\"a\"}\n{\"payload\":\"b\"}\n5\n{\"payload\":\"c\"}\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "standard input: JSON object 3: not an object",
        ))
        .stderr(predicate::str::contains("wrote 2 records (seq 0..1)"));
    let got: Vec<Vec<u8>> = records(&seg).into_iter().map(|r| r.2).collect();
    assert_eq!(got, vec![b"a".to_vec(), b"b".to_vec()]);
    assert!(Reader::open(&seg).unwrap().seal().is_some(), "sealed");

    // A line above --max-record-size: the lines before it are written, the
    // error names it, and nothing after it is read.
    let lines = t.join("l.binlog");
    let l = lines.to_str().unwrap();
    let input = format!("one\ntwo\n{}\nfour\n", "x".repeat(200));
    binlog()
        .args(["write", "--type", "t", "--max-record-size", "100", l])
        .write_stdin(input)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("standard input: line 3: "))
        .stderr(predicate::str::contains("maximum record size 100"))
        .stderr(predicate::str::contains("wrote 2 records (seq 0..1)"));
    let got: Vec<Vec<u8>> = records(&lines).into_iter().map(|r| r.2).collect();
    assert_eq!(got, vec![b"one".to_vec(), b"two".to_vec()]);
    assert!(Reader::open(&lines).unwrap().seal().is_some(), "sealed");

    // The same in a log directory, after more records than a batch holds,
    // and for a JSON object too large.
    let dir = t.join("log");
    let mut input: String = (0..1500)
        .map(|i| format!("{{\"payload\":\"r{i}\"}}\n"))
        .collect();
    input.push_str(&format!("{{\"payload\":\"{}\"}}\n", "y".repeat(500)));
    input.push_str("{\"payload\":\"after\"}\n");
    binlog()
        .args([
            "write",
            dir.to_str().unwrap(),
            "--log",
            "big",
            "--json",
            "--type",
            "t",
            "--max-record-size",
            "200",
        ])
        .write_stdin(input)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "standard input: JSON object 1501: ",
        ))
        .stderr(predicate::str::contains("wrote 1500 records (seq 0..1499)"));
    let out = stdout_of(binlog().args(["cat", dir.to_str().unwrap(), "--tail", "1"]));
    assert!(
        out.starts_with("1499 ") && out.trim_end().ends_with(" r1499"),
        "{out}"
    );
}

/// `cat --json | write --json` copies metadata in its order, with keys that
/// appear twice, and every other field byte for byte.
#[test]
fn write_json_keeps_metadata_order_and_duplicate_keys() {
    let t = Tmp::new("write-meta");
    let seg = t.join("d.binlog");
    let s = seg.to_str().unwrap();
    binlog()
        .args(["write", s, "--type", "t", "--meta", "k=1", "--meta", "k=2"])
        .args(["--meta", "z=1", "--meta", "a=2"])
        .write_stdin("hello\n")
        .assert()
        .success();
    let input = concat!(
        r#"{"type":"u","meta":{"z":"1","a":"2","z":"3"},"payload":"00ff","encoding":"hex","ts_ns":7}"#,
        "\n",
        r#"{"type":"v","meta":[["y","1"],["b","2"],["y","0"]],"payload":{"n":1},"time":"2023-11-14T22:13:20Z"}"#,
        "\n",
        r#"{"type":"w","meta":{"n":5,"o":true,"e":""},"payload":"","ts_ns":-1}"#,
        "\n",
    );
    binlog()
        .args(["write", s, "--json"])
        .write_stdin(input)
        .assert()
        .success();
    let dumped = stdout_of(binlog().args(["cat", s, "--json"]));
    let lines: Vec<&str> = dumped.lines().collect();
    assert_eq!(lines.len(), 4, "{dumped}");
    assert!(
        lines[0].contains(r#""meta":{"k":"1","k":"2","z":"1","a":"2"}"#),
        "{dumped}"
    );
    assert!(
        lines[1].contains(r#""meta":{"z":"1","a":"2","z":"3"}"#),
        "{dumped}"
    );
    assert!(
        lines[2].contains(r#""meta":{"y":"1","b":"2","y":"0"}"#),
        "{dumped}"
    );
    assert!(
        lines[3].contains(r#""meta":{"n":"5","o":"true","e":""}"#),
        "{dumped}"
    );
    let text = stdout_of(binlog().args(["cat", s]));
    assert!(text.contains(" t {k=1,k=2,z=1,a=2} hello"), "{text}");

    // The copy prints the same lines, byte for byte.
    let copy = t.join("d2.binlog");
    binlog()
        .args(["write", copy.to_str().unwrap(), "--json"])
        .write_stdin(dumped.clone())
        .assert()
        .success()
        .stderr(predicate::str::contains("wrote 4 records (seq 0..3)"));
    assert_eq!(
        stdout_of(binlog().args(["cat", copy.to_str().unwrap(), "--json"])),
        dumped
    );

    // "meta" of another kind is still refused, naming the object.
    binlog()
        .args(["write", s, "--json", "--type", "t"])
        .write_stdin("{}\n{\"meta\":5}\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "JSON object 2: \"meta\" must be an object or a list of [key, value] pairs",
        ));
    binlog()
        .args(["write", s, "--json", "--type", "t"])
        .write_stdin("{\"meta\":[[\"k\"]]}\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "JSON object 1: \"meta\" pairs must be [key, value]",
        ));
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64
}

/// `tail -F app.log | binlog write ...`: a line is written as soon as it is
/// read, stamped with the time it was read, while standard input stays
/// open; closing it seals the segment.
#[test]
fn write_hands_each_line_over_while_stdin_stays_open() {
    use std::io::Write;
    let t = Tmp::new("write-live");
    let dir = t.join("log");
    let seg = t.join("j.binlog");
    let cases: [(&Path, &[&str], [&str; 2]); 2] = [
        (
            &dir,
            &["--log", "app", "--type", "line"],
            ["first line\n", "second line\n"],
        ),
        (
            &seg,
            &["--json", "--type", "j"],
            ["{\"payload\":\"first\"}\n", "{\"payload\":\"second\"}"],
        ),
    ];
    for (path, args, lines) in cases {
        let p = path.to_str().unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_binlog"))
            .arg("write")
            .arg(p)
            .args(args)
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stamps = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let sent = now_ns();
            stdin.write_all(line.as_bytes()).unwrap();
            stdin.flush().unwrap();
            let deadline = Instant::now() + Duration::from_secs(10);
            let j = loop {
                let out = binlog().args(["cat", p, "--json"]).output().unwrap();
                let j = json_lines(&String::from_utf8(out.stdout).unwrap());
                if j.len() > i {
                    break j;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    panic!("{p}: record {i} not written 10 s after its line, stdin open");
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            let seen = now_ns();
            assert_eq!(j.len(), i + 1);
            let ts = j[i]["ts_ns"].as_i64().unwrap();
            // The clocks may differ by a little (the tool's reads the TSC).
            assert!(
                ts >= sent - 50_000_000 && ts <= seen + 50_000_000,
                "{p}: record {i} stamped {ts}, line sent at {sent}, seen at {seen}"
            );
            stamps.push(ts);
            if i == 0 {
                // A pause, as between the lines of a quiet log.
                std::thread::sleep(Duration::from_millis(700));
            }
        }
        assert!(stamps[1] - stamps[0] >= 600_000_000, "{stamps:?}");
        drop(stdin);
        let status = wait_with_deadline(&mut child, Duration::from_secs(30));
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert_eq!(status.code(), Some(0), "stderr: {err}");
        assert!(err.contains("wrote 2 records (seq 0..1)"), "{err}");
        let j = json_lines(&stdout_of(binlog().args(["cat", p, "--json"])));
        let got: Vec<i64> = j.iter().map(|r| r["ts_ns"].as_i64().unwrap()).collect();
        assert_eq!(got, stamps, "the stamps stay after the close");
    }
    assert!(
        Reader::open(&seg).unwrap().seal().is_some(),
        "closed and sealed"
    );
}

// ------------------------------------------------------------------- stats

#[test]
fn stats_per_type_and_per_time_bucket() {
    let t = Tmp::new("stats");
    let seg = t.join("s.binlog");
    let w = Writer::open(&seg, Options::default()).unwrap();
    // 90 records over three minutes: 30 a minute.
    for i in 0..90i64 {
        let t = TYPES[(i % 3) as usize];
        w.write_with(t, &[], Some(T0 - 20 * SEC + i * 2 * SEC), b"0123456789")
            .unwrap();
    }
    w.close().unwrap();
    let j = json_of(binlog().args(["stats", "--json", "--by", "minute", seg.to_str().unwrap()]));
    assert_eq!(j["records"], 90);
    assert_eq!(j["by"], "minute");
    let types = j["types"].as_array().unwrap();
    assert_eq!(types.len(), 3);
    assert!(types.iter().all(|t| t["records"] == 30));
    let total: u64 = types.iter().map(|t| t["bytes"].as_u64().unwrap()).sum();
    assert_eq!(j["bytes"], total);
    let buckets = j["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 3);
    assert_eq!(buckets[0]["start"], "2023-11-14T22:13:00Z");
    assert_eq!(buckets[0]["records"], 30);
    assert_eq!(buckets[1]["types"]["order"]["records"], 10);
    binlog()
        .args(["stats", seg.to_str().unwrap(), "--by", "hour"])
        .assert()
        .success()
        .stdout(predicate::str::contains("2023-11-14T22:00Z"))
        .stdout(predicate::str::is_match(r"order\s+30\s+33\.3%").unwrap());
    let j = json_of(binlog().args(["stats", "--json", "--type", "trade", seg.to_str().unwrap()]));
    assert_eq!(j["records"], 30);
}

// -------------------------------------------------------------------- tail

#[test]
fn tail_prints_the_last_records() {
    let t = Tmp::new("tail");
    let dir = t.join("log");
    rolled_log(&dir, 12, 5);
    let out = stdout_of(binlog().args(["tail", "-n", "3", dir.to_str().unwrap()]));
    assert_eq!(seqs_of_lines(&out), vec![9, 10, 11]);
    let out = stdout_of(binlog().args(["tail", dir.to_str().unwrap()]));
    assert_eq!(seqs_of_lines(&out), (2..12).collect::<Vec<_>>());
}

#[test]
fn tail_follows_a_log_across_rolls() {
    let t = Tmp::new("follow");
    let dir = t.join("log");
    let w = LogWriter::open(
        &dir,
        "live",
        LogOptions {
            max_segment_records: Some(4),
            background: false,
            ..LogOptions::default()
        },
    )
    .unwrap();
    for i in 0..10u64 {
        w.write("tick", format!("tick {i}").as_bytes()).unwrap();
    }
    w.flush().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_binlog"))
        .args([
            "tail",
            "-f",
            "-n",
            "3",
            "--poll-ms",
            "20",
            dir.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        for i in 10..30u64 {
            w.write("tick", format!("tick {i}").as_bytes()).unwrap();
            w.flush().unwrap();
            std::thread::sleep(Duration::from_millis(15));
        }
        w.close().unwrap();
    });
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || loop {
        let mut line = String::new();
        match out.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                if tx.send(line).is_err() {
                    break;
                }
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seqs = Vec::new();
    while seqs.last() != Some(&29) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let seq: u64 = line.split(' ').next().unwrap().parse().unwrap();
                assert!(
                    line.trim_end().ends_with(&format!("tick tick {seq}")),
                    "{line}"
                );
                seqs.push(seq);
            }
            Err(e) => {
                let _ = child.kill();
                let status = child.wait().unwrap();
                panic!("tail -f printed only {seqs:?} ({e}; binlog: {status})");
            }
        }
    }
    // Still running after the last record: it follows until interrupted.
    assert!(child.try_wait().unwrap().is_none());
    child.kill().unwrap();
    child.wait().unwrap();
    writer.join().unwrap();
    assert_eq!(seqs, (7..30).collect::<Vec<_>>());
    assert!(
        t_names(&dir).len() >= 8,
        "the writer rolled: {:?}",
        t_names(&dir)
    );
}

/// A log `orders` of 20 sample records, 10 a segment, with record 5 (in
/// the first, sealed segment) damaged; returns that segment and the offset.
fn log_damaged_at_5(dir: &Path) -> (String, u64) {
    rolled_log(dir, 20, 10);
    let seg = t_names(dir)[0].clone();
    let (offset, len) = frames(Path::new(&seg))[5];
    flip_byte(Path::new(&seg), offset + len - 2);
    (seg, offset)
}

/// A running `binlog tail -f`, its output lines read on a thread.
struct Follow {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Follow {
    fn start(args: &[&str]) -> Follow {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_binlog"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || loop {
            let mut line = String::new();
            match out.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            }
        });
        Follow { child, lines }
    }

    /// The next line's sequence number, or None if none comes within
    /// `limit` (or the output ended).
    fn next_seq(&self, limit: Duration) -> Option<u64> {
        let line = self.lines.recv_timeout(limit).ok()?;
        Some(line.split(' ').next().unwrap().parse().unwrap())
    }

    /// Sequence numbers printed until `last` (within 30 s); panics with
    /// what was printed and the stderr otherwise.
    fn seqs_until(&mut self, last: u64) -> Vec<u64> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seqs = Vec::new();
        while seqs.last() != Some(&last) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_seq(left) {
                Some(s) => seqs.push(s),
                None => {
                    let err = self.stop();
                    panic!("tail -f printed only {seqs:?}, waiting for {last}; stderr: {err}");
                }
            }
        }
        seqs
    }

    /// Kills it (if still running); returns what it wrote on stderr.
    fn stop(&mut self) -> String {
        let _ = self.child.kill();
        self.child.wait().unwrap();
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        err
    }
}

impl Drop for Follow {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Appends `n` records to log `orders` in `dir` with the binary.
fn append_with_binlog(dir: &Path, n: usize) {
    binlog()
        .args([
            "write",
            dir.to_str().unwrap(),
            "--log",
            "orders",
            "--type",
            "order",
        ])
        .write_stdin("more\n".repeat(n))
        .assert()
        .success();
}

#[test]
fn tail_counts_the_records_readable_before_damage() {
    let t = Tmp::new("tail-damaged");
    let dir = t.join("log");
    let (seg, offset) = log_damaged_at_5(&dir);
    // Readable: 0..4 (printing stops at the damage in the first segment),
    // then 10..19. The seal of the first segment still says 10 records.
    let want: Vec<u64> = [3, 4].into_iter().chain(10..20).collect();
    for args in [["tail", "-n", "12"], ["cat", "--tail", "12"]] {
        let out = binlog()
            .args(args)
            .arg(&dir)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(format!("{seg}: offset {offset}")))
            .get_output()
            .stdout
            .clone();
        assert_eq!(
            seqs_of_lines(&String::from_utf8(out).unwrap()),
            want,
            "{args:?}"
        );
    }
    let out = stdout_of(binlog().args(["tail", "-n", "100"]).arg(&dir));
    let all: Vec<u64> = (0..5).chain(10..20).collect();
    assert_eq!(seqs_of_lines(&out), all);
    // A type filter counts the readable records of that type (record 5
    // is a quote: the quotes readable are 2, then 11, 14, 17).
    let out = stdout_of(
        binlog()
            .args(["cat", "--tail", "4", "--type", "quote"])
            .arg(&dir),
    );
    assert_eq!(seqs_of_lines(&out), vec![2, 11, 14, 17]);
}

#[test]
fn tail_follow_skips_damage_in_an_older_segment_and_goes_on() {
    let t = Tmp::new("follow-damaged");
    let dir = t.join("log");
    let (seg, offset) = log_damaged_at_5(&dir);
    let d = dir.to_str().unwrap();
    let mut f = Follow::start(&["tail", "-f", "-n", "20", "--poll-ms", "20", d]);
    let seqs = f.seqs_until(19);
    assert_eq!(seqs, (0..5).chain(6..20).collect::<Vec<_>>());
    // Still following: new records are printed.
    append_with_binlog(&dir, 3);
    assert_eq!(f.seqs_until(22), vec![20, 21, 22]);
    assert!(f.child.try_wait().unwrap().is_none(), "still running");
    let err = f.stop();
    assert!(
        err.contains(&format!("{seg}: offset {offset}:")) && err.contains("record 5 is lost"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // -n counts what following shows (the damaged record skipped), and
    // damage before the start is not reported.
    let mut f = Follow::start(&["tail", "-f", "-n", "12", "--poll-ms", "20", d]);
    assert_eq!(f.seqs_until(22), (11..23).collect::<Vec<_>>());
    let mut f2 = Follow::start(&["tail", "-f", "-n", "17", "--poll-ms", "20", d]);
    assert_eq!(f2.seqs_until(22), (6..23).collect::<Vec<_>>());
    assert_eq!(f.stop(), "");
    assert_eq!(f2.stop(), "");
}

#[test]
fn tail_follow_n_0_starts_after_the_last_readable_record() {
    // The newest segment cannot be read: empty (its writer was caught
    // creating it, or died then), or with a torn header.
    for torn in [0, 40] {
        let t = Tmp::new("follow-empty-newest");
        let dir = t.join("log");
        rolled_log(&dir, 20, 10);
        let names = t_names(&dir);
        let header = std::fs::read(&names[1]).unwrap();
        let newest = dir.join(binlog::log::naming::segment_name(
            "orders",
            2,
            T0 + 30 * SEC,
        ));
        std::fs::write(&newest, &header[..torn]).unwrap();
        let mut f = Follow::start(&[
            "tail",
            "-f",
            "-n",
            "0",
            "--poll-ms",
            "20",
            dir.to_str().unwrap(),
        ]);
        // Append until the follow shows something (it may start late and
        // miss the first appends): it shows only what was appended.
        let mut written = 20;
        let first = loop {
            append_with_binlog(&dir, 1);
            written += 1;
            if let Some(s) = f.next_seq(Duration::from_millis(300)) {
                break s;
            }
            assert!(written < 100, "tail -f -n 0 printed nothing");
        };
        assert!(first >= 20, "torn {torn}: replayed old record {first}");
        append_with_binlog(&dir, 2);
        let rest = f.seqs_until(written + 1);
        assert_eq!(
            rest,
            (first + 1..written + 2).collect::<Vec<_>>(),
            "torn {torn}"
        );
        f.stop();
    }
}

#[test]
fn tail_follow_to_seq_stops_after_record_n() {
    let t = Tmp::new("follow-to-seq");
    let dir = t.join("log");
    rolled_log(&dir, 30, 10);
    let d = dir.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_binlog"))
            .args(["tail", "-f", "--poll-ms", "20"])
            .args(args)
            .arg(d)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let status = wait_with_deadline(&mut child, Duration::from_secs(10));
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}");
        seqs_of_lines(&out)
    };
    // N is the last record written (inclusive, as for cat).
    assert_eq!(run(&["--to-seq", "29", "-n", "1"]), vec![29]);
    assert_eq!(run(&["--to-seq", "29", "-n", "3"]), vec![27, 28, 29]);
    // Record N is of another type than the one shown.
    assert_eq!(
        run(&["--to-seq", "29", "--type", "order", "-n", "2"]),
        vec![24, 27]
    );
    // Every record up to N is written and none asked for.
    assert_eq!(run(&["--to-seq", "5", "-n", "0"]), Vec::<u64>::new());
    assert_eq!(run(&["--to-seq", "5", "-n", "2"]), vec![4, 5]);
    // N not written yet: follows until it is.
    let mut f = Follow::start(&[
        "tail",
        "-f",
        "--to-seq",
        "33",
        "-n",
        "1",
        "--poll-ms",
        "20",
        d,
    ]);
    assert_eq!(f.seqs_until(29), vec![29]);
    append_with_binlog(&dir, 10);
    assert_eq!(f.seqs_until(33), vec![30, 31, 32, 33]);
    let status = wait_with_deadline(&mut f.child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    assert_eq!(f.next_seq(Duration::from_millis(100)), None);
}

#[test]
fn tail_follow_gap_warning_names_the_missing_records() {
    let t = Tmp::new("follow-gap");
    let dir = t.join("log");
    rolled_log(&dir, 50, 10);
    std::fs::remove_file(&t_names(&dir)[3]).unwrap(); // records 30..=39
    let mut f = Follow::start(&[
        "tail",
        "-f",
        "-n",
        "100",
        "--poll-ms",
        "20",
        dir.to_str().unwrap(),
    ]);
    let seqs = f.seqs_until(49);
    assert_eq!(seqs, (0..30).chain(40..50).collect::<Vec<_>>());
    let err = f.stop();
    assert!(err.contains("records 30..39 are missing"), "{err}");
    assert!(!err.contains("30..40"), "{err}");
}

#[test]
fn verify_and_repair_leave_a_segment_its_writer_has_open() {
    let t = Tmp::new("live");
    let dir = t.join("log");
    let w = LogWriter::open(
        &dir,
        "live",
        LogOptions {
            max_segment_records: Some(5),
            background: false,
            ..LogOptions::default()
        },
    )
    .unwrap();
    for i in 0..12u64 {
        w.write("tick", format!("tick {i}").as_bytes()).unwrap();
    }
    w.flush().unwrap();
    let current = w.current_segment().unwrap().path;
    let before = std::fs::read(&current).unwrap();
    binlog()
        .args(["verify", dir.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("unsealed: a writer has it open"));
    binlog()
        .args(["repair", dir.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("a writer has it open"))
        .stdout(predicate::str::contains("changed 0"));
    assert_eq!(
        std::fs::read(&current).unwrap(),
        before,
        "the open segment is untouched"
    );
    assert!(!t_names(&dir).iter().any(|n| n.contains(".backup-")));
    // The writer goes on as if nothing happened.
    w.write("tick", b"tick 12").unwrap();
    w.close().unwrap();
    let out = stdout_of(binlog().args(["cat", dir.to_str().unwrap(), "--tail", "1"]));
    assert!(out.starts_with("12 "), "{out}");
}

#[test]
fn salvage_names_types_whose_definition_was_in_the_damage() {
    let t = Tmp::new("salvage-types");
    let seg = t.join("open.binlog");
    unsealed_segment(&seg, 9); // no seal: type names come from the records
    let f = frames(&seg);
    let (bad, bad_len) = f[2]; // the record that defines "quote"
    flip_byte(&seg, bad + bad_len - 1);
    let j = json_of(binlog().args(["verify", "--json", seg.to_str().unwrap()]));
    let kinds: Vec<&str> = j["segments"][0]["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["corrupt", "type"],
        "the undefined id is reported once"
    );
    binlog()
        .args(["repair", "--salvage", seg.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("salvaged 6 records (seq 3..8)"))
        .stdout(predicate::str::contains("unknown-type-2"));
    let salvaged = t.join(&format!("open.salvaged-{}.binlog", f[3].0));
    let got: Vec<(u64, String)> = records(&salvaged)
        .into_iter()
        .map(|(s, t, _)| (s, t))
        .collect();
    assert_eq!(
        got,
        vec![
            (3, "order".into()),
            (4, "trade".into()),
            (5, "unknown-type-2".into()),
            (6, "order".into()),
            (7, "trade".into()),
            (8, "unknown-type-2".into()),
        ]
    );
    assert_eq!(records(&seg).len(), 2);
}

// ---------------------------------------- edges found by using the tool (review, 2026-11-22)

/// Each record's payload, in order.
fn payloads(path: &Path) -> Vec<Vec<u8>> {
    let mut r = Reader::open(path).unwrap();
    let mut v = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        v.push(rec.payload.to_vec());
    }
    v
}

/// A record at the earliest time a timestamp holds (i64::MIN ns, in 1677):
/// its time bucket starts before i64::MIN. `stats` panicked on an overflow
/// flooring it (a debug build; a release build wrapped to a bucket in 2262).
#[test]
fn stats_buckets_a_record_at_the_earliest_timestamp() {
    let t = Tmp::new("stats-min");
    let seg = t.join("s.binlog");
    let w = Writer::open(&seg, Options::default()).unwrap();
    w.write_with("t", &[], Some(i64::MIN), b"x").unwrap();
    w.write_with("t", &[], Some(0), b"y").unwrap();
    w.close().unwrap();
    for by in ["minute", "hour", "day"] {
        let out = binlog()
            .args(["stats", "--json", "--by", by, seg.to_str().unwrap()])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let j: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let buckets = j["buckets"].as_array().unwrap();
        assert_eq!(buckets.len(), 2, "{j}");
        // In time order, the first one in 1677.
        assert_eq!(buckets[0]["records"], 1);
        assert!(
            buckets[0]["start"]
                .as_str()
                .unwrap()
                .starts_with("1677-09-2"),
            "{j}"
        );
        assert!(buckets[0]["start_ns"].as_i64().unwrap() <= i64::MIN + 86_400_000_000_000);
        assert_eq!(buckets[1]["start_ns"], 0);
    }
}

/// docs/CLI.md: a "payload" that is not a string "is stored as its compact
/// JSON text". It was stored as serde_json's rendering of a parsed `Value`:
/// object keys sorted and a repeated key merged, integers beyond 64 bits
/// rounded to a float, `1e2` written `100.0`.
#[test]
fn write_json_stores_a_non_string_payload_as_its_text() {
    let t = Tmp::new("write-payload");
    let seg = t.join("p.binlog");
    let input = concat!(
        r#"{"type":"t","payload":123456789012345678901}"#,
        "\n",
        r#"{"type":"t","payload": { "z" : 1, "a":[ 2, "s p\"}" ], "z":3 } }"#,
        "\n",
        r#"{"type":"t","payload":[1.50, 1e2, true, null]}"#,
        "\n",
        r#"{"type":"t","payload":false}"#,
        "\n",
        r#"{"type":"t","payload" : null , "x":1}"#,
        "\n",
    );
    binlog()
        .args(["write", "--json", seg.to_str().unwrap()])
        .write_stdin(input)
        .assert()
        .success();
    let got: Vec<String> = payloads(&seg)
        .into_iter()
        .map(|p| String::from_utf8(p).unwrap())
        .collect();
    assert_eq!(
        got,
        [
            "123456789012345678901",
            r#"{"z":1,"a":[2,"s p\"}"],"z":3}"#,
            "[1.50,1e2,true,null]",
            "false",
            "",
        ]
    );
}

/// docs/CLI.md: "meta" values that are not strings "are stored as their
/// JSON text". They were serde_json's rendering of a parsed `Value`, as the
/// payload was: keys of an object value sorted, big integers rounded,
/// `1.50` written `1.5`; in both the object and the `[key, value]` forms.
#[test]
fn write_json_stores_non_string_metadata_as_its_text() {
    let t = Tmp::new("write-meta-text");
    let seg = t.join("m.binlog");
    let input = concat!(
        r#"{"type":"t","meta":{"n":123456789012345678901,"o":{ "b":1, "a":2 },"f":1.50,"s":"x y","z":null}}"#,
        "\n",
        r#"{"type":"t","meta":[["n",1e2],[7,[ 2, 1 ]],["s","v"]]}"#,
        "\n",
    );
    binlog()
        .args(["write", "--json", seg.to_str().unwrap()])
        .write_stdin(input)
        .assert()
        .success();
    let mut r = Reader::open(&seg).unwrap();
    let mut got = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        let m: Vec<(String, String)> = rec
            .metadata()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        got.push(m);
    }
    let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    assert_eq!(
        got,
        [
            pairs(&[
                ("n", "123456789012345678901"),
                ("o", r#"{"b":1,"a":2}"#),
                ("f", "1.50"),
                ("s", "x y"),
                ("z", "null"),
            ]),
            pairs(&[("n", "1e2"), ("7", "[2,1]"), ("s", "v")]),
        ]
    );
}

/// `--since`/`--until` take RFC 3339 times: a day the month does not have
/// or an offset that is not ±HH:MM (hours to 23, minutes to 59) is a bad
/// time (exit status 2). They were read as another time without a word:
/// 2023-02-31 as March 3rd, `+-1:00` as an offset of -1 h, `+99:99` as
/// 100 h 39 min.
#[test]
fn since_and_until_refuse_days_and_offsets_that_do_not_exist() {
    let t = Tmp::new("bad-dates");
    let seg = t.join("s.binlog");
    let w = Writer::open(&seg, Options::default()).unwrap();
    w.write_with("t", &[], Some(0), b"x").unwrap();
    w.close().unwrap();
    let s = seg.to_str().unwrap();
    for bad in [
        "2023-02-29",
        "2023-02-31",
        "2024-02-30",
        "2023-04-31",
        "2023-11-31T00:00:00Z",
        "2023-11-14T22:13:20+-1:00",
        "2023-11-14T22:13:20+99:99",
        "2023-11-14T22:13:20+05:60",
        "2023-11-14T22:13:20-24:00",
    ] {
        for flag in ["--since", "--until"] {
            binlog()
                .args(["cat", s, flag, bad])
                .assert()
                .code(2)
                .stderr(predicates::str::contains("cannot read time"));
        }
    }
    for good in [
        "2024-02-29",
        "2000-02-29",
        "2023-12-31T23:59:59Z",
        "2023-11-14T22:13:20+23:59",
        "2023-11-14T22:13:20-00:30",
    ] {
        binlog()
            .args(["cat", s, "--since", good])
            .assert()
            .success();
    }
}
