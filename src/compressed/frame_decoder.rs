//! Decompresses one frame of a compressed segment and checks it against
//! its seek table entry: the compressed bytes the table gives it must be
//! exactly one zstd frame, and it must decompress (its content checksum
//! holding) to exactly the size the table says. Each failure has its own
//! kind, with the file and the frame's offset in it.

use super::seek_table::FrameEntry;
use crate::error::{Error, ErrorKind, Result};
use std::path::Path;
use zstd::zstd_safe::{self, DCtx};

/// The first four bytes of every zstd frame (`0xFD2FB528`, little-endian).
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

pub struct FrameDecoder {
    dctx: DCtx<'static>,
}

impl FrameDecoder {
    pub fn new() -> FrameDecoder {
        FrameDecoder {
            dctx: DCtx::create(),
        }
    }

    /// Decompresses frame `index`, whose compressed bytes are `src`, into
    /// `out` (cleared first).
    pub fn decode(
        &mut self,
        path: &Path,
        index: usize,
        entry: &FrameEntry,
        src: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let at = entry.compressed_offset;
        let err = |kind, what: String| {
            Error::at(
                kind,
                path,
                at,
                format!("frame {index} (original offset {}): {what}", entry.offset),
            )
        };
        if !src.starts_with(&ZSTD_MAGIC) {
            return Err(err(
                ErrorKind::CorruptSeekTable,
                "the seek table points at no zstd frame here".into(),
            ));
        }
        match zstd_safe::find_frame_compressed_size(src) {
            Ok(n) if n == src.len() => {}
            Ok(n) => {
                let what = format!(
                    "the seek table says {} compressed bytes, the zstd frame here has {n}",
                    src.len()
                );
                return Err(err(ErrorKind::CorruptSeekTable, what));
            }
            Err(code) => {
                let what = format!("damaged zstd frame: {}", zstd_safe::get_error_name(code));
                return Err(err(ErrorKind::CorruptFrame, what));
            }
        }
        let size = entry.size as usize;
        if let Ok(Some(n)) = zstd_safe::get_frame_content_size(src) {
            if n != size as u64 {
                let what = format!("the frame holds {n} bytes, the seek table says {size}");
                return Err(err(ErrorKind::FrameSizeMismatch, what));
            }
        }
        out.clear();
        // One byte more than expected, so that a frame without a content
        // size that holds more shows as a size mismatch, not a failure.
        out.reserve(size + 1);
        match self.dctx.decompress(out, src) {
            Ok(n) if n == size => Ok(()),
            Ok(n) => {
                let what =
                    format!("the frame decompresses to {n} bytes, the seek table says {size}");
                Err(err(ErrorKind::FrameSizeMismatch, what))
            }
            Err(code) => {
                let kind = if is_output_too_small(code) {
                    ErrorKind::FrameSizeMismatch
                } else {
                    ErrorKind::CorruptFrame
                };
                let name = zstd_safe::get_error_name(code);
                Err(err(kind, format!("damaged zstd frame: {name}")))
            }
        }
    }
}

/// Whether zstd's error `code` says the frame holds more than the room
/// given for it (the size its seek table entry states, plus one).
fn is_output_too_small(code: usize) -> bool {
    use zstd_safe::zstd_sys::{ZSTD_ErrorCode, ZSTD_getErrorCode};
    // SAFETY: ZSTD_getErrorCode only maps a number to an enum value.
    let kind = unsafe { ZSTD_getErrorCode(code) };
    kind == ZSTD_ErrorCode::ZSTD_error_dstSize_tooSmall
}

impl Default for FrameDecoder {
    fn default() -> FrameDecoder {
        FrameDecoder::new()
    }
}
