//! Review of the rolling-log layer (helper 1): each test pins a bug found
//! by that review.

mod common;
use binlog::log::{segments, LogOptions, LogReader, LogWriter};
use common::TempDir;
use std::sync::Arc;

/// 2026-11-21T05:37:42.5Z.
const T0: i64 = 1_795_239_462_500_000_000;

fn fixed_clock_opts() -> LogOptions {
    LogOptions {
        clock: Arc::new(|| T0),
        background: false,
        ..LogOptions::default()
    }
}

/// A record whose type is new to the segment adds a directory entry to the
/// seal; the size limit must count it, or a segment that holds two records
/// ends up larger than `max_segment_bytes`.
#[test]
fn a_record_of_a_new_type_never_takes_a_segment_past_the_size_limit() {
    const LIMIT: u64 = 4096;
    let long_type = "a-type-name-that-is-new-to-the-segment-and-rather-long";
    let d = TempDir::new("h1-newtype");
    let mut over = Vec::new();
    for (i, len) in (2560..2720usize).step_by(4).enumerate() {
        let name = format!("l{i}");
        let w = LogWriter::open(
            d.path(),
            &name,
            LogOptions {
                max_segment_bytes: Some(LIMIT),
                ..fixed_clock_opts()
            },
        )
        .unwrap();
        w.write("a", &vec![1u8; 1000]).unwrap();
        w.write(long_type, &vec![2u8; len]).unwrap();
        w.close().unwrap();
        for s in segments::list(d.path(), &name).unwrap() {
            let bytes = std::fs::metadata(&s.path).unwrap().len();
            let mut r = binlog::Reader::open(&s.path).unwrap();
            let mut n = 0;
            while r.next().unwrap().is_some() {
                n += 1;
            }
            if bytes > LIMIT && n > 1 {
                over.push((len, bytes, n));
            }
        }
        // Both records read back in order.
        let mut r = LogReader::open(d.path(), &name).unwrap();
        assert_eq!(r.next().unwrap().unwrap().seq, 0);
        assert_eq!(r.next().unwrap().unwrap().seq, 1);
        assert!(r.next().unwrap().is_none());
    }
    assert!(
        over.is_empty(),
        "segments above the {LIMIT}-byte limit holding several records (payload len, file bytes, records): {over:?}"
    );
}
