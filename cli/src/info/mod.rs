//! `binlog info`: what each segment is (header fields, sealed or not) and
//! holds (records per type, sequence and time ranges, bytes), and totals.
//! Several segments: the summary first, then one line per segment (and
//! with `--verbose` each segment's details).
//! A sealed segment is summarized from its seal without reading records; an
//! unsealed one is scanned.
//!
//! `segment` reads what a segment holds; it is printed here.

mod segment;

use crate::error::{counted, plural, CliResult, Outcome};
use crate::output::{self, human_bytes};
use crate::paths::{self, SourceArgs};
use crate::progress::{Progress, ProgressArgs};
use crate::remote;
use crate::time::rfc3339;
use binlog::naming::FileShape;
use binlog::verify::{Finding, FindingKind};
use clap::Args;
use segment::{Counts, SegmentInfo, Totals};
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;

#[derive(Args, Debug)]
#[command(after_help = include_str!("../help/info.txt"))]
pub struct InfoArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Print one JSON document.
    #[arg(long)]
    pub json: bool,
    /// With several segments: after the summary and the line per segment,
    /// every segment's header, records per type and bytes (as for one).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    #[command(flatten)]
    pub progress: ProgressArgs,
}

pub fn run(args: &InfoArgs) -> CliResult<Outcome> {
    if let Some(done) = args.source.run_on_urls(&remote::logs::list_objects) {
        return done;
    }
    let files = paths::all_files(&args.source.resolve()?);
    let mut progress = Progress::bytes(paths::total_len(&files), "info");
    let mut out = output::stdout();
    let mut totals = Totals::default();
    let mut segments = Vec::with_capacity(files.len());
    for f in &files {
        let newest = paths::is_newest_of_its_log(&files, f);
        let s = segment::read_segment(f, newest, &mut progress)?;
        progress.file_done(s.file_len);
        // Segment `s` continues the one before it in its log; a break is
        // said on standard error and counted in `totals`.
        let (f, continuity) = (&s.path, &mut totals.continuity);
        if let Some(h) = &s.header {
            let sealed_count = (s.state == "sealed").then_some(s.counts.records);
            let shape = FileShape::new(h, sealed_count, s.file_len, s.header_len);
            if let Some(b) = continuity.check(f, &shape, 0..=u64::MAX) {
                let what = if b.is_damage() { "gap" } else { "note" };
                progress.suspend(|| eprintln!("binlog: {what}: {}", b.message));
                totals.gaps.push((b, f.to_path_buf()));
            }
        }
        // Records in a segment are numbered without gaps: it ends at its
        // first sequence number plus its records, unless damage hid some.
        let undamaged = s.header.as_ref().filter(|_| !s.damaged);
        let end = undamaged.map(|h| h.first_seq + s.counts.records);
        continuity.ended(f, end);
        totals.add(&s);
        segments.push(s);
    }
    progress.finish();
    totals.segments = files.len() as u64;
    if args.json {
        // Each segment, and the totals.
        let (t, segments) = (&totals, segments.iter().map(segment_json));
        let doc = json!({
            "segments": segments.collect::<Vec<_>>(),
            "total": {
                "segments": t.segments, "sealed": t.sealed, "damaged": t.damaged, "bytes": t.bytes,
                "compressed": t.compressed, "original_bytes": t.original_bytes,
                "states": t.states.iter().map(|(s, n)| (s.to_string(), json!(n))).collect::<serde_json::Map<String, Value>>(),
                "gaps": t.gaps.iter().map(|(b, f)| gap_json(b, f)).collect::<Vec<Value>>(),
                "counts": counts_json(&t.counts),
            }
        });
        output::print_json_document(&mut out, &doc)?;
    } else if segments.len() == 1 {
        print_segment(&mut out, &segments[0])?;
    } else {
        // Summary first: a log of hundreds of segments is read from the
        // top; one line per segment after it.
        // The summary of the segments.
        let (t, out) = (&totals, &mut out);
        let damaged = (t.damaged > 0).then(|| format!(", {} damaged", t.damaged));
        let (total, damaged) = (counted(t.segments, "segment"), damaged.unwrap_or_default());
        writeln!(out, "total: {total}, {} sealed{damaged}", t.sealed)?;
        let states: Vec<String> = t.states.iter().map(|(s, n)| format!("{n} {s}")).collect();
        writeln!(out, "  {:<12}{}", "states", states.join(", "))?;
        print_counts(out, &t.counts)?;
        for (b, f) in &t.gaps {
            if b.kind == FindingKind::FailedRollLeftover {
                let what = "an empty file a failed roll left (not read)";
                writeln!(out, "  {:<12}{}: {what}", "leftover", paths::show(f))?;
                continue;
            }
            let (from, to) = inclusive(b);
            let (label, what) = match b.kind {
                FindingKind::MissingRecords if from == to => ("missing", format!("record {from}")),
                FindingKind::MissingRecords => ("missing", format!("records {from}..{to}")),
                FindingKind::AcceptedGap => (
                    "accepted",
                    format!("gap seq {from}..{to} (repair --accept-gap)"),
                ),
                _ => ("overlap", "sequence numbers".to_string()),
            };
            writeln!(out, "  {label:<12}{what}, before {}", paths::show(f))?;
        }
        let bytes = t.bytes;
        writeln!(out, "  {:<12}{} ({bytes})", "bytes", human_bytes(bytes))?;
        if t.compressed > 0 {
            let (original, n) = (t.original_bytes, t.compressed);
            let (human, ratio) = (human_bytes(original), original as f64 / bytes.max(1) as f64);
            let what = format!("{n} compressed; {human} ({original}) uncompressed, {ratio:.2}x");
            writeln!(out, "  {:<12}{what}", "compressed")?;
        }
        let breaks = t.gaps.iter().filter(|(b, _)| b.is_damage()).count();
        let damage = match (t.damaged, breaks) {
            (0, 0) => "none seen (a sealed segment is summarized from its seal: `binlog verify` \
                       reads every record)"
                .to_string(),
            (d, g) => {
                let (d, g) = (counted(d, "damaged segment"), counted(g as u64, "break"));
                format!("{d}, {g} between segments (`binlog verify` tells more)")
            }
        };
        writeln!(out, "  {:<12}{damage}", "damage")?;
        writeln!(out)?;
        // One line per segment: state, records, sequence range, bytes, file,
        // and what is worth knowing about a segment that is not sealed.
        let (state, records, seq, bytes) = ("state", "records", "seq", "bytes");
        let heading = format!("{state:<13} {records:>10}  {seq:<23} {bytes:>11}  file");
        writeln!(out, "{heading}")?;
        for s in &segments {
            let seq = s.counts.first_seq.zip(s.counts.last_seq);
            let seq = seq.map_or("-".to_string(), |(f, l)| format!("{f}..{l}"));
            let detail = match (&s.detail, s.state, s.original_len) {
                (Some(d), st, _) if st != "sealed" => format!("  ({d})"),
                (_, _, Some(o)) => {
                    let (human, ratio) = (human_bytes(o), s.ratio().unwrap_or(1.0));
                    format!("  (compressed from {human}, {ratio:.2}x)")
                }
                _ => String::new(),
            };
            let (state, records, bytes) = (s.state, s.counts.records, human_bytes(s.file_len));
            let file = paths::show(&s.path);
            let line = format!("{state:<13} {records:>10}  {seq:<23} {bytes:>11}  {file}{detail}");
            writeln!(out, "{line}")?;
        }
        if args.verbose {
            writeln!(out)?;
            for s in &segments {
                print_segment(out, s)?;
            }
        }
    }
    out.flush()?;
    let missing = totals.gaps.iter().filter(|(b, _)| b.is_damage()).count();
    let lost = totals.damaged as usize + missing;
    Ok(Outcome::Damaged.when(binlog::records_missing([], lost)))
}

// What `binlog info` prints: each segment, and the totals, as text or as
// one JSON document.

/// The records a break between two segments lost, both ends included.
fn inclusive(b: &Finding) -> (u64, u64) {
    let from = b.from_seq.unwrap_or(0);
    (from, b.to_seq.map_or(from, |t| t.saturating_sub(1)))
}

/// A break between two segments of a log, for `--json`.
fn gap_json(b: &Finding, file: &Path) -> Value {
    let (from, to) = inclusive(b);
    let (before, message) = (paths::show(file), &b.message);
    match b.kind {
        FindingKind::MissingRecords | FindingKind::AcceptedGap => json!({
            "kind": if b.kind == FindingKind::AcceptedGap { "accepted" } else { "missing" },
            "from_seq": from, "to_seq": to, "before": before, "message": message,
        }),
        FindingKind::FailedRollLeftover => json!({
            "kind": "failed-roll-leftover", "file": before, "message": message,
        }),
        _ => json!({"kind": "overlap", "before": before, "message": message}),
    }
}

/// A segment's details: header, state, records per type, bytes.
fn print_segment(out: &mut impl Write, s: &SegmentInfo) -> CliResult<()> {
    writeln!(out, "{}", paths::show(&s.path))?;
    let row = |out: &mut dyn Write, k: &str, v: String| writeln!(out, "  {k:<12}{v}");
    if let Some(h) = &s.header {
        let format = format!("{}.{} (header {} bytes)", h.major, h.minor, s.header_len);
        row(out, "format", format)?;
        let log = format!("{:?}, segment {}", h.log_name, h.segment_no);
        row(out, "log", log)?;
        row(out, "created", rfc3339(h.created_ns))?;
        row(out, "first seq", h.first_seq.to_string())?;
        if !h.content_type.is_empty() {
            row(out, "content", h.content_type.clone())?;
        }
        row(out, "writer", h.writer.clone())?;
        if !h.params.is_empty() {
            let p: Vec<String> = h.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            row(out, "params", p.join(" "))?;
        }
        for (i, schema) in h.schemas.iter().enumerate() {
            let label = if i == 0 { "schemas" } else { "" };
            let text = crate::decode::schema_text(schema);
            row(out, label, format!("{}: {text}", schema.type_name))?;
        }
    }
    let detail = s.detail.as_ref().map(|d| format!(": {d}"));
    let state = format!("{}{}", s.state, detail.unwrap_or_default());
    row(out, "state", state)?;
    if s.header.is_some() {
        print_counts(out, &s.counts)?;
        // Offsets are the segment's, compressed or not.
        let end = s.original_len.unwrap_or(s.file_len);
        let seal = end.saturating_sub(s.records_end);
        let after = match s.state {
            "sealed" => format!(", seal {seal}"),
            _ if seal > 0 => format!(", after the records {seal}"),
            _ => String::new(),
        };
        let from = match (s.original_len, s.ratio()) {
            (Some(o), Some(r)) => {
                let human = human_bytes(o);
                format!(" compressed from {human} ({o}), {r:.2}x; uncompressed")
            }
            _ => String::new(),
        };
        let (len, human) = (s.file_len, human_bytes(s.file_len));
        let (header, records) = (s.header_len, s.records_end.saturating_sub(s.header_len));
        let bytes = format!("{human} ({len}){from}: header {header}, records {records}{after}");
        row(out, "bytes", bytes)?;
    }
    Ok(writeln!(out)?)
}

fn print_counts(out: &mut impl Write, c: &Counts) -> CliResult<()> {
    match (c.first_seq, c.last_seq) {
        (Some(f), Some(l)) => writeln!(out, "  {:<12}{}, seq {f}..{l}", "records", c.records)?,
        _ => writeln!(out, "  {:<12}0", "records")?,
    }
    if let (Some(f), Some(l), Some(lo), Some(hi)) = (c.first_ts, c.last_ts, c.min_ts, c.max_ts) {
        writeln!(out, "  {:<12}{} .. {}", "time", rfc3339(f), rfc3339(l))?;
        if lo != f || hi != l {
            let (lo, hi) = (rfc3339(lo), rfc3339(hi));
            writeln!(out, "  {:<12}{lo} .. {hi} (earliest .. latest)", "")?;
        }
    }
    let width = c.types.iter().map(|t| t.0.chars().count()).max();
    let width = width.unwrap_or(0);
    for (i, (name, n, b)) in c.types.iter().enumerate() {
        let label = if i == 0 { "types" } else { "" };
        let (s, bytes) = (plural(*n), human_bytes(*b));
        let line = format!("{label:<12}{name:<width$}  {n:>12} record{s:<1}  {bytes:>12}");
        writeln!(out, "  {line}")?;
    }
    Ok(())
}

fn counts_json(c: &Counts) -> Value {
    json!({
        "records": c.records, "first_seq": c.first_seq, "last_seq": c.last_seq,
        "first_time": c.first_ts.map(rfc3339), "last_time": c.last_ts.map(rfc3339),
        "min_time": c.min_ts.map(rfc3339), "max_time": c.max_ts.map(rfc3339),
        "first_ts_ns": c.first_ts, "last_ts_ns": c.last_ts,
        "types": c.types.iter().map(|(n, r, b)| json!({"type": n, "records": r, "bytes": b})).collect::<Vec<_>>(),
    })
}

fn segment_json(s: &SegmentInfo) -> Value {
    let header = s.header.as_ref().map(|h| {
        json!({
            "version": format!("{}.{}", h.major, h.minor), "header_len": s.header_len,
            "created": rfc3339(h.created_ns), "created_ns": h.created_ns,
            "segment_no": h.segment_no, "first_seq": h.first_seq, "log_name": h.log_name,
            "content_type": h.content_type, "writer": h.writer,
            "params": h.params.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
            "schemas": h.schemas.iter().map(crate::decode::schema_json).collect::<Vec<_>>(),
        })
    });
    json!({
        "path": paths::show(&s.path), "bytes": s.file_len, "compressed": s.original_len.is_some(),
        "original_bytes": s.original_len, "records_end": s.records_end, "state": s.state,
        "sealed": s.state == "sealed", "detail": s.detail, "locked": s.locked, "damaged": s.damaged,
        "header": header, "counts": counts_json(&s.counts),
    })
}
