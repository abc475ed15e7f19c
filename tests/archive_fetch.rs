//! `RemoteLog::fetch` and `binlog remote fetch` on a real S3-compatible
//! server (versitygw, tests/common/s3.rs): a shipped log's objects copied
//! back into a directory read as the log (`binlog cat DIR`), a range of
//! sequence numbers fetches the objects holding it, and an object whose
//! bytes are not its metadata's SHA-256 stops the fetch with an error
//! naming it, leaving no file of it.

mod common;

use binlog::__private::archive::object_name::segment_key;
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

#[test]
fn an_object_not_matching_its_sha256_is_an_error_naming_it_and_leaves_no_file() {
    let server = S3Server::start(&[BUCKET]);
    let (dir, into) = (TempDir::new("fetch-src"), TempDir::new("fetch-bad"));
    shipped(&server, dir.path());
    let key = segment_key("arch", "orders", 3, 30, false);
    let file = server.object_file(BUCKET, &key);
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x20;
    std::fs::write(&file, &bytes).unwrap();
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
