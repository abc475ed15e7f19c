//! The on-disk format (specified in docs/FORMAT.md): byte-level encoding and
//! decoding, with no I/O. Everything is little-endian; every length read from
//! a file is checked against the bytes actually present before it is used, so
//! a hostile length never drives an allocation.

// The modules marked `allow(missing_docs)` are internal: outside the crate
// only with the feature `internals`, so not held to the lint.
pub mod chain;
#[allow(missing_docs)]
pub mod checked_frames;
#[cfg(target_arch = "x86_64")]
mod cpu_flag;
#[allow(missing_docs)]
pub mod cursor;
#[allow(missing_docs)]
pub mod frame;
pub mod header;
#[allow(missing_docs)]
pub mod naming;
pub mod schema;
#[allow(missing_docs)]
pub mod seal;
#[cfg(target_arch = "x86_64")]
mod small_crc;
/// No small-input kernel but on x86_64.
#[cfg(not(target_arch = "x86_64"))]
mod small_crc {
    pub fn crc32(_: &[u8]) -> Option<u32> {
        None
    }
}
#[allow(missing_docs)]
pub mod varint;
#[cfg(all(binlog_wide_crc, target_arch = "x86_64"))]
mod wide_crc;

/// The first eight bytes of every segment. Like PNG's signature: the high
/// byte catches 7-bit transfers, CR LF catches line-ending conversion, ^Z
/// stops `type` on DOS, and the final LF catches the reverse conversion.
pub const MAGIC: [u8; 8] = [0x89, b'B', b'L', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Major version: a reader rejects any other major.
pub const FORMAT_MAJOR: u16 = 1;
/// Minor version: a reader accepts every minor of its major; minors only add
/// fields that older readers can skip. 1.1 adds type schemas; 1.2 a
/// chain block in the seal (a signed segment). A header is written with
/// the lowest minor that says what its segment holds.
pub const FORMAT_MINOR: u16 = 2;
/// The minor of a header with type schemas, of an unsigned segment.
pub const FORMAT_MINOR_SCHEMAS: u16 = 1;

/// Bytes before a frame's body: u32 body length, u32 CRC-32 of the body.
pub const FRAME_HEADER_LEN: usize = 8;

/// The largest frame body the format can express (the length is a u32).
pub const MAX_BODY_LEN: u64 = u32::MAX as u64;

/// Headers larger than this are refused as corrupt (a hostile length must not
/// make a reader map or allocate gigabytes).
pub const MAX_HEADER_LEN: u32 = 1 << 20;

/// Longest type name, in bytes of UTF-8.
pub const MAX_TYPE_NAME_LEN: usize = 4096;

/// Lowercase hex digits of `bytes` (digests and keys in text files and
/// object metadata).
#[cfg(any(feature = "s3", feature = "sign"))]
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The N bytes that 2N hex digits `text` spell; `None` if it is not that.
#[cfg(any(feature = "s3", feature = "sign"))]
pub(crate) fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    (digits.len() == 2 * N).then_some(())?;
    let val = |c: u8| (c as char).to_digit(16).map(|v| v as u8);
    let mut out = [0u8; N];
    for (o, pair) in out.iter_mut().zip(digits.chunks(2)) {
        *o = val(pair[0])? << 4 | val(pair[1])?;
    }
    Some(out)
}

/// The little-endian u32 at `at` of `b` (which holds it).
#[inline(always)]
pub(crate) fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// The little-endian u64 at `at` of `b` (which holds it).
#[inline(always)]
pub(crate) fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

static CRC_PROTOTYPE: std::sync::OnceLock<crc32fast::Hasher> = std::sync::OnceLock::new();

/// CRC-32 (IEEE) of `bytes`: a small record's body inline (`small_crc`),
/// anything else with `crc32fast`. `crc32fast::hash` detects CPU features
/// on every call, which costs as much as hashing a small record; cloning a
/// hasher made once keeps the detected implementation.
#[inline(always)]
pub fn crc32(bytes: &[u8]) -> u32 {
    small_crc::crc32(bytes).unwrap_or_else(|| crc32_any(bytes))
}

/// `crc32` of a frame body the writer seals: bodies from 256 bytes folded
/// 64 bytes per instruction where the CPU has 512-bit carry-less
/// multiplication (`wide_crc`; `crc32fast` folds 16). The writer's CRCs
/// are on its busiest thread; readers keep `crc32`, as their scans wait on
/// memory and were slower with it (docs/PERFORMANCE.md).
#[inline(always)]
pub fn crc32_sealing(bytes: &[u8]) -> u32 {
    if let Some(crc) = small_crc::crc32(bytes) {
        return crc;
    }
    #[cfg(all(binlog_wide_crc, target_arch = "x86_64"))]
    if let Some(crc) = wide_crc::crc32(bytes) {
        return crc;
    }
    crc32_any(bytes)
}

/// `crc32` with `crc32fast`, out of line: the callers inline only the
/// small-input dispatch.
#[inline(never)]
pub(crate) fn crc32_any(bytes: &[u8]) -> u32 {
    let mut h = CRC_PROTOTYPE.get_or_init(crc32fast::Hasher::new).clone();
    h.update(bytes);
    h.finalize()
}

#[cfg(test)]
mod tests {
    /// Every length from the empty input past the wide fold's start, at
    /// every alignment within a cache line: the writer's `crc32_sealing`
    /// and the readers' `crc32`, whichever kernel they pick, give
    /// `crc32fast`'s CRC.
    #[test]
    fn crcs_of_every_length_and_alignment_are_crc32fast_s() {
        let bytes: Vec<u8> = (0..700u32)
            .map(|i| (i.wrapping_mul(151) >> 3) as u8 ^ i as u8)
            .collect();
        for start in 0..64 {
            for len in 0..=600 {
                let input = &bytes[start..start + len];
                let expected = crc32fast::hash(input);
                assert_eq!(super::crc32(input), expected, "length {len} at {start}");
                let sealing = super::crc32_sealing(input);
                assert_eq!(sealing, expected, "sealing length {len} at {start}");
            }
        }
    }
}
