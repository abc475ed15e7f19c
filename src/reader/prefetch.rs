//! A hint to the CPU to start loading bytes the reader will need soon.
//!
//! A read through the per-type index jumps from one record to another tens
//! of KB away: every record is a run of cache misses, and checking its CRC
//! waited on them (the CRC was 40% of a 1% type's read on the benchmark VM,
//! 170 ns for a 600-byte record against about 40 ns in cache). The index
//! says where the next records are, so the reader asks for one of them
//! while it checks the current one.

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
