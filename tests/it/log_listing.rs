//! A log's listing: a follower at the end of a log reads the directory
//! again only once its mtime changed (src/log/listing.rs), and segments
//! created in quick succession, within one tick of the mtime's clock, must
//! still all be found, in order, with nothing reported missing. Which names
//! are a log's files and in what order they are read (docs/FORMAT.md
//! section 14a): look-alike names ignored, a renumbered segment refused,
//! salvaged files read after their segment and removed with it.

use crate::common;

use binlog::{LogOptions, LogReader, LogWriter};
use common::TempDir;
use std::time::Duration;

#[test]
fn a_follower_finds_every_segment_of_rolls_in_quick_succession() {
    let dir = TempDir::new("listing-rolls");
    let w = LogWriter::open(dir.path(), "lg", LogOptions::default()).unwrap();
    w.write("t", b"0").unwrap();
    w.flush().unwrap();
    let mut r = LogReader::open(dir.path(), "lg").unwrap();
    assert_eq!(
        r.next_wait(Duration::from_secs(5)).unwrap().map(|x| x.seq),
        Some(0)
    );
    // Caught up: the follower polls while the writer rolls in bursts.
    let reader = std::thread::spawn(move || {
        let mut seqs = Vec::new();
        while seqs.len() < 300 {
            match r.next_wait(Duration::from_secs(10)).unwrap() {
                Some(rec) => seqs.push(rec.seq),
                None => break,
            }
        }
        (seqs, r.gaps().len())
    });
    for burst in 0..30u64 {
        for i in 0..10u64 {
            w.roll().unwrap();
            w.write("t", format!("{}", 1 + burst * 10 + i).as_bytes())
                .unwrap();
            w.flush().unwrap();
        }
        std::thread::sleep(Duration::from_millis(if burst % 2 == 0 { 1 } else { 30 }));
    }
    let (seqs, gaps) = reader.join().unwrap();
    assert_eq!(seqs, (1..=300).collect::<Vec<u64>>());
    assert_eq!(gaps, 0);
    w.close().unwrap();
}

/// A log of `segments` sealed segments of 3 records each, in `dir`.
fn log_of(dir: &std::path::Path, segments: u64) {
    let w = LogWriter::open(
        dir,
        "lg",
        LogOptions {
            max_segment_records: Some(3),
            background: false,
            ..LogOptions::default()
        },
    )
    .unwrap();
    for i in 0..segments * 3 {
        w.write("t", format!("{i}").as_bytes()).unwrap();
    }
    w.close().unwrap();
}

fn seqs(r: &mut LogReader) -> binlog::Result<Vec<u64>> {
    let mut v = Vec::new();
    while let Some(rec) = r.next()? {
        v.push(rec.seq);
    }
    Ok(v)
}

/// docs/FORMAT.md section 14a: a name that looks like a segment's but is
/// not one exactly (a number above u64::MAX, a time that does not exist,
/// a name starting with '.') is no file of the log: readers skip it, and
/// a writer numbers on from the real segments.
#[test]
fn names_that_only_look_like_segments_are_not_read_or_numbered_after() {
    let dir = TempDir::new("listing-lookalikes");
    log_of(dir.path(), 2);
    let segs = binlog::log::segments::list(dir.path(), "lg").unwrap();
    let bytes = std::fs::read(&segs[1].path).unwrap();
    let real = segs[1]
        .path
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    for fake in [
        "lg-99999999999999999999-20261121T053742Z.binlog".to_string(),
        "lg-00000000000000000007-20261131T053742Z.binlog".to_string(),
        "lg-00000000000000000007-20261121T253742Z.binlog".to_string(),
        format!(".{real}"),
    ] {
        std::fs::write(dir.path().join(&fake), &bytes).unwrap();
    }
    let mut r = LogReader::open(dir.path(), "lg").unwrap();
    assert_eq!(seqs(&mut r).unwrap(), (0..6).collect::<Vec<u64>>());
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
    let w = LogWriter::open(dir.path(), "lg", LogOptions::default()).unwrap();
    assert_eq!(w.write("t", b"next").unwrap(), 6);
    w.close().unwrap();
    let listed = binlog::log::segments::list(dir.path(), "lg").unwrap();
    assert_eq!(
        listed.iter().map(|s| s.segment_no).collect::<Vec<_>>(),
        [0, 1, 2]
    );
}

/// A segment renamed to another number (or copied in under one) would be
/// read in the place of its name, not of its records: log readers refuse
/// it, naming the file, as a segment of another log, and verification
/// reports it as `wrong-log` damage (docs/FORMAT.md 14a: readers order by
/// the name's number and compare it with the header's).
#[test]
fn a_segment_whose_name_and_header_numbers_differ_is_refused() {
    let dir = TempDir::new("listing-renumbered");
    log_of(dir.path(), 2);
    let segs = binlog::log::segments::list(dir.path(), "lg").unwrap();
    let renamed = dir
        .path()
        .join(binlog::log::naming::segment_name("lg", 5, 0));
    std::fs::rename(&segs[1].path, &renamed).unwrap();
    let mut r = LogReader::open(dir.path(), "lg").unwrap();
    let e = seqs(&mut r).unwrap_err();
    assert_eq!(e.kind(), binlog::ErrorKind::WrongLog, "{e}");
    assert_eq!(e.path(), Some(renamed.as_path()), "{e}");
    assert!(
        e.to_string()
            .contains("header says segment 1, the file name segment 5"),
        "{e}"
    );
    let verified = binlog::verify::Verify::log(dir.path(), "lg").unwrap();
    let wrong: Vec<_> = verified
        .flat_map(|rep| rep.findings)
        .filter(|f| f.kind == binlog::verify::FindingKind::WrongLog)
        .collect();
    assert_eq!(wrong.len(), 1, "{wrong:?}");
    assert_eq!(wrong[0].location, renamed);
    assert!(wrong[0].is_damage(), "{wrong:?}");
}

/// A file salvaged from a segment (`binlog repair --salvage`) is read right
/// after it, several by their offsets as numbers (964 before 10060, which
/// name order would put first).
#[test]
fn salvaged_files_are_read_after_their_segment_by_offset() {
    let dir = TempDir::new("listing-salvaged");
    log_of(dir.path(), 3);
    let segs = binlog::log::segments::list(dir.path(), "lg").unwrap();
    let name = |i: usize| {
        segs[i]
            .path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    };
    // Segment 1 (records 3..5) as two salvaged files: 3 at offset 964, 4..5
    // at offset 10060; the segment itself emptied.
    let salvaged = |off: u64, first: u64, n: u64| {
        let p = dir
            .path()
            .join(binlog::log::naming::salvaged_name(&name(1), off, 0));
        let w = binlog::Writer::open(
            &p,
            binlog::Options {
                log_name: "lg".into(),
                segment_no: 1,
                first_seq: first,
                ..binlog::Options::default()
            },
        )
        .unwrap();
        for s in first..first + n {
            w.write("t", format!("{s}").as_bytes()).unwrap();
        }
        w.close().unwrap();
    };
    salvaged(10060, 4, 2);
    salvaged(964, 3, 1);
    let origin = binlog::Writer::open(
        segs[1].path.with_extension("tmp"),
        binlog::Options {
            log_name: "lg".into(),
            segment_no: 1,
            first_seq: 3,
            ..binlog::Options::default()
        },
    )
    .unwrap();
    origin.close().unwrap();
    std::fs::rename(segs[1].path.with_extension("tmp"), &segs[1].path).unwrap();
    let mut r = LogReader::open(dir.path(), "lg").unwrap();
    assert_eq!(seqs(&mut r).unwrap(), (0..9).collect::<Vec<u64>>());
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
    let files: Vec<String> = binlog::log::segments::list_files(dir.path(), "lg")
        .unwrap()
        .into_iter()
        .map(|f| f.path.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(
        files[2],
        binlog::log::naming::salvaged_name(&name(1), 964, 0)
    );
    assert_eq!(
        files[3],
        binlog::log::naming::salvaged_name(&name(1), 10060, 0)
    );
    // A writer lists the segments only: it never appends to a salvaged file.
    assert_eq!(
        binlog::log::segments::list(dir.path(), "lg").unwrap().len(),
        3
    );
}

/// Retention deletes a segment's salvaged files with it: read after the
/// segments before them are gone, they would be a log's middle with no
/// start.
#[test]
fn retention_deletes_salvaged_files_with_their_segment() {
    let dir = TempDir::new("listing-retention");
    log_of(dir.path(), 2);
    let segs = binlog::log::segments::list(dir.path(), "lg").unwrap();
    let first = segs[0].path.file_name().unwrap().to_str().unwrap();
    let salvaged = dir
        .path()
        .join(binlog::log::naming::salvaged_name(first, 92, 0));
    std::fs::write(&salvaged, b"whatever it holds").unwrap();
    let w = LogWriter::open(
        dir.path(),
        "lg",
        LogOptions {
            retention: binlog::Retention {
                max_segments: Some(1),
                ..Default::default()
            },
            background: false,
            ..LogOptions::default()
        },
    )
    .unwrap();
    w.write("t", b"x").unwrap();
    w.roll().unwrap();
    w.close().unwrap();
    assert!(!segs[0].path.exists(), "retention kept the oldest segment");
    assert!(!salvaged.exists(), "its salvaged file was left behind");
}

/// `list_segments`: each file of a log in read order with its state, its
/// sequence numbers when known, and its size; a salvaged file with its
/// offset; an ending segment (records closed by `SEAL_BEGIN`, the rest of
/// the seal missing) told apart from an active one; a file whose header
/// cannot be read listed as unreadable, not left out.
#[test]
fn list_segments_gives_each_files_state_in_read_order() {
    use binlog::{list_segments, SegmentState};
    let dir = TempDir::new("listing-states");
    log_of(dir.path(), 4);
    let segs = binlog::log::segments::list(dir.path(), "lg").unwrap();
    // Segment 1 ending; segment 3 active (its seal cut off).
    let records_end =
        |p: &std::path::Path| binlog::Reader::open(p).unwrap().seal().unwrap().records_end;
    let cut = |p: &std::path::Path, len: u64| {
        std::fs::OpenOptions::new()
            .write(true)
            .open(p)
            .unwrap()
            .set_len(len)
            .unwrap()
    };
    let seal_begin = binlog::format::seal::SEAL_BEGIN_LEN as u64;
    cut(&segs[1].path, records_end(&segs[1].path) + seal_begin);
    cut(&segs[3].path, records_end(&segs[3].path));
    // Segment 2's header damaged; a file salvaged from segment 0.
    let mut bytes = std::fs::read(&segs[2].path).unwrap();
    bytes[40] ^= 0xff;
    std::fs::write(&segs[2].path, &bytes).unwrap();
    let seg0 = segs[0].path.file_name().unwrap().to_str().unwrap();
    let salvaged = dir
        .path()
        .join(binlog::log::naming::salvaged_name(seg0, 77, 0));
    std::fs::copy(&segs[0].path, &salvaged).unwrap();

    let listed = list_segments(dir.path(), "lg").unwrap();
    let got: Vec<_> = listed
        .iter()
        .map(|l| {
            (
                l.segment_no,
                l.salvaged_offset,
                l.state,
                l.first_seq,
                l.last_seq,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (0, None, SegmentState::Sealed, Some(0), Some(2)),
            (0, Some(77), SegmentState::Sealed, Some(0), Some(2)),
            (1, None, SegmentState::Ending, Some(3), Some(5)),
            (2, None, SegmentState::Unreadable, None, None),
            (3, None, SegmentState::Active, Some(9), None),
        ]
    );
    for l in &listed {
        assert_eq!(l.bytes, std::fs::metadata(&l.path).unwrap().len());
    }
    assert_eq!(listed[1].path, salvaged);
}
