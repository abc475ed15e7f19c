//! The bytes of a compressed segment (`.binlog.zst`) for the commands that
//! walk a segment's bytes (verify, dump, repair --salvage): decompressed
//! frame by frame into an unlinked temporary file, which is then mapped, so
//! that memory stays flat (the page cache holds the bytes). A frame that
//! does not decompress becomes zeros of its original size (no valid frame
//! starts with a zero length: the walk finds a damaged region there) and a
//! note naming the file, the frame and its offsets.

use super::WalkError;
pub use binlog::compressed::frame_decoder::starts_with_zstd_frame as is_compressed;
use binlog::compressed::CompressedSegment;
use binlog::ErrorKind;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The original bytes of the compressed segment at `path`, in an unlinked
/// temporary file, and a note for each frame that did not decompress.
pub fn decompressed(path: &Path) -> Result<(File, Vec<String>), WalkError> {
    let not_read = |e: binlog::Error| match e.kind() {
        ErrorKind::Io => WalkError::Io(e.message().to_string()),
        _ => WalkError::NotSegment(e.message().to_string()),
    };
    let mut seg = CompressedSegment::open_frames(path).map_err(not_read)?;
    let (file, tmp) = temp_file()?;
    let io = |e: std::io::Error| WalkError::Io(format!("{}: {e}", tmp.display()));
    let mut out = BufWriter::with_capacity(1 << 20, &file);
    let mut notes = Vec::new();
    let mut frame = Vec::new();
    for i in 0..seg.frames().len() {
        let f = seg.frames()[i];
        match seg.frame_into(i, &mut frame) {
            Ok(()) => out.write_all(&frame).map_err(io)?,
            Err(e) if e.kind() == ErrorKind::Io => return Err(not_read(e)),
            Err(e) => {
                notes.push(format!(
                    "original bytes {}..{} are lost: {}",
                    f.offset,
                    f.end(),
                    e.message()
                ));
                frame.clear();
                frame.resize(f.size as usize, 0);
                out.write_all(&frame).map_err(io)?;
            }
        }
    }
    out.flush().map_err(io)?;
    drop(out);
    Ok((file, notes))
}

/// A new file in the temporary directory, already unlinked (it goes when
/// closed), and the name it had.
fn temp_file() -> Result<(File, std::path::PathBuf), WalkError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = std::env::temp_dir().join(format!(
        "binlog-decompressed-{}-{n}.binlog",
        std::process::id()
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| WalkError::Io(format!("{}: create: {e}", tmp.display())))?;
    let _ = std::fs::remove_file(&tmp);
    Ok((file, tmp))
}
