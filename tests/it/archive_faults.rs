//! Shipping through faults (a real versitygw behind a loopback proxy that
//! misbehaves on purpose, tests/it/common/proxy.rs): 503 answers, a
//! connection reset part way through a body, a stalled request, the
//! server stopped during an upload and started again, wrong credentials,
//! a missing bucket, and copies damaged or truncated in the bucket after
//! their upload. Each checks that nothing is lost (every segment is local
//! or in the bucket byte for byte), that no object holds other bytes than
//! its segment, and that a failure has the right kind and names the
//! object.

use crate::common;

use binlog::archive::object_name::{claim_key, segment_key};
use binlog::archive::{Location, ShipReport, Shipper};
use binlog::list_segments;
use binlog::log::ship_journal::{journal_path, Journal};
use binlog::ErrorKind;
use common::proxy::{Action, Fault, Proxy, NO_KMS};
use common::s3::S3Server;
use common::shipping::{
    assert_nothing_lost, object_file, open, options, pass_with_server_stopped, ship_until_done,
    shipped, BUCKET,
};
use common::TempDir;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// A closed log `orders` of 5 sealed segments (2 records each, the last 1).
fn closed_log(dir: &Path) -> BTreeMap<u64, (u64, Vec<u8>)> {
    common::append_orders(dir, 9, 2);
    let segs: BTreeMap<_, _> = list_segments(dir, "orders")
        .unwrap()
        .into_iter()
        .map(|l| {
            let bytes = std::fs::read(&l.path).unwrap();
            (l.segment_no, (l.first_seq.unwrap(), bytes))
        })
        .collect();
    assert_eq!(segs.len(), 5);
    segs
}

fn segment_put(action: Action, times: usize) -> Fault {
    Fault {
        method: "PUT",
        path_part: ".binlog".into(),
        action,
        times,
    }
}

/// Every PUT of the log's claim, whatever its prefix.
fn claim_put(action: Action) -> Fault {
    Fault {
        method: "PUT",
        path_part: "/orders/claim".into(),
        action,
        times: usize::MAX,
    }
}

#[test]
fn answers_503_are_retried_and_every_segment_arrives_intact() {
    let server = S3Server::start(&[BUCKET]);
    let proxy = Proxy::start(server.port);
    let dir = TempDir::new("faults-503");
    let before = closed_log(dir.path());
    proxy.add(segment_put(Action::Answer503, 2));
    let mut s = open(dir.path(), "f503", options(&server, proxy.endpoint())).unwrap();
    let r = s.ship_once().unwrap();
    assert_eq!(r.uploaded, [0, 1, 2, 3, 4]);
    assert_eq!(proxy.hits().len(), 2);
    assert_nothing_lost(&server, dir.path(), "f503", &before);
}

/// Ships a closed log to `prefix` through a proxy that answers every PUT
/// of a segment with `action`: the pass fails with a `Remote` error naming
/// segment 0's object, deletes nothing and marks nothing uploaded, and
/// `check` is given its error and the requests the proxy answered; once
/// the proxy lets the PUTs through, the next pass ships every segment.
fn a_pass_failing_on_every_segment_put(
    prefix: &str,
    action: Action,
    check: impl FnOnce(&binlog::Error, usize),
) {
    let server = S3Server::start(&[BUCKET]);
    let proxy = Proxy::start(server.port);
    let dir = TempDir::new(&format!("faults-{prefix}"));
    let before = closed_log(dir.path());
    let mut s = open(dir.path(), prefix, options(&server, proxy.endpoint())).unwrap();
    proxy.add(segment_put(action, usize::MAX));
    let e = s.ship_once().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Remote, "{e}");
    let key = segment_key(prefix, "orders", 0, 0, false);
    assert!(
        e.to_string().contains(&format!("s3://{BUCKET}/{key}")),
        "{e}"
    );
    check(&e, proxy.hits().len());
    assert_eq!(list_segments(dir.path(), "orders").unwrap().len(), 5);
    let journal = Journal::load(&journal_path(dir.path(), "orders"))
        .unwrap()
        .unwrap();
    assert!(!journal.is_uploaded(0));
    assert_nothing_lost(&server, dir.path(), prefix, &before);
    proxy.clear();
    assert_eq!(s.ship_once().unwrap().uploaded, [0, 1, 2, 3, 4]);
    assert_nothing_lost(&server, dir.path(), prefix, &before);
}

#[test]
fn persistent_503s_stop_the_pass_naming_the_object_and_delete_nothing() {
    a_pass_failing_on_every_segment_put("always", Action::Answer503, |e, answered| {
        assert!(answered > 1, "a 503 is retried: {e}");
    });
}

#[test]
fn a_501_answer_is_not_retried_and_the_error_names_the_object_and_the_servers_message() {
    a_pass_failing_on_every_segment_put("no-kms", Action::Answer501, |e, answered| {
        assert!(e.to_string().contains("status 501 NotImplemented"), "{e}");
        assert!(e.to_string().contains(NO_KMS), "{e}");
        // Asked once: a server that cannot do the request is not asked
        // again.
        assert_eq!(answered, 1, "{e}");
    });
}

/// The claim is the first upload of a log: a server that answers it 501
/// (MinIO without a KMS, asked for encryption) is asked once, the open
/// fails at once with the server's message naming the claim, and nothing
/// is written; once the server takes it, the claim is made.
#[test]
fn a_501_answer_to_the_claim_is_not_retried_and_the_error_names_the_claim() {
    let server = S3Server::start(&[BUCKET]);
    let proxy = Proxy::start(server.port);
    let dir = TempDir::new("faults-claim-501");
    let before = closed_log(dir.path());
    proxy.add(claim_put(Action::Answer501));
    let e = open(dir.path(), "claim501", options(&server, proxy.endpoint()))
        .err()
        .expect("refused");
    assert_eq!(e.kind(), ErrorKind::Remote, "{e}");
    let claim = format!("s3://{BUCKET}/{}", claim_key("claim501", "orders"));
    assert!(e.to_string().contains(&claim), "{e}");
    assert!(e.to_string().contains("status 501 NotImplemented"), "{e}");
    assert!(e.to_string().contains(NO_KMS), "{e}");
    // Not retried: retried, a 501 would be asked again and again for
    // the retry timeout (4 s here).
    assert_eq!(proxy.hits().len(), 1, "{e}");
    assert!(!journal_path(dir.path(), "orders").exists());
    assert_nothing_lost(&server, dir.path(), "claim501", &before);
    proxy.clear();
    let mut s = open(dir.path(), "claim501", options(&server, proxy.endpoint())).unwrap();
    assert_eq!(s.ship_once().unwrap().uploaded, [0, 1, 2, 3, 4]);
    assert_nothing_lost(&server, dir.path(), "claim501", &before);
}

/// A claim the server stored but whose every answer was lost (the
/// connection reset, retried until the retries ran out: no answer came)
/// is found by the HEAD that follows and read: it is this log's, so the
/// open goes on.
#[test]
fn a_claim_stored_but_answered_by_a_reset_is_found_by_its_head_and_the_open_goes_on() {
    let server = S3Server::start(&[BUCKET]);
    let proxy = Proxy::start(server.port);
    let dir = TempDir::new("faults-claim-reset");
    let before = closed_log(dir.path());
    proxy.add(claim_put(Action::ServerThenReset));
    let mut s = open(dir.path(), "claimreset", options(&server, proxy.endpoint())).unwrap();
    assert!(!proxy.hits().is_empty());
    proxy.clear();
    let claim = claim_key("claimreset", "orders");
    assert!(server.object_file(BUCKET, &claim).exists(), "{claim}");
    assert_eq!(s.ship_once().unwrap().uploaded, [0, 1, 2, 3, 4]);
    assert_nothing_lost(&server, dir.path(), "claimreset", &before);
}

#[test]
fn a_connection_reset_mid_body_stores_nothing_partial_and_the_upload_completes() {
    let server = S3Server::start(&[BUCKET]);
    let proxy = Proxy::start(server.port);
    let dir = TempDir::new("faults-reset");
    let before = closed_log(dir.path());
    proxy.add(segment_put(Action::ResetMidBody, 2));
    let mut s = open(dir.path(), "reset", options(&server, proxy.endpoint())).unwrap();
    let (done, failed) = ship_until_done(&mut s, 3);
    for e in &failed {
        assert_eq!(e.kind(), ErrorKind::Remote, "{e}");
        assert!(e.to_string().contains("s3://logs/reset/orders/"), "{e}");
    }
    assert_eq!(proxy.hits().len(), 2);
    assert_eq!(shipped(&done), [0, 1, 2, 3, 4], "failures: {failed:?}");
    assert_nothing_lost(&server, dir.path(), "reset", &before);
}

#[test]
fn a_stalled_put_times_out_and_the_upload_completes() {
    let server = S3Server::start(&[BUCKET]);
    let proxy = Proxy::start(server.port);
    let dir = TempDir::new("faults-stall");
    let before = closed_log(dir.path());
    proxy.add(segment_put(Action::Stall(Duration::from_secs(3)), 1));
    let mut s = open(dir.path(), "stall", options(&server, proxy.endpoint())).unwrap();
    let (done, failed) = ship_until_done(&mut s, 3);
    for e in &failed {
        assert_eq!(e.kind(), ErrorKind::Remote, "{e}");
    }
    assert_eq!(proxy.hits().len(), 1);
    assert_eq!(shipped(&done), [0, 1, 2, 3, 4], "failures: {failed:?}");
    assert_nothing_lost(&server, dir.path(), "stall", &before);
}

#[test]
fn the_server_stopped_during_an_upload_and_restarted_loses_nothing() {
    let mut server = S3Server::start(&[BUCKET]);
    let proxy = Proxy::start(server.port);
    let dir = TempDir::new("faults-restart");
    let before = closed_log(dir.path());
    let s = open(dir.path(), "restart", options(&server, proxy.endpoint())).unwrap();
    // The upload of segment 2 is held while the server goes down.
    proxy.add(Fault {
        method: "PUT",
        path_part: "/00000000000000000002-".into(),
        action: Action::Stall(Duration::from_millis(800)),
        times: 1,
    });
    let (mut s, r) = pass_with_server_stopped(s, &proxy, &mut server);
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Remote, "{e}");
    assert!(
        e.to_string()
            .contains("s3://logs/restart/orders/00000000000000000002-"),
        "{e}"
    );
    assert_nothing_lost(&server, dir.path(), "restart", &before);
    server.restart();
    let r = s.ship_once().unwrap();
    assert_eq!(shipped(std::slice::from_ref(&r)), [2, 3, 4]);
    // The failed pass removed nothing: removal follows a pass's uploads.
    assert_eq!(r.removed_local, [0, 1, 2, 3, 4]);
    assert_nothing_lost(&server, dir.path(), "restart", &before);
    // A new shipper's startup scan agrees: nothing left to do.
    drop(s);
    let r = open(dir.path(), "restart", options(&server, server.endpoint()))
        .unwrap()
        .ship_once()
        .unwrap();
    assert_eq!(r, ShipReport::default());
}

#[test]
fn wrong_credentials_are_refused_naming_the_claim_and_nothing_is_touched() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("faults-credentials");
    let before = closed_log(dir.path());
    let mut opts = options(&server, server.endpoint());
    opts.connection.secret_access_key = Some("wrong-secret".into());
    let e = open(dir.path(), "creds", opts).err().expect("refused");
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    assert!(
        e.to_string().contains("s3://logs/creds/orders/claim"),
        "{e}"
    );
    assert!(!journal_path(dir.path(), "orders").exists());
    assert_eq!(list_segments(dir.path(), "orders").unwrap().len(), 5);
    assert_nothing_lost(&server, dir.path(), "creds", &before);
}

#[test]
fn a_missing_bucket_is_reported_naming_it() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("faults-no-bucket");
    closed_log(dir.path());
    let to = Location::parse("s3://no-such-bucket/p").unwrap();
    let e = Shipper::open(
        dir.path(),
        "orders",
        &to,
        options(&server, server.endpoint()),
    )
    .err()
    .expect("refused");
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(
        e.to_string().contains("s3://no-such-bucket/p/orders/"),
        "{e}"
    );
    assert_eq!(list_segments(dir.path(), "orders").unwrap().len(), 5);
}

/// Ships the log without removing anything, then damages objects 1 and 3
/// in the bucket with `damage`.
fn ship_then_damage(server: &S3Server, dir: &Path, prefix: &str, damage: fn(&Path)) {
    let mut opts = options(server, server.endpoint());
    opts.keep_local = None;
    let r = open(dir, prefix, opts).unwrap().ship_once().unwrap();
    assert_eq!(r.uploaded, [0, 1, 2, 3, 4]);
    for l in list_segments(dir, "orders").unwrap() {
        if l.segment_no == 1 || l.segment_no == 3 {
            damage(&object_file(
                server,
                prefix,
                l.segment_no,
                l.first_seq.unwrap(),
            ));
        }
    }
}

fn flip_a_byte(p: &Path) {
    let mut b = std::fs::read(p).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0x20;
    std::fs::write(p, b).unwrap();
}

fn truncate(p: &Path) {
    let f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
    let len = f.metadata().unwrap().len();
    f.set_len(len - 7).unwrap();
}

#[test]
fn copies_damaged_in_the_bucket_are_found_before_their_segments_go_and_the_segments_kept() {
    for (prefix, damage) in [
        ("flipped", flip_a_byte as fn(&Path)),
        ("truncated", truncate),
    ] {
        let server = S3Server::start(&[BUCKET]);
        let dir = TempDir::new("faults-damaged");
        let before = closed_log(dir.path());
        ship_then_damage(&server, dir.path(), prefix, damage);
        // A truncated copy no longer has the listed size of its journal
        // line: the startup scan checks it and refuses to start. A copy of
        // the same size is read back before its local segment would go.
        let e = match open(dir.path(), prefix, options(&server, server.endpoint())) {
            Err(e) => e,
            Ok(mut s) => s.ship_once().expect_err("refused"),
        };
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{prefix}: {e}");
        let key = segment_key(prefix, "orders", 1, before[&1].0, false);
        assert!(
            e.to_string().contains(&format!("s3://{BUCKET}/{key}")),
            "{e}"
        );
        assert!(e.to_string().contains("damaged in the bucket"), "{e}");
        // Segment 0 may have gone (its copy is intact); 1 to 4 are kept.
        let left: Vec<u64> = list_segments(dir.path(), "orders")
            .unwrap()
            .iter()
            .map(|l| l.segment_no)
            .collect();
        assert!(left.ends_with(&[1, 2, 3, 4]), "{prefix}: {left:?}");
        // Retention of a shipped log reads the journal: no longer uploaded.
        let journal = Journal::load(&journal_path(dir.path(), "orders"))
            .unwrap()
            .unwrap();
        assert!(!journal.is_uploaded(1), "{journal:?}");
        assert!(journal.is_uploaded(0), "{journal:?}");
        // Once the damaged objects are removed, the next shipper uploads them again.
        for no in [1, 3] {
            std::fs::remove_file(object_file(&server, prefix, no, before[&no].0)).unwrap();
        }
        let mut s = open(dir.path(), prefix, options(&server, server.endpoint())).unwrap();
        let r = s.ship_once().unwrap();
        assert!(r.uploaded.starts_with(&[1]), "{prefix}: {:?}", r.uploaded);
        assert!(
            r.removed_local.ends_with(&[1, 2, 3, 4]),
            "{prefix}: {:?}",
            r.removed_local
        );
        assert_nothing_lost(&server, dir.path(), prefix, &before);
    }
}
