//! A real full filesystem: a 2 MiB tmpfs mounted for the test (we run as
//! root; if the mount fails the test fails, it does not pass silently). The
//! writer fills it until a write fails with DiskFull; every acknowledged
//! record stays readable, no torn record appears, and once space is freed
//! the same writer continues without a gap in the sequence.

use crate::common;

use binlog::{Durability, Error, ErrorKind, Options, Tail, Writer};
use common::tmpfs::Tmpfs;
use common::*;
use std::path::Path;

/// Records for the disk-full tests: 200 to 1400 bytes, and every tenth one
/// 9000 bytes (larger than the 4 KiB buffer, so written directly).
fn df_want(seq: u64) -> Want {
    let len = if seq % 10 == 9 {
        9000
    } else {
        200 + ((seq * 131) % 1200) as usize
    };
    want_sized(seq, len)
}

/// Fills `filler` with `len` bytes of data that tmpfs has to store.
fn make_filler(filler: &Path, len: usize) {
    write_bytes(filler, &payload_bytes(u64::MAX, len));
}

/// Writes records until one fails; returns the acknowledged ones and the error.
fn write_until_full(w: &Writer) -> (Vec<Want>, Error) {
    let mut acked = Vec::new();
    loop {
        let x = df_want(acked.len() as u64);
        match put(w, &x) {
            Ok(seq) => {
                assert_eq!(seq, x.seq, "sequence gap while filling the disk");
                acked.push(x);
            }
            Err(e) => return (acked, e),
        }
        assert!(acked.len() < 20_000, "a 2 MiB filesystem never filled up");
    }
}

fn assert_disk_full(e: &Error, seg: &Path, what: &str) {
    assert_eq!(e.kind(), ErrorKind::DiskFull, "{what}: {e}");
    assert_names(e, seg);
}

/// The records in the segment: a prefix of `acked`, each whole and exactly
/// as written, ending cleanly (no torn record). Returns how many.
fn assert_prefix_of(seg: &Path, acked: &[Want], ctx: &str) -> usize {
    let out = read_all(seg).unwrap_or_else(|e| panic!("{ctx}: {e}"));
    assert!(
        out.recs.len() <= acked.len(),
        "{ctx}: {} records, only {} acknowledged",
        out.recs.len(),
        acked.len()
    );
    for (r, w) in out.recs.iter().zip(acked) {
        assert!(
            r.as_want() == *w,
            "{ctx}: record {} differs from what was written",
            w.seq
        );
    }
    assert_eq!(
        out.end,
        Ok(Tail::Unsealed),
        "{ctx}: the segment must end after a whole record"
    );
    out.recs.len()
}

fn fill_free_continue(name: &str, durability: Durability, filler_len: usize) {
    let fs = Tmpfs::mount(name, "2m");
    let filler = fs.join("filler");
    make_filler(&filler, filler_len);
    let seg = fs.join("seg.binlog");
    let opts = Options {
        durability,
        buffer_size: 4096,
        ..Options::default()
    };
    let w = Writer::open(&seg, opts).unwrap();

    let (mut acked, err) = write_until_full(&w);
    assert!(acked.len() > 100, "only {} records fitted", acked.len());
    eprintln!(
        "{durability:?}, filler {filler_len}: {} records acknowledged, then {err}",
        acked.len()
    );
    assert_disk_full(&err, &seg, "the write that found the disk full");
    assert_eq!(
        w.next_seq(),
        acked.len() as u64,
        "the failed write must not take a sequence number"
    );

    // Flush attempts while the disk is still full: they may fail, but only
    // with DiskFull, and what is in the file is whole and correct.
    for attempt in 0..2 {
        if let Err(e) = w.flush() {
            assert_disk_full(&e, &seg, &format!("flush attempt {attempt} on a full disk"));
        }
        let n = assert_prefix_of(
            &seg,
            &acked,
            &format!("full disk, after flush attempt {attempt}"),
        );
        if durability == Durability::EveryRecord {
            assert_eq!(
                n,
                acked.len(),
                "an acknowledged durable record is not in the file"
            );
        }
    }

    // Free space: the same writer hands over everything it holds...
    std::fs::remove_file(&filler).unwrap();
    w.flush().expect("flush after freeing space");
    let n = assert_prefix_of(&seg, &acked, "after freeing space");
    assert_eq!(
        n,
        acked.len(),
        "acknowledged records missing after a successful flush"
    );

    // ...and continues with the next sequence number.
    for _ in 0..50 {
        let x = df_want(acked.len() as u64);
        assert_eq!(put(&w, &x).unwrap(), x.seq, "write after freeing space");
        acked.push(x);
    }
    w.close().expect("close seals once there is space");
    assert_holds(&seg, &acked, Tail::Sealed);
    drop(fs);
}

#[test]
fn disk_full_with_no_durability_keeps_acknowledged_records_and_continues() {
    // Different fillers make the disk fill up at different points of the
    // record stream (inside the buffer, inside a directly written record).
    for filler in [
        512 << 10,
        (512 << 10) + 1234,
        (512 << 10) + 3333,
        (600 << 10) + 4097,
    ] {
        fill_free_continue("full-none", Durability::None, filler);
    }
}

#[test]
fn disk_full_with_every_record_durability_keeps_acknowledged_records_and_continues() {
    for filler in [
        512 << 10,
        (512 << 10) + 1234,
        (512 << 10) + 3333,
        (600 << 10) + 4097,
    ] {
        fill_free_continue("full-every", Durability::EveryRecord, filler);
    }
}

#[test]
fn close_on_a_full_disk_leaves_a_whole_unsealed_segment_and_releases_the_lock() {
    let fs = Tmpfs::mount("full-close", "2m");
    let filler = fs.join("filler");
    make_filler(&filler, 512 << 10);
    let seg = fs.join("seg.binlog");
    let opts = Options {
        durability: Durability::EveryRecord,
        buffer_size: 4096,
        ..Options::default()
    };
    let w = Writer::open(&seg, opts).unwrap();
    let (mut acked, err) = write_until_full(&w);
    assert_disk_full(&err, &seg, "write");
    // The seal of ~1500 records needs more than the free space left.
    let e = w
        .close()
        .expect_err("close sealed a segment on a full disk");
    assert_disk_full(&e, &seg, "close");
    assert_eq!(w.write("t", b"x").unwrap_err().kind(), ErrorKind::Closed);
    // Every acknowledged (durable) record is there, unsealed and whole.
    assert_eq!(
        assert_prefix_of(&seg, &acked, "after the failed close"),
        acked.len()
    );

    // The lock went with close: a new writer takes over (no space needed),
    // and once there is space it continues and seals.
    let w = Writer::open(&seg, Options::default()).expect("reopen after a failed close");
    assert_eq!(w.next_seq(), acked.len() as u64);
    std::fs::remove_file(&filler).unwrap();
    let x = df_want(acked.len() as u64);
    assert_eq!(put(&w, &x).unwrap(), x.seq);
    acked.push(x);
    w.close().unwrap();
    assert_holds(&seg, &acked, Tail::Sealed);
    drop(fs);
}

/// `binlog write` filling the disk: exit status 2 with an error naming the
/// file, and the count and sequence numbers it says it wrote are the
/// records in the file, each whole; the records read from the input but
/// not written are said to be so: not "wrote 4503 records (seq 0..4502)"
/// over a file that holds 0..3358 (the records the library accepted into
/// its buffers, not those written).
#[test]
fn cli_write_on_a_full_disk_reports_the_records_in_the_file() {
    for (i, log) in [false, true].into_iter().enumerate() {
        let fs = Tmpfs::mount(&format!("full-cli-{i}"), "256k");
        let target = fs.join(&format!("t{i}"));
        if !log {
            std::fs::create_dir(&target).unwrap();
        }
        let target = if log {
            target
        } else {
            target.join("seg.binlog")
        };
        let mut cmd = crate::common::child::command(crate::common::cli::tool());
        cmd.args(["write", "--type", "line"]).arg(&target);
        if log {
            cmd.args(["--log", "app", "--max-segment-bytes", "64K"]);
        }
        let input: String = (0..20_000)
            .map(|n| format!("line {n:06} {}\n", "x".repeat(40)))
            .collect();
        let out = cmd
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                // The writer stops reading at the error: a broken pipe here
                // is expected.
                let _ = c.stdin.take().unwrap().write_all(input.as_bytes());
                c.wait_with_output()
            })
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let what = format!("log {log}");
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        assert!(err.contains("No space left on device"), "{what}: {err}");
        assert!(err.contains(&target.display().to_string()), "{what}: {err}");
        // "binlog: wrote N records (seq 0..L) to ..."
        let said = err
            .lines()
            .find_map(|l| l.strip_prefix("binlog: wrote "))
            .unwrap_or_else(|| panic!("{what}: no count: {err}"));
        let n: u64 = said.split(' ').next().unwrap().parse().unwrap();
        // Every record in the file(s), in order.
        let mut seqs = Vec::new();
        if log {
            let mut r = binlog::LogReader::open(&target, "app").unwrap();
            while let Some(rec) = r.next().unwrap_or_else(|e| panic!("{what}: {e}")) {
                seqs.push(rec.seq);
            }
        } else {
            let mut r = binlog::Reader::open(&target).unwrap();
            while let Some(rec) = r.next().unwrap_or_else(|e| panic!("{what}: {e}")) {
                seqs.push(rec.seq);
            }
        }
        assert_eq!(seqs, (0..seqs.len() as u64).collect::<Vec<_>>(), "{what}");
        assert!(seqs.len() < 20_000, "{what}: the disk never filled");
        assert_eq!(
            n,
            seqs.len() as u64,
            "{what}: said \"wrote {said}\", the file holds seq 0..{}: {err}",
            seqs.len() as i64 - 1
        );
        // A segment's writer takes records into its buffers before the
        // disk refuses them: those are named. (A log's write_batch says
        // itself how much of the batch was written.)
        if !log || err.contains("not in the file") {
            assert!(
                (err.contains(&format!("seq {}..", seqs.len()))
                    || err.contains(&format!("seq {} is", seqs.len())))
                    && err.contains("not written"),
                "{what}: the records not written are not named: {err}"
            );
        }
        drop(fs);
    }
}
