//! The seal's decoders on hostile bytes: `seal::read_seal` (trailer,
//! SEAL_BEGIN frame, directory), `Trailer::decode`, `SealDirectory::decode`
//! and `SparseEntry::decode`, plus round trips of whatever decodes.
//!
//! The first two input bytes choose `data_start` (where records would start)
//! for `read_seal`/`Trailer::decode`; the whole input is the file. The input
//! is also given to `SealDirectory::decode` as a SEAL_DIR body, with a
//! `dir_offset` taken from the input's length, so the directory decoder is
//! reached without a valid trailer and CRC in front of it.
#![no_main]

use binlog::format::frame::{self, FrameAt, KIND_SEAL_DIR};
use binlog::format::seal::{
    self, SealDirectory, SparseEntry, Trailer, SPARSE_ENTRY_LEN, TRAILER_LEN,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let data_start = match data {
        [a, b, ..] => u16::from_le_bytes([*a, *b]) as usize,
        _ => 0,
    };
    for start in [data_start, 0, 56] {
        if let Some(t) = Trailer::decode(data, start) {
            // What decodes is consistent with the file and re-encodes to the
            // same 32 bytes.
            assert!(t.records_end >= start as u64);
            assert_eq!(
                t.dir_offset + t.dir_len as u64,
                (data.len() - TRAILER_LEN) as u64
            );
            assert_eq!(&t.encode()[..], &data[data.len() - TRAILER_LEN..]);
        }
        if let Some(d) = seal::read_seal(data, start) {
            check_dir(&d, data.len() as u64);
            let t = Trailer::decode(data, start).expect("read_seal implies a trailer");
            // The directory re-encodes to a frame that decodes to itself.
            let mut out = Vec::new();
            let n = d.encode_frame(&mut out);
            let FrameAt::Frame { kind, body, total } = frame::frame_at(&out, 0, true) else {
                panic!("re-encoded directory is not a frame");
            };
            assert_eq!((kind, total), (KIND_SEAL_DIR, n));
            assert_eq!(SealDirectory::decode(body, t.dir_offset).as_ref(), Some(&d));
        }
    }

    // The directory decoder alone, on the input as a body.
    for dir_offset in [data.len() as u64, u64::MAX, data_start as u64 * 1000] {
        if let Some(d) = SealDirectory::decode(data, dir_offset) {
            check_dir(&d, dir_offset);
            let mut out = Vec::new();
            d.encode_frame(&mut out);
            let back = SealDirectory::decode(&out[8..], dir_offset);
            assert_eq!(back.as_ref(), Some(&d), "directory round trip");
        }
    }

    for chunk in data.chunks(SPARSE_ENTRY_LEN) {
        match SparseEntry::decode(chunk) {
            Some(e) => {
                let mut out = Vec::new();
                e.encode(&mut out);
                assert_eq!(out, chunk);
            }
            None => assert!(chunk.len() < SPARSE_ENTRY_LEN),
        }
    }
});

/// What `SealDirectory::decode` promises: every range lies after the
/// SEAL_BEGIN frame and before `dir_offset`, and the counts add up.
fn check_dir(d: &SealDirectory, dir_offset: u64) {
    let lo = d.records_end.saturating_add(seal::SEAL_BEGIN_LEN as u64);
    let sparse_end = d.sparse_offset + d.sparse_count * SPARSE_ENTRY_LEN as u64;
    assert!(d.sparse_offset >= lo && sparse_end <= dir_offset);
    let mut total = 0u64;
    for t in &d.types {
        assert!(t.array_offset >= lo && t.array_offset + t.count * 8 <= dir_offset);
        total += t.count;
    }
    assert_eq!(total, d.record_count);
}
