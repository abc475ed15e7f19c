//! Logs whose records carry given timestamps, for the tests of reading
//! many logs by time.

use binlog::{Entry, LogOptions, LogWriter};
use std::path::Path;

/// A writer of log `name` in `dir` rolling every `per` records, sealing
/// in the foreground.
pub fn writer(dir: &Path, name: &str, per: u64) -> LogWriter {
    let opts = LogOptions {
        max_segment_records: Some(per),
        background: false,
        ..LogOptions::default()
    };
    LogWriter::open(dir, name, opts).unwrap()
}

/// Writes one record of type "event" per timestamp in `times`, with that
/// timestamp and the payload `payload(ts)`.
pub fn write_at(w: &LogWriter, times: &[i64], payload: impl Fn(i64) -> Vec<u8>) {
    for &ts in times {
        let p = payload(ts);
        let parts: [&[u8]; 1] = [&p];
        let e = Entry {
            type_name: "event",
            meta: &[],
            timestamp_ns: Some(ts),
            parts: &parts,
        };
        w.write_batch(&[e]).unwrap();
    }
}

/// Log `name` in `dir` written with records at `times`, each holding the
/// log's name as its payload, and closed.
pub fn named_log_at(dir: &Path, name: &str, per: u64, times: &[i64]) {
    let w = writer(dir, name, per);
    write_at(&w, times, |_| name.as_bytes().to_vec());
    w.close().unwrap();
}
