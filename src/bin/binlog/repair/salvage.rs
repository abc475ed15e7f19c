//! `repair --salvage`: the runs of intact records after mid-file damage
//! are copied into new segments `<segment stem>.salvaged-<offset>.binlog`
//! by the library (`binlog::__private::writer::salvage`, which a log writer's
//! recovery uses too), each read back before the segment is cut.

use crate::check::{Analysis, IntactRun};
use crate::error::CliResult;
use crate::paths;
use crate::type_names;
use binlog::__private::writer::salvage::{self, Salvaged};
use binlog::Options;
use std::path::Path;

/// Copies the records of `run` into a new segment, with their sequence
/// numbers, timestamps, types and metadata, as the library's reader
/// skipping damage reads them; the library checks the copy.
pub(super) fn salvage_run(
    path: &Path,
    a: &Analysis,
    run: &IntactRun,
    report: &impl Fn(String),
) -> CliResult<()> {
    let done = salvage::salvage_run(path, origin(path, a), run)?;
    report(salvaged_line(run, &done));
    Ok(())
}

/// The header fields of the segment a run is copied from, for its copy.
fn origin(path: &Path, a: &Analysis) -> Options {
    let mut opts = Options {
        writer_version: format!("{} (binlog repair --salvage)", binlog::version::WRITER),
        ..Options::default()
    };
    if let Some(h) = &a.header {
        opts.log_name = h.log_name.clone();
        opts.content_type = h.content_type.clone();
        opts.params = h.params.clone();
        opts.segment_no = h.segment_no;
        opts.created_ns = Some(h.created_ns);
    } else if let Some((log, order)) = paths::log_of_file(path) {
        // The header is lost, the name says whose segment it was: the copy
        // is read in its log, which refuses a file of another log or number.
        opts.log_name = log;
        opts.segment_no = order.segment_no;
    }
    opts
}

/// What a salvage of `run` says it did.
fn salvaged_line(run: &IntactRun, done: &Salvaged) -> String {
    let last = run.first_seq + run.count - 1;
    if done.earlier {
        return format!(
            "  {} records (seq {}..{last}) were salvaged before, into {}",
            run.count,
            run.first_seq,
            done.path.display()
        );
    }
    let lost = if done.lost_type_records > 0 {
        let names: Vec<String> = done
            .lost_type_ids
            .iter()
            .map(|&i| type_names::lost_type_name(i))
            .collect();
        format!(
            " ({} of them of types defined only in the damaged bytes, named {})",
            done.lost_type_records,
            names.join(", ")
        )
    } else {
        String::new()
    };
    format!(
        "  salvaged {} records (seq {}..{last}) from offsets {}..{} into {}{lost}",
        run.count,
        run.first_seq,
        run.start,
        run.end,
        done.path.display(),
    )
}
