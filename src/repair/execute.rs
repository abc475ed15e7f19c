//! Carrying out a segment's plan: with the segment's writer lock held and
//! the file checked to be the one verified, back it up, salvage, replace it
//! with its repaired copy, and check the result.

use super::compressed;
use super::replace::{backup_copy, remove_leftovers, replace, temp_name, torn_copies};
use super::verdict::{Analysis, Run, Verdict};
use super::{say, Action, Emit, Options, Outcome, Salvage, SegmentPlan, StepKind};
use crate::error::{Error, ErrorKind, Result};
use crate::format::naming;
use crate::reader::Tail;
use crate::sys::try_lock_exclusive;
use crate::writer::salvage::{self, lost_type_name, Salvaged};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Carries out the plan of one segment: how it ended, and the error of a
/// repair that failed.
pub(super) fn segment(s: &SegmentPlan, o: &Options, emit: Emit) -> (Outcome, Option<Error>) {
    if !s.action.changes() {
        // Nothing to do but what a dry run says (and a stale copy gone).
        if s.action == Action::None {
            remove_stale_copy(&s.verdict.path, emit);
        }
        return (super::plan::dry_outcome(s), None);
    }
    match execute(s, o, emit) {
        Ok(true) => (Outcome::Repaired, None),
        Ok(false) => (Outcome::LeftDamaged, None),
        Err(e) => (Outcome::Error, Some(e)),
    }
}

/// Carries out a plan; Ok(true) when the segment is repaired.
fn execute(s: &SegmentPlan, o: &Options, emit: Emit) -> Result<bool> {
    let (path, a) = (&s.verdict.path, s.verdict.analysis.as_ref());
    let a = a.expect("planned from an analysis");
    let p = path.display();
    let Some((file, real)) = lock_as_checked(path, a, emit)? else {
        return Ok(false);
    };
    // The file itself changes only when it is cut or resealed.
    let headerless = matches!(&s.salvage, Some(Salvage { cut: None, .. }));
    let mut backup = None;
    if !headerless {
        let b = backup_copy(path, o.backup_dir.as_deref())?;
        let m = format!("backed up {p} to {}", b.display());
        say(emit, StepKind::Backup, m);
        backup = Some(b);
    }
    let source =
        compressed::source_of(&real, &file).map_err(|e| unchanged(backup.take(), e, emit))?;
    let from = source.decompressed.as_ref().unwrap_or(&file);
    match &s.salvage {
        None => {
            // Before the rename, a failure leaves the segment as it was.
            let kept = replace(&source.target, from, &file, a.file_len)
                .map_err(|e| unchanged(backup.take(), e, emit))?;
            say(emit, StepKind::Reseal, resealed_line(path, &source));
            if let Some(Tail::Torn { offset, len }) = a.end {
                let kept = kept
                    .first()
                    .map(|k| k.display().to_string())
                    .unwrap_or_else(|| format!("{p}.corrupt-{offset}"));
                let m =
                    format!("cut the torn tail: {len} bytes at offset {offset}, kept in {kept}");
                say(emit, StepKind::Cut, m);
            }
        }
        Some(Salvage { cut, runs }) => {
            for r in runs {
                // Copied with their sequence numbers, timestamps, types and
                // metadata, as the reader skipping damage reads them; the
                // copy is checked.
                let done = salvage::salvage_run(path, origin(path, a), r)?;
                say(emit, StepKind::Salvage, salvaged_line(r, &done));
            }
            let Some(cut) = cut else {
                say(emit, StepKind::Leave, format!("left {p} as it is: its header is unreadable (the backup and the new segments hold everything valid in it)"));
                return Ok(false);
            };
            replace(&source.target, from, &file, *cut)?;
            let m = format!("cut {p} at offset {cut}, before the damage");
            say(emit, StepKind::Cut, m);
            say(emit, StepKind::Reseal, resealed_line(path, &source));
        }
    }
    // Our lock (on the old file, no longer named) goes.
    drop(file);
    if source.is_compressed() {
        say(emit, StepKind::Cleanup, compressed::remove_replaced(&real)?);
        return check_repaired(&source.target, emit);
    }
    check_repaired(path, emit)
}

/// A repair that failed before it changed anything (`e`): its backup, a
/// copy of the segment as it still is, is removed, so that no backup is
/// left of a repair that did nothing.
fn unchanged(backup: Option<PathBuf>, e: Error, emit: Emit) -> Error {
    if let Some(b) = backup {
        let shown = b.display();
        let (kind, m) = match std::fs::remove_file(&b) {
            Ok(()) => (
                StepKind::Cleanup,
                format!("removed the backup {shown}: nothing was changed"),
            ),
            Err(re) => (StepKind::Error, format!("the backup {shown} remains: {re}")),
        };
        say(emit, kind, m);
    }
    e
}

/// What a reseal reports: the segment resealed, or for a compressed one
/// the plain segment written in its place.
fn resealed_line(path: &Path, source: &compressed::Source) -> String {
    let p = path.display();
    if source.is_compressed() {
        let t = source.target.display();
        format!("resealed {p} as the plain segment {t}")
    } else {
        format!("resealed {p}")
    }
}

/// Opens the segment at `path` and takes its writer lock, held while it is
/// copied and cut so that no writer opens it meanwhile: the open file and
/// the path of the file to replace, if it is still the file `a` describes
/// (else None, said in a step).
fn lock_as_checked(path: &Path, a: &Analysis, emit: Emit) -> Result<Option<(File, PathBuf)>> {
    let p = path.display();
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, "open", e))?;
    let mut leave = |m: String| say(emit, StepKind::Leave, format!("{p}: {m}"));
    if !try_lock(&file) {
        leave("a writer opened it meanwhile; left as it is".into());
        return Ok(None);
    }
    let held = file.metadata().map_err(|e| Error::io(path, "stat", e))?;
    // The file to replace is the one the path leads to: through a symlink,
    // the link's target (a rename over the link would replace the link and
    // leave the target as it was). And it must still be the file locked:
    // another repair may have renamed its copy over the segment between
    // our open and our lock, and a writer may be appending to that copy.
    let resolved = resolve_locked(path, &held).map_err(|e| Error::io(path, "resolve", e))?;
    let Some(real) = resolved else {
        leave("it was replaced while being repaired; left as it is, run repair again".into());
        return Ok(None);
    };
    let len = compressed::segment_len(path, &file)?;
    if len != a.file_len {
        let was = a.file_len;
        leave(format!(
            "it changed while being checked ({was} -> {len} bytes); run repair again"
        ));
        return Ok(None);
    }
    Ok(Some((file, real)))
}

/// Checks the repaired segment: Ok(true) when it is sealed and intact.
fn check_repaired(path: &Path, emit: Emit) -> Result<bool> {
    let p = path.display();
    let after = Verdict::of_file(path);
    match &after.analysis {
        Some(x) if x.is_clean() && x.is_sealed() => {
            let m = format!("{p}: now sealed and intact, {}", x.records_phrase());
            say(emit, StepKind::Reseal, m);
            Ok(true)
        }
        Some(x) => {
            let m = format!("{p}: still {} after the repair", x.state_name());
            say(emit, StepKind::Leave, m);
            Ok(false)
        }
        None => Err(Error::new(ErrorKind::Io, after.error.unwrap_or_default())),
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
fn remove_stale_copy(path: &Path, emit: Emit) {
    let p = path.display();
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
    if let Err(e) = remove_leftovers(&tmp) {
        let m = format!("{p}: a stopped repair's copy remains: {}", e.message());
        return say(emit, StepKind::Error, m);
    }
    let t = tmp.display();
    let m =
        format!("{p}: removed {t} (and its torn-tail copies), left by a repair that was stopped");
    say(emit, StepKind::Cleanup, m);
}

/// Takes the segment's writer lock; it goes away when `f` is closed.
fn try_lock(f: &File) -> bool {
    try_lock_exclusive(f).unwrap_or(false)
}

// A salvage: the runs of intact records after mid-file damage are copied
// into new segments `<segment stem>.salvaged-<offset>.binlog` by the
// writer's salvage (which a log writer's recovery uses too), each read
// back before the segment is cut.

/// The header fields of the segment a run is copied from, for its copy.
fn origin(path: &Path, a: &Analysis) -> crate::Options {
    let mut opts = salvage::options_like(a.header.as_ref(), "binlog repair --salvage");
    let by_name = || naming::log_of_file_name(path.file_name()?.to_str()?);
    if let (None, Some((log, order))) = (&a.header, by_name()) {
        // The header is lost, the name says whose segment it was: the copy
        // is read in its log, which refuses a file of another log or number.
        opts.log_name = log;
        opts.segment_no = order.segment_no;
    }
    opts
}

/// What a salvage of `run` says it did.
fn salvaged_line(run: &Run, done: &Salvaged) -> String {
    let (n, first, last) = (run.count, run.first_seq, run.first_seq + run.count - 1);
    let into = done.path.display();
    if done.earlier {
        return format!("{n} records (seq {first}..{last}) were salvaged before, into {into}");
    }
    let lost = if done.lost_type_records > 0 {
        let ids = &done.lost_type_ids;
        let names: Vec<String> = ids.iter().map(|&i| lost_type_name(i)).collect();
        let (k, names) = (done.lost_type_records, names.join(", "));
        format!(" ({k} of them of types defined only in the damaged bytes, named {names})")
    } else {
        String::new()
    };
    let (start, end) = (run.start, run.end);
    format!(
        "salvaged {n} records (seq {first}..{last}) from offsets {start}..{end} into {into}{lost}"
    )
}
