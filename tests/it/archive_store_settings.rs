//! The store settings object_store takes from the environment, as the
//! uploads the archive signs itself honour them, against a real server.
//! The tests set process environment variables, which every
//! `Remote::connect` of the process reads: each holds `ENVIRONMENT` while
//! it runs, so they run one at a time.
//!
//! Whether the server stored an object encrypted is seen only under MinIO
//! (`make torture` runs this file against it; tests/it/common/s3.rs starts
//! it with a static key): it encrypts an object sent with
//! `x-amz-server-side-encryption: AES256` and says so in the object's
//! HEAD. versitygw (`make test`) accepts the header but keeps no record of
//! it: the tests that check the stored encryption are `#[ignore]`d, and
//! `make torture` runs them (`--include-ignored`) under MinIO only, where
//! they fail if the server is not MinIO. The test that runs everywhere
//! checks that the signed uploads carrying the header are accepted,
//! verified and read back.

use crate::common;

use binlog::archive::object_name::{claim_key, log_prefix, segment_key};
use binlog::archive::remote::Remote;
use binlog::archive::{Location, ObjectMetadata, ShipOptions, ShipStep, Step, StepHook};
use binlog::ErrorKind;
use common::s3::{is_minio, server_name, S3Server, MINIO_KMS_KEY_ID};
use common::shipping::{open, options, segments, shipped, BUCKET};
use common::TempDir;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The process environment, one test at a time: a variable one test sets
/// must not reach another test's uploads.
static ENVIRONMENT: Mutex<()> = Mutex::new(());

/// A test's hold on the environment: the variables it set are removed
/// when it ends (also when it fails), before the next test holds it.
struct Environment {
    set: Vec<&'static str>,
    _held: MutexGuard<'static, ()>,
}

impl Environment {
    fn hold() -> Environment {
        let held = ENVIRONMENT.lock().unwrap_or_else(PoisonError::into_inner);
        Environment {
            set: Vec::new(),
            _held: held,
        }
    }

    fn set(&mut self, name: &'static str, value: &str) {
        // SAFETY: the tests of this binary touch the environment only
        // while holding `ENVIRONMENT`, one at a time; no other thread reads
        // it meanwhile.
        unsafe { std::env::set_var(name, value) };
        self.set.push(name);
    }

    fn remove(&mut self, name: &'static str) {
        // SAFETY: as in `set`.
        unsafe { std::env::remove_var(name) };
        self.set.retain(|n| *n != name);
    }
}

impl Drop for Environment {
    fn drop(&mut self) {
        for name in std::mem::take(&mut self.set) {
            self.remove(name);
        }
    }
}

/// Segments of the mixed log: the 3 small ones (4 records each) go up by
/// whole PUTs, the last (4 records of 1.5 MiB) by a multipart upload of
/// two 5 MiB parts (`ship_mixed`).
const RECORDS_PER_SEGMENT: u64 = 4;

/// A closed log `orders` of 3 small segments and a 6 MiB one; its
/// segments.
fn mixed_log(dir: &Path) -> BTreeMap<u64, (u64, Vec<u8>)> {
    let w = common::open_rolling(dir, "orders", RECORDS_PER_SEGMENT);
    for i in 0..3 * RECORDS_PER_SEGMENT {
        w.write("trade", format!("payload {i}").as_bytes()).unwrap();
    }
    for i in 0..RECORDS_PER_SEGMENT as u32 {
        let blob: Vec<u8> = (0..3u32 << 19)
            .map(|j| (j.wrapping_mul(7) ^ i) as u8)
            .collect();
        w.write("blob", &blob).unwrap();
    }
    w.close().unwrap();
    let segs = segments(dir);
    assert_eq!(segs.len(), 4);
    assert!(segs[&3].1.len() > 5 << 20);
    segs
}

/// Ships log `orders` of `dir` to `prefix` in one pass, keeping no local
/// copy, segments above 1 MiB in 5 MiB parts, and checks what the shipper
/// did: every segment uploaded, verified by its HEAD (size and SHA-256),
/// read back and removed locally; the small ones by one PUT, the large one
/// by two parts.
fn ship_mixed(server: &S3Server, dir: &Path, prefix: &str, segs: &BTreeMap<u64, (u64, Vec<u8>)>) {
    let steps = Arc::new(Mutex::new(Vec::<ShipStep>::new()));
    let seen = steps.clone();
    let opts = ShipOptions {
        multipart_threshold: 1 << 20,
        part_size: 5 << 20,
        on_step: Some(StepHook(Arc::new(move |s| seen.lock().unwrap().push(s)))),
        ..options(server, server.endpoint())
    };
    let mut s = open(dir, prefix, opts).unwrap();
    let r = s.ship_once().unwrap();
    let all: Vec<u64> = segs.keys().copied().collect();
    assert_eq!((&r.uploaded, &r.removed_local), (&all, &all));
    let steps = steps.lock().unwrap();
    let count = |no: u64, step: Step| {
        let s = ShipStep {
            segment_no: no,
            step,
        };
        steps.iter().filter(|&&t| t == s).count()
    };
    let parts: Vec<usize> = all.iter().map(|&no| count(no, Step::PartSent)).collect();
    assert_eq!(parts, [0, 0, 0, 2]);
    for &no in &all {
        let after_upload = [Step::Verified, Step::ReadBack, Step::RemovedLocally];
        let done = after_upload.map(|step| count(no, step));
        assert_eq!(done, [1, 1, 1], "segment {no}: {steps:?}");
    }
}

/// A client of `prefix`; every object of log `orders` under it, which
/// must be its claim and the segments of `segs`, each holding its
/// segment's bytes.
fn objects_of(
    server: &S3Server,
    prefix: &str,
    segs: &BTreeMap<u64, (u64, Vec<u8>)>,
) -> (Remote, Vec<String>) {
    let at = Location::parse(&format!("s3://{BUCKET}/{prefix}")).unwrap();
    let remote = Remote::connect(&at, &server.connection()).unwrap();
    let under = log_prefix(prefix, "orders");
    let listed: Vec<String> = remote
        .list(&under)
        .unwrap()
        .into_iter()
        .map(|o| format!("{under}{}", o.name))
        .collect();
    let mut expected = vec![claim_key(prefix, "orders")];
    for (&no, (first_seq, bytes)) in segs {
        let key = segment_key(prefix, "orders", no, *first_seq, false);
        assert!(remote.get(&key).unwrap().as_ref() == Some(bytes), "{key}");
        expected.push(key);
    }
    expected.sort();
    assert_eq!(listed, expected);
    (remote, listed)
}

/// Fails unless the server is MinIO: only it records server-side
/// encryption, so a test of the stored encryption checks nothing under
/// another.
fn assert_minio() {
    assert!(
        is_minio(),
        "{} keeps no record of server-side encryption: run this test under \
         MinIO (BINLOG_S3_SERVER=minio, make torture)",
        server_name()
    );
}

/// Ships the mixed log of `dir` to `prefix` with the environment
/// variables `settings` set (see `ship_mixed`, which checks the shipper's
/// HEAD verification), and returns a client and the log's objects, each
/// read back as its segment (`objects_of`) with the variables removed.
fn ship_mixed_with(
    env: &mut Environment,
    server: &S3Server,
    dir: &Path,
    prefix: &str,
    settings: &[(&'static str, &str)],
) -> (Remote, Vec<String>) {
    let segs = mixed_log(dir);
    for &(name, value) in settings {
        env.set(name, value);
    }
    ship_mixed(server, dir, prefix, &segs);
    for &(name, _) in settings {
        env.remove(name);
    }
    objects_of(server, prefix, &segs)
}

/// `ship_mixed_with` `AWS_SERVER_SIDE_ENCRYPTION=AES256`.
fn ship_mixed_with_aes256(
    env: &mut Environment,
    server: &S3Server,
    dir: &Path,
    prefix: &str,
) -> (Remote, Vec<String>) {
    let aes256 = [("AWS_SERVER_SIDE_ENCRYPTION", "AES256")];
    ship_mixed_with(env, server, dir, prefix, &aes256)
}

/// A log shipped with `AWS_SERVER_SIDE_ENCRYPTION=AES256`, its small
/// segments by whole PUTs and a 6 MiB one by a multipart upload: every
/// upload is accepted and passes the shipper's HEAD verification (size and
/// SHA-256 from the metadata, not the ETag, which is no MD5 of an
/// encrypted object) and read-back, and every object reads back byte for
/// byte as its segment. A server other than MinIO (versitygw) reports no
/// encryption of any object: were it to, the stored-encryption tests
/// below could run under it too.
#[test]
fn a_log_shipped_with_aes256_is_accepted_verified_and_read_back_by_whole_puts_and_multipart() {
    let mut env = Environment::hold();
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("sse-accepted");
    let (remote, keys) = ship_mixed_with_aes256(&mut env, &server, dir.path(), "accepted");
    if !is_minio() {
        for key in &keys {
            let sse = remote.stored_encryption_of(key).unwrap();
            assert_eq!(
                sse,
                None,
                "{} reports stored encryption now: {key}",
                server_name()
            );
        }
    }
}

/// Under MinIO, every object of a log shipped with
/// `AWS_SERVER_SIDE_ENCRYPTION=AES256` (claim, segments by whole PUT and
/// by multipart) reports `x-amz-server-side-encryption: AES256` in its
/// HEAD.
#[test]
#[ignore = "needs a server that records SSE: run under MinIO (make torture)"]
fn a_log_shipped_with_aes256_is_stored_encrypted_by_whole_puts_and_multipart() {
    assert_minio();
    let mut env = Environment::hold();
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("sse-aes256");
    let (remote, keys) = ship_mixed_with_aes256(&mut env, &server, dir.path(), "enc");
    for key in &keys {
        let sse = remote
            .stored_encryption_of(key)
            .unwrap()
            .map(|e| e.algorithm);
        assert_eq!(sse.as_deref(), Some("AES256"), "{key}");
    }
}

/// Under MinIO, every object of a log shipped with
/// `AWS_SERVER_SIDE_ENCRYPTION=aws:kms` and `AWS_SSE_KMS_KEY_ID` naming
/// the server's key (claim, segments by whole PUT and by multipart)
/// reports `aws:kms` and that key in its HEAD.
#[test]
#[ignore = "needs a server that records SSE: run under MinIO (make torture)"]
fn a_log_shipped_with_aws_kms_and_a_key_id_is_stored_encrypted_with_that_key() {
    assert_minio();
    let mut env = Environment::hold();
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("sse-kms");
    let kms = [
        ("AWS_SERVER_SIDE_ENCRYPTION", "aws:kms"),
        ("AWS_SSE_KMS_KEY_ID", MINIO_KMS_KEY_ID),
    ];
    let (remote, keys) = ship_mixed_with(&mut env, &server, dir.path(), "kms", &kms);
    for key in &keys {
        let sse = remote.stored_encryption_of(key).unwrap().expect(key);
        assert_eq!(sse.algorithm, "aws:kms", "{key}");
        let id = sse.kms_key_id.unwrap_or_default();
        assert!(id.ends_with(MINIO_KMS_KEY_ID), "{key}: {id}");
    }
}

/// Under MinIO, a KMS key id the server does not have is refused with its
/// answer (`404 kms:KeyNotFound`) on each request that creates an object:
/// the claim, a segment's whole PUT and the creation of a multipart
/// upload (the shipper's own calls: MinIO checks the key before the
/// claim's `If-None-Match`, so a shipper never gets past the claim), each
/// error naming its object; so the key id goes on each of them, and
/// nothing is stored.
#[test]
#[ignore = "needs a server with a KMS: run under MinIO (make torture)"]
fn a_kms_key_id_the_server_lacks_refuses_the_claim_whole_puts_and_multipart_uploads() {
    assert_minio();
    let mut env = Environment::hold();
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("sse-kms-missing");
    let segs = mixed_log(dir.path());
    let refused = |e: binlog::Error, key: &str| {
        assert_eq!(e.kind(), ErrorKind::Remote, "{e}");
        assert!(
            e.to_string().contains(&format!("s3://{BUCKET}/{key}")),
            "{e}"
        );
        assert!(e.to_string().contains("status 404 kms:KeyNotFound"), "{e}");
    };
    env.set("AWS_SERVER_SIDE_ENCRYPTION", "aws:kms");
    env.set("AWS_SSE_KMS_KEY_ID", "no-such-key");
    let opts = options(&server, server.endpoint());
    let claim = claim_key("nokey", "orders");
    refused(
        open(dir.path(), "nokey", opts).err().expect("refused"),
        &claim,
    );
    let at = Location::parse(&format!("s3://{BUCKET}/nokey")).unwrap();
    let remote = Remote::connect(&at, &server.connection()).unwrap();
    let (first_seq, bytes) = &segs[&0];
    let key = segment_key("nokey", "orders", 0, *first_seq, false);
    let d = binlog::archive::digest::of_bytes(bytes);
    let meta = ObjectMetadata {
        log: "orders".into(),
        segment_no: 0,
        first_seq: *first_seq,
        last_seq: Some(first_seq + RECORDS_PER_SEGMENT - 1),
        records: RECORDS_PER_SEGMENT,
        bytes: d.bytes,
        sha256: d.sha256,
        segment_sha256: None,
    };
    refused(
        remote.put_create(&key, bytes.clone(), &meta).unwrap_err(),
        &key,
    );
    refused(remote.create_multipart(&key, &meta).unwrap_err(), &key);
    env.remove("AWS_SSE_KMS_KEY_ID");
    env.remove("AWS_SERVER_SIDE_ENCRYPTION");
    let under = log_prefix("nokey", "orders");
    assert_eq!(remote.list(&under).unwrap(), []);
}

/// Under MinIO, no object of the same log shipped without the variable
/// reports a server-side encryption.
#[test]
#[ignore = "needs a server that records SSE: run under MinIO (make torture)"]
fn a_log_shipped_without_encryption_settings_is_stored_unencrypted() {
    assert_minio();
    let _env = Environment::hold();
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("sse-none");
    let segs = mixed_log(dir.path());
    ship_mixed(&server, dir.path(), "plain", &segs);
    let (remote, keys) = objects_of(&server, "plain", &segs);
    for key in &keys {
        assert_eq!(remote.stored_encryption_of(key).unwrap(), None, "{key}");
    }
}

/// Asking for the stored encryption of an object that is not there is a
/// `NotFound` error naming it, not an answer of "unencrypted".
#[test]
fn the_stored_encryption_of_a_missing_object_is_not_found_naming_it() {
    let _env = Environment::hold();
    let server = S3Server::start(&[BUCKET]);
    let at = Location::parse(&format!("s3://{BUCKET}/none")).unwrap();
    let remote = Remote::connect(&at, &server.connection()).unwrap();
    let e = remote
        .stored_encryption_of("none/orders/claim")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.to_string().contains("none/orders/claim"), "{e}");
}

#[test]
fn uploads_carrying_the_encryption_asked_for_are_accepted_and_unsupported_settings_refused() {
    let mut env = Environment::hold();
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("store-settings");
    common::append_orders(dir.path(), 9, 2);
    env.set("AWS_SERVER_SIDE_ENCRYPTION", "AES256");
    let mut s = open(dir.path(), "sse", options(&server, server.endpoint())).unwrap();
    let r = s.ship_once().unwrap();
    assert_eq!(shipped(std::slice::from_ref(&r)), [0, 1, 2, 3, 4]);
    drop(s);
    env.remove("AWS_SERVER_SIDE_ENCRYPTION");

    env.set("AWS_SKIP_SIGNATURE", "true");
    let at = Location::parse(&format!("s3://{BUCKET}/sse")).unwrap();
    let e = Remote::connect(&at, &server.connection())
        .err()
        .expect("refused");
    env.remove("AWS_SKIP_SIGNATURE");
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(e.to_string().contains("AWS_SKIP_SIGNATURE"), "{e}");
}
