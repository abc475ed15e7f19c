//! Reading unsealed segments in pread chunks: records of every size around
//! the 64 KiB copy chunk, larger ones, and records that straddle chunks.

mod common;
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
            meta.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
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
    let d = TempDir::new("h4-around");
    let mut payloads = Vec::new();
    for (i, n) in (65536 - 80..65536 + 40).step_by(7).enumerate() {
        payloads.push(vec![i as u8; i * 13 % 300]);
        payloads.push(vec![(i + 1) as u8; n]);
    }
    check(&d, &payloads);
}

#[test]
fn large_records_in_an_unsealed_segment() {
    let d = TempDir::new("h4-large");
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
    let d = TempDir::new("h4-half-seal");
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
