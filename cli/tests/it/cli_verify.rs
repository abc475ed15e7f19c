//! `binlog verify`: a clean log exits 0; a torn tail, corruption in the
//! middle (and where the records resume), records missing between
//! segments and broken seals exit 1, naming the file and offset; a segment
//! of a log that its writer holds (unsealed, or ending while its seal is
//! written) is noted, not reported as damage.
//! Helpers in tests/it/common/cli.rs.

use predicates::prelude::*;
use serde_json::Value;
use std::path::PathBuf;

use crate::common;
use common::cli::*;

#[test]
fn verify_a_clean_log_exits_0() {
    let t = Tmp::new("verify-clean");
    let dir = t.join("log");
    rolled_log(&dir, 20, 6);
    binlog()
        .args(["verify", dir.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "verify: clean: 4 segments, 20 records",
        ));
    let j = json_of(binlog().args(["verify", "--json", dir.to_str().unwrap()]));
    assert_eq!(j["clean"], true);
    assert_eq!(j["records"], 20);
    assert!(j["segments"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"] == "ok"));
    // An unsealed segment is not damage.
    let open = t.join("open.binlog");
    unsealed_segment(&open, 5);
    binlog()
        .args(["verify", open.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("unsealed"));
}

/// One of a thing is counted in the singular: `1 segment, 1 record`.
#[test]
fn verify_counts_one_record_in_the_singular() {
    let t = Tmp::new("verify-one");
    let dir = t.join("log");
    rolled_log(&dir, 1, 6);
    binlog()
        .args(["verify", dir.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "verify: clean: 1 segment, 1 record\n",
        ));
}

#[test]
fn verify_reports_a_torn_tail_with_file_and_offset() {
    let t = Tmp::new("verify-torn");
    let seg = t.join("torn.binlog");
    // The last record cut in half.
    let last_off = torn_segment(&seg, 8);
    let len = std::fs::metadata(&seg).unwrap().len();
    binlog()
        .args(["verify", seg.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "torn.binlog: offset {last_off}: torn-tail"
        )))
        .stdout(predicate::str::contains("DAMAGED"));
    let j = json_of(binlog().args(["verify", "--json", seg.to_str().unwrap()]));
    assert_eq!(j["clean"], false);
    let s = &j["segments"][0];
    assert_eq!(s["state"], "torn-tail");
    assert_eq!(s["records"], 7);
    assert_eq!(s["issues"][0]["kind"], "torn-tail");
    assert_eq!(s["issues"][0]["offset"], last_off);
    assert_eq!(s["issues"][0]["len"], len - last_off);
}

#[test]
fn verify_reports_mid_file_corruption_and_where_records_resume() {
    let t = Tmp::new("verify-mid");
    let seg = t.join("mid.binlog");
    sealed_segment(&seg, 10);
    let f = frames(&seg);
    let (bad, bad_len) = f[4];
    flip_byte(&seg, bad + bad_len - 1); // the last payload byte of seq 4
    binlog()
        .args(["verify", seg.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "mid.binlog: offset {bad}: corrupt: CRC mismatch"
        )))
        .stdout(predicate::str::contains(format!(
            "valid records resume at offset {}",
            f[5].0
        )))
        .stdout(predicate::str::contains("record 4 lost"));
    let j = json_of(binlog().args(["verify", "--json", seg.to_str().unwrap()]));
    let i = &j["segments"][0]["issues"][0];
    assert_eq!(i["kind"], "corrupt");
    assert_eq!(i["offset"], bad);
    assert_eq!(i["resume"], f[5].0);
    // The other commands stop at the damage and say so, with status 1.
    binlog()
        .args(["cat", seg.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!("offset {bad}")));
    // info summarizes a sealed segment from its seal alone; an unsealed
    // one is scanned, and the damage found.
    let open = t.join("open.binlog");
    unsealed_segment(&open, 10);
    let (bad2, bad2_len) = frames(&open)[4];
    flip_byte(&open, bad2 + bad2_len - 1);
    binlog()
        .args(["info", open.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "corrupt: {}: offset {bad2}",
            open.display()
        )));
    binlog()
        .args(["dump", seg.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!("@{bad}")))
        .stdout(predicate::str::contains("bad-frame"))
        .stdout(predicate::str::contains(format!("next_record={}", f[5].0)));
}

#[test]
fn verify_checks_continuity_and_seals_across_a_log() {
    let t = Tmp::new("verify-log");
    let dir = t.join("log");
    rolled_log(&dir, 20, 5);
    let names = t_names(&dir);
    // A segment in the middle goes missing: records 5..9 are gone.
    std::fs::remove_file(&names[1]).unwrap();
    binlog()
        .args(["verify", dir.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("records 5..9 are missing"));
    // A broken seal in another one.
    let seg = PathBuf::from(&names[2]);
    let len = std::fs::metadata(&seg).unwrap().len();
    flip_byte(&seg, len - 40); // inside the seal directory
    let j = json_of(binlog().args(["verify", "--json", seg.to_str().unwrap()]));
    assert_eq!(j["segments"][0]["status"], "damaged");
    assert_eq!(j["segments"][0]["issues"][0]["kind"], "seal-damaged");
}

/// A segment of a log that a writer holds while newer segments follow it
/// (a log writer sealing a retired segment in the background, after a
/// roll) is noted as held by a writer, not reported as damage ("not sealed
/// ... (its writer died)"): verify exits 0 on a healthy live log.
#[test]
fn verify_notes_an_older_segment_a_writer_holds_instead_of_damage() {
    let t = Tmp::new("locked-older");
    let first = first_segment_of_a_rolled_log(&t);
    // Held and unsealed, as a segment a log rolls away from is between the
    // next segment's creation and the SEAL_BEGIN frame that closes its
    // records.
    leave_unsealed(&t.join(&first));
    let held = hold_lock(&t.join(&first));
    let s = first_segment_verified_clean_and_locked(&t);
    assert!(s["notes"].to_string().contains("writer has it open"), "{s}");
    // Repair leaves it alone and has nothing to do.
    repair_leaves_it_alone(&t, &t.join(&first));
    release_lock(held, &t.join(&first));
    // Once its writer is gone, an unsealed older segment is damage again.
    binlog()
        .args(["verify", t.0.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("not sealed"));
}

/// A segment of a log whose records end in SEAL_BEGIN while a writer holds
/// it is ending: the log that rolled away from it is writing its seal (in
/// the background). `verify` notes it and exits 0, `info` says `ending`,
/// `repair` leaves it; once no writer holds it, the incomplete seal is
/// damage again (exit 1, `seal-damaged`).
#[test]
fn verify_and_info_note_an_ending_segment_a_writer_holds_instead_of_damage() {
    let t = Tmp::new("ending-older");
    let seg = t.join(first_segment_of_a_rolled_log(&t));
    leave_ending(&seg);
    let held = hold_lock(&seg);
    let s = first_segment_verified_clean_and_locked(&t);
    assert!(s["notes"].to_string().contains("ending"), "{s}");
    let info = json_of(binlog().args(["info", "--json", seg.to_str().unwrap()]));
    assert_eq!(info["segments"][0]["state"], "ending", "{info}");
    repair_leaves_it_alone(&t, &seg);
    release_lock(held, &seg);
    binlog()
        .args(["verify", t.0.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("seal-damaged"));
}

/// `binlog verify --json` of the log in `t`: exit 0, clean, its first
/// segment held by a writer; returns that segment's report.
fn first_segment_verified_clean_and_locked(t: &Tmp) -> Value {
    let out = binlog()
        .args(["verify", "--json", t.0.to_str().unwrap()])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    assert_eq!(v["clean"], true);
    let s = v["segments"][0].clone();
    assert_eq!(s["locked"], true, "{s}");
    s
}

/// `binlog repair` of the log in `t` exits 0 and leaves `seg` as it was,
/// with no backup made.
fn repair_leaves_it_alone(t: &Tmp, seg: &std::path::Path) {
    let before = std::fs::read(seg).unwrap();
    let out = binlog()
        .args(["repair", t.0.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    assert_eq!(std::fs::read(seg).unwrap(), before, "repair changed it");
    assert!(!t.names().iter().any(|n| n.contains(".backup-")));
}

/// Writes a log of 10 records rolling every 4 into `t` and returns the file
/// name of its first (sealed) segment.
fn first_segment_of_a_rolled_log(t: &Tmp) -> String {
    rolled_log(&t.0, 10, 4);
    t.names()
        .into_iter()
        .find(|n| n.ends_with(".binlog"))
        .unwrap()
}

/// Segments whose seal the library's reader does not use, while its
/// trailer and directory are intact: a directory that names a type other
/// than its defining record does (every CRC valid), and a damaged
/// `SEAL_BEGIN` frame. Verify reports seal damage where the reader ends
/// (`SealDamaged` at the records' end), not a sealed segment with a
/// mismatch nor a torn tail.
#[test]
fn verify_reports_seal_damage_where_the_reader_does() {
    let t = Tmp::new("verify-seal-as-reader");
    for case in ["renamed-type", "seal-begin"] {
        let seg = t.join(format!("{case}.binlog"));
        common::write_types(&seg, &["a", "b", "c"], binlog::Options::default());
        let end = binlog::Reader::open(&seg)
            .unwrap()
            .seal()
            .unwrap()
            .records_end;
        if case == "renamed-type" {
            common::seal::rewrite_seal(&seg, |s| s.dir.types[1].name = "x".into());
        } else {
            flip_byte(&seg, end + 12);
        }
        let mut r = binlog::Reader::open(&seg).unwrap();
        while r.next().unwrap().is_some() {}
        assert_eq!(
            r.tail(),
            binlog::Tail::SealDamaged { offset: end },
            "{case}"
        );
        let j = json_of(binlog().args(["verify", "--json", seg.to_str().unwrap()]));
        let s = &j["segments"][0];
        assert_eq!(s["status"], "damaged", "{case}: {j}");
        let kinds: Vec<&str> = s["issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["seal-damaged"], "{case}: {j}");
        assert_eq!(s["issues"][0]["offset"], end, "{case}: {j}");
    }
}

use crate::spec_classify;

/// `binlog verify` finds the damage where the classifier written from
/// docs/FORMAT.md (tests/it/spec_classify) and so the library's reader find
/// it (tests/it/vectors.rs checks the reader): for damaged copies of a sealed
/// and an unsealed segment, its corrupt, sequence, torn-tail and
/// seal-damaged issues are at the offsets of the damaged regions and the
/// end, and it counts the records the reader returns.
#[test]
fn verify_finds_damage_where_the_reader_does() {
    use spec_classify::{classify, End};
    let t = Tmp::new("verify-as-spec");
    let p = t.join("base.binlog");
    let w = binlog::Writer::open(&p, binlog::Options::default()).unwrap();
    for i in 0..8u64 {
        let payload: Vec<u8> = (0..(i * 7 % 40)).map(|j| (i * 31 + j) as u8 | 1).collect();
        w.write_with(
            ["a", "b", "c"][(i % 3) as usize],
            &[],
            Some(i as i64),
            &payload,
        )
        .unwrap();
    }
    w.flush().unwrap();
    let unsealed = std::fs::read(&p).unwrap();
    w.close().unwrap();
    let sealed = std::fs::read(&p).unwrap();
    let f = frames(&p);
    let header_len = f[0].0 as usize;
    let case = t.join("case.binlog");
    for (what, base) in [("sealed", &sealed), ("unsealed", &unsealed)] {
        // Every third byte after the header, and a stray SEAL_BEGIN frame
        // at each record (counting the records before it).
        let flips = (header_len..base.len()).step_by(3).map(|at| {
            let mut c = base.clone();
            c[at] ^= 0x01;
            (format!("flip {at}"), c)
        });
        let strays = f.iter().enumerate().map(|(i, &(off, _))| {
            let mut c = base.clone();
            let begin = binlog::format::seal::encode_seal_begin(i as u64);
            c[off as usize..off as usize + 17].copy_from_slice(&begin);
            (format!("SEAL_BEGIN at record {i}"), c)
        });
        for (name, bytes) in flips.chain(strays) {
            let ctx = format!("{what}, {name}");
            std::fs::write(&case, &bytes).unwrap();
            let spec = classify(&bytes, header_len, 0);
            let mut want: Vec<(&str, u64)> = spec
                .damages
                .iter()
                .map(|d| (if d.0 == d.1 { "sequence" } else { "corrupt" }, d.0))
                .collect();
            // Damage that runs to a seal ends verify's walk there: it
            // reports the corruption, not the seal too.
            let runs_to = |off: u64| spec.damages.last().is_some_and(|d| d.0 < off && d.1 == off);
            match spec.end {
                End::Torn(off, _) => want.push(("torn-tail", off)),
                End::SealDamaged(off) if !runs_to(off) => want.push(("seal-damaged", off)),
                _ => {}
            }
            let out = binlog()
                .args(["verify", "--json", case.to_str().unwrap()])
                .output()
                .unwrap();
            let j: Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("{ctx}: {e}: {}", out_text(&out)));
            let s = &j["segments"][0];
            let got: Vec<(&str, u64)> = s["issues"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| (i["kind"].as_str().unwrap(), i["offset"].as_u64().unwrap()))
                .filter(|(k, _)| ["corrupt", "sequence", "torn-tail", "seal-damaged"].contains(k))
                .collect();
            assert_eq!(got, want, "{ctx}: {j}");
            assert_eq!(s["records"], spec.records.len(), "{ctx}: {j}");
        }
    }
}

/// A live durable segment runs on past its records in zeros its writer
/// prepared ahead (docs/FORMAT.md section 10): verify and cat see its
/// records and no damage, and dump shows where the zeros begin.
#[test]
fn verify_cat_and_dump_of_a_live_durable_segment_see_no_damage_in_its_zeros() {
    let t = Tmp::new("verify-prepared");
    let seg = t.join("live.binlog");
    let w = binlog::Writer::open(
        &seg,
        binlog::Options {
            durability: binlog::Durability::EveryRecord,
            ..binlog::Options::default()
        },
    )
    .unwrap();
    write_sample(&w, 0..40);
    let records_end = w.bytes();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::fs::metadata(&seg).unwrap().len() <= records_end {
        assert!(std::time::Instant::now() < deadline, "no zeros prepared");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let s = seg.to_str().unwrap();
    binlog()
        .args(["verify", s])
        .assert()
        .success()
        .stdout(predicate::str::contains("unsealed"));
    let j = json_of(binlog().args(["verify", "--json", s]));
    assert_eq!(j["clean"], true, "{j}");
    assert_eq!(j["segments"][0]["records"], 40, "{j}");
    let cat = binlog().args(["cat", s]).output().unwrap();
    assert!(cat.status.success(), "{}", out_text(&cat));
    assert_eq!(
        seqs_of_lines(&String::from_utf8(cat.stdout).unwrap()),
        (0..40).collect::<Vec<u64>>()
    );
    let dump = stdout_of(binlog().args(["dump", s]));
    assert!(
        dump.contains(&format!("{records_end}")) && dump.contains("zero-tail"),
        "{dump}"
    );
    assert!(!dump.contains("bad-frame"), "{dump}");
    w.close().unwrap();
    binlog().args(["verify", s]).assert().success();
}

#[test]
fn verify_reports_a_damaged_manifest_as_damage_where_it_is_the_only_record_of_the_position() {
    let t = Tmp::new("verify-manifest");
    let dir = t.join("log");
    rolled_log(&dir, 20, 6);
    let (manifest, _) = common::damage_manifest(&dir, "orders");
    let d = dir.to_str().unwrap();
    // Segment files hold the position: a note, the writer rewrites it.
    binlog()
        .args(["verify", d, "--log", "orders"])
        .assert()
        .success()
        .stderr(predicate::str::contains("note: "));
    // None left: the writer's open refuses the log; verify says so.
    for s in binlog::list_segments(&dir, "orders").unwrap() {
        std::fs::remove_file(&s.path).unwrap();
    }
    binlog()
        .args(["verify", d, "--log", "orders"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "damaged: {}",
            manifest.display()
        )))
        .stdout(predicate::str::contains("DAMAGED"));
    let j = json_of(binlog().args(["verify", "--json", d, "--log", "orders"]));
    assert_eq!(j["clean"], false);
}

/// Log `x` in `dir` as a roll that failed after creating the next
/// segment's file leaves it when the file cannot be removed either:
/// segment 0 holds records 0..=5, the leftover (segment 1, made at the
/// first roll's second) only a header saying it starts at 3, and the
/// segment 1 a later roll made starts at 6 and holds 6 and 7.
fn log_with_a_failed_rolls_leftover(dir: &std::path::Path) {
    use binlog::log::naming::segment_name;
    use binlog::{Options, Writer};
    const T0: i64 = 1_795_239_462_000_000_000;
    std::fs::create_dir_all(dir).unwrap();
    let segment = |no: u64, at: i64, first_seq: u64, n: u64| {
        let path = dir.join(segment_name("x", no, at));
        let opts = Options {
            log_name: "x".into(),
            segment_no: no,
            first_seq,
            ..Options::default()
        };
        let w = Writer::open(&path, opts).unwrap();
        for i in 0..n {
            w.write("t", &[i as u8]).unwrap();
        }
        (w, path)
    };
    let (w, _) = segment(0, T0, 0, 6);
    w.close().unwrap();
    // Made elsewhere and copied in: a header, no seal, and no writer.
    let (w, made) = segment(1, T0, 3, 0);
    let header = std::fs::read(&made).unwrap();
    drop(w);
    std::fs::write(&made, header).unwrap();
    let (w, _) = segment(1, T0 + 1_000_000_000, 6, 2);
    w.close().unwrap();
}

/// The empty file a failed roll leaves is what `LogReader` skips: `verify`
/// notes it, `info` and `cat` read the log as whole (exit 0), with no
/// overlap at the leftover and no records missing after it.
#[test]
fn a_failed_rolls_empty_leftover_is_no_damage_to_verify_info_or_cat() {
    let t = Tmp::new("failed-roll-leftover");
    let dir = t.join("log");
    log_with_a_failed_rolls_leftover(&dir);
    let d = dir.to_str().unwrap();
    let out = binlog().args(["verify", d]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    assert!(
        out_text(&out).contains("failed-roll-leftover"),
        "{}",
        out_text(&out)
    );
    let out = binlog().args(["info", d]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    let text = out_text(&out);
    assert!(
        !text.contains("overlap") && !text.contains("missing"),
        "{text}"
    );
    let out = binlog().args(["cat", "--json", d]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    let seqs: Vec<u64> = json_lines(&String::from_utf8_lossy(&out.stdout))
        .iter()
        .map(|v| v["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (0..8).collect::<Vec<_>>(), "{}", out_text(&out));
    assert!(!out_text(&out).contains("missing"), "{}", out_text(&out));
}

/// A file cut inside its header is counted in `verify`'s summary as what
/// the reader found (truncated), not as corruption in the middle.
#[test]
fn verify_of_a_file_cut_inside_its_header_says_it_ends_there() {
    let t = Tmp::new("verify-cut-header");
    let seg = t.join("cut.binlog");
    sealed_segment(&seg, 3);
    let f = std::fs::OpenOptions::new().write(true).open(&seg).unwrap();
    f.set_len(20).unwrap();
    let out = binlog().arg("verify").arg(&seg).output().unwrap();
    let text = out_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("DAMAGED: 1 of 1 segment (1 file ending inside the header)"),
        "{text}"
    );
    assert!(!text.contains("in the middle"), "{text}");
}

/// `info` names a file a plain open refuses as `verify` does: a header cut
/// short is `truncated` (damage, exit 1); the newest file of a log that is
/// empty, a segment a writer is creating, is no damage (exit 0).
#[test]
fn info_names_an_unreadable_header_as_verify_does() {
    let t = Tmp::new("info-header");
    let seg = t.join("cut.binlog");
    sealed_segment(&seg, 3);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&seg)
        .unwrap()
        .set_len(20)
        .unwrap();
    let out = binlog()
        .args(["info", "--json", seg.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", out_text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["segments"][0]["state"], "truncated", "{v}");

    let dir = t.join("log");
    rolled_log(&dir, 6, 3);
    let names = t_names(&dir);
    let newest = names
        .last()
        .unwrap()
        .replace("-00000000000000000001-", "-00000000000000000002-");
    std::fs::write(&newest, b"").unwrap();
    let out = binlog()
        .args(["info", "--json", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["segments"][2]["state"], "empty", "{v}");
}

/// What a power cut leaves between a log writer's salvage and its cut of
/// the damage (the segment still holds the records the salvaged file
/// holds): `verify` reports the damage and no overlap, nor the newest
/// segment as left unsealed; `cat --skip-damaged` prints each record once,
/// as the log's reader reads it.
#[test]
fn verify_and_cat_skip_a_salvaged_file_whose_records_the_segment_still_holds() {
    let t = Tmp::new("salvaged-uncut");
    let dir = t.join("log");
    let at = log_salvaged_but_not_cut(&dir);
    let d = dir.to_str().unwrap();
    let out = binlog().args(["verify", d]).output().unwrap();
    let text = out_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains(&format!("offset {at}")), "{text}");
    assert!(
        !text.contains("overlap") && !text.contains("newer segments follow"),
        "{text}"
    );
    let out = binlog()
        .args(["cat", "--json", "--skip-damaged", d])
        .output()
        .unwrap();
    let seqs: Vec<u64> = json_lines(&String::from_utf8_lossy(&out.stdout))
        .iter()
        .map(|v| v["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4, 5, 7, 8], "{}", out_text(&out));
    assert!(!out_text(&out).contains("overlap"), "{}", out_text(&out));
}
