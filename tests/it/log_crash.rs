//! Real crashes of a rolling log: a child process (this test binary,
//! re-executed with an environment variable that switches the test into
//! child mode) writes to a log that rolls every few records and prints on a
//! pipe every sequence number it was told is durable. Two durability
//! policies, one test each: `EveryRecord` (a roll every 4 records; each write
//! returns durable) and the batched `EveryN(16)` (a roll every 40 records;
//! the child reports `durable_seq` whenever it advances). The parent kills
//! the child with SIGKILL at random moments, half of them aimed at a roll in
//! progress, and after each kill checks the log as the crash left it: it
//! reads completely from 0 with no gap, every record reported durable is
//! there with its bytes, every segment but the newest is sealed or (killed
//! before the background thread wrote its seal) has its records ended by a
//! `SEAL_BEGIN` frame, and a
//! writer continues with exactly the next sequence number (the parent's, on
//! a copy, and the next child's, on the original).
//!
//! A third test runs the batched policy on a log that compresses each
//! segment once it is sealed, on its background thread: kills also land
//! while a segment's `.zst.tmp` is written and verified, and between its
//! rename and the unlink of the `.binlog`; the same checks then hold, with
//! each older segment plain or compressed and never missing.
//!
//! `BINLOG_KILLS` sets the kills per test (default 40, so `cargo test`
//! kills 120 times here); `make torture` sets 5000. `BINLOG_TEST_SEED`
//! replays a run.

use crate::common;
use binlog::log::{naming, segments};
use binlog::{Compression, LogOptions, LogReader, LogWriter};
use binlog::{Durability, ErrorKind, Options, Reader, Tail};
use common::child::ChildProc;
use common::{Rng, TempDir};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "BINLOG_LOGCRASH_CHILD";
const DIR_ENV: &str = "BINLOG_LOGCRASH_DIR";
const LOG: &str = "crash";
const MARK: &str = "#logcrash# ";
/// Kills per test unless `BINLOG_KILLS` says otherwise.
const DEFAULT_KILLS: u64 = 40;
/// Kills on one log before the test starts a fresh one, so that checking a
/// log after each kill (it is read whole) stays cheap in long runs.
const KILLS_PER_LOG: usize = 100;

fn kills() -> usize {
    common::knob("BINLOG_KILLS", DEFAULT_KILLS) as usize
}

/// The durability policy under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// `EveryRecord`: each write returns durable.
    EveryRecord,
    /// `EveryN(16)`: batched; at most 15 records not yet durable.
    EveryN,
    /// `EveryN(16)`, each sealed segment compressed on the background
    /// thread as soon as it is sealed.
    Compressing,
    /// `EveryN(16)`, each seal signed (docs/FORMAT.md section 8.6): after
    /// each kill the log also verifies against the key, one chain.
    Signed,
    /// `Signed` with forward-secure epoch keys of a second (their file in
    /// the log's directory): the log rolls at each epoch's end and erases
    /// past keys while kills land; it verifies against the master key.
    ForwardSecure,
}

/// The batch of `Mode::EveryN`.
const BATCH: u32 = 16;

impl Mode {
    fn from_env(s: &str) -> Mode {
        match s {
            "every_record" => Mode::EveryRecord,
            "every_n" => Mode::EveryN,
            "compressing" => Mode::Compressing,
            "signed" => Mode::Signed,
            "forward_secure" => Mode::ForwardSecure,
            _ => panic!("unknown mode {s}"),
        }
    }
    fn env(self) -> &'static str {
        match self {
            Mode::EveryRecord => "every_record",
            Mode::EveryN => "every_n",
            Mode::Compressing => "compressing",
            Mode::Signed => "signed",
            Mode::ForwardSecure => "forward_secure",
        }
    }
    /// The test that runs this mode (the child re-runs it).
    fn test_name(self) -> &'static str {
        match self {
            Mode::EveryRecord => {
                "kill9_while_a_rolling_log_writes_and_rolls_loses_nothing_reported_durable"
            }
            Mode::EveryN => {
                "kill9_while_a_batched_durability_rolling_log_rolls_loses_nothing_reported_durable"
            }
            Mode::Compressing => {
                "kill9_while_a_log_compresses_its_sealed_segments_loses_nothing_reported_durable"
            }
            Mode::Signed => "kill9_while_a_signed_log_rolls_leaves_one_signed_chain",
            Mode::ForwardSecure => "kill9_while_a_forward_secure_log_rolls_leaves_one_signed_chain",
        }
    }
    /// Records per segment: the child rolls every few records (with
    /// EveryN(16), 40: two batch syncs inside a segment, then the seal's).
    fn per_segment(self) -> u64 {
        match self {
            Mode::EveryRecord => 4,
            Mode::EveryN | Mode::Compressing | Mode::Signed | Mode::ForwardSecure => 40,
        }
    }
    fn durability(self) -> Durability {
        match self {
            Mode::EveryRecord => Durability::EveryRecord,
            Mode::EveryN | Mode::Compressing | Mode::Signed | Mode::ForwardSecure => {
                Durability::EveryN(BATCH)
            }
        }
    }
}

/// The options of log `LOG` in `dir`.
#[cfg_attr(not(feature = "sign"), allow(unused_variables))]
fn log_options(mode: Mode, dir: &Path) -> LogOptions {
    let batched = mode != Mode::EveryRecord;
    LogOptions {
        max_segment_records: Some(mode.per_segment()),
        segment: Options {
            durability: mode.durability(),
            buffer_size: 4096,
            #[cfg(feature = "sign")]
            signing: signing(mode, dir),
            ..Options::default()
        },
        // Batched durability also seals on the background thread, so that
        // kills land between a roll and its seal.
        background: batched,
        seal_in_background: batched,
        // Small frames, so that a segment of 40 records makes several.
        compression: (mode == Mode::Compressing).then(|| Compression {
            frame_size: 16 << 10,
            ..Compression::default()
        }),
        ..LogOptions::default()
    }
}

/// Record `seq`: its type and payload. Mostly small; now and then one
/// larger than the buffer (written straight to the file, so a kill can tear
/// it), rarely a big one.
fn record(seq: u64) -> (&'static str, Vec<u8>) {
    let len = match seq % 29 {
        0 => 200_000,
        7 | 19 => 9_000,
        _ => ((seq * 37) % 250) as usize,
    };
    let mut p = Vec::with_capacity(len + 8);
    let mut x = seq.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    while p.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p.extend_from_slice(&x.to_le_bytes());
    }
    p.truncate(len);
    if len >= 8 {
        p[..8].copy_from_slice(&seq.to_le_bytes());
    }
    (["ev", "other", "третий"][(seq % 3) as usize], p)
}

/// One line with one write(2), so a kill never leaves half a line that
/// looks whole.
fn say(line: String) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(format!("{MARK}{line}\n").as_bytes());
    let _ = out.flush();
}

/// In a child: write until killed; never returns.
fn run_child_if_asked() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mode = Mode::from_env(&mode);
    let dir = PathBuf::from(std::env::var(DIR_ENV).expect("child needs a directory"));
    let fail = |what: String| -> ! {
        say(format!("ERR {what}"));
        std::process::exit(3)
    };
    let w = LogWriter::open(&dir, LOG, log_options(mode, &dir))
        .unwrap_or_else(|e| fail(format!("open: {e}")));
    let start = w
        .next_seq()
        .unwrap_or_else(|e| fail(format!("next_seq: {e}")));
    say(format!("START {start}"));
    let mut reported = w
        .durable_seq()
        .unwrap_or_else(|e| fail(format!("durable_seq: {e}")));
    // The second of the last write (forward-secure epochs are whole
    // seconds: new_log_dir).
    let mut last_second = None;
    for seq in start.. {
        let cur = w
            .current_segment()
            .unwrap_or_else(|e| fail(format!("current_segment: {e}")));
        let second = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        // A forward-secure log also rolls at each epoch's end: at the first
        // write of the next epoch, unless its background thread rolled
        // first. On a machine slow enough to write fewer records than a
        // segment holds in an epoch, these are its only rolls.
        let epoch_ends = mode == Mode::ForwardSecure && last_second != Some(second);
        if cur.record_count >= mode.per_segment() || (epoch_ends && cur.record_count > 0) {
            // This write rolls first.
            say(format!("ROLL {seq}"));
        }
        last_second = Some(second);
        let (ty, p) = record(seq);
        match w.write(ty, &p) {
            Ok(s) if s == seq => {}
            Ok(s) => fail(format!("write returned seq {s}, expected {seq}")),
            Err(e) => fail(format!("write {seq}: {e}")),
        }
        let durable = w
            .durable_seq()
            .unwrap_or_else(|e| fail(format!("durable_seq: {e}")));
        if mode == Mode::EveryRecord && durable <= seq {
            fail(format!(
                "EveryRecord write of {seq} returned with durable_seq {durable}"
            ));
        }
        if mode != Mode::EveryRecord && seq + 1 - durable.min(seq + 1) >= BATCH as u64 {
            fail(format!(
                "EveryN({BATCH}) write of {seq} returned with durable_seq {durable}"
            ));
        }
        if durable < reported {
            fail(format!(
                "durable_seq went back from {reported} to {durable}"
            ));
        }
        if durable > reported {
            // Every sequence number below `durable` is on stable storage.
            say(format!("D {}", durable - 1));
            reported = durable;
        }
    }
    unreachable!()
}

/// Where the kill found the newest segment.
#[derive(Debug, Default)]
struct Landed {
    /// Sealed: killed after sealing, before the next segment existed.
    sealed_newest: usize,
    /// Ends inside its seal.
    seal_damaged: usize,
    /// Shorter than a header: killed while creating it.
    header_torn: usize,
    /// Just a header: killed after creating it, before its first record.
    empty_newest: usize,
    /// Ends inside a record.
    torn_record: usize,
    /// The manifest does not name the newest segment as current.
    manifest_behind: usize,
    /// Older segments whose seal the background thread had not written
    /// (whole) yet: their records end in a `SEAL_BEGIN` frame.
    older_seal_pending: usize,
    /// The segment before the newest, still active: killed after the next
    /// segment was created, before its records were closed.
    older_active_mid_roll: usize,
    /// A compression's `.zst.tmp` was there: killed while a sealed
    /// segment was being compressed or verified.
    compressing: usize,
    /// A segment was there both plain and compressed: killed after the
    /// compressed copy got its name, before the `.binlog` was removed.
    compressed_and_plain: usize,
    /// Older segments already compressed.
    compressed: usize,
}

impl Landed {
    /// Asserts that, over `kills` kills, enough landed inside a roll and,
    /// for `Mode::Compressing`, that the log compressed and some kills came
    /// while it did.
    fn assert_kills_landed_where_the_test_aims(&self, mode: Mode, kills: usize) {
        assert!(
            self.in_roll() >= 3.min(kills / 10),
            "only {} kills landed inside a roll: {self:?}",
            self.in_roll()
        );
        if mode == Mode::Compressing {
            assert!(self.compressed > 0, "nothing compressed: {self:?}");
            assert!(
                self.compressing + self.compressed_and_plain >= 1.min(kills / 10),
                "no kill landed inside a compression: {self:?}"
            );
        }
    }

    fn in_roll(&self) -> usize {
        self.sealed_newest
            + self.seal_damaged
            + self.header_torn
            + self.empty_newest
            + self.older_seal_pending
            + self.older_active_mid_roll
    }
}

/// Checks the log as the kill left it. Returns the number of records and,
/// if the log reader failed, why.
fn verify_crashed_log(
    dir: &Path,
    durable_below: u64,
    landed: &mut Landed,
    ctx: &str,
) -> (u64, Option<String>) {
    let files = segments::list(dir, LOG).unwrap();
    if files.is_empty() {
        // Killed before the log's first segment existed: nothing was
        // written. A reader finds nothing, or, with no file of the log
        // made yet (not even its manifest), no log.
        assert_eq!(
            durable_below, 0,
            "{ctx}: records reported durable, no segment"
        );
        match LogReader::open(dir, LOG) {
            Ok(mut r) => assert!(r.next().unwrap_or_else(|e| panic!("{ctx}: {e}")).is_none()),
            Err(e) => assert_eq!(e.kind(), ErrorKind::NotFound, "{ctx}: {e}"),
        }
        return (0, None);
    }
    count_compression_files(dir, landed);
    // Every segment but the newest is sealed, or its records end in the
    // SEAL_BEGIN frame a roll writes once the next segment exists. Only the
    // one before the newest may have neither, if the newest holds no record:
    // the kill came between the next segment's creation and that frame.
    let newest_is_empty = Reader::open(&files.last().unwrap().path).map_or(true, |mut r| {
        r.next().unwrap_or_else(|e| panic!("{ctx}: {e}")).is_none()
    });
    for (i, f) in files[..files.len() - 1].iter().enumerate() {
        let mut r = Reader::open(&f.path).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        if r.seal().is_some() {
            continue;
        }
        while r.next().unwrap_or_else(|e| panic!("{ctx}: {e}")).is_some() {}
        match r.tail() {
            Tail::SealDamaged { .. } => landed.older_seal_pending += 1,
            Tail::Unsealed if i + 2 == files.len() && newest_is_empty => {
                landed.older_active_mid_roll += 1
            }
            t => panic!(
                "{ctx}: {} is not the newest, not sealed, and ends {t:?}",
                f.path.display()
            ),
        }
    }
    // Classify the newest one.
    let newest = &files.last().unwrap().path;
    let newest_len = std::fs::metadata(newest).unwrap().len();
    match Reader::open(newest) {
        Err(_) => landed.header_torn += 1,
        Ok(mut r) => {
            if r.seal().is_some() {
                landed.sealed_newest += 1;
            } else {
                let mut n = 0;
                while r
                    .next()
                    .unwrap_or_else(|e| panic!("{ctx}: newest segment: {e}"))
                    .is_some()
                {
                    n += 1;
                }
                match r.tail() {
                    Tail::SealDamaged { .. } => landed.seal_damaged += 1,
                    Tail::Torn { .. } => landed.torn_record += 1,
                    Tail::Unsealed if n == 0 => landed.empty_newest += 1,
                    Tail::Unsealed => {}
                    t => panic!("{ctx}: newest segment ends {t:?}"),
                }
            }
        }
    }
    // The manifest, replaced atomically, always decodes once it exists; it
    // is missing only if the kill came during the log's first open, before
    // any record.
    let manifest = naming::manifest_path(dir, LOG);
    let missing_manifest = !manifest.exists();
    if missing_manifest {
        landed.manifest_behind += 1;
    } else {
        let m = binlog::log::manifest::Manifest::load(&manifest)
            .unwrap_or_else(|e| panic!("{ctx}: manifest: {e}"));
        if m.current.as_ref().map(|c| c.1.as_str()) != newest.file_name().and_then(|n| n.to_str()) {
            landed.manifest_behind += 1;
        }
    }

    // The reader: every record from 0, in order, with its bytes; no gap.
    let mut r = LogReader::open(dir, LOG).unwrap();
    let mut n = 0u64;
    let mut failure = None;
    loop {
        match r.next() {
            Ok(Some(rec)) => {
                assert_eq!(rec.seq, n, "{ctx}: record {n} has seq {}", rec.seq);
                let (ty, p) = record(n);
                assert_eq!(rec.type_name, ty, "{ctx}: record {n} type");
                assert!(rec.payload == &p[..], "{ctx}: record {n} payload differs");
                n += 1;
            }
            Ok(None) => break,
            Err(e) => {
                // Counted as a failure (asserted at the end of the test);
                // meanwhile the segments are read one by one so the other
                // checks of this kill still run.
                failure = Some(format!(
                    "{ctx}: LogReader failed after {n} records (newest segment {} of {newest_len} bytes): {e}",
                    newest.display()
                ));
                for f in &files {
                    let Ok(mut sr) = Reader::open(&f.path) else {
                        assert!(
                            f.path == *newest,
                            "{ctx}: {} does not open",
                            f.path.display()
                        );
                        continue;
                    };
                    while let Some(rec) = sr.next().unwrap_or_else(|e| panic!("{ctx}: {e}")) {
                        if rec.seq >= n {
                            assert_eq!(rec.seq, n, "{ctx}: record {n} has seq {}", rec.seq);
                            assert!(rec.payload == &record(n).1[..], "{ctx}: record {n} differs");
                            n += 1;
                        }
                    }
                }
                break;
            }
        }
    }
    assert!(r.gaps().is_empty(), "{ctx}: gaps {:?}", r.gaps());
    assert!(
        !missing_manifest || n == 0,
        "{ctx}: {n} records but no manifest"
    );
    assert!(
        n >= durable_below,
        "{ctx}: records below {durable_below} were reported durable, only {n} are in the log"
    );
    (n, failure)
}

/// Counts where the kill found the log's compressions, from the names in
/// `dir`.
fn count_compression_files(dir: &Path, landed: &mut Landed) {
    let names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let compressed: Vec<&String> = names
        .iter()
        .filter(|n| n.ends_with(".binlog.zst"))
        .collect();
    landed.compressed += compressed.len();
    if names.iter().any(|n| n.ends_with(".zst.tmp")) {
        landed.compressing += 1;
    }
    let plain_too = |zst: &&String| names.contains(&zst.trim_end_matches(".zst").to_string());
    if compressed.iter().any(plain_too) {
        landed.compressed_and_plain += 1;
    }
}

/// Copies the newest segments (enough for a writer to work out where the
/// log stands) and the manifest, so the parent can open a writer on the
/// crash state while the original is left for the next child to recover.
fn copy_tail(dir: &Path, to: &Path) {
    let files = segments::list(dir, LOG).unwrap();
    for f in files.iter().rev().take(3) {
        std::fs::copy(&f.path, to.join(f.path.file_name().unwrap())).unwrap();
    }
    for m in [naming::manifest_path(dir, LOG), dir.join(EPOCHS)] {
        if m.exists() {
            std::fs::copy(&m, to.join(m.file_name().unwrap())).unwrap();
        }
    }
}

/// Whether a `.zst` segment appears in `dir` within `limit`.
fn wait_for_compressed_segment(dir: &Path, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        let found = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| {
                e.file_name()
                    .to_str()
                    .is_some_and(|n| n.ends_with(".binlog.zst"))
            });
        if found {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

fn spin(d: Duration) {
    let t = Instant::now();
    while t.elapsed() < d {
        std::hint::spin_loop();
    }
}

#[test]
fn kill9_while_a_rolling_log_writes_and_rolls_loses_nothing_reported_durable() {
    run_child_if_asked();
    kill_loop(Mode::EveryRecord, 0x10c_c4a5);
}

#[test]
fn kill9_while_a_batched_durability_rolling_log_rolls_loses_nothing_reported_durable() {
    run_child_if_asked();
    kill_loop(Mode::EveryN, 0x10c_c4a6);
}

#[test]
fn kill9_while_a_log_compresses_its_sealed_segments_loses_nothing_reported_durable() {
    run_child_if_asked();
    kill_loop(Mode::Compressing, 0x10c_c4a7);
}

#[cfg(feature = "sign")]
#[test]
fn kill9_while_a_signed_log_rolls_leaves_one_signed_chain() {
    run_child_if_asked();
    kill_loop(Mode::Signed, 0x10c_c4a8);
}

#[cfg(feature = "sign")]
#[test]
fn kill9_while_a_forward_secure_log_rolls_leaves_one_signed_chain() {
    run_child_if_asked();
    kill_loop(Mode::ForwardSecure, 0x10c_c4a9);
}

/// The epoch key file of a forward-secure log, in its directory.
const EPOCHS: &str = "keys.epochs";

/// How log `LOG` in `dir` is signed in `mode`, if it is.
#[cfg(feature = "sign")]
fn signing(mode: Mode, dir: &Path) -> Option<binlog::sign::Signing> {
    match mode {
        Mode::Signed => Some(common::signed::fixed_key("logcrash-signing", 0x5a)),
        Mode::ForwardSecure => {
            Some(binlog::sign::Signing::from_key_file(dir.join(EPOCHS)).unwrap())
        }
        _ => None,
    }
}

/// A new log directory; for `ForwardSecure`, with its epoch key file:
/// epochs of a second from the last one on, certified by the signed mode's
/// key.
#[cfg_attr(not(feature = "sign"), allow(unused_variables))]
fn new_log_dir(mode: Mode) -> TempDir {
    let dir = TempDir::new("log");
    #[cfg(feature = "sign")]
    if mode == Mode::ForwardSecure {
        common::signed::fixed_key("logcrash-signing", 0x5a);
        let master = Path::new(env!("CARGO_TARGET_TMPDIR")).join("logcrash-signing.key");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        let start = (now.as_secs() as i64 - 1) * 1_000_000_000;
        // Ten minutes of epochs: each open checks every certificate, which an
        // unoptimised build under load does slowly (3,600 took seconds).
        let schedule = (start, 1_000_000_000, 600);
        binlog::sign::Signing::new_epoch_keys(master, dir.path().join(EPOCHS), schedule).unwrap();
    }
    dir
}

fn kill_loop(mode: Mode, default_seed: u64) {
    let seed = std::env::var("BINLOG_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_seed);
    eprintln!("{mode:?}: PRNG seed {seed} (set BINLOG_TEST_SEED to replay)");
    let kills = kills();
    let mut rng = Rng::new(seed);
    let mut dir = new_log_dir(mode);
    let mut expect_start = 0u64;
    let mut records_total = 0u64;
    let mut landed = Landed::default();
    let (mut aimed, mut with_durable, mut max_records) = (0, 0, 0u64);
    let mut waited_for_durable = 0;
    let mut reader_failures: Vec<String> = Vec::new();
    let started = Instant::now();

    for kill in 0..kills {
        if kill > 0 && kill % KILLS_PER_LOG == 0 {
            dir = new_log_dir(mode);
            records_total += expect_start;
            expect_start = 0;
        }
        let mut child = ChildProc::spawn(
            mode.test_name(),
            &[
                (CHILD_ENV, mode.env().as_ref()),
                (DIR_ENV, dir.path().as_os_str()),
            ],
            MARK,
        );
        let mut seen = Vec::new();
        let how = kill % 4;
        match how {
            // Any moment, maybe while the child opens and recovers the log.
            0 => std::thread::sleep(Duration::from_micros(rng.below(30_000))),
            // Right around a roll: the child announces a write that rolls.
            1 | 2 => {
                let ok = child.wait_for("ROLL", &mut seen, Duration::from_secs(20));
                assert!(ok, "kill {kill}: child never rolled: {seen:?}");
                // The roll after it (fewer lines in flight), then a delay
                // within the few ms a roll with fsyncs takes.
                // (EveryN: 40 records a segment, few lines; one roll will do.)
                if mode == Mode::EveryRecord {
                    let ok = child.wait_for("ROLL", &mut seen, Duration::from_secs(20));
                    assert!(ok, "kill {kill}: child never rolled again: {seen:?}");
                }
                aimed += 1;
                spin(Duration::from_micros(rng.below(if how == 1 {
                    600
                } else {
                    3000
                })));
            }
            // While records are written; compressing, every other such kill
            // once a segment is compressed, however slow the machine is
            // (the checks expect some kills to find one).
            _ => {
                if mode == Mode::Compressing && kill % 8 == 3 {
                    let ok = wait_for_compressed_segment(dir.path(), Duration::from_secs(20));
                    assert!(ok, "kill {kill}: the child compressed no segment");
                }
                let ok = child.wait_for("D ", &mut seen, Duration::from_secs(20));
                assert!(ok, "kill {kill}: child never wrote: {seen:?}");
                waited_for_durable += 1;
                std::thread::sleep(Duration::from_micros(rng.below(20_000)));
            }
        }
        let lines = child.kill9(seen);
        let ctx = format!("{mode:?} kill {kill} (seed {seed})");

        let durable_below = common::child::durable_bound(&lines, expect_start, "D", true, &ctx);
        if durable_below > 0 {
            with_durable += 1;
        }

        let (n, failure) = verify_crashed_log(dir.path(), durable_below, &mut landed, &ctx);
        #[cfg(feature = "sign")]
        if let Some(key) = signing(mode, dir.path()) {
            let signed = common::signed::one_signed_chain(dir.path(), LOG, &key);
            signed.unwrap_or_else(|e| panic!("{ctx}: {e}"));
        }
        reader_failures.extend(failure);
        assert!(
            n >= expect_start,
            "{ctx}: {n} records, fewer than the {expect_start} there before"
        );

        // A writer on a copy of the crash state continues with exactly the
        // next sequence number, and its log then reads whole and sealed.
        let copy = TempDir::new("copy");
        copy_tail(dir.path(), copy.path());
        let w = LogWriter::open(copy.path(), LOG, log_options(mode, copy.path()))
            .unwrap_or_else(|e| panic!("{ctx}: LogWriter::open after the crash: {e}"));
        assert_eq!(w.next_seq().unwrap(), n, "{ctx}: next_seq after the crash");
        let (ty, p) = record(n);
        assert_eq!(
            w.write(ty, &p).unwrap(),
            n,
            "{ctx}: first write after the crash"
        );
        w.close().unwrap();
        let files = segments::list(copy.path(), LOG).unwrap();
        assert!(
            !files.is_empty(),
            "{ctx}: copy has no segment after a write"
        );
        let first = Reader::open(&files[0].path).unwrap().header().first_seq;
        let mut r = LogReader::open(copy.path(), LOG).unwrap();
        let mut k = first;
        while let Some(rec) = r.next().unwrap_or_else(|e| panic!("{ctx}: copy: {e}")) {
            assert_eq!(rec.seq, k, "{ctx}: copy");
            assert!(rec.payload == &record(k).1[..], "{ctx}: copy record {k}");
            k += 1;
        }
        assert_eq!(k, n + 1, "{ctx}: copy ends after the parent's record");
        assert!(r.gaps().is_empty(), "{ctx}: copy gaps {:?}", r.gaps());
        for f in &files {
            assert!(
                Reader::open(&f.path).unwrap().seal().is_some(),
                "{ctx}: copy not sealed"
            );
        }

        // The next child recovers the original and must START at n.
        expect_start = n;
        max_records = max_records.max(n);
    }
    records_total += expect_start;
    let segments = segments::list(dir.path(), LOG).unwrap().len();
    eprintln!(
        "{mode:?}: {kills} kills in {:?} ({aimed} aimed at rolls, {with_durable} after durable \
         writes); {records_total} records written, at most {max_records} in one log \
         ({segments} segments in the last); where the kills landed: {landed:?}",
        started.elapsed()
    );
    // The kills hit a writer at work: every kill that waited for a durable
    // write found one reported (the others may come before the first).
    assert!(
        with_durable >= waited_for_durable,
        "only {with_durable} kills came after a durable write, \
         {waited_for_durable} waited for one"
    );
    assert!(
        records_total > kills as u64 * 2,
        "only {records_total} records"
    );
    landed.assert_kills_landed_where_the_test_aims(mode, kills);
    assert!(
        reader_failures.is_empty(),
        "after {} of {kills} kills the log reader could not read the crashed log:\n{}",
        reader_failures.len(),
        reader_failures.join("\n")
    );
}
