//! `binlog tail`: the last records, and with `-f` every new one as a live
//! log grows and rolls, until interrupted.

mod merge;

use crate::await_path;
use crate::damage_report::damage_message;
use crate::error::{CliResult, Outcome};
use crate::output::{self, RecordPrinter};
use crate::paths;
use crate::progress::NoProgressAccepted;
use crate::select::{self, Filter, RecordArgs, Walk};
use binlog::LogReader;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug)]
#[command(after_help = "\
With -f, a log directory is followed across rolls: new segments are picked
up as the writer creates them. Segment files named on the command line are
followed as they grow (a sealed one too, once a writer reopens it to
append). A log or segment that is missing or empty is waited for, as
`tail -F` does. Stop with Ctrl-C.

Examples:
  binlog tail /var/log/orders
  binlog tail -f /var/log/orders
  binlog tail -f -n 0 --type trade --json /var/log/orders
  binlog tail -f --merge /var/log/app --log 'web-*'")]
pub struct TailArgs {
    #[command(flatten)]
    pub records: RecordArgs,
    /// Keep printing records as they are written, across rolls.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Start with the last N matching records.
    #[arg(short = 'n', long = "lines", value_name = "N", default_value_t = 10)]
    pub lines: u64,
    /// How long to wait for new records before checking again, in ms.
    #[arg(long, value_name = "MS", default_value_t = 200)]
    pub poll_ms: u64,
    /// Read every log of the directory and/or s3:// prefix given whose
    /// name matches --log PATTERN (`*`, `?`; default all) as one stream
    /// ordered by time, as `cat --merge` does, each line starting with its
    /// log's name. With -f, a record is printed as soon as it is found,
    /// in time order among the records present then: a late record of a
    /// slower log is printed when it comes, not held back.
    #[arg(long)]
    pub merge: bool,
    #[command(flatten)]
    pub no_progress: NoProgressAccepted,
}

pub fn run(args: &TailArgs) -> CliResult<Outcome> {
    if args.merge {
        return merge::run(args);
    }
    let a = &args.records;
    a.check_payload_mode()?;
    let filter = a.filter.build()?;
    // A log not there when the follow starts: its end then was its first
    // record (`LogReader::seek_end`), read once it comes.
    let mut from_first = false;
    // (A shipped log, `s3://...`, is listed again while followed instead.)
    if let (true, [path]) = (args.follow, a.source.paths.as_slice()) {
        if crate::remote::is_remote(path) {
            let source = paths::single(a.source.resolve()?, "tail -f")?;
            return follow(args, &filter, source, false);
        }
        let poll = Duration::from_millis(args.poll_ms.max(1));
        from_first = await_path::wait_until_there(path, a.source.log.as_deref(), poll)?;
    }
    // Following a named log in a directory works before its first segment
    // exists: the reader picks it up when the writer creates it.
    if let (true, [dir], Some(name)) = (args.follow, a.source.paths.as_slice(), &a.source.log) {
        if dir.is_dir() {
            let found = paths::scan_dir(dir, Some(name))?;
            let files = found.into_iter().flat_map(|s| s.files).collect();
            let source = paths::log_source(dir, name.clone(), files);
            return follow(args, &filter, source, from_first);
        }
    }
    let sources = a.source.resolve()?;
    if !args.follow {
        let files = paths::all_files(&sources);
        let start = select::tail_start(&files, &filter, args.lines, false)?;
        let walk = Walk { start, ..Walk::ALL };
        return select::print_records(&files, &filter, walk, a);
    }

    let source = paths::single(sources, "tail -f")?;
    follow(args, &filter, source, from_first)
}

/// Prints the last records of `source`, then every new one, until killed
/// (or, with `--to-seq N`, until record N has gone by). Damaged regions are
/// skipped and reported, so one damaged segment does not end the follow.
/// `from_first`: the log was not there when the follow started.
fn follow(
    args: &TailArgs,
    filter: &Filter,
    source: paths::Source,
    from_first: bool,
) -> CliResult<Outcome> {
    let a = &args.records;
    let start = match from_first {
        true => Start::First,
        false => start_of(&source.files, filter, args.lines)?,
    };
    let (mut lr, start_seq) = open_follower(source, filter, start)?;
    if let (Some(start), Some(to)) = (start_seq, filter.to_seq) {
        if start > to {
            // Every record up to --to-seq is written and none is to be shown.
            return Ok(Outcome::Clean);
        }
    }
    let mut out = output::stdout();
    let mut printer = RecordPrinter::new(a.json, a.payload);
    let poll = Duration::from_millis(args.poll_ms.max(1));
    let mut reported = Reported::default();
    let mut idle = false;
    loop {
        let next = if idle {
            // Nothing new: show what we have, then wait for the writer.
            out.flush()?;
            lr.next_wait(poll)
        } else {
            lr.next()
        };
        let mut done = false;
        match next {
            Ok(Some(r)) => {
                idle = false;
                // (A segment read from its beginning, as one whose damaged
                // header kept the seek from finding it, may hold earlier ones.)
                if filter.matches(&r) && start_seq.is_none_or(|s| r.seq >= s) {
                    printer.print(&mut out, None, &r)?;
                }
                // --to-seq is inclusive: record N (or the first after it, if
                // N is missing) ends the follow.
                done = filter.to_seq.is_some_and(|to| r.seq >= to);
            }
            Ok(None) => idle = true,
            Err(e) => {
                out.flush()?;
                return Err(e.into());
            }
        }
        reported.report_new(&lr, start_seq, &mut out)?;
        if done {
            break;
        }
    }
    out.flush()?;
    Ok(Outcome::damaged_if(lr.records_missing(reported.damaged)))
}

/// The reader that follows `source`, skipping damage, from `start`, and
/// the sequence number it starts at (None: the log's first record).
fn open_follower(
    source: paths::Source,
    filter: &Filter,
    start: Start,
) -> CliResult<(LogReader, Option<u64>)> {
    let mut lr = match &source.log {
        Some(log) => LogReader::open(&log.dir, &log.name)?,
        None => match crate::remote::log_reader(&source.files) {
            Some(remote) => remote?,
            None => LogReader::open_files(source.files)?,
        },
    };
    lr.skip_damaged(true);
    // With --to-seq every record must be seen, whatever its type, to know
    // when N has gone by: the type filter is then applied here alone.
    if !filter.types.is_empty() && filter.to_seq.is_none() {
        let types = filter.reader_types();
        let names: Vec<&str> = types.iter().map(|s| s.as_str()).collect();
        lr.filter_types(&names);
    }
    let start_seq = match start {
        Start::First => None,
        Start::Seq(seq) => {
            lr.seek_seq(seq)?;
            Some(seq)
        }
        Start::End => lr.seek_end()?,
    };
    Ok((lr, start_seq))
}

/// The gaps and damaged regions of a follow said so far.
#[derive(Default)]
struct Reported {
    gaps: usize,
    damages: usize,
    /// Damaged regions that lost records to be shown.
    damaged: usize,
}

impl Reported {
    /// Says on standard error the gaps and damaged regions `lr` met since
    /// the last call (after the records printed before them).
    fn report_new(
        &mut self,
        lr: &LogReader,
        start_seq: Option<u64>,
        out: &mut impl Write,
    ) -> CliResult<()> {
        let damages = lr.damages();
        if lr.gaps().len() <= self.gaps && damages.len() <= self.damages {
            return Ok(());
        }
        out.flush()?;
        for g in &lr.gaps()[self.gaps..] {
            eprintln!("binlog: warning: gap: {g}");
        }
        self.gaps = lr.gaps().len();
        for (file, d) in &damages[self.damages..] {
            // Records lost before the start were not to be shown anyway
            // (a seek to the start may read through their damage).
            let before_start = d.from_seq < d.to_seq && start_seq.is_some_and(|s| d.to_seq <= s);
            if !before_start {
                eprintln!("binlog: damaged: {}", damage_message(file, d));
                self.damaged += 1;
            }
        }
        self.damages = damages.len();
        Ok(())
    }
}

/// Where a follow starts.
enum Start {
    /// The log's first record.
    First,
    /// The first record numbered this or after.
    Seq(u64),
    /// The log's end as it is when the reader opens (`LogReader::seek_end`).
    End,
}

/// Where to start following: at the first of the last `n` matching
/// records (counted as the follow reads: damaged regions skipped), or at
/// the end of the log. `First` where nothing can be read yet, or where the
/// last `n` records reach back to the start: then no record is left out,
/// and damage before the first one shown (in the first record of the log,
/// say) is reported as damage anywhere else is.
fn start_of(files: &[PathBuf], filter: &Filter, n: u64) -> CliResult<Start> {
    if files.is_empty() {
        return Ok(Start::First);
    }
    let start = select::tail_start(files, filter, n, true)?;
    if start == select::PrintStart::BEGIN {
        return Ok(Start::First);
    }
    Ok(match select::first_seq_from(files, filter, start, true)? {
        Some(seq) => Start::Seq(seq),
        // Nothing to show yet: start after the last record.
        None => Start::End,
    })
}
