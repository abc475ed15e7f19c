//! Opening a compressed segment's object as a remote reader does (the plan
//! of docs/FORMAT.md for shipped segments): one suffix GET of its last
//! `SUFFIX_BYTES` gives the object's size, the seek table, and the frames
//! holding the sparse index, the seal directory and the trailer, which are
//! decompressed and checked.

use crate::client::Client;
use binlog::compressed::frame_decoder::FrameDecoder;
use binlog::compressed::seek_table::{FrameEntry, SeekTable, FOOTER_LEN};
use binlog::format::seal::{read_directory_from, SealDirectory, SparseEntry, SPARSE_ENTRY_LEN};
use binlog::format::{crc32, MAGIC};
use std::borrow::Cow;
use std::path::Path;

/// Bytes of the open's suffix GET.
pub const SUFFIX_BYTES: u64 = 128 << 10;

pub struct Opened {
    pub table: SeekTable,
    pub seal: SealDirectory,
    pub sparse: Vec<SparseEntry>,
    /// Bytes the GET fetched.
    pub fetched: u64,
    /// Of those, the bytes an open needs: from the frame holding the
    /// sparse index's start to the end.
    pub needed: u64,
}

/// The suffix GET and what it gives.
pub fn open(client: &Client, key: &str) -> Opened {
    let (suffix, size) = client.get_suffix(key, SUFFIX_BYTES);
    let suffix_at = size - suffix.len() as u64;
    let table = seek_table(&suffix, key);
    let (tail_at, tail) = decompress_from(&table, &suffix, suffix_at, key);
    let read = |at: usize, n: usize| {
        let from = at.checked_sub(tail_at as usize)?;
        tail.get(from..from.checked_add(n)?).map(Cow::Borrowed)
    };
    // The header is not fetched: its length bounds the seal from below
    // only, and no seal reaches into the magic number. The SEAL_BEGIN
    // frame lies before the per-type offset arrays, far from the end: the
    // directory (its CRC checked) and the trailer are what the suffix has.
    let seal = read_directory_from(table.original_len() as usize, MAGIC.len(), read)
        .unwrap_or_else(|| panic!("{key}: no seal directory in the last {SUFFIX_BYTES} bytes"));
    let sparse_len = seal.sparse_count as usize * SPARSE_ENTRY_LEN;
    let sparse = read(seal.sparse_offset as usize, sparse_len).unwrap_or_else(|| {
        panic!("{key}: the sparse index is not in the last {SUFFIX_BYTES} bytes")
    });
    assert_eq!(crc32(&sparse), seal.sparse_crc, "{key}: sparse index CRC");
    let sparse: Vec<SparseEntry> = sparse
        .chunks_exact(SPARSE_ENTRY_LEN)
        .map(|e| SparseEntry::decode(e).expect("sparse entry"))
        .collect();
    let needed =
        size - table.frames[table.frame_at(seal.sparse_offset).expect("a frame")].compressed_offset;
    Opened {
        table,
        seal,
        sparse,
        fetched: suffix.len() as u64,
        needed,
    }
}

/// The seek table at the end of `suffix`.
fn seek_table(suffix: &[u8], key: &str) -> SeekTable {
    let footer = &suffix[suffix.len() - FOOTER_LEN..];
    let len = SeekTable::encoded_len(footer)
        .unwrap_or_else(|e| panic!("{key}: no seek table: {e:?}")) as usize;
    SeekTable::decode(&suffix[suffix.len() - len..])
        .unwrap_or_else(|e| panic!("{key}: bad seek table: {e:?}"))
}

/// The original bytes of the frames wholly inside `fetched` (the object's
/// bytes from `fetched_at`): where they start, and them.
fn decompress_from(
    table: &SeekTable,
    fetched: &[u8],
    fetched_at: u64,
    key: &str,
) -> (u64, Vec<u8>) {
    let first = table
        .frames
        .partition_point(|f| f.compressed_offset < fetched_at);
    let frames = &table.frames[first..];
    let at = frames.first().map_or(table.original_len(), |f| f.offset);
    (at, decompress(frames, first, fetched, fetched_at, key))
}

/// Decompresses `frames` (the first being frame `first` of the table),
/// whose compressed bytes `fetched` holds from object offset `fetched_at`.
pub fn decompress(
    frames: &[FrameEntry],
    first: usize,
    fetched: &[u8],
    fetched_at: u64,
    key: &str,
) -> Vec<u8> {
    let mut decoder = FrameDecoder::new();
    let (mut out, mut frame) = (Vec::new(), Vec::new());
    for (i, f) in frames.iter().enumerate() {
        let from = (f.compressed_offset - fetched_at) as usize;
        let src = &fetched[from..from + f.compressed_size as usize];
        decoder
            .decode(Path::new(key), first + i, f, src, &mut frame)
            .unwrap_or_else(|e| panic!("{e}"));
        out.extend_from_slice(&frame);
    }
    out
}
