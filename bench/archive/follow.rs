//! Remote follow latency: a writer seals a small segment (`roll`), the
//! library's shipper uploads it (`ship_once`), and a follower of the
//! bucket alone (`LogReader::open_remote`, a client of its own, on another
//! thread) waits at the log's end with `next_wait`. Measured per segment:
//! from the moment its PUT is answered (`Step::PutAnswered`) to the moment
//! the follower returns its first record. The segments are sealed at
//! random pauses (0.2 to 1.6 s), so that uploads fall anywhere in the
//! follower's polling (with backoff, src/log/reader/tier.rs). p50 and p99
//! (the largest of fewer than 100); target: p99 within 2 s.

use crate::common::s3::S3Server;
use crate::common::Rng;
use crate::{median, BUCKET};
use binlog::archive::{
    Location, Remote, RemoteLog, ShipOptions, ShipStep, Shipper, Step, StepHook,
};
use binlog::{LogOptions, LogReader, LogWriter};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LOG: &str = "follow";
const PREFIX: &str = "follow";
/// Records a segment.
const PER: u64 = 200;

type Times = Arc<Mutex<BTreeMap<u64, Instant>>>;

/// Ships `segments` segments one at a time while a follower reads them:
/// the results' JSON member.
pub fn measure(server: &S3Server, dir: &Path, segments: u64) -> String {
    let dir = dir.join("follow");
    let w = LogWriter::open(&dir, LOG, LogOptions::default()).expect("open log");
    let put_at: Times = Arc::default();
    let mut shipper = shipper(server, &dir, put_at.clone());
    seal_segment(&w, 0);
    shipper.ship_once().expect("ship");
    let follower = {
        let log = remote_log(server);
        std::thread::spawn(move || follow(log, segments))
    };
    let mut rng = Rng::new(46);
    for no in 1..segments {
        std::thread::sleep(Duration::from_millis(200 + rng.below(1400)));
        seal_segment(&w, no);
        let report = shipper.ship_once().expect("ship");
        assert_eq!(report.uploaded, [no], "{report:?}");
    }
    let seen = follower.join().expect("follower");
    w.close().expect("close");
    let put_at = put_at.lock().expect("times");
    // Segment 0 was shipped before the follower opened.
    let mut ms: Vec<f64> = (1..segments)
        .map(|no| signed_ms(put_at[&no], seen[&no]))
        .collect();
    ms.sort_by(f64::total_cmp);
    let p99 = ms[(ms.len() * 99 / 100).min(ms.len() - 1)];
    let (p50, max) = (median(ms.clone()), ms[ms.len() - 1]);
    println!(
        "remote follow: from a segment's PUT answered to its first record returned by a \
         follower of the bucket alone (open_remote, next_wait): p50 {p50:.0} ms, p99 {p99:.0} ms, \
         max {max:.0} ms over {} segments of {PER} records sealed 0.2-1.6 s apart (target: \
         p99 <= 2000 ms)",
        ms.len()
    );
    format!(
        r#""remote_follow":{{"segments":{},"p50_ms":{p50:.1},"p99_ms":{p99:.1},"max_ms":{max:.1}}}"#,
        ms.len()
    )
}

/// A shipper of the log in `dir` that notes when each segment's PUT is
/// answered in `put_at`.
fn shipper(server: &S3Server, dir: &Path, put_at: Times) -> Shipper {
    let hook = StepHook(Arc::new(move |s: ShipStep| {
        if s.step == Step::PutAnswered {
            put_at
                .lock()
                .expect("times")
                .insert(s.segment_no, Instant::now());
        }
    }));
    let opts = ShipOptions {
        connection: server.connection(),
        on_step: Some(hook),
        ..ShipOptions::default()
    };
    Shipper::open(dir, LOG, &location(), opts).expect("open shipper")
}

fn location() -> Location {
    Location::parse(&format!("s3://{BUCKET}/{PREFIX}")).expect("location")
}

/// The log as a reader of the bucket sees it, with a client of its own.
fn remote_log(server: &S3Server) -> RemoteLog {
    let remote = Remote::connect(&location(), &server.connection()).expect("connect");
    RemoteLog::new(Arc::new(remote), LOG).expect("remote log")
}

/// Writes segment `no`'s `PER` records and seals it.
fn seal_segment(w: &LogWriter, no: u64) {
    for i in no * PER..(no + 1) * PER {
        w.write("tick", format!("record {i}").as_bytes())
            .expect("write");
    }
    w.roll().expect("roll");
}

/// Follows the bucket to the last record of `segments` segments: when
/// each segment's first record was returned.
fn follow(log: RemoteLog, segments: u64) -> BTreeMap<u64, Instant> {
    let mut r = LogReader::open_remote(log).expect("open follower");
    let mut seen = BTreeMap::new();
    let mut want = 0;
    while want < segments * PER {
        let Some(rec) = r.next_wait(Duration::from_secs(30)).expect("follow") else {
            panic!("no record {want} within 30 s");
        };
        assert_eq!(rec.seq, want, "records in order, once");
        if rec.seq % PER == 0 {
            seen.insert(rec.seq / PER, Instant::now());
        }
        want += 1;
    }
    seen
}

/// `to - from` in milliseconds, negative if `to` came first (a listing
/// that saw the object before the PUT's answer reached the shipper).
fn signed_ms(from: Instant, to: Instant) -> f64 {
    match to.checked_duration_since(from) {
        Some(d) => d.as_secs_f64() * 1e3,
        None => -(from - to).as_secs_f64() * 1e3,
    }
}
