//! The frames that follow one another from an offset whose lengths fit and
//! whose CRCs hold, checked in one loop (see `reader::crc_ahead`). With
//! carry-less multiplication, the loop is compiled with it: the small-input
//! CRC (`small_crc`) is inlined, its constants loaded once a loop.

use super::{crc32, FRAME_HEADER_LEN};

/// Lists in `offsets` the frames of `records` from `from` whose length fits
/// and whose CRC holds, up to the first that does not, as many as `offsets`
/// holds, or the frame that reaches `max_bytes` past `from`; how many.
pub fn check_frames(records: &[u8], from: usize, offsets: &mut [usize], max_bytes: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    if super::small_crc::has_clmul() {
        // SAFETY: the features the loop is compiled with are present.
        return unsafe { check_frames_clmul(records, from, offsets, max_bytes) };
    }
    check_frames_with(records, from, offsets, max_bytes, crc32)
}

/// `check_frames` compiled with carry-less multiplication.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "pclmulqdq", enable = "sse4.1", enable = "ssse3")]
unsafe fn check_frames_clmul(
    records: &[u8],
    from: usize,
    offsets: &mut [usize],
    max_bytes: usize,
) -> usize {
    use super::small_crc::{fold_small, SMALL_MAX, SMALL_MIN};
    check_frames_with(records, from, offsets, max_bytes, |body| {
        if (SMALL_MIN..=SMALL_MAX).contains(&body.len()) {
            // SAFETY: this function's features are the kernel's.
            unsafe { fold_small(body) }
        } else {
            super::crc32_any(body)
        }
    })
}

#[inline(always)]
fn check_frames_with(
    records: &[u8],
    from: usize,
    offsets: &mut [usize],
    max_bytes: usize,
    crc: impl Fn(&[u8]) -> u32,
) -> usize {
    let (mut at, mut n) = (from, 0);
    while n < offsets.len() && at - from < max_bytes {
        let Some(len) = frame_len_at(records, at) else {
            break;
        };
        let start = at + FRAME_HEADER_LEN;
        let stored = super::u32_at(records, at + 4);
        if crc(&records[start..start + len]) != stored {
            break;
        }
        offsets[n] = at;
        n += 1;
        at = start + len;
    }
    n
}

/// The body length of the frame at `at` of `records`, if its header and
/// body fit there and the body is not empty.
#[inline(always)]
fn frame_len_at(records: &[u8], at: usize) -> Option<usize> {
    let head = records.get(at..at.checked_add(FRAME_HEADER_LEN)?)?;
    let len = super::u32_at(head, 0) as usize;
    let end = (at + FRAME_HEADER_LEN).checked_add(len)?;
    (len > 0 && end <= records.len()).then_some(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::frame::{encode_record, RecordHead};

    /// Bodies of every size class (below, inside and above the small
    /// CRC's range) are checked: intact ones hold, and the list stops at
    /// the first whose CRC fails.
    #[test]
    fn frames_of_every_size_are_checked() {
        let mut bytes = vec![0u8; 16];
        let mut starts = Vec::new();
        for (seq, size) in [0usize, 5, 32, 109, 110, 600, 70_000, 3]
            .into_iter()
            .enumerate()
        {
            let head = RecordHead {
                seq: seq as u64,
                timestamp_ns: 0,
                type_id: 0,
                define: None,
                meta: &[],
            };
            starts.push(bytes.len());
            encode_record(&mut bytes, &head, &[&vec![seq as u8; size]]);
        }
        let mut offsets = [0usize; 16];
        let n = check_frames(&bytes, starts[0], &mut offsets, usize::MAX);
        assert_eq!(&offsets[..n], &starts[..]);
        for damaged in 0..starts.len() {
            let mut copy = bytes.clone();
            let last = copy.len() - 1;
            let at = starts.get(damaged + 1).map_or(last, |next| next - 1);
            copy[at] ^= 0x40;
            let n = check_frames(&copy, starts[0], &mut offsets, usize::MAX);
            assert_eq!(
                &offsets[..n],
                &starts[..damaged],
                "damage in frame {damaged}"
            );
        }
        assert_eq!(
            check_frames(&bytes, starts[0], &mut offsets[..3], usize::MAX),
            3
        );
        assert_eq!(check_frames(&bytes, starts[0], &mut offsets, 1), 1);
    }
}
