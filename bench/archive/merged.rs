//! A merged read by time (`archive::open_merged` with a time window): 100
//! logs of a day each, a segment an hour, shipped; one hour read from all
//! of them as one stream. Counted: the segment objects whose records were
//! read (only those overlapping the hour should be), those passed over
//! (their seals only), the GETs and bytes; timed against reading the same
//! records from one log holding them all (shipped the same way, read with
//! the same window).

use crate::common::s3::S3Server;
use crate::median;
use binlog::archive::{open_merged, Location, Remote, RemoteLog, ShipOptions, Shipper};
use binlog::{Entry, LogOptions, LogReader, LogWriter};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

const HOUR: i64 = 3_600_000_000_000;

/// The sizes of a run: logs, records per log and hour.
pub struct MergedSize {
    pub logs: usize,
    pub per_hour: i64,
    pub rounds: usize,
}

/// 100 logs, a record every 10 s.
pub const MERGED_BENCH: MergedSize = MergedSize {
    logs: 100,
    per_hour: 360,
    rounds: 3,
};
/// A check that it runs (`cargo test`).
pub const MERGED_SMOKE: MergedSize = MergedSize {
    logs: 5,
    per_hour: 20,
    rounds: 1,
};

/// Writes log `name` in `dir`: a day of `per_hour` records an hour (log
/// `l`'s shifted by `l` ns), a segment an hour; ships it under `prefix`.
fn day_log(server: &S3Server, dir: &Path, name: &str, times: &[i64], per: u64, prefix: &str) {
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

pub fn measure(server: &S3Server, dir: &Path, size: &MergedSize) -> String {
    let per = size.per_hour;
    let step = HOUR / per;
    let times = |l: i64| (0..24 * per).map(move |i| i * step + l).collect::<Vec<_>>();
    for l in 0..size.logs {
        let name = format!("app-{l:03}");
        day_log(
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
    day_log(server, &dir.join("one"), "one", &all, one_per, "one");

    let (from, to) = (10 * HOUR, 11 * HOUR);
    let want = size.logs as u64 * per as u64;
    let (many, one) = (remote(server, "merged"), remote(server, "one"));
    let (mut merged_s, mut one_s) = (Vec::new(), Vec::new());
    let mut counts = (0, 0, 0, 0);
    for round in 0..=size.rounds {
        let before = many.requests();
        let t = Instant::now();
        let mut r = open_merged(None, &many, "app-*").expect("open merged");
        r.time_window(Some(from), Some(to)).expect("window");
        let mut n = 0;
        while let Some(m) = r.next().expect("read") {
            assert!(m.record.timestamp_ns >= from && m.record.timestamp_ns < to);
            n += 1;
        }
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(n, want);
        let after = many.requests();
        counts = (
            r.segments_read(),
            r.segments_passed_over(),
            after.gets - before.gets,
            after.bytes - before.bytes,
        );
        let t = Instant::now();
        let log = RemoteLog::new(Arc::clone(&one), "one").expect("remote log");
        let mut r = LogReader::open_remote(log).expect("open one");
        r.time_window(Some(from), Some(to)).expect("window");
        let mut n1 = 0;
        while r.next().expect("read").is_some() {
            n1 += 1;
        }
        assert_eq!(n1, want);
        if round > 0 {
            merged_s.push(secs);
            one_s.push(t.elapsed().as_secs_f64());
        }
    }
    let (read, passed, gets, bytes) = counts;
    let objects = size.logs * 24;
    let (m, o) = (median(merged_s), median(one_s));
    let (m_rate, o_rate) = (want as f64 / m, want as f64 / o);
    println!(
        "merged read by time: {} logs x 24 hourly segment objects ({objects} objects), hour 10 \
         ({want} records): {read} objects read, {passed} passed over on their seals, {gets} GETs, \
         {:.1} MB fetched; {:.0} records/s vs the same records from one log {:.0} records/s: \
         {:.2}x (median of {} rounds)",
        size.logs,
        bytes as f64 / 1e6,
        m_rate,
        o_rate,
        m_rate / o_rate,
        size.rounds,
    );
    format!(
        r#""merged_by_time":{{"logs":{},"objects":{objects},"records":{want},"objects_read":{read},"objects_passed_over":{passed},"gets":{gets},"bytes_fetched":{bytes},"merged_records_s":{m_rate:.0},"one_log_records_s":{o_rate:.0},"ratio":{:.3}}}"#,
        size.logs,
        m_rate / o_rate
    )
}
