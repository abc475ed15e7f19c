//! `binlog stats`'s arguments.

use crate::paths::SourceArgs;
use crate::progress::ProgressArgs;
use crate::select::FilterArgs;
use clap::{Args, ValueEnum};

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
    pub(super) fn ns(self) -> Option<i64> {
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
    pub(super) fn label(self) -> String {
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
