//! A full read of a segment's object through the library's reader
//! (`RemoteLog::open_reader`, then `next` to the end: every record's CRC
//! checked; streamed with ranged GETs and read-ahead, a plain object as a
//! compressed one of stored frames), against one plain GET of the object,
//! round by round in alternating order.

use crate::client::Client;
use crate::common::s3::S3Server;
use crate::common::{cpu_seconds, thread_cpu_seconds};
use crate::seek::remote_log;
use crate::upload::Object;
use crate::{median, Ratios};
use binlog::archive::RemoteLog;
use std::time::Instant;

/// What a full read did.
struct Read {
    gets: u64,
    bytes: u64,
}

pub fn measure(server: &S3Server, object: &Object, rounds: usize) -> String {
    let client = Client::new(server);
    let log = remote_log(server, &object.prefix);
    let (mut ratios, mut read_s, mut get_s) = (Vec::new(), Vec::new(), Vec::new());
    let (mut cpu_ms_mb, mut own_ms_mb) = (Vec::new(), Vec::new());
    let mut last = Read { gets: 0, bytes: 0 };
    for round in 0..=rounds {
        let plain_get = || {
            let t = Instant::now();
            let got = client.get(&object.key);
            assert_eq!(got.len() as u64, object.bytes);
            t.elapsed().as_secs_f64()
        };
        // Seconds, and CPU ms per MB of the object: the process's, and
        // the reader's thread's.
        let read = |last: &mut Read| {
            let ms_mb = |secs: f64| secs * 1e3 / (object.bytes as f64 / 1e6);
            let (cpu, own) = (cpu_seconds(), thread_cpu_seconds());
            let t = Instant::now();
            *last = read_all(&log, object);
            let secs = t.elapsed().as_secs_f64();
            let cpu = (
                ms_mb(cpu_seconds() - cpu),
                ms_mb(thread_cpu_seconds() - own),
            );
            (secs, cpu)
        };
        let (r, g) = match round % 2 {
            0 => (read(&mut last), plain_get()),
            _ => {
                let g = plain_get();
                (read(&mut last), g)
            }
        };
        let (r, (cpu, own)) = r;
        if round > 0 {
            cpu_ms_mb.push(cpu);
            own_ms_mb.push(own);
            ratios.push(g / r);
            read_s.push(r);
            get_s.push(g);
        }
    }
    let name = if object.compressed {
        "compressed"
    } else {
        "plain"
    };
    let mb_s = |s: Vec<f64>| object.bytes as f64 / median(s) / 1e6;
    let (ratios, read_mb_s, get_mb_s) = (Ratios(ratios), mb_s(read_s), mb_s(get_s));
    let (cpu_ms_mb, own_ms_mb) = (median(cpu_ms_mb), median(own_ms_mb));
    println!(
        "full read, {name} object of {:.1} MB (RemoteLog::open_reader, next to the end): {} GETs, \
         {:.1} MB fetched, {read_mb_s:.0} MB/s of the object vs one plain GET {get_mb_s:.0} MB/s: \
         {} (target >= 0.80); the reader's process used {cpu_ms_mb:.2} CPU ms per MB of the \
         object ({own_ms_mb:.2} on the reader's thread)",
        object.bytes as f64 / 1e6,
        last.gets,
        last.bytes as f64 / 1e6,
        ratios.text(),
    );
    format!(
        r#""full_read_{name}":{{"object_bytes":{},"gets":{},"bytes_fetched":{},"read_mb_s":{read_mb_s:.1},"plain_get_mb_s":{get_mb_s:.1},"cpu_ms_per_object_mb":{cpu_ms_mb:.3},"own_thread_cpu_ms_per_object_mb":{own_ms_mb:.3},{}}}"#,
        object.bytes,
        last.gets,
        last.bytes,
        ratios.json()
    )
}

/// Reads every record of `object`, in order, once.
fn read_all(log: &RemoteLog, object: &Object) -> Read {
    let before = log.remote().requests();
    let mut r = log.open_reader(&object.key, false).expect("open");
    if let Some(threads) = crate::common::bench_decode_threads() {
        r.decode_threads(threads);
    }
    let mut want = object.first_seq;
    while let Some(rec) = r.next().expect("read") {
        assert_eq!(rec.seq, want, "{}: records in order", object.key);
        want += 1;
    }
    assert_eq!(want, object.last_seq + 1, "{}: records read", object.key);
    let after = log.remote().requests();
    Read {
        gets: after.gets - before.gets,
        bytes: after.bytes - before.bytes,
    }
}
