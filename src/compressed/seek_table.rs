//! The seek table of zstd's Seekable Format (zstd `contrib/seekable_format`,
//! version 0.1.0), encoded and decoded with no I/O. It sits in a skippable
//! frame at the end of the file, so `zstd -d` skips it:
//!
//! ```text
//! u32 SKIPPABLE_MAGIC, u32 frame_size        skippable frame header
//! entries: u32 compressed_size, u32 decompressed_size [, u32 checksum]
//! u32 number_of_frames, u8 descriptor, u32 SEEKABLE_MAGIC   (the footer)
//! ```
//!
//! All little-endian. Bit 7 of the descriptor says whether each entry has a
//! checksum (XXH64's low 32 bits); bits 2-6 are reserved, zero. This writer
//! writes none: each zstd frame carries its own content checksum.
//!
//! An entry of decompressed size 0 (a type copy's skippable frame, see
//! `type_copies`) is kept apart (`SeekTable::side`): the frames, their
//! indices and every read of original bytes are those of a file without.

use crate::format::u32_at;

/// Magic of the skippable frame holding the seek table (the spec's
/// `0x184D2A5E`, one of zstd's sixteen skippable frame magics).
pub const SKIPPABLE_MAGIC: u32 = 0x184D_2A5E;
/// The last four bytes of a seekable zstd file.
pub const SEEKABLE_MAGIC: u32 = 0x8F92_EAB1;
/// Bytes of the footer: number of frames, descriptor, magic.
pub const FOOTER_LEN: usize = 9;
/// Bytes of the skippable frame's header: magic and frame size.
pub const SKIPPABLE_HEADER_LEN: usize = 8;
/// The spec's limit on the number of frames.
pub const MAX_FRAMES: u32 = 0x0800_0000;
/// The spec's limit on one frame's decompressed size (1 GiB).
pub const MAX_FRAME_DECOMPRESSED: u64 = 0x4000_0000;

const CHECKSUM_FLAG: u8 = 0x80;
const RESERVED_BITS: u8 = 0x7c;

/// One frame as the seek table lists it, with its place in both files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameEntry {
    /// Offset of the zstd frame in the compressed file.
    pub compressed_offset: u64,
    pub compressed_size: u32,
    /// Offset of its bytes in the original (decompressed) file.
    pub offset: u64,
    pub size: u32,
}

impl FrameEntry {
    /// One past the frame's last original byte.
    pub fn end(&self) -> u64 {
        self.offset + u64::from(self.size)
    }
}

/// An entry of no original bytes (decompressed size 0), with its place in
/// the compressed file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SideEntry {
    pub compressed_offset: u64,
    pub compressed_size: u32,
    /// How many frames (entries with original bytes) the table lists
    /// before it.
    pub after: usize,
}

impl SideEntry {
    /// One past its last byte in the compressed file.
    pub fn compressed_end(&self) -> u64 {
        self.compressed_offset + u64::from(self.compressed_size)
    }
}

/// The frames of a seekable file, in order, and apart from them the
/// entries that hold no original bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeekTable {
    pub frames: Vec<FrameEntry>,
    pub side: Vec<SideEntry>,
}

/// Why a seek table could not be decoded: `Missing` when the file does
/// not end in a seekable footer, `Bad` when the table is malformed (what
/// is wrong, and the faulty field's offset from the table's end).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableError {
    Missing,
    Bad { at_from_end: u64, what: String },
}

impl SeekTable {
    /// Bytes the original file has: the sum of the frames' sizes.
    pub fn original_len(&self) -> u64 {
        self.frames.last().map_or(0, FrameEntry::end)
    }

    /// Bytes of compressed frames (side entries included) before the
    /// seek table.
    pub fn frames_len(&self) -> u64 {
        let frames = self
            .frames
            .last()
            .map_or(0, |f| f.compressed_offset + u64::from(f.compressed_size));
        frames.max(self.side.last().map_or(0, SideEntry::compressed_end))
    }

    /// Appends a frame of `compressed_size` bytes holding `size` original
    /// bytes after the frames already listed.
    pub fn push(&mut self, compressed_size: u32, size: u32) {
        self.frames.push(FrameEntry {
            compressed_offset: self.frames_len(),
            compressed_size,
            offset: self.original_len(),
            size,
        });
    }

    /// The table of a plain segment of `len` bytes read as stored frames
    /// (`CompressedSegment::open_stored`) of `frame_len` bytes (the last
    /// shorter), at the same offsets in both files.
    pub fn stored(len: u64, frame_len: u32) -> SeekTable {
        let mut t = SeekTable::default();
        while t.original_len() < len {
            let size = (len - t.original_len()).min(u64::from(frame_len)) as u32;
            t.push(size, size);
        }
        t
    }

    /// Appends an entry of `compressed_size` bytes holding no original
    /// bytes after the entries already listed.
    pub fn push_side(&mut self, compressed_size: u32) {
        self.side.push(SideEntry {
            compressed_offset: self.frames_len(),
            compressed_size,
            after: self.frames.len(),
        });
    }

    /// The side entries listed right after frame `index - 1` and before
    /// frame `index`.
    pub fn side_before(&self, index: usize) -> &[SideEntry] {
        let from = self.side.partition_point(|s| s.after < index);
        let to = self.side.partition_point(|s| s.after <= index);
        &self.side[from..to]
    }

    /// The index of the frame holding original offset `offset`, if any.
    pub fn frame_at(&self, offset: u64) -> Option<usize> {
        let i = self.frames.partition_point(|f| f.end() <= offset);
        (i < self.frames.len()).then_some(i)
    }

    /// The whole skippable frame, header to magic (no entry checksums):
    /// the frames and the side entries in file order.
    pub fn encode(&self) -> Vec<u8> {
        let count = self.frames.len() + self.side.len();
        let entries = count * 8;
        let mut out = Vec::with_capacity(SKIPPABLE_HEADER_LEN + entries + FOOTER_LEN);
        out.extend_from_slice(&SKIPPABLE_MAGIC.to_le_bytes());
        out.extend_from_slice(&((entries + FOOTER_LEN) as u32).to_le_bytes());
        let mut side = self.side.iter().peekable();
        for i in 0..=self.frames.len() {
            while let Some(s) = side.next_if(|s| s.after <= i) {
                out.extend_from_slice(&s.compressed_size.to_le_bytes());
                out.extend_from_slice(&0u32.to_le_bytes());
            }
            if let Some(f) = self.frames.get(i) {
                out.extend_from_slice(&f.compressed_size.to_le_bytes());
                out.extend_from_slice(&f.size.to_le_bytes());
            }
        }
        out.extend_from_slice(&(count as u32).to_le_bytes());
        out.push(0);
        out.extend_from_slice(&SEEKABLE_MAGIC.to_le_bytes());
        out
    }

    /// Bytes of the whole skippable frame for a file whose last
    /// `FOOTER_LEN` bytes are `footer`.
    pub fn encoded_len(footer: &[u8]) -> Result<u64, TableError> {
        let (frames, descriptor) = decode_footer(footer)?;
        Ok(SKIPPABLE_HEADER_LEN as u64 + frames * entry_len(descriptor) + FOOTER_LEN as u64)
    }

    /// Decodes the whole skippable frame `table` (`SeekTable::encoded_len`
    /// bytes, from the end of the file). Entry checksums, if present, are
    /// skipped: every frame is checked by its own zstd content checksum.
    pub fn decode(table: &[u8]) -> Result<SeekTable, TableError> {
        // Shorter than a footer: `decode_footer` finds none.
        let footer = &table[table.len().saturating_sub(FOOTER_LEN)..];
        let (count, descriptor) = decode_footer(footer)?;
        let each = entry_len(descriptor) as usize;
        let bad = |at: usize, what: String| TableError::Bad {
            at_from_end: (table.len() - at) as u64,
            what,
        };
        let expected = SKIPPABLE_HEADER_LEN + count as usize * each + FOOTER_LEN;
        if table.len() != expected {
            let len = table.len();
            let what = format!("seek table is {len} bytes, its footer says {expected}");
            return Err(bad(0, what));
        }
        if u32_at(table, 0) != SKIPPABLE_MAGIC {
            let what =
                format!("seek table does not start with the skippable magic {SKIPPABLE_MAGIC:#x}");
            return Err(bad(0, what));
        }
        let frame_size = u32_at(table, 4) as usize;
        if frame_size != table.len() - SKIPPABLE_HEADER_LEN {
            let what = format!(
                "skippable frame size {frame_size} disagrees with the footer's {count} entries"
            );
            return Err(bad(4, what));
        }
        let mut t = SeekTable::default();
        for i in 0..count as usize {
            let at = SKIPPABLE_HEADER_LEN + i * each;
            let (c, d) = (u32_at(table, at), u32_at(table, at + 4));
            if c == 0 || u64::from(d) > MAX_FRAME_DECOMPRESSED {
                let what =
                    format!("seek table entry {i}: compressed size {c}, decompressed size {d}");
                return Err(bad(at, what));
            }
            match d {
                0 => t.push_side(c),
                _ => t.push(c, d),
            }
        }
        Ok(t)
    }
}

/// The number of frames and the descriptor of a footer.
fn decode_footer(footer: &[u8]) -> Result<(u64, u8), TableError> {
    if footer.len() != FOOTER_LEN || u32_at(footer, 5) != SEEKABLE_MAGIC {
        return Err(TableError::Missing);
    }
    let (count, descriptor) = (u32_at(footer, 0), footer[4]);
    let bad = |what: String| TableError::Bad {
        at_from_end: FOOTER_LEN as u64,
        what,
    };
    if descriptor & RESERVED_BITS != 0 {
        let what = format!("seek table descriptor {descriptor:#04x} has reserved bits set");
        return Err(bad(what));
    }
    if count > MAX_FRAMES {
        let what = format!("seek table lists {count} frames, more than the format allows");
        return Err(bad(what));
    }
    Ok((u64::from(count), descriptor))
}

/// Bytes of an entry: 8, and 4 more with a checksum.
fn entry_len(descriptor: u8) -> u64 {
    8 + 4 * u64::from(descriptor & CHECKSUM_FLAG != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> SeekTable {
        let mut t = SeekTable::default();
        t.push(10, 100);
        t.push(20, 300);
        t.push(5, 1);
        t
    }

    #[test]
    fn entries_place_frames_back_to_back_in_both_files() {
        let t = table();
        let places: Vec<_> = t
            .frames
            .iter()
            .map(|f| (f.compressed_offset, f.offset))
            .collect();
        assert_eq!(places, [(0, 0), (10, 100), (30, 400)]);
        assert_eq!((t.original_len(), t.frames_len()), (401, 35));
        assert_eq!(
            [
                t.frame_at(0),
                t.frame_at(99),
                t.frame_at(100),
                t.frame_at(400)
            ],
            [Some(0), Some(0), Some(1), Some(2)]
        );
        assert_eq!(t.frame_at(401), None);
    }

    #[test]
    fn encoding_is_the_spec_layout_and_decodes_back() {
        let t = table();
        let b = t.encode();
        assert_eq!(b.len(), 8 + 3 * 8 + 9);
        assert_eq!(b[0..4], [0x5e, 0x2a, 0x4d, 0x18]);
        assert_eq!(u32_at(&b, 4) as usize, b.len() - 8);
        assert_eq!(b[b.len() - 9..b.len() - 5], 3u32.to_le_bytes());
        assert_eq!(b[b.len() - 5], 0);
        assert_eq!(b[b.len() - 4..], [0xb1, 0xea, 0x92, 0x8f]);
        assert_eq!(
            SeekTable::encoded_len(&b[b.len() - 9..]),
            Ok(b.len() as u64)
        );
        assert_eq!(SeekTable::decode(&b), Ok(t));
    }

    #[test]
    fn entries_of_no_original_bytes_are_kept_apart_and_encode_back_in_place() {
        let mut t = SeekTable::default();
        t.push(10, 100);
        t.push_side(7);
        t.push_side(3);
        t.push(20, 300);
        let places: Vec<_> = t
            .frames
            .iter()
            .map(|f| (f.compressed_offset, f.offset))
            .collect();
        assert_eq!(places, [(0, 0), (20, 100)]);
        assert_eq!(t.side_before(1).len(), 2);
        assert_eq!(t.side_before(1)[1].compressed_offset, 17);
        assert!(t.side_before(0).is_empty() && t.side_before(2).is_empty());
        assert_eq!((t.frames_len(), t.original_len()), (40, 400));
        assert_eq!(t.frame_at(100), Some(1));
        let b = t.encode();
        let sizes: Vec<u32> = (0..4).map(|i| u32_at(&b, 12 + 8 * i)).collect();
        assert_eq!(sizes, [100, 0, 0, 300], "in file order");
        assert_eq!(SeekTable::decode(&b), Ok(t.clone()));
        t.push_side(5);
        assert_eq!(t.frames_len(), 45, "a side entry last");
        assert_eq!(SeekTable::decode(&t.encode()), Ok(t));
    }

    #[test]
    fn entries_with_checksums_are_read() {
        let mut b = SKIPPABLE_MAGIC.to_le_bytes().to_vec();
        b.extend_from_slice(&(12u32 + 9).to_le_bytes());
        for v in [7u32, 70, 0xdead_beef] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&1u32.to_le_bytes());
        b.push(0x80);
        b.extend_from_slice(&SEEKABLE_MAGIC.to_le_bytes());
        let t = SeekTable::decode(&b).expect("decodes");
        assert_eq!((t.frames_len(), t.original_len()), (7, 70));
    }

    #[test]
    fn every_flipped_bit_of_a_table_is_refused_or_changes_nothing_unnoticed() {
        let t = table();
        let b = t.encode();
        for bit in 0..b.len() * 8 {
            let mut g = b.clone();
            g[bit / 8] ^= 1 << (bit % 8);
            let descriptor_unused_bits = bit / 8 == b.len() - 5 && bit % 8 < 2;
            match SeekTable::decode(&g) {
                // The descriptor's two low bits are unused by the spec.
                Ok(same) if descriptor_unused_bits => assert_eq!(same, t),
                // A flip inside a size decodes to other sizes, which the
                // reader checks against the frames and the file's length.
                Ok(other) => {
                    assert!((8..8 + 24).contains(&(bit / 8)), "bit {bit}");
                    assert_ne!(other, t, "bit {bit}");
                }
                Err(_) => assert!(!descriptor_unused_bits, "bit {bit}"),
            }
        }
    }

    #[test]
    fn a_file_without_footer_is_missing_and_a_short_one_too() {
        assert_eq!(SeekTable::decode(b"abc"), Err(TableError::Missing));
        assert_eq!(SeekTable::decode(&[0u8; 40]), Err(TableError::Missing));
        assert_eq!(SeekTable::encoded_len(&[0u8; 9]), Err(TableError::Missing));
    }
}
