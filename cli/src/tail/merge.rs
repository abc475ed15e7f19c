//! `binlog tail --merge`: the last records of many logs read as one stream
//! by time (the library's `MergedReader`), and with `-f` every new one of
//! any of them as it is written, until interrupted.

use super::TailArgs;
use crate::cat::merge::{open_window, outcome, print_next, Said};
use crate::error::{CliError, CliResult, Outcome};
use crate::output::{self, Held, RecordPrinter};
use crate::remote::is_remote;
use binlog::{MergedConsumer, MergedReader, OwnedRecord, TypeSchema};
use std::collections::VecDeque;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

pub fn run(args: &TailArgs) -> CliResult<Outcome> {
    let a = &args.records;
    let filter = a.build_filter()?;
    let mut r = open_window(&a.source, &filter)?;
    // As `tail -f` does: damage does not end the follow.
    r.skip_damaged(args.follow);
    let mut out = output::stdout();
    let mut printer = RecordPrinter::new(a.json, a.payload, a.decode);
    let mut said = Said::default();
    let poll = Duration::from_millis(args.poll_ms.max(1));
    if args.consumer.is_some() || args.cursor_file.is_some() {
        // As a named consumer (`--consumer`, its file in the one directory
        // given) or from a cursor file: every record after the position,
        // each batch printed then committed; with -f, on as they come.
        // A new consumer starts at the logs' ends with -n 0, else at their
        // first records.
        let start = match args.lines {
            0 => binlog::Start::End,
            _ => binlog::Start::First,
        };
        let mut reading = match (&args.consumer, &args.cursor_file) {
            (Some(name), _) => {
                // Its file is kept in the directory given.
                let dir = args.records.source.paths.iter().find(|p| !is_remote(p));
                let why = "--consumer keeps its position in a log directory: give one";
                let dir = dir.ok_or_else(|| CliError::usage(why))?;
                Resumed::Consumer(MergedConsumer::new(r, dir, name, start)?)
            }
            (None, Some(file)) => {
                if let Some(token) = super::cursor_in(Some(file))? {
                    r.seek_position(&token).map_err(|e| e.in_file(file))?;
                }
                Resumed::Cursor(r, file.clone())
            }
            (None, None) => unreachable!("called for a consumer or a cursor file"),
        };
        let mut printed = 0u64;
        loop {
            let wait = args.follow.then_some(poll);
            // Committed every so many records read, and at each end of what
            // there is.
            let next = print_next(reading.reader(), wait, &filter, &mut printer, &mut out)?;
            printed += u64::from(next.is_some());
            if next.is_none() || printed % super::COMMIT_EVERY == 0 {
                reading.commit(&mut out)?;
            }
            if next.is_none() && !args.follow {
                break;
            }
            said.report_new(reading.reader());
        }
        return Ok(outcome(reading.reader()).max(printer.outcome()));
    }
    // The last N matching records: the logs read to their ends, the last
    // N copied (with --decode, with their schemas): only those printed are
    // formatted and decoded.
    let mut last: VecDeque<(Held, Option<TypeSchema>)> = VecDeque::new();
    while let Some(m) = r.next()? {
        if args.lines > 0 && filter.matches(&m.record) {
            if last.len() as u64 >= args.lines {
                last.pop_front();
            }
            let held = Held(Some(m.log.to_string()), OwnedRecord::from(&m.record));
            let schema = a.decode.then(|| r.type_schema(held.1.record().type_name));
            last.push_back((held, schema.flatten().cloned()));
        }
    }
    for (held, schema) in &last {
        printer.print_held(&mut out, held, None, schema.as_ref())?;
    }
    out.flush()?;
    said.report_new(&r);
    if !args.follow {
        return Ok(outcome(&r).max(printer.outcome()));
    }
    loop {
        // Nothing new: show what we have, then wait for the writers.
        if print_next(&mut r, Some(poll), &filter, &mut printer, &mut out)?.is_none() {
            out.flush()?;
        }
        said.report_new(&r);
    }
}

/// A merged read that keeps its position.
enum Resumed {
    Consumer(MergedConsumer),
    Cursor(MergedReader, PathBuf),
}

impl Resumed {
    fn reader(&mut self) -> &mut MergedReader {
        match self {
            Resumed::Consumer(c) => c.reader(),
            Resumed::Cursor(r, _) => r,
        }
    }

    /// Commits where the reader stands, once what it printed is flushed.
    fn commit(&mut self, out: &mut impl Write) -> CliResult<()> {
        out.flush()?;
        match self {
            Resumed::Consumer(c) => c.commit()?,
            Resumed::Cursor(r, file) => super::write_cursor(file, &r.position_token())?,
        }
        Ok(())
    }
}
