//! Upload throughput: `Shipper` (claim, startup scan, SHA-256 of each
//! object, journal fsynced before and after, create-only PUT with a
//! checksum, HEAD to verify) against the same
//! object_store client PUTting the same files with none of that, round by
//! round in alternating order; each round to fresh prefixes, deleted after.

use crate::client::Client;
use crate::common::s3::S3Server;
use crate::segments::{file_len, Logs, LOG};
use crate::{median, Ratios, BUCKET};
use binlog::archive::object_name::{log_prefix, segment_key};
use binlog::archive::{Location, ShipOptions, Shipper};
use binlog::log::ship_journal::journal_path;
use std::time::Instant;

/// A shipped segment's object, for the reading measurements.
pub struct Object {
    /// The prefix the log was shipped to, and the object's key.
    pub prefix: String,
    pub key: String,
    pub bytes: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    pub compressed: bool,
}

pub struct Shipped {
    pub plain: Object,
    pub compressed: Object,
}

fn ship_opts(server: &S3Server) -> ShipOptions {
    ShipOptions {
        connection: server.connection(),
        ..ShipOptions::default()
    }
}

fn location(prefix: &str) -> Location {
    Location::parse(&format!("s3://{BUCKET}/{prefix}")).expect("location")
}

/// Ships every sealed segment of the log to `prefix` (a fresh journal):
/// seconds.
fn ship(server: &S3Server, logs: &Logs, compressed: bool, prefix: &str) -> f64 {
    let dir = logs.dir(compressed);
    let _ = std::fs::remove_file(journal_path(dir, LOG));
    let t = Instant::now();
    let mut s =
        Shipper::open(dir, LOG, &location(prefix), ship_opts(server)).expect("open shipper");
    let report = s.ship_once().expect("ship");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(
        report.uploaded.len(),
        logs.sealed(compressed).len(),
        "{report:?}"
    );
    secs
}

/// PUTs every sealed segment file of the log under `prefix`, in order, as
/// the shipper names them: seconds.
fn put_plainly(client: &Client, logs: &Logs, compressed: bool, prefix: &str) -> f64 {
    let o = ShipOptions::default();
    let t = Instant::now();
    for s in logs.sealed(compressed) {
        let key = segment_key(
            prefix,
            LOG,
            s.segment_no,
            s.first_seq.expect("records"),
            compressed,
        );
        let body = std::fs::read(&s.path).expect("read segment");
        client.put(&key, body, o.multipart_threshold, o.part_size);
    }
    t.elapsed().as_secs_f64()
}

/// Both ways, `rounds` measured pairs after one not measured: prints the
/// figures, returns them as a JSON member.
pub fn measure(server: &S3Server, logs: &Logs, compressed: bool, rounds: usize) -> String {
    let client = Client::new(server);
    let bytes = logs.total_bytes(compressed) as f64;
    let (mut ours, mut theirs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..=rounds {
        let (shipped, put) = (format!("ship-{round}"), format!("put-{round}"));
        let (ship_s, put_s) = if round % 2 == 0 {
            let a = ship(server, logs, compressed, &shipped);
            (a, put_plainly(&client, logs, compressed, &put))
        } else {
            let b = put_plainly(&client, logs, compressed, &put);
            (ship(server, logs, compressed, &shipped), b)
        };
        for p in [&shipped, &put] {
            client.delete_under(&log_prefix(p, LOG));
        }
        if round > 0 {
            ours.push(bytes / ship_s / 1e6);
            theirs.push(bytes / put_s / 1e6);
            ratios.push(put_s / ship_s);
        }
    }
    let name = if compressed { "compressed" } else { "plain" };
    let ratios = Ratios(ratios);
    println!(
        "upload, {name}: {} segments, {:.0} MB: Shipper {:.0} MB/s vs plain PUTs {:.0} MB/s: {} \
         (target >= 0.90)",
        logs.sealed(compressed).len(),
        bytes / 1e6,
        median(ours.clone()),
        median(theirs.clone()),
        ratios.text(),
    );
    format!(
        r#""upload_{name}":{{"segments":{},"bytes":{bytes},"shipper_mb_s":{:.1},"plain_put_mb_s":{:.1},{}}}"#,
        logs.sealed(compressed).len(),
        median(ours),
        median(theirs),
        ratios.json()
    )
}

/// Ships both logs once more, to prefixes kept for the reading
/// measurements: their first segments' objects.
pub fn ship_for_reading(server: &S3Server, logs: &Logs) -> Shipped {
    let object = |compressed: bool| {
        let prefix = format!("read-{compressed}");
        ship(server, logs, compressed, &prefix);
        let s = &logs.sealed(compressed)[0];
        Object {
            prefix: prefix.clone(),
            key: segment_key(
                &prefix,
                LOG,
                s.segment_no,
                s.first_seq.expect("records"),
                compressed,
            ),
            bytes: file_len(s),
            first_seq: s.first_seq.expect("records"),
            last_seq: s.last_seq.expect("records"),
            compressed,
        }
    };
    Shipped {
        plain: object(false),
        compressed: object(true),
    }
}
