//! Open and seek in a compressed segment's object: for sequence numbers
//! spread over the segment, the open's suffix GET (remote_open.rs), then
//! the sparse index entry at or before the number and one ranged GET of
//! the frames holding the records up to the next entry, in which the
//! record is found. GETs, bytes fetched (and their share of the object)
//! and time, after the listing that found the object.

use crate::client::Client;
use crate::common::s3::S3Server;
use crate::median;
use crate::records::RecordWalk;
use crate::remote_open::{decompress, open, Opened, SUFFIX_BYTES};
use crate::upload::Object;
use std::time::Instant;

/// Sequence numbers each run seeks to.
const SEEKS: u64 = 15;

/// What reaching one record cost.
struct Seek {
    gets: u64,
    bytes: u64,
    /// Of `bytes`, those of the suffix the open did not need.
    unneeded: u64,
    secs: f64,
}

pub fn measure(server: &S3Server, object: &Object) -> String {
    let client = Client::new(server);
    let span = object.last_seq - object.first_seq + 1;
    let seeks: Vec<Seek> = (0..SEEKS)
        .map(|i| {
            let target = object.first_seq + ((2 * i + 1) * span / (2 * SEEKS) + i * 7_919) % span;
            seek(&client, &object.key, target)
        })
        .collect();
    let gets = seeks.iter().map(|s| s.gets).max().unwrap_or(0);
    let bytes: Vec<f64> = seeks.iter().map(|s| s.bytes as f64).collect();
    let max_bytes = bytes.iter().copied().fold(0.0, f64::max);
    let share = |b: f64| b / object.bytes as f64 * 100.0;
    let (med_bytes, secs) = (
        median(bytes),
        median(seeks.iter().map(|s| s.secs).collect()),
    );
    let unneeded = seeks.iter().map(|s| s.unneeded).max().unwrap_or(0) as f64;
    println!(
        "open + seek, compressed object of {:.1} MB: {gets} GETs after the listing, {:.0} KB fetched \
         ({:.2}% of the object; largest {:.0} KB, {:.2}%), {:.1} ms (medians of {SEEKS}; target 2 GETs, \
         under 2%)",
        object.bytes as f64 / 1e6,
        med_bytes / 1e3,
        share(med_bytes),
        max_bytes / 1e3,
        share(max_bytes),
        secs * 1e3
    );
    println!(
        "open + seek: of the {} KiB suffix GET the open needed {:.1} KB; a suffix GET of only those: \
         {:.2}% of the object (median)",
        SUFFIX_BYTES >> 10,
        (SUFFIX_BYTES as f64 - unneeded) / 1e3,
        share(med_bytes - unneeded)
    );
    format!(
        r#""open_seek":{{"object_bytes":{},"gets":{gets},"bytes":{med_bytes:.0},"bytes_max":{max_bytes:.0},"share_pct":{:.3},"share_pct_max":{:.3},"ms":{:.2},"suffix_unneeded":{unneeded:.0}}}"#,
        object.bytes,
        share(med_bytes),
        share(max_bytes),
        secs * 1e3
    )
}

/// Opens the object and reads the record `target`.
fn seek(client: &Client, key: &str, target: u64) -> Seek {
    let t = Instant::now();
    let opened = open(client, key);
    let fetched = opened.fetched + read_record(client, key, &opened, target);
    Seek {
        gets: 2,
        bytes: fetched,
        unneeded: opened.fetched - opened.needed,
        secs: t.elapsed().as_secs_f64(),
    }
}

/// Fetches (one ranged GET) and decompresses the frames holding the
/// records from the sparse entry at or before `target` to the next, and
/// finds `target` among them: the bytes fetched.
fn read_record(client: &Client, key: &str, o: &Opened, target: u64) -> u64 {
    let i = o.sparse.partition_point(|e| e.seq <= target) - 1;
    let from = o.sparse[i].offset;
    let to = o.sparse.get(i + 1).map_or(o.seal.records_end, |e| e.offset);
    let frame_of = |at: u64| o.table.frame_at(at).expect("a frame");
    let (first, last) = (frame_of(from), frame_of(to - 1));
    let frames = &o.table.frames[first..=last];
    let at = frames[0].compressed_offset;
    let end = frames[frames.len() - 1].compressed_offset
        + u64::from(frames[frames.len() - 1].compressed_size);
    let got = client.get_range(key, at..end);
    let original = decompress(frames, first, &got, at, key);
    let mut walk = RecordWalk::at_record(from);
    let mut found = false;
    walk.push(&original[(from - frames[0].offset) as usize..], |seq| {
        found = seq == target;
        !found
    });
    assert!(
        found,
        "{key}: record {target} not between offsets {from} and {to}"
    );
    got.len() as u64
}
