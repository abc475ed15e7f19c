//! Reading a compressed segment's type copies (docs/FORMAT.md 17.5): the
//! copy directory, read on the first read that asks for a copy, and the
//! copy frames, each decompressed whole. Every failure names the file and
//! the copy's offset; a reader that meets one reads the main frames
//! instead, and `binlog verify` reports it (`check_type_copies`).

use super::frame_decoder::Frame;
use super::seek_table::{FrameEntry, SideEntry, SKIPPABLE_HEADER_LEN};
use super::source::Source;
use super::type_copies::{
    check_copy_records, CopyBounds, CopyDirectory, COPY_DIRECTORY_MAGIC, COPY_FRAME_MAGIC,
};
use super::CompressedSegment;
use crate::error::{Error, ErrorKind, Result};
use crate::format::seal::{SealDirectory, SparseEntry};
use crate::format::{u32_at, u64_at};

/// What is known of a segment's copy directory.
pub(crate) enum CopyState {
    Unread,
    /// The segment has no copies.
    Absent,
    Read(CopyDirectory),
    /// Damaged, or disagreeing with the seal or the seek table.
    Damaged(Error),
}

impl CompressedSegment {
    /// The copy directory, read and checked on first use: None if the
    /// segment has no copies, the same error at every call if it is
    /// damaged or disagrees with the seal or the seek table.
    pub fn copy_directory(&mut self) -> Result<Option<&CopyDirectory>> {
        if matches!(self.copies, CopyState::Unread) {
            self.copies = match self.read_copy_directory() {
                Ok(Some(d)) => CopyState::Read(d),
                Ok(None) => CopyState::Absent,
                Err(e) => CopyState::Damaged(e),
            };
        }
        match &self.copies {
            CopyState::Unread | CopyState::Absent => Ok(None),
            CopyState::Read(d) => Ok(Some(d)),
            CopyState::Damaged(e) => Err(e.clone()),
        }
    }

    /// The seek table's entries of the copies: the side entries right
    /// before the `SEAL_BEGIN` frame's; the last is the directory.
    pub fn copy_entries(&self) -> &[SideEntry] {
        let records_end = self.seal.records_end;
        match self.table.frame_at(records_end) {
            Some(i) if self.seal.record_count > 0 && self.table.frames[i].offset == records_end => {
                self.table.side_before(i)
            }
            _ => &[],
        }
    }

    fn read_copy_directory(&mut self) -> Result<Option<CopyDirectory>> {
        let Some(&entry) = self.copy_entries().last() else {
            return Ok(None);
        };
        let frames = self.copy_entries().len() - 1;
        let path = self.path.clone();
        let damaged = |what: String| {
            let what = format!("type copy directory: {what}");
            damaged_copy(&path, entry.compressed_offset, what)
        };
        self.skippable_payload(&entry, COPY_DIRECTORY_MAGIC)?;
        let payload = &self.compressed[SKIPPABLE_HEADER_LEN..];
        let directory = CopyDirectory::decode(payload).map_err(damaged)?;
        if directory.frames.len() != frames {
            let listed = directory.frames.len();
            let what = format!("lists {listed} copy frames, the seek table {frames}");
            return Err(damaged(what));
        }
        directory.check(&self.seal).map_err(damaged)?;
        self.copy_sparse = self.sparse_index();
        Ok(Some(directory))
    }

    /// Reads the skippable frame of `entry` into `compressed`; fails
    /// unless it has the magic `magic` and fills the entry exactly.
    fn skippable_payload(&mut self, entry: &SideEntry, magic: u32) -> Result<()> {
        let at = entry.compressed_offset;
        self.compressed.resize(entry.compressed_size as usize, 0);
        self.file
            .read_exact_at(&mut self.compressed, at)
            .map_err(|e| Error::io_at(&self.path, at, "read type copy", e))?;
        let b = &self.compressed;
        let field = |i: usize| b.get(i..i + 4).map(|f| u32_at(f, 0));
        let size = b.len().checked_sub(SKIPPABLE_HEADER_LEN);
        if field(0) != Some(magic) || size.map(|n| n as u32) != field(4) {
            let what = format!(
                "the seek table's entry of {} bytes here is not a skippable frame {magic:#x} of \
                 that size",
                b.len()
            );
            return Err(damaged_copy(&self.path, at, what));
        }
        Ok(())
    }

    /// Copy frame `n` (the directory read) decompressed into `out`: one
    /// zstd frame, its checksum holding, of exactly the directory's length.
    pub fn copy_frame_into(&mut self, n: usize, out: &mut Vec<u8>) -> Result<()> {
        let entry = self.copy_entries()[n];
        let CopyState::Read(directory) = &self.copies else {
            panic!("copy_frame_into before copy_directory");
        };
        let frame = directory.frames[n];
        self.skippable_payload(&entry, COPY_FRAME_MAGIC)?;
        let payload = FrameEntry {
            compressed_offset: entry.compressed_offset + SKIPPABLE_HEADER_LEN as u64,
            compressed_size: entry.compressed_size - SKIPPABLE_HEADER_LEN as u32,
            offset: self.seal.records_end,
            size: frame.len,
        };
        let src = &self.compressed[SKIPPABLE_HEADER_LEN..];
        let decoded = self
            .decoder
            .decode(Frame::new(&self.path, n, payload), src, out);
        decoded.map_err(|e| {
            let (id, why) = (frame.type_id, e.detail());
            let what = format!("type copy frame {n} (type {id}): {why}");
            damaged_copy(&self.path, entry.compressed_offset, what)
        })?;
        self.count((true, out.len()));
        Ok(())
    }

    /// What a reader checks a copy frame's records against.
    pub fn copy_bounds(&self) -> CopyBounds<'_> {
        CopyBounds {
            header_len: self.header_len,
            records_end: self.seal.records_end,
            first_seq: self.seal.first_seq,
            last_seq: self.seal.last_seq,
            sparse: &self.copy_sparse,
        }
    }

    /// The seal's sparse index, if its CRC holds; else none.
    fn sparse_index(&mut self) -> Vec<SparseEntry> {
        let seal = self.seal.clone();
        let read = |at, len| self.read_at(at, len).ok();
        let index = seal.sparse_index(read, |b| crc32fast::hash(b) == seal.sparse_crc);
        index.unwrap_or_default()
    }

    /// Checks every type copy, as `binlog verify` does: the directory, and
    /// each copy frame's records (`check_copy_records`), compared byte for
    /// byte with the records at their offsets in `original`. One error per
    /// damaged copy frame (or for the directory), naming the file and the
    /// copy's offset.
    pub fn check_type_copies(&mut self, original: &dyn Source) -> Vec<Error> {
        let directory = match self.copy_directory() {
            Ok(Some(d)) => d.clone(),
            Ok(None) => return Vec::new(),
            Err(e) => return vec![e],
        };
        let (mut errors, mut bytes) = (Vec::new(), Vec::new());
        let mut offsets: Option<(u32, Vec<u64>)> = None;
        let path = self.path.clone();
        for (n, frame) in directory.frames.iter().enumerate() {
            let at = self.copy_entries()[n].compressed_offset;
            let fail = |what: String| {
                let what = format!("type copy frame {n} (type {}): {what}", frame.type_id);
                damaged_copy(&path, at, what)
            };
            if offsets.as_ref().is_none_or(|(id, _)| *id != frame.type_id) {
                let array = type_offsets(&self.seal, frame.type_id, original);
                offsets = Some((frame.type_id, array.unwrap_or_default()));
            }
            let placed = &offsets.as_ref().expect("read above").1;
            let checked = self.copy_frame_into(n, &mut bytes).and_then(|()| {
                let starts = check_copy_records(&bytes, frame, placed, &self.copy_bounds())
                    .map_err(&fail)?;
                same_as_original(&bytes, &starts, &placed[frame.first as usize..], original)
                    .map_err(&fail)
            });
            errors.extend(checked.err());
        }
        errors
    }
}

/// A damaged type copy (`CorruptFrame`) at `at` of the file at `path`.
fn damaged_copy(path: &std::path::Path, at: u64, what: String) -> Error {
    Error::at(ErrorKind::CorruptFrame, path, at, what)
}

/// Type `id`'s offset array, read from `original` and checked by its CRC.
fn type_offsets(seal: &SealDirectory, id: u32, original: &dyn Source) -> Option<Vec<u64>> {
    let t = seal.types.get(id as usize)?;
    let mut bytes = vec![0u8; usize::try_from(t.count.checked_mul(8)?).ok()?];
    original.read_exact_at(&mut bytes, t.array_offset).ok()?;
    (crc32fast::hash(&bytes) == t.array_crc)
        .then(|| bytes.chunks_exact(8).map(|c| u64_at(c, 0)).collect())
}

/// Whether each record of a copy frame (`bytes`, records at `starts`) is
/// byte for byte the record at its offset (`offsets`) in `original`.
fn same_as_original(
    bytes: &[u8],
    starts: &[u32],
    offsets: &[u64],
    original: &dyn Source,
) -> std::result::Result<(), String> {
    let mut theirs = Vec::new();
    for (j, &start) in starts.iter().enumerate() {
        let end = starts.get(j + 1).map_or(bytes.len(), |&s| s as usize);
        let ours = &bytes[start as usize..end];
        theirs.resize(ours.len(), 0);
        let at = offsets[j];
        let read = original.read_exact_at(&mut theirs, at);
        if read.is_err() || theirs != ours {
            let what = format!("its record {j} differs from the record at offset {at}");
            return Err(what);
        }
    }
    Ok(())
}
