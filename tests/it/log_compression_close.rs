//! A compressing log (`LogOptions::compression`) leaves no sealed segment
//! plain that is due: closing it compresses the ones still waiting (its
//! last segment, sealed by the close, too), so that a ship after the close
//! ships them compressed; a log reopened after its writer was killed
//! (SIGKILL, a real child process) compresses what that writer left plain.

use crate::common;

use binlog::archive::object_name::log_prefix;
use binlog::archive::{Location, Remote, ShipOptions, Shipper};
use binlog::{list_segments, Compression, LogOptions, LogWriter};
use common::child::{kill_at_line, say};
use common::s3::S3Server;
use common::TempDir;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const BUCKET: &str = "logs";
const MARK: &str = "ZSTCLOSE: ";
const CHILD_ENV: &str = "BINLOG_ZSTCLOSE_CHILD_DIR";

/// Log `orders` rolling every 3 records, compressing segments once
/// `after` newer sealed ones exist.
fn opts(after: u64, background: bool) -> LogOptions {
    LogOptions {
        max_segment_records: Some(3),
        background,
        compression: Some(Compression {
            after_segments: after,
            frame_size: 4096,
            ..Compression::default()
        }),
        ..LogOptions::default()
    }
}

fn write(w: &LogWriter, n: u64) {
    for i in 0..n {
        w.write("t", format!("record {i} {}", "abc".repeat(100)).as_bytes())
            .unwrap();
    }
}

/// Whether each segment of log `orders` in `dir` is compressed, oldest
/// first.
fn compressed(dir: &Path) -> Vec<bool> {
    list_segments(dir, "orders")
        .unwrap()
        .iter()
        .map(|l| l.is_compressed())
        .collect()
}

#[test]
fn closing_a_compressing_log_compresses_the_sealed_segments_still_waiting() {
    for background in [false, true] {
        let dir = TempDir::new("zst-close");
        // Without background threads nothing is compressed but by `tick`,
        // never called here: the close does it all.
        let w = LogWriter::open(dir.path(), "orders", opts(0, background)).unwrap();
        write(&w, 10);
        w.close().unwrap();
        assert_eq!(compressed(dir.path()), [true; 4], "background {background}");
        assert!(dir.names().iter().all(|n| !n.ends_with(".tmp")));

        // Once `after` newer sealed segments exist: the newest stay plain.
        let dir = TempDir::new("zst-close-after");
        let w = LogWriter::open(dir.path(), "orders", opts(2, background)).unwrap();
        write(&w, 10);
        w.close().unwrap();
        assert_eq!(compressed(dir.path()), [true, true, false, false]);
    }
}

#[test]
fn a_ship_after_close_ships_every_segment_compressed() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("zst-close-ship");
    let w = LogWriter::open(dir.path(), "orders", opts(0, true)).unwrap();
    write(&w, 10);
    w.close().unwrap();
    let to = Location::parse(&format!("s3://{BUCKET}/zst")).unwrap();
    let ship = ShipOptions {
        connection: server.connection(),
        ..ShipOptions::default()
    };
    let report = Shipper::open(dir.path(), "orders", &to, ship)
        .unwrap()
        .ship_once()
        .unwrap();
    assert_eq!(report.uploaded, [0, 1, 2, 3]);
    let remote = Remote::connect(&to, &server.connection()).unwrap();
    let mut names: Vec<String> = remote
        .list(&log_prefix("zst", "orders"))
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .filter(|n| n.contains(".binlog"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(
        names.iter().all(|n| n.ends_with(".binlog.zst")),
        "{names:?}"
    );
}

/// In a child (`CHILD_ENV` set): writes 10 records to a compressing log
/// that never compresses on its own (no background threads, no `tick`),
/// says `WROTE`, and waits to be killed.
fn child_if_asked() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let w = LogWriter::open(PathBuf::from(dir), "orders", opts(0, false)).unwrap();
    write(&w, 10);
    w.flush().unwrap();
    say(MARK, "WROTE");
    std::thread::sleep(Duration::from_secs(600));
    std::process::exit(0);
}

#[test]
fn a_log_reopened_after_its_writer_was_killed_compresses_what_it_left_plain() {
    child_if_asked();
    let dir = TempDir::new("zst-killed");
    let test = "a_log_reopened_after_its_writer_was_killed_compresses_what_it_left_plain";
    let envs = [(CHILD_ENV, dir.path().as_os_str())];
    kill_at_line(test, &envs, MARK, "WROTE", "child writing");
    assert_eq!(compressed(dir.path()), [false; 4]);

    // Its background thread compresses the three sealed segments; the one
    // the killed writer left active is resumed, plain.
    let w = LogWriter::open(dir.path(), "orders", opts(0, true)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while compressed(dir.path()) != [true, true, true, false] {
        assert!(Instant::now() < deadline, "{:?}", compressed(dir.path()));
        std::thread::sleep(Duration::from_millis(20));
    }
    w.close().unwrap();
    assert_eq!(compressed(dir.path()), [true; 4]);
}
