//! The repair of a compressed segment (`X.binlog.zst`): a segment that is
//! cut or resealed is written as the plain segment `X.binlog`, made of the
//! bytes that decompressed (a frame that did not gives the bytes it yields
//! before its failure, as the reader reads them, then zeros: damage, cut
//! or salvaged like any other), and the `.zst` is
//! removed once the plain copy is in place (its backup, made first, keeps
//! every byte). `binlog compress` compresses the repaired segment again.
//! A plain `X.binlog` already there is never replaced: the repair is
//! refused.

use crate::error::{CliError, CliResult};
use crate::original;
use crate::paths;
use binlog::__private::compressed::frame_decoder::starts_with_zstd_frame;
use binlog::__private::compressed::CompressedSegment;
use binlog::__private::log::naming;
use std::fs::File;
use std::path::{Path, PathBuf};

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
pub(super) fn source_of(real: &Path, file: &File) -> CliResult<Source> {
    if !starts_with_zstd_frame(file) {
        return Ok(Source {
            target: real.to_path_buf(),
            decompressed: None,
        });
    }
    let p = paths::show(real);
    let Some(target) = plain_target(real) else {
        return Err(CliError::io(format!(
            "{p}: a compressed segment not named *.binlog.zst: left as it is (rename it, then \
             repair again)"
        )));
    };
    if std::fs::symlink_metadata(&target).is_ok() {
        return Err(CliError::io(format!(
            "{p}: {} exists beside it: the repaired segment would be written there; left as it \
             is (move one of them away, then repair again)",
            target.display()
        )));
    }
    let (bytes, _) = original::map_noting(real, &mut Vec::new()).map_err(|e| e.into_cli())?;
    Ok(Source {
        target,
        decompressed: Some(bytes),
    })
}

/// `X.binlog` for the compressed segment `X.binlog.zst`; None for a file
/// named otherwise.
fn plain_target(real: &Path) -> Option<PathBuf> {
    let name = real.file_name()?.to_str()?;
    naming::is_compressed_name(name).then(|| paths::dir_of(real).join(naming::plain_name(name)))
}

/// What a dry run says a repair that cuts or reseals the segment at `path`
/// would also do, if it is compressed.
pub(super) fn would_replace(path: &Path) -> Option<String> {
    let file = File::open(path).ok()?;
    if !starts_with_zstd_frame(&file) {
        return None;
    }
    let p = paths::show(path);
    Some(match plain_target(path) {
        Some(t) if std::fs::symlink_metadata(&t).is_err() => format!(
            "  would write the repaired segment as the plain segment {} and remove {p} (its \
             backup keeps it)",
            t.display()
        ),
        _ => {
            format!("  would refuse: the plain segment's name beside {p} is taken, or it has none")
        }
    })
}

/// How many bytes of segment the file `file` at `path` holds: its length,
/// or for a compressed segment the length of its original bytes (as the
/// check decompressed them).
pub(super) fn segment_len(path: &Path, file: &File) -> CliResult<u64> {
    if starts_with_zstd_frame(file) {
        let (s, _) = CompressedSegment::open_frames_salvage(path)?;
        return Ok(s.original_len());
    }
    let meta = file
        .metadata()
        .map_err(|e| CliError::io_on(paths::show(path), e))?;
    Ok(meta.len())
}

/// Once the repaired plain segment is in place: removes the compressed
/// segment `real` it replaces and syncs the directory.
pub(super) fn remove_replaced(real: &Path, report: &impl Fn(String)) -> CliResult<()> {
    let p = paths::show(real);
    std::fs::remove_file(real).map_err(|e| CliError::io_on(format!("{p}: remove"), e))?;
    let _ = File::open(paths::dir_of(real)).and_then(|d| d.sync_all());
    report(format!(
        "  removed {p} (its backup holds it; `binlog compress` compresses the repaired segment again)"
    ));
    Ok(())
}
