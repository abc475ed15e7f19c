//! Every single-bit flip of a small sealed segment (header, records, every
//! part of the seal): readers never panic and never return a record that
//! differs from the one written. Each read either returns the right
//! records or stops with a clean error; `binlog verify` reports every flip
//! (all bytes are under a CRC) and `binlog cat` prints only records that
//! were written. `cargo test` flips one bit (and one byte for the tool) in
//! `BINLOG_STRIDE` (tests/it/common/knobs.rs); `make torture` flips them all.

use crate::common;

use binlog::{Options, Reader, Writer};
use common::{positions, TempDir};
use std::collections::BTreeMap;
use std::path::Path;

/// What a record is written with: type, metadata, timestamp, payload.
type Written<'a> = (&'a str, &'a [(&'a str, &'a str)], i64, &'a [u8]);

/// seq -> (timestamp, type, metadata, payload)
type Recs = BTreeMap<u64, (i64, String, Vec<(String, String)>, Vec<u8>)>;

fn write_small(path: &Path) -> Recs {
    let opts = Options {
        sparse_interval: 64,
        first_seq: 7,
        log_name: "flip".into(),
        params: vec![("k".into(), "v".into())],
        ..Options::default()
    };
    let w = Writer::open(path, opts).unwrap();
    let mut want = Recs::new();
    let recs: [Written<'_>; 5] = [
        ("x", &[("m", "1")], 5, b"hello"),
        ("y", &[], 3, b""),
        ("x", &[], 9, b"world!"),
        ("y", &[("k", "v"), ("", "")], 1, b"zz"),
        ("z", &[], 9, &[0xff, 0, 0x89, b'B']),
    ];
    for (ty, meta, ts, payload) in recs {
        let seq = w.write_with(ty, meta, Some(ts), payload).unwrap();
        let meta = meta
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        want.insert(seq, (ts, ty.to_string(), meta, payload.to_vec()));
    }
    w.close().unwrap();
    want
}

/// Checks that `rec` is the record written with its sequence number.
fn check(want: &Recs, rec: &binlog::Record<'_>, what: &str) {
    let meta: Vec<(String, String)> = rec
        .metadata()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut got = (
        rec.timestamp_ns,
        rec.type_name.to_string(),
        meta,
        rec.payload.to_vec(),
    );
    // A reader that skips damage names a type whose defining record was in
    // the damage `<lost type N>`: unknown, not another type. (A seal whose
    // first record of a type is damaged cannot show that its type names
    // are right, so it is not used for them.)
    if rec.type_name.starts_with("<lost type ") {
        if let Some(w) = want.get(&rec.seq) {
            got.1 = w.1.clone();
        }
    }
    assert_eq!(want.get(&rec.seq), Some(&got), "{what}: seq {}", rec.seq);
}

/// Reads on until the end or an error; every record must be a written one,
/// in increasing sequence order (and of the wanted types, if filtered).
fn read_rest(r: &mut Reader, want: &Recs, types: &[&str], what: &str) -> Vec<u64> {
    let mut seqs = Vec::new();
    for _ in 0..100 {
        match r.next() {
            Ok(Some(rec)) => {
                check(want, &rec, what);
                assert!(
                    types.is_empty() || types.contains(&rec.type_name),
                    "{what}: type {}",
                    rec.type_name
                );
                assert!(
                    seqs.last().is_none_or(|&l| rec.seq > l),
                    "{what}: {} after {seqs:?}",
                    rec.seq
                );
                seqs.push(rec.seq);
            }
            Ok(None) | Err(_) => return seqs,
        }
    }
    panic!("{what}: more records than were written");
}

fn reads(path: &Path, want: &Recs, what: &str) {
    let first = *want.keys().next().unwrap();
    for skip in [false, true] {
        let open = || match skip {
            false => Reader::open(path),
            true => Reader::open_salvage(path),
        };
        let Ok(mut r) = open() else { continue };
        let seqs = read_rest(&mut r, want, &[], what);
        if !skip {
            // Without skipping, a scan returns a prefix of the records.
            let prefix: Vec<u64> = want.keys().copied().take(seqs.len()).collect();
            assert_eq!(seqs, prefix, "{what}");
        }
        for types in [&["x"][..], &["y", "z"]] {
            let mut r = open().unwrap();
            r.filter_types(types);
            read_rest(&mut r, want, types, what);
        }
        for target in first..first + 7 {
            let mut r = open().unwrap();
            if r.seek_seq(target).is_err() {
                continue;
            }
            if let Ok(Some(rec)) = r.next() {
                check(want, &rec, what);
                if !skip {
                    assert_eq!(rec.seq, target.max(first), "{what}: seek_seq({target})");
                }
            }
        }
        for target in [0, 2, 4, 6, 9, 10] {
            let mut r = open().unwrap();
            if r.seek_time(target).is_err() {
                continue;
            }
            if let Ok(Some(rec)) = r.next() {
                check(want, &rec, what);
                if !skip {
                    let expect = want.iter().find(|(_, w)| w.0 >= target).map(|(s, _)| *s);
                    assert_eq!(Some(rec.seq), expect, "{what}: seek_time({target})");
                }
            }
        }
    }
}

#[test]
fn every_bit_flip_of_a_sealed_segment_reads_right_or_fails_cleanly() {
    let dir = TempDir::new("bitflip-sealed");
    let orig = dir.join("orig.binlog");
    let want = write_small(&orig);
    let bytes = std::fs::read(&orig).unwrap();
    reads(&orig, &want, "unflipped");
    let p = dir.join("flipped.binlog");
    for bit in positions(0..bytes.len() as u64 * 8) {
        let bit = bit as usize;
        let mut b = bytes.clone();
        b[bit / 8] ^= 1 << (bit % 8);
        std::fs::write(&p, &b).unwrap();
        reads(&p, &want, &format!("bit {bit} (byte {})", bit / 8));
    }
}

/// The CLI on one flip per byte position (one byte in `BINLOG_STRIDE`):
/// `verify` finds every flip (exit 1, or 2 when the file is no longer a
/// segment) and `cat` prints only records that were written; neither
/// crashes.
#[test]
fn the_cli_reports_every_flipped_byte_of_a_sealed_segment() {
    let dir = TempDir::new("bitflip-sealed-cli");
    let orig = dir.join("orig.binlog");
    write_small(&orig);
    let bytes = std::fs::read(&orig).unwrap();
    let run = |args: &[&str], p: &Path| {
        crate::common::child::command(crate::common::cli::tool())
            .args(args)
            .arg(p)
            .output()
            .unwrap()
    };
    let lines = |o: &std::process::Output| -> Vec<String> {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    };
    let all = run(&["cat", "--json"], &orig);
    assert_eq!(all.status.code(), Some(0));
    let all = lines(&all);
    assert_eq!(all.len(), 5);
    let p = dir.join("flipped.binlog");
    for at in positions(0..bytes.len() as u64) {
        let at = at as usize;
        let mut b = bytes.clone();
        b[at] ^= 1 << (at % 8);
        std::fs::write(&p, &b).unwrap();
        let v = run(&["verify"], &p);
        let code = v.status.code();
        assert!(
            matches!(code, Some(1) | Some(2)),
            "byte {at}: verify exit {:?}: {}{}",
            v.status,
            String::from_utf8_lossy(&v.stdout),
            String::from_utf8_lossy(&v.stderr)
        );
        let c = run(&["cat", "--json"], &p);
        assert!(
            matches!(c.status.code(), Some(0..=2)),
            "byte {at}: cat exit {:?}: {}",
            c.status,
            String::from_utf8_lossy(&c.stderr)
        );
        for l in lines(&c) {
            assert!(all.contains(&l), "byte {at}: cat printed {l}");
        }
        let i = run(&["info"], &p);
        assert!(
            matches!(i.status.code(), Some(0..=2)),
            "byte {at}: info exit {:?}: {}",
            i.status,
            String::from_utf8_lossy(&i.stderr)
        );
    }
}
