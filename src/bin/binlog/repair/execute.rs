//! Carrying out a segment's plan: with the segment's writer lock held and
//! the file checked to be the one analysed, back it up, salvage, replace it
//! with its repaired copy, and check the result.

use super::args::RepairArgs;
use super::backup::backup_copy;
use super::compressed;
use super::plan::Plan;
use super::replace::{remove_leftovers, replace, temp_name, torn_copies};
use super::salvage::salvage_run;
use crate::check::Analysis;
use crate::check::{self, records_phrase, state_name};
use crate::error::{CliError, CliResult};
use crate::paths;
use binlog::__private::sys::try_lock_exclusive;
use binlog::Tail;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Carries out a plan; Ok(true) when the segment is repaired.
pub(super) fn execute(
    path: &Path,
    a: &Analysis,
    plan: &Plan,
    args: &RepairArgs,
    report: &impl Fn(String),
) -> CliResult<bool> {
    let p = paths::show(path);
    let Some((file, real)) = lock_as_checked(path, a, report)? else {
        return Ok(false);
    };
    // The file itself changes only when it is cut or resealed.
    let mut backup = None;
    if !matches!(plan, Plan::SalvageHeaderless { .. }) {
        let b = backup_copy(path, args.backup_dir.as_deref())?;
        report(format!("  backed up {p} to {}", b.display()));
        backup = Some(b);
    }
    let source = compressed::source_of(&real, &file);
    let source = match source {
        Ok(s) => s,
        Err(e) => return Err(unchanged(backup, e, report)),
    };
    let from = source.decompressed.as_ref().unwrap_or(&file);
    match plan {
        Plan::Reseal(_) => {
            // Before the rename, a failure leaves the segment as it was.
            let kept = match replace(&source.target, from, &file, a.file_len) {
                Ok(kept) => kept,
                Err(e) => return Err(unchanged(backup, e, report)),
            };
            report(resealed_line(&p, &source));
            if let Some(Tail::Torn { offset, len }) = a.end {
                let kept = kept
                    .first()
                    .map(|k| k.display().to_string())
                    .unwrap_or_else(|| format!("{p}.corrupt-{offset}"));
                report(format!(
                    "  cut the torn tail: {len} bytes at offset {offset}, kept in {kept}"
                ));
            }
        }
        Plan::Salvage { cut, runs } => {
            for r in runs {
                salvage_run(path, a, r, report)?;
            }
            replace(&source.target, from, &file, *cut)?;
            report(format!("  cut {p} at offset {cut}, before the damage"));
            report(resealed_line(&p, &source));
        }
        Plan::SalvageHeaderless { runs } => {
            for r in runs {
                salvage_run(path, a, r, report)?;
            }
            report(format!("  left {p} as it is: its header is unreadable (the backup and the new segments hold everything valid in it)"));
            return Ok(false);
        }
        _ => return Ok(false),
    }
    // Our lock (on the old file, no longer named) goes.
    drop(file);
    if source.is_compressed() {
        compressed::remove_replaced(&real, report)?;
        return check_repaired(&source.target, report);
    }
    check_repaired(path, report)
}

/// A repair that failed before it changed anything (`e`): its backup, a
/// copy of the segment as it still is, is removed, so that no backup is
/// left of a repair that did nothing.
fn unchanged(backup: Option<PathBuf>, e: CliError, report: &impl Fn(String)) -> CliError {
    if let Some(b) = backup {
        match std::fs::remove_file(&b) {
            Ok(()) => report(format!(
                "  removed the backup {}: nothing was changed",
                b.display()
            )),
            Err(re) => report(format!("  the backup {} remains: {re}", b.display())),
        }
    }
    e
}

/// What a reseal reports: the segment resealed, or for a compressed one
/// the plain segment written in its place.
fn resealed_line(p: &str, source: &compressed::Source) -> String {
    if source.is_compressed() {
        format!(
            "  resealed {p} as the plain segment {}",
            paths::show(&source.target)
        )
    } else {
        format!("  resealed {p}")
    }
}

/// Opens the segment at `path` and takes its writer lock, held while it is
/// copied and cut so that no writer opens it meanwhile: the open file and
/// the path of the file to replace, if it is still the file `a` describes
/// (else None, said in a report line).
fn lock_as_checked(
    path: &Path,
    a: &Analysis,
    report: &impl Fn(String),
) -> CliResult<Option<(File, PathBuf)>> {
    let p = paths::show(path);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| CliError::io_on(format!("{p}: open"), e))?;
    if !try_lock(&file) {
        report(format!(
            "  {p}: a writer opened it meanwhile; left as it is"
        ));
        return Ok(None);
    }
    let held = file.metadata().map_err(|e| CliError::io_on(&p, e))?;
    // The file to replace is the one the path leads to: through a symlink,
    // the link's target (a rename over the link would replace the link and
    // leave the target as it was). And it must still be the file locked:
    // another repair may have renamed its copy over the segment between
    // our open and our lock, and a writer may be appending to that copy.
    let real = match resolve_locked(path, &held) {
        Ok(Some(r)) => r,
        Ok(None) => {
            report(format!(
                "  {p}: it was replaced while being repaired; left as it is, run repair again"
            ));
            return Ok(None);
        }
        Err(e) => return Err(CliError::io_on(format!("{p}: resolve"), e)),
    };
    let len = compressed::segment_len(path, &file)?;
    if len != a.file_len {
        report(format!(
            "  {p}: it changed while being checked ({} -> {len} bytes); run repair again",
            a.file_len
        ));
        return Ok(None);
    }
    Ok(Some((file, real)))
}

/// Checks the repaired segment: Ok(true) when it is sealed and intact.
fn check_repaired(path: &Path, report: &impl Fn(String)) -> CliResult<bool> {
    let p = paths::show(path);
    let after = check::check_file(path);
    match &after.analysis {
        Some(x) if x.is_clean() && x.is_sealed() => {
            report(format!(
                "  {p}: now sealed and intact, {}",
                records_phrase(x)
            ));
            Ok(true)
        }
        Some(x) => {
            report(format!("  {p}: still {} after the repair", state_name(x)));
            Ok(false)
        }
        None => Err(CliError::io(after.error.unwrap_or_default())),
    }
}

/// The file `path` leads to (through a symlink, its target), if it is
/// still the file `held` describes (the one opened and locked).
fn resolve_locked(path: &Path, held: &std::fs::Metadata) -> std::io::Result<Option<PathBuf>> {
    let r = if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        std::fs::canonicalize(path)?
    } else {
        path.to_path_buf()
    };
    let m = std::fs::symlink_metadata(&r)?;
    Ok((m.dev() == held.dev() && m.ino() == held.ino()).then_some(r))
}

/// Removes the repaired copy (and its torn-tail copies) that a repair of
/// `path` stopped before its rename left, when the segment needs no
/// repair now (one that does removes them as it starts, in `replace`).
/// Only with the segment's lock: a segment someone holds (its writer, or a
/// repair writing that copy right now) keeps them.
pub(super) fn remove_stale_copy(path: &Path, report: &impl Fn(String)) {
    let p = paths::show(path);
    let Ok(file) = File::open(path) else { return };
    let Ok(held) = file.metadata() else { return };
    let Ok(Some(real)) = resolve_locked(path, &held) else {
        return;
    };
    let tmp = temp_name(&real);
    if std::fs::symlink_metadata(&tmp).is_err() && torn_copies(&tmp).is_empty() {
        return;
    }
    if !try_lock(&file) || !matches!(resolve_locked(path, &held), Ok(Some(_))) {
        return;
    }
    match remove_leftovers(&tmp) {
        Ok(()) => report(format!(
            "  {p}: removed {} (and its torn-tail copies), left by a repair that was stopped",
            tmp.display()
        )),
        Err(e) => report(format!("  {p}: a stopped repair's copy remains: {e}")),
    }
}

/// Takes the segment's writer lock; it goes away when `f` is closed.
fn try_lock(f: &File) -> bool {
    try_lock_exclusive(f).unwrap_or(false)
}
