//! The layout of a zstd frame's header and blocks (RFC 8878, 3.1.1), read
//! without decompressing: where a frame's blocks end (`frame_walk`), and
//! where the next block ends, so that a stream offers zstd one block at a
//! time and decodes none past the one it wants. Those ends are hints,
//! never trusted: zstd checks the frame, and a wrong hint (a damaged
//! frame) only makes it wait for more input or fail.

/// The end of the next block of the frame `src` after `at` (0, the
/// frame's header first, or a block's end). The last block's end is
/// `src.len()` (the checksum follows it), as is any end past `src`, or of
/// a block this cannot read.
pub fn next_block_end(src: &[u8], at: usize) -> usize {
    let block = match at {
        0 => src.get(4).map(|&d| frame_header_len(d)),
        _ => Some(at),
    };
    let end = block.and_then(|b| {
        let header = src.get(b..b.checked_add(3)?)?;
        let (last, content) = block_header(header.try_into().ok()?)?;
        (!last).then(|| b + 3 + content)
    });
    end.filter(|&end| end < src.len()).unwrap_or(src.len())
}

/// The bit of a frame header's descriptor byte (the frame's fifth) that
/// says the frame ends with a content checksum.
pub const FRAME_CHECKSUM_FLAG: u8 = 0x04;

/// The length of a frame header whose descriptor byte (the frame's fifth)
/// is `d`, its magic number included.
pub fn frame_header_len(d: u8) -> usize {
    let single_segment = d & 0x20 != 0;
    let dictionary_id = [0, 1, 2, 4][usize::from(d & 0x03)];
    let content_size = match d >> 6 {
        0 => usize::from(single_segment),
        1 => 2,
        2 => 4,
        _ => 8,
    };
    4 + 1 + usize::from(!single_segment) + dictionary_id + content_size
}

/// A block's 3-byte header: whether the block is its frame's last, and how
/// many bytes follow the header (`None`: the reserved block type).
pub fn block_header(b: [u8; 3]) -> Option<(bool, usize)> {
    let header = u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16;
    let (last, kind, size) = (header & 1 != 0, (header >> 1) & 3, (header >> 3) as usize);
    let content = match kind {
        0 | 2 => size, // raw, compressed
        1 => 1,        // one byte repeated
        _ => return None,
    };
    Some((last, content))
}

#[cfg(test)]
mod tests {
    use super::*;
    use zstd::zstd_safe::{CCtx, CParameter};

    /// A frame of several blocks of `original`, with its content size and
    /// checksum as the segment's frames have them.
    fn frame(original: &[u8]) -> Vec<u8> {
        let mut c = CCtx::create();
        c.set_parameter(CParameter::ChecksumFlag(true)).unwrap();
        c.set_parameter(CParameter::CompressionLevel(3)).unwrap();
        let mut out = Vec::with_capacity(original.len() + 1024);
        c.compress2(&mut out, original).unwrap();
        out
    }

    #[test]
    fn block_ends_walk_a_frame_to_its_end_and_each_prefix_decodes_whole_blocks() {
        let original: Vec<u8> = (0..700_000u32)
            .flat_map(|i| (i / 5).to_le_bytes())
            .collect();
        let src = frame(&original);
        let mut ends = vec![next_block_end(&src, 0)];
        while *ends.last().unwrap() < src.len() {
            ends.push(next_block_end(&src, *ends.last().unwrap()));
        }
        // 2.8 MB in blocks of at most 128 KiB.
        assert!(ends.len() >= 22, "{} blocks", ends.len());
        assert!(ends.windows(2).all(|w| w[0] < w[1]));
        // Offered up to a block's end, zstd takes all of it and gives back
        // whole blocks: 128 KiB each, but the last.
        let mut d = zstd::zstd_safe::DCtx::create();
        let mut out = Vec::with_capacity(original.len());
        let mut input_pos = 0;
        for (n, &end) in ends.iter().enumerate() {
            let mut input = zstd::zstd_safe::InBuffer::around(&src[..end]);
            input.set_pos(input_pos);
            let mut output = zstd::zstd_safe::OutBuffer::around_pos(&mut out, 0);
            let left = d.decompress_stream(&mut output, &mut input).unwrap();
            input_pos = input.pos();
            assert_eq!(input_pos, end, "block {n} taken whole");
            let made = output.pos();
            out.clear();
            match n + 1 == ends.len() {
                false => assert_eq!(made, 128 << 10, "block {n}"),
                true => assert_eq!(left, 0, "the frame's end and checksum"),
            }
        }
    }

    #[test]
    fn headers_that_cannot_be_read_end_at_the_frame_end() {
        assert_eq!(next_block_end(&[0x28, 0xb5, 0x2f], 0), 3);
        let src = frame(&[7u8; 300_000]);
        assert_eq!(next_block_end(&src, src.len() - 2), src.len());
        let mut reserved = src.clone();
        let first = frame_header_len(src[4]);
        reserved[first] |= 0b110;
        assert_eq!(next_block_end(&reserved, 0), src.len());
    }
}
