//! Decompresses one frame of a compressed segment and checks it against
//! its seek table entry: the compressed bytes the table gives it must be
//! exactly one zstd frame, and it must decompress (its content checksum
//! holding) to exactly the size the table says. Each failure has its own
//! kind, with the file and the frame's offset in it.

use super::seek_table::FrameEntry;
use crate::error::{Error, ErrorKind, Result};
use std::path::Path;
use zstd::zstd_safe::{self, DCtx, InBuffer, OutBuffer, ResetDirective};

/// The first four bytes of every zstd frame (`0xFD2FB528`, little-endian).
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Whether `file` starts with a zstd frame: a compressed segment (a plain
/// one starts with the segment magic). Readers tell the two apart by this,
/// not by the file's name.
pub fn starts_with_zstd_frame(file: &std::fs::File) -> bool {
    use std::os::unix::fs::FileExt;
    let mut start = [0u8; 4];
    file.read_exact_at(&mut start, 0).is_ok() && start == ZSTD_MAGIC
}

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

impl FrameDecoder {
    /// Decompresses the first `out.len()` original bytes of frame `index`
    /// (compressed bytes `src`) into `out`, and no more of the frame. The
    /// frame's checksum, which covers the whole frame, is not checked: the
    /// caller checks what it reads (CRCs of the segment's parts).
    pub fn decode_prefix(
        &mut self,
        path: &Path,
        index: usize,
        entry: &FrameEntry,
        src: &[u8],
        out: &mut [u8],
    ) -> Result<()> {
        let err = |kind, what: String| {
            let what = format!("frame {index} (original offset {}): {what}", entry.offset);
            Error::at(kind, path, entry.compressed_offset, what)
        };
        let want = out.len();
        let _ = self.dctx.reset(ResetDirective::SessionOnly);
        let mut output = OutBuffer::around(out);
        let mut input = InBuffer::around(src);
        let result = loop {
            let before = (output.pos(), input.pos());
            match self.dctx.decompress_stream(&mut output, &mut input) {
                Err(code) => {
                    let name = zstd_safe::get_error_name(code);
                    break Err(err(
                        ErrorKind::CorruptFrame,
                        format!("damaged zstd frame: {name}"),
                    ));
                }
                Ok(_) if output.pos() == want => break Ok(()),
                // The frame ended, or nothing moved: it holds fewer bytes.
                Ok(hint) if hint == 0 || (output.pos(), input.pos()) == before => {
                    let what = format!(
                        "the frame decompresses to {} bytes, the seek table says {}",
                        output.pos(),
                        entry.size
                    );
                    break Err(err(ErrorKind::FrameSizeMismatch, what));
                }
                Ok(_) => {}
            }
        };
        let _ = self.dctx.reset(ResetDirective::SessionOnly);
        result
    }
}

impl Default for FrameDecoder {
    fn default() -> FrameDecoder {
        FrameDecoder::new()
    }
}
