//! `binlog cat|info|verify` on a log shipped to a real S3-compatible
//! server (versitygw, tests/it/common/s3.rs), and `binlog remote ls|verify`:
//! the same records as the local log; an object damaged in the bucket is
//! reported by `remote verify` with its key (exit status 1).

use crate::common;
use crate::common::child::KillOnDrop;

use binlog::archive::object_name::segment_key;
use binlog::list_segments;
use common::remote::binlog_at as binlog;
use common::s3::S3Server;
use common::TempDir;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BUCKET: &str = "logs";

/// Log `orders` of 50 records, 10 a segment, in `dir`; segments 0..=2
/// compressed; all shipped to s3://logs/cli.
fn shipped(server: &S3Server, dir: &Path) {
    common::remote::orders_partly_compressed(dir);
    assert_eq!(ship_all(server, dir), [0, 1, 2, 3, 4]);
}

/// Ships log `orders`' sealed segments in `dir` to s3://logs/cli: the
/// numbers of those uploaded now.
fn ship_all(server: &S3Server, dir: &Path) -> Vec<u64> {
    common::remote::ship_orders(server, dir, "cli")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn cat_stats_and_tail_of_a_shipped_log_print_what_they_print_of_the_local_log() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("cli-remote-cat");
    shipped(&server, dir.path());
    let local = binlog(
        &server,
        &["cat", dir.path().to_str().unwrap(), "--log", "orders"],
    );
    assert!(local.status.success(), "{local:?}");
    assert_eq!(stdout(&local).lines().count(), 50);
    for url in [
        vec!["cat", "s3://logs/cli/orders"],
        vec!["cat", "s3://logs/cli", "--log", "orders"],
    ] {
        let remote = binlog(&server, &url);
        assert!(remote.status.success(), "{url:?}: {remote:?}");
        assert_eq!(stdout(&remote), stdout(&local), "{url:?}");
    }
    // stats counts the same records and bytes.
    let dir_arg = dir.path().to_str().unwrap();
    let local = binlog(&server, &["stats", dir_arg, "--log", "orders"]);
    let remote = binlog(&server, &["stats", "s3://logs/cli/orders"]);
    assert!(remote.status.success(), "{remote:?}");
    assert!(
        stdout(&local).starts_with("50 records"),
        "{}",
        stdout(&local)
    );
    assert_eq!(stdout(&remote), stdout(&local));
    // tail -n shows the newest records of the bucket.
    let local = binlog(&server, &["tail", "-n", "3", dir_arg, "--log", "orders"]);
    let remote = binlog(&server, &["tail", "-n", "3", "s3://logs/cli/orders"]);
    assert!(remote.status.success(), "{remote:?}");
    assert_eq!(stdout(&local).lines().count(), 3, "{}", stdout(&local));
    assert_eq!(stdout(&remote), stdout(&local));
    // Filters and seeks apply to remote segments as to local ones.
    let tail = binlog(
        &server,
        &["cat", "s3://logs/cli/orders", "--from-seq", "23"],
    );
    let first = stdout(&tail).lines().next().unwrap_or_default().to_string();
    assert!(first.starts_with("23 "), "{first}");
    assert_eq!(stdout(&tail).lines().count(), 27);
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The reading commands the gap checks cover: (name, arguments before the
/// log); `tail -n 25` starts before the gap.
const READERS: [&[&str]; 4] = [&["cat"], &["stats"], &["tail", "-n", "25"], &["info"]];

/// An object deleted from the bucket: `cat`, `stats`, `tail` and `info`
/// of the bucket print the other records and a `gap` line naming the
/// object's URL and the records lost, and exit with status 1, as they do
/// for the log with that segment removed locally.
#[test]
fn a_deleted_object_is_a_gap_line_and_status_1_as_a_removed_local_segment() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("cli-remote-gap");
    shipped(&server, dir.path());
    let holed = TempDir::new("cli-remote-gap-local");
    for l in list_segments(dir.path(), "orders").unwrap() {
        if l.segment_no != 2 {
            std::fs::copy(&l.path, holed.path().join(l.path.file_name().unwrap())).unwrap();
        }
    }
    let key = segment_key("cli", "orders", 2, 20, true);
    let bucket = common::remote::remote_log(&server, BUCKET, "cli", "orders");
    bucket.remote().delete(&key).unwrap();
    let plain_key = segment_key("cli", "orders", 2, 20, false);
    let gap = format!(
        "binlog: gap: s3://{BUCKET}/{plain_key}: records 20..29 are missing: the object (plain \
         or compressed, .zst) is not in the bucket"
    );
    let local_dir = holed.path().to_str().unwrap();
    for cmd in READERS {
        let local = binlog(&server, &[cmd, &[local_dir, "--log", "orders"]].concat());
        assert_eq!(local.status.code(), Some(1), "{cmd:?} local: {local:?}");
        assert!(
            stderr(&local).contains("binlog: gap: "),
            "{cmd:?}: {}",
            stderr(&local)
        );
        let remote = binlog(&server, &[cmd, &["s3://logs/cli/orders"]].concat());
        assert_eq!(remote.status.code(), Some(1), "{cmd:?} remote: {remote:?}");
        assert!(
            stderr(&remote).contains(&gap),
            "{cmd:?}: {}",
            stderr(&remote)
        );
        if cmd[0] != "info" {
            assert_eq!(stdout(&remote), stdout(&local), "{cmd:?}");
        }
    }
}

/// A shipped plain object cut to its first half (its metadata kept): `cat`
/// reports it damaged, naming its URL and the offset where it ends, exit
/// status 1; not a torn tail.
#[test]
fn a_shipped_plain_object_cut_short_is_damaged_not_a_torn_tail() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("cli-remote-cut");
    shipped(&server, dir.path());
    let key = segment_key("cli", "orders", 3, 30, false);
    let file = server.object_file(BUCKET, &key);
    let half = std::fs::metadata(&file).unwrap().len() / 2;
    let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
    f.set_len(half).unwrap();
    let cat = binlog(&server, &["cat", "s3://logs/cli/orders"]);
    assert_eq!(cat.status.code(), Some(1), "{cat:?}");
    let err = stderr(&cat);
    let damaged = format!("binlog: damaged: s3://{BUCKET}/{key}: offset {half}: ");
    assert!(err.contains(&damaged), "{err}");
    assert!(!err.contains("torn tail"), "{err}");
    // The other segments' records are all printed.
    assert_eq!(stdout(&cat).lines().count(), 40, "{}", stdout(&cat));
    // Skipping damage, the records before the cut are printed too, and the
    // cut is still damage (not a torn tail's warning): exit status 1.
    let skip = binlog(&server, &["cat", "--skip-damaged", "s3://logs/cli/orders"]);
    assert_eq!(skip.status.code(), Some(1), "{skip:?}");
    let err = stderr(&skip);
    let cut = format!("binlog: damaged: s3://{BUCKET}/{key}: offset ");
    assert!(err.contains(&cut) && err.contains("cut short"), "{err}");
    assert!(!err.contains("warning"), "{err}");
    let printed = stdout(&skip).lines().count();
    assert!(printed > 40 && printed < 50, "{}", stdout(&skip));
}

#[test]
fn remote_ls_lists_each_object_with_its_sequence_numbers_and_size() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("cli-remote-ls");
    shipped(&server, dir.path());
    let ls = binlog(&server, &["remote", "ls", "s3://logs/cli/orders"]);
    assert!(ls.status.success(), "{ls:?}");
    let text = stdout(&ls);
    let rows = common::remote::ls_rows(&text);
    assert_eq!(rows.len(), 5, "{text}");
    let bucket = common::remote::remote_log(&server, BUCKET, "cli", "orders");
    for (i, row) in rows.iter().enumerate() {
        let i = i as u64;
        let key = segment_key("cli", "orders", i, i * 10, i <= 2);
        // The object's size, as the server says (a HEAD).
        let (size, _) = bucket.remote().head(&key).unwrap().unwrap();
        let want = [
            i.to_string(),
            (i * 10).to_string(),
            (i * 10 + 9).to_string(),
            "10".into(),
            size.to_string(),
            key,
        ];
        assert_eq!(row[..], want, "{text}");
    }
    let info = binlog(&server, &["info", "s3://logs/cli", "--log", "orders"]);
    assert_eq!(stdout(&info), text);
}

#[test]
fn remote_verify_checks_hashes_and_records_and_names_a_damaged_object() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("cli-remote-verify");
    shipped(&server, dir.path());
    let ok = binlog(&server, &["remote", "verify", "s3://logs/cli/orders"]);
    assert!(ok.status.success(), "{ok:?}");
    assert_eq!(
        stdout(&ok).lines().filter(|l| l.starts_with("ok ")).count(),
        5
    );

    let key = segment_key("cli", "orders", 3, 30, false);
    let file = server.object_file(BUCKET, &key);
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    std::fs::write(&file, &bytes).unwrap();
    for args in [
        vec!["remote", "verify", "s3://logs/cli/orders"],
        vec!["verify", "s3://logs/cli/orders"],
    ] {
        let bad = binlog(&server, &args);
        assert_eq!(bad.status.code(), Some(1), "{bad:?}");
        let text = stdout(&bad);
        let line = text.lines().find(|l| l.starts_with("DAMAGED")).unwrap();
        assert!(line.contains(&format!("s3://{BUCKET}/{key}")), "{line}");
        assert!(line.contains("SHA-256"), "{line}");
        assert_eq!(text.lines().filter(|l| l.starts_with("ok ")).count(), 4);
    }
    // cat stops at the damaged record, naming the object.
    let cat = binlog(&server, &["cat", "s3://logs/cli/orders"]);
    assert!(!cat.status.success());
    let err = String::from_utf8_lossy(&cat.stderr);
    assert!(err.contains(&format!("s3://{BUCKET}/{key}")), "{err}");
}

#[test]
fn tail_f_of_a_shipped_log_prints_segments_shipped_after_it_started() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("cli-remote-tail-f");
    shipped(&server, dir.path());
    let mut child = KillOnDrop(
        Command::new(crate::common::cli::tool())
            .args(["tail", "-f", "-n", "2", "s3://logs/cli/orders"])
            .envs(server.env())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let (tx, rx) = mpsc::channel();
    let out = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let next_seq = |rx: &mpsc::Receiver<String>| {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("a line within 20 s");
        line.split(' ').next().unwrap().parse::<u64>().unwrap()
    };
    assert_eq!([next_seq(&rx), next_seq(&rx)], [48, 49]);

    // Two more segments, shipped after the follow started.
    common::append_orders(dir.path(), 20, 10);
    assert_eq!(ship_all(&server, dir.path()), [5, 6]);
    let later: Vec<u64> = (0..20).map(|_| next_seq(&rx)).collect();
    assert_eq!(later, (50..70).collect::<Vec<_>>());
}
