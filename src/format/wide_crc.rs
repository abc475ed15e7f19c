//! CRC-32 (IEEE) of a longer input (from 256 bytes: a 600-byte record's
//! body, a whole buffer) with 512-bit carry-less multiplication
//! (VPCLMULQDQ, AVX-512): four 64-byte lanes folded at once, then the
//! 128-bit tail of `small_crc`. `crc32fast` folds 16 bytes per
//! instruction; this folds 64. Same constants scheme as `small_crc`: the
//! key pair that folds a 128-bit block forward by `D` bits is
//! `(x^(D+32), x^(D-32)) mod P`, bit-reflected and shifted left by one.
//!
//! Built only for x86_64, by Rust 1.89 or later (`binlog_wide_crc`, set by
//! build.rs), where these intrinsics are stable: hence the MSRV lint is
//! off here.
#![allow(clippy::incompatible_msrv)]

use super::cpu_flag::CpuFlag;
use super::small_crc::{fold, fold_tail, BY_128};
use std::arch::x86_64 as arch;

/// Shorter inputs are left to `small_crc` and `crc32fast`: four 64-byte
/// lanes need 256 bytes to start.
pub const WIDE_MIN: usize = 256;

/// The CRC-32 of `bytes` if it is at least [`WIDE_MIN`] bytes long and the
/// CPU has 512-bit carry-less multiplication; `None` otherwise.
#[inline(always)]
pub fn crc32(bytes: &[u8]) -> Option<u32> {
    // SAFETY: the features the kernel enables are present (checked
    // first), and it reads only `bytes`.
    (bytes.len() >= WIDE_MIN && has_wide_clmul()).then(|| unsafe { fold_wide(bytes) })
}

/// Whether the CPU has what `fold_wide` uses, asked once.
#[inline(always)]
fn has_wide_clmul() -> bool {
    static WIDE: CpuFlag = CpuFlag::new();
    WIDE.get(|| {
        std::arch::is_x86_feature_detected!("vpclmulqdq")
            && std::arch::is_x86_feature_detected!("avx512f")
            && super::small_crc::has_clmul()
    })
}

/// Key pairs (low, high) folding a 128-bit block forward by 2048 bits (four
/// lanes of 512), 512, 384 and 256 bits.
const BY_2048: (i64, i64) = (0x11542778a, 0x1322d1430);
const BY_512: (i64, i64) = (0x154442bd4, 0x1c6e41596);
const BY_384: (i64, i64) = (0x3db1ecdc, 0x174359406);
const BY_256: (i64, i64) = (0xf1da05aa, 0x15a546366);

/// The CRC-32 of `data` (at least [`WIDE_MIN`] bytes): 256-byte blocks
/// folded into four 512-bit accumulators, those folded into one, further
/// 64-byte blocks into it, its four 128-bit lanes into one, and the rest
/// (under 64 bytes) by `small_crc::fold_tail`.
#[target_feature(enable = "avx512f", enable = "vpclmulqdq")]
#[target_feature(enable = "pclmulqdq", enable = "sse4.1", enable = "ssse3")]
unsafe fn fold_wide(data: &[u8]) -> u32 {
    let len = data.len();
    debug_assert!(len >= WIDE_MIN);
    let load = |at: usize| -> arch::__m512i {
        let block: &[u8; 64] = data[at..at + 64].try_into().expect("64 bytes");
        // SAFETY: 64 readable bytes; the load needs no alignment.
        unsafe { arch::_mm512_loadu_si512(block.as_ptr().cast()) }
    };
    let keys = |(lo, hi): (i64, i64)| arch::_mm512_broadcast_i32x4(arch::_mm_set_epi64x(hi, lo));
    let mut x = [0, 64, 128, 192].map(load);
    // The initial CRC state, all ones, goes into the first block.
    let ones = arch::_mm512_castsi128_si512(arch::_mm_cvtsi32_si128(-1));
    x[0] = arch::_mm512_xor_si512(x[0], ones);
    let mut at = 256;
    let by_2048 = keys(BY_2048);
    while len - at >= 256 {
        for (i, lane) in x.iter_mut().enumerate() {
            *lane = fold512(*lane, load(at + 64 * i), by_2048);
        }
        at += 256;
    }
    let by_512 = keys(BY_512);
    let mut y = fold512(x[0], x[1], by_512);
    y = fold512(y, x[2], by_512);
    y = fold512(y, x[3], by_512);
    while len - at >= 64 {
        y = fold512(y, load(at), by_512);
        at += 64;
    }
    // The four 128-bit lanes, forward by 384, 256 and 128 bits onto the last.
    use arch::_mm512_extracti32x4_epi32 as lane;
    let key128 = |(lo, hi): (i64, i64)| arch::_mm_set_epi64x(hi, lo);
    let mut r = fold(lane::<0>(y), lane::<3>(y), key128(BY_384));
    r = fold(lane::<1>(y), r, key128(BY_256));
    r = fold(lane::<2>(y), r, key128(BY_128));
    // SAFETY: the features `fold_tail` needs are enabled here; `at` is at
    // least 16 (its partial block reads the 16 bytes before the end).
    unsafe { fold_tail(r, data, at) }
}

/// `a` folded forward onto `b`, lane by lane, with `keys`.
#[inline]
#[target_feature(enable = "avx512f", enable = "vpclmulqdq")]
fn fold512(a: arch::__m512i, b: arch::__m512i, keys: arch::__m512i) -> arch::__m512i {
    let lo = arch::_mm512_clmulepi64_epi128(a, keys, 0x00);
    let hi = arch::_mm512_clmulepi64_epi128(a, keys, 0x11);
    // a ^ b ^ c in one instruction.
    arch::_mm512_ternarylogic_epi64(b, lo, hi, 0x96)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lengths around every fold boundary, over bytes that differ at every
    /// position, all ones and all zeros, at several alignments: the same
    /// CRC as `crc32fast`.
    #[test]
    fn wide_crc_is_crc32fast_s() {
        let varied = super::super::small_crc::tests::varied(5000);
        let lengths = (WIDE_MIN - 2..=1100).chain([2047, 2048, 2049, 4096, 4900]);
        for bytes in [varied, vec![0xff; 5000], vec![0; 5000]] {
            for len in lengths.clone() {
                for start in [0, 1, 7, 63] {
                    let input = &bytes[start..start + len];
                    let expected = crc32fast::hash(input);
                    match crc32(input) {
                        Some(crc) => assert_eq!(crc, expected, "length {len} at {start}"),
                        None => assert!(
                            len < WIDE_MIN || !has_wide_clmul(),
                            "length {len} not computed"
                        ),
                    }
                }
            }
        }
    }
    /// Inputs as long as records get (a 1 MiB body, the default
    /// `max_record_size` of 64 MiB), at unaligned starts as a reader's
    /// slice of a mapping has them, and the empty input: the same CRC as
    /// `crc32fast`, or left to it.
    #[test]
    fn wide_crc_of_record_sized_inputs_is_crc32fast_s() {
        // The default `max_record_size`, written out: the format does not
        // depend on the writer's options.
        let max: usize = 64 << 20;
        let bytes = super::super::small_crc::tests::varied(max as u32 + 64);
        for len in [(1 << 20) - 1, 1 << 20, (1 << 20) + 255, max] {
            for start in [0, 3, 64 - 5] {
                let input = &bytes[start..start + len];
                if let Some(crc) = crc32(input) {
                    assert_eq!(crc, crc32fast::hash(input), "length {len} at {start}");
                } else {
                    assert!(!has_wide_clmul(), "length {len} not computed");
                }
            }
        }
        assert_eq!(crc32(&[]), None);
    }

    /// A body that ends exactly where readable memory does, an unreadable
    /// page after it (as at a mapping's end): the fold reads nothing past
    /// the slice (a read there would fault), at every length from
    /// [`WIDE_MIN`] to a page.
    #[test]
    fn wide_crc_reads_nothing_past_a_mapping_s_end() {
        let mut guarded = crate::sys::guarded_page::GuardedPage::new();
        let map = guarded.bytes();
        let page = map.len();
        let bytes = super::super::small_crc::tests::varied(page as u32);
        map.copy_from_slice(&bytes);
        for len in WIDE_MIN..=page {
            let input = &map[page - len..];
            let expected = crc32fast::hash(&bytes[page - len..]);
            match crc32(input) {
                Some(crc) => assert_eq!(crc, expected, "length {len} at the end"),
                None => assert!(!has_wide_clmul(), "length {len} not computed"),
            }
        }
    }
}
