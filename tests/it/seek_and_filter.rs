//! A segment reader's seeks and type filters, through the seal's indexes
//! and by a scan: random mixes of reads, header reads, seeks and filters
//! agree with a model of the records, on sealed and unsealed segments and
//! with a broken sparse index; a seek after a filtered read ran out finds
//! the records after it.

use crate::common;

use binlog::format::seal::{read_seal, SparseEntry};
use binlog::{Options, Reader, Tail, Writer};
use common::{only, read_recs, write_types, TempDir};
use std::path::Path;

/// Flips a byte of the sparse index: its CRC fails, so seeks scan, while
/// the per-type arrays stay usable.
fn break_sparse_index(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let d = read_seal(&bytes, 0).expect("sealed");
    assert!(d.sparse_count > 0);
    bytes[d.sparse_offset as usize + 9] ^= 0x40;
    std::fs::write(path, &bytes).unwrap();
    assert!(Reader::open(path).unwrap().seal().is_some());
}

/// A filtered read through the per-type index runs out at the end of the
/// segment; a seek by sequence number to a record after the last one the
/// filter returned (of another type) must find it, with no usable sparse
/// index too: the filter's read moved the position to the end but left
/// the expected sequence number after its last record, so a seek that
/// scanned on from there would find nothing.
#[test]
fn a_seek_after_an_indexed_filter_ran_out_finds_later_records() {
    let dir = TempDir::new("seek-after-filter");
    let p = dir.join("seg.binlog");
    let types = ["a", "b", "a", "b", "a", "b", "b", "b"];
    let want = write_types(&p, &types, Options::default());
    break_sparse_index(&p);
    for target in [5u64, 6, 7] {
        let mut r = Reader::open(&p).unwrap();
        r.filter_types(&["a"]);
        let (got, end) = read_recs(&mut r);
        assert_eq!(got, only(&want, &["a"]));
        assert_eq!(end, Ok(Tail::Sealed));
        r.filter_types(&[]);
        r.seek_seq(target).unwrap();
        let rec = r.next().unwrap().map(|rec| rec.seq);
        assert_eq!(rec, Some(target), "seek_seq({target}) after the filter");
    }
}

/// What a reader must return, from the records in write order: a model of
/// `next`, `next_header`, `seek_seq`, `seek_time` and `filter_types`.
struct Model {
    recs: Vec<(u64, i64, String, usize)>,
    pos: usize,
    filter: Vec<String>,
}

impl Model {
    fn next(&mut self) -> Option<u64> {
        while self.pos < self.recs.len() {
            let r = &self.recs[self.pos];
            self.pos += 1;
            if self.filter.is_empty() || self.filter.contains(&r.2) {
                return Some(r.0);
            }
        }
        None
    }
}

/// Random mixes of reads, header reads, seeks (before the first record,
/// after the last, on and between sparse index entries, timestamps at the
/// ends of i64) and type filters set and cleared between them, on a sealed
/// segment, the same records unsealed, and sealed without a usable sparse
/// index: each returns what the model says.
#[test]
fn random_reads_seeks_and_filters_agree_with_a_model() {
    let dir = TempDir::new("model");
    let mut rng = common::Rng::from_env(16);
    let long_name = "n".repeat(4096);
    let names = ["a", "b", "c", long_name.as_str()];
    for round in 0..6 {
        let p = dir.join(format!("sealed-{round}.binlog"));
        let opts = Options {
            sparse_interval: 64 + 100 * (round as u32 % 3),
            first_seq: [0, 7, 1 << 40][round % 3],
            ..Options::default()
        };
        let first_seq = opts.first_seq;
        let w = Writer::open(&p, opts).unwrap();
        let n = 30 + rng.below(60) as usize;
        let mut recs = Vec::new();
        for i in 0..n {
            let ty = names[rng.below(if round % 2 == 0 { 3 } else { 4 }) as usize];
            let ts = match rng.below(10) {
                0 => i64::MIN,
                1 => i64::MAX,
                2 => -5,
                _ => rng.below(1000) as i64,
            };
            let len = [0, 1, 30, 200][rng.below(4) as usize];
            let seq = w
                .write_with(ty, &[], Some(ts), &vec![i as u8; len])
                .unwrap();
            assert_eq!(seq, first_seq + i as u64);
            recs.push((seq, ts, ty.to_string(), len));
        }
        w.close().unwrap();
        let bytes = std::fs::read(&p).unwrap();
        let d = read_seal(&bytes, 0).unwrap();
        let unsealed = dir.join(format!("unsealed-{round}.binlog"));
        std::fs::write(&unsealed, &bytes[..d.records_end as usize]).unwrap();
        let nosparse = dir.join(format!("nosparse-{round}.binlog"));
        std::fs::copy(&p, &nosparse).unwrap();
        break_sparse_index(&nosparse);
        let sparse_seqs: Vec<u64> = {
            let at = d.sparse_offset as usize;
            bytes[at..at + 24 * d.sparse_count as usize]
                .chunks(24)
                .map(|c| SparseEntry::decode(c).unwrap().seq)
                .collect()
        };
        for path in [&p, &unsealed, &nosparse] {
            for _trial in 0..40 {
                let mut r = Reader::open(path).unwrap();
                let mut m = Model {
                    recs: recs.clone(),
                    pos: 0,
                    filter: Vec::new(),
                };
                let mut log = Vec::new();
                for _op in 0..25 {
                    match rng.below(6) {
                        0 | 1 => {
                            let header = rng.below(2) == 0;
                            let got = if header {
                                r.next_header().unwrap().map(|h| {
                                    let want = &recs[(h.seq - first_seq) as usize];
                                    assert_eq!(h.type_name, want.2);
                                    assert_eq!(h.payload_len as usize, want.3);
                                    h.seq
                                })
                            } else {
                                r.next().unwrap().map(|rec| {
                                    let want = &recs[(rec.seq - first_seq) as usize];
                                    assert_eq!(rec.type_name, want.2);
                                    assert_eq!(rec.payload.len(), want.3);
                                    assert_eq!(rec.timestamp_ns, want.1);
                                    rec.seq
                                })
                            };
                            log.push(format!("next(header {header}) = {got:?}"));
                            assert_eq!(got, m.next(), "{}: {log:?}", path.display());
                        }
                        2 => {
                            let target = match rng.below(5) {
                                0 => rng.below(first_seq + 2),
                                1 => first_seq + n as u64 + rng.below(3),
                                2 => sparse_seqs[rng.below(sparse_seqs.len() as u64) as usize],
                                3 => u64::MAX,
                                _ => first_seq + rng.below(n as u64),
                            };
                            log.push(format!("seek_seq({target})"));
                            r.seek_seq(target).unwrap();
                            m.pos = recs.iter().position(|x| x.0 >= target).unwrap_or(n);
                        }
                        3 => {
                            let target = match rng.below(5) {
                                0 => i64::MIN,
                                1 => i64::MAX,
                                2 => i64::MIN + 1,
                                _ => rng.below(1100) as i64 - 10,
                            };
                            log.push(format!("seek_time({target})"));
                            r.seek_time(target).unwrap();
                            m.pos = recs.iter().position(|x| x.1 >= target).unwrap_or(n);
                        }
                        4 => {
                            let k = rng.below(3);
                            let f: Vec<&str> = names
                                .iter()
                                .copied()
                                .filter(|_| k > 0 && rng.below(2) == 0)
                                .collect();
                            log.push(format!("filter({})", f.len()));
                            r.filter_types(&f);
                            m.filter = f.iter().map(|s| s.to_string()).collect();
                        }
                        _ => {
                            // Read to the end.
                            loop {
                                let got = r.next().unwrap().map(|rec| rec.seq);
                                assert_eq!(got, m.next(), "{}: {log:?}", path.display());
                                if got.is_none() {
                                    break;
                                }
                            }
                            log.push("to end".into());
                        }
                    }
                }
            }
        }
    }
}
