//! A merged read by time (`archive::open_merged` with a time window): 100
//! logs of a day each, a segment an hour, shipped; one hour read from all
//! of them as one stream. Counted: the segment objects whose records were
//! read (only those overlapping the hour should be), those passed over
//! (their seals only), the GETs and bytes; timed against reading the same
//! records from one log holding them all (shipped the same way, read with
//! the same window), in interleaved pairs.

use crate::common::s3::S3Server;
use crate::{interleaved, median, Ratios};
use binlog::archive::{open_merged, Location, Remote, RemoteLog, ShipOptions, Shipper};
use binlog::{Entry, LogOptions, LogReader, LogWriter};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

const HOUR: i64 = 3_600_000_000_000;

/// The sizes of a run: logs, records per log and hour, measured pairs.
pub struct MergedSize {
    pub logs: usize,
    pub per_hour: i64,
    pub pairs: usize,
}

/// 100 logs, a record every 10 s.
pub const MERGED_BENCH: MergedSize = MergedSize {
    logs: 100,
    per_hour: 360,
    pairs: 7,
};
/// A check that it runs (`cargo test`).
pub const MERGED_SMOKE: MergedSize = MergedSize {
    logs: 5,
    per_hour: 20,
    pairs: 1,
};

/// Writes log `name` in `dir`: a record of 100 bytes at each of `times`,
/// `per` records a segment; ships it under `prefix` (its local segments
/// removed once uploaded).
pub fn ship_log(server: &S3Server, dir: &Path, name: &str, times: &[i64], per: u64, prefix: &str) {
    let opts = LogOptions {
        max_segment_records: Some(per),
        background: false,
        ..LogOptions::default()
    };
    let w = LogWriter::open(dir, name, opts).expect("open log");
    let payload = [b'x'; 100];
    for chunk in times.chunks(1000) {
        let parts: [&[u8]; 1] = [&payload];
        let entries: Vec<Entry<'_>> = chunk
            .iter()
            .map(|&ts| Entry {
                type_name: "event",
                meta: &[],
                timestamp_ns: Some(ts),
                parts: &parts,
            })
            .collect();
        w.write_batch(&entries).expect("write");
    }
    w.close().expect("close");
    let o = ShipOptions {
        keep_local: Some(0),
        connection: server.connection(),
        ..ShipOptions::default()
    };
    let at = Location::parse(&format!("s3://{}/{prefix}", crate::BUCKET)).expect("location");
    Shipper::open(dir, name, &at, o)
        .expect("shipper")
        .ship_once()
        .expect("ship");
}

fn remote(server: &S3Server, prefix: &str) -> Arc<Remote> {
    let at = Location::parse(&format!("s3://{}/{prefix}", crate::BUCKET)).expect("location");
    Arc::new(Remote::connect(&at, &server.connection()).expect("connect"))
}

/// What a merged read did: segment objects read and passed over, GETs
/// and bytes.
#[derive(Default)]
struct Counts {
    read: u64,
    passed: u64,
    gets: u64,
    bytes: u64,
}

/// The logs under `many` matching `app-*` read as one stream in the
/// window `[from, to)`, which holds `want` records: seconds, and what it
/// did.
fn merged_read(many: &Arc<Remote>, (from, to): (i64, i64), want: u64) -> (f64, Counts) {
    let before = many.requests();
    let t = Instant::now();
    let mut r = open_merged(None, many, "app-*").expect("open merged");
    r.time_window(Some(from), Some(to)).expect("window");
    let mut n = 0;
    while let Some(m) = r.next().expect("read") {
        assert!(m.record.timestamp_ns >= from && m.record.timestamp_ns < to);
        n += 1;
    }
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(n, want);
    let after = many.requests();
    let counts = Counts {
        read: r.segments_read(),
        passed: r.segments_passed_over(),
        gets: after.gets - before.gets,
        bytes: after.bytes - before.bytes,
    };
    (secs, counts)
}

/// Log `one` under `one` read in the same window: seconds and GETs.
fn one_read(one: &Arc<Remote>, (from, to): (i64, i64), want: u64) -> (f64, u64) {
    let before = one.requests().gets;
    let t = Instant::now();
    let log = RemoteLog::new(Arc::clone(one), "one").expect("remote log");
    let mut r = LogReader::open_remote(log).expect("open one");
    r.time_window(Some(from), Some(to)).expect("window");
    let mut n = 0;
    while r.next().expect("read").is_some() {
        n += 1;
    }
    assert_eq!(n, want);
    (t.elapsed().as_secs_f64(), one.requests().gets - before)
}

pub fn measure(server: &S3Server, dir: &Path, size: &MergedSize) -> String {
    let per = size.per_hour;
    let step = HOUR / per;
    let times = |l: i64| (0..24 * per).map(move |i| i * step + l).collect::<Vec<_>>();
    for l in 0..size.logs {
        let name = format!("app-{l:03}");
        // A day of `per_hour` records an hour, a segment an hour, log
        // `l`'s shifted by `l` ns.
        ship_log(
            server,
            &dir.join("m"),
            &name,
            &times(l as i64),
            per as u64,
            "merged",
        );
    }
    // One log of every log's records, in time order (ties by log).
    let mut all: Vec<i64> = (0..size.logs as i64).flat_map(times).collect();
    all.sort_unstable();
    let one_per = per as u64 * size.logs as u64;
    ship_log(server, &dir.join("one"), "one", &all, one_per, "one");

    let (from, to) = (10 * HOUR, 11 * HOUR);
    let want = size.logs as u64 * per as u64;
    let (many, one) = (remote(server, "merged"), remote(server, "one"));
    let mut counts = Counts::default();
    let mut one_gets = 0;
    let pairs = interleaved(
        size.pairs,
        || {
            let (secs, c) = merged_read(&many, (from, to), want);
            counts = c;
            secs
        },
        || {
            let (secs, gets) = one_read(&one, (from, to), want);
            one_gets = gets;
            secs
        },
    );
    let Counts {
        read,
        passed,
        gets,
        bytes,
    } = counts;
    let objects = size.logs * 24;
    // Records/s of the merged read over the one log's.
    let ratios = Ratios(pairs.iter().map(|(m, o)| o / m).collect());
    let rate = |v: Vec<f64>| want as f64 / median(v);
    let m_rate = rate(pairs.iter().map(|(m, _)| *m).collect());
    let o_rate = rate(pairs.iter().map(|(_, o)| *o).collect());
    println!(
        "merged read by time: {} logs x 24 hourly segment objects ({objects} objects), hour 10 \
         ({want} records): {read} objects read, {passed} passed over on their seals, {gets} GETs, \
         {:.1} MB fetched; {m_rate:.0} records/s vs the same records from one log {o_rate:.0} \
         records/s ({one_gets} GETs): {}",
        size.logs,
        bytes as f64 / 1e6,
        ratios.text(),
    );
    format!(
        r#""merged_by_time":{{"logs":{},"objects":{objects},"records":{want},"objects_read":{read},"objects_passed_over":{passed},"gets":{gets},"bytes_fetched":{bytes},"merged_records_s":{m_rate:.0},"one_log_records_s":{o_rate:.0},"one_log_gets":{one_gets},{}}}"#,
        size.logs,
        ratios.json()
    )
}
