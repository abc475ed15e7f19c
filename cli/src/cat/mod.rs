//! `binlog cat`: records in order, as readable lines or JSON lines.

pub(crate) mod merge;

use crate::error::{CliResult, Outcome};
use crate::paths;
use crate::select::{self, RecordArgs, Walk};
use clap::Args;

#[derive(Args, Debug)]
#[command(after_help = include_str!("../help/cat.txt"))]
pub struct CatArgs {
    #[command(flatten)]
    pub records: RecordArgs,
    /// Print only the first N matching records.
    #[arg(long, value_name = "N")]
    pub head: Option<u64>,
    /// Print only the last N matching records.
    #[arg(long, value_name = "N")]
    pub tail: Option<u64>,
    /// Read past damage: skip each damaged region (a damaged header too),
    /// print the records after it, and report the region on standard error
    /// with its file, offset and the records lost (exit status 1 at the
    /// end), as `tail -f` does. Without it a segment is read up to its
    /// first damage.
    #[arg(long)]
    pub skip_damaged: bool,
    /// Read every log of the directory and/or s3:// prefix given whose
    /// name matches --log PATTERN (`*`, `?`; default all) as one stream
    /// ordered by time (ties: by log name, then sequence number), each
    /// line starting with its log's name (in JSON, a "log" field). With
    /// --from-time/--to-time, sealed segments outside the range are not
    /// read.
    #[arg(long)]
    pub merge: bool,
}

pub fn run(args: &CatArgs) -> CliResult<Outcome> {
    if args.merge {
        return merge::run(args);
    }
    let a = &args.records;
    let filter = a.build_filter()?;
    let files = paths::all_files(&a.source.resolve()?);
    let start = match args.tail {
        Some(n) => select::tail_start(&files, &filter, n, args.skip_damaged)?,
        None => Walk::default(),
    };
    let walk = Walk {
        head: args.head,
        skip_damaged: args.skip_damaged,
        ..start
    };
    select::print_records(&files, &filter, walk, a)
}
