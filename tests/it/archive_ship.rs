//! Shipping a log's sealed segments to a real S3-compatible server
//! (versitygw on 127.0.0.1, tests/it/common/s3.rs): every sealed segment,
//! plain or compressed, becomes one object whose key and metadata say
//! what it holds; a second run uploads nothing; the server answers a
//! create-only PUT on an existing key with 412, and the shipper never
//! overwrites an object holding other bytes; a prefix claimed by one log
//! refuses another; the journal is rebuilt from the bucket when lost.

use crate::common;

use binlog::archive::object_name::{holding_seq, log_prefix, parse_object_key};
use binlog::archive::{Created, Location, Remote, ShipOptions, Shipper};
use binlog::log::ship_journal::{journal_path, Journal, State};
use binlog::ErrorKind;
use binlog::{compress_segment, decompress_segment, CompressOptions};
use binlog::{list_segments, SegmentState};
use common::s3::{connection_to, S3Server};
use common::TempDir;
use std::path::Path;

const BUCKET: &str = "logs";

/// A closed log `orders` of `n` records, `per` a segment (its last
/// segment sealed by the close), with its sealed segments `compressed`
/// compressed.
fn rolled_log(dir: &Path, n: u64, per: u64, compressed: &[u64]) {
    common::append_orders(dir, n, per);
    for l in list_segments(dir, "orders").unwrap() {
        if compressed.contains(&l.segment_no) {
            compress_segment(&l.path, &CompressOptions::default()).unwrap();
        }
    }
}

fn opts(server: &S3Server) -> ShipOptions {
    ShipOptions {
        connection: server.connection(),
        ..ShipOptions::default()
    }
}

fn location(prefix: &str) -> Location {
    Location::parse(&format!("s3://{BUCKET}/{prefix}")).unwrap()
}

fn bucket(server: &S3Server, prefix: &str) -> Remote {
    Remote::connect(&location(prefix), &server.connection()).unwrap()
}

/// The sealed local segments: (segment number, first seq, last seq, compressed).
fn sealed(dir: &Path) -> Vec<(u64, u64, Option<u64>, bool)> {
    list_segments(dir, "orders")
        .unwrap()
        .into_iter()
        .filter(|l| l.state == SegmentState::Sealed)
        .map(|l| {
            (
                l.segment_no,
                l.first_seq.unwrap(),
                l.last_seq,
                l.is_compressed(),
            )
        })
        .collect()
}

#[test]
fn every_sealed_segment_becomes_one_object_named_and_described_by_what_it_holds() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("ship-all");
    rolled_log(dir.path(), 50, 10, &[0, 2]);
    let local = sealed(dir.path());
    assert_eq!(local.len(), 5, "{local:?}");
    let mut s = Shipper::open(dir.path(), "orders", &location("arch"), opts(&server)).unwrap();
    let report = s.ship_once().unwrap();
    assert_eq!(report.uploaded, [0, 1, 2, 3, 4]);
    let remote = bucket(&server, "arch");
    let listed = remote.list(&log_prefix("arch", "orders")).unwrap();
    let names: Vec<_> = listed.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names.first(),
        Some(&"00000000000000000000-00000000000000000000.binlog.zst"),
        "{names:?}"
    );
    assert_eq!(names.last(), Some(&"claim"));
    let keys: Vec<_> = names.iter().filter_map(|n| parse_object_key(n)).collect();
    assert_eq!(keys.len(), 5);
    for (k, (segno, first, last, compressed)) in keys.iter().zip(&local) {
        assert_eq!(
            (k.segment_no, k.first_seq, k.compressed),
            (*segno, *first, *compressed)
        );
        let key = format!("{}{}", log_prefix("arch", "orders"), names[*segno as usize]);
        let (size, meta) = remote.head(&key).unwrap().unwrap();
        let meta = meta.expect("binlog metadata");
        let file = list_segments(dir.path(), "orders").unwrap()[*segno as usize]
            .path
            .clone();
        let bytes = std::fs::read(&file).unwrap();
        assert_eq!((size, meta.bytes), (bytes.len() as u64, bytes.len() as u64));
        assert_eq!(
            remote.get(&key).unwrap().unwrap(),
            bytes,
            "the object is the file"
        );
        assert_eq!(
            (meta.segment_no, meta.first_seq, meta.last_seq),
            (*segno, *first, *last)
        );
        assert_eq!(meta.records, 10);
        assert_eq!(meta.log, "orders");
        assert_eq!(meta.sha256.len(), 64);
        // A compressed object's plain hash is not computed (metadata.rs).
        let plain = (!compressed).then(|| meta.sha256.clone());
        assert_eq!(meta.segment_sha256, plain);
    }
    // From the listing alone: the object holding sequence number 25.
    assert_eq!(holding_seq(&keys, 25).unwrap().segment_no, 2);
    assert_eq!(holding_seq(&keys, 50).unwrap().segment_no, 4);
    // Nothing is removed locally without --keep-local.
    assert_eq!(sealed(dir.path()), local);
    let j = Journal::load(&journal_path(dir.path(), "orders"))
        .unwrap()
        .unwrap();
    assert!(
        j.entries.iter().all(|e| e.state == State::Uploaded),
        "{j:?}"
    );
}

#[test]
fn a_second_run_uploads_nothing_and_new_segments_follow() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("ship-again");
    rolled_log(dir.path(), 30, 10, &[1]);
    let mut s = Shipper::open(dir.path(), "orders", &location("p"), opts(&server)).unwrap();
    assert_eq!(s.ship_once().unwrap().uploaded, [0, 1, 2]);
    assert_eq!(s.ship_once().unwrap(), Default::default());
    drop(s);
    // The journal lost an UPLOADED (as a kill between the PUT and the
    // journal write leaves it): the startup scan finds the object by HEAD.
    let jp = journal_path(dir.path(), "orders");
    let mut j = Journal::load(&jp).unwrap().unwrap();
    j.entries.retain(|e| e.segment_no != 2);
    j.store(&jp).unwrap();
    rolled_log(dir.path(), 10, 10, &[]);
    let mut s = Shipper::open(dir.path(), "orders", &location("p"), opts(&server)).unwrap();
    assert_eq!(s.journal().entry(2).unwrap().state, State::Uploaded);
    let r = s.ship_once().unwrap();
    assert_eq!(r.uploaded, [3]);
    assert!(r.found_uploaded.is_empty());
}

#[test]
fn a_create_only_put_on_an_existing_key_is_refused_and_nothing_changes() {
    let server = S3Server::start(&[BUCKET]);
    let remote = bucket(&server, "");
    assert_eq!(
        remote.put_create_plain("a/b", b"first".to_vec()).unwrap(),
        Created::Created
    );
    assert_eq!(
        remote.put_create_plain("a/b", b"second".to_vec()).unwrap(),
        Created::AlreadyExists
    );
    assert_eq!(remote.get("a/b").unwrap().unwrap(), b"first");
}

#[test]
fn an_object_with_other_bytes_is_a_conflict_and_is_never_overwritten() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("ship-conflict");
    rolled_log(dir.path(), 30, 10, &[]);
    // Other bytes reach segment 1's key after the shipper's startup scan:
    // its create-only PUT gets 412, and the HEAD shows other bytes.
    let mut s = Shipper::open(dir.path(), "orders", &location("c"), opts(&server)).unwrap();
    let (segno, first, _, _) = sealed(dir.path())[1];
    let key = binlog::archive::object_name::segment_key("c", "orders", segno, first, false);
    let remote = bucket(&server, "c");
    assert_eq!(
        remote
            .put_create_plain(&key, b"not this segment".to_vec())
            .unwrap(),
        Created::Created
    );
    let e = s.ship_once().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RemoteConflict, "{e}");
    assert!(e.message().contains(&format!("s3://{BUCKET}/{key}")), "{e}");
    assert_eq!(remote.get(&key).unwrap().unwrap(), b"not this segment");
    // Segment 0 went up; 2, after the conflict, did not.
    let listed = remote.list(&log_prefix("c", "orders")).unwrap();
    assert_eq!(listed.len(), 3, "{listed:?}");
    // A new shipper refuses at once (its startup scan finds the conflict).
    drop(s);
    let e = Shipper::open(dir.path(), "orders", &location("c"), opts(&server))
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::RemoteConflict, "{e}");
    assert_eq!(remote.get(&key).unwrap().unwrap(), b"not this segment");
}

#[test]
fn a_prefix_claimed_by_one_log_refuses_another_of_the_same_name() {
    let server = S3Server::start(&[BUCKET]);
    let (a, b) = (TempDir::new("ship-claim-a"), TempDir::new("ship-claim-b"));
    rolled_log(a.path(), 20, 10, &[]);
    rolled_log(b.path(), 20, 10, &[]);
    Shipper::open(a.path(), "orders", &location("shared"), opts(&server))
        .unwrap()
        .ship_once()
        .unwrap();
    let e = Shipper::open(b.path(), "orders", &location("shared"), opts(&server))
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::WrongLog, "{e}");
    assert!(e.message().contains("claimed by another log"), "{e}");
    assert!(
        e.message()
            .contains(&format!("s3://{BUCKET}/shared/orders/claim")),
        "{e}"
    );
    // The other log ships elsewhere.
    let mut s = Shipper::open(b.path(), "orders", &location("other"), opts(&server)).unwrap();
    assert_eq!(s.ship_once().unwrap().uploaded, [0, 1]);
}

#[test]
fn local_segments_are_removed_only_past_keep_local_and_after_a_verified_copy() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("ship-keep");
    rolled_log(dir.path(), 60, 10, &[0]);
    let before = sealed(dir.path());
    let o = ShipOptions {
        keep_local: Some(2),
        ..opts(&server)
    };
    let mut s = Shipper::open(dir.path(), "orders", &location("k"), o).unwrap();
    let r = s.ship_once().unwrap();
    assert_eq!(r.uploaded, [0, 1, 2, 3, 4, 5]);
    assert_eq!(r.removed_local, [0, 1, 2, 3]);
    assert_eq!(sealed(dir.path()), before[4..]);
    let j = s.journal().clone();
    assert_eq!(j.through, Some(3), "{j:?}");
    // Every removed segment is in the bucket, byte for byte.
    let remote = bucket(&server, "k");
    for (segno, first, _, compressed) in &before[..4] {
        let key =
            binlog::archive::object_name::segment_key("k", "orders", *segno, *first, *compressed);
        assert!(remote.head(&key).unwrap().is_some(), "{key}");
    }
}

#[test]
fn a_segment_whose_copy_vanished_is_kept_locally() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("ship-vanished");
    rolled_log(dir.path(), 30, 10, &[]);
    let mut s = Shipper::open(dir.path(), "orders", &location("v"), opts(&server)).unwrap();
    assert_eq!(s.ship_once().unwrap().uploaded, [0, 1, 2]);
    drop(s);
    let (segno, first, _, _) = sealed(dir.path())[0];
    let key = binlog::archive::object_name::segment_key("v", "orders", segno, first, false);
    std::fs::remove_file(server.object_file(BUCKET, &key)).unwrap();
    let o = ShipOptions {
        keep_local: Some(0),
        ..opts(&server)
    };
    // The startup scan sees segment 0 missing from the bucket: it ships it
    // again before anything is removed.
    let mut s = Shipper::open(dir.path(), "orders", &location("v"), o).unwrap();
    let r = s.ship_once().unwrap();
    assert_eq!(r.uploaded, [0]);
    assert_eq!(r.removed_local, [0, 1, 2]);
    assert!(bucket(&server, "v").head(&key).unwrap().is_some());
}

#[test]
fn a_lost_journal_is_rebuilt_from_the_bucket() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("ship-rebuild");
    rolled_log(dir.path(), 50, 10, &[3]);
    let o = ShipOptions {
        keep_local: Some(3),
        ..opts(&server)
    };
    let mut s = Shipper::open(dir.path(), "orders", &location("r"), o.clone()).unwrap();
    s.ship_once().unwrap();
    let kept = s.journal().clone();
    drop(s);
    let jp = journal_path(dir.path(), "orders");
    std::fs::remove_file(&jp).unwrap();
    let s = Shipper::open(dir.path(), "orders", &location("r"), o.clone()).unwrap();
    assert_eq!(s.journal(), &kept);
    drop(s);
    // A damaged journal is rebuilt too.
    let text = std::fs::read_to_string(&jp).unwrap();
    std::fs::write(&jp, text.replace("UPLOADED", "UPLOADING")).unwrap();
    let mut s = Shipper::open(dir.path(), "orders", &location("r"), o).unwrap();
    assert_eq!(s.journal(), &kept);
    assert_eq!(s.ship_once().unwrap(), Default::default());
}

/// Ships log `orders` (segments `compressed` compressed) to prefix
/// `prefix`, loses the journal, converts local segment 0 with `convert`
/// and starts again: the rebuilt journal's entry of segment 0.
fn rebuilt_after_converting(
    server: &S3Server,
    prefix: &str,
    compressed: &[u64],
    convert: impl Fn(&Path),
) -> binlog::log::ship_journal::Entry {
    let dir = TempDir::new("ship-convert");
    rolled_log(dir.path(), 30, 10, compressed);
    let mut s = Shipper::open(dir.path(), "orders", &location(prefix), opts(server)).unwrap();
    assert_eq!(s.ship_once().unwrap().uploaded, [0, 1, 2]);
    let shipped = s.journal().entry(0).unwrap().clone();
    drop(s);
    std::fs::remove_file(journal_path(dir.path(), "orders")).unwrap();
    convert(&list_segments(dir.path(), "orders").unwrap()[0].path);
    assert_eq!(sealed(dir.path())[0].3, compressed.is_empty());
    let mut s = Shipper::open(dir.path(), "orders", &location(prefix), opts(server)).unwrap();
    assert_eq!(s.ship_once().unwrap(), Default::default());
    let e = s.journal().entry(0).unwrap().clone();
    assert_eq!(e, shipped, "the copy shipped before the conversion");
    e
}

#[test]
fn a_segment_compressed_or_decompressed_after_its_upload_is_still_its_copy() {
    let server = S3Server::start(&[BUCKET]);
    // A plain object's metadata has its plain hash; the local segment,
    // compressed since, is decompressed to compare.
    let e = rebuilt_after_converting(&server, "c", &[], |p| {
        compress_segment(p, &CompressOptions::default()).unwrap();
    });
    assert_eq!(e.state, State::Uploaded);
    assert!(!e.object.ends_with(".zst"), "{e:?}");
    // A compressed object's metadata has none: the object is read and
    // decompressed to compare with the local segment, plain since.
    let e = rebuilt_after_converting(&server, "d", &[0], |p| {
        decompress_segment(p).unwrap();
    });
    assert_eq!(e.state, State::Uploaded);
    assert!(e.object.ends_with(".zst"), "{e:?}");
}

#[test]
fn a_large_segment_goes_up_in_parts_with_its_metadata() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("ship-multipart");
    let w = common::open_rolling(dir.path(), "orders", 1_000);
    let payload: Vec<u8> = (0..64 << 10).map(|i: u32| (i * 7 % 251) as u8).collect();
    for _ in 0..200 {
        w.write("blob", &payload).unwrap();
    }
    w.close().unwrap();
    let (segno, first, last, _) = sealed(dir.path())[0];
    let o = ShipOptions {
        multipart_threshold: 6 << 20,
        part_size: 5 << 20,
        ..opts(&server)
    };
    let mut s = Shipper::open(dir.path(), "orders", &location("m"), o.clone()).unwrap();
    assert_eq!(s.ship_once().unwrap().uploaded, [segno]);
    let key = binlog::archive::object_name::segment_key("m", "orders", segno, first, false);
    let remote = bucket(&server, "m");
    let file = &list_segments(dir.path(), "orders").unwrap()[0].path;
    let bytes = std::fs::read(file).unwrap();
    assert!(bytes.len() > 12 << 20);
    assert_eq!(remote.get(&key).unwrap().unwrap(), bytes);
    // Read back in 8 MiB ranged GETs, as before a local removal.
    let gets = remote.requests().gets;
    assert_eq!(
        remote.digest(&key).unwrap().unwrap(),
        binlog::archive::digest::of_bytes(&bytes)
    );
    assert_eq!(remote.requests().gets - gets, 2);
    let meta = remote
        .head(&key)
        .unwrap()
        .unwrap()
        .1
        .expect("metadata of a multipart upload");
    assert_eq!(
        (meta.bytes, meta.records, meta.last_seq),
        (bytes.len() as u64, 200, last)
    );
    // Shipped again from scratch (journal lost): found, not uploaded again.
    std::fs::remove_file(journal_path(dir.path(), "orders")).unwrap();
    drop(s);
    let mut s = Shipper::open(dir.path(), "orders", &location("m"), o).unwrap();
    assert_eq!(s.ship_once().unwrap(), Default::default());
}

#[test]
fn a_server_that_does_not_answer_is_a_remote_error_naming_the_object() {
    // A port that takes connections and never answers (held to the end,
    // so no other test's server can take it over).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let half_second = Some(std::time::Duration::from_millis(500));
    let o = ShipOptions {
        connection: binlog::archive::Connection {
            request_timeout: half_second,
            retry_timeout: half_second,
            ..connection_to(format!("http://{}", silent.local_addr().unwrap()))
        },
        ..ShipOptions::default()
    };
    let dir = TempDir::new("ship-down");
    rolled_log(dir.path(), 20, 10, &[]);
    let e = Shipper::open(dir.path(), "orders", &location("d"), o)
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::Remote, "{e}");
    assert!(
        e.message()
            .starts_with(&format!("s3://{BUCKET}/d/orders/claim: ")),
        "{e}"
    );
    // Nothing local changed: no segment removed, no journal written.
    assert_eq!(sealed(dir.path()).len(), 2);
    assert!(!journal_path(dir.path(), "orders").exists());
}

#[test]
fn a_lost_identity_is_taken_back_only_from_a_segment_in_the_bucket() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("ship-identity");
    rolled_log(dir.path(), 20, 10, &[]);
    let id_path = binlog::archive::identity::identity_path(dir.path(), "orders");
    let mut s = Shipper::open(dir.path(), "orders", &location("i"), opts(&server)).unwrap();
    s.ship_once().unwrap();
    drop(s);
    let id = std::fs::read_to_string(&id_path).unwrap();
    std::fs::remove_file(&id_path).unwrap();
    // Its segments are in the bucket byte for byte: the claim is its own.
    let mut s = Shipper::open(dir.path(), "orders", &location("i"), opts(&server)).unwrap();
    assert_eq!(std::fs::read_to_string(&id_path).unwrap(), id);
    assert_eq!(s.ship_once().unwrap(), Default::default());
    drop(s);
    // A log of the same name with no segment in the bucket is refused.
    let other = TempDir::new("ship-identity-other");
    rolled_log(other.path(), 30, 15, &[]);
    let e = Shipper::open(other.path(), "orders", &location("i"), opts(&server))
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::WrongLog, "{e}");
    assert!(!binlog::archive::identity::identity_path(other.path(), "orders").exists());
}

/// A large body PUT create-only onto an existing key: the server may answer
/// 412 before the body is sent and drop the connection; the HEAD after it
/// still finds the other bytes and calls it a conflict.
#[test]
fn a_large_create_only_put_onto_other_bytes_is_a_conflict() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("ship-large-conflict");
    let w = common::open_rolling(dir.path(), "orders", 1_000);
    let payload = vec![7u8; 64 << 10];
    for _ in 0..128 {
        w.write("blob", &payload).unwrap();
    }
    w.close().unwrap();
    let mut s = Shipper::open(dir.path(), "orders", &location("lc"), opts(&server)).unwrap();
    let (segno, first, _, _) = sealed(dir.path())[0];
    let key = binlog::archive::object_name::segment_key("lc", "orders", segno, first, false);
    let remote = bucket(&server, "lc");
    assert_eq!(
        remote.put_create_plain(&key, b"x".to_vec()).unwrap(),
        Created::Created
    );
    let e = s.ship_once().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RemoteConflict, "{e}");
    assert_eq!(remote.get(&key).unwrap().unwrap(), b"x");
}

/// A multipart upload completed onto a key that got an object meanwhile:
/// the completion is create-only (`If-None-Match: *`), so the server
/// refuses it (412) and the object keeps its bytes; the upload is then
/// aborted and no longer listed.
#[test]
fn a_multipart_upload_completed_onto_an_existing_key_is_refused() {
    let server = S3Server::start(&[BUCKET]);
    let remote = bucket(&server, "mc");
    let meta = binlog::archive::ObjectMetadata {
        log: "orders".into(),
        segment_no: 0,
        first_seq: 0,
        last_seq: None,
        records: 0,
        bytes: 3,
        sha256: "ab".repeat(32),
        segment_sha256: None,
    };
    let id = remote.create_multipart("mc/k", &meta).unwrap();
    // Listed by its exact key (MinIO lists no other way).
    let uploads = remote.multipart_uploads("mc/k").unwrap();
    assert_eq!(uploads.len(), 1, "{uploads:?}");
    assert_eq!((uploads[0].key.as_str(), &uploads[0].id), ("mc/k", &id));
    let part = remote.upload_part("mc/k", &id, 1, b"new".to_vec()).unwrap();
    assert_eq!(
        remote.put_create_plain("mc/k", b"old".to_vec()).unwrap(),
        Created::Created
    );
    assert_eq!(
        remote.complete_multipart("mc/k", &id, &[part]).unwrap(),
        Created::AlreadyExists
    );
    assert_eq!(remote.get("mc/k").unwrap().unwrap(), b"old");
    remote.abort_multipart("mc/k", &id).unwrap();
    assert_eq!(remote.multipart_uploads("mc/k").unwrap(), []);
    // Aborting it again (or one finished) is no error.
    remote.abort_multipart("mc/k", &id).unwrap();
}

/// An object that appears at a segment's key while its multipart upload
/// is in progress is not replaced: the create-only completion is refused,
/// the upload aborted (none left listed), and the HEAD calls it a
/// conflict.
#[test]
fn a_multipart_upload_racing_another_object_is_refused_and_aborted() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("ship-multipart-race");
    rolled_log(dir.path(), 20, 10, &[]);
    let (segno, first, _, _) = sealed(dir.path())[0];
    let key = binlog::archive::object_name::segment_key("mr", "orders", segno, first, false);
    let connection = server.connection();
    let other_key = key.clone();
    let hook =
        binlog::archive::StepHook(std::sync::Arc::new(move |s: binlog::archive::ShipStep| {
            if s.step == binlog::archive::Step::UploadIdStored {
                let remote = Remote::connect(&location("mr"), &connection).unwrap();
                remote
                    .put_create_plain(&other_key, b"another".to_vec())
                    .unwrap();
            }
        }));
    let o = ShipOptions {
        multipart_threshold: 0,
        on_step: Some(hook),
        ..opts(&server)
    };
    let mut s = Shipper::open(dir.path(), "orders", &location("mr"), o).unwrap();
    let e = s.ship_once().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RemoteConflict, "{e}");
    let remote = bucket(&server, "mr");
    assert_eq!(remote.get(&key).unwrap().unwrap(), b"another");
    assert_eq!(remote.multipart_uploads(&key).unwrap(), []);
}
