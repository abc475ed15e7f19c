//! `binlog repair`: a torn tail backed up and cut, seals rewritten,
//! `--salvage` keeping the records after damage (reporting the gap it
//! leaves in a log, and keeping the numbers it salvaged from being given
//! out again), a backup that fails half-way not left as a backup, and
//! segments a writer holds (its lock, or its log's) left alone. Helpers in
//! tests/common/cli.rs.

use binlog::{LogOptions, LogWriter, Reader};
use std::path::PathBuf;

mod common;
use common::cli::*;

/// Runs the tool with a limit on the size of the files it writes (writes
/// past it fail with EFBIG), as a disk filling up would.
fn run_with_fsize_limit(args: &[&str], limit: u64) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_binlog"));
    c.args(args);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        c.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let r = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &r);
            Ok(())
        });
    }
    c.output().unwrap()
}

/// A backup copy that failed half-way (a full disk) stayed behind under
/// the name of a complete backup, `<file>.backup-<time>`, holding half
/// of the file.
#[test]
fn a_backup_that_fails_half_way_is_not_left_as_a_backup() {
    let t = Tmp::new("half-backup");
    let seg = t.join("u.binlog");
    unsealed_segment(&seg, 3000);
    let before = std::fs::read(&seg).unwrap();
    let len = before.len() as u64;
    let out = run_with_fsize_limit(&["repair", seg.to_str().unwrap()], len / 2);
    assert_eq!(out.status.code(), Some(2), "{}", out_text(&out));
    assert_eq!(std::fs::read(&seg).unwrap(), before, "the segment changed");
    // Nothing that looks like a backup (or a partial one) is left.
    assert_eq!(
        t.names(),
        vec!["u.binlog".to_string()],
        "{}",
        out_text(&out)
    );
    // And with room, the repair goes through.
    binlog()
        .args(["repair", seg.to_str().unwrap()])
        .assert()
        .code(0);
    let b: Vec<String> = t
        .names()
        .into_iter()
        .filter(|n| n.contains(".backup-"))
        .collect();
    assert_eq!(b.len(), 1);
    assert_eq!(std::fs::read(t.join(&b[0])).unwrap(), before);
}

/// `repair --salvage` of a segment in the middle of a log moves the
/// records after the damage out of the log, which leaves records missing
/// between that segment and the next: `verify` reports it at once, yet
/// repair said "0 left damaged" and exited 0.
#[test]
fn salvage_in_the_middle_of_a_log_reports_the_gap_it_leaves() {
    let t = Tmp::new("salvage-gap");
    rolled_log(&t.0, 30, 10);
    let names = t.segments();
    let mid = t.join(&names[1]);
    let f = frames(&mid);
    flip_byte(&mid, f[4].0 + 12);
    let out = binlog()
        .args(["repair", "--salvage", t.0.to_str().unwrap()])
        .output()
        .unwrap();
    let text = out_text(&out);
    assert!(text.contains("salvaged 5 records (seq 15..19)"), "{text}");
    // Every record is somewhere: 0..13 and 20..29 in the log, 15..19 in
    // the salvaged file (14 was in the damaged bytes).
    let all: Vec<u64> = seqs_of_lines(&stdout_of(binlog().args(["cat", t.0.to_str().unwrap()])));
    let mut sorted = all.clone();
    sorted.sort();
    let want: Vec<u64> = (0..30).filter(|&s| s != 14).collect();
    assert_eq!(sorted, want);
    // The log now misses records 14..19 between two segments: damage that
    // remains, as verify says.
    binlog()
        .args(["verify", t.0.to_str().unwrap()])
        .assert()
        .code(1);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("records 14..19"), "{text}");
    assert!(text.contains("1 left damaged"), "{text}");
}

/// A log writer holds its log's lock (`<name>.lock`) from open to close,
/// but while it rolls no segment lock is held for an instant. A repair
/// then must not take the newest, unsealed segment for one whose writer
/// died: with the log's lock held, an unsealed segment of the log counts
/// as held by a writer (the old repair resealed it under the writer).
#[test]
fn repair_leaves_an_unsealed_segment_of_a_log_whose_lock_is_held() {
    use std::os::fd::AsRawFd;
    let t = Tmp::new("log-lock");
    let dir = t.join("log");
    rolled_log(&dir, 10, 4);
    let segs: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "binlog"))
            .collect();
        v.sort();
        v
    };
    let newest = segs.last().unwrap().clone();
    // The newest segment as its writer left it before sealing: records
    // only (cut at the end of its records, where the seal begins).
    let records_end = {
        let r = Reader::open(&newest).unwrap();
        r.seal().unwrap().records_end
    };
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&newest)
        .unwrap();
    f.set_len(records_end).unwrap();
    drop(f);
    let before = std::fs::read(&newest).unwrap();
    // A writer of the log, between two segment locks.
    let lock = std::fs::File::open(binlog::log::naming::lock_path(&dir, "orders")).unwrap();
    // SAFETY: flock on a descriptor we own.
    assert_eq!(
        unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) },
        0
    );
    let out = binlog()
        .args(["repair", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let text = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("a writer has it open"), "{text}");
    assert_eq!(
        std::fs::read(&newest).unwrap(),
        before,
        "repaired under a live writer"
    );
    let out = binlog()
        .args(["verify", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    // Once the writer is gone, the segment is resealed.
    drop(lock);
    let out = binlog()
        .args(["repair", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    assert!(Reader::open(&newest).unwrap().seal().is_some());
}

/// Salvaging the newest segment of a log cuts it before the damage; the
/// log's next writer would go on after the cut and number new records as
/// the salvaged ones are numbered (two records, one in the log and one in
/// the salvaged file, with one sequence number). Repair starts an empty
/// segment after the salvaged numbers, so the writer numbers after them.
#[test]
fn salvaging_the_newest_segment_of_a_log_keeps_its_numbers_from_being_reused() {
    let t = Tmp::new("salvage-newest");
    rolled_log(&t.0, 18, 6);
    let names = t.segments();
    assert_eq!(names.len(), 3);
    let newest = t.join(&names[2]);
    let f = frames(&newest);
    flip_byte(&newest, f[2].0 + 12); // record 14
    let dir = t.0.to_str().unwrap();
    let dry = binlog()
        .args(["repair", "--salvage", "--dry-run", dir])
        .output()
        .unwrap();
    assert!(out_text(&dry).contains("would start"), "{}", out_text(&dry));
    assert_eq!(
        t.names().iter().filter(|n| n.ends_with(".binlog")).count(),
        3,
        "dry run changed nothing"
    );
    let out = binlog()
        .args(["repair", "--salvage", dir])
        .output()
        .unwrap();
    let text = out_text(&out);
    assert!(text.contains("salvaged 3 records (seq 15..17)"), "{text}");
    assert!(text.contains("at sequence number 18"), "{text}");
    // The gap where the records were stays: damage left.
    assert_eq!(out.status.code(), Some(1), "{text}");
    // The log's next writer numbers after the salvaged records.
    let w = LogWriter::open(
        &t.0,
        "orders",
        LogOptions {
            background: false,
            ..LogOptions::default()
        },
    )
    .unwrap();
    let seq = w
        .write_batch(&[binlog::Entry {
            type_name: "order",
            meta: &[],
            timestamp_ns: None,
            parts: &[b"after"],
        }])
        .unwrap();
    w.close().unwrap();
    assert_eq!(seq, 18);
    // No number is in the log and in a salvaged file both.
    let all = seqs_of_lines(&stdout_of(binlog().args(["cat", dir])));
    let mut sorted = all.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), all.len(), "a number used twice: {all:?}");
    assert_eq!(sorted, (0..19).filter(|&s| s != 14).collect::<Vec<u64>>());
}
