//! Compressing on a full disk: a real tmpfs (tests/it/common/tmpfs.rs) left
//! with less space than a segment's compressed copy, so that the disk
//! fills while `<segment>.binlog.zst.tmp` is written. The failure is
//! `DiskFull` and names the temporary file and the offset in it of the
//! frame it could not write; the temporary file is removed;
//! the segment stays whole; the log goes on taking records; once space is
//! freed the compression is done. The same for `binlog compress` and
//! `binlog decompress`: exit 2, the file named, the input untouched, no
//! temporary file left.

use crate::common;

use binlog::compressed::compress::{compressed_path, compressed_tmp_path};
use binlog::{list_segments, Compression, LogOptions, LogWriter};
use binlog::{ErrorKind, LogReader};
use common::tmpfs::Tmpfs;
use common::*;
use std::path::{Path, PathBuf};

/// Records per segment of the logs below, of `RECORD_BYTES` each: a
/// segment's compressed copy (its payloads do not compress) is about
/// 40 KB, more than the `FREE` bytes left.
const PER_SEGMENT: u64 = 40;
const RECORD_BYTES: usize = 1000;
const FREE: u64 = 12 << 10;

fn compressing_log() -> LogOptions {
    LogOptions {
        max_segment_records: Some(PER_SEGMENT),
        background: false,
        compression: Some(Compression {
            frame_size: 4096,
            ..Compression::default()
        }),
        ..LogOptions::default()
    }
}

/// Writes records `seqs` to `w`, each acknowledged with its sequence
/// number, and flushes them to the file.
fn write_records(w: &LogWriter, seqs: std::ops::Range<u64>) {
    for seq in seqs {
        let written = w.write("t", &payload_bytes(seq, RECORD_BYTES));
        assert_eq!(written.unwrap(), seq, "record {seq}");
    }
    w.flush().unwrap();
}

/// Asserts that the log `lg` in `dir` reads back records 0..`n`, each as
/// written.
fn assert_log_holds(dir: &Path, n: u64, ctx: &str) {
    let mut r = LogReader::open(dir, "lg").unwrap_or_else(|e| panic!("{ctx}: {e}"));
    let mut next = 0;
    while let Some(rec) = r.next().unwrap_or_else(|e| panic!("{ctx}: {e}")) {
        assert_eq!(rec.seq, next, "{ctx}");
        assert!(
            rec.payload == payload_bytes(next, RECORD_BYTES),
            "{ctx}: record {next} differs from what was written"
        );
        next += 1;
    }
    assert_eq!(next, n, "{ctx}: records read back");
}

fn tmp_files(dir: &Path) -> Vec<String> {
    list_dir(dir)
        .into_iter()
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

/// The sealed segments of log `lg` in `dir`, oldest first, and whether
/// each is compressed.
fn sealed_segments(dir: &Path) -> Vec<(PathBuf, bool)> {
    let mut listed = list_segments(dir, "lg").unwrap();
    listed.pop(); // the segment being written
    listed
        .into_iter()
        .map(|l| (l.path.clone(), l.is_compressed()))
        .collect()
}

/// An 8 MiB tmpfs and the compressing log `lg` (`compressing_log`,
/// opened) in its directory `log`.
fn compressing_log_on_tmpfs(name: &str) -> (Tmpfs, PathBuf, LogWriter) {
    let fs = Tmpfs::mount(name, "8m");
    let dir = fs.join("log");
    std::fs::create_dir(&dir).unwrap();
    let w = LogWriter::open(&dir, "lg", compressing_log()).unwrap();
    (fs, dir, w)
}

#[test]
fn a_compression_that_fills_the_disk_names_its_tmp_keeps_the_segment_and_is_redone_once_there_is_space(
) {
    let (fs, dir, w) = compressing_log_on_tmpfs("zst-full-log");
    let mut written = 2 * PER_SEGMENT + 10;
    write_records(&w, 0..written);
    let sealed = sealed_segments(&dir);
    assert_eq!(sealed.len(), 2, "{sealed:?}");
    assert!(sealed.iter().all(|(_, z)| !z), "{sealed:?}");
    let first = sealed[0].0.clone();
    let before = std::fs::read(&first).unwrap();
    let filler = fs.fill_leaving("filler", FREE);

    // Twice: a failed compression is tried again on the next pass.
    for pass in 0..2 {
        let ctx = format!("pass {pass} on a full disk");
        let e = w.tick().expect_err(&ctx);
        assert_eq!(e.kind(), ErrorKind::DiskFull, "{ctx}: {e}");
        assert_eq!(
            e.path(),
            Some(compressed_tmp_path(&first).as_path()),
            "{ctx}: {e}"
        );
        assert!(e.to_string().contains("not finished"), "{ctx}: {e}");
        // Where in the copy the frame it could not write starts: within
        // the space that was free (`FREE`, and less than a page more).
        let at = e
            .offset()
            .unwrap_or_else(|| panic!("{ctx}: no offset: {e}"));
        assert!(at <= FREE + 4096, "{ctx}: {e}");
        assert_eq!(tmp_files(&dir), Vec::<String>::new(), "{ctx}");
        assert!(!compressed_path(&first).exists(), "{ctx}");
        assert!(std::fs::read(&first).unwrap() == before, "{ctx}: changed");
        // The writer goes on (its segment has room reserved ahead).
        write_records(&w, written..written + 5);
        written += 5;
        assert_log_holds(&dir, written, &ctx);
    }

    std::fs::remove_file(&filler).unwrap();
    w.tick().expect("compressing once there is space");
    let sealed = sealed_segments(&dir);
    assert_eq!(sealed.len(), 2, "{sealed:?}");
    assert!(sealed.iter().all(|(_, z)| *z), "not compressed: {sealed:?}");
    assert!(!first.exists());
    assert_eq!(tmp_files(&dir), Vec::<String>::new());
    assert_log_holds(&dir, written, "compressed once there was space");
    w.close().unwrap();
    assert_log_holds(&dir, written, "closed");
    drop(fs);
}

/// A sealed segment of 1500 records (see `want`; their payloads do not
/// compress) at `path` on `fs`, far larger than `FREE`; returns its bytes.
fn incompressible_segment(fs: &Tmpfs, path: &Path) -> Vec<u8> {
    make_sealed(path, 1500, binlog::Options::default());
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.len() as u64 > 8 * FREE, "{} bytes", bytes.len());
    assert!(fs.free_bytes() > 3 * bytes.len() as u64);
    bytes
}

/// Runs `binlog <command> <input>` with `FREE` bytes free on `fs`: it
/// exits 2 with an error naming `names`, an offset and the full disk and saying the
/// copy was removed, and leaves `input` byte for byte as it was and no
/// other file. Then, the space freed, the same command succeeds and leaves
/// only the file `done`.
fn cli_on_a_full_disk(fs: &Tmpfs, command: &str, input: &Path, names: &Path, done: &str) {
    let before = std::fs::read(input).unwrap();
    let filler = fs.fill_leaving("filler", FREE);
    let run = || {
        common::cli::binlog()
            .args([command, "--no-progress"])
            .arg(input)
            .output()
            .unwrap()
    };
    let out = run();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "binlog {command}: {err}");
    assert!(
        err.contains(&names.display().to_string()),
        "binlog {command}: does not name {}: {err}",
        names.display()
    );
    assert!(err.contains("No space left on device"), "{command}: {err}");
    assert!(err.contains(": offset "), "{command}: no offset: {err}");
    assert!(err.contains("not finished, removed"), "{command}: {err}");
    assert!(
        std::fs::read(input).unwrap() == before,
        "{command}: changed"
    );
    let input_name = input.file_name().unwrap().to_str().unwrap();
    assert_eq!(list_dir(fs.path()), ["filler", input_name], "{command}");

    std::fs::remove_file(&filler).unwrap();
    let out = run();
    assert!(out.status.success(), "binlog {command} with space: {out:?}");
    assert_eq!(list_dir(fs.path()), [done], "{command}");
}

#[test]
fn cli_compress_on_a_full_disk_exits_2_naming_the_file_and_leaves_it_untouched() {
    let fs = Tmpfs::mount("zst-full-cli-compress", "2m");
    let seg = fs.join("seg.binlog");
    incompressible_segment(&fs, &seg);
    let tmp = compressed_tmp_path(&seg);
    cli_on_a_full_disk(&fs, "compress", &seg, &tmp, "seg.binlog.zst");
    drop(fs);
}

#[test]
fn cli_decompress_on_a_full_disk_exits_2_naming_the_file_and_leaves_it_untouched() {
    let fs = Tmpfs::mount("zst-full-cli-decompress", "2m");
    // Compressed off the tmpfs: compressing unlinks the plain segment, and
    // a child another test thread forks holds it open until it execs, so
    // its pages could come free on the tmpfs after the fill.
    let elsewhere = TempDir::new("zst-full-cli-decompress");
    let made = elsewhere.path().join("seg.binlog");
    let plain = incompressible_segment(&fs, &made);
    let made = binlog::compress_segment(&made, &Default::default())
        .unwrap()
        .path;
    let seg = fs.join("seg.binlog");
    let zst = fs.path().join(made.file_name().unwrap());
    std::fs::copy(&made, &zst).unwrap();
    cli_on_a_full_disk(&fs, "decompress", &zst, &zst, "seg.binlog");
    assert!(std::fs::read(&seg).unwrap() == plain, "decompressed");
    drop(fs);
}

/// Waits up to 10 s for `cond`.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "waited 10 s for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn the_compressing_thread_counts_a_full_disk_as_a_failure_naming_the_tmp_and_compresses_once_there_is_space(
) {
    let fs = Tmpfs::mount("zst-full-thread", "8m");
    let dir = fs.join("log");
    std::fs::create_dir(&dir).unwrap();
    // Segments left plain by a writer that did not compress (a closing
    // compressing log would have compressed them).
    let plain = LogOptions {
        compression: None,
        ..compressing_log()
    };
    let w = LogWriter::open(&dir, "lg", plain).unwrap();
    let mut written = 2 * PER_SEGMENT;
    write_records(&w, 0..written);
    w.close().unwrap();
    let first = sealed_segments(&dir)[0].0.clone();
    let filler = fs.fill_leaving("filler", FREE);

    let background = LogOptions {
        background: true,
        ..compressing_log()
    };
    let w = LogWriter::open(&dir, "lg", background).unwrap();
    wait_for("a failed compression", || w.callback_failures().0 > 0);
    let (_, last) = w.callback_failures();
    let last = last.unwrap();
    assert!(last.starts_with("DiskFull: "), "{last}");
    let tmp = compressed_tmp_path(&first).display().to_string();
    assert!(last.contains(&format!("{tmp}: ")), "{last}");
    assert_eq!(tmp_files(&dir), Vec::<String>::new());
    write_records(&w, written..written + 5);
    written += 5;
    assert_log_holds(&dir, written, "the disk full");

    std::fs::remove_file(&filler).unwrap();
    wait_for("both segments compressed", || {
        sealed_segments(&dir).iter().all(|(_, z)| *z)
    });
    assert_eq!(tmp_files(&dir), Vec::<String>::new());
    assert_log_holds(&dir, written, "compressed once there was space");
    w.close().unwrap();
    drop(fs);
}

#[test]
fn a_compression_at_close_on_a_full_disk_is_counted_the_close_succeeds_and_the_next_close_compresses(
) {
    let fs = Tmpfs::mount("zst-full-close", "8m");
    let dir = fs.join("log");
    std::fs::create_dir(&dir).unwrap();
    // Blocks reserved ahead of a segment's end are released when it is
    // sealed: limited here to a little more than a full segment's 40
    // records, so that the close's seal of segment 1 (full) frees too
    // little for segment 0's compressed copy.
    let opts = LogOptions {
        max_segment_bytes: Some(48 << 10),
        ..compressing_log()
    };
    let w = LogWriter::open(&dir, "lg", opts.clone()).unwrap();
    let written = 2 * PER_SEGMENT;
    write_records(&w, 0..written);
    let filler = fs.fill_leaving("filler", FREE);
    w.close().unwrap();
    let (failures, last) = w.callback_failures();
    let last = last.unwrap_or_else(|| panic!("no failure: {:?}", list_dir(&dir)));
    assert!(failures > 0 && last.starts_with("DiskFull: "), "{last}");
    assert!(last.contains(".binlog.zst.tmp: "), "{last}");
    assert_eq!(tmp_files(&dir), Vec::<String>::new());
    let plain = |dir: &Path| -> Vec<bool> {
        let listed = list_segments(dir, "lg").unwrap();
        listed.iter().map(|l| !l.is_compressed()).collect()
    };
    assert_eq!(plain(&dir), [true, true]);
    assert_log_holds(&dir, written, "closed on a full disk");

    std::fs::remove_file(&filler).unwrap();
    let w = LogWriter::open(&dir, "lg", opts).unwrap();
    w.close().unwrap();
    // The segment this open started holds no record: removed at close.
    assert_eq!(plain(&dir), [false, false]);
    assert_log_holds(&dir, written, "compressed by the next close");
    drop(fs);
}
