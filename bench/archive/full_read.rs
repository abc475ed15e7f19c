//! A full read of a segment's object: ranged GETs from its start, each
//! twice as long as the one before (32 KiB up to 4 MiB), issued by a
//! thread of their own ahead of the reading thread, which decompresses
//! each frame as soon as it is whole (a compressed object, opened first:
//! remote_open.rs) and checks every record (records.rs); against one plain
//! GET of the whole object, round by round in alternating order.

use crate::client::Client;
use crate::common::s3::S3Server;
use crate::median;
use crate::records::RecordWalk;
use crate::remote_open::{decompress, open};
use crate::upload::Object;
use std::sync::mpsc::{sync_channel, Receiver};
use std::thread::JoinHandle;
use std::time::Instant;

const FIRST_GET: u64 = 32 << 10;
const LARGEST_GET: u64 = 4 << 20;
/// GETs fetched and not yet read, at most.
const AHEAD: usize = 2;

/// What a full read did.
struct Read {
    gets: u64,
    bytes: u64,
}

pub fn measure(server: &S3Server, object: &Object, rounds: usize) -> String {
    let client = Client::new(server);
    let (mut ratios, mut read_s, mut get_s) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = Read { gets: 0, bytes: 0 };
    for round in 0..=rounds {
        let plain_get = || {
            let t = Instant::now();
            let got = client.get(&object.key);
            assert_eq!(got.len() as u64, object.bytes);
            t.elapsed().as_secs_f64()
        };
        let read = |last: &mut Read| {
            let t = Instant::now();
            *last = read_all(&client, object);
            t.elapsed().as_secs_f64()
        };
        let (r, g) = match round % 2 {
            0 => (read(&mut last), plain_get()),
            _ => {
                let g = plain_get();
                (read(&mut last), g)
            }
        };
        if round > 0 {
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
    let (ratio, read_mb_s, get_mb_s) = (median(ratios), mb_s(read_s), mb_s(get_s));
    println!(
        "full read, {name} object of {:.1} MB: {} GETs, {:.1} MB fetched, {read_mb_s:.0} MB/s of the object \
         vs one plain GET {get_mb_s:.0} MB/s: {ratio:.2}x (median of {rounds} pairs; target >= 0.80)",
        object.bytes as f64 / 1e6,
        last.gets,
        last.bytes as f64 / 1e6,
    );
    format!(
        r#""full_read_{name}":{{"object_bytes":{},"gets":{},"bytes_fetched":{},"read_mb_s":{read_mb_s:.1},"plain_get_mb_s":{get_mb_s:.1},"ratio":{ratio:.3}}}"#,
        object.bytes, last.gets, last.bytes
    )
}

/// Reads every record of `object`.
fn read_all(client: &Client, object: &Object) -> Read {
    let want = object.last_seq - object.first_seq + 1;
    let mut walk = RecordWalk::from_start();
    let read = match object.compressed {
        true => read_compressed(client, &object.key, &mut walk),
        false => {
            let (chunks, fetcher) = fetch_ahead(client, &object.key, object.bytes);
            for chunk in chunks {
                walk.push(&chunk, |_| true);
            }
            fetcher.join().expect("fetcher")
        }
    };
    assert!(walk.ended, "{}: no seal after the records", object.key);
    assert_eq!(walk.records, want, "{}: records read", object.key);
    read
}

/// Opens the compressed object, then decompresses its frames as their
/// bytes arrive.
fn read_compressed(client: &Client, key: &str, walk: &mut RecordWalk) -> Read {
    let opened = open(client, key);
    let frames = &opened.table.frames;
    let (chunks, fetcher) = fetch_ahead(client, key, opened.table.frames_len());
    let (mut pending, mut pending_at, mut next) = (Vec::new(), 0u64, 0usize);
    for chunk in chunks {
        pending.extend_from_slice(&chunk);
        let have = pending_at + pending.len() as u64;
        let whole = frames[next..]
            .partition_point(|f| f.compressed_offset + u64::from(f.compressed_size) <= have);
        if whole == 0 {
            continue;
        }
        let done = &frames[next..next + whole];
        walk.push(&decompress(done, next, &pending, pending_at, key), |_| true);
        let used = (done[whole - 1].compressed_offset + u64::from(done[whole - 1].compressed_size)
            - pending_at) as usize;
        pending.drain(..used);
        pending_at += used as u64;
        next += whole;
    }
    assert_eq!(next, frames.len(), "{key}: frames read");
    let r = fetcher.join().expect("fetcher");
    Read {
        gets: r.gets + 1,
        bytes: r.bytes + opened.fetched,
    }
}

/// Bytes `0..end` of the object in GETs of growing length, fetched on a
/// thread of their own, at most `AHEAD` ahead of the reader.
fn fetch_ahead(client: &Client, key: &str, end: u64) -> (Receiver<Vec<u8>>, JoinHandle<Read>) {
    let (tx, rx) = sync_channel(AHEAD);
    let (client, key) = (client.another(), key.to_string());
    let fetcher = std::thread::spawn(move || {
        let (mut at, mut len, mut gets) = (0, FIRST_GET, 0);
        while at < end {
            let to = end.min(at + len);
            let got = client.get_range(&key, at..to);
            assert_eq!(got.len() as u64, to - at, "{key}: bytes {at}..{to}");
            gets += 1;
            at = to;
            len = (len * 2).min(LARGEST_GET);
            if tx.send(got).is_err() {
                break;
            }
        }
        Read { gets, bytes: end }
    });
    (rx, fetcher)
}
