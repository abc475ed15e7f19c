//! A CPU feature check asked once and kept in one byte: one load and a
//! compare a call (the standard library's cache costs about nine
//! instructions a feature), where a CRC kernel is chosen per record.

use std::sync::atomic::{AtomicU8, Ordering};

const UNKNOWN: u8 = 0;
const PRESENT: u8 = 1;
const ABSENT: u8 = 2;

/// Whether the CPU has some features, once `get` asked `detect`.
pub(super) struct CpuFlag(AtomicU8);

impl CpuFlag {
    pub const fn new() -> CpuFlag {
        CpuFlag(AtomicU8::new(UNKNOWN))
    }

    /// The answer of `detect`, which runs on the first call only.
    #[inline(always)]
    pub fn get(&self, detect: fn() -> bool) -> bool {
        match self.0.load(Ordering::Relaxed) {
            UNKNOWN => self.ask(detect),
            known => known == PRESENT,
        }
    }

    #[cold]
    #[inline(never)]
    fn ask(&self, detect: fn() -> bool) -> bool {
        let present = detect();
        let known = if present { PRESENT } else { ABSENT };
        self.0.store(known, Ordering::Relaxed);
        present
    }
}
