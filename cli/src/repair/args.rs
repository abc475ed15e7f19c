//! `binlog repair`'s arguments.

use crate::paths::SourceArgs;
use crate::progress::ProgressArgs;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
#[command(after_help = "\
Every file repair changes is first copied to <file>.backup-<UTC time> (in
--backup-dir if given). Valid records are never deleted: a torn tail's bytes
are kept in <segment>.corrupt-<offset> as well, and with --salvage the
records after mid-file damage are copied to a new segment before the
segment is cut. No segment is changed in place: the repaired one is
written to <segment>.repair-tmp, synced and renamed over it, so readers
that have the old one open read it unharmed. Exit status 0 when
everything is repaired (or nothing needed to be), 1 when damage remains
(refused, or a writer has the segment open), 2 on errors.

Examples:
  binlog repair --dry-run /var/log/orders
  binlog repair /var/log/orders
  binlog repair --salvage --backup-dir /srv/backups damaged.binlog
  binlog repair --accept-gap 14..19 --reason 'lost in disk damage' /var/log/orders")]
pub struct RepairArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Say what would be done, and change nothing.
    // `-n`, its old short spelling, is still accepted but not shown: `-n`
    // is `tail`'s number of lines, one meaning per short flag.
    #[arg(long, short_alias = 'n')]
    pub dry_run: bool,
    /// Copy the valid records that follow corruption in the middle of a
    /// segment into new segments, then cut the damaged segment before the
    /// damage (instead of refusing).
    #[arg(long)]
    pub salvage: bool,
    /// Put backup copies here instead of beside each file.
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Print the report as one JSON document: each segment's check (as
    /// `verify --json`), the action, the steps taken and the result.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub progress: ProgressArgs,
    /// Accept that the log's records FROM..TO (inclusive) are lost, so that
    /// verify reports the gap as accepted, not as damage; changes no
    /// segment (recorded in <log>.accepted-gaps).
    #[arg(long, value_name = "FROM..TO", conflicts_with = "salvage")]
    pub accept_gap: Option<String>,
    /// Why the gap is accepted (with --accept-gap; shown by verify).
    #[arg(long, value_name = "TEXT", requires = "accept_gap")]
    pub reason: Option<String>,
}
