//! Every log shipped under a prefix (`archive::list_logs`, `binlog remote
//! ls s3://BUCKET/PREFIX`) on a real S3-compatible server (versitygw,
//! tests/it/common/s3.rs): each log's segments, sequence numbers, times and
//! bytes; objects that are no log's segment reported, not fatal and not
//! counted as segments; a prefix of hundreds of objects read a page at a
//! time.

use crate::common;

use binlog::archive::{list_logs, Location, Remote, ShipOptions, Shipper};
use binlog::{list_segments, Reader};
use common::remote::binlog_at as binlog;
use common::s3::S3Server;
use common::TempDir;
use std::path::Path;
use std::sync::Arc;

const BUCKET: &str = "logs";

/// Writes `n` records of log `name` in `dir`, `per` a segment, and ships
/// its sealed segments to `s3://logs/<prefix>`.
fn write_and_ship(server: &S3Server, dir: &Path, name: &str, (n, per): (u64, u64), prefix: &str) {
    common::append_random(dir, name, (n, Some(per)), n, |_| "trade");
    let o = ShipOptions {
        connection: server.connection(),
        ..ShipOptions::default()
    };
    let to = Location::parse(&format!("s3://{BUCKET}/{prefix}")).unwrap();
    let r = Shipper::open(dir, name, &to, o)
        .unwrap()
        .ship_once()
        .unwrap();
    assert_eq!(r.uploaded.len() as u64, n.div_ceil(per), "{name}");
}

/// The client of `s3://logs/<prefix>` on `server`.
fn remote(server: &S3Server, prefix: &str) -> Arc<Remote> {
    let at = Location::parse(&format!("s3://{BUCKET}/{prefix}")).unwrap();
    Arc::new(Remote::connect(&at, &server.connection()).unwrap())
}

/// Log `name` in `dir` as its local files say: (segments, bytes, first
/// and last timestamps).
fn local_summary(dir: &Path, name: &str) -> (u64, u64, i64, i64) {
    let segs = list_segments(dir, name).unwrap();
    let bytes = segs
        .iter()
        .map(|s| std::fs::metadata(&s.path).unwrap().len())
        .sum();
    let seal = |p: &Path| Reader::open(p).unwrap().seal().cloned().unwrap();
    let first = seal(&segs[0].path).first_ts;
    let last = seal(&segs[segs.len() - 1].path).last_ts;
    (segs.len() as u64, bytes, first, last)
}

#[test]
fn every_log_under_a_prefix_is_listed_and_foreign_objects_are_reported() {
    let server = S3Server::start(&[BUCKET]);
    let (orders, fills, audit) = (
        TempDir::new("ls-orders"),
        TempDir::new("ls-fills"),
        TempDir::new("ls-audit"),
    );
    write_and_ship(&server, orders.path(), "orders", (30, 10), "fleet");
    write_and_ship(&server, fills.path(), "fills", (12, 4), "fleet");
    write_and_ship(&server, audit.path(), "audit", (5, 5), "fleet/host2");
    let r = remote(&server, "fleet");
    let garbage = "fleet/junk/00000000000000000000-00000000000000000000.binlog";
    for (key, body) in [
        ("fleet/orders/notes.txt", &b"not a segment"[..]),
        ("fleet/README", b"a file beside the logs"),
        (garbage, b"a segment's name, not a segment's bytes"),
    ] {
        r.put_create_plain(key, body.to_vec()).unwrap();
    }

    let listing = list_logs(&r, None).unwrap();
    let paths: Vec<&str> = listing.logs.iter().map(|l| l.path.as_str()).collect();
    // `junk` holds an object named as a segment that is none: no log.
    assert_eq!(paths, ["fills", "host2/audit", "orders"]);
    for (l, dir, last_seq) in [
        (&listing.logs[0], fills.path(), 11),
        (&listing.logs[1], audit.path(), 4),
        (&listing.logs[2], orders.path(), 29),
    ] {
        let (segments, bytes, first_ts, last_ts) = local_summary(dir, &l.name);
        assert_eq!(
            (l.segments, l.bytes, l.first_seq, l.last_seq),
            (segments, bytes, Some(0), Some(last_seq)),
            "{l:?}"
        );
        assert_eq!(
            (l.first_time_ns, l.last_time_ns),
            (Some(first_ts), Some(last_ts))
        );
        assert!(l.claimed, "{l:?}");
        assert_eq!(l.key_prefix, format!("fleet/{}/", l.path));
    }
    let unknown: Vec<&str> = listing.unknown.iter().map(|u| u.key.as_str()).collect();
    assert_eq!(unknown, ["fleet/README", garbage, "fleet/orders/notes.txt"]);
    assert!(
        listing.unknown[0].why.contains("not in a log's directory"),
        "{:?}",
        listing.unknown
    );
    assert!(listing.unknown[2]
        .why
        .contains("not a segment object's name"));

    // The tool prints the same: a row a log, the others on standard error.
    let ls = binlog(&server, &["remote", "ls", "s3://logs/fleet"]);
    assert_eq!(ls.status.code(), Some(1), "{ls:?}");
    let text = String::from_utf8_lossy(&ls.stdout);
    let rows = common::remote::ls_rows(&text);
    assert_eq!(rows.len(), 3, "{text}");
    assert_eq!(&rows[2][..4], ["orders", "3", "0", "29"], "{text}");
    let err = String::from_utf8_lossy(&ls.stderr);
    for key in unknown {
        assert!(err.contains(&format!("s3://logs/{key}")), "{err}");
    }
    let json = binlog(&server, &["remote", "ls", "s3://logs/fleet", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(doc["logs"][2]["log"], "orders");
    assert_eq!(doc["logs"][2]["last_seq"], 29);
    assert_eq!(doc["logs"][2]["bytes"], listing.logs[2].bytes);
    assert_eq!(doc["unknown"].as_array().unwrap().len(), 3);
    // A URL naming a log's directory still lists its segment objects.
    let one = binlog(&server, &["remote", "ls", "s3://logs/fleet/orders"]);
    assert!(one.status.success(), "{one:?}");
    assert_eq!(String::from_utf8_lossy(&one.stdout).lines().count(), 4);
}

#[test]
fn a_prefix_of_hundreds_of_objects_is_listed_a_page_at_a_time() {
    let server = S3Server::start(&[BUCKET]);
    let (many, few) = (TempDir::new("ls-many"), TempDir::new("ls-few"));
    write_and_ship(&server, many.path(), "many", (240, 1), "big");
    write_and_ship(&server, few.path(), "few", (6, 3), "big");
    let whole = list_logs(&remote(&server, "big"), None).unwrap();
    let r = remote(&server, "big");
    let paged = list_logs(&r, Some(7)).unwrap();
    assert_eq!(paged, whole);
    // 240 + 2 segment objects and 2 claims, 7 keys a page.
    assert!(r.requests().lists >= 244 / 7, "{:?}", r.requests());
    let many = &paged.logs[1];
    assert_eq!(
        (
            many.name.as_str(),
            many.segments,
            many.first_seq,
            many.last_seq
        ),
        ("many", 240, Some(0), Some(239))
    );
    assert!(paged.unknown.is_empty(), "{:?}", paged.unknown);
    let small_pages = binlog(
        &server,
        &["remote", "ls", "s3://logs/big", "--page-size", "7"],
    );
    let one_page = binlog(&server, &["remote", "ls", "s3://logs/big"]);
    assert!(small_pages.status.success(), "{small_pages:?}");
    assert_eq!(small_pages.stdout, one_page.stdout);
}

#[test]
fn a_zero_retry_timeout_lists_a_prefix_without_retries() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("ls-zero");
    write_and_ship(&server, dir.path(), "orders", (4, 2), "zero");
    let args = ["remote", "ls", "s3://logs/zero", "--retry-timeout", "0"];
    let o = binlog(&server, &args);
    assert!(o.status.success(), "{o:?}");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.lines().any(|l| l.starts_with("orders ")), "{text}");
}
