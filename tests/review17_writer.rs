//! A writer that opens a segment while `binlog repair` renames a repaired
//! copy over it (holding the old file's lock until after the rename) must
//! write to the file the segment's name leads to, never to the replaced
//! one that no name leads to any more.

mod common;

use binlog::{ErrorKind, Options, Reader, Writer};
use common::{try_flock, TempDir};
use std::fs::File;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

#[test]
fn a_writer_racing_a_rename_over_its_segment_loses_no_record() {
    let dir = TempDir::new("review17-rename-race");
    let path = dir.join("seg.binlog");
    Writer::open(&path, Options::default())
        .unwrap()
        .close()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let replaced = Arc::new(AtomicU64::new(0));
    // The replacer: lock the file the name leads to, copy it whole, rename
    // the copy over it, and only then let the old file's lock go.
    let replacer = {
        let (path, stop, replaced) = (path.clone(), Arc::clone(&stop), Arc::clone(&replaced));
        let tmp = dir.join("seg.binlog.repair-tmp");
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let old = File::open(&path).unwrap();
                if !try_flock(&old) {
                    std::thread::yield_now();
                    continue;
                }
                std::fs::copy(&path, &tmp).unwrap();
                std::fs::rename(&tmp, &path).unwrap();
                replaced.fetch_add(1, Ordering::Relaxed);
                drop(old);
            }
        })
    };
    let mut acked = Vec::new();
    let mut locked = 0;
    let started = std::time::Instant::now();
    while acked.len() < 3000 && started.elapsed() < std::time::Duration::from_secs(20) {
        match Writer::open(&path, Options::default()) {
            Ok(w) => {
                acked.push(w.write("t", b"payload").unwrap());
                w.close().unwrap();
            }
            Err(e) if e.kind() == ErrorKind::Locked => locked += 1,
            Err(e) => panic!("open: {e}"),
        }
    }
    stop.store(true, Ordering::Relaxed);
    replacer.join().unwrap();
    assert!(acked.len() >= 100, "only {} writes in 20 s", acked.len());
    assert!(replaced.load(Ordering::Relaxed) > 0, "no replacement ran");
    let mut r = Reader::open(&path).unwrap();
    let mut seqs = Vec::new();
    while let Some(rec) = r.next().unwrap() {
        seqs.push(rec.seq);
    }
    assert_eq!(
        seqs,
        acked,
        "records acknowledged but not in the segment ({} replacements, {locked} opens refused)",
        replaced.load(Ordering::Relaxed)
    );
}
