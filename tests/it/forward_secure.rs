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
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
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

/// Damage findings of log `orders` in `dir` against `key`: (file, kind).
fn findings(dir: &Path, key: PublicKey) -> Vec<(usize, FindingKind)> {
    let files = crate::common::binlog_files(dir);
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
    let files = crate::common::binlog_files(t.path());
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

const T0: i64 = 1_700_000_000 * SECOND;

/// A master key and a file of ten epoch keys of a second from `T0` that it
/// certifies, in `keys`.
fn epoch_keys(keys: &Path) -> (PathBuf, PublicKey) {
    let master = Signing::new_key_files(keys.join("master")).unwrap();
    let epochs = keys.join("orders.epochs");
    Signing::new_epoch_keys(keys.join("master"), &epochs, (T0, SECOND, 10)).unwrap();
    (epochs, master)
}

/// Log `orders` in `dir` signed by the epoch keys in `epochs`, opened
/// without a background thread (and never ticked) on the clock `clock`.
fn clocked(
    dir: &Path,
    epochs: &Path,
    clock: &Arc<AtomicI64>,
    checkpoint_records: Option<u64>,
) -> LogWriter {
    let clock = Arc::clone(clock);
    let opts = LogOptions {
        segment: Options {
            signing: Some(Signing::from_key_file(epochs).unwrap()),
            ..Options::default()
        },
        background: false,
        clock: Arc::new(move || clock.load(Ordering::SeqCst)),
        checkpoint_records,
        ..LogOptions::default()
    };
    LogWriter::open(dir, "orders", opts).unwrap()
}

/// The start of the epoch whose key signed log `orders`'s head in `dir`.
fn head_epoch(dir: &Path) -> i64 {
    let head = binlog::sign::SignedHead::from_file(dir.join("orders.head")).unwrap();
    head.epoch.unwrap().start_ns
}

/// A log writer without a background thread, never ticked, erases the
/// keys of the epochs before its live segment's once their segments are
/// sealed (by the roll at an epoch's end, or before an open), and signs
/// each head by the key of its segment's epoch.
#[test]
fn a_log_writer_never_ticked_erases_past_epochs_keys_as_it_seals_and_signs_heads_by_their_epoch() {
    let t = TempDir::new("forward-secure-no-tick");
    let keys = TempDir::new("forward-secure-no-tick-keys");
    let (epochs, master) = epoch_keys(keys.path());
    let clock = Arc::new(AtomicI64::new(T0 + SECOND / 2));
    let at = |epoch: i64| clock.store(T0 + epoch * SECOND + SECOND / 2, Ordering::SeqCst);
    let w = clocked(t.path(), &epochs, &clock, None);
    w.write("order", b"epoch 0").unwrap();
    assert_eq!(kept_epochs(&epochs), (0..10).collect::<Vec<_>>());
    at(1);
    w.write("order", b"epoch 1").unwrap();
    assert_eq!(kept_epochs(&epochs), (1..10).collect::<Vec<_>>());
    // The head the seal of segment 0 wrote: by epoch 0's key.
    assert_eq!(head_epoch(t.path()), T0);
    at(3);
    w.write("order", b"epoch 3").unwrap();
    assert_eq!(kept_epochs(&epochs), (3..10).collect::<Vec<_>>());
    assert_eq!(head_epoch(t.path()), T0 + SECOND);
    w.close().unwrap();
    assert_eq!(head_epoch(t.path()), T0 + 3 * SECOND);
    assert_eq!(findings(t.path(), master), vec![]);
    // Opened again two epochs later: the epochs over are erased at once.
    at(5);
    let w = clocked(t.path(), &epochs, &clock, None);
    assert_eq!(kept_epochs(&epochs), (5..10).collect::<Vec<_>>());
    w.close().unwrap();
}

/// A failure to erase the keys of the epochs over (here a directory where
/// the file's replacement is written) is counted, naming the file, and
/// stops no checkpoint, signed by the live segment's epoch's key.
#[test]
fn a_failed_erase_is_counted_and_the_checkpoint_still_signed_by_the_live_epochs_key() {
    let t = TempDir::new("forward-secure-erase-fails");
    let keys = TempDir::new("forward-secure-erase-fails-keys");
    let (epochs, master) = epoch_keys(keys.path());
    std::fs::create_dir(keys.path().join("orders.epochs.tmp")).unwrap();
    let clock = Arc::new(AtomicI64::new(T0 + SECOND / 2));
    let w = clocked(t.path(), &epochs, &clock, Some(1));
    w.write("order", b"epoch 0").unwrap();
    assert_eq!(head_epoch(t.path()), T0);
    clock.store(T0 + 2 * SECOND + SECOND / 2, Ordering::SeqCst);
    w.write("order", b"epoch 2").unwrap();
    assert_eq!(kept_epochs(&epochs), (0..10).collect::<Vec<_>>());
    let (failures, last) = w.callback_failures();
    assert!(failures > 0, "{last:?}");
    assert!(last.unwrap().contains("orders.epochs"));
    // The checkpoint after the roll covers segment 1, of epoch 2.
    let head = binlog::sign::SignedHead::from_file(t.path().join("orders.head")).unwrap();
    assert_eq!(head.segment_no, 1);
    assert_eq!(head_epoch(t.path()), T0 + 2 * SECOND);
    w.close().unwrap();
    assert_eq!(findings(t.path(), master), vec![]);
}

/// A head is signed by the key of its segment's epoch, not by an older
/// one the key file still holds: here a log whose middle segment's seal
/// was cut off, opened with its epoch file as it was before any was
/// erased.
#[test]
fn a_head_is_signed_by_its_segments_epoch_key_not_an_older_one_kept() {
    let t = TempDir::new("forward-secure-head-key");
    let keys = TempDir::new("forward-secure-head-key-keys");
    let (epochs, master) = epoch_keys(keys.path());
    let copy = keys.path().join("copy.epochs");
    std::fs::copy(&epochs, &copy).unwrap();
    let clock = Arc::new(AtomicI64::new(T0 + SECOND / 2));
    let w = clocked(t.path(), &copy, &clock, None);
    for epoch in [0, 1, 3] {
        clock.store(T0 + epoch * SECOND + SECOND / 2, Ordering::SeqCst);
        w.write("order", b"a record").unwrap();
    }
    w.close().unwrap();
    let segment_1 = &crate::common::binlog_files(t.path())[1];
    let end = seal_of(segment_1).records_end;
    let f = std::fs::OpenOptions::new().write(true).open(segment_1);
    f.unwrap().set_len(end).unwrap();
    // Segment 1 (epoch 1) is sealed again at the open.
    clocked(t.path(), &epochs, &clock, None).close().unwrap();
    let head = binlog::sign::SignedHead::from_file(t.path().join("orders.head")).unwrap();
    assert_eq!(head.segment_no, 1);
    assert_eq!(head_epoch(t.path()), T0 + SECOND);
    assert_eq!(findings(t.path(), master), vec![]);
}

/// A log reopened and ticked without a record checkpoints nothing: its
/// new segment, which close removes, is never what its head covers (a
/// copy of it would name the log cut off).
#[test]
fn a_log_reopened_without_a_record_checkpoints_no_segment_close_removes() {
    let t = TempDir::new("forward-secure-idle-head");
    let keys = TempDir::new("forward-secure-idle-head-keys");
    let key = Signing::new_key_files(keys.path().join("k")).unwrap();
    let signing = || Signing::from_key_file(keys.path().join("k")).unwrap();
    let w = open(t.path(), signing());
    w.write("order", b"one").unwrap();
    w.close().unwrap();
    let w = open(t.path(), signing());
    w.tick().unwrap();
    w.close().unwrap();
    let mut v = Verify::log(t.path(), "orders").unwrap().trusting(key);
    v.with_head(&t.path().join("orders.head")).unwrap();
    assert!(v.all(|r| !r.is_damaged()));
}
