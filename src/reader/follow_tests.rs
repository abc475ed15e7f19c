//! `next_wait`'s wait state across calls: a follower that found a record
//! at its first look is active again, and its next wait polls first
//! (blocking at once, as if still idle since its last timeout, it would see
//! the writer's next record only when the notifier or the recheck woke it).

use super::test_segments::temp_path;
use super::Reader;
use crate::{Options, Writer};
use std::time::{Duration, Instant};

#[test]
fn a_follower_that_found_a_record_polls_first() {
    let seg = temp_path("found-polls");
    let w = Writer::open(&seg, Options::default()).unwrap();
    w.write("t", b"0").unwrap();
    w.flush().unwrap();
    let mut r = Reader::open(&seg).unwrap();
    assert!(r.next_wait(Duration::from_secs(30)).unwrap().is_some());
    assert!(r.follow.polls_first(Instant::now()));
    // A whole call (60 ms, longer than the quiet time) without a change.
    assert!(r.next_wait(Duration::from_millis(60)).unwrap().is_none());
    assert!(!r.follow.polls_first(Instant::now()), "quiet");
    w.write("t", b"1").unwrap();
    w.flush().unwrap();
    // Found at the first look, before any wait.
    assert!(r.next_wait(Duration::from_secs(30)).unwrap().is_some());
    assert!(r.follow.polls_first(Instant::now()), "active again");
}
