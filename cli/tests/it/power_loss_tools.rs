//! Power cuts during `binlog compress`, `binlog repair` and `binlog ship`,
//! on the power-cut filesystem (tests/powercut; the loop's pieces in
//! tests/it/common/power_loss.rs). Each round prepares its files, mounts the
//! backing directory, runs the built `binlog` on the mount, kills it and
//! cuts the power at a seeded random moment, and checks what survived:
//!
//! - `compress` of a log's sealed segments (written in the backing
//!   directory while nothing is mounted: durable): never neither the plain
//!   nor the compressed copy; the log reader reads every record written,
//!   whole, in order, without a gap; the next round's writer opens the log
//!   (finishing what the cut interrupted) and numbers on;
//! - `repair` of a torn tail and `repair --salvage` of damage in the
//!   middle (the segment durable likewise): the segment's original bytes
//!   are the segment's or a backup's (`<segment>.backup-<time>`, never a
//!   `.partial`), and every valid record of the original is read from the
//!   segment or its salvaged copies, whole;
//! - `ship --keep-local 0` to a bucket of the pinned versitygw, of
//!   segments written on the mount under `None` and never synced (the
//!   shipper's own syncs are all that make them durable): the journal
//!   (`<log>.ship`) is whole, every file it calls uploaded or removed (a
//!   segment, or a file salvaged from one: each has its own line) is in
//!   the bucket (with the bytes of the local file of that place), every
//!   one it calls removed is gone locally, the log read through the
//!   tiered reader (local segments, then the bucket's) holds every record
//!   the bucket holds, each once and in order, and the next round's writer
//!   numbers above them.
//!
//! Root and /dev/fuse are needed. `BINLOG_POWER_CUTS` sets the cuts per
//! test (default 16); `make torture` sets 2,000. `BINLOG_TEST_SEED`
//! replays a run.

use crate::common;

use binlog::archive::object_name::log_prefix;
use binlog::log::naming::{self, ReadOrder};
use binlog::log::ship_journal::{journal_path, Journal, State};
use binlog::{list_segments, LogOptions, LogReader, LogWriter};
use binlog::{Durability, Options, Reader, Writer};
use common::power_loss::{cut_command, draw_keep, record, written_as, CutMoments, LOG};
use common::remote::remote_log;
use common::s3::S3Server;
use common::{knob, list_dir, Rng, TempDir};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The built `binlog` tool.
fn binlog() -> Command {
    Command::new(crate::common::cli::tool())
}

fn cuts() -> u64 {
    knob("BINLOG_POWER_CUTS", 16)
}

/// Records a compress or ship round adds: 3 segments of 20.
const ROUND_RECORDS: u64 = 60;

/// Writes `ROUND_RECORDS` records to the log in `dir` under `None` and
/// closes it, every segment sealed and nothing synced: they are durable
/// where `dir` is not on the mount (compress), and only once the command
/// syncs them where it is (ship). Returns the first one's number. The
/// writer's open finishes what the last cut interrupted.
fn add_segments(dir: &Path) -> u64 {
    let w = LogWriter::open(
        dir,
        LOG,
        LogOptions {
            max_segment_records: Some(20),
            segment: Options {
                durability: Durability::None,
                ..Options::default()
            },
            ..LogOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("the log does not open after the cut: {e}"));
    let start = w.next_seq().unwrap();
    for seq in start..start + ROUND_RECORDS {
        let (ty, p) = record(seq);
        assert_eq!(w.write(ty, &p).unwrap(), seq);
    }
    w.close().unwrap();
    start
}

/// Every record `0..end` read by the log reader, whole, in order, no gap.
fn check_log_whole(dir: &Path, end: u64) -> Result<(), String> {
    let mut r = LogReader::open(dir, LOG).map_err(|e| format!("open the log: {e}"))?;
    for want in 0..end {
        let rec = match r.next() {
            Ok(Some(rec)) => rec,
            Ok(None) => return Err(format!("the log ends before record {want}")),
            Err(e) => return Err(format!("read record {want}: {e}")),
        };
        let (ty, p) = record(want);
        if rec.seq != want || rec.type_name != ty || rec.payload != &p[..] {
            return Err(format!("record {} where {want} was written", rec.seq));
        }
    }
    let after = r.next().map(|o| o.map(|rec| rec.seq));
    match after {
        Ok(None) if r.gaps().is_empty() => Ok(()),
        other => Err(format!(
            "after record {}: {other:?}, gaps {:?}",
            end - 1,
            r.gaps()
        )),
    }
}

/// What the cuts of a test met, printed at its end (docs/RELIABILITY.md).
#[derive(Debug, Default)]
struct Tally {
    cuts: u64,
    /// Cuts before the command ended.
    cuts_while_running: u64,
    /// Cuts that left a half-written copy (`.zst.tmp`, `.repair-tmp`,
    /// `.partial`).
    temporaries_left: u64,
    /// Compress: cuts that left a segment both plain and compressed.
    both_copies: u64,
    /// Cuts after which the segment was changed (compressed, repaired);
    /// for shipping, the segments the journal said were removed locally
    /// after the last cut.
    changed: u64,
    records_checked: u64,
    /// Shipping: cuts after which a file salvaged from a segment (by the
    /// writer's open over damage a cut left) was local or in the bucket.
    salvaged: u64,
}

#[test]
fn power_cuts_during_compress_never_leave_neither_copy() {
    let mut rng = Rng::from_env(0xc0c7);
    let root = TempDir::new("power-compress");
    let (backing, mnt) = (root.join("backing"), root.join("mnt"));
    std::fs::create_dir_all(backing.join("log")).unwrap();
    std::fs::create_dir_all(&mnt).unwrap();
    let mut t = Tally::default();
    let mut moments = CutMoments::new(Duration::from_millis(50));
    let mut end = 0;
    for cut in 0..cuts() {
        let start = add_segments(&backing.join("log"));
        assert_eq!(start, end, "cut {cut}: the writer's next number");
        end += ROUND_RECORDS;
        let (keep, seed) = draw_keep(&mut rng);
        let delay = moments.draw(&mut rng);
        let ended = cut_command(
            (&backing, &mnt),
            (keep, seed),
            |_| {},
            binlog()
                .arg("compress")
                .arg("--no-progress")
                .arg(mnt.join("log")),
            delay,
        );
        let names = list_dir(&backing.join("log"));
        t.cuts += 1;
        t.cuts_while_running += u64::from(ended.is_none());
        t.temporaries_left += u64::from(names.iter().any(|n| n.ends_with(".zst.tmp")));
        t.both_copies += u64::from(
            names
                .iter()
                .any(|n| n.ends_with(".binlog") && names.contains(&format!("{n}.zst"))),
        );
        t.changed += u64::from(names.iter().any(|n| n.ends_with(".binlog.zst")));
        if let Some((took, status)) = ended {
            assert!(status.success(), "cut {cut}: compress failed: {status}");
            moments.ran(took);
        }
        if let Err(e) = check_log_whole(&backing.join("log"), end) {
            panic!("cut {cut} ({keep:?}, tool seed {seed}, {delay:?}): {e}; files {names:?}");
        }
        t.records_checked += end;
    }
    eprintln!("compress: {t:?}");
}

/// The damage a repair round starts from.
#[derive(Clone, Copy, Debug)]
enum Damage {
    /// The segment cut inside record 30: `repair` backs up and cuts it.
    TornTail,
    /// A byte of record 10 flipped: `repair --salvage` copies records
    /// 11.. into a salvaged segment and cuts the segment before 10.
    Middle,
}

const REPAIR_RECORDS: u64 = 40;

/// A sealed standalone segment of `REPAIR_RECORDS` records at `path`,
/// damaged as `damage` says; returns its bytes and the records that stay
/// valid.
fn damaged_segment(path: &Path, damage: Damage) -> (Vec<u8>, Vec<u64>) {
    let w = Writer::open(path, Options::default()).unwrap();
    for seq in 0..REPAIR_RECORDS {
        let (ty, p) = record(seq);
        w.write(ty, &p).unwrap();
    }
    w.close().unwrap();
    let frames = common::frames(path);
    let valid = match damage {
        Damage::TornTail => {
            let (offset, len) = frames[30];
            let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
            f.set_len(offset + len / 2).unwrap();
            (0..30).collect()
        }
        Damage::Middle => {
            let (offset, len) = frames[10];
            common::flip_byte(path, offset + len - 2);
            (0..REPAIR_RECORDS).filter(|&s| s != 10).collect()
        }
    };
    (std::fs::read(path).unwrap(), valid)
}

/// The segment `name` in `dir` after a cut during its repair: its
/// original bytes are there (the segment's or a whole backup's), and every
/// record in `valid` is read whole from the segment or a salvaged copy.
fn check_repair(dir: &Path, name: &str, original: &[u8], valid: &[u64]) -> Result<bool, String> {
    let path = dir.join(name);
    let names = list_dir(dir);
    let now = std::fs::read(&path).map_err(|e| format!("{name}: {e}; files {names:?}"))?;
    let unchanged = now == original;
    let backed_up = names.iter().any(|n| {
        n.starts_with(&format!("{name}.backup-"))
            && !n.ends_with(".partial")
            && std::fs::read(dir.join(n)).is_ok_and(|b| b == original)
    });
    if !unchanged && !backed_up {
        return Err(format!(
            "{name} changed and no backup holds its bytes; files {names:?}"
        ));
    }
    if unchanged {
        return Ok(false);
    }
    // Repaired: the segment reads whole, and with its salvaged copies
    // holds every valid record.
    let stem = name.trim_end_matches(".binlog");
    let mut found = Vec::new();
    let copies = names.iter().filter(|n| {
        *n == name || (n.starts_with(&format!("{stem}.salvaged-")) && n.ends_with(".binlog"))
    });
    for n in copies {
        let mut r = Reader::open(dir.join(n)).map_err(|e| format!("open {n}: {e}"))?;
        while let Some(rec) = r.next().map_err(|e| format!("read {n}: {e}"))? {
            written_as(rec.seq, rec.type_name, rec.payload).map_err(|e| format!("{n}: {e}"))?;
            found.push(rec.seq);
        }
    }
    found.sort_unstable();
    if let Some(lost) = valid.iter().find(|s| found.binary_search(s).is_err()) {
        return Err(format!(
            "record {lost} is in neither {name} nor a salvaged copy (found {found:?}); files {names:?}"
        ));
    }
    Ok(true)
}

#[test]
fn power_cuts_during_repair_keep_every_byte_and_every_valid_record() {
    let mut rng = Rng::from_env(0x4e9a);
    let root = TempDir::new("power-repair");
    let (backing, mnt) = (root.join("backing"), root.join("mnt"));
    std::fs::create_dir_all(&mnt).unwrap();
    let mut t = Tally::default();
    let mut moments = CutMoments::new(Duration::from_millis(50));
    for cut in 0..cuts() {
        let _ = std::fs::remove_dir_all(&backing);
        std::fs::create_dir_all(backing.join("seg")).unwrap();
        let damage = if cut % 2 == 0 {
            Damage::TornTail
        } else {
            Damage::Middle
        };
        let name = format!("r{cut}.binlog");
        let (original, valid) = damaged_segment(&backing.join("seg").join(&name), damage);
        let (keep, seed) = draw_keep(&mut rng);
        let delay = moments.draw(&mut rng);
        let mut cmd = binlog();
        cmd.args(["repair", "--no-progress"]);
        if let Damage::Middle = damage {
            cmd.arg("--salvage");
        }
        let ended = cut_command(
            (&backing, &mnt),
            (keep, seed),
            |_| {},
            cmd.arg(mnt.join("seg").join(&name)),
            delay,
        );
        if let Some((took, _)) = ended {
            moments.ran(took);
        }
        let names = list_dir(&backing.join("seg"));
        t.cuts += 1;
        t.cuts_while_running += u64::from(ended.is_none());
        t.temporaries_left += u64::from(
            names
                .iter()
                .any(|n| n.contains(".repair-tmp") || n.ends_with(".partial")),
        );
        match check_repair(&backing.join("seg"), &name, &original, &valid) {
            Ok(changed) => t.changed += u64::from(changed),
            Err(e) => panic!(
                "cut {cut} ({damage:?}, {keep:?}, tool seed {seed}, {delay:?}, ended {ended:?}): {e}"
            ),
        }
        t.records_checked += valid.len() as u64;
    }
    eprintln!("repair: {t:?}");
}

const BUCKET: &str = "cuts";
const PREFIX: &str = "p";

/// The journal's claims after a cut during `ship --keep-local 0`: every
/// file it calls uploaded (a segment, or a file salvaged from one, each
/// with its own line) is in the bucket, with the bytes of the local file
/// of that place if there is one (never another file's); every one it
/// calls removed is gone locally, and so is every file of the segments
/// `through` covers. Returns how many segments it calls removed.
fn check_journal(server: &S3Server, dir: &Path) -> Result<u64, String> {
    let log = remote_log(server, BUCKET, PREFIX, LOG);
    let journal =
        Journal::load(&journal_path(dir, LOG)).map_err(|e| format!("the journal: {e}"))?;
    let local: Vec<(ReadOrder, std::path::PathBuf)> = list_segments(dir, LOG)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|l| {
            let name = l.path.file_name().unwrap().to_str().unwrap();
            let order = naming::parse_log_file_name(LOG, name).expect("a file of the log");
            (order, l.path)
        })
        .collect();
    let here = |at: ReadOrder| local.iter().find(|(o, _)| *o == at).map(|(_, p)| p);
    // Every file of every segment through `through` is shipped and
    // removed locally.
    let through = journal.as_ref().and_then(|j| j.through);
    if let Some((at, _)) = local
        .iter()
        .find(|(o, _)| through.is_some_and(|t| o.segment_no <= t))
    {
        return Err(format!(
            "the journal says every file through segment {through:?} is removed; {at:?} is here"
        ));
    }
    let mut removed = through.map_or(0, |t| t + 1);
    for e in journal.iter().flat_map(|j| &j.entries) {
        if e.state == State::Uploading {
            continue;
        }
        let key = format!("{}{}", log_prefix(PREFIX, LOG), e.object);
        let object = log.remote().get(&key).map_err(|e| e.to_string())?;
        let Some(object) = object.filter(|o| o.len() as u64 == e.bytes) else {
            return Err(format!(
                "the journal says {:?} is uploaded ({:?}); the bucket has no {key} of {} bytes",
                e.order(),
                e.state,
                e.bytes
            ));
        };
        match (e.state, here(e.order())) {
            (State::LocalDeleted, Some(_)) => {
                return Err(format!(
                    "the journal says {:?} is removed; it is here",
                    e.order()
                ))
            }
            (State::LocalDeleted, None) => removed += u64::from(e.salvaged.is_none()),
            (_, Some(p)) if std::fs::read(p).map_err(|e| e.to_string())? != object => {
                return Err(format!(
                    "{:?} here holds other bytes than its object {key}",
                    e.order()
                ))
            }
            _ => {}
        }
    }
    Ok(removed)
}

/// The log read through the tiered reader (local segments, then the
/// bucket's): every record the one written under its number, numbers only
/// going up (none twice), and every record the bucket holds read. Returns
/// the numbers read. (A record never made durable may be lost, or moved
/// out of the log by a writer's open with damage the cut left.)
fn check_tiered(server: &S3Server, dir: &Path) -> Result<Vec<u64>, String> {
    let log = remote_log(server, BUCKET, PREFIX, LOG);
    let mut shipped = Vec::new();
    if !log.segments().map_err(|e| e.to_string())?.is_empty() {
        let mut b =
            LogReader::open_remote(log.clone()).map_err(|e| format!("open the bucket: {e}"))?;
        // A sealed segment whose records a cut damaged (under `None` the
        // seal is not synced after them) is shipped as it is.
        b.skip_damaged(true);
        while let Some(rec) = b.next().map_err(|e| format!("read the bucket: {e}"))? {
            shipped.push(rec.seq);
        }
    }
    let mut r = match LogReader::open_tiered(dir, LOG, log) {
        Ok(r) => r,
        // A cut before the shipper synced anything (a loaded machine
        // reaches the first cut early) leaves no file of the log and an
        // empty bucket: no log at all, nothing to read.
        Err(e) if e.kind() == binlog::ErrorKind::NotFound && shipped.is_empty() => {
            return Ok(Vec::new())
        }
        Err(e) => return Err(format!("open tiered: {e}")),
    };
    r.skip_damaged(true);
    let mut read: Vec<u64> = Vec::new();
    while let Some(rec) = r
        .next()
        .map_err(|e| format!("read after {:?}: {e}", read.last()))?
    {
        written_as(rec.seq, rec.type_name, rec.payload)?;
        if read.last().is_some_and(|&l| l >= rec.seq) {
            return Err(format!(
                "record {} after {:?}: a number given twice",
                rec.seq,
                read.last()
            ));
        }
        read.push(rec.seq);
    }
    if let Some(lost) = shipped.iter().find(|s| read.binary_search(s).is_err()) {
        return Err(format!(
            "record {lost} is in the bucket, not read; gaps {:?}",
            r.gaps()
        ));
    }
    Ok(read)
}

#[test]
fn power_cuts_while_shipping_and_removing_keep_the_journal_true_and_every_record_once() {
    ship_under_power_cuts(Rng::from_env(0x5417), cuts());
}

/// A seed whose cuts leave damage in the middle of unsealed segments that
/// the next round's writer salvages, and let the shipper remove segments
/// (on the 2-core VM under `stress-ng --cpu 2`: salvaged files after 13
/// of its 16 cuts, 18 segments removed), so that the shipper meets
/// salvaged files of segments it removes: before they were
/// shipped, a salvaged file stayed local alone once its segment was
/// shipped and removed, the tiered reader took it for its whole segment
/// and never read the segment's object ("record 594 is in the bucket, not
/// read"; cli/tests/it/archive_salvaged.rs reproduces that without cuts), and the
/// journal check could not count it. Its cuts are timed by how long
/// commands take, so a replay takes the same choices, not always the same
/// state.
#[test]
fn power_cuts_while_shipping_a_log_whose_writer_salvaged_records_read_every_record_once() {
    ship_under_power_cuts(Rng::new(SALVAGING_SEED), cuts());
}

/// See `power_cuts_while_shipping_a_log_whose_writer_salvaged_records_read_every_record_once`.
const SALVAGING_SEED: u64 = 19;

/// Cuts during `ship --keep-local 0`, drawn from `rng`: `cuts` rounds,
/// each checked by `check_journal` and `check_tiered`.
fn ship_under_power_cuts(mut rng: Rng, cuts: u64) {
    let server = S3Server::start(&[BUCKET]);
    let root = TempDir::new("power-ship");
    let (backing, mnt) = (root.join("backing"), root.join("mnt"));
    std::fs::create_dir_all(backing.join("log")).unwrap();
    std::fs::create_dir_all(&mnt).unwrap();
    let mut t = Tally::default();
    let mut moments = CutMoments::new(Duration::from_millis(300));
    let mut present: Vec<u64> = Vec::new();
    for cut in 0..cuts {
        let (keep, seed) = draw_keep(&mut rng);
        let delay = moments.draw(&mut rng);
        let mut cmd = binlog();
        cmd.arg("ship")
            .arg(mnt.join("log"))
            .args(["--log", LOG, "--keep-local", "0", "--retry-timeout", "5"])
            .args(["--to", &format!("s3://{BUCKET}/{PREFIX}")])
            .envs(server.env());
        let last = present.last().copied();
        let ended = cut_command(
            (&backing, &mnt),
            (keep, seed),
            |m| {
                let start = add_segments(&m.join("log"));
                assert!(
                    last.is_none_or(|l| start > l),
                    "cut {cut}: the writer numbers from {start}, the log holds {last:?}"
                );
            },
            &mut cmd,
            delay,
        );
        if let Some((took, _)) = ended {
            moments.ran(took);
        }
        t.cuts += 1;
        t.cuts_while_running += u64::from(ended.is_none());
        let dir = backing.join("log");
        let ctx = || format!("cut {cut} ({keep:?}, tool seed {seed}, {delay:?}, ended {ended:?})");
        match check_journal(&server, &dir) {
            Ok(removed) => t.changed = removed,
            Err(e) => panic!("{}: {e}; files {:?}", ctx(), list_dir(&dir)),
        }
        present = check_tiered(&server, &dir)
            .unwrap_or_else(|e| panic!("{}: {e}; files {:?}", ctx(), list_dir(&dir)));
        let in_bucket = remote_log(&server, BUCKET, PREFIX, LOG)
            .segments()
            .unwrap()
            .iter()
            .any(|o| o.object_key.contains(".salvaged-"));
        let here = list_dir(&dir).iter().any(|n| n.contains(".salvaged-"));
        t.salvaged += u64::from(in_bucket || here);
        t.records_checked += present.len() as u64;
    }
    eprintln!("ship: {t:?}");
}
