//! A segment's original bytes, for the commands that show or copy them
//! (`dump`, `repair` of a compressed segment): the file mapped, or for a
//! compressed segment (`.binlog.zst`) its frames decompressed one by one
//! into an unlinked temporary file, then mapped, so that memory stays flat
//! (the page cache holds the bytes). A frame that does not decompress
//! gives the bytes it yields before its failure, as a reader reads them
//! (`CompressedSegment::frame_yield_into`, docs/FORMAT.md 17.3a), then
//! zeros to its original size (no valid frame starts with a zero length),
//! and a note naming the file, the frame and its offsets. Nothing here
//! says what is damage: the library's reader and `binlog::verify` do.

use crate::error::{CliError, CliResult};
pub use binlog::codec::starts_with_zstd_frame as is_compressed;
use binlog::codec::CompressedSegment;
use binlog::ErrorKind;
use memmap2::Mmap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The bytes of the segment at `path`, mapped; what was lost decompressing
/// a compressed segment goes to `notes`.
pub fn map_noting(path: &Path, notes: &mut Vec<String>) -> CliResult<(File, Mmap)> {
    let file =
        File::open(path).map_err(|e| CliError::Io(format!("{}: open: {e}", path.display())))?;
    // Opening a directory works, mapping it does not ("No such device").
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        let what = format!("{}: is a directory, not a segment", path.display());
        return Err(CliError::Usage(what));
    }
    let file = if is_compressed(&file) {
        let (copy, lost) = decompressed(path)?;
        notes.extend(lost.into_iter().map(|n| format!("{}: {n}", path.display())));
        copy
    } else {
        file
    };
    // SAFETY: read-only map. A writer may append meanwhile (only the
    // length mapped is looked at); a recovering writer cutting the file
    // while we read is documented as not allowed (docs/GUIDE.md, "Threads,
    // processes and lifetimes").
    let map = unsafe { memmap2::MmapOptions::new().map(&file) }
        .map_err(|e| CliError::Io(format!("{}: map: {e}", path.display())))?;
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok((file, map))
}

/// Where the zeros that end the first `len` bytes of `file` start (`len` if
/// it does not end in zeros), read backwards with pread: an unsealed
/// segment of a durable writer runs on in zeros past its records, which
/// sealing cuts, so they are never read through a map (a mapped page
/// wholly past the end of a file raises SIGBUS). A read that fails counts
/// as not zero.
pub fn zeros_from(file: &File, len: usize) -> usize {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0u8; 64 << 10];
    let mut to = len;
    while to > 0 {
        let from = to.saturating_sub(buf.len());
        let chunk = &mut buf[..to - from];
        if file.read_exact_at(chunk, from as u64).is_err() {
            return to;
        }
        if let Some(i) = chunk.iter().rposition(|&b| b != 0) {
            return from + i + 1;
        }
        to = from;
    }
    0
}

/// The original bytes of the compressed segment at `path`, in an unlinked
/// temporary file (of a frame that did not decompress, what it yields,
/// then zeros), and a note for each frame that did not decompress (and
/// for a lost seek table: the whole frames before the damage are given).
fn decompressed(path: &Path) -> CliResult<(File, Vec<String>)> {
    // A compressed segment with no whole frame left is damage (exit
    // status 1); zstd frames that hold no segment are not a segment.
    let not_read = |e: binlog::Error| match e.kind() {
        ErrorKind::Io => CliError::Io(e.message().to_string()),
        ErrorKind::CompressedTruncated | ErrorKind::CorruptSeekTable => {
            CliError::Damaged(e.message().to_string())
        }
        _ => CliError::Usage(e.message().to_string()),
    };
    let (mut seg, table_lost) = CompressedSegment::open_frames_salvage(path).map_err(not_read)?;
    // A new file in the temporary directory, already unlinked (it goes when
    // closed).
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = format!("binlog-decompressed-{}-{n}.binlog", std::process::id());
    let tmp = std::env::temp_dir().join(name);
    let mut new = File::options();
    new.read(true).write(true).create_new(true);
    let create = |e: std::io::Error| CliError::Io(format!("{}: create: {e}", tmp.display()));
    let file = new.open(&tmp).map_err(create)?;
    let _ = std::fs::remove_file(&tmp);

    let io = |e: std::io::Error| CliError::Io(format!("{}: {e}", tmp.display()));
    let mut out = BufWriter::with_capacity(1 << 20, &file);
    let mut notes = Vec::new();
    if let Some(e) = &table_lost {
        let (at, why) = (e.offset().unwrap_or(0), e.detail());
        let (frames, len) = (seg.frames().len(), seg.original_len());
        let whole = format!("read the {frames} whole frames before it (original bytes 0..{len})");
        notes.push(format!("offset {at}: {why}; {whole}"));
    }
    let mut frame = Vec::new();
    for i in 0..seg.frames().len() {
        let f = seg.frames()[i];
        let failure = seg.frame_yield_into(i, &mut frame).map_err(not_read)?;
        if let Some(e) = failure {
            let kept = frame.len().min(f.size as usize);
            notes.push(lost_note(f.offset, kept as u64, f.end(), &e));
            frame.truncate(kept);
            frame.resize(f.size as usize, 0);
        }
        out.write_all(&frame).map_err(io)?;
    }
    out.flush().map_err(io)?;
    drop(out);
    Ok((file, notes))
}

/// The note of a frame of original bytes `start..end` that failed (`e`)
/// after yielding `kept` of them: the rest are zeros.
fn lost_note(start: u64, kept: u64, end: u64, e: &binlog::Error) -> String {
    let (from, why) = (start + kept, e.message());
    match kept {
        0 => format!("original bytes {start}..{end} are lost: {why}"),
        _ if from == end => {
            format!("original bytes {start}..{end} are kept as the frame yields them: {why}")
        }
        _ => format!(
            "original bytes {from}..{end} are lost ({start}..{from} kept, as the frame yields \
             them): {why}"
        ),
    }
}
