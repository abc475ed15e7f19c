//! CRC-32 (IEEE) of a small input (16 to 127 bytes: a small record's
//! body) with carry-less multiplication, inline in the caller's loop.
//! `crc32fast` computes the same value the same way, but reaches it through
//! a hasher's state, its own feature checks and a kernel built for every
//! length; for a 50-byte body that overhead was about as many instructions
//! as the CRC itself. The constants are those of the reflected IEEE
//! polynomial folded by 128 bits, as in Intel's "Fast CRC Computation for
//! Generic Polynomials Using PCLMULQDQ" (and in `crc32fast`). x86_64
//! only: elsewhere `crc32fast` takes every input.

use super::cpu_flag::CpuFlag;
use std::arch::x86_64 as arch;

/// Inputs longer than this are left to `crc32fast`, whose
/// four-way fold is faster there.
pub const SMALL_MAX: usize = 127;
/// Shorter inputs hold no whole 16-byte block to fold.
pub const SMALL_MIN: usize = 16;

/// The CRC-32 of `bytes` if it is small (`SMALL_MIN..=SMALL_MAX` bytes) and
/// the CPU has carry-less multiplication; `None` otherwise.
#[inline(always)]
pub fn crc32(bytes: &[u8]) -> Option<u32> {
    let small = (SMALL_MIN..=SMALL_MAX).contains(&bytes.len());
    // SAFETY: the features the kernel enables are present (checked
    // first), and it reads only `bytes`.
    (small && has_clmul()).then(|| unsafe { fold_small(bytes) })
}

/// Whether the CPU has what `fold_small` uses (SSE2 is in every x86_64),
/// asked once.
#[inline(always)]
pub(super) fn has_clmul() -> bool {
    static CLMUL: CpuFlag = CpuFlag::new();
    CLMUL.get(|| {
        std::arch::is_x86_feature_detected!("pclmulqdq")
            && std::arch::is_x86_feature_detected!("sse4.1")
            && std::arch::is_x86_feature_detected!("ssse3")
    })
}

/// The key pair (low, high) that folds a 128-bit block forward by 128 bits.
pub(super) const BY_128: (i64, i64) = (0x1751997d0, 0x0ccaa009e);
const K5: i64 = 0x163cd6124;
const P_X: i64 = 0x1DB710641;
const U_PRIME: i64 = 0x1F7011641;

/// The CRC-32 of `data` (`SMALL_MIN..=SMALL_MAX` bytes): its 16-byte blocks
/// folded by 128 bits, the partial last block folded in from a load of the
/// last 16 bytes (so nothing is read outside `data`), then reduced to 32
/// bits (Barrett).
#[inline]
#[target_feature(enable = "pclmulqdq", enable = "sse4.1", enable = "ssse3")]
pub(super) unsafe fn fold_small(data: &[u8]) -> u32 {
    debug_assert!((SMALL_MIN..=SMALL_MAX).contains(&data.len()));
    let first: &[u8; 16] = data[..16].try_into().expect("16 bytes");
    // SAFETY: 16 readable bytes; the load needs no alignment.
    let first = unsafe { arch::_mm_loadu_si128(first.as_ptr().cast()) };
    // The initial CRC state, all ones, goes into the first block.
    let x = arch::_mm_xor_si128(first, arch::_mm_cvtsi32_si128(-1));
    // SAFETY: the features `fold_tail` needs are enabled here.
    unsafe { fold_tail(x, data, 16) }
}

/// The CRC-32 of `data` whose first `at` bytes (at least 16) are folded
/// into `x`: the remaining 16-byte blocks folded in by 128 bits, the
/// partial last block from a load of the last 16 bytes, then reduced to 32
/// bits (Barrett).
#[inline]
#[target_feature(enable = "pclmulqdq", enable = "sse4.1", enable = "ssse3")]
pub(super) unsafe fn fold_tail(mut x: arch::__m128i, data: &[u8], mut at: usize) -> u32 {
    let len = data.len();
    debug_assert!(at >= 16 && at <= len);
    let load = |at: usize| -> arch::__m128i {
        let block: &[u8; 16] = data[at..at + 16].try_into().expect("16 bytes");
        // SAFETY: 16 readable bytes; the load needs no alignment.
        unsafe { arch::_mm_loadu_si128(block.as_ptr().cast()) }
    };
    let k3k4 = arch::_mm_set_epi64x(BY_128.1, BY_128.0);
    while len - at >= 16 {
        x = fold(x, load(at), k3k4);
        at += 16;
    }
    let n = len - at;
    if n > 0 {
        // Shift the `n` bytes the partial block adds in at the top of the
        // accumulator; its low `n` bytes shift out and fold over.
        let seq = arch::_mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let shl = arch::_mm_add_epi8(seq, arch::_mm_set1_epi8(n as i8 - 16));
        let shr = arch::_mm_xor_si128(shl, arch::_mm_set1_epi8(-128));
        let overflow = arch::_mm_shuffle_epi8(x, shl);
        x = arch::_mm_shuffle_epi8(x, shr);
        // The last 16 bytes end with the partial block's `n`; the others
        // were folded already and are masked off.
        let keep = arch::_mm_cmpgt_epi8(seq, arch::_mm_set1_epi8(15 - n as i8));
        let part = arch::_mm_and_si128(load(len - 16), keep);
        x = fold(overflow, arch::_mm_xor_si128(x, part), k3k4);
    }
    // 128 bits to 64, then 64 to 32 (Barrett, bit-reflected).
    let low32 = arch::_mm_set_epi32(0, 0, 0, -1);
    let x = arch::_mm_xor_si128(
        arch::_mm_clmulepi64_si128(x, k3k4, 0x10),
        arch::_mm_srli_si128(x, 8),
    );
    let x = arch::_mm_xor_si128(
        arch::_mm_clmulepi64_si128(
            arch::_mm_and_si128(x, low32),
            arch::_mm_set_epi64x(0, K5),
            0x00,
        ),
        arch::_mm_srli_si128(x, 4),
    );
    let pu = arch::_mm_set_epi64x(U_PRIME, P_X);
    let t1 = arch::_mm_clmulepi64_si128(arch::_mm_and_si128(x, low32), pu, 0x10);
    let t2 = arch::_mm_clmulepi64_si128(arch::_mm_and_si128(t1, low32), pu, 0x00);
    !(arch::_mm_extract_epi32(arch::_mm_xor_si128(x, t2), 1) as u32)
}

/// `a` folded forward by 128 bits onto `b`.
#[inline]
#[target_feature(enable = "pclmulqdq")]
pub(super) fn fold(a: arch::__m128i, b: arch::__m128i, keys: arch::__m128i) -> arch::__m128i {
    let lo = arch::_mm_clmulepi64_si128(a, keys, 0x00);
    let hi = arch::_mm_clmulepi64_si128(a, keys, 0x11);
    arch::_mm_xor_si128(arch::_mm_xor_si128(b, lo), hi)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// `len` bytes that differ at every position (a CRC test's input).
    pub fn varied(len: u32) -> Vec<u8> {
        (0..len)
            .map(|i| (i.wrapping_mul(151) >> 3) as u8 ^ i as u8)
            .collect()
    }

    /// Every small length, over bytes that differ at every position, and
    /// over all-ones and all-zero bytes: the same CRC as `crc32fast`.
    #[test]
    fn small_crc_is_crc32fast_s() {
        for bytes in [varied(300), vec![0xff; 300], vec![0; 300]] {
            for len in 0..=SMALL_MAX + 20 {
                for start in [0, 1, 7] {
                    let input = &bytes[start..start + len];
                    let expected = crc32fast::hash(input);
                    match crc32(input) {
                        Some(crc) => assert_eq!(crc, expected, "length {len}"),
                        None => assert!(
                            !(SMALL_MIN..=SMALL_MAX).contains(&len) || !has_clmul(),
                            "length {len} not computed"
                        ),
                    }
                }
            }
        }
    }
}
