//! Reading a log whose older segments were shipped to a real
//! S3-compatible server (versitygw on 127.0.0.1, tests/it/common/s3.rs) and
//! deleted locally: one ordered stream, the same records as the log read
//! all local; seeks and type filters on remote segments with ranged GETs
//! (counted); an object missing from the bucket is a gap, a damaged one
//! an error naming its key and offset; a follower crosses from the bucket
//! into the live local segment.

use crate::common;

use binlog::archive::object_name::segment_key;
use binlog::archive::read_ahead::{CHUNK, QUEUED};
use binlog::archive::{Location, Remote, RemoteLog, ShipOptions, Shipper};
use binlog::verify::{FindingKind, RepairAction, Verify};
use binlog::{compress_segment, CompressOptions};
use binlog::{list_segments, LogOptions};
use binlog::{ErrorKind, Gap, GapReason, LogReader, LogWriter};
use common::s3::S3Server;
use common::{copy, Rec, Rng, TempDir};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const BUCKET: &str = "logs";
const PER: u64 = 6000;

/// Record `i`'s type: every third a "quote", else a "trade".
fn type_of(i: u64) -> &'static str {
    if i % 3 == 2 {
        "quote"
    } else {
        "trade"
    }
}

/// Record `i`'s payload: 200 random bytes and 300 of text, so that a
/// segment compresses to a few hundred KiB in frames of a few tens.
fn payload(i: u64) -> Vec<u8> {
    let mut r = Rng::new(i);
    let mut p: Vec<u8> = (0..25).flat_map(|_| r.next_u64().to_le_bytes()).collect();
    p.extend(format!("record {i:>8} ").repeat(17).bytes());
    p
}

fn writer(dir: &Path) -> LogWriter {
    let opts = LogOptions {
        max_segment_records: Some(PER),
        background: false,
        ..LogOptions::default()
    };
    LogWriter::open(dir, "orders", opts).unwrap()
}

fn write(w: &LogWriter, from: u64, to: u64) {
    for i in from..to {
        w.write(type_of(i), &payload(i)).unwrap();
    }
}

/// Compresses log `orders`' sealed segments in `dir` numbered `which`, in
/// frames of 64 KiB.
fn compress(dir: &Path, which: &[u64]) {
    let o = CompressOptions {
        frame_size: 64 << 10,
        ..CompressOptions::default()
    };
    for l in list_segments(dir, "orders").unwrap() {
        if which.contains(&l.segment_no) {
            compress_segment(&l.path, &o).unwrap();
        }
    }
}

fn location(prefix: &str) -> Location {
    Location::parse(&format!("s3://{BUCKET}/{prefix}")).unwrap()
}

/// Ships the sealed segments of `orders` in `dir` to `prefix`, keeping
/// the newest `keep` sealed ones locally.
fn ship(server: &S3Server, dir: &Path, prefix: &str, keep: usize) -> Vec<u64> {
    let o = ShipOptions {
        keep_local: Some(keep),
        connection: server.connection(),
        ..ShipOptions::default()
    };
    let mut s = Shipper::open(dir, "orders", &location(prefix), o).unwrap();
    s.ship_once().unwrap().removed_local
}

fn remote_log(server: &S3Server, prefix: &str) -> RemoteLog {
    let remote = Remote::connect(&location(prefix), &server.connection()).unwrap();
    RemoteLog::new(Arc::new(remote), "orders").unwrap()
}

/// Every record `r` returns, and its gaps.
fn read_all(r: &mut LogReader) -> Vec<Rec> {
    let mut out = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        out.push(copy(&rec));
    }
    out
}

/// A closed log of 6 segments in `dir` (and a copy of it, all local, in
/// `all_local`), segment 0 plain and 1..=4 compressed, segments 0..=3
/// shipped to `prefix` and deleted locally.
fn half_remote(server: &S3Server, dir: &Path, all_local: &Path, prefix: &str) {
    let w = writer(dir);
    write(&w, 0, 6 * PER);
    w.close().unwrap();
    compress(dir, &[1, 2, 3, 4]);
    for l in list_segments(dir, "orders").unwrap() {
        let name = l.path.file_name().unwrap();
        std::fs::copy(&l.path, all_local.join(name)).unwrap();
    }
    assert_eq!(ship(server, dir, prefix, 2), [0, 1, 2, 3]);
}

#[test]
fn a_log_half_local_half_remote_reads_as_the_same_log_all_local() {
    let server = S3Server::start(&[BUCKET]);
    let (dir, all_local) = (TempDir::new("read-half"), TempDir::new("read-half-all"));
    half_remote(&server, dir.path(), all_local.path(), "h");
    let want = read_all(&mut LogReader::open(all_local.path(), "orders").unwrap());
    assert_eq!(want.len() as u64, 6 * PER);

    let mut r = LogReader::open_tiered(dir.path(), "orders", remote_log(&server, "h")).unwrap();
    let got = read_all(&mut r);
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
    assert_eq!(got.len(), want.len());
    assert!(got == want, "records differ from the all-local read");

    // Without the bucket, the shipped segments are not there.
    let mut local_only = LogReader::open(dir.path(), "orders").unwrap();
    assert_eq!(read_all(&mut local_only)[0].seq, 4 * PER);
    // The bucket alone holds every sealed segment (all were shipped; only
    // the first four were deleted locally).
    let mut remote_only = LogReader::open_remote(remote_log(&server, "h")).unwrap();
    assert!(read_all(&mut remote_only) == want);
}

#[test]
fn seeks_and_type_filters_on_remote_segments_cost_a_few_ranged_gets() {
    let server = S3Server::start(&[BUCKET]);
    let (dir, all_local) = (TempDir::new("read-seek"), TempDir::new("read-seek-all"));
    half_remote(&server, dir.path(), all_local.path(), "s");
    let want = read_all(&mut LogReader::open(all_local.path(), "orders").unwrap());
    let log = remote_log(&server, "s");
    let listed = log.segments().unwrap();
    let seg2 = &listed[2];
    assert_eq!((seg2.key.segment_no, seg2.key.first_seq), (2, 2 * PER));
    assert!(seg2.key.compressed);

    // Open: one suffix GET (seek table, seal) and one of the header's frame.
    let before = log.remote().requests();
    let mut r = log.open_reader(&seg2.object_key, false).unwrap();
    let opened = log.remote().requests();
    assert_eq!(opened.gets - before.gets, 2, "{opened:?}");
    // Seek: one more GET, of the frames holding the record.
    let target = 2 * PER + 1234;
    r.seek_seq(target).unwrap();
    let rec = copy(&r.next().unwrap().unwrap());
    assert!(rec == want[target as usize]);
    let sought = log.remote().requests();
    assert_eq!(sought.gets - opened.gets, 1, "{sought:?}");
    let fetched = sought.bytes - before.bytes;
    assert!(
        fetched * 3 < seg2.size,
        "{fetched} bytes fetched of {}",
        seg2.size
    );
    // The suffix (16 KiB: the seek table and the seal's last frame), the
    // header's frame and the record's frame (64 KiB of records).
    assert!(fetched < 64 << 10, "{fetched} bytes fetched");
    eprintln!(
        "open + seek of a {} byte object: {} GETs, {fetched} bytes",
        seg2.size,
        sought.gets - before.gets
    );

    // A full read streams the object with read-ahead: each byte below
    // the tail fetched about once, in GETs that grow while sequential.
    let before = log.remote().requests();
    let mut full = log.open_reader(&seg2.object_key, false).unwrap();
    let mut n = 0;
    while full.next().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, PER);
    let read = log.remote().requests();
    let (gets, bytes) = (read.gets - before.gets, read.bytes - before.bytes);
    assert!(bytes <= seg2.size + (64 << 10), "{bytes} of {}", seg2.size);
    assert!(gets <= 2 + seg2.size / (64 << 10), "{gets} GETs");
    eprintln!(
        "full read of a {} byte object: {gets} GETs, {bytes} bytes",
        seg2.size
    );

    // Through the log reader: seek_seq and seek_time land on the same
    // records as all local, seek_seq after one LIST with 3 GETs.
    let mut t = LogReader::open_tiered(dir.path(), "orders", log.clone()).unwrap();
    let at = log.remote().requests();
    t.seek_seq(PER + 2077).unwrap();
    assert!(copy(&t.next().unwrap().unwrap()) == want[(PER + 2077) as usize]);
    let after = log.remote().requests();
    assert_eq!((after.gets - at.gets, after.lists - at.lists), (3, 0));
    let ts = want[(3 * PER + 5) as usize].ts;
    t.seek_time(ts).unwrap();
    let first = copy(&t.next().unwrap().unwrap());
    let expect = want.iter().find(|w| w.ts >= ts).unwrap();
    assert!(first == *expect);

    // A type filter over remote and local segments returns exactly the
    // records of that type, in order.
    let mut f = LogReader::open_tiered(dir.path(), "orders", log.clone()).unwrap();
    f.filter_types(&["quote"]);
    let quotes = read_all(&mut f);
    let want_quotes: Vec<&Rec> = want.iter().filter(|w| w.type_name == "quote").collect();
    assert_eq!(quotes.len(), want_quotes.len());
    assert!(quotes.iter().zip(want_quotes).all(|(a, b)| a == b));
}

#[test]
fn an_object_missing_from_the_bucket_is_a_gap_not_an_error() {
    let server = S3Server::start(&[BUCKET]);
    let (dir, all_local) = (TempDir::new("read-gap"), TempDir::new("read-gap-all"));
    half_remote(&server, dir.path(), all_local.path(), "g");
    let key = segment_key("g", "orders", 1, PER, true);
    std::fs::remove_file(server.object_file(BUCKET, &key)).unwrap();

    let mut r = LogReader::open_tiered(dir.path(), "orders", remote_log(&server, "g")).unwrap();
    let got = read_all(&mut r);
    let seqs: Vec<u64> = got.iter().map(|g| g.seq).collect();
    let expected: Vec<u64> = (0..PER).chain(2 * PER..6 * PER).collect();
    assert!(seqs == expected, "sequence numbers read");
    // The gap names the object missing, by its URL, and what it held;
    // so does a read of the bucket alone.
    let want = Gap {
        reason: GapReason::Missing,
        // Its plain key: whether it was compressed is not known.
        path: format!(
            "s3://{BUCKET}/{}",
            segment_key("g", "orders", 1, PER, false)
        )
        .into(),
        offset: None,
        from_seq: Some(PER),
        to_seq: Some(2 * PER),
    };
    assert_eq!(r.gaps(), std::slice::from_ref(&want));
    let mut b = LogReader::open_remote(remote_log(&server, "g")).unwrap();
    let seqs: Vec<u64> = read_all(&mut b).iter().map(|g| g.seq).collect();
    assert!(seqs == expected, "sequence numbers read from the bucket");
    assert_eq!(b.gaps(), std::slice::from_ref(&want));
    assert_eq!(
        want.to_string(),
        format!(
            "{}: records {PER}..{} are missing: the object (plain or compressed, .zst) is not in \
             the bucket",
            want.path.display(),
            2 * PER - 1
        )
    );
}

/// A plain object cut short (its metadata kept, which says its size): a
/// read stops with a `Corrupt` error naming the object's URL and the
/// offset where it ends, never reads it as a segment ending in a torn
/// tail, and never goes on to the next segment as if nothing were lost.
#[test]
fn a_shipped_plain_object_cut_short_is_damage_naming_its_url_and_offset() {
    let server = S3Server::start(&[BUCKET]);
    let (dir, all_local) = (TempDir::new("read-cut"), TempDir::new("read-cut-all"));
    half_remote(&server, dir.path(), all_local.path(), "c");
    let key = segment_key("c", "orders", 0, 0, false);
    let file = server.object_file(BUCKET, &key);
    let half = std::fs::metadata(&file).unwrap().len() / 2;
    let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
    f.set_len(half).unwrap();

    let url = format!("s3://{BUCKET}/{key}");
    let log = remote_log(&server, "c");
    for mut r in [
        LogReader::open_tiered(dir.path(), "orders", log.clone()).unwrap(),
        LogReader::open_remote(log.clone()).unwrap(),
    ] {
        let e = r
            .next()
            .map(|rec| rec.is_some())
            .expect_err("an error, not a record");
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
        assert_eq!(e.path().and_then(|p| p.to_str()), Some(url.as_str()), "{e}");
        assert_eq!(e.offset(), Some(half), "{e}");
    }
    let e = log.open_reader(&key, false).err().expect("refused");
    assert_eq!(
        (e.kind(), e.offset()),
        (ErrorKind::Corrupt, Some(half)),
        "{e}"
    );
}

/// Where record `seq` starts in the segment file at `path` (read in a
/// copy, in `scratch`).
fn record_offset(path: &Path, scratch: &Path, seq: u64) -> u64 {
    let copy = scratch.join("copy.binlog");
    std::fs::copy(path, &copy).unwrap();
    let mut r = binlog::Reader::open(&copy).unwrap();
    while let Some(rec) = r.next().unwrap() {
        if rec.seq == seq {
            return rec.offset;
        }
    }
    panic!("no record {seq} in {}", path.display())
}

/// A plain object cut short in the bucket (its metadata kept), the newest
/// or an older one, where a record starts or inside it: a log reader
/// skipping damage reads every record before the cut and reports the rest
/// of the object as one damaged region of it, named by its URL, from
/// where the cut record starts to the object's end, losing the records
/// its metadata says it held (no gap, no torn tail, nothing left unsaid
/// of the newest). Verify says the same: corruption that no repair
/// applies to (an object is never cut).
#[test]
fn an_object_cut_short_is_damage_naming_its_url_to_a_reader_skipping_damage_and_to_verify() {
    let server = S3Server::start(&[BUCKET]);
    let scratch = TempDir::new("read-cut-scratch");
    for (segment, inside) in [(4, 0), (4, 5), (2, 0), (2, 5)] {
        let prefix = format!("cut{segment}-{inside}");
        let dir = TempDir::new(&format!("read-{prefix}"));
        common::append_orders(dir.path(), 50, 10);
        // Every segment shipped and removed locally.
        let o = ShipOptions {
            connection: server.connection(),
            keep_local: Some(0),
            ..ShipOptions::default()
        };
        let mut shipper = Shipper::open(dir.path(), "orders", &location(&prefix), o).unwrap();
        assert_eq!(shipper.ship_once().unwrap().uploaded, [0, 1, 2, 3, 4]);
        let first = segment * 10;
        let key = segment_key(&prefix, "orders", segment, first, false);
        let file = server.object_file(BUCKET, &key);
        let at = record_offset(&file, scratch.path(), first + 7);
        let cut = at + inside;
        let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
        f.set_len(cut).unwrap();
        let url = format!("s3://{BUCKET}/{key}");
        let case = format!(
            "segment {segment} cut at {cut}, record {} at {at}",
            first + 7
        );

        let lost = first + 7..first + 10;
        let log = remote_log(&server, &prefix);
        for mut r in [
            LogReader::open_tiered(dir.path(), "orders", log.clone()).unwrap(),
            LogReader::open_remote(log.clone()).unwrap(),
        ] {
            r.skip_damaged(true);
            let seqs: Vec<u64> = read_all(&mut r).iter().map(|x| x.seq).collect();
            let want: Vec<u64> = (0..50).filter(|s| !lost.contains(s)).collect();
            assert_eq!(seqs, want, "{case}");
            assert!(r.gaps().is_empty(), "{case}: {:?}", r.gaps());
            let damages = r.damages();
            assert_eq!(damages.len(), 1, "{case}: {damages:?}");
            let (path, d) = &damages[0];
            assert_eq!(path.to_str(), Some(url.as_str()), "{case}");
            let region = (d.offset, d.resume_offset, d.from_seq, d.to_seq);
            assert_eq!(region, (at, cut, lost.start, lost.end), "{case}");
        }

        let reports: Vec<_> = Verify::remote(log).unwrap().collect();
        assert_eq!(reports.len(), 5, "{case}");
        for (i, rep) in reports.iter().enumerate() {
            if i as u64 != segment {
                assert!(!rep.is_damaged(), "{case}: {i}: {:?}", rep.findings);
                continue;
            }
            assert_eq!(rep.findings.len(), 1, "{case}: {:?}", rep.findings);
            let f = &rep.findings[0];
            assert_eq!(f.location.to_str(), Some(url.as_str()), "{case}");
            assert_eq!(
                (f.kind, f.offset),
                (FindingKind::Corrupt, Some(at)),
                "{case}"
            );
            assert_eq!((f.from_seq, f.to_seq), (Some(lost.start), Some(lost.end)));
            assert_eq!(f.repair, RepairAction::Nothing, "{case}");
            assert!(f.message.contains("cut short"), "{case}: {}", f.message);
        }
    }
}

#[test]
fn a_damaged_or_truncated_object_is_reported_with_its_key_and_offset() {
    let server = S3Server::start(&[BUCKET]);
    let (dir, all_local) = (TempDir::new("read-dmg"), TempDir::new("read-dmg-all"));
    half_remote(&server, dir.path(), all_local.path(), "d");
    let want = read_all(&mut LogReader::open(all_local.path(), "orders").unwrap());
    // Segment 1: bytes in the middle of a frame overwritten.
    let key1 = segment_key("d", "orders", 1, PER, true);
    let file1 = server.object_file(BUCKET, &key1);
    let mut bytes = std::fs::read(&file1).unwrap();
    let mid = bytes.len() / 3;
    bytes[mid..mid + 64].fill(0x55);
    std::fs::write(&file1, &bytes).unwrap();
    // Segment 3: cut short.
    let key3 = segment_key("d", "orders", 3, 3 * PER, true);
    let file3 = server.object_file(BUCKET, &key3);
    let len3 = std::fs::metadata(&file3).unwrap().len();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&file3)
        .unwrap();
    f.set_len(len3 / 2).unwrap();

    let url = |key: &str| format!("s3://{BUCKET}/{key}");
    let mut r = LogReader::open_tiered(dir.path(), "orders", remote_log(&server, "d")).unwrap();
    let mut got = Vec::new();
    let e = loop {
        match r.next() {
            Ok(Some(rec)) => got.push(copy(&rec)),
            Ok(None) => panic!("read to the end past a damaged object"),
            Err(e) => break e,
        }
    };
    // Every record returned is the right one; the error names the object.
    assert!(got.len() as u64 >= PER && got[..] == want[..got.len()]);
    assert!(e.to_string().contains(&url(&key1)), "{e}");
    assert!(e.offset().is_some(), "{e}");

    // The truncated object: opening it fails naming it and the offset.
    let mut t = LogReader::open_tiered(dir.path(), "orders", remote_log(&server, "d")).unwrap();
    let e = t.seek_seq(3 * PER).unwrap_err();
    assert!(e.to_string().contains(&url(&key3)), "{e}");
    assert!(e.offset().is_some(), "{e}");

    // Skipping damage: the region in segment 1 is a damaged region of
    // that object; of the truncated one, the whole frames before the cut
    // are read, and the rest of it is a damaged region of it too (it is
    // cut short: no gap); every record returned is the right one.
    let mut s = LogReader::open_tiered(dir.path(), "orders", remote_log(&server, "d")).unwrap();
    s.skip_damaged(true);
    let got = read_all(&mut s);
    assert!(got.iter().all(|g| want[g.seq as usize] == *g));
    assert_eq!(got.last().unwrap().seq, 6 * PER - 1);
    let damages = s.damages();
    assert_eq!(damages.len(), 2, "{damages:?}");
    assert_eq!(damages[0].0.to_str(), Some(url(&key1).as_str()));
    let d = damages[0].1;
    assert!(
        d.offset > 0 && (PER..2 * PER).contains(&d.from_seq),
        "{d:?}"
    );
    assert!(s.gaps().is_empty(), "{:?}", s.gaps());
    assert_eq!(damages[1].0.to_str(), Some(url(&key3).as_str()));
    let cut = damages[1].1;
    assert!((3 * PER..4 * PER).contains(&cut.from_seq), "{cut:?}");
    assert_eq!(cut.to_seq, 4 * PER);
    let read: u64 = got.len() as u64;
    let lost = (d.to_seq - d.from_seq) + (cut.to_seq - cut.from_seq);
    assert_eq!(read + lost, 6 * PER, "every record read or reported lost");
}

/// Everything a read of the object at `key` to its end gives with its
/// frames decompressed on `threads` threads: records, damaged regions,
/// and its tail or its error's text; and whether frames were decompressed
/// ahead at some point.
fn read_object(
    log: &RemoteLog,
    key: &str,
    (salvage, threads): (bool, usize),
) -> (
    Vec<Rec>,
    Vec<binlog::Damage>,
    Result<binlog::Tail, String>,
    bool,
) {
    let mut r = log.open_reader(key, salvage).unwrap();
    r.decode_threads(threads);
    let (mut recs, mut ahead) = (Vec::new(), false);
    let end = loop {
        ahead |= r.decodes_ahead();
        match r.next() {
            Ok(Some(rec)) => recs.push(copy(&rec)),
            Ok(None) => break Ok(r.tail()),
            Err(e) => break Err(format!("{:?} at {:?}: {e}", e.kind(), e.offset())),
        }
    };
    (recs, r.damages().to_vec(), end, ahead)
}

#[test]
fn an_object_read_decompressing_ahead_gives_the_same_records_and_damage_as_on_the_reader_s_thread()
{
    let server = S3Server::start(&[BUCKET]);
    let (dir, all_local) = (TempDir::new("read-pdec"), TempDir::new("read-pdec-all"));
    half_remote(&server, dir.path(), all_local.path(), "p");
    let want = read_all(&mut LogReader::open(all_local.path(), "orders").unwrap());
    let key = segment_key("p", "orders", 1, PER, true);
    let log = remote_log(&server, "p");
    let with = read_object(&log, &key, (false, 3));
    assert!(with.3, "frames were decompressed ahead");
    assert_eq!(with.0[..], want[PER as usize..2 * PER as usize]);
    let without = read_object(&log, &key, (false, 0));
    assert!(!without.3);
    // By default, on a machine of more than one core.
    let mut r = log.open_reader(&key, false).unwrap();
    for _ in 0..PER / 2 {
        r.next().unwrap().unwrap();
    }
    let cores = binlog::compressed::decode_ahead::default_threads();
    assert_eq!(r.decodes_ahead(), cores > 1, "{cores} threads by default");
    // Dropped mid-read, with frames decompressed ahead: it returns (the
    // bound, generous for 2 loaded cores, catches a hang; that the drop
    // never waits for a frame being decoded is decode_ahead's unit test).
    r.decode_threads(3);
    while !r.decodes_ahead() {
        r.next().unwrap().unwrap();
    }
    let t = std::time::Instant::now();
    drop(r);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    assert_eq!(
        (&with.0, &with.1, &with.2),
        (&without.0, &without.1, &without.2)
    );
    // Damaged in the middle, then read on (salvaging) or stopped there.
    let file = server.object_file(BUCKET, &key);
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid..mid + 64].fill(0x55);
    std::fs::write(&file, &bytes).unwrap();
    for salvage in [false, true] {
        let with = read_object(&log, &key, (salvage, 3));
        let without = read_object(&log, &key, (salvage, 0));
        assert_eq!(with.0, without.0, "salvage {salvage}");
        assert_eq!(
            (&with.1, &with.2),
            (&without.1, &without.2),
            "salvage {salvage}"
        );
        assert_eq!(with.1.is_empty(), !salvage, "{:?}", with.1);
        assert_eq!(with.2.is_err(), !salvage, "{:?}", with.2);
    }
}

/// Records of a segment larger than what a read-ahead holds.
const LARGE_PER: u64 = 48_000;

/// A log of one sealed compressed segment of `LARGE_PER` incompressible
/// records (about 24 MB), shipped to `prefix`: its object's key and size.
fn large_remote_segment(server: &S3Server, dir: &Path, prefix: &str) -> (String, u64) {
    let opts = LogOptions {
        max_segment_records: Some(LARGE_PER),
        background: false,
        ..LogOptions::default()
    };
    let w = LogWriter::open(dir, "orders", opts).unwrap();
    let mut r = Rng::new(7);
    for _ in 0..LARGE_PER {
        let p: Vec<u8> = (0..63).flat_map(|_| r.next_u64().to_le_bytes()).collect();
        w.write("trade", &p).unwrap();
    }
    w.close().unwrap();
    compress(dir, &[0]);
    ship(server, dir, prefix, 0);
    let key = segment_key(prefix, "orders", 0, 0, true);
    let size = std::fs::metadata(server.object_file(BUCKET, &key))
        .unwrap()
        .len();
    assert!(size > (4 << 20) + 2 * AHEAD_MAX, "{size} bytes");
    (key, size)
}

/// What a read-ahead holds past the chunk its reader reads from, at most:
/// `QUEUED` chunks waiting and one fetched.
const AHEAD_MAX: u64 = (QUEUED as u64 + 1) * CHUNK;

#[test]
fn a_full_read_streams_every_record_once_in_order_with_bounded_read_ahead() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("read-ahead");
    let (key, size) = large_remote_segment(&server, dir.path(), "a");
    let log = remote_log(&server, "a");
    let before = log.remote().requests();
    let mut r = log.open_reader(&key, false).unwrap();
    // A few MB in: the read-ahead runs, and stays within its bound.
    let mut next = 0;
    while next < 5_000 {
        assert_eq!(r.next().unwrap().unwrap().seq, next);
        next += 1;
    }
    let ahead = settled(|| log.remote().requests().bytes - before.bytes);
    // Records of 504 to 600 bytes (payload and framing), and the tail
    // and the growing windows before the read-ahead starts.
    let (least, most) = (5_000 * 504, 5_000 * 600 + (1 << 20));
    assert!(
        ahead >= least + AHEAD_MAX,
        "{ahead} bytes fetched: no read-ahead"
    );
    assert!(ahead <= most + AHEAD_MAX + CHUNK, "{ahead} bytes fetched");
    // To the end: each record once, in order; each byte fetched once.
    while let Some(rec) = r.next().unwrap() {
        assert_eq!(rec.seq, next, "records in order");
        next += 1;
    }
    assert_eq!(next, LARGE_PER);
    let read = log.remote().requests();
    let (gets, bytes) = (read.gets - before.gets, read.bytes - before.bytes);
    assert!(bytes <= size + (64 << 10), "{bytes} of {size}");
    assert!(gets <= 8 + size / CHUNK, "{gets} GETs");
}

/// What `f` returns once it stopped changing (for 300 ms; at most 20 s).
fn settled(f: impl Fn() -> u64) -> u64 {
    let mut last = f();
    for _ in 0..60 {
        std::thread::sleep(Duration::from_millis(300));
        let now = f();
        if now == last {
            break;
        }
        last = now;
    }
    last
}

#[test]
fn a_read_ahead_stops_at_an_object_gone_or_damaged_mid_read_with_an_error_naming_it() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("read-ahead-gone");
    let (key, size) = large_remote_segment(&server, dir.path(), "g");
    let log = remote_log(&server, "g");
    let file = server.object_file(BUCKET, &key);
    let url = format!("s3://{BUCKET}/{key}");
    // Damaged past what the read-ahead holds once the read is under way.
    let mut r = log.open_reader(&key, false).unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    let at = (size / 4 * 3) as usize;
    bytes[at..at + 64].fill(0x55);
    std::fs::write(&file, &bytes).unwrap();
    let (read, e) = read_until_error(&mut r);
    assert!(read > 0 && read < LARGE_PER, "{read} records");
    assert!(e.to_string().contains(&url), "{e}");
    assert!(e.offset().is_some(), "{e}");
    // Gone: the records fetched before are returned, then an error.
    let mut r = log.open_reader(&key, false).unwrap();
    assert_eq!(r.next().unwrap().unwrap().seq, 0);
    std::fs::remove_file(&file).unwrap();
    let (read, e) = read_until_error(&mut r);
    assert!(read < LARGE_PER, "{read} records");
    assert!(e.to_string().contains(&url), "{e}");
}

/// Reads `r` on (from its next record, which must follow the one before
/// in order) until an error: how many records it read, and the error.
fn read_until_error(r: &mut binlog::Reader) -> (u64, binlog::Error) {
    let mut read = 0;
    let mut last = None;
    loop {
        match r.next() {
            Ok(Some(rec)) => {
                assert!(last.is_none_or(|l: u64| rec.seq == l + 1), "in order");
                last = Some(rec.seq);
                read += 1;
            }
            Ok(None) => panic!("read to the end of a damaged or missing object"),
            Err(e) => return (read, e),
        }
    }
}

#[test]
fn segments_shipped_and_removed_locally_while_a_reader_reads_are_read_from_the_bucket() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("read-moving");
    // Segments 0..=4 sealed, 5 live (local, not shipped): the directory
    // holds the log's newest end, so the reader lists the bucket only when
    // its local files call for it, never by polling (tier.rs), however
    // long it takes to read.
    let w = writer(dir.path());
    write(&w, 0, 5 * PER + 10);
    compress(dir.path(), &[0, 1, 2, 3]);
    // The reader lists an empty bucket and reads segment 0 locally.
    let log = remote_log(&server, "m");
    let mut r = LogReader::open_tiered(dir.path(), "orders", log.clone()).unwrap();
    let mut seqs = Vec::new();
    let mut read_to = |r: &mut LogReader, n: u64| {
        while (seqs.len() as u64) < n {
            seqs.push(r.next().unwrap().unwrap().seq);
        }
    };
    read_to(&mut r, 10);
    // Segments 0..=4 shipped, 0 and 1 removed: 0 stays readable through
    // the reader's mapping, 1 is found by listing the bucket again.
    assert_eq!(ship(&server, dir.path(), "m", 3), [0, 1]);
    read_to(&mut r, 2 * PER + 10);
    // While it reads segment 2 locally, segments 2 and 3 go too: their
    // objects were in that listing.
    assert_eq!(ship(&server, dir.path(), "m", 1), [2, 3]);
    // Longer than a polling reader's longest pause (1 s): one that polled
    // here would list again at the end of segment 2.
    std::thread::sleep(Duration::from_millis(1100));
    read_to(&mut r, 3 * PER);
    while let Some(rec) = r.next().unwrap() {
        seqs.push(rec.seq);
    }
    assert!(seqs == (0..5 * PER + 10).collect::<Vec<_>>());
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
    // Two LISTs: at the open, and once the local files started after the
    // segments listed.
    assert_eq!(log.remote().requests().lists, 2, "LISTs");
    w.close().unwrap();
}

#[test]
fn a_follower_crosses_from_remote_history_into_the_live_segment() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("read-follow");
    let w = writer(dir.path());
    write(&w, 0, 3 * PER + 10);
    compress(dir.path(), &[0, 1]);
    assert_eq!(ship(&server, dir.path(), "f", 1), [0, 1]);

    let log = remote_log(&server, "f");
    let mut r = LogReader::open_tiered(dir.path(), "orders", log.clone()).unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next_wait(Duration::from_millis(50)).unwrap() {
        seqs.push(rec.seq);
    }
    assert!(seqs == (0..3 * PER + 10).collect::<Vec<_>>());
    write(&w, 3 * PER + 10, 3 * PER + 20);
    while let Some(rec) = r.next_wait(Duration::from_millis(500)).unwrap() {
        seqs.push(rec.seq);
        if rec.seq + 1 == 3 * PER + 20 {
            break;
        }
    }
    assert!(seqs == (0..3 * PER + 20).collect::<Vec<_>>());
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
    // Following the live segment sends no LIST: only the open listed.
    assert_eq!(log.remote().requests().lists, 1);
    w.close().unwrap();
}

#[test]
fn a_follower_of_the_bucket_alone_reads_segments_shipped_after_it_reached_the_end() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("read-follow-bucket");
    let w = writer(dir.path());
    write(&w, 0, 2 * PER + 10);
    assert_eq!(ship(&server, dir.path(), "fb", 0), [0, 1]);

    let log = remote_log(&server, "fb");
    let mut r = LogReader::open_remote(log.clone()).unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next_wait(Duration::from_millis(50)).unwrap() {
        seqs.push(rec.seq);
    }
    assert!(seqs == (0..2 * PER).collect::<Vec<_>>());
    let lists_at_end = log.remote().requests().lists;

    // Two more segments sealed and shipped while the reader waits at the end.
    write(&w, 2 * PER + 10, 4 * PER + 10);
    assert_eq!(ship(&server, dir.path(), "fb", 0), [2, 3]);
    while let Some(rec) = r.next_wait(Duration::from_secs(10)).unwrap() {
        seqs.push(rec.seq);
        if rec.seq + 1 == 4 * PER {
            break;
        }
    }
    assert!(
        seqs == (0..4 * PER).collect::<Vec<_>>(),
        "{} records read, last {:?}, gaps {:?}",
        seqs.len(),
        seqs.last(),
        r.gaps()
    );
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
    // The bucket is listed again at most once a second while it waits.
    let waited_lists = log.remote().requests().lists - lists_at_end;
    assert!((1..=12).contains(&waited_lists), "{waited_lists} LISTs");
    w.close().unwrap();
}
