//! `binlog stats`: records and bytes per type, and per minute, hour or day
//! (UTC), to see who writes what and when. Memory grows with the number of
//! types and time buckets, never with the number of records.

use crate::error::{CliError, CliResult, Outcome};
use crate::output::{self, human_bytes};
use crate::paths;
use crate::progress::Progress;
use crate::select::{self, FilterArgs, Start};
use crate::time::{self, rfc3339_short};
use clap::{Args, ValueEnum};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum By {
    Minute,
    Hour,
    Day,
    /// No time buckets, types only.
    None,
}

impl By {
    fn ns(self) -> Option<i64> {
        const M: i64 = 60_000_000_000;
        match self {
            By::Minute => Some(M),
            By::Hour => Some(60 * M),
            By::Day => Some(1440 * M),
            By::None => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            By::Minute => "minute",
            By::Hour => "hour",
            By::Day => "day",
            By::None => "none",
        }
    }
}

#[derive(Args, Debug)]
#[command(after_help = "\
Bytes are the records' bytes in the file (framing, type, metadata and
payload). Times are UTC buckets of the records' timestamps.

Examples:
  binlog stats /var/log/orders
  binlog stats /var/log/orders --by minute --since 1h
  binlog stats orders.binlog --by none --json")]
pub struct StatsArgs {
    /// Segment files, or log directories.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// In a directory holding several logs, only this one.
    #[arg(long, value_name = "NAME")]
    pub log: Option<String>,
    /// Time buckets.
    #[arg(long, value_enum, default_value_t = By::Hour)]
    pub by: By,
    /// Types shown per time bucket (the busiest first).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub top: usize,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(Default, Clone)]
struct Bucket {
    records: u64,
    bytes: u64,
    /// By type index: (records, bytes).
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

pub fn run(args: &StatsArgs) -> CliResult<Outcome> {
    let filter = args.filter.build()?;
    let sources = paths::resolve(&args.paths, args.log.as_deref())?;
    let files = paths::all_files(&sources);
    let total_bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let mut progress = Progress::bytes(total_bytes, "stats");
    let mut names: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut all = Bucket::default();
    let mut buckets: BTreeMap<i64, Bucket> = BTreeMap::new();
    let (mut first_seq, mut last_seq) = (None, None);
    let (mut min_ts, mut max_ts) = (i64::MAX, i64::MIN);
    let width = args.by.ns();
    let outcome =
        select::for_each_with_progress(&files, &filter, Start::BEGIN, None, &mut progress, |r| {
            let t = match index.get(r.type_name) {
                Some(&t) => t,
                None => {
                    index.insert(r.type_name.to_string(), names.len());
                    names.push(r.type_name.to_string());
                    names.len() - 1
                }
            };
            all.add(t, r.frame_len);
            if let Some(w) = width {
                buckets
                    .entry(time::floor(r.timestamp_ns, w))
                    .or_default()
                    .add(t, r.frame_len);
            }
            first_seq.get_or_insert(r.seq);
            last_seq = Some(r.seq);
            min_ts = min_ts.min(r.timestamp_ns);
            max_ts = max_ts.max(r.timestamp_ns);
            Ok(())
        })?;
    progress.finish();
    // Busiest types first.
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by_key(|&t| (std::cmp::Reverse(all.types[t].0), names[t].clone()));
    let mut out = output::stdout();
    if args.json {
        let types: Vec<Value> = order
            .iter()
            .map(|&t| json!({"type": names[t], "records": all.types[t].0, "bytes": all.types[t].1}))
            .collect();
        let bucket_list: Vec<Value> = buckets
            .iter()
            .map(|(start, b)| {
                let per: serde_json::Map<String, Value> = order
                    .iter()
                    .filter(|&&t| b.types.get(t).is_some_and(|c| c.0 > 0))
                    .map(|&t| {
                        (
                            names[t].clone(),
                            json!({"records": b.types[t].0, "bytes": b.types[t].1}),
                        )
                    })
                    .collect();
                json!({
                    "start": rfc3339_short(*start),
                    "start_ns": start,
                    "records": b.records,
                    "bytes": b.bytes,
                    "types": per,
                })
            })
            .collect();
        let doc = json!({
            "records": all.records,
            "bytes": all.bytes,
            "first_seq": first_seq,
            "last_seq": last_seq,
            "min_time": (all.records > 0).then(|| time::rfc3339(min_ts)),
            "max_time": (all.records > 0).then(|| time::rfc3339(max_ts)),
            "by": args.by.label(),
            "types": types,
            "buckets": bucket_list,
        });
        serde_json::to_writer_pretty(&mut out, &doc)
            .map_err(|e| CliError::from(std::io::Error::from(e)))?;
        writeln!(out)?;
        out.flush()?;
        return Ok(outcome);
    }
    if all.records == 0 {
        writeln!(out, "no records")?;
        out.flush()?;
        return Ok(outcome);
    }
    writeln!(
        out,
        "{} records, {}, seq {}..{}, {} .. {}",
        all.records,
        human_bytes(all.bytes),
        first_seq.unwrap_or(0),
        last_seq.unwrap_or(0),
        time::rfc3339(min_ts),
        time::rfc3339(max_ts)
    )?;
    writeln!(out)?;
    let w = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(4)
        .max(5);
    writeln!(
        out,
        "{:<w$}  {:>12} {:>7}  {:>12} {:>7}  {:>10}",
        "type", "records", "%", "bytes", "%", "avg bytes"
    )?;
    let pct = |a: u64, b: u64| {
        if b == 0 {
            0.0
        } else {
            a as f64 * 100.0 / b as f64
        }
    };
    for &t in &order {
        let (n, b) = all.types[t];
        writeln!(
            out,
            "{:<w$}  {n:>12} {:>6.1}%  {:>12} {:>6.1}%  {:>10}",
            names[t],
            pct(n, all.records),
            human_bytes(b),
            pct(b, all.bytes),
            b / n.max(1)
        )?;
    }
    writeln!(
        out,
        "{:<w$}  {:>12} {:>6.1}%  {:>12} {:>6.1}%  {:>10}",
        "total",
        all.records,
        100.0,
        human_bytes(all.bytes),
        100.0,
        all.bytes / all.records.max(1)
    )?;
    if !buckets.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{:<22} {:>12}  {:>12}  busiest types",
            format!("{} (UTC)", args.by.label()),
            "records",
            "bytes"
        )?;
        for (start, b) in &buckets {
            let mut top: Vec<usize> = (0..b.types.len()).filter(|&t| b.types[t].0 > 0).collect();
            top.sort_by_key(|&t| std::cmp::Reverse(b.types[t].0));
            let shown: Vec<String> = top
                .iter()
                .take(args.top)
                .map(|&t| format!("{} {:.1}%", names[t], pct(b.types[t].0, b.records)))
                .collect();
            writeln!(
                out,
                "{:<22} {:>12}  {:>12}  {}",
                bucket_label(*start, args.by),
                b.records,
                human_bytes(b.bytes),
                shown.join(", ")
            )?;
        }
    }
    out.flush()?;
    Ok(outcome)
}

/// `2026-11-21T05:37Z` for minutes and hours, `2026-11-21` for days.
fn bucket_label(start: i64, by: By) -> String {
    let s = rfc3339_short(start);
    match by {
        By::Day => s[..10].to_string(),
        _ => format!("{}Z", &s[..16]),
    }
}
