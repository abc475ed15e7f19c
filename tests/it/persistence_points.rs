//! Persistence points (docs/RELIABILITY.md, "Persistence points"): each
//! step of a segment's and a log's life is run by the real library in a
//! child process under strace, and the orderings its promise rests on are
//! asserted on the trace: a file's bytes synced before the rename that
//! publishes it, a directory synced after a create, rename or unlink that a
//! later step relies on, a record synced before the write that wrote it
//! returns. Each `*_child` test does its step only in the child
//! (`PERSIST_DIR` set); the parent checks the trace. One test makes strace
//! fail a directory sync (EIO) instead, and checks what the step left.
//! strace missing fails the test, saying to install it.

use crate::common;
#[path = "persistence_points/trace.rs"]
mod trace;

use binlog::{Compression, LogOptions, Retention};
use binlog::{Durability, LogWriter, Options, Writer};
use common::TempDir;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use trace::{mark, Trace};

/// The child's directory; set only in the traced child.
const CHILD: &str = "PERSIST_DIR";
/// The durability a child runs with.
const MODE: &str = "PERSIST_MODE";

/// Runs child test `test` under strace over a fresh directory; returns the
/// directory and the trace.
fn traced(test: &str, mode: &str) -> (TempDir, Trace) {
    let d = TempDir::new(&format!("persist-{test}-{mode}"));
    let dir = d.join("data");
    std::fs::create_dir(&dir).unwrap();
    let envs = [(CHILD, dir.as_os_str()), (MODE, OsStr::new(mode))];
    let t = trace::run_child(test, &envs, &d.join("trace.txt"));
    (d, t)
}

fn child_dir() -> Option<PathBuf> {
    std::env::var_os(CHILD).map(PathBuf::from)
}

fn durability(mode: &str) -> Durability {
    match mode {
        "every-record" => Durability::EveryRecord,
        "every-4" => Durability::EveryN(4),
        "interval" => Durability::Interval(Duration::from_millis(20)),
        "none" => Durability::None,
        other => panic!("mode {other}"),
    }
}

fn child_mode() -> String {
    std::env::var(MODE).unwrap()
}

fn opts(mode: &str) -> Options {
    Options {
        durability: durability(mode),
        ..Options::default()
    }
}

/// Whether `p` names a plain segment file.
fn is_segment(p: &Path) -> bool {
    p.extension() == Some(OsStr::new("binlog"))
}

// --- a segment: create, first write, appends in each durability mode ------

#[test]
fn segment_child() {
    let Some(dir) = child_dir() else { return };
    let mode = child_mode();
    let w = Writer::open(dir.join("s.binlog"), opts(&mode)).unwrap();
    mark("opened");
    for k in 0..8 {
        w.write("t", format!("record {k}").as_bytes()).unwrap();
        mark(&format!("wrote-{k}"));
    }
    if mode == "interval" {
        // The flusher syncs within its interval; what it reports durable
        // must have been synced by then, whenever it comes.
        let deadline = Instant::now() + Duration::from_secs(60);
        while w.durable_seq() < 8 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(w.durable_seq(), 8, "the flusher never synced");
        mark("reported-durable");
    }
    if mode == "none" {
        w.sync().unwrap();
        mark("synced");
    }
    if mode == "every-record" {
        // Zeros prepared past the records by then (the file longer than
        // them), whenever the preparing thread runs.
        let path = dir.join("s.binlog");
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::fs::metadata(&path).unwrap().len() <= w.bytes() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    w.close().unwrap();
    mark("closed");
}

/// `segment_child` traced in `mode`: the trace, the segment, and the line
/// its file was created on.
fn traced_segment(mode: &str) -> (TempDir, Trace, PathBuf, usize) {
    let (d, t) = traced("segment_child", mode);
    let seg = d.join("data/s.binlog");
    let (_, created) = t.creations(|p| p == seg).pop().expect("segment created");
    let created = created.end;
    (d, t, seg, created)
}

/// Asserts that the segment's bytes written before `mark` and its name
/// (created on line `created`) were synced before `mark`.
fn assert_segment_durable(t: &Trace, seg: &Path, created: usize, mark: &str, what: &str) {
    let at = t.mark(mark);
    t.assert_durable_before(seg, at, &format!("{what}: its bytes"));
    t.assert_dir_synced(seg, created, at, &format!("{what}: the segment's name"));
}

/// Every record a write returned is on disk under `EveryRecord`, and so is
/// the segment's name: the file's bytes synced after they were written,
/// and its directory after it was created, before each write returns.
#[test]
fn every_record_syncs_each_record_and_the_new_segments_name_before_the_write_returns() {
    let (_d, t, seg, created) = traced_segment("every-record");
    assert_segment_durable(&t, &seg, created, "opened", "the new segment's header");
    for k in 0..8 {
        let what = format!("record {k} when its write returned");
        assert_segment_durable(&t, &seg, created, &format!("wrote-{k}"), &what);
    }
    t.assert_durable_before(&seg, t.mark("closed"), "the seal at close");
    t.assert_zeros_never_over_records(&seg, "prepared space");
}

/// `EveryN(4)`: the write that completes every 4th record returns with
/// it and the three before it synced (power loss costs at most 3).
#[test]
fn every_n_syncs_every_nth_record_before_its_write_returns() {
    let (_d, t, seg, created) = traced_segment("every-4");
    for k in [3, 7] {
        let what = format!("records to {k} when write {k} returned");
        assert_segment_durable(&t, &seg, created, &format!("wrote-{k}"), &what);
    }
}

/// `Interval`: what `durable_seq` reports durable was synced (the records'
/// bytes and the segment's name) by the time it says so.
#[test]
fn interval_reports_durable_only_what_the_flusher_synced() {
    let (_d, t, seg, created) = traced_segment("interval");
    assert_segment_durable(
        &t,
        &seg,
        created,
        "reported-durable",
        "records reported durable",
    );
}

/// `None`: `sync` makes the records and the segment's name durable (power
/// loss costs what came after the last sync).
#[test]
fn none_makes_the_records_and_the_segments_name_durable_at_sync() {
    let (_d, t, seg, created) = traced_segment("none");
    assert_segment_durable(&t, &seg, created, "synced", "records at sync");
}

// --- a log: rolls, seals, retention, the manifest, compression -----------

#[test]
fn log_child() {
    let Some(dir) = child_dir() else { return };
    let mode = child_mode();
    let (seal_bg, compress) = (mode.contains("background"), mode.contains("compress"));
    let durability = if mode.contains("every-4") {
        "every-4"
    } else {
        "every-record"
    };
    let open = |retain: Option<usize>| {
        let o = LogOptions {
            segment: opts(durability),
            max_segment_records: Some(2),
            seal_in_background: seal_bg,
            compression: compress.then(Compression::default),
            retention: Retention {
                max_segments: retain,
                ..Retention::default()
            },
            ..LogOptions::default()
        };
        LogWriter::open(&dir, "orders", o).unwrap()
    };
    let w = open(Some(2));
    for k in 0..9 {
        w.write("t", format!("record {k}").as_bytes()).unwrap();
        mark(&format!("wrote-{k}"));
    }
    w.close().unwrap();
    mark("closed");
    // Reopened: a new segment after the sealed ones, which stay as they are.
    let w = open(None);
    w.write("t", b"after reopen").unwrap();
    w.close().unwrap();
    mark("closed-again");
}

/// The plain segment files a log's trace created, oldest first.
fn segments_created(t: &Trace) -> Vec<(PathBuf, usize)> {
    let mut s: Vec<_> = t
        .creations(is_segment)
        .into_iter()
        .map(|(p, c)| (p, c.end))
        .collect();
    s.sort();
    s.dedup_by(|a, b| a.0 == b.0);
    s
}

/// A segment's seal is durable before the zeros prepared past it are cut,
/// the cut is synced, and from then on nothing writes to the file.
fn assert_sealed_for_good(t: &Trace, seg: &Path, before: usize) {
    let last = t.last_change_before(seg, before).expect("segment written");
    let what = format!("{} sealed", seg.display());
    if last.name == "ftruncate" {
        let seal = t.last_change_before(seg, last.start).expect("seal written");
        assert_ne!(seal.name, "ftruncate", "{what}: cut twice");
        t.assert_durable_before(seg, last.start, &format!("{what}: its seal before the cut"));
    }
    t.assert_durable_before(seg, before, &what);
    let synced = t
        .calls
        .iter()
        .filter(|c| matches!(c.name.as_str(), "fsync" | "fdatasync"))
        .filter(|c| c.fd_path().as_deref() == Some(seg) && c.start > last.end && c.end < before)
        .map(|c| c.end)
        .min()
        .expect("synced");
    t.assert_unchanged_after(
        seg,
        synced,
        &format!("{what}: a sealed segment never changes"),
    );
}

fn assert_log_persistence(mode: &str) -> (TempDir, Trace) {
    let (d, t) = traced("log_child", mode);
    let segs = segments_created(&t);
    assert!(segs.len() >= 6, "{mode}: segments created: {segs:?}");
    // Each new segment's name is durable before a record written to it
    // returns, and before an older segment is removed or the log closes.
    for (seg, created) in &segs {
        let next_mark = (0..9)
            .map(|k| t.mark(&format!("wrote-{k}")))
            .chain([t.mark("closed"), t.mark("closed-again")])
            .find(|&m| m > *created)
            .unwrap();
        t.assert_dir_synced(seg, *created, next_mark, "a new segment's name");
    }
    // Records are durable when their writes return: under `EveryRecord`
    // those of the segment written (two a segment); under either, those
    // each older segment held when the next was created (the roll syncs
    // them: `EveryN` counts a segment's records, the segment test checks
    // that count).
    for k in 0..9 {
        let at = t.mark(&format!("wrote-{k}"));
        let what = format!("{mode}: records to {k} when write {k} returned");
        if !mode.contains("every-4") {
            t.assert_durable_before(&segs[k / 2].0, at, &what);
        }
        for pair in segs[..=k / 2].windows(2) {
            t.assert_synced(&pair[0].0, pair[1].1, at, &what);
        }
    }
    // Every segment but the one the reopen writes is sealed for good by
    // the close (or compressed, or removed by retention).
    let closed = t.mark("closed");
    let removed: Vec<PathBuf> = t.unlinks().into_iter().map(|(p, _)| p).collect();
    for (seg, _) in segs.iter().filter(|(_, c)| *c < closed) {
        match t.last_change_before(seg, closed) {
            Some(_) => assert_sealed_for_good(&t, seg, closed),
            None => assert!(
                removed.contains(seg),
                "{mode}: {seg:?} neither written nor removed"
            ),
        }
    }
    // Retention: before a segment is removed, a newer segment's name is
    // durable (the log's position past it).
    for (gone, unlink) in t.unlinks().into_iter().filter(|(p, _)| is_segment(p)) {
        if mode.contains("compress") && t.renames().iter().any(|(_, to, _)| *to == zst_of(&gone)) {
            continue; // its compressed copy replaced it: see the compression test
        }
        let newer = segs.iter().find(|(p, c)| *p > gone && *c < unlink.start);
        let (newer, created) =
            newer.unwrap_or_else(|| t.fail(&format!("{gone:?} removed, no newer segment")));
        t.assert_dir_synced(
            newer,
            *created,
            unlink.start,
            "the position past a removed segment",
        );
    }
    // The manifest written at close: its bytes before its rename, the
    // directory after, before close returns.
    let m = d.join("data/orders.manifest");
    let tmp = d.join("data/orders.manifest.tmp");
    let last_before_close = t
        .renames()
        .into_iter()
        .filter(|(f, to, c)| *f == tmp && *to == m && c.end < closed)
        .map(|(_, _, c)| c.start)
        .max()
        .expect("manifest written at close");
    t.assert_durable_before(
        &tmp,
        last_before_close,
        "the manifest at close (before its rename)",
    );
    t.assert_dir_synced(
        &m,
        last_before_close,
        closed,
        "the manifest at close (after its rename)",
    );
    (d, t)
}

fn zst_of(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".zst");
    PathBuf::from(s)
}

/// Rolls with seals on the rolling thread: new segments' names durable,
/// seals synced before the prepared zeros are cut and never written
/// again, retention removing a segment only once a newer one's name is
/// durable, the closing manifest replaced durably.
#[test]
fn a_rolling_logs_segments_seals_retention_and_manifest_are_durable_in_order() {
    assert_log_persistence("foreground");
}

/// The same with seals on the log's background thread.
#[test]
fn background_seals_are_durable_in_the_same_order() {
    assert_log_persistence("background");
}

/// `EveryN(4)` across rolls with seals in the background: the records of a
/// segment rolled away from are synced by the roll, not left to its seal.
#[test]
fn every_n_across_rolls_syncs_the_records_of_the_segment_rolled_away_from() {
    assert_log_persistence("background-every-4");
}

/// Compression: the `.zst.tmp` synced before its rename, the directory
/// synced after the rename and before the plain segment's unlink, and
/// after that unlink before the log closes.
#[test]
fn compression_publishes_a_synced_copy_before_it_removes_the_plain_segment() {
    let (d, t) = assert_log_persistence("compress");
    let closed = t.mark("closed-again");
    let mut compressed = 0;
    for (from, to, r) in t.renames() {
        let Some(plain) = to.to_str().and_then(|s| s.strip_suffix(".zst")) else {
            continue;
        };
        compressed += 1;
        let plain = PathBuf::from(plain);
        t.assert_replaced_durably(&from, &to, closed, "a compressed copy");
        let unlink = t
            .unlinks()
            .into_iter()
            .find(|(p, _)| *p == plain)
            .map(|(_, c)| c)
            .unwrap_or_else(|| t.fail(&format!("{plain:?} never removed")));
        t.assert_dir_synced(
            &to,
            r.end,
            unlink.start,
            "the copy's name before the plain's unlink",
        );
        t.assert_dir_synced(&plain, unlink.end, closed, "the plain segment's unlink");
    }
    assert!(
        compressed >= 3,
        "compressed {compressed} segments in {}",
        d.path().display()
    );
}

/// A log under durability `None` (nothing synced) rolled every 2
/// records, 7 written.
fn unsynced_log(dir: &Path) -> LogWriter {
    let o = LogOptions {
        segment: opts("none"),
        max_segment_records: Some(2),
        ..LogOptions::default()
    };
    let w = LogWriter::open(dir, "orders", o).unwrap();
    for k in 0..7 {
        w.write("t", format!("record {k}").as_bytes()).unwrap();
    }
    w
}

#[test]
fn log_sync_child() {
    let Some(dir) = child_dir() else { return };
    let w = unsynced_log(&dir);
    w.sync().unwrap();
    mark("synced");
    w.close().unwrap();
}

/// A log under `None`: `sync` makes every segment's records (those rolled
/// away from and sealed too) and every segment's name durable.
#[test]
fn a_logs_sync_under_none_makes_every_segment_and_its_name_durable() {
    let (_d, t) = traced("log_sync_child", "none");
    let synced = t.mark("synced");
    let segs = segments_created(&t);
    assert!(segs.len() >= 4, "segments created: {segs:?}");
    for (seg, created) in &segs {
        t.assert_durable_before(seg, synced, "a segment's records at sync");
        t.assert_dir_synced(seg, *created, synced, "a segment's name at sync");
    }
}

#[test]
fn log_synced_then_rolled_child() {
    let Some(dir) = child_dir() else { return };
    let o = LogOptions {
        segment: opts("none"),
        ..LogOptions::default()
    };
    let w = LogWriter::open(&dir, "orders", o).unwrap();
    w.write("t", b"record 0").unwrap();
    w.sync().unwrap();
    mark("records-synced");
    // Its records synced, the segment is rolled away from and sealed.
    w.roll().unwrap();
    w.sync().unwrap();
    mark("synced");
    w.close().unwrap();
}

/// A log under `None`: a segment whose records a `sync` covered before
/// the log rolled away from it has its seal made durable by the next
/// `sync`.
#[test]
fn a_logs_sync_under_none_makes_a_seal_written_after_the_last_sync_durable() {
    let (_d, t) = traced("log_synced_then_rolled_child", "none");
    let synced = t.mark("synced");
    let segs = segments_created(&t);
    assert_eq!(segs.len(), 2, "segments created: {segs:?}");
    let seal = t.last_change_before(&segs[0].0, synced).map(|c| c.end);
    assert!(
        seal > Some(t.mark("records-synced")),
        "no seal written after the first sync"
    );
    t.assert_durable_before(&segs[0].0, synced, "a rolled segment's seal at sync");
}

#[test]
fn crash_left_child() {
    let Some(dir) = child_dir() else { return };
    let o = || LogOptions {
        segment: opts("every-record"),
        max_segment_records: Some(2),
        compression: Some(Compression {
            after_segments: 2,
            ..Compression::default()
        }),
        ..LogOptions::default()
    };
    let w = LogWriter::open(&dir, "orders", o()).unwrap();
    for k in 0..8 {
        w.write("t", format!("record {k}").as_bytes()).unwrap();
    }
    w.close().unwrap();
    let mut segs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| is_segment(p))
        .collect();
    segs.sort();
    // What crashes leave: the newest segment ending, the one before it
    // active; an interrupted compression's temporary file.
    let (ending, active) = (&segs[segs.len() - 1], &segs[segs.len() - 2]);
    common::cli::leave_ending(ending);
    common::cli::leave_unsealed(active);
    std::fs::write(zst_of(&segs[0]).with_extension("zst.tmp"), b"half").unwrap();
    mark("crashed");
    let w = LogWriter::open(&dir, "orders", o()).unwrap();
    mark("opened");
    w.close().unwrap();
    mark("closed");
}

/// A log opened after crashes (its newest segment left ending, the one
/// before active, a compression's temporary file): the records found are
/// synced and the segments sealed for good before the open returns, and
/// the next segment's name is durable by then.
#[test]
fn what_a_crash_left_is_finished_durably_on_open() {
    let (_d, t) = traced("crash_left_child", "every-record");
    let (crashed, opened) = (t.mark("crashed"), t.mark("opened"));
    let reopened: Vec<PathBuf> = t
        .named("openat")
        .filter(|c| c.start > crashed && c.end < opened)
        .filter(|c| c.args.contains("O_RDWR") && !c.args.contains("O_CREAT"))
        .filter_map(|c| c.paths().into_iter().next().filter(|p| is_segment(p)))
        .collect();
    assert!(
        reopened.len() >= 2,
        "segments reopened to seal: {reopened:?}"
    );
    for seg in &reopened {
        let sealed = t.last_change_before(seg, opened).expect("sealed");
        let found = t
            .calls
            .iter()
            .find(|c| c.start > crashed && c.changes(seg))
            .unwrap();
        assert!(
            t.synced_between(seg, crashed, found.start),
            "{seg:?}: records found not synced"
        );
        t.assert_dir_synced(seg, crashed, found.start, "the names of the segments found");
        assert!(sealed.end < opened);
        assert_sealed_for_good(&t, seg, opened);
    }
    let (next, created) = t
        .creations(is_segment)
        .into_iter()
        .find(|(_, c)| c.start > crashed)
        .expect("a next segment");
    t.assert_dir_synced(&next, created.end, opened, "the next segment's name");
}

// --- recovery of a torn tail, and `binlog repair` ---------------------------

#[test]
fn torn_child() {
    let Some(dir) = child_dir() else { return };
    let path = dir.join("s.binlog");
    let (_, len) = common::make_unsealed(&path, 4);
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&f, &[0x55; 40], len).unwrap();
    mark("torn");
    let w = Writer::open(&path, opts(&child_mode())).unwrap();
    mark("recovered");
    w.close().unwrap();
}

/// A reopened segment's torn tail is copied aside, the copy and its name
/// synced, before the segment is cut.
#[test]
fn a_torn_tail_is_backed_up_durably_before_the_cut() {
    for mode in ["every-record", "none"] {
        let (d, t) = traced("torn_child", mode);
        let cut = cut_after(&t, &d.join("data/s.binlog"), t.mark("torn"));
        backed_up_before(&t, cut.start, &format!("{mode}: the torn tail's copy"));
        assert!(cut.start < t.mark("recovered"));
    }
}

/// The first cut (ftruncate) of `seg` after line `after`.
fn cut_after<'a>(t: &'a Trace, seg: &Path, after: usize) -> &'a trace::Call {
    t.named("ftruncate")
        .find(|c| c.start > after && c.fd_path().as_deref() == Some(seg))
        .unwrap_or_else(|| t.fail("no cut"))
}

/// Asserts that the last `.corrupt-` backup created was synced, and its
/// name (the directory), before line `cut`; returns the line it was
/// created on.
fn backed_up_before(t: &Trace, cut: usize, what: &str) -> usize {
    let (backup, created) = t
        .creations(|p| p.to_string_lossy().contains(".corrupt-"))
        .pop()
        .unwrap_or_else(|| t.fail("no backup"));
    t.assert_durable_before(&backup, cut, what);
    t.assert_dir_synced(&backup, created.end, cut, &format!("{what}: its name"));
    created.start
}

#[test]
fn salvage_child() {
    let Some(dir) = child_dir() else { return };
    let o = || LogOptions {
        segment: opts(&child_mode()),
        ..LogOptions::default()
    };
    let w = LogWriter::open(&dir, "orders", o()).unwrap();
    for k in 0..8 {
        w.write("t", format!("record {k}").as_bytes()).unwrap();
    }
    w.close().unwrap();
    let seg = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| is_segment(p))
        .unwrap();
    // Its seal lost and a bit of record 3 flipped, records after it.
    let mut r = binlog::Reader::open(&seg).unwrap();
    let end = r.seal().unwrap().records_end;
    let mut frames = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        frames.push((rec.offset, rec.frame_len));
    }
    drop(r);
    let (at, len) = frames[3];
    let flip = at + len / 2;
    let byte = std::fs::read(&seg).unwrap()[flip as usize] ^ 0x40;
    let f = std::fs::OpenOptions::new().write(true).open(&seg).unwrap();
    f.set_len(end).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&f, &[byte], flip).unwrap();
    drop(f);
    mark("damaged");
    let w = LogWriter::open(&dir, "orders", o()).unwrap();
    mark("opened");
    w.close().unwrap();
}

/// A log's unsealed segment damaged in the middle: the records after the
/// damage are copied into a salvaged file, synced under a temporary name,
/// renamed and the directory synced; then the damage is backed up
/// durably; only then is the segment cut.
#[test]
fn a_log_salvages_the_records_after_damage_durably_before_the_cut() {
    for mode in ["every-record", "none"] {
        let (_d, t) = traced("salvage_child", mode);
        let damaged = t.mark("damaged");
        let (tmp, to, renamed) = t
            .renames()
            .into_iter()
            .find(|(_, to, c)| c.start > damaged && to.to_string_lossy().contains(".salvaged-"))
            .unwrap_or_else(|| t.fail("no salvaged file renamed"));
        let seg = to.with_file_name(naming_stem_of_salvaged(&to));
        let cut = cut_after(&t, &seg, damaged);
        t.assert_replaced_durably(&tmp, &to, cut.start, &format!("{mode}: the salvaged copy"));
        let created = backed_up_before(&t, cut.start, &format!("{mode}: the backup"));
        assert!(renamed.end < created, "{mode}: salvaged before the backup");
        assert!(cut.start < t.mark("opened"));
    }
}

/// The file name of the segment the salvaged file `p` came from:
/// `<stem>.salvaged-<offset>.binlog` -> `<stem>.binlog`.
fn naming_stem_of_salvaged(p: &Path) -> String {
    let name = p.file_name().unwrap().to_string_lossy();
    let stem = &name[..name.find(".salvaged-").unwrap()];
    format!("{stem}.binlog")
}

/// `binlog repair` of a torn segment: the backup's bytes synced before it
/// gets its name, and that name before the segment is replaced; the
/// repaired copy synced before its rename over the segment, the directory
/// after.
#[test]
fn repair_backs_up_durably_and_renames_a_synced_copy_over_the_segment() {
    let d = TempDir::new("persist-repair");
    let dir = d.join("data");
    std::fs::create_dir(&dir).unwrap();
    let seg = dir.join("s.binlog");
    common::cli::torn_segment(&seg, 5);
    let exe = crate::common::cli::tool();
    let args = [OsStr::new("repair"), seg.as_os_str()];
    let t = trace::run(&exe, &args, &[], &d.join("trace.txt"));
    let end = t.calls.last().unwrap().end + 1;
    let tmp = dir.join("s.binlog.repair-tmp");
    let replaced = t.assert_replaced_durably(&tmp, &seg, end, "the repaired copy");
    let (named, partial, to) = t
        .calls
        .iter()
        .filter(|c| c.name.starts_with("link") || c.name.starts_with("rename"))
        .filter_map(|c| match &c.paths()[..] {
            [from, to] if to.to_string_lossy().contains(".backup-") => {
                Some((c, from.clone(), to.clone()))
            }
            _ => None,
        })
        .next()
        .unwrap_or_else(|| t.fail("no backup named"));
    let copied = t.last_change_before(&partial, named.start).is_some();
    assert!(copied || t.fail_bool(&format!("nothing written to {partial:?}")));
    t.assert_durable_before(&partial, named.start, "the backup's bytes before its name");
    t.assert_dir_synced(
        &to,
        named.end,
        replaced.start,
        "the backup's name before the repair",
    );
}

/// `binlog repair --backup-dir` whose fsync of the backup's directory
/// fails (EIO, injected by strace): the backup's name may not survive
/// power loss, so the repair stops before it changes the segment.
#[test]
fn repair_changes_nothing_when_the_backups_directory_cannot_be_synced() {
    let d = TempDir::new("persist-repair-backup-dir");
    let (dir, backups) = (d.join("data"), d.join("backups"));
    std::fs::create_dir(&dir).unwrap();
    std::fs::create_dir(&backups).unwrap();
    let seg = dir.join("s.binlog");
    common::cli::torn_segment(&seg, 5);
    let before = std::fs::read(&seg).unwrap();
    let exe = crate::common::cli::tool();
    let args = ["repair", "--backup-dir"].map(OsStr::new);
    let args = [&args[..], &[backups.as_os_str(), seg.as_os_str()]].concat();
    let backups_str = backups.to_str().unwrap();
    let fault = [
        "-P",
        backups_str,
        "-e",
        "trace=fsync",
        "-e",
        "inject=fsync:error=EIO",
    ];
    let o = trace::run_injected(&exe, &args, &fault);
    let err = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!o.status.success(), "repair succeeded: {err}");
    assert_eq!(
        std::fs::read(&seg).unwrap(),
        before,
        "the segment changed: {err}"
    );
    assert!(
        err.contains(backups_str),
        "the message names the directory: {err}"
    );
}

// --- the shipper: the manifest's position, removal, the journal ------------

#[cfg(feature = "s3")]
#[test]
fn ship_child() {
    use binlog::archive::{Connection, Location, ShipOptions, Shipper};
    let Some(dir) = child_dir() else { return };
    let endpoint = std::env::var("PERSIST_ENDPOINT").unwrap();
    // Nothing of the log is synced when the shipper starts.
    unsynced_log(&dir).close().unwrap();
    mark("closed");
    let opts = ShipOptions {
        keep_local: Some(0),
        connection: Connection {
            endpoint: Some(endpoint),
            region: Some(common::s3::REGION.into()),
            access_key_id: Some(common::s3::ACCESS_KEY.into()),
            secret_access_key: Some(common::s3::SECRET_KEY.into()),
            virtual_hosted_style: Some(false),
            ..Connection::default()
        },
        ..ShipOptions::default()
    };
    let to = Location::parse("s3://logs/persist").unwrap();
    let mut s = Shipper::open(&dir, "orders", &to, opts).unwrap();
    for _ in 0..10 {
        s.ship_once().unwrap();
        if !std::fs::read_dir(&dir)
            .unwrap()
            .any(|e| is_segment(&e.unwrap().path()))
        {
            break;
        }
    }
    mark("shipped");
}

/// `ship_child` under strace, shipping to a fresh versitygw: its
/// directory, the log's directory and the trace.
#[cfg(feature = "s3")]
fn traced_shipping(name: &str) -> (TempDir, PathBuf, Trace) {
    let server = common::s3::S3Server::start(&["logs"]);
    let d = TempDir::new(name);
    let dir = d.join("data");
    std::fs::create_dir(&dir).unwrap();
    let endpoint = server.endpoint();
    let envs = [
        (CHILD, dir.as_os_str()),
        ("PERSIST_ENDPOINT", OsStr::new(&endpoint)),
    ];
    let t = trace::run_child("ship_child", &envs, &d.join("trace.txt"));
    (d, dir, t)
}

/// The shipper journals and uploads a segment only once its bytes and
/// name are durable where it is: else power loss could take back from the
/// log (durability `None` syncs nothing) a segment, or its last records,
/// that the bucket and the journal hold, and the log would give their
/// numbers again.
#[cfg(feature = "s3")]
#[test]
fn shipper_uploads_a_segment_only_once_it_is_durable_where_it_is() {
    let (_d, dir, t) = traced_shipping("persist-ship-upload");
    let journal = dir.join("orders.ship");
    let journal_tmp = dir.join("orders.ship.tmp");
    let renames = t.renames();
    let closed = t.mark("closed");
    let segs = t.creations(is_segment);
    assert!(segs.len() >= 3, "segments: {segs:?}");
    // A segment's UPLOADING line is stored by the thread that stages it
    // (not the one that listed the segments and left the marks), after it
    // opened the segment.
    let main = t.mark_thread("closed");
    for (seg, _) in &segs {
        let what = format!("{} uploaded", seg.display());
        let read = t
            .named("openat")
            .find(|c| c.start > closed && c.pid != main && c.paths().first() == Some(seg))
            .unwrap_or_else(|| t.fail(&format!("{what}: never staged")));
        let (_, _, uploading) = renames
            .iter()
            .find(|(f, to, c)| {
                *f == journal_tmp && *to == journal && c.pid == read.pid && c.start > read.end
            })
            .unwrap_or_else(|| t.fail(&format!("{what}: never journaled")));
        let at = uploading.start;
        if !t.synced_between(seg, closed, at) {
            t.fail(&format!(
                "{what}: its bytes not synced before its journal line (line {})",
                at + 1
            ));
        }
        t.assert_dir_synced(
            seg,
            closed,
            at,
            &format!("{what}: its name before its journal line"),
        );
    }
}

/// The shipper removes a segment only after the manifest durably records
/// the position past it, and records the removal in its journal only
/// after the unlink is durable; every journal it writes is synced before
/// its rename and the directory after.
#[cfg(feature = "s3")]
#[test]
fn shipper_records_the_position_before_a_removal_and_the_removal_after_it() {
    let (_d, dir, t) = traced_shipping("persist-ship-removal");
    let shipped = t.mark("shipped");
    // The log's identity, claimed once, before the first upload.
    let id = dir.join("orders.ship-id");
    t.assert_replaced_durably(&dir.join("orders.ship-id.tmp"), &id, shipped, "the ship id");
    let manifest = dir.join("orders.manifest");
    let position_tmp = dir.join("orders.manifest.position.tmp");
    let journal = dir.join("orders.ship");
    let journal_tmp = dir.join("orders.ship.tmp");
    let renames = t.renames();
    for (_, _, r) in renames
        .iter()
        .filter(|(f, to, _)| *f == journal_tmp && *to == journal)
    {
        t.assert_durable_before(&journal_tmp, r.start, "a journal before its rename");
        t.assert_dir_synced(&journal, r.end, shipped, "a journal's rename");
    }
    let removals: Vec<_> = t
        .unlinks()
        .into_iter()
        .filter(|(p, c)| is_segment(p) && c.start > t.mark("closed"))
        .collect();
    assert!(removals.len() >= 3, "segments removed: {removals:?}");
    for (seg, unlink) in removals {
        let what = format!("removal of {}", seg.display());
        let (_, _, pos) = renames
            .iter()
            .rev()
            .find(|(f, to, c)| *f == position_tmp && *to == manifest && c.end < unlink.start)
            .unwrap_or_else(|| t.fail(&format!("{what}: no position recorded before it")));
        t.assert_durable_before(
            &position_tmp,
            pos.start,
            &format!("{what}: the position's bytes"),
        );
        t.assert_dir_synced(
            &manifest,
            pos.end,
            unlink.start,
            &format!("{what}: the position"),
        );
        let (_, _, recorded) = renames
            .iter()
            .find(|(f, to, c)| *f == journal_tmp && *to == journal && c.start > unlink.end)
            .unwrap_or_else(|| t.fail(&format!("{what}: never journaled")));
        t.assert_dir_synced(
            &seg,
            unlink.end,
            recorded.start,
            &format!("{what} before the journal says so"),
        );
        let uploaded = renames.iter().any(|(f, to, c)| {
            *f == journal_tmp
                && *to == journal
                && t.synced_between(dir.as_path(), c.end, unlink.start)
        });
        assert!(uploaded || t.fail_bool(&format!("{what}: no journal durable before it")));
    }
}

#[test]
fn empty_current_removed_child() {
    let Some(dir) = child_dir() else { return };
    let o = LogOptions {
        segment: opts(&child_mode()),
        ..LogOptions::default()
    };
    let w = LogWriter::open(&dir, "orders", o).unwrap();
    w.write("t", b"record 0").unwrap();
    // The new current segment holds no record when the log closes.
    w.roll().unwrap();
    w.close().unwrap();
}

/// A close that removes the log's current segment, which holds no record,
/// first makes the manifest record the position durably (its rename and
/// the directory's sync before the unlink), under `None` too: retention
/// may have left that segment the only record of it.
#[test]
fn a_close_removing_an_empty_segment_records_the_position_durably_first() {
    let (d, t) = traced("empty_current_removed_child", "none");
    let segs = segments_created(&t);
    assert_eq!(segs.len(), 2, "segments created: {segs:?}");
    let unlink = t
        .unlinks()
        .into_iter()
        .find(|(p, _)| *p == segs[1].0)
        .map(|(_, c)| c.start)
        .unwrap_or_else(|| t.fail("the empty segment was not removed"));
    let m = d.join("data/orders.manifest");
    let tmp = d.join("data/orders.manifest.tmp");
    let renamed = t
        .renames()
        .into_iter()
        .filter(|(f, to, c)| *f == tmp && *to == m && c.end < unlink)
        .map(|(_, _, c)| c.end)
        .max()
        .unwrap_or_else(|| t.fail("no manifest stored before the unlink"));
    t.assert_durable_before(&tmp, renamed, "the manifest's bytes before its rename");
    t.assert_dir_synced(
        &m,
        renamed,
        unlink,
        "the manifest before the empty segment's unlink",
    );
    assert!(!segs[1].0.exists());
}
