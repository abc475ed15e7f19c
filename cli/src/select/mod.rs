//! Choosing records, for the commands that print or count them (`cat`,
//! `tail`, `stats`): filters by type, sequence range and time range
//! (`Filter`, here), and a streaming walk over segments that applies them,
//! and where it starts for `--tail N` (`for_each`). A sealed
//! segment that cannot match is skipped from its seal; a type filter uses
//! the seal's per-type index and a lower bound seeks through the sparse
//! index, so a narrow query does not read a whole log. Memory stays
//! constant: `--tail N` counts matches backwards segment by segment instead
//! of buffering records.

mod for_each;

pub use for_each::{damage_message, first_seq_from, for_each, tail_start, Walk};

use crate::error::{CliError, CliResult, Outcome};
use crate::output::{self, reader_type_name, PayloadMode, RecordPrinter};
use crate::paths::SourceArgs;
use crate::progress::{NoProgressAccepted, Progress};
use crate::time;
use binlog::{Reader, Record, RecordReader};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

// Filters by type, sequence range and time range, as given on the
// command line (`FilterArgs`) and as applied to records (`Filter`).

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
    /// a date, or a time before now (10m, 1h30m, 2d). Also --from-time.
    #[arg(long, value_name = "TIME", alias = "from-time")]
    pub since: Option<String>,
    /// Only records before this time (same forms as --since). Also
    /// --to-time.
    #[arg(long, value_name = "TIME", alias = "to-time")]
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
            let Some(s) = v else { return Ok(None) };
            let usage = |e: String| CliError::usage(format!("{flag}: {e}"));
            Ok(Some(time::parse_time(s, now).map_err(usage)?))
        };
        let named = self.types.iter().filter(|t| !t.is_empty());
        let f = Filter {
            types: named.cloned().collect(),
            from_seq: self.from_seq,
            to_seq: self.to_seq,
            since: parse("--since", &self.since)?,
            until: parse("--until", &self.until)?,
        };
        crate::error::check_seq_order(f.from_seq, f.to_seq)?;
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
                let name = output::shown_type_name(r);
                self.types.iter().any(|t| *t == name)
            })
    }

    /// Gives the library's reader `r` the type filter: the types asked
    /// for, and the reader's name for each `unknown-type-N` among them
    /// (`<lost type N>`).
    pub fn filter_types_of(&self, r: &mut impl RecordReader) {
        let lost = self.types.iter().filter_map(|t| reader_type_name(t));
        let names: Vec<String> = self.types.iter().cloned().chain(lost).collect();
        r.filter_types(&names.iter().map(String::as_str).collect::<Vec<_>>());
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
        let wanted = |name: &String| self.types.contains(name);
        let has_type = d.types.iter().any(|t| t.count > 0 && wanted(&t.name));
        !(self.from_seq.is_some_and(|s| d.last_seq < s)
            || self.since.is_some_and(|t| d.max_ts < t)
            || self.until.is_some_and(|t| d.min_ts >= t)
            || (!self.types.is_empty() && !has_type))
    }

    /// Installs the type filter and seeks to the first candidate.
    pub fn prepare_reader(&self, r: &mut Reader) -> binlog::Result<()> {
        if !self.types.is_empty() {
            self.filter_types_of(r);
        }
        match (self.from_seq, self.since) {
            (Some(s), _) if s > r.header().first_seq => r.seek_seq(s),
            // Every record before the one found is earlier than `t`.
            (None, Some(t)) => r.seek_time(t),
            _ => Ok(()),
        }
    }
}

/// Options shared by the commands that print records (cat, tail).
#[derive(Args, Debug, Clone)]
pub struct RecordArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// One JSON object per record and line: seq, time, ts_ns, type, meta,
    /// payload, encoding, size.
    #[arg(long)]
    pub json: bool,
    /// How to show payloads.
    #[arg(long, value_enum, default_value_t = PayloadMode::Auto, value_name = "MODE")]
    pub payload: PayloadMode,
    /// Print each payload decoded by its type's schema in the segment
    /// header (protobuf, JSON, CBOR, MessagePack) as JSON: in place of the
    /// payload, or with --json as a "decoded" member. A payload that does
    /// not decode is printed as without --decode, named on standard error
    /// (exit status 3).
    #[arg(long)]
    pub decode: bool,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub no_progress: NoProgressAccepted,
}

impl RecordArgs {
    /// The filter these options ask for, once a payload mode the output
    /// cannot carry (raw bytes in JSON) is refused.
    pub fn build_filter(&self) -> CliResult<Filter> {
        let why = "--payload raw cannot be used with --json (use base64 or hex)";
        crate::error::refuse(self.json && self.payload == PayloadMode::Raw, why)?;
        self.filter.build()
    }
}

/// Prints on standard output the records of `files` that `filter` and
/// `walk` select, as `a` says (lines or JSON).
pub fn print_records(
    files: &[PathBuf],
    filter: &Filter,
    walk: Walk,
    a: &RecordArgs,
) -> CliResult<Outcome> {
    let mut out = output::stdout();
    let mut printer = RecordPrinter::new(a.json, a.payload, a.decode);
    let outcome = for_each(files, filter, walk, &mut Progress::hidden(), |r, at| {
        printer.print_from(&mut out, at, r).map_err(CliError::from)
    })?;
    out.flush()?;
    Ok(outcome.max(printer.outcome()))
}
