//! A log's manifest looked at, after its segments: the record of the log's
//! position when no segment file is left (docs/FORMAT.md section 14a),
//! and of the sealed segments' records, which the files must still hold.
//! Whether it is the only record is `position::check`'s rule: a manifest
//! that cannot be used is damage then (a writer's open refuses the log),
//! else a note (the writer rewrites it).

use super::segment::empty_report;
use super::{Finding, FindingKind, SegmentReport};
use crate::error::ErrorKind;
use crate::log::{manifest::Manifest, naming, position};
use std::path::Path;

/// The report of log `name`'s manifest in `dir` (`manifest` set), if it
/// cannot be used: `ManifestDamaged` where it is the only record of the
/// log's position, `ManifestUnused` where another record holds it,
/// `Unreadable` if the directory cannot be listed. `None` when it can be
/// used or is not there.
pub(super) fn manifest_report(dir: &Path, name: &str) -> Option<SegmentReport> {
    let path = naming::manifest_path(dir, name);
    let (kind, e) = match position::check(dir, name) {
        Err(e) if e.kind() == ErrorKind::Corrupt => (FindingKind::ManifestDamaged, e),
        Err(e) => (FindingKind::Unreadable, e),
        Ok(()) => match Manifest::load(&path) {
            Err(e) if e.kind() != ErrorKind::NotFound => (FindingKind::ManifestUnused, e),
            _ => return None,
        },
    };
    let message = match kind {
        FindingKind::ManifestUnused => format!(
            "{} (the manifest is rewritten when the log is next opened for writing)",
            e.message()
        ),
        _ => e.message().to_string(),
    };
    let mut rep = empty_report(&path);
    rep.manifest = true;
    rep.file_len = std::fs::metadata(&path).map_or(0, |m| m.len());
    rep.push(Finding::new(kind, &path, e.offset(), message));
    Some(rep)
}

/// The records log `name`'s manifest in `dir` proves the log held (its
/// newest sealed segment's end, `position::sealed_through`) past
/// `reached`, the end its files were read to: their range (`from..to`)
/// and what a finding at `location` (the log's last file) says of them.
/// `None` when the files reach that far, or no sealed line says anything.
pub(super) fn missing_at_end(
    dir: &Path,
    name: &str,
    reached: Option<u64>,
    location: &Path,
) -> Option<((u64, u64), String)> {
    let e = position::sealed_through(dir, name)?;
    let end = e.first_seq.saturating_add(e.record_count);
    let from = reached.unwrap_or(e.first_seq);
    if from >= end {
        return None;
    }
    let lost = match end - from {
        1 => format!("record {from} is"),
        _ => format!("records {from}..{} are", end - 1),
    };
    let message = format!(
        "{}: {lost} missing from the end of the log: its manifest lists segment {} ({}) \
         as sealed with records {}..{}, and the log's files hold none of them (cut short \
         or removed)",
        location.display(),
        e.segment_no,
        e.file,
        e.first_seq,
        end - 1
    );
    Some(((from, end), message))
}
