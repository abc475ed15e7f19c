//! `binlog keys`, `binlog write --signing-key` and `binlog verify --trust`
//! (with `--head`): a signed log verifies clean against its key (exit 0);
//! another key, a record changed with its CRC recomputed, and the newest
//! segment cut off against a head kept elsewhere each exit 1 and are named.
//! `binlog ship --object-lock` locks what it puts in a bucket with Object
//! Lock (versitygw), refuses one without, and `binlog remote prune` says
//! what the lock kept; `binlog remote verify --trust` checks the log in the
//! bucket against its key and the head shipped beside it.
//! Helpers in tests/it/common/cli.rs.

use crate::common;
use common::cli::*;
use predicates::prelude::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// Log "orders" in `dir`, 12 records in 3 segments, signed by `key`.
fn signed_log(dir: &Path, key: &Path) {
    let lines: String = (0..12).map(|i| format!("event {i}\n")).collect();
    binlog()
        .args([
            "write",
            "--type",
            "e",
            "--log",
            "orders",
            "--max-segment-records",
            "4",
        ])
        .arg("--signing-key")
        .args([key, dir])
        .write_stdin(lines)
        .assert()
        .success();
}

#[test]
fn keys_new_writes_a_secret_and_a_public_key_and_prints_it() {
    let t = Tmp::new("keys-new");
    let key = t.join("k");
    let out = stdout_of(binlog().args(["keys", "new"]).arg(&key));
    let public = std::fs::read_to_string(t.join("k.pub")).unwrap();
    assert_eq!(out, public);
    assert!(out.starts_with("binlog-public-key-ed25519 "), "{out}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(
        stdout_of(binlog().args(["keys", "public"]).arg(&key)),
        public
    );
    // Never over an existing key.
    binlog().args(["keys", "new"]).arg(&key).assert().failure();
}

#[test]
fn keys_epochs_signs_a_log_that_verifies_against_the_master_key() {
    let t = Tmp::new("keys-epochs");
    let (dir, master, epochs) = (t.join("log"), t.join("master"), t.join("orders.epochs"));
    let public = stdout_of(binlog().args(["keys", "new"]).arg(&master));
    let make = |extra: &[&str]| {
        let mut c = binlog();
        c.args(["keys", "epochs"])
            .args([&master, &epochs])
            .args(extra);
        c
    };
    make(&["--every", "500ms", "--count", "3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("at least a second"));
    let out = stdout_of(&mut make(&[
        "--every", "1h", "--count", "3", "--from", "2h",
    ]));
    assert_eq!(out, public);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&epochs).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    // The epoch keys' public key is the master's.
    assert_eq!(
        stdout_of(binlog().args(["keys", "public"]).arg(&epochs)),
        public
    );
    signed_log(&dir, &epochs);
    let verify = |key: &Path| {
        let mut c = binlog();
        c.args(["verify", "--log", "orders", "--trust"])
            .args([key, &dir]);
        c
    };
    verify(&t.join("master.pub")).assert().success();
    binlog()
        .args(["keys", "new"])
        .arg(t.join("other"))
        .assert()
        .success();
    verify(&t.join("other.pub"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("signed by another key"));
}

#[test]
fn verify_trust_names_another_key_and_a_changed_record() {
    let t = Tmp::new("verify-trust");
    let (dir, key, other) = (t.join("log"), t.join("k"), t.join("other"));
    binlog().args(["keys", "new"]).arg(&key).assert().success();
    binlog()
        .args(["keys", "new"])
        .arg(&other)
        .assert()
        .success();
    signed_log(&dir, &key);
    let verify = |public: &Path| {
        binlog()
            .arg("verify")
            .arg("--trust")
            .args([public, &dir])
            .assert()
    };
    verify(&t.join("k.pub"))
        .success()
        .stdout(predicate::str::contains("clean: 3 segments"));
    verify(&t.join("other.pub"))
        .code(1)
        .stdout(predicate::str::contains("signed by another key"));
    // A payload byte of segment 1's first record, its CRC recomputed.
    let seg = common::list_dir(&dir)
        .into_iter()
        .find(|n| n.contains("00001-"))
        .unwrap();
    let path = dir.join(seg);
    let mut b = std::fs::read(&path).unwrap();
    let at = u32::from_le_bytes(b[12..16].try_into().unwrap()) as usize;
    let len = u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
    b[at + 8 + len - 1] ^= 1;
    let crc = crc32fast::hash(&b[at + 8..at + 8 + len]);
    b[at + 4..at + 8].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(&path, &b).unwrap();
    verify(&t.join("k.pub"))
        .code(1)
        .stdout(predicate::str::contains(
            "records (or the header) changed after sealing",
        ));
}

#[test]
fn verify_head_finds_the_newest_segment_cut_off() {
    let t = Tmp::new("verify-head");
    let (dir, key) = (t.join("log"), t.join("k"));
    binlog().args(["keys", "new"]).arg(&key).assert().success();
    signed_log(&dir, &key);
    let kept = t.join("kept.head");
    std::fs::copy(dir.join("orders.head"), &kept).unwrap();
    let verify = || {
        let mut c = binlog();
        c.arg("verify")
            .arg("--trust")
            .arg(t.join("k.pub"))
            .arg("--head")
            .args([&kept, &dir]);
        c.assert()
    };
    verify().success();
    for name in common::list_dir(&dir) {
        if name.contains("00002-") || name == "orders.manifest" {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
    }
    verify()
        .code(1)
        .stdout(predicate::str::contains("the newest segments were cut off"));
}

#[test]
fn ship_object_lock_keeps_objects_from_prune_and_remote_verify_trusts_the_shipped_head() {
    let server = common::s3::S3Server::start(&["plain"]);
    server.make_locked_bucket("worm");
    let t = Tmp::new("ship-lock");
    let (dir, key) = (t.join("log"), t.join("k"));
    binlog().args(["keys", "new"]).arg(&key).assert().success();
    signed_log(&dir, &key);
    let ship = |to: &str, more: &[&str]| {
        let mut c = binlog();
        c.arg("ship")
            .arg(&dir)
            .args(["--log", "orders", "--to", to]);
        c.args(["--object-lock", "compliance", "--lock-days", "1"])
            .args(more);
        c.envs(server.env()).assert()
    };
    ship("s3://plain/a", &[])
        .code(2)
        .stderr(predicate::str::contains(
            "objects cannot be locked in this bucket",
        ));
    ship("s3://worm/a", &[]).success();
    ship("s3://worm/a", &["--remote-keep-count", "1"])
        .success()
        .stdout(predicate::str::contains(
            "kept segment 0 of orders and newer in s3://worm/a: Object Lock, until 20",
        ));
    binlog()
        .args(["remote", "prune", "s3://worm/a/orders", "--keep-count", "1"])
        .envs(server.env())
        .assert()
        .success()
        .stdout(predicate::str::contains("kept segment 0 "))
        .stdout(predicate::str::contains("and newer: Object Lock, until 20"));
    let verify = |public: &Path| {
        let mut c = binlog();
        c.args(["remote", "verify", "s3://worm/a/orders", "--trust"])
            .arg(public);
        c.envs(server.env()).assert()
    };
    binlog()
        .args(["keys", "new"])
        .arg(t.join("other"))
        .assert()
        .success();
    verify(&t.join("k.pub")).success();
    verify(&t.join("other.pub"))
        .code(1)
        .stdout(predicate::str::contains("signed by another key"));
}

/// `binlog write` of log `orders` into `dir` signed by `key`, its standard
/// input left open for the test to write to.
fn slow_write(dir: &Path, key: &Path) -> std::process::Child {
    std::process::Command::new(tool())
        .args(["write", "--type", "ev", "--log", "orders", "--signing-key"])
        .args([key, dir])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// Polls `done` until it holds; fails the test after `limit`.
fn poll_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A signed write checkpoints its log into `<log>.head` while its input
/// still comes (the log's background thread, each second), not only at
/// the end; the head taken then verifies against the log written.
#[test]
fn write_signed_checkpoints_its_head_while_the_input_still_comes() {
    use std::io::Write;
    let t = Tmp::new("write-checkpoint");
    let (dir, key, kept) = (t.join("log"), t.join("k"), t.join("kept.head"));
    binlog().args(["keys", "new"]).arg(&key).assert().success();
    let mut child = slow_write(&dir, &key);
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "first").unwrap();
    stdin.flush().unwrap();
    poll_until("a checkpoint", Duration::from_secs(10), || {
        std::fs::copy(dir.join("orders.head"), &kept).is_ok()
    });
    assert!(child.try_wait().unwrap().is_none(), "the write has ended");
    writeln!(stdin, "second").unwrap();
    drop(stdin);
    assert!(wait_with_deadline(&mut child, Duration::from_secs(30)).success());
    binlog()
        .args(["verify", "--log", "orders", "--trust"])
        .arg(t.join("k.pub"))
        .arg("--head")
        .args([&kept, &dir])
        .assert()
        .success();
}

/// `binlog write --signing-key EPOCHS` of a log whose input comes slowly
/// across epochs erases each past epoch's key from EPOCHS while it writes.
/// Whoever takes the file afterwards, changes a record of the first
/// segment and reseals every segment with the keys left (the log opened
/// again, each seal cut off) is found: `out-of-epoch`.
#[test]
fn write_with_epoch_keys_erases_past_epochs_while_writing_so_a_later_reseal_is_out_of_epoch() {
    use std::io::Write;
    let t = Tmp::new("write-epochs-erased");
    let (dir, master, epochs) = (t.join("log"), t.join("master"), t.join("orders.epochs"));
    binlog()
        .args(["keys", "new"])
        .arg(&master)
        .assert()
        .success();
    binlog()
        .args(["keys", "epochs"])
        .args([&master, &epochs])
        .args(["--every", "1s", "--count", "40"])
        .assert()
        .success();
    let text = std::fs::read_to_string(&epochs).unwrap();
    let schedule: Vec<i64> = text
        .split_whitespace()
        .skip(2)
        .take(2)
        .map(|w| w.parse().unwrap())
        .collect();
    let epoch_now = || {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        (now.as_nanos() as i64 - schedule[0]) / schedule[1]
    };
    let first_kept = || {
        let text = std::fs::read_to_string(&epochs).unwrap();
        let first = text.lines().nth(1).unwrap().split(' ').next().unwrap();
        first.parse::<i64>().unwrap()
    };
    let mut child = slow_write(&dir, &epochs);
    let mut stdin = child.stdin.take().unwrap();
    let mut epoch = epoch_now();
    for i in 0..3 {
        if i > 0 {
            poll_until("the next epoch", Duration::from_secs(3), || {
                epoch_now() > epoch
            });
            epoch = epoch_now();
        }
        writeln!(stdin, "line {i}").unwrap();
        stdin.flush().unwrap();
        // Written in `epoch` or later: the keys of the epochs before are
        // erased once the segment before is sealed.
        poll_until("past epochs erased", Duration::from_secs(10), || {
            first_kept() >= epoch
        });
    }
    drop(stdin);
    assert!(wait_with_deadline(&mut child, Duration::from_secs(30)).success());
    let verify = || {
        let mut c = binlog();
        c.args(["verify", "--log", "orders", "--trust"])
            .args([&t.join("master.pub"), &dir]);
        c.assert()
    };
    verify().success();

    // A payload byte of segment 0's first record changed, its CRC
    // recomputed; every seal cut off and written again by the keys left.
    let segments: Vec<_> = common::list_dir(&dir)
        .into_iter()
        .filter(|n| n.ends_with(".binlog"))
        .map(|n| dir.join(n))
        .collect();
    assert!(segments.len() >= 3, "{segments:?}");
    for (i, path) in segments.iter().enumerate() {
        let end = binlog::Reader::open(path)
            .unwrap()
            .seal()
            .unwrap()
            .records_end;
        let mut b = std::fs::read(path).unwrap();
        b.truncate(end as usize);
        if i == 0 {
            let at = u32::from_le_bytes(b[12..16].try_into().unwrap()) as usize;
            let len = u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
            b[at + 8 + len - 1] ^= 1;
            let crc = crc32fast::hash(&b[at + 8..at + 8 + len]);
            b[at + 4..at + 8].copy_from_slice(&crc.to_le_bytes());
        }
        std::fs::write(path, &b).unwrap();
    }
    let mut child = slow_write(&dir, &epochs);
    drop(child.stdin.take());
    assert!(wait_with_deadline(&mut child, Duration::from_secs(30)).success());
    verify()
        .code(1)
        .stdout(predicate::str::contains("resealed with a later key"));
}

/// A secret key file others may read (mode 0644, or 0640) is refused by
/// `write --signing-key` and `keys public`, as ssh refuses an unprotected
/// private key: exit 2, the tool's error naming the file, its mode and
/// the chmod that fixes it. A key file that cannot be read, or is no key,
/// is the tool's error too (not clap's), for `--signing-key` and
/// `--trust` alike.
#[test]
fn key_files_refused_are_the_tools_errors_and_a_secret_key_others_may_read_is_one() {
    use std::os::unix::fs::PermissionsExt;
    let t = Tmp::new("key-mode");
    let (dir, key) = (t.join("log"), t.join("k"));
    binlog().args(["keys", "new"]).arg(&key).assert().success();
    let write = |key: &Path| {
        let mut c = binlog();
        c.args(["write", "--type", "e", "--log", "orders", "--signing-key"])
            .args([key, &dir])
            .write_stdin("event\n");
        c.assert()
    };
    let shown = key.display();
    for mode in [0o644, 0o640] {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).unwrap();
        let want = format!(
            "binlog: error: {shown}: secret key file readable or writable by anyone but \
             its owner (mode {mode:04o}): chmod 600 {shown}\n"
        );
        write(&key).code(2).stderr(want.clone());
        binlog()
            .args(["keys", "public"])
            .arg(&key)
            .assert()
            .code(2)
            .stderr(want);
    }
    assert!(!dir.exists(), "nothing written with a refused key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    write(&key).success();
    let tool_error = |a: assert_cmd::assert::Assert, file: &Path| {
        let start = format!("binlog: error: {}: ", file.display());
        a.code(2).stderr(predicate::str::starts_with(start));
    };
    let missing = t.join("missing");
    tool_error(write(&missing), &missing);
    let public = t.join("k.pub");
    tool_error(write(&public), &public);
    let verify = |trust: &Path| {
        let mut c = binlog();
        c.args(["verify", "--trust"]).args([trust, &dir]);
        c.assert()
    };
    tool_error(verify(&missing), &missing);
    tool_error(verify(&key), &key);
    verify(&public).success();
}

/// `verify --json` names each finding of a signed log by the library's
/// kind, with the file, offset and length it is about: `chain-gap` (a
/// segment deleted) at the next segment's seal, `other-key` against
/// another key, `cut-off` in the kept head's file (which the text names
/// too).
#[test]
fn verify_json_names_signed_log_findings_by_kind_with_their_file_and_offset() {
    let t = Tmp::new("verify-json-signed");
    let (dir, key) = (t.join("log"), t.join("k"));
    binlog().args(["keys", "new"]).arg(&key).assert().success();
    binlog()
        .args(["keys", "new"])
        .arg(t.join("other"))
        .assert()
        .success();
    signed_log(&dir, &key);
    let kept = t.join("kept.head");
    std::fs::copy(dir.join("orders.head"), &kept).unwrap();
    let segment = |no: &str| {
        let name = common::list_dir(&dir).into_iter().find(|n| n.contains(no));
        dir.join(name.unwrap())
    };
    let verify = |public: &str, head: Option<&Path>| {
        let mut c = binlog();
        c.args(["verify", "--json", "--trust"]).arg(t.join(public));
        if let Some(h) = head {
            c.arg("--head").arg(h);
        }
        json_of(c.arg(&dir))
    };
    // Each issue between segments: (kind, file, offset, len).
    let issues = |j: &serde_json::Value, i: usize| -> Vec<(String, String, Option<u64>, u64)> {
        let issues = j["segments"][i]["issues"].as_array().unwrap().iter();
        let issue = |v: &serde_json::Value| {
            let file = v["file"].as_str().unwrap_or_default().to_string();
            let kind = v["kind"].as_str().unwrap().to_string();
            (kind, file, v["offset"].as_u64(), v["len"].as_u64().unwrap())
        };
        issues.map(issue).collect()
    };
    let first = segment("00000-").display().to_string();
    let j = verify("other.pub", None);
    assert_eq!(issues(&j, 0)[0].0, "other-key", "{j}");
    assert_eq!(issues(&j, 0)[0].1, first, "{j}");
    assert!(issues(&j, 0)[0].2.is_some(), "{j}");
    std::fs::remove_file(segment("00001-")).unwrap();
    let (j, last) = (verify("k.pub", None), segment("00002-"));
    let seal_end = binlog::Reader::open(&last)
        .unwrap()
        .seal()
        .unwrap()
        .records_end;
    let gap = (
        "chain-gap".to_string(),
        last.display().to_string(),
        Some(seal_end),
        0,
    );
    assert!(issues(&j, 1).contains(&gap), "{j}");
    std::fs::remove_file(&last).unwrap();
    std::fs::remove_file(dir.join("orders.manifest")).unwrap();
    let j = verify("k.pub", Some(&kept));
    let cut = ("cut-off".to_string(), kept.display().to_string(), None, 0);
    assert_eq!(issues(&j, 0), vec![cut], "{j}");
    // The text names the head's file too.
    binlog()
        .args(["verify", "--trust"])
        .arg(t.join("k.pub"))
        .arg("--head")
        .args([&kept, &dir])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!(
            "\n  {}: the signed head ",
            kept.display()
        )));
}
