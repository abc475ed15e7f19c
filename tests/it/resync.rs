//! Skipping damaged regions: by default a reader stops at corruption in the
//! middle with an error naming the file and offset; asked to, it resumes at
//! the next valid record and reports what it skipped, once per region
//! however often it reads it, through the per-type index too; a type whose
//! defining record was lost is named from the seal when one survives;
//! `open_salvage` reads past a damaged header and counts the records lost
//! with it.

use crate::common;

use binlog::format::seal::read_seal;
use binlog::{Damage, ErrorKind, Options, Reader, Record, Tail, Writer};
use common::seal::type_arrays;
use common::{flip_byte, frames, only, read_recs, write_types, TempDir};
use std::path::{Path, PathBuf};

/// A segment of `records` records (sealed, or a copy taken before the
/// seal) in a fresh directory, removed when the `TempDir` goes, and the
/// records' offsets.
fn seg(name: &str, records: u64, seal: bool) -> (TempDir, PathBuf, Vec<u64>) {
    let dir = TempDir::new(name);
    let p = dir.join("seg.binlog");
    let w = Writer::open(&p, Options::default()).unwrap();
    for i in 0..records {
        // type "a" is defined by record 0, "b" by record 5
        let t = if i >= 5 && i % 2 == 1 { "b" } else { "a" };
        w.write_with(t, &[], Some(i as i64), format!("payload {i}").as_bytes())
            .unwrap();
    }
    w.flush().unwrap();
    let copy = dir.join("copy.binlog");
    std::fs::copy(&p, &copy).unwrap();
    w.close().unwrap();
    let path = if seal { p } else { copy };
    let mut offsets = vec![];
    let mut r = Reader::open(&path).unwrap();
    while let Some(rec) = r.next().unwrap() {
        offsets.push(rec.offset);
    }
    (dir, path, offsets)
}

fn flip(path: &PathBuf, at: u64) {
    let mut b = std::fs::read(path).unwrap();
    b[at as usize] ^= 0x40;
    std::fs::write(path, b).unwrap();
}

/// (seq, type, payload) of each record read.
type Got = Vec<(u64, String, Vec<u8>)>;

fn read_skipping(path: &PathBuf) -> (Got, Vec<Damage>) {
    let mut r = Reader::open(path).unwrap();
    r.skip_damaged(true);
    let mut out = vec![];
    while let Some(rec) = r.next().unwrap() {
        out.push((rec.seq, rec.type_name.to_string(), rec.payload.to_vec()));
    }
    (out, r.damages().to_vec())
}

#[test]
fn default_stops_with_file_and_offset_skip_mode_resumes_and_reports() {
    for sealed in [false, true] {
        let (_dir, p, offs) = seg(if sealed { "s" } else { "u" }, 20, sealed);
        flip(&p, offs[7] + 12); // inside record 7's body
        let mut r = Reader::open(&p).unwrap();
        let mut n = 0;
        let err = loop {
            match r.next() {
                Ok(Some(_)) => n += 1,
                Ok(None) => panic!("sealed={sealed}: damage not reported"),
                Err(e) => break e,
            }
        };
        assert_eq!(n, 7, "records before the damage come first");
        assert_eq!(err.kind(), ErrorKind::Corrupt);
        assert!(err.message().contains(&p.display().to_string()));
        assert!(
            err.message().contains(&format!("offset {}", offs[7])),
            "{err}"
        );

        let (got, damages) = read_skipping(&p);
        let seqs: Vec<u64> = got.iter().map(|r| r.0).collect();
        let want: Vec<u64> = (0..20).filter(|&i| i != 7).collect();
        assert_eq!(seqs, want, "sealed={sealed}");
        for (seq, _, payload) in &got {
            assert_eq!(payload, format!("payload {seq}").as_bytes());
        }
        assert_eq!(
            damages,
            vec![Damage {
                offset: offs[7],
                resume_offset: offs[8],
                from_seq: 7,
                to_seq: 8
            }],
            "sealed={sealed}"
        );
    }
}

#[test]
fn a_type_whose_definition_was_lost_is_named_by_its_id() {
    let (_dir, p, offs) = seg("lost", 12, false);
    flip(&p, offs[5] + 12); // record 5 defines type "b"
    let (got, damages) = read_skipping(&p);
    assert_eq!(damages.len(), 1);
    assert_eq!((damages[0].from_seq, damages[0].to_seq), (5, 6));
    let b: Vec<&(u64, String, Vec<u8>)> = got.iter().filter(|r| r.0 % 2 == 1 && r.0 > 5).collect();
    assert!(!b.is_empty());
    for r in b {
        assert_eq!(r.1, "<lost type 1>", "record {}", r.0);
        assert_eq!(r.2, format!("payload {}", r.0).into_bytes());
    }
}

/// A record says whether the reader lost its type's name, by the type's id
/// (`Record::lost_type_id`), and a type filter on `Record::lost_type_name`
/// selects those records; a type that merely has such a name is not lost.
#[test]
fn a_lost_type_is_told_by_its_id_and_selected_by_its_reader_name() {
    let (_dir, p, offs) = seg("lost-id", 12, false);
    flip(&p, offs[5] + 12); // record 5 defines type "b" (id 1)
    let mut r = Reader::open(&p).unwrap();
    r.skip_damaged(true);
    let mut lost = vec![];
    while let Some(rec) = r.next().unwrap() {
        match rec.lost_type_id() {
            Some(id) => {
                assert_eq!(rec.type_name, Record::lost_type_name(id));
                lost.push((rec.seq, id));
            }
            None => assert_eq!(rec.type_name, "a", "record {}", rec.seq),
        }
    }
    assert_eq!(lost, vec![(7, 1), (9, 1), (11, 1)]);
    let mut r = Reader::open(&p).unwrap();
    r.skip_damaged(true);
    r.filter_types(&[Record::lost_type_name(1).as_str()]);
    let mut seqs = vec![];
    while let Some(rec) = r.next().unwrap() {
        seqs.push(rec.seq);
    }
    assert_eq!(seqs, vec![7, 9, 11]);

    let named = p.with_file_name("named.binlog");
    let w = Writer::open(&named, Options::default()).unwrap();
    w.write("<lost type 1>", b"x").unwrap();
    w.close().unwrap();
    let mut r = Reader::open(&named).unwrap();
    let rec = r.next().unwrap().expect("a record");
    assert_eq!((rec.type_name, rec.lost_type_id()), ("<lost type 1>", None));
}

#[test]
fn several_damaged_regions_and_damage_at_the_end_of_a_sealed_segment() {
    let (_dir, p, offs) = seg("many", 30, true);
    for i in [3usize, 4, 17, 29] {
        flip(&p, offs[i] + 12);
    }
    let (got, damages) = read_skipping(&p);
    let seqs: Vec<u64> = got.iter().map(|r| r.0).collect();
    let want: Vec<u64> = (0..30).filter(|i| ![3, 4, 17, 29].contains(i)).collect();
    assert_eq!(seqs, want);
    let ranges: Vec<(u64, u64)> = damages.iter().map(|d| (d.from_seq, d.to_seq)).collect();
    assert_eq!(ranges, vec![(3, 5), (17, 18), (29, 30)]);
    // The last one runs to the end of the records: nothing valid after it.
    assert_eq!(damages[2].offset, offs[29]);
}

#[test]
fn a_damaged_header_is_refused_by_open_and_read_past_by_open_salvage() {
    for (what, at) in [
        ("log name", 60usize),
        ("header length", 13),
        ("header crc", 0),
    ] {
        let (_dir, p, offs) = seg(&format!("hdr{at}"), 10, true);
        let at = if at == 0 { offs[0] as usize - 2 } else { at };
        let mut b = std::fs::read(&p).unwrap();
        b[at] ^= 0x20;
        std::fs::write(&p, &b).unwrap();
        let e = Reader::open(&p)
            .err()
            .unwrap_or_else(|| panic!("{what}: damage not noticed"));
        assert_eq!(e.kind(), ErrorKind::CorruptHeader, "{what}: {e}");

        let mut r = Reader::open_salvage(&p).unwrap_or_else(|e| panic!("{what}: {e}"));
        let mut seqs = vec![];
        while let Some(rec) = r.next().unwrap() {
            assert_eq!(rec.payload, format!("payload {}", rec.seq).as_bytes());
            seqs.push(rec.seq);
        }
        assert_eq!(seqs, (0..10).collect::<Vec<u64>>(), "{what}");
        assert_eq!(
            r.damages()[0],
            Damage {
                offset: 0,
                resume_offset: offs[0],
                from_seq: 0,
                to_seq: 0
            },
            "{what}"
        );
        assert_eq!(r.header().log_name, "", "{what}: placeholder header");
    }
}

#[test]
fn open_salvage_of_a_sound_segment_is_open() {
    let (_dir, p, _) = seg("sound", 5, true);
    let r = Reader::open_salvage(&p).unwrap();
    assert!(r.damages().is_empty());
    assert!(r.seal().is_some());
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
/// as a scan does. Searching for a record numbered right after the last one
/// it returned finds none near (the numbers moved on through the records of
/// other types): taking the rest of the sealed segment for damaged would
/// lose records 41 and 42.
#[test]
fn an_indexed_filter_skipping_damage_resumes_after_it() {
    let dir = TempDir::new("indexed-skip");
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

/// A reader that skips damage and reads a damaged region again (after a
/// seek back, or a seek that scans over it) reports it once: `damages()`
/// lists the regions in file order, not the region again at each pass as
/// if the segment held several.
#[test]
fn a_damaged_region_read_twice_is_reported_once() {
    let dir = TempDir::new("damage-twice");
    for sealed in [true, false] {
        let p = dir.join(format!("{sealed}.binlog"));
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
/// the record after it: a seek to that record reports it once, not once
/// while looking for the target and again when returning it.
#[test]
fn a_sequence_jump_is_reported_once_after_a_seek() {
    let dir = TempDir::new("seq-jump");
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
/// segment before): not none lost (`from_seq == to_seq == 102`) and a
/// header starting at 102.
#[test]
fn salvage_reports_the_records_lost_with_the_header() {
    let dir = TempDir::new("salvage");
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

/// A damaged header whose first sequence number is damaged too (100
/// became 96, still close below the first record's 100), the first record
/// intact right after the header: salvage takes the record's number, and
/// reports no records lost (none could fit between the header and it).
#[test]
fn salvage_does_not_report_records_lost_for_a_damaged_first_seq() {
    let dir = TempDir::new("salvage-first");
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

/// A damaged header whose first sequence number is damaged to just below
/// the first record's (100 became 98), the first record right after a
/// short header, with no room before it for records 98 and 99: the first
/// record the number allows is 101, but record 100, valid and able to
/// precede it, comes first. Salvage starts at 100: it never drops a valid
/// record silently (docs/FORMAT.md 10.5).
#[test]
fn salvage_of_a_header_whose_first_seq_is_damaged_keeps_the_first_record() {
    let dir = TempDir::new("salvage-first-kept");
    let p = dir.join("seg.binlog");
    let opts = Options {
        first_seq: 100,
        writer_version: String::new(),
        ..Options::default()
    };
    let w = Writer::open(&p, opts).unwrap();
    for i in 0..10u8 {
        w.write("t", &[i; 30]).unwrap();
    }
    w.close().unwrap();
    let offs = frames(&p);
    let mut bytes = std::fs::read(&p).unwrap();
    assert_eq!(bytes[32], 100);
    bytes[32] = 98; // the header CRC fails
    std::fs::write(&p, &bytes).unwrap();
    let mut r = Reader::open_salvage(&p).unwrap();
    let (got, end) = read_recs(&mut r);
    let seqs: Vec<u64> = got.iter().map(|g| g.0).collect();
    assert_eq!(seqs, (100..110).collect::<Vec<u64>>());
    assert_eq!(end, Ok(Tail::Sealed));
    assert_eq!(
        r.damages(),
        &[Damage {
            offset: 0,
            resume_offset: offs[0].0,
            from_seq: 100,
            to_seq: 100
        }]
    );
}

/// A damaged header whose first sequence number is damaged too, so that
/// no record is numbered as it allows: salvage takes the first valid
/// record that ends within the file's first 1 MiB + 64 KiB (the largest
/// header and 64 KiB: docs/FORMAT.md 10.5), and refuses a file whose first
/// valid record ends one byte past that.
#[test]
fn with_no_record_numbered_as_the_damaged_header_says_salvage_searches_1_mib_and_64_kib() {
    let dir = TempDir::new("salvage-unnumbered");
    let limit = (1u64 << 20) + (64 << 10);
    let write = |p: &Path, payload: usize| {
        let w = Writer::open(p, Options::default()).unwrap();
        w.write("t", &vec![7u8; payload]).unwrap();
        w.write("t", b"after").unwrap();
        w.close().unwrap();
        frames(p)[0]
    };
    let probe = write(&dir.join("probe.binlog"), 1000);
    let fits = 1000 + (limit - probe.0 - probe.1) as usize;
    for (past, found) in [(0, true), (1, false)] {
        let p = dir.join(format!("past-{past}.binlog"));
        let (at, len) = write(&p, fits + past);
        assert_eq!(at + len, limit + past as u64);
        let mut bytes = std::fs::read(&p).unwrap();
        bytes[39] ^= 0x80; // first_seq 0 -> 2^63: the header CRC fails
        std::fs::write(&p, &bytes).unwrap();
        match Reader::open_salvage(&p) {
            Ok(mut r) => {
                assert!(found, "past {past}: opened");
                let (got, _) = read_recs(&mut r);
                assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [0, 1]);
                assert_eq!(r.damages()[0].resume_offset, at);
            }
            Err(e) => {
                assert!(!found, "past {past}: {e}");
                assert_eq!(e.kind(), ErrorKind::CorruptHeader, "{e}");
            }
        }
    }
}

const T0: i64 = 1_700_000_000_000_000_000;

/// Nine records whose types cycle through `types` (record 2 defines the
/// third type), sealed unless `seal` is false (then the file as it was
/// before its writer closed it).
fn segment(path: &Path, types: [&str; 3], seal: bool) {
    let tmp = path.with_extension("writing");
    let w = Writer::open(
        &tmp,
        Options {
            created_ns: Some(T0),
            ..Options::default()
        },
    )
    .unwrap();
    for i in 0..9u64 {
        w.write_with(
            types[(i % 3) as usize],
            &[],
            Some(T0 + i as i64),
            format!("payload {i}").as_bytes(),
        )
        .unwrap();
    }
    w.flush().unwrap();
    if !seal {
        std::fs::copy(&tmp, path).unwrap();
    }
    w.close().unwrap();
    if seal {
        std::fs::copy(&tmp, path).unwrap();
    }
    std::fs::remove_file(&tmp).unwrap();
}

/// Damages the record that defines the third type (record 2).
fn damage_definition(path: &Path) {
    let (off, len) = frames(path)[2];
    flip_byte(path, off + len - 1);
}

/// (seq, type) of every record a reader that skips damage returns, and of
/// those a filter on `only` returns.
fn read(path: &Path, only: &str) -> (Vec<(u64, String)>, Vec<u64>) {
    let mut r = Reader::open_salvage(path).unwrap();
    let mut all = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        all.push((rec.seq, rec.type_name.to_string()));
    }
    let mut r = Reader::open_salvage(path).unwrap();
    r.filter_types(&[only]);
    let mut some = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        some.push(rec.seq);
    }
    (all, some)
}

fn types_of(recs: &[(u64, String)], seqs: &[u64]) -> Vec<String> {
    seqs.iter()
        .map(|s| recs.iter().find(|(q, _)| q == s).unwrap().1.clone())
        .collect()
}

/// Sealed, the record defining "quote" damaged: the seal names it (not
/// `<lost type 2>`), and a filter on "quote" finds its records.
/// Without a seal, or with a seal whose table names an intact record's
/// type otherwise, the type stays unknown.
#[test]
fn a_skipping_reader_names_a_lost_type_from_the_seal_when_it_can() {
    let t = TempDir::new("seal-names");
    let seg = t.join("s.binlog");
    segment(&seg, ["order", "trade", "quote"], true);
    damage_definition(&seg);
    let (all, quotes) = read(&seg, "quote");
    assert_eq!(
        all.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        vec![0, 1, 3, 4, 5, 6, 7, 8]
    );
    assert_eq!(types_of(&all, &[5, 8]), vec!["quote", "quote"], "{all:?}");
    assert_eq!(quotes, vec![5, 8]);

    // No seal: nothing to name it from.
    let open = t.join("u.binlog");
    segment(&open, ["order", "trade", "quote"], false);
    damage_definition(&open);
    let (all, _) = read(&open, "quote");
    assert_eq!(types_of(&all, &[5, 8]), vec!["<lost type 2>"; 2]);

    // A seal (every CRC valid) whose table calls type 0 "ordex", where an
    // intact record defines it as "order": its names are not used.
    let other = t.join("other.binlog");
    segment(&other, ["ordex", "trade", "quote"], true);
    let spliced = t.join("spliced.binlog");
    segment(&spliced, ["order", "trade", "quote"], true);
    let end = Reader::open(&spliced).unwrap().seal().unwrap().records_end as usize;
    let mut bytes = std::fs::read(&spliced).unwrap();
    bytes.truncate(end);
    bytes.extend_from_slice(&std::fs::read(&other).unwrap()[end..]);
    std::fs::write(&spliced, bytes).unwrap();
    damage_definition(&spliced);
    let (all, quotes) = read(&spliced, "quote");
    assert_eq!(types_of(&all, &[5, 8]), vec!["<lost type 2>"; 2]);
    assert_eq!(quotes, Vec::<u64>::new());
}

/// The seal's trailer, or its SEAL_BEGIN frame, damaged as well: the
/// directory frame (and its type table) survives and names the type.
#[test]
fn a_surviving_seal_directory_names_a_lost_type() {
    let t = TempDir::new("dir-names");
    for part in ["trailer", "seal-begin"] {
        let seg = t.join(format!("{part}.binlog"));
        segment(&seg, ["order", "trade", "quote"], true);
        let end = Reader::open(&seg).unwrap().seal().unwrap().records_end;
        let len = std::fs::metadata(&seg).unwrap().len();
        damage_definition(&seg);
        flip_byte(
            &seg,
            if part == "trailer" {
                len - 30
            } else {
                end + 10
            },
        );
        assert!(
            Reader::open(&seg).unwrap().seal().is_none(),
            "{part}: the seal is unreadable"
        );
        let (all, quotes) = read(&seg, "quote");
        assert_eq!(types_of(&all, &[5, 8]), vec!["quote"; 2], "{part}: {all:?}");
        assert_eq!(quotes, vec![5, 8], "{part}");
    }
}

/// Records of types a, b, c, a, b, c (each type defined by its first
/// record), sealed or unsealed (the same with its seal cut off).
fn six_of_three_types(path: &Path, seal: bool) -> Vec<(u64, String, Vec<u8>)> {
    let want = write_types(path, &["a", "b", "c", "a", "b", "c"], Options::default());
    if !seal {
        let end = Reader::open(path).unwrap().seal().unwrap().records_end;
        let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        f.set_len(end).unwrap();
    }
    want
}

/// The record that defines type b is damaged: the intact record after it
/// that defines type c (id 2, one above the ids known) is read, not taken
/// for damage; only the damaged record is lost.
#[test]
fn an_intact_record_defining_its_type_after_a_lost_definition_is_read() {
    for seal in [false, true] {
        let t = TempDir::new("define-after-lost");
        let p = t.join("seg.binlog");
        let want = six_of_three_types(&p, seal);
        let f = frames(&p);
        flip_byte(&p, f[1].0 + f[1].1 - 1);
        let (got, damages) = read_skipping(&p.to_path_buf());
        let seqs: Vec<u64> = got.iter().map(|r| r.0).collect();
        assert_eq!(seqs, [0, 2, 3, 4, 5], "sealed {seal}: {got:?}");
        assert_eq!((got[1].1.as_str(), got[4].1.as_str()), ("c", "c"));
        assert_eq!(got[1].2, want[2].2);
        let lost: Vec<(u64, u64)> = damages.iter().map(|d| (d.from_seq, d.to_seq)).collect();
        assert_eq!(lost, [(1, 2)], "sealed {seal}");
    }
}

/// The segment's first record is damaged: every record after it is
/// returned or listed among the damages, the last one included.
#[test]
fn a_damaged_first_record_loses_only_itself() {
    for seal in [false, true] {
        let t = TempDir::new("first-lost");
        let p = t.join("seg.binlog");
        six_of_three_types(&p, seal);
        let f = frames(&p);
        flip_byte(&p, f[0].0 + f[0].1 - 1);
        let (got, damages) = read_skipping(&p.to_path_buf());
        let seqs: Vec<u64> = got.iter().map(|r| r.0).collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5], "sealed {seal}: {got:?}");
        let lost: Vec<(u64, u64, u64)> = damages
            .iter()
            .map(|d| (d.offset, d.from_seq, d.to_seq))
            .collect();
        assert_eq!(lost, [(f[0].0, 0, 1)], "sealed {seal}");
    }
}
