//! A consumer's commits under power cuts (the power-cut filesystem,
//! tests/powercut): a child commits after every record while the power is
//! cut at a random moment, keeping a seeded half of the unsynced pages (a
//! commit in flight torn at 512 B or 4 KiB pages). After the cut the
//! consumer's file opens, never as garbage or as a new consumer: at the last
//! commit that returned, or at the one in flight. Root and /dev/fuse are
//! needed. `BINLOG_CONSUMER_CUTS` sets the rounds (default 12; `make
//! torture` sets 200).

use crate::common;

use binlog::{Consumer, Start};
use common::child::ChildProc;
use common::knobs::knob;
use common::powercut::{Keep, PowerCut};
use common::{Rng, TempDir};
use std::ffi::OsStr;
use std::time::Duration;

const MARK: &str = "consumer-cut: ";
const RECORDS: u64 = 5_000;

/// The child: commits after every record of log `orders` as consumer `c`,
/// saying each commit that returned.
#[test]
fn consumer_power_cut_child() {
    let Ok(dir) = std::env::var("CONSUMER_CUT_DIR") else {
        return;
    };
    let mut c = Consumer::open(&dir, "orders", "c", Start::First).unwrap();
    println!("{MARK}OPENED {}", c.committed().unwrap());
    while let Ok(Some(rec)) = c.next() {
        let seq = rec.seq;
        if c.commit().is_err() {
            return;
        }
        println!("{MARK}COMMITTED {}", seq + 1);
    }
}

#[test]
fn a_commit_that_returned_survives_a_power_cut_and_a_torn_one_falls_back_to_the_one_before() {
    let root = TempDir::new("consumer-cut");
    let backing = root.join("backing");
    std::fs::create_dir_all(backing.join("log")).unwrap();
    common::append_orders(&backing.join("log"), RECORDS, 500);
    let rounds = knob("BINLOG_CONSUMER_CUTS", 12);
    let mut rng = Rng::from_env(0xc07);
    let mut last = 0;
    for round in 0..rounds {
        let keep = [
            Keep::TornPages(512),
            Keep::TornPages(4096),
            Keep::TornPages(0),
        ][(round % 3) as usize];
        let mnt = root.join(format!("mnt-{round}"));
        std::fs::create_dir_all(&mnt).unwrap();
        let fs = PowerCut::mount(&backing, &mnt, keep, rng.next_u64());
        let dir = fs.path().join("log");
        let envs: [(&str, &OsStr); 1] = [("CONSUMER_CUT_DIR", dir.as_os_str())];
        let mut child = ChildProc::spawn("consumer_power_cut_child", &envs, MARK);
        let mut lines = Vec::new();
        for _ in 0..1 + rng.below(80) {
            if !child.wait_for("", &mut lines, Duration::from_secs(30)) {
                break;
            }
        }
        fs.cut();
        let (lines, _) = child.kill9_if_running(lines);
        let opened: u64 = lines
            .iter()
            .find_map(|l| l.strip_prefix("OPENED "))
            .map_or(last, |s| s.parse().unwrap());
        assert!(
            opened >= last,
            "round {round}: opened at {opened}, below {last}"
        );
        let returned = lines
            .iter()
            .filter_map(|l| l.strip_prefix("COMMITTED "))
            .map(|s| s.parse::<u64>().unwrap())
            .max()
            .unwrap_or(opened);
        // The file as the cut left it, read with the power back on.
        let fs = PowerCut::mount(&backing, &mnt, Keep::Nothing, 0);
        let c = Consumer::open(fs.path().join("log"), "orders", "c", Start::End)
            .unwrap_or_else(|e| panic!("round {round} ({keep:?}): {e}"));
        let at = c.committed().unwrap();
        assert!(
            at == returned || at == returned + 1,
            "round {round} ({keep:?}): the last commit that returned was {returned}, the file says {at}"
        );
        drop(c);
        drop(fs);
        last = at;
        if last >= RECORDS - 100 {
            std::fs::remove_file(backing.join("log/c.consumer")).unwrap();
            last = 0;
        }
    }
}
