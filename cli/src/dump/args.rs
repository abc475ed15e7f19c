//! `binlog dump`'s arguments.

use crate::paths::SourceArgs;
use crate::progress::NoProgressAccepted;
use clap::Args;

#[derive(Args, Debug)]
#[command(after_help = "\
Each line is one part of the file: its offset (@N), what it is, its length,
then field=value pairs. See docs/FORMAT.md for what the fields mean.

Examples:
  binlog dump events.binlog
  binlog dump big.binlog --from-offset 4096 --limit 20
  binlog dump orders.binlog --json --bytes 64")]
pub struct DumpArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Start at this offset instead of the first record.
    #[arg(long, value_name = "OFFSET")]
    pub from_offset: Option<u64>,
    /// At most N frames per file.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Payload bytes shown per record.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub bytes: usize,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub no_progress: NoProgressAccepted,
}
