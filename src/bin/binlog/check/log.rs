//! A source's segments checked in order by the library (`binlog::verify`):
//! a log's with the continuity between them as its `LogReader` reads them,
//! and its manifest looked at.

use super::segment::{check_report, SegmentCheck};
use crate::error::CliResult;
use crate::paths::{LogId, Source};
use crate::progress::Progress;
use binlog::log::{manifest::Manifest, naming, position};
use binlog::verify::Verify;

/// Checks a source's segments in order, with the log's continuity; calls
/// `each` as each segment is done. True if the log's position is unknown
/// (its manifest damaged and the only record of it: a writer's open
/// refuses the log), which is printed.
pub fn check_source(
    source: &Source,
    progress: &mut Progress,
    mut each: impl FnMut(SegmentCheck, &mut Progress) -> CliResult<()>,
) -> CliResult<bool> {
    let reports = match &source.log {
        // (A log with only its manifest left has no file to read: see
        // `SourceArgs::resolve_with_manifest`.)
        Some(l) if !source.files.is_empty() => Verify::log(&l.dir, &l.name)?,
        _ => Verify::files(source.files.clone()),
    };
    for rep in reports {
        let len = std::fs::metadata(&rep.location).map_or(0, |m| m.len());
        progress.file_done(len);
        each(check_report(rep), progress)?;
    }
    match &source.log {
        Some(log) => check_manifest(log, progress),
        None => Ok(false),
    }
}

/// Reports a manifest that cannot be read: damage if it is the only
/// record of the log's position (`binlog::log::position::check`: the
/// writer's open refuses the log), else a note (another record holds the
/// position, and the next writer rewrites it). True if damaged.
fn check_manifest(log: &LogId, progress: &Progress) -> CliResult<bool> {
    match position::check(&log.dir, &log.name) {
        Err(e) if e.kind() == binlog::ErrorKind::Corrupt => {
            progress.println(&format!("damaged: {}", e.message()));
            return Ok(true);
        }
        Err(e) => return Err(e.into()),
        Ok(()) => {}
    }
    let m = naming::manifest_path(&log.dir, &log.name);
    if let Err(e) = Manifest::load(&m) {
        if e.kind() != binlog::ErrorKind::NotFound {
            progress.println(&format!(
                "note: {} (the manifest is rewritten when the log is next opened for writing)",
                e.message()
            ));
        }
    }
    Ok(false)
}
