//! `binlog stats`: records and bytes per type, and per second, minute,
//! hour or day (UTC), to see who writes what and when. Memory grows with
//! the number of types and time buckets, never with the number of records.
//!
//! `tally` counts the records (the library's `Summary`, and time buckets),
//! `report` prints the counts, with a `sparkline` of the buckets.

mod report;
mod sparkline;
mod tally;

use crate::error::{CliResult, Outcome};
use crate::output;
use crate::paths::{self, SourceArgs};
use crate::progress::{Progress, ProgressArgs};
use crate::select::{self, FilterArgs, Walk};
use clap::{Args, ValueEnum};
use std::io::Write;
use tally::Tally;

/// How much time a bucket of `--by` covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BucketWidth {
    Second,
    Minute,
    Hour,
    Day,
    /// No time buckets, types only.
    None,
}

impl BucketWidth {
    fn ns(self) -> Option<i64> {
        const M: i64 = 60_000_000_000;
        match self {
            BucketWidth::Second => Some(M / 60),
            BucketWidth::Minute => Some(M),
            BucketWidth::Hour => Some(60 * M),
            BucketWidth::Day => Some(1440 * M),
            BucketWidth::None => None,
        }
    }

    /// Its name, as `--by` takes it.
    fn label(self) -> String {
        let value = self.to_possible_value().expect("no value is skipped");
        value.get_name().to_string()
    }
}

#[derive(Args, Debug)]
#[command(after_help = "\
Bytes are the records' bytes in the file (framing, type, metadata and
payload). Times are UTC buckets of the records' timestamps; the text
output's `rate` line is a sparkline of the records per bucket, condensed
to the terminal's width (80 columns when standard output is no terminal).

Examples:
  binlog stats /var/log/orders
  binlog stats /var/log/orders --by minute --since 1h
  binlog stats /var/log/orders --by second --since 5m
  binlog stats orders.binlog --by none --json")]
pub struct StatsArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Time buckets.
    #[arg(long, value_enum, default_value_t = BucketWidth::Hour)]
    pub by: BucketWidth,
    /// Types shown per time bucket (the busiest first).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub top: usize,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub progress: ProgressArgs,
}

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
