//! `binlog consumers`: the named consumers of a directory's logs, each
//! with its position, lag and last commit (`binlog::list_consumers`), and
//! `binlog consumers rm` (`binlog::remove_consumer`).

use crate::error::{CliError, CliResult, Outcome};
use crate::output::{self, print_json_document};
use crate::paths;
use crate::time::rfc3339;
use binlog::ConsumerInfo;
use clap::{Args, Subcommand};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = include_str!("help/consumers.txt")
)]
pub struct ConsumersArgs {
    #[command(subcommand)]
    action: Option<Action>,
    /// A log directory.
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Only the consumers of this log (default: every log in DIR).
    #[arg(long, value_name = "NAME")]
    log: Option<String>,
    /// One JSON document: an array of consumers.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand, Debug)]
enum Action {
    /// Remove a consumer (retention stops waiting for it); refused while
    /// it is open.
    Rm {
        /// The log directory.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        /// The consumer's name.
        #[arg(value_name = "NAME")]
        name: String,
    },
}

pub fn run(args: &ConsumersArgs) -> CliResult<Outcome> {
    if let Some(Action::Rm { dir, name }) = &args.action {
        binlog::remove_consumer(dir, name)?;
        return Ok(Outcome::Clean);
    }
    let why = "give a log directory (DIR)";
    let dir = args.dir.as_ref().ok_or_else(|| CliError::usage(why))?;
    let mut rows = Vec::new();
    for source in paths::scan_dir(dir, args.log.as_deref())? {
        let Some(log) = source.log else { continue };
        for c in binlog::list_consumers(&log.dir, &log.name)? {
            rows.push((log.name.clone(), c));
        }
    }
    let mut out = output::stdout();
    if args.json {
        let row = |(log, c): &(String, ConsumerInfo)| {
            json!({
                "log": log, "consumer": c.name, "next_seq": c.next_seq,
                "lag_records": c.lag_records, "lag_bytes": c.lag_bytes,
                "last_commit_ns": c.commit_ns, "last_commit": rfc3339(c.commit_ns),
            })
        };
        let doc: Vec<_> = rows.iter().map(row).collect();
        print_json_document(&mut out, &json!(doc))?;
        return Ok(Outcome::Clean);
    }
    out.write_all(b"LOG\tCONSUMER\tNEXT_SEQ\tLAG_RECORDS\tLAG_BYTES\tLAST_COMMIT\n")?;
    for (log, c) in &rows {
        let (name, next, lag) = (&c.name, c.next_seq, (c.lag_records, c.lag_bytes));
        let commit = rfc3339(c.commit_ns);
        writeln!(out, "{log}\t{name}\t{next}\t{}\t{}\t{commit}", lag.0, lag.1)?;
    }
    out.flush()?;
    Ok(Outcome::Clean)
}
