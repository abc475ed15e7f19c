//! `binlog tail --merge`: the last records of many logs read as one stream
//! by time (the library's `MergedReader`), and with `-f` every new one of
//! any of them as it is written, until interrupted.

use super::TailArgs;
use crate::cat::merge::{open_sources, outcome, Said};
use crate::error::{CliError, CliResult, Outcome};
use crate::output::{self, RecordPrinter};
use std::collections::VecDeque;
use std::io::Write;
use std::time::Duration;

pub fn run(args: &TailArgs) -> CliResult<Outcome> {
    let a = &args.records;
    a.check_payload_mode()?;
    let filter = a.filter.build()?;
    if filter.to_seq.is_some() || filter.from_seq.is_some() {
        return Err(CliError::usage(
            "--from-seq and --to-seq cannot be used with --merge (each log numbers its own records)",
        ));
    }
    let mut r = open_sources(a)?;
    // As `tail -f` does: damage does not end the follow.
    r.skip_damaged(args.follow);
    r.time_window(filter.since, filter.until)?;
    let mut out = output::stdout();
    let mut printer = RecordPrinter::new(a.json, a.payload);
    let mut said = Said::default();
    // The last N matching records: the logs read to their ends, the lines
    // of the last N kept.
    let mut last: VecDeque<Vec<u8>> = VecDeque::new();
    while let Some(m) = r.next()? {
        if args.lines > 0 && filter.matches(&m.record) {
            let mut line = match last.len() as u64 >= args.lines {
                true => last.pop_front().unwrap_or_default(),
                false => Vec::new(),
            };
            line.clear();
            printer.print(&mut line, Some(m.log), &m.record)?;
            last.push_back(line);
        }
    }
    for line in &last {
        out.write_all(line)?;
    }
    out.flush()?;
    said.report_new(&r);
    if !args.follow {
        return Ok(outcome(&r));
    }
    let poll = Duration::from_millis(args.poll_ms.max(1));
    loop {
        // Nothing new: show what we have, then wait for the writers.
        match r.next_wait(poll)? {
            Some(m) => {
                if filter.matches(&m.record) {
                    printer.print(&mut out, Some(m.log), &m.record)?;
                }
            }
            None => out.flush()?,
        }
        said.report_new(&r);
    }
}
