//! Multipart uploads through faults (a real versitygw behind the loopback
//! proxy that misbehaves on purpose, tests/it/common/proxy.rs, targeting the
//! requests of a multipart upload by their query): 5xx answers to a part,
//! to the creation and to the completion, a connection reset part way
//! through a part, the answer to a completion or a creation lost after
//! the server did it, the server stopped during a part and started
//! again, and listings of uploads failing. Each checks that nothing is lost, no object holds other bytes
//! than its segment (nothing partial is stored), each segment arrives
//! exactly once, no upload is left listed on the server, and a failure
//! names the object.

use crate::common;

use binlog::archive::object_name::segment_key;
use binlog::archive::remote::Remote;
use binlog::archive::{Location, ShipOptions, Shipper};
use binlog::list_segments;
use binlog::log::ship_journal::{journal_path, Journal};
use binlog::ErrorKind;
use common::proxy::{Action, Fault, Proxy};
use common::s3::S3Server;
use common::shipping::{
    assert_nothing_lost, object_file, open, options, pass_with_server_stopped, ship_until_done,
    shipped, BUCKET,
};
use common::TempDir;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Records a segment of the large log: 90 of 64 KiB, 5.6 MiB, two parts.
const RECORDS_PER_SEGMENT: u64 = 90;

/// A closed log `orders` of 3 sealed segments of two parts each (5 MiB,
/// the least S3 allows, and the rest), every record's bytes different.
fn large_log(dir: &Path) -> BTreeMap<u64, (u64, Vec<u8>)> {
    let w = common::open_rolling(dir, "orders", RECORDS_PER_SEGMENT);
    for i in 0..3 * RECORDS_PER_SEGMENT {
        let payload: Vec<u8> = (0..64u32 << 10)
            .map(|j| (j.wrapping_mul(7) ^ i as u32) as u8)
            .collect();
        w.write("blob", &payload).unwrap();
    }
    w.close().unwrap();
    let segs: BTreeMap<_, _> = list_segments(dir, "orders")
        .unwrap()
        .into_iter()
        .map(|l| {
            (
                l.segment_no,
                (l.first_seq.unwrap(), std::fs::read(&l.path).unwrap()),
            )
        })
        .collect();
    assert_eq!(segs.len(), 3);
    assert!(segs.values().all(|(_, b)| b.len() > 5 << 20));
    segs
}

/// `options` with every segment going up in 5 MiB parts.
fn multipart_options(server: &S3Server, endpoint: String) -> ShipOptions {
    ShipOptions {
        multipart_threshold: 1 << 20,
        part_size: 5 << 20,
        ..options(server, endpoint)
    }
}

/// The multipart uploads the server lists under `prefix` (asked directly,
/// not through the proxy).
fn listed_uploads(server: &S3Server, prefix: &str) -> usize {
    let at = Location::parse(&format!("s3://{BUCKET}/{prefix}")).unwrap();
    let remote = Remote::connect(&at, &server.connection()).unwrap();
    remote.multipart_uploads(prefix).unwrap().len()
}

fn journal(dir: &Path) -> Journal {
    Journal::load(&journal_path(dir, "orders"))
        .unwrap()
        .unwrap()
}

/// The end every test reaches: each segment uploaded exactly once
/// (`shipped`), intact, no upload left on the server or in the journal.
fn assert_shipped_once_and_clean(
    server: &S3Server,
    dir: &Path,
    prefix: &str,
    before: &BTreeMap<u64, (u64, Vec<u8>)>,
    shipped: &[u64],
) {
    assert_eq!(shipped, [0, 1, 2], "{prefix}");
    for (no, (first_seq, _)) in before {
        assert!(object_file(server, prefix, *no, *first_seq).exists());
    }
    assert_nothing_lost(server, dir, prefix, before);
    assert_eq!(listed_uploads(server, prefix), 0, "{prefix}");
    assert!(journal(dir).multipart.is_empty(), "{prefix}");
}

/// The URL of segment 0's object under `prefix`, as errors name it.
fn first_object(prefix: &str, before: &BTreeMap<u64, (u64, Vec<u8>)>) -> String {
    let key = segment_key(prefix, "orders", 0, before[&0].0, false);
    format!("s3://{BUCKET}/{key}")
}

/// A pass of `s` that fails: a remote error naming segment 0's object
/// and what was being done, every local segment kept, none uploaded.
fn failed_pass(
    s: &mut Shipper,
    dir: &Path,
    prefix: &str,
    before: &BTreeMap<u64, (u64, Vec<u8>)>,
    doing: &str,
) -> binlog::Error {
    let e = s.ship_once().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Remote, "{e}");
    assert!(e.to_string().contains(&first_object(prefix, before)), "{e}");
    assert!(e.to_string().contains(doing), "{e}");
    assert_eq!(list_segments(dir, "orders").unwrap().len(), 3);
    assert!(!journal(dir).is_uploaded(0));
    e
}

fn fault(method: &'static str, path_part: &str, action: Action, times: usize) -> Fault {
    Fault {
        method,
        path_part: path_part.into(),
        action,
        times,
    }
}

fn part(action: Action, times: usize) -> Fault {
    fault("PUT", "?partNumber=", action, times)
}

fn creation(action: Action, times: usize) -> Fault {
    fault("POST", "?uploads", action, times)
}

fn completion(action: Action, times: usize) -> Fault {
    fault("POST", "?uploadId=", action, times)
}

fn abort(action: Action, times: usize) -> Fault {
    fault("DELETE", "?uploadId=", action, times)
}

#[test]
fn answers_503_to_parts_are_retried_and_every_segment_arrives_intact_once() {
    let server = S3Server::start(&[BUCKET]);
    let proxy = Proxy::start(server.port);
    let dir = TempDir::new("mp-faults-503");
    let before = large_log(dir.path());
    proxy.add(part(Action::Answer503, 2));
    let mut s = open(
        dir.path(),
        "p503",
        multipart_options(&server, proxy.endpoint()),
    )
    .unwrap();
    let r = s.ship_once().unwrap();
    assert_eq!(proxy.hits().len(), 2);
    assert_shipped_once_and_clean(&server, dir.path(), "p503", &before, &r.uploaded);
}

#[test]
fn persistent_503s_on_parts_stop_the_pass_naming_the_object_abort_the_upload_and_delete_nothing() {
    let server = S3Server::start(&[BUCKET]);
    let proxy = Proxy::start(server.port);
    let dir = TempDir::new("mp-faults-503-always");
    let before = large_log(dir.path());
    let mut s = open(
        dir.path(),
        "always",
        multipart_options(&server, proxy.endpoint()),
    )
    .unwrap();
    proxy.add(part(Action::Answer503, usize::MAX));
    let e = failed_pass(&mut s, dir.path(), "always", &before, "upload part 1");
    assert!(e.to_string().contains("(bytes 0..5242880 of "), "{e}");
    assert!(!object_file(&server, "always", 0, 0).exists());
    assert_eq!(listed_uploads(&server, "always"), 0, "the pass aborted it");
    proxy.clear();
    let r = s.ship_once().unwrap();
    assert_shipped_once_and_clean(&server, dir.path(), "always", &before, &r.uploaded);
}

#[test]
fn a_failing_listing_of_a_keys_other_uploads_does_not_fail_the_upload() {
    let server = S3Server::start(&[BUCKET]);
    let proxy = Proxy::start(server.port);
    let dir = TempDir::new("mp-faults-listing");
    let before = large_log(dir.path());
    let mut s = open(
        dir.path(),
        "listing",
        multipart_options(&server, proxy.endpoint()),
    )
    .unwrap();
    // Every listing of multipart uploads (GET ?prefix=..&uploads=) fails.
    proxy.add(fault("GET", "&uploads=", Action::Answer503, usize::MAX));
    let r = s.ship_once().unwrap();
    assert!(!proxy.hits().is_empty(), "the listing was asked for");
    assert_shipped_once_and_clean(&server, dir.path(), "listing", &before, &r.uploaded);
}

#[test]
fn an_upload_whose_abort_failed_too_is_aborted_by_the_next_shipper() {
    let server = S3Server::start(&[BUCKET]);
    let proxy = Proxy::start(server.port);
    let dir = TempDir::new("mp-faults-abort");
    let before = large_log(dir.path());
    let opts = multipart_options(&server, proxy.endpoint());
    let mut s = open(dir.path(), "abort", opts.clone()).unwrap();
    proxy.add(part(Action::Answer503, usize::MAX));
    proxy.add(abort(Action::Answer503, usize::MAX));
    failed_pass(&mut s, dir.path(), "abort", &before, "upload part 1");
    assert_eq!(
        listed_uploads(&server, "abort"),
        1,
        "left by the failed abort"
    );
    assert_eq!(journal(dir.path()).multipart.len(), 1);
    proxy.clear();
    drop(s);
    let mut s = open(dir.path(), "abort", opts).unwrap();
    assert_eq!(
        listed_uploads(&server, "abort"),
        0,
        "aborted by the startup scan"
    );
    let r = s.ship_once().unwrap();
    assert_shipped_once_and_clean(&server, dir.path(), "abort", &before, &r.uploaded);
}

#[test]
fn a_connection_reset_mid_part_stores_nothing_partial_and_the_upload_completes() {
    let server = S3Server::start(&[BUCKET]);
    let proxy = Proxy::start(server.port);
    let dir = TempDir::new("mp-faults-reset");
    let before = large_log(dir.path());
    proxy.add(part(Action::ResetMidBody, 2));
    let mut s = open(
        dir.path(),
        "reset",
        multipart_options(&server, proxy.endpoint()),
    )
    .unwrap();
    let (done, failed) = ship_until_done(&mut s, 3);
    for e in &failed {
        assert_eq!(e.kind(), ErrorKind::Remote, "{e}");
        assert!(e.to_string().contains("s3://logs/reset/orders/"), "{e}");
    }
    assert_eq!(proxy.hits().len(), 2);
    assert_eq!(done.len(), 1, "failures: {failed:?}");
    assert_shipped_once_and_clean(&server, dir.path(), "reset", &before, &shipped(&done));
}

/// A 503 before the server completed the upload is retried; an answer
/// lost after it did (a 503 or a reset in its place) is decided by the
/// HEAD: the object is there with the segment's bytes, so it is uploaded.
#[test]
fn a_failed_completion_is_retried_or_found_done_by_the_head() {
    let server = S3Server::start(&[BUCKET]);
    for (prefix, action) in [
        ("c503", Action::Answer503),
        ("done503", Action::ServerThen503),
        ("donereset", Action::ServerThenReset),
    ] {
        let proxy = Proxy::start(server.port);
        let dir = TempDir::new("mp-faults-complete");
        let before = large_log(dir.path());
        proxy.add(completion(action, 1));
        let opts = multipart_options(&server, proxy.endpoint());
        let mut s = open(dir.path(), prefix, opts).unwrap();
        let (done, failed) = ship_until_done(&mut s, 3);
        for e in &failed {
            assert!(
                e.to_string().contains(&first_object(prefix, &before)),
                "{e}"
            );
        }
        assert_eq!(proxy.hits().len(), 1, "{prefix}");
        assert_eq!(done.len(), 1, "{prefix}: failures: {failed:?}");
        let all = shipped(&done);
        assert_shipped_once_and_clean(&server, dir.path(), prefix, &before, &all);
    }
}

#[test]
fn answers_503_to_a_creation_are_retried_and_persistent_ones_stop_the_pass_naming_the_object() {
    let server = S3Server::start(&[BUCKET]);
    let proxy = Proxy::start(server.port);
    let dir = TempDir::new("mp-faults-create");
    let before = large_log(dir.path());
    let mut s = open(
        dir.path(),
        "create",
        multipart_options(&server, proxy.endpoint()),
    )
    .unwrap();
    proxy.add(creation(Action::Answer503, usize::MAX));
    failed_pass(
        &mut s,
        dir.path(),
        "create",
        &before,
        "create multipart upload",
    );
    assert!(journal(dir.path()).multipart.is_empty());
    assert_eq!(listed_uploads(&server, "create"), 0);
    proxy.clear();
    let persistent = proxy.hits().len();
    proxy.add(creation(Action::Answer503, 2));
    let r = s.ship_once().unwrap();
    assert_eq!(proxy.hits().len(), persistent + 2);
    assert_shipped_once_and_clean(&server, dir.path(), "create", &before, &r.uploaded);
}

/// The server created an upload but its answer was lost: the retry
/// creates a second one. The first is aborted too, not left listed.
#[test]
fn a_creation_whose_answer_was_lost_leaves_no_upload_behind() {
    let server = S3Server::start(&[BUCKET]);
    let proxy = Proxy::start(server.port);
    let dir = TempDir::new("mp-faults-create-lost");
    let before = large_log(dir.path());
    proxy.add(creation(Action::ServerThen503, 1));
    let mut s = open(
        dir.path(),
        "lost",
        multipart_options(&server, proxy.endpoint()),
    )
    .unwrap();
    let (done, failed) = ship_until_done(&mut s, 3);
    assert_eq!(proxy.hits().len(), 1);
    assert_eq!(done.len(), 1, "failures: {failed:?}");
    assert_shipped_once_and_clean(&server, dir.path(), "lost", &before, &shipped(&done));
}

/// The server goes down while part 2 of segment 1 is held: the pass
/// fails naming the object (its abort cannot reach the server either);
/// the same shipper's next pass, once the server is back, aborts the
/// upload the journal names and ships the rest.
#[test]
fn the_server_stopped_during_a_part_and_restarted_loses_nothing_and_leaves_no_upload() {
    let mut server = S3Server::start(&[BUCKET]);
    let proxy = Proxy::start(server.port);
    let dir = TempDir::new("mp-faults-restart");
    let before = large_log(dir.path());
    let opts = multipart_options(&server, proxy.endpoint());
    let s = open(dir.path(), "restart", opts.clone()).unwrap();
    let key = segment_key("restart", "orders", 1, before[&1].0, false);
    proxy.add(fault(
        "PUT",
        &format!("{key}?partNumber=2&"),
        Action::Stall(Duration::from_millis(800)),
        1,
    ));
    let (mut s, r) = pass_with_server_stopped(s, &proxy, &mut server);
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Remote, "{e}");
    assert!(
        e.to_string().contains(&format!("s3://{BUCKET}/{key}")),
        "{e}"
    );
    assert_nothing_lost(&server, dir.path(), "restart", &before);
    assert!(object_file(&server, "restart", 0, 0).exists());
    assert!(!object_file(&server, "restart", 1, before[&1].0).exists());
    server.restart();
    assert_eq!(listed_uploads(&server, "restart"), 1, "left by the stop");
    let r = s.ship_once().unwrap();
    assert_eq!(r.uploaded, [1, 2]);
    // The failed pass removed nothing: removal follows a pass's uploads.
    assert_eq!(r.removed_local, [0, 1, 2]);
    let all = [&[0][..], &r.uploaded].concat();
    assert_shipped_once_and_clean(&server, dir.path(), "restart", &before, &all);
    drop(s);
    let r = open(dir.path(), "restart", opts)
        .unwrap()
        .ship_once()
        .unwrap();
    assert_eq!(r, Default::default());
}
