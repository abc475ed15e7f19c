//! `binlog remote fetch s3://BUCKET/PREFIX --log NAME DIR`: a shipped
//! log's segment objects (those holding `--from-seq`..`--to-seq`) copied
//! into DIR as the log's segment files, each checked against the SHA-256
//! its metadata carries (the library's `RemoteLog::fetch_iter`), each
//! printed as it lands; records missing between two of them (an object
//! not in the bucket) are a gap, as a read reports it.

use super::{remote_log_with, RemoteLogArgs};
use crate::error::{check_seq_order, CliResult, Outcome};
use crate::output;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
#[command(after_help = include_str!("../help/remote-fetch.txt"))]
pub struct FetchArgs {
    #[command(flatten)]
    pub at: RemoteLogArgs,
    /// The directory the segment files are written to (made if missing).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Fetch from the object holding this sequence number on.
    #[arg(long, value_name = "N")]
    pub from_seq: Option<u64>,
    /// Fetch up to the object holding this sequence number.
    #[arg(long, value_name = "N")]
    pub to_seq: Option<u64>,
    /// How long failed requests are retried before the command gives up.
    #[arg(long, value_name = "SECS", default_value_t = 180)]
    pub retry_timeout: u64,
}

pub fn run(args: &FetchArgs) -> CliResult<Outcome> {
    check_seq_order(args.from_seq, args.to_seq)?;
    let c = super::logs::connection(args.retry_timeout);
    let log = remote_log_with(&args.at.url, args.at.log.as_deref(), &c)?;
    std::fs::create_dir_all(&args.dir)
        .map_err(|e| binlog::Error::io(&args.dir, "make the directory", e))?;
    let mut out = output::stdout();
    let mut fetched = 0u64;
    let mut gaps = Vec::new();
    // Each line as its object lands: a fetch that stops has printed the
    // copies it made.
    for f in log.fetch_iter(&args.dir, args.from_seq, args.to_seq)? {
        let f = f?;
        fetched += 1;
        let how = ["fetched", "already there"][usize::from(f.already_there)];
        let (url, path) = (log.url_of(&f.object_key), f.path.display());
        writeln!(out, "{how} {} -> {path} ({} bytes)", url.display(), f.bytes)?;
        out.flush()?;
        if let Some(g) = f.gap {
            eprintln!("binlog: gap: {g}");
            gaps.push(g);
        }
    }
    if fetched == 0 {
        let name = log.log();
        eprintln!("binlog: no segment object of log {name:?} holds that range");
    }
    out.flush()?;
    Ok(Outcome::Damaged.when(binlog::records_missing(&gaps, 0)))
}
