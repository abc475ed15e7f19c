//! Skipping damaged regions: by default a reader stops at corruption in the
//! middle with an error naming the file and offset; asked to, it resumes at
//! the next valid record and reports what it skipped.

use binlog::{Damage, ErrorKind, Options, Reader, Record, Writer};
use std::path::PathBuf;

fn seg(name: &str, records: u64, seal: bool) -> (PathBuf, Vec<u64>) {
    let dir = std::env::temp_dir().join(format!("binlog-resync-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
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
    (path, offsets)
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
        let (p, offs) = seg(if sealed { "s" } else { "u" }, 20, sealed);
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
    let (p, offs) = seg("lost", 12, false);
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
    let (p, offs) = seg("lost-id", 12, false);
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
    let (p, offs) = seg("many", 30, true);
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
        let (p, offs) = seg(&format!("hdr{at}"), 10, true);
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
    let (p, _) = seg("sound", 5, true);
    let r = Reader::open_salvage(&p).unwrap();
    assert!(r.damages().is_empty());
    assert!(r.seal().is_some());
}
