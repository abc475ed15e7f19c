//! A log that compresses its sealed segments (`LogOptions::compression`):
//! each sealed `<segment>.binlog` becomes `<segment>.binlog.zst`, reported
//! by an event, listed as the same segment with its compressed and
//! original size, counted by retention at its compressed size, never
//! written again; what a crash leaves of a compression is finished when the
//! log opens; a log reader reads the compressed history and the live
//! segment as one log. The records of one compressed segment are checked
//! by decompressing a copy.

use crate::common;

use binlog::Reader;
use binlog::{compress_segment, decompress_segment, CompressOptions};
use binlog::{
    list_segments, Compression, LogOptions, LogWriter, Retention, SegmentEvent, SegmentState,
};
use common::TempDir;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A log rolling every 3 records that compresses segments once `after`
/// newer sealed ones exist, without background threads (`tick` compresses).
fn opts(after: u64) -> LogOptions {
    LogOptions {
        max_segment_records: Some(3),
        background: false,
        compression: Some(Compression {
            after_segments: after,
            frame_size: 4096,
            ..Compression::default()
        }),
        ..LogOptions::default()
    }
}

fn payload(seq: u64) -> Vec<u8> {
    format!("record {seq} {}", "abc".repeat(200)).into_bytes()
}

fn names_ending(dir: &TempDir, suffix: &str) -> Vec<String> {
    dir.names()
        .into_iter()
        .filter(|n| n.ends_with(suffix))
        .collect()
}

/// The records of the compressed segment at `zst`, read from a
/// decompressed copy (the segment itself is left as it is).
fn records_of_compressed(zst: &Path) -> Vec<(u64, Vec<u8>)> {
    let scratch = TempDir::new("log-zst-copy");
    let copy = scratch.join(zst.file_name().unwrap().to_str().unwrap());
    std::fs::copy(zst, &copy).unwrap();
    let plain = decompress_segment(&copy).unwrap().path;
    let mut r = Reader::open(&plain).unwrap();
    let mut out = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        out.push((rec.seq, rec.payload.to_vec()));
    }
    out
}

fn events_of(w: &LogWriter) -> Arc<Mutex<Vec<SegmentEvent>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    w.on_segment(Box::new(move |ev| {
        s.lock().unwrap().push(ev.clone());
        Ok(())
    }))
    .unwrap();
    seen
}

#[test]
fn sealed_segments_are_compressed_reported_and_listed_with_both_sizes() {
    let dir = TempDir::new("log-zst-basic");
    let w = LogWriter::open(dir.path(), "lg", opts(0)).unwrap();
    let seen = events_of(&w);
    for seq in 0..10 {
        assert_eq!(w.write("t", &payload(seq)).unwrap(), seq);
    }
    // Sealed by the writes that rolled, compressed only by `tick`.
    assert!(names_ending(&dir, ".zst").is_empty());
    w.tick().unwrap();
    let zst = names_ending(&dir, ".binlog.zst");
    assert_eq!(zst.len(), 3, "{:?}", dir.names());
    assert_eq!(names_ending(&dir, ".binlog").len(), 1, "{:?}", dir.names());
    assert!(names_ending(&dir, ".tmp").is_empty(), "{:?}", dir.names());

    let compressed: Vec<_> = seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            SegmentEvent::Compressed(i) => Some(i.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        compressed.iter().map(|i| i.segment_no).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    for i in &compressed {
        assert!(i.path.to_str().unwrap().ends_with(".binlog.zst"));
        assert_eq!(i.bytes, std::fs::metadata(&i.path).unwrap().len());
        assert_eq!((i.first_seq, i.record_count), (i.segment_no * 3, 3));
        let want: Vec<_> = (i.first_seq..i.first_seq + 3)
            .map(|s| (s, payload(s)))
            .collect();
        assert_eq!(records_of_compressed(&i.path), want);
    }

    let listed = list_segments(dir.path(), "lg").unwrap();
    assert_eq!(listed.len(), 4);
    for (no, l) in listed.iter().enumerate().take(3) {
        assert!(l.is_compressed(), "{l:?}");
        assert_eq!(l.state, SegmentState::Sealed);
        assert_eq!(l.segment_no, no as u64);
        assert_eq!(l.first_seq, Some(no as u64 * 3));
        assert_eq!(l.last_seq, Some(no as u64 * 3 + 2));
        assert_eq!(l.bytes, std::fs::metadata(&l.path).unwrap().len());
        let original = l
            .original_bytes
            .expect("original size of a compressed segment");
        assert!(l.bytes < original, "{l:?}");
    }
    assert!(!listed[3].is_compressed());
    assert_eq!(listed[3].original_bytes, None);
    assert_eq!(listed[3].state, SegmentState::Active);
    w.close().unwrap();
}

#[test]
fn after_segments_leaves_the_newest_sealed_segments_plain() {
    let dir = TempDir::new("log-zst-after");
    let w = LogWriter::open(dir.path(), "lg", opts(2)).unwrap();
    for seq in 0..16 {
        w.write("t", &payload(seq)).unwrap();
    }
    w.tick().unwrap();
    let listed = list_segments(dir.path(), "lg").unwrap();
    // Five sealed, one current: the oldest three compressed.
    let compressed: Vec<bool> = listed.iter().map(|l| l.is_compressed()).collect();
    assert_eq!(compressed, [true, true, true, false, false, false]);
    w.roll().unwrap();
    w.tick().unwrap();
    let compressed: Vec<bool> = list_segments(dir.path(), "lg")
        .unwrap()
        .iter()
        .map(|l| l.is_compressed())
        .collect();
    assert_eq!(compressed, [true, true, true, true, false, false, false]);
    w.close().unwrap();
}

#[test]
fn retention_counts_a_compressed_segment_at_its_compressed_size() {
    let plain_segment_bytes = {
        let dir = TempDir::new("log-zst-size");
        let plain = LogOptions {
            compression: None,
            ..opts(0)
        };
        let w = LogWriter::open(dir.path(), "lg", plain).unwrap();
        for seq in 0..4 {
            w.write("t", &payload(seq)).unwrap();
        }
        w.close().unwrap();
        // The first segment, sealed with 3 records; later ones are a few
        // bytes longer (their sequence numbers have more digits).
        list_segments(dir.path(), "lg").unwrap()[0].bytes + 50
    };
    let keep_two_plain = Retention {
        max_bytes: Some(2 * plain_segment_bytes),
        ..Retention::default()
    };
    let kept = |compression: Option<Compression>| {
        let dir = TempDir::new("log-zst-retention");
        let o = LogOptions {
            retention: keep_two_plain.clone(),
            compression,
            ..opts(0)
        };
        let w = LogWriter::open(dir.path(), "lg", o).unwrap();
        for seq in 0..30 {
            w.write("t", &payload(seq)).unwrap();
            w.tick().unwrap();
        }
        w.close().unwrap();
        list_segments(dir.path(), "lg").unwrap()
    };
    let plain = kept(None);
    assert_eq!(plain.len(), 2, "{plain:?}");
    let compressed = kept(opts(0).compression);
    // All compressed (the newest by the close), and more than twice as
    // many kept.
    assert!(compressed.len() > 4, "{compressed:?}");
    assert!(compressed.iter().all(|l| l.is_compressed()));
    // (Retention last deleted while the newest was still plain: the close
    // compressed it after, so one more might fit now.)
    let total: u64 = compressed.iter().map(|l| l.bytes).sum();
    assert!(total <= 2 * plain_segment_bytes, "{total}");
}

#[test]
fn retention_deletes_compressed_segments_like_plain_ones() {
    let dir = TempDir::new("log-zst-retention-count");
    let o = LogOptions {
        retention: Retention {
            max_segments: Some(2),
            ..Retention::default()
        },
        ..opts(0)
    };
    let w = LogWriter::open(dir.path(), "lg", o).unwrap();
    for seq in 0..20 {
        w.write("t", &payload(seq)).unwrap();
        w.tick().unwrap();
    }
    let listed = list_segments(dir.path(), "lg").unwrap();
    let nos: Vec<u64> = listed.iter().map(|l| l.segment_no).collect();
    assert_eq!(nos, [4, 5, 6]);
    assert!(listed[0].is_compressed() && listed[1].is_compressed());
    assert_eq!(names_ending(&dir, ".zst").len(), 2, "{:?}", dir.names());
    let manifest = std::fs::read_to_string(dir.join("lg.manifest")).unwrap();
    assert_eq!(manifest.matches(".binlog.zst ").count(), 2, "{manifest}");
    w.close().unwrap();
}

#[test]
fn a_log_whose_newest_segment_is_compressed_goes_on_in_a_new_segment() {
    let dir = TempDir::new("log-zst-reopen");
    let w = LogWriter::open(dir.path(), "lg", LogOptions::default()).unwrap();
    for seq in 0..3 {
        w.write("t", &payload(seq)).unwrap();
    }
    let newest = w.current_segment().unwrap().path;
    w.close().unwrap();
    let zst = compress_segment(&newest, &CompressOptions::default())
        .unwrap()
        .path;
    let before = std::fs::read(&zst).unwrap();

    let w = LogWriter::open(dir.path(), "lg", opts(0)).unwrap();
    assert_eq!(w.current_segment().unwrap().segment_no, 1);
    assert_eq!(w.write("t", &payload(3)).unwrap(), 3);
    w.close().unwrap();
    assert_eq!(
        std::fs::read(&zst).unwrap(),
        before,
        "a sealed segment changed"
    );
    assert!(!newest.exists());
    let listed = list_segments(dir.path(), "lg").unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        (listed[1].first_seq, listed[1].last_seq),
        (Some(3), Some(3))
    );
}

/// A log of two sealed segments and a current one, closed; the paths of
/// the sealed ones.
fn closed_log(dir: &TempDir) -> Vec<PathBuf> {
    let w = LogWriter::open(
        dir.path(),
        "lg",
        LogOptions {
            compression: None,
            ..opts(0)
        },
    )
    .unwrap();
    for seq in 0..7 {
        w.write("t", &payload(seq)).unwrap();
    }
    w.close().unwrap();
    let all = binlog::log::segments::list(dir.path(), "lg").unwrap();
    all.into_iter().take(2).map(|s| s.path).collect()
}

#[test]
fn a_leftover_temporary_file_is_removed_on_open_and_the_compression_redone() {
    let dir = TempDir::new("log-zst-tmp");
    let sealed = closed_log(&dir);
    let tmp = binlog::compressed::compress::compressed_tmp_path(&sealed[0]);
    std::fs::write(&tmp, b"half a compressed segment").unwrap();
    // Not a segment of the log to anyone.
    let listed = list_segments(dir.path(), "lg").unwrap();
    assert!(listed.iter().all(|l| l.path != tmp), "{listed:?}");

    let w = LogWriter::open(dir.path(), "lg", opts(0)).unwrap();
    assert!(!tmp.exists(), "the leftover stays after open");
    w.tick().unwrap();
    for s in &sealed {
        assert!(!s.exists());
        let zst = binlog::compressed::compress::compressed_path(s);
        let first = records_of_compressed(&zst)[0].0;
        assert_eq!(first % 3, 0);
    }
    w.close().unwrap();
}

#[test]
fn a_segment_found_both_plain_and_compressed_is_one_segment_until_the_writer_keeps_the_copy() {
    let dir = TempDir::new("log-zst-pair");
    let sealed = closed_log(&dir);
    // A crash between the rename and the unlink.
    let plain = std::fs::read(&sealed[1]).unwrap();
    let zst = compress_segment(&sealed[1], &CompressOptions::default())
        .unwrap()
        .path;
    std::fs::write(&sealed[1], &plain).unwrap();

    let listed = list_segments(dir.path(), "lg").unwrap();
    let nos: Vec<u64> = listed.iter().map(|l| l.segment_no).collect();
    assert_eq!(nos, [0, 1, 2], "{listed:?}");
    assert_eq!(listed[1].path, zst);
    // Readers change nothing.
    assert!(sealed[1].exists());

    // A writer, even one that does not compress, finishes the step.
    let w = LogWriter::open(dir.path(), "lg", LogOptions::default()).unwrap();
    assert!(!sealed[1].exists());
    assert!(zst.exists());
    assert_eq!(w.next_seq().unwrap(), 7);
    w.close().unwrap();
    let want: Vec<_> = (3..6).map(|s| (s, payload(s))).collect();
    assert_eq!(records_of_compressed(&zst), want);
}

#[test]
fn a_compressed_copy_that_is_not_the_segment_is_replaced_on_open() {
    let dir = TempDir::new("log-zst-bad-pair");
    let sealed = closed_log(&dir);
    // Another segment's compressed bytes under this one's name.
    let other = compress_segment(&sealed[0], &CompressOptions::default())
        .unwrap()
        .path;
    let zst = binlog::compressed::compress::compressed_path(&sealed[1]);
    std::fs::copy(&other, &zst).unwrap();
    let w = LogWriter::open(dir.path(), "lg", LogOptions::default()).unwrap();
    w.close().unwrap();
    // Nothing lost: the plain segment was the original, and the file that
    // had its compressed name is kept beside it.
    assert!(!sealed[1].exists());
    let aside = binlog::compressed::compress::compressed_path(&sealed[1]);
    let aside = std::path::PathBuf::from(format!("{}.differs", aside.display()));
    assert_eq!(
        std::fs::read(&aside).unwrap(),
        std::fs::read(&other).unwrap()
    );
    let want: Vec<_> = (3..6).map(|s| (s, payload(s))).collect();
    assert_eq!(records_of_compressed(&zst), want);
}

#[test]
fn the_background_thread_compresses_sealed_segments() {
    let dir = TempDir::new("log-zst-background");
    let o = LogOptions {
        background: true,
        ..opts(0)
    };
    let w = LogWriter::open(dir.path(), "lg", o).unwrap();
    let seen = events_of(&w);
    for seq in 0..9 {
        w.write("t", &payload(seq)).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while names_ending(&dir, ".binlog.zst").len() < 2 {
        assert!(Instant::now() < deadline, "{:?}", dir.names());
        std::thread::sleep(Duration::from_millis(10));
    }
    w.close().unwrap();
    let compressed = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, SegmentEvent::Compressed(_)))
        .count();
    assert!(compressed >= 2, "{compressed}");
    assert!(names_ending(&dir, ".tmp").is_empty(), "{:?}", dir.names());
    let (failures, last) = w.callback_failures();
    assert_eq!(failures, 0, "{last:?}");
}

#[test]
fn compression_options_are_checked_when_the_log_opens() {
    let dir = TempDir::new("log-zst-options");
    for bad in [
        Compression {
            level: 99,
            ..Compression::default()
        },
        Compression {
            frame_size: 0,
            ..Compression::default()
        },
        Compression {
            type_copies_per_mille: 1001,
            ..Compression::default()
        },
    ] {
        let o = LogOptions {
            compression: Some(bad),
            ..LogOptions::default()
        };
        let e = LogWriter::open(dir.path(), "lg", o).err().expect("refused");
        assert_eq!(e.kind(), binlog::ErrorKind::InvalidArgument, "{e}");
    }
    assert!(dir.names().is_empty(), "{:?}", dir.names());
}

/// The log's segment of `n` records, "rare" every 50th spread among
/// "common" ones, compressed with `per_mille` of type copies.
fn log_segment_with_copies(dir: &TempDir, per_mille: u32, n: u64) -> PathBuf {
    let o = LogOptions {
        max_segment_records: Some(n),
        background: false,
        compression: Some(Compression {
            frame_size: 4096,
            type_copies_per_mille: per_mille,
            ..Compression::default()
        }),
        ..LogOptions::default()
    };
    let w = LogWriter::open(dir.path(), "lg", o).unwrap();
    for i in 0..=n {
        let t = if i % 50 == 7 { "rare" } else { "common" };
        w.write(t, format!(r#"{{"i":{i},"sym":"S{}"}}"#, i % 37).as_bytes())
            .unwrap();
    }
    w.tick().unwrap();
    w.close().unwrap();
    // Segment 0 and the next one, of one record, which the close compressed.
    let zst = names_ending(dir, ".binlog.zst");
    assert_eq!(zst.len(), 2, "{:?}", dir.names());
    dir.join(&zst[0])
}

#[test]
fn a_log_gives_rare_types_copies_within_its_share_and_none_at_zero() {
    let with = TempDir::new("log-zst-copies");
    let zst = log_segment_with_copies(&with, 50, 2000);
    let mut s = binlog::compressed::CompressedSegment::open(&zst).unwrap();
    let directory = s.copy_directory().unwrap().expect("copies made").clone();
    let held: u64 = directory.frames.iter().map(|f| u64::from(f.count)).sum();
    assert_eq!(held, 40, "every rare record of the segment");
    let none = TempDir::new("log-zst-no-copies");
    let zst = log_segment_with_copies(&none, 0, 2000);
    let mut s = binlog::compressed::CompressedSegment::open(&zst).unwrap();
    assert!(s.copy_directory().unwrap().is_none());
}

/// The nice value of this process's thread named `name`, if there is one
/// (field 19 of /proc/self/task/<tid>/stat).
fn nice_of_thread(name: &str) -> Option<i64> {
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let dir = task.ok()?.path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        return nice_in(&dir.join("stat"));
    }
    None
}

/// The nice value in a thread's stat file.
fn nice_in(stat: &Path) -> Option<i64> {
    let stat = std::fs::read_to_string(stat).ok()?;
    // After the command in parentheses: state is field 3, nice 19.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(16)?.parse().ok()
}

/// Every compressing thread runs at nice 19 (other tests' logs may have
/// one at the same time: all are made by the same code).
#[test]
#[cfg_attr(
    feature = "posix-backend",
    ignore = "POSIX has no priority of one thread"
)]
fn the_compressing_thread_runs_at_the_lowest_cpu_priority() {
    let dir = TempDir::new("log-zst-nice");
    // The writing thread keeps its own: the test's, which may itself run
    // under nice.
    let mine = || nice_in(Path::new("/proc/thread-self/stat")).unwrap();
    let before = mine();
    let o = LogOptions {
        background: true,
        ..opts(0)
    };
    let w = LogWriter::open(dir.path(), "lg", o).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let nice = loop {
        match nice_of_thread("binlog-compress") {
            Some(19) => break 19,
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
            other => panic!("compressing thread's nice: {other:?}"),
        }
    };
    assert_eq!(nice, 19);
    assert_eq!(mine(), before);
    w.close().unwrap();
}

/// A log ages a segment it finds by its modification time (age
/// retention): the compressed copy keeps the segment's.
#[test]
fn a_compressed_segment_keeps_its_segments_modification_time() {
    let dir = TempDir::new("log-zst-mtime");
    let sealed = closed_log(&dir);
    let before = std::fs::metadata(&sealed[0]).unwrap().modified().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let w = LogWriter::open(dir.path(), "lg", opts(0)).unwrap();
    w.tick().unwrap();
    w.close().unwrap();
    let zst = binlog::compressed::compress::compressed_path(&sealed[0]);
    assert_eq!(std::fs::metadata(&zst).unwrap().modified().unwrap(), before);
}

/// A log reader reads a log whose older segments are compressed as one
/// log: every record in order across `.binlog.zst` and `.binlog` files, a
/// seek into the compressed history, and a follower that waits at the end
/// sees the next record written to the live plain segment.
#[test]
fn a_log_reader_reads_compressed_history_in_order_and_follows_the_live_segment() {
    let dir = TempDir::new("log-zst-read");
    let w = LogWriter::open(dir.path(), "lg", opts(0)).unwrap();
    for seq in 0..10 {
        w.write("t", &payload(seq)).unwrap();
    }
    w.tick().unwrap();
    w.flush().unwrap();
    assert!(
        names_ending(&dir, ".binlog.zst").len() >= 2,
        "{:?}",
        dir.names()
    );
    let mut r = binlog::LogReader::open(dir.path(), "lg").unwrap();
    let mut seen = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        seen.push((rec.seq, rec.payload.to_vec()));
    }
    let want: Vec<_> = (0..10).map(|s| (s, payload(s))).collect();
    assert_eq!(seen, want);
    // A seek lands inside the first (compressed) segment.
    r.seek_seq(1).unwrap();
    assert_eq!(r.next().unwrap().map(|x| x.seq), Some(1));
    r.seek_seq(10).unwrap();
    // Following: the next record, in the live segment.
    w.write("t", &payload(10)).unwrap();
    w.flush().unwrap();
    let rec = r.next_wait(Duration::from_secs(10)).unwrap();
    assert_eq!(
        rec.map(|x| (x.seq, x.payload.to_vec())),
        Some((10, payload(10)))
    );
    w.close().unwrap();
}

/// The path a `Sealed` event and `poll_sealed` hand out names the plain
/// `.binlog`, which the log's compression may since have replaced by its
/// `.binlog.zst`: opening that path (Rust reader, salvaging reader, C ABI)
/// opens the compressed copy and reads the segment's records.
#[test]
fn a_sealed_segments_path_handed_out_before_it_was_compressed_still_opens() {
    let dir = TempDir::new("log-zst-handed-out");
    let w = LogWriter::open(dir.path(), "lg", opts(0)).unwrap();
    let seen = events_of(&w);
    for seq in 0..4 {
        w.write("t", &payload(seq)).unwrap();
    }
    let polled = w.poll_sealed().expect("segment 0 sealed").path;
    let sealed = seen.lock().unwrap().iter().find_map(|e| match e {
        SegmentEvent::Sealed(i) => Some(i.path.clone()),
        _ => None,
    });
    assert_eq!(sealed.as_ref(), Some(&polled));
    assert!(polled.to_str().unwrap().ends_with(".binlog"), "{polled:?}");
    w.tick().unwrap();
    assert!(!polled.exists(), "compressed since: {:?}", dir.names());

    let want: Vec<_> = (0..3).map(|s| (s, payload(s))).collect();
    let mut zst = polled.clone().into_os_string();
    zst.push(".zst");
    for salvage in [false, true] {
        let mut r = if salvage {
            Reader::open_salvage(&polled).unwrap()
        } else {
            Reader::open(&polled).unwrap()
        };
        assert!(r.is_compressed());
        assert_eq!(r.path().as_os_str(), zst.as_os_str());
        let mut got = Vec::new();
        while let Some(rec) = r.next().unwrap() {
            got.push((rec.seq, rec.payload.to_vec()));
        }
        assert_eq!(got, want);
    }

    use binlog::ffi::reader::{binlog_reader_free, binlog_reader_open};
    use binlog::ffi::result::binlog_result::BINLOG_OK;
    let mut r = std::ptr::null_mut();
    let c = common::ffi::c_path(&polled);
    assert_eq!(binlog_reader_open(c.as_ptr(), &mut r), BINLOG_OK);
    let seqs: Vec<u64> = std::iter::from_fn(|| common::ffi::next(r)).collect();
    assert_eq!(seqs, [0, 1, 2]);
    binlog_reader_free(r);

    // A path that never existed, compressed or not, is still NotFound.
    let e = Reader::open(dir.join("lg-none.binlog")).err().unwrap();
    assert_eq!(e.kind(), binlog::ErrorKind::NotFound, "{e}");
    w.close().unwrap();
}
