//! `binlog` tool review (h5): edges found by using the tool on real logs.

use assert_cmd::Command;
use binlog::{Options, Writer};
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
