//! Regression tests from a review of the write-path changes of 2026-11-22
//! (group commit's yielding leader, close retrying a failed write-behind,
//! the Interval flusher's error reported by the next write call).

mod common;
use binlog::{Durability, Options, Reader, Writer};
use common::*;
use std::path::Path;
use std::time::Duration;

const CHILD: &str = "BINLOG_REVIEW16B_CHILD";

fn in_child(test: &str, body: impl FnOnce(&Path)) {
    in_fsize_child(test, CHILD, "R16B ", body)
}

/// Under `Interval`, a failure of the background flusher is held for the
/// next write call. When the caller meanwhile calls `flush` (or `sync`),
/// which retries the same buffered records and reports its own failure,
/// the flusher's failure has been told: once the cause is gone, the next
/// write must succeed. (The old code kept the flusher's error until a
/// flush *succeeded*, so the first write after the cause was removed
/// failed anyway, with a stale error claiming its records were not
/// written.)
#[test]
fn a_failed_flush_call_reports_the_flushers_failure() {
    in_child("a_failed_flush_call_reports_the_flushers_failure", |dir| {
        let path = dir.join("flush.binlog");
        let w = Writer::open(
            &path,
            Options {
                buffer_size: 64 * 1024,
                durability: Durability::Interval(Duration::from_millis(20)),
                ..Options::default()
            },
        )
        .unwrap();
        let header = std::fs::metadata(&path).unwrap().len();
        set_file_size_limit(header + 1000);
        let payload = vec![5u8; 500];
        for seq in 0..5 {
            assert_eq!(w.write("t", &payload).unwrap(), seq);
        }
        // Several flusher rounds fail.
        std::thread::sleep(Duration::from_millis(150));
        let e = w.flush().expect_err("the limit still holds");
        assert!(e.message().contains("File too large"), "{e}");
        // The cause goes; the failure was reported by flush.
        set_file_size_limit(libc::RLIM_INFINITY);
        assert_eq!(
            w.write("t", &payload).expect("no stale flusher error"),
            5,
            "numbered after the buffered records"
        );
        w.close().unwrap();
        let mut r = Reader::open(&path).unwrap();
        let mut n = 0;
        while let Some(rec) = r.next().unwrap() {
            assert_eq!((rec.seq, rec.payload), (n, &payload[..]));
            n += 1;
        }
        assert_eq!(n, 6);
    });
}
