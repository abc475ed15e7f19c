//! What `binlog stats` prints: a table of types and one of time buckets,
//! or one JSON document.

use super::args::{BucketWidth, StatsArgs};
use super::tally::Tally;
use crate::error::CliResult;
use crate::output::{self, human_bytes};
use crate::time::{self, rfc3339_short};
use serde_json::{json, Value};
use std::io::Write;

pub(super) fn print_json(out: &mut impl Write, tally: &Tally, by: BucketWidth) -> CliResult<()> {
    let order = tally.busiest_first();
    let (names, all) = (&tally.names, &tally.all);
    let types: Vec<Value> = order
        .iter()
        .map(|&t| json!({"type": names[t], "records": all.types[t].0, "bytes": all.types[t].1}))
        .collect();
    let bucket_list: Vec<Value> = tally
        .buckets
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
        "first_seq": tally.first_seq,
        "last_seq": tally.last_seq,
        "min_time": (all.records > 0).then(|| time::rfc3339(tally.min_ts)),
        "max_time": (all.records > 0).then(|| time::rfc3339(tally.max_ts)),
        "by": by.label(),
        "types": types,
        "buckets": bucket_list,
    });
    output::print_json_document(out, &doc)
}

pub(super) fn print_text(out: &mut impl Write, tally: &Tally, args: &StatsArgs) -> CliResult<()> {
    let all = &tally.all;
    if all.records == 0 {
        writeln!(out, "no records")?;
        return Ok(());
    }
    writeln!(
        out,
        "{} records, {}, seq {}..{}, {} .. {}",
        all.records,
        human_bytes(all.bytes),
        tally.first_seq.unwrap_or(0),
        tally.last_seq.unwrap_or(0),
        time::rfc3339(tally.min_ts),
        time::rfc3339(tally.max_ts)
    )?;
    writeln!(out)?;
    print_types(out, tally)?;
    if !tally.buckets.is_empty() {
        writeln!(out)?;
        print_buckets(out, tally, args)?;
    }
    Ok(())
}

/// Percent of `a` in `b`.
fn pct(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 * 100.0 / b as f64
    }
}

/// The table of types, busiest first, and the total.
fn print_types(out: &mut impl Write, tally: &Tally) -> CliResult<()> {
    let (names, all) = (&tally.names, &tally.all);
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
    for t in tally.busiest_first() {
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
    Ok(())
}

/// The table of time buckets, each with its busiest types.
fn print_buckets(out: &mut impl Write, tally: &Tally, args: &StatsArgs) -> CliResult<()> {
    writeln!(
        out,
        "{:<22} {:>12}  {:>12}  busiest types",
        format!("{} (UTC)", args.by.label()),
        "records",
        "bytes"
    )?;
    for (start, b) in &tally.buckets {
        let mut top: Vec<usize> = (0..b.types.len()).filter(|&t| b.types[t].0 > 0).collect();
        top.sort_by_key(|&t| std::cmp::Reverse(b.types[t].0));
        let shown: Vec<String> = top
            .iter()
            .take(args.top)
            .map(|&t| format!("{} {:.1}%", tally.names[t], pct(b.types[t].0, b.records)))
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
    Ok(())
}

/// `2026-11-21T05:37Z` for minutes and hours, `2026-11-21` for days.
fn bucket_label(start: i64, by: BucketWidth) -> String {
    let s = rfc3339_short(start);
    match by {
        BucketWidth::Day => s[..10].to_string(),
        _ => format!("{}Z", &s[..16]),
    }
}
