//! What a rolling log reports as durable (`durable_seq`) and what `sync`
//! makes durable, under each durability policy, across rolls and reopens:
//! a record is counted only once an fdatasync covered it.

use crate::common;
use binlog::LogWriter;
use binlog::{Durability, Entry};
use common::{log_opts, TempDir};

fn write_n(w: &LogWriter, n: u64) {
    for _ in 0..n {
        w.write("t", b"record").unwrap();
    }
}

/// Under `None` nothing is synced by itself: rolled segments count as not
/// durable until `sync`, which must then sync them too, and a reopened log
/// counts nothing it found until its first `sync`.
#[test]
fn under_none_only_sync_makes_records_durable_across_rolls_and_reopens() {
    let dir = TempDir::new("durable-none");
    let w = LogWriter::open(dir.path(), "d", log_opts(Durability::None)).unwrap();
    write_n(&w, 25);
    assert_eq!(w.current_segment().unwrap().segment_no, 2, "rolled twice");
    assert_eq!(
        w.durable_seq().unwrap(),
        0,
        "two rolled segments never synced"
    );
    w.sync().unwrap();
    assert_eq!(w.durable_seq().unwrap(), 25);
    // The segment being written when `sync` ran is rolled away from with
    // records 25..30 not synced.
    write_n(&w, 15);
    assert_eq!(w.next_seq().unwrap(), 40);
    assert_eq!(w.durable_seq().unwrap(), 25);
    w.sync().unwrap();
    assert_eq!(w.durable_seq().unwrap(), 40);
    w.close().unwrap();

    let w = LogWriter::open(dir.path(), "d", log_opts(Durability::None)).unwrap();
    assert_eq!(w.next_seq().unwrap(), 40);
    assert_eq!(
        w.durable_seq().unwrap(),
        0,
        "what a reopen finds may be only in the page cache"
    );
    w.sync().unwrap();
    assert_eq!(w.durable_seq().unwrap(), 40);
    w.close().unwrap();
}

/// Under `None` with segments sealed in the background, a seal written
/// after a `sync` (listed for the next `sync` to make durable) holds no
/// record: `durable_seq` never goes back below what a `sync` covered.
#[test]
fn under_none_a_seal_written_after_a_sync_does_not_take_durable_seq_back() {
    let dir = TempDir::new("durable-none-background-seal");
    let mut o = log_opts(Durability::None);
    o.seal_in_background = true;
    o.background = true;
    let w = LogWriter::open(dir.path(), "d", o).unwrap();
    write_n(&w, 1);
    for round in 0..30 {
        // A roll (at the first of these), then a sync at once: the seal
        // is often still to come.
        write_n(&w, 10);
        w.sync().unwrap();
        let synced = w.durable_seq().unwrap();
        assert_eq!(synced, w.next_seq().unwrap(), "round {round}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if w.poll_sealed().is_some() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "round {round}: no seal"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(w.durable_seq().unwrap(), synced, "round {round}: went back");
    }
    w.close().unwrap();
}

/// A segment removed by retention has nothing left to sync: it no longer
/// holds `durable_seq` back, and `sync` succeeds and counts the rest.
#[test]
fn sync_under_none_skips_segments_retention_removed() {
    let dir = TempDir::new("durable-none-retention");
    let mut o = log_opts(Durability::None);
    o.retention.max_segments = Some(1);
    let w = LogWriter::open(dir.path(), "d", o).unwrap();
    write_n(&w, 35);
    // Segments 0 and 1 are gone; segment 2 (20..30) is kept, never synced.
    assert_eq!(w.durable_seq().unwrap(), 20);
    w.sync().unwrap();
    assert_eq!(w.durable_seq().unwrap(), 35);
    w.close().unwrap();
}

/// The durable policies sync a segment's records before it is sealed, and
/// a reopen syncs what it found: nothing is left for `sync` to catch up on.
#[test]
fn durable_policies_count_rolled_and_reopened_records_at_once() {
    for durability in [Durability::EveryRecord, Durability::EveryN(4)] {
        let dir = TempDir::new("durable-policies");
        let w = LogWriter::open(dir.path(), "d", log_opts(durability)).unwrap();
        write_n(&w, 24);
        // EveryN(4) synced at 4, 8, ..., 24; each roll sealed (and synced)
        // the segment it left.
        assert_eq!(w.durable_seq().unwrap(), 24, "{durability:?}");
        w.close().unwrap();
        let w = LogWriter::open(dir.path(), "d", log_opts(durability)).unwrap();
        assert_eq!(w.durable_seq().unwrap(), 24, "{durability:?} after reopen");
        w.close().unwrap();
    }
}

/// Durable writers of a rolling log share fdatasyncs (each write call is
/// counted by the segment it appends to, so a leader waits for its record)
/// while other threads roll the log under them: every call returns only
/// once its records are durable, batches that straddle a roll included,
/// and every record is there afterwards, in order, under the sequence
/// number its call was given.
#[test]
fn concurrent_durable_writers_share_syncs_across_rolls() {
    let dir = TempDir::new("durable-concurrent");
    let w = LogWriter::open(dir.path(), "d", log_opts(Durability::EveryRecord)).unwrap();
    let (threads, calls) = (6u8, 40u8);
    let mut given = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let w = &w;
                s.spawn(move || {
                    let mut given = Vec::new();
                    for i in 0..calls {
                        let payload = [t, i];
                        // Every fifth call is a batch of 3, which a roll (one
                        // every 10 records) may split.
                        let n = if i % 5 == 4 { 3 } else { 1 };
                        let e = Entry {
                            type_name: "t",
                            meta: &[],
                            timestamp_ns: None,
                            parts: &[&payload],
                        };
                        let first = w.write_batch(&vec![e; n]).unwrap();
                        let durable = w.durable_seq().unwrap();
                        assert!(durable >= first + n as u64, "returned before its sync");
                        given.extend((0..n as u64).map(|k| (first + k, payload)));
                    }
                    given
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect::<Vec<_>>()
    });
    let total = given.len() as u64;
    assert_eq!(w.next_seq().unwrap(), total);
    assert_eq!(w.durable_seq().unwrap(), total);
    assert!(
        w.current_segment().unwrap().segment_no >= 20,
        "the log rolled"
    );
    w.close().unwrap();
    given.sort();
    let mut r = binlog::LogReader::open(dir.path(), "d").unwrap();
    for (seq, payload) in given {
        let rec = r
            .next()
            .unwrap()
            .expect("a record for every sequence number given");
        assert_eq!((rec.seq, rec.payload), (seq, &payload[..]));
    }
    assert!(r.next().unwrap().is_none());
}

/// What the concurrent-flush test drives: a rolling log through Rust or
/// through the C ABI.
trait Log: Sync {
    fn write(&self, payload: &[u8]) -> Result<u64, String>;
    fn flush(&self) -> Result<(), String>;
    fn sync(&self) -> Result<(), String>;
    fn next_seq(&self) -> u64;
    fn durable_seq(&self) -> u64;
    fn close(&self);
}

impl Log for LogWriter {
    fn write(&self, payload: &[u8]) -> Result<u64, String> {
        LogWriter::write(self, "t", payload).map_err(|e| e.to_string())
    }
    fn flush(&self) -> Result<(), String> {
        LogWriter::flush(self).map_err(|e| e.to_string())
    }
    fn sync(&self) -> Result<(), String> {
        LogWriter::sync(self).map_err(|e| e.to_string())
    }
    fn next_seq(&self) -> u64 {
        LogWriter::next_seq(self).unwrap()
    }
    fn durable_seq(&self) -> u64 {
        LogWriter::durable_seq(self).unwrap()
    }
    fn close(&self) {
        LogWriter::close(self).unwrap()
    }
}

/// A C log writer handle, shared by threads as the C ABI allows.
struct CLog(*mut binlog::ffi::writer::binlog_writer);
// SAFETY: the C ABI's writer calls may be made from any thread at once.
unsafe impl Sync for CLog {}
unsafe impl Send for CLog {}

impl CLog {
    fn check(rc: binlog::ffi::result::binlog_result) -> Result<(), String> {
        match rc {
            binlog::ffi::result::binlog_result::BINLOG_OK => Ok(()),
            rc => Err(format!("{rc:?}: {}", common::ffi::last_error())),
        }
    }

    fn seq(f: impl FnOnce(*mut u64) -> binlog::ffi::result::binlog_result) -> u64 {
        let mut v = 0;
        Self::check(f(&mut v)).unwrap();
        v
    }
}

impl Log for CLog {
    fn write(&self, payload: &[u8]) -> Result<u64, String> {
        use binlog::ffi::writer::binlog_writer_write;
        let mut seq = 0;
        let rc = binlog_writer_write(
            self.0,
            b"t".as_ptr(),
            1,
            payload.as_ptr(),
            payload.len(),
            &mut seq,
        );
        Self::check(rc).map(|()| seq)
    }
    fn flush(&self) -> Result<(), String> {
        Self::check(binlog::ffi::writer::binlog_writer_flush(self.0))
    }
    fn sync(&self) -> Result<(), String> {
        Self::check(binlog::ffi::writer::binlog_writer_sync(self.0))
    }
    fn next_seq(&self) -> u64 {
        Self::seq(|v| binlog::ffi::writer::binlog_writer_next_seq(self.0, v))
    }
    fn durable_seq(&self) -> u64 {
        Self::seq(|v| binlog::ffi::writer::binlog_writer_durable_seq(self.0, v))
    }
    fn close(&self) {
        Self::check(binlog::ffi::writer::binlog_writer_close(self.0)).unwrap();
        binlog::ffi::writer::binlog_writer_free(self.0);
    }
}

/// A C log writer of log "d" in `dir`: 256 KiB segments, `durability`.
fn open_c_log(dir: &std::path::Path, durability: Durability) -> CLog {
    use binlog::ffi::options::*;
    let mut o = std::ptr::null_mut();
    CLog::check(binlog_options_new(&mut o)).unwrap();
    let (mode, n) = match durability {
        Durability::None => (0, 0),
        Durability::EveryN(n) => (2, n.into()),
        d => panic!("not used here: {d:?}"),
    };
    CLog::check(binlog_options_set_durability(o, mode, n)).unwrap();
    CLog::check(binlog_options_set_max_segment_bytes(o, SEGMENT_BYTES)).unwrap();
    let (d, name) = (common::ffi::c_path(dir), common::ffi::c_str("d"));
    let mut w = std::ptr::null_mut();
    let rc = binlog::ffi::writer::binlog_writer_open_log(d.as_ptr(), name.as_ptr(), o, &mut w);
    binlog_options_free(o);
    CLog::check(rc).unwrap();
    CLog(w)
}

const SEGMENT_BYTES: u64 = 256 << 10;

/// Eight threads write 600-byte records into 256 KiB segments, rolling the
/// log every few hundred records, while a ninth flushes and syncs over and
/// over: no flush or sync fails (the segment it found current may have
/// been rolled away from and sealed meanwhile), a sync that returns has
/// made every record written before it durable (those of segments rolled
/// away from included), and every record is there after the close.
fn flush_and_sync_race_rolls(log: &dyn Log, dir: &std::path::Path, what: &str) {
    const THREADS: u64 = 8;
    const EACH: u64 = 2_000;
    let writing = std::sync::atomic::AtomicU64::new(THREADS);
    let (calls, failures) = std::thread::scope(|s| {
        for t in 0..THREADS {
            let writing = &writing;
            s.spawn(move || {
                for i in 0..EACH {
                    let mut p = vec![t as u8; 600];
                    p[..8].copy_from_slice(&(t << 32 | i).to_le_bytes());
                    log.write(&p)
                        .unwrap_or_else(|e| panic!("{what}: write: {e}"));
                }
                writing.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
        let syncer = s.spawn(|| {
            let (mut calls, mut failures) = (0u64, Vec::new());
            while calls < 100 || writing.load(std::sync::atomic::Ordering::SeqCst) > 0 {
                let before = log.next_seq();
                if let Err(e) = log.flush() {
                    failures.push(format!("flush: {e}"));
                }
                match log.sync() {
                    Ok(()) => {
                        let durable = log.durable_seq();
                        assert!(
                            durable >= before,
                            "{what}: sync returned with durable_seq {durable}, below the {before} \
                             records written before it"
                        );
                    }
                    Err(e) => failures.push(format!("sync: {e}")),
                }
                calls += 1;
            }
            (calls, failures)
        });
        syncer.join().unwrap()
    });
    assert!(
        failures.is_empty(),
        "{what}: {} of {calls} flush+sync rounds failed while other threads rolled the log, e.g. \
         {}",
        failures.len(),
        failures[0]
    );
    let total = THREADS * EACH;
    assert_eq!(log.next_seq(), total, "{what}");
    log.close();
    let mut r = binlog::LogReader::open(dir, "d").unwrap();
    let mut seen = vec![0u64; THREADS as usize];
    let mut n = 0;
    while let Some(rec) = r.next().unwrap() {
        assert_eq!(rec.seq, n, "{what}: records continue");
        let id = u64::from_le_bytes(rec.payload[..8].try_into().unwrap());
        let (t, i) = ((id >> 32) as usize, id & 0xffff_ffff);
        assert_eq!(i, seen[t], "{what}: thread {t}'s records in order");
        seen[t] += 1;
        n += 1;
    }
    assert_eq!(n, total, "{what}: every record read back");
    let segments = common::list_dir(dir)
        .iter()
        .filter(|n| n.ends_with(".binlog"))
        .count();
    assert!(
        segments > 10,
        "{what}: the log rolled ({segments} segments)"
    );
}

#[test]
fn flush_and_sync_never_fail_while_other_threads_roll_the_log() {
    for durability in [Durability::None, Durability::EveryN(16)] {
        let dir = TempDir::new("durable-sync-races-roll");
        let mut o = log_opts(durability);
        o.max_segment_records = None;
        o.max_segment_bytes = Some(SEGMENT_BYTES);
        let w = LogWriter::open(dir.path(), "d", o).unwrap();
        flush_and_sync_race_rolls(&w, dir.path(), &format!("Rust, {durability:?}"));
        let dir = TempDir::new("durable-sync-races-roll-c");
        let w = open_c_log(dir.path(), durability);
        flush_and_sync_race_rolls(&w, dir.path(), &format!("C ABI, {durability:?}"));
    }
}
