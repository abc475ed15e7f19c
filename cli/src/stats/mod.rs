//! `binlog stats`: records and bytes per type, and per second, minute,
//! hour or day (UTC), to see who writes what and when. Memory grows with
//! the number of types and time buckets, never with the number of records.
//!
//! `Tally` counts the records (the library's `Summary`, and records and
//! bytes per type in each time bucket), `report` prints the counts, with a
//! sparkline of the buckets.

mod report;

use crate::error::{CliResult, Outcome};
use crate::output;
use crate::paths::{self, SourceArgs};
use crate::progress::{Progress, ProgressArgs};
use crate::select::{self, FilterArgs, Walk};
use crate::time;
use binlog::{Record, Summary};
use clap::{Args, ValueEnum};
use std::collections::BTreeMap;
use std::io::Write;

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

#[derive(Default, Clone)]
struct Bucket {
    records: u64,
    bytes: u64,
    /// By the type's place in the summary's types: (records, bytes).
    types: Vec<(u64, u64)>,
}

impl Bucket {
    fn add(&mut self, t: usize, bytes: u64) {
        self.records += 1;
        self.bytes += bytes;
        if self.types.len() <= t {
            self.types.resize(t + 1, (0, 0));
        }
        self.types[t].0 += 1;
        self.types[t].1 += bytes;
    }
}

/// What the records counted hold.
#[derive(Default)]
struct Tally {
    /// Bucket width in ns (None: no time buckets).
    width: Option<i64>,
    summary: Summary,
    /// By the start of each bucket.
    buckets: BTreeMap<i64, Bucket>,
}

impl Tally {
    fn new(width: Option<i64>) -> Tally {
        Tally {
            width,
            ..Tally::default()
        }
    }

    fn add(&mut self, r: &Record<'_>) {
        let t = self.summary.add(r);
        if let Some(w) = self.width {
            let bucket = self.buckets.entry(time::floor(r.timestamp_ns, w));
            bucket.or_default().add(t, r.frame_len);
        }
    }

    /// The type indexes, busiest first.
    fn busiest_first(&self) -> Vec<usize> {
        let types = &self.summary.types;
        let mut order: Vec<usize> = (0..types.len()).collect();
        order.sort_by_key(|&t| (std::cmp::Reverse(types[t].records), &types[t].name));
        order
    }
}
