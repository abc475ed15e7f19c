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
//! to, with its options from the command line.

mod args;
mod batch;
mod destination;
mod input;
mod json;
mod undo;

pub use args::WriteArgs;

use crate::error::{CliError, CliResult, Outcome};
use crate::output;
use batch::Batch;
use input::Input;
use std::cell::RefCell;
use std::io::Write;

pub fn run(args: &WriteArgs) -> CliResult<Outcome> {
    let why = "--type is required (or use --json with a \"type\" in each object)";
    crate::error::refuse(!args.json && args.type_name.is_none(), why)?;
    let meta = args.meta.iter().map(|m| args::key_value("--meta", m));
    let meta = meta.collect::<CliResult<Vec<_>>>()?;
    let (dest, shown, created) = destination::open(args)?;
    let batch = RefCell::new(Batch::new(args.max_record_size));
    let input = Input::stdin(&batch, &dest);
    let result = match args.json {
        true => json::read_json(input, args, &meta),
        false => input::read_lines(input, args, &meta),
    };
    // The records read before bad input (or a failed write) are written
    // too; a failed write left nothing pending to write twice.
    let mut batch = batch.into_inner();
    let flushed = batch.flush(&dest);
    let closed = dest.finish().map_err(CliError::from);
    let failed = result.is_err() || flushed.is_err() || closed.is_err();
    // How many records of the batch are in the destination: after a failure
    // the library may have taken records into its buffers that never reached
    // the file (a full disk), so what is there is counted.
    let accepted = batch.written;
    let count = match batch.first_seq {
        Some(first) if failed => dest.count_in_file(first, accepted),
        _ => accepted,
    };
    // The sequence numbers of `n` records from `from` on (None: none).
    let seqs = |from: u64, n: u64| (n > 0).then(|| (from, from + n - 1));
    let first = batch.first_seq.unwrap_or(0);
    let summary = Written {
        count,
        seqs: seqs(first, count),
        not_written: seqs(first + count, accepted - count),
    };
    let removed = result.is_err() && batch.first_seq.is_none();
    if removed {
        // Bad input before any record: leave nothing behind.
        drop(dest);
        created.remove();
        eprintln!("binlog: wrote 0 records; {shown} is left as it was");
    } else {
        // How many records were written (and, after a failure, how many read
        // were not).
        match summary.seqs {
            None => eprintln!("binlog: wrote 0 records to {shown}"),
            Some((first, last)) => {
                let records = crate::error::counted(summary.count, "record");
                eprintln!("binlog: wrote {records} (seq {first}..{last}) to {shown}")
            }
        }
        if let Some((from, to)) = summary.not_written {
            let lost = match to - from + 1 {
                1 => format!("1 more record read from the input was not written (seq {from} is"),
                k => format!(
                    "{k} more records read from the input were not written (seq {from}..{to} are"
                ),
            };
            eprintln!("binlog: error: {shown}: {lost} not in the file)");
        }
    }
    let errors = [result.err(), flushed.err(), closed.err()];
    if args.json_summary {
        let error = errors.iter().flatten().next().map(|e| e.to_string());
        print_summary(&summary, &shown, removed, error)?;
    }
    // The first error is the command's; any later one is printed too, unless
    // it says the same again (a failed write, then the close).
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

/// What a write did: the records in the file, and those read but not
/// written.
struct Written {
    count: u64,
    /// The sequence numbers of the first and the last (None: none written).
    seqs: Option<(u64, u64)>,
    /// Sequence numbers `from..=to` read from the input, not in the file.
    not_written: Option<(u64, u64)>,
}

/// `--json-summary`: one JSON document on standard output (docs/CLI.md).
fn print_summary(w: &Written, shown: &str, removed: bool, error: Option<String>) -> CliResult<()> {
    let seqs = |from: u64, to: u64| serde_json::json!({"first_seq": from, "last_seq": to, "records": to - from + 1});
    let doc = serde_json::json!({
        "destination": shown, "written": w.count,
        "first_seq": w.seqs.map(|s| s.0), "last_seq": w.seqs.map(|s| s.1),
        "not_written": w.not_written.map(|(f, t)| seqs(f, t)), "removed_created_files": removed,
        "error": error,
    });
    let mut out = output::stdout();
    output::print_json_document(&mut out, &doc)?;
    Ok(out.flush()?)
}
