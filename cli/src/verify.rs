//! `binlog verify`: checks every CRC, seal and sequence number of every
//! segment and, for a log directory, the continuity between segments;
//! prints what is wrong and where (file and offset). Exit status 0 when
//! clean, 1 when damaged, 2 when a file could not be read.

use crate::check::{self, to_json, Verdict};
use crate::error::{counted, plural, CliError, CliResult, Outcome};
use crate::output::{self, human_bytes};
use crate::paths::{self, SourceArgs};
use crate::progress::{Progress, ProgressArgs};
use crate::remote::{self, TrustArgs};
use binlog::verify::FindingKind;
use clap::Args;
use serde_json::json;
use std::io::Write;

#[derive(Args, Debug)]
#[command(after_help = include_str!("help/verify.txt"))]
pub struct VerifyArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Print the report as one JSON document.
    #[arg(long)]
    pub json: bool,
    /// Print only damaged segments and the summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(flatten)]
    pub progress: ProgressArgs,
}

pub fn run(args: &VerifyArgs) -> CliResult<Outcome> {
    let verify_remote = |log: &_| remote::verify_log(log, &args.trust);
    if let Some(done) = args.source.run_on_urls(&verify_remote) {
        return done;
    }
    let sources = args.source.resolve()?;
    let total = paths::total_len(&paths::all_files(&sources));
    let mut progress = Progress::bytes(total, "verify");
    let mut out = output::stdout();
    let mut sum = Summary::default();
    let mut json_segments = Vec::new();
    for source in &sources {
        let position_unknown =
            check::check_source(source, &args.trust, &mut progress, |rep, progress| {
                let c = Verdict::of(&rep);
                sum.add(&c);
                if args.json {
                    json_segments.push(to_json(&c));
                } else if !(args.quiet && !c.damaged && c.error.is_none()) {
                    progress.suspend(|| print_text(&mut out, &c))?;
                }
                Ok(())
            })?;
        sum.manifests += u64::from(position_unknown);
    }
    progress.finish();
    if args.json {
        let doc = json!({
            "clean": sum.is_clean(),
            "segments_checked": sum.segments, "damaged": sum.damaged, "unreadable": sum.unreadable,
            "records": sum.records, "segments": json_segments,
        });
        output::print_json_document(&mut out, &doc)?;
    } else {
        writeln!(out, "{}", sum.line())?;
    }
    out.flush()?;
    if sum.unreadable > 0 {
        let files = counted(sum.segments, "file");
        let what = format!("{} of {files} could not be checked", sum.unreadable);
        return Err(CliError::io(what));
    }
    Ok(Outcome::Damaged.when(sum.damaged + sum.manifests > 0))
}

#[derive(Default)]
struct Summary {
    segments: u64,
    damaged: u64,
    unreadable: u64,
    records: u64,
    corrupt: u64,
    truncated: u64,
    torn: u64,
    seals: u64,
    log: u64,
    /// Manifests damaged while the only record of their log's position.
    manifests: u64,
}

impl Summary {
    fn add(&mut self, c: &Verdict) {
        self.segments += 1;
        self.unreadable += u64::from(c.error.is_some());
        self.damaged += u64::from(c.damaged);
        if let Some(a) = &c.analysis {
            self.records += a.records;
            // Counted by the reader's kinds (`check::Issue::kind`: the
            // rest are the seal's).
            for i in &a.issues {
                match i.kind {
                    _ if i.is_mid_file() => self.corrupt += 1,
                    FindingKind::Truncated => self.truncated += 1,
                    FindingKind::TornTail => self.torn += 1,
                    _ => self.seals += 1,
                }
            }
        }
        self.log += c.log_issues.len() as u64;
    }

    fn is_clean(&self) -> bool {
        self.damaged == 0 && self.manifests == 0 && self.unreadable == 0
    }

    fn line(&self) -> String {
        let segments = counted(self.segments, "segment");
        let intact = counted(self.records, "intact record");
        if self.is_clean() {
            let records = counted(self.records, "record");
            return format!("verify: clean: {segments}, {records}");
        }
        if self.damaged == 0 && self.manifests == 0 {
            let (n, files) = (self.unreadable, counted(self.segments, "file"));
            return format!("verify: NOT CHECKED: {n} of {files} could not be checked; {intact}");
        }
        // What is wrong, each kind counted (`{s}`: the plural ending).
        let manifests = "damaged manifest{s} holding the only record of the log's position";
        let kinds = [
            (self.corrupt, "corrupt region{s} in the middle"),
            (self.truncated, "file{s} ending inside the header"),
            (self.torn, "torn tail{s}"),
            (self.seals, "damaged seal{s}"),
            (self.log, "problem{s} between segments"),
            (self.unreadable, "unreadable"),
            (self.manifests, manifests),
        ];
        let kind = |&(n, what): &(u64, &str)| format!("{n} {}", what.replace("{s}", plural(n)));
        let parts: Vec<String> = kinds.iter().filter(|(n, _)| *n > 0).map(kind).collect();
        let (n, parts) = (self.damaged.max(self.unreadable), parts.join(", "));
        format!("verify: DAMAGED: {n} of {segments} ({parts}); {intact}")
    }
}

fn print_text(out: &mut impl Write, c: &Verdict) -> CliResult<()> {
    let p = paths::show(&c.path);
    if let Some(e) = &c.error {
        writeln!(out, "ERROR    {p}: {e}")?;
        return Ok(out.flush()?);
    }
    let a = c.analysis.as_ref().expect("checked");
    let verdict = if c.damaged { "DAMAGED" } else { "ok" };
    let (state, records, bytes) = (a.state_name(), a.records_phrase(), human_bytes(a.file_len));
    writeln!(out, "{verdict:<8} {p}: {state}, {records}, {bytes}")?;
    for i in &a.issues {
        writeln!(out, "{}", check::issue_line(&p, i))?;
    }
    if a.more_issues > 0 {
        writeln!(out, "  {p}: {} more problems not listed", a.more_issues)?;
    }
    // Each in the file it is about (a signed head's, for the head's findings).
    for l in &c.log_issues {
        writeln!(out, "  {}: {}", paths::show(&l.finding.location), l.message)?;
    }
    for n in &c.notes {
        writeln!(out, "  note: {n}")?;
    }
    Ok(out.flush()?)
}
