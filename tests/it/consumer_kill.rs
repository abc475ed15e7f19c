//! A consumer process SIGKILLed at random while it processes and commits:
//! across every run no record is skipped, and a record is seen again only
//! if it came after the last commit that returned. `make test` kills it
//! 100 times, `make torture` 1,000 (`BINLOG_CONSUMER_KILLS`).

use crate::common;

use binlog::{Consumer, Start};
use common::child::ChildProc;
use common::knobs::knob;
use common::{Rng, TempDir};
use std::ffi::OsStr;
use std::time::Duration;

const RECORDS: u64 = 3_000;
const MARK: &str = "consumer-kill: ";

/// The child: consumes log `orders` as `k`, committing after a random
/// number of records (now and then a record before the last), and says
/// what it saw and committed.
#[test]
fn consumer_kill_child() {
    let Ok(dir) = std::env::var("CONSUMER_KILL_DIR") else {
        return;
    };
    let seed: u64 = std::env::var("CONSUMER_KILL_SEED")
        .unwrap()
        .parse()
        .unwrap();
    let mut rng = Rng::new(seed);
    let mut c = Consumer::open(&dir, "orders", "k", Start::First).unwrap();
    let mut since_commit = 0;
    let mut every = 1 + rng.below(40);
    while let Some(rec) = c.next().unwrap() {
        let seq = rec.seq;
        assert_eq!(rec.payload, format!("payload {seq}").as_bytes());
        println!("{MARK}SEEN {seq}");
        since_commit += 1;
        if since_commit >= every {
            // A commit of a record before the last one returned, or of all.
            let upto = match rng.below(4) {
                0 if seq > 0 => seq - 1,
                _ => seq,
            };
            c.commit_seq(upto).unwrap();
            println!("{MARK}COMMITTED {}", upto + 1);
            since_commit = 0;
            every = 1 + rng.below(40);
        }
    }
    c.commit().unwrap();
    println!("{MARK}COMMITTED {RECORDS}");
    println!("{MARK}END");
}

/// What the runs so far established.
#[derive(Default)]
struct Seen {
    /// The highest position a commit that returned recorded.
    committed: u64,
    /// One past the highest record seen.
    next: u64,
    /// Records seen more than once.
    again: u64,
}

impl Seen {
    /// Checks one run's lines against what came before.
    fn run(&mut self, lines: &[String], run: usize) -> bool {
        let mut expect: Option<u64> = None;
        let mut ended = false;
        for l in lines {
            if let Some(s) = l.strip_prefix("SEEN ") {
                let seq: u64 = s.parse().unwrap();
                match expect {
                    None => {
                        assert!(
                            seq <= self.next,
                            "run {run}: skipped to {seq}, seen up to {}",
                            self.next
                        );
                        assert!(
                            seq >= self.committed,
                            "run {run}: started at {seq}, below the commit that returned at {}",
                            self.committed
                        );
                    }
                    Some(e) => assert_eq!(seq, e, "run {run}: records out of order"),
                }
                if seq < self.next {
                    self.again += 1;
                }
                self.next = self.next.max(seq + 1);
                expect = Some(seq + 1);
            } else if let Some(p) = l.strip_prefix("COMMITTED ") {
                self.committed = self.committed.max(p.parse().unwrap());
            } else if l == "END" {
                ended = true;
            }
        }
        ended
    }
}

#[test]
fn a_consumer_killed_at_random_skips_nothing_and_repeats_only_what_it_had_not_committed() {
    let d = TempDir::new("consumer-kill");
    common::append_orders(d.path(), RECORDS, 100);
    let kills = knob("BINLOG_CONSUMER_KILLS", 100);
    let mut rng = Rng::from_env(0x5eed);
    let mut seen = Seen::default();
    let mut run = 0;
    let mut killed = 0;
    loop {
        let seed = rng.next_u64().to_string();
        let envs: [(&str, &OsStr); 2] = [
            ("CONSUMER_KILL_DIR", d.path().as_os_str()),
            ("CONSUMER_KILL_SEED", OsStr::new(&seed)),
        ];
        let mut child = ChildProc::spawn("consumer_kill_child", &envs, MARK);
        let lines = if killed < kills {
            // Killed after a random number of its lines have come back.
            let mut got = Vec::new();
            for _ in 0..1 + rng.below(60) {
                if !child.wait_for("", &mut got, Duration::from_secs(30)) {
                    break;
                }
            }
            let (lines, ended) = child.kill9_if_running(got);
            if let Some(how) = ended {
                assert!(lines.iter().any(|l| l == "END"), "child failed: {how}");
            } else {
                killed += 1;
            }
            lines
        } else {
            child.wait_ok()
        };
        run += 1;
        if seen.run(&lines, run) && killed >= kills {
            break;
        }
        if seen.next == RECORDS && killed < kills {
            // Read to the end before the kills are spent: start over on a
            // new consumer name's worth of records (the same log, anew).
            std::fs::remove_file(d.join("k.consumer")).unwrap();
            seen = Seen::default();
        }
    }
    assert_eq!(seen.next, RECORDS, "every record was seen");
    assert_eq!(seen.committed, RECORDS);
    eprintln!(
        "{run} runs, {killed} killed, {} records seen again",
        seen.again
    );
}
