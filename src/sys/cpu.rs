//! Cache-line hints: one instruction each on x86_64; elsewhere none is
//! given (the hardware prefetcher is left to itself). Hints never fault:
//! an address is only a hint, never dereferenced.

// The cache levels a line is loaded into: every level, or all but the
// first (`prefetcht2`, Intel's hint for level 3 and higher; which level
// the line lands in is the CPU's choice), for lines wanted a few records
// ahead (see `Reader::prefetch_ahead`).
#[cfg(target_arch = "x86_64")]
pub use std::arch::x86_64::{_MM_HINT_T0 as EVERY_LEVEL, _MM_HINT_T2 as NOT_INTO_L1};
#[cfg(not(target_arch = "x86_64"))]
pub const EVERY_LEVEL: i32 = 0;
#[cfg(not(target_arch = "x86_64"))]
pub const NOT_INTO_L1: i32 = 0;

/// Asks the CPU to load the cache line holding the start of `line` into
/// the cache levels `HINT` names (`_mm_prefetch`).
#[inline(always)]
pub fn prefetch_into<const HINT: i32, T>(line: &[T]) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of every x86_64 CPU (the build enables it); the
    // pointer is only a hint, never dereferenced.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<HINT>(line.as_ptr().cast())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = line;
}

/// Asks the CPU for the cache line holding the start of `line` with intent
/// to write it (`prefetchw`), so that a store into it does not wait for
/// the line. On an x86-64 CPU without the instruction it is a no-op (its
/// opcode is a NOP there).
#[inline(always)]
pub fn prefetch_write<T>(line: &[T]) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetchw` reads no memory and never faults; the address is
    // only a hint. Not `_mm_prefetch::<_MM_HINT_ET0>`: without the
    // `prfchw` target feature it emits a plain read prefetch, which leaves
    // the line shared and the store waiting.
    unsafe {
        std::arch::asm!("prefetchw [{0}]", in(reg) line.as_ptr(),
            options(nostack, readonly, preserves_flags))
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = line;
}
