//! `binlog stats`: records and bytes per type, and per second, minute,
//! hour or day (UTC), to see who writes what and when. Memory grows with
//! the number of types and time buckets, never with the number of records.
//!
//! `tally` counts the records (the library's `Summary`, and time buckets),
//! `report` prints the counts, with a `sparkline` of the buckets.

mod args;
mod report;
mod sparkline;
mod tally;

pub use args::StatsArgs;

use crate::error::{CliResult, Outcome};
use crate::output;
use crate::paths;
use crate::progress::Progress;
use crate::select::{self, Walk};
use std::io::Write;
use tally::Tally;

pub fn run(args: &StatsArgs) -> CliResult<Outcome> {
    let filter = args.filter.build()?;
    let files = paths::all_files(&args.source.resolve()?);
    let mut progress = Progress::bytes(paths::total_len(&files), "stats");
    let mut tally = Tally::new(args.by.ns());
    let outcome = select::for_each(&files, &filter, Walk::ALL, &mut progress, |r, _| {
        tally.add(r);
        Ok(())
    })?;
    progress.finish();
    let mut out = output::stdout();
    match args.json {
        true => report::print_json(&mut out, &tally, args.by)?,
        false => report::print_text(&mut out, &tally, args)?,
    }
    out.flush()?;
    Ok(outcome)
}
