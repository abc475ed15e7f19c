//! `binlog` tool review (h5): edges found by using the tool on real logs.

use assert_cmd::Command;
use binlog::{Options, Reader, Writer};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

fn binlog() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_binlog"));
    c.timeout(Duration::from_secs(120));
    c
}

/// A fresh directory, removed when dropped unless the test panics.
struct Tmp(PathBuf);

impl Tmp {
    fn new(name: &str) -> Tmp {
        static N: AtomicU64 = AtomicU64::new(0);
        let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "cli-h5-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

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
