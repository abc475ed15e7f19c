//! A segment reader's seeks and type filters, through the seal's indexes
//! and by a scan: random mixes of reads, header reads, seeks and filters
//! agree with a model of the records, on sealed and unsealed segments and
//! with a broken sparse index; a seek after a filtered read ran out finds
//! the records after it.

mod common;

use binlog::format::seal::{read_seal, SparseEntry};
use binlog::{Damage, ErrorKind, Options, Reader, Tail, Writer};
use common::seal::{rewrite_seal, type_arrays, Seal};
use common::{frames, only, read_recs, write_types, TempDir};
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
/// filter returned (of another type) must find it. With no usable sparse
/// index the seek scanned on from where the filter left the reader (the
/// end) and found nothing: the filter's read had moved the position to
/// the end but left the expected sequence number after its last record.
#[test]
fn a_seek_after_an_indexed_filter_ran_out_finds_later_records() {
    let dir = TempDir::new("r16-seek-after-filter");
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

/// Flips the last payload byte of record `i` (its CRC fails).
fn damage_record(path: &Path, i: usize) {
    let offs = frames(path);
    let mut bytes = std::fs::read(path).unwrap();
    let (off, len) = offs[i];
    bytes[(off + len - 1) as usize] ^= 0x01;
    std::fs::write(path, &bytes).unwrap();
}

/// A filtered read through the per-type index, skipping damage, meets a
/// damaged record of its type after many records of other types: it must
/// resume at the next valid record, as a scan does, and report the damage
/// as a scan does. It searched for a record numbered right after the last
/// one it returned, found none near (the numbers had moved on through the
/// records of other types), took the rest of the sealed segment for
/// damaged and returned nothing more: records 41 and 42 were lost.
#[test]
fn an_indexed_filter_skipping_damage_resumes_after_it() {
    let dir = TempDir::new("r16-indexed-skip");
    let p = dir.join("seg.binlog");
    let mut types = vec!["a"];
    types.extend(std::iter::repeat_n("b", 39));
    types.extend(["a", "a", "a", "b"]);
    let want = write_types(&p, &types, Options::default());
    damage_record(&p, 40);
    let offs = offsets_of_intact(&p, 40);
    // What a scan with the same filter reads and reports.
    let mut scan = Reader::open(&p).unwrap();
    scan.skip_damaged(true);
    let (all, end) = read_recs(&mut scan);
    assert_eq!(end, Ok(Tail::Sealed));
    let scan_damages = scan.damages().to_vec();
    assert_eq!(
        scan_damages,
        vec![Damage {
            offset: offs.0,
            resume_offset: offs.1,
            from_seq: 40,
            to_seq: 41
        }]
    );
    let mut expect = only(&want, &["a"]);
    expect.retain(|r| r.0 != 40);
    assert_eq!(only(&all, &["a"]), expect);

    let mut r = Reader::open(&p).unwrap();
    r.skip_damaged(true);
    r.filter_types(&["a"]);
    let (got, end) = read_recs(&mut r);
    assert_eq!(got, expect);
    assert_eq!(end, Ok(Tail::Sealed));
    assert_eq!(r.damages(), &scan_damages[..]);

    // Without skipping: the error names the damaged record's offset and
    // where the valid records resume, as a scan's does.
    let mut r = Reader::open(&p).unwrap();
    r.filter_types(&["a"]);
    let (got, end) = read_recs(&mut r);
    assert_eq!(got, expect[..1].to_vec());
    let e = end.unwrap_err();
    assert!(
        e.contains(&format!("offset {}", offs.0)) && e.contains(&offs.1.to_string()),
        "{e}"
    );
}

/// The offset of damaged record `i` and of the record after it, from the
/// segment's own offset arrays (a scan stops at the damage).
fn offsets_of_intact(path: &Path, i: usize) -> (u64, u64) {
    let bytes = std::fs::read(path).unwrap();
    let d = read_seal(&bytes, 0).unwrap();
    let mut all: Vec<u64> = type_arrays(&bytes, &d).concat();
    all.sort();
    (all[i], all[i + 1])
}

/// A per-type offset array that is sorted and inside the records, its CRC
/// valid, but whose entries point into the middle of a record, at a record
/// of another type, or at a later record of its type (skipping one): the
/// segment's records are all intact, so a filtered read must return what
/// a scan returns, and report no damage. It failed with `Corrupt` (or
/// with `skip_damaged`, reported intact records as lost and missed
/// records), trusting the array over the records.
#[test]
fn a_sorted_offset_array_that_lies_is_not_trusted() {
    let dir = TempDir::new("r16-lying-array");
    type Change = Box<dyn Fn(&mut Seal, &[(u64, u64)])>;
    let changes: Vec<(&str, Change)> = vec![
        (
            "mid record",
            Box::new(|s: &mut Seal, _: &[(u64, u64)]| s.arrays[0][3] += 5),
        ),
        (
            "other type",
            // Type a is every 4th record: point its 4th entry at the b
            // record after its 3rd.
            Box::new(|s: &mut Seal, o: &[(u64, u64)]| s.arrays[0][3] = o[9].0),
        ),
        (
            // Only a filter of type a alone can tell: with c's records
            // read through the index too, the reader is past the omitted
            // record 20 when it meets the lie at 23 (see the report).
            "other type, last entry, alone",
            Box::new(|s: &mut Seal, o: &[(u64, u64)]| {
                let n = s.arrays[0].len();
                s.arrays[0][n - 1] = o[o.len() - 1].0;
            }),
        ),
    ];
    let types: Vec<&str> = (0..24).map(|i| ["a", "b", "c", "d"][i % 4]).collect();
    for (what, change) in changes {
        let p = dir.join(&format!("{what}.binlog"));
        let want = write_types(&p, &types, Options::default());
        let offs = frames(&p);
        rewrite_seal(&p, |s| change(s, &offs));
        for skip in [false, true] {
            let sets: &[&[&str]] = if what.ends_with("alone") {
                &[&["a"]]
            } else {
                &[&["a"], &["a", "c"]]
            };
            for &names in sets {
                let mut r = Reader::open(&p).unwrap();
                r.skip_damaged(skip);
                r.filter_types(names);
                let (got, end) = read_recs(&mut r);
                assert_eq!(
                    (got, end),
                    (only(&want, names), Ok(Tail::Sealed)),
                    "{what}: {names:?} skip {skip}"
                );
                assert_eq!(r.damages(), &[], "{what}: {names:?}");
            }
        }
    }
}

/// A reader that skips damage and reads a damaged region again (after a
/// seek back, or a seek that scans over it) reports it once: `damages()`
/// lists the regions in file order. It listed the region again at each
/// pass, as if the segment held several.
#[test]
fn a_damaged_region_read_twice_is_reported_once() {
    let dir = TempDir::new("r16-damage-twice");
    for sealed in [true, false] {
        let p = dir.join(&format!("{sealed}.binlog"));
        let types: Vec<&str> = (0..12).map(|i| ["a", "b"][i % 2]).collect();
        let w = Writer::open(&p, Options::default()).unwrap();
        for (i, ty) in types.iter().enumerate() {
            w.write(ty, &[i as u8; 40]).unwrap();
        }
        if sealed {
            w.close().unwrap();
        } else {
            w.flush().unwrap();
            std::mem::forget(w);
        }
        let offs = frames(&p);
        damage_record(&p, 5);
        let mut r = Reader::open(&p).unwrap();
        r.skip_damaged(true);
        let (got, _) = read_recs(&mut r);
        assert_eq!(got.len(), 11, "sealed {sealed}");
        let once = r.damages().to_vec();
        assert_eq!(
            once,
            vec![Damage {
                offset: offs[5].0,
                resume_offset: offs[6].0,
                from_seq: 5,
                to_seq: 6
            }]
        );
        r.seek_seq(0).unwrap();
        let (again, _) = read_recs(&mut r);
        assert_eq!(again, got, "sealed {sealed}");
        r.seek_seq(8).unwrap();
        assert_eq!(r.next().unwrap().unwrap().seq, 8);
        r.seek_time(i64::MIN).unwrap();
        let (again, _) = read_recs(&mut r);
        assert_eq!(again, got, "sealed {sealed}");
        assert_eq!(r.damages(), &once[..], "sealed {sealed}");
    }
}

/// An offset array entry that points at a valid record frame of its type
/// carried inside another record's payload (a relay stores the records it
/// read), numbered as no record there can be: below the records already
/// read, or further above them than the bytes in between could hold. A
/// filtered read returned it (a record that was never written at that
/// place, out of order) without an error; now the array is not trusted
/// and the read scans.
#[test]
fn an_offset_array_entry_at_a_carried_frame_numbered_out_of_place_is_not_trusted() {
    use binlog::format::frame::{encode_record, RecordHead};
    let dir = TempDir::new("r16-carried");
    for carried_seq in [0u64, 999, u64::MAX] {
        let p = dir.join(&format!("{carried_seq}.binlog"));
        let mut inner = Vec::new();
        let head = RecordHead {
            seq: carried_seq,
            timestamp_ns: 5,
            type_id: 0,
            define: None,
            meta: &[],
        };
        encode_record(&mut inner, &head, &[b"fake"]);
        let carrier = [&[0xAAu8; 16][..], &inner, &[0xBB; 16]].concat();
        let w = Writer::open(&p, Options::default()).unwrap();
        let mut want = Vec::new();
        for (ty, payload) in [
            ("a", b"one".to_vec()),
            ("b", carrier.clone()),
            ("a", b"two".to_vec()),
            ("b", b"x".to_vec()),
            ("a", b"three".to_vec()),
        ] {
            let seq = w.write(ty, &payload).unwrap();
            want.push((seq, ty.to_string(), payload));
        }
        w.close().unwrap();
        let offs = frames(&p);
        let bytes = std::fs::read(&p).unwrap();
        let carried_at = offs[1].0 as usize
            + bytes[offs[1].0 as usize..]
                .windows(inner.len())
                .position(|w| w == inner.as_slice())
                .unwrap();
        // Type a's entries: 0, the carried frame, 2, 4 (4 entries instead
        // of 3, the b count one less: the counts still add up).
        rewrite_seal(&p, |s| {
            s.arrays[0].insert(1, carried_at as u64);
            s.arrays[1].pop();
        });
        // The rewritten seal is consistent (counts, first entries): used.
        assert!(Reader::open(&p).unwrap().seal().is_some());
        let mut r = Reader::open(&p).unwrap();
        r.filter_types(&["a"]);
        let (got, end) = read_recs(&mut r);
        assert_eq!(
            (got, end),
            (only(&want, &["a"]), Ok(Tail::Sealed)),
            "carried seq {carried_seq}"
        );
    }
}

/// The records (header included for `with_header`) of a sealed segment of
/// `n` records of types a, b in turn, numbered from `first_seq`.
fn record_bytes(dir: &TempDir, name: &str, first_seq: u64, n: u64, with_header: bool) -> Vec<u8> {
    let p = dir.join(name);
    let opts = Options {
        first_seq,
        ..Options::default()
    };
    let w = Writer::open(&p, opts).unwrap();
    for i in 0..n {
        w.write_with(
            ["a", "b"][(i % 2) as usize],
            &[],
            Some(i as i64),
            &[i as u8; 30],
        )
        .unwrap();
    }
    w.close().unwrap();
    let bytes = std::fs::read(&p).unwrap();
    let d = read_seal(&bytes, 0).unwrap();
    let start = if with_header {
        0
    } else {
        Reader::open(&p).unwrap().data_start() as usize
    };
    bytes[start..d.records_end as usize].to_vec()
}

/// A segment whose sequence numbers jump (records 0-3, then 10-12, all
/// CRC-valid: a buggy writer), read skipping damage: the jump is one
/// damaged region of no bytes, reported once however the reader gets to
/// the record after it. A seek to that record reported it twice (once
/// while looking for the target, once when returning it).
#[test]
fn a_sequence_jump_is_reported_once_after_a_seek() {
    let dir = TempDir::new("r16-seq-jump");
    let mut bytes = record_bytes(&dir, "a.binlog", 0, 4, true);
    let jump_at = bytes.len() as u64;
    bytes.extend(record_bytes(&dir, "b.binlog", 10, 3, false));
    let p = dir.join("jump.binlog");
    std::fs::write(&p, &bytes).unwrap();
    let jump = Damage {
        offset: jump_at,
        resume_offset: jump_at,
        from_seq: 4,
        to_seq: 10,
    };
    let mut r = Reader::open(&p).unwrap();
    r.skip_damaged(true);
    let (got, end) = read_recs(&mut r);
    let seqs: Vec<u64> = got.iter().map(|g| g.0).collect();
    assert_eq!(
        (seqs, end),
        (vec![0, 1, 2, 3, 10, 11, 12], Ok(Tail::Unsealed))
    );
    assert_eq!(r.damages(), &[jump]);
    for target in [10, 7, 4, 11] {
        let mut r = Reader::open(&p).unwrap();
        r.skip_damaged(true);
        r.seek_seq(target).unwrap();
        let rec = r.next().unwrap().unwrap();
        assert_eq!(rec.seq, target.max(10), "seek_seq({target})");
        assert_eq!(r.damages(), &[jump], "seek_seq({target})");
    }
    // Without skipping, the jump is corruption where it is.
    let mut r = Reader::open(&p).unwrap();
    let e = r.seek_seq(10).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt);
    assert!(
        e.message()
            .contains(&format!("offset {jump_at}: sequence number 10 ")),
        "{e}"
    );
}

/// A segment whose header and first two records are damaged, opened for
/// salvage: the damaged region at the start reports the records it lost
/// (from the header's first sequence number, which the record found
/// after it agrees with, up to that record), and the placeholder header
/// keeps that first sequence number (a log reader compares it with the
/// segment before). It reported none lost (`from_seq == to_seq == 102`),
/// and a header starting at 102.
#[test]
fn salvage_reports_the_records_lost_with_the_header() {
    let dir = TempDir::new("r16-salvage");
    let p = dir.join("seg.binlog");
    let opts = Options {
        first_seq: 100,
        ..Options::default()
    };
    let w = Writer::open(&p, opts).unwrap();
    for i in 0..6u8 {
        w.write("t", &[i; 20]).unwrap();
    }
    w.close().unwrap();
    let offs = frames(&p);
    let mut bytes = std::fs::read(&p).unwrap();
    bytes[46] ^= 0x20; // in the log name: the header CRC fails
    for &(off, len) in &offs[..2] {
        bytes[(off + len - 1) as usize] ^= 0x01;
    }
    std::fs::write(&p, &bytes).unwrap();
    assert_eq!(
        Reader::open(&p).err().map(|e| e.kind()),
        Some(ErrorKind::CorruptHeader)
    );
    let mut r = Reader::open_salvage(&p).unwrap();
    let (got, _) = read_recs(&mut r);
    let seqs: Vec<u64> = got.iter().map(|g| g.0).collect();
    assert_eq!(seqs, vec![102, 103, 104, 105]);
    assert_eq!(r.header().first_seq, 100);
    assert_eq!(
        r.damages().first(),
        Some(&Damage {
            offset: 0,
            resume_offset: offs[2].0,
            from_seq: 100,
            to_seq: 102
        })
    );
    assert_eq!(r.damages().len(), 1, "{:?}", r.damages());
    // Read again from the start: the same records, the same one region.
    r.seek_seq(0).unwrap();
    let (again, _) = read_recs(&mut r);
    assert_eq!(again, got);
    assert_eq!(r.damages().len(), 1, "{:?}", r.damages());
    // Only the header damaged: no record lost.
    let p2 = dir.join("header-only.binlog");
    let w = Writer::open(
        &p2,
        Options {
            first_seq: 100,
            ..Options::default()
        },
    )
    .unwrap();
    w.write("t", b"x").unwrap();
    w.close().unwrap();
    let mut bytes = std::fs::read(&p2).unwrap();
    bytes[46] ^= 0x20;
    std::fs::write(&p2, &bytes).unwrap();
    let mut r = Reader::open_salvage(&p2).unwrap();
    assert_eq!(r.next().unwrap().unwrap().seq, 100);
    assert_eq!(r.damages()[0].from_seq, 100);
    assert_eq!(r.damages()[0].to_seq, 100);
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
    let dir = TempDir::new("r16-model");
    let mut rng = common::Rng::from_env(16);
    let long_name = "n".repeat(4096);
    let names = ["a", "b", "c", long_name.as_str()];
    for round in 0..6 {
        let p = dir.join(&format!("sealed-{round}.binlog"));
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
        let unsealed = dir.join(&format!("unsealed-{round}.binlog"));
        std::fs::write(&unsealed, &bytes[..d.records_end as usize]).unwrap();
        let nosparse = dir.join(&format!("nosparse-{round}.binlog"));
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

/// A reader polling a segment while another thread appends, flushes and
/// seals it, alternating verified reads and header reads, with a type
/// filter (set before the segment is sealed: a scan) and seeks back to
/// records it read: every record of the type, in order, once, and the end
/// is `Sealed`.
#[test]
fn a_filtered_poller_sees_every_record_of_a_live_segment_once() {
    let dir = TempDir::new("r16-live");
    let p = dir.join("live.binlog");
    let opts = Options {
        buffer_size: 4096,
        sparse_interval: 256,
        ..Options::default()
    };
    let w = Writer::open(&p, opts).unwrap();
    let n = 3000u64;
    let writer = std::thread::spawn(move || {
        for i in 0..n {
            let ty = ["a", "b", "c"][(i % 3) as usize];
            let len = (i * 37 % 700) as usize;
            w.write_with(ty, &[], Some(i as i64), &vec![i as u8; len])
                .unwrap();
            if i % 97 == 0 {
                w.flush().unwrap();
            }
        }
        w.close().unwrap();
    });
    let mut r = loop {
        match Reader::open(&p) {
            Ok(r) => break r,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(1)),
        }
    };
    r.filter_types(&["b"]);
    let mut seen = Vec::new();
    let mut k = 0u64;
    loop {
        k += 1;
        let got = if k % 2 == 0 {
            r.next().unwrap().map(|rec| {
                let want_len = (rec.seq * 37 % 700) as usize;
                assert_eq!(rec.payload, vec![rec.seq as u8; want_len]);
                (rec.seq, rec.type_name.to_string())
            })
        } else {
            r.next_header()
                .unwrap()
                .map(|h| (h.seq, h.type_name.to_string()))
        };
        match got {
            Some((seq, ty)) => {
                assert_eq!(ty, "b");
                assert!(seen.last().is_none_or(|&l| seq > l), "{seq} after {seen:?}");
                seen.push(seq);
                if k % 50 == 0 {
                    // Back to the record just read, then on from it.
                    r.seek_seq(seq).unwrap();
                    let again = r.next().unwrap().map(|rec| rec.seq);
                    assert_eq!(again, Some(seq));
                }
            }
            None if r.tail() == Tail::Sealed => break,
            None => std::thread::sleep(std::time::Duration::from_micros(200)),
        }
    }
    writer.join().unwrap();
    let want: Vec<u64> = (0..n).filter(|i| i % 3 == 1).collect();
    assert_eq!(seen, want);
    assert_eq!(r.damages(), &[]);
}

/// A damaged header whose first sequence number is damaged too (100
/// became 96, still close below the first record's 100), the first record
/// intact right after the header: salvage takes the record's number, and
/// reports no records lost (none could fit between the header and it).
#[test]
fn salvage_does_not_report_records_lost_for_a_damaged_first_seq() {
    let dir = TempDir::new("r16-salvage-first");
    let p = dir.join("seg.binlog");
    let w = Writer::open(
        &p,
        Options {
            first_seq: 100,
            ..Options::default()
        },
    )
    .unwrap();
    for i in 0..3u8 {
        w.write("t", &[i; 20]).unwrap();
    }
    w.close().unwrap();
    let offs = frames(&p);
    let mut bytes = std::fs::read(&p).unwrap();
    bytes[32] ^= 0x04; // first_seq 100 -> 96: the header CRC fails
    std::fs::write(&p, &bytes).unwrap();
    let mut r = Reader::open_salvage(&p).unwrap();
    assert_eq!(r.header().first_seq, 100);
    assert_eq!(
        r.damages(),
        &[Damage {
            offset: 0,
            resume_offset: offs[0].0,
            from_seq: 100,
            to_seq: 100
        }]
    );
    let (got, _) = read_recs(&mut r);
    assert_eq!(
        got.iter().map(|g| g.0).collect::<Vec<_>>(),
        vec![100, 101, 102]
    );
}
