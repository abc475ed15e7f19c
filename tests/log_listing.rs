//! A follower at the end of a log reads the directory again only once its
//! mtime changed (src/log/listing.rs). Segments created in quick
//! succession, within one tick of the mtime's clock, must still all be
//! found, in order, with nothing reported missing.

mod common;

use binlog::log::{LogOptions, LogReader, LogWriter};
use common::TempDir;
use std::time::Duration;

#[test]
fn a_follower_finds_every_segment_of_rolls_in_quick_succession() {
    let dir = TempDir::new("listing-rolls");
    let w = LogWriter::open(dir.path(), "lg", LogOptions::default()).unwrap();
    w.write("t", b"0").unwrap();
    w.flush().unwrap();
    let mut r = LogReader::open(dir.path(), "lg").unwrap();
    assert_eq!(
        r.next_wait(Duration::from_secs(5)).unwrap().map(|x| x.seq),
        Some(0)
    );
    // Caught up: the follower polls while the writer rolls in bursts.
    let reader = std::thread::spawn(move || {
        let mut seqs = Vec::new();
        while seqs.len() < 300 {
            match r.next_wait(Duration::from_secs(10)).unwrap() {
                Some(rec) => seqs.push(rec.seq),
                None => break,
            }
        }
        (seqs, r.gaps().len())
    });
    for burst in 0..30u64 {
        for i in 0..10u64 {
            w.roll().unwrap();
            w.write("t", format!("{}", 1 + burst * 10 + i).as_bytes())
                .unwrap();
            w.flush().unwrap();
        }
        std::thread::sleep(Duration::from_millis(if burst % 2 == 0 { 1 } else { 30 }));
    }
    let (seqs, gaps) = reader.join().unwrap();
    assert_eq!(seqs, (1..=300).collect::<Vec<u64>>());
    assert_eq!(gaps, 0);
    w.close().unwrap();
}
