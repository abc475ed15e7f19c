//! `binlog::verify`: a segment or a log verified reports what the library's
//! reader reports, as structured findings (kind, file, offset, sequence
//! numbers lost, repair action): a record whose CRC is right but whose
//! contents are wrong is corruption to both, wherever it is; a compressed
//! segment cut short ends with its seal damaged; an empty file is a
//! truncated header, except as the newest file of a log; a damaged magic
//! number is no segment; records missing between segments are named, and
//! those a sealed segment cut short lost, from the log's manifest.
//! Helpers in tests/it/common/cli.rs.

use crate::common;
use binlog::verify::{self, FindingKind, RepairAction, Verify};
use binlog::{ErrorKind, Reader, Tail};
use common::cli::*;
use std::io::Write;
use std::path::Path;

/// Appends `bytes` to the file at `path`.
fn append(path: &Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

/// The error a plain reader stops with, if any.
fn read_error(path: &Path) -> Option<binlog::Error> {
    let mut r = Reader::open(path).unwrap();
    loop {
        match r.next() {
            Ok(Some(_)) => {}
            Ok(None) => return None,
            Err(e) => return Some(e),
        }
    }
}

/// The last record's frame, re-numbered `seq` (its CRC made right again).
fn renumbered_last_frame(path: &Path, seq: u64) -> Vec<u8> {
    let (off, len) = *frames(path).last().unwrap();
    let bytes = std::fs::read(path).unwrap();
    let mut frame = bytes[off as usize..(off + len) as usize].to_vec();
    frame[9..17].copy_from_slice(&seq.to_le_bytes());
    let crc = binlog::format::crc32(&frame[8..]);
    frame[4..8].copy_from_slice(&crc.to_le_bytes());
    frame
}

#[test]
fn a_record_appended_again_is_corruption_to_the_reader_and_to_verify() {
    let t = Tmp::new("verify-again");
    let seg = t.join("again.binlog");
    unsealed_segment(&seg, 3);
    let (off, len) = *frames(&seg).last().unwrap();
    let frame = std::fs::read(&seg).unwrap()[off as usize..(off + len) as usize].to_vec();
    append(&seg, &frame);
    let at = off + len;

    let e = read_error(&seg).expect("a plain reader stops");
    assert_eq!(
        (e.kind(), e.offset()),
        (ErrorKind::Corrupt, Some(at)),
        "{e}"
    );

    // A reader skipping damage says the same: a damaged region, no torn tail.
    let mut r = Reader::open_salvage(&seg).unwrap();
    while r.next().unwrap().is_some() {}
    assert_eq!(r.tail(), Tail::Unsealed);
    assert_eq!(r.damages().len(), 1);
    assert_eq!(r.damages()[0].offset, at);

    let rep = verify::segment(&seg);
    assert!(rep.is_damaged());
    assert_eq!(rep.records, 3);
    let f = &rep.findings[0];
    assert_eq!((f.kind, f.offset), (FindingKind::Corrupt, Some(at)));
    assert_eq!(f.repair, RepairAction::Salvage);
    assert!(
        f.message.contains(&seg.display().to_string()),
        "{}",
        f.message
    );
    assert!(rep.findings.iter().all(|f| f.kind != FindingKind::TornTail));
}

#[test]
fn a_valid_record_numbered_wrong_at_the_end_is_damage_not_a_torn_tail() {
    let t = Tmp::new("verify-renumbered");
    for (name, seq) in [("past", 9u64), ("before", 1)] {
        let seg = t.join(format!("{name}.binlog"));
        unsealed_segment(&seg, 3);
        let frame = renumbered_last_frame(&seg, seq);
        let at = std::fs::metadata(&seg).unwrap().len();
        append(&seg, &frame);

        let e = read_error(&seg).expect("a plain reader stops");
        assert_eq!(
            (e.kind(), e.offset()),
            (ErrorKind::Corrupt, Some(at)),
            "{e}"
        );
        let rep = verify::segment(&seg);
        assert!(rep.is_damaged(), "{name}");
        assert!(
            rep.findings.iter().all(|f| f.kind != FindingKind::TornTail),
            "{name}: {:?}",
            rep.findings
        );
        let f = &rep.findings[0];
        assert_eq!(f.offset, Some(at), "{name}");
        assert_eq!(f.repair, RepairAction::Salvage, "{name}");
        if seq > 3 {
            assert_eq!(f.kind, FindingKind::SequenceJump);
            assert_eq!((f.from_seq, f.to_seq), (Some(3), Some(9)));
        } else {
            assert_eq!(f.kind, FindingKind::Corrupt);
        }
    }
}

#[test]
fn a_compressed_segment_cut_in_its_records_ends_with_its_seal_damaged() {
    let t = Tmp::new("verify-zst-cut");
    let (_plain, zst) = plain_and_compressed(&t, 5_000);
    let frames = binlog::compressed::CompressedSegment::open(&zst)
        .unwrap()
        .frames()
        .to_vec();
    let cut = frames[1].compressed_offset + u64::from(frames[1].compressed_size) / 2;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&zst)
        .unwrap()
        .set_len(cut)
        .unwrap();

    let mut r = Reader::open_salvage(&zst).unwrap();
    while r.next().unwrap().is_some() {}
    let rep = verify::segment(&zst);
    assert_eq!(rep.tail, Some(r.tail()));
    assert!(
        matches!(rep.tail, Some(Tail::SealDamaged { .. })),
        "{:?}",
        rep.tail
    );
    assert!(rep.compressed);
    assert!(rep.is_damaged());
    assert!(rep.findings.iter().all(|f| f.kind != FindingKind::TornTail));
    assert!(rep
        .findings
        .iter()
        .any(|f| f.kind == FindingKind::SealDamaged && f.repair == RepairAction::Reseal));
}

#[test]
fn an_empty_file_is_a_truncated_header_unless_it_is_the_newest_of_a_log() {
    let t = Tmp::new("verify-empty");
    let empty = t.join("empty.binlog");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(
        Reader::open(&empty).err().unwrap().kind(),
        ErrorKind::Truncated
    );
    let rep = verify::segment(&empty);
    assert_eq!(rep.findings[0].kind, FindingKind::Truncated);
    assert!(rep.is_damaged());

    let dir = t.join("log");
    rolled_log(&dir, 6, 3);
    let names = t_names(&dir);
    let newest = std::path::PathBuf::from(
        names
            .last()
            .unwrap()
            .replace("-00000000000000000001-", "-00000000000000000002-"),
    );
    std::fs::write(&newest, b"").unwrap();
    let reports: Vec<_> = Verify::log(&dir, "orders").unwrap().collect();
    let last = reports.last().unwrap();
    assert_eq!(last.location, newest);
    assert_eq!(last.findings[0].kind, FindingKind::NotYetWritten);
    assert!(reports.iter().all(|r| !r.is_damaged()), "{reports:?}");
}

#[test]
fn a_damaged_magic_number_is_no_segment() {
    let t = Tmp::new("verify-magic");
    let seg = t.join("magic.binlog");
    sealed_segment(&seg, 5);
    flip_byte(&seg, 1);
    assert_eq!(
        Reader::open(&seg).err().unwrap().kind(),
        ErrorKind::NotABinlog
    );
    let rep = verify::segment(&seg);
    assert_eq!(rep.findings.len(), 1);
    assert_eq!(rep.findings[0].kind, FindingKind::NotABinlog);
    assert!(rep.findings[0].is_not_a_segment());
    assert_eq!(rep.tail, None);
}

#[test]
fn a_path_that_does_not_exist_is_not_found_as_for_a_reader() {
    let t = Tmp::new("verify-absent");
    let seg = t.join("absent.binlog");
    assert_eq!(
        Reader::open(&seg).err().unwrap().kind(),
        ErrorKind::NotFound
    );
    let e = Verify::path(&seg, None)
        .err()
        .expect("a missing path is an error");
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(e.to_string().contains("absent.binlog"), "{e}");
}

#[test]
fn records_missing_between_segments_of_a_log_are_named() {
    let t = Tmp::new("verify-gap");
    let dir = t.join("log");
    rolled_log(&dir, 9, 3);
    let names = t_names(&dir);
    std::fs::remove_file(&names[1]).unwrap();
    let reports: Vec<_> = Verify::log(&dir, "orders").unwrap().collect();
    assert_eq!(reports.len(), 2);
    assert!(!reports[0].is_damaged());
    let f = &reports[1].findings[0];
    assert_eq!(f.kind, FindingKind::MissingRecords);
    assert_eq!((f.from_seq, f.to_seq), (Some(3), Some(6)));
    assert!(
        f.message.contains("records 3..5 are missing"),
        "{}",
        f.message
    );
}

/// A log closed at 150 records whose last segment is cut short: its files
/// end in a torn tail at record 120, and its manifest, which lists the
/// segment as sealed through 149, proves records 120..149 existed. Verify
/// of the log names them; the segment verified on its own says that it
/// cannot know.
#[test]
fn records_a_sealed_segment_cut_short_lost_are_named_from_the_logs_manifest() {
    let t = Tmp::new("verify-cut-sealed");
    let dir = t.join("log");
    let last = log_cut_in_its_last_sealed_segment(&dir);
    let reports: Vec<_> = Verify::log(&dir, "orders").unwrap().collect();
    assert_eq!(reports.len(), 3);
    let rep = &reports[2];
    assert_eq!(rep.location, last);
    assert!(rep.is_damaged());
    let missing: Vec<_> = rep
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::MissingRecords)
        .collect();
    assert_eq!(missing.len(), 1, "{:?}", rep.findings);
    let f = missing[0];
    assert_eq!((f.from_seq, f.to_seq), (Some(120), Some(150)));
    assert_eq!(f.repair, RepairAction::Nothing);
    assert!(
        f.message.contains("records 120..149 are missing"),
        "{}",
        f.message
    );
    // Accepted as lost by the operator, they are a note.
    binlog::log::accepted_gaps::accept(&dir, "orders", 120, 149, "cut").unwrap();
    let reports: Vec<_> = Verify::log(&dir, "orders").unwrap().collect();
    let kinds: Vec<_> = reports[2].findings.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [FindingKind::TornTail, FindingKind::AcceptedGap]);
    // On its own, the segment's torn tail is all there is to know.
    let alone = Verify::segment(&last).next().unwrap();
    let kinds: Vec<_> = alone.findings.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [FindingKind::TornTail]);
    assert!(
        alone.findings[0].message.contains("cannot be known"),
        "{}",
        alone.findings[0].message
    );
}

/// The manifest proves no record of a log's newest segment (its writer
/// may have died mid-record, before any was acknowledged): a torn tail
/// there names no record missing.
#[test]
fn a_torn_tail_of_the_newest_unsealed_segment_names_no_record_missing() {
    let t = Tmp::new("verify-torn-newest");
    let dir = t.join("log");
    rolled_log(&dir, 12, 5);
    let names = t_names(&dir);
    let newest = Path::new(names.last().unwrap());
    leave_unsealed(newest);
    tear_last_record(newest);
    // What a writer killed in that segment leaves: its manifest lists the
    // segments before it as sealed, and it as current.
    let m = binlog::log::naming::manifest_path(&dir, "orders");
    let mut manifest = binlog::log::manifest::Manifest::load(&m).unwrap();
    let current = manifest.sealed.pop().unwrap();
    manifest.current = Some((current.segment_no, current.file));
    manifest.store(&m, None).unwrap();
    let reports: Vec<_> = Verify::log(&dir, "orders").unwrap().collect();
    let kinds: Vec<_> = reports
        .iter()
        .flat_map(|r| &r.findings)
        .map(|f| f.kind)
        .collect();
    assert_eq!(kinds, [FindingKind::TornTail]);
}

#[test]
fn a_damaged_record_in_a_sealed_segment_is_found_with_the_numbers_lost() {
    let t = Tmp::new("verify-sealed-mid");
    let seg = t.join("mid.binlog");
    sealed_segment(&seg, 10);
    let at = damage_record(&seg, 4);
    let rep = verify::segment(&seg);
    assert_eq!(rep.records, 9);
    assert_eq!(rep.tail, Some(Tail::Sealed));
    let f = &rep.findings[0];
    assert_eq!((f.kind, f.offset), (FindingKind::Corrupt, Some(at)));
    assert_eq!((f.from_seq, f.to_seq), (Some(4), Some(5)));
    assert_eq!(f.repair, RepairAction::Salvage);
}

/// Log `orders`, 30 records in segments of 10 made in a directory named
/// for `name`, shipped to `s3://logs/v` of a new server: the server, the
/// directory and a reader's view of the shipped log.
fn shipped_orders(name: &str) -> (common::s3::S3Server, Tmp, binlog::archive::RemoteLog) {
    let server = common::s3::S3Server::start(&["logs"]);
    let t = Tmp::new(name);
    common::append_orders(t.path(), 30, 10);
    assert_eq!(
        common::remote::ship_orders(&server, t.path(), "v"),
        [0, 1, 2]
    );
    let log = common::remote::remote_log(&server, "logs", "v", "orders");
    (server, t, log)
}

/// A log shipped to a bucket verifies as the local log does: every object
/// clean and its records counted; an object whose record is damaged is
/// named by its URL, at the record's offset, with the numbers it lost.
#[test]
fn a_shipped_log_verifies_as_the_local_one_and_a_damaged_object_is_named_by_url() {
    use binlog::archive::object_name::segment_key;
    let (server, t, log) = shipped_orders("verify-remote");
    let reports: Vec<_> = Verify::remote(log.clone()).unwrap().collect();
    assert_eq!(reports.len(), 3);
    assert!(reports.iter().all(|r| !r.is_damaged()), "{reports:?}");
    assert_eq!(reports.iter().map(|r| r.records).sum::<u64>(), 30);

    let key = segment_key("v", "orders", 1, 10, false);
    let file = server.object_file("logs", &key);
    let local = t.join(file.file_name().unwrap().to_str().unwrap());
    std::fs::copy(&file, &local).unwrap();
    let at = damage_record(&local, 4);
    std::fs::copy(&local, &file).unwrap();
    let reports: Vec<_> = Verify::remote(log.clone()).unwrap().collect();
    let f = &reports[1].findings[0];
    assert_eq!(f.location.to_str().unwrap(), format!("s3://logs/{key}"));
    assert_eq!((f.kind, f.offset), (FindingKind::Corrupt, Some(at)));
    assert_eq!((f.from_seq, f.to_seq), (Some(14), Some(15)));
    assert!(!reports[2].is_damaged(), "{:?}", reports[2].findings);

    // Checked against its metadata, the object's bytes are not those
    // shipped: said first, then what its records say.
    let reports: Vec<_> = Verify::shipped(log).unwrap().collect();
    let kinds: Vec<_> = reports[1]
        .findings
        .iter()
        .map(|f| (f.kind, f.offset))
        .collect();
    assert_eq!(
        kinds,
        [
            (FindingKind::Corrupt, None),
            (FindingKind::Corrupt, Some(at))
        ]
    );
    let m = &reports[1].findings[0].message;
    assert!(m.starts_with(&format!("s3://logs/{key}: ")), "{m}");
    assert!(m.contains("SHA-256"), "{m}");
    assert!(!reports[0].is_damaged() && !reports[2].is_damaged());
}

/// A shipped object whose sequence numbers overlap the previous object's
/// is damage, as in a local log: verified against its metadata, it is an
/// overlap named by its URL at its header's `first_seq` (offset 32), with
/// the previous object's URL, the objects before it clean.
#[test]
fn a_shipped_object_overlapping_the_previous_one_is_damaged() {
    use binlog::archive::object_name::segment_key;
    use common::s3::S3Server;
    let server = S3Server::start(&["logs"]);
    let t = Tmp::new("verify-remote-overlap");
    common::append_orders(t.path(), 30, 10);
    // Segment 2 made again to start at record 15, inside segment 1 (10..19).
    let third = binlog::list_segments(t.path(), "orders").unwrap()[2]
        .path
        .clone();
    std::fs::remove_file(&third).unwrap();
    let o = binlog::Options {
        log_name: "orders".into(),
        segment_no: 2,
        first_seq: 15,
        ..binlog::Options::default()
    };
    let w = binlog::Writer::open(&third, o).unwrap();
    w.write("trade", b"again").unwrap();
    w.close().unwrap();
    assert_eq!(
        common::remote::ship_orders(&server, t.path(), "v"),
        [0, 1, 2]
    );
    let log = common::remote::remote_log(&server, "logs", "v", "orders");
    let reports: Vec<_> = Verify::shipped(log).unwrap().collect();
    assert_eq!(reports.len(), 3);
    assert!(
        !reports[0].is_damaged() && !reports[1].is_damaged(),
        "{reports:?}"
    );
    let f = &reports[2].findings[0];
    assert_eq!(
        (f.kind, f.offset),
        (FindingKind::SequenceOverlap, Some(32)),
        "{f:?}"
    );
    let (this, before) = (
        segment_key("v", "orders", 2, 15, false),
        segment_key("v", "orders", 1, 10, false),
    );
    assert_eq!(f.location.to_str().unwrap(), format!("s3://logs/{this}"));
    assert!(f.message.contains(&format!("s3://logs/{before}")), "{f:?}");
    assert!(reports[2].is_damaged());
}

/// A shipped object cut short after its shipping is, checked against its
/// metadata, `Corrupt` at the length it has left, in the words of a
/// fetch's check ("cut short"), before what its records say.
#[test]
fn a_shipped_object_cut_short_is_corrupt_at_its_end() {
    use binlog::archive::object_name::segment_key;
    let (server, _t, log) = shipped_orders("verify-remote-cut");
    let key = segment_key("v", "orders", 1, 10, false);
    let file = server.object_file("logs", &key);
    let left = std::fs::metadata(&file).unwrap().len() - 100;
    let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
    f.set_len(left).unwrap();
    let reports: Vec<_> = Verify::shipped(log).unwrap().collect();
    let first = &reports[1].findings[0];
    assert_eq!(
        (first.kind, first.offset),
        (FindingKind::Corrupt, Some(left)),
        "{first:?}"
    );
    assert_eq!(first.location.to_str().unwrap(), format!("s3://logs/{key}"));
    assert!(first.message.contains("cut short"), "{first:?}");
    // Then, as its records read: cut short where they end, an object
    // is never resealed.
    let rest: Vec<_> = reports[1].findings[1..]
        .iter()
        .map(|f| (f.kind, f.repair))
        .collect();
    assert_eq!(
        rest,
        [(FindingKind::Corrupt, RepairAction::Nothing)],
        "{:?}",
        reports[1].findings
    );
    assert!(reports[1].is_damaged());
    assert!(!reports[0].is_damaged() && !reports[2].is_damaged());
}

/// A sealed segment whose offset array (of a type) or sparse index fails
/// its CRC loses no record (reads through it scan instead), but its seal is
/// damaged: verify names the part at its offset, and a reseal replaces it.
#[test]
fn a_damaged_offset_array_or_sparse_index_is_a_damaged_seal() {
    let t = Tmp::new("verify-seal-parts");
    for part in ["array", "sparse"] {
        let seg = t.join(format!("{part}.binlog"));
        sealed_segment(&seg, 3_000);
        let d = Reader::open(&seg).unwrap().seal().unwrap().clone();
        let at = match part {
            "array" => d.types[1].array_offset,
            _ => d.sparse_offset,
        };
        // Not the array's first entry, which opening checks (a seal that
        // fails it is not usable: the end is `SealDamaged` at its records'
        // end).
        flip_byte(&seg, at + 8 * 5 + 3);
        let rep = verify::segment(&seg);
        assert_eq!(rep.records, 3_000, "{part}");
        assert!(rep.is_damaged(), "{part}");
        let f = &rep.findings[0];
        assert_eq!(
            (f.kind, f.offset),
            (FindingKind::SealIndexDamaged, Some(at)),
            "{part}"
        );
        assert_eq!(f.repair, RepairAction::Reseal, "{part}");
    }
}

/// A live log's lock covers its newest segment only: an older segment
/// ending in a torn tail while a writer holds the log (and not that
/// segment) is damage, as `LogReader` reports it, not a record being
/// written.
#[test]
fn a_torn_older_segment_of_a_live_log_is_damage() {
    let t = Tmp::new("verify-live-torn");
    let dir = t.join("log");
    rolled_log(&dir, 10, 4);
    let names = t_names(&dir);
    let first = Path::new(&names[0]);
    leave_unsealed(first);
    tear_last_record(first);
    let lock = binlog::log::naming::lock_path(&dir, "orders");
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .unwrap();
    let _held = hold_lock(&lock);
    let reports: Vec<_> = Verify::log(&dir, "orders").unwrap().collect();
    let kinds: Vec<_> = reports[0].findings.iter().map(|f| f.kind).collect();
    assert!(kinds.contains(&FindingKind::TornTail), "{kinds:?}");
    assert!(reports[0].is_damaged(), "{:?}", reports[0]);
}

/// A directory that holds no file of the log named is `NotFound`, naming
/// the directory and the log, as for a path that does not exist.
#[test]
fn a_log_with_no_file_is_not_found() {
    let t = Tmp::new("verify-no-log");
    let dir = t.join("log");
    rolled_log(&dir, 3, 3);
    for e in [
        Verify::log(&dir, "absent").err(),
        Verify::path(&dir, Some("absent")).err(),
    ] {
        let e = e.expect("a log with no file is an error");
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        let m = e.to_string();
        assert!(
            m.contains("absent") && m.contains(dir.to_str().unwrap()),
            "{m}"
        );
    }
}

/// A log's manifest that fails its check is a note while segment files
/// hold the log's position, and damage once none is left (a writer's open
/// then refuses the log): a report of its own, after the segments.
#[test]
fn a_damaged_manifest_is_a_note_or_damage_where_it_is_the_only_record_of_the_position() {
    let t = Tmp::new("verify-manifest-lib");
    let dir = t.join("log");
    rolled_log(&dir, 9, 3);
    let (manifest, _) = common::damage_manifest(&dir, "orders");
    let reports: Vec<_> = Verify::log(&dir, "orders").unwrap().collect();
    assert_eq!(reports.len(), 4);
    assert!(reports[..3].iter().all(|r| !r.manifest && !r.is_damaged()));
    let m = &reports[3];
    assert!(m.manifest && !m.is_damaged(), "{:?}", m.findings);
    assert_eq!(m.location, manifest);
    assert_eq!(m.findings.len(), 1);
    assert_eq!(m.findings[0].kind, FindingKind::ManifestUnused);
    for s in binlog::list_segments(&dir, "orders").unwrap() {
        std::fs::remove_file(&s.path).unwrap();
    }
    for v in [
        Verify::log(&dir, "orders"),
        Verify::path(&dir, Some("orders")),
    ] {
        let reports: Vec<_> = v.unwrap().collect();
        assert_eq!(reports.len(), 1);
        let m = &reports[0];
        assert!(m.manifest && m.is_damaged());
        let f = &m.findings[0];
        assert_eq!(
            (f.kind, f.repair),
            (FindingKind::ManifestDamaged, RepairAction::Nothing)
        );
        assert!(
            f.message.contains(manifest.to_str().unwrap()),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("only record of the log's position"),
            "{}",
            f.message
        );
    }
}

/// A segment damaged in more places than a report keeps: the first
/// `MAX_FINDINGS` are listed, the rest counted, and one `NotListed`
/// finding says how many.
#[test]
fn findings_past_the_cap_are_counted_and_said() {
    let t = Tmp::new("verify-cap");
    let seg = t.join("everywhere.binlog");
    sealed_segment(&seg, 2 * verify::MAX_FINDINGS as u64 + 200);
    let frames = common::frames(&seg);
    for i in (0..frames.len()).step_by(2) {
        let (offset, len) = frames[i];
        common::flip_byte(&seg, offset + len - 2);
    }
    let rep = verify::segment(&seg);
    assert_eq!(rep.findings.len(), verify::MAX_FINDINGS);
    // One finding per damaged record at least (the seal's index of them
    // may add one).
    let damaged = frames.len().div_ceil(2) as u64;
    assert!(rep.more_findings >= damaged - verify::MAX_FINDINGS as u64);
    let f = rep.not_listed().expect("findings not listed");
    assert_eq!(
        (f.kind, f.len, f.offset),
        (FindingKind::NotListed, rep.more_findings, None)
    );
    assert!(f.is_damage());
    assert!(
        f.message
            .contains(&format!("{} more findings not listed", rep.more_findings)),
        "{}",
        f.message
    );
    let clean = t.join("clean.binlog");
    sealed_segment(&clean, 3);
    assert!(verify::segment(&clean).not_listed().is_none());
}

/// A segment whose scan fails (a read error, not damage the reader skips)
/// says nothing of where its log's next segment must start: the next
/// segment is not reported as records missing after where the scan
/// stopped.
#[test]
fn a_segment_whose_scan_fails_says_nothing_of_where_the_next_one_starts() {
    use common::faults::{with_failures, Fail};
    let t = Tmp::new("verify-scan-fails");
    let dir = t.join("log");
    rolled_log(&dir, 9, 3);
    // Segment 0 as its writer left it when it died: no seal, so its end is
    // known only by reading its records (copied with pread).
    let first = &t_names(&dir)[0];
    let end = Reader::open(first).unwrap().seal().unwrap().records_end;
    std::fs::OpenOptions::new()
        .write(true)
        .open(first)
        .unwrap()
        .set_len(end)
        .unwrap();
    let reports: Vec<_> = with_failures(&[Fail::Pread], || {
        Verify::log(&dir, "orders").unwrap().collect()
    });
    assert_eq!(reports.len(), 3);
    let f = &reports[0].findings;
    assert!(
        f.iter().any(|f| f.kind == FindingKind::Unreadable),
        "the scan of segment 0 fails: {f:?}"
    );
    let kinds: Vec<_> = reports[1].findings.iter().map(|f| f.kind).collect();
    assert!(
        !kinds.contains(&FindingKind::MissingRecords),
        "{:?}",
        reports[1].findings
    );
    assert_eq!(reports[0].next_seq, None);
}

/// What a power cut leaves between a log writer's salvage and its cut of
/// the damage (docs/FORMAT.md section 12): the newest segment, unsealed,
/// still holds the records past its damage, and the salvaged file holds
/// them too. The log's reader returns each record once, skipping the
/// salvaged file; `verify` reports the damage and no sequence overlap.
#[test]
fn a_salvaged_file_whose_records_the_segment_still_holds_is_no_overlap() {
    let t = Tmp::new("verify-salvaged-uncut");
    let dir = t.join("log");
    let at = log_salvaged_but_not_cut(&dir);

    let mut r = binlog::LogReader::open(&dir, "orders").unwrap();
    r.skip_damaged(true);
    let mut seqs = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        seqs.push(rec.seq);
    }
    assert_eq!(seqs, [0, 1, 2, 3, 4, 5, 7, 8], "each valid record once");

    // The damage, in the log's newest segment (the salvaged file after it
    // is no newer segment): nothing else is wrong.
    let findings: Vec<_> = Verify::log(&dir, "orders")
        .unwrap()
        .flat_map(|rep| rep.findings)
        .collect();
    let damage: Vec<_> = findings
        .iter()
        .filter(|f| f.is_damage())
        .map(|f| (f.kind, f.offset))
        .collect();
    assert_eq!(damage, [(FindingKind::Corrupt, Some(at))], "{findings:#?}");
}
