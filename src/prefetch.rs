//! Hints to the CPU to start loading cache lines a reader or a writer will
//! need soon.
//!
//! A read through the per-type index jumps from one record to another tens
//! of KB away: every record is a run of cache misses, and checking its CRC
//! waited on them (the CRC was 40% of a 1% type's read on the benchmark VM,
//! 170 ns for a 600-byte record against about 40 ns in cache). The index
//! says where the next records are, so the reader asks for one of them
//! while it checks the current one.
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
    #[cfg(target_arch = "x86_64")]
    for line in bytes[..bytes.len().min(MAX)].chunks(64) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE is part of every x86_64 CPU (the build enables it);
        // the pointer is only a hint, never dereferenced.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}

/// Asks for the one cache line `ahead` bytes into `buf`'s spare capacity
/// (if it has that much) with intent to write it. After small records:
/// the lines of the next record are the ones the last store already took,
/// but the one a few calls ahead is still on the other core, and asking
/// for it now lets it arrive before those calls' stores wait for it.
#[inline]
pub fn prefetch_write_ahead(buf: &mut Vec<u8>, ahead: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(line) = buf.spare_capacity_mut().get(ahead) {
        // SAFETY: as in `prefetch_write`: the address is only a hint.
        unsafe {
            std::arch::asm!("prefetchw [{0}]", in(reg) line.as_ptr(),
                options(nostack, readonly, preserves_flags))
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (buf, ahead);
}

/// Asks for the cache lines of (the start of) `buf`'s spare capacity with
/// intent to write them (`prefetchw`), so that the stores that fill them
/// do not each wait for the line. Only a hint, like `prefetch`: on an x86-64
/// CPU without the instruction it is a no-op (its opcode is a NOP there).
#[inline]
pub fn prefetch_write(buf: &mut Vec<u8>, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        let spare = buf.spare_capacity_mut();
        for line in spare[..spare.len().min(len).min(MAX)].chunks(64) {
            // SAFETY: `prefetchw` reads no memory and never faults; the
            // address is only a hint. Not `_mm_prefetch::<_MM_HINT_ET0>`:
            // without the `prfchw` target feature it emits a plain read
            // prefetch, which leaves the line shared and the store waiting.
            unsafe {
                std::arch::asm!("prefetchw [{0}]", in(reg) line.as_ptr(),
                    options(nostack, readonly, preserves_flags))
            };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (buf, len);
}
