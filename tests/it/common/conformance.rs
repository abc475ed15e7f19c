//! The conformance corpus's expectations (tests/conformance/expected.tsv,
//! described in tests/conformance/README.md), as every Rust runner reads
//! them, and what a reader saw written in the same form, so that a runner
//! compares strings.

#![allow(dead_code)]

use binlog::{Error, Tail};
use std::path::PathBuf;
use std::process::Command;

/// The corpus directory.
pub fn corpus_dir() -> PathBuf {
    super::repo_root().join("tests/conformance")
}

/// One line of expected.tsv.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub case: String,
    pub path: String,
    /// `open`, `salvage` (skipping damage) or `log`.
    pub mode: String,
    /// A type name, or `-` for every record.
    pub filter: String,
    pub outcome: Outcome,
}

/// What a read gave: the columns a runner compares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub records: String,
    pub end: String,
    pub damages: String,
    pub gaps: String,
}

impl Case {
    /// The file or directory the case reads.
    pub fn file(&self) -> PathBuf {
        corpus_dir().join(&self.path)
    }
}

/// Every case of expected.tsv, in its order.
pub fn cases() -> Vec<Case> {
    cases_of("expected.tsv")
}

/// Every case of expected-remote.tsv (section 18's), in its order.
pub fn remote_cases() -> Vec<Case> {
    cases_of("expected-remote.tsv")
}

/// Every case of the expectations file `name` of the corpus, in its order.
fn cases_of(name: &str) -> Vec<Case> {
    let text = std::fs::read_to_string(corpus_dir().join(name)).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 8, "{name}: {l}");
            Case {
                case: f[0].into(),
                path: f[1].into(),
                mode: f[2].into(),
                filter: f[3].into(),
                outcome: Outcome {
                    records: f[4].into(),
                    end: f[5].into(),
                    damages: f[6].into(),
                    gaps: f[7].into(),
                },
            }
        })
        .collect()
}

/// Sequence numbers as expected.tsv writes them: runs `a-b`, comma
/// separated, `-` for none.
pub fn seq_runs(seqs: &[u64]) -> String {
    let mut runs: Vec<String> = Vec::new();
    let mut i = 0;
    while i < seqs.len() {
        let mut j = i;
        while j + 1 < seqs.len() && seqs[j + 1] == seqs[j] + 1 {
            j += 1;
        }
        runs.push(format!("{}-{}", seqs[i], seqs[j]));
        i = j + 1;
    }
    if runs.is_empty() {
        "-".into()
    } else {
        runs.join(",")
    }
}

/// A list column: `-` for none.
pub fn joined(items: Vec<String>) -> String {
    if items.is_empty() {
        "-".into()
    } else {
        items.join(",")
    }
}

pub fn tail_name(t: Tail) -> String {
    match t {
        Tail::Reading => "reading".into(),
        Tail::Sealed => "sealed".into(),
        Tail::Unsealed => "unsealed".into(),
        Tail::SealDamaged { offset } => format!("seal-damaged@{offset}"),
        Tail::Torn { offset, len } => format!("torn@{offset}+{len}"),
    }
}

/// `error:NAME@OFFSET`, NAME the result code's name in include/binlog.h
/// less `BINLOG_ERR_` (`CorruptHeader`: `CORRUPT_HEADER`).
pub fn error_name(e: &Error) -> String {
    let mut name = String::new();
    for (i, ch) in format!("{:?}", e.kind()).chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            name.push('_');
        }
        name.push(ch.to_ascii_uppercase());
    }
    match e.offset() {
        Some(o) => format!("error:{name}@{o}"),
        None => format!("error:{name}"),
    }
}

/// Fails listing every case whose outcome differs from the expected one.
pub fn assert_all_agree(consumer: &str, got: &[(Case, Outcome)]) {
    let wrong: Vec<String> = got
        .iter()
        .filter(|(c, o)| c.outcome != *o)
        .map(|(c, o)| {
            format!(
                "{} ({} {}, filter {}):\n  expected {:?}\n  got      {:?}",
                c.case, c.mode, c.path, c.filter, c.outcome, o
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{consumer} disagrees with tests/conformance/expected.tsv on {} of {} cases:\n{}",
        wrong.len(),
        got.len(),
        wrong.join("\n")
    );
}

/// Runs `binlog cat --json` as `cmd` is set up (its arguments after
/// `--json`): why it disagrees with case `c`, if it does, when it must
/// exit with `status` and name each of `needles` on standard error, and
/// print the records `c` says.
pub fn cat_disagrees(
    mut cmd: Command,
    c: &Case,
    status: i32,
    needles: &[String],
) -> Option<String> {
    let out = cmd.output().unwrap();
    let seqs: Vec<u64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["seq"].as_u64().unwrap()
        })
        .collect();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let got_status = out.status.code().unwrap_or(-1);
    let named = needles.iter().all(|n| stderr.contains(n.as_str()));
    if seq_runs(&seqs) == c.outcome.records && got_status == status && named {
        return None;
    }
    Some(format!(
        "{} ({} {}): expected exit {status}, records {}, stderr naming {needles:?}; \
         got exit {got_status}, records {}, stderr {stderr:?}",
        c.case,
        c.mode,
        c.path,
        c.outcome.records,
        seq_runs(&seqs)
    ))
}
