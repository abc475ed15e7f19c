//! Reading unsealed segments in pread chunks: records of every size around
//! the 64 KiB copy chunk, larger ones, and records that straddle chunks.

use crate::common;
use binlog::{Options, Reader, Tail, Writer};
use common::TempDir;
use std::path::{Path, PathBuf};

type Rec = (u64, String, Vec<(String, String)>, Vec<u8>);

/// Writes `payloads` (type and metadata vary) to a sealed segment, then
/// returns a copy of it cut at the seal (an unsealed segment) and the
/// records written.
fn unsealed(d: &TempDir, payloads: &[Vec<u8>]) -> (PathBuf, Vec<Rec>) {
    let p = d.join("sealed.binlog");
    let w = Writer::open(
        &p,
        Options {
            max_record_size: 200 << 20,
            ..Options::default()
        },
    )
    .unwrap();
    let mut want = Vec::new();
    for (i, pl) in payloads.iter().enumerate() {
        let ty = format!("type{}", i % 3);
        let v = "m".repeat(i % 5);
        let meta: Vec<(&str, &str)> = if i % 2 == 0 { vec![("k", &v)] } else { vec![] };
        let seq = w.write_with(&ty, &meta, Some(i as i64), pl).unwrap();
        want.push((
            seq,
            ty.clone(),
            meta.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            pl.clone(),
        ));
    }
    w.close().unwrap();
    let end = Reader::open(&p).unwrap().seal().unwrap().records_end;
    let u = d.join("unsealed.binlog");
    std::fs::copy(&p, &u).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&u)
        .unwrap()
        .set_len(end)
        .unwrap();
    std::fs::remove_file(&p).unwrap();
    (u, want)
}

fn read_all(p: &Path) -> Vec<Rec> {
    let mut r = Reader::open(p).unwrap();
    let mut got = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        got.push((
            rec.seq,
            rec.type_name.to_string(),
            rec.metadata()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            rec.payload.to_vec(),
        ));
    }
    assert_eq!(r.tail(), Tail::Unsealed);
    got
}

fn read_headers(p: &Path) -> Vec<(u64, String, u64)> {
    let mut r = Reader::open(p).unwrap();
    let mut got = Vec::new();
    while let Some(h) = r.next_header().unwrap() {
        got.push((h.seq, h.type_name.to_string(), h.payload_len));
    }
    assert_eq!(r.tail(), Tail::Unsealed);
    got
}

fn check(d: &TempDir, payloads: &[Vec<u8>]) {
    let (u, want) = unsealed(d, payloads);
    let got = read_all(&u);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert!(g == w, "record {} differs", w.0);
    }
    let heads: Vec<_> = want
        .iter()
        .map(|w| (w.0, w.1.clone(), w.3.len() as u64))
        .collect();
    assert_eq!(read_headers(&u), heads);
    std::fs::remove_file(&u).unwrap();
}

#[test]
fn records_around_the_chunk_size_in_an_unsealed_segment() {
    let d = TempDir::new("around");
    let mut payloads = Vec::new();
    for (i, n) in (65536 - 80..65536 + 40).step_by(7).enumerate() {
        payloads.push(vec![i as u8; i * 13 % 300]);
        payloads.push(vec![(i + 1) as u8; n]);
    }
    check(&d, &payloads);
}

#[test]
fn large_records_in_an_unsealed_segment() {
    let d = TempDir::new("large");
    let payloads = vec![
        vec![1; 10],
        vec![2; 1 << 20],
        vec![3; 100],
        vec![4; (64 << 20) + 1],
        vec![5; 65536 * 2],
        vec![6; 3],
    ];
    check(&d, &payloads);
}

/// A reader that met a seal its writer did not finish (it died sealing)
/// follows the segment when a new writer cuts that half seal off and
/// appends: the records appended where the seal began are returned, not
/// left behind a `SealDamaged` tail for good.
#[test]
fn a_reader_at_a_half_written_seal_reads_records_a_new_writer_appends_there() {
    let d = TempDir::new("half-seal");
    let p = d.join("seg.binlog");
    let w = Writer::open(&p, Options::default()).unwrap();
    for i in 0..3u8 {
        w.write("t", &[i; 50]).unwrap();
    }
    w.close().unwrap();
    let end = Reader::open(&p).unwrap().seal().unwrap().records_end;
    // The writer died right after the SEAL_BEGIN frame (17 bytes).
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(end + 17)
        .unwrap();
    let mut r = Reader::open(&p).unwrap();
    assert!(r.seal().is_none());
    for i in 0..3 {
        assert_eq!(r.next().unwrap().unwrap().seq, i);
    }
    assert!(r.next().unwrap().is_none());
    assert_eq!(r.tail(), Tail::SealDamaged { offset: end });

    // A new writer recovers the segment (cutting the half seal) and goes on.
    let w = Writer::open(&p, Options::default()).unwrap();
    assert_eq!(w.write("t", &[3; 100]).unwrap(), 3);
    w.flush().unwrap();
    assert_ne!(std::fs::metadata(&p).unwrap().len(), end + 17);
    let rec = r.next().unwrap();
    assert_eq!(
        rec.map(|x| (x.seq, x.payload.to_vec())),
        Some((3, vec![3; 100])),
        "tail {:?}",
        r.tail()
    );
    // And once it seals, the reader ends there, sealed.
    w.close().unwrap();
    assert!(r.next().unwrap().is_none());
    assert_eq!(r.tail(), Tail::Sealed);
}

/// Corruption in the middle of an unsealed segment, chunks after the
/// first: reported at the damaged record's offset, naming the next one;
/// skipped with skip_damaged.
#[test]
fn corruption_found_in_a_later_chunk_is_reported_at_its_offset() {
    let d = TempDir::new("corrupt");
    let mut payloads: Vec<Vec<u8>> = (0..300).map(|i| vec![i as u8; 900 + i % 7]).collect();
    payloads[200] = vec![7; 1 << 20];
    let (u, want) = unsealed(&d, &payloads);
    let offsets: Vec<(u64, u64)> = {
        let mut r = Reader::open(&u).unwrap();
        let mut v = Vec::new();
        while let Some(rec) = r.next().unwrap() {
            v.push((rec.offset, rec.frame_len));
        }
        v
    };
    for victim in [150usize, 200, 201] {
        let mut bytes = std::fs::read(&u).unwrap();
        let (off, len) = offsets[victim];
        bytes[(off + len - 3) as usize] ^= 0x40;
        let c = d.join("c.binlog");
        std::fs::write(&c, &bytes).unwrap();
        let mut r = Reader::open(&c).unwrap();
        for w in &want[..victim] {
            assert_eq!(r.next().unwrap().unwrap().seq, w.0);
        }
        let err = r.next().unwrap_err();
        let next = offsets[victim + 1].0;
        assert!(
            err.message().contains(&format!("offset {off}"))
                || err.message().contains(&format!("{off}")),
            "{err}"
        );
        assert!(err.message().contains(&next.to_string()), "{err}");
        let mut r = Reader::open(&c).unwrap();
        r.skip_damaged(true);
        let mut n = 0;
        while let Some(rec) = r.next().unwrap() {
            assert_ne!(rec.seq, victim as u64);
            n += 1;
        }
        assert_eq!(n, want.len() - 1);
        assert_eq!(r.damages().len(), 1);
        assert_eq!(r.damages()[0].offset, off);
        assert_eq!(r.damages()[0].resume_offset, next);
        assert_eq!(r.tail(), Tail::Unsealed);
        std::fs::remove_file(&c).unwrap();
    }
    std::fs::remove_file(&u).unwrap();
}

fn size_of(i: u64) -> usize {
    let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    match x % 10 {
        0 => 65536 - 30 + (x as usize % 60),
        1 => 70_000 + (x as usize % 200_000),
        2..=4 => x as usize % 3000,
        _ => x as usize % 200,
    }
}

/// A reader following a live writer (flushing at random points, records
/// of every size around the chunk) returns each record once, whole, in
/// order; interleaving seeks, filters and header-only reads.
#[test]
fn a_follower_interleaved_with_a_live_writer() {
    let d = TempDir::new("follow");
    let p = d.join("seg.binlog");
    let w = Writer::open(
        &p,
        Options {
            buffer_size: 4096,
            ..Options::default()
        },
    )
    .unwrap();
    let mut r = Reader::open(&p).unwrap();
    let mut r2 = Reader::open(&p).unwrap();
    r2.filter_types(&["b"]);
    let mut next = 0u64;
    let mut next_b = 0u64;
    let n = 400u64;
    for i in 0..n {
        let ty = if i % 3 == 0 { "b" } else { "a" };
        let is = i.to_string();
        w.write_with(
            ty,
            &[("i", &is)],
            Some(i as i64 * 10),
            &vec![i as u8; size_of(i)],
        )
        .unwrap();
        if i % 7 == 3 {
            w.flush().unwrap();
        }
        for _ in 0..(i % 4) {
            let hdr = i % 11 == 5;
            if hdr {
                if let Some(h) = r.next_header().unwrap() {
                    assert_eq!(h.seq, next);
                    assert_eq!(h.payload_len as usize, size_of(next));
                    next += 1;
                }
            } else if let Some(rec) = r.next().unwrap() {
                assert_eq!(rec.seq, next);
                assert_eq!(rec.payload.len(), size_of(next));
                assert!(rec.payload.iter().all(|&b| b == next as u8));
                assert_eq!(rec.metadata().next().unwrap().1, next.to_string());
                next += 1;
            }
        }
        while let Some(rec) = r2.next().unwrap() {
            while next_b % 3 != 0 {
                next_b += 1;
            }
            assert_eq!(rec.seq, next_b);
            assert_eq!(rec.payload.len(), size_of(next_b));
            next_b += 1;
        }
        if i % 50 == 49 {
            let mut s = Reader::open(&p).unwrap();
            s.seek_seq(i / 2).unwrap();
            let got = s.next().unwrap().map(|x| x.seq);
            assert!(got.is_none() || got == Some(i / 2), "{got:?}");
            s.seek_time((i as i64 / 3) * 10).unwrap();
            let got = s.next().unwrap().map(|x| x.seq);
            assert!(got.is_none() || got == Some(i / 3), "{got:?}");
        }
    }
    w.flush().unwrap();
    while let Some(rec) = r.next().unwrap() {
        assert_eq!(rec.seq, next);
        assert_eq!(rec.payload.len(), size_of(next));
        next += 1;
    }
    assert_eq!(next, n);
    w.close().unwrap();
    assert!(r.next().unwrap().is_none());
    assert_eq!(r.tail(), Tail::Sealed);
}

/// Frames of every total length from 40 below the chunk to 10 above it,
/// each alone at the end of the unsealed segment and followed by another.
#[test]
fn frames_of_every_length_around_the_chunk() {
    let d = TempDir::new("exact");
    for last in [false, true] {
        let mut payloads = Vec::new();
        for n in 65536 - 26 - 40..65536 - 26 + 10 {
            payloads.push(vec![n as u8; n]);
            if !last {
                payloads.push(vec![1; 5]);
            }
        }
        check(&d, &payloads);
    }
}

/// Skipping many damaged regions of an unsealed segment reports each one,
/// and resumes at the record right after it. (The search for that record
/// copies only the bytes it needs, not everything up to the end of the
/// segment, which made these 2000 regions in 32 MB take seconds instead of
/// milliseconds. Its cost is a benchmark's to measure, not this test's.)
#[test]
fn skipping_many_damaged_regions_of_an_unsealed_segment_reports_each_and_resumes_after_it() {
    let d = TempDir::new("many-damages");
    let p = d.join("s.binlog");
    let w = Writer::open(&p, Options::default()).unwrap();
    for i in 0..8_000u32 {
        w.write("t", &[i as u8; 1000]).unwrap();
    }
    w.close().unwrap();
    let mut offs = Vec::new();
    let end;
    {
        let mut r = Reader::open(&p).unwrap();
        end = r.seal().unwrap().records_end;
        while let Some(x) = r.next().unwrap() {
            offs.push((x.offset, x.frame_len));
        }
    }
    let mut bytes = std::fs::read(&p).unwrap();
    let damaged: Vec<usize> = (1..offs.len()).step_by(4).collect();
    for &k in &damaged {
        let (o, l) = offs[k];
        bytes[(o + l - 2) as usize] ^= 1;
    }
    std::fs::write(&p, &bytes[..end as usize]).unwrap();
    drop(bytes);
    let mut r = Reader::open(&p).unwrap();
    r.skip_damaged(true);
    let mut n = 0;
    while r.next().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, offs.len() - damaged.len());
    assert_eq!(r.damages().len(), damaged.len());
    for (dmg, &k) in r.damages().iter().zip(&damaged) {
        assert_eq!((dmg.offset, dmg.resume_offset), (offs[k].0, offs[k + 1].0));
    }
    assert_eq!(r.tail(), Tail::Unsealed);
}
