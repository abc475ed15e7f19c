//! The rolling log reader on real files: ordered reads across segments, a
//! live log whose newest segment is unsealed, the states a crash can leave
//! around a roll, seeks by sequence number and time, type filters, globs and
//! file lists, segments removed by retention while reading (a removed or
//! torn segment is one gap), and following a log that a writer thread rolls
//! over and over.

use crate::common;
use binlog::log::{naming, segments};
use binlog::{Clock, LogOptions, LogReader, LogWriter, Retention};
use binlog::{Entry, ErrorKind, GapReason, Reader, Tail};
use common::{fixed_clock_opts, payload_bytes as payload, TempDir, Want};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- helpers

/// 2026-11-21T05:37:42.5Z
const T0: i64 = 1_795_239_462_500_000_000;

fn fixed_clock() -> Clock {
    let c = Arc::new(AtomicI64::new(T0));
    Arc::new(move || c.load(Ordering::SeqCst))
}

fn opts() -> LogOptions {
    LogOptions {
        clock: fixed_clock(),
        background: false,
        ..LogOptions::default()
    }
}

/// Types a, b, c (c only while `seq < 200`), metadata on every fifth
/// record, timestamps 1 ms apart, payloads of 0 to 300 bytes and a 5000
/// byte one now and then.
fn want(seq: u64) -> Want {
    let type_name = match seq % 5 {
        0 | 3 => "a",
        1 => "b",
        2 if seq < 200 => "c",
        _ => "a",
    };
    let len = if seq % 37 == 36 {
        5000
    } else {
        ((seq * 53) % 301) as usize
    };
    Want {
        seq,
        ts: T0 + seq as i64 * 1_000_000,
        type_name: type_name.into(),
        meta: if seq % 5 == 4 {
            vec![
                ("k".into(), seq.to_string()),
                ("ключ".into(), "значение".into()),
            ]
        } else {
            Vec::new()
        },
        payload: payload(seq, len),
    }
}

/// Writes `wants` in batches of varying size; checks the sequence numbers.
fn write_all(w: &LogWriter, wants: &[Want]) {
    let mut i = 0;
    let mut k = 0;
    while i < wants.len() {
        let n = [1, 1, 5, 2, 17, 1, 3][k % 7].min(wants.len() - i);
        k += 1;
        let chunk = &wants[i..i + n];
        let metas: Vec<Vec<(&str, &str)>> = chunk
            .iter()
            .map(|x| {
                x.meta
                    .iter()
                    .map(|(a, b)| (a.as_str(), b.as_str()))
                    .collect()
            })
            .collect();
        let parts: Vec<[&[u8]; 1]> = chunk.iter().map(|x| [&x.payload[..]]).collect();
        let entries: Vec<Entry<'_>> = chunk
            .iter()
            .zip(&metas)
            .zip(&parts)
            .map(|((x, m), p)| Entry {
                type_name: &x.type_name,
                meta: m,
                timestamp_ns: Some(x.ts),
                parts: p,
            })
            .collect();
        assert_eq!(w.write_batch(&entries).unwrap(), chunk[0].seq);
        i += n;
    }
}

fn got(r: &binlog::Record<'_>) -> Want {
    common::copy(r).as_want()
}

/// Everything `next` returns until `None`.
fn drain(r: &mut LogReader) -> Vec<Want> {
    let mut out = Vec::new();
    while let Some(rec) = r
        .next()
        .unwrap_or_else(|e| panic!("after {} records: {e}", out.len()))
    {
        out.push(got(&rec));
        assert!(out.len() < 1_000_000, "reader does not end");
    }
    out
}

fn assert_same(got: &[Want], wants: &[Want], ctx: &str) {
    assert_eq!(got.len(), wants.len(), "{ctx}: record count");
    for (g, w) in got.iter().zip(wants) {
        assert!(g == w, "{ctx}: record {} differs: got seq {}", w.seq, g.seq);
    }
}

fn seqs(v: &[Want]) -> Vec<u64> {
    v.iter().map(|x| x.seq).collect()
}

fn paths(dir: &Path, log: &str) -> Vec<PathBuf> {
    segments::list(dir, log)
        .unwrap()
        .into_iter()
        .map(|s| s.path)
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// A closed log of `n` records rolled every `per` records.
fn make_log(dir: &Path, log: &str, n: u64, per: u64) -> Vec<Want> {
    let w = LogWriter::open(
        dir,
        log,
        LogOptions {
            max_segment_records: Some(per),
            ..opts()
        },
    )
    .unwrap();
    let wants: Vec<Want> = (0..n).map(want).collect();
    write_all(&w, &wants);
    w.close().unwrap();
    wants
}

// ---------------------------------------------------------------- reading

#[test]
fn reads_every_record_in_order_across_segments() {
    let d = TempDir::new("all");
    let w = LogWriter::open(
        d.path(),
        "l",
        LogOptions {
            max_segment_records: Some(9),
            max_segment_bytes: Some(8192),
            ..opts()
        },
    )
    .unwrap();
    let wants: Vec<Want> = (0..500).map(want).collect();
    write_all(&w, &wants);
    w.close().unwrap();
    let files = paths(d.path(), "l");
    assert!(files.len() > 55, "{} segments", files.len());

    let mut r = LogReader::open(d.path(), "l").unwrap();
    let mut out = Vec::new();
    let mut visited: Vec<PathBuf> = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        out.push(got(&rec));
        let p = r.current_path().unwrap().to_path_buf();
        if visited.last() != Some(&p) {
            visited.push(p);
        }
    }
    assert_same(&out, &wants, "whole log");
    assert_eq!(visited, files, "segments visited in name order");
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
    // The end stays the end.
    assert!(r.next().unwrap().is_none());
    assert!(r.next_wait(Duration::from_millis(30)).unwrap().is_none());
}

#[test]
fn a_log_name_the_directory_holds_no_file_of_is_not_found() {
    let d = TempDir::new("nolog");
    make_log(d.path(), "orders", 3, 2);
    for name in ["ordrs", "order", "orders-eu"] {
        let e = LogReader::open(d.path(), name).err().expect(name);
        assert_eq!(e.kind(), ErrorKind::NotFound, "{name}: {e}");
        assert_eq!(e.path(), Some(d.path()), "{name}: {e}");
        assert!(e.to_string().contains(&format!("no log '{name}'")), "{e}");
    }
    // The log of the same directory still opens.
    assert_eq!(
        seqs(&drain(&mut LogReader::open(d.path(), "orders").unwrap())).len(),
        3
    );
}

#[test]
fn a_log_whose_only_file_is_its_manifest_opens_with_no_records() {
    let d = TempDir::new("onlymanifest");
    make_log(d.path(), "l", 4, 2);
    for p in paths(d.path(), "l") {
        std::fs::remove_file(p).unwrap();
    }
    assert!(naming::manifest_path(d.path(), "l").exists());
    let mut r = LogReader::open(d.path(), "l").unwrap();
    assert!(r.next().unwrap().is_none());
}

#[test]
fn reads_a_live_log_whose_newest_segment_is_unsealed() {
    let d = TempDir::new("live");
    let w = LogWriter::open(
        d.path(),
        "l",
        LogOptions {
            max_segment_records: Some(10),
            ..opts()
        },
    )
    .unwrap();
    let wants: Vec<Want> = (0..60).map(want).collect();
    write_all(&w, &wants[..25]);
    w.flush().unwrap();
    let mut r = LogReader::open(d.path(), "l").unwrap();
    assert_same(&drain(&mut r), &wants[..25], "first 25");
    assert_eq!(r.tail(), Tail::Unsealed);
    assert!(r.next().unwrap().is_none());
    // More records, across a roll, picked up by the same reader.
    write_all(&w, &wants[25..43]);
    w.flush().unwrap();
    assert_same(&drain(&mut r), &wants[25..43], "next 18");
    assert_eq!(r.tail(), Tail::Unsealed);
    // The writer closes: the rest, then the sealed end.
    write_all(&w, &wants[43..]);
    w.close().unwrap();
    assert_same(&drain(&mut r), &wants[43..], "rest");
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
}

/// `seek_end` fixes the end when it is called: the records written after
/// it are returned, across rolls, and none before; a log with no segment
/// then is read from its first record, whenever its writer writes it.
#[test]
fn a_follow_from_the_end_returns_every_record_written_after_it() {
    let d = TempDir::new("seekend");
    let o = LogOptions {
        max_segment_records: Some(10),
        ..opts()
    };
    let w = LogWriter::open(d.path(), "l", o.clone()).unwrap();
    let wants: Vec<Want> = (0..43).map(want).collect();
    write_all(&w, &wants[..25]);
    w.flush().unwrap();
    let mut r = LogReader::open(d.path(), "l").unwrap();
    assert_eq!(r.seek_end().unwrap(), Some(25));
    assert!(r.next().unwrap().is_none());
    write_all(&w, &wants[25..]);
    w.close().unwrap();
    assert_same(&drain(&mut r), &wants[25..], "after the end");

    // No segment left, only the manifest: the end is the first record.
    for p in paths(d.path(), "l") {
        std::fs::remove_file(p).unwrap();
    }
    let mut r = LogReader::open(d.path(), "l").unwrap();
    assert_eq!(r.seek_end().unwrap(), None);
    let w = LogWriter::open(d.path(), "l", o).unwrap();
    for _ in 0..15 {
        w.write("a", b"x").unwrap();
    }
    w.close().unwrap();
    let got = drain(&mut r);
    assert_eq!(got.len(), 15, "{:?}", seqs(&got));
}

/// `tail()` after the last record says how the log ends: unsealed while a
/// writer has it open, sealed once the writer closed it (as a segment
/// reader says for one segment).
#[test]
fn tail_at_the_end_says_whether_the_log_is_sealed() {
    let d = TempDir::new("tail");
    let w = LogWriter::open(
        d.path(),
        "l",
        LogOptions {
            max_segment_records: Some(10),
            ..opts()
        },
    )
    .unwrap();
    let wants: Vec<Want> = (0..25).map(want).collect();
    write_all(&w, &wants);
    w.flush().unwrap();
    let mut r = LogReader::open(d.path(), "l").unwrap();
    assert_same(&drain(&mut r), &wants, "live");
    assert_eq!(r.tail(), Tail::Unsealed, "end of a live log");
    w.close().unwrap();
    assert!(r.next().unwrap().is_none());
    let live_then_closed = r.tail();
    let mut r = LogReader::open(d.path(), "l").unwrap();
    assert_same(&drain(&mut r), &wants, "closed");
    let closed = r.tail();
    assert_eq!(
        (live_then_closed, closed),
        (Tail::Sealed, Tail::Sealed),
        "end of a closed log (read while open, then after the close; read after the close)"
    );
}

#[test]
fn reads_a_copy_taken_while_the_writer_was_open() {
    let d = TempDir::new("copy");
    let w = LogWriter::open(
        d.path(),
        "l",
        LogOptions {
            max_segment_records: Some(10),
            ..opts()
        },
    )
    .unwrap();
    let wants: Vec<Want> = (0..40).map(want).collect();
    write_all(&w, &wants[..37]);
    w.flush().unwrap();
    let copy = TempDir::new("copy-a");
    copy_dir(d.path(), copy.path());
    // One more record, a big one, and a copy whose newest segment ends in
    // the middle of it: a torn write.
    let big = Want {
        payload: payload(37, 3000),
        ..want(37)
    };
    write_all(&w, std::slice::from_ref(&big));
    w.flush().unwrap();
    let torn = TempDir::new("copy-torn");
    copy_dir(d.path(), torn.path());
    w.close().unwrap();

    // A crash between records.
    let mut r = LogReader::open(copy.path(), "l").unwrap();
    assert_same(&drain(&mut r), &wants[..37], "copy");
    assert_eq!(r.tail(), Tail::Unsealed);
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
    let files = paths(copy.path(), "l");
    assert_eq!(files.len(), 4);
    for f in &files[..3] {
        assert!(Reader::open(f).unwrap().seal().is_some());
    }
    let lw = LogWriter::open(copy.path(), "l", opts()).unwrap();
    assert_eq!(lw.next_seq().unwrap(), 37);
    lw.close().unwrap();

    // A crash in the middle of a record.
    let newest = paths(torn.path(), "l").pop().unwrap();
    let len = std::fs::metadata(&newest).unwrap().len();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&newest)
        .unwrap();
    f.set_len(len - 1000).unwrap();
    drop(f);
    let mut r = LogReader::open(torn.path(), "l").unwrap();
    assert_same(&drain(&mut r), &wants[..37], "torn copy");
    assert!(matches!(r.tail(), Tail::Torn { .. }), "{:?}", r.tail());
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
    let lw = LogWriter::open(torn.path(), "l", opts()).unwrap();
    assert_eq!(lw.next_seq().unwrap(), 37);
    lw.close().unwrap();
    let mut r = LogReader::open(torn.path(), "l").unwrap();
    assert_same(&drain(&mut r), &wants[..37], "torn copy after recovery");
}

/// The states a kill can leave at each step of a roll (seal the current
/// segment, create the next, write its header, replace the manifest): the
/// log reads completely, without an error or a gap, and a writer continues
/// with the next sequence number.
#[test]
fn crash_states_around_a_roll_read_completely() {
    let src = TempDir::new("rollcrash-src");
    let wants = make_log(src.path(), "l", 30, 10);
    let files = paths(src.path(), "l");
    assert_eq!(files.len(), 3);
    let newest = files.last().unwrap().clone();
    let records_end = Reader::open(&newest).unwrap().seal().unwrap().records_end;
    let sealed_len = std::fs::metadata(&newest).unwrap().len();
    let next_name = naming::segment_name("l", 3, T0 + 1_000_000_000);
    // The header segment 3 gets: made by a segment writer elsewhere.
    let next_header = {
        let scratch = TempDir::new("rollcrash-header");
        let p = scratch.path().join("h.binlog");
        let w = binlog::Writer::open(
            &p,
            binlog::Options {
                log_name: "l".into(),
                segment_no: 3,
                first_seq: 30,
                created_ns: Some(T0 + 1_000_000_000),
                ..binlog::Options::default()
            },
        )
        .unwrap();
        w.close().unwrap();
        let r = Reader::open(&p).unwrap();
        assert_eq!((r.header().segment_no, r.header().first_seq), (3, 30));
        std::fs::read(&p).unwrap()[..r.data_start() as usize].to_vec()
    };

    type Damage = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Damage)> = vec![
        ("killed while writing the seal", {
            let name = newest.file_name().unwrap().to_owned();
            Box::new(move |d: &Path| {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(d.join(&name))
                    .unwrap();
                f.set_len(records_end + (sealed_len - records_end) / 2)
                    .unwrap();
            })
        }),
        (
            "killed after sealing, before the next segment",
            Box::new(|_: &Path| {}),
        ),
        ("killed right after creating the next segment", {
            let n = next_name.clone();
            Box::new(move |d: &Path| std::fs::write(d.join(&n), b"").unwrap())
        }),
        ("killed while writing the next header", {
            let n = next_name.clone();
            Box::new(move |d: &Path| {
                std::fs::write(d.join(&n), &next_header[..next_header.len() / 2]).unwrap()
            })
        }),
    ];
    let mut failures = Vec::new();
    for (what, damage) in cases {
        let d = TempDir::new("rollcrash");
        copy_dir(src.path(), d.path());
        damage(d.path());
        let mut r = LogReader::open(d.path(), "l").unwrap();
        let mut out = Vec::new();
        let end = loop {
            match r.next() {
                Ok(Some(rec)) => out.push(got(&rec)),
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        let gaps = r.gaps().to_vec();
        drop(r);
        // A writer opens it and continues.
        let w = LogWriter::open(d.path(), "l", opts());
        let next = w.as_ref().map(|w| w.next_seq().unwrap());
        if let Ok(w) = &w {
            write_all(w, &[want(30)]);
            w.close().unwrap();
        }
        // Checked case by case, reported together.
        let mut r = LogReader::open(d.path(), "l").unwrap();
        let after = drain(&mut r);
        if let Err(e) = &end {
            failures.push(format!(
                "{what}: reader failed after {} records: {e}",
                out.len()
            ));
        }
        if out != wants {
            failures.push(format!(
                "{what}: read {} records, not the 30 written",
                out.len()
            ));
        }
        if !gaps.is_empty() {
            failures.push(format!("{what}: gaps {gaps:?}"));
        }
        match next {
            Ok(30) => {}
            Ok(n) => failures.push(format!("{what}: writer continues at {n}")),
            Err(e) => failures.push(format!("{what}: writer: {e}")),
        }
        let all: Vec<Want> = (0..31).map(want).collect();
        if after != all {
            failures.push(format!(
                "{what}: {} records after the next write",
                after.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

// ---------------------------------------------------------------- seeking

#[test]
fn seek_seq_lands_on_the_right_record_in_any_segment() {
    let d = TempDir::new("seekseq");
    let w = LogWriter::open(
        d.path(),
        "l",
        LogOptions {
            max_segment_records: Some(13),
            ..opts()
        },
    )
    .unwrap();
    let wants: Vec<Want> = (0..135).map(want).collect();
    write_all(&w, &wants);
    w.flush().unwrap();
    // 10 sealed segments and the current one with 5 records, unsealed.
    assert_eq!(paths(d.path(), "l").len(), 11);
    let mut r = LogReader::open(d.path(), "l").unwrap();
    let mut targets: Vec<u64> = vec![
        0, 1, 12, 13, 14, 64, 129, 130, 131, 133, 134, 135, 136, 10_000,
    ];
    targets.extend((0..11).map(|k| k * 13));
    targets.extend((1..11).map(|k| k * 13 - 1));
    for &t in &targets {
        r.seek_seq(t).unwrap();
        let rest = drain(&mut r);
        let expect: Vec<u64> = (t.min(135)..135).collect();
        assert_eq!(seqs(&rest), expect, "seek_seq({t})");
        if let Some(first) = rest.first() {
            assert!(*first == wants[t as usize], "seek_seq({t}) record");
        }
        assert!(r.gaps().is_empty(), "seek_seq({t}): {:?}", r.gaps());
    }
    // Past the end, then the writer adds records: they are read.
    r.seek_seq(u64::MAX).unwrap();
    assert!(r.next().unwrap().is_none());
    let more: Vec<Want> = (135..140).map(want).collect();
    write_all(&w, &more);
    w.close().unwrap();
    assert_same(&drain(&mut r), &more, "after seeking past the end");
    // Backwards after reading everything, on the now sealed log.
    r.seek_seq(3).unwrap();
    assert_eq!(r.next().unwrap().unwrap().seq, 3);
    r.seek_seq(139).unwrap();
    assert_eq!(r.next().unwrap().unwrap().seq, 139);
    assert!(r.next().unwrap().is_none());
    r.seek_seq(0).unwrap();
    let all: Vec<Want> = (0..140).map(want).collect();
    assert_same(&drain(&mut r), &all, "after seeking back to 0");
}

#[test]
fn seek_seq_on_a_log_that_starts_above_zero() {
    let d = TempDir::new("seekfirst");
    let w = LogWriter::open(
        d.path(),
        "l",
        LogOptions {
            max_segment_records: Some(4),
            first_seq: 1000,
            ..opts()
        },
    )
    .unwrap();
    for i in 0..10u64 {
        assert_eq!(w.write("t", &payload(1000 + i, 9)).unwrap(), 1000 + i);
    }
    w.close().unwrap();
    let mut r = LogReader::open(d.path(), "l").unwrap();
    for (t, first) in [
        (0, Some(1000)),
        (999, Some(1000)),
        (1000, Some(1000)),
        (1005, Some(1005)),
        (1009, Some(1009)),
        (1010, None),
    ] {
        r.seek_seq(t).unwrap();
        assert_eq!(r.next().unwrap().map(|x| x.seq), first, "seek_seq({t})");
    }
}

#[test]
fn seek_time_finds_the_first_record_at_or_after_a_time() {
    let d = TempDir::new("seektime");
    let w = LogWriter::open(
        d.path(),
        "l",
        LogOptions {
            max_segment_records: Some(20),
            ..opts()
        },
    )
    .unwrap();
    // Mostly increasing timestamps with some out of order: a record now and
    // then from the past, and one far in the future in the middle.
    let mut wants: Vec<Want> = (0..230).map(want).collect();
    for x in wants.iter_mut() {
        if x.seq % 23 == 11 {
            x.ts -= 40_000_000;
        }
        if x.seq == 70 {
            x.ts += 1_000_000_000_000;
        }
    }
    write_all(&w, &wants);
    w.flush().unwrap();
    let n_files = paths(d.path(), "l").len();
    assert_eq!(n_files, 12);
    let mut r = LogReader::open(d.path(), "l").unwrap();
    let expected = |t: i64| wants.iter().position(|x| x.ts >= t).map(|i| i as u64);
    let mut targets: Vec<i64> = vec![i64::MIN, 0, T0 - 1, T0, i64::MAX];
    for x in &wants {
        targets.extend([x.ts - 1, x.ts, x.ts + 1]);
    }
    let max = wants.iter().map(|x| x.ts).max().unwrap();
    targets.push(max + 1);
    let mut checked = 0;
    for (i, &t) in targets.iter().enumerate() {
        r.seek_time(t).unwrap();
        let first = r.next().unwrap().map(|x| x.seq);
        assert_eq!(first, expected(t), "seek_time({t})");
        // Now and then read on to the end: continuous, no gaps.
        if let (Some(f), true) = (first, i % 40 == 0) {
            let rest = drain(&mut r);
            assert_eq!(
                seqs(&rest),
                (f + 1..230).collect::<Vec<_>>(),
                "after seek_time({t})"
            );
            checked += 1;
        }
        assert!(r.gaps().is_empty());
    }
    assert!(checked > 5);
    w.close().unwrap();
    // Sealed through and through now: same answers.
    let mut r = LogReader::open(d.path(), "l").unwrap();
    for &t in targets.iter().step_by(7) {
        r.seek_time(t).unwrap();
        assert_eq!(
            r.next().unwrap().map(|x| x.seq),
            expected(t),
            "sealed: seek_time({t})"
        );
    }
}

// ---------------------------------------------------------------- filters

#[test]
fn type_filter_applies_across_sealed_and_live_segments() {
    let d = TempDir::new("filter");
    let w = LogWriter::open(
        d.path(),
        "l",
        LogOptions {
            max_segment_records: Some(16),
            ..opts()
        },
    )
    .unwrap();
    let wants: Vec<Want> = (0..300).map(want).collect();
    write_all(&w, &wants);
    w.flush().unwrap();
    let of = |names: &[&str]| -> Vec<Want> {
        wants
            .iter()
            .filter(|x| names.contains(&x.type_name.as_str()))
            .cloned()
            .collect()
    };
    for names in [
        &["b"][..],
        &["c"],
        &["a", "c"],
        &["a", "b", "c"],
        &["zzz"],
        &["c", "zzz"],
    ] {
        let mut r = LogReader::open(d.path(), "l").unwrap();
        r.filter_types(names);
        let out = drain(&mut r);
        assert_same(&out, &of(names), &format!("filter {names:?}"));
        assert!(r.gaps().is_empty(), "{names:?}: {:?}", r.gaps());
    }
    assert!(of(&["c"]).last().unwrap().seq < 200 && !of(&["c"]).is_empty());

    // Mid-read: switch the filter off and on; nothing is skipped or repeated.
    let mut r = LogReader::open(d.path(), "l").unwrap();
    r.filter_types(&["b"]);
    let bs: Vec<Want> = (0..5).map(|_| got(&r.next().unwrap().unwrap())).collect();
    assert_same(&bs, &of(&["b"])[..5], "first five b");
    let last_b = bs.last().unwrap().seq;
    r.filter_types(&[]);
    let unfiltered: Vec<Want> = (0..40).map(|_| got(&r.next().unwrap().unwrap())).collect();
    assert_same(
        &unfiltered,
        &wants[last_b as usize + 1..last_b as usize + 41],
        "filter off",
    );
    let at = unfiltered.last().unwrap().seq;
    r.filter_types(&["c"]);
    let cs = drain(&mut r);
    let expect: Vec<Want> = of(&["c"]).into_iter().filter(|x| x.seq > at).collect();
    assert_same(&cs, &expect, "filter c after position");

    // Seek with a filter: the first matching record at or after the seq.
    let mut r = LogReader::open(d.path(), "l").unwrap();
    r.filter_types(&["b"]);
    r.seek_seq(150).unwrap();
    let expect: Vec<Want> = of(&["b"]).into_iter().filter(|x| x.seq >= 150).collect();
    assert_same(&drain(&mut r), &expect, "seek 150 with filter b");

    // Records written after the filter was set, in the live segment.
    let more: Vec<Want> = (300..340).map(want).collect();
    write_all(&w, &more);
    w.flush().unwrap();
    let expect: Vec<Want> = more
        .iter()
        .filter(|x| x.type_name == "b")
        .cloned()
        .collect();
    assert_same(&drain(&mut r), &expect, "live b");
    w.close().unwrap();
}

// ---------------------------------------------------------------- globs

#[test]
fn open_glob_and_open_files_read_the_chosen_segments() {
    let d = TempDir::new("glob");
    let alpha = make_log(d.path(), "alpha", 120, 10);
    let beta_w = LogWriter::open(
        d.path(),
        "beta",
        LogOptions {
            max_segment_records: Some(7),
            first_seq: 5000,
            ..opts()
        },
    )
    .unwrap();
    for i in 0..30u64 {
        beta_w.write("b", &payload(5000 + i, 11)).unwrap();
    }
    beta_w.close().unwrap();
    let af = paths(d.path(), "alpha");
    assert_eq!(af.len(), 12);

    let mut r = LogReader::open_glob(d.path(), "alpha-*.binlog").unwrap();
    assert_same(&drain(&mut r), &alpha, "glob alpha");
    assert!(r.gaps().is_empty());
    let mut r = LogReader::open_glob(d.path(), "beta-*").unwrap();
    assert_eq!(
        seqs(&drain(&mut r)),
        (5000..5030).collect::<Vec<_>>(),
        "glob beta"
    );
    // '?' : segments 0 to 9 of alpha.
    let mut r = LogReader::open_glob(d.path(), "alpha-0000000000000000000?-*").unwrap();
    assert_same(&drain(&mut r), &alpha[..100], "glob ?");
    let e = LogReader::open_glob(d.path(), "gamma-*")
        .err()
        .expect("no match");
    assert_eq!(e.kind(), ErrorKind::NotFound);

    // A contiguous choice of files.
    let mut r = LogReader::open_files(af[3..6].to_vec()).unwrap();
    assert_same(&drain(&mut r), &alpha[30..60], "files 3..6");
    assert!(r.gaps().is_empty());
    // A hole: reported as a gap between the two files.
    let mut r = LogReader::open_files(vec![af[1].clone(), af[4].clone()]).unwrap();
    let out = drain(&mut r);
    assert_eq!(
        seqs(&out),
        (10..20).chain(40..50).collect::<Vec<_>>(),
        "files 1 and 4"
    );
    assert_eq!(r.gaps().len(), 1, "{:?}", r.gaps());
    assert_eq!(
        (r.gaps()[0].from_seq, r.gaps()[0].to_seq),
        (Some(20), Some(40))
    );
    // Out of order: an error, not records out of order.
    let mut r = LogReader::open_files(vec![af[4].clone(), af[1].clone()]).unwrap();
    assert_eq!(
        seqs(
            &(0..10)
                .map(|_| got(&r.next().unwrap().unwrap()))
                .collect::<Vec<_>>()
        ),
        (40..50).collect::<Vec<_>>()
    );
    let e = r.next().expect_err("a segment that goes back in sequence");
    assert_eq!(e.kind(), ErrorKind::Corrupt);
    let e = LogReader::open_files(Vec::new()).err().expect("no files");
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    // seek across a file list.
    let mut r = LogReader::open_files(af.clone()).unwrap();
    r.seek_seq(77).unwrap();
    assert_same(&drain(&mut r), &alpha[77..], "files, seek 77");
}

// ---------------------------------------------------------------- retention

#[test]
fn reader_skips_segments_removed_by_retention_and_reports_gaps() {
    let d = TempDir::new("retention");
    let w = LogWriter::open(
        d.path(),
        "l",
        LogOptions {
            max_segment_records: Some(10),
            retention: Retention {
                max_segments: Some(2),
                ..Retention::default()
            },
            ..opts()
        },
    )
    .unwrap();
    let wants: Vec<Want> = (0..115).map(want).collect();
    write_all(&w, &wants[..15]);
    w.flush().unwrap();
    // Reader A is inside segment 0; reader B has listed the files but not
    // opened any.
    let mut a = LogReader::open(d.path(), "l").unwrap();
    assert_same(
        &(0..3)
            .map(|_| got(&a.next().unwrap().unwrap()))
            .collect::<Vec<_>>(),
        &wants[..3],
        "A",
    );
    let mut b = LogReader::open(d.path(), "l").unwrap();
    write_all(&w, &wants[15..]);
    w.flush().unwrap();
    // Segments 0 to 8 are gone; 9 and 10 are sealed, 11 is current.
    let left: Vec<u64> = segments::list(d.path(), "l")
        .unwrap()
        .iter()
        .map(|s| s.segment_no)
        .collect();
    assert_eq!(left, vec![9, 10, 11]);

    for (name, r, before) in [("A", &mut a, 3u64), ("B", &mut b, 0)] {
        let out = drain(r);
        let s = seqs(&out);
        assert!(!s.is_empty(), "{name}");
        assert_eq!(*s.last().unwrap(), 114, "{name}: read to the end");
        assert!(
            s.windows(2).all(|p| p[1] > p[0]),
            "{name}: not increasing: {s:?}"
        );
        for x in &out {
            assert!(*x == wants[x.seq as usize], "{name}: record {}", x.seq);
        }
        assert!(!r.gaps().is_empty(), "{name}: no gap reported");
        // Every jump in sequence numbers is reported as a gap.
        let mut prev = before.checked_sub(1);
        for &q in &s {
            let from = prev.map_or(0, |p| p + 1);
            if q != from {
                // (Either end may be unknown to the reader, but not wrong.)
                assert!(
                    r.gaps()
                        .iter()
                        .any(|g| (g.to_seq == Some(q) || g.to_seq.is_none())
                            && (g.from_seq == Some(from) || g.from_seq.is_none())),
                    "{name}: jump {from}..{q} not among gaps {:?}",
                    r.gaps()
                );
            }
            prev = Some(q);
        }
        // Only records of removed segments are missing: 90..110 (segments
        // 9 and 10) are still on disk.
        let kept: Vec<u64> = (90..115).collect();
        assert!(
            kept.iter().all(|q| s.contains(q)),
            "{name}: records of segments 9 and 10, still on disk, were skipped: read {s:?}, gaps {:?}",
            r.gaps()
        );
    }
    // A reader of the log now: from segment 9 on, no gap.
    let mut c = LogReader::open(d.path(), "l").unwrap();
    assert_same(&drain(&mut c), &wants[90..], "C");
    assert!(c.gaps().is_empty(), "{:?}", c.gaps());
    w.close().unwrap();
}

#[test]
fn follower_keeps_going_while_retention_removes_segments_under_it() {
    let d = TempDir::new("retention-follow");
    let w = Arc::new(
        LogWriter::open(
            d.path(),
            "l",
            LogOptions {
                max_segment_records: Some(5),
                retention: Retention {
                    max_segments: Some(2),
                    ..Retention::default()
                },
                ..opts()
            },
        )
        .unwrap(),
    );
    const N: u64 = 3000;
    let w2 = Arc::clone(&w);
    let writer = std::thread::spawn(move || {
        for seq in 0..N {
            assert_eq!(
                w2.write("t", &payload(seq, (seq % 90) as usize)).unwrap(),
                seq
            );
            if seq % 3 == 0 {
                w2.flush().unwrap();
            }
            if seq % 200 == 0 {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        w2.flush().unwrap();
    });
    let mut r = LogReader::open(d.path(), "l").unwrap();
    let mut last: Option<u64> = None;
    let mut n = 0u64;
    // Both bounds catch a hang only (a loaded machine is slow, not stuck).
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut idle_since_writer_done: Option<Instant> = None;
    while last != Some(N - 1) {
        assert!(Instant::now() < deadline, "follower stuck at {last:?}");
        // Once the writer is done, every remaining record is on disk: a
        // follower that has not read them 60 s later is stuck for good.
        if writer.is_finished() {
            let since = *idle_since_writer_done.get_or_insert_with(Instant::now);
            assert!(
                since.elapsed() < Duration::from_secs(60),
                "follower stuck at seq {last:?} though the writer finished at {}; files {:?}; gaps {:?}",
                N - 1,
                paths(d.path(), "l"),
                r.gaps()
            );
        }
        match r.next_wait(Duration::from_millis(500)) {
            Ok(Some(rec)) => {
                assert!(
                    last.is_none_or(|l| rec.seq > l),
                    "seq {} after {last:?}",
                    rec.seq
                );
                assert_eq!(rec.payload, &payload(rec.seq, (rec.seq % 90) as usize)[..]);
                last = Some(rec.seq);
                n += 1;
                idle_since_writer_done = None;
            }
            Ok(None) => {}
            Err(e) => panic!("follower failed after seq {last:?}: {e}"),
        }
    }
    writer.join().unwrap();
    eprintln!(
        "follower under retention read {n} of {N} records, {} gaps",
        r.gaps().len()
    );
    assert!(n > 0);
    if n < N {
        assert!(!r.gaps().is_empty(), "records were skipped without a gap");
    }
    w.close().unwrap();
}

// ---------------------------------------------------------------- following

#[test]
fn follower_sees_every_record_once_in_order_while_the_writer_rolls() {
    let d = TempDir::new("follow");
    let w = Arc::new(
        LogWriter::open(
            d.path(),
            "l",
            LogOptions {
                max_segment_records: Some(7),
                max_segment_bytes: Some(256 << 10),
                ..opts()
            },
        )
        .unwrap(),
    );
    // The follower starts before the first record.
    let mut r = LogReader::open(d.path(), "l").unwrap();
    const N: u64 = 4000;
    let len_of = |seq: u64| -> usize {
        if seq % 211 == 100 {
            300_000 // larger than the buffer: written straight to the file
        } else {
            ((seq * 13) % 200) as usize
        }
    };
    let w2 = Arc::clone(&w);
    let writer = std::thread::spawn(move || {
        let mut seq = 0;
        let mut k = 0u64;
        while seq < N {
            // Phases: flush every record; never flush (records appear only
            // when the segment is sealed); batches.
            let phase = (seq / 250) % 3;
            let n = if phase == 2 {
                (1 + k % 9).min(N - seq)
            } else {
                1
            };
            let ps: Vec<Vec<u8>> = (seq..seq + n).map(|s| payload(s, len_of(s))).collect();
            let parts: Vec<[&[u8]; 1]> = ps.iter().map(|p| [&p[..]]).collect();
            let entries: Vec<Entry<'_>> = parts
                .iter()
                .map(|p| Entry {
                    type_name: "f",
                    meta: &[],
                    timestamp_ns: None,
                    parts: p,
                })
                .collect();
            assert_eq!(w2.write_batch(&entries).unwrap(), seq);
            if phase != 1 {
                w2.flush().unwrap();
            }
            seq += n;
            k += 1;
            if k % 64 == 0 {
                std::thread::yield_now();
            }
        }
        w2.roll().unwrap();
    });
    let mut next = 0u64;
    let started = Instant::now();
    while next < N {
        let rec = match r.next_wait(Duration::from_secs(10)) {
            Ok(Some(rec)) => rec,
            Ok(None) => panic!("follower waited 10 s at seq {next}"),
            Err(e) => panic!("follower failed at seq {next}: {e}"),
        };
        assert_eq!(
            rec.seq,
            next,
            "follower got seq {} (gaps {:?})",
            rec.seq,
            r.gaps()
        );
        assert!(
            rec.payload == &payload(next, len_of(next))[..],
            "record {next}: payload differs ({} bytes)",
            rec.payload.len()
        );
        next += 1;
    }
    writer.join().unwrap();
    assert!(r.next_wait(Duration::from_millis(100)).unwrap().is_none());
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
    let rolls = paths(d.path(), "l").len();
    eprintln!(
        "followed {N} records over {rolls} segments in {:?}",
        started.elapsed()
    );
    assert!(rolls > 500, "only {rolls} segments");
    w.close().unwrap();
}

#[test]
fn next_wait_returns_none_after_its_timeout_when_nothing_is_written() {
    let d = TempDir::new("timeout");
    let w = Arc::new(LogWriter::open(d.path(), "l", opts()).unwrap());
    w.write("t", b"one").unwrap();
    w.flush().unwrap();
    let mut r = LogReader::open(d.path(), "l").unwrap();
    assert_eq!(
        r.next_wait(Duration::from_secs(1))
            .unwrap()
            .unwrap()
            .payload,
        b"one"
    );
    for ms in [0u64, 50, 250] {
        let t = Instant::now();
        assert!(r.next_wait(Duration::from_millis(ms)).unwrap().is_none());
        let took = t.elapsed();
        assert!(
            took >= Duration::from_millis(ms),
            "returned after {took:?} of {ms} ms"
        );
    }
    // A record written while waiting ends the wait: with a timeout of an
    // hour, returning at all is ending it early.
    let w2 = Arc::clone(&w);
    let h = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        w2.write("t", b"two").unwrap();
        w2.flush().unwrap();
    });
    let rec = r.next_wait(Duration::from_secs(3600)).unwrap().unwrap();
    assert_eq!((rec.seq, rec.payload), (1, &b"two"[..]));
    h.join().unwrap();
    assert!(r.gaps().is_empty());
    w.close().unwrap();
}

/// A gap between segments names the missing records inclusively: "records
/// 5..9" for five, "record 10" for one (the range's end is exclusive, so
/// the reason once said 5..10 with record 10 present).
#[test]
fn gap_reasons_name_the_missing_records_exactly() {
    let d = TempDir::new("gap-reason");
    let w = LogWriter::open(
        d.path(),
        "g",
        LogOptions {
            max_segment_records: Some(5),
            ..LogOptions::default()
        },
    )
    .unwrap();
    for i in 0..10u64 {
        w.write("t", &i.to_le_bytes()).unwrap();
    }
    w.roll().unwrap(); // 0-4, 5-9
    w.write("t", b"10").unwrap();
    w.roll().unwrap(); // 10 alone
    w.write("t", b"11").unwrap();
    w.close().unwrap();
    let files = segments::list(d.path(), "g").unwrap();
    assert_eq!(files.len(), 4, "{files:?}");
    let read = || {
        let mut r = LogReader::open(d.path(), "g").unwrap();
        let seqs: Vec<u64> = std::iter::from_fn(|| r.next().unwrap().map(|x| x.seq)).collect();
        let gaps: Vec<(Option<u64>, Option<u64>, String)> = r
            .gaps()
            .iter()
            .map(|g| {
                assert_eq!((g.reason, &g.path), (GapReason::Missing, &files[3].path));
                (g.from_seq, g.to_seq, g.to_string())
            })
            .collect();
        (seqs, gaps)
    };
    std::fs::remove_file(&files[2].path).unwrap(); // record 10
    let (seqs, gaps) = read();
    assert_eq!(seqs, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11]);
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!((gaps[0].0, gaps[0].1), (Some(10), Some(11)));
    assert!(
        gaps[0]
            .2
            .ends_with(": record 10 is missing: a segment of the log before this one is missing"),
        "{gaps:?}"
    );
    std::fs::remove_file(&files[1].path).unwrap(); // records 5..9 too
    let (seqs, gaps) = read();
    assert_eq!(seqs, [0, 1, 2, 3, 4, 11]);
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!((gaps[0].0, gaps[0].1), (Some(5), Some(11)));
    assert!(
        gaps[0].2.ends_with(
            ": records 5..10 are missing: a segment of the log before this one is missing"
        ),
        "{gaps:?}"
    );
}

/// Log "g" in `dir`: records 0..15 (payload `payload(seq)`), five a
/// segment, closed.
fn write_three_segments(dir: &std::path::Path, payload: impl Fn(u64) -> Vec<u8>) {
    let w = LogWriter::open(
        dir,
        "g",
        LogOptions {
            max_segment_records: Some(5),
            ..fixed_clock_opts()
        },
    )
    .unwrap();
    for i in 0..15u64 {
        w.write("t", &payload(i)).unwrap();
    }
    w.close().unwrap();
}

/// A segment removed (by retention, say) after the reader listed the log
/// and before it reached it is one gap, named by the sequence numbers it
/// held, not two (one for the file, one for the jump in sequence numbers).
#[test]
fn a_segment_removed_after_the_reader_listed_it_is_one_gap() {
    let d = TempDir::new("one-gap");
    write_three_segments(d.path(), |i| i.to_le_bytes().to_vec());
    let files = segments::list(d.path(), "g").unwrap();
    assert_eq!(files.len(), 3, "{files:?}");
    let mut r = LogReader::open(d.path(), "g").unwrap();
    std::fs::remove_file(&files[1].path).unwrap(); // records 5..9
    let seqs: Vec<u64> = std::iter::from_fn(|| r.next().unwrap().map(|x| x.seq)).collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]);
    let gaps: Vec<(Option<u64>, Option<u64>)> =
        r.gaps().iter().map(|g| (g.from_seq, g.to_seq)).collect();
    assert_eq!(gaps, [(Some(5), Some(10))], "{:?}", r.gaps());
    // Segment 0 is still there: retention, which removes the oldest
    // first, did not remove segment 1.
    let g = &r.gaps()[0];
    assert_eq!((g.reason, &g.path), (GapReason::Missing, &files[2].path));
}

/// An older segment whose last record is torn (no writer recovered it) is
/// one gap, from the torn record to the next segment's first, not two.
#[test]
fn a_torn_older_segment_is_one_gap() {
    let d = TempDir::new("torn-gap");
    write_three_segments(d.path(), |i| vec![i as u8; 40]);
    let files = segments::list(d.path(), "g").unwrap();
    // Segment 1 (records 5..9) cut inside record 9, seal and all.
    let last_offset = {
        let mut r = binlog::Reader::open(&files[1].path).unwrap();
        let mut at = 0;
        while let Some(rec) = r.next().unwrap() {
            at = rec.offset;
        }
        at
    };
    std::fs::OpenOptions::new()
        .write(true)
        .open(&files[1].path)
        .unwrap()
        .set_len(last_offset + 20)
        .unwrap();
    let mut r = LogReader::open(d.path(), "g").unwrap();
    let seqs: Vec<u64> = std::iter::from_fn(|| r.next().unwrap().map(|x| x.seq)).collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14]);
    let gaps: Vec<(Option<u64>, Option<u64>)> =
        r.gaps().iter().map(|g| (g.from_seq, g.to_seq)).collect();
    assert_eq!(gaps, [(Some(9), Some(10))], "{:?}", r.gaps());
    let g = &r.gaps()[0];
    assert_eq!((g.reason, &g.path), (GapReason::Damage, &files[1].path));
    assert_eq!(g.offset, Some(last_offset), "{g:?}");
}

/// A segment that starts before the previous one ends (their sequence
/// numbers overlap) stops the reader with `Corrupt` at offset 32, its
/// header's `first_seq`, naming it and the previous segment, in the words
/// `binlog verify` uses for it.
#[test]
fn a_segment_overlapping_the_previous_one_is_corrupt_at_its_first_seq() {
    let d = TempDir::new("overlap");
    write_three_segments(d.path(), |i| i.to_le_bytes().to_vec());
    let files = segments::list(d.path(), "g").unwrap();
    // Segment 2 made again to start at record 8, inside segment 1 (5..9).
    std::fs::remove_file(&files[2].path).unwrap();
    let o = binlog::Options {
        log_name: "g".into(),
        segment_no: 2,
        first_seq: 8,
        ..binlog::Options::default()
    };
    let w = binlog::Writer::open(&files[2].path, o).unwrap();
    w.write("t", b"x").unwrap();
    w.close().unwrap();
    let mut r = LogReader::open(d.path(), "g").unwrap();
    let mut seqs = Vec::new();
    let e = loop {
        match r.next() {
            Ok(Some(rec)) => seqs.push(rec.seq),
            Ok(None) => panic!("read to the end: {seqs:?}"),
            Err(e) => break e,
        }
    };
    assert_eq!(seqs, (0..10).collect::<Vec<u64>>());
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    common::assert_names_at(&e, &files[2].path, 32);
    let before = files[1].path.display().to_string();
    assert!(e.message().contains(&before), "{e}");
    let findings: Vec<_> = binlog::verify::Verify::log(d.path(), "g")
        .unwrap()
        .flat_map(|rep| rep.findings)
        .collect();
    let said = findings.iter().find(|f| f.message == e.message());
    assert!(said.is_some(), "{e}: {findings:?}");
}

/// A sealed segment of a log never changes again: a segment writer asked
/// to reopen it to append refuses, and the file keeps its bytes and inode.
/// A follower that read it to its seal reads the log's next records from
/// the next segment, which a reopened log starts, with no gap.
#[test]
fn a_sealed_segment_of_a_log_is_never_reopened_to_append() {
    use std::os::unix::fs::MetadataExt;
    let dir = TempDir::new("lr-sealed-final");
    let w = LogWriter::open(dir.path(), "r", opts()).unwrap();
    let wants: Vec<Want> = (0..3).map(want).collect();
    write_all(&w, &wants);
    w.close().unwrap();
    let mut r = LogReader::open(dir.path(), "r").unwrap();
    assert_same(&drain(&mut r), &wants, "before the reopen");
    assert_eq!(r.tail(), Tail::Sealed);

    let seg = paths(dir.path(), "r").remove(0);
    let bytes = std::fs::read(&seg).unwrap();
    let inode = std::fs::metadata(&seg).unwrap().ino();
    let e = binlog::Writer::open(&seg, binlog::Options::default())
        .err()
        .expect("a sealed segment of a log reopened to append");
    assert_eq!(e.kind(), ErrorKind::Sealed, "{e}");
    assert!(e.message().contains("sealed"), "{e}");
    assert!(e.message().contains(&*seg.to_string_lossy()), "{e}");

    let w = LogWriter::open(dir.path(), "r", opts()).unwrap();
    let more: Vec<Want> = (3..6).map(want).collect();
    write_all(&w, &more);
    w.close().unwrap();
    assert_same(&drain(&mut r), &more, "in the next segment");
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
    assert_eq!(paths(dir.path(), "r").len(), 2);
    assert!(
        std::fs::read(&seg).unwrap() == bytes,
        "the sealed segment changed"
    );
    assert_eq!(std::fs::metadata(&seg).unwrap().ino(), inode);
}
