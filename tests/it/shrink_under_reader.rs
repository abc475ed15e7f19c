//! A segment cut shorter under an open reader. A reader maps the segment,
//! and touching a mapped page wholly past the end of the file raises SIGBUS,
//! which kills the whole process. Files get shorter while they are mapped:
//! a new writer cuts a torn tail left by one that crashed, and a writer
//! that reopens a sealed segment to append cuts its seal off. A log
//! follower of a service that crashes and restarts meets both.
//!
//! Each test runs the reader in a child process (this test binary,
//! re-executed with an environment variable naming the reader's script), so
//! that a SIGBUS shows as the child's death by that signal, not as a crash
//! of the test harness. The parent does what the other processes of the
//! story do (a writer killed with SIGKILL, a new writer that recovers the
//! segment) at fixed points of the reader's script: the reader says where
//! it is on stdout and waits for a file the parent creates when its step is
//! done. No timing decides the outcome.

use crate::common;

use binlog::{Options, Reader, Writer};
use common::child::ChildProc;
use common::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "BINLOG_SHRINK_CHILD";
const DIR_ENV: &str = "BINLOG_SHRINK_DIR";
const MARK: &str = "#binlog-child# ";
const LIMIT: Duration = Duration::from_secs(120);

/// Records in the sealed segments: enough that the seal (8 bytes a record
/// in the per-type arrays, and the sparse index) spans many pages past the
/// page where the records end.
const SEALED_RECORDS: u64 = 6000;

/// One line to stdout with one write(2).
fn say(line: String) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(format!("{MARK}{line}\n").as_bytes());
    let _ = out.flush();
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    assert!(n > 0, "sysconf(_SC_PAGESIZE)");
    n as u64
}

fn seg(dir: &Path) -> PathBuf {
    dir.join("seg.binlog")
}

/// In the child: waits until the parent has created `name` in `dir`.
fn wait_file(dir: &Path, name: &str) {
    let deadline = Instant::now() + LIMIT;
    while !dir.join(name).exists() {
        assert!(Instant::now() < deadline, "the parent never created {name}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn go(dir: &Path) {
    std::fs::write(dir.join("go"), b"").unwrap();
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

/// Reads on until the end; says `DONE <records read> <first seq> <last
/// seq> <tail>` (the seqs of what this call read; -1 if none).
fn read_rest(r: &mut Reader, mut count: u64, first: Option<u64>) {
    let mut first = first.map_or(-1, |s| s as i64);
    let mut last = -1i64;
    while let Some(rec) = r.next().unwrap() {
        if first < 0 {
            first = rec.seq as i64;
        }
        assert!(
            last < 0 || rec.seq as i64 > last,
            "out of order at {}",
            rec.seq
        );
        last = rec.seq as i64;
        count += 1;
    }
    say(format!("DONE {count} {first} {last} {:?}", r.tail()));
}

/// If this process is a child, runs the child's script and exits.
fn run_child_if_asked() {
    let Ok(script) = std::env::var(CHILD_ENV) else {
        return;
    };
    let dir = PathBuf::from(std::env::var(DIR_ENV).expect("child needs a directory"));
    let path = seg(&dir);
    match script.as_str() {
        // A writer that crashes: records ending exactly on a page boundary
        // handed to the OS, then it waits to be killed.
        "writer" => {
            let w = Writer::open(&path, Options::default()).unwrap();
            for seq in 0..200 {
                put(&w, &want(seq)).unwrap();
            }
            w.flush().unwrap();
            // A last record without metadata of a type already defined: a
            // 26-byte frame head (frame header, kind, seq, timestamp, one
            // varint byte of type id) before its payload.
            let len = file_len(&path);
            let page = page_size();
            let mut gap = page - len % page;
            if gap < 26 + 100 {
                gap += page;
            }
            w.write_with(TYPES[0], &[], Some(5), &vec![7u8; (gap - 26) as usize])
                .unwrap();
            w.flush().unwrap();
            let end = file_len(&path);
            assert_eq!(
                end % page,
                0,
                "records end at {end}, not on a page boundary"
            );
            say(format!("END {end}"));
            std::thread::sleep(LIMIT);
        }
        // Follows the segment and is behind when a new writer recovers it.
        "follow" => {
            let mut r = Reader::open(&path).unwrap();
            for _ in 0..10 {
                r.next().unwrap().unwrap();
            }
            say("OPEN".into());
            wait_file(&dir, "go");
            read_rest(&mut r, 10, Some(0));
        }
        // Opens the sealed segment; seeks once the seal is cut.
        "seek" => {
            let mut r = Reader::open(&path).unwrap();
            assert!(r.seal().is_some(), "opened sealed");
            say("OPEN".into());
            wait_file(&dir, "go");
            r.seek_seq(SEALED_RECORDS / 2).unwrap();
            let seq = r.next().unwrap().map(|rec| rec.seq);
            say(format!("SEEK_SEQ {seq:?}"));
            let ts = want(SEALED_RECORDS / 3).ts;
            r.seek_time(ts).unwrap();
            let seq = r.next().unwrap().map(|rec| rec.seq);
            say(format!("SEEK_TIME {seq:?}"));
        }
        // Opens the sealed segment; filters by type once the seal is cut.
        "filter" => {
            let mut r = Reader::open(&path).unwrap();
            assert!(r.seal().is_some(), "opened sealed");
            say("OPEN".into());
            wait_file(&dir, "go");
            r.filter_types(&[TYPES[1]]);
            read_rest(&mut r, 0, None);
        }
        // Filters by type on the sealed segment, reads some, and reads on
        // once the seal is cut.
        "filtering" => {
            let mut r = Reader::open(&path).unwrap();
            assert!(r.seal().is_some(), "opened sealed");
            r.filter_types(&[TYPES[1]]);
            let first = r.next().unwrap().unwrap().seq;
            say("OPEN".into());
            wait_file(&dir, "go");
            read_rest(&mut r, 1, Some(first));
        }
        // Opens, seeks and filters over and over while the parent reopens
        // and seals the segment, until the parent says stop.
        "loop" => {
            say("OPEN".into());
            let mut rounds = 0u64;
            while !dir.join("stop").exists() {
                let mut r = Reader::open(&path).unwrap();
                r.seek_seq(SEALED_RECORDS / 2).unwrap();
                let got = r.next().unwrap().map(|rec| rec.seq);
                assert_eq!(got, Some(SEALED_RECORDS / 2));
                r.filter_types(&[TYPES[1]]);
                for _ in 0..50 {
                    if r.next().unwrap().is_none() {
                        break;
                    }
                }
                while r.next().unwrap().is_some() {}
                rounds += 1;
            }
            say(format!("ROUNDS {rounds}"));
        }
        other => panic!("unknown child script {other}"),
    }
    std::process::exit(0);
}

/// Runs `test_name` as a child running `script` on the segment in `dir`.
fn spawn(test_name: &str, script: &str, dir: &Path) -> ChildProc {
    ChildProc::spawn(
        test_name,
        &[(CHILD_ENV, script.as_ref()), (DIR_ENV, dir.as_os_str())],
        MARK,
    )
}

/// Spawns the reader child `script` and waits until it says `OPEN`.
fn reader_at_open(test_name: &str, script: &str, dir: &Path) -> ChildProc {
    let mut child = spawn(test_name, script, dir);
    let mut seen = Vec::new();
    assert!(
        child.wait_for("OPEN", &mut seen, LIMIT),
        "the reader never opened: {seen:?}"
    );
    child
}

/// The line of `lines` that starts with `prefix`.
fn line<'a>(lines: &'a [String], prefix: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} line in {lines:?}"))
}

/// A sealed segment of `SEALED_RECORDS` records with a dense sparse index.
fn make_big_sealed(path: &Path) -> u64 {
    let opts = Options {
        sparse_interval: 64,
        ..Options::default()
    };
    make_sealed(path, SEALED_RECORDS, opts);
    let d = Reader::open(path).unwrap().seal().unwrap().clone();
    assert!(
        file_len(path) - d.records_end > 8 * page_size(),
        "the seal spans pages"
    );
    d.records_end
}

/// Reopens the sealed segment for appending (which cuts the seal off, as
/// a log writer does after a failed roll), checks that the file is now
/// its records, and lets the reader go on. The writer stays open until
/// the reader is done.
fn strip_seal_under(path: &Path, records_end: u64) -> Writer {
    let w = Writer::open(path, Options::default()).unwrap();
    assert_eq!(file_len(path), records_end, "the seal was cut off");
    go(path.parent().unwrap());
    w
}

/// A reader that opened a sealed segment reads the sparse index from the
/// seal when it first seeks, not through the mapping, cut off by then
/// (which would kill the reader with SIGBUS).
#[test]
fn a_seek_after_a_new_writer_cut_the_seal_off() {
    run_child_if_asked();
    let dir = TempDir::new("shrink-seek");
    let end = make_big_sealed(&seg(dir.path()));
    let child = reader_at_open(
        "a_seek_after_a_new_writer_cut_the_seal_off",
        "seek",
        dir.path(),
    );
    let w = strip_seal_under(&seg(dir.path()), end);
    let lines = child.wait_ok();
    assert_eq!(
        line(&lines, "SEEK_SEQ"),
        format!("SEEK_SEQ Some({})", SEALED_RECORDS / 2)
    );
    assert_eq!(
        line(&lines, "SEEK_TIME"),
        format!("SEEK_TIME Some({})", SEALED_RECORDS / 3)
    );
    w.close().unwrap();
}

/// The same for the per-type index, read when a filter is set.
#[test]
fn a_filter_set_after_a_new_writer_cut_the_seal_off() {
    run_child_if_asked();
    filtered_read_across_a_seal_cut("a_filter_set_after_a_new_writer_cut_the_seal_off", "filter");
}

/// A filter set while the seal was there reads the per-type index as it
/// goes, not through the mapping, cut off under it.
#[test]
fn a_filtered_read_going_on_after_a_new_writer_cut_the_seal_off() {
    run_child_if_asked();
    filtered_read_across_a_seal_cut(
        "a_filtered_read_going_on_after_a_new_writer_cut_the_seal_off",
        "filtering",
    );
}

/// A child reader in `mode` (`filter`: sets its filter after the cut;
/// `filtering`: before) reads one type of a sealed segment whose seal a
/// new writer cuts off under it, and gets every record of that type.
fn filtered_read_across_a_seal_cut(test: &str, mode: &str) {
    let dir = TempDir::new(&format!("shrink-{mode}"));
    let end = make_big_sealed(&seg(dir.path()));
    let child = reader_at_open(test, mode, dir.path());
    let w = strip_seal_under(&seg(dir.path()), end);
    let lines = child.wait_ok();
    let n = SEALED_RECORDS / 3;
    assert_eq!(
        line(&lines, "DONE"),
        format!("DONE {n} 1 {} Sealed", SEALED_RECORDS - 2)
    );
    w.close().unwrap();
}

/// A writer is killed with a torn record at the end of its segment; a
/// follower opens the segment (mapping the torn bytes) and is still
/// reading the records before them when a new writer cuts the torn tail
/// off. The records end on a page boundary, so the first byte past them
/// is in a page wholly past the new end of the file: read through the
/// follower's old mapping, it would kill the follower with SIGBUS.
#[test]
fn a_follower_behind_a_torn_tail_that_a_new_writer_cuts() {
    run_child_if_asked();
    let dir = TempDir::new("shrink-follow");
    let path = seg(dir.path());
    let name = "a_follower_behind_a_torn_tail_that_a_new_writer_cuts";
    let mut writer = spawn(name, "writer", dir.path());
    let mut seen = Vec::new();
    assert!(
        writer.wait_for("END", &mut seen, LIMIT),
        "the writer never wrote: {seen:?}"
    );
    let end: u64 = seen.last().unwrap()[4..].parse().unwrap();
    writer.kill9(seen);
    assert_eq!(file_len(&path), end);

    // What a kill in the middle of writing record 201 leaves: the start of
    // its frame (a head declaring 10000 bytes of body, and 6000 bytes of
    // it), over two pages.
    let mut torn = Vec::new();
    torn.extend_from_slice(&10_000u32.to_le_bytes());
    torn.extend_from_slice(&0x1234_5678u32.to_le_bytes());
    torn.push(1);
    torn.extend_from_slice(&201u64.to_le_bytes());
    torn.extend_from_slice(&6i64.to_le_bytes());
    torn.push(0);
    torn.resize(6000, 0xab);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(&torn).unwrap();
    drop(f);

    let child = reader_at_open(name, "follow", dir.path());
    let w = Writer::open(&path, Options::default()).unwrap();
    assert_eq!(file_len(&path), end, "the torn tail was cut off");
    assert_eq!(w.next_seq(), 201);
    go(dir.path());
    let lines = child.wait_ok();
    assert_eq!(line(&lines, "DONE"), "DONE 201 0 200 Unsealed");
    w.close().unwrap();
}

/// Not an ordering but a race, as an extra: a reader opens, seeks and
/// filters over and over while writers reopen the segment (cutting its
/// seal off), append and seal it again. Cuts then land anywhere in the
/// reader's work, opening included (where it reads the seal's trailer,
/// directory and first index entries). The reader must never die.
/// `BINLOG_SHRINK_REOPENS` reopens (default 60; `make torture` sets 300).
#[test]
fn a_reader_looping_while_writers_reopen_and_seal_the_segment() {
    run_child_if_asked();
    let dir = TempDir::new("shrink-loop");
    let path = seg(dir.path());
    make_big_sealed(&path);
    let child = reader_at_open(
        "a_reader_looping_while_writers_reopen_and_seal_the_segment",
        "loop",
        dir.path(),
    );
    let mut seq = SEALED_RECORDS;
    for _ in 0..knob("BINLOG_SHRINK_REOPENS", 60) {
        let w = Writer::open(&path, Options::default()).unwrap();
        for _ in 0..5 {
            assert_eq!(put(&w, &want(seq)).unwrap(), seq);
            seq += 1;
        }
        w.close().unwrap();
    }
    std::fs::write(dir.path().join("stop"), b"").unwrap();
    let lines = child.wait_ok();
    let rounds: u64 = line(&lines, "ROUNDS")[7..].parse().unwrap();
    assert!(rounds > 0, "{lines:?}");
}
