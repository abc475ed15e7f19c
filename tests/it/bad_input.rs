//! Bad input on real files: every kind of damage gets its own error kind and a
//! message naming the file (and offset), and nothing already written is lost:
//! a reader returns every good record before the damage, and a writer either
//! refuses without touching the file or cuts only a torn tail, after backing
//! it up.

use crate::common;

use binlog::{Durability, Entry, ErrorKind, Options, Reader, Tail, Writer};
use common::*;
use std::io::IoSlice;
use std::path::Path;
use std::time::Duration;

/// A segment header with every variable field used, so header damage has
/// strings and parameters to land in.
fn header_opts() -> Options {
    Options {
        log_name: "orders".into(),
        content_type: "application/x-test".into(),
        params: vec![
            ("host".into(), "h1".into()),
            ("ключ".into(), "значение".into()),
        ],
        first_seq: 0,
        ..Options::default()
    }
}

fn flip(bytes: &[u8], bit: usize) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[bit / 8] ^= 1 << (bit % 8);
    b
}

fn set_major_fix_crc(bytes: &mut [u8], major: u16, minor: u16) {
    bytes[8..10].copy_from_slice(&major.to_le_bytes());
    bytes[10..12].copy_from_slice(&minor.to_le_bytes());
    let hl = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let crc = crc32fast::hash(&bytes[..hl - 4]);
    bytes[hl - 4..hl].copy_from_slice(&crc.to_le_bytes());
}

/// Asserts Writer::open refuses `path` with `kind`, leaves its bytes as they
/// were, creates no other file, and holds no lock afterwards.
fn assert_writer_refuses(dir: &TempDir, path: &Path, kind: ErrorKind) {
    let before = read_bytes(path);
    let names = dir.names();
    for attempt in 0..2 {
        let e = Writer::open(path, Options::default())
            .err()
            .unwrap_or_else(|| {
                panic!(
                    "Writer::open accepted {} (attempt {attempt})",
                    path.display()
                )
            });
        // The second attempt also proves the first released its lock.
        assert_eq!(e.kind(), kind, "attempt {attempt}: {e}");
        assert_names(&e, path);
    }
    assert!(
        read_bytes(path) == before,
        "Writer::open modified {}",
        path.display()
    );
    assert_eq!(dir.names(), names, "Writer::open created or removed files");
}

#[test]
fn missing_file_is_not_found() {
    let dir = TempDir::new("missing");
    let p = dir.join("nope.binlog");
    let e = Reader::open(&p).err().expect("opened a missing file");
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_names(&e, &p);
    assert!(!p.exists(), "Reader::open created the file");

    // A writer creates a missing segment, but not a missing directory.
    let q = dir.join("no-such-dir").join("seg.binlog");
    let e = Writer::open(&q, Options::default())
        .err()
        .expect("writer in a missing directory");
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_names(&e, &q);
    assert!(!dir.join("no-such-dir").exists());
    assert!(dir.names().is_empty(), "files appeared: {:?}", dir.names());
}

#[test]
fn foreign_file_is_not_a_binlog() {
    let dir = TempDir::new("foreign");
    let cases: [(&str, &[u8]); 4] = [
        (
            "text",
            b"hello, this is a text file and certainly not a segment\n",
        ),
        ("short", b"abc"),
        ("png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01"),
        (
            "almost-magic",
            b"\x89BLG\r\n\x1a\r\x01\x00\x00\x00 plenty of bytes after a wrong last magic byte",
        ),
    ];
    for (name, bytes) in cases {
        let p = dir.join(name);
        write_bytes(&p, bytes);
        let e = Reader::open(&p)
            .err()
            .unwrap_or_else(|| panic!("{name}: read as a segment"));
        assert_eq!(e.kind(), ErrorKind::NotABinlog, "{name}: {e}");
        assert_names_at(&e, &p, 0);
        assert_writer_refuses(&dir, &p, ErrorKind::NotABinlog);
    }
}

#[test]
fn empty_file_and_header_cut_at_every_length_are_truncated() {
    let dir = TempDir::new("cuthdr");
    let full = dir.join("full.binlog");
    make_sealed(&full, 3, header_opts());
    let bytes = read_bytes(&full);
    let header_len = Reader::open(&full).unwrap().data_start() as usize;
    assert!(header_len > 60 && header_len < bytes.len());

    let p = dir.join("cut.binlog");
    for cut in 0..header_len {
        write_bytes(&p, &bytes[..cut]);
        let e = Reader::open(&p)
            .err()
            .unwrap_or_else(|| panic!("header cut at {cut} was read"));
        assert_eq!(e.kind(), ErrorKind::Truncated, "cut at {cut}: {e}");
        assert_names_at(&e, &p, cut as u64);

        // A writer that died while creating the segment left this: a new
        // writer starts the segment again, keeping the cut bytes as a backup.
        let opts = Options {
            first_seq: 500,
            ..Options::default()
        };
        let w = Writer::open(&p, opts).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        assert_eq!(w.next_seq(), 500, "cut at {cut}");
        assert_eq!(w.write("t", b"after").unwrap(), 500);
        w.close().unwrap();
        let out = read_all(&p).unwrap();
        assert_eq!(out.recs.len(), 1, "cut at {cut}");
        assert_eq!(
            (out.recs[0].seq, &out.recs[0].payload[..]),
            (500, &b"after"[..])
        );
        let b = backup_path(&p, 0);
        if cut == 0 {
            assert!(!b.exists(), "backup of an empty file");
        } else {
            assert_eq!(
                read_bytes(&b),
                &bytes[..cut],
                "backup of header cut at {cut}"
            );
            std::fs::remove_file(&b).unwrap();
        }
        std::fs::remove_file(&p).unwrap();
    }
}

#[test]
fn other_major_version_is_unsupported_and_other_minor_reads() {
    let dir = TempDir::new("major");
    let p = dir.join("seg.binlog");
    let wants = make_sealed(&p, 10, header_opts());
    let good = read_bytes(&p);

    for major in [0u16, 2, 0xffff] {
        let mut b = good.clone();
        set_major_fix_crc(&mut b, major, 0);
        write_bytes(&p, &b);
        let e = Reader::open(&p)
            .err()
            .unwrap_or_else(|| panic!("major {major} was read"));
        assert_eq!(
            e.kind(),
            ErrorKind::UnsupportedVersion,
            "major {major}: {e}"
        );
        assert_names(&e, &p);
        assert!(
            e.message().contains(&format!("{major}.0")),
            "version not named: {e}"
        );
        assert_writer_refuses(&dir, &p, ErrorKind::UnsupportedVersion);
    }

    // Control: the same rewrite with major 1 and a later minor reads fine,
    // so the cases above fail because of the major alone.
    let mut b = good.clone();
    set_major_fix_crc(&mut b, 1, 7);
    write_bytes(&p, &b);
    let r = Reader::open(&p).unwrap();
    assert_eq!((r.header().major, r.header().minor), (1, 7));
    drop(r);
    assert_holds(&p, &wants, Tail::Sealed);
}

/// The kind a single flipped bit of the header must produce.
fn expected_header_kind(byte: usize) -> ErrorKind {
    match byte {
        0..=7 => ErrorKind::NotABinlog,
        8..=9 => ErrorKind::UnsupportedVersion,
        _ => ErrorKind::CorruptHeader,
    }
}

#[test]
fn header_bit_flips_are_reported_by_kind() {
    let dir = TempDir::new("hdrflip");
    let p = dir.join("seg.binlog");
    make_sealed(&p, 5, header_opts());
    let good = read_bytes(&p);
    let header_len = Reader::open(&p).unwrap().data_start() as usize;

    let mut wrong = Vec::new();
    for bit in 0..header_len * 8 {
        write_bytes(&p, &flip(&good, bit));
        let want = expected_header_kind(bit / 8);
        match Reader::open(&p) {
            Ok(_) => wrong.push(format!("bit {bit} (byte {}): accepted", bit / 8)),
            Err(e) if e.kind() != want => wrong.push(format!(
                "bit {bit} (byte {}): {:?} instead of {want:?}: {e}",
                bit / 8,
                e.kind()
            )),
            Err(e) => assert_names(&e, &p),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} header bit flips misreported (file of {} bytes, header {header_len}):\n{}",
        wrong.len(),
        header_len * 8,
        good.len(),
        wrong.join("\n")
    );
}

/// Whether the reader's kind for each flip is right is the test above; this
/// one checks that a writer refuses every damaged header with the reader's
/// kind, and never rewrites or cuts the segment (its records would be lost).
#[test]
fn writer_refuses_a_damaged_header_and_leaves_the_file_untouched() {
    let dir = TempDir::new("hdrflipw");
    let p = dir.join("seg.binlog");
    let wants = make_sealed(&p, 5, header_opts());
    let good = read_bytes(&p);
    let header_len = Reader::open(&p).unwrap().data_start() as usize;

    let mut wrong = Vec::new();
    for bit in 0..header_len * 8 {
        let bad = flip(&good, bit);
        write_bytes(&p, &bad);
        let reader_kind = Reader::open(&p).err().map(|e| e.kind());
        match Writer::open(&p, Options::default()) {
            Ok(w) => {
                let next = w.next_seq();
                drop(w);
                wrong.push(format!(
                    "bit {bit} (byte {}): Writer::open accepted the segment (next_seq {next}, {} records written before)",
                    bit / 8,
                    wants.len()
                ));
            }
            Err(e) => {
                if Some(e.kind()) != reader_kind {
                    wrong.push(format!(
                        "bit {bit}: writer refused with {:?}, reader with {reader_kind:?}: {e}",
                        e.kind()
                    ));
                }
                if !e.message().contains(&p.display().to_string()) {
                    wrong.push(format!("bit {bit}: message does not name the file: {e}"));
                }
            }
        }
        if read_bytes(&p) != bad {
            wrong.push(format!(
                "bit {bit} (byte {}): Writer::open modified the file",
                bit / 8
            ));
        }
        let extra: Vec<String> = dir
            .names()
            .into_iter()
            .filter(|n| n != "seg.binlog")
            .collect();
        if !extra.is_empty() {
            wrong.push(format!("bit {bit}: left {extra:?}"));
            for n in extra {
                std::fs::remove_file(dir.join(&n)).unwrap();
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} header bit flips were not refused cleanly:\n{}",
        wrong.len(),
        header_len * 8,
        wrong.join("\n")
    );
}

#[test]
fn corrupt_record_in_the_middle_is_reported_with_both_offsets() {
    let dir = TempDir::new("middle");
    let p = dir.join("seg.binlog");
    for sealed in [false, true] {
        let wants = if sealed {
            make_sealed(&p, 30, Options::default())
        } else {
            make_unsealed(&p, 30).0
        };
        let good = read_bytes(&p);
        let clean = read_all(&p).unwrap();
        assert_eq!(
            clean.end,
            Ok(if sealed { Tail::Sealed } else { Tail::Unsealed })
        );
        // The first record, one in the middle, and the one before the last
        // (damage to the last record of an unsealed segment is a torn tail).
        for k in [0, 15, 28] {
            let bad_at = clean.recs[k].offset;
            let next_at = clean.recs[k + 1].offset;
            assert_eq!(bad_at + clean.recs[k].frame_len, next_at);
            // Every byte of record k, with a low and a high bit flipped.
            for at in bad_at..next_at {
                for mask in [0x01u8, 0x80] {
                    let mut b = good.clone();
                    b[at as usize] ^= mask;
                    write_bytes(&p, &b);
                    let ctx = format!(
                        "{} segment, byte {at} ^ {mask:#x} (record {k} at {bad_at}..{next_at})",
                        if sealed { "sealed" } else { "unsealed" }
                    );
                    let out = read_all(&p).unwrap();
                    let got = out.wants();
                    assert_eq!(got, wants[..k], "{ctx}: records before the damage");
                    let e = out
                        .end
                        .err()
                        .unwrap_or_else(|| panic!("{ctx}: damage in the middle not reported"));
                    assert_eq!(e.kind(), ErrorKind::Corrupt, "{ctx}: {e}");
                    assert_names(&e, &p);
                    assert!(
                        e.message().contains(&format!("offset {bad_at}:")),
                        "{ctx}: offset of the bad record missing: {e}"
                    );
                    assert!(
                        e.message().contains(&format!("offset {next_at}")),
                        "{ctx}: next valid record's offset missing: {e}"
                    );
                    assert_writer_refuses(&dir, &p, ErrorKind::Corrupt);
                }
            }
        }
        std::fs::remove_file(&p).unwrap();
    }
}

/// An unsealed segment cut at every offset of its records (one in
/// `BINLOG_STRIDE`): a reader returns the whole records before the cut and
/// a torn tail after them; a writer backs the torn bytes up, cuts them and
/// goes on with the next sequence number.
#[test]
fn unsealed_segment_cut_at_every_offset_keeps_whole_records_and_backs_up_the_rest() {
    let dir = TempDir::new("cutrec");
    let src = dir.join("src.binlog");
    let (wants, end) = make_unsealed(&src, 12);
    let good = read_bytes(&src);
    let clean = read_all(&src).unwrap();
    let data_start = Reader::open(&src).unwrap().data_start();
    assert_eq!(clean.recs.first().unwrap().offset, data_start);
    // Offsets where records start, and the end of the last one.
    let mut bounds: Vec<u64> = clean.recs.iter().map(|r| r.offset).collect();
    bounds.push(end);

    let p = dir.join("seg.binlog");
    for cut in positions(data_start..end) {
        write_bytes(&p, &good[..cut as usize]);
        let whole = bounds.iter().filter(|&&b| b <= cut).count() - 1;
        let torn_at = bounds[whole];
        // The torn bytes run to the last one that is not zero: zeros after
        // them are a durable writer's prepared space (docs/FORMAT.md
        // section 10). Torn bytes that are all zeros end the records.
        let torn_len = good[torn_at as usize..cut as usize]
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |i| i as u64 + 1);
        let at_boundary = torn_len == 0;
        let ctx = format!("cut at {cut} ({whole} whole records)");

        let out = read_all(&p).unwrap();
        let got = out.wants();
        assert_eq!(got, wants[..whole], "{ctx}");
        let want_tail = if at_boundary {
            Tail::Unsealed
        } else {
            Tail::Torn {
                offset: torn_at,
                len: torn_len,
            }
        };
        assert_eq!(out.end, Ok(want_tail), "{ctx}");

        let w = Writer::open(&p, Options::default()).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(w.next_seq(), whole as u64, "{ctx}");
        let b = backup_path(&p, torn_at);
        if at_boundary {
            assert!(!b.exists(), "{ctx}: backup without a torn tail");
        } else {
            assert_eq!(
                read_bytes(&b),
                &good[torn_at as usize..(torn_at + torn_len) as usize],
                "{ctx}: backup"
            );
        }
        assert_eq!(
            std::fs::metadata(&p).unwrap().len(),
            torn_at,
            "{ctx}: cut point"
        );
        // Continue with the records that were lost, then one more: the type
        // table was rebuilt right (a type whose defining record was cut off
        // gets defined again).
        for x in &wants[whole..] {
            assert_eq!(put(&w, x).unwrap(), x.seq, "{ctx}");
        }
        let extra = want(wants.len() as u64);
        assert_eq!(put(&w, &extra).unwrap(), extra.seq, "{ctx}");
        w.close().unwrap();
        let mut all = wants.clone();
        all.push(extra);
        assert_holds(&p, &all, Tail::Sealed);
        std::fs::remove_file(&p).unwrap();
        let _ = std::fs::remove_file(&b);
    }
}

/// Zeros after the records are a durable writer's prepared space
/// (docs/FORMAT.md section 10): the records' end, not damage. Torn bytes
/// before them are a torn tail of those bytes only; zeros with valid
/// records after them (a power loss that kept later pages but not earlier
/// ones) are damage in the middle, which hides none of those records.
#[test]
fn zeros_after_the_records_are_their_end_and_the_writer_continues() {
    let dir = TempDir::new("zeros");
    // (a) 4096 zero bytes after the last record.
    let p = dir.join("append.binlog");
    let (wants, end) = make_unsealed(&p, 20);
    let mut b = read_bytes(&p);
    b.extend_from_slice(&[0u8; 4096]);
    write_bytes(&p, &b);
    let out = read_all(&p).unwrap();
    assert_eq!(out.wants(), wants);
    assert_eq!(out.end, Ok(Tail::Unsealed));
    let w = Writer::open(&p, Options::default()).unwrap();
    assert_eq!(w.next_seq(), 20);
    assert!(!backup_path(&p, end).exists(), "zeros backed up as damage");
    assert_eq!(std::fs::metadata(&p).unwrap().len(), end, "zeros not cut");
    let more = want(20);
    assert_eq!(put(&w, &more).unwrap(), 20);
    w.close().unwrap();
    let mut all = wants.clone();
    all.push(more);
    assert_holds(&p, &all, Tail::Sealed);

    // (b) the last record's bytes never reached the disk: they read back
    // as zeros, like those after them. That record was never durable (its
    // sync would have written it); nothing is left to back up.
    let q = dir.join("hole.binlog");
    let (wants, _) = make_unsealed(&q, 20);
    let last = read_all(&q).unwrap().recs.last().unwrap().offset;
    let mut b = read_bytes(&q);
    b[last as usize..].fill(0);
    b.extend_from_slice(&[0u8; 4096]);
    write_bytes(&q, &b);
    let out = read_all(&q).unwrap();
    assert_eq!(out.wants(), wants[..19]);
    assert_eq!(out.end, Ok(Tail::Unsealed));
    let w = Writer::open(&q, Options::default()).unwrap();
    assert_eq!(w.next_seq(), 19);
    assert!(!backup_path(&q, last).exists());
    assert_eq!(put(&w, &wants[19]).unwrap(), 19);
    w.close().unwrap();
    assert_holds(&q, &wants, Tail::Sealed);

    // (c) half a record, then zeros: a torn tail of the record's bytes
    // only; they are backed up, the zeros are cut without a backup.
    let r = dir.join("torn.binlog");
    let (wants, end) = make_unsealed(&r, 20);
    let last = read_all(&r).unwrap().recs.last().unwrap().offset;
    let half = (end - last) / 2;
    let mut b = read_bytes(&r);
    b[(last + half) as usize..].fill(0);
    b[(last + half) as usize - 1] = 0xee;
    b.extend_from_slice(&[0u8; 4096]);
    write_bytes(&r, &b);
    let out = read_all(&r).unwrap();
    assert_eq!(
        out.end,
        Ok(Tail::Torn {
            offset: last,
            len: half
        })
    );
    let w = Writer::open(&r, Options::default()).unwrap();
    assert_eq!(w.next_seq(), 19);
    assert_eq!(
        read_bytes(&backup_path(&r, last)),
        &b[last as usize..(last + half) as usize]
    );
    assert_eq!(std::fs::metadata(&r).unwrap().len(), last);
    assert_eq!(put(&w, &wants[19]).unwrap(), 19);
    w.close().unwrap();
    assert_holds(&r, &wants, Tail::Sealed);

    // (d) zeros, then bytes that are not a record, then zeros: a torn tail
    // from the first zero to the last byte that is not zero.
    let g = dir.join("garbage.binlog");
    let (wants, end) = make_unsealed(&g, 20);
    let mut b = read_bytes(&g);
    b.extend_from_slice(&[0u8; 3000]);
    b.extend_from_slice(&[0x5a; 100]);
    b.extend_from_slice(&[0u8; 5000]);
    write_bytes(&g, &b);
    let out = read_all(&g).unwrap();
    assert_eq!(out.recs.len(), 20);
    assert_eq!(
        out.end,
        Ok(Tail::Torn {
            offset: end,
            len: 3100
        })
    );
    let w = Writer::open(&g, Options::default()).unwrap();
    assert_eq!(w.next_seq(), 20);
    assert_eq!(
        read_bytes(&backup_path(&g, end)),
        &b[end as usize..end as usize + 3100]
    );
    w.close().unwrap();
    assert_holds(&g, &wants, Tail::Sealed);
}

/// A zero page between valid records (power loss kept a later page of
/// records written into prepared space but not an earlier one): damage in
/// the middle. A scan reports it with the offset of the next valid record,
/// reopening refuses rather than cut the records after it, and a reader
/// that skips damage reads them all.
#[test]
fn zero_page_between_records_is_damage_that_hides_no_record() {
    let dir = TempDir::new("zero-page");
    let m = dir.join("middle.binlog");
    make_unsealed(&m, 20);
    let recs = read_all(&m).unwrap().recs;
    let mut b = read_bytes(&m);
    b[recs[5].offset as usize..recs[7].offset as usize].fill(0);
    b.extend_from_slice(&[0u8; 4096]);
    write_bytes(&m, &b);
    let err = read_all(&m).unwrap().end.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    assert!(err.message().contains(&recs[7].offset.to_string()), "{err}");
    let err = Writer::open(&m, Options::default()).err().expect("refused");
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    assert_eq!(read_bytes(&m), b, "a refused reopen changed the file");
    let mut r = Reader::open(&m).unwrap();
    r.skip_damaged(true);
    let seqs: Vec<u64> = std::iter::from_fn(|| r.next().unwrap().map(|x| x.seq)).collect();
    assert_eq!(seqs, (0..5).chain(7..20).collect::<Vec<u64>>());
    assert_eq!(r.tail(), Tail::Unsealed);
}

/// A record torn by a crash while it was written, whose payload carries a
/// whole frame of another segment (a relay that stores the records it read,
/// verbatim) numbered as the torn record itself: the scan must not take the
/// carried frame for records that continue after damage. It is a torn tail,
/// backed up and cut, and the writer goes on; with a second carried frame
/// numbered as the next record, the same. Cut right after the carried
/// frames: still torn with one (numbered as the torn record, it is part of
/// it); with the second (nothing shows it is not the next record) the
/// conservative answer stays: corruption in the middle, nothing cut.
#[test]
fn torn_record_carrying_a_whole_frame_is_a_torn_tail() {
    let dir = TempDir::new("carried");
    // The frames to carry: records 3 and 4 of another segment.
    let src = dir.join("src.binlog");
    let sw = Writer::open(
        &src,
        Options {
            first_seq: 3,
            ..Options::default()
        },
    )
    .unwrap();
    sw.write("t", b"source record 3").unwrap();
    sw.write("t", b"source record 4").unwrap();
    sw.close().unwrap();
    let src_bytes = read_bytes(&src);
    let src_recs = read_all(&src).unwrap().recs;
    let frame_of =
        |r: &Rec| src_bytes[r.offset as usize..(r.offset + r.frame_len) as usize].to_vec();
    let (f3, f4) = (frame_of(&src_recs[0]), frame_of(&src_recs[1]));

    for (name, carried) in [("one", f3.clone()), ("two", [f3.clone(), f4].concat())] {
        let p = dir.join(format!("{name}.binlog"));
        let w = Writer::open(&p, Options::default()).unwrap();
        for i in 0..3u8 {
            w.write("t", &[i]).unwrap();
        }
        let start = w.bytes();
        let payload = [&[0xAB; 64][..], &carried, &[0xCD; 4096][..]].concat();
        w.write("relay", &payload).unwrap();
        w.close().unwrap();
        let whole = read_bytes(&p);
        // Where the carried frames end in the file, and a cut 20 bytes on.
        let carried_end = start as usize
            + whole[start as usize..]
                .windows(carried.len())
                .position(|x| x == carried.as_slice())
                .expect("carried frames in the file")
            + carried.len();
        let cut = carried_end + 20;
        write_bytes(&p, &whole[..cut]);
        let out = read_all(&p).unwrap();
        assert_eq!(
            out.recs.len(),
            3,
            "{name}: the three records before the torn one"
        );
        assert_eq!(
            out.end,
            Ok(Tail::Torn {
                offset: start,
                len: cut as u64 - start
            }),
            "{name}"
        );
        let w = Writer::open(&p, Options::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(w.next_seq(), 3, "{name}");
        assert_eq!(
            read_bytes(&backup_path(&p, start)),
            whole[start as usize..cut],
            "{name}"
        );
        w.write("t", b"after").unwrap();
        w.close().unwrap();
        let after = read_all(&p).unwrap();
        assert_eq!(after.end, Ok(Tail::Sealed), "{name}");
        assert_eq!(after.recs.len(), 4, "{name}");

        // Cut right after the carried frames. Frame 3 is numbered as the
        // torn record itself: part of it, so one carried frame is still a
        // torn tail (what a live reader sees while the writer has written
        // half of the record). Frame 4 after it could be a record that
        // follows a damaged length: nothing is cut.
        let q = dir.join(format!("{name}-exact.binlog"));
        write_bytes(&q, &whole[..carried_end]);
        let out = read_all(&q).unwrap();
        assert_eq!(out.recs.len(), 3, "{name}");
        if name == "one" {
            assert_eq!(
                out.end,
                Ok(Tail::Torn {
                    offset: start,
                    len: carried_end as u64 - start
                })
            );
        } else {
            let e = out.end.expect_err("ambiguous damage reported, not cut");
            assert_eq!(e.kind(), ErrorKind::Corrupt, "{name}: {e}");
            assert_writer_refuses(&dir, &q, ErrorKind::Corrupt);
        }
    }
}

/// Where the parts of a seal are, from the trailer and the directory.
struct SealLayout {
    records_end: u64,
    arrays: (u64, u64),
    sparse: (u64, u64),
    dir: (u64, u64),
    trailer: (u64, u64),
}

fn seal_layout(path: &Path) -> SealLayout {
    let b = read_bytes(path);
    let len = b.len() as u64;
    let t = &b[b.len() - 32..];
    let dir_offset = u64::from_le_bytes(t[8..16].try_into().unwrap());
    let dir_len = u32::from_le_bytes(t[16..20].try_into().unwrap()) as u64;
    let r = Reader::open(path).unwrap();
    let d = r.seal().expect("sealed").clone();
    let first_array = d.types.iter().map(|t| t.array_offset).min().unwrap();
    assert_eq!(
        first_array,
        d.records_end + 17,
        "SEAL_BEGIN frame is 17 bytes"
    );
    assert_eq!(dir_offset, d.sparse_offset + d.sparse_count * 24);
    assert_eq!(dir_offset + dir_len, len - 32);
    SealLayout {
        records_end: d.records_end,
        arrays: (first_array, d.sparse_offset),
        sparse: (d.sparse_offset, dir_offset),
        dir: (dir_offset, dir_offset + dir_len),
        trailer: (len - 32, len),
    }
}

/// Each byte of each part of the seal damaged in turn (one in
/// `BINLOG_STRIDE`, and the last of each part): every record is still
/// read, whole and in order.
#[test]
fn damaged_seal_still_yields_every_record() {
    let dir = TempDir::new("seal");
    let p = dir.join("seg.binlog");
    // A small sparse interval so the sparse index has several entries.
    let wants = make_sealed(
        &p,
        60,
        Options {
            sparse_interval: 300,
            ..Options::default()
        },
    );
    let good = read_bytes(&p);
    let l = seal_layout(&p);
    assert!(
        l.sparse.1 - l.sparse.0 >= 3 * 24,
        "sparse index too small to test"
    );
    let quotes: Vec<Want> = wants
        .iter()
        .filter(|w| w.type_name == "quote")
        .cloned()
        .collect();

    let regions = [
        ("seal-begin frame", (l.records_end, l.arrays.0)),
        ("per-type arrays", l.arrays),
        ("sparse index", l.sparse),
        ("directory", l.dir),
        ("trailer", l.trailer),
    ];
    for (region, (from, to)) in regions {
        assert!(from < to, "{region} is empty");
        for at in positions(from..to) {
            let ctx = format!("{region}: byte {at} flipped");
            let mut b = good.clone();
            b[at as usize] ^= 0x04;
            write_bytes(&p, &b);

            let out = read_all(&p).unwrap();
            if let Err(e) = &out.end {
                panic!("{ctx}: {e}");
            }
            assert_eq!(out.wants(), wants, "{ctx}");

            let mut r = Reader::open(&p).unwrap();
            r.filter_types(&["quote"]);
            let out = drain(&mut r);
            assert!(out.end.is_ok(), "{ctx}: filter: {:?}", out.end);
            assert_eq!(out.wants(), quotes, "{ctx}: filter");

            let mut r = Reader::open(&p).unwrap();
            for target in [0u64, 31, 59] {
                r.seek_seq(target)
                    .unwrap_or_else(|e| panic!("{ctx}: seek {target}: {e}"));
                let rec = r
                    .next()
                    .unwrap()
                    .unwrap_or_else(|| panic!("{ctx}: seek {target}: end"));
                assert_eq!(rec.seq, target, "{ctx}: seek");
                assert_eq!(
                    rec.payload,
                    &wants[target as usize].payload[..],
                    "{ctx}: seek"
                );
            }
            drop(r);

            // The first byte of each part: a writer takes the segment over
            // without losing a record.
            if at == from {
                let w =
                    Writer::open(&p, Options::default()).unwrap_or_else(|e| panic!("{ctx}: {e}"));
                assert_eq!(w.next_seq(), 60, "{ctx}");
                let more = want(60);
                assert_eq!(put(&w, &more).unwrap(), 60);
                w.close().unwrap();
                let mut all = wants.clone();
                all.push(more);
                assert_holds(&p, &all, Tail::Sealed);
                for n in dir.names().into_iter().filter(|n| n != "seg.binlog") {
                    std::fs::remove_file(dir.join(&n)).unwrap();
                }
            }
        }
    }
}

/// A writer that died while sealing leaves the seal cut anywhere (here at
/// one offset in `BINLOG_STRIDE`): the records are all still there, and a
/// new writer takes over without a gap.
#[test]
fn seal_cut_at_every_offset_still_yields_every_record() {
    let dir = TempDir::new("sealcut");
    let src = dir.join("src.binlog");
    let wants = make_sealed(
        &src,
        20,
        Options {
            sparse_interval: 200,
            ..Options::default()
        },
    );
    let good = read_bytes(&src);
    let records_end = Reader::open(&src).unwrap().seal().unwrap().records_end;
    let p = dir.join("seg.binlog");
    for cut in positions(records_end..good.len() as u64) {
        let ctx = format!(
            "seal cut at {cut} (records end at {records_end}, file {})",
            good.len()
        );
        write_bytes(&p, &good[..cut as usize]);
        let out = read_all(&p).unwrap();
        assert_eq!(out.wants(), wants, "{ctx}");
        match out.end {
            Ok(Tail::Reading) | Ok(Tail::Sealed) => panic!("{ctx}: ends with {:?}", out.end),
            Ok(_) => {}
            Err(e) => panic!("{ctx}: {e}"),
        }
        let mut r = Reader::open(&p).unwrap();
        r.filter_types(&["quote"]);
        let got = drain(&mut r);
        assert!(got.end.is_ok(), "{ctx}: filter: {:?}", got.end);
        assert_eq!(
            got.recs.len(),
            wants.iter().filter(|w| w.type_name == "quote").count(),
            "{ctx}: filter"
        );
        drop(r);

        let w = Writer::open(&p, Options::default()).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(w.next_seq(), 20, "{ctx}");
        assert_eq!(
            std::fs::metadata(&p).unwrap().len(),
            records_end,
            "{ctx}: seal not removed"
        );
        let more = want(20);
        assert_eq!(put(&w, &more).unwrap(), 20, "{ctx}");
        w.close().unwrap();
        let mut all = wants.clone();
        all.push(more);
        assert_holds(&p, &all, Tail::Sealed);
        for n in dir.names().into_iter().filter(|n| n != "src.binlog") {
            std::fs::remove_file(dir.join(&n)).unwrap();
        }
    }
}

#[test]
fn oversized_records_are_refused_at_the_exact_limit_and_the_writer_continues() {
    let dir = TempDir::new("big");
    let p = dir.join("seg.binlog");
    let opts = Options {
        max_record_size: 1024,
        buffer_size: 256,
        durability: Durability::EveryRecord,
        ..Options::default()
    };
    let w = Writer::open(&p, opts).unwrap();
    let mut wrote: Vec<(u64, Vec<u8>)> = Vec::new();
    let ok = |w: &Writer, payload: Vec<u8>, wrote: &mut Vec<(u64, Vec<u8>)>| {
        let seq = w.write("t", &payload).unwrap();
        assert_eq!(seq, wrote.len() as u64, "sequence numbers have a gap");
        wrote.push((seq, payload));
    };
    ok(&w, b"defines the type".to_vec(), &mut wrote);
    // A later record of type "t": 8 frame bytes + 17 fixed + 1 type id.
    ok(&w, vec![1u8; 1024 - 26], &mut wrote);
    let e = w.write("t", &vec![2u8; 1024 - 25]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RecordTooLarge, "{e}");
    assert_names(&e, &p);
    assert!(
        e.message().contains("1025") && e.message().contains("1024"),
        "sizes not named: {e}"
    );
    ok(&w, b"after".to_vec(), &mut wrote);
    // A new type's first record carries its name, which counts.
    let e = w.write("new-type", &vec![3u8; 1024 - 26]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RecordTooLarge, "{e}");
    // Far too large, through the gathering path.
    let e = w
        .write_vectored("t", &[IoSlice::new(&[4u8; 700]), IoSlice::new(&[5u8; 700])])
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RecordTooLarge, "{e}");
    ok(&w, vec![6u8; 900], &mut wrote);
    // A batch with an oversized record in the middle: the records before it
    // either all reached the file or none did; the rest are not written.
    let parts: Vec<Vec<u8>> = vec![
        b"b0".to_vec(),
        b"b1".to_vec(),
        vec![7u8; 5000],
        b"b3".to_vec(),
    ];
    let slices: Vec<[&[u8]; 1]> = parts.iter().map(|p| [&p[..]]).collect();
    let batch: Vec<Entry> = slices
        .iter()
        .map(|s| Entry {
            type_name: "t",
            meta: &[],
            timestamp_ns: None,
            parts: s,
        })
        .collect();
    let e = w.write_batch(&batch).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RecordTooLarge, "{e}");
    w.flush().unwrap();
    let seen = read_all(&p).unwrap().recs.len();
    let kept = seen - wrote.len();
    assert!(kept <= 2, "{kept} records of the failed batch kept");
    assert_eq!(w.next_seq(), seen as u64, "next_seq after a failed batch");
    for b in &parts[..kept] {
        wrote.push((wrote.len() as u64, b.clone()));
    }
    ok(&w, b"last".to_vec(), &mut wrote);
    w.close().unwrap();

    let out = read_all(&p).unwrap();
    assert_eq!(out.end, Ok(Tail::Sealed));
    let got: Vec<(u64, Vec<u8>)> = out
        .recs
        .iter()
        .map(|r| (r.seq, r.payload.clone()))
        .collect();
    assert_eq!(got, wrote);
}

/// Records of exactly the maximum record size are taken, one byte more is
/// refused, in single writes and batches (the type defined by the batch's
/// first entry makes that one 2 bytes longer), buffered or not.
#[test]
fn records_of_the_maximum_size_are_taken_and_one_byte_more_is_refused() {
    let dir = TempDir::new("max");
    for bs in [0usize, 32, 64, 4096] {
        let p = dir.join(format!("max-{bs}.binlog"));
        let opts = Options {
            max_record_size: 64,
            buffer_size: bs,
            ..Options::default()
        };
        let w = Writer::open(&p, opts).unwrap();
        static P: [u8; 100] = [7; 100];
        let parts: Vec<[&[u8]; 1]> = (0..=P.len()).map(|n| [&P[..n]]).collect();
        let e = |n: &'static str, len: usize| Entry {
            type_name: n,
            meta: &[],
            timestamp_ns: Some(len as i64),
            parts: &parts[len],
        };
        // New type: 28 bytes before the payload; known: 26.
        let err = w.write_batch(&[e("t", 36), e("t", 39)]).unwrap_err();
        assert_eq!(err.kind(), binlog::ErrorKind::RecordTooLarge, "{bs}: {err}");
        assert_eq!(w.next_seq(), 0);
        let err = w.write_batch(&[e("t", 37)]).unwrap_err();
        assert_eq!(err.kind(), binlog::ErrorKind::RecordTooLarge, "{bs}: {err}");
        assert_eq!(w.write_batch(&[e("t", 36), e("t", 38)]).unwrap(), 0);
        let err = w.write("t", &P[..39]).unwrap_err();
        assert_eq!(err.kind(), binlog::ErrorKind::RecordTooLarge, "{bs}: {err}");
        assert_eq!(w.write("t", &P[..38]).unwrap(), 2);
        assert_eq!(w.write("u", &P[..36]).unwrap(), 3);
        w.close().unwrap();
        let out = read_all(&p).unwrap();
        let lens: Vec<u64> = out.recs.iter().map(|r| r.frame_len).collect();
        assert_eq!(lens, [64, 64, 64, 64], "buffer {bs}");
        assert_eq!(out.end.unwrap(), Tail::Sealed);
    }
}

#[test]
fn max_record_size_limits_are_validated() {
    let with = |n: u64| Options {
        max_record_size: n,
        ..Options::default()
    };
    with(1 << 30)
        .validate()
        .expect("1 GiB max_record_size refused");
    with((4 << 30) + 7)
        .validate()
        .expect("4 GiB + 7 (the format's limit) refused");
    with(64).validate().expect("64 refused");
    for bad in [(4u64 << 30) + 8, u64::MAX, 63, 0] {
        let e = with(bad)
            .validate()
            .err()
            .unwrap_or_else(|| panic!("max_record_size {bad} accepted"));
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad}: {e}");
    }

    // A writer with a 1 GiB limit works (and allocates nothing for it).
    let dir = TempDir::new("max1g");
    let p = dir.join("seg.binlog");
    let w = Writer::open(&p, with(1 << 30)).unwrap();
    let big = payload_bytes(1, 3 << 20);
    assert_eq!(w.write("big", &big).unwrap(), 0);
    w.close().unwrap();
    let out = read_all(&p).unwrap();
    assert_eq!(out.recs.len(), 1);
    assert!(out.recs[0].payload == big);

    let q = dir.join("refused.binlog");
    let e = Writer::open(&q, with((4 << 30) + 8))
        .err()
        .expect("4 GiB + 8 accepted by Writer::open");
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(!q.exists(), "refused Writer::open created the file");
}

fn invalid_options() -> Vec<(&'static str, Options)> {
    let d = Options::default;
    vec![
        (
            "max_record_size 63",
            Options {
                max_record_size: 63,
                ..d()
            },
        ),
        (
            "max_record_size 4 GiB + 8",
            Options {
                max_record_size: (4 << 30) + 8,
                ..d()
            },
        ),
        (
            "buffer_size above 1 GiB",
            Options {
                buffer_size: (1 << 30) + 1,
                ..d()
            },
        ),
        (
            "EveryN(0)",
            Options {
                durability: Durability::EveryN(0),
                ..d()
            },
        ),
        (
            "Interval(0)",
            Options {
                durability: Durability::Interval(Duration::ZERO),
                ..d()
            },
        ),
        (
            "sparse_interval 0",
            Options {
                sparse_interval: 0,
                ..d()
            },
        ),
        (
            "index_memory_entries 0",
            Options {
                index_memory_entries: 0,
                ..d()
            },
        ),
    ]
}

#[test]
fn invalid_options_are_refused_before_any_file_is_touched() {
    let dir = TempDir::new("opts");
    let existing = dir.join("existing.binlog");
    let wants = make_sealed(&existing, 5, Options::default());
    let before = read_bytes(&existing);
    for (what, opts) in invalid_options() {
        let e = opts
            .validate()
            .err()
            .unwrap_or_else(|| panic!("{what}: validate accepted"));
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{what}: {e}");
        let fresh = dir.join("fresh.binlog");
        let e = Writer::open(&fresh, opts.clone())
            .err()
            .unwrap_or_else(|| panic!("{what}: opened"));
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{what}: {e}");
        assert!(
            !fresh.exists(),
            "{what}: refused Writer::open created the file"
        );
        let e = Writer::open(&existing, opts)
            .err()
            .unwrap_or_else(|| panic!("{what}: opened"));
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{what}: {e}");
        assert!(
            read_bytes(&existing) == before,
            "{what}: refused Writer::open modified the segment"
        );
    }
    assert_holds(&existing, &wants, Tail::Sealed);

    // A type name longer than 4096 bytes is refused per record; the writer
    // continues without a gap.
    let w = Writer::open(dir.join("types.binlog"), Options::default()).unwrap();
    assert_eq!(w.write("ok", b"1").unwrap(), 0);
    let e = w.write(&"n".repeat(4097), b"x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert_eq!(w.write(&"n".repeat(4096), b"2").unwrap(), 1);
    w.close().unwrap();
}

#[test]
fn header_fields_too_long_for_the_format_are_refused_by_validate_without_creating_a_file() {
    let dir = TempDir::new("longhdr");
    let long = "x".repeat(65_536);
    let cases = [
        (
            "log_name",
            Options {
                log_name: long.clone(),
                ..Options::default()
            },
        ),
        (
            "content_type",
            Options {
                content_type: long.clone(),
                ..Options::default()
            },
        ),
        (
            "writer_version",
            Options {
                writer_version: long.clone(),
                ..Options::default()
            },
        ),
        (
            "param value",
            Options {
                params: vec![("k".into(), long.clone())],
                ..Options::default()
            },
        ),
    ];
    let mut wrong = Vec::new();
    for (what, opts) in cases {
        match opts.validate() {
            Ok(()) => wrong.push(format!(
                "{what} of 65536 bytes: Options::validate accepted it"
            )),
            Err(e) if e.kind() != ErrorKind::InvalidArgument => {
                wrong.push(format!("{what}: validate: {e}"))
            }
            Err(_) => {}
        }
        let p = dir.join(format!("{what}.binlog"));
        match Writer::open(&p, opts) {
            Ok(_) => wrong.push(format!("{what}: Writer::open accepted it")),
            Err(e) => {
                if e.kind() != ErrorKind::InvalidArgument {
                    wrong.push(format!("{what}: Writer::open: {e}"));
                }
                if p.exists() {
                    wrong.push(format!(
                        "{what}: refused Writer::open left a {}-byte file behind ({e})",
                        std::fs::metadata(&p).unwrap().len()
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn invalid_argument_errors_of_a_writer_name_the_file() {
    let dir = TempDir::new("optmsg");
    let mut wrong = Vec::new();
    for (what, opts) in invalid_options() {
        let p = dir.join("seg.binlog");
        let e = Writer::open(&p, opts)
            .err()
            .unwrap_or_else(|| panic!("{what}: opened"));
        if !e.message().contains(&p.display().to_string()) {
            wrong.push(format!("Writer::open with {what}: {e}"));
        }
    }
    let p = dir.join("types.binlog");
    let w = Writer::open(&p, Options::default()).unwrap();
    let e = w.write(&"n".repeat(4097), b"x").unwrap_err();
    if !e.message().contains(&p.display().to_string()) {
        wrong.push(format!("write with a 4097-byte type name: {e}"));
    }
    w.close().unwrap();
    assert!(
        wrong.is_empty(),
        "messages that do not name the file:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn write_and_flush_after_close_are_closed() {
    let dir = TempDir::new("closed");
    let p = dir.join("seg.binlog");
    let w = Writer::open(&p, Options::default()).unwrap();
    let wants: Vec<Want> = (0..5).map(want).collect();
    for x in &wants {
        put(&w, x).unwrap();
    }
    w.close().unwrap();
    let sealed = read_bytes(&p);
    let parts: [&[u8]; 1] = [b"x"];
    let checks: Vec<(&str, binlog::Result<()>)> = vec![
        ("write", w.write("t", b"x").map(drop)),
        (
            "write_with",
            w.write_with("t", &[("a", "b")], Some(1), b"x").map(drop),
        ),
        (
            "write_vectored",
            w.write_vectored("t", &[IoSlice::new(b"x")]).map(drop),
        ),
        (
            "write_batch",
            w.write_batch(&[Entry {
                type_name: "t",
                meta: &[],
                timestamp_ns: None,
                parts: &parts,
            }])
            .map(drop),
        ),
        ("flush", w.flush()),
    ];
    for (what, r) in checks {
        let e = r
            .err()
            .unwrap_or_else(|| panic!("{what} after close succeeded"));
        assert_eq!(e.kind(), ErrorKind::Closed, "{what}: {e}");
        assert_names(&e, &p);
    }
    w.close().expect("closing twice is a no-op");
    assert_eq!(w.next_seq(), 5);
    assert!(
        read_bytes(&p) == sealed,
        "calls after close changed the file"
    );
    assert_holds(&p, &wants, Tail::Sealed);
    // The lock went with close.
    Writer::open(&p, Options::default())
        .unwrap()
        .close()
        .unwrap();
}

#[test]
fn sync_after_close_is_closed() {
    let dir = TempDir::new("closedsync");
    for durability in [Durability::None, Durability::EveryRecord] {
        let p = dir.join("seg.binlog");
        let w = Writer::open(
            &p,
            Options {
                durability,
                ..Options::default()
            },
        )
        .unwrap();
        w.write("t", b"x").unwrap();
        w.close().unwrap();
        let e = w.sync().err().unwrap_or_else(|| {
            panic!("sync after close returned Ok ({durability:?}); it must return Closed like write and flush")
        });
        assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
        assert_names(&e, &p);
        std::fs::remove_file(&p).unwrap();
    }
}

/// Every bit of a small sealed segment flipped in turn (one bit in
/// `BINLOG_STRIDE`, tests/it/common/knobs.rs): a scan, each type filter and
/// seeks return exactly the records written under their sequence numbers,
/// in order, or stop with an error; a read that ends without one misses no
/// record.
#[test]
fn every_bit_flip_in_a_small_sealed_segment_is_detected_or_harmless() {
    let dir = TempDir::new("bitflip");
    let p = dir.join("seg.binlog");
    let wants = make_sealed(
        &p,
        9,
        Options {
            sparse_interval: 100,
            ..Options::default()
        },
    );
    let good = read_bytes(&p);
    assert!(
        good.len() < 2048,
        "segment of {} bytes is not small",
        good.len()
    );

    let mut detected = 0;
    let mut harmless = 0;
    let bits = positions(0..good.len() as u64 * 8);
    for &bit in &bits {
        let bit = bit as usize;
        write_bytes(&p, &flip(&good, bit));
        let ctx = format!("bit {bit} (byte {})", bit / 8);
        // Whatever comes back must be exactly what was written under that
        // sequence number: never a different record.
        let check = |recs: &[Rec], how: &str| {
            for r in recs {
                let w = wants
                    .get(r.seq as usize)
                    .unwrap_or_else(|| panic!("{ctx} {how}: invented seq {}", r.seq));
                assert_eq!(
                    &r.as_want(),
                    w,
                    "{ctx} {how}: record {} differs from what was written",
                    r.seq
                );
            }
            for pair in recs.windows(2) {
                assert!(
                    pair[0].seq < pair[1].seq,
                    "{ctx} {how}: seq {} then {}",
                    pair[0].seq,
                    pair[1].seq
                );
            }
        };
        let mut r = match Reader::open(&p) {
            Ok(r) => r,
            Err(_) => {
                detected += 1;
                continue;
            }
        };
        let out = drain(&mut r);
        check(&out.recs, "scan");
        if out.end.is_err() {
            detected += 1;
        } else {
            // No error: then nothing may be missing either.
            assert_eq!(
                out.recs.len(),
                wants.len(),
                "{ctx}: records silently dropped"
            );
            harmless += 1;
        }
        for ty in TYPES {
            let mut r = Reader::open(&p).unwrap();
            r.filter_types(&[ty]);
            let out = drain(&mut r);
            check(&out.recs, &format!("filter {ty}"));
            assert!(
                out.recs.iter().all(|x| x.type_name == ty),
                "{ctx}: filter {ty} returned another type"
            );
            if out.end.is_ok() {
                let n = wants.iter().filter(|w| w.type_name == ty).count();
                assert_eq!(
                    out.recs.len(),
                    n,
                    "{ctx}: filter {ty} silently dropped records"
                );
            }
        }
        for target in [0u64, 4, 8] {
            let mut r = Reader::open(&p).unwrap();
            if r.seek_seq(target).is_ok() {
                if let Ok(Some(rec)) = r.next() {
                    assert_eq!(rec.seq, target, "{ctx}: seek_seq({target})");
                    assert_eq!(
                        rec.payload,
                        &wants[target as usize].payload[..],
                        "{ctx}: seek_seq({target})"
                    );
                }
            }
        }
    }
    eprintln!(
        "{detected} flips detected, {harmless} harmless, of {} bits ({} flipped)",
        good.len() * 8,
        bits.len()
    );
    assert!(detected > 0);
}

/// A record numbered u64::MAX (a segment whose header starts there; no
/// writer assigns the number) is malformed: not returned, so that the
/// sequence never wraps to 0. Its CRC holds: corruption at its offset.
#[test]
fn a_record_numbered_u64_max_is_malformed() {
    use binlog::format::frame::{encode_record, RecordHead};
    let dir = TempDir::new("seq-max");
    let p = dir.join("seg.binlog");
    let opts = Options {
        first_seq: u64::MAX,
        ..Options::default()
    };
    let w = Writer::open(&p, opts).unwrap();
    assert!(w.write("t", b"x").is_err(), "sequence numbers exhausted");
    w.close().unwrap();
    // The header only: the empty segment's seal is cut off.
    let at = Reader::open(&p).unwrap().data_start();
    let head = RecordHead {
        seq: u64::MAX,
        timestamp_ns: 1,
        type_id: 0,
        define: Some(b"t"),
        meta: &[],
    };
    let mut frame = Vec::new();
    encode_record(&mut frame, &head, &[b"payload"]);
    let mut bytes = std::fs::read(&p).unwrap();
    bytes.truncate(at as usize);
    bytes.extend(&frame);
    std::fs::write(&p, &bytes).unwrap();
    let mut r = Reader::open(&p).unwrap();
    let e = r
        .next()
        .map(|r| r.map(|r| r.seq))
        .expect_err("the record was returned");
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    assert_names_at(&e, &p, at);
}
