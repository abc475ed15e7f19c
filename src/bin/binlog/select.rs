//! Choosing records: filters by type, sequence range and time range, and a
//! streaming walk over segments that applies them, with `--head` and
//! `--tail`. A sealed segment that cannot match is skipped from its seal;
//! a type filter uses the seal's per-type index and a lower bound seeks
//! through the sparse index, so a narrow query does not read a whole log.
//! Memory stays constant: `--tail N` counts matches backwards segment by
//! segment instead of buffering records.

use crate::continuity::{end_of, Break, Continuity};
use crate::error::{is_damage, CliError, CliResult, Outcome};
use crate::output::PayloadMode;
use crate::paths;
use crate::progress::Progress;
use crate::time;
use binlog::{Reader, Record, Tail};
use clap::Args;
use std::path::{Path, PathBuf};

/// Options shared by the commands that print records (cat, tail).
#[derive(Args, Debug, Clone)]
pub struct RecordArgs {
    /// Segment files, or log directories.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// In a directory holding several logs, read only this one.
    #[arg(long, value_name = "NAME")]
    pub log: Option<String>,
    /// One JSON object per record and line: seq, time, ts_ns, type, meta,
    /// payload, encoding, size.
    #[arg(long)]
    pub json: bool,
    /// How to show payloads.
    #[arg(long, value_enum, default_value_t = PayloadMode::Auto, value_name = "MODE")]
    pub payload: PayloadMode,
    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(Args, Debug, Clone, Default)]
pub struct FilterArgs {
    /// Only records of this type (repeat, or separate with commas).
    #[arg(long = "type", short = 't', value_name = "TYPE", value_delimiter = ',')]
    pub types: Vec<String>,
    /// Only records with a sequence number of at least N.
    #[arg(long, value_name = "N")]
    pub from_seq: Option<u64>,
    /// Only records with a sequence number of at most N.
    #[arg(long, value_name = "N")]
    pub to_seq: Option<u64>,
    /// Only records at or after this time: RFC 3339 (2026-11-21T05:30:00Z),
    /// a date, or a time before now (10m, 1h30m, 2d).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only records before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub types: Vec<String>,
    pub from_seq: Option<u64>,
    pub to_seq: Option<u64>,
    pub since: Option<i64>,
    /// Exclusive.
    pub until: Option<i64>,
}

impl FilterArgs {
    pub fn build(&self) -> CliResult<Filter> {
        let now = time::now_ns();
        let parse = |flag: &str, v: &Option<String>| -> CliResult<Option<i64>> {
            v.as_deref()
                .map(|s| {
                    time::parse_time(s, now).map_err(|e| CliError::usage(format!("{flag}: {e}")))
                })
                .transpose()
        };
        let f = Filter {
            types: self
                .types
                .iter()
                .filter(|t| !t.is_empty())
                .cloned()
                .collect(),
            from_seq: self.from_seq,
            to_seq: self.to_seq,
            since: parse("--since", &self.since)?,
            until: parse("--until", &self.until)?,
        };
        if let (Some(a), Some(b)) = (f.from_seq, f.to_seq) {
            if a > b {
                return Err(CliError::usage(format!(
                    "--from-seq {a} is after --to-seq {b}"
                )));
            }
        }
        Ok(f)
    }
}

impl Filter {
    #[inline]
    pub fn matches(&self, r: &Record<'_>) -> bool {
        self.from_seq.is_none_or(|s| r.seq >= s)
            && self.to_seq.is_none_or(|s| r.seq <= s)
            && self.since.is_none_or(|t| r.timestamp_ns >= t)
            && self.until.is_none_or(|t| r.timestamp_ns < t)
            && (self.types.is_empty() || {
                let name = crate::walk::shown_type_name(r);
                self.types.iter().any(|t| *t == name)
            })
    }

    /// The type names to give the library's reader as its filter: those
    /// asked for, and the reader's name for each `unknown-type-N` among
    /// them (`<lost type N>`).
    pub fn reader_types(&self) -> Vec<String> {
        let mut names = self.types.clone();
        names.extend(
            self.types
                .iter()
                .filter_map(|t| crate::walk::reader_type_name(t)),
        );
        names
    }

    /// False when the segment's header or seal shows no record can match.
    pub fn may_match(&self, r: &Reader) -> bool {
        if self.to_seq.is_some_and(|to| r.header().first_seq > to) {
            return false;
        }
        let Some(d) = r.seal() else { return true };
        if d.record_count == 0 {
            return false;
        }
        !(self.from_seq.is_some_and(|s| d.last_seq < s)
            || self.since.is_some_and(|t| d.max_ts < t)
            || self.until.is_some_and(|t| d.min_ts >= t)
            || (!self.types.is_empty()
                && !d
                    .types
                    .iter()
                    .any(|t| t.count > 0 && self.types.contains(&t.name))))
    }

    /// Installs the type filter and seeks to the first candidate.
    pub fn prepare(&self, r: &mut Reader) -> binlog::Result<()> {
        if !self.types.is_empty() {
            let types = self.reader_types();
            let names: Vec<&str> = types.iter().map(|s| s.as_str()).collect();
            r.filter_types(&names);
        }
        if let Some(s) = self.from_seq {
            if s > r.header().first_seq {
                r.seek_seq(s)?;
            }
        }
        if let Some(t) = self.since {
            // Every record before the one found is earlier than `t`.
            if self.from_seq.is_none() {
                r.seek_time(t)?;
            }
        }
        Ok(())
    }
}

/// Where printing starts: a segment, and matching records to skip in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Start {
    pub seg: usize,
    pub skip: u64,
}

impl Start {
    pub const BEGIN: Start = Start { seg: 0, skip: 0 };
}

/// The start that leaves the last `n` matching records, counting backwards
/// one segment at a time. Only the segments whose records would be printed
/// are read (a seal that shows no record can match skips its segment): a
/// seal says how many records were written, not how many can be read, and
/// printing stops at damage.
pub fn tail_start(files: &[PathBuf], filter: &Filter, n: u64) -> CliResult<Start> {
    tail_start_with(files, filter, n, false)
}

/// `tail_start`, counting the records a reader that skips damaged regions
/// returns (`skip_damaged`, as `tail -f` reads) or, without it, those before
/// the first damage of each segment (as `for_each` prints).
pub fn tail_start_with(
    files: &[PathBuf],
    filter: &Filter,
    n: u64,
    skip_damaged: bool,
) -> CliResult<Start> {
    let mut need = n;
    if need == 0 {
        return Ok(Start {
            seg: files.len(),
            skip: 0,
        });
    }
    for i in (0..files.len()).rev() {
        let c = count(&files[i], filter, skip_damaged)?;
        if c >= need {
            return Ok(Start {
                seg: i,
                skip: c - need,
            });
        }
        need -= c;
    }
    Ok(Start::BEGIN)
}

/// Opens a segment, prepared for `filter`: None when it cannot be read for
/// damage or cannot match. With `skip_damaged` a damaged header or damaged
/// records are skipped, as `LogReader::skip_damaged` does.
fn open_prepared(file: &Path, filter: &Filter, skip_damaged: bool) -> CliResult<Option<Reader>> {
    let opened = if skip_damaged {
        Reader::open_salvage(file)
    } else {
        Reader::open(file)
    };
    let mut r = match opened {
        Ok(r) => r,
        Err(e) if is_damage(&e) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if paths::check_log_of(file, &r).is_err() {
        return Ok(None);
    }
    if !filter.may_match(&r) || filter.prepare(&mut r).is_err() {
        return Ok(None);
    }
    Ok(Some(r))
}

/// Matching records in one segment that can be read: a scan that stops at
/// damage, as printing does (or skips it, with `skip_damaged`).
fn count(file: &Path, filter: &Filter, skip_damaged: bool) -> CliResult<u64> {
    let Some(mut r) = open_prepared(file, filter, skip_damaged)? else {
        return Ok(0);
    };
    let mut c = 0;
    while let Ok(Some(rec)) = r.next() {
        if filter.to_seq.is_some_and(|to| rec.seq > to) {
            break;
        }
        if filter.matches(&rec) {
            c += 1;
        }
    }
    Ok(c)
}

/// The sequence number of the first record printing from `start` would
/// print, read as `tail_start_with` counted (None: there is none).
pub fn first_seq_from(
    files: &[PathBuf],
    filter: &Filter,
    start: Start,
    skip_damaged: bool,
) -> CliResult<Option<u64>> {
    let mut skip = start.skip;
    for file in files.iter().skip(start.seg) {
        let Some(mut r) = open_prepared(file, filter, skip_damaged)? else {
            skip = 0;
            continue;
        };
        while let Ok(Some(rec)) = r.next() {
            if filter.to_seq.is_some_and(|to| rec.seq > to) {
                return Ok(None);
            }
            if !filter.matches(&rec) {
                continue;
            }
            if skip > 0 {
                skip -= 1;
                continue;
            }
            return Ok(Some(rec.seq));
        }
        skip = 0;
    }
    Ok(None)
}

/// Calls `f` on every matching record from `start`, at most `head` of them.
/// Damage met on the way is reported on standard error and the walk goes
/// on with the next segment; the outcome says whether there was any. A
/// torn tail or a damaged seal (all records read) is only a warning.
pub fn for_each(
    files: &[PathBuf],
    filter: &Filter,
    start: Start,
    head: Option<u64>,
    f: impl FnMut(&Record<'_>) -> CliResult<()>,
) -> CliResult<Outcome> {
    for_each_with_progress(files, filter, start, head, &mut Progress::hidden(), f)
}

/// `for_each`, moving a progress bar by the bytes read.
pub fn for_each_with_progress(
    files: &[PathBuf],
    filter: &Filter,
    start: Start,
    head: Option<u64>,
    progress: &mut Progress,
    mut f: impl FnMut(&Record<'_>) -> CliResult<()>,
) -> CliResult<Outcome> {
    let mut outcome = Outcome::Clean;
    let mut continuity = Continuity::default();
    let mut left = head.unwrap_or(u64::MAX);
    let mut skip = start.skip;
    for file in files.iter().skip(start.seg) {
        if left == 0 {
            break;
        }
        let file_len = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        let mut r = match Reader::open(file) {
            Ok(r) => r,
            Err(e) if is_damage(&e) => {
                eprintln!("binlog: damaged: {}", e.message());
                outcome = Outcome::Damaged;
                continuity.unknown();
                progress.file_done(file_len);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if let Err(e) = paths::check_log_of(file, &r) {
            eprintln!("binlog: damaged: {}", e.message());
            outcome = Outcome::Damaged;
            continuity.unknown();
            progress.file_done(file_len);
            continue;
        }
        if let Some(b) = continuity.check(file, r.header().first_seq, Some(filter)) {
            let what = match b {
                Break::Missing { .. } => "gap",
                Break::Overlap { .. } => "damaged",
            };
            eprintln!("binlog: {what}: {}", b.message());
            outcome = Outcome::Damaged;
        }
        if !filter.may_match(&r) {
            continuity.visited(file, end_of(&r, false));
            progress.file_done(file_len);
            continue;
        }
        if let Err(e) = filter.prepare(&mut r) {
            eprintln!("binlog: damaged: {}", e.message());
            outcome = Outcome::Damaged;
            continuity.unknown();
            continue;
        }
        let mut complete = true;
        loop {
            match r.next() {
                Ok(Some(rec)) => {
                    progress.at(rec.offset);
                    if filter.to_seq.is_some_and(|to| rec.seq > to) {
                        complete = false;
                        break;
                    }
                    if !filter.matches(&rec) {
                        continue;
                    }
                    if skip > 0 {
                        skip -= 1;
                        continue;
                    }
                    f(&rec)?;
                    left -= 1;
                    if left == 0 {
                        complete = false;
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    eprintln!("binlog: damaged: {}", e.message());
                    outcome = Outcome::Damaged;
                    complete = false;
                    break;
                }
            }
        }
        skip = 0;
        progress.file_done(file_len);
        // A type filter reads through the index, when there is one: the
        // reader's position then says nothing of the segment's end (a
        // seek only moves it forward, to the same end).
        continuity.visited(file, end_of(&r, complete && filter.types.is_empty()));
        if complete {
            warn_tail(file, r.tail());
        }
    }
    Ok(outcome)
}

/// Says on standard error how a segment read to its end ended, when that
/// is worth knowing (records were all read, but something is off).
pub fn warn_tail(file: &Path, tail: Tail) {
    match tail {
        Tail::Torn { offset, len } => eprintln!(
            "binlog: warning: {}: offset {offset}: torn tail of {len} bytes (an incomplete last \
             record, or one being written); `binlog verify` tells more",
            paths::show(file)
        ),
        Tail::SealDamaged { offset } => eprintln!(
            "binlog: warning: {}: offset {offset}: the seal is damaged or incomplete (all records \
             were read); `binlog repair` rewrites it",
            paths::show(file)
        ),
        _ => {}
    }
}
