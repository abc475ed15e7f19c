//! `binlog tail`: the last records, and with `-f` every new one as a live
//! log grows and rolls, until interrupted.

mod merge;

use crate::error::{CliError, CliResult, Outcome};
use crate::output::{self, RecordPrinter};
use crate::paths::{self, Source};
use crate::select::{self, damage_message, Filter, RecordArgs};
use binlog::{Consumer, LogReader, RecordReader, Start};
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Args, Debug)]
#[command(after_help = include_str!("../help/tail.txt"))]
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
    /// Read as the named consumer of the log (its position kept in
    /// NAME.consumer beside the log): start after its last commit (a new
    /// one where -n says), and commit after each batch of records printed.
    /// One process at a time per name. With --merge, one position per log.
    #[arg(long, value_name = "NAME")]
    pub consumer: Option<String>,
    /// journalctl's convention: if FILE holds a position token, start
    /// after it; after each batch printed, write the position to FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "consumer")]
    pub cursor_file: Option<PathBuf>,
}

pub fn run(args: &TailArgs) -> CliResult<Outcome> {
    let f = &args.records.filter;
    let keeps_position = args.consumer.is_some() || args.cursor_file.is_some();
    let ranged = f.since.is_some() || f.until.is_some() || f.from_seq.is_some();
    // A commit covers every record before the position: records these
    // leave out unprinted would be committed (--type selects what the
    // reader returns, and may be used).
    let why = "--consumer and --cursor-file read every record after their position: --since, \
               --until, --from-seq and --to-seq cannot be used with them (--type can)";
    crate::error::refuse(keeps_position && (ranged || f.to_seq.is_some()), why)?;
    if args.merge {
        return merge::run(args);
    }
    let a = &args.records;
    let filter = a.build_filter()?;
    // A log not there when the follow starts: its end then was its first
    // record (`LogReader::seek_end`), read once it comes.
    let mut from_first = false;
    // (A shipped log, `s3://...`, is listed again while followed instead.)
    if let (true, [path]) = (args.follow, a.source.paths.as_slice()) {
        if crate::remote::is_remote(path) {
            let source = paths::single(a.source.resolve()?, "tail -f")?;
            return follow(args, &filter, source, false);
        }
        // Once `path` (with `--log`, that log) holds something to follow,
        // said once on standard error what it waits for. Not there at
        // first: then every record it gets is to be followed, from the
        // first, and what it got meanwhile too (the line on standard error
        // comes after that was decided).
        let poll = Duration::from_millis(args.poll_ms.max(1));
        while let Some(what) = missing(path, a.source.log.as_deref())? {
            if !from_first {
                eprintln!("binlog: {}: {what}; waiting for it", paths::show(path));
                from_first = true;
            }
            std::thread::sleep(poll);
        }
    }
    let sources = a.source.resolve()?;
    if !args.follow && !keeps_position {
        let files = paths::all_files(&sources);
        let walk = select::tail_start(&files, &filter, args.lines, false)?;
        return select::print_records(&files, &filter, walk, a);
    }

    let source = paths::single(sources, "tail -f")?;
    follow(args, &filter, source, from_first)
}

/// Where a follow keeps its position, committed after each batch printed:
/// a named consumer of the log, or a cursor file (if any) beside a reader.
enum Reading {
    Reader(LogReader, Option<PathBuf>),
    Consumer(Consumer),
}

impl Reading {
    fn reader(&mut self) -> &mut LogReader {
        match self {
            Reading::Reader(r, _) => r,
            Reading::Consumer(c) => c.reader(),
        }
    }

    /// Commits where the reader stands, once what it printed is flushed.
    fn commit(&mut self, out: &mut impl Write) -> CliResult<()> {
        out.flush()?;
        match self {
            Reading::Reader(_, None) => {}
            Reading::Consumer(c) => c.commit()?,
            Reading::Reader(r, Some(file)) => write_cursor(file, &r.position_token()?)?,
        }
        Ok(())
    }
}

/// Replaces the cursor file's token durably (`paths::write_whole`: a power
/// cut leaves the old token or the new one, never an empty file).
fn write_cursor(file: &Path, token: &str) -> CliResult<()> {
    let bytes = format!("{token}\n");
    paths::write_whole(file, bytes.as_bytes()).map_err(|e| CliError::io_on(file.display(), e))
}

/// The token a cursor file holds, if there is one and it is there.
fn cursor_in(file: Option<&Path>) -> CliResult<Option<String>> {
    let Some(file) = file else { return Ok(None) };
    match std::fs::read_to_string(file) {
        Ok(t) => Ok(Some(t.trim().to_string()).filter(|t| !t.is_empty())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::io_on(file.display(), e)),
    }
}

/// Prints the last records of `source`, then every new one, until killed
/// (or, with `--to-seq N`, until record N has gone by). Damaged regions are
/// skipped and reported, so one damaged segment does not end the follow.
/// `first`: the log was not there when the follow started.
fn follow(args: &TailArgs, filter: &Filter, source: Source, first: bool) -> CliResult<Outcome> {
    // The reader that follows `source`, skipping damage, from where `-n`
    // says (`first`: from the log's first record; or where the cursor
    // file's token says), and the sequence number it starts at (None: the
    // log's first record).
    let start = match first {
        true => Start::First,
        false => start_of(&source.files, filter, args.lines)?,
    };
    // A cursor file's token, if it holds one, says where instead.
    let token = cursor_in(args.cursor_file.as_deref())?;
    let log_dir = source.log.is_some();
    // The segment objects of a shipped log (`remote::resolve`), or files.
    let remote = source.files.first().and_then(|f| crate::remote::log_of(f));
    let mut lr = match (&source.log, remote) {
        (Some(log), _) => LogReader::open(&log.dir, &log.name)?,
        (None, Some(remote)) => LogReader::open_remote(remote)?,
        (None, None) => LogReader::open_files(source.files)?,
    };
    lr.skip_damaged(true);
    // With --to-seq every record must be seen, whatever its type, to know
    // when N has gone by: the type filter is then applied here alone.
    if !filter.types.is_empty() && filter.to_seq.is_none() {
        filter.filter_types_of(&mut lr);
    }
    let (mut reading, start_seq) = match &args.consumer {
        Some(name) => {
            let why = "--consumer reads a log in a directory: give the directory (and --log NAME)";
            crate::error::refuse(!log_dir, why)?;
            let c = Consumer::new(lr, name, start)?;
            let at = c.committed();
            (Reading::Consumer(c), at)
        }
        None => {
            let start_seq = match (token, start) {
                (Some(token), _) => {
                    let file = args.cursor_file.as_ref().expect("the token's file");
                    lr.seek_position(&token).map_err(|e| e.in_file(file))?;
                    Some(lr.next_position())
                }
                (None, Start::Seq(seq)) => {
                    lr.seek_seq(seq)?;
                    Some(seq)
                }
                (None, Start::End) => lr.seek_end()?,
                // `First` (`start_of` starts at no time).
                (None, _) => None,
            };
            (Reading::Reader(lr, args.cursor_file.clone()), start_seq)
        }
    };
    if start_seq.zip(filter.to_seq).is_some_and(|(s, to)| s > to) {
        // Every record up to --to-seq is written and none is to be shown.
        return Ok(Outcome::Clean);
    }
    let mut out = output::stdout();
    let a = &args.records;
    let mut printer = RecordPrinter::new(a.json, a.payload, a.decode);
    let mut read_since_commit = 0u64;
    let poll = Duration::from_millis(args.poll_ms.max(1));
    let mut reported = Reported::default();
    // Nothing new at the last look: the next one waits for the writer.
    let mut idle = false;
    loop {
        let lr = reading.reader();
        let next = match idle {
            true => lr.next_wait(poll),
            false => lr.next(),
        };
        let mut done = false;
        match next {
            Ok(Some(r)) => {
                idle = false;
                // --to-seq is inclusive: record N (or the first after it, if
                // N is missing) ends the follow.
                done = filter.to_seq.is_some_and(|to| r.seq >= to);
                // (A segment read from its beginning, as one whose damaged
                // header kept the seek from finding it, may hold earlier ones.)
                if filter.matches(&r) && start_seq.is_none_or(|s| r.seq >= s) {
                    if let Some(h) = printer.print_or_hold(&mut out, None, &r)? {
                        let lr = reading.reader();
                        let schema = lr.type_schema(h.1.record().type_name);
                        printer.print_held(&mut out, &h, lr.current_path(), schema)?;
                    }
                }
                read_since_commit += 1;
            }
            Ok(None) => idle = true,
            Err(e) => {
                out.flush()?;
                return Err(e.into());
            }
        }
        reported.report_new(reading.reader(), start_seq, &mut out)?;
        if done || (idle && !args.follow) {
            break;
        }
        // A batch read: shown, then its position committed; nothing new:
        // what we have shown before the wait.
        if read_since_commit > 0 && (idle || read_since_commit >= COMMIT_EVERY) {
            reading.commit(&mut out)?;
            read_since_commit = 0;
        }
        if idle {
            out.flush()?;
        }
    }
    reading.commit(&mut out)?;
    let missing = reading.reader().records_missing(reported.damaged);
    Ok(Outcome::Damaged.when(missing).max(printer.outcome()))
}

/// Records printed between two commits of a follow that never waits.
const COMMIT_EVERY: u64 = 1024;

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

/// Where to start following: at the first of the last `n` matching
/// records (counted as the follow reads: damaged regions skipped), or at
/// the end of the log. `First` where nothing can be read yet, or where the
/// last `n` records reach back to the start: then no record is left out,
/// and damage before the first one shown (in the first record of the log,
/// say) is reported as damage anywhere else is.
fn start_of(files: &[PathBuf], filter: &Filter, n: u64) -> CliResult<Start> {
    // No file (nothing to read yet) starts at the beginning too.
    let start = select::tail_start(files, filter, n, true)?;
    if (start.seg, start.skip) == (0, 0) {
        return Ok(Start::First);
    }
    Ok(match select::first_seq_from(files, filter, start)? {
        Some(seq) => Start::Seq(seq),
        // Nothing to show yet: start after the last record.
        None => Start::End,
    })
}

// `tail -f` on a log or segment that is not there yet waits for it to
// appear, as `tail -F` does: a missing segment file or directory, an
// empty segment file (created, its header not written yet), a directory
// that holds no log yet (with `--log`, not that log: `paths::scan_dir`).

/// What is missing for `path` to be followed, if anything.
fn missing(path: &Path, log: Option<&str>) -> CliResult<Option<&'static str>> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(Some("does not exist yet"));
    };
    if !meta.is_dir() {
        let empty = paths::is_empty(path);
        return Ok(empty.then_some("empty: its header is not written yet"));
    }
    // What `tail` then resolves the path to (`paths::resolve`): with
    // `--log`, that log's segments.
    let sources = paths::scan_dir(path, log)?;
    let what = ["holds no log yet", "holds no segment of the log yet"][usize::from(log.is_some())];
    Ok(sources.is_empty().then_some(what))
}
