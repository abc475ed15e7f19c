//! `binlog::repair`: plan, dry run and apply on damaged logs. A log whose
//! sealed segment was cut short (its seal damaged) is planned as a reseal
//! with a backup first; a dry run changes nothing; applying the plan leaves
//! a log whose records all read, with the backup kept beside it, and a
//! plan of the repaired log has nothing to do. Corruption in the middle is
//! refused without salvage and, with it, the records after the damage are
//! copied to a salvaged file the log reads, the gap named.

use crate::common;

use binlog::repair::{self, Action, Event, Outcome, StepKind};
use binlog::{LogOptions, LogReader, LogWriter};
use common::TempDir;
use std::path::{Path, PathBuf};

/// Log "orders" in `dir`: `n` records "record NN", sealed; its one segment.
fn sealed_log(dir: &Path, n: u64) -> PathBuf {
    let log = LogWriter::open(dir, "orders", LogOptions::default()).unwrap();
    for i in 0..n {
        log.write("order", format!("record {i:02}").as_bytes())
            .unwrap();
    }
    log.close().unwrap();
    let segments = common::binlog_files(dir);
    assert_eq!(segments.len(), 1, "{segments:?}");
    segments[0].clone()
}

/// The payloads log "orders" in `dir` reads, in order.
fn read_log(dir: &Path) -> Vec<String> {
    let mut r = LogReader::open(dir, "orders").unwrap();
    let mut out = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        out.push(String::from_utf8(rec.payload.to_vec()).unwrap());
    }
    out
}

/// Flips a bit of the first `needle` in the file at `path`.
fn flip(path: &Path, needle: &[u8]) {
    let mut b = std::fs::read(path).unwrap();
    let at = b.windows(needle.len()).position(|w| w == needle).unwrap();
    b[at] ^= 1;
    std::fs::write(path, b).unwrap();
}

fn backups(dir: &Path) -> Vec<String> {
    common::list_dir(dir)
        .into_iter()
        .filter(|n| n.contains(".backup-"))
        .collect()
}

#[test]
fn a_cut_seal_is_planned_as_a_reseal_and_applied() {
    let dir = TempDir::new("repair-reseal");
    let seg = sealed_log(dir.path(), 10);
    let len = std::fs::metadata(&seg).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&seg)
        .unwrap()
        .set_len(len - 3)
        .unwrap();

    let plan = repair::plan(dir.path(), None, &repair::Options::default()).unwrap();
    assert_eq!(plan.segments.len(), 1);
    let s = &plan.segments[0];
    assert_eq!(s.verdict.path, seg);
    assert!(s.verdict.damaged);
    assert_eq!(s.action, Action::Reseal);
    assert!(plan.changes());
    let kinds: Vec<StepKind> = s.steps.iter().map(|st| st.kind).collect();
    assert_eq!(kinds.first(), Some(&StepKind::Backup), "{:?}", s.steps);
    assert!(kinds.contains(&StepKind::Reseal), "{:?}", s.steps);

    // A dry run walks the plan's steps and changes nothing.
    let mut walked = Vec::new();
    let sum = repair::dry_run(&plan, |e| {
        if let Event::Step(st) = e {
            walked.push(st.clone())
        }
    });
    assert_eq!(walked, s.steps);
    assert_eq!((sum.segments, sum.changed), (1, 1));
    assert_eq!(std::fs::metadata(&seg).unwrap().len(), len - 3);
    assert!(backups(dir.path()).is_empty());

    let mut ended = Vec::new();
    let mut done = Vec::new();
    let sum = repair::apply(&plan, |e| match e {
        Event::Step(st) => done.push(st.kind),
        Event::Ended(_, outcome, err) => ended.push((outcome, err.map(|e| e.to_string()))),
        Event::Segment(_) => {}
    });
    assert_eq!(ended, vec![(Outcome::Repaired, None)]);
    assert!(sum.is_clean(), "{sum:?}");
    assert_eq!((sum.segments, sum.changed), (1, 1));
    assert_eq!(done.first(), Some(&StepKind::Backup), "{done:?}");

    let want: Vec<String> = (0..10).map(|i| format!("record {i:02}")).collect();
    assert_eq!(read_log(dir.path()), want);
    assert_eq!(backups(dir.path()).len(), 1);
    let b = dir.join(&backups(dir.path())[0]);
    assert_eq!(std::fs::metadata(b).unwrap().len(), len - 3);

    let again = repair::plan(dir.path(), Some("orders"), &repair::Options::default()).unwrap();
    assert_eq!(again.segments[0].action, Action::None);
    assert!(again.segments[0].steps.is_empty());
    assert!(!again.changes());
}

#[test]
fn corruption_in_the_middle_is_refused_unless_salvaged() {
    let dir = TempDir::new("repair-salvage");
    let seg = sealed_log(dir.path(), 10);
    flip(&seg, b"record 04");

    let refused = repair::plan(dir.path(), Some("orders"), &repair::Options::default()).unwrap();
    assert_eq!(refused.segments[0].action, Action::Refuse);
    assert!(refused.segments[0].why.contains("refused"));
    let sum = repair::apply(&refused, |_| {});
    assert_eq!((sum.changed, sum.left_damaged), (0, 1));
    assert!(backups(dir.path()).is_empty());

    let backup_dir = TempDir::new("repair-salvage-backups");
    let options = repair::Options {
        salvage: true,
        backup_dir: Some(backup_dir.path().to_path_buf()),
    };
    let plan = repair::plan(dir.path(), Some("orders"), &options).unwrap();
    let s = &plan.segments[0];
    assert_eq!(s.action, Action::Salvage);
    let count = |k| s.steps.iter().filter(|st| st.kind == k).count();
    assert_eq!(count(StepKind::Salvage), 1, "{:?}", s.steps);
    assert_eq!(count(StepKind::Cut), 1, "{:?}", s.steps);
    assert_eq!(count(StepKind::Gap), 1, "{:?}", s.steps);

    let sum = repair::apply(&plan, |_| {});
    assert_eq!((sum.changed, sum.errors), (1, 0), "{sum:?}");
    // The lost record is a gap the log is left with, until accepted.
    assert_eq!(sum.left_damaged, 1);
    assert_eq!(backups(backup_dir.path()).len(), 1);
    let read = read_log(dir.path());
    assert_eq!(read.len(), 9, "{read:?}");
    assert!(!read.contains(&"record 04".to_string()));

    assert!(repair::accept_gap(dir.path(), "orders", 5, 4, "").is_err());
    repair::accept_gap(dir.path(), "orders", 4, 4, "lost in a test").unwrap();
    let after = repair::plan(dir.path(), Some("orders"), &repair::Options::default()).unwrap();
    assert!(
        after.segments.iter().all(|s| s.action == Action::None),
        "{:?}",
        after.segments
    );
    assert!(repair::apply(&after, |_| {}).is_clean());
}
