//! Open and seek in a segment's object, compressed or plain, through the
//! library's reader (`RemoteLog::open_reader`, then `Reader::seek_seq`
//! and one `next`), for sequence numbers spread over the segment: the GETs the
//! open and the seek sent (`Remote::requests`), the bytes they fetched
//! (and their share of the object) and the time, after the listing that
//! found the object.

use crate::common::s3::S3Server;
use crate::median;
use crate::upload::Object;
use binlog::archive::{Location, Remote, RemoteLog};
use std::sync::Arc;
use std::time::Instant;

/// Sequence numbers each run seeks to.
const SEEKS: u64 = 15;

/// What reaching one record cost.
struct Seek {
    open_gets: u64,
    seek_gets: u64,
    open_bytes: u64,
    bytes: u64,
    secs: f64,
}

/// A reader's view of the log the bench shipped to `prefix`.
pub fn remote_log(server: &S3Server, prefix: &str) -> RemoteLog {
    let at = Location::parse(&format!("s3://{}/{prefix}", crate::BUCKET)).expect("location");
    let remote = Remote::connect(&at, &server.connection()).expect("connect");
    RemoteLog::new(Arc::new(remote), crate::segments::LOG).expect("remote log")
}

pub fn measure(server: &S3Server, object: &Object) -> String {
    let log = remote_log(server, &object.prefix);
    let span = object.last_seq - object.first_seq + 1;
    let seeks: Vec<Seek> = (0..SEEKS)
        .map(|i| {
            let target = object.first_seq + ((2 * i + 1) * span / (2 * SEEKS) + i * 7_919) % span;
            seek(&log, &object.key, target)
        })
        .collect();
    let open_gets = seeks.iter().map(|s| s.open_gets).max().unwrap_or(0);
    let seek_gets = seeks.iter().map(|s| s.seek_gets).max().unwrap_or(0);
    let gets = open_gets + seek_gets;
    let bytes: Vec<f64> = seeks.iter().map(|s| s.bytes as f64).collect();
    let max_bytes = bytes.iter().copied().fold(0.0, f64::max);
    let share = |b: f64| b / object.bytes as f64 * 100.0;
    let (med_bytes, secs) = (
        median(bytes),
        median(seeks.iter().map(|s| s.secs).collect()),
    );
    let name = if object.compressed {
        "compressed"
    } else {
        "plain"
    };
    println!(
        "open + seek, {name} object of {:.1} MB (RemoteLog::open_reader, seek_seq, next): \
         {open_gets} + {seek_gets} GETs after the listing, {:.0} KB fetched ({:.2}% of the object; \
         largest {:.0} KB, {:.2}%), {:.1} ms (medians of {SEEKS}; target 2 + 1 GETs, under 2%)",
        object.bytes as f64 / 1e6,
        med_bytes / 1e3,
        share(med_bytes),
        max_bytes / 1e3,
        share(max_bytes),
        secs * 1e3
    );
    let open_bytes = median(seeks.iter().map(|s| s.open_bytes as f64).collect());
    println!(
        "open + seek, {name}: the open fetched {:.1} KB ({:.2}% of the object), the seek the rest",
        open_bytes / 1e3,
        share(open_bytes)
    );
    // "open_seek" is the compressed object's, as in runs before the plain
    // one was measured.
    let key = if object.compressed {
        "open_seek"
    } else {
        "open_seek_plain"
    };
    format!(
        r#""{key}":{{"object_bytes":{},"open_gets":{open_gets},"seek_gets":{seek_gets},"gets":{gets},"bytes":{med_bytes:.0},"bytes_max":{max_bytes:.0},"share_pct":{:.3},"share_pct_max":{:.3},"ms":{:.2}}}"#,
        object.bytes,
        share(med_bytes),
        share(max_bytes),
        secs * 1e3
    )
}

/// Opens the object, seeks to record `target` and reads it.
fn seek(log: &RemoteLog, key: &str, target: u64) -> Seek {
    let t = Instant::now();
    let before = log.remote().requests();
    let mut r = log.open_reader(key, false).expect("open");
    let opened = log.remote().requests();
    r.seek_seq(target).expect("seek");
    let rec = r.next().expect("read").expect("a record");
    assert_eq!(rec.seq, target, "{key}: the record sought");
    let sought = log.remote().requests();
    Seek {
        open_gets: opened.gets - before.gets,
        seek_gets: sought.gets - opened.gets,
        open_bytes: opened.bytes - before.bytes,
        bytes: sought.bytes - before.bytes,
        secs: t.elapsed().as_secs_f64(),
    }
}
