//! Named consumers (`binlog::Consumer`): they go on after their last
//! commit, across reopening, rolls, compression and retention; several
//! per log, each independent; one handle per name; position tokens.

use crate::common;

use binlog::{
    Compression, Consumer, ConsumerBound, ErrorKind, LogOptions, LogReader, LogWriter,
    MergedConsumer, Retention, Start,
};
use common::{append_orders, TempDir};
use std::time::Duration;

fn seqs_of(c: &mut Consumer, n: usize) -> Vec<u64> {
    let mut out = Vec::new();
    while out.len() < n {
        match c.next().unwrap() {
            Some(r) => out.push(r.seq),
            None => break,
        }
    }
    out
}

#[test]
fn a_consumer_goes_on_after_its_last_commit_and_not_past_records_not_committed() {
    let d = TempDir::new("consumer-resume");
    append_orders(d.path(), 50, 7);
    let mut c = Consumer::open(d.path(), "orders", "billing", Start::First).unwrap();
    assert_eq!(seqs_of(&mut c, 10), (0..10).collect::<Vec<_>>());
    c.commit().unwrap();
    assert_eq!(seqs_of(&mut c, 5), (10..15).collect::<Vec<_>>());
    drop(c); // 10..15 returned, not committed
    let mut c = Consumer::open(d.path(), "orders", "billing", Start::End).unwrap();
    assert_eq!(c.committed(), Some(10));
    assert_eq!(seqs_of(&mut c, 3), vec![10, 11, 12]);
    c.commit_seq(11).unwrap();
    drop(c);
    let mut c = Consumer::open(d.path(), "orders", "billing", Start::First).unwrap();
    assert_eq!(seqs_of(&mut c, 100), (12..50).collect::<Vec<_>>());
    assert!(c.reader().gaps().is_empty());
}

#[test]
fn a_new_consumer_starts_where_it_is_told_and_that_start_is_committed() {
    let d = TempDir::new("consumer-start");
    append_orders(d.path(), 30, 10);
    let mut end = Consumer::open(d.path(), "orders", "tail", Start::End).unwrap();
    assert_eq!(end.committed(), Some(30));
    assert!(end.next().unwrap().is_none());
    let mut at = Consumer::open(d.path(), "orders", "at", Start::Seq(17)).unwrap();
    assert_eq!(at.next().unwrap().unwrap().seq, 17);
    drop(at);
    // Reopened without a commit: at the start it was created with.
    let mut at = Consumer::open(d.path(), "orders", "at", Start::First).unwrap();
    assert_eq!(at.next().unwrap().unwrap().seq, 17);
    // Consumers are independent.
    let mut first = Consumer::open(d.path(), "orders", "first", Start::First).unwrap();
    assert_eq!(first.next().unwrap().unwrap().seq, 0);
}

#[test]
fn a_second_open_of_a_held_name_is_locked_and_bad_names_and_commits_are_refused() {
    let d = TempDir::new("consumer-refusals");
    append_orders(d.path(), 5, 10);
    let mut c = Consumer::open(d.path(), "orders", "billing", Start::First).unwrap();
    let e = Consumer::open(d.path(), "orders", "billing", Start::First)
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::Locked);
    assert!(e.to_string().contains("billing.consumer"), "{e}");
    for bad in ["a/b", &"n".repeat(201)] {
        let e = Consumer::open(d.path(), "orders", bad, Start::First)
            .err()
            .unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad}");
    }
    c.next().unwrap().unwrap();
    let e = c.commit_seq(3).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("not returned yet"), "{e}");
    c.commit_seq(0).unwrap();
    assert_eq!(c.committed(), Some(1));
}

#[test]
fn commit_seq_never_moves_a_consumer_back_and_a_seek_then_commit_does() {
    let d = TempDir::new("consumer-commit-seq-back");
    append_orders(d.path(), 20, 7);
    let mut c = Consumer::open(d.path(), "orders", "billing", Start::First).unwrap();
    seqs_of(&mut c, 10);
    c.commit_seq(7).unwrap();
    c.commit_seq(7).unwrap(); // the last commit again: a no-op
    let e = c.commit_seq(3).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let msg = e.to_string();
    for part in ["billing.consumer", "record 3", "records 7 to 9", "seek"] {
        assert!(msg.contains(part), "{part:?} in {msg}");
    }
    drop(c);
    // Reopened at 8: record 5 was never returned by this reader.
    let mut c = Consumer::open(d.path(), "orders", "billing", Start::First).unwrap();
    let e = c.commit_seq(5).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(c.committed(), Some(8));
    // Moving back on purpose: seek the reader there and commit.
    c.reader().seek_seq(2).unwrap();
    c.commit().unwrap();
    assert_eq!(c.committed(), Some(2));
}

#[test]
fn a_damaged_consumer_file_is_a_corrupt_consumer_naming_it() {
    let d = TempDir::new("consumer-damaged");
    append_orders(d.path(), 5, 10);
    std::fs::write(d.join("billing.consumer"), vec![0xa5; 300]).unwrap();
    let e = Consumer::open(d.path(), "orders", "billing", Start::First)
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::CorruptConsumer);
    assert!(e.to_string().contains("billing.consumer"), "{e}");
}

#[test]
fn a_position_whose_records_retention_deleted_resumes_at_the_oldest_left_with_a_gap() {
    let d = TempDir::new("consumer-retention-gap");
    let opts = LogOptions {
        max_segment_records: Some(10),
        background: false,
        retention: Retention {
            max_segments: Some(2),
            ..Retention::default()
        },
        ..LogOptions::default()
    };
    let w = LogWriter::open(d.path(), "orders", opts).unwrap();
    w.write("t", b"0").unwrap();
    w.flush().unwrap();
    let mut c = Consumer::open(d.path(), "orders", "slow", Start::First).unwrap();
    assert_eq!(c.next().unwrap().unwrap().seq, 0);
    c.commit().unwrap();
    drop(c);
    for _ in 1..60 {
        w.write("t", b"x").unwrap();
    }
    w.close().unwrap();
    let mut c = Consumer::open(d.path(), "orders", "slow", Start::First).unwrap();
    let first = c.next().unwrap().unwrap().seq;
    assert!(first > 1, "the oldest records are gone: {first}");
    let gaps = c.reader().gaps().to_vec();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!(gaps[0].reason, binlog::GapReason::Retention);
    assert_eq!((gaps[0].from_seq, gaps[0].to_seq), (Some(1), Some(first)));
}

#[test]
fn retention_waits_for_a_consumer_until_its_bound_then_it_gets_the_gap() {
    let d = TempDir::new("consumer-retention-wait");
    let bound = ConsumerBound {
        max_bytes: None,
        max_age: None,
    };
    let opts = |bound| LogOptions {
        max_segment_records: Some(10),
        background: false,
        retention: Retention {
            max_segments: Some(1),
            wait_for_consumers: Some(bound),
            ..Retention::default()
        },
        ..LogOptions::default()
    };
    let e = LogWriter::open(d.path(), "orders", opts(bound))
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    let bound = ConsumerBound {
        max_bytes: Some(4 * 1024),
        max_age: None,
    };
    let w = LogWriter::open(d.path(), "orders", opts(bound)).unwrap();
    w.write("t", b"0").unwrap();
    w.flush().unwrap();
    let mut c = Consumer::open(d.path(), "orders", "slow", Start::First).unwrap();
    assert_eq!(c.next().unwrap().unwrap().seq, 0);
    c.commit().unwrap();
    // Within the bound: every segment from the consumer's on stays.
    for _ in 1..40 {
        w.write("t", &[7u8; 20]).unwrap();
    }
    w.flush().unwrap();
    let mut first = LogReader::open(d.path(), "orders").unwrap();
    assert_eq!(
        first.next().unwrap().unwrap().seq,
        0,
        "segment 0 kept for it"
    );
    // The consumer commits past segment 0: it goes at the next roll.
    assert_eq!(seqs_of(&mut c, 14).last(), Some(&14));
    c.commit().unwrap();
    for _ in 0..10 {
        w.write("t", &[7u8; 20]).unwrap();
    }
    w.flush().unwrap();
    let mut r = LogReader::open(d.path(), "orders").unwrap();
    assert_eq!(r.next().unwrap().unwrap().seq, 10, "segment 0 went, 1 kept");
    // Far behind: past 4 KiB of segments the consumer is not waited for.
    for _ in 0..400 {
        w.write("t", &[7u8; 20]).unwrap();
    }
    let total: u64 = binlog::list_segments(d.path(), "orders")
        .unwrap()
        .iter()
        .map(|s| s.bytes)
        .sum();
    assert!(total < 4 * 1024 + 2048, "held {total} bytes");
    drop(c);
    let mut c = Consumer::open(d.path(), "orders", "slow", Start::First).unwrap();
    let seq = c.next().unwrap().unwrap().seq;
    assert!(seq > 15, "{seq}");
    assert_eq!(c.reader().gaps()[0].reason, binlog::GapReason::Retention);
    w.close().unwrap();
}

#[test]
fn a_committed_position_resumes_in_the_compressed_segment_its_records_went_to() {
    let d = TempDir::new("consumer-compressed");
    let opts = LogOptions {
        max_segment_records: Some(10),
        background: false,
        compression: Some(Compression::default()),
        ..LogOptions::default()
    };
    let w = LogWriter::open(d.path(), "orders", opts).unwrap();
    w.write("t", b"0").unwrap();
    w.flush().unwrap();
    let mut c = Consumer::open(d.path(), "orders", "c", Start::First).unwrap();
    c.next().unwrap().unwrap();
    c.commit().unwrap();
    drop(c);
    for _ in 1..35 {
        w.write("t", b"x").unwrap();
    }
    w.close().unwrap();
    assert!(d.names().iter().any(|n| n.ends_with(".binlog.zst")));
    let mut c = Consumer::open(d.path(), "orders", "c", Start::First).unwrap();
    assert_eq!(seqs_of(&mut c, 100), (1..35).collect::<Vec<_>>());
    assert!(c.reader().gaps().is_empty());
}

#[test]
fn a_position_token_seeks_a_new_reader_there_and_a_token_of_another_log_is_refused() {
    let d = TempDir::new("consumer-token");
    append_orders(d.path(), 40, 8);
    let mut r = LogReader::open(d.path(), "orders").unwrap();
    for _ in 0..21 {
        r.next().unwrap().unwrap();
    }
    let token = r.position_token().unwrap();
    assert!(token.starts_with("binlog1:orders@21:"), "{token}");
    let mut again = LogReader::open(d.path(), "orders").unwrap();
    again.seek_position(&token).unwrap();
    assert_eq!(again.next().unwrap().unwrap().seq, 21);

    let other = TempDir::new("consumer-token-other");
    let w = LogWriter::open(other.path(), "payments", LogOptions::default()).unwrap();
    w.write("t", b"x").unwrap();
    w.close().unwrap();
    let mut p = LogReader::open(other.path(), "payments").unwrap();
    let e = p.seek_position(&token).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("not in log payments"), "{e}");
    let e = p.seek_position("binlog1:orders@21:00000000").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
}

/// Logs `a` and `b` in `dir`, 10 records each, stamped so that they
/// alternate a0 b0 a1 b1 ... in a merged read.
fn two_timed_logs(dir: &std::path::Path) {
    for log in ["a", "b"] {
        let w = LogWriter::open(dir, log, LogOptions::default()).unwrap();
        for i in 0..10 {
            let ts = 1_000 + i * 10 + (log == "b") as i64;
            let entry = binlog::Entry {
                type_name: "t",
                meta: &[],
                timestamp_ns: Some(ts),
                parts: &[b"x"],
            };
            w.write_batch(&[entry]).unwrap();
        }
        w.close().unwrap();
    }
}

#[test]
fn a_merged_consumer_keeps_one_position_per_log_in_one_commit() {
    let d = TempDir::new("consumer-merged");
    two_timed_logs(d.path());
    let mut c = MergedConsumer::open(d.path(), "*", "m", Start::First).unwrap();
    let mut seen = Vec::new();
    for _ in 0..7 {
        let m = c.next().unwrap().unwrap();
        seen.push(format!("{}{}", m.log, m.record.seq));
    }
    assert_eq!(seen, ["a0", "b0", "a1", "b1", "a2", "b2", "a3"]);
    c.commit().unwrap();
    drop(c);
    let mut c = MergedConsumer::open(d.path(), "*", "m", Start::First).unwrap();
    let m = c.next().unwrap().unwrap();
    assert_eq!((m.log, m.record.seq), ("b", 3));
    let listed = binlog::list_consumers(d.path(), "a").unwrap();
    assert_eq!(listed[0].next_seq, 4);
    assert_eq!(listed[0].lag_records, 6);
}

#[test]
fn a_merged_seek_to_a_token_of_one_log_keeps_the_others_where_they_were() {
    let d = TempDir::new("consumer-merged-seek");
    two_timed_logs(d.path());
    let mut m = binlog::MergedReader::open_dir(d.path(), "*").unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let r = m.next().unwrap().unwrap();
        seen.push(format!("{}{}", r.log, r.record.seq));
    }
    assert_eq!(seen, ["a0", "b0", "a1"]);
    // A token of log a alone, at record 1: b goes on at b1, found and not
    // returned yet.
    let mut a = LogReader::open(d.path(), "a").unwrap();
    a.next().unwrap().unwrap();
    m.seek_position(&a.position_token().unwrap()).unwrap();
    let mut after = Vec::new();
    for _ in 0..4 {
        let r = m.next().unwrap().unwrap();
        after.push(format!("{}{}", r.log, r.record.seq));
    }
    assert_eq!(after, ["a1", "b1", "a2", "b2"]);
}

#[test]
fn consumers_are_listed_with_their_lag_and_removed_once_closed() {
    let d = TempDir::new("consumer-list");
    append_orders(d.path(), 20, 5);
    let mut c = Consumer::open(d.path(), "orders", "billing", Start::First).unwrap();
    seqs_of(&mut c, 5);
    c.commit().unwrap();
    let listed = binlog::list_consumers(d.path(), "orders").unwrap();
    assert_eq!(listed.len(), 1);
    let l = &listed[0];
    assert_eq!(
        (l.name.as_str(), l.next_seq, l.lag_records),
        ("billing", 5, 15)
    );
    assert!(l.lag_bytes > 0 && l.commit_ns > 0);
    let e = binlog::remove_consumer(d.path(), "billing").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Locked);
    drop(c);
    binlog::remove_consumer(d.path(), "billing").unwrap();
    assert!(binlog::list_consumers(d.path(), "orders")
        .unwrap()
        .is_empty());
    let e = binlog::remove_consumer(d.path(), "billing").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[test]
fn a_consumer_follows_a_live_log_across_rolls() {
    let d = TempDir::new("consumer-follow");
    let w = common::open_rolling(d.path(), "orders", 3);
    w.write("t", b"0").unwrap();
    w.flush().unwrap();
    let mut c = Consumer::open(d.path(), "orders", "f", Start::End).unwrap();
    let writer = std::thread::spawn(move || {
        for _ in 0..10 {
            w.write("t", b"x").unwrap();
        }
        w.close().unwrap();
    });
    let mut got = Vec::new();
    while got.len() < 10 {
        if let Some(r) = c.next_wait(Duration::from_secs(5)).unwrap() {
            got.push(r.seq);
        }
    }
    writer.join().unwrap();
    assert_eq!(got, (1..11).collect::<Vec<_>>());
}
