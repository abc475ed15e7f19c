//! The bad-input matrix of the Rust API: for each kind of bad input, every
//! call that meets it (segment reader, salvage reader, segment writer, log
//! reader, log writer) returns the same error kind, one no other kind of bad
//! input shares, with a message naming the file (and the offset where the
//! damage has one), and leaves what was written as it was. The C, Go and
//! Java suites check the same matrix through their interfaces
//! (tests/c/test_bad_input_matrix.c, bindings/go/bad_input_matrix_test.go,
//! bindings/java/.../BadInputMatrixTest.java); tests/it/bad_input.rs goes deeper
//! into each kind of damage.

use crate::common;

use binlog::{Error, ErrorKind, GapReason, Options, Reader, Tail, Writer};
use binlog::{LogOptions, LogReader, LogWriter};
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Runs `f` on a thread without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH,
/// so that file permissions apply even when the tests run as root
/// (capabilities belong to a thread on Linux; the thread ends with `f`).
fn without_dac_override<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    without_dac(false, f)
}

/// `without_dac_override`; with `for_children`, the capabilities leave the
/// thread's bounding set too, so that a program it starts (as root) does
/// not get them back.
fn without_dac<T: Send>(for_children: bool, f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            #[repr(C)]
            struct Header {
                version: u32,
                pid: i32,
            }
            #[repr(C)]
            #[derive(Clone, Copy, Default)]
            struct Data {
                effective: u32,
                permitted: u32,
                inheritable: u32,
            }
            const V3: u32 = 0x2008_0522;
            let mut h = Header {
                version: V3,
                pid: 0,
            };
            let mut d = [Data::default(); 2];
            // SAFETY: capget/capset with a v3 header and two data words, as
            // capget(2) documents; pid 0 is the calling thread.
            let rc = unsafe { libc::syscall(libc::SYS_capget, &mut h, d.as_mut_ptr()) };
            assert_eq!(rc, 0, "capget: {}", std::io::Error::last_os_error());
            // CAP_DAC_OVERRIDE = 1, CAP_DAC_READ_SEARCH = 2.
            d[0].effective &= !((1 << 1) | (1 << 2));
            if for_children {
                for cap in [1, 2] {
                    // SAFETY: prctl(2) with integer arguments only.
                    let rc = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) };
                    assert_eq!(
                        rc,
                        0,
                        "PR_CAPBSET_DROP: {}",
                        std::io::Error::last_os_error()
                    );
                }
            }
            let rc = unsafe { libc::syscall(libc::SYS_capset, &mut h, d.as_ptr()) };
            assert_eq!(rc, 0, "capset: {}", std::io::Error::last_os_error());
            f()
        })
        .join()
        .unwrap()
    })
}

fn err<T>(what: &str, r: binlog::Result<T>) -> Error {
    match r {
        Ok(_) => panic!("{what}: succeeded"),
        Err(e) => e,
    }
}

/// Every way to open `path` as one segment for reading fails with `kind`,
/// naming the file (and `offset`, when given).
fn readers_refuse(path: &Path, kind: ErrorKind, offset: Option<u64>) {
    let mut cases: Vec<(&str, Error)> = vec![
        ("Reader::open", err("Reader::open", Reader::open(path))),
        (
            "Reader::open_salvage",
            err("Reader::open_salvage", Reader::open_salvage(path)),
        ),
    ];
    // A file missing from a list is a gap, not an error (retention may have
    // removed it): see `missing_file_is_not_found_everywhere`.
    if kind != ErrorKind::NotFound {
        cases.push((
            "LogReader::open_files + next",
            err(
                "LogReader::open_files",
                LogReader::open_files(vec![path.to_path_buf()]).and_then(|mut r| {
                    r.next()?;
                    Ok(())
                }),
            ),
        ));
    }
    for (call, e) in cases {
        assert_eq!(e.kind(), kind, "{call} on {}: {e}", path.display());
        match offset {
            Some(o) => assert_names_at(&e, path, o),
            None => assert_names(&e, path),
        }
    }
}

/// `Writer::open` refuses `path` with `kind`, naming it, and changes no
/// byte of it.
fn writer_refuses(path: &Path, kind: ErrorKind) {
    let before = std::fs::read(path).ok();
    let e = err("Writer::open", Writer::open(path, Options::default()));
    assert_eq!(e.kind(), kind, "Writer::open on {}: {e}", path.display());
    assert_names(&e, path);
    assert_eq!(
        std::fs::read(path).ok(),
        before,
        "Writer::open changed {}",
        path.display()
    );
}

fn foreign_bytes() -> Vec<u8> {
    b"id,name\n1,alice\n2,bob\n3,carol\n4,dave\n5,eve\n6,frank\n7,grace\n8,heidi\n".repeat(4)
}

/// A sealed segment of 5 records and its bytes.
fn sealed(dir: &TempDir, name: &str) -> (PathBuf, Vec<u8>) {
    let p = dir.join(name);
    make_sealed(&p, 5, Options::default());
    let b = read_bytes(&p);
    (p, b)
}

#[test]
fn missing_file_is_not_found_everywhere() {
    let dir = TempDir::new("mx-missing");
    let p = dir.join("missing.binlog");
    readers_refuse(&p, ErrorKind::NotFound, None);
    assert!(!p.exists(), "a reader created {}", p.display());
    // In a list of files, a missing one is a gap that names it.
    let mut r = LogReader::open_files(vec![p.clone()]).unwrap();
    assert!(r.next().unwrap().is_none());
    assert_eq!(r.gaps().len(), 1);
    let g = &r.gaps()[0];
    assert_eq!((g.reason, &g.path), (GapReason::Missing, &p), "{g:?}");
    // A writer creates a missing segment, but not its missing directory.
    let q = dir.join("no-dir").join("seg.binlog");
    writer_refuses(&q, ErrorKind::NotFound);
}

#[test]
fn unreadable_file_is_permission_denied_everywhere() {
    let dir = TempDir::new("mx-perm");
    let (p, bytes) = sealed(&dir, "locked-away.binlog");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    without_dac_override(|| {
        readers_refuse(&p, ErrorKind::PermissionDenied, None);
        let e = err("Writer::open", Writer::open(&p, Options::default()));
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        assert_names(&e, &p);
    });
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(read_bytes(&p), bytes, "a refused open changed the file");

    // An unreadable log directory.
    let logdir = dir.join("log");
    let w = LogWriter::open(&logdir, "app", LogOptions::default()).unwrap();
    w.write("t", b"kept").unwrap();
    w.close().unwrap();
    std::fs::set_permissions(&logdir, std::fs::Permissions::from_mode(0o000)).unwrap();
    without_dac_override(|| {
        let e = err("LogReader::open", LogReader::open(&logdir, "app"));
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        assert_names(&e, &logdir);
        let e = err(
            "LogWriter::open",
            LogWriter::open(&logdir, "app", LogOptions::default()),
        );
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        assert_names(&e, &logdir);
    });
    std::fs::set_permissions(&logdir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut r = LogReader::open(&logdir, "app").unwrap();
    assert_eq!(r.next().unwrap().unwrap().payload, b"kept");
}

#[test]
fn foreign_file_is_not_a_binlog_everywhere() {
    let dir = TempDir::new("mx-foreign");
    let p = dir.join("data.csv");
    write_bytes(&p, &foreign_bytes());
    readers_refuse(&p, ErrorKind::NotABinlog, Some(0));
    writer_refuses(&p, ErrorKind::NotABinlog);
}

#[test]
fn other_major_version_is_unsupported_everywhere_and_names_the_offset() {
    let dir = TempDir::new("mx-major");
    let (p, mut b) = sealed(&dir, "v2.binlog");
    // Major version 2 (bytes 8..10), the header CRC fixed so that only the
    // version is wrong.
    b[8..10].copy_from_slice(&2u16.to_le_bytes());
    let hl = u32::from_le_bytes(b[12..16].try_into().unwrap()) as usize;
    let crc = crc32fast::hash(&b[..hl - 4]);
    b[hl - 4..hl].copy_from_slice(&crc.to_le_bytes());
    write_bytes(&p, &b);
    // The version is a field at offset 8: the message says where.
    readers_refuse(&p, ErrorKind::UnsupportedVersion, Some(8));
    writer_refuses(&p, ErrorKind::UnsupportedVersion);
}

#[test]
fn empty_and_short_files_are_truncated_at_their_length() {
    let dir = TempDir::new("mx-short");
    let (_, b) = sealed(&dir, "whole.binlog");
    for len in [0usize, 1, 8, 20] {
        let p = dir.join(format!("cut-{len}.binlog"));
        write_bytes(&p, &b[..len]);
        readers_refuse(&p, ErrorKind::Truncated, Some(len as u64));
    }
}

#[test]
fn directory_where_a_segment_is_expected_has_one_kind_everywhere() {
    let dir = TempDir::new("mx-isdir");
    let p = dir.join("a-directory.binlog");
    std::fs::create_dir(&p).unwrap();
    readers_refuse(&p, ErrorKind::InvalidArgument, None);
    // Not Io ("open: Is a directory (os error 21)"): the kind the readers give.
    writer_refuses(&p, ErrorKind::InvalidArgument);
    assert!(p.is_dir());
}

#[test]
fn file_where_a_log_directory_is_expected_has_one_kind_everywhere() {
    let dir = TempDir::new("mx-notdir");
    let (f, bytes) = sealed(&dir, "not-a-dir");
    let opts = || LogOptions {
        background: false,
        ..LogOptions::default()
    };
    // Were Io ("list log directory: Not a directory (os error 20)") for
    // readers and AlreadyExists ("create log directory: File exists") for
    // the writer.
    for (call, e) in [
        (
            "LogReader::open",
            err("LogReader::open", LogReader::open(&f, "app")),
        ),
        (
            "LogReader::open_glob",
            err("LogReader::open_glob", LogReader::open_glob(&f, "*")),
        ),
        (
            "LogWriter::open",
            err("LogWriter::open", LogWriter::open(&f, "app", opts())),
        ),
        (
            "LogWriter::open below a file",
            err(
                "LogWriter::open",
                LogWriter::open(f.join("sub"), "app", opts()),
            ),
        ),
    ] {
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{call}: {e}");
        assert_names(&e, &f);
    }
    assert_eq!(read_bytes(&f), bytes, "a refused open changed the file");
}

#[test]
fn bit_flip_in_a_record_is_corrupt_at_its_offset_and_the_records_before_stay() {
    let dir = TempDir::new("mx-flip");
    let p = dir.join("flip.binlog");
    let (wants, _) = make_unsealed(&p, 10);
    let r = read_all(&p).unwrap();
    let third = r.recs[3].offset;
    let mut b = read_bytes(&p);
    b[third as usize + 12] ^= 0x04; // inside record 3's body
    write_bytes(&p, &b);
    let out = read_all(&p).unwrap();
    let got = out.wants();
    assert_eq!(got, wants[..3].to_vec(), "the records before the damage");
    let e = out.end.expect_err("a flipped record was read");
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    assert_names_at(&e, &p, third);
    // A writer refuses to append after corruption in the middle.
    writer_refuses(&p, ErrorKind::Corrupt);
}

#[test]
fn cut_segment_keeps_every_whole_record_and_reports_the_torn_offset() {
    let dir = TempDir::new("mx-cut");
    let p = dir.join("cut.binlog");
    let (wants, end) = make_unsealed(&p, 10);
    let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
    f.set_len(end - 3).unwrap();
    drop(f);
    let out = read_all(&p).unwrap();
    assert_eq!(out.recs.len(), 9);
    let last = out.recs[8].offset + out.recs[8].frame_len;
    let got = out.wants();
    assert_eq!(
        out.end.unwrap(),
        Tail::Torn {
            offset: last,
            len: end - 3 - last
        }
    );
    assert_eq!(got, wants[..9].to_vec());
}

#[test]
fn oversized_record_is_record_too_large_and_nothing_written_is_lost() {
    let dir = TempDir::new("mx-big");
    let p = dir.join("big.binlog");
    let w = Writer::open(
        &p,
        Options {
            max_record_size: 256,
            ..Options::default()
        },
    )
    .unwrap();
    w.write("t", b"before").unwrap();
    let e = err("write", w.write("t", &[7u8; 300]));
    assert_eq!(e.kind(), ErrorKind::RecordTooLarge, "{e}");
    assert_names(&e, &p);
    assert_eq!(w.write("t", b"after").unwrap(), 1);
    w.close().unwrap();
    let out = read_all(&p).unwrap();
    let payloads: Vec<&[u8]> = out.recs.iter().map(|r| &r.payload[..]).collect();
    assert_eq!(payloads, vec![&b"before"[..], &b"after"[..]]);
}

#[test]
fn calls_after_close_are_closed_and_name_the_file() {
    let dir = TempDir::new("mx-closed");
    let p = dir.join("c.binlog");
    let w = Writer::open(&p, Options::default()).unwrap();
    w.write("t", b"x").unwrap();
    w.close().unwrap();
    for (call, e) in [
        ("write", err("write", w.write("t", b"y"))),
        ("flush", err("flush", w.flush())),
        ("sync", err("sync", w.sync())),
    ] {
        assert_eq!(e.kind(), ErrorKind::Closed, "{call}: {e}");
        assert_names(&e, &p);
    }
    let lw = LogWriter::open(dir.join("log"), "app", LogOptions::default()).unwrap();
    lw.write("t", b"x").unwrap();
    lw.close().unwrap();
    for (call, e) in [
        ("write", err("write", lw.write("t", b"y"))),
        ("flush", err("flush", lw.flush())),
        ("roll", err("roll", lw.roll())),
    ] {
        assert_eq!(e.kind(), ErrorKind::Closed, "log {call}: {e}");
        assert!(
            e.message().contains(&dir.join("log").display().to_string()),
            "log {call}: the message does not name the log directory: {e}"
        );
    }
    assert_eq!(read_all(&p).unwrap().recs.len(), 1);
}

#[test]
fn missing_log_directory_is_not_found_for_readers() {
    let dir = TempDir::new("mx-nolog");
    let d = dir.join("no-such-log-dir");
    for (call, e) in [
        (
            "LogReader::open",
            err("LogReader::open", LogReader::open(&d, "app")),
        ),
        (
            "LogReader::open_glob",
            err("LogReader::open_glob", LogReader::open_glob(&d, "*.binlog")),
        ),
    ] {
        assert_eq!(e.kind(), ErrorKind::NotFound, "{call}: {e}");
        assert_names(&e, &d);
    }
    assert!(!d.exists(), "a reader created {}", d.display());
}

/// Log `name` in `dir` with `n` records in segments of 3 (sealed, but the
/// last), and its segment files in order.
fn make_log(dir: &Path, name: &str, n: u64) -> Vec<PathBuf> {
    let opts = LogOptions {
        max_segment_records: Some(3),
        background: false,
        ..LogOptions::default()
    };
    let w = LogWriter::open(dir, name, opts).unwrap();
    for i in 0..n {
        assert_eq!(w.write("t", format!("{name}-{i}").as_bytes()).unwrap(), i);
    }
    w.close().unwrap();
    let mut segs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let f = p.file_name().unwrap().to_str().unwrap();
            f.starts_with(&format!("{name}-")) && f.ends_with(".binlog")
        })
        .collect();
    segs.sort();
    segs
}

/// What a log reader yields from log `name`: the payloads, then the error
/// that stopped it.
fn read_log(dir: &Path, name: &str) -> (Vec<String>, Option<Error>) {
    let mut r = LogReader::open(dir, name).unwrap();
    let mut got = Vec::new();
    loop {
        match r.next() {
            Ok(Some(rec)) => got.push(String::from_utf8(rec.payload.to_vec()).unwrap()),
            Ok(None) => return (got, None),
            Err(e) => return (got, Some(e)),
        }
    }
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    list_dir(dir)
        .into_iter()
        .filter(|n| !n.ends_with(".manifest"))
        .map(|n| {
            let p = dir.join(&n);
            let b = if p.is_dir() {
                Vec::new()
            } else {
                read_bytes(&p)
            };
            (n, b)
        })
        .collect()
}

/// Log "app" with its segment `i` replaced by `replace` (given the
/// segment's path); the log reader stops there with `kind` naming that
/// file after every record before it, and the log writer refuses to open
/// the log with `kind`, changing nothing.
fn log_with_bad_segment(tag: &str, i: usize, kind: ErrorKind, replace: impl Fn(&Path)) {
    let dir = TempDir::new(tag);
    let segs = make_log(dir.path(), "app", 9);
    assert_eq!(segs.len(), 3, "{tag}: segments {segs:?}");
    let bad = &segs[i];
    replace(bad);
    let (got, e) = read_log(dir.path(), "app");
    let want: Vec<String> = (0..3 * i as u64).map(|s| format!("app-{s}")).collect();
    assert_eq!(got, want, "{tag}: the records before the bad segment");
    let e = e.unwrap_or_else(|| panic!("{tag}: the log reader read past {}", bad.display()));
    assert_eq!(e.kind(), kind, "{tag}: log reader: {e}");
    assert_names(&e, bad);

    let before = snapshot(dir.path());
    let opts = LogOptions {
        background: false,
        ..LogOptions::default()
    };
    let e = err(
        &format!("{tag}: LogWriter::open"),
        LogWriter::open(dir.path(), "app", opts),
    );
    assert_eq!(e.kind(), kind, "{tag}: log writer: {e}");
    assert_names(&e, bad);
    assert_eq!(
        snapshot(dir.path()),
        before,
        "{tag}: a refused log open changed files"
    );
}

#[test]
fn segment_of_another_log_in_a_log_directory_is_refused() {
    // Segment 1 of log "other", copied over segment 1 of log "app": right
    // file name, right sequence numbers, but another log's header.
    for i in [1usize, 2] {
        log_with_bad_segment("mx-otherlog", i, ErrorKind::WrongLog, |bad| {
            let other = TempDir::new("mx-otherlog-src");
            let o = make_log(other.path(), "other", 9);
            std::fs::copy(&o[i], bad).unwrap();
        });
    }
    // A whole log renamed: every segment names "other".
    let dir = TempDir::new("mx-renamed");
    for seg in make_log(dir.path(), "other", 4) {
        let f = seg
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .replacen("other-", "app-", 1);
        std::fs::rename(&seg, dir.join(&f)).unwrap();
    }
    let (got, e) = read_log(dir.path(), "app");
    assert!(
        got.is_empty(),
        "read another log's records as app's: {got:?}"
    );
    let e = e.expect("read another log's segments");
    assert_eq!(e.kind(), ErrorKind::WrongLog, "{e}");
    assert!(e.message().contains("\"other\""), "{e}");
}

#[test]
fn foreign_empty_or_directory_segment_in_a_log_is_refused_by_kind() {
    log_with_bad_segment("mx-logforeign", 1, ErrorKind::NotABinlog, |bad| {
        write_bytes(bad, &foreign_bytes())
    });
    log_with_bad_segment("mx-logdir", 1, ErrorKind::InvalidArgument, |bad| {
        std::fs::remove_file(bad).unwrap();
        std::fs::create_dir(bad).unwrap();
    });
    // An empty segment is what a crash between creating a segment and
    // writing its header leaves: the reader says so, and the log writer
    // starts that segment afresh (it held nothing to lose).
    let dir = TempDir::new("mx-logempty");
    let segs = make_log(dir.path(), "app", 9);
    write_bytes(&segs[1], b"");
    let (got, e) = read_log(dir.path(), "app");
    assert_eq!(got.len(), 3);
    let e = e.expect("read past an empty segment");
    assert_eq!(e.kind(), ErrorKind::Truncated, "{e}");
    assert_names_at(&e, &segs[1], 0);
    let w = LogWriter::open(dir.path(), "app", LogOptions::default()).unwrap();
    assert_eq!(w.write("t", b"app-9").unwrap(), 9);
    w.close().unwrap();
}

/// How a log reader is positioned before it reads on.
#[derive(Clone, Copy, Debug)]
enum Seek {
    Time(i64),
    Seq(u64),
}

/// A directory where a segment of log "app" should be (segment 1, or a
/// newest segment 3): a log reader positioned by a seek reaches it with
/// `InvalidArgument` naming it, whenever records it may stand for could be
/// the ones asked for, and the log writer refuses to open the log, changing
/// nothing. `seek_time` passed over segments it could not open as if their
/// records were all older: it stood at segment 2 and read records 6..8 with
/// no error and no gap, records 3..5 and the directory never mentioned.
#[test]
fn directory_named_as_a_segment_is_not_skipped_by_a_seek() {
    const T0: i64 = 1_700_000_000_000_000_000;
    const SEC: i64 = 1_000_000_000;
    for newest in [false, true] {
        let dir = TempDir::new("mx-seekdir");
        let opts = LogOptions {
            max_segment_records: Some(3),
            background: false,
            ..LogOptions::default()
        };
        let w = LogWriter::open(dir.path(), "app", opts).unwrap();
        for i in 0..9u64 {
            let payload = format!("app-{i}");
            w.write_batch(&[binlog::Entry {
                type_name: "t",
                meta: &[],
                timestamp_ns: Some(T0 + i as i64 * SEC),
                parts: &[payload.as_bytes()],
            }])
            .unwrap();
        }
        w.close().unwrap();
        let bad = if newest {
            dir.join(binlog::log::naming::segment_name("app", 3, T0))
        } else {
            let segs: Vec<String> = list_dir(dir.path())
                .into_iter()
                .filter(|n| n.starts_with("app-") && n.ends_with(".binlog"))
                .collect();
            assert_eq!(segs.len(), 3, "{segs:?}");
            let p = dir.join(&segs[1]);
            std::fs::remove_file(&p).unwrap();
            p
        };
        std::fs::create_dir(&bad).unwrap();
        // (seek, the records read before the error; None: no error, these
        // records). Records of segment 1 (3..5) may have any timestamp, so
        // no seek by time may pass over its place; a seek by sequence
        // number past it (7) needs nothing from it.
        let cases: Vec<(Seek, Vec<u64>, bool)> = if newest {
            vec![
                (Seek::Time(T0 + 3 * SEC), (3..9).collect(), true),
                (Seek::Time(T0 + 100 * SEC), vec![], true),
                (Seek::Seq(4), (4..9).collect(), true),
            ]
        } else {
            vec![
                (Seek::Time(T0 + 3 * SEC), vec![], true),
                (Seek::Time(T0 + 7 * SEC), vec![], true),
                (Seek::Seq(4), vec![], true),
                (Seek::Seq(7), vec![7, 8], false),
            ]
        };
        for (seek, want, fails) in cases {
            let what = format!("newest {newest}: {seek:?}");
            let mut r = LogReader::open(dir.path(), "app").unwrap();
            let mut got = Vec::new();
            let mut e = match seek {
                Seek::Time(t) => r.seek_time(t),
                Seek::Seq(s) => r.seek_seq(s),
            }
            .err();
            while e.is_none() {
                match r.next() {
                    Ok(Some(rec)) => got.push(rec.seq),
                    Ok(None) => break,
                    Err(err) => e = Some(err),
                }
            }
            assert_eq!(got, want, "{what}: records read");
            assert_eq!(r.gaps(), &[], "{what}");
            match (e, fails) {
                (Some(e), true) => {
                    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{what}: {e}");
                    assert_names(&e, &bad);
                }
                (None, false) => {}
                (e, _) => panic!("{what}: error {e:?}"),
            }
        }
        let before = snapshot(dir.path());
        let opts = LogOptions {
            background: false,
            ..LogOptions::default()
        };
        // The closed writer's lock can still be held for a moment by a
        // process another test thread is spawning (a child holds copies of
        // every descriptor until its exec closes them): seen once in CI.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let e = loop {
            let e = err(
                "LogWriter::open",
                LogWriter::open(dir.path(), "app", opts.clone()),
            );
            if e.kind() != ErrorKind::Locked || std::time::Instant::now() > deadline {
                break e;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        };
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "newest {newest}: {e}");
        assert_names(&e, &bad);
        assert_eq!(snapshot(dir.path()), before, "newest {newest}");
    }
}

// ---------------------------------------------------------------------------
// The `binlog` tool (docs/CLI.md; built with the `cli` feature): exit
// status 2 for a file it cannot use, 1 for damage; every message names the
// file (and the offset).

/// Runs `binlog args...`: (exit status, stdout, stderr).
fn binlog_cli(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
    let out = crate::common::child::command(crate::common::cli::tool())
        .args(args)
        .output()
        .expect("run binlog");
    (
        out.status.code().expect("exit status"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `binlog <cmd> <path>` exits with `status`, and its standard error (or,
/// for verify, its report) contains the path and every needle.
fn cli_says(cmd: &str, path: &Path, status: i32, needles: &[&str]) {
    let (code, out, err) = binlog_cli(&[cmd.as_ref(), path.as_os_str()]);
    let all = format!("{out}{err}");
    assert_eq!(code, status, "binlog {cmd} {}: {all}", path.display());
    for n in [&path.display().to_string()[..]].iter().chain(needles) {
        assert!(
            all.contains(n),
            "binlog {cmd} {}: no {n:?} in: {all}",
            path.display()
        );
    }
}

#[test]
fn cli_names_the_file_and_offset_with_the_documented_status() {
    let dir = TempDir::new("mx-cli");
    let missing = dir.join("missing.binlog");
    for cmd in ["cat", "info", "verify"] {
        cli_says(cmd, &missing, 2, &["No such file"]);
    }
    cli_says("verify", &dir.join("no-log-dir"), 2, &[]);

    let foreign = dir.join("data.csv");
    write_bytes(&foreign, &foreign_bytes());
    for cmd in ["cat", "info"] {
        cli_says(cmd, &foreign, 2, &["offset 0", "not a libbinlog segment"]);
    }

    let (v2, mut b) = sealed(&dir, "v2.binlog");
    b[8..10].copy_from_slice(&2u16.to_le_bytes());
    let hl = u32::from_le_bytes(b[12..16].try_into().unwrap()) as usize;
    let crc = crc32fast::hash(&b[..hl - 4]);
    b[hl - 4..hl].copy_from_slice(&crc.to_le_bytes());
    write_bytes(&v2, &b);
    for cmd in ["cat", "info"] {
        cli_says(cmd, &v2, 2, &["offset 8", "format version 2.0"]);
    }

    let (_, whole) = sealed(&dir, "whole.binlog");
    let cut = dir.join("cut-20.binlog");
    write_bytes(&cut, &whole[..20]);
    cli_says("cat", &cut, 1, &["offset 20"]);
    cli_says("verify", &cut, 1, &["offset 20"]);
    // An empty file ends inside its header (docs/FORMAT.md section 3):
    // damage, exit 1, in every command (docs/CLI.md, "Same file, same
    // answer").
    let empty = dir.join("cut-0.binlog");
    write_bytes(&empty, &[]);
    for cmd in ["cat", "verify", "info"] {
        cli_says(cmd, &empty, 1, &["offset 0", "inside the segment header"]);
    }

    let flip = dir.join("flip.binlog");
    make_unsealed(&flip, 6);
    let third = read_all(&flip).unwrap().recs[3].offset;
    let mut b = read_bytes(&flip);
    b[third as usize + 12] ^= 0x04;
    write_bytes(&flip, &b);
    cli_says("verify", &flip, 1, &[&format!("offset {third}")]);
    let (code, out, err) = binlog_cli(&["cat".as_ref(), flip.as_os_str()]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(
        out.lines().count(),
        3,
        "the records before the damage: {out}"
    );
    assert!(err.contains(&format!("offset {third}")), "{err}");
}

#[test]
fn cli_unreadable_file_is_an_error_naming_it() {
    let dir = TempDir::new("mx-cli-perm");
    let (p, _) = sealed(&dir, "unreadable.binlog");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    let (code, out, err) = without_dac(true, || binlog_cli(&["cat".as_ref(), p.as_os_str()]));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(&p.display().to_string()), "{err}");
    assert!(err.contains("Permission denied"), "{err}");
}

#[test]
fn cli_segment_of_another_log_is_damage_and_its_records_are_not_printed() {
    let dir = TempDir::new("mx-cli-otherlog");
    let segs = make_log(dir.path(), "app", 9);
    let other = TempDir::new("mx-cli-otherlog-src");
    let o = make_log(other.path(), "other", 9);
    std::fs::copy(&o[1], &segs[1]).unwrap();

    cli_says(
        "verify",
        dir.path(),
        1,
        &[&segs[1].display().to_string(), "\"other\""],
    );
    let (code, out, err) = binlog_cli(&["cat".as_ref(), dir.path().as_os_str()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        !out.contains("other-"),
        "printed another log's records as app's: {out}"
    );
    for i in [0, 1, 2, 6, 7, 8] {
        assert!(
            out.contains(&format!("app-{i}")),
            "record {i} of app missing: {out}"
        );
    }
    assert!(err.contains(&segs[1].display().to_string()), "{err}");
    // `tail -f` reads it with the library's log reader.
    let (code, out, err) = binlog_cli(&[
        "tail".as_ref(),
        "-n".as_ref(),
        "100".as_ref(),
        dir.path().as_os_str(),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains("other-"), "{out}");
    // `repair` cannot make it this log's: it says so and changes nothing.
    let before = snapshot(dir.path());
    let (code, out, err) = binlog_cli(&["repair".as_ref(), dir.path().as_os_str()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("belongs to another log"), "{out}{err}");
    assert_eq!(snapshot(dir.path()), before, "repair changed files");
}
