//! The verdict on a bad frame with nothing valid after it in an unsealed
//! segment (`torn_tail_at`) when the bytes found bad are cut between the
//! frame's checks and the verdict: a writer recovering the file backs them
//! up and cuts them. The window is too narrow to hit from outside the
//! reader, so the verdict is asked for right after the cut.

use super::test_segments::temp_path;
use super::{Reader, Tail};
use crate::{Options, Writer};

#[test]
fn torn_bytes_cut_before_the_verdict_leave_the_segment_unsealed_there() {
    let seg = temp_path("torn-cut");
    let live = seg.with_file_name("live.binlog");
    let w = Writer::open(&live, Options::default()).unwrap();
    for i in 0..3u8 {
        w.write("t", &[i; 100]).unwrap();
    }
    let at = w.bytes() as usize;
    w.write("t", &[3; 100]).unwrap();
    w.flush().unwrap();
    let image = std::fs::read(&live).unwrap();
    w.close().unwrap();
    std::fs::write(&seg, &image[..at + 60]).unwrap();

    let mut r = Reader::open(&seg).unwrap();
    while r.next().unwrap().is_some() {}
    let torn = Tail::Torn {
        offset: at as u64,
        len: 60,
    };
    assert_eq!(r.tail(), torn);
    let f = std::fs::OpenOptions::new().write(true).open(&seg).unwrap();
    f.set_len(at as u64).unwrap();
    assert_eq!(r.torn_tail_at(at).unwrap(), Tail::Unsealed);
    assert_eq!(r.position(), at as u64);
    std::fs::remove_dir_all(seg.parent().unwrap()).unwrap();
}
