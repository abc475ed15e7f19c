//! Buffers, jobs and threads for the write-behind thread's unit tests.

use super::super::test_file::TestFile;
use super::WriteBehind;
use crate::format::frame;
use crate::writer::{job::Job, prealloc::Prealloc};

/// A frame of `len` body bytes (`whole_frames_len` reads the length).
pub fn frame(fill: u8, len: usize) -> Vec<u8> {
    let mut v = (len as u32).to_le_bytes().to_vec();
    v.extend_from_slice(&[0; 4]);
    v.resize(crate::format::FRAME_HEADER_LEN + len, fill);
    v
}

/// A thread writing `t`'s file.
pub fn start(t: &TestFile) -> WriteBehind {
    WriteBehind::start(
        t.file.try_clone().unwrap(),
        Prealloc::new(0, 1 << 16, None),
        None,
        super::PAIR_WAIT_MAX,
    )
    .unwrap()
}

pub fn job(buf: &[u8], offset: u64) -> Job {
    Job {
        buf: buf.to_vec(),
        offset,
        split_tail_len: 0,
        split_head: Vec::new(),
        unsealed: 0..0,
        due: None,
        tap: Default::default(),
    }
}

/// `count` records of `payload_len` bytes, their CRCs left for `seal`.
pub fn unsealed_records(first_seq: u64, count: u64, payload_len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for seq in first_seq..first_seq + count {
        let head = frame::RecordHead {
            seq,
            timestamp_ns: seq as i64 * 1000,
            type_id: 0,
            define: None,
            meta: &[],
        };
        frame::encode_unsealed(&mut out, &head, &[&vec![seq as u8; payload_len]]);
    }
    out
}

/// Every frame of `bytes` whole, with a matching CRC.
pub fn assert_all_sealed(bytes: &[u8], what: &str) {
    let mut pos = 0;
    while pos < bytes.len() {
        match frame::frame_at(bytes, pos, true) {
            frame::FrameAt::Frame { total, .. } => pos += total,
            other => panic!("{what}: frame at {pos}: {other:?}"),
        }
    }
}
