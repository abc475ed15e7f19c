//! `repair --salvage`: the runs of intact records after mid-file damage
//! are copied into new segments `<segment stem>.salvaged-<offset>.binlog`,
//! with their sequence numbers, timestamps, types and metadata, and each
//! copy is read back before the segment is cut.

use crate::check::{Analysis, IntactRun};
use crate::error::{CliError, CliResult};
use crate::paths;
use crate::type_names;
use binlog::__private::log::naming;
use binlog::{Options, Reader, Writer};
use std::fs::File;
use std::path::{Path, PathBuf};

/// `<dir>/<stem>.salvaged-<offset>.binlog` (`naming::salvaged_name`): a
/// log reads it right after the segment it came from, and no writer
/// writes into it.
pub(super) fn salvage_name(path: &Path, offset: u64) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = paths::dir_of(path);
    (0..)
        .map(|n| dir.join(naming::salvaged_name(&name, offset, n)))
        .find(|p| !p.exists())
        .expect("a free name")
}

/// A salvaged segment made earlier from the same run (a repeated
/// `--salvage` of a file whose header stays unreadable), if there is one.
fn already_salvaged(path: &Path, run: &IntactRun) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let stem = naming::stem(&name);
    let prefix = format!("{stem}.salvaged-{}", run.start);
    let entries = std::fs::read_dir(paths::dir_of(path)).ok()?;
    entries.flatten().map(|e| e.path()).find(|p| {
        let Some(n) = p.file_name().and_then(|n| n.to_str()) else {
            return false;
        };
        if !(n.starts_with(&prefix) && n.ends_with(".binlog")) {
            return false;
        }
        let Ok(r) = Reader::open(p) else { return false };
        let h = r.header();
        let param = |k: &str| {
            h.params
                .iter()
                .find(|(pk, _)| pk == k)
                .map(|(_, v)| v.as_str())
        };
        param("salvaged-from") == Some(name.as_str())
            && param("salvaged-offset") == Some(run.start.to_string().as_str())
            && r.seal()
                .is_some_and(|d| d.record_count == run.count && d.first_seq == run.first_seq)
    })
}

/// Copies the records of `run` into a new segment, with their sequence
/// numbers, timestamps, types and metadata, as the library's reader
/// skipping damage reads them; checks the copy.
pub(super) fn salvage_run(
    path: &Path,
    a: &Analysis,
    run: &IntactRun,
    report: &impl Fn(String),
) -> CliResult<()> {
    if let Some(done) = already_salvaged(path, run) {
        report(format!(
            "  {} records (seq {}..{}) were salvaged before, into {}",
            run.count,
            run.first_seq,
            run.first_seq + run.count - 1,
            done.display()
        ));
        return Ok(());
    }
    let to = salvage_name(path, run.start);
    let writer = Writer::open(&to, salvage_options(path, a, run))?;
    let mut types = CopiedTypes::default();
    let mut r = Reader::open_salvage(path)?;
    let end = run.first_seq + run.count;
    let mut expected = run.first_seq;
    while let Some(rec) = r.next()? {
        if rec.offset < run.start || rec.seq < run.first_seq {
            continue;
        }
        if rec.offset >= run.end || rec.seq >= end {
            break;
        }
        if rec.seq != expected {
            return Err(CliError::Damaged(format!(
                "{}: offset {}: the record changed while being salvaged",
                path.display(),
                rec.offset
            )));
        }
        let name = types.name(&rec);
        let meta: Vec<(&str, &str)> = rec.metadata().collect();
        let got = writer.write_with(&name, &meta, Some(rec.timestamp_ns), rec.payload)?;
        if got != expected {
            return Err(CliError::io(format!(
                "{}: salvage got seq {got}, expected {expected}",
                to.display()
            )));
        }
        expected += 1;
    }
    writer.sync()?;
    writer.close()?;
    File::open(&to)
        .and_then(|f| f.sync_all())
        .map_err(|e| CliError::io_on(format!("{}: sync", to.display()), e))?;
    // Its name on disk before the segment is cut at the damage.
    paths::sync_dir_of(&to).map_err(|e| {
        let dir = paths::dir_of(&to);
        CliError::io_on(format!("{}: sync directory", dir.display()), e)
    })?;
    check_copy(&to, run)?;
    report(salvaged_line(run, &to, &types));
    Ok(())
}

/// The options of the segment a run is copied into: the header fields of
/// the segment it comes from, and where it comes from.
fn salvage_options(path: &Path, a: &Analysis, run: &IntactRun) -> Options {
    let mut opts = Options {
        first_seq: run.first_seq,
        max_record_size: binlog::LARGEST_MAX_RECORD_SIZE,
        writer_version: format!("{} (binlog repair --salvage)", binlog::version::WRITER),
        ..Options::default()
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(h) = &a.header {
        opts.log_name = h.log_name.clone();
        opts.content_type = h.content_type.clone();
        opts.params = h.params.clone();
        opts.segment_no = h.segment_no;
        opts.created_ns = Some(h.created_ns);
    } else if let Some((log, order)) = paths::log_of_file_name(&file_name) {
        // The header is lost, the name says whose segment it was: the copy
        // is read in its log, which refuses a file of another log or number.
        opts.log_name = log;
        opts.segment_no = order.segment_no;
    }
    opts.params.push(("salvaged-from".into(), file_name));
    opts.params
        .push(("salvaged-offset".into(), run.start.to_string()));
    opts
}

/// The types met whose name is lost (defined only in damaged bytes).
#[derive(Default)]
struct CopiedTypes {
    /// Records copied of a type whose name is lost.
    unknown: u64,
    unknown_ids: Vec<u32>,
}

impl CopiedTypes {
    /// The name to copy record `rec` under, noting a lost one.
    fn name(&mut self, rec: &binlog::Record<'_>) -> String {
        let Some(id) = rec.lost_type_id() else {
            return rec.type_name.to_string();
        };
        self.unknown += 1;
        if !self.unknown_ids.contains(&id) {
            self.unknown_ids.push(id);
        }
        type_names::unknown_type(id)
    }
}

/// Reads the copy back before anything is cut: it must hold the run's
/// records, numbered as they were.
fn check_copy(to: &Path, run: &IntactRun) -> CliResult<()> {
    let mut r = Reader::open(to)?;
    let mut n = 0u64;
    let mut last = None;
    while let Some(rec) = r.next()? {
        n += 1;
        last = Some(rec.seq);
    }
    if n != run.count || last != Some(run.first_seq + run.count - 1) {
        return Err(CliError::io(format!(
            "{}: the copy holds {n} records, {} were expected; nothing was cut",
            to.display(),
            run.count
        )));
    }
    Ok(())
}

/// What a salvage of `run` into `to` says it did.
fn salvaged_line(run: &IntactRun, to: &Path, types: &CopiedTypes) -> String {
    let lost = if types.unknown > 0 {
        let names: Vec<String> = types
            .unknown_ids
            .iter()
            .map(|&i| type_names::unknown_type(i))
            .collect();
        format!(
            " ({} of them of types defined only in the damaged bytes, named {})",
            types.unknown,
            names.join(", ")
        )
    } else {
        String::new()
    };
    format!(
        "  salvaged {} records (seq {}..{}) from offsets {}..{} into {}{lost}",
        run.count,
        run.first_seq,
        run.first_seq + run.count - 1,
        run.start,
        run.end,
        to.display(),
    )
}
