//! What `binlog` reads of a directory holding several logs and standalone
//! segments (docs/FORMAT.md section 14a): each log whole, logs in byte
//! order of their names, then the other `*.binlog` files in name order.
//! Helpers in tests/it/common/cli.rs.

use binlog::{LogOptions, LogWriter, Options, Writer};

use crate::common;
use common::cli::*;

fn log_with(dir: &std::path::Path, name: &str, first_seq: u64, n: u64) {
    let w = LogWriter::open(
        dir,
        name,
        LogOptions {
            max_segment_records: Some(2),
            first_seq,
            background: false,
            ..LogOptions::default()
        },
    )
    .unwrap();
    for i in first_seq..first_seq + n {
        w.write("t", format!("{name} {i}").as_bytes()).unwrap();
    }
    w.close().unwrap();
}

#[test]
fn a_directory_of_several_logs_is_read_log_by_log_in_name_order_then_loose_files() {
    let t = Tmp::new("several-logs");
    // Made in another order than they are read; "B" sorts before "a"
    // (bytes), "a-b" after "a" and is not taken for a segment of "a".
    log_with(&t.0, "a-b", 300, 3);
    log_with(&t.0, "a", 100, 5);
    log_with(&t.0, "B", 200, 3);
    let loose = Writer::open(
        t.join("0-loose.binlog"),
        Options {
            first_seq: 900,
            ..Options::default()
        },
    )
    .unwrap();
    loose.write("t", b"loose").unwrap();
    loose.close().unwrap();
    let seqs = seqs_of_lines(&stdout_of(binlog().args(["cat", t.0.to_str().unwrap()])));
    let want: Vec<u64> = (200..203)
        .chain(100..105)
        .chain(300..303)
        .chain([900])
        .collect();
    assert_eq!(seqs, want);
}

/// A log whose only file left is its manifest (every segment shipped and
/// removed, or deleted by hand) exists and has no records (docs/FORMAT.md
/// 14a, "A log that is not there"), named or not: `cat` prints nothing and
/// exits 0, as `verify` checks its manifest; a name with no manifest
/// either is no log (exit status 2, naming it).
#[test]
fn a_log_with_only_its_manifest_left_reads_as_a_log_without_records() {
    let t = Tmp::new("manifest-only");
    log_with(&t.0, "orders", 0, 4);
    for seg in t_names(&t.0) {
        std::fs::remove_file(seg).unwrap();
    }
    let d = t.0.to_str().unwrap();
    let cmds = [&["cat"][..], &["stats"], &["tail", "-n", "5"], &["verify"]];
    for (cmd, log) in cmds
        .iter()
        .flat_map(|c| [(c, &["--log", "orders"][..]), (c, &[])])
    {
        let out = binlog().args(*cmd).args(log).arg(d).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{cmd:?} {log:?}: {}",
            out_text(&out)
        );
        if cmd[0] != "stats" && cmd[0] != "verify" {
            assert!(out.stdout.is_empty(), "{cmd:?}: {}", out_text(&out));
        }
    }
    let out = binlog()
        .args(["cat", "--log", "ordrs", d])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", out_text(&out));
    assert!(
        out_text(&out).contains("no log 'ordrs'"),
        "{}",
        out_text(&out)
    );
}
