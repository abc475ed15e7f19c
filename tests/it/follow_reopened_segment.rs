//! A follower at the end of a sealed standalone segment reads the records
//! that a writer in another process appends by reopening it (which removes
//! the seal, docs/FORMAT.md section 12), and the seal it writes again ends
//! them: `Reader::next_wait` (also with a type filter, which read through
//! the seal's per-type index) and `LogReader::next_wait` over a list of
//! files.

use crate::common;

use binlog::LogReader;
use binlog::{Options, Reader, Tail, Writer};
use common::child::ChildProc;
use common::TempDir;
use std::path::Path;
use std::time::{Duration, Instant};

const CHILD_PATH: &str = "BINLOG_FOLLOW_REOPENED_PATH";
const MARK: &str = "FOLLOW-REOPENED ";
/// Bounds a hang only.
const WAIT: Duration = Duration::from_secs(120);

/// A sealed segment of records 0..3 ("a", "b", "a").
fn sealed_segment(path: &Path) {
    let w = Writer::open(path, Options::default()).unwrap();
    for t in ["a", "b", "a"] {
        w.write(t, t.as_bytes()).unwrap();
    }
    w.close().unwrap();
}

/// In the child: reopens the segment, appends records 3..6 ("b", "a",
/// "c") and closes it (sealing it again). False in the parent.
fn child_appends() -> bool {
    let Some(path) = std::env::var_os(CHILD_PATH) else {
        return false;
    };
    let w = Writer::open(Path::new(&path), Options::default()).unwrap();
    for t in ["b", "a", "c"] {
        w.write(t, t.as_bytes()).unwrap();
    }
    w.close().unwrap();
    true
}

/// Sequence numbers `next_wait` returns until `last`.
fn seqs_until(last: u64, mut next_wait: impl FnMut() -> Option<u64>) -> Vec<u64> {
    let t0 = Instant::now();
    let mut seqs = Vec::new();
    while seqs.last() != Some(&last) {
        assert!(t0.elapsed() < WAIT, "only {seqs:?} came");
        seqs.extend(next_wait());
    }
    seqs
}

/// Starts a child process that appends to the segment at `path`.
fn append_in_a_child(test: &str, path: &Path) -> ChildProc {
    ChildProc::spawn(test, &[(CHILD_PATH, path.as_os_str())], MARK)
}

#[test]
fn a_segment_follower_reads_what_a_reopening_writer_appends() {
    if child_appends() {
        return;
    }
    let dir = TempDir::new("follow-reopened");
    for filtered in [false, true] {
        let path = dir.join(format!("seg-{filtered}.binlog"));
        sealed_segment(&path);
        let mut r = Reader::open(&path).unwrap();
        if filtered {
            r.filter_types(&["a"]);
        }
        let wait = Duration::from_millis(100);
        let mut next = || r.next_wait(wait).unwrap().map(|x| x.seq);
        let (before, after) = match filtered {
            false => (vec![0, 1, 2], vec![3, 4, 5]),
            true => (vec![0, 2], vec![4]),
        };
        assert_eq!(seqs_until(*before.last().unwrap(), &mut next), before);
        assert_eq!(next(), None, "sealed, nothing appended yet");
        let child = append_in_a_child(
            "a_segment_follower_reads_what_a_reopening_writer_appends",
            &path,
        );
        assert_eq!(seqs_until(*after.last().unwrap(), &mut next), after);
        child.wait_ok();
        assert_eq!(next(), None, "filtered {filtered}");
        assert_eq!(r.tail(), Tail::Sealed, "sealed again");
    }
}

#[test]
fn a_file_list_follower_reads_what_a_reopening_writer_appends() {
    if child_appends() {
        return;
    }
    let dir = TempDir::new("follow-reopened-list");
    let path = dir.join("seg.binlog");
    sealed_segment(&path);
    let mut r = LogReader::open_files(vec![path.clone()]).unwrap();
    let wait = Duration::from_millis(100);
    let mut next = || r.next_wait(wait).unwrap().map(|x| x.seq);
    assert_eq!(seqs_until(2, &mut next), vec![0, 1, 2]);
    assert_eq!(next(), None, "sealed, nothing appended yet");
    let child = append_in_a_child(
        "a_file_list_follower_reads_what_a_reopening_writer_appends",
        &path,
    );
    assert_eq!(seqs_until(5, &mut next), vec![3, 4, 5]);
    child.wait_ok();
    assert_eq!(next(), None);
    assert_eq!(r.tail(), Tail::Sealed, "sealed again");
}
