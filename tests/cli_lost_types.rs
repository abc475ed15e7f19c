//! A type whose defining record is in damaged bytes gets the same name in
//! every tool (dump, tail, repair --salvage): the name the segment's seal
//! gives it, when a seal or its type table survives and agrees with the
//! records, else `unknown-type-<id>`. Helpers in tests/common/cli.rs.

use binlog::Reader;
use serde_json::Value;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};

mod common;
use common::cli::*;

/// (seq, type, payload) of every record a reader that skips damage returns.
fn salvage_read(path: &Path) -> Vec<(u64, String, Vec<u8>)> {
    let mut r = Reader::open_salvage(path).unwrap();
    let mut v = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        v.push((rec.seq, rec.type_name.to_string(), rec.payload.to_vec()));
    }
    v
}

fn repair(args: &[&str]) -> std::process::Output {
    binlog().arg("repair").args(args).output().unwrap()
}

// ------------------------------------------------ repair replaces, never cuts

/// Environment variable naming the segment the child test reads.
const CHILD_SEG: &str = "BINLOG_R17_CHILD_SEG";

/// Run by `a_reader_of_a_segment_salvage_cuts_reads_on_to_its_end` in a
/// child process (a SIGBUS would end the whole test binary): opens a
/// reader on the damaged segment, reads a few records, runs `binlog repair
/// --salvage` on it, reads on to the end through the same reader and checks
/// it got what a reader got before the repair.
#[test]
#[ignore = "run as a child process by a_reader_of_a_segment_salvage_cuts_reads_on_to_its_end"]
fn child_reads_through_a_salvage() {
    let seg = PathBuf::from(std::env::var_os(CHILD_SEG).expect("run by the parent test"));
    let want = salvage_read(&seg);
    let mut r = Reader::open_salvage(&seg).unwrap();
    let mut got = Vec::new();
    for _ in 0..3 {
        let rec = r.next().unwrap().unwrap();
        got.push((rec.seq, rec.type_name.to_string(), rec.payload.to_vec()));
    }
    let out = repair(&["--salvage", seg.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    println!("R17 repaired");
    while let Some(rec) = r.next().unwrap() {
        got.push((rec.seq, rec.type_name.to_string(), rec.payload.to_vec()));
    }
    assert_eq!(got, want);
    println!("R17 read {} records", got.len());
}

/// A reader open on a segment that `repair --salvage` cut in place (whole
/// records after damage near its start) was killed by SIGBUS when it read
/// on into the pages the cut removed.
#[test]
fn a_reader_of_a_segment_salvage_cuts_reads_on_to_its_end() {
    let t = Tmp::new("salvage-reader");
    let seg = t.join("mid.binlog");
    sealed_segment(&seg, 3000); // about 90 KB: the cut leaves one page
    let f = frames(&seg);
    flip_byte(&seg, f[10].0 + f[10].1 - 1);
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_reads_through_a_salvage",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_SEG, &seg)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let text = out_text(&out);
    assert_eq!(
        out.status.signal(),
        None,
        "the reader was killed by signal {:?} (7 is SIGBUS)\n{text}",
        out.status.signal()
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("R17 repaired"), "{text}");
    assert!(text.contains("R17 read 2999 records"), "{text}");
    // The segment was cut and resealed, the rest salvaged.
    assert_eq!(records(&seg).len(), 10);
    let salvaged = t.join(&format!("mid.salvaged-{}.binlog", f[11].0));
    assert_eq!(records(&salvaged).len(), 2989);
}

/// Every repair that changes a segment (a torn tail cut, a damaged seal
/// rewritten, a salvage cut) used to change the file in place: a reader
/// holding it open saw it shrink and change under it. Now the file it
/// holds stays byte for byte what it was, and the segment's name leads to
/// the repaired file (a new inode, with the old one's permissions), which
/// reads back as the repair says.
#[test]
fn repair_leaves_the_file_a_reader_holds_as_it_was() {
    let t = Tmp::new("replace");
    // Torn tail: an unsealed segment with half a record after its last.
    let torn = t.join("torn.binlog");
    unsealed_segment(&torn, 20);
    let whole = std::fs::read(&torn).unwrap();
    let mut b = whole.clone();
    b.extend_from_slice(&[0x40, 0, 0, 0, 1, 2, 3]);
    std::fs::write(&torn, &b).unwrap();
    // Damaged seal.
    let seal = t.join("seal.binlog");
    sealed_segment(&seal, 20);
    let len = std::fs::metadata(&seal).unwrap().len();
    flip_byte(&seal, len - 30);
    // Corruption in the middle.
    let mid = t.join("mid.binlog");
    sealed_segment(&mid, 20);
    let f = frames(&mid);
    flip_byte(&mid, f[7].0 + f[7].1 - 1);
    for (seg, salvage, kept) in [(&torn, false, 20), (&seal, false, 20), (&mid, true, 7)] {
        let name = seg.file_name().unwrap().to_str().unwrap().to_string();
        std::fs::set_permissions(seg, std::fs::Permissions::from_mode(0o640)).unwrap();
        let before = std::fs::read(seg).unwrap();
        let want = salvage_read(seg);
        let held = std::fs::File::open(seg).unwrap();
        let ino = held.metadata().unwrap().ino();
        let mut args = vec![seg.to_str().unwrap()];
        if salvage {
            args.insert(0, "--salvage");
        }
        let out = repair(&args);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", out_text(&out));
        // The file held open is unchanged.
        let mut now = Vec::new();
        std::io::Read::read_to_end(&mut &held, &mut now).unwrap();
        assert_eq!(
            now.len(),
            before.len(),
            "{name}: the held file changed length"
        );
        assert!(now == before, "{name}: the held file changed");
        // The name leads to the repaired file.
        let m = std::fs::metadata(seg).unwrap();
        assert_ne!(m.ino(), ino, "{name}: repaired in place");
        assert_eq!(m.permissions().mode() & 0o777, 0o640, "{name}");
        let r = Reader::open(seg).unwrap();
        assert!(r.seal().is_some(), "{name}: not sealed");
        assert_eq!(records(seg), want[..kept].to_vec(), "{name}");
        // Nothing left behind under a temporary name.
        assert!(
            !t.names().iter().any(|n| n.contains("repair-tmp")),
            "{name}: {:?}",
            t.names()
        );
    }
    // The torn bytes are kept as before, under the segment's name.
    assert_eq!(
        std::fs::read(t.join(&format!("torn.binlog.corrupt-{}", whole.len()))).unwrap(),
        vec![0x40, 0, 0, 0, 1, 2, 3]
    );
    // What salvage copied reads back: with the 7 kept, every record but
    // the damaged one.
    let salvaged = records(&t.join(&format!("mid.salvaged-{}.binlog", f[8].0)));
    assert_eq!(
        salvaged.iter().map(|r| r.0).collect::<Vec<_>>(),
        (8..20).collect::<Vec<_>>()
    );
}

/// A repair killed after it started writing the repaired copy, before the
/// rename, leaves the old segment under its name and the copy under a
/// name no log reader, log writer or tool takes for a segment; the next
/// repair of the segment removes it. (The old tool left no such file, and
/// left the ones simulated here alone.)
#[test]
fn a_repair_stopped_before_its_rename_leaves_nothing_read_as_a_segment() {
    let t = Tmp::new("leftover");
    rolled_log(&t.0, 30, 10);
    let segs = t.segments();
    assert_eq!(segs.len(), 3);
    // The newest segment, unsealed with a torn tail (its writer died).
    let newest = t.join(&segs[2]);
    let mut b = std::fs::read(&newest).unwrap();
    let end = Reader::open(&newest).unwrap().seal().unwrap().records_end as usize;
    b.truncate(end);
    b.extend_from_slice(&[0x40, 0, 0, 0, 9]);
    std::fs::write(&newest, &b).unwrap();
    // What a killed repair would have left: a (here, complete) copy of the
    // segment, and a torn-tail copy its writer made beside it.
    let tmp = t.join(&format!("{}.repair-tmp", segs[2]));
    std::fs::write(&tmp, &b[..end]).unwrap();
    let tmp_corrupt = t.join(&format!("{}.repair-tmp.corrupt-{end}", segs[2]));
    std::fs::write(&tmp_corrupt, [0x40, 0, 0, 0, 9]).unwrap();
    // A log reader reads the log's 30 records once, from its segments only.
    let mut lr = binlog::LogReader::open(&t.0, "orders").unwrap();
    let mut seqs = Vec::new();
    while let Some(r) = lr.next().unwrap() {
        seqs.push(r.seq);
    }
    assert_eq!(seqs, (0..30).collect::<Vec<_>>());
    let j = json_of(binlog().args(["verify", "--json", t.0.to_str().unwrap()]));
    let checked: Vec<&str> = j["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(checked.len(), 3, "{checked:?}");
    assert!(
        !checked.iter().any(|p| p.contains("repair-tmp")),
        "{checked:?}"
    );
    // The next repair repairs the segment and removes the leftovers.
    let out = repair(&[t.0.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    assert!(!tmp.exists() && !tmp_corrupt.exists(), "{:?}", t.names());
    assert!(
        t.join(&format!("{}.corrupt-{end}", segs[2])).exists(),
        "{:?}",
        t.names()
    );
    assert!(Reader::open(&newest).unwrap().seal().is_some());
}

// ------------------------------------------------ names of lost types

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

/// With a valid seal, dump and repair named the lost type from the seal
/// ("quote"), while `tail -f` (the library's reader) said `<lost type 2>`.
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
/// from it. Before, dump said "?", tail `<lost type 2>` and salvage
/// `unknown-type-2`.
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
/// `unknown-type-2` (dump said "?", tail `<lost type 2>`), and `tail
/// --type unknown-type-2` selects its records.
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
