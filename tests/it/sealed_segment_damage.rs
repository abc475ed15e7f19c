//! Damage inside a sealed segment whose seal (directory and trailer) is
//! intact: the records end where the seal says, so a damaged last record is
//! corruption, never a torn tail. A reader reports it (file and offset) and,
//! skipping, the records it lost; a writer refuses to reopen the segment and
//! changes nothing. Also: a stray `SEAL_BEGIN` frame among the records does
//! not end them when valid records follow it.

use crate::common;

use binlog::format::seal::{encode_seal_begin, read_seal};
use binlog::{Damage, ErrorKind, Options, Reader, Tail, Writer};
use common::{assert_names_at, frames, read_recs, write_types, Recs, TempDir};
use std::path::Path;

/// Damages done to a sealed segment of records of `types`: the name, and
/// the change to the file's bytes given the records' frames (offset, length)
/// and where the records end.
type Change = (&'static str, Box<dyn Fn(&mut Vec<u8>, &[(u64, u64)], u64)>);

fn last_record_damages() -> Vec<Change> {
    vec![
        (
            "the last byte of the last record flipped",
            Box::new(|b, f, _| {
                let (off, len) = f[f.len() - 1];
                b[(off + len - 1) as usize] ^= 0x5a;
            }),
        ),
        (
            // (The records' payloads end in zero bytes: 0xee damages them.)
            "4 bytes overwritten across the end of the records and the seal's start",
            Box::new(|b, _, end| b[end as usize - 2..end as usize + 2].fill(0xee)),
        ),
        (
            "the last record's length field flipped",
            Box::new(|b, f, _| b[f[f.len() - 1].0 as usize] ^= 0x01),
        ),
    ]
}

/// Reads `path` skipping damage: the records and the damaged regions.
fn read_skipping(path: &Path) -> (Recs, Vec<Damage>, Tail) {
    let mut r = Reader::open(path).unwrap();
    r.skip_damaged(true);
    let (got, tail) = read_recs(&mut r);
    (got, r.damages().to_vec(), tail.unwrap())
}

/// The last record of a sealed segment is damaged, whether or not it is
/// the first of its type, and whether or not the damage reaches into the
/// seal: the plain reader fails at it, naming the file and offset; a
/// skipping reader returns the records before it and reports it lost up to
/// the end of the records; the tail is never torn.
#[test]
fn a_damaged_last_record_of_a_sealed_segment_is_corruption_not_a_torn_tail() {
    for types in [&["A", "B", "C"][..], &["A", "B", "A"][..]] {
        for (what, damage) in last_record_damages() {
            let ctx = format!("{types:?}, {what}");
            let dir = TempDir::new("sealed-last");
            let p = dir.join("seg.binlog");
            let want = write_types(&p, types, Options::default());
            let f = frames(&p);
            let mut bytes = std::fs::read(&p).unwrap();
            let end = read_seal(&bytes, f[0].0 as usize).unwrap().records_end;
            damage(&mut bytes, &f, end);
            std::fs::write(&p, &bytes).unwrap();

            let mut r = Reader::open(&p).unwrap();
            let (got, res) = read_recs(&mut r);
            assert_eq!(got, want[..2], "{ctx}");
            let err = res.expect_err(&ctx);
            assert!(err.contains(&format!("offset {}", f[2].0)), "{ctx}: {err}");
            assert!(err.contains(&p.display().to_string()), "{ctx}: {err}");

            let (got, damages, tail) = read_skipping(&p);
            assert_eq!(got, want[..2], "{ctx}");
            let lost = Damage {
                offset: f[2].0,
                resume_offset: end,
                from_seq: 2,
                to_seq: 3,
            };
            assert_eq!(damages, [lost], "{ctx}");
            assert!(!matches!(tail, Tail::Torn { .. }), "{ctx}: {tail:?}");
        }
    }
}

/// A writer reopening such a segment (standalone, to append) refuses with
/// the corruption's error and leaves the file as it is: nothing is cut or
/// backed up, and no new record takes the damaged record's number.
#[test]
fn a_writer_refuses_a_sealed_segment_whose_last_record_is_damaged() {
    for (what, damage) in last_record_damages() {
        let dir = TempDir::new("sealed-last-writer");
        let p = dir.join("seg.binlog");
        write_types(&p, &["A", "B", "C"], Options::default());
        let f = frames(&p);
        let mut bytes = std::fs::read(&p).unwrap();
        let end = read_seal(&bytes, f[0].0 as usize).unwrap().records_end;
        damage(&mut bytes, &f, end);
        std::fs::write(&p, &bytes).unwrap();

        let err = Writer::open(&p, Options::default())
            .err()
            .unwrap_or_else(|| panic!("{what}: the writer reopened the segment"));
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{what}: {err}");
        assert_names_at(&err, &p, f[2].0);
        assert_eq!(std::fs::read(&p).unwrap(), bytes, "{what}: file changed");
        assert_eq!(dir.names(), ["seg.binlog"], "{what}: a backup was made");
    }
}

/// An unsealed segment of six records (a copy taken before its writer
/// closed it) whose record 2 is overwritten by a valid `SEAL_BEGIN` frame
/// (the rest of the record left as it was); returns the records written and
/// the record frames.
fn with_stray_seal_begin(p: &Path) -> (Recs, Vec<(u64, u64)>) {
    let w = Writer::open(p, Options::default()).unwrap();
    let mut want = Vec::new();
    for i in 0..6u64 {
        let payload = vec![i as u8; 40];
        let seq = w.write_with("t", &[], Some(i as i64), &payload).unwrap();
        want.push((seq, "t".to_string(), payload));
    }
    w.flush().unwrap();
    let copy = p.with_extension("copy");
    std::fs::copy(p, &copy).unwrap();
    w.close().unwrap();
    std::fs::rename(&copy, p).unwrap();
    let f = frames(p);
    let mut bytes = std::fs::read(p).unwrap();
    let at = f[2].0 as usize;
    let begin = encode_seal_begin(2);
    bytes[at..at + begin.len()].copy_from_slice(&begin);
    std::fs::write(p, &bytes).unwrap();
    (want, f)
}

/// Valid records after a stray `SEAL_BEGIN` frame are not hidden: the plain
/// reader reports corruption at the frame, naming where records resume; a
/// skipping reader returns them and reports the one record lost.
#[test]
fn records_after_a_stray_seal_begin_frame_are_read_and_the_frame_is_damage() {
    let dir = TempDir::new("stray-begin");
    let p = dir.join("seg.binlog");
    let (want, f) = with_stray_seal_begin(&p);

    let mut r = Reader::open(&p).unwrap();
    let (got, res) = read_recs(&mut r);
    assert_eq!(got, want[..2]);
    let err = res.expect_err("the stray SEAL_BEGIN frame is not reported");
    assert!(err.contains(&format!("offset {}", f[2].0)), "{err}");
    assert!(err.contains(&format!("offset {}", f[3].0)), "{err}");

    let (got, damages, tail) = read_skipping(&p);
    let kept: Recs = want.iter().filter(|r| r.0 != 2).cloned().collect();
    assert_eq!(got, kept);
    let lost = Damage {
        offset: f[2].0,
        resume_offset: f[3].0,
        from_seq: 2,
        to_seq: 3,
    };
    assert_eq!(damages, [lost]);
    assert_eq!(tail, Tail::Unsealed);
}

/// A writer reopening a segment with a stray `SEAL_BEGIN` frame before
/// valid records refuses (corruption in the middle) and changes nothing.
#[test]
fn a_writer_refuses_a_segment_with_records_after_a_stray_seal_begin_frame() {
    let dir = TempDir::new("stray-begin-writer");
    let p = dir.join("seg.binlog");
    let (_, f) = with_stray_seal_begin(&p);
    let bytes = std::fs::read(&p).unwrap();
    let err = Writer::open(&p, Options::default())
        .err()
        .expect("the writer reopened the segment");
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    assert_names_at(&err, &p, f[2].0);
    assert_eq!(std::fs::read(&p).unwrap(), bytes, "file changed");
    assert_eq!(dir.names(), ["seg.binlog"], "a backup was made");
}

/// A log whose newest segment is sealed with its last record damaged (the
/// first of its type): the log opens (the segment is sealed, never written
/// again) and numbers its next record after the damaged one, whose number
/// is not given to a new record.
#[test]
fn a_log_numbers_on_after_a_damaged_last_record_of_its_sealed_segment() {
    use binlog::LogWriter;
    let dir = TempDir::new("log-sealed-last");
    let w = LogWriter::open(dir.path(), "l", common::log_opts(binlog::Durability::None)).unwrap();
    for ty in ["A", "B", "C"] {
        w.write(ty, b"payload").unwrap();
    }
    w.close().unwrap();
    let seg = common::segment_paths(dir.path(), "l").pop().unwrap();
    let f = frames(&seg);
    let (off, len) = f[2];
    common::flip_byte(&seg, off + len - 1);
    let bytes = std::fs::read(&seg).unwrap();

    let w = LogWriter::open(dir.path(), "l", common::log_opts(binlog::Durability::None)).unwrap();
    assert_eq!(
        w.write("N", b"new").unwrap(),
        3,
        "a damaged record's number was reused"
    );
    w.close().unwrap();
    assert_eq!(
        std::fs::read(&seg).unwrap(),
        bytes,
        "the sealed segment changed"
    );
}
