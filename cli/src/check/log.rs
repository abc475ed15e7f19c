//! A source's segments checked in order by the library (`binlog::verify`):
//! a log's with the continuity between them as its `LogReader` reads them,
//! then its manifest, as the library reports it.

use crate::error::{CliError, CliResult};
use crate::paths::Source;
use crate::progress::Progress;
use binlog::sign::PublicKey;
use binlog::verify::{FindingKind, SegmentReport, Verify};
use std::path::Path;

/// Checks a source's segments in order, with the log's continuity; calls
/// `each` with each segment's report as it is done. True if the log's position is unknown
/// (its manifest damaged and the only record of it: a writer's open
/// refuses the log), which is printed.
pub fn check_source(
    source: &Source,
    trust: Option<(PublicKey, Option<&Path>)>,
    progress: &mut Progress,
    mut each: impl FnMut(SegmentReport, &mut Progress) -> CliResult<()>,
) -> CliResult<bool> {
    let mut reports = match &source.log {
        // A log with only its manifest left has no segment file: the
        // library reports its manifest (see
        // `SourceArgs::resolve`).
        Some(l) => Verify::log(&l.dir, &l.name)?,
        None => Verify::files(source.files.clone()),
    };
    if let Some((key, head)) = trust {
        reports = reports.trusting(key);
        if let Some(head) = head {
            reports.with_head(head)?;
        }
    }
    let mut position_unknown = false;
    for rep in reports {
        if rep.manifest {
            position_unknown |= print_manifest(&rep, progress)?;
            continue;
        }
        let len = std::fs::metadata(&rep.location).map_or(0, |m| m.len());
        progress.file_done(len);
        each(rep, progress)?;
    }
    Ok(position_unknown)
}

/// Prints the library's finding about a log's manifest: damage where it is
/// the only record of the log's position, else a note. True if damaged;
/// a manifest that could not be looked at is an error.
fn print_manifest(rep: &SegmentReport, progress: &Progress) -> CliResult<bool> {
    let mut damaged = false;
    for f in &rep.findings {
        match f.kind {
            FindingKind::ManifestDamaged => {
                progress.println(&format!("damaged: {}", f.message));
                damaged = true;
            }
            FindingKind::ManifestUnused => progress.println(&format!("note: {}", f.message)),
            _ => return Err(CliError::io(f.message.clone())),
        }
    }
    Ok(damaged)
}
