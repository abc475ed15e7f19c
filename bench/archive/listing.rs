//! Listing a prefix of many logs (`binlog remote ls s3://BUCKET/PREFIX`,
//! the library's `archive::list_logs`): 100 logs of 100 small segments,
//! written and shipped by the library's shipper (keys, claims and
//! metadata as `binlog ship` makes them). Timed against boto3 listing the
//! same keys as `aws s3api list-objects-v2` does (pages of 1000), in
//! interleaved pairs; counted: the library's LISTs, GETs and bytes. Also
//! timed, once a pair: the library's LIST pages alone (`Remote::list_page`
//! to the last page), the part of the listing that is no seal's read.

use crate::boto3::Boto3;
use crate::common::s3::S3Server;
use crate::merged::ship_log;
use crate::{interleaved, median, Ratios, Size, BUCKET};
use binlog::archive::{list_logs, Location, Remote, RequestCounts};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

const PREFIX: &str = "listing";
/// Records a segment.
const PER: u64 = 2;

/// Writes the logs in `dir` and ships them, two at a time.
fn ship_logs(server: &S3Server, dir: &Path, size: &Size) {
    let times: Vec<i64> = (0..(size.listing_segments * PER) as i64).collect();
    std::thread::scope(|s| {
        for half in 0..2 {
            let times = &times;
            s.spawn(move || {
                for l in (half..size.listing_logs).step_by(2) {
                    ship_log(server, dir, &format!("app-{l:03}"), times, PER, PREFIX);
                }
            });
        }
    });
}

/// `list_logs` once: seconds and the requests it sent.
fn list(remote: &Arc<Remote>, size: &Size) -> (f64, RequestCounts) {
    let before = remote.requests();
    let t = Instant::now();
    let listing = list_logs(remote, None).expect("list logs");
    let secs = t.elapsed().as_secs_f64();
    let after = remote.requests();
    assert!(listing.unknown.is_empty(), "{:?}", listing.unknown);
    assert_eq!(listing.logs.len(), size.listing_logs);
    let (segments, last) = (size.listing_segments, size.listing_segments * PER - 1);
    for l in &listing.logs {
        assert_eq!(
            (l.segments, l.first_seq, l.last_seq),
            (segments, Some(0), Some(last))
        );
        assert!(l.claimed, "{}: claimed", l.path);
    }
    let requests = RequestCounts {
        gets: after.gets - before.gets,
        bytes: after.bytes - before.bytes,
        lists: after.lists - before.lists,
    };
    (secs, requests)
}

/// Seconds the LIST pages alone take, as `list_logs` sends them.
fn pages_alone(remote: &Remote) -> f64 {
    let t = Instant::now();
    let mut token = None;
    loop {
        let (_, next) = remote
            .list_page(&format!("{PREFIX}/"), token, None)
            .expect("list");
        match next {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => break,
        }
    }
    t.elapsed().as_secs_f64()
}

pub fn measure(server: &S3Server, size: &Size, boto3: &mut Boto3) -> String {
    // The logs are written in /dev/shm (tmpfs), where the shipper's
    // fsyncs cost nothing: on the bench host's disk, 10,000 segments took
    // over 2.5 minutes to ship instead of about 35 s. What it ships is the
    // same.
    let t = Instant::now();
    let local = PathBuf::from(format!(
        "/dev/shm/binlog-bench-listing-{}",
        std::process::id()
    ));
    ship_logs(server, &local, size);
    let _ = std::fs::remove_dir_all(&local);
    let shipped_s = t.elapsed().as_secs_f64();
    let at = Location::parse(&format!("s3://{BUCKET}/{PREFIX}")).expect("location");
    let remote = Arc::new(Remote::connect(&at, &server.connection()).expect("connect"));
    let keys = size.listing_logs as u64 * (size.listing_segments + 1); // a claim each
    let mut pages_s = Vec::new();
    let pairs = interleaved(
        size.rounds,
        || {
            let ours = list(&remote, size);
            pages_s.push(pages_alone(&remote));
            ours
        },
        || boto3.list(&format!("{PREFIX}/")),
    );
    let ratios = Ratios(pairs.iter().map(|((s, _), b)| s / b.secs).collect());
    let (requests, theirs) = (pairs[0].0 .1, &pairs[0].1);
    assert_eq!(theirs.keys, keys, "keys boto3 listed");
    let ms = |v: Vec<f64>| median(v) * 1e3;
    let ours_ms = ms(pairs.iter().map(|((s, _), _)| *s).collect());
    let boto3_ms = ms(pairs.iter().map(|(_, b)| b.secs).collect());
    let boto3_cpu_ms = ms(pairs.iter().map(|(_, b)| b.cpu).collect());
    let pages_ms = ms(pages_s);
    println!(
        "remote ls: {} logs x {} segment objects, {keys} keys with the claims (written and \
         shipped in {shipped_s:.0} s): list_logs {ours_ms:.0} ms ({} LISTs, {} GETs, {:.1} KB \
         fetched; its LIST pages alone {pages_ms:.0} ms) vs boto3 list_objects_v2 {boto3_ms:.0} \
         ms ({} pages, {boto3_cpu_ms:.0} ms of CPU): {} of boto3's time (target <= 1.20)",
        size.listing_logs,
        size.listing_segments,
        requests.lists,
        requests.gets,
        requests.bytes as f64 / 1e3,
        theirs.pages,
        ratios.text(),
    );
    format!(
        r#""remote_ls":{{"logs":{},"segments_per_log":{},"keys":{keys},"lists":{},"gets":{},"bytes_fetched":{},"list_logs_ms":{ours_ms:.1},"list_pages_alone_ms":{pages_ms:.1},"boto3_ms":{boto3_ms:.1},"boto3_cpu_ms":{boto3_cpu_ms:.1},"boto3_pages":{},"ratio_is":"time / boto3's",{}}}"#,
        size.listing_logs,
        size.listing_segments,
        requests.lists,
        requests.gets,
        requests.bytes,
        theirs.pages,
        ratios.json()
    )
}
