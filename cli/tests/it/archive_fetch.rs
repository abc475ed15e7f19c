//! `RemoteLog::fetch` and `binlog remote fetch` on a real S3-compatible
//! server (versitygw, tests/it/common/s3.rs): a shipped log's objects copied
//! back into a directory read as the log (`binlog cat DIR`), a range of
//! sequence numbers fetches the objects holding it, an object whose
//! bytes are not its metadata's SHA-256 stops the fetch with an error
//! naming it, leaving no file of it, after the lines of the objects
//! fetched before it, a file of an object's name holding other bytes is
//! never replaced, and an object missing from the middle is a gap.

use crate::common;

use binlog::archive::object_name::segment_key;
use common::remote::binlog_at as binlog;
use common::s3::S3Server;
use common::TempDir;
use std::path::Path;
use std::process::Output;

const BUCKET: &str = "logs";

/// Log `orders` of 50 records, 10 a segment, in `dir`; segments 0..=2
/// compressed; all shipped to s3://logs/arch.
fn shipped(server: &S3Server, dir: &Path) {
    common::remote::orders_partly_compressed(dir);
    assert_eq!(
        common::remote::ship_orders(server, dir, "arch"),
        [0, 1, 2, 3, 4]
    );
}

/// `binlog remote fetch s3://logs/arch --log orders DIR`.
fn fetch_into(server: &S3Server, dir: &Path) -> Output {
    let into = dir.to_str().unwrap();
    binlog(
        server,
        &["remote", "fetch", "s3://logs/arch", "--log", "orders", into],
    )
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `binlog cat` of log `orders` in `dir`, with `more` arguments.
fn cat(server: &S3Server, dir: &Path, more: &[&str]) -> String {
    let mut args = vec!["cat", dir.to_str().unwrap(), "--log", "orders"];
    args.extend(more);
    let o = binlog(server, &args);
    assert!(o.status.success(), "{o:?}");
    stdout(&o)
}

/// The names of the files in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_fetched_log_reads_as_the_shipped_one_under_the_same_file_names() {
    let server = S3Server::start(&[BUCKET]);
    let (dir, into) = (TempDir::new("fetch-src"), TempDir::new("fetch-all"));
    shipped(&server, dir.path());
    let log = common::remote::remote_log(&server, BUCKET, "arch", "orders");
    let fetched = log.fetch(into.path(), None, None).unwrap();
    assert_eq!(fetched.len(), 5);
    assert!(fetched.iter().all(|f| !f.already_there));
    let segment_files: Vec<String> = names(dir.path())
        .into_iter()
        .filter(|n| n.contains(".binlog"))
        .collect();
    assert_eq!(names(into.path()), segment_files);
    assert_eq!(
        cat(&server, into.path(), &[]),
        cat(&server, dir.path(), &[])
    );
    // Fetched again: every file is there with the same bytes.
    let again = fetch_into(&server, into.path());
    assert!(again.status.success(), "{again:?}");
    assert_eq!(
        stdout(&again).matches("already there").count(),
        5,
        "{}",
        stdout(&again)
    );
}

#[test]
fn a_range_in_the_middle_fetches_the_objects_holding_it() {
    let server = S3Server::start(&[BUCKET]);
    let (dir, into) = (TempDir::new("fetch-src"), TempDir::new("fetch-range"));
    shipped(&server, dir.path());
    let to = into.path().join("orders");
    let args = [
        "remote",
        "fetch",
        "s3://logs/arch/orders",
        to.to_str().unwrap(),
        "--from-seq",
        "15",
        "--to-seq",
        "32",
    ];
    let o = binlog(&server, &args);
    assert!(o.status.success(), "{o:?}");
    // Segments 1 to 3: sequence numbers 10 to 39.
    assert_eq!(stdout(&o).lines().count(), 3, "{}", stdout(&o));
    let fetched = cat(&server, &to, &[]);
    assert_eq!(
        fetched,
        cat(&server, dir.path(), &["--from-seq", "10", "--to-seq", "39"])
    );
    assert!(fetched.starts_with("10 "), "{fetched}");
    let range = ["--from-seq", "15", "--to-seq", "32"];
    assert_eq!(cat(&server, &to, &range), cat(&server, dir.path(), &range));
}

/// An object deleted from the middle of the log: the fetch copies the
/// others and reports the records it could not fetch as every read does,
/// a `gap` line naming the object's URL and the records, exit status 1;
/// the library's fetch says it of the object after the gap; a read of the
/// fetched directory meets the same records missing.
#[test]
fn a_fetch_of_a_log_whose_middle_object_was_deleted_names_the_gap_and_exits_1() {
    let server = S3Server::start(&[BUCKET]);
    let (dir, into) = (TempDir::new("fetch-src"), TempDir::new("fetch-gap"));
    shipped(&server, dir.path());
    let log = common::remote::remote_log(&server, BUCKET, "arch", "orders");
    log.remote()
        .delete(&segment_key("arch", "orders", 2, 20, true))
        .unwrap();
    let o = fetch_into(&server, into.path());
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let plain_key = segment_key("arch", "orders", 2, 20, false);
    let gap = format!(
        "binlog: gap: s3://{BUCKET}/{plain_key}: records 20..29 are missing: the object (plain \
         or compressed, .zst) is not in the bucket"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&gap), "{err}");
    assert_eq!(stdout(&o).lines().count(), 4, "{}", stdout(&o));

    let again = TempDir::new("fetch-gap-lib");
    let fetched = log.fetch(again.path(), None, None).unwrap();
    let gaps: Vec<_> = fetched.iter().map(|f| f.gap.is_some()).collect();
    assert_eq!(gaps, [false, false, true, false]);
    let g = fetched[2].gap.as_ref().unwrap();
    assert_eq!((g.from_seq, g.to_seq), (Some(20), Some(30)));
    assert_eq!(g.reason, binlog::GapReason::Missing);

    let read = binlog(
        &server,
        &["cat", into.path().to_str().unwrap(), "--log", "orders"],
    );
    assert_eq!(read.status.code(), Some(1), "{read:?}");
    assert!(String::from_utf8_lossy(&read.stderr).contains("records 20..29 are missing"));
}

/// Flips a byte in the middle of the object at `key`, as the server
/// keeps it: its bytes no longer match its metadata's SHA-256.
fn damage(server: &S3Server, key: &str) {
    let file = server.object_file(BUCKET, key);
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    std::fs::write(&file, &bytes).unwrap();
}

#[test]
fn an_object_not_matching_its_sha256_is_an_error_naming_it_and_leaves_no_file() {
    let server = S3Server::start(&[BUCKET]);
    let (dir, into) = (TempDir::new("fetch-src"), TempDir::new("fetch-bad"));
    shipped(&server, dir.path());
    let key = segment_key("arch", "orders", 3, 30, false);
    damage(&server, &key);
    let o = fetch_into(&server, into.path());
    // Status 1, as for every damage the tool finds.
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("s3://logs/{key}")), "{err}");
    assert!(err.contains("SHA-256"), "{err}");
    // Segments 0 to 2 were fetched whole; nothing of 3 is left.
    let left = names(into.path());
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(left.iter().all(|n| n.ends_with(".binlog.zst")), "{left:?}");
    assert_eq!(
        cat(&server, into.path(), &[]),
        cat(&server, dir.path(), &["--to-seq", "29"])
    );
}

#[test]
fn a_fetch_that_fails_at_the_third_object_has_printed_the_first_two() {
    let server = S3Server::start(&[BUCKET]);
    let (dir, into) = (TempDir::new("fetch-src"), TempDir::new("fetch-third"));
    shipped(&server, dir.path());
    damage(&server, &segment_key("arch", "orders", 2, 20, true));
    let o = fetch_into(&server, into.path());
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let fetched = names(into.path());
    assert_eq!(fetched.len(), 2, "{fetched:?}");
    for (line, (no, file)) in lines.iter().zip(fetched.iter().enumerate()) {
        let key = segment_key("arch", "orders", no as u64, no as u64 * 10, true);
        assert!(
            line.starts_with(&format!("fetched s3://logs/{key} -> ")),
            "{line}"
        );
        assert!(line.contains(file.as_str()), "{line} names {file}");
    }
}

#[test]
fn a_file_of_an_objects_name_holding_other_bytes_is_kept_and_stops_the_fetch_naming_it() {
    let server = S3Server::start(&[BUCKET]);
    let (dir, into) = (TempDir::new("fetch-src"), TempDir::new("fetch-other"));
    shipped(&server, dir.path());
    let first = names(dir.path())
        .into_iter()
        .find(|n| n.ends_with(".binlog.zst"))
        .unwrap();
    let theirs = into.path().join(&first);
    std::fs::write(&theirs, b"someone else's bytes").unwrap();
    let o = fetch_into(&server, into.path());
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(theirs.to_str().unwrap()), "{err}");
    assert!(err.contains("not overwritten"), "{err}");
    assert_eq!(std::fs::read(&theirs).unwrap(), b"someone else's bytes");
    assert_eq!(names(into.path()), [first], "no .fetch file left");
}
