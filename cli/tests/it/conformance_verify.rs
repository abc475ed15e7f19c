//! `binlog verify --json` on the conformance corpus (tests/conformance/,
//! README.md there): for each file, its exit status, the intact records it
//! counts and the offset of the first damage it reports must be those
//! expected.tsv gives the readers (cli/tests/it/conformance.rs checks those).

use crate::common::conformance;

use conformance::*;
use std::collections::BTreeMap;
use std::process::Command;

/// What verify must say of one file: exit status, intact records, and the
/// offset of the first issue (none for a clean file).
#[derive(Debug, PartialEq, Eq)]
struct Verdict {
    status: i32,
    records: u64,
    first_issue: Option<u64>,
}

fn count(runs: &str) -> u64 {
    if runs == "-" {
        return 0;
    }
    runs.split(',')
        .map(|r| {
            let (a, b) = r.split_once('-').unwrap();
            b.parse::<u64>().unwrap() - a.parse::<u64>().unwrap() + 1
        })
        .sum()
}

/// The verdict of a file from its `open` line and, if it has one, its
/// `salvage` line (whose records are the intact ones): the first issue is
/// where the first damaged region starts, else where the end is damaged.
/// Damage to a compressed file's seek table is in no original byte: only
/// its status and records are compared.
fn expected(open: &Outcome, salvage: Option<&Outcome>) -> Verdict {
    let at = |end: &str| end.split(['@', '+']).nth(1).map(|o| o.parse().unwrap());
    let read = salvage.unwrap_or(open);
    let first_damage = read
        .damages
        .split(['-', ','])
        .next()
        .and_then(|d| d.parse().ok());
    let (status, first_issue) = match open.end.as_str() {
        "sealed" | "unsealed" => (0, None),
        e if e.starts_with("error:NOT_A_BINLOG") => (2, None),
        e if e.starts_with("error:UNSUPPORTED_VERSION") => (2, None),
        e if e.contains("SEEK_TABLE") || e.contains("COMPRESSED_TRUNCATED") => (1, None),
        e => (1, first_damage.or_else(|| at(&read.end)).or_else(|| at(e))),
    };
    Verdict {
        status,
        records: count(&read.records),
        first_issue,
    }
}

#[test]
fn binlog_verify_classifies_every_file_as_the_readers_do() {
    let mut by_file: BTreeMap<String, (Option<Outcome>, Option<Outcome>)> = BTreeMap::new();
    for c in cases()
        .into_iter()
        .filter(|c| c.filter == "-" && c.mode != "log")
    {
        let e = by_file.entry(c.path.clone()).or_default();
        match c.mode.as_str() {
            "open" => e.0 = Some(c.outcome),
            _ => e.1 = Some(c.outcome),
        }
    }
    let mut wrong = Vec::new();
    for (path, (open, salvage)) in &by_file {
        let want = expected(open.as_ref().unwrap(), salvage.as_ref());
        let out = Command::new(crate::common::cli::tool())
            .args(["verify", "--json"])
            .arg(corpus_dir().join(path))
            .output()
            .unwrap();
        let status = out.status.code().unwrap_or(-1);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let seg = &doc["segments"][0];
        let got = Verdict {
            status,
            records: seg["records"].as_u64().unwrap_or(0),
            first_issue: seg["issues"][0]["offset"].as_u64(),
        };
        let got = Verdict {
            first_issue: got
                .first_issue
                .filter(|_| want.first_issue.is_some() || status == 0),
            ..got
        };
        if got != want {
            wrong.push(format!("{path}: expected {want:?}, got {got:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "binlog verify disagrees with expected.tsv on {} of {} files:\n{}",
        wrong.len(),
        by_file.len(),
        wrong.join("\n")
    );
}
