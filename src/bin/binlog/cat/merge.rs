//! `binlog cat --merge`: the logs in a directory, under a bucket's
//! prefix, or both, whose names match `--log PATTERN`, as one stream by
//! time (the library's `MergedReader`), each line naming its log.

use super::CatArgs;
use crate::damage_report::damage_message;
use crate::error::{CliError, CliResult, Outcome};
use crate::output::{self, RecordPrinter};
use crate::remote::is_remote;
use binlog::archive::{open_merged, Connection, Location, Remote};
use binlog::MergedReader;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn run(args: &CatArgs) -> CliResult<Outcome> {
    let a = &args.records;
    a.check_payload_mode()?;
    if args.tail.is_some() {
        return Err(CliError::usage("--tail cannot be used with --merge"));
    }
    let filter = a.filter.build()?;
    let pattern = a.source.log.as_deref().unwrap_or("*");
    let (dir, url) = places(&a.source.paths)?;
    let mut r = open(dir.as_deref(), url.as_deref(), pattern)?;
    r.skip_damaged(args.skip_damaged);
    r.time_window(filter.since, filter.until)?;
    let mut out = output::stdout();
    let mut printer = RecordPrinter::new(a.json, a.payload);
    let mut left = args.head.unwrap_or(u64::MAX);
    while left > 0 {
        let Some(m) = r.next()? else { break };
        if filter.matches(&m.record) {
            printer.print_in_log(&mut out, m.log, &m.record)?;
            left -= 1;
        }
    }
    out.flush()?;
    Ok(report(&r))
}

/// The one directory and the one `s3://` prefix (either may be absent)
/// among `paths`.
fn places(paths: &[PathBuf]) -> CliResult<(Option<PathBuf>, Option<String>)> {
    let (mut dir, mut url) = (None, None);
    for p in paths {
        if is_remote(p) {
            let text = p
                .to_str()
                .ok_or_else(|| CliError::usage("an s3:// URL is text"))?;
            if url.replace(text.to_string()).is_some() {
                return Err(CliError::usage("--merge reads one s3:// prefix"));
            }
        } else if dir.replace(p.clone()).is_some() {
            return Err(CliError::usage("--merge reads one directory"));
        }
    }
    Ok((dir, url))
}

/// The merged reader of the logs matching `pattern` in `dir` and under
/// `url`.
fn open(dir: Option<&Path>, url: Option<&str>, pattern: &str) -> CliResult<MergedReader> {
    let Some(url) = url else {
        let dir = dir.expect("a PATH is required");
        return Ok(MergedReader::open_dir(dir, pattern)?);
    };
    let at = Location::parse(url).map_err(|e| CliError::usage(e.message()))?;
    let remote = Arc::new(Remote::connect(&at, &Connection::default())?);
    Ok(open_merged(dir, &remote, pattern)?)
}

/// Says on standard error each log's gaps and damaged regions met; damage
/// makes the outcome `Damaged`.
fn report(r: &MergedReader) -> Outcome {
    for (log, g) in r.gaps() {
        eprintln!("binlog: warning: gap in log {log}: {g}");
    }
    let damages = r.damages();
    for (log, file, d) in &damages {
        eprintln!("binlog: damaged: log {log}: {}", damage_message(file, d));
    }
    if damages.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Damaged
    }
}
