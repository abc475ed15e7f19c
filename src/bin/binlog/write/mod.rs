//! `binlog write`: appends records read from standard input: one per line
//! (the line is the payload), or one per JSON object with `--json`. For
//! scripts and tests. Each record is stamped when it is read (unless it
//! gives its time). Records are written in batches, and handed to the OS
//! whenever standard input has nothing more ready, so that a slow producer's
//! records (`tail -F app.log | binlog write ...`) are on file at once; the
//! segment (or the log's current segment) is synced and sealed at the end.
//!
//! `input` reads standard input (lines, or `json` objects), `batch` gathers
//! the records and writes them, `destination` is the segment or log written
//! to, `options` its options from the command line.

mod args;
mod batch;
mod destination;
mod input;
mod json;
mod options;
mod undo;

pub use args::WriteArgs;

use crate::error::{CliError, CliResult, Outcome};
use batch::Batch;
use destination::Destination;
use input::Input;
use std::cell::RefCell;

pub fn run(args: &WriteArgs) -> CliResult<Outcome> {
    if !args.json && args.type_name.is_none() {
        return Err(CliError::usage(
            "--type is required (or use --json with a \"type\" in each object)",
        ));
    }
    let meta = args
        .meta
        .iter()
        .map(|m| args::key_value("--meta", m))
        .collect::<CliResult<Vec<_>>>()?;
    let (dest, shown, created) = destination::open(args)?;
    let batch = RefCell::new(Batch::new(args.max_record_size));
    let input = Input::stdin(&batch, &dest);
    let result = if args.json {
        json::read_json(input, args, &meta)
    } else {
        input::read_lines(input, args, &meta)
    };
    // The records read before bad input (or a failed write) are written
    // too; a failed write left nothing pending to write twice.
    let mut batch = batch.into_inner();
    let flushed = batch.flush(&dest);
    let closed = dest.finish().map_err(CliError::from);
    let failed = result.is_err() || flushed.is_err() || closed.is_err();
    if result.is_err() && batch.first_seq.is_none() {
        // Bad input before any record: leave nothing behind.
        drop(dest);
        created.remove();
        eprintln!("binlog: wrote 0 records; {shown} is left as it was");
        return first_error([result.err(), flushed.err(), closed.err()]);
    }
    report_written(&dest, &batch, failed, &shown);
    first_error([result.err(), flushed.err(), closed.err()])
}

/// Says on standard error how many records were written to `shown` (and,
/// after a failure, how many read were not).
fn report_written(dest: &Destination, batch: &Batch, failed: bool, shown: &str) {
    // After a failure the library may have taken records into its buffers
    // that never reached the file (a full disk): count what is there.
    let accepted = batch.written;
    let written = match batch.first_seq {
        Some(first) if failed => dest.count_in_file(first, accepted),
        _ => accepted,
    };
    match (written, batch.first_seq) {
        (0, _) | (_, None) => eprintln!("binlog: wrote 0 records to {shown}"),
        (n, Some(first)) => eprintln!(
            "binlog: wrote {n} record{} (seq {first}..{}) to {shown}",
            if n == 1 { "" } else { "s" },
            first + n - 1
        ),
    }
    if let (true, Some(first)) = (written < accepted, batch.first_seq) {
        let (from, to) = (first + written, first + accepted - 1);
        let lost = match accepted - written {
            1 => format!("1 more record read from the input was not written (seq {from} is"),
            k => format!(
                "{k} more records read from the input were not written (seq {from}..{to} are"
            ),
        };
        eprintln!("binlog: error: {shown}: {lost} not in the file)");
    }
}

/// The first error is the command's; any later one is printed too, unless
/// it says the same again (a failed write, then the close).
fn first_error(errors: [Option<CliError>; 3]) -> CliResult<Outcome> {
    let mut errors = errors.into_iter().flatten();
    let Some(first) = errors.next() else {
        return Ok(Outcome::Clean);
    };
    let mut said = vec![first.to_string()];
    for e in errors {
        if !said.contains(&e.to_string()) {
            said.push(e.to_string());
            let _ = e.report();
        }
    }
    Err(first)
}
