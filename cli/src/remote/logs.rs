//! `binlog remote ls s3://BUCKET/PREFIX`: every log shipped under a
//! prefix, one line each (the library's `archive::list_logs`: paged
//! listings, and the seals of each log's first and last objects), then
//! the objects under it that are no log's segment or claim, on standard
//! error, with exit status 1; or a shipped log's segment objects
//! (`list_objects`).

use super::{remote_log_with, RemoteLogArgs};
use crate::error::{CliResult, Outcome};
use crate::output;
use crate::time::rfc3339;
use binlog::archive::{list_logs, Connection, ListedLog, Location, LogListing, Remote};
use binlog::archive::{RemoteLog, UnknownObject};
use binlog::naming::{gap_between, SegmentEnd};
use clap::Args;
use serde_json::{json, Value};
use std::io::Write;
use std::sync::Arc;

#[derive(Args, Debug)]
#[command(after_help = include_str!("../help/remote-ls.txt"))]
pub struct LsArgs {
    #[command(flatten)]
    pub at: RemoteLogArgs,
    /// For a prefix: print one JSON document (`logs`, `unknown`).
    #[arg(long)]
    pub json: bool,
    /// For a prefix: the keys each LIST request asks for (the server's
    /// limit, 1000 on S3, by default).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub page_size: Option<u32>,
    /// How long failed requests are retried before the command gives up.
    #[arg(long, value_name = "SECS", default_value_t = 180)]
    pub retry_timeout: u64,
}

/// The connection of a command's `--retry-timeout SECS`; the rest from
/// the environment.
pub fn connection(retry_timeout_secs: u64) -> Connection {
    Connection {
        retry_timeout: Some(std::time::Duration::from_secs(retry_timeout_secs)),
        ..Connection::default()
    }
}

/// `binlog remote ls URL`: with `--log`, or a URL that names a log's
/// directory (it holds segment objects), that log's segment objects
/// (`list_objects`); else every log under the prefix URL names.
pub fn run_ls(a: &LsArgs) -> CliResult<Outcome> {
    let c = connection(a.retry_timeout);
    if a.at.log.is_some() {
        return list_objects(&remote_log_with(&a.at.url, a.at.log.as_deref(), &c)?);
    }
    if let Ok(log) = remote_log_with(&a.at.url, None, &c) {
        if !log.segments()?.is_empty() {
            return list_objects(&log);
        }
    }
    // The logs under the prefix, `--page-size` keys per LIST request.
    let location = Location::parse(&a.at.url)?;
    let remote = Arc::new(Remote::connect(&location, &c)?);
    let listing = list_logs(&remote, a.page_size.map(|n| n as usize))?;
    let mut out = output::stdout();
    match a.json {
        true => output::print_json_document(&mut out, &document(&listing))?,
        false => print_table(&mut out, &listing)?,
    }
    out.flush()?;
    for u in &listing.unknown {
        let (url, size, why) = (location.url_of(&u.key), u.size, &u.why);
        eprintln!("binlog: {url}: not a segment ({size} bytes): {why}");
    }
    Ok(Outcome::Damaged.when(!listing.unknown.is_empty()))
}

/// `-` for a value not known.
fn or_dash<T>(v: Option<T>, f: impl Fn(T) -> String) -> String {
    v.map_or_else(|| "-".into(), f)
}

fn print_table(out: &mut impl Write, listing: &LogListing) -> CliResult<()> {
    let seq = |s: u64| s.to_string();
    writeln!(
        out,
        "{:<24} {:>8} {:>20} {:>20} {:<30} {:<30} {:>14}",
        "LOG", "SEGMENTS", "FIRST SEQ", "LAST SEQ", "FIRST TIME", "LAST TIME", "BYTES"
    )?;
    for l in &listing.logs {
        let (path, n, bytes) = (&l.path, l.segments, l.bytes);
        let (first, last) = (or_dash(l.first_seq, seq), or_dash(l.last_seq, seq));
        let t0 = or_dash(l.first_time_ns, rfc3339);
        let t1 = or_dash(l.last_time_ns, rfc3339);
        let line =
            format!("{path:<24} {n:>8} {first:>20} {last:>20} {t0:<30} {t1:<30} {bytes:>14}");
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn log_json(l: &ListedLog) -> Value {
    json!({
        "log": l.name, "path": l.path, "key_prefix": l.key_prefix, "segments": l.segments,
        "bytes": l.bytes, "first_seq": l.first_seq, "last_seq": l.last_seq,
        "first_time": l.first_time_ns.map(rfc3339), "last_time": l.last_time_ns.map(rfc3339),
        "claimed": l.claimed,
    })
}

/// The `--json` document: `{"logs": [...], "unknown": [...]}`.
fn document(listing: &LogListing) -> Value {
    let unknown = |u: &UnknownObject| json!({"key": u.key, "bytes": u.size, "why": u.why});
    let unknown: Vec<Value> = listing.unknown.iter().map(unknown).collect();
    json!({
        "logs": listing.logs.iter().map(log_json).collect::<Vec<_>>(), "unknown": unknown,
    })
}

/// `binlog remote ls` of a log: its segment objects, one line each:
/// segment number, first and last sequence numbers, records, size, key
/// (the numbers from the object's metadata, by a HEAD each). Records
/// missing between two objects (one deleted from the bucket) are said on
/// standard error as the reading commands say a gap, with exit status 1.
pub fn list_objects(log: &RemoteLog) -> CliResult<Outcome> {
    let mut out = output::stdout();
    writeln!(
        out,
        "{:>8} {:>20} {:>20} {:>10} {:>12}  KEY",
        "SEGMENT", "FIRST SEQ", "LAST SEQ", "RECORDS", "BYTES"
    )?;
    let mut outcome = Outcome::Clean;
    // Where the object before ended, if its metadata says.
    let mut prev: Option<SegmentEnd> = None;
    for s in log.segments()? {
        let meta = log.remote().head(&s.object_key)?.and_then(|(_, m)| m);
        let url = log.url_of(&s.object_key);
        if let Some(g) = prev.and_then(|p| gap_between(p, &url, s.key.segment_no, s.key.first_seq))
        {
            out.flush()?;
            eprintln!("binlog: gap: {g}; `binlog verify` tells more");
            outcome = Outcome::Damaged;
        }
        // A salvaged object whose records its segment still holds ends
        // nothing before the segment's end.
        let behind = prev.map_or(0, |p| p.next_seq);
        prev = meta.as_ref().map(|m| SegmentEnd {
            segment_no: s.key.segment_no,
            next_seq: (m.first_seq + m.records).max(behind),
        });
        let (last, records) = match &meta {
            Some(m) => (
                or_dash(m.last_seq, |l| l.to_string()),
                m.records.to_string(),
            ),
            None => {
                // Not written by `binlog ship` (or its metadata lost).
                outcome = Outcome::Damaged;
                ("?".into(), "?".into())
            }
        };
        let (no, first, size, key) = (s.key.segment_no, s.key.first_seq, s.size, &s.object_key);
        let line = format!("{no:>8} {first:>20} {last:>20} {records:>10} {size:>12}  {key}");
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(outcome)
}
