//! What a frame check found (`FrameCheck`): what every way of reading a
//! frame (the mapping, an unsealed segment's copies, the per-type index, a
//! compressed segment's decompressed bytes) hands to `advance`.

use crate::format::frame::{self, FrameAt, KIND_RECORD, KIND_SEAL_BEGIN};
use crate::format::seal;

/// What a frame check found, owned so the reader may remap afterwards.
pub(super) enum FrameCheck {
    /// A record frame of this many bytes.
    Record(usize),
    /// The frame that begins a seal, and the record count it holds.
    SealBegin(u64),
    /// No valid frame, for this reason.
    Bad(&'static str),
}

/// A frame whose bytes run past the end of those at hand.
pub(super) const INCOMPLETE: FrameCheck = FrameCheck::Bad("frame extends past the end of the data");

impl FrameCheck {
    #[inline(always)]
    pub(super) fn of(f: FrameAt<'_>) -> FrameCheck {
        match f {
            FrameAt::Frame {
                kind: KIND_RECORD,
                total,
                ..
            } => FrameCheck::Record(total),
            FrameAt::Frame {
                kind: KIND_SEAL_BEGIN,
                body,
                total,
            } => match seal::seal_begin_body_count(body, total) {
                Some(count) => FrameCheck::SealBegin(count),
                None => FrameCheck::Bad("malformed seal marker"),
            },
            FrameAt::Frame { .. } => FrameCheck::Bad("unexpected frame kind"),
            FrameAt::Incomplete => INCOMPLETE,
            FrameAt::Invalid(why) => FrameCheck::Bad(why),
        }
    }
}

/// The sequence number of the valid record at `at` in `buf`, if it is one.
pub(super) fn seq_at(buf: &[u8], at: usize) -> Option<u64> {
    match frame::frame_at(buf, at, true) {
        FrameAt::Frame { body, .. } => frame::decode_record(body).map(|r| r.seq),
        _ => None,
    }
}

/// Where valid records resume in `buf` after the bad frame at `at` (see
/// `frame::find_resume`), and the sequence number there.
pub(super) fn resume_in(buf: &[u8], at: usize, expected: u64) -> Option<(usize, u64)> {
    let q = frame::find_resume(buf, at, expected)?;
    let seq = seq_at(buf, q).expect("find_resume returned a valid record");
    Some((q, seq))
}

/// Where valid records resume after a bad frame that starts the `len`
/// bytes `copy` gives (`copy(want, buf)` puts the first `want` of them
/// in `buf`, and says how many there were), and the sequence number
/// there, numbered from `expected` on; with `at_start`, a record may
/// start right at their first byte. The record after a damaged region is
/// usually near: `chunk` bytes are copied first, and more (doubling) only
/// while the bytes copied do not decide where records resume; copying all
/// of them each time would make skipping many regions quadratic.
pub(super) fn resume_in_growing<E>(
    len: usize,
    chunk: usize,
    expected: u64,
    at_start: bool,
    mut copy: impl FnMut(usize, &mut Vec<u8>) -> Result<usize, E>,
) -> Result<Option<(usize, u64)>, E> {
    let mut buf = Vec::new();
    let mut want = len.min(chunk);
    loop {
        let n = copy(want, &mut buf)?;
        let (bytes, more) = (&buf[..n], n == want && want < len);
        if at_start {
            let first = frame::frame_at(bytes, 0, true);
            if matches!(first, FrameAt::Incomplete) && more {
                want = want.saturating_mul(2).min(len);
                continue;
            }
            if let Some(seq) = seq_at(bytes, 0).filter(|&seq| seq >= expected) {
                return Ok(Some((0, seq)));
            }
        }
        if !more {
            return Ok(resume_in(bytes, 0, expected));
        }
        if let Some(q) = frame::find_resume_in_prefix(bytes, len, expected) {
            return Ok(Some((q, seq_at(bytes, q).expect("a valid record"))));
        }
        want = want.saturating_mul(2).min(len);
    }
}
