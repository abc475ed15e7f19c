//! A roll that fails after creating the next segment's file (here: opening
//! the directory to sync it fails, the process being out of descriptors)
//! leaves the log writing on in the segment before. The file it created
//! must not come back: a later roll in the same second would reopen it
//! under the same name, and a reopened log would resume it, numbering
//! records from its header's first sequence number again.

mod common;
use binlog::log::{naming, segments, LogOptions, LogReader, LogWriter};
use binlog::{Durability, Options, Writer};
use common::child::ChildProc;
use common::TempDir;
use std::path::Path;
use std::sync::Arc;

/// 2026-11-21T05:37:42.5Z: every roll happens in the same second.
const T0: i64 = 1_795_239_462_500_000_000;

/// `seal_in_background`: a roll leaves the old segment open (its seal is
/// written later), so the new one's file is all a roll opens.
fn fixed_clock_log(seal_in_background: bool) -> LogOptions {
    LogOptions {
        clock: Arc::new(|| T0),
        seal_in_background,
        segment: Options {
            durability: Durability::EveryRecord,
            ..Options::default()
        },
        ..LogOptions::default()
    }
}

/// Every record of log `name` in `dir`, read as one log: sequence numbers.
fn seqs(dir: &Path, name: &str) -> Vec<u64> {
    let mut r = LogReader::open(dir, name).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    while let Some(rec) = r.next().unwrap_or_else(|e| panic!("{e}")) {
        out.push(rec.seq);
    }
    assert!(r.gaps().is_empty(), "{:?}", r.gaps());
    out
}

const CHILD: &str = "BINLOG_FAILED_ROLL_CHILD";

#[test]
fn a_roll_that_failed_after_creating_the_file_leaves_nothing_behind() {
    if let Ok(dir) = std::env::var(CHILD) {
        fail_a_roll_then_roll_again(Path::new(&dir));
        return;
    }
    let d = TempDir::new("failed-roll");
    let lines = ChildProc::spawn(
        "a_roll_that_failed_after_creating_the_file_leaves_nothing_behind",
        &[(CHILD, d.path().as_os_str())],
        "ROLL-CHILD ",
    )
    .wait_ok();
    let failure = lines
        .iter()
        .find_map(|l| l.strip_prefix("failed "))
        .expect("the child reports the failed roll");
    assert!(failure.contains("directory"), "{failure}");
    assert_eq!(seqs(d.path(), "x"), (0..8).collect::<Vec<_>>());
    let files = segments::list(d.path(), "x").unwrap();
    let numbers: Vec<u64> = files.iter().map(|f| f.segment_no).collect();
    assert_eq!(numbers, [0, 1], "{files:?}");
}

/// In the child: 3 records, a roll that fails with one descriptor left (the
/// new file takes it, opening the directory to sync it fails), 2 more
/// records in segment 0, a roll in the same second, 3 records.
fn fail_a_roll_then_roll_again(dir: &Path) {
    let w = LogWriter::open(dir, "x", fixed_clock_log(true)).unwrap();
    for i in 0..3u64 {
        assert_eq!(w.write("t", &[i as u8]).unwrap(), i);
    }
    let err = common::with_one_descriptor_left(|| w.roll().unwrap_err());
    println!("ROLL-CHILD failed {err}");
    for i in 3..5u64 {
        assert_eq!(w.write("t", &[i as u8]).unwrap(), i);
    }
    assert_eq!(w.current_segment().unwrap().segment_no, 0);
    w.roll().unwrap();
    for i in 5..8u64 {
        assert_eq!(w.write("t", &[i as u8]).unwrap(), i);
    }
    w.close().unwrap();
}

const LEFTOVER_CHILD: &str = "BINLOG_LEFTOVER_CHILD";

/// The same leftover as a failed roll that could not remove it either (a
/// header that says segment 1 starts at 3, nothing else) found when the log
/// opens again, after segment 0 went on to record 5, closed or not (a
/// crash): removed, and the log continues at 6. A later roll or a reader
/// would otherwise trip over sequence numbers given twice.
#[test]
fn an_empty_segment_left_by_a_failed_roll_is_removed_when_the_log_opens() {
    if let Ok(how) = std::env::var(LEFTOVER_CHILD) {
        let (close, dir) = how.split_once(' ').expect("mode and directory");
        leave_a_leftover(Path::new(dir), close == "close");
        return;
    }
    for close in ["close", "crash"] {
        let d = TempDir::new(&format!("leftover-{close}"));
        ChildProc::spawn(
            "an_empty_segment_left_by_a_failed_roll_is_removed_when_the_log_opens",
            &[(
                LEFTOVER_CHILD,
                format!("{close} {}", d.path().display()).as_ref(),
            )],
            "-",
        )
        .wait_ok();
        let leftover = d.join(&naming::segment_name("x", 1, T0));
        assert!(leftover.exists(), "{close}");

        let w = LogWriter::open(d.path(), "x", fixed_clock_log(false)).unwrap();
        // Segment 1 again (the clock stands still: under the same name), new.
        let current = w.current_segment().unwrap();
        assert_eq!(current.path, leftover, "{close}");
        assert_eq!(current.first_seq, 6, "{close}");
        assert_eq!(w.write("t", b"next").unwrap(), 6, "{close}");
        w.roll().unwrap();
        assert_eq!(w.write("t", b"after a roll").unwrap(), 7, "{close}");
        w.close().unwrap();
        assert_eq!(seqs(d.path(), "x"), (0..8).collect::<Vec<_>>(), "{close}");
    }
}

/// In the child: records 0-5 in segment 0 (closed, or left as a crash
/// leaves it), and segment 1's file with only a header saying it starts at
/// 3; then gone without closing anything (a close would seal segment 1,
/// which a failed roll never did).
fn leave_a_leftover(dir: &Path, close: bool) {
    let w = LogWriter::open(dir, "x", fixed_clock_log(false)).unwrap();
    for i in 0..6u64 {
        w.write("t", &[i as u8]).unwrap();
    }
    if close {
        w.close().unwrap();
    }
    let leftover = Writer::open(
        dir.join(naming::segment_name("x", 1, T0)),
        Options {
            log_name: "x".into(),
            segment_no: 1,
            first_seq: 3,
            ..Options::default()
        },
    )
    .unwrap();
    std::mem::forget((w, leftover));
    std::process::exit(0);
}

/// A roll that made the next segment but could not close the old one's
/// records (its end frame would pass the file size limit: EFBIG) leaves the
/// old segment active, as it was, and removes the file it made; once the
/// limit is lifted the log goes on and rolls. Nothing was sealed, so no
/// sealed segment changed.
#[test]
fn a_roll_whose_end_frame_cannot_be_written_leaves_the_old_segment_active() {
    common::in_fsize_child(
        "a_roll_whose_end_frame_cannot_be_written_leaves_the_old_segment_active",
        "BINLOG_END_FRAME_EFBIG_DIR",
        "END-FRAME-CHILD ",
        |dir| {
            let w = LogWriter::open(dir, "x", fixed_clock_log(false)).unwrap();
            for i in 0..3u64 {
                assert_eq!(w.write("t", &[i as u8]).unwrap(), i);
            }
            w.flush().unwrap();
            let old = w.current_segment().unwrap();
            let len = std::fs::metadata(&old.path).unwrap().len();
            // Room for the next segment's header, not for the end frame.
            common::set_file_size_limit(len + 5);
            let e = w.roll().unwrap_err();
            common::set_file_size_limit(libc::RLIM_INFINITY);
            println!("END-FRAME-CHILD {e}");
            assert!(e.message().contains(&*old.path.to_string_lossy()), "{e}");
            assert_eq!(w.current_segment().unwrap(), old);
            assert_eq!(std::fs::metadata(&old.path).unwrap().len(), len);
            let files = segments::list(dir, "x").unwrap();
            assert_eq!(files.len(), 1, "{files:?}");
            assert_eq!(w.write("t", b"3").unwrap(), 3);
            w.roll().unwrap();
            assert_eq!(w.write("t", b"4").unwrap(), 4);
            w.close().unwrap();
            assert_eq!(seqs(dir, "x"), (0..5).collect::<Vec<_>>());
        },
    );
}
