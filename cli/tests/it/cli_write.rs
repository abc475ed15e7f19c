//! `binlog write`: records from standard input (text lines, hex, JSON
//! objects with types, metadata in order with repeated keys, timestamps),
//! the records before a bad line kept, each line handed over while stdin
//! stays open, and JSON payloads and metadata that are not strings stored
//! as their text. Helpers in tests/it/common/cli.rs.

use binlog::Reader;
use predicates::prelude::*;
use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common;
use common::cli::*;

#[test]
fn write_from_stdin_then_cat() {
    let t = Tmp::new("write");
    let seg = t.join("w.binlog");
    let s = seg.to_str().unwrap();
    write_lines_then_cat(s);
    append_json_objects(&seg);
    copy_through_cat_json(&t, s);

    // Bad input: exit 2, naming the object.
    binlog()
        .args(["write", s, "--json"])
        .write_stdin("{\"type\":\"x\"}\n[1,2]\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("JSON object 2"));

    write_into_a_rolling_log(&t);
}

/// Text lines into segment `s`, one record each.
fn write_lines_then_cat(s: &str) {
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
}

/// JSON objects appended to segment `seg` (which holds 4 records).
fn append_json_objects(seg: &Path) {
    let s = seg.to_str().unwrap();
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
        Reader::open(seg).unwrap().seal().is_some(),
        "closed and sealed"
    );
}

/// Segment `s` copied into a new one in `t`.
fn copy_through_cat_json(t: &Tmp, s: &str) {
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
}

/// 25 lines into log `events` rolling every 10 records, in `t`.
fn write_into_a_rolling_log(t: &Tmp) {
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

/// Bad input before any record leaves nothing behind: no empty segment, no
/// new log, no new directory; an existing segment is left as it was.
#[test]
fn write_with_bad_input_before_any_record_leaves_no_empty_segment() {
    let t = Tmp::new("write-bad-first");
    let seg = t.join("new.binlog");
    binlog()
        .args(["write", "--json", "--type", "t"])
        .arg(&seg)
        .write_stdin("{not json\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("JSON object 1"));
    assert!(!seg.exists(), "an empty segment was left behind");

    // Bad input once the log is open: its segment, lock and manifest and
    // the directory made for it are removed.
    let dir = t.join("newlog");
    binlog()
        .args(["write", "--json", "--type", "t", "--log", "l"])
        .arg(&dir)
        .write_stdin("{not json\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("JSON object 1"));
    assert!(!dir.exists(), "a log was left behind");

    // An existing segment: neither removed nor changed.
    let old = t.join("old.binlog");
    sealed_segment(&old, 3);
    let before = std::fs::read(&old).unwrap();
    binlog()
        .args(["write", "--json", "--type", "t"])
        .arg(&old)
        .write_stdin("7\n")
        .assert()
        .code(2);
    assert_eq!(std::fs::read(&old).unwrap(), before);
}

/// A write of log `app` that leaves nothing behind removes only its own
/// files: an empty segment of log `app-x` made in the same directory while
/// it ran (its name starts with `app-`) is left alone, as are that log's
/// lock and manifest.
#[test]
fn write_with_bad_input_leaves_another_logs_files_alone() {
    use std::io::Write;
    let t = Tmp::new("write-bad-other-log");
    let dir = t.join("logs");
    let mut child = std::process::Command::new(crate::common::cli::tool())
        .args(["write", "--json", "--type", "t", "--log", "app"])
        .arg(&dir)
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Once the writer has opened log app, log app-x's files appear.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !dir.join("app.lock").exists() {
        assert!(Instant::now() < deadline, "log app not opened in 10 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    let others = [
        "app-x-00000000000000000000-20260101T000000Z.binlog",
        "app-x.lock",
        "app-x.manifest",
    ];
    for name in others {
        std::fs::write(dir.join(name), b"").unwrap();
    }
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"{not json\n").unwrap();
    drop(stdin);
    let status = wait_with_deadline(&mut child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(2));
    for name in others {
        assert!(dir.join(name).exists(), "{name} was removed");
    }
    assert!(!dir.join("app.lock").exists(), "log app's lock was left");
}

/// `binlog write DIR` writes a log in the directory (named after it unless
/// it holds one, or --log names one); a PATH ending in `/` is a directory
/// to create. Never a file named DIR.
#[test]
fn write_into_a_directory_writes_a_log_in_it() {
    let t = Tmp::new("write-dir");
    let dir = t.join("events");
    std::fs::create_dir(&dir).unwrap();
    binlog()
        .args(["write", "--type", "t"])
        .arg(&dir)
        .write_stdin("one\ntwo\n")
        .assert()
        .success()
        .stderr(predicate::str::contains("log events in"));
    let out = stdout_of(binlog().args(["cat", "--log", "events"]).arg(&dir));
    assert_eq!(seqs_of_lines(&out), vec![0, 1]);
    // Again: appends to the log it holds.
    binlog()
        .args(["write", "--type", "t"])
        .arg(&dir)
        .write_stdin("three\n")
        .assert()
        .success()
        .stderr(predicate::str::contains("(seq 2..2)"));

    let slash = format!("{}/", t.join("made").display());
    binlog()
        .args(["write", "--type", "t", &slash])
        .write_stdin("x\n")
        .assert()
        .success();
    assert!(t.join("made").is_dir());
    assert_eq!(t_names(&t.join("made")).len(), 1);
}

/// `write --json-summary` prints what was written as one JSON document;
/// after bad input, the error and what was not written.
#[test]
fn write_json_summary_reports_what_was_written() {
    let t = Tmp::new("write-summary");
    let seg = t.join("s.binlog");
    let summary = |args: &[&str], input: &str, code: i32| {
        let out = binlog()
            .args(["write", "--json-summary", "--type", "t"])
            .args(args)
            .arg(&seg)
            .write_stdin(input.to_string())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{}", out_text(&out));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let doc = summary(&[], "a\nb\nc\n", 0);
    assert_eq!(doc["written"], 3);
    assert_eq!(doc["first_seq"], 0);
    assert_eq!(doc["last_seq"], 2);
    assert_eq!(doc["error"], serde_json::Value::Null);
    let doc = summary(&["--json"], "{\"payload\":\"d\"}\n[]\n", 2);
    assert_eq!(doc["written"], 1);
    assert_eq!(doc["first_seq"], 3);
    assert_eq!(doc["last_seq"], 3);
    assert!(
        doc["error"].as_str().unwrap().contains("JSON object 2"),
        "{doc}"
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
        let mut child = std::process::Command::new(crate::common::cli::tool())
            .arg("write")
            .arg(p)
            .args(args)
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let stamps = send_lines_each_written_at_once(&mut child, &mut stdin, p, lines);
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

/// Sends `lines` to the `binlog write` of `p` (`child`) one by one, the
/// second after a pause, each read back with `cat` before the next is sent,
/// stamped between when it was sent and when it was seen; their stamps.
fn send_lines_each_written_at_once(
    child: &mut std::process::Child,
    stdin: &mut std::process::ChildStdin,
    p: &str,
    lines: [&str; 2],
) -> Vec<i64> {
    use std::io::Write;
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
    stamps
}

/// docs/CLI.md: a "payload" that is not a string "is stored as its compact
/// JSON text", not as a rendering of a parsed `Value` (object keys sorted
/// and a repeated key merged, integers beyond 64 bits rounded to a float,
/// `1e2` written `100.0`).
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
/// JSON text", not a rendering of a parsed `Value` (keys of an object
/// value sorted, big integers rounded, `1.50` written `1.5`); in both the
/// object and the `[key, value]` forms.
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

/// `"encoding":"base64"` payloads: padding optional (some or all of it may
/// be left out, none added), the URL-safe alphabet too, whitespace ignored; a bad one stops the input
/// with exit status 2, naming the object, after the records before it.
#[test]
fn write_json_reads_base64_padded_or_not() {
    let t = Tmp::new("write-base64");
    let seg = t.join("b.binlog");
    let object = |p: &str| format!(r#"{{"type":"t","payload":"{p}","encoding":"base64"}}"#);
    // `\n` is a JSON escape: a line break inside the payload's text.
    let input: Vec<String> = ["Zm8=", "Zg", "-_8", "+/8=", r"Zm\n9v", "Zg=", "Zm8=="]
        .iter()
        .map(|p| object(p))
        .collect();
    binlog()
        .args(["write", "--json", seg.to_str().unwrap()])
        .write_stdin(input.join("\n"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "standard input: JSON object 7: \"payload\" is not valid base64",
        ));
    let got: Vec<Vec<u8>> = records(&seg).into_iter().map(|r| r.2).collect();
    let (fo, f, fb) = (b"fo".to_vec(), b"f".to_vec(), vec![0xfb, 0xff]);
    assert_eq!(got, [fo, f.clone(), fb.clone(), fb, b"foo".to_vec(), f]);
}
