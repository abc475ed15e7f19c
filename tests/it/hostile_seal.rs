//! Sealed segments whose seal passes every CRC but lies about the records:
//! per-type offset arrays and sparse index entries that are out of order,
//! repeated, or point at the wrong record, and type tables that name the
//! types wrongly. A reader trusts a seal to open in O(1), but it must never
//! return a record twice, out of order, under another type's name, or miss
//! one silently: it checks what it can cheaply and reads by a scan (or
//! reports corruption naming the file and offset) when the seal is wrong.

use crate::common;

use binlog::format::seal::{encode_seal_begin, read_seal, Trailer};
use binlog::{Options, Reader, Tail, Writer};
use common::seal::{rewrite_seal, Seal};
use common::{frames, only, read_recs, write_types, Recs, TempDir};
use std::path::Path;

/// A sealed segment of 40 records of types a, b, c, d (in turn), with
/// timestamps that go back and forth, and a sparse entry every ~200 bytes.
fn write_segment(path: &Path) -> Recs {
    let opts = Options {
        sparse_interval: 200,
        ..Options::default()
    };
    let w = Writer::open(path, opts).unwrap();
    let mut want = Vec::new();
    for i in 0..40u64 {
        let ty = ["a", "b", "c", "d"][(i % 4) as usize];
        let payload = vec![i as u8; (i * 7 % 50) as usize];
        let ts = 1000 + i as i64 * 10 - (i as i64 % 3) * 25;
        let seq = w.write_with(ty, &[], Some(ts), &payload).unwrap();
        want.push((seq, ty.to_string(), payload));
    }
    w.close().unwrap();
    want
}

/// Named changes to a seal, each tried on a fresh segment.
type Changes = Vec<(&'static str, Box<dyn Fn(&mut Seal)>)>;

/// Reads with a type filter: every record, or the first error.
fn filtered(path: &Path, names: &[&str]) -> Result<Recs, String> {
    let mut r = Reader::open(path).unwrap();
    r.filter_types(names);
    let mut got = Vec::new();
    loop {
        match r.next() {
            Ok(Some(rec)) => got.push((rec.seq, rec.type_name.to_string(), rec.payload.to_vec())),
            Ok(None) => return Ok(got),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// An offset array out of order, with an entry repeated, or reversed: a
/// filtered read returns each record of the type once, in order (the
/// reader does not use an array that is not strictly increasing inside the
/// records), not in the array's order, twice over.
#[test]
fn an_unsorted_or_repeating_offset_array_is_not_used() {
    let dir = TempDir::new("hostile-arrays");
    let changes: Changes = vec![
        ("swapped", Box::new(|s: &mut Seal| s.arrays[0].swap(2, 3))),
        (
            "repeated",
            Box::new(|s: &mut Seal| s.arrays[0][3] = s.arrays[0][2]),
        ),
        ("reversed", Box::new(|s: &mut Seal| s.arrays[1].reverse())),
        ("zero", Box::new(|s: &mut Seal| s.arrays[0][3] = 0)),
        (
            "past the end",
            Box::new(|s: &mut Seal| {
                let end = s.dir.records_end;
                s.arrays[0][9] = end + 5;
            }),
        ),
        (
            "u64::MAX",
            Box::new(|s: &mut Seal| s.arrays[0][9] = u64::MAX),
        ),
    ];
    for (what, change) in changes {
        let p = dir.join(format!("{what}.binlog"));
        let want = write_segment(&p);
        rewrite_seal(&p, |s| change(s));
        for names in [&["a"][..], &["b"], &["a", "b"], &["a", "b", "c", "d"]] {
            assert_eq!(
                filtered(&p, names).as_ref(),
                Ok(&only(&want, names)),
                "{what}: {names:?}"
            );
        }
    }
}

/// A per-type offset array that is sorted and inside the records, its CRC
/// valid, but whose entries point into the middle of a record, at a record
/// of another type, or at a later record of its type (skipping one): the
/// segment's records are all intact, so a filtered read must return what
/// a scan returns, and report no damage. A reader trusting the array over
/// the records would fail with `Corrupt` (or, with `skip_damaged`, report
/// intact records as lost and miss records).
#[test]
fn a_sorted_offset_array_that_lies_is_not_trusted() {
    let dir = TempDir::new("lying-array");
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
        let p = dir.join(format!("{what}.binlog"));
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

/// An offset array entry that points at a valid record frame of its type
/// carried inside another record's payload (a relay stores the records it
/// read), numbered as no record there can be: below the records already
/// read, or further above them than the bytes in between could hold: the
/// array is not trusted and the read scans, so a filtered read does not
/// return that frame (a record never written at that place, out of order).
#[test]
fn an_offset_array_entry_at_a_carried_frame_numbered_out_of_place_is_not_trusted() {
    use binlog::format::frame::{encode_record, RecordHead};
    let dir = TempDir::new("carried");
    for carried_seq in [0u64, 999, u64::MAX] {
        let p = dir.join(format!("{carried_seq}.binlog"));
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

/// Seeks every way on `path` and compares with what `want` (the records
/// in write order) says each seek must find: the first record with
/// `seq >= target`, and the first in write order with a timestamp at
/// least `target`. Both with and without `skip_damaged`: nothing is
/// damaged, so nothing may be reported as such.
fn check_seeks(path: &Path, want: &[(u64, i64)], what: &str) {
    let seqs = (0..want.len() as u64 + 2).chain([u64::MAX]);
    let times: Vec<i64> = want
        .iter()
        .flat_map(|&(_, ts)| [ts - 1, ts, ts + 1])
        .chain([i64::MIN, i64::MAX])
        .collect();
    for skip in [false, true] {
        for target in seqs.clone() {
            let mut r = Reader::open(path).unwrap();
            r.skip_damaged(skip);
            r.seek_seq(target)
                .unwrap_or_else(|e| panic!("{what}: seek_seq({target}): {e}"));
            let got = r.next().unwrap().map(|rec| rec.seq);
            let expect = want.iter().find(|w| w.0 >= target).map(|w| w.0);
            assert_eq!(got, expect, "{what}: seek_seq({target}) skip {skip}");
            assert_eq!(r.damages(), &[], "{what}: seek_seq({target})");
        }
        for &target in &times {
            let mut r = Reader::open(path).unwrap();
            r.skip_damaged(skip);
            r.seek_time(target)
                .unwrap_or_else(|e| panic!("{what}: seek_time({target}): {e}"));
            let got = r.next().unwrap().map(|rec| rec.seq);
            let expect = want.iter().find(|w| w.1 >= target).map(|w| w.0);
            assert_eq!(got, expect, "{what}: seek_time({target}) skip {skip}");
            assert_eq!(r.damages(), &[], "{what}: seek_time({target})");
        }
    }
}

/// Sparse index entries that point at the wrong record, into the middle of
/// one, claim another sequence number or lie about the times before them:
/// every seek still finds the right record, and reports no damage (the
/// reader checks the index, and the record an entry leads to, and seeks by
/// scanning when they disagree): no seek fails with Corrupt, reports
/// intact records as lost, or (times that lie) lands on a later record.
#[test]
fn a_lying_sparse_index_never_makes_a_seek_wrong() {
    let dir = TempDir::new("hostile-sparse");
    let changes: Changes = vec![
        ("unchanged", Box::new(|_: &mut Seal| {})),
        (
            "other record",
            Box::new(|s: &mut Seal| s.sparse[3].offset = s.sparse[4].offset),
        ),
        (
            "mid record",
            Box::new(|s: &mut Seal| s.sparse[3].offset += 3),
        ),
        ("seq + 1", Box::new(|s: &mut Seal| s.sparse[3].seq += 1)),
        ("seq - 1", Box::new(|s: &mut Seal| s.sparse[3].seq -= 1)),
        ("swapped", Box::new(|s: &mut Seal| s.sparse.swap(2, 3))),
        ("reversed", Box::new(|s: &mut Seal| s.sparse.reverse())),
        (
            "past the end",
            Box::new(|s: &mut Seal| s.sparse[3].offset = s.dir.records_end + 9),
        ),
        (
            "times all MIN",
            Box::new(|s: &mut Seal| {
                for e in &mut s.sparse {
                    e.max_ts_before = i64::MIN;
                }
            }),
        ),
        (
            "times all MAX",
            Box::new(|s: &mut Seal| {
                for e in &mut s.sparse[1..] {
                    e.max_ts_before = i64::MAX;
                }
            }),
        ),
        (
            "no first entry",
            Box::new(|s: &mut Seal| {
                s.sparse.remove(0);
            }),
        ),
    ];
    for (what, change) in changes {
        let p = dir.join(format!("{what}.binlog"));
        write_segment(&p);
        let want: Vec<(u64, i64)> = {
            let mut r = Reader::open(&p).unwrap();
            let mut v = Vec::new();
            while let Some(rec) = r.next().unwrap() {
                v.push((rec.seq, rec.timestamp_ns));
            }
            v
        };
        rewrite_seal(&p, |s| {
            assert!(s.sparse.len() >= 5, "{} entries", s.sparse.len());
            change(s)
        });
        check_seeks(&p, &want, what);
        assert!(Reader::open(&p).unwrap().seal().is_some(), "{what}");
    }
}

/// A type table that names the types wrongly (two names swapped, or one
/// name given twice), its arrays and counts left as they were: no read
/// returns a record under a name its segment's records do not give it.
/// Nor does a seek that lands after the records that define the types.
#[test]
fn a_type_table_that_names_types_wrongly_is_not_trusted() {
    let dir = TempDir::new("hostile-types");
    let changes: Changes = vec![
        (
            "swapped",
            Box::new(|s: &mut Seal| {
                let a = s.dir.types[0].name.clone();
                s.dir.types[0].name = s.dir.types[1].name.clone();
                s.dir.types[1].name = a;
            }),
        ),
        (
            "repeated",
            Box::new(|s: &mut Seal| s.dir.types[2].name = "a".into()),
        ),
        (
            "renamed",
            Box::new(|s: &mut Seal| s.dir.types[3].name = "z".into()),
        ),
    ];
    for (what, change) in changes {
        let p = dir.join(format!("{what}.binlog"));
        let want = write_segment(&p);
        rewrite_seal(&p, |s| change(s));
        let name_of = |seq: u64| want[seq as usize].1.clone();
        for target in [20, 37, 9, 0] {
            let mut r = Reader::open(&p).unwrap();
            r.seek_seq(target).unwrap();
            let rec = r.next().unwrap().unwrap();
            assert_eq!(
                (rec.seq, rec.type_name.to_string()),
                (target, name_of(target)),
                "{what}: seek_seq({target})"
            );
        }
        for names in [&["a"][..], &["b"], &["c", "z"], &["d"]] {
            match filtered(&p, names) {
                Ok(got) => assert_eq!(got, only(&want, names), "{what}: {names:?}"),
                Err(e) => panic!("{what}: {names:?}: {e}"),
            }
        }
        let mut r = Reader::open(&p).unwrap();
        while r.next().unwrap().is_some() {}
        assert!(
            matches!(r.tail(), Tail::SealDamaged { .. }),
            "{what}: {:?}",
            r.tail()
        );
    }
}

/// A type the seal lists with no records (no writer writes one, but the
/// format allows it) does not make the seal unusable.
#[test]
fn a_type_without_records_keeps_the_seal_usable() {
    let dir = TempDir::new("hostile-types-empty");
    let p = dir.join("seg.binlog");
    let want = write_segment(&p);
    rewrite_seal(&p, |s| {
        let mut t = s.dir.types[0].clone();
        t.name = "ghost".into();
        s.dir.types.push(t);
        s.arrays.push(Vec::new());
    });
    let mut r = Reader::open(&p).unwrap();
    r.seek_seq(21).unwrap();
    assert_eq!(r.next().unwrap().unwrap().type_name, want[21].1);
    while r.next().unwrap().is_some() {}
    assert_eq!(r.tail(), Tail::Sealed);
}

/// Two checks of docs/FORMAT.md section 9 that the document had wrong:
/// the `SEAL_BEGIN` count must equal the directory's, and an empty array
/// may not sit at `records_end` (ranges start after the `SEAL_BEGIN`
/// frame). Either makes the seal unusable: read by a scan, `SealDamaged`.
#[test]
fn seal_begin_count_and_ranges_are_checked_as_documented() {
    let dir = TempDir::new("hostile-seal-doc");
    let p = dir.join("count.binlog");
    let want = write_segment(&p);
    rewrite_seal(&p, |_| {});
    let mut bytes = std::fs::read(&p).unwrap();
    let records_end = read_seal(&bytes, 0).unwrap().records_end as usize;
    bytes[records_end..records_end + 17].copy_from_slice(&encode_seal_begin(41));
    std::fs::write(&p, &bytes).unwrap();
    let p2 = dir.join("range.binlog");
    write_segment(&p2);
    rewrite_seal(&p2, |s| {
        let mut t = s.dir.types[0].clone();
        t.name = "ghost".into();
        s.dir.types.push(t);
        s.arrays.push(Vec::new());
    });
    // Move the empty array to records_end, fixing the directory's CRC.
    let bytes = std::fs::read(&p2).unwrap();
    let mut d = read_seal(&bytes, 0).unwrap();
    d.types[4].array_offset = d.records_end;
    let tr = Trailer::decode(&bytes, 0).unwrap();
    let mut out = bytes[..tr.dir_offset as usize].to_vec();
    let dir_len = d.encode_frame(&mut out) as u32;
    out.extend_from_slice(&Trailer { dir_len, ..tr }.encode());
    std::fs::write(&p2, &out).unwrap();
    for p in [&p, &p2] {
        let mut r = Reader::open(p).unwrap();
        assert!(r.seal().is_none(), "{}", p.display());
        let mut n = 0;
        while r.next().unwrap().is_some() {
            n += 1;
        }
        assert_eq!(n, want.len());
        assert!(
            matches!(r.tail(), Tail::SealDamaged { .. }),
            "{:?}",
            r.tail()
        );
    }
}

/// A directory whose counts leave records out (a type dropped from the
/// table, or entries dropped from an offset array, the counts adjusted to
/// match) is not used: its sequence numbers say how many records there
/// are, and the counts must agree. Trusted, it would make a seek fail on a
/// record of the dropped type ("used before it is defined") and a
/// filtered read miss the dropped entries without an error.
#[test]
fn a_directory_that_counts_fewer_records_than_its_sequence_numbers_is_not_used() {
    let dir = TempDir::new("hostile-counts");
    let changes: Changes = vec![
        (
            "type dropped",
            Box::new(|s: &mut Seal| {
                s.dir.types.pop();
                s.arrays.pop();
            }),
        ),
        (
            "entries dropped",
            Box::new(|s: &mut Seal| {
                s.arrays[0].truncate(7);
            }),
        ),
    ];
    for (what, change) in changes {
        let p = dir.join(format!("{what}.binlog"));
        let want = write_segment(&p);
        rewrite_seal(&p, |s| change(s));
        for target in [23, 7] {
            let mut r = Reader::open(&p).unwrap();
            r.seek_seq(target)
                .unwrap_or_else(|e| panic!("{what}: seek_seq({target}): {e}"));
            let rec = r
                .next()
                .unwrap_or_else(|e| panic!("{what}: seek_seq({target}): {e}"))
                .unwrap();
            assert_eq!(rec.type_name, want[target as usize].1, "{what}");
        }
        for names in [&["a"][..], &["d"]] {
            assert_eq!(
                filtered(&p, names).as_ref(),
                Ok(&only(&want, names)),
                "{what}: {names:?}"
            );
        }
    }
}

/// A type table that names types wrongly and escapes the check that each
/// type's first record defines it as named: the first entry of a type's
/// array points into the middle of a record (bytes that are no frame), past
/// the records, or the type is listed with no records at all (its records
/// listed under the type before it). None passes that check as "damage
/// the read reports where it meets it", or as a type with nothing to
/// check: trusted, the seal would make a seek past the defining records
/// name them by the lying table (record 9, a "b", as "a" or "z"), and a
/// filtered read miss a type's records without an error.
#[test]
fn a_type_table_whose_first_entries_name_no_record_is_not_trusted() {
    let dir = TempDir::new("hostile-types-first");
    let changes: Changes = vec![
        (
            "swapped, first entries mid-record",
            Box::new(|s: &mut Seal| {
                let a = s.dir.types[0].name.clone();
                s.dir.types[0].name = s.dir.types[1].name.clone();
                s.dir.types[1].name = a;
                s.arrays[0][0] += 1;
                s.arrays[1][0] += 1;
            }),
        ),
        (
            "renamed, first entry past the records",
            Box::new(|s: &mut Seal| {
                s.dir.types[1].name = "z".into();
                s.arrays[1][0] = s.dir.records_end + 5;
            }),
        ),
        (
            "renamed, no records, listed under the type before",
            Box::new(|s: &mut Seal| {
                s.dir.types[1].name = "z".into();
                let b = std::mem::take(&mut s.arrays[1]);
                s.arrays[0].extend(b);
                s.arrays[0].sort();
            }),
        ),
    ];
    // Every case is tried and every wrong answer listed, then the test fails.
    let mut wrong = Vec::new();
    for (what, change) in changes {
        let p = dir.join(format!("{what}.binlog"));
        let want = write_segment(&p);
        rewrite_seal(&p, |s| change(s));
        for target in [9, 21, 37, 0] {
            let mut r = Reader::open(&p).unwrap();
            let got = r
                .seek_seq(target)
                .and_then(|()| r.next().map(|rec| rec.map(|rec| rec.type_name.to_string())));
            match got {
                Ok(Some(name)) if name == want[target as usize].1 => {}
                got => wrong.push(format!("{what}: seek_seq({target}): {got:?}")),
            }
        }
        for names in [&["a"][..], &["b"], &["b", "z"], &["d"]] {
            match filtered(&p, names) {
                Ok(got) if got == only(&want, names) => {}
                Ok(got) => wrong.push(format!(
                    "{what}: filter {names:?}: seqs {:?}",
                    got.iter().map(|r| (r.0, r.1.as_str())).collect::<Vec<_>>()
                )),
                Err(e) => wrong.push(format!("{what}: filter {names:?}: {e}")),
            }
        }
        if Reader::open(&p).unwrap().seal().is_some() {
            wrong.push(format!("{what}: the seal is trusted"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
