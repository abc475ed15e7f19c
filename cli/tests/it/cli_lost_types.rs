//! A type whose defining record is in damaged bytes gets the same name in
//! every tool (dump, tail, repair --salvage): the name the segment's seal
//! gives it, when a seal or its type table survives and agrees with the
//! records, else `unknown-type-<id>`. Helpers in tests/it/common/cli.rs.

use binlog::Reader;
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

use crate::common;
use common::cli::*;

#[test]
fn salvage_names_types_whose_definition_was_in_the_damage() {
    let t = Tmp::new("salvage-types");
    let seg = t.join("open.binlog");
    unsealed_segment(&seg, 9); // no seal: type names come from the records
    let f = frames(&seg);
    let (bad, bad_len) = f[2]; // the record that defines "quote"
    flip_byte(&seg, bad + bad_len - 1);
    let j = json_of(binlog().args(["verify", "--json", seg.to_str().unwrap()]));
    let kinds: Vec<&str> = j["segments"][0]["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    // The type the damage defined is part of that damage (the reader takes
    // it as a lost type, docs/FORMAT.md section 10.4), not another issue.
    assert_eq!(kinds, vec!["corrupt"]);
    binlog()
        .args(["repair", "--salvage", seg.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("salvaged 6 records (seq 3..8)"))
        .stdout(predicate::str::contains("unknown-type-2"));
    let salvaged = t.join(format!("open.salvaged-{}.binlog", f[3].0));
    let got: Vec<(u64, String)> = records(&salvaged)
        .into_iter()
        .map(|(s, t, _)| (s, t))
        .collect();
    assert_eq!(
        got,
        vec![
            (3, "order".into()),
            (4, "trade".into()),
            (5, "unknown-type-2".into()),
            (6, "order".into()),
            (7, "trade".into()),
            (8, "unknown-type-2".into()),
        ]
    );
    assert_eq!(records(&seg).len(), 2);
}

/// (seq, type) of the records `binlog dump --json` shows.
fn dump_types(seg: &Path) -> Vec<(u64, String)> {
    let out = binlog()
        .args(["dump", "--json", seg.to_str().unwrap()])
        .output()
        .unwrap();
    json_lines(&String::from_utf8(out.stdout).unwrap())
        .iter()
        .filter(|l| l["what"] == "record")
        .map(|l| {
            (
                l["seq"].as_u64().unwrap(),
                l["type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// (seq, type) of the records `binlog tail -f` shows (it skips damage),
/// up to seq 8, with `args` added.
fn tail_types(seg: &Path, args: &[&str]) -> Vec<(u64, String)> {
    let out = binlog()
        .args(["tail", "-f", "-n", "100", "--to-seq", "8", "--json"])
        .args(args)
        .arg(seg)
        .output()
        .unwrap();
    json_lines(&String::from_utf8(out.stdout).unwrap())
        .iter()
        .map(|l: &Value| {
            (
                l["seq"].as_u64().unwrap(),
                l["type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// (seq, type) of the records `repair --salvage` copied out of a copy of
/// `seg`, and its output.
fn salvage_types(seg: &Path, resume: u64) -> (Vec<(u64, String)>, String) {
    let dir = seg.parent().unwrap().join("salvage");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).unwrap();
    let copy = dir.join(seg.file_name().unwrap());
    std::fs::copy(seg, &copy).unwrap();
    let out = repair(&["--salvage", copy.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    let stem = copy.file_stem().unwrap().to_str().unwrap();
    let salvaged = dir.join(format!("{stem}.salvaged-{resume}.binlog"));
    let got = records(&salvaged)
        .into_iter()
        .map(|(s, t, _)| (s, t))
        .collect();
    (got, String::from_utf8(out.stdout).unwrap())
}

/// The type of record `seq` in `recs`.
fn type_of(recs: &[(u64, String)], seq: u64) -> &str {
    &recs
        .iter()
        .find(|(s, _)| *s == seq)
        .unwrap_or_else(|| panic!("no record {seq} in {recs:?}"))
        .1
}

/// A sample segment of 9 records (record 2 defines "quote", 5 and 8 are
/// quotes) whose record 2 is damaged; sealed or not. Also where the
/// records resume after the damage, and where they end.
fn lost_quote(t: &Tmp, name: &str, sealed: bool) -> (PathBuf, u64, u64) {
    let seg = t.join(name);
    if sealed {
        sealed_segment(&seg, 9);
    } else {
        unsealed_segment(&seg, 9);
    }
    let f = frames(&seg);
    flip_byte(&seg, f[2].0 + f[2].1 - 1);
    (seg, f[3].0, f[8].0 + f[8].1)
}

/// With a valid seal, dump, repair and `tail -f` (the library's reader)
/// all name the lost type from the seal ("quote"), not `<lost type 2>`.
#[test]
fn every_tool_names_a_lost_type_from_a_valid_seal() {
    let t = Tmp::new("lost-sealed");
    let (seg, resume, _) = lost_quote(&t, "s.binlog", true);
    let tail = tail_types(&seg, &[]);
    assert_eq!(
        tail.iter().map(|r| r.0).collect::<Vec<_>>(),
        [0, 1, 3, 4, 5, 6, 7, 8]
    );
    let dump = dump_types(&seg);
    let (salvaged, _) = salvage_types(&seg, resume);
    for seq in [5, 8] {
        assert_eq!(type_of(&tail, seq), "quote", "tail: {tail:?}");
        assert_eq!(type_of(&dump, seq), "quote", "dump: {dump:?}");
        assert_eq!(type_of(&salvaged, seq), "quote", "salvage: {salvaged:?}");
    }
    // And a type filter finds them.
    let quotes = tail_types(&seg, &["--type", "quote"]);
    assert_eq!(quotes.iter().map(|r| r.0).collect::<Vec<_>>(), [5, 8]);
}

/// With the seal's trailer (or its SEAL_BEGIN frame) damaged too, its
/// directory, type table included, survives: every tool names the type
/// from it (not "?", `<lost type 2>` or `unknown-type-2`).
#[test]
fn every_tool_names_a_lost_type_from_a_surviving_seal_directory() {
    let t = Tmp::new("lost-dir");
    for part in ["trailer", "seal-begin"] {
        let (seg, resume, end) = lost_quote(&t, &format!("{part}.binlog"), true);
        let len = std::fs::metadata(&seg).unwrap().len();
        flip_byte(
            &seg,
            if part == "trailer" {
                len - 30
            } else {
                end + 10
            },
        );
        let tail = tail_types(&seg, &[]);
        let dump = dump_types(&seg);
        let (salvaged, said) = salvage_types(&seg, resume);
        for seq in [5, 8] {
            assert_eq!(type_of(&tail, seq), "quote", "{part}: tail: {tail:?}");
            assert_eq!(type_of(&dump, seq), "quote", "{part}: dump: {dump:?}");
            assert_eq!(
                type_of(&salvaged, seq),
                "quote",
                "{part}: salvage: {salvaged:?}\n{said}"
            );
        }
        assert!(!said.contains("unknown-type"), "{part}: {said}");
    }
}

/// Without a seal the type's name is gone: every tool calls it
/// `unknown-type-2` (not "?" or `<lost type 2>`), and `tail --type
/// unknown-type-2` selects its records.
#[test]
fn every_tool_calls_a_lost_type_unknown_type_id_without_a_seal() {
    let t = Tmp::new("lost-unsealed");
    let (seg, resume, _) = lost_quote(&t, "u.binlog", false);
    let tail = tail_types(&seg, &[]);
    let dump = dump_types(&seg);
    let (salvaged, said) = salvage_types(&seg, resume);
    for seq in [5, 8] {
        assert_eq!(type_of(&tail, seq), "unknown-type-2", "tail: {tail:?}");
        assert_eq!(type_of(&dump, seq), "unknown-type-2", "dump: {dump:?}");
        assert_eq!(type_of(&salvaged, seq), "unknown-type-2", "salvage");
    }
    assert!(said.contains("named unknown-type-2"), "{said}");
    let picked = tail_types(&seg, &["--type", "unknown-type-2"]);
    assert_eq!(picked.iter().map(|r| r.0).collect::<Vec<_>>(), [5, 8]);
}

/// A seal whose CRCs are valid but whose table names type 0 "ordex", where
/// an intact record defines it as "order" (a seal from another segment):
/// its names are not used for the lost type. Dump named it from that
/// seal.
#[test]
fn a_seal_that_disagrees_with_the_records_names_no_lost_type() {
    let t = Tmp::new("lost-lying");
    let (seg, resume, _) = lost_quote(&t, "s.binlog", true);
    // The same records under other type names, sealed, and its seal put
    // after the first segment's records (the frames have the same sizes).
    let other = t.join("other.binlog");
    {
        let w = binlog::Writer::open(
            &other,
            binlog::Options {
                log_name: "sample".into(),
                ..binlog::Options::default()
            },
        )
        .unwrap();
        write_sample_named(&w, 0..9, ["ordex", "trade", "quote"]);
        w.close().unwrap();
    }
    let end = Reader::open(&other).unwrap().seal().unwrap().records_end as usize;
    let mut b = std::fs::read(&seg).unwrap();
    let o = std::fs::read(&other).unwrap();
    assert_eq!(b[..end].len(), o[..end].len());
    b.truncate(end);
    b.extend_from_slice(&o[end..]);
    std::fs::write(&seg, b).unwrap();
    std::fs::remove_file(&other).unwrap();
    let tail = tail_types(&seg, &[]);
    let dump = dump_types(&seg);
    let (salvaged, _) = salvage_types(&seg, resume);
    for seq in [5, 8] {
        assert_eq!(type_of(&tail, seq), "unknown-type-2", "tail: {tail:?}");
        assert_eq!(type_of(&dump, seq), "unknown-type-2", "dump: {dump:?}");
        assert_eq!(type_of(&salvaged, seq), "unknown-type-2", "salvage");
    }
}
