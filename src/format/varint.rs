//! Unsigned LEB128 varints (at most 10 bytes for a u64).

pub const MAX_LEN: usize = 10;

/// Appends `v` to `out`.
#[inline]
pub fn encode(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bytes `encode(v)` would write.
#[inline]
pub fn len(v: u64) -> usize {
    let bits = 64 - (v | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Decodes a varint from the start of `buf`: the value and the bytes used.
/// `None` if `buf` ends first, the encoding is longer than 10 bytes, or the
/// value overflows a u64.
#[inline]
pub fn decode(buf: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for (i, &b) in buf.iter().take(MAX_LEN).enumerate() {
        let part = (b & 0x7f) as u64;
        if i == 9 && part > 1 {
            return None;
        }
        v |= part << (7 * i);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_len() {
        for v in [
            0u64,
            1,
            127,
            128,
            300,
            16383,
            16384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            encode(v, &mut out);
            assert_eq!(out.len(), len(v), "len of {v}");
            assert_eq!(decode(&out), Some((v, out.len())));
        }
    }

    #[test]
    fn rejects_overlong_and_truncated() {
        assert_eq!(decode(&[0x80, 0x80]), None);
        assert_eq!(decode(&[0xff; 11]), None);
        // 10th byte may only carry one bit
        let mut b = [0xffu8; 10];
        b[9] = 0x02;
        assert_eq!(decode(&b), None);
    }
}
