//! Frames whose CRCs the short path checked ahead of the position, several
//! in one pass: each small frame's CRC is a chain of dependent carry-less
//! multiplications, and the independent CRCs of consecutive frames checked
//! in one loop overlap in the processor.
//!
//! A frame is taken as checked only at an offset listed here: whatever moves
//! the position elsewhere finds no entry there. A sealed segment's bytes do
//! not change, so a CRC that held when checked holds.

use crate::format::checked_frames::check_frames;

/// Frames checked in one pass, at most.
const AHEAD: usize = 16;
/// A pass stops after the frame that reaches this many bytes: enough
/// small frames to overlap their CRCs, and no large frame checked long
/// before it is read (the first frame is always checked).
const AHEAD_BYTES: usize = 4096;
/// Bytes after the last frame a pass lists whose lines it asks for.
const PREFETCH: usize = 2048;

/// Offsets of frames whose length fits the records and whose CRC holds,
/// in order, the next one to be read at `offsets[next]`.
#[derive(Default)]
pub(super) struct CheckedAhead {
    offsets: [usize; AHEAD],
    next: usize,
    len: usize,
}

impl CheckedAhead {
    /// Whether the frame at `pos` of `records` has a valid length and CRC,
    /// checking it (and the frames after it, see `fill`) if it is not the
    /// next one listed. Moves past it in the list.
    #[inline(always)]
    pub(super) fn frame_holds(&mut self, records: &[u8], pos: usize) -> bool {
        if !(self.next < self.len && self.offsets[self.next] == pos) {
            self.fill(records, pos);
            if self.len == 0 {
                return false;
            }
        }
        self.next += 1;
        true
    }

    /// Lists the frames from `pos` whose CRCs hold, up to the first that
    /// does not (or does not fit in `records`), `AHEAD` frames, or
    /// `AHEAD_BYTES`.
    #[inline(never)]
    fn fill(&mut self, records: &[u8], pos: usize) {
        self.len = check_frames(records, pos, &mut self.offsets, AHEAD_BYTES);
        self.next = 0;
        // The next pass starts near the last frame listed: the lines of the
        // next `PREFETCH` bytes (and their pages' translations) are asked
        // for now, a pass ahead. Read through a mapping, the scan had waited
        // on those misses more than on anything else.
        if let Some(&last) = self.len.checked_sub(1).and_then(|i| self.offsets.get(i)) {
            for chunk in records[last..records.len().min(last + PREFETCH)].chunks(1024) {
                crate::sys::prefetch::prefetch(chunk);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::frame::{encode_record, RecordHead};
    use crate::format::FRAME_HEADER_LEN;

    fn frames(count: u64, payload_len: usize) -> (Vec<u8>, Vec<usize>) {
        let (mut out, mut starts) = (Vec::new(), Vec::new());
        for seq in 0..count {
            let head = RecordHead {
                seq,
                timestamp_ns: 0,
                type_id: 0,
                define: None,
                meta: &[],
            };
            starts.push(out.len());
            encode_record(&mut out, &head, &[&vec![7u8; payload_len]]);
        }
        (out, starts)
    }

    /// Every intact frame holds, read in order across several passes.
    #[test]
    fn intact_frames_hold_in_order() {
        let (bytes, starts) = frames(40, 32);
        let mut c = CheckedAhead::default();
        for &s in &starts {
            assert!(c.frame_holds(&bytes, s), "frame at {s}");
        }
        assert!(!c.frame_holds(&bytes, bytes.len()));
    }

    /// A frame whose CRC fails does not hold, whether it is met in a pass
    /// begun before it or at it; the frames before it hold.
    #[test]
    fn a_damaged_frame_does_not_hold() {
        let (mut bytes, starts) = frames(10, 32);
        bytes[starts[5] + FRAME_HEADER_LEN + 3] ^= 1;
        let mut c = CheckedAhead::default();
        for &s in &starts[..5] {
            assert!(c.frame_holds(&bytes, s));
        }
        assert!(!c.frame_holds(&bytes, starts[5]));
        assert!(!CheckedAhead::default().frame_holds(&bytes, starts[5]));
        assert!(
            c.frame_holds(&bytes, starts[6]),
            "the frame after it is checked on its own"
        );
    }

    /// A position that is not the next frame listed (a seek, a skip) is
    /// checked afresh: a frame inside another's bytes is not taken as
    /// checked.
    #[test]
    fn a_position_not_listed_is_checked_afresh() {
        let (bytes, starts) = frames(10, 32);
        let mut c = CheckedAhead::default();
        assert!(c.frame_holds(&bytes, starts[0]));
        assert!(!c.frame_holds(&bytes, starts[2] + 1));
        assert!(c.frame_holds(&bytes, starts[7]));
        assert!(c.frame_holds(&bytes, starts[8]));
    }

    /// A frame cut by the end of the records does not hold.
    #[test]
    fn a_frame_past_the_records_does_not_hold() {
        let (bytes, starts) = frames(3, 32);
        let mut c = CheckedAhead::default();
        assert!(c.frame_holds(&bytes[..bytes.len() - 1], starts[1]));
        assert!(!c.frame_holds(&bytes[..bytes.len() - 1], starts[2]));
    }
}
