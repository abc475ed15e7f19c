//! `binlog stats`: records and bytes per type, and per second, minute,
//! hour or day (UTC), to see who writes what and when. Memory grows with
//! the number of types and time buckets, never with the number of records.
//!
//! `Tally` counts the records (the library's `Summary`, and records and
//! bytes per type in each time bucket); `print_text` and `print_json` print
//! the counts, the text with a sparkline of the buckets.

use crate::error::{counted, CliResult, Outcome};
use crate::output::{self, human_bytes};
use crate::paths::{self, SourceArgs};
use crate::progress::{Progress, ProgressArgs};
use crate::select::{self, FilterArgs, Walk};
use crate::time::{self, rfc3339_short};
use binlog::{Record, Summary};
use clap::{Args, ValueEnum};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;

/// How much time a bucket of `--by` covers, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BucketWidth {
    Second = 1,
    Minute = 60,
    Hour = 3600,
    Day = 86_400,
    /// No time buckets, types only.
    None = 0,
}

impl BucketWidth {
    fn ns(self) -> Option<i64> {
        (self != BucketWidth::None).then_some(self as i64 * 1_000_000_000)
    }

    /// Its name, as `--by` takes it.
    fn label(self) -> String {
        let value = self.to_possible_value().expect("no value is skipped");
        value.get_name().to_string()
    }
}

#[derive(Args, Debug)]
#[command(after_help = include_str!("../help/stats.txt"))]
pub struct StatsArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Time buckets.
    #[arg(long, value_enum, default_value_t = BucketWidth::Hour)]
    pub by: BucketWidth,
    /// Types shown per time bucket (the busiest first).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub top: usize,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub progress: ProgressArgs,
}

pub fn run(args: &StatsArgs) -> CliResult<Outcome> {
    let filter = args.filter.build()?;
    let files = paths::all_files(&args.source.resolve()?);
    let mut progress = Progress::bytes(paths::total_len(&files), "stats");
    let mut tally = Tally {
        width: args.by.ns(),
        ..Tally::default()
    };
    let outcome = select::for_each(&files, &filter, Walk::default(), &mut progress, |r, _| {
        tally.add(r);
        Ok(())
    })?;
    progress.finish();
    let mut out = output::stdout();
    match args.json {
        true => print_json(&mut out, &tally, args.by)?,
        false => print_text(&mut out, &tally, args)?,
    }
    out.flush()?;
    Ok(outcome)
}

#[derive(Default, Clone)]
struct Bucket {
    records: u64,
    bytes: u64,
    /// By the type's place in the summary's types: (records, bytes).
    types: Vec<(u64, u64)>,
}

impl Bucket {
    fn add(&mut self, t: usize, bytes: u64) {
        self.records += 1;
        self.bytes += bytes;
        if self.types.len() <= t {
            self.types.resize(t + 1, (0, 0));
        }
        self.types[t].0 += 1;
        self.types[t].1 += bytes;
    }
}

/// What the records counted hold.
#[derive(Default)]
struct Tally {
    /// Bucket width in ns (None: no time buckets).
    width: Option<i64>,
    summary: Summary,
    /// By the start of each bucket.
    buckets: BTreeMap<i64, Bucket>,
}

impl Tally {
    fn add(&mut self, r: &Record<'_>) {
        let t = self.summary.add(r);
        if let Some(w) = self.width {
            let bucket = self.buckets.entry(time::floor(r.timestamp_ns, w));
            bucket.or_default().add(t, r.frame_len);
        }
    }

    /// The type indexes, busiest first.
    fn busiest_first(&self) -> Vec<usize> {
        let types = &self.summary.types;
        let mut order: Vec<usize> = (0..types.len()).collect();
        order.sort_by_key(|&t| (std::cmp::Reverse(types[t].records), &types[t].name));
        order
    }
}

// What `binlog stats` prints: a table of types and one of time buckets
// (after the sparkline of the records per bucket), or one JSON document.

fn print_json(out: &mut impl Write, tally: &Tally, by: BucketWidth) -> CliResult<()> {
    let order = tally.busiest_first();
    let all = &tally.summary;
    let type_json = |&t: &usize| {
        let t = &all.types[t];
        json!({
            "type": t.name, "records": t.records, "bytes": t.bytes,
            "payload_bytes": t.payload_bytes, "first_seq": t.first_seq,
            "last_seq": t.last_seq, "first_time": time::rfc3339(t.first_ns),
            "last_time": time::rfc3339(t.last_ns),
        })
    };
    let types: Vec<Value> = order.iter().map(type_json).collect();
    let bucket_json = |(start, b): (&i64, &Bucket)| {
        let has_records = |&&t: &&usize| b.types.get(t).is_some_and(|c| c.0 > 0);
        let entry = |&t: &usize| {
            let (records, bytes) = b.types[t];
            let counts = json!({"records": records, "bytes": bytes});
            (all.types[t].name.clone(), counts)
        };
        let per: serde_json::Map<String, Value> =
            order.iter().filter(has_records).map(entry).collect();
        json!({
            "start": rfc3339_short(*start), "start_ns": start, "records": b.records,
            "bytes": b.bytes, "types": per,
        })
    };
    let bucket_list: Vec<Value> = tally.buckets.iter().map(bucket_json).collect();
    let doc = json!({
        "records": all.records, "bytes": all.bytes, "payload_bytes": all.payload_bytes,
        "first_seq": all.first_seq, "last_seq": all.last_seq,
        "min_time": all.min_ns.map(time::rfc3339), "max_time": all.max_ns.map(time::rfc3339),
        "first_time": all.first_ns.map(time::rfc3339), "last_time": all.last_ns.map(time::rfc3339),
        "by": by.label(), "types": types, "buckets": bucket_list,
    });
    output::print_json_document(out, &doc)
}

fn print_text(out: &mut impl Write, tally: &Tally, args: &StatsArgs) -> CliResult<()> {
    let all = &tally.summary;
    let (Some(min), Some(max)) = (all.min_ns, all.max_ns) else {
        return Ok(writeln!(out, "no records")?);
    };
    let (records, bytes) = (counted(all.records, "record"), human_bytes(all.bytes));
    let (first, last) = (all.first_seq.unwrap_or(0), all.last_seq.unwrap_or(0));
    let (min, max) = (time::rfc3339(min), time::rfc3339(max));
    let line = format!("{records}, {bytes}, seq {first}..{last}, {min} .. {max}");
    writeln!(out, "{line}")?;
    writeln!(out)?;
    // The table of types, busiest first, and the total.
    let w = all.types.iter().map(|t| t.name.chars().count()).max();
    let w = w.unwrap_or(4).max(5);
    let (n, p, b, avg) = ("records", "%", "bytes", "avg bytes");
    let heading = format!("{:<w$}  {n:>12} {p:>7}  {b:>12} {p:>7}  {avg:>10}", "type");
    writeln!(out, "{heading}")?;
    // The total's shares are 100%: there are records (`print_text`).
    let mut row = |name: &str, n: u64, b: u64| {
        let (pn, pb, h) = (pct(n, all.records), pct(b, all.bytes), human_bytes(b));
        let avg = b / n.max(1);
        let line = format!("{name:<w$}  {n:>12} {pn:>6.1}%  {h:>12} {pb:>6.1}%  {avg:>10}");
        writeln!(out, "{line}")
    };
    for t in tally.busiest_first().into_iter().map(|t| &all.types[t]) {
        row(&t.name, t.records, t.bytes)?;
    }
    row("total", all.records, all.bytes)?;
    if !tally.buckets.is_empty() {
        writeln!(out)?;
        // The sparkline of records per bucket in the terminal's width at most:
        // `rate  ▁▃█▅  at most 30 records a minute`.
        let width = terminal_width();
        let buckets: Vec<(i64, u64)> = tally.buckets.iter().map(|(s, b)| (*s, b.records)).collect();
        let (label, unit) = ("rate  ", args.by.label());
        let line = |cols: usize| {
            let s = sparkline(&buckets, args.by.ns().unwrap_or(1), cols);
            let span = match s.per_mark {
                1 => format!("a {unit}"),
                n => format!("per {n} {unit}s"),
            };
            let most = counted(s.max, "record");
            let n = s.marks.chars().count();
            (format!("{label}{}  at most {most} {span}", s.marks), n)
        };
        // The legend's length depends on the marks: fit, and fit again.
        let mut cols = width.saturating_sub(label.len()).max(8);
        let mut text = String::new();
        for _ in 0..3 {
            let (t, marks) = line(cols);
            let over = t.chars().count().saturating_sub(width);
            text = t;
            if over == 0 || cols == 8 {
                break;
            }
            cols = marks.saturating_sub(over).max(8);
        }
        writeln!(out, "{text}")?;
        // The table of time buckets, each with its busiest types.
        let by = format!("{} (UTC)", args.by.label());
        let heading = format!("{by:<22} {:>12}  {:>12}  busiest types", "records", "bytes");
        writeln!(out, "{heading}")?;
        for (start, b) in &tally.buckets {
            let mut top: Vec<usize> = (0..b.types.len()).filter(|&t| b.types[t].0 > 0).collect();
            top.sort_by_key(|&t| std::cmp::Reverse(b.types[t].0));
            let share = |&t: &usize| {
                let name = &tally.summary.types[t].name;
                format!("{name} {:.1}%", pct(b.types[t].0, b.records))
            };
            let shown: Vec<String> = top.iter().take(args.top).map(share).collect();
            // `2026-11-21T05:37Z` for minutes and hours, `2026-11-21` for
            // days, `2026-11-21T05:37:42Z` for seconds.
            let s = rfc3339_short(*start);
            let label = match args.by {
                BucketWidth::Day => s[..10].to_string(),
                BucketWidth::Second => format!("{}Z", &s[..19]),
                _ => format!("{}Z", &s[..16]),
            };
            let (bytes, shown) = (human_bytes(b.bytes), shown.join(", "));
            writeln!(out, "{label:<22} {:>12}  {bytes:>12}  {shown}", b.records)?;
        }
    }
    Ok(())
}

/// Percent of `a` in `b`.
fn pct(a: u64, b: u64) -> f64 {
    a as f64 * 100.0 / b.max(1) as f64
}

// The sparkline of `binlog stats`: records per time bucket as a line of
// ▁▂▃▄▅▆▇█ scaled to the busiest mark, condensed to fit a width: a mark
// sums as many consecutive buckets as it must (empty ones included), and
// a mark with no record is a space.

const MARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline: its marks, the buckets each mark sums, the largest sum.
#[derive(Debug, PartialEq, Eq)]
struct Sparkline {
    marks: String,
    per_mark: u64,
    max: u64,
}

/// The sparkline of `buckets` ((start, records), in time order, each
/// `width_ns` long) in at most `cols` marks (at least 1).
fn sparkline(buckets: &[(i64, u64)], width_ns: i64, cols: usize) -> Sparkline {
    let (Some(&(first, _)), Some(&(last, _))) = (buckets.first(), buckets.last()) else {
        return Sparkline {
            marks: String::new(),
            per_mark: 1,
            max: 0,
        };
    };
    let w = i128::from(width_ns.max(1));
    let place = |start: i64| ((i128::from(start) - i128::from(first)) / w) as u128;
    let n = place(last) + 1;
    let per = n.div_ceil(cols.max(1) as u128);
    let mut sums = vec![0u64; n.div_ceil(per) as usize];
    for &(start, records) in buckets {
        sums[(place(start) / per) as usize] += records;
    }
    let max = sums.iter().copied().max().unwrap_or(0).max(1);
    let mark = |&c: &u64| match c {
        0 => ' ',
        c => MARKS[((u128::from(c) * 8).div_ceil(u128::from(max)) - 1) as usize],
    };
    let marks = sums.iter().map(mark).collect();
    Sparkline {
        marks,
        per_mark: per as u64,
        max,
    }
}

/// The width to fit to: the terminal's, 80 when standard output is none.
fn terminal_width() -> usize {
    use std::io::IsTerminal;
    let out = std::io::stdout();
    match out.is_terminal() {
        true => terminal_size::terminal_size_of(out).map_or(80, |(w, _)| usize::from(w.0)),
        false => 80,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_scale_to_the_busiest_and_empty_buckets_are_spaces() {
        let s = sparkline(&[(0, 1), (10, 8), (30, 4)], 10, 80);
        assert_eq!((s.marks.as_str(), s.per_mark, s.max), ("▁█ ▄", 1, 8));
    }

    #[test]
    fn many_buckets_are_condensed_to_the_width() {
        let buckets: Vec<(i64, u64)> = (0..100).map(|i| (i, 1)).collect();
        let s = sparkline(&buckets, 1, 30);
        assert_eq!((s.marks.chars().count(), s.per_mark, s.max), (25, 4, 4));
        // The range of all time fits too.
        let s = sparkline(&[(i64::MIN, 1), (i64::MAX - 59, 2)], 60, 10);
        assert_eq!((s.marks.as_str(), s.max), ("▄        █", 2));
        assert_eq!(sparkline(&[], 1, 10).marks, "");
    }
}
