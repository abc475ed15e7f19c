//! The repair of a compressed segment (`X.binlog.zst`): a segment that is
//! cut or resealed is written as the plain segment `X.binlog`, made of the
//! bytes that decompressed (a frame that did not gives the bytes it yields
//! before its failure, as the reader reads them, then zeros: damage, cut
//! or salvaged like any other), and the `.zst` is removed once the plain
//! copy is in place (its backup, made first, keeps every byte).
//! `binlog compress` compresses the repaired segment again. A plain
//! `X.binlog` already there is never replaced: the repair is refused.
//! Without the `compression` feature every segment is plain.

#[cfg(feature = "compression")]
use crate::compressed::{frame_decoder::starts_with_zstd_frame, CompressedSegment};
use crate::error::{Error, ErrorKind, Result};
use crate::format::naming;
use crate::sys::parent_dir;
use std::fs::File;
use std::path::{Path, PathBuf};

#[cfg(not(feature = "compression"))]
fn starts_with_zstd_frame(_: &File) -> bool {
    false
}

/// What a repaired copy of a segment is written from, and where to.
pub(super) struct Source {
    /// The segment's path (`real`), or for a compressed segment the plain
    /// segment's name beside it.
    pub target: PathBuf,
    /// For a compressed segment, its decompressed bytes (else the segment
    /// file itself is copied).
    pub decompressed: Option<File>,
}

impl Source {
    /// Whether the repaired segment replaces a compressed one.
    pub fn is_compressed(&self) -> bool {
        self.decompressed.is_some()
    }
}

/// The source of the repaired copy of the segment at `real` (opened as
/// `file`).
pub(super) fn source_of(real: &Path, file: &File) -> Result<Source> {
    if !starts_with_zstd_frame(file) {
        return Ok(Source {
            target: real.to_path_buf(),
            decompressed: None,
        });
    }
    let Some(target) = plain_target(real) else {
        let why = "a compressed segment not named *.binlog.zst: left as it is (rename it, then \
                   repair again)";
        return Err(Error::file(ErrorKind::Io, real, why));
    };
    if std::fs::symlink_metadata(&target).is_ok() {
        let why = format!(
            "{} exists beside it: the repaired segment would be written there; left as it is \
             (move one of them away, then repair again)",
            target.display()
        );
        return Err(Error::file(ErrorKind::Io, real, why));
    }
    Ok(Source {
        target,
        decompressed: Some(decompressed(real)?),
    })
}

/// The original bytes of the compressed segment at `path`, in an unlinked
/// temporary file (of a frame that did not decompress, what it yields,
/// then zeros).
#[cfg(feature = "compression")]
fn decompressed(path: &Path) -> Result<File> {
    use std::io::{BufWriter, Write};
    let (mut seg, _) = CompressedSegment::open_frames_salvage(path)?;
    let tmp = std::env::temp_dir();
    let file = crate::sys::anonymous_file(&tmp).map_err(|e| Error::io(&tmp, "create", e))?;
    let io = |e| Error::io(&tmp, "write", e);
    let mut out = BufWriter::with_capacity(1 << 20, &file);
    let mut frame = Vec::new();
    for i in 0..seg.frames().len() {
        let size = seg.frames()[i].size as usize;
        if seg.frame_yield_into(i, &mut frame)?.is_some() {
            // What it yields, cut to the frame's size or padded with zeros.
            frame.resize(size, 0);
        }
        out.write_all(&frame).map_err(io)?;
    }
    out.flush().map_err(io)?;
    drop(out);
    Ok(file)
}

#[cfg(not(feature = "compression"))]
fn decompressed(_: &Path) -> Result<File> {
    unreachable!("no compressed segment without the compression feature")
}

/// `X.binlog` for the compressed segment `X.binlog.zst`; None for a file
/// named otherwise.
fn plain_target(real: &Path) -> Option<PathBuf> {
    let name = real.file_name()?.to_str()?;
    naming::is_compressed_name(name).then(|| parent_dir(real).join(naming::plain_name(name)))
}

/// What a dry run says a repair that cuts or reseals the segment at `path`
/// would also do, if it is compressed.
pub(super) fn would_replace(path: &Path) -> Option<String> {
    let file = File::open(path).ok()?;
    if !starts_with_zstd_frame(&file) {
        return None;
    }
    let p = path.display();
    Some(match plain_target(path) {
        Some(t) if std::fs::symlink_metadata(&t).is_err() => format!(
            "would write the repaired segment as the plain segment {} and remove {p} (its \
             backup keeps it)",
            t.display()
        ),
        _ => format!("would refuse: the plain segment's name beside {p} is taken, or it has none"),
    })
}

/// How many bytes of segment the file `file` at `path` holds: its length,
/// or for a compressed segment the length of its original bytes (as the
/// check decompressed them).
pub(super) fn segment_len(path: &Path, file: &File) -> Result<u64> {
    #[cfg(feature = "compression")]
    if starts_with_zstd_frame(file) {
        let (s, _) = CompressedSegment::open_frames_salvage(path)?;
        return Ok(s.original_len());
    }
    let meta = file.metadata().map_err(|e| Error::io(path, "stat", e))?;
    Ok(meta.len())
}

/// Once the repaired plain segment is in place: removes the compressed
/// segment `real` it replaces and syncs the directory; what it did, said.
pub(super) fn remove_replaced(real: &Path) -> Result<String> {
    std::fs::remove_file(real).map_err(|e| Error::io(real, "remove", e))?;
    let _ = crate::sys::sync_dir(parent_dir(real));
    Ok(format!(
        "removed {} (its backup holds it; `binlog compress` compresses the repaired segment again)",
        real.display()
    ))
}
