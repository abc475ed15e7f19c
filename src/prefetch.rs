//! Hints to the CPU to start loading cache lines a reader or a writer will
//! need soon.
//!
//! A read through the per-type index jumps from one record to another tens
//! of KB away: every record is a run of cache misses, and checking its CRC
//! waited on them (a CRC that is cheap over bytes in cache became a large
//! part of each such read: docs/PERFORMANCE.md). The index says where the
//! next records are, so the reader asks for one of them while it checks the
//! current one.
//!
//! A writer copies each record into its buffer, whose lines were last read
//! on the other core (the write-behind thread's CRC and the kernel's copy):
//! every store first has to take its line back. A call that appends one
//! record ends by releasing the writer's lock, a full barrier that waits
//! for all those stores; asking for the lines of the next record before it
//! lets that wait overlap the return to the caller and its next call.

/// Bytes of a record worth prefetching: its first cache lines; the
/// hardware prefetcher follows a longer record on its own.
const MAX: usize = 1024;

/// Asks for the cache lines of (the start of) `bytes`. Only a hint: it
/// never faults, and a line of an unmapped page is just not loaded.
#[inline]
pub fn prefetch(bytes: &[u8]) {
    each_line(bytes, crate::sys::prefetch_read);
}

/// Asks for the cache lines of (the start of) `bytes`, but not into the
/// first-level cache (`prefetcht2`: where the lines land is the CPU's
/// choice): for records a few reads ahead (see `Reader::prefetch_ahead`).
/// Only a hint, like `prefetch`.
#[inline]
pub fn prefetch_not_l1(bytes: &[u8]) {
    each_line(bytes, crate::sys::prefetch_read_not_l1);
}

/// Gives `hint` each cache line of the first `MAX` bytes of `bytes`.
#[inline(always)]
fn each_line(bytes: &[u8], hint: impl Fn(&[u8])) {
    for line in bytes[..bytes.len().min(MAX)].chunks(64) {
        hint(line);
    }
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
    for line in spare[..spare.len().min(len).min(MAX)].chunks(64) {
        crate::sys::prefetch_write(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hints ask only for lines of the bytes given: the last bytes of
    /// a page followed by one that cannot be read (as the end of a
    /// segment's mapping can be) are hinted without a fault, and so are
    /// none.
    #[test]
    fn hints_at_the_end_of_readable_memory_do_not_fault() {
        let mut guarded = crate::guarded_page::GuardedPage::new();
        let first = guarded.bytes();
        let page = first.len();
        first.fill(7);
        for tail in [0, 1, 63, 65, 600, page] {
            prefetch(&first[page - tail..]);
            prefetch_not_l1(&first[page - tail..]);
        }
        assert!(first.iter().all(|&b| b == 7));
    }
}
