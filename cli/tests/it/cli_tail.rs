//! `binlog tail`: the last records, and `--follow` across a log's rolls,
//! past damage in an older segment, from `-n 0`, up to `--to-seq`, with a
//! warning naming the records of a gap, reporting damage in the first record,
//! and on into records appended to a sealed segment reopened by another
//! process. Helpers in tests/it/common/cli.rs.

use binlog::{LogOptions, LogWriter, Reader};
use predicates::prelude::*;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common;
use common::cli::*;

#[test]
fn tail_prints_the_last_records() {
    let t = Tmp::new("tail");
    let dir = t.join("log");
    rolled_log(&dir, 12, 5);
    let out = stdout_of(binlog().args(["tail", "-n", "3", dir.to_str().unwrap()]));
    assert_eq!(seqs_of_lines(&out), vec![9, 10, 11]);
    let out = stdout_of(binlog().args(["tail", dir.to_str().unwrap()]));
    assert_eq!(seqs_of_lines(&out), (2..12).collect::<Vec<_>>());
}

#[test]
fn tail_follows_a_log_across_rolls() {
    let t = Tmp::new("follow");
    let dir = t.join("log");
    let w = LogWriter::open(
        &dir,
        "live",
        LogOptions {
            max_segment_records: Some(4),
            background: false,
            ..LogOptions::default()
        },
    )
    .unwrap();
    for i in 0..10u64 {
        w.write("tick", format!("tick {i}").as_bytes()).unwrap();
    }
    w.flush().unwrap();
    let mut w = Some(w);
    let mut child = crate::common::child::KillOnDrop(
        std::process::Command::new(crate::common::cli::tool())
            .args([
                "tail",
                "-f",
                "-n",
                "3",
                "--poll-ms",
                "20",
                dir.to_str().unwrap(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let rx = lines_of(child.stdout.take().unwrap());
    let mut writer = None;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seqs = Vec::new();
    while seqs.last() != Some(&29) {
        // The writer starts once the last 3 records are printed, so that
        // a late start of the tool cannot make others the last 3.
        if seqs.last() == Some(&9) && writer.is_none() {
            let w = w.take().unwrap();
            writer = Some(std::thread::spawn(move || {
                for i in 10..30u64 {
                    w.write("tick", format!("tick {i}").as_bytes()).unwrap();
                    w.flush().unwrap();
                    std::thread::sleep(Duration::from_millis(15));
                }
                w.close().unwrap();
            }));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let seq: u64 = line.split(' ').next().unwrap().parse().unwrap();
                assert!(
                    line.trim_end().ends_with(&format!("tick tick {seq}")),
                    "{line}"
                );
                seqs.push(seq);
            }
            Err(e) => {
                let _ = child.kill();
                let status = child.wait().unwrap();
                panic!("tail -f printed only {seqs:?} ({e}; binlog: {status})");
            }
        }
    }
    // Still running after the last record: it follows until interrupted.
    assert!(child.try_wait().unwrap().is_none());
    child.kill().unwrap();
    child.wait().unwrap();
    writer.unwrap().join().unwrap();
    assert_eq!(seqs, (7..30).collect::<Vec<_>>());
    assert!(
        t_names(&dir).len() >= 8,
        "the writer rolled: {:?}",
        t_names(&dir)
    );
}

/// A log `orders` of 20 sample records, 10 a segment, with record 5 (in
/// the first, sealed segment) damaged; returns that segment and the offset.
fn log_damaged_at_5(dir: &Path) -> (String, u64) {
    rolled_log(dir, 20, 10);
    let seg = t_names(dir)[0].clone();
    let (offset, len) = frames(Path::new(&seg))[5];
    flip_byte(Path::new(&seg), offset + len - 2);
    (seg, offset)
}

/// A running `binlog tail -f`, its output lines read on a thread.
struct Follow {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    /// Its standard error's lines, as they come.
    errs: std::sync::mpsc::Receiver<String>,
}

impl Follow {
    /// Starts the tool with SIGINT at its default action, whatever this
    /// test inherited (a shell ignores it in the commands it starts in
    /// the background, and the ignoring is inherited through exec).
    fn start(args: &[&str]) -> Follow {
        use std::os::unix::process::CommandExt;
        let mut command = std::process::Command::new(crate::common::cli::tool());
        command
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: signal(2) is async-signal-safe, as the child between
        // fork and exec requires.
        unsafe {
            command.pre_exec(|| {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                Ok(())
            })
        };
        let mut child = command.spawn().unwrap();
        let lines = lines_of(child.stdout.take().unwrap());
        let errs = lines_of(child.stderr.take().unwrap());
        Follow { child, lines, errs }
    }

    /// Waits until it says `what` on standard error: the test's only
    /// deadline bounds a hang, not a delay.
    fn said(&mut self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.errs.recv_timeout(left) {
                Ok(line) if line.contains(what) => return,
                Ok(_) => {}
                Err(_) => panic!("it never said {what:?}; stderr: {}", self.stop()),
            }
        }
    }

    /// The next line's sequence number, or None if none comes within
    /// `limit` (or the output ended).
    fn next_seq(&self, limit: Duration) -> Option<u64> {
        let line = self.lines.recv_timeout(limit).ok()?;
        Some(line.split(' ').next().unwrap().parse().unwrap())
    }

    /// Sequence numbers printed until `last` (within 30 s); panics with
    /// what was printed and the stderr otherwise.
    fn seqs_until(&mut self, last: u64) -> Vec<u64> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seqs = Vec::new();
        while seqs.last() != Some(&last) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_seq(left) {
                Some(s) => seqs.push(s),
                None => {
                    let err = self.stop();
                    panic!("tail -f printed only {seqs:?}, waiting for {last}; stderr: {err}");
                }
            }
        }
        seqs
    }

    /// How it ended, if it did within `limit`; else it is killed and the
    /// test fails with what it wrote on stderr.
    fn ended_within(&mut self, limit: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let err = self.stop();
        panic!("the tool was still running {limit:?} after the signal; stderr: {err}");
    }

    /// Kills it (if still running); returns what it wrote on stderr
    /// (after the lines `said` took).
    fn stop(&mut self) -> String {
        let _ = self.child.kill();
        self.child.wait().unwrap();
        self.errs.iter().collect()
    }
}

impl Drop for Follow {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Appends `n` records to the segment `seg` with the binary (another
/// process, reopening it).
fn append_to_segment(seg: &Path, n: usize) {
    binlog()
        .args(["write", "--type", "t"])
        .arg(seg)
        .write_stdin("x\n".repeat(n))
        .assert()
        .success();
}

/// Appends `n` records to log `orders` in `dir` with the binary.
fn append_with_binlog(dir: &Path, n: usize) {
    binlog()
        .args([
            "write",
            dir.to_str().unwrap(),
            "--log",
            "orders",
            "--type",
            "order",
        ])
        .write_stdin("more\n".repeat(n))
        .assert()
        .success();
}

#[test]
fn tail_counts_the_records_readable_before_damage() {
    let t = Tmp::new("tail-damaged");
    let dir = t.join("log");
    let (seg, offset) = log_damaged_at_5(&dir);
    // Readable: 0..4 (printing stops at the damage in the first segment),
    // then 10..19. The seal of the first segment still says 10 records.
    let want: Vec<u64> = [3, 4].into_iter().chain(10..20).collect();
    for args in [["tail", "-n", "12"], ["cat", "--tail", "12"]] {
        let out = binlog()
            .args(args)
            .arg(&dir)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(format!("{seg}: offset {offset}")))
            .get_output()
            .stdout
            .clone();
        assert_eq!(
            seqs_of_lines(&String::from_utf8(out).unwrap()),
            want,
            "{args:?}"
        );
    }
    let out = stdout_of(binlog().args(["tail", "-n", "100"]).arg(&dir));
    let all: Vec<u64> = (0..5).chain(10..20).collect();
    assert_eq!(seqs_of_lines(&out), all);
    // A type filter counts the readable records of that type (record 5
    // is a quote: the quotes readable are 2, then 11, 14, 17).
    let out = stdout_of(
        binlog()
            .args(["cat", "--tail", "4", "--type", "quote"])
            .arg(&dir),
    );
    assert_eq!(seqs_of_lines(&out), vec![2, 11, 14, 17]);
}

#[test]
fn tail_follow_skips_damage_in_an_older_segment_and_goes_on() {
    let t = Tmp::new("follow-damaged");
    let dir = t.join("log");
    let (seg, offset) = log_damaged_at_5(&dir);
    let d = dir.to_str().unwrap();
    let mut f = Follow::start(&["tail", "-f", "-n", "20", "--poll-ms", "20", d]);
    let seqs = f.seqs_until(19);
    assert_eq!(seqs, (0..5).chain(6..20).collect::<Vec<_>>());
    // Still following: new records are printed.
    append_with_binlog(&dir, 3);
    assert_eq!(f.seqs_until(22), vec![20, 21, 22]);
    assert!(f.child.try_wait().unwrap().is_none(), "still running");
    let err = f.stop();
    assert!(
        err.contains(&format!("{seg}: offset {offset}:")) && err.contains("record 5 is lost"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // -n counts what following shows (the damaged record skipped), and
    // damage before the start is not reported.
    let mut f = Follow::start(&["tail", "-f", "-n", "12", "--poll-ms", "20", d]);
    assert_eq!(f.seqs_until(22), (11..23).collect::<Vec<_>>());
    let mut f2 = Follow::start(&["tail", "-f", "-n", "17", "--poll-ms", "20", d]);
    assert_eq!(f2.seqs_until(22), (6..23).collect::<Vec<_>>());
    assert_eq!(f.stop(), "");
    assert_eq!(f2.stop(), "");
}

#[test]
fn tail_follow_n_0_starts_after_the_last_readable_record() {
    // The newest segment cannot be read: empty (its writer was caught
    // creating it, or died then), or with a torn header.
    for torn in [0, 40] {
        let t = Tmp::new("follow-empty-newest");
        let dir = t.join("log");
        rolled_log(&dir, 20, 10);
        let names = t_names(&dir);
        let header = std::fs::read(&names[1]).unwrap();
        let newest = dir.join(binlog::log::naming::segment_name(
            "orders",
            2,
            T0 + 30 * SEC,
        ));
        std::fs::write(&newest, &header[..torn]).unwrap();
        let mut f = Follow::start(&[
            "tail",
            "-f",
            "-n",
            "0",
            "--poll-ms",
            "20",
            dir.to_str().unwrap(),
        ]);
        // Append until the follow shows something (it may start late and
        // miss the first appends): it shows only what was appended.
        let mut written = 20;
        let first = loop {
            append_with_binlog(&dir, 1);
            written += 1;
            if let Some(s) = f.next_seq(Duration::from_millis(300)) {
                break s;
            }
            assert!(written < 100, "tail -f -n 0 printed nothing");
        };
        assert!(first >= 20, "torn {torn}: replayed old record {first}");
        append_with_binlog(&dir, 2);
        let rest = f.seqs_until(written + 1);
        assert_eq!(
            rest,
            (first + 1..written + 2).collect::<Vec<_>>(),
            "torn {torn}"
        );
        f.stop();
    }
}

#[test]
fn tail_follow_to_seq_stops_after_record_n() {
    let t = Tmp::new("follow-to-seq");
    let dir = t.join("log");
    rolled_log(&dir, 30, 10);
    let d = dir.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut child = std::process::Command::new(crate::common::cli::tool())
            .args(["tail", "-f", "--poll-ms", "20"])
            .args(args)
            .arg(d)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let status = wait_with_deadline(&mut child, Duration::from_secs(60));
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}");
        seqs_of_lines(&out)
    };
    // N is the last record written (inclusive, as for cat).
    assert_eq!(run(&["--to-seq", "29", "-n", "1"]), vec![29]);
    assert_eq!(run(&["--to-seq", "29", "-n", "3"]), vec![27, 28, 29]);
    // Record N is of another type than the one shown.
    assert_eq!(
        run(&["--to-seq", "29", "--type", "order", "-n", "2"]),
        vec![24, 27]
    );
    // Every record up to N is written and none asked for.
    assert_eq!(run(&["--to-seq", "5", "-n", "0"]), Vec::<u64>::new());
    assert_eq!(run(&["--to-seq", "5", "-n", "2"]), vec![4, 5]);
    // N not written yet: follows until it is.
    let mut f = Follow::start(&[
        "tail",
        "-f",
        "--to-seq",
        "33",
        "-n",
        "1",
        "--poll-ms",
        "20",
        d,
    ]);
    assert_eq!(f.seqs_until(29), vec![29]);
    append_with_binlog(&dir, 10);
    assert_eq!(f.seqs_until(33), vec![30, 31, 32, 33]);
    let status = wait_with_deadline(&mut f.child, Duration::from_secs(60));
    assert_eq!(status.code(), Some(0));
    assert_eq!(f.next_seq(Duration::from_millis(100)), None);
}

#[test]
fn tail_follow_gap_warning_names_the_missing_records() {
    let t = Tmp::new("follow-gap");
    let dir = t.join("log");
    rolled_log(&dir, 50, 10);
    std::fs::remove_file(&t_names(&dir)[3]).unwrap(); // records 30..=39
    let mut f = Follow::start(&[
        "tail",
        "-f",
        "-n",
        "100",
        "--poll-ms",
        "20",
        dir.to_str().unwrap(),
    ]);
    let seqs = f.seqs_until(49);
    assert_eq!(seqs, (0..30).chain(40..50).collect::<Vec<_>>());
    let err = f.stop();
    assert!(err.contains("records 30..39 are missing"), "{err}");
    assert!(!err.contains("30..40"), "{err}");
}

/// `tail -f` on a log directory that does not exist yet, or a segment file
/// that is empty, waits for it as `tail -F` does, then prints its records.
#[test]
fn tail_follow_waits_for_a_missing_or_empty_log_to_appear() {
    let t = Tmp::new("follow-missing");
    let dir = t.join("later");
    let mut f = Follow::start(&["tail", "-f", "--poll-ms", "20", dir.to_str().unwrap()]);
    // It waits, not gone with an error (it says so before it waits).
    f.said("does not exist yet; waiting for it");
    assert!(f.child.try_wait().unwrap().is_none(), "{}", f.stop());
    let slash = format!("{}/", dir.display());
    binlog()
        .args(["write", "--type", "t", &slash])
        .write_stdin("a\nb\nc\n")
        .assert()
        .success();
    assert_eq!(f.seqs_until(2), vec![0, 1, 2]);

    let seg = t.join("new.binlog");
    std::fs::write(&seg, "").unwrap();
    let mut f = Follow::start(&["tail", "-f", "--poll-ms", "20", seg.to_str().unwrap()]);
    f.said("empty: its header is not written yet; waiting for it");
    assert!(f.child.try_wait().unwrap().is_none(), "{}", f.stop());
    append_to_segment(&seg, 2);
    assert_eq!(f.seqs_until(1), vec![0, 1]);
}

/// `tail -f --log NAME` on a directory that holds other logs but none of
/// log NAME's segments waits for the log's writer, then prints its records.
#[test]
fn tail_follow_of_a_named_log_waits_for_its_first_segment() {
    let t = Tmp::new("follow-named-missing");
    let dir = t.join("logs");
    rolled_log(&dir, 3, 10);
    let d = dir.to_str().unwrap();
    let mut f = Follow::start(&["tail", "-f", "--poll-ms", "20", "--log", "later", d]);
    // It waits, not gone with an error (it says so before it waits).
    f.said("holds no segment of the log yet; waiting for it");
    assert!(f.child.try_wait().unwrap().is_none(), "{}", f.stop());
    let w = LogWriter::open(&dir, "later", LogOptions::default()).unwrap();
    for i in 0..3 {
        w.write("t", format!("{i}").as_bytes()).unwrap();
    }
    w.flush().unwrap();
    assert_eq!(f.seqs_until(2), vec![0, 1, 2]);
    w.close().unwrap();
}

/// `tail -f -n 0` started before the log has a segment reads it from its
/// first record: every record its writer writes once the tool said it
/// waits (the end was fixed then: the log's first record) is printed,
/// across rolls, however late the tool sees the first segment.
#[test]
fn a_follow_from_the_end_started_before_the_log_exists_reads_its_first_record() {
    let t = Tmp::new("follow-end-empty");
    let dir = t.join("live");
    std::fs::create_dir(&dir).unwrap();
    let d = dir.to_str().unwrap();
    let mut f = Follow::start(&["tail", "-f", d, "--log", "ev", "-n", "0", "--to-seq", "199"]);
    f.said("holds no segment of the log yet; waiting for it");
    binlog()
        .args([
            "write",
            d,
            "--log",
            "ev",
            "--type",
            "t",
            "--max-segment-records",
            "25",
        ])
        .write_stdin("x\n".repeat(200))
        .assert()
        .success();
    assert_eq!(f.seqs_until(199), (0..200).collect::<Vec<_>>());
    assert!(f.ended_within(Duration::from_secs(60)).success());
}

/// The lines `out` prints, as they come, read by a thread of their own
/// (the channel ends with the output).
fn lines_of(out: impl Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    let mut out = BufReader::new(out);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || loop {
        let mut line = String::new();
        match out.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                if tx.send(line).is_err() {
                    break;
                }
            }
        }
    });
    rx
}

/// `tail -f` reports damage in the first record of what it shows as it
/// reports damage anywhere else: when -n reaches back to the first record,
/// no record is left out before the damage, so it is not "before the
/// start".
#[test]
fn tail_follow_reports_damage_in_the_first_record() {
    let t = Tmp::new("follow-damaged-first");
    let seg = t.join("seg.binlog");
    sealed_segment(&seg, 3);
    let seg_offset = damage_record(&seg, 0);
    let dir = t.join("log");
    rolled_log(&dir, 20, 10);
    let first = t_names(&dir)[0].clone();
    let log_offset = damage_record(Path::new(&first), 0);
    for (path, to, offset, shown) in [
        (seg.to_str().unwrap(), "2", seg_offset, vec![1, 2]),
        (dir.to_str().unwrap(), "19", log_offset, (1..20).collect()),
    ] {
        let follow = ["tail", "-f", "-n", "100", "--poll-ms", "20"];
        let done = binlog()
            .args(follow)
            .args(["--to-seq", to, path])
            .assert()
            .code(1);
        let out = String::from_utf8_lossy(&done.get_output().stdout).into_owned();
        let err = String::from_utf8_lossy(&done.get_output().stderr).into_owned();
        assert_eq!(seqs_of_lines(&out), shown, "{path}");
        assert!(
            err.contains(&format!(": offset {offset}:")) && err.contains("record 0 is lost"),
            "{path}: {err}"
        );
    }
}

/// A sealed standalone segment reopened to append by another process
/// (which removes its seal, docs/FORMAT.md section 12) is followed as an
/// unsealed one is: `tail -f` prints the records appended.
#[test]
fn tail_follow_sees_records_appended_to_a_reopened_sealed_segment() {
    let t = Tmp::new("follow-reopened-sealed");
    let seg = t.join("seg.binlog");
    sealed_segment(&seg, 3);
    let mut f = Follow::start(&["tail", "-f", "--poll-ms", "20", seg.to_str().unwrap()]);
    assert_eq!(f.seqs_until(2), vec![0, 1, 2]);
    for (n, last) in [(2, 4), (3, 7)] {
        append_to_segment(&seg, n);
        assert_eq!(
            f.seqs_until(last),
            ((last + 1 - n as u64)..=last).collect::<Vec<_>>()
        );
    }
    assert!(Reader::open(&seg).unwrap().seal().is_some(), "sealed again");
    assert_eq!(f.stop(), "");
}

/// `tail -f --merge`: the last records of two logs by time, each line
/// naming its log, then the records the writers append to both; Ctrl-C
/// (SIGINT) ends it as it ends `tail -f`, with what was printed flushed.
#[test]
fn tail_follow_merge_prints_two_logs_by_time_until_sigint() {
    use common::timed_log::{write_at, writer};
    use std::os::unix::process::ExitStatusExt;
    let t = Tmp::new("follow-merge");
    let dir = t.join("logs");
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (writer(&dir, "a", 2), writer(&dir, "b", 2));
    let put = |w: &LogWriter, ts: i64| {
        write_at(w, &[ts], |_| b"x".to_vec());
        w.flush().unwrap();
    };
    put(&a, 1);
    put(&b, 2);
    put(&a, 3);
    let d = dir.to_str().unwrap();
    let mut f = Follow::start(&["tail", "-f", "--merge", "-n", "2", d]);
    let next = || {
        let line = f.lines.recv_timeout(Duration::from_secs(30)).ok()?;
        let mut w = line.split(' ');
        Some((w.next()?.to_string(), w.next()?.parse::<u64>().ok()?))
    };
    let s = |l: &str, q| Some((l.to_string(), q));
    // The last 2 of a@1, b@2, a@3.
    assert_eq!((next(), next()), (s("b", 0), s("a", 1)));
    // Appended to both, across a roll of each (2 records a segment).
    put(&b, 10);
    put(&a, 11);
    put(&b, 12);
    let mut got = vec![next(), next(), next()];
    got.sort();
    assert_eq!(got, vec![s("a", 2), s("b", 1), s("b", 2)]);
    // SAFETY: kill sends a signal to the child this test started.
    assert_eq!(unsafe { libc::kill(f.child.id() as i32, libc::SIGINT) }, 0);
    let status = f.ended_within(Duration::from_secs(30));
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    a.close().unwrap();
    b.close().unwrap();
}
