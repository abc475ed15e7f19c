//! Forward-secure signing (docs/FORMAT.md section 8.6): a log signed with
//! epoch keys that a master key certifies rolls at each epoch's end,
//! erases each past epoch's key from its key file, and verifies clean
//! against the master's public key; a segment resealed with a later
//! epoch's key (what whoever takes the host over can do) is named
//! `OutOfEpoch`. Epochs of a second: the test waits for three.

use crate::common::TempDir;
use binlog::format::seal::read_seal;
use binlog::sign::{PublicKey, Signing};
use binlog::verify::{FindingKind, Verify};
use binlog::{LogOptions, LogWriter, Options};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const SECOND: i64 = 1_000_000_000;

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64
}

/// Sleeps until 50 ms into the epoch after the one holding now.
fn next_epoch() {
    let into = now_ns().rem_euclid(SECOND);
    std::thread::sleep(Duration::from_nanos((SECOND - into + 50_000_000) as u64));
}

/// The epoch indexes the key file at `path` still holds.
fn kept_epochs(path: &Path) -> Vec<u64> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect()
}

fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "binlog"))
        .collect();
    files.sort();
    files
}

/// Damage findings of log `orders` in `dir` against `key`: (file, kind).
fn findings(dir: &Path, key: PublicKey) -> Vec<(usize, FindingKind)> {
    let files = segment_files(dir);
    let reports = Verify::log(dir, "orders").unwrap().trusting(key);
    let at = |p: &Path| files.iter().position(|f| f == p).unwrap_or(usize::MAX);
    let damage = |r: binlog::verify::SegmentReport| {
        let i = at(&r.location);
        r.findings
            .into_iter()
            .filter(|f| f.is_damage())
            .map(move |f| (i, f.kind))
    };
    reports.flat_map(damage).collect()
}

/// The seal of the segment file at `path`.
fn seal_of(path: &Path) -> binlog::format::seal::SealDirectory {
    let bytes = std::fs::read(path).unwrap();
    let header_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    read_seal(&bytes, header_len).unwrap()
}

fn open(dir: &Path, signing: Signing) -> LogWriter {
    let opts = LogOptions {
        segment: Options {
            signing: Some(signing),
            ..Options::default()
        },
        background: false,
        ..LogOptions::default()
    };
    LogWriter::open(dir, "orders", opts).unwrap()
}

#[test]
fn a_forward_secure_log_rolls_each_epoch_erases_past_keys_and_names_a_later_reseal() {
    let t = TempDir::new("forward-secure");
    let keys = TempDir::new("forward-secure-keys");
    let master = Signing::new_key_files(keys.path().join("master")).unwrap();
    let other = Signing::new_key_files(keys.path().join("other")).unwrap();
    let epochs = keys.path().join("orders.epochs");
    // Epochs of a second, the first one already over.
    let start = now_ns().div_euclid(SECOND) * SECOND - SECOND;
    let schedule = (start, SECOND, 60);
    let certified_by = Signing::new_epoch_keys(keys.path().join("master"), &epochs, schedule);
    assert_eq!(certified_by.unwrap(), master);
    let epoch_now = || ((now_ns() - start) / SECOND) as u64;
    let signing = Signing::from_key_file(&epochs).unwrap();
    assert_eq!(signing.public_key(), master);

    let w = open(t.path(), signing.clone());
    let mut firsts = Vec::new();
    for round in 0..3 {
        if round > 0 {
            next_epoch();
        }
        firsts.push(epoch_now());
        for i in 0..2 {
            w.write("order", format!("round {round} record {i}").as_bytes())
                .unwrap();
        }
        w.tick().unwrap();
        // The epochs before this one's are erased once their segments are
        // sealed (the last tick's: the roll sealed the one before).
        assert!(
            kept_epochs(&epochs)[0] >= firsts[round],
            "{:?}",
            kept_epochs(&epochs)
        );
    }
    w.close().unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&epochs).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // A segment per epoch written in, each sealed by its epoch's key,
    // certified (a round's writes may straddle an epoch's end on a loaded
    // machine: then one more).
    let files = segment_files(t.path());
    let starts: Vec<i64> = files
        .iter()
        .map(|f| seal_of(f).chain.unwrap().epoch.unwrap().start_ns)
        .collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "{starts:?}");
    for e in &firsts {
        assert!(
            starts.contains(&(start + *e as i64 * SECOND)),
            "{firsts:?} {starts:?}"
        );
    }
    assert_eq!(findings(t.path(), master), vec![]);
    // Its signed head too: by an epoch key, with the master's certificate.
    let head = binlog::sign::SignedHead::from_file(t.path().join("orders.head")).unwrap();
    assert!(head.epoch.is_some() && head.signed_by(&master) && !head.signed_by(&other));
    let kept = keys.path().join("kept.head");
    std::fs::copy(t.path().join("orders.head"), &kept).unwrap();
    let mut v = Verify::log(t.path(), "orders").unwrap().trusting(master);
    v.with_head(&kept).unwrap();
    assert!(v.all(|r| !r.is_damaged()));
    // Each seal, and the signed head beside the log (on its last file).
    let against_other: Vec<_> = (0..files.len())
        .chain([files.len() - 1])
        .map(|i| (i, FindingKind::OtherKey))
        .collect();
    assert_eq!(findings(t.path(), other), against_other);

    // Whoever holds the key file now resealing the first segment (its
    // records two epochs older than any key left) is found.
    let end = seal_of(&files[0]).records_end;
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&files[0])
        .unwrap();
    f.set_len(end).unwrap();
    open(t.path(), Signing::from_key_file(&epochs).unwrap())
        .close()
        .unwrap();
    let found = findings(t.path(), master);
    assert!(found.contains(&(0, FindingKind::OutOfEpoch)), "{found:?}");
}

#[test]
fn an_epoch_key_file_changed_or_certified_by_another_key_is_refused() {
    let keys = TempDir::new("forward-secure-refused");
    Signing::new_key_files(keys.path().join("master")).unwrap();
    let epochs = keys.path().join("e");
    let schedule = (0, SECOND, 3);
    Signing::new_epoch_keys(keys.path().join("master"), &epochs, schedule).unwrap();
    // Exists already: not replaced.
    assert!(Signing::new_epoch_keys(keys.path().join("master"), &epochs, schedule).is_err());
    let text = std::fs::read_to_string(&epochs).unwrap();
    // One hex digit of the second epoch's seed changed: its certificate no
    // longer holds.
    let line = text.lines().nth(2).unwrap();
    let seed_at = text.find(line).unwrap() + line.find(' ').unwrap() + 1;
    let mut changed = text.clone().into_bytes();
    changed[seed_at] = if changed[seed_at] == b'0' { b'1' } else { b'0' };
    std::fs::write(&epochs, changed).unwrap();
    let e = Signing::from_key_file(&epochs).unwrap_err();
    assert!(e.to_string().contains(&*epochs.to_string_lossy()), "{e}");
    assert!(
        e.to_string()
            .contains("line 3: its key is not the master key's"),
        "{e}"
    );
    // Epochs shorter than a second, or none, are refused.
    let short = (0, SECOND / 2, 3);
    assert!(
        Signing::new_epoch_keys(keys.path().join("master"), keys.path().join("s"), short).is_err()
    );
    let none = (0, SECOND, 0);
    assert!(
        Signing::new_epoch_keys(keys.path().join("master"), keys.path().join("n"), none).is_err()
    );
}
