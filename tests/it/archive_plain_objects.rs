//! Reading a remote plain segment object (`.binlog`, shipped when a log
//! does not compress) with ranged GETs (a real S3-compatible server,
//! tests/it/common/s3.rs): the open costs one suffix GET and one GET of the
//! header, a seek one more GET, a type filter fetches the records of its
//! types (and their offsets), a full read fetches each byte about once;
//! every record is the one written, and damage is reported as a local
//! read of the same bytes reports it, naming the object.

use crate::common;

use binlog::archive::{Location, RemoteLog};
use binlog::list_segments;
use binlog::{ErrorKind, LogReader, Reader, Tail};
use common::remote::{put_segment_0, read_to_end, same_error};
use common::s3::S3Server;
use common::seal::move_records_end;
use common::{append_random, copy, Rec, TempDir};
use std::path::{Path, PathBuf};

const BUCKET: &str = "logs";
const LOG: &str = "orders";
/// Records of the segment: its per-type offset arrays (8 bytes a record)
/// lie well below the 64 KiB an open fetches from the end.
const RECORDS: u64 = 40_000;
/// Every `RARE`th record, from the fourth on, is of type "rare" (the
/// first records define every type, as an open that puts the seal's
/// checks off needs); the others a, b, c in turn.
const RARE: u64 = 997;

fn type_of(i: u64) -> &'static str {
    match i % RARE {
        3 => "rare",
        _ => ["a", "b", "c"][(i % 3) as usize],
    }
}

/// Writes log `orders`' segment 0 (sealed, plain) in `dir`: payloads of
/// 20 to 120 random bytes. Returns its path and its records.
fn write_segment(dir: &Path, records: u64) -> (PathBuf, Vec<Rec>) {
    append_random(dir, LOG, (records, None), 29, type_of);
    let path = list_segments(dir, LOG).unwrap()[0].path.clone();
    let (recs, end) = read_to_end(&mut Reader::open(&path).unwrap());
    assert_eq!((recs.len() as u64, end.unwrap()), (records, Tail::Sealed));
    (path, recs)
}

fn remote_log(server: &S3Server, prefix: &str) -> RemoteLog {
    common::remote::remote_log(server, BUCKET, prefix, LOG)
}

/// Stores `bytes` as segment 0's plain object under `prefix`; its key.
fn put(log: &RemoteLog, prefix: &str, bytes: &[u8]) -> String {
    put_segment_0(log, prefix, false, bytes)
}

/// The GETs and bytes `f` sent through `log`'s client.
fn counted<T>(log: &RemoteLog, f: impl FnOnce() -> T) -> (T, u64, u64) {
    let before = log.remote().requests();
    let out = f();
    let after = log.remote().requests();
    (out, after.gets - before.gets, after.bytes - before.bytes)
}

/// The segment of `write_segment`, stored as a plain object under
/// `prefix` of a server of its own.
struct Stored {
    _server: S3Server,
    _dir: TempDir,
    /// The segment's file.
    plain: PathBuf,
    want: Vec<Rec>,
    log: RemoteLog,
    key: String,
    size: u64,
}

fn stored(prefix: &str, records: u64) -> Stored {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new(&format!("plain-{prefix}"));
    let (plain, want) = write_segment(dir.path(), records);
    let bytes = std::fs::read(&plain).unwrap();
    let log = remote_log(&server, prefix);
    let key = put(&log, prefix, &bytes);
    Stored {
        _server: server,
        _dir: dir,
        plain,
        want,
        log,
        key,
        size: bytes.len() as u64,
    }
}

#[test]
fn a_plain_object_opens_with_a_suffix_get_and_a_header_get_and_seeks_with_one_more() {
    let s = stored("gets", RECORDS);
    let (want, log, key, size) = (&s.want, &s.log, &s.key, s.size);

    for target in [0, 9, 17_771, RECORDS / 2, RECORDS - 1] {
        let (r, open_gets, open_bytes) = counted(log, || log.open_reader(key, false));
        let mut r = r.unwrap();
        assert_eq!(open_gets, 2, "open");
        // The 64 KiB suffix and the first 4 KiB.
        assert!(open_bytes <= (64 + 4) << 10, "open: {open_bytes} bytes");
        let (rec, seek_gets, seek_bytes) = counted(log, || {
            r.seek_seq(target).unwrap();
            copy(&r.next().unwrap().unwrap())
        });
        assert!(rec == want[target as usize], "record {target}");
        assert!(seek_gets <= 1, "seek to {target}: {seek_gets} GETs");
        // The records from the sparse entry before it to the next one
        // (64 KiB apart), in whole 16 KiB stored frames.
        assert!(
            seek_bytes <= 112 << 10,
            "seek to {target}: {seek_bytes} bytes"
        );
        assert!((open_bytes + seek_bytes) * 20 < size, "under 5% of {size}");
    }
    // seek_time lands where the local reader lands.
    let mut local = Reader::open(&s.plain).unwrap();
    let mut r = log.open_reader(key, false).unwrap();
    let ts = want[31_234].ts;
    local.seek_time(ts).unwrap();
    let (_, gets, _) = counted(log, || r.seek_time(ts).unwrap());
    assert!(gets <= 1, "seek_time: {gets} GETs");
    assert!(copy(&r.next().unwrap().unwrap()) == copy(&local.next().unwrap().unwrap()));
}

#[test]
fn a_type_filter_on_a_plain_object_fetches_its_records_not_the_object() {
    let s = stored("filter", RECORDS);
    let (want, log, key, size) = (&s.want, &s.log, &s.key, s.size);

    let mut r = log.open_reader(key, false).unwrap();
    let ((got, end), gets, bytes) = counted(log, || {
        r.filter_types(&["rare"]);
        read_to_end(&mut r)
    });
    let rare: Vec<&Rec> = want.iter().filter(|w| w.type_name == "rare").collect();
    assert!(got.iter().eq(rare.iter().copied()), "the rare records");
    assert_eq!(end.unwrap(), Tail::Sealed);
    assert!(r.seal().is_some(), "the seal, checked, believed");
    // One GET a record at most (each in a 16 KiB stored frame), and the
    // seal's checks put off at open (SEAL_BEGIN, each type's first
    // offset, the rare type's offsets).
    let records = rare.len() as u64;
    assert!(gets <= records + 6, "{gets} GETs for {records} records");
    assert!(bytes <= records * (40 << 10), "{bytes} bytes");
    assert!(bytes * 4 < size, "{bytes} bytes of {size}");
}

#[test]
fn a_full_read_of_a_plain_object_streams_each_byte_about_once() {
    // Larger than what the read-ahead holds (two 4 MiB GETs), its
    // per-type offset arrays 1.3 MB.
    let s = stored("full", 4 * RECORDS);
    let (want, log, key) = (&s.want, &s.log, &s.key);
    let records_end = Reader::open(&s.plain).unwrap().seal().unwrap().records_end;

    let ((got, end, sealed), gets, bytes) = counted(log, || {
        let mut r = log.open_reader(key, false).unwrap();
        let (got, end) = read_to_end(&mut r);
        (got, end, r.seal().is_some())
    });
    assert!(got == *want, "records read");
    assert_eq!(end.unwrap(), Tail::Sealed);
    assert!(sealed, "the seal believed, as locally");
    // The records once (the read-ahead's 4 MiB GETs stop where they
    // end), the 64 KiB suffix, and 4 KiB GETs for the header and the
    // seal's checks: not its per-type offset arrays.
    assert!(
        bytes <= records_end + (96 << 10),
        "{bytes} bytes for {records_end} of records"
    );
    assert!(gets <= 12 + records_end / (4 << 20), "{gets} GETs");
}

#[test]
fn damage_in_a_plain_object_is_reported_as_a_local_read_reports_it_naming_the_object() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("plain-damage");
    let (plain, want) = write_segment(dir.path(), RECORDS);
    let mut bytes = std::fs::read(&plain).unwrap();
    let mid = want[(RECORDS / 2) as usize].offset as usize + 30;
    bytes[mid..mid + 40].fill(0x55);
    let local_copy = dir.path().join("damaged.binlog");
    std::fs::write(&local_copy, &bytes).unwrap();
    let log = remote_log(&server, "dmg");
    let key = put(&log, "dmg", &bytes);

    // Read to the damage: the same records, then the same error, at the
    // same offset, naming the object.
    let (a, a_end) = read_to_end(&mut Reader::open(&local_copy).unwrap());
    let mut remote = log.open_reader(&key, false).unwrap();
    let (b, b_end) = read_to_end(&mut remote);
    assert_eq!(a.len() as u64, RECORDS / 2, "records before the damage");
    assert!(a == b && b[..] == want[..b.len()], "records read");
    let (local, e) = (a_end.unwrap_err(), b_end.unwrap_err());
    assert!(local.offset() == Some(want[a.len()].offset), "{local}");
    assert!(same_error(&local, &e, &key), "local: {local}; remote: {e}");
    assert!(
        e.to_string().contains(&format!("s3://{BUCKET}/{key}")),
        "{e}"
    );

    // Skipping damage: the same regions skipped and the same records.
    let mut local = Reader::open_salvage(&local_copy).unwrap();
    let mut remote = log.open_reader(&key, true).unwrap();
    let (a, a_end) = read_to_end(&mut local);
    let (b, b_end) = read_to_end(&mut remote);
    assert!(a == b && b.iter().all(|r| want[r.seq as usize] == *r));
    assert_eq!(a_end.unwrap(), b_end.unwrap());
    assert_eq!(local.damages().len(), 1, "{:?}", local.damages());
    assert_eq!(local.damages(), remote.damages());

    // A seek past the damage reads past it, as locally.
    let mut local = Reader::open(&local_copy).unwrap();
    let mut remote = log.open_reader(&key, false).unwrap();
    let target = RECORDS / 2 + 3_000;
    local.seek_seq(target).unwrap();
    remote.seek_seq(target).unwrap();
    let rec = copy(&remote.next().unwrap().unwrap());
    assert!(rec == copy(&local.next().unwrap().unwrap()) && rec == want[target as usize]);
}

/// A plain object cut short (with no metadata to say its size): its
/// records are those of the same bytes read locally, and where the local
/// file ends in a torn tail the object is damage (an object is a sealed
/// segment shipped, never one being written): `Corrupt` at the torn
/// record naming its URL, or, skipping damage, a damaged region from
/// there to its end.
#[test]
fn a_plain_object_cut_short_reads_the_same_records_and_its_end_is_damage() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("plain-cut");
    let (plain, want) = write_segment(dir.path(), RECORDS);
    let bytes = std::fs::read(&plain).unwrap();
    let cut = &bytes[..bytes.len() / 2 + 7];
    let local_copy = dir.path().join("cut.binlog");
    std::fs::write(&local_copy, cut).unwrap();
    let log = remote_log(&server, "cut");
    let key = put(&log, "cut", cut);

    let (a, a_end) = read_to_end(&mut Reader::open(&local_copy).unwrap());
    let (b, b_end) = read_to_end(&mut log.open_reader(&key, false).unwrap());
    assert!(
        a == b && b[..] == want[..b.len()] && !b.is_empty(),
        "records"
    );
    let Ok(Tail::Torn { offset, .. }) = a_end else {
        panic!("{a_end:?}")
    };
    let e = b_end.expect_err("damage");
    assert_eq!(
        (e.kind(), e.offset()),
        (ErrorKind::Corrupt, Some(offset)),
        "{e}"
    );
    assert!(e
        .to_string()
        .contains(&log.url_of(&key).display().to_string()));
    let mut r = log.open_reader(&key, true).unwrap();
    let (c, c_end) = read_to_end(&mut r);
    assert!(c == b, "records skipping damage");
    assert_eq!(c_end.unwrap(), Tail::SealDamaged { offset });
    let region = r.damages().iter().map(|d| (d.offset, d.resume_offset));
    assert_eq!(region.collect::<Vec<_>>(), [(offset, cut.len() as u64)]);
}

/// Reads of the segment `local` and of its object `key` (the same bytes)
/// give the same answers: a read to the end, a salvaging read, a type
/// filter's, a seek to the start, the middle and the last record, each
/// read on to the end; record by record, the
/// same end or error (kind, offset), and every record the one written.
fn assert_reads_as_locally(log: &RemoteLog, local: &Path, key: &str, want: &[Rec], what: &str) {
    let ends = |a: Result<Tail, binlog::Error>, b: Result<Tail, binlog::Error>| match (a, b) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{what}"),
        (Err(a), Err(b)) => assert!(same_error(&a, &b, key), "{what}: local {a}; remote {b}"),
        (a, b) => panic!("{what}: local {a:?}; remote {b:?}"),
    };
    for salvage in [false, true] {
        let mut l = match salvage {
            false => Reader::open(local).unwrap(),
            true => Reader::open_salvage(local).unwrap(),
        };
        let (a, a_end) = read_to_end(&mut l);
        let (b, b_end) = read_to_end(&mut log.open_reader(key, salvage).unwrap());
        assert!(a == b, "{what} (salvage {salvage}): records read");
        assert!(
            b[..] == want[..],
            "{what} (salvage {salvage}): {} of {}",
            b.len(),
            want.len()
        );
        ends(a_end, b_end);
    }
    let mut l = Reader::open(local).unwrap();
    let mut r = log.open_reader(key, false).unwrap();
    l.filter_types(&["b", "rare"]);
    r.filter_types(&["b", "rare"]);
    let (a, a_end) = read_to_end(&mut l);
    let (b, b_end) = read_to_end(&mut r);
    let of_types = want
        .iter()
        .filter(|r| ["b", "rare"].contains(&&*r.type_name));
    assert!(a == b && b.iter().eq(of_types), "{what}: filtered");
    ends(a_end, b_end);
    for target in [0, want.len() as u64 / 2, want.len() as u64 - 1] {
        let mut l = Reader::open(local).unwrap();
        let mut r = log.open_reader(key, false).unwrap();
        l.seek_seq(target).unwrap();
        r.seek_seq(target).unwrap();
        let (a, a_end) = read_to_end(&mut l);
        let (b, b_end) = read_to_end(&mut r);
        assert!(
            a == b && b[..] == want[target as usize..],
            "{what}: seek to {target}"
        );
        ends(a_end, b_end);
    }
}

#[test]
fn a_seal_that_ends_the_records_before_a_valid_record_reads_on_as_locally() {
    let server = S3Server::start(&[BUCKET]);
    // Where the lying seal ends the records (records from the end), in a
    // segment of how many records; the GETs of the open: 2 if it puts the
    // seal's checks off (a large segment, its SEAL_BEGIN frame beyond the
    // suffix the open fetches), 1 if that suffix is the whole object and
    // the open makes them at once.
    let cases = [
        ("right before the last record", RECORDS, 1, 2),
        ("half way", RECORDS, RECORDS / 2, 2),
        ("before the last record, seal held at open", 300, 1, 1),
    ];
    for (i, &(what, records, back, open_gets)) in cases.iter().enumerate() {
        let dir = TempDir::new(&format!("plain-lying-end-{i}"));
        let (plain, want) = write_segment(dir.path(), records);
        move_records_end(&plain, want[(records - back) as usize].offset);
        assert!(
            Reader::open(&plain).unwrap().seal().is_none(),
            "{what}: believed"
        );
        let prefix = format!("end{i}");
        let log = remote_log(&server, &prefix);
        let key = put(&log, &prefix, &std::fs::read(&plain).unwrap());
        let (r, gets, _) = counted(&log, || log.open_reader(&key, false));
        assert!(r.unwrap().seal().is_none(), "{what}: believed remotely");
        assert_eq!(gets, open_gets, "{what}: GETs to open");
        assert_reads_as_locally(&log, &plain, &key, &want, what);
    }
}

#[test]
fn a_log_half_local_half_remote_in_plain_segments_reads_as_all_local() {
    let server = S3Server::start(&[BUCKET]);
    let (dir, all_local) = (TempDir::new("plain-half"), TempDir::new("plain-half-all"));
    let (n, per) = (RECORDS + 100, Some(RECORDS / 4));
    append_random(dir.path(), LOG, (n, per), 7, type_of);
    for l in list_segments(dir.path(), LOG).unwrap() {
        let name = l.path.file_name().unwrap();
        std::fs::copy(&l.path, all_local.path().join(name)).unwrap();
    }
    let o = binlog::archive::ShipOptions {
        keep_local: Some(2),
        connection: server.connection(),
        ..Default::default()
    };
    let at = Location::parse(&format!("s3://{BUCKET}/half")).unwrap();
    let mut s = binlog::archive::Shipper::open(dir.path(), LOG, &at, o).unwrap();
    assert_eq!(s.ship_once().unwrap().removed_local, [0, 1, 2]);

    let read_all = |r: &mut LogReader| {
        let mut out = Vec::new();
        while let Some(rec) = r.next().unwrap() {
            out.push(copy(&rec));
        }
        out
    };
    let want = read_all(&mut LogReader::open(all_local.path(), LOG).unwrap());
    assert_eq!(want.len() as u64, RECORDS + 100);
    let log = remote_log(&server, "half");
    let mut r = LogReader::open_tiered(dir.path(), LOG, log.clone()).unwrap();
    assert!(read_all(&mut r) == want, "records read");
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());

    // A seek into a remote segment, and a type filter across the tiers.
    let mut t = LogReader::open_tiered(dir.path(), LOG, log.clone()).unwrap();
    t.seek_seq(RECORDS / 4 + 1_234).unwrap();
    assert!(copy(&t.next().unwrap().unwrap()) == want[(RECORDS / 4 + 1_234) as usize]);
    let mut f = LogReader::open_tiered(dir.path(), LOG, log).unwrap();
    f.filter_types(&["rare"]);
    let rare: Vec<&Rec> = want.iter().filter(|w| w.type_name == "rare").collect();
    assert!(read_all(&mut f).iter().eq(rare.iter().copied()));
}
