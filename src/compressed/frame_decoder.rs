//! Decompresses one frame of a compressed segment and checks it against
//! its seek table entry: exactly one zstd frame, decompressing (its
//! checksum holding) to exactly the size the table says. Each failure has
//! its own kind, with the file and the frame's offset in it.

use super::seek_table::FrameEntry;
use crate::error::{Error, ErrorKind, Result};
use std::io;
use std::path::Path;
use zstd::zstd_safe::{self, DCtx};

/// The first four bytes of every zstd frame (`0xFD2FB528`, little-endian).
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Whether `file` starts with a zstd frame: a compressed segment (readers
/// tell it from a plain one by this, not by its name).
pub fn starts_with_zstd_frame(file: &std::fs::File) -> bool {
    use std::os::unix::fs::FileExt;
    let mut start = [0u8; 4];
    file.read_exact_at(&mut start, 0).is_ok() && start == ZSTD_MAGIC
}

#[derive(Default)]
pub struct FrameDecoder {
    dctx: DCtx<'static>,
}

impl FrameDecoder {
    /// Decompresses `frame`, whose compressed bytes are `src`, into `out`
    /// (cleared first).
    pub fn decode(&mut self, frame: Frame, src: &[u8], out: &mut Vec<u8>) -> Result<()> {
        frame.check(src)?;
        frame.decode_checked(&mut self.dctx, src, out)
    }
}

/// Frame `index` of the compressed file at `path`, `entry` in its seek
/// table: what a frame's errors name.
#[derive(Clone, Copy)]
pub struct Frame<'a> {
    pub path: &'a Path,
    pub index: usize,
    pub entry: FrameEntry,
}

impl<'a> Frame<'a> {
    pub fn new(path: &'a Path, index: usize, entry: FrameEntry) -> Frame<'a> {
        Frame { path, index, entry }
    }

    /// Decompresses the frame, whose compressed bytes `src` passed
    /// `check`, into `out` (cleared first) with `dctx`, in one call.
    pub(super) fn decode_checked(
        self,
        dctx: &mut DCtx<'static>,
        src: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let size = self.entry.size as usize;
        self.reserve(out)?;
        match dctx.decompress(out, src) {
            Ok(n) if n == size => Ok(()),
            Ok(n) => {
                let what =
                    format!("the frame decompresses to {n} bytes, the seek table says {size}");
                Err(self.error(ErrorKind::FrameSizeMismatch, what))
            }
            Err(code) => Err(self.failure(src, code)),
        }
    }

    /// The error of zstd's failure `code` to decompress the frame `src`
    /// into room for its entry's size and one byte more. More bytes than
    /// room for them: a frame that states no size holds another size than
    /// its entry's; one that states its size (checked against the entry)
    /// contradicts itself, damaged.
    pub(super) fn failure(self, src: &[u8], code: usize) -> Error {
        use zstd_safe::zstd_sys::{ZSTD_ErrorCode, ZSTD_getErrorCode};
        // SAFETY: ZSTD_getErrorCode only maps a number to an enum value.
        let too_small =
            unsafe { ZSTD_getErrorCode(code) } == ZSTD_ErrorCode::ZSTD_error_dstSize_tooSmall;
        let kind = match too_small && !states_size(src) {
            true => ErrorKind::FrameSizeMismatch,
            false => ErrorKind::CorruptFrame,
        };
        self.error(kind, damaged(code))
    }

    /// Makes room in `out` (emptied) for the frame's original bytes and
    /// one byte more (a frame that states no size and holds more shows as
    /// a size mismatch). Room that cannot be had is a resource error
    /// (`Io`, an `OutOfMemory` source), not damage and never an abort: a
    /// salvage stops there, and the read can be retried with more memory.
    pub(super) fn reserve(self, out: &mut Vec<u8>) -> Result<()> {
        out.clear();
        let room = self.entry.size as usize + 1;
        out.try_reserve_exact(room).map_err(|_| {
            let doing = format!(
                "frame {} (original offset {}): allocating the {room} bytes \
                 its seek table entry needs",
                self.index, self.entry.offset
            );
            let oom = io::Error::from(io::ErrorKind::OutOfMemory);
            Error::io_at(self.path, self.entry.compressed_offset, &doing, oom)
        })
    }

    /// The error `what` (of `kind`) about the frame.
    pub(super) fn error(self, kind: ErrorKind, what: String) -> Error {
        let (index, entry) = (self.index, self.entry);
        let what = format!("frame {index} (original offset {}): {what}", entry.offset);
        Error::at(kind, self.path, entry.compressed_offset, what)
    }

    /// Checks that `src`, the compressed bytes the seek table gives the
    /// frame, are exactly one zstd frame, of the size the table says if it
    /// states one and able to hold it if not: before `reserve`, so that an
    /// entry makes a reader allocate only what the blocks can hold.
    pub(super) fn check(self, src: &[u8]) -> Result<()> {
        let size = self.entry.size;
        if !src.starts_with(&ZSTD_MAGIC) {
            let what = "the seek table points at no zstd frame here".into();
            return Err(self.error(ErrorKind::CorruptSeekTable, what));
        }
        match zstd_safe::find_frame_compressed_size(src) {
            Ok(n) if n == src.len() => {}
            Ok(n) => {
                let len = src.len();
                let what = format!(
                    "the seek table says {len} compressed bytes, the zstd frame here has {n}"
                );
                return Err(self.error(ErrorKind::CorruptSeekTable, what));
            }
            Err(code) => return Err(self.error(ErrorKind::CorruptFrame, damaged(code))),
        }
        if let Ok(Some(n)) = zstd_safe::get_frame_content_size(src) {
            if n != u64::from(size) {
                let what = format!("the frame holds {n} bytes, the seek table says {size}");
                return Err(self.error(ErrorKind::FrameSizeMismatch, what));
            }
        }
        match zstd_safe::decompress_bound(src) {
            Ok(bound) if u64::from(size) > bound => {
                let what =
                    format!("the frame holds at most {bound} bytes, the seek table says {size}");
                Err(self.error(ErrorKind::FrameSizeMismatch, what))
            }
            Ok(_) => Ok(()),
            Err(code) => Err(self.error(ErrorKind::CorruptFrame, damaged(code))),
        }
    }
}

/// What zstd's error `code` says of a damaged frame.
pub(super) fn damaged(code: usize) -> String {
    format!("damaged zstd frame: {}", zstd_safe::get_error_name(code))
}

/// Whether the zstd frame `src` states its content size.
pub(super) fn states_size(src: &[u8]) -> bool {
    matches!(zstd_safe::get_frame_content_size(src), Ok(Some(_)))
}
