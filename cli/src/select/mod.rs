//! Choosing records, for the commands that print or count them (`cat`,
//! `tail`, `stats`): filters by type, sequence range and time range
//! (`filter`), where printing starts for `--tail N` (`start`), and a
//! streaming walk over segments that applies them (`for_each`). A sealed
//! segment that cannot match is skipped from its seal; a type filter uses
//! the seal's per-type index and a lower bound seeks through the sparse
//! index, so a narrow query does not read a whole log. Memory stays
//! constant: `--tail N` counts matches backwards segment by segment instead
//! of buffering records.

mod filter;
mod for_each;
mod start;

pub use filter::{Filter, FilterArgs};
pub use for_each::{damage_message, for_each, Walk};
pub use start::{first_seq_from, tail_start, PrintStart};

use crate::error::{CliError, CliResult, Outcome};
use crate::output::{self, PayloadMode, RecordPrinter};
use crate::paths::SourceArgs;
use crate::progress::Progress;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

/// Options shared by the commands that print records (cat, tail).
#[derive(Args, Debug, Clone)]
pub struct RecordArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// One JSON object per record and line: seq, time, ts_ns, type, meta,
    /// payload, encoding, size.
    #[arg(long)]
    pub json: bool,
    /// How to show payloads.
    #[arg(long, value_enum, default_value_t = PayloadMode::Auto, value_name = "MODE")]
    pub payload: PayloadMode,
    /// Print each payload decoded by its type's schema in the segment
    /// header (protobuf, JSON, CBOR, MessagePack) as JSON: in place of the
    /// payload, or with --json as a "decoded" member. A payload that does
    /// not decode is printed as without --decode, named on standard error
    /// (exit status 3).
    #[arg(long)]
    pub decode: bool,
    #[command(flatten)]
    pub filter: FilterArgs,
}

impl RecordArgs {
    /// The filter these options ask for, once a payload mode the output
    /// cannot carry (raw bytes in JSON) is refused.
    pub fn build_filter(&self) -> CliResult<Filter> {
        if self.json && self.payload == PayloadMode::Raw {
            let why = "--payload raw cannot be used with --json (use base64 or hex)";
            return Err(CliError::usage(why));
        }
        self.filter.build()
    }

    /// The printer of records these options ask for.
    pub fn printer(&self) -> RecordPrinter {
        RecordPrinter::new(self.json, self.payload, self.decode)
    }
}

/// Prints on standard output the records of `files` that `filter` and
/// `walk` select, as `a` says (lines or JSON).
pub fn print_records(
    files: &[PathBuf],
    filter: &Filter,
    walk: Walk,
    a: &RecordArgs,
) -> CliResult<Outcome> {
    let mut out = output::stdout();
    let mut printer = a.printer();
    let outcome = for_each(files, filter, walk, &mut Progress::hidden(), |r, at| {
        printer.print_from(&mut out, at, r).map_err(CliError::from)
    })?;
    out.flush()?;
    Ok(outcome.max(printer.outcome()))
}
