//! `binlog info`: what each segment is (header fields, sealed or not) and
//! holds (records per type, sequence and time ranges, bytes), and totals.
//! Several segments: the summary first, then one line per segment (and
//! with `--verbose` each segment's details).
//! A sealed segment is summarized from its seal without reading records; an
//! unsealed one is scanned.
//!
//! `segment` reads what a segment holds, `report` prints it.

mod report;
mod segment;

use crate::error::{CliResult, Outcome};
use crate::output;
use crate::paths::{self, SourceArgs};
use crate::progress::{Progress, ProgressArgs};
use crate::remote;
use binlog::naming::FileShape;
use binlog::verify::Continuity;
use clap::Args;
use segment::{SegmentInfo, Totals};
use std::io::Write;
use std::path::Path;

#[derive(Args, Debug)]
#[command(after_help = "\
Several segments: a summary (segments per state, records, sequence and time
ranges, types, bytes, damage), then one line per segment; --verbose adds
each segment's details.

Examples:
  binlog info orders.binlog
  binlog info /var/log/orders
  binlog info -v /var/log/orders
  binlog info /var/log/orders --json | jq .total.records")]
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
    if let Some(done) = remote::run_on_urls(
        &args.source.paths,
        args.source.log.as_deref(),
        &remote::logs::list_objects,
    ) {
        return done;
    }
    let files = paths::all_files(&args.source.resolve()?);
    let mut progress = Progress::bytes(paths::total_len(&files), "info");
    let mut out = output::stdout();
    let mut totals = Totals::default();
    let mut continuity = Continuity::default();
    let mut segments = Vec::with_capacity(files.len());
    for f in &files {
        let newest = paths::is_newest_of_its_log(&files, f);
        let s = segment::read_segment(f, newest, &mut progress)?;
        progress.file_done(s.file_len);
        check_continuity(&mut continuity, f, &s, &mut totals, &progress);
        totals.add(&s);
        segments.push(s);
    }
    progress.finish();
    totals.segments = files.len() as u64;
    if args.json {
        let json_segments = segments.iter().map(report::segment_json).collect();
        report::print_json(&mut out, json_segments, &totals)?;
    } else if segments.len() == 1 {
        report::print_segment(&mut out, &segments[0])?;
    } else {
        // Summary first: a log of hundreds of segments is read from the
        // top; one line per segment after it.
        report::print_totals(&mut out, &totals)?;
        writeln!(out)?;
        report::print_segment_lines(&mut out, &segments)?;
        if args.verbose {
            writeln!(out)?;
            for s in &segments {
                report::print_segment(&mut out, s)?;
            }
        }
    }
    out.flush()?;
    let missing = totals.gaps.iter().filter(|(b, _)| b.is_damage()).count();
    let lost = totals.damaged as usize + missing;
    Ok(Outcome::damaged_if(binlog::records_missing([], lost)))
}

/// Checks that segment `s` (file `f`) continues the one before it in its
/// log; a break is said on standard error and counted.
fn check_continuity(
    continuity: &mut Continuity,
    f: &Path,
    s: &SegmentInfo,
    totals: &mut Totals,
    progress: &Progress,
) {
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
}
