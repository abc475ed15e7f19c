//! The conformance corpus (tests/conformance/, README.md there): the
//! generator makes the same files as are checked in, and the library's
//! readers (`Reader`, `Reader::open_salvage`, `LogReader`) and the
//! `binlog cat` command classify each file as expected.tsv says
//! docs/FORMAT.md does. The C, Go, Java and Python suites check the same
//! file through their interfaces; `binlog verify` is checked in
//! cli/tests/it/conformance_verify.rs.

use crate::common::{self, conformance};
#[path = "../../../examples/make_conformance_corpus.rs"]
mod generator;

use binlog::{LogReader, Reader};
use conformance::*;
use std::path::Path;
use std::process::Command;

#[test]
fn the_generator_makes_the_checked_in_corpus() {
    let dir = common::TempDir::new("conformance");
    generator::generate(dir.path());
    let names = |d: &Path| {
        let mut v: Vec<String> = walk(d, d);
        v.sort();
        v
    };
    let made = names(dir.path());
    let mut checked_in = names(&corpus_dir());
    checked_in.retain(|n| n != "README.md");
    assert_eq!(
        made, checked_in,
        "the generator makes other files than tests/conformance holds"
    );
    for name in &made {
        let a = std::fs::read(dir.join(name)).unwrap();
        let b = std::fs::read(corpus_dir().join(name)).unwrap();
        assert!(
            a == b,
            "tests/conformance/{name} is not what the generator makes now: \
             run `cargo run --example make_conformance_corpus` and commit the corpus"
        );
    }
}

/// The files under `d`, as paths relative to `root`.
fn walk(root: &Path, d: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(root, &p));
        } else {
            out.push(p.strip_prefix(root).unwrap().display().to_string());
        }
    }
    out
}

#[test]
fn the_readers_classify_every_file_as_expected() {
    let got: Vec<(Case, Outcome)> = cases()
        .into_iter()
        .map(|c| {
            let o = if c.mode == "log" {
                read_log(&c)
            } else {
                read_segment(&c)
            };
            (c, o)
        })
        .collect();
    assert_all_agree("the Rust Reader and LogReader", &got);
}

fn read_segment(c: &Case) -> Outcome {
    let opened = match c.mode.as_str() {
        "open" => Reader::open(c.file()),
        "salvage" => Reader::open_salvage(c.file()),
        m => panic!("unknown mode {m}"),
    };
    let mut r = match opened {
        Ok(r) => r,
        Err(e) => return outcome(&[], error_name(&e), "-".into(), "-".into()),
    };
    if c.filter != "-" {
        r.filter_types(&[c.filter.as_str()]);
    }
    let mut seqs = Vec::new();
    let end = loop {
        match r.next().map(|rec| rec.map(|rec| rec.seq)) {
            Ok(Some(seq)) => seqs.push(seq),
            Ok(None) => break tail_name(r.tail()),
            Err(e) => break stays_at_damage(&mut r, &e),
        }
    };
    let damages = r
        .damages()
        .iter()
        .map(|d| {
            format!(
                "{}-{}:{}-{}",
                d.offset, d.resume_offset, d.from_seq, d.to_seq
            )
        })
        .collect();
    outcome(&seqs, end, joined(damages), "-".into())
}

/// The error's name if the reader, read again, fails with it again (a
/// reader that does not skip damage stays where it met it, FORMAT.md
/// 10.3); else what it did then.
fn stays_at_damage(r: &mut Reader, e: &binlog::Error) -> String {
    let again = r.next().map(|rec| rec.map(|rec| rec.seq));
    match again {
        Err(again) if again.kind() == e.kind() && again.offset() == e.offset() => error_name(e),
        again => format!("{}, then {again:?}", error_name(e)),
    }
}

fn read_log(c: &Case) -> Outcome {
    let mut r = LogReader::open(c.file(), "conformance").unwrap();
    let mut seqs = Vec::new();
    let end = loop {
        match r.next() {
            Ok(Some(rec)) => seqs.push(rec.seq),
            Ok(None) => break tail_name(r.tail()),
            Err(e) => break error_name(&e),
        }
    };
    let gaps = r
        .gaps()
        .iter()
        .map(|g| {
            let (from, to) = (opt(g.from_seq), opt(g.to_seq));
            format!("{from}-{to}:{}", g.reason.name())
        })
        .collect();
    outcome(&seqs, end, "-".into(), joined(gaps))
}

fn opt(v: Option<u64>) -> String {
    v.map_or("?".into(), |v| v.to_string())
}

fn outcome(seqs: &[u64], end: String, damages: String, gaps: String) -> Outcome {
    Outcome {
        records: seq_runs(seqs),
        end,
        damages,
        gaps,
    }
}

/// What `binlog cat` says of a case: its exit status and the records it
/// printed must be the expected ones, and its standard error must name
/// the offset of each damaged region and of the end's damage.
/// The files on which `binlog cat` and the library's readers are known to
/// disagree, in rules `binlog` is being changed for: a 0-byte file (the
/// readers: `Truncated`, section 3; the tool: no records, status 0) and a
/// damaged magic number (the readers: `NotABinlog`; the tool: a damaged
/// header, status 1). `binlog_cat_agrees_on_empty_files_and_damaged_magic`
/// checks them apart, so that its failure names just these.
const CAT_SPLITS: [&str; 2] = ["empty.binlog", "magic-damaged.binlog"];

#[test]
fn binlog_cat_classifies_every_file_as_expected() {
    cat_agrees(|c| !CAT_SPLITS.contains(&c.path.as_str()));
}

#[test]
fn binlog_cat_agrees_on_empty_files_and_damaged_magic() {
    cat_agrees(|c| CAT_SPLITS.contains(&c.path.as_str()));
}

fn cat_agrees(which: impl Fn(&Case) -> bool) {
    let mut wrong = Vec::new();
    for c in cases().into_iter().filter(which) {
        if c.filter != "-" {
            continue;
        }
        let mut cmd = Command::new(crate::common::cli::tool());
        cmd.arg("cat").arg("--json");
        if c.mode == "salvage" {
            cmd.arg("--skip-damaged");
        }
        cmd.arg(c.file());
        let (status, needles) = cat_expects(&c.outcome);
        wrong.extend(cat_disagrees(cmd, &c, status, &needles));
    }
    assert!(
        wrong.is_empty(),
        "binlog cat disagrees with expected.tsv:\n{}",
        wrong.join("\n")
    );
}

/// The exit status docs/CLI.md gives `cat` for an outcome, and what its
/// standard error must hold.
fn cat_expects(o: &Outcome) -> (i32, Vec<String>) {
    let offset = |s: &str| format!("offset {}", s.split(['@', '+']).nth(1).unwrap());
    let mut needles: Vec<String> = Vec::new();
    if o.damages != "-" {
        needles.extend(
            o.damages
                .split(',')
                .map(|d| format!("offset {}", d.split('-').next().unwrap())),
        );
    }
    let mut status = if o.damages != "-" || o.gaps != "-" {
        1
    } else {
        0
    };
    if o.gaps != "-" {
        needles.push("gap".into());
    }
    if o.end.starts_with("torn@") || o.end.starts_with("seal-damaged@") {
        needles.push(offset(&o.end));
    } else if o.end.starts_with("error:UNSUPPORTED_VERSION") {
        // Not damage: a file this tool cannot read (docs/CLI.md, status 2).
        status = 2;
        needles.push(offset(&o.end));
    } else if o.end.starts_with("error:NOT_A_BINLOG") {
        status = 2;
        needles.push("not a libbinlog segment".into());
    } else if o.end.starts_with("error:") {
        status = 1;
        if o.end.contains('@') {
            needles.push(offset(&o.end));
        }
    }
    (status, needles)
}
