//! A shipper, a tiered reader, `binlog ship`, `binlog remote ls` and
//! `binlog remote fetch` given a server that is down (a port with nothing
//! listening) or that accepts connections and never answers (a plain TCP
//! listener of the test's own): each fails with a `Remote` error naming the server's URL and the cause, within its
//! retry timeout plus slack (the bound, 45 s, is far from tight: it only
//! tells a wait bounded by the retry timeout from one of the 60 s request
//! timeout). Begun while the server (versitygw, tests/it/common/s3.rs) is
//! down for a few seconds, well within their retry timeout, they succeed
//! once it is back: the retries last the retry timeout, whatever their
//! count.

use crate::common;

use binlog::archive::{Connection, Created, Location, Remote, RemoteLog, ShipOptions, Shipper};
use binlog::{ErrorKind, LogReader};
use common::s3::S3Server;
use common::TempDir;
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const RETRY_TIMEOUT: Duration = Duration::from_millis(1500);

/// The longest a call may take here: far more than the retry timeout (a
/// loaded machine is slow), less than the 60 s a silent server held
/// each request before requests were bounded by the retry timeout.
const BOUND: Duration = Duration::from_secs(45);

/// An `http://` URL where nothing listens (a port bound, then closed).
fn dead_endpoint() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", l.local_addr().unwrap())
}

/// A listener that accepts connections and never reads or answers; its
/// thread ends with the process.
fn silent_endpoint() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let held: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    std::thread::spawn(move || {
        for c in l.incoming().flatten() {
            held.lock().unwrap().push(c);
        }
    });
    url
}

fn connection(endpoint: &str) -> Connection {
    Connection {
        endpoint: Some(endpoint.into()),
        region: Some("us-east-1".into()),
        access_key_id: Some("id".into()),
        secret_access_key: Some("secret".into()),
        retry_timeout: Some(RETRY_TIMEOUT),
        ..Connection::default()
    }
}

/// The cases: (what, endpoint, words one of which names the cause).
fn cases() -> [(&'static str, String, &'static [&'static str]); 2] {
    [
        (
            "nothing listening",
            dead_endpoint(),
            &["Connection refused", "connection refused"],
        ),
        (
            "never answering",
            silent_endpoint(),
            &["timed out", "timeout"],
        ),
    ]
}

/// Checks that `e` names `endpoint` and one of `causes`, and that `took`
/// is within `BOUND`.
fn check(what: &str, msg: &str, took: Duration, endpoint: &str, causes: &[&str]) {
    assert!(msg.contains(endpoint), "{what}: {msg}");
    assert!(causes.iter().any(|c| msg.contains(c)), "{what}: {msg}");
    assert!(took < BOUND, "{what}: {took:?}");
}

#[test]
fn a_shipper_fails_within_its_retry_timeout_naming_the_endpoint_and_cause() {
    for (what, endpoint, causes) in cases() {
        let dir = TempDir::new("unreachable-ship");
        common::append_orders(dir.path(), 5, 2);
        let to = Location::parse("s3://logs/unreachable").unwrap();
        let o = ShipOptions {
            connection: connection(&endpoint),
            ..ShipOptions::default()
        };
        let start = Instant::now();
        let e = Shipper::open(dir.path(), "orders", &to, o)
            .and_then(|mut s| s.ship_once().map(|_| ()))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Remote, "{what}: {e}");
        check(what, e.message(), start.elapsed(), &endpoint, causes);
    }
}

#[test]
fn a_tiered_reader_fails_within_its_retry_timeout_naming_the_endpoint_and_cause() {
    for (what, endpoint, causes) in cases() {
        let dir = TempDir::new("unreachable-read");
        common::append_orders(dir.path(), 5, 2);
        let at = Location::parse("s3://logs/unreachable").unwrap();
        let start = Instant::now();
        let remote = Remote::connect(&at, &connection(&endpoint)).unwrap();
        let log = RemoteLog::new(Arc::new(remote), "orders").unwrap();
        let e = LogReader::open_tiered(dir.path(), "orders", log)
            .err()
            .unwrap();
        assert_eq!(e.kind(), ErrorKind::Remote, "{what}: {e}");
        check(what, e.message(), start.elapsed(), &endpoint, causes);
    }
}

#[test]
fn binlog_ship_remote_ls_and_fetch_fail_within_their_retry_timeout_naming_the_endpoint_and_cause() {
    for (what, endpoint, causes) in cases() {
        let dir = TempDir::new("unreachable-cli");
        common::append_orders(dir.path(), 5, 2);
        let (d, into) = (dir.path().to_str().unwrap(), dir.path().join("fetched"));
        let url = "s3://logs/unreachable";
        for args in [
            vec!["ship", d, "--log", "orders", "--to", url],
            vec!["remote", "ls", url],
            vec![
                "remote",
                "fetch",
                url,
                "--log",
                "orders",
                into.to_str().unwrap(),
            ],
        ] {
            let start = Instant::now();
            let o = Command::new(crate::common::cli::tool())
                .args(&args)
                .args(["--retry-timeout", "2"])
                .env("AWS_ENDPOINT_URL", &endpoint)
                .env("AWS_REGION", "us-east-1")
                .env("AWS_ACCESS_KEY_ID", "id")
                .env("AWS_SECRET_ACCESS_KEY", "secret")
                .output()
                .unwrap();
            let took = start.elapsed();
            let what = format!("{what}: {args:?}");
            assert_eq!(o.status.code(), Some(2), "{what}: {o:?}");
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(err.contains(&endpoint), "{what}: {err}");
            assert!(causes.iter().any(|c| err.contains(c)), "{what}: {err}");
            assert!(took < BOUND, "{what}: {took:?}");
        }
    }
}

#[test]
fn a_shipper_a_tiered_reader_and_remote_ls_begun_while_the_store_is_down_succeed_once_it_is_back() {
    let mut server = S3Server::start(&["logs"]);
    let (shipped, unshipped) = (TempDir::new("outage-shipped"), TempDir::new("outage-new"));
    common::append_orders(shipped.path(), 6, 2);
    common::append_orders(unshipped.path(), 6, 2);
    let sealed = binlog::list_segments(unshipped.path(), "orders").unwrap();
    let at = Location::parse("s3://logs/outage").unwrap();
    let other = Location::parse("s3://logs/outage-new").unwrap();
    let c = Connection {
        retry_timeout: Some(Duration::from_secs(120)),
        ..server.connection()
    };
    let o = ShipOptions {
        connection: c.clone(),
        ..ShipOptions::default()
    };
    let mut s = Shipper::open(shipped.path(), "orders", &at, o.clone()).unwrap();
    s.ship_once().unwrap();
    drop(s);
    // The local segments go, so that the reader must read the bucket.
    for l in binlog::list_segments(shipped.path(), "orders").unwrap() {
        std::fs::remove_file(&l.path).unwrap();
    }

    server.stop();
    let ls = Command::new(crate::common::cli::tool())
        .args(["remote", "ls", "s3://logs/outage", "--retry-timeout", "120"])
        .envs(server.env())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let read = std::thread::spawn({
        let (dir, c, at) = (shipped.path().to_path_buf(), c.clone(), at.clone());
        move || {
            let remote = Remote::connect(&at, &c).unwrap();
            let log = RemoteLog::new(Arc::new(remote), "orders").unwrap();
            let mut r = LogReader::open_tiered(&dir, "orders", log)?;
            let mut seqs = Vec::new();
            while let Some(rec) = binlog::RecordReader::next(&mut r)? {
                seqs.push(rec.seq);
            }
            binlog::Result::Ok(seqs)
        }
    });
    let ship = std::thread::spawn({
        let dir = unshipped.path().to_path_buf();
        move || {
            let mut s = Shipper::open(&dir, "orders", &other, o)?;
            s.ship_once().map(|r| r.uploaded.len())
        }
    });
    // A request the archive signs and sends itself (signed.rs), outside
    // the prefix `remote ls` lists (an object there is foreign to it).
    let put = std::thread::spawn({
        let (at, c) = (at.clone(), c.clone());
        move || {
            let remote = Remote::connect(&at, &c)?;
            remote.put_create_plain("elsewhere/notes", b"back".to_vec())
        }
    });
    // Far longer than the 10 retries object_store makes by default.
    std::thread::sleep(Duration::from_secs(8));
    server.restart();

    assert_eq!(read.join().unwrap().unwrap(), (0..6).collect::<Vec<u64>>());
    assert_eq!(put.join().unwrap().unwrap(), Created::Created);
    assert_eq!(ship.join().unwrap().unwrap(), sealed.len());
    let ls = ls.wait_with_output().unwrap();
    assert!(ls.status.success(), "{ls:?}");
    let text = String::from_utf8_lossy(&ls.stdout);
    assert!(text.lines().any(|l| l.starts_with("orders ")), "{text}");
}
