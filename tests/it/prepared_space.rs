//! Space prepared ahead (src/writer/prepared.rs): a writer whose durability
//! syncs writes zeros ahead of its records and makes them durable once, so
//! that a sync after a record commits no change of the file's size. The
//! segment's end is then found by content (docs/FORMAT.md section 10):
//! readers stop at the zeros and see records written into them, a crash
//! image ends exactly where the records written end, sealing writes the
//! seal, syncs it and only then cuts the zeros, and live readers never
//! fault or misread while it does. The kills of a writer in its prepared
//! space are in tests/it/prepared_space_crash.rs.

use crate::common;

use binlog::{Durability, LogOptions, LogReader, LogWriter, Options, Reader, Tail, Writer};
use common::space::*;
use common::*;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A durable writer's file runs past its records in zeros (at least 64
/// KiB: half the 128 KiB a writer prepares at least); a follower stops at
/// them and still sees records written into them; a copy of the live file (what a crash
/// leaves) reopens with the zeros cut, nothing backed up; closing seals the
/// records and releases the rest, and the seal ends the file.
fn check_prepared_zeros(name: &str, durability: Durability) {
    let dir = TempDir::new(name);
    let path = dir.join("seg.binlog");
    let w = Writer::open(&path, opts(durability, 64 << 10)).unwrap();
    let wants: Vec<Want> = (0..400).map(|s| want_sized(s, 1000)).collect();
    for x in &wants[..200] {
        put(&w, x).unwrap();
    }
    w.sync().unwrap();
    let records_end = w.bytes();
    let len = wait_for_zeros_past(&path, records_end, 60 << 10);
    assert!(
        allocated(&path) >= len.next_multiple_of(4096) - 4096,
        "{name}: the zeros ahead are not written ({} bytes allocated)",
        allocated(&path)
    );
    let bytes = read_bytes(&path);
    assert!(
        bytes[records_end as usize..].iter().all(|&b| b == 0),
        "{name}: what is prepared is not zeros"
    );
    let mut follower = Reader::open(&path).unwrap();
    let seen = drain(&mut follower);
    assert_eq!(seen.recs.len(), 200, "{name}");
    assert_eq!(seen.end, Ok(Tail::Unsealed), "{name}");
    assert_eq!(follower.position(), records_end, "{name}");
    // 50 records of about 1,030 bytes: inside the zeros.
    for x in &wants[200..250] {
        put(&w, x).unwrap();
    }
    w.sync().unwrap();
    assert!(w.bytes() <= len, "{name}: the records ran past the zeros");
    let more = drain(&mut follower);
    assert_eq!(
        more.wants(),
        wants[200..250],
        "{name}: a reader that ended at the zeros missed records written into them"
    );
    assert_eq!(more.end, Ok(Tail::Unsealed), "{name}");

    let copy = dir.join("copy.binlog");
    std::fs::copy(&path, &copy).unwrap();
    let copied_end = w.bytes();
    let c = Writer::open(&copy, opts(durability, 64 << 10)).unwrap();
    assert_eq!(c.next_seq(), 250, "{name}");
    assert_eq!(size(&copy), copied_end, "{name}: reopening kept the zeros");
    assert!(
        list_dir(dir.path())
            .iter()
            .all(|n| !n.contains(".corrupt-")),
        "{name}: zeros were backed up as damage"
    );
    c.close().unwrap();
    assert_holds(&copy, &wants[..250], Tail::Sealed);
    assert_eq!(
        Reader::open(&copy).unwrap().seal().unwrap().records_end,
        copied_end
    );

    for x in &wants[250..] {
        put(&w, x).unwrap();
    }
    w.close().unwrap();
    assert_nothing_allocated_past_the_end(&path, name);
    assert_holds(&path, &wants, Tail::Sealed);
    // The follower that read into the zeros reads the rest and the seal.
    let rest = drain(&mut follower);
    assert_eq!(rest.wants(), wants[250..], "{name}");
    assert_eq!(rest.end, Ok(Tail::Sealed), "{name}");
}

#[test]
fn every_record_writer_prepares_zeros_that_readers_stop_at() {
    check_prepared_zeros("prepared-every-record", Durability::EveryRecord);
}

#[test]
fn every_n_writer_prepares_zeros_that_readers_stop_at() {
    check_prepared_zeros("prepared-every-n", Durability::EveryN(16));
}

#[test]
fn interval_writer_prepares_zeros_that_readers_stop_at() {
    check_prepared_zeros(
        "prepared-interval",
        Durability::Interval(Duration::from_millis(5)),
    );
}

#[test]
fn buffered_writer_prepares_no_zeros() {
    let dir = TempDir::new("prepared-none");
    let path = dir.join("seg.binlog");
    let w = Writer::open(&path, opts(Durability::None, 64 << 10)).unwrap();
    for s in 0..400 {
        put(&w, &want_sized(s, 1000)).unwrap();
    }
    w.flush().unwrap();
    assert_eq!(
        size(&path),
        w.bytes(),
        "a buffered writer's file is its records"
    );
    w.close().unwrap();
}

/// A rolling durable log prepares no further than its segment size, and
/// each sealed segment ends in its seal with nothing allocated past it.
#[test]
fn durable_rolling_log_prepares_no_zeros_past_its_segment_size() {
    let dir = TempDir::new("prepared-log");
    let max = 3u64 << 20;
    let w = LogWriter::open(
        dir.path(),
        "log",
        LogOptions {
            segment: opts(Durability::EveryN(64), 64 << 10),
            max_segment_bytes: Some(max),
            ..LogOptions::default()
        },
    )
    .unwrap();
    let seg = write_one_segment(&w, dir.path());
    assert!(
        size(&seg) > w.current_segment().unwrap().bytes,
        "nothing prepared"
    );
    assert!(
        size(&seg) <= max,
        "{} bytes: prepared past the {max}-byte segment size",
        size(&seg)
    );
    w.close().unwrap();
    let mut r = Reader::open(&seg).unwrap();
    assert!(r.seal().is_some(), "the seal must end the file");
    assert_eq!(drain(&mut r).recs.len(), 2500);
    assert!(allocated(&seg) <= needed(size(&seg)));
}

/// What a crash leaves at every offset of the prepared region: a durable
/// writer's file with the bytes from `cut` on still zero (the records
/// written up to there, then the zeros). Readers end exactly at the last
/// whole record before `cut`: cleanly if `cut` is on a record boundary,
/// else with a torn tail of the written bytes only; reopening backs those
/// bytes up, cuts the zeros, and continues with the next sequence number.
#[test]
fn crash_image_at_every_offset_of_the_prepared_region_ends_exactly_there() {
    let dir = TempDir::new("prepared-every-offset");
    let live = dir.join("live.binlog");
    let w = Writer::open(&live, opts(Durability::EveryRecord, 64 << 10)).unwrap();
    let wants: Vec<Want> = (0..12)
        .map(|s| want_sized(s, (s as usize * 53) % 200))
        .collect();
    for x in &wants {
        put(&w, x).unwrap();
    }
    let end = w.bytes();
    wait_for_zeros_past(&live, end, 64 << 10);
    let mut image = read_bytes(&live);
    let records = read_all(&live).unwrap().recs;
    let first = records[0].offset;
    // 64 KiB of the zeros are as good as all of them, and cheaper to copy.
    image.truncate(end as usize + (64 << 10));
    let mut bounds: Vec<u64> = records.iter().map(|r| r.offset).collect();
    bounds.push(end);

    let p = dir.join("seg.binlog");
    for cut in positions(first..end + 1) {
        let mut b = image.clone();
        b[cut as usize..].fill(0);
        write_bytes(&p, &b);
        let whole = bounds.iter().filter(|&&x| x <= cut).count() - 1;
        let torn_at = bounds[whole];
        let torn_len = nonzero_end(&b[..cut as usize]).saturating_sub(torn_at);
        let ctx = format!("cut at {cut} ({whole} whole records)");
        let out = read_all(&p).unwrap();
        assert_eq!(out.wants(), wants[..whole], "{ctx}");
        let want_tail = match torn_len {
            0 => Tail::Unsealed,
            len => Tail::Torn {
                offset: torn_at,
                len,
            },
        };
        assert_eq!(out.end, Ok(want_tail), "{ctx}");
        let r = Writer::open(&p, Options::default()).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(r.next_seq(), whole as u64, "{ctx}");
        assert_eq!(size(&p), torn_at, "{ctx}: where the file was cut");
        let backup = backup_path(&p, torn_at);
        if torn_len > 0 {
            assert_eq!(
                read_bytes(&backup),
                &b[torn_at as usize..(torn_at + torn_len) as usize],
                "{ctx}: backup"
            );
            std::fs::remove_file(&backup).unwrap();
        } else {
            assert!(!backup.exists(), "{ctx}: zeros backed up");
        }
        for x in &wants[whole..] {
            assert_eq!(put(&r, x).unwrap(), x.seq, "{ctx}");
        }
        r.close().unwrap();
        assert_holds(&p, &wants, Tail::Sealed);
        std::fs::remove_file(&p).unwrap();
    }
    w.close().unwrap();
}

/// A follower that stopped at the zeros meets a record half copied over
/// them (its writer is still copying it): the end so far is a torn tail of
/// exactly the bytes written, as a reader opened then would say, never
/// one of no bytes (the zeros it saw before are written since); once the
/// record is whole, the follower reads it, once.
#[test]
fn a_follower_at_the_zeros_sees_a_record_half_written_over_them_as_torn_then_reads_it() {
    let dir = TempDir::new("prepared-half-written");
    let live = dir.join("live.binlog");
    let w = Writer::open(&live, opts(Durability::EveryRecord, 64 << 10)).unwrap();
    let wants: Vec<Want> = (0..6).map(|s| want_sized(s, 1000)).collect();
    for x in &wants[..5] {
        put(&w, x).unwrap();
    }
    let at = w.bytes() as usize;
    put(&w, &wants[5]).unwrap();
    let end = w.bytes() as usize;
    wait_for_zeros_past(&live, end as u64, 64 << 10);
    let mut image = read_bytes(&live);
    image.truncate(end + (64 << 10));
    w.close().unwrap();
    let record = image[at..end].to_vec();
    image[at..end].fill(0);
    let p = dir.join("seg.binlog");
    write_bytes(&p, &image);

    let mut follower = Reader::open(&p).unwrap();
    let seen = drain(&mut follower);
    assert_eq!(seen.wants(), wants[..5]);
    assert_eq!(seen.end, Ok(Tail::Unsealed));
    let half = &record[..record.len() / 2];
    write_at(&p, at, half);
    let torn = drain(&mut follower);
    assert!(torn.recs.is_empty());
    let len = nonzero_end(half);
    assert!(len > 0);
    assert_eq!(
        torn.end,
        Ok(Tail::Torn {
            offset: at as u64,
            len
        })
    );
    assert_eq!(
        read_all(&p).unwrap().end,
        torn.end,
        "as a reader opened now"
    );
    write_at(&p, at, &record);
    let whole = drain(&mut follower);
    assert_eq!(whole.wants(), wants[5..]);
    assert_eq!(whole.end, Ok(Tail::Unsealed));
    assert_eq!(follower.position(), end as u64);
}

/// Writes `bytes` at `offset` of the file at `path`, over what is there
/// (the file's length changes only if they reach past its end).
fn write_at(path: &Path, offset: usize, bytes: &[u8]) {
    use std::os::unix::fs::FileExt;
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.write_all_at(bytes, offset as u64).unwrap();
}

/// A sealed file whose zeros were not cut (power lost after the seal's
/// sync, before the cut reached the disk): the seal is intact but no
/// longer ends the file. Readers end at it; reopening cuts it and the
/// zeros, and continues.
#[test]
fn seal_followed_by_zeros_reads_to_the_seal_and_reopens() {
    let dir = TempDir::new("prepared-seal-zeros");
    let p = dir.join("seg.binlog");
    let wants = make_sealed(&p, 30, Options::default());
    let sealed = read_bytes(&p);
    let records_end = Reader::open(&p).unwrap().seal().unwrap().records_end;
    let mut b = sealed.clone();
    b.extend_from_slice(&[0u8; 8192]);
    write_bytes(&p, &b);
    let out = read_all(&p).unwrap();
    assert_eq!(out.wants(), wants);
    assert!(
        matches!(out.end, Ok(Tail::SealDamaged { offset }) if offset == records_end),
        "{:?}",
        out.end
    );
    let w = Writer::open(&p, Options::default()).unwrap();
    assert_eq!(w.next_seq(), 30);
    assert!(list_dir(dir.path())
        .iter()
        .all(|n| !n.contains(".corrupt-")));
    w.close().unwrap();
    assert_eq!(read_bytes(&p), sealed, "resealed as before");
}

/// Log "log" in `dir`, durable every record, rolling every 256 KiB.
fn durable_log_of_small_segments(dir: &Path) -> LogWriter {
    let opts = LogOptions {
        segment: opts(Durability::EveryRecord, 16 << 10),
        max_segment_bytes: Some(256 << 10),
        ..LogOptions::default()
    };
    LogWriter::open(dir, "log", opts).unwrap()
}

/// Followers in other threads while a durable rolling log writes and seals
/// segment after segment (each cut from its zeros): a log reader and a
/// reader per segment each see every record once, in order, and none
/// faults (a fault, SIGBUS, would kill the test process).
#[test]
fn live_followers_read_every_record_once_while_durable_segments_seal() {
    let dir = TempDir::new("prepared-followers");
    let total = knob("BINLOG_PREPARED_FOLLOW_RECORDS", 6_000);
    let w = durable_log_of_small_segments(dir.path());
    let done = Arc::new(AtomicBool::new(false));
    let log_follower = {
        let dir = dir.path().to_path_buf();
        std::thread::spawn(move || {
            let mut r = LogReader::open(&dir, "log").unwrap();
            let mut seqs = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(120);
            while (seqs.len() as u64) < total && Instant::now() < deadline {
                if let Some(rec) = r.next_wait(Duration::from_millis(50)).unwrap() {
                    assert_eq!(
                        rec.payload,
                        payload_bytes(rec.seq, 300 + (rec.seq % 500) as usize)
                    );
                    seqs.push(rec.seq);
                }
            }
            seqs
        })
    };
    let segment_follower = {
        let dir = dir.path().to_path_buf();
        let done = done.clone();
        std::thread::spawn(move || follow_each_segment(&dir, &done))
    };
    for s in 0..total {
        let seq = w
            .write("t", &payload_bytes(s, 300 + (s % 500) as usize))
            .unwrap();
        assert_eq!(seq, s);
    }
    w.close().unwrap();
    done.store(true, Ordering::Release);
    let seqs = log_follower.join().expect("log follower");
    assert_eq!(seqs, (0..total).collect::<Vec<u64>>());
    let (per_segment, segments) = segment_follower.join().expect("segment follower");
    assert!(segments > 3, "only {segments} segments: too few seals");
    assert_eq!(per_segment, (0..total).collect::<Vec<u64>>());
}

const FOLLOW_CHILD: &str = "BINLOG_PREPARED_FOLLOW_CHILD";

/// The same with the follower in another process (this test binary, run
/// again): a log reader that must see every record once, in order, with
/// its payload, and end normally (a fault would kill it: SIGBUS).
#[test]
fn a_follower_in_another_process_reads_every_record_once_while_durable_segments_seal() {
    if let Ok(how) = std::env::var(FOLLOW_CHILD) {
        let (total, dir) = how.split_once(' ').expect("count and directory");
        let total: u64 = total.parse().unwrap();
        let mut r = LogReader::open(dir, "log").unwrap();
        let mut next = 0u64;
        let deadline = Instant::now() + Duration::from_secs(120);
        while next < total && Instant::now() < deadline {
            if let Some(rec) = r.next_wait(Duration::from_millis(50)).unwrap() {
                assert_eq!(rec.seq, next, "out of order or twice");
                assert_eq!(
                    rec.payload,
                    payload_bytes(rec.seq, 300 + (rec.seq % 500) as usize)
                );
                next += 1;
            }
        }
        common::child::say("FOLLOWED ", &next.to_string());
        return;
    }
    let dir = TempDir::new("prepared-follow-process");
    let total = knob("BINLOG_PREPARED_FOLLOW_RECORDS", 6_000);
    let w = durable_log_of_small_segments(dir.path());
    let child = common::child::ChildProc::spawn(
        "a_follower_in_another_process_reads_every_record_once_while_durable_segments_seal",
        &[(
            FOLLOW_CHILD,
            format!("{total} {}", dir.path().display()).as_ref(),
        )],
        "FOLLOWED ",
    );
    for s in 0..total {
        let seq = w
            .write("t", &payload_bytes(s, 300 + (s % 500) as usize))
            .unwrap();
        assert_eq!(seq, s);
    }
    w.close().unwrap();
    let lines = child.wait_ok();
    assert_eq!(lines, [total.to_string()], "the follower's count");
}

/// Follows each segment of the log in `dir` with a plain reader, polling
/// while it is live, until it is sealed; returns every sequence number
/// read and how many segments were followed.
fn follow_each_segment(dir: &Path, done: &AtomicBool) -> (Vec<u64>, usize) {
    let mut seqs = Vec::new();
    let mut followed = 0;
    loop {
        let mut segs: Vec<String> = list_dir(dir)
            .into_iter()
            .filter(|n| n.ends_with(".binlog"))
            .collect();
        segs.sort();
        let Some(name) = segs.get(followed) else {
            if done.load(Ordering::Acquire) {
                return (seqs, followed);
            }
            std::thread::sleep(Duration::from_millis(1));
            continue;
        };
        let mut r = Reader::open(dir.join(name)).unwrap();
        loop {
            // Read before the records: once the writer is done, every
            // segment is sealed and nothing is being written.
            let writing = !done.load(Ordering::Acquire);
            while let Some(rec) = r.next().unwrap() {
                seqs.push(rec.seq);
            }
            match r.tail() {
                // Its records are complete: a seal, or the frame that
                // begins one (the rest may still be written).
                Tail::Sealed | Tail::SealDamaged { .. } => break,
                Tail::Unsealed => std::thread::sleep(Duration::from_micros(200)),
                // A record its writer is still copying over the zeros
                // (docs/FORMAT.md section 10.1): looked at again.
                Tail::Torn { len, .. } if writing && len > 0 => {
                    std::thread::sleep(Duration::from_micros(200))
                }
                other => panic!("{name}: a live segment ends with {other:?}"),
            }
        }
        followed += 1;
    }
}
