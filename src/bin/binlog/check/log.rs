//! A source's segments checked in order by the library (`binlog::verify`):
//! a log's with the continuity between them as its `LogReader` reads them,
//! and its manifest looked at.

use super::segment::{check_report, SegmentCheck};
use crate::error::CliResult;
use crate::paths::{LogId, Source};
use crate::progress::Progress;
use binlog::log::{manifest::Manifest, naming};
use binlog::verify::Verify;

/// Checks a source's segments in order, with the log's continuity; calls
/// `each` as each segment is done.
pub fn check_source(
    source: &Source,
    progress: &mut Progress,
    mut each: impl FnMut(SegmentCheck, &mut Progress) -> CliResult<()>,
) -> CliResult<()> {
    let reports = match &source.log {
        Some(l) => Verify::log(&l.dir, &l.name)?,
        None => Verify::files(source.files.clone()),
    };
    for rep in reports {
        let len = std::fs::metadata(&rep.location).map_or(0, |m| m.len());
        progress.file_done(len);
        each(check_report(rep), progress)?;
    }
    if let Some(log) = &source.log {
        note_unreadable_manifest(log, progress);
    }
    Ok(())
}

/// Notes a manifest that cannot be read (it is for people and tools: the
/// segments are the truth, and the next writer rewrites it).
fn note_unreadable_manifest(log: &LogId, progress: &Progress) {
    let m = naming::manifest_path(&log.dir, &log.name);
    if let Err(e) = Manifest::load(&m) {
        if e.kind() != binlog::ErrorKind::NotFound {
            progress.println(&format!(
                "note: {} (the manifest is rewritten when the log is next opened for writing)",
                e.message()
            ));
        }
    }
}
