//! WORM in the bucket (`ShipOptions::object_lock`): against a real S3
//! server that implements Object Lock (versitygw; moto with
//! BINLOG_S3_SERVER=moto), a shipper locks each segment object and the
//! signed head it puts, refuses a bucket without Object Lock saying so,
//! and remote prune deletes no locked object, reporting the one it
//! stopped at. A signed log's heads in the bucket are what a trusted
//! verify of the bucket checks it against: the newest segments deleted
//! are `cut-off`.

use crate::common::s3::S3Server;
use crate::common::TempDir;
use binlog::archive::{
    Location, LockMode, ObjectLock, ObjectLockHold, PruneOptions, RemoteLog, ShipOptions, Shipper,
};
use binlog::sign::{PublicKey, Signing};
use binlog::verify::{FindingKind, Verify};
use binlog::{ErrorKind, LogOptions, LogWriter, Options};
use std::path::Path;

const PER_SEGMENT: u64 = 3;

/// A signed log `orders` in `dir` of `sealed` sealed segments and, left
/// open, a live one holding one record and checkpointed (its head names
/// it); the writer and the public key.
fn signed_log(dir: &Path, sealed: u64) -> (LogWriter, PublicKey) {
    let public = Signing::new_key_files(dir.join("k")).unwrap();
    let opts = LogOptions {
        segment: Options {
            signing: Some(Signing::from_key_file(dir.join("k")).unwrap()),
            ..Options::default()
        },
        max_segment_records: Some(PER_SEGMENT),
        background: false,
        ..LogOptions::default()
    };
    let w = LogWriter::open(dir, "orders", opts).unwrap();
    for i in 0..PER_SEGMENT * sealed + 1 {
        w.write("order", format!("order {i}").as_bytes()).unwrap();
    }
    w.tick().unwrap();
    (w, public)
}

fn ship(
    server: &S3Server,
    dir: &Path,
    bucket: &str,
    lock: Option<ObjectLock>,
) -> binlog::Result<Shipper> {
    let opts = ShipOptions {
        connection: server.connection(),
        object_lock: lock,
        ..ShipOptions::default()
    };
    let at = Location::parse(&format!("s3://{bucket}/arch")).unwrap();
    Shipper::open(dir, "orders", &at, opts)
}

/// The damage a trusted verify of the log in the bucket finds.
fn remote_damage(log: &RemoteLog, key: PublicKey) -> Vec<FindingKind> {
    let v = Verify::shipped(log.clone()).unwrap().trusting(key);
    let damage = v.flat_map(|r| r.findings).filter(|f| f.is_damage());
    damage.map(|f| f.kind).collect()
}

/// The keys of the log's signed heads in the bucket.
fn head_keys(log: &RemoteLog) -> Vec<String> {
    let listed = log.remote().list("arch/orders/").unwrap();
    let heads = listed.into_iter().filter(|o| o.name.starts_with("head-"));
    heads.map(|o| format!("arch/orders/{}", o.name)).collect()
}

const GOVERNANCE_DAY: ObjectLock = ObjectLock {
    mode: LockMode::Governance,
    days: 1,
};

#[test]
fn shipping_with_a_lock_to_a_bucket_without_object_lock_is_refused_saying_so() {
    let server = S3Server::start(&["plain"]);
    let t = TempDir::new("lock-refused");
    let (_w, _) = signed_log(t.path(), 1);
    let e = ship(&server, t.path(), "plain", Some(GOVERNANCE_DAY))
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(e.to_string().contains("s3://plain/"), "{e}");
    assert!(e.to_string().contains("Object Lock"), "{e}");
    let none = ObjectLock {
        days: 0,
        ..GOVERNANCE_DAY
    };
    server.make_locked_bucket("locked");
    let e = ship(&server, t.path(), "locked", Some(none)).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
}

#[test]
fn each_object_and_signed_head_shipped_is_locked_and_prune_deletes_none_of_them() {
    let server = S3Server::start(&[]);
    server.make_locked_bucket("worm");
    let t = TempDir::new("lock-ship");
    let (_w, public) = signed_log(t.path(), 3);
    let mut s = ship(&server, t.path(), "worm", Some(GOVERNANCE_DAY)).unwrap();
    assert_eq!(s.ship_once().unwrap().uploaded, [0, 1, 2]);
    let log = crate::common::remote::remote_log(&server, "worm", "arch", "orders");
    let segments = log.segments().unwrap();
    let heads = head_keys(&log);
    assert_eq!(heads.len(), 1, "{heads:?}");
    for key in segments.iter().map(|s| &s.object_key).chain(&heads) {
        let lock = log.remote().lock_of(key).unwrap();
        assert!(
            lock.is_some_and(|l| l.to_string().starts_with("until 20")),
            "{key}"
        );
    }
    let oldest = &segments[0].object_key;
    let prune = PruneOptions {
        max_segments: Some(1),
        ..PruneOptions::default()
    };
    let report = log.prune(&prune).unwrap();
    assert!(report.deleted.is_empty(), "{report:?}");
    let (stopped_at, why) = report.locked.unwrap();
    assert_eq!(&stopped_at.object_key, oldest);
    let ObjectLockHold::Until(date) = &why else {
        panic!("{why:?}")
    };
    assert!(date.starts_with("20"), "{date}");
    assert_eq!(why.to_string(), format!("until {date}"));
    assert_eq!(log.segments().unwrap(), segments);
    // The log in the bucket verifies against its key and the head.
    assert_eq!(remote_damage(&log, public), []);
}

#[test]
fn the_newest_segments_deleted_from_the_bucket_are_cut_off_against_its_signed_head() {
    let server = S3Server::start(&["logs"]);
    let t = TempDir::new("lock-cut");
    let (w, public) = signed_log(t.path(), 3);
    let mut s = ship(&server, t.path(), "logs", None).unwrap();
    assert_eq!(s.ship_once().unwrap().uploaded, [0, 1, 2]);
    let log = crate::common::remote::remote_log(&server, "logs", "arch", "orders");
    // The head names the live segment 3, not shipped yet: nothing missing.
    assert_eq!(head_keys(&log).len(), 1);
    assert_eq!(remote_damage(&log, public), []);
    // A second pass puts no head again: the log did not move.
    s.ship_once().unwrap();
    assert_eq!(head_keys(&log).len(), 1);
    let newest = log.segments().unwrap().pop().unwrap();
    log.remote().delete(&newest.object_key).unwrap();
    assert_eq!(remote_damage(&log, public), [FindingKind::CutOff]);
    // The log moves on (segment 3 sealed, 4 live): the pass that ships
    // segment 3 puts the head naming segment 4 beside the first.
    for i in 0..PER_SEGMENT {
        w.write("order", format!("more {i}").as_bytes()).unwrap();
    }
    w.tick().unwrap();
    s.ship_once().unwrap();
    let heads = head_keys(&log);
    assert_eq!(heads.len(), 2, "{heads:?}");
    assert!(heads[1].contains(&format!("head-{:020}-", 4)), "{heads:?}");
}

#[test]
fn the_newest_segment_deleted_alone_is_cut_off_once_a_head_was_put_beside_it() {
    let server = S3Server::start(&["logs"]);
    let t = TempDir::new("lock-cut-newest");
    let (w, public) = signed_log(t.path(), 3);
    let mut s = ship(&server, t.path(), "logs", None).unwrap();
    assert_eq!(s.ship_once().unwrap().uploaded, [0, 1, 2]);
    let log = crate::common::remote::remote_log(&server, "logs", "arch", "orders");
    // The head names the live segment 3, put while it was not shipped.
    assert_eq!(remote_damage(&log, public), []);
    // Segment 3 sealed and shipped: the head naming it is put again, as
    // put with its segment in the bucket.
    w.close().unwrap();
    assert_eq!(s.ship_once().unwrap().uploaded, [3]);
    let heads = head_keys(&log);
    assert_eq!(heads.len(), 2, "{heads:?}");
    assert!(heads[0].contains(&format!("head-{:020}-", 3)), "{heads:?}");
    assert!(heads[1].ends_with("-shipped"), "{heads:?}");
    assert_eq!(remote_damage(&log, public), []);
    // The newest object deleted alone: its head names it.
    let newest = log.segments().unwrap().pop().unwrap();
    log.remote().delete(&newest.object_key).unwrap();
    assert_eq!(remote_damage(&log, public), [FindingKind::CutOff]);
    let v = Verify::remote(log.clone()).unwrap().trusting(public);
    let damage: Vec<_> = v
        .flat_map(|r| r.findings)
        .filter(|f| f.is_damage())
        .collect();
    assert_eq!(damage.len(), 1, "{damage:?}");
    assert_eq!(damage[0].kind, FindingKind::CutOff);
    assert!(damage[0].location.to_string_lossy().ends_with("-shipped"));
}

#[test]
fn a_prune_deletes_the_signed_heads_naming_segments_it_pruned() {
    let server = S3Server::start(&["logs"]);
    let t = TempDir::new("lock-heads");
    let (w, public) = signed_log(t.path(), 3);
    let mut s = ship(&server, t.path(), "logs", None).unwrap();
    s.ship_once().unwrap();
    for i in 0..PER_SEGMENT * 2 {
        w.write("order", format!("more {i}").as_bytes()).unwrap();
    }
    w.tick().unwrap();
    assert_eq!(s.ship_once().unwrap().uploaded, [3, 4]);
    let log = crate::common::remote::remote_log(&server, "logs", "arch", "orders");
    assert_eq!(head_keys(&log).len(), 2);
    let prune = PruneOptions {
        max_segments: Some(1),
        ..PruneOptions::default()
    };
    assert_eq!(log.prune(&prune).unwrap().pruned_through, Some(3));
    let heads = head_keys(&log);
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(heads[0].contains(&format!("head-{:020}-", 5)), "{heads:?}");
    assert_eq!(remote_damage(&log, public), []);
}
