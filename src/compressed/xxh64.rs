//! XXH64 (seed 0), the hash whose low 32 bits are a zstd frame's content
//! checksum (RFC 8878, 3.1.1). A frame decompressed in parts has zstd's own
//! check of it turned off (see `FrameStream`); the stream checks it with
//! this once the whole frame is held.

use crate::format::{u32_at, u64_at};

const P1: u64 = 0x9E37_79B1_85EB_CA87;
const P2: u64 = 0xC2B2_AE3D_27D4_EB4F;
const P3: u64 = 0x1656_67B1_9E37_79F9;
const P4: u64 = 0x85EB_CA77_C2B2_AE63;
const P5: u64 = 0x27D4_EB2F_1656_67C5;

fn round(acc: u64, lane: u64) -> u64 {
    acc.wrapping_add(lane.wrapping_mul(P2))
        .rotate_left(31)
        .wrapping_mul(P1)
}

fn merge(acc: u64, lane: u64) -> u64 {
    (acc ^ round(0, lane)).wrapping_mul(P1).wrapping_add(P4)
}

/// XXH64 of `data` with seed 0.
pub fn xxh64(data: &[u8]) -> u64 {
    let stripes = data.chunks_exact(32);
    let rest = stripes.remainder();
    let mut h = if data.len() >= 32 {
        let mut v = [P1.wrapping_add(P2), P2, 0, 0u64.wrapping_sub(P1)];
        for s in stripes {
            for (i, lane) in v.iter_mut().enumerate() {
                *lane = round(*lane, u64_at(s, i * 8));
            }
        }
        let h = v[0]
            .rotate_left(1)
            .wrapping_add(v[1].rotate_left(7))
            .wrapping_add(v[2].rotate_left(12))
            .wrapping_add(v[3].rotate_left(18));
        v.iter().fold(h, |h, &lane| merge(h, lane))
    } else {
        P5
    };
    h = h.wrapping_add(data.len() as u64);
    let words = rest.chunks_exact(8);
    let tail = words.remainder();
    for w in words {
        h = (h ^ round(0, u64_at(w, 0)))
            .rotate_left(27)
            .wrapping_mul(P1)
            .wrapping_add(P4);
    }
    let bytes = match tail.len() >= 4 {
        true => {
            let word = u32_at(tail, 0);
            h = (h ^ u64::from(word).wrapping_mul(P1))
                .rotate_left(23)
                .wrapping_mul(P2)
                .wrapping_add(P3);
            &tail[4..]
        }
        false => tail,
    };
    for &b in bytes {
        h = (h ^ u64::from(b).wrapping_mul(P5))
            .rotate_left(11)
            .wrapping_mul(P1);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(P2);
    h ^= h >> 29;
    h = h.wrapping_mul(P3);
    h ^ (h >> 32)
}

#[cfg(test)]
mod tests {
    use super::xxh64;
    use zstd::zstd_safe::{CCtx, CParameter};

    #[test]
    fn xxh64_of_nothing_is_the_reference_value() {
        assert_eq!(xxh64(b""), 0xEF46_DB37_51D8_E999);
    }

    fn data() -> Vec<u8> {
        (0..1_000_003u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect()
    }

    /// The checksum zstd writes at the end of a frame holding `bytes`.
    fn zstd_checksum(c: &mut CCtx<'_>, bytes: &[u8]) -> u32 {
        let mut frame = Vec::with_capacity(bytes.len() + 1024);
        c.compress2(&mut frame, bytes).unwrap();
        u32::from_le_bytes(frame[frame.len() - 4..].try_into().unwrap())
    }

    fn checksumming() -> CCtx<'static> {
        let mut c = CCtx::create();
        c.set_parameter(CParameter::ChecksumFlag(true)).unwrap();
        c
    }

    /// zstd's checksum of every length up to 300 bytes (each path through
    /// stripes, words, a half word and bytes) and of a frame's worth.
    #[test]
    fn xxh64_s_low_32_bits_are_the_checksum_zstd_writes_in_a_frame() {
        let data = data();
        let mut c = checksumming();
        let lens = (0..300).chain([4_096, 131_073, data.len()]);
        for len in lens {
            let written = zstd_checksum(&mut c, &data[..len]);
            assert_eq!(xxh64(&data[..len]) as u32, written, "{len} bytes");
        }
    }

    /// The same of bytes that start at every offset from an 8-byte
    /// boundary (a frame's bytes need not be aligned).
    #[test]
    fn xxh64_of_bytes_at_any_alignment_is_zstds_checksum() {
        let data = data();
        let mut c = checksumming();
        for from in 1..8 {
            for len in [7, 31, 32, 33, 100, 65_537] {
                let bytes = &data[from..from + len];
                let written = zstd_checksum(&mut c, bytes);
                assert_eq!(xxh64(bytes) as u32, written, "{len} bytes from {from}");
            }
        }
    }
}
