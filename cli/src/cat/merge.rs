//! `binlog cat --merge`: the logs in a directory, under a bucket's
//! prefix, or both, whose names match `--log PATTERN`, as one stream by
//! time (the library's `MergedReader`), each line naming its log.

use super::CatArgs;
use crate::error::{CliError, CliResult, Outcome};
use crate::output::{self, RecordPrinter};
use crate::paths::SourceArgs;
use crate::remote::is_remote;
use crate::select::{damage_message, Filter};
use binlog::archive::{open_merged, Connection, Location, Remote};
use binlog::MergedReader;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

pub fn run(args: &CatArgs) -> CliResult<Outcome> {
    let a = &args.records;
    let filter = a.build_filter()?;
    crate::error::refuse(args.tail.is_some(), "--tail cannot be used with --merge")?;
    let mut r = open_sources(&a.source)?;
    r.skip_damaged(args.skip_damaged);
    r.time_window(filter.since, filter.until)?;
    let mut out = output::stdout();
    let mut printer = RecordPrinter::new(a.json, a.payload, a.decode);
    let mut left = args.head.unwrap_or(u64::MAX);
    while left > 0 {
        match print_next(&mut r, None, &filter, &mut printer, &mut out)? {
            Some(printed) => left -= printed as u64,
            None => break,
        }
    }
    out.flush()?;
    Said::default().report_new(&r);
    Ok(outcome(&r).max(printer.outcome()))
}

/// Reads `r`'s next record (with `wait`, waiting that long for one) and
/// prints it if `filter` matches it, decoded by its log's schema with
/// `--decode`: whether it printed it; None at the end.
pub(crate) fn print_next(
    r: &mut MergedReader,
    wait: Option<Duration>,
    filter: &Filter,
    printer: &mut RecordPrinter,
    out: &mut impl Write,
) -> CliResult<Option<bool>> {
    let next = match wait {
        Some(wait) => r.next_wait(wait)?,
        None => r.next()?,
    };
    let Some(m) = next else { return Ok(None) };
    if !filter.matches(&m.record) {
        return Ok(Some(false));
    }
    if let Some(h) = printer.print_or_hold(out, Some(m.log), &m.record)? {
        printer.print_held(out, &h, None, r.type_schema(h.1.record().type_name))?;
    }
    Ok(Some(true))
}

/// The merged reader of the logs `--log PATTERN` (default all) names in
/// the directory and/or `s3://` prefix given.
pub(crate) fn open_sources(a: &SourceArgs) -> CliResult<MergedReader> {
    let pattern = a.log.as_deref().unwrap_or("*");
    // The one directory and the one `s3://` prefix (either may be absent)
    // among the paths.
    let (mut dir, mut url) = (None, None);
    for p in &a.paths {
        if is_remote(p) {
            let text = p.to_str();
            let text = text.ok_or_else(|| CliError::usage("an s3:// URL is text"))?;
            if url.replace(text.to_string()).is_some() {
                return Err(CliError::usage("--merge reads one s3:// prefix"));
            }
        } else if dir.replace(p.clone()).is_some() {
            return Err(CliError::usage("--merge reads one directory"));
        }
    }
    let Some(url) = url else {
        let dir = dir.expect("a PATH is required");
        return Ok(MergedReader::open_dir(dir, pattern)?);
    };
    let at = Location::parse(&url)?;
    let remote = Arc::new(Remote::connect(&at, &Connection::default())?);
    Ok(open_merged(dir.as_deref(), &remote, pattern)?)
}

/// `open_sources`' reader, reading `filter`'s time window; a sequence
/// range is refused (each log numbers its own records).
pub(crate) fn open_window(a: &SourceArgs, filter: &Filter) -> CliResult<MergedReader> {
    let why = "--from-seq and --to-seq cannot be used with --merge (each log numbers its own \
               records)";
    crate::error::refuse(filter.to_seq.is_some() || filter.from_seq.is_some(), why)?;
    let mut r = open_sources(a)?;
    r.time_window(filter.since, filter.until)?;
    Ok(r)
}

/// The exit status of the merged read `r`, as of a read of one log.
pub(crate) fn outcome(r: &MergedReader) -> Outcome {
    Outcome::Damaged.when(r.records_missing())
}

/// The gaps and damaged regions of a merged read said so far, per log.
#[derive(Default)]
pub(crate) struct Said {
    /// (gaps, damaged regions) said of each log.
    per_log: BTreeMap<String, (usize, usize)>,
}

impl Said {
    /// Says on standard error the gaps and damaged regions `r` met since
    /// the last call, each naming its log.
    pub(crate) fn report_new(&mut self, r: &MergedReader) {
        let mut seen: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for (log, g) in r.gaps() {
            let n = &mut seen.entry(log).or_default().0;
            if *n >= self.said(log).0 {
                eprintln!("binlog: warning: gap in log {log}: {g}");
            }
            *n += 1;
        }
        for (log, file, d) in &r.damages() {
            let n = &mut seen.entry(log).or_default().1;
            if *n >= self.said(log).1 {
                eprintln!("binlog: damaged: log {log}: {}", damage_message(file, d));
            }
            *n += 1;
        }
        for (log, counts) in seen {
            self.per_log.insert(log.to_string(), counts);
        }
    }

    fn said(&self, log: &str) -> (usize, usize) {
        self.per_log.get(log).copied().unwrap_or_default()
    }
}
