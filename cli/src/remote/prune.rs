//! `binlog remote prune`: keeps a shipped log's objects in the bucket
//! within a count, a byte total or an age (the library's
//! `RemoteLog::prune`: oldest first, journaled, one pruner at a time).

use super::{remote_log, RemoteLogArgs};
use crate::error::{CliError, CliResult, Outcome};
use crate::output;
use binlog::archive::PruneOptions;
use binlog::naming::parse_object_key;
use binlog::{Gap, GapReason};
use clap::Args;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

#[derive(Args, Debug)]
#[command(after_help = include_str!("../help/remote-prune.txt"))]
pub struct PruneArgs {
    #[command(flatten)]
    pub at: RemoteLogArgs,
    #[command(flatten)]
    pub limits: KeepArgs,
    /// Print what would be deleted; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Take over a prune claim older than this many seconds (its pruner
    /// taken for dead: killed, or cut off from the bucket).
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    pub stale_claim_after: u64,
    /// The log's local directory, whose consumers the prune waits for
    /// (with --consumer-max-lag-bytes or --consumer-max-lag-age).
    #[arg(long, value_name = "DIR")]
    pub consumers_dir: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// How much of a log the bucket keeps (`binlog remote prune`).
#[derive(Args, Debug, Clone, Default)]
pub struct KeepArgs {
    /// Keep at most N segment objects.
    #[arg(long, value_name = "N")]
    pub keep_count: Option<usize>,
    /// Keep at most B bytes of segment objects.
    #[arg(long, value_name = "B")]
    pub keep_bytes: Option<u64>,
    /// Keep objects whose last record is younger than DUR (e.g. 30d, 12h).
    #[arg(long, value_name = "DUR", value_parser = parse_age)]
    pub keep_age: Option<Duration>,
}

/// Waiting for a log's consumers (`binlog ship`, `binlog remote prune`).
#[derive(Args, Debug, Clone, Default)]
pub struct WaitArgs {
    /// Keep what a consumer of the log (NAME.consumer in its directory)
    /// has not committed past, while the segments from there on take at
    /// most B bytes.
    #[arg(long, value_name = "B")]
    pub consumer_max_lag_bytes: Option<u64>,
    /// Keep what a consumer has not committed past while it is at most DUR
    /// old.
    #[arg(long, value_name = "DUR", value_parser = parse_age)]
    pub consumer_max_lag_age: Option<Duration>,
}

impl WaitArgs {
    /// The bound, if either is given.
    pub fn bound(&self) -> Option<binlog::ConsumerBound> {
        let b = binlog::ConsumerBound {
            max_bytes: self.consumer_max_lag_bytes,
            max_age: self.consumer_max_lag_age,
        };
        (b != binlog::ConsumerBound::default()).then_some(b)
    }
}

impl KeepArgs {
    /// The library's options of these limits.
    pub fn options(&self) -> PruneOptions {
        PruneOptions {
            max_segments: self.keep_count,
            max_bytes: self.keep_bytes,
            max_age: self.keep_age,
            ..PruneOptions::default()
        }
    }
}

pub fn parse_age(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{s:?}: {e} (say e.g. 30d, 12h, 90s)"))
}

pub fn run(args: &PruneArgs) -> CliResult<Outcome> {
    let l = &args.limits;
    let why = "say what to keep: --keep-count N, --keep-bytes B or --keep-age DUR";
    let keeps_all = l.keep_count.is_none() && l.keep_bytes.is_none() && l.keep_age.is_none();
    crate::error::refuse(keeps_all, why)?;
    let log = remote_log(&args.at.url, args.at.log.as_deref())?;
    let why = "--consumers-dir and --consumer-max-lag-bytes/--consumer-max-lag-age go together";
    let wait = match (&args.consumers_dir, args.wait.bound()) {
        (Some(dir), Some(bound)) => Some((dir.clone(), bound)),
        (None, None) => None,
        _ => return Err(CliError::usage(why)),
    };
    let opts = PruneOptions {
        dry_run: args.dry_run,
        stale_claim_after: Duration::from_secs(args.stale_claim_after),
        wait_for_consumers: wait,
        ..l.options()
    };
    // Held by another pruner: the message names the claim and its holder
    // (not a writer, as a local lock would be).
    let r = log.prune(&opts).map_err(|e| match e.kind() {
        binlog::ErrorKind::Locked => CliError::io(e.message()),
        _ => CliError::from(e),
    })?;
    // One line per object deleted, then what is kept.
    let mut out = output::stdout();
    let verb = ["deleted", "would delete"][usize::from(args.dry_run)];
    let left = " (left by an interrupted prune)";
    for (i, s) in r.deleted.iter().enumerate() {
        let why = if i < r.finished { left } else { "" };
        let (no, size, key) = (s.key.segment_no, s.size, &s.object_key);
        writeln!(out, "{verb} segment {no} ({size} bytes) {key}{why}")?;
    }
    let through = r.pruned_through.map(|t| format!("segments up to {t}"));
    let through = through.unwrap_or_else(|| "none".into());
    if let Some((s, why)) = &r.locked {
        let (no, key) = (s.key.segment_no, &s.object_key);
        writeln!(out, "kept segment {no} {key} and newer: Object Lock, {why}")?;
    }
    let kept = crate::error::counted(r.kept as u64, "object");
    writeln!(out, "kept {kept}; pruned: {through}")?;
    out.flush()?;
    Ok(Outcome::Clean)
}

/// The gap of the segment object at `path` (of a log `resolve` named),
/// found gone from the bucket: `Some` (reason `retention`) if the log's
/// prune marker covers it, as the library's log reader says.
pub fn pruned_gap(path: &Path) -> Option<Gap> {
    let log = super::log_of(path)?;
    let key = parse_object_key(path.file_name()?.to_str()?)?;
    let through = log.pruned_through().ok()??;
    (key.segment_no <= through).then(|| Gap {
        reason: GapReason::Retention,
        path: path.to_path_buf(),
        offset: None,
        from_seq: Some(key.first_seq),
        to_seq: None,
    })
}
