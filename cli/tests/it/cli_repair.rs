//! `binlog repair`: a torn tail backed up and cut, missing or broken seals
//! rewritten, corruption in the middle refused without `--salvage` and
//! with it the records after the damage kept (the gap it leaves in a log
//! reported, the numbers it salvaged never given out again), records
//! missing between healthy segments reported (exit 1), and those a sealed
//! segment cut short lost, named from the log's manifest, a backup that fails
//! half-way not left as a backup, and a segment its writer holds (its own
//! lock, or its log's) left as it is. Helpers in tests/it/common/cli.rs.

use binlog::{LogOptions, LogWriter, Reader};
use predicates::prelude::*;
use std::path::PathBuf;

use crate::common;
use common::cli::*;

/// Runs the tool with a limit on the size of the files it writes (writes
/// past it fail with EFBIG), as a disk filling up would.
fn run_with_fsize_limit(args: &[&str], limit: u64) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut c = std::process::Command::new(crate::common::cli::tool());
    c.args(args);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        c.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let r = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &r);
            Ok(())
        });
    }
    c.output().unwrap()
}

fn backups(t: &Tmp) -> Vec<String> {
    t.names()
        .into_iter()
        .filter(|n| n.contains(".backup-"))
        .collect()
}

#[test]
fn repair_backs_up_then_cuts_a_torn_tail_and_reseals() {
    let t = Tmp::new("repair-torn");
    let seg = t.join("torn.binlog");
    // The last record cut in half.
    let last_off = torn_segment(&seg, 8);
    let damaged = std::fs::read(&seg).unwrap();

    // --dry-run says what it would do and changes nothing.
    binlog()
        .args(["repair", "--dry-run", seg.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "would cut the torn tail: {} bytes at offset {last_off}",
            damaged.len() as u64 - last_off
        )))
        .stdout(predicate::str::contains("would back up"));
    assert_eq!(std::fs::read(&seg).unwrap(), damaged);
    assert_eq!(t.names(), vec!["torn.binlog".to_string()]);

    binlog()
        .args(["repair", seg.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("backed up"))
        .stdout(predicate::str::contains("now sealed and intact, 7 records"));
    let b = backups(&t);
    assert_eq!(b.len(), 1);
    assert_eq!(
        std::fs::read(t.join(&b[0])).unwrap(),
        damaged,
        "the backup is the file as it was"
    );
    assert!(t
        .names()
        .contains(&format!("torn.binlog.corrupt-{last_off}")));
    let r = Reader::open(&seg).unwrap();
    assert!(r.seal().is_some(), "resealed");
    assert_eq!(r.seal().unwrap().record_count, 7);
    assert_eq!(records(&seg).len(), 7);
    binlog()
        .args(["verify", seg.to_str().unwrap()])
        .assert()
        .success();
    // Nothing left to do.
    binlog()
        .args(["repair", seg.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("changed 0"));
    assert_eq!(backups(&t).len(), 1);
}

/// `repair --json`: one document with the totals and, per segment, its
/// check, the action planned, the steps taken and the result.
#[test]
fn repair_json_reports_each_segment_action_steps_and_result() {
    let t = Tmp::new("repair-json");
    let torn = t.join("torn.binlog");
    torn_segment(&torn, 5);
    let mid = t.join("mid.binlog");
    sealed_segment(&mid, 6);
    let moff = damage_record(&mid, 2);
    let ok = t.join("ok.binlog");
    sealed_segment(&ok, 2);
    let out = binlog()
        .args(["repair", "--json"])
        .args([&torn, &mid, &ok])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", out_text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["dry_run"], false);
    assert_eq!(doc["segments_checked"], 3);
    assert_eq!(doc["changed"], 1);
    assert_eq!(doc["left_damaged"], 1);
    assert_eq!(doc["clean"], false);
    let segs = doc["segments"].as_array().unwrap();
    assert_eq!(segs[0]["action"], "reseal", "{}", segs[0]);
    assert_eq!(segs[0]["result"], "repaired", "{}", segs[0]);
    assert_eq!(segs[0]["issues"][0]["kind"], "torn-tail", "{}", segs[0]);
    assert_eq!(segs[0]["records"], 4, "{}", segs[0]);
    let steps: Vec<&str> = segs[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        steps.iter().any(|s| s.starts_with("backed up")),
        "{steps:?}"
    );
    assert!(steps.iter().any(|s| s.starts_with("resealed")), "{steps:?}");
    assert_eq!(segs[1]["action"], "refused", "{}", segs[1]);
    assert_eq!(segs[1]["result"], "left-damaged", "{}", segs[1]);
    assert_eq!(segs[1]["issues"][0]["offset"], moff, "{}", segs[1]);
    assert_eq!(segs[2]["action"], "none", "{}", segs[2]);
    assert!(Reader::open(&torn).unwrap().seal().is_some(), "resealed");
}

#[test]
fn repair_rewrites_missing_and_broken_seals() {
    let t = Tmp::new("repair-seal");
    let open = t.join("open.binlog");
    unsealed_segment(&open, 6);
    let broken = t.join("broken.binlog");
    sealed_segment(&broken, 6);
    let len = std::fs::metadata(&broken).unwrap().len();
    flip_byte(&broken, len - 40);
    binlog()
        .args(["verify", broken.to_str().unwrap()])
        .assert()
        .code(1);
    binlog()
        .args(["repair", t.0.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("changed 2, 0 left damaged"));
    for seg in [&open, &broken] {
        let r = Reader::open(seg).unwrap();
        assert_eq!(
            r.seal().map(|d| d.record_count),
            Some(6),
            "{}",
            seg.display()
        );
    }
    assert_eq!(backups(&t).len(), 2);
    binlog()
        .args(["verify", t.0.to_str().unwrap()])
        .assert()
        .success();
}

#[test]
fn repair_refuses_mid_file_corruption_without_salvage() {
    let t = Tmp::new("repair-refuse");
    let seg = t.join("mid.binlog");
    sealed_segment(&seg, 10);
    let (bad, bad_len) = frames(&seg)[4];
    flip_byte(&seg, bad + bad_len - 1);
    let before = std::fs::read(&seg).unwrap();
    binlog()
        .args(["repair", seg.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "corruption in the middle at offset {bad}: refused"
        )))
        .stdout(predicate::str::contains("--salvage"));
    assert_eq!(std::fs::read(&seg).unwrap(), before, "nothing changed");
    assert_eq!(
        t.names(),
        vec!["mid.binlog".to_string()],
        "no backup, no new file"
    );
}

/// Records missing between segments cannot be repaired: `repair` says so
/// and exits 1 (docs/CLI.md), also when every segment itself is healthy
/// (it exited 0 then, "0 left damaged") or needs a repair of its own.
#[test]
fn repair_exits_1_when_records_are_missing_between_healthy_segments() {
    let t = Tmp::new("repair-gap");
    let dir = t.join("log");
    rolled_log(&dir, 20, 5);
    let names = t_names(&dir);
    std::fs::remove_file(&names[1]).unwrap(); // records 5..9
    binlog()
        .args(["repair", dir.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("records 5..9 are missing"))
        .stdout(predicate::str::contains("not repairable"))
        .stdout(predicate::str::contains("1 left damaged"));
    // The segment after the gap also needs a repair (its seal is gone):
    // repaired, and the gap still reported.
    let after = PathBuf::from(&names[2]);
    let len = std::fs::metadata(&after).unwrap().len();
    flip_byte(&after, len - 40);
    binlog()
        .args(["repair", dir.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("REPAIR"))
        .stdout(predicate::str::contains("records 5..9 are missing"));
    binlog()
        .args(["verify", after.to_str().unwrap()])
        .assert()
        .code(0);
}

/// A log's last sealed segment cut in the middle (its manifest still says
/// the log reached 150): verify and repair name the records the cut lost
/// from the manifest, not only a torn tail; repair reseals the segment,
/// says the records are gone, and exits 1; the log's next writer numbers
/// above them, and the loss is still named. A segment on its own says
/// that whether records followed its torn tail cannot be known.
#[test]
fn verify_and_repair_name_the_records_a_sealed_segment_cut_short_lost() {
    let t = Tmp::new("repair-cut-sealed");
    let dir = t.join("log");
    let last = log_cut_in_its_last_sealed_segment(&dir);
    let d = dir.to_str().unwrap();
    binlog()
        .args(["verify", d])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("records 120..149 are missing"));
    let out = repair(&[d]);
    let text = out_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("cut the torn tail"), "{text}");
    assert!(text.contains("records 120..149 are missing"), "{text}");
    assert!(text.contains("1 left damaged"), "{text}");
    binlog()
        .args(["verify", d])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("records 120..149 are missing"));
    // The manifest never goes back: the next writer numbers above 149.
    let w = LogWriter::open(&dir, "orders", LogOptions::default()).unwrap();
    assert_eq!(w.write("order", b"after").unwrap(), 150);
    w.close().unwrap();
    binlog()
        .args(["verify", d])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("records 120..149 are missing"));
    // On its own, a segment cut short cannot say what followed the cut.
    let alone = t.join("alone.binlog");
    std::fs::copy(&last, &alone).unwrap();
    leave_unsealed(&alone);
    tear_last_record(&alone);
    binlog()
        .args(["verify", alone.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("cannot be known"));
}

#[test]
fn repair_salvage_keeps_the_records_after_the_damage() {
    let t = Tmp::new("repair-salvage");
    let seg = t.join("mid.binlog");
    sealed_segment(&seg, 10);
    let original = records(&seg);
    let f = frames(&seg);
    let (bad, bad_len) = f[4];
    flip_byte(&seg, bad + bad_len - 1);
    let damaged = std::fs::read(&seg).unwrap();

    binlog()
        .args(["repair", "--salvage", "--dry-run", seg.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("would copy 5 records (seq 5..9"));
    assert_eq!(std::fs::read(&seg).unwrap(), damaged);

    binlog()
        .args(["repair", "--salvage", seg.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("salvaged 5 records (seq 5..9)"));
    let salvaged = t.join(format!("mid.salvaged-{}.binlog", f[5].0));
    assert!(salvaged.exists(), "{:?}", t.names());
    assert_eq!(std::fs::read(t.join(&backups(&t)[0])).unwrap(), damaged);
    // The segment keeps the records before the damage, sealed.
    assert_eq!(records(&seg), original[..4].to_vec());
    assert!(Reader::open(&seg).unwrap().seal().is_some());
    // The new segment holds the ones after it, with their sequence numbers,
    // types, payloads, timestamps and metadata.
    assert_eq!(records(&salvaged), original[5..].to_vec());
    let j = json_lines(&stdout_of(binlog().args([
        "cat",
        "--json",
        salvaged.to_str().unwrap(),
    ])));
    assert_eq!(j[2]["seq"], 7);
    assert_eq!(j[2]["ts_ns"], T0 + 7 * SEC);
    assert_eq!(j[2]["meta"]["venue"], "XLON");
    assert_eq!(j[0]["payload"], "00ff01");
    let h = json_of(binlog().args(["info", "--json", salvaged.to_str().unwrap()]));
    assert_eq!(h["segments"][0]["header"]["log_name"], "sample");
    // Everything readable is clean now.
    binlog()
        .args(["verify", t.0.to_str().unwrap()])
        .assert()
        .success();
}

#[test]
fn verify_and_repair_leave_a_segment_its_writer_has_open() {
    let t = Tmp::new("live");
    let dir = t.join("log");
    let w = LogWriter::open(
        &dir,
        "live",
        LogOptions {
            max_segment_records: Some(5),
            background: false,
            ..LogOptions::default()
        },
    )
    .unwrap();
    for i in 0..12u64 {
        w.write("tick", format!("tick {i}").as_bytes()).unwrap();
    }
    w.flush().unwrap();
    let current = w.current_segment().unwrap().path;
    let before = std::fs::read(&current).unwrap();
    binlog()
        .args(["verify", dir.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("unsealed: a writer has it open"));
    binlog()
        .args(["repair", dir.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("a writer has it open"))
        .stdout(predicate::str::contains("changed 0"));
    assert_eq!(
        std::fs::read(&current).unwrap(),
        before,
        "the open segment is untouched"
    );
    assert!(!t_names(&dir).iter().any(|n| n.contains(".backup-")));
    // The writer goes on as if nothing happened.
    w.write("tick", b"tick 12").unwrap();
    w.close().unwrap();
    let out = stdout_of(binlog().args(["cat", dir.to_str().unwrap(), "--tail", "1"]));
    assert!(out.starts_with("12 "), "{out}");
}

/// A backup copy that failed half-way (a full disk) stayed behind under
/// the name of a complete backup, `<file>.backup-<time>`, holding half
/// of the file.
#[test]
fn a_backup_that_fails_half_way_is_not_left_as_a_backup() {
    let t = Tmp::new("half-backup");
    let seg = t.join("u.binlog");
    unsealed_segment(&seg, 3000);
    let before = std::fs::read(&seg).unwrap();
    let len = before.len() as u64;
    let out = run_with_fsize_limit(&["repair", seg.to_str().unwrap()], len / 2);
    assert_eq!(out.status.code(), Some(2), "{}", out_text(&out));
    assert_eq!(std::fs::read(&seg).unwrap(), before, "the segment changed");
    // Nothing that looks like a backup (or a partial one) is left.
    assert_eq!(
        t.names(),
        vec!["u.binlog".to_string()],
        "{}",
        out_text(&out)
    );
    // And with room, the repair goes through.
    binlog()
        .args(["repair", seg.to_str().unwrap()])
        .assert()
        .code(0);
    let b: Vec<String> = t
        .names()
        .into_iter()
        .filter(|n| n.contains(".backup-"))
        .collect();
    assert_eq!(b.len(), 1);
    assert_eq!(std::fs::read(t.join(&b[0])).unwrap(), before);
}

/// `repair --salvage` of a segment in the middle of a log moves the
/// records after the damage out of the log, which leaves records missing
/// between that segment and the next: `verify` reports it at once, yet
/// repair said "0 left damaged" and exited 0.
#[test]
fn salvage_in_the_middle_of_a_log_reports_the_gap_it_leaves() {
    let t = Tmp::new("salvage-gap");
    rolled_log(&t.0, 30, 10);
    let names = t.segments();
    let mid = t.join(&names[1]);
    let f = frames(&mid);
    flip_byte(&mid, f[4].0 + 12);
    let out = binlog()
        .args(["repair", "--salvage", t.0.to_str().unwrap()])
        .output()
        .unwrap();
    let text = out_text(&out);
    assert!(text.contains("salvaged 5 records (seq 15..19)"), "{text}");
    // Every record is somewhere: 0..13 and 20..29 in the log, 15..19 in
    // the salvaged file (14 was in the damaged bytes).
    let all: Vec<u64> = seqs_of_lines(&stdout_of(binlog().args(["cat", t.0.to_str().unwrap()])));
    let mut sorted = all.clone();
    sorted.sort();
    let want: Vec<u64> = (0..30).filter(|&s| s != 14).collect();
    assert_eq!(sorted, want);
    // The log now misses records 14..19 between two segments: damage that
    // remains, as verify says.
    binlog()
        .args(["verify", t.0.to_str().unwrap()])
        .assert()
        .code(1);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // Only record 14 is missing from the log: 15..19 are read in their
    // place, from the salvaged file.
    assert!(text.contains("record 14 is missing"), "{text}");
    assert!(text.contains("--accept-gap 14..14"), "{text}");
    assert!(text.contains("1 left damaged"), "{text}");
}

/// Damage in the middle of a log's newest unsealed segment with valid
/// records after it (a power cut that kept a later page and lost an
/// earlier one): the writer opens the log, copies the records after the
/// damage into a salvaged file, keeps the bytes from the damage on in
/// `<segment>.corrupt-<offset>`, and numbers above every record in any
/// file, those after the damage too. A `repair --salvage` of the segment
/// put back together from its backup then finds that copy and makes no
/// second one: no number is given twice.
#[test]
fn a_log_opens_over_mid_segment_damage_and_numbers_above_the_records_after_it() {
    let t = Tmp::new("open-mid-damage");
    rolled_log(&t.0, 30, 10);
    let name = t.segments()[2].clone();
    let newest = t.join(&name);
    // The newest segment as a killed writer leaves it: no seal, and no
    // manifest of its close.
    let end = Reader::open(&newest).unwrap().seal().unwrap().records_end;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&newest)
        .unwrap();
    file.set_len(end).unwrap();
    std::fs::remove_file(t.join("orders.manifest")).unwrap();
    let at = frames(&newest)[4].0; // record 24; 25..29 after it
    flip_byte(&newest, at + 12);
    let damaged = std::fs::read(&newest).unwrap();

    let w = LogWriter::open(&t.0, "orders", LogOptions::default()).unwrap();
    assert_eq!(
        w.next_seq().unwrap(),
        30,
        "above the records after the damage"
    );
    assert_eq!(w.write("trade", b"after").unwrap(), 30);
    w.close().unwrap();
    let backup = t.join(format!("{name}.corrupt-{at}"));
    assert_eq!(std::fs::read(&backup).unwrap(), &damaged[at as usize..]);
    let cut = std::fs::read(&newest).unwrap();
    assert_eq!(&cut[..at as usize], &damaged[..at as usize]);

    // The segment put back together (its bytes before the damage, then the
    // backup), and salvaged.
    std::fs::write(&newest, &damaged).unwrap();
    let out = binlog()
        .args(["repair", "--salvage", t.0.to_str().unwrap()])
        .output()
        .unwrap();
    let text = out_text(&out);
    assert!(text.contains("(seq 25..29) were salvaged before"), "{text}");
    let mut r = binlog::LogReader::open(&t.0, "orders").unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        seqs.push(rec.seq);
    }
    let want: Vec<u64> = (0..31).filter(|&s| s != 24).collect();
    assert_eq!(seqs, want, "every number once, in order");
}

/// After `repair --salvage` of a segment in the middle of a log, the log
/// reads the salvaged records in their place: `cat DIR` in sequence order,
/// `tail -f DIR` follows the one log (not "found 2"). The record lost in
/// the damage keeps `verify` at exit 1 until the gap is accepted; then it
/// exits 0 and says the gap was accepted, and why.
#[test]
fn a_salvaged_log_reads_in_seq_order_and_is_clean_once_its_gap_is_accepted() {
    let t = Tmp::new("salvage-order");
    rolled_log(&t.0, 30, 10);
    let mid = t.join(&t.segments()[1]);
    let f = frames(&mid);
    flip_byte(&mid, f[4].0 + 12); // record 14
    let dir = t.0.to_str().unwrap();
    binlog().args(["repair", "--salvage", dir]).assert().code(1);
    let want: Vec<u64> = (0..30).filter(|&s| s != 14).collect();
    assert_log_reads_in_seq_order(&t, dir, &want);
    accept_gap_14_once_verify_reports_it(&t, dir);
    assert_accepted_gap_is_a_note(dir, &want);
}

/// `cat DIR`, the library's `LogReader` and `tail -f DIR` read log
/// `orders` in `dir` as the records `want`, with one gap (record 14).
fn assert_log_reads_in_seq_order(t: &Tmp, dir: &str, want: &[u64]) {
    let cat = binlog().args(["cat", dir]).output().unwrap();
    assert_eq!(cat.status.code(), Some(1), "{}", out_text(&cat));
    assert!(
        out_text(&cat).contains("binlog: gap: "),
        "{}",
        out_text(&cat)
    );
    assert_eq!(seqs_of_lines(&String::from_utf8_lossy(&cat.stdout)), want);
    // The library's log reader, too.
    let mut r = binlog::LogReader::open(&t.0, "orders").unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        seqs.push(rec.seq);
    }
    assert_eq!(seqs, want);
    assert_eq!(r.gaps().len(), 1, "{:?}", r.gaps());
    assert_eq!(r.gaps()[0].from_seq, Some(14));
    assert_eq!(r.gaps()[0].to_seq, Some(15));
    // tail -f DIR: one log, followed to its last record; the gap counts
    // as for cat.
    let (status, out) = tail_f_to_29(dir);
    assert_eq!(status.code(), Some(1), "{}", out_text(&out));
    assert_eq!(seqs_of_lines(&String::from_utf8_lossy(&out.stdout)), want);
}

/// `tail -f DIR --to-seq 29 -n 100`: how it ended and what it printed.
fn tail_f_to_29(dir: &str) -> (std::process::ExitStatus, std::process::Output) {
    let args = [
        "tail",
        "-f",
        "--poll-ms",
        "20",
        "--to-seq",
        "29",
        "-n",
        "100",
        dir,
    ];
    let mut child = std::process::Command::new(crate::common::cli::tool())
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_with_deadline(&mut child, std::time::Duration::from_secs(10));
    (status, child.wait_with_output().unwrap())
}

/// `verify DIR` reports record 14 missing on every run until `repair
/// --accept-gap 14..14` accepts it, which changes no segment.
fn accept_gap_14_once_verify_reports_it(t: &Tmp, dir: &str) {
    // verify: damaged (record 14 is gone) on every run, until accepted.
    for _ in 0..2 {
        let v = binlog().args(["verify", dir]).output().unwrap();
        assert_eq!(v.status.code(), Some(1), "{}", out_text(&v));
        assert!(
            out_text(&v).contains("record 14 is missing"),
            "{}",
            out_text(&v)
        );
    }
    let contents = || -> Vec<(String, Vec<u8>)> {
        t.segments()
            .into_iter()
            .map(|n| (n.clone(), std::fs::read(t.join(&n)).unwrap()))
            .collect()
    };
    let before = contents();
    let acc = binlog()
        .args([
            "repair",
            "--accept-gap",
            "14..14",
            "--reason",
            "disk damage",
            dir,
        ])
        .output()
        .unwrap();
    assert_eq!(acc.status.code(), Some(0), "{}", out_text(&acc));
    assert!(
        out_text(&acc).contains("accepted gap seq 14..14"),
        "{}",
        out_text(&acc)
    );
    assert_eq!(before, contents(), "accepting a gap changed a segment");
}

/// Once the gap is accepted, `verify`, `info` and `cat` note it and exit 0;
/// `cat` still reads the records `want`.
fn assert_accepted_gap_is_a_note(dir: &str, want: &[u64]) {
    let v = binlog().args(["verify", dir]).output().unwrap();
    let text = out_text(&v);
    assert_eq!(v.status.code(), Some(0), "{text}");
    assert!(
        text.contains("gap seq 14..14 accepted (disk damage, "),
        "{text}"
    );
    assert!(text.contains("verify: clean"), "{text}");
    // info and cat tell the same: a note, not damage.
    let info = binlog().args(["info", dir]).output().unwrap();
    let text = out_text(&info);
    assert_eq!(info.status.code(), Some(0), "{text}");
    assert!(text.contains("accepted    gap seq 14..14"), "{text}");
    assert!(
        text.contains("note: ") && !text.contains("binlog: gap:"),
        "{text}"
    );
    let cat = binlog().args(["cat", dir]).output().unwrap();
    let text = out_text(&cat);
    assert_eq!(cat.status.code(), Some(0), "{text}");
    assert!(
        text.contains("gap seq 14..14 accepted (disk damage, "),
        "{text}"
    );
    assert_eq!(seqs_of_lines(&String::from_utf8_lossy(&cat.stdout)), want);
    // tail -f too, by the library's rule (`LogReader::records_missing`).
    let (status, out) = tail_f_to_29(dir);
    assert_eq!(status.code(), Some(0), "{}", out_text(&out));
    assert_eq!(seqs_of_lines(&String::from_utf8_lossy(&out.stdout)), want);
}

/// A log writer holds its log's lock (`<name>.lock`) from open to close,
/// but while it rolls no segment lock is held for an instant. A repair
/// then must not take the newest, unsealed segment for one whose writer
/// died: with the log's lock held, an unsealed segment of the log counts
/// as held by a writer, and is not resealed under it.
#[test]
fn repair_leaves_an_unsealed_segment_of_a_log_whose_lock_is_held() {
    use std::os::fd::AsRawFd;
    let t = Tmp::new("log-lock");
    let dir = t.join("log");
    rolled_log(&dir, 10, 4);
    let segs: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "binlog"))
            .collect();
        v.sort();
        v
    };
    let newest = segs.last().unwrap().clone();
    // The newest segment as its writer left it before sealing: records
    // only (cut at the end of its records, where the seal begins).
    let records_end = {
        let r = Reader::open(&newest).unwrap();
        r.seal().unwrap().records_end
    };
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&newest)
        .unwrap();
    f.set_len(records_end).unwrap();
    drop(f);
    let before = std::fs::read(&newest).unwrap();
    // A writer of the log, between two segment locks.
    let lock = std::fs::File::open(binlog::log::naming::lock_path(&dir, "orders")).unwrap();
    // SAFETY: flock on a descriptor we own.
    assert_eq!(
        unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) },
        0
    );
    let out = binlog()
        .args(["repair", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let text = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("a writer has it open"), "{text}");
    assert_eq!(
        std::fs::read(&newest).unwrap(),
        before,
        "repaired under a live writer"
    );
    let out = binlog()
        .args(["verify", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", out_text(&out));
    // Once the writer is gone, the segment is resealed.
    common::unlock(lock);
    let out = binlog()
        .args(["repair", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let text = out_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(Reader::open(&newest).unwrap().seal().is_some(), "{text}");
}

/// Salvaging the newest segment of a log cuts it before the damage; the
/// log's next writer would go on after the cut and number new records as
/// the salvaged ones are numbered (two records, one in the log and one in
/// the salvaged file, with one sequence number). Repair starts an empty
/// segment after the salvaged numbers, so the writer numbers after them.
#[test]
fn salvaging_the_newest_segment_of_a_log_keeps_its_numbers_from_being_reused() {
    let t = Tmp::new("salvage-newest");
    rolled_log(&t.0, 18, 6);
    let names = t.segments();
    assert_eq!(names.len(), 3);
    let newest = t.join(&names[2]);
    let f = frames(&newest);
    flip_byte(&newest, f[2].0 + 12); // record 14
    let dir = t.0.to_str().unwrap();
    let dry = binlog()
        .args(["repair", "--salvage", "--dry-run", dir])
        .output()
        .unwrap();
    assert!(out_text(&dry).contains("would start"), "{}", out_text(&dry));
    assert_eq!(
        t.names().iter().filter(|n| n.ends_with(".binlog")).count(),
        3,
        "dry run changed nothing"
    );
    let out = binlog()
        .args(["repair", "--salvage", dir])
        .output()
        .unwrap();
    let text = out_text(&out);
    assert!(text.contains("salvaged 3 records (seq 15..17)"), "{text}");
    assert!(text.contains("at sequence number 18"), "{text}");
    // The gap where the records were stays: damage left.
    assert_eq!(out.status.code(), Some(1), "{text}");
    // The log's next writer numbers after the salvaged records.
    let w = LogWriter::open(
        &t.0,
        "orders",
        LogOptions {
            background: false,
            ..LogOptions::default()
        },
    )
    .unwrap();
    let seq = w
        .write_batch(&[binlog::Entry {
            type_name: "order",
            meta: &[],
            timestamp_ns: None,
            parts: &[b"after"],
        }])
        .unwrap();
    w.close().unwrap();
    assert_eq!(seq, 18);
    // No number is in the log and in a salvaged file both.
    let all = seqs_of_lines(&stdout_of(binlog().args(["cat", dir])));
    let mut sorted = all.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), all.len(), "a number used twice: {all:?}");
    assert_eq!(sorted, (0..19).filter(|&s| s != 14).collect::<Vec<u64>>());
}

/// What a durable writer that died leaves: its records, then zeros it
/// prepared ahead (docs/FORMAT.md section 10.1). verify takes them for the
/// records' end; repair seals the segment with the zeros cut, not kept as
/// damage.
#[test]
fn repair_seals_a_segment_ending_in_prepared_zeros_and_cuts_them() {
    let t = Tmp::new("repair-zeros");
    let seg = t.join("zeros.binlog");
    unsealed_segment(&seg, 6);
    let records_end = std::fs::metadata(&seg).unwrap().len();
    let mut bytes = std::fs::read(&seg).unwrap();
    bytes.extend(vec![0u8; 70_000]);
    std::fs::write(&seg, &bytes).unwrap();
    let s = seg.to_str().unwrap();
    let j = json_of(binlog().args(["verify", "--json", s]));
    assert_eq!(j["clean"], true, "{j}");
    assert_eq!(j["segments"][0]["records"], 6, "{j}");
    binlog()
        .args(["repair", s])
        .assert()
        .success()
        .stdout(predicate::str::contains("now sealed and intact, 6 records"));
    assert!(
        t.names().iter().all(|n| !n.contains(".corrupt-")),
        "{:?}",
        t.names()
    );
    let r = Reader::open(&seg).unwrap();
    assert_eq!(r.seal().expect("sealed").records_end, records_end);
    binlog().args(["verify", s]).assert().success();
}

/// A file that every command and the library's reader call damaged in the
/// middle at `at` (a record whose CRC is right but whose contents are
/// wrong): `verify`, `repair --dry-run`, `repair`, `info` and `cat` all exit
/// 1 and say corruption, none calls it a torn tail, and `repair` refuses
/// without `--salvage` and leaves no backup behind.
fn assert_every_command_calls_it_corruption(t: &Tmp, seg: &std::path::Path, at: u64) {
    let s = seg.to_str().unwrap();
    let mut r = Reader::open(seg).unwrap();
    let e = loop {
        match r.next() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the reader read {} to its end", seg.display()),
            Err(e) => break e,
        }
    };
    assert_eq!(
        (e.kind(), e.offset()),
        (binlog::ErrorKind::Corrupt, Some(at))
    );
    for args in [
        vec!["verify", s],
        vec!["repair", "--dry-run", s],
        vec!["repair", s],
        vec!["info", s],
        vec!["cat", s],
    ] {
        let out = binlog().args(&args).output().unwrap();
        let text = out_text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {text}");
        assert!(!text.contains("torn"), "{args:?}: {text}");
        assert!(text.contains(&format!("offset {at}")), "{args:?}: {text}");
    }
    assert!(backups(t).is_empty(), "{:?}", t.names());
}

#[test]
fn a_record_appended_again_is_corruption_to_every_command() {
    let t = Tmp::new("repair-again");
    let seg = t.join("again.binlog");
    unsealed_segment(&seg, 3);
    let (off, len) = *frames(&seg).last().unwrap();
    let frame = std::fs::read(&seg).unwrap()[off as usize..(off + len) as usize].to_vec();
    let mut f = std::fs::OpenOptions::new().append(true).open(&seg).unwrap();
    std::io::Write::write_all(&mut f, &frame).unwrap();
    drop(f);
    assert_every_command_calls_it_corruption(&t, &seg, off + len);
}

#[test]
fn a_valid_record_numbered_wrong_at_the_end_is_corruption_to_every_command() {
    for seq in [1u64, 9] {
        let t = Tmp::new("repair-renumbered");
        let seg = t.join("renumbered.binlog");
        unsealed_segment(&seg, 3);
        let (off, len) = *frames(&seg).last().unwrap();
        let bytes = std::fs::read(&seg).unwrap();
        let mut frame = bytes[off as usize..(off + len) as usize].to_vec();
        frame[9..17].copy_from_slice(&seq.to_le_bytes());
        let crc = binlog::format::crc32(&frame[8..]);
        frame[4..8].copy_from_slice(&crc.to_le_bytes());
        let mut f = std::fs::OpenOptions::new().append(true).open(&seg).unwrap();
        std::io::Write::write_all(&mut f, &frame).unwrap();
        drop(f);
        assert_every_command_calls_it_corruption(&t, &seg, bytes.len() as u64);
    }
}

/// A repair that fails before it changes the segment (here its repaired
/// copy cannot be written: a file size limit a little over the segment's,
/// which the backup fits and the copy with its new seal does not) leaves
/// the segment as it was and no backup behind.
#[test]
fn a_repair_that_changes_nothing_leaves_no_backup() {
    let t = Tmp::new("repair-nothing-no-backup");
    let seg = t.join("s.binlog");
    sealed_segment(&seg, 200);
    leave_unsealed(&seg);
    let before = std::fs::read(&seg).unwrap();
    let out = run_with_fsize_limit(&["repair", seg.to_str().unwrap()], before.len() as u64 + 8);
    assert_eq!(out.status.code(), Some(2), "{}", out_text(&out));
    assert_eq!(std::fs::read(&seg).unwrap(), before, "the segment changed");
    assert!(
        backups(&t).is_empty(),
        "{:?}\n{}",
        t.names(),
        out_text(&out)
    );
}
