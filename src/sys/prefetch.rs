//! Hints to the CPU to start loading cache lines a reader or a writer will
//! need soon.
//!
//! A read through the per-type index jumps tens of KB from record to
//! record, each a run of cache misses its CRC check waits on
//! (docs/PERFORMANCE.md): the reader asks for the next record's lines while
//! it checks the current one. A writer's buffer lines were last touched on
//! another core (the write-behind thread, the kernel's copy); asking for the
//! next record's lines before the lock's release (a full barrier) lets that
//! wait overlap the return to the caller. And the count of page faults that
//! tells a reader whether reading through the mapping pays.

use crate::sys::{prefetch_into, EVERY_LEVEL, NOT_INTO_L1};

/// Bytes of a record worth prefetching: its first cache lines; the
/// hardware prefetcher follows a longer record on its own.
const MAX: usize = 1024;

/// Asks for the cache lines of (the start of) `bytes`. Only a hint: it
/// never faults, and a line of an unmapped page is just not loaded.
#[inline]
pub fn prefetch(bytes: &[u8]) {
    each_line(bytes, prefetch_into::<EVERY_LEVEL, u8>);
}

/// Asks for the cache lines of (the start of) `bytes`, but not into the
/// first-level cache (`prefetcht2`: where the lines land is the CPU's
/// choice): for records a few reads ahead (see `Reader::prefetch_ahead`).
/// Only a hint, like `prefetch`.
#[inline]
pub fn prefetch_not_l1(bytes: &[u8]) {
    each_line(bytes, prefetch_into::<NOT_INTO_L1, u8>);
}

/// Gives `hint` each cache line of the first `MAX` bytes of `bytes`: one
/// 64-byte piece of them a line, each inside them.
#[inline(always)]
fn each_line<T>(bytes: &[T], mut hint: impl FnMut(&[T])) {
    for line in bytes[..bytes.len().min(MAX)].chunks(64) {
        hint(line);
    }
}

/// The page faults the calling thread (macOS: the process) has taken,
/// minor and major (`getrusage`): a reader counts those of its reads through the mapping
/// (see `reader::filter`). 0 if the call fails.
pub fn thread_page_faults() -> u64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills in the struct it is given, zeroed before.
    unsafe { libc::getrusage(super::backend::THREAD_USAGE, usage.as_mut_ptr()) };
    // SAFETY: zeroed is a valid rusage, and getrusage wrote one or nothing.
    let usage = unsafe { usage.assume_init() };
    (usage.ru_minflt + usage.ru_majflt) as u64
}

/// Asks for the one cache line `ahead` bytes into `buf`'s spare capacity
/// (if it has that much) with intent to write it. After small records:
/// the lines of the next record are the ones the last store already took,
/// but the one a few calls ahead is still on the other core, and asking
/// for it now lets it arrive before those calls' stores wait for it.
#[inline]
pub fn prefetch_write_ahead(buf: &mut Vec<u8>, ahead: usize) {
    if let Some(line) = buf.spare_capacity_mut().get(ahead) {
        crate::sys::prefetch_write(std::slice::from_ref(line));
    }
}

/// Asks for the cache lines of (the start of) `buf`'s spare capacity with
/// intent to write them, so that the stores that fill them do not each
/// wait for the line. Only a hint, like `prefetch`.
#[inline]
pub fn prefetch_write(buf: &mut Vec<u8>, len: usize) {
    let spare = buf.spare_capacity_mut();
    each_line(&spare[..spare.len().min(len)], crate::sys::prefetch_write);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write to a page of fresh memory (allocated, never touched) is a
    /// fault, which the count sees.
    #[test]
    fn the_count_of_page_faults_sees_a_fault() {
        let mut fresh: Vec<u8> = Vec::with_capacity(64 << 20);
        let before = thread_page_faults();
        fresh.spare_capacity_mut()[32 << 20].write(1);
        assert!(thread_page_faults() > before);
    }

    /// The lines hinted for `bytes`, as offsets and lengths in it.
    fn hinted(bytes: &[u8]) -> Vec<(usize, usize)> {
        let mut lines = Vec::new();
        each_line(bytes, |line: &[u8]| {
            lines.push((line.as_ptr() as usize - bytes.as_ptr() as usize, line.len()));
        });
        lines
    }

    /// Each 64-byte line of the first `MAX` bytes is hinted once, in
    /// order, and nothing outside them: a hint past the slice could name
    /// a line of an unmapped page (the end of a segment's mapping).
    #[test]
    fn the_lines_of_the_first_max_bytes_are_hinted_one_each() {
        let bytes = vec![0u8; 2 * MAX + 100];
        for len in [0, 1, 63, 64, 65, 600, MAX - 1, MAX, MAX + 1, 2 * MAX + 100] {
            let covered = len.min(MAX);
            let expected: Vec<(usize, usize)> = (0..covered)
                .step_by(64)
                .map(|at| (at, (covered - at).min(64)))
                .collect();
            assert_eq!(hinted(&bytes[..len]), expected, "{len} bytes");
        }
    }
}
