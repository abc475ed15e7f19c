//! `binlog ship`: uploads a log's sealed segments to an S3-compatible
//! bucket (the library's `archive::Shipper`), once or, with `--follow`,
//! as they are sealed; with `--keep-local N`, removes local segments past
//! the newest N once their copies are verified in the bucket.

use crate::error::{CliError, CliResult, Outcome};
use binlog::archive::{Connection, Location, LockMode, ObjectLock, ShipOptions, Shipper};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug)]
#[command(after_help = include_str!("help/ship.txt"))]
pub struct ShipArgs {
    /// The log's directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The log's name.
    #[arg(long, value_name = "NAME")]
    pub log: String,
    /// Where to: s3://BUCKET[/PREFIX].
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Keep shipping segments as they are sealed, until stopped.
    #[arg(long)]
    pub follow: bool,
    /// Seconds between two looks for newly sealed segments (with --follow).
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    pub interval: f64,
    /// Remove local segments once shipped and verified, keeping the newest N
    /// sealed ones (default: remove none).
    #[arg(long, value_name = "N")]
    pub keep_local: Option<usize>,
    /// The S3 endpoint URL (default: AWS_ENDPOINT_URL, else AWS itself).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// The region (default: AWS_REGION).
    #[arg(long)]
    pub region: Option<String>,
    /// Address buckets as BUCKET.HOST rather than HOST/BUCKET (path style).
    #[arg(long)]
    pub virtual_hosted: bool,
    /// Segments larger than this go up in parts (multipart upload).
    #[arg(long, value_name = "BYTES", default_value_t = ShipOptions::default().multipart_threshold)]
    pub multipart_threshold: u64,
    /// How long failed requests are retried before the command gives up.
    #[arg(long, value_name = "SECS", default_value_t = 180)]
    pub retry_timeout: u64,
    /// After each pass, keep at most N segment objects in the bucket
    /// (as `binlog remote prune --keep-count`).
    #[arg(long, value_name = "N")]
    pub remote_keep_count: Option<usize>,
    /// After each pass, keep at most B bytes of segment objects in the bucket.
    #[arg(long, value_name = "B")]
    pub remote_keep_bytes: Option<u64>,
    /// After each pass, delete objects whose last record is older than DUR.
    #[arg(long, value_name = "DUR", value_parser = crate::remote::prune::parse_age)]
    pub remote_keep_age: Option<Duration>,
    /// --keep-local and the remote limits wait for the log's consumers.
    #[command(flatten)]
    pub wait: crate::remote::prune::WaitArgs,
    /// Lock each segment object and signed head under S3 Object Lock
    /// (WORM) in this mode, for --lock-days; the bucket must have Object
    /// Lock enabled.
    #[arg(long, value_name = "MODE", value_parser = ["governance", "compliance"], requires = "lock_days")]
    pub object_lock: Option<String>,
    /// Days from each object's upload until its lock ends.
    #[arg(long, value_name = "DAYS", requires = "object_lock")]
    pub lock_days: Option<u32>,
}

pub fn run(args: &ShipArgs) -> CliResult<Outcome> {
    let to = Location::parse(&args.to)?;
    let why = "--interval must be a positive number of seconds";
    crate::error::refuse(!(args.interval > 0.0 && args.interval.is_finite()), why)?;
    let opts = ShipOptions {
        keep_local: args.keep_local,
        multipart_threshold: args.multipart_threshold,
        connection: Connection {
            endpoint: args.endpoint.clone(),
            region: args.region.clone(),
            virtual_hosted_style: args.virtual_hosted.then_some(true),
            ..crate::remote::logs::connection(args.retry_timeout)
        },
        remote_retention: crate::remote::prune::KeepArgs {
            keep_count: args.remote_keep_count,
            keep_bytes: args.remote_keep_bytes,
            keep_age: args.remote_keep_age,
        }
        .options(),
        wait_for_consumers: args.wait.bound(),
        object_lock: args.object_lock.as_deref().map(|mode| ObjectLock {
            mode: match mode {
                "compliance" => LockMode::Compliance,
                _ => LockMode::Governance,
            },
            days: args.lock_days.unwrap_or_default(),
        }),
        ..ShipOptions::default()
    };
    let mut shipper = Shipper::open(&args.dir, &args.log, &to, opts).map_err(ship_error)?;
    loop {
        match shipper.ship_once() {
            Ok(report) => print_report(&report, &to, &args.log),
            // Following, a store that stays unreachable past the retries
            // is waited for: the journal resumes the upload.
            Err(e) if args.follow && e.kind() == binlog::ErrorKind::Remote => {
                eprintln!("binlog: error: {} (trying again)", e.message());
            }
            Err(e) => return Err(ship_error(e)),
        }
        if !args.follow {
            return Ok(Outcome::Clean);
        }
        std::thread::sleep(Duration::from_secs_f64(args.interval));
    }
}

/// One line per segment shipped or removed, as it happened.
fn print_report(r: &binlog::archive::ShipReport, to: &Location, log: &str) {
    for n in &r.uploaded {
        println!("uploaded segment {n} of {log} to {to}");
    }
    for n in &r.found_uploaded {
        println!("found segment {n} of {log} already in {to}, the same bytes");
    }
    for n in &r.removed_local {
        println!("removed local segment {n} (verified in {to})");
    }
    for n in &r.pruned {
        println!("pruned segment {n} of {log} from {to} (remote retention)");
    }
    if let Some((s, why)) = &r.prune_locked {
        let n = s.key.segment_no;
        println!("kept segment {n} of {log} and newer in {to}: Object Lock, {why}");
    }
}

/// A shipping error: the library's message names the file or object; a
/// refused argument is a usage error, anything else an error (exit 2):
/// a conflict or a claim by another log is not damage of the local log.
fn ship_error(e: binlog::Error) -> CliError {
    match e.kind() {
        binlog::ErrorKind::InvalidArgument => CliError::usage(e.message()),
        _ => CliError::io(e.message()),
    }
}
