//! A segment writer opening a segment again: what a crash, a kill or a
//! buggy writer left at its end (a seal cut at any length, a torn frame,
//! zeros, garbage after a seal, the seal of another segment, a seal that
//! lists a type no record defines, a torn or empty header) is cut and
//! backed up, or rebuilt from the records, and the sequence numbers, the
//! types and the index go on; the index spilled to its file across
//! reopens; and a writer opening a segment while a repair renames a copy
//! over it writes to the file the name leads to.

mod common;

use binlog::format::seal::{encode_seal_begin, read_seal, SealDirectory, Trailer};
use binlog::{Durability, Entry, Options, Reader, Tail, Writer};
use common::*;
use std::path::Path;

/// Rewrites the seal of the sealed segment at `path` with `change` applied
/// to its directory, every CRC valid (arrays and sparse index kept).
fn rewrite_dir(path: &Path, change: impl FnOnce(&mut SealDirectory)) {
    let bytes = std::fs::read(path).unwrap();
    let data_start = Reader::open(path).unwrap().data_start() as usize;
    let mut dir = read_seal(&bytes, data_start).expect("sealed");
    let trailer_at = bytes.len() - 32;
    let dir_len = u32::from_le_bytes(bytes[trailer_at + 16..trailer_at + 20].try_into().unwrap());
    let dir_offset = trailer_at - dir_len as usize;
    change(&mut dir);
    let mut out = bytes[..dir_offset].to_vec();
    let records_end = dir.records_end as usize;
    out[records_end..records_end + 17].copy_from_slice(&encode_seal_begin(dir.record_count));
    let dir_len = dir.encode_frame(&mut out) as u32;
    out.extend_from_slice(
        &Trailer {
            records_end: dir.records_end,
            dir_offset: dir_offset as u64,
            dir_len,
        }
        .encode(),
    );
    std::fs::write(path, &out).unwrap();
    assert!(
        read_seal(&out, data_start).is_some(),
        "rewritten seal is valid"
    );
}

/// A seal may list a type without records (docs/FORMAT.md section 9: a
/// reader accepts it after the types with records). A writer reopening
/// such a segment must not take that type as defined: the seal is cut off,
/// and no record in the file defines it.
#[test]
fn a_type_listed_in_the_seal_without_records_is_defined_by_the_next_record_of_it() {
    let dir = TempDir::new("r16-ghost");
    let p = dir.join("seg.binlog");
    let mut wants = make_sealed(&p, 10, Options::default());
    rewrite_dir(&p, |d| {
        let mut t = d.types[0].clone();
        t.name = "ghost".into();
        t.count = 0;
        t.bytes = 0;
        t.array_crc = 0;
        d.types.push(t);
    });
    assert_eq!(Reader::open(&p).unwrap().seal().unwrap().types.len(), 4);
    let w = Writer::open(&p, Options::default()).unwrap();
    assert_eq!(w.next_seq(), 10);
    let mut x = want(10);
    x.type_name = "ghost".into();
    assert_eq!(put(&w, &x).unwrap(), 10);
    wants.push(x);
    let y = want(11);
    assert_eq!(put(&w, &y).unwrap(), 11);
    wants.push(y);
    w.flush().unwrap();
    // Unsealed, as after a crash: a scan must read every record.
    assert_holds(&p, &wants, Tail::Unsealed);
    w.close().unwrap();
    check_segment(&p, &wants, "ghost type");
}

/// Reopens `p` (whose first `n` records are `wants`), checks the sequence
/// numbers go on, writes a record of a known type and one of a new type,
/// closes and checks the segment whole.
fn reopen_append_check(p: &Path, wants: &mut Vec<Want>, opts: Options, ctx: &str) {
    let w = Writer::open(p, opts).unwrap_or_else(|e| panic!("{ctx}: reopen: {e}"));
    let next = wants.len() as u64;
    assert_eq!(w.next_seq(), next, "{ctx}: next_seq");
    assert_eq!(w.record_count(), next, "{ctx}: record_count");
    let a = want(next);
    assert_eq!(put(&w, &a).unwrap(), next, "{ctx}");
    wants.push(a);
    let mut b = want(next + 1);
    b.type_name = "fresh".into();
    assert_eq!(put(&w, &b).unwrap(), next + 1, "{ctx}");
    wants.push(b);
    w.close().unwrap();
    check_segment(p, wants, ctx);
}

/// A seal cut at every length (a writer killed while sealing), reopened:
/// every record stays, the seal is rebuilt right.
#[test]
fn a_half_written_seal_at_every_length_is_recovered() {
    let dir = TempDir::new("r16-half-seal");
    let src = dir.join("src.binlog");
    let opts = Options {
        sparse_interval: 64,
        ..Options::default()
    };
    let wants = make_sealed(&src, 30, opts.clone());
    let full = read_bytes(&src);
    let end = Reader::open(&src).unwrap().seal().unwrap().records_end as usize;
    for cut in end..full.len() {
        let p = dir.join(&format!("cut-{cut}.binlog"));
        write_bytes(&p, &full[..cut]);
        let mut w = wants.clone();
        reopen_append_check(&p, &mut w, opts.clone(), &format!("cut at {cut}"));
        let _ = std::fs::remove_file(&p);
    }
}

/// The last record torn at every length, then zeros after whole records,
/// then garbage after a valid seal: reopening keeps every whole record,
/// backs up what it cuts, and goes on.
#[test]
fn torn_frames_zeros_and_garbage_after_a_seal_are_cut_and_backed_up() {
    let dir = TempDir::new("r16-torn");
    let src = dir.join("src.binlog");
    let (wants, end) = make_unsealed(&src, 12);
    let full = read_bytes(&src);
    let last = Reader::open(&src).unwrap();
    drop(last);
    let out = read_all(&src).unwrap();
    let last_start = out.recs.last().unwrap().offset as usize;
    for cut in last_start + 1..end as usize {
        let p = dir.join(&format!("torn-{cut}.binlog"));
        write_bytes(&p, &full[..cut]);
        let mut w = wants[..11].to_vec();
        reopen_append_check(&p, &mut w, Options::default(), &format!("torn at {cut}"));
        let backup = backup_path(&p, last_start as u64);
        assert_eq!(
            read_bytes(&backup),
            &full[last_start..cut],
            "backup at {cut}"
        );
    }
    for zeros in [1usize, 7, 8, 25, 26, 4096, 70_000] {
        let p = dir.join(&format!("zeros-{zeros}.binlog"));
        let mut b = full.clone();
        b.resize(b.len() + zeros, 0);
        write_bytes(&p, &b);
        let mut w = wants.clone();
        reopen_append_check(&p, &mut w, Options::default(), &format!("{zeros} zeros"));
    }
    let sealed = dir.join("sealed.binlog");
    let swants = make_sealed(&sealed, 12, Options::default());
    let sbytes = read_bytes(&sealed);
    for garbage in [
        &b"x"[..],
        &[0u8; 40],
        &sbytes[sbytes.len() - 32..],
        &full[100..400],
    ] {
        let p = dir.join(&format!("garbage-{}.binlog", garbage.len()));
        let mut b = sbytes.clone();
        b.extend_from_slice(garbage);
        write_bytes(&p, &b);
        let mut w = swants.clone();
        reopen_append_check(
            &p,
            &mut w,
            Options::default(),
            &format!("garbage {}", garbage.len()),
        );
    }
}

/// Empty files, header-only ones, headers torn at every length.
#[test]
fn empty_header_only_and_torn_header_segments_reopen() {
    let dir = TempDir::new("r16-header");
    let opts = Options {
        first_seq: 500,
        ..Options::default()
    };
    let src = dir.join("src.binlog");
    Writer::open(&src, opts.clone()).unwrap().close().unwrap();
    let data_start = Reader::open(&src).unwrap().data_start() as usize;
    let sealed_empty = read_bytes(&src);
    let header = sealed_empty[..data_start].to_vec();
    for len in 0..=data_start {
        let p = dir.join(&format!("h-{len}.binlog"));
        write_bytes(&p, &header[..len]);
        let w = Writer::open(&p, opts.clone()).unwrap_or_else(|e| panic!("len {len}: {e}"));
        assert_eq!(w.next_seq(), 500, "len {len}");
        let s = w.write("t", b"payload").unwrap();
        assert_eq!(s, 500);
        w.close().unwrap();
        let out = read_all(&p).unwrap();
        assert_eq!(out.recs.len(), 1, "len {len}");
        assert_eq!(out.recs[0].seq, 500);
        if len > 0 && len < data_start {
            assert_eq!(read_bytes(&backup_path(&p, 0)), &header[..len], "len {len}");
        }
    }
    // A sealed empty segment reopened.
    let p = dir.join("sealed-empty.binlog");
    write_bytes(&p, &sealed_empty);
    let w = Writer::open(&p, Options::default()).unwrap();
    assert_eq!(w.next_seq(), 500);
    w.close().unwrap();
    assert_eq!(read_bytes(&p), sealed_empty, "reseal reproduces the bytes");
}

/// The index spilled to its temporary file (a small memory bound) on both
/// sides of a reopen, of a sealed and of an unsealed segment.
#[test]
fn a_spilled_index_seals_right_across_reopens() {
    let dir = TempDir::new("r16-spill");
    let p = dir.join("seg.binlog");
    let opts = Options {
        index_memory_entries: 3,
        sparse_interval: 100,
        ..Options::default()
    };
    let mut wants = Vec::new();
    let mut seq = 0u64;
    for round in 0..4 {
        let w = Writer::open(&p, opts.clone()).unwrap();
        assert_eq!(w.next_seq(), seq, "round {round}");
        for _ in 0..37 {
            let x = want(seq);
            assert_eq!(put(&w, &x).unwrap(), seq);
            wants.push(x);
            seq += 1;
        }
        if round % 2 == 1 {
            w.flush().unwrap();
            // Dropped without a seal: make it look like a crash by cutting the seal.
            w.close().unwrap();
            let end = Reader::open(&p).unwrap().seal().unwrap().records_end;
            std::fs::OpenOptions::new()
                .write(true)
                .open(&p)
                .unwrap()
                .set_len(end)
                .unwrap();
        } else {
            w.close().unwrap();
            check_segment(&p, &wants, &format!("round {round}"));
        }
    }
    // Sealed, then reopened and closed without a write: the same bytes
    // (docs/FORMAT.md section 12), with the index spilled again.
    Writer::open(&p, opts.clone()).unwrap().close().unwrap();
    let before = read_bytes(&p);
    let w = Writer::open(&p, opts).unwrap();
    w.close().unwrap();
    assert!(read_bytes(&p) == before, "the seal written again differs");
    check_segment(&p, &wants, "last");
}

/// Every-N and every-T durability: close makes every record durable, and
/// after close `durable_seq` says so.
#[test]
fn every_n_and_interval_durability_around_close() {
    let dir = TempDir::new("r16-durable");
    for (i, d) in [
        Durability::EveryN(5),
        Durability::Interval(std::time::Duration::from_secs(3600)),
        Durability::Interval(std::time::Duration::from_millis(1)),
        Durability::None,
    ]
    .into_iter()
    .enumerate()
    {
        let p = dir.join(&format!("d{i}.binlog"));
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

const CHILD: &str = "BINLOG_R16_CHILD";

/// `common::in_fsize_child` with this file's variable and prefix.
fn in_child(test: &str, body: impl FnOnce(&Path)) {
    in_fsize_child(test, CHILD, "R16 ", body)
}

/// Batches mixing types the segment knows with types they define, under a
/// file size limit that makes them fail midway; the writer is reopened
/// between phases (closed under the limit, so sometimes unsealed). Every
/// acknowledged record is in the file once, under its type.
fn mixed_batches(dir: &Path, seed: u64, bs: usize, durability: Durability) {
    let ctx = format!("seed {seed}, buffer {bs}, {durability:?}");
    let mut rng = Rng::new(seed);
    let path = dir.join(format!("mixed-{seed}-{bs}.binlog"));
    let opts = Options {
        buffer_size: bs,
        durability,
        index_memory_entries: 5,
        sparse_interval: 300,
        ..Options::default()
    };
    let mut acked: Vec<Want> = Vec::new();
    let mut next_type = 0u32;
    for phase in 0..6 {
        set_file_size_limit(libc::RLIM_INFINITY);
        let w = Writer::open(&path, opts.clone()).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(w.next_seq(), acked.len() as u64, "{ctx}: phase {phase}");
        let here = std::fs::metadata(&path).unwrap().len();
        set_file_size_limit(here + 2000 + rng.below(3 * bs as u64 + 20_000));
        let mut errors = 0;
        for _ in 0..200 {
            let next = acked.len() as u64;
            let k = 1 + rng.below(8);
            let xs: Vec<Want> = (next..next + k)
                .map(|q| {
                    let len = match rng.below(4) {
                        0 => bs + rng.below(200) as usize,
                        _ => rng.below(300) as usize,
                    };
                    let mut x = want_sized(q, len);
                    if rng.below(3) == 0 {
                        x.type_name = format!("t{}", next_type + rng.below(3) as u32);
                    } else if rng.below(2) == 0 && next_type > 0 {
                        x.type_name = format!("t{}", rng.below(next_type as u64));
                    }
                    x
                })
                .collect();
            let r = if k == 1 {
                put(&w, &xs[0])
            } else {
                write_wants(&w, &xs)
            };
            match r {
                Ok(first) => {
                    assert_eq!(first, next, "{ctx}");
                    next_type += 3;
                    acked.extend(xs);
                }
                Err(e) => {
                    assert_ne!(e.kind(), binlog::ErrorKind::Poisoned, "{ctx}: {e}");
                    // The records of a batch that reached the file stay.
                    let written = (w.next_seq() - next) as usize;
                    assert!(written < k as usize, "{ctx}: {e}");
                    acked.extend(xs.into_iter().take(written));
                    errors += 1;
                    if errors > 4 {
                        break;
                    }
                }
            }
            assert_eq!(w.next_seq(), acked.len() as u64, "{ctx}");
        }
        if phase % 2 == 0 {
            set_file_size_limit(libc::RLIM_INFINITY);
        }
        match w.close() {
            Ok(()) => {}
            Err(e) => {
                // Acknowledged records still buffered were lost: reading
                // back tells which.
                eprintln!("{ctx}: close: {e}");
                set_file_size_limit(libc::RLIM_INFINITY);
                let out = read_all(&path).unwrap();
                let n = out.recs.len();
                assert!(n <= acked.len(), "{ctx}");
                acked.truncate(n);
                assert!(
                    e.message().contains("not written") || n == w.next_seq() as usize,
                    "{ctx}: {e}"
                );
            }
        }
        set_file_size_limit(libc::RLIM_INFINITY);
        let out = read_all(&path).unwrap();
        let got: Vec<Want> = out.recs.iter().map(Rec::as_want).collect();
        assert_eq!(got.len(), acked.len(), "{ctx}: phase {phase}");
        for (g, a) in got.iter().zip(&acked) {
            assert_eq!(g, a, "{ctx}: phase {phase}");
        }
    }
    set_file_size_limit(libc::RLIM_INFINITY);
    let w = Writer::open(&path, opts).unwrap();
    w.close().unwrap();
    check_segment(&path, &acked, &ctx);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn batches_defining_types_fail_midway_and_reopen() {
    in_child("batches_defining_types_fail_midway_and_reopen", |dir| {
        for seed in 0..3u64 {
            for bs in [0usize, 64, 1000, 4096, 8191] {
                for d in [
                    Durability::None,
                    Durability::EveryRecord,
                    Durability::EveryN(3),
                ] {
                    mixed_batches(dir, seed, bs, d);
                }
            }
        }
    });
}

const KILL_CHILD: &str = "BINLOG_R16_KILL_CHILD";

/// The record `seq` of the kill test: types that come and go, so that
/// reopens meet types defined before the crash and new ones.
fn kill_want(seq: u64) -> Want {
    let mut x = want_sized(
        seq,
        if seq % 23 == 0 {
            9000
        } else {
            (seq * 13 % 200) as usize
        },
    );
    if seq % 4 == 0 {
        x.type_name = format!("k{}", seq / 40);
    }
    x
}

fn kill_opts() -> Options {
    Options {
        buffer_size: 4096,
        index_memory_entries: 7,
        sparse_interval: 500,
        ..Options::default()
    }
}

/// Child: reopens, writes, flushes, closes, over and over, reporting what
/// it flushed, until killed.
fn kill_child(path: &Path) {
    let say = |s: String| {
        use std::io::Write;
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(format!("R16K {s}\n").as_bytes());
        let _ = o.flush();
    };
    let mut rng = Rng::new(std::process::id() as u64);
    loop {
        let w = Writer::open(path, kill_opts()).unwrap();
        let start = w.next_seq();
        say(format!("START {start}"));
        for seq in start..start + 1 + rng.below(120) {
            assert_eq!(put(&w, &kill_want(seq)).unwrap(), seq);
            if rng.below(10) == 0 {
                w.flush().unwrap();
                say(format!("FLUSHED {}", seq + 1));
            }
        }
        let n = w.next_seq();
        w.close().unwrap();
        say(format!("FLUSHED {n}"));
    }
}

/// Kill -9 at random moments of a writer that reopens, writes, flushes and
/// seals in a loop: after each kill the segment reopens with every flushed
/// record, the next sequence number right after the last one found, and a
/// seal that is right once closed.
#[test]
fn kill9_around_reopen_write_and_seal() {
    if let Ok(p) = std::env::var(KILL_CHILD) {
        kill_child(Path::new(&p));
        return;
    }
    let dir = TempDir::new("r16-kill");
    let p = dir.join("seg.binlog");
    let mut rng = Rng::from_env(16);
    let mut flushed = 0u64;
    for round in 0..25 {
        let mut child = common::child::ChildProc::spawn(
            "kill9_around_reopen_write_and_seal",
            &[(KILL_CHILD, p.as_os_str())],
            "R16K ",
        );
        let mut seen = Vec::new();
        assert!(
            child.wait_for("START", &mut seen, std::time::Duration::from_secs(10)),
            "round {round}: child did not start: {seen:?}"
        );
        std::thread::sleep(std::time::Duration::from_micros(rng.below(40_000)));
        let lines = child.kill9(seen);
        for l in &lines {
            if let Some(n) = l.strip_prefix("FLUSHED ") {
                flushed = flushed.max(n.parse().unwrap());
            }
        }
        let w = Writer::open(&p, kill_opts()).unwrap_or_else(|e| panic!("round {round}: {e}"));
        let next = w.next_seq();
        assert!(
            next >= flushed,
            "round {round}: next {next} < flushed {flushed}"
        );
        assert_eq!(w.record_count(), next, "round {round}");
        w.close().unwrap();
        let wants: Vec<Want> = (0..next).map(kill_want).collect();
        check_segment(&p, &wants, &format!("round {round}"));
        flushed = next;
    }
}

/// Records of exactly the maximum record size are taken, one byte more is
/// refused, in single writes and batches (the type defined by the batch's
/// first entry makes that one 2 bytes longer), buffered or not.
#[test]
fn max_record_size_edges() {
    let dir = TempDir::new("r16-max");
    for bs in [0usize, 32, 64, 4096] {
        let p = dir.join(&format!("max-{bs}.binlog"));
        let opts = Options {
            max_record_size: 64,
            buffer_size: bs,
            ..Options::default()
        };
        let w = Writer::open(&p, opts).unwrap();
        static P: [u8; 100] = [7; 100];
        let parts: Vec<[&[u8]; 1]> = (0..=P.len()).map(|n| [&P[..n]]).collect();
        let e = |n: &'static str, len: usize| Entry {
            type_name: n,
            meta: &[],
            timestamp_ns: Some(len as i64),
            parts: &parts[len],
        };
        // New type: 28 bytes before the payload; known: 26.
        let err = w.write_batch(&[e("t", 36), e("t", 39)]).unwrap_err();
        assert_eq!(err.kind(), binlog::ErrorKind::RecordTooLarge, "{bs}: {err}");
        assert_eq!(w.next_seq(), 0);
        let err = w.write_batch(&[e("t", 37)]).unwrap_err();
        assert_eq!(err.kind(), binlog::ErrorKind::RecordTooLarge, "{bs}: {err}");
        assert_eq!(w.write_batch(&[e("t", 36), e("t", 38)]).unwrap(), 0);
        let err = w.write("t", &P[..39]).unwrap_err();
        assert_eq!(err.kind(), binlog::ErrorKind::RecordTooLarge, "{bs}: {err}");
        assert_eq!(w.write("t", &P[..38]).unwrap(), 2);
        assert_eq!(w.write("u", &P[..36]).unwrap(), 3);
        w.close().unwrap();
        let out = read_all(&p).unwrap();
        let lens: Vec<u64> = out.recs.iter().map(|r| r.frame_len).collect();
        assert_eq!(lens, [64, 64, 64, 64], "buffer {bs}");
        assert_eq!(out.end.unwrap(), Tail::Sealed);
    }
}

/// The seal of another segment with the same layout (same record sizes
/// and types, other timestamps) after a segment's records: a reader may
/// take it, but a writer reopening the segment rebuilds its seal from the
/// records, so the summary and index are this segment's.
#[test]
fn a_seal_from_another_segment_is_replaced_by_the_records_own() {
    let dir = TempDir::new("r16-foreign-seal");
    let x = dir.join("x.binlog");
    let y = dir.join("y.binlog");
    let opts = Options {
        created_ns: Some(5),
        sparse_interval: 64,
        ..Options::default()
    };
    let mut xw: Vec<Want> = (0..20).map(want).collect();
    for w in &mut xw {
        w.ts = -w.ts;
    }
    let writer = Writer::open(&x, opts.clone()).unwrap();
    for w in &xw {
        put(&writer, w).unwrap();
    }
    writer.close().unwrap();
    let mut wants = make_sealed(&y, 20, opts.clone());
    let xb = read_bytes(&x);
    let yb = read_bytes(&y);
    let end = Reader::open(&y).unwrap().seal().unwrap().records_end as usize;
    let mut mixed = yb[..end].to_vec();
    mixed.extend_from_slice(&xb[end..]);
    write_bytes(&y, &mixed);
    reopen_append_check(&y, &mut wants, opts, "foreign seal");
}
