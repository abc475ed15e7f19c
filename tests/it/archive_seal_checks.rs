//! The seal checks of a remote compressed object whose `SEAL_BEGIN` frame
//! and per-type first offsets lie outside what its open fetches (a real
//! S3-compatible server, tests/it/common/s3.rs): the open costs one suffix
//! GET and one GET of the header's frame, a seek one more GET, and the
//! checks put off decide, once made, what they decide at a local open:
//! a seal that lies never makes a record differ from what was written,
//! a `SEAL_BEGIN` frame that disagrees is the same `CorruptSeal` error
//! (object and offset), and a seal not believed ends the read the same
//! way (`SealDamaged`).

use crate::common;

use binlog::archive::RemoteLog;
use binlog::compressed::CompressedSegment;
use binlog::format::seal::{encode_seal_begin, read_seal, SealDirectory};
use binlog::list_segments;
use binlog::{compress_segment, CompressOptions};
use binlog::{ErrorKind, Reader, Tail};
use common::remote::{put_segment_0, read_to_end, same_error};
use common::s3::S3Server;
use common::seal::{
    move_records_end, move_records_end_to_a_length_past_the_end, rewrite_seal, Seal,
};
use common::{append_random, copy, Rec, TempDir};
use std::path::{Path, PathBuf};

const BUCKET: &str = "logs";
const LOG: &str = "orders";
/// Records of the segment: enough that its per-type offset arrays,
/// compressed, are several times the 16 KiB an open fetches from the end.
const RECORDS: u64 = 40_000;
const FRAME_SIZE: u64 = 64 << 10;
const TYPES: [&str; 4] = ["a", "b", "c", "d"];

/// Writes log `orders`' segment 0 (sealed) in `dir`: records of types
/// a, b, c, d in turn, payloads of 20 to 120 random bytes. Returns its
/// path and its records.
fn write_segment(dir: &Path) -> (PathBuf, Vec<Rec>) {
    append_random(dir, LOG, (RECORDS, None), 29, |i| TYPES[(i % 4) as usize]);
    let path = list_segments(dir, LOG).unwrap()[0].path.clone();
    let mut r = Reader::open(&path).unwrap();
    let mut recs = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        recs.push(copy(&rec));
    }
    assert_eq!(recs.len() as u64, RECORDS);
    (path, recs)
}

/// The plain segment at `path` compressed in `FRAME_SIZE` frames as it
/// is (`common::compressed::compress_as_is`).
fn compress_as_is(path: &Path) -> Vec<u8> {
    common::compressed::compress_as_is(path, FRAME_SIZE)
}

fn remote_log(server: &S3Server, prefix: &str) -> RemoteLog {
    common::remote::remote_log(server, BUCKET, prefix, LOG)
}

/// Stores `zst` as segment 0's compressed object under `prefix`; its key.
fn put(log: &RemoteLog, prefix: &str, zst: &[u8]) -> String {
    put_segment_0(log, prefix, true, zst)
}

/// The compressed object `zst` (its seal's directory `d`) puts the
/// frames of its `SEAL_BEGIN` frame and of each type's first offset
/// before the 16 KiB its open fetches from its end: an open that made
/// their checks would GET them.
fn assert_seal_checks_lie_before_the_suffix(zst: &Path, d: &SealDirectory) {
    let c = CompressedSegment::open_frames(zst).unwrap();
    let len = std::fs::metadata(zst).unwrap().len();
    let far = |offset: u64| {
        let f = c.frames()[c.frame_index_at(offset).unwrap()];
        f.compressed_offset + u64::from(f.compressed_size) + (16 << 10) < len
    };
    assert!(far(d.records_end), "SEAL_BEGIN within the suffix");
    for t in d.types.iter().filter(|t| t.count > 0) {
        assert!(
            far(t.array_offset),
            "{}'s offsets within the suffix",
            t.name
        );
    }
}

/// The seal's directory of the plain segment at `path`.
fn directory(path: &Path) -> SealDirectory {
    let data_start = Reader::open(path).unwrap().data_start() as usize;
    read_seal(&std::fs::read(path).unwrap(), data_start).expect("trailer and directory intact")
}

#[test]
fn a_remote_open_costs_a_suffix_get_and_the_header_frame_and_a_seek_one_more_get() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("seal-checks-gets");
    let (plain, want) = write_segment(dir.path());
    let d = directory(&plain);
    let o = CompressOptions {
        frame_size: FRAME_SIZE,
        ..CompressOptions::default()
    };
    let zst = compress_segment(&plain, &o).unwrap().path;
    assert_seal_checks_lie_before_the_suffix(&zst, &d);
    let bytes = std::fs::read(&zst).unwrap();
    let log = remote_log(&server, "gets");
    let key = put(&log, "gets", &bytes);

    // The first records come with the header's frame: their seek may
    // cost no GET.
    for target in [0, 17_771, RECORDS / 2, RECORDS - 1] {
        let before = log.remote().requests();
        let mut r = log.open_reader(&key, false).unwrap();
        let opened = log.remote().requests();
        assert_eq!(opened.gets - before.gets, 2, "open: {opened:?}");
        r.seek_seq(target).unwrap();
        let rec = copy(&r.next().unwrap().unwrap());
        assert!(rec == want[target as usize], "record {target}");
        let sought = log.remote().requests();
        let seek_gets = sought.gets - opened.gets;
        assert!(
            seek_gets == 1 || target == 0 && seek_gets == 0,
            "seek to {target}: {sought:?}"
        );
        let fetched = sought.bytes - before.bytes;
        assert!(
            fetched * 10 < bytes.len() as u64,
            "{fetched} bytes of {} fetched to reach {target}",
            bytes.len()
        );
    }

    // Read to its end, the seal (a true one) is believed, as a local read
    // believes it.
    let mut r = log.open_reader(&key, false).unwrap();
    let (got, end) = read_to_end(&mut r);
    assert!(got == want, "records read");
    assert_eq!(end.unwrap(), Tail::Sealed);
    assert!(r.seal().is_some());
}

/// A segment whose seal `change` changed (every CRC valid), compressed
/// as it is, saved at `local` and stored in the bucket under `key`, and
/// the records written.
struct Lying {
    local: PathBuf,
    key: String,
    want: Vec<Rec>,
}

/// Writes the segment in `dir`, changes its seal with `change` and, if
/// `count_off`, makes its `SEAL_BEGIN` frame count one record more.
fn lying(
    log: &RemoteLog,
    dir: &Path,
    prefix: &str,
    change: impl FnOnce(&mut Seal),
    count_off: bool,
) -> Lying {
    let (plain, want) = write_segment(dir);
    rewrite_seal(&plain, change);
    let d = directory(&plain);
    if count_off {
        let mut bytes = std::fs::read(&plain).unwrap();
        let at = d.records_end as usize;
        bytes[at..at + 17].copy_from_slice(&encode_seal_begin(d.record_count + 1));
        std::fs::write(&plain, bytes).unwrap();
    }
    let zst = compress_as_is(&plain);
    let local = dir.join("lying.binlog.zst");
    std::fs::write(&local, &zst).unwrap();
    assert_seal_checks_lie_before_the_suffix(&local, &d);
    Lying {
        local,
        key: put(log, prefix, &zst),
        want,
    }
}

/// Like `lying` without `count_off`, stored as a plain object (the
/// segment file itself is the local copy).
fn lying_plain(log: &RemoteLog, dir: &Path, prefix: &str, change: impl FnOnce(&mut Seal)) -> Lying {
    let (plain, want) = write_segment(dir);
    rewrite_seal(&plain, change);
    let key = put_segment_0(log, prefix, false, &std::fs::read(&plain).unwrap());
    Lying {
        local: plain,
        key,
        want,
    }
}

#[test]
fn a_seal_begin_frame_that_disagrees_fails_the_remote_read_as_it_fails_the_local_open() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("seal-checks-begin");
    let log = remote_log(&server, "begin");
    let l = lying(&log, dir.path(), "begin", |_| {}, true);
    let local = match Reader::open(&l.local) {
        Err(e) => e,
        Ok(_) => panic!("a local open of a SEAL_BEGIN frame that disagrees"),
    };
    assert_eq!(local.kind(), ErrorKind::CorruptSeal, "{local}");

    // The open and a seek need not read the SEAL_BEGIN frame: they give
    // the records written.
    let before = log.remote().requests();
    let mut r = log.open_reader(&l.key, false).unwrap();
    assert_eq!(
        log.remote().requests().gets - before.gets,
        2,
        "GETs to open"
    );
    r.seek_seq(RECORDS / 3).unwrap();
    assert!(copy(&r.next().unwrap().unwrap()) == l.want[(RECORDS / 3) as usize]);
    // Reaching the end reads it: the local open's error, naming the object.
    let (got, end) = read_to_end(&mut r);
    assert!(
        got[..] == l.want[(RECORDS / 3 + 1) as usize..],
        "records read"
    );
    let e = end.unwrap_err();
    assert!(
        same_error(&local, &e, &l.key),
        "local: {local}; remote: {e}"
    );
    // From the start, the same.
    let mut r = log.open_reader(&l.key, false).unwrap();
    let (got, end) = read_to_end(&mut r);
    assert!(got == l.want, "records read");
    assert!(same_error(&local, &end.unwrap_err(), &l.key));
    // A salvaging open reads it at once, as locally.
    let mut salvaged = log.open_reader(&l.key, true).unwrap();
    let mut local_salvaged = Reader::open_salvage(&l.local).unwrap();
    let (got, end) = read_to_end(&mut salvaged);
    let (want, want_end) = read_to_end(&mut local_salvaged);
    assert!(got == want && got == l.want, "records salvaged");
    assert_eq!(end.unwrap(), want_end.unwrap());
}

/// Reads of the seal `l` lies with, locally and from the bucket: seeks,
/// a filtered read and a read to the end give the same answers, and no
/// record differs from what was written.
fn assert_read_as_locally(log: &RemoteLog, l: &Lying, what: &str) {
    for target in [0, 9, 21_013, RECORDS - 2] {
        let mut local = Reader::open(&l.local).unwrap();
        let mut remote = log.open_reader(&l.key, false).unwrap();
        local.seek_seq(target).unwrap();
        remote.seek_seq(target).unwrap();
        let a = copy(&local.next().unwrap().unwrap());
        let b = copy(&remote.next().unwrap().unwrap());
        assert!(
            a == b && b == l.want[target as usize],
            "{what}: seek to {target}"
        );
    }
    for names in [&["b"][..], &["a", "d"]] {
        let mut local = Reader::open(&l.local).unwrap();
        let mut remote = log.open_reader(&l.key, false).unwrap();
        local.filter_types(names);
        remote.filter_types(names);
        let (a, a_end) = read_to_end(&mut local);
        let (b, b_end) = read_to_end(&mut remote);
        let want: Vec<&Rec> = l
            .want
            .iter()
            .filter(|r| names.contains(&&*r.type_name))
            .collect();
        assert!(a == b && b.iter().eq(want), "{what}: filter {names:?}");
        assert_eq!(a_end.unwrap(), b_end.unwrap(), "{what}: filter {names:?}");
    }
    let mut local = Reader::open(&l.local).unwrap();
    let mut remote = log.open_reader(&l.key, false).unwrap();
    let (a, a_end) = read_to_end(&mut local);
    let (b, b_end) = read_to_end(&mut remote);
    assert!(a == b && b == l.want, "{what}: records read");
    let (a_end, b_end) = (a_end.unwrap(), b_end.unwrap());
    assert!(
        matches!(a_end, Tail::SealDamaged { .. }),
        "{what}: {a_end:?}"
    );
    assert_eq!(a_end, b_end, "{what}");
    assert_eq!(local.seal().is_some(), remote.seal().is_some(), "{what}");
}

#[test]
fn a_type_table_whose_first_entries_lie_is_not_believed_remotely_as_locally() {
    let server = S3Server::start(&[BUCKET]);
    type Change = fn(&mut Seal);
    // Each change, and whether the remote open puts the checks off (made
    // by the first call of `seal`, or where the read needs them).
    let changes: Vec<(&str, bool, Change)> = vec![
        // The names are right (the first records define them so): the
        // remote open puts the check off, and makes it later.
        ("first entry mid-record", true, |s: &mut Seal| {
            s.arrays[1][0] += 1
        }),
        ("first entries swapped", true, |s: &mut Seal| {
            let a = s.arrays[0][0];
            s.arrays[0][0] = s.arrays[1][0];
            s.arrays[1][0] = a;
        }),
        // The names are wrong: the remote open makes the checks at once.
        ("names swapped", false, |s: &mut Seal| {
            let a = s.dir.types[0].name.clone();
            s.dir.types[0].name = s.dir.types[1].name.clone();
            s.dir.types[1].name = a;
        }),
        (
            "renamed, no records, listed under the type before",
            false,
            |s: &mut Seal| {
                s.dir.types[1].name = "z".into();
                let b = std::mem::take(&mut s.arrays[1]);
                s.arrays[0].extend(b);
                s.arrays[0].sort();
            },
        ),
    ];
    // Each change, in a compressed and in a plain object.
    let objects = [true, false]
        .into_iter()
        .flat_map(|c| changes.iter().map(move |x| (x, c)));
    for (i, (&(what, put_off, change), compressed)) in objects.enumerate() {
        let dir = TempDir::new(&format!("seal-checks-types-{i}"));
        let prefix = format!("types{i}");
        let log = remote_log(&server, &prefix);
        let l = match compressed {
            true => lying(&log, dir.path(), &prefix, change, false),
            false => lying_plain(&log, dir.path(), &prefix, change),
        };
        let what = &format!(
            "{what} ({})",
            if compressed { "compressed" } else { "plain" }
        );
        assert!(
            Reader::open(&l.local).unwrap().seal().is_none(),
            "{what}: believed locally"
        );
        let before = log.remote().requests();
        let opened = log.open_reader(&l.key, false).unwrap();
        let gets = log.remote().requests().gets - before.gets;
        assert_eq!(gets == 2, put_off, "{what}: {gets} GETs to open");
        // `seal` makes the checks put off (GETs), and answers as the
        // local open: not believed.
        assert!(opened.seal().is_none(), "{what}: believed by seal()");
        let checked = log.remote().requests().gets - before.gets - gets;
        assert_eq!(checked > 0, put_off, "{what}: {checked} GETs to check");
        let checked_at = log.remote().requests().gets;
        assert!(opened.seal().is_none(), "{what}: believed at a second call");
        assert_eq!(
            log.remote().requests().gets,
            checked_at,
            "{what}: checked again"
        );
        assert_read_as_locally(&log, &l, what);
    }
}

#[test]
fn a_seal_that_ends_the_records_before_a_valid_record_reads_in_a_compressed_object_as_locally() {
    let server = S3Server::start(&[BUCKET]);
    for (i, back) in [1, RECORDS / 2].into_iter().enumerate() {
        let dir = TempDir::new(&format!("seal-checks-end-{i}"));
        let (plain, want) = write_segment(dir.path());
        move_records_end(&plain, want[(RECORDS - back) as usize].offset);
        let zst = compress_as_is(&plain);
        let local = dir.path().join("lying.binlog.zst");
        std::fs::write(&local, &zst).unwrap();
        let prefix = format!("end{i}");
        let log = remote_log(&server, &prefix);
        let key = put(&log, &prefix, &zst);
        // The local open refuses it; the remote read, its checks put
        // off, gives records written, then the same error.
        let local_err = Reader::open(&local).err().expect("a local open");
        assert_eq!(local_err.kind(), ErrorKind::CorruptSeal, "{local_err}");
        let (b, b_end) = read_to_end(&mut log.open_reader(&key, false).unwrap());
        assert!(!b.is_empty() && b[..] == want[..b.len()], "back {back}");
        let e = b_end.unwrap_err();
        assert!(
            same_error(&local_err, &e, &key),
            "local: {local_err}; remote: {e}"
        );
        // Salvaging, every record written, read on past the lied end in
        // the frames, and the end a salvage of the plain segment reports.
        let (p, p_end) = read_to_end(&mut Reader::open_salvage(&plain).unwrap());
        assert!(p == want, "back {back}: the plain segment salvaged");
        let (a, a_end) = read_to_end(&mut Reader::open_salvage(&local).unwrap());
        let (b, b_end) = read_to_end(&mut log.open_reader(&key, true).unwrap());
        assert!(a == b, "back {back}: salvaged locally and remotely");
        assert!(
            b == want,
            "back {back}: {} records of {} salvaged",
            b.len(),
            want.len()
        );
        let p_end = p_end.unwrap();
        assert!(matches!(p_end, Tail::SealDamaged { .. }), "{p_end:?}");
        assert_eq!(a_end.unwrap(), p_end, "back {back}");
        assert_eq!(b_end.unwrap(), p_end, "back {back}");
        // A salvaging seek past the lied end, the same.
        let target = RECORDS - back / 2 - 1;
        let mut r = log.open_reader(&key, true).unwrap();
        r.seek_seq(target).unwrap();
        let (b, b_end) = read_to_end(&mut r);
        assert!(b[..] == want[target as usize..], "back {back}: seek");
        assert_eq!(b_end.unwrap(), p_end, "back {back}: seek");
    }
}

#[test]
fn a_record_length_past_the_end_at_a_lied_records_end_is_read_no_further_remotely() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("seal-checks-end-length");
    let (plain, want) = write_segment(dir.path());
    let lied_end = want[1_000].offset;
    let bytes = move_records_end_to_a_length_past_the_end(&plain, lied_end);
    let log = remote_log(&server, "length");
    let key = put(&log, "length", &compress_as_is(&plain));
    // The records before the lied end and the plain segment's end.
    let (p, p_end) = read_to_end(&mut Reader::open_salvage(&plain).unwrap());
    assert!(p[..] == want[..1_000], "{} records", p.len());
    let mut r = log.open_reader(&key, true).unwrap();
    let (b, b_end) = read_to_end(&mut r);
    assert!(b == p, "{} records salvaged", b.len());
    assert_eq!(b_end.unwrap(), p_end.unwrap());
    // Each frame decompressed once (the seal's frames checked from the
    // lied end on) and a frame or two again, not the rest twice.
    let bound = bytes.len() as u64 + 2 * FRAME_SIZE;
    let got = r.bytes_decompressed();
    assert!(got <= bound, "{got} bytes decompressed, at most {bound}");
}
