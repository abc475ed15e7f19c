//! Writer and reader together on real files: round trips, reopening, seals,
//! seeks, type filters, durability at close.

use crate::common;

use binlog::{Durability, Entry, ErrorKind, Options, Reader, Tail, Writer};
use common::{check_segment, put, want, TempDir, Want};
use std::io::IoSlice;
use std::path::PathBuf;

/// A segment's path in a fresh directory, removed when the `TempDir` goes.
fn tmp(name: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new(name);
    let path = dir.join("seg.binlog");
    (dir, path)
}

fn payload(i: u64) -> Vec<u8> {
    format!("payload-{i}-{}", "x".repeat((i % 50) as usize)).into_bytes()
}

const TYPES: [&str; 3] = ["trade", "quote", "тип"];

fn write_n(path: &PathBuf, n: u64, opts: Options) {
    let w = Writer::open(path, opts).unwrap();
    for i in 0..n {
        let ts = 1_000 + i as i64;
        let m = i.to_string();
        let meta: Vec<(&str, &str)> = if i % 3 == 0 { vec![("i", &m)] } else { vec![] };
        let seq = w
            .write_with(TYPES[(i % 3) as usize], &meta, Some(ts), &payload(i))
            .unwrap();
        assert_eq!(seq, i);
    }
    w.close().unwrap();
}

fn check_all(path: &PathBuf, n: u64) -> Tail {
    let mut r = Reader::open(path).unwrap();
    let mut i = 0;
    while let Some(rec) = r.next().unwrap() {
        assert_eq!(rec.seq, i);
        assert_eq!(rec.timestamp_ns, 1_000 + i as i64);
        assert_eq!(rec.type_name, TYPES[(i % 3) as usize]);
        assert_eq!(rec.payload, &payload(i)[..]);
        if i % 3 == 0 {
            assert_eq!(rec.meta("i"), Some(i.to_string().as_str()));
        } else {
            assert_eq!(rec.meta_count(), 0);
        }
        i += 1;
    }
    assert_eq!(i, n);
    r.tail()
}

#[test]
fn round_trip_sealed() {
    let (_dir, p) = tmp("sealed");
    write_n(&p, 10_000, Options::default());
    assert_eq!(check_all(&p, 10_000), Tail::Sealed);
    let r = Reader::open(&p).unwrap();
    let d = r.seal().expect("sealed");
    assert_eq!(d.record_count, 10_000);
    assert_eq!((d.first_seq, d.last_seq), (0, 9_999));
    assert_eq!(d.types.iter().map(|t| t.count).sum::<u64>(), 10_000);
}

#[test]
fn reopen_continues_sequence_and_keeps_everything() {
    let (_dir, p) = tmp("reopen");
    write_n(&p, 100, Options::default());
    let w = Writer::open(&p, Options::default()).unwrap();
    assert_eq!(w.next_seq(), 100);
    assert_eq!(w.write("trade", b"more").unwrap(), 100);
    w.close().unwrap();
    let mut r = Reader::open(&p).unwrap();
    let mut n = 0;
    while let Some(rec) = r.next().unwrap() {
        n += 1;
        if rec.seq == 100 {
            assert_eq!(rec.payload, b"more");
        }
    }
    assert_eq!(n, 101);
    assert_eq!(r.seal().unwrap().record_count, 101);
}

#[test]
fn type_filter_through_index_and_by_scan() {
    let (_dir, p) = tmp("filter");
    write_n(
        &p,
        3_000,
        Options {
            sparse_interval: 256,
            ..Options::default()
        },
    );
    let mut r = Reader::open(&p).unwrap();
    r.filter_types(&["quote"]);
    let mut seqs = vec![];
    while let Some(rec) = r.next().unwrap() {
        assert_eq!(rec.type_name, "quote");
        seqs.push(rec.seq);
    }
    assert_eq!(seqs, (0..3_000).filter(|i| i % 3 == 1).collect::<Vec<_>>());
}

#[test]
fn seek_seq_and_time() {
    let (_dir, p) = tmp("seek");
    write_n(
        &p,
        5_000,
        Options {
            sparse_interval: 512,
            ..Options::default()
        },
    );
    let mut r = Reader::open(&p).unwrap();
    for target in [0u64, 1, 777, 4_999] {
        r.seek_seq(target).unwrap();
        assert_eq!(r.next().unwrap().unwrap().seq, target);
    }
    r.seek_seq(5_000).unwrap();
    assert!(r.next().unwrap().is_none());
    r.seek_time(1_000 + 1234).unwrap();
    assert_eq!(r.next().unwrap().unwrap().seq, 1234);
}

#[test]
fn unsealed_is_read_by_scan_and_torn_tail_is_cut_with_backup() {
    let (_dir, p) = tmp("torn");
    let w = Writer::open(&p, Options::default()).unwrap();
    for i in 0..10 {
        w.write_with("t", &[], Some(1_000 + i), b"abcdef").unwrap();
    }
    w.flush().unwrap();
    // Simulate a crash: copy the file before the writer seals it.
    let crashed = p.with_extension("crashed");
    std::fs::copy(&p, &crashed).unwrap();
    drop(w);
    let full = std::fs::metadata(&crashed).unwrap().len();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&crashed)
        .unwrap();
    f.set_len(full - 3).unwrap();
    drop(f);
    let mut r = Reader::open(&crashed).unwrap();
    let mut n = 0;
    while r.next().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 9);
    let Tail::Torn { offset, .. } = r.tail() else {
        panic!("{:?}", r.tail())
    };
    drop(r);
    let w = Writer::open(&crashed, Options::default()).unwrap();
    assert_eq!(w.next_seq(), 9);
    w.close().unwrap();
    let backup = format!("{}.corrupt-{offset}", crashed.display());
    assert_eq!(std::fs::metadata(&backup).unwrap().len(), full - 3 - offset);
}

#[test]
fn second_writer_is_locked() {
    let (_dir, p) = tmp("lock");
    let w = Writer::open(&p, Options::default()).unwrap();
    let e = Writer::open(&p, Options::default()).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Locked);
    w.close().unwrap();
    Writer::open(&p, Options::default()).unwrap();
}

#[test]
fn vectored_batch_large_and_empty_records() {
    let (_dir, p) = tmp("vec");
    let opts = Options {
        buffer_size: 4096,
        durability: Durability::EveryN(7),
        ..Options::default()
    };
    let w = Writer::open(&p, opts).unwrap();
    let big = vec![7u8; 100_000];
    assert_eq!(
        w.write_vectored(
            "v",
            &[IoSlice::new(b"ab"), IoSlice::new(b""), IoSlice::new(b"cd")]
        )
        .unwrap(),
        0
    );
    assert_eq!(w.write("big", &big).unwrap(), 1);
    assert_eq!(w.write("empty", b"").unwrap(), 2);
    let parts: [&[u8]; 1] = [b"x"];
    let batch: Vec<Entry> = (0..1000)
        .map(|_| Entry {
            type_name: "b",
            meta: &[],
            timestamp_ns: None,
            parts: &parts,
        })
        .collect();
    assert_eq!(w.write_batch(&batch).unwrap(), 3);
    w.close().unwrap();
    let mut r = Reader::open(&p).unwrap();
    assert_eq!(r.next().unwrap().unwrap().payload, b"abcd");
    assert_eq!(r.next().unwrap().unwrap().payload, &big[..]);
    assert_eq!(r.next().unwrap().unwrap().payload, b"");
    let mut n = 0;
    while let Some(rec) = r.next().unwrap() {
        assert_eq!(rec.payload, b"x");
        n += 1;
    }
    assert_eq!(n, 1000);
}

#[test]
fn oversized_record_is_refused_and_writer_continues() {
    let (_dir, p) = tmp("big");
    let w = Writer::open(
        &p,
        Options {
            max_record_size: 1024,
            ..Options::default()
        },
    )
    .unwrap();
    let e = w.write("t", &[0u8; 2000]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RecordTooLarge);
    assert_eq!(w.write("t", b"ok").unwrap(), 0);
}

#[test]
fn durable_every_record_from_threads() {
    let (_dir, p) = tmp("threads");
    let w = std::sync::Arc::new(
        Writer::open(
            &p,
            Options {
                durability: Durability::EveryRecord,
                ..Options::default()
            },
        )
        .unwrap(),
    );
    let hs: Vec<_> = (0..4)
        .map(|t| {
            let w = w.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let s = w.write("t", format!("{t}-{i}").as_bytes()).unwrap();
                    assert!(w.durable_seq() > s);
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    w.close().unwrap();
    let mut r = Reader::open(&p).unwrap();
    let mut n = 0;
    while r.next().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 200);
}

/// Every-N and every-T durability: close makes every record durable, and
/// after close `durable_seq` says so.
#[test]
fn close_makes_every_record_durable_under_every_n_and_interval() {
    let dir = TempDir::new("durable");
    for (i, d) in [
        Durability::EveryN(5),
        Durability::Interval(std::time::Duration::from_secs(3600)),
        Durability::Interval(std::time::Duration::from_millis(1)),
        Durability::None,
    ]
    .into_iter()
    .enumerate()
    {
        let p = dir.join(format!("d{i}.binlog"));
        let opts = Options {
            durability: d,
            buffer_size: 4096,
            ..Options::default()
        };
        let w = Writer::open(&p, opts.clone()).unwrap();
        let wants: Vec<Want> = (0..13).map(want).collect();
        for x in &wants {
            put(&w, x).unwrap();
        }
        if let Durability::EveryN(_) = d {
            assert!(w.durable_seq() >= 10, "{d:?}: {}", w.durable_seq());
        }
        w.close().unwrap();
        if d != Durability::None {
            assert_eq!(w.durable_seq(), 13, "{d:?}");
        }
        check_segment(&p, &wants, &format!("{d:?}"));
        // Reopened: durable at once (a durable policy syncs at open).
        let w = Writer::open(&p, opts).unwrap();
        if d != Durability::None {
            assert_eq!(w.durable_seq(), 13, "{d:?} reopened");
        }
        w.close().unwrap();
    }
}

#[test]
fn damaged_header_length_is_not_mistaken_for_a_torn_header() {
    let (_dir, p) = tmp("hdrlen");
    write_n(&p, 5, Options::default());
    let mut bytes = std::fs::read(&p).unwrap();
    bytes[13] = 0x40; // header_len now claims ~16 KiB, more than the file holds
    std::fs::write(&p, &bytes).unwrap();
    let e = Writer::open(&p, Options::default())
        .err()
        .expect("must refuse");
    assert_ne!(e.kind(), ErrorKind::Locked);
    assert_eq!(
        std::fs::read(&p).unwrap(),
        bytes,
        "the file must be left untouched"
    );
}

#[test]
fn torn_header_is_rewritten() {
    let (_dir, p) = tmp("tornhdr");
    write_n(&p, 0, Options::default());
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..20]).unwrap();
    let w = Writer::open(&p, Options::default()).unwrap();
    assert_eq!(w.write("t", b"x").unwrap(), 0);
    w.close().unwrap();
    assert!(std::path::Path::new(&format!("{}.corrupt-0", p.display())).exists());
    let mut r = Reader::open(&p).unwrap();
    assert_eq!(r.next().unwrap().unwrap().payload, b"x");
}

/// Reading a segment leaves its access time alone (the reader opens with
/// O_NOATIME, as the owner of the file). Under relatime the kernel would
/// otherwise update an access time older than the modification time on the
/// first read.
#[test]
#[cfg_attr(feature = "posix-backend", ignore = "POSIX has no O_NOATIME")]
fn reading_does_not_update_access_time() {
    use std::time::{Duration, SystemTime};
    let (_dir, path) = tmp("noatime");
    write_n(&path, 20, Options::default());
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_times(std::fs::FileTimes::new().set_accessed(old))
        .unwrap();
    drop(f);
    assert_eq!(std::fs::metadata(&path).unwrap().accessed().unwrap(), old);
    assert_eq!(check_all(&path, 20), Tail::Sealed);
    let mut r = Reader::open(&path).unwrap();
    r.filter_types(&["quote"]);
    let mut n = 0;
    while r.next().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 7);
    assert_eq!(std::fs::metadata(&path).unwrap().accessed().unwrap(), old);
}

/// Full buffers are written in whole aligned units (the buffer size rounded
/// down to a power of two, here 64 KiB), records cut across two writes
/// where a unit ends: once the background writes are done (the length
/// stops changing; during a write it grows page by page), the file ends on
/// a unit boundary, and after a flush every record reads back whole. No
/// flush delay: its flushes of the buffer while the test pauses would end
/// the file anywhere.
#[test]
fn background_writes_end_on_unit_boundaries() {
    const UNIT: u64 = 64 << 10;
    let (_dir, path) = tmp("units");
    let opts = Options {
        buffer_size: 100 << 10,
        flush_delay: None,
        ..Options::default()
    };
    let w = Writer::open(&path, opts).unwrap();
    let settled_len = || {
        let mut last = u64::MAX;
        loop {
            std::thread::sleep(std::time::Duration::from_millis(20));
            let len = std::fs::metadata(&path).unwrap().len();
            if len == last {
                return len;
            }
            last = len;
        }
    };
    // A write the kernel holds up (dirty-page throttling on a busy disk)
    // can pause the length off a boundary for a while: one that stays off
    // it for 30 s is a write that ended there.
    let unit_len = |i: u64| {
        let t = std::time::Instant::now();
        loop {
            let len = settled_len();
            if len % UNIT == 0 {
                return len;
            }
            assert!(
                t.elapsed() < std::time::Duration::from_secs(30),
                "file length {len} after record {i}"
            );
        }
    };
    let mut lens = Vec::new();
    for i in 0..20_000u64 {
        w.write_with(TYPES[(i % 3) as usize], &[], Some(i as i64), &payload(i))
            .unwrap();
        if i % 4000 == 3999 {
            lens.push(unit_len(i));
        }
    }
    assert!(
        lens.windows(2).all(|p| p[0] < p[1]),
        "each pause follows more background writes: {lens:?}"
    );
    w.flush().unwrap();
    assert_ne!(
        settled_len() % UNIT,
        0,
        "a flush writes the partial unit too"
    );
    let mut r = Reader::open(&path).unwrap();
    let mut n = 0;
    while let Some(rec) = r.next().unwrap() {
        assert_eq!(rec.seq, n);
        assert_eq!(rec.payload, &payload(n)[..]);
        n += 1;
    }
    assert_eq!(n, 20_000);
    w.close().unwrap();
}

/// Records written without a timestamp, one thread, for over 20 ms (the
/// clock reads the TSC after its first millisecond, resyncing every
/// 100 us): read back, their times never step back and lie within 1 us of
/// clock readings taken around the writes (README, "Timestamps").
#[test]
fn clock_timestamps_of_one_thread_never_step_back() {
    use std::time::{Instant, SystemTime, UNIX_EPOCH};
    let real = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as i64
    };
    let (_dir, path) = tmp("clock-monotone");
    let w = Writer::open(&path, Options::default()).unwrap();
    let before = real();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_millis() < 20 || n < 100_000 {
        w.write("t", &n.to_le_bytes()).unwrap();
        n += 1;
    }
    let after = real();
    w.close().unwrap();
    let mut r = Reader::open(&path).unwrap();
    let (mut last, mut count) = (i64::MIN, 0u64);
    while let Some(rec) = r.next().unwrap() {
        let t = rec.timestamp_ns;
        assert!(t >= last, "record {}: {t} after {last}", rec.seq);
        assert!(
            t >= before - 1_000 && t <= after + 1_000,
            "record {}: {t} outside [{before}, {after}]",
            rec.seq
        );
        (last, count) = (t, count + 1);
    }
    assert_eq!(count, n);
}
