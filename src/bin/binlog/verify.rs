//! `binlog verify`: checks every CRC, seal and sequence number of every
//! segment and, for a log directory, the continuity between segments;
//! prints what is wrong and where (file and offset). Exit status 0 when
//! clean, 1 when damaged, 2 when a file could not be read.

use crate::error::{CliError, CliResult, Outcome};
use crate::lock;
use crate::output::{self, human_bytes};
use crate::paths::{self, Source};
use crate::progress::Progress;
use crate::walk::{self, Analysis, End, IssueKind, WalkError};
use clap::Args;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
#[command(after_help = "\
A torn tail (the last record cut off when its writer died, nothing valid
after it) is told apart from corruption in the middle (bad bytes with valid
records after them, which a cut would lose). An unsealed last segment is
fine: it is being written, or its writer stopped between records.

Examples:
  binlog verify /var/log/orders
  binlog verify orders-*.binlog --json | jq '.segments[] | select(.status != \"ok\")'
  binlog verify big.binlog || binlog repair --dry-run big.binlog")]
pub struct VerifyArgs {
    /// Segment files, or log directories.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// In a directory holding several logs, check only this one.
    #[arg(long, value_name = "NAME")]
    pub log: Option<String>,
    /// Print the report as one JSON document.
    #[arg(long)]
    pub json: bool,
    /// Print only damaged segments and the summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Where a segment stands in its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Standalone,
    /// In a log, with newer segments after it: it must be sealed.
    LogOlder,
    /// The newest segment of a log: it may be open for writing.
    LogNewest,
}

/// The verdict on one segment.
pub struct Checked {
    pub path: PathBuf,
    pub analysis: Option<Analysis>,
    /// Set when the file could not be read at all.
    pub error: Option<String>,
    pub locked: bool,
    pub damaged: bool,
    pub notes: Vec<String>,
    /// Problems between this segment and the one before it in the log.
    pub log_issues: Vec<LogIssue>,
}

/// A problem of a segment as a part of its log (not of its own bytes).
pub struct LogIssue {
    pub kind: LogIssueKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogIssueKind {
    /// Not sealed, although newer segments follow it: its writer died.
    NotSealed,
    /// Its header names another log: a segment copied or renamed in.
    WrongLog,
    /// Its first sequence number does not continue the segment before it.
    Sequence,
    /// Its segment number does not follow the one before it.
    SegmentNumber,
}

impl LogIssue {
    fn new(kind: LogIssueKind, message: String) -> LogIssue {
        LogIssue { kind, message }
    }
}

impl Checked {
    /// Sequence number the next segment of the log should start with.
    fn next_seq(&self) -> Option<u64> {
        let a = self.analysis.as_ref()?;
        match a.last_seq {
            Some(s) => Some(s + 1),
            None => a.header.as_ref().map(|h| h.first_seq),
        }
    }
}

/// Checks one segment on its own.
/// `log_held`: the segment's log is open in a writer (its `<name>.lock`
/// is held): an unsealed segment of it is that writer's, also in the
/// instant of a roll when no segment lock is held.
pub fn check_file(path: &Path, role: Role, log_held: bool, progress: &mut Progress) -> Checked {
    let mut c = Checked {
        path: path.to_path_buf(),
        analysis: None,
        error: None,
        locked: false,
        damaged: false,
        notes: Vec::new(),
        log_issues: Vec::new(),
    };
    let mut a = match walk::analyze(path, progress) {
        Ok(a) => a,
        Err(WalkError::Io(m)) | Err(WalkError::NotSegment(m)) => {
            c.error = Some(m);
            return c;
        }
    };
    if !a.is_sealed() {
        c.locked = log_held || lock::is_locked(path);
    }
    if c.locked {
        // A writer has it open: a tail that is not a whole record yet is a
        // record being written, not damage.
        if let End::Torn { offset, len } = a.end {
            a.issues.retain(|i| i.kind != IssueKind::Torn);
            c.notes.push(format!(
                "offset {offset}: {len} bytes of a record being written (a writer has the segment open)"
            ));
        }
    }
    match (a.end, role) {
        // A log writer seals a segment it retired after the roll (in the
        // background): until then it holds the segment, unsealed.
        (End::Unsealed, Role::LogOlder) if c.locked => c.notes.push(
            "unsealed: a writer has it open (newer segments follow it: it is being sealed)".into(),
        ),
        (End::Unsealed, Role::LogOlder) => {
            c.log_issues.push(LogIssue::new(
                LogIssueKind::NotSealed,
                format!(
                    "offset {}: not sealed, although newer segments follow it (its writer died); \
                     `binlog repair` seals it",
                    a.file_len
                ),
            ));
        }
        (End::Unsealed, _) if c.locked => c.notes.push("unsealed: a writer has it open".into()),
        (End::Unsealed, _) => c.notes.push(
            "unsealed: its writer stopped without closing it (every record is intact; \
             `binlog repair` seals it, a writer reopening it continues it)"
                .into(),
        ),
        _ => {}
    }
    let log = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(paths::log_of_file_name);
    if let (Some((log, _)), Some(h)) = (log, &a.header) {
        if h.log_name != log {
            // Copied or renamed in: the library's log reader stops here.
            c.log_issues.push(LogIssue::new(
                LogIssueKind::WrongLog,
                format!(
                    "offset 44: a segment of log {:?}, not of log {log:?}",
                    h.log_name
                ),
            ));
        }
    }
    c.damaged = !a.is_clean() || !c.log_issues.is_empty();
    c.analysis = Some(a);
    c
}

/// Checks a source's segments in order, with the log's continuity; calls
/// `each` as each segment is done.
pub fn check_source(
    source: &Source,
    progress: &mut Progress,
    mut each: impl FnMut(Checked, &mut Progress) -> CliResult<()>,
) -> CliResult<()> {
    let n = source.files.len();
    let log_held = source
        .log
        .as_ref()
        .is_some_and(|l| lock::is_locked(&binlog::log::naming::lock_path(&l.dir, &l.name)));
    let mut prev: Option<(Option<u64>, Option<u64>, PathBuf)> = None;
    for (i, f) in source.files.iter().enumerate() {
        let role = match (&source.log, i + 1 == n) {
            (None, _) => Role::Standalone,
            (Some(_), true) => Role::LogNewest,
            (Some(_), false) => Role::LogOlder,
        };
        let len = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        let mut c = check_file(f, role, log_held, progress);
        progress.file_done(len);
        if source.log.is_some() {
            if let (Some((Some(expected), prev_no, prev_path)), Some(a)) = (&prev, &c.analysis) {
                if let Some(h) = &a.header {
                    if h.first_seq != *expected {
                        let what = if h.first_seq > *expected {
                            format!("records {expected}..{} are missing", h.first_seq - 1)
                        } else {
                            "sequence numbers overlap".to_string()
                        };
                        c.log_issues.push(LogIssue::new(
                            LogIssueKind::Sequence,
                            format!(
                                "offset 32: the header's first_seq is {}, but the previous segment \
                                 {} ends before {expected}: {what}",
                                h.first_seq,
                                paths::show(prev_path)
                            ),
                        ));
                        c.damaged = true;
                    }
                    if prev_no.is_some_and(|p| h.segment_no <= p) {
                        c.log_issues.push(LogIssue::new(
                            LogIssueKind::SegmentNumber,
                            format!(
                                "offset 24: segment number {} does not follow {}",
                                h.segment_no,
                                prev_no.unwrap_or(0)
                            ),
                        ));
                        c.damaged = true;
                    }
                }
            }
            let no = c
                .analysis
                .as_ref()
                .and_then(|a| a.header.as_ref())
                .map(|h| h.segment_no);
            prev = Some((c.next_seq(), no, f.clone()));
        }
        each(c, progress)?;
    }
    if let Some(log) = &source.log {
        let m = binlog::log::naming::manifest_path(&log.dir, &log.name);
        if let Err(e) = binlog::log::manifest::Manifest::load(&m) {
            if e.kind() != binlog::ErrorKind::NotFound {
                progress.println(&format!(
                    "note: {} (the manifest is rewritten when the log is next opened for writing)",
                    e.message()
                ));
            }
        }
    }
    Ok(())
}

pub fn run(args: &VerifyArgs) -> CliResult<Outcome> {
    let sources = paths::resolve(&args.paths, args.log.as_deref())?;
    let total: u64 = paths::all_files(&sources)
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum();
    let mut progress = Progress::bytes(total, "verify");
    let mut out = output::stdout();
    let mut sum = Summary::default();
    let mut json_segments = Vec::new();
    for source in &sources {
        check_source(source, &mut progress, |c, progress| {
            sum.add(&c);
            if args.json {
                json_segments.push(to_json(&c));
            } else if !(args.quiet && !c.damaged && c.error.is_none()) {
                progress.suspend(|| -> CliResult<()> {
                    print_text(&mut out, &c)?;
                    out.flush()?;
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    }
    progress.finish();
    if args.json {
        let doc = json!({
            "clean": sum.damaged == 0 && sum.unreadable == 0,
            "segments_checked": sum.segments,
            "damaged": sum.damaged,
            "unreadable": sum.unreadable,
            "records": sum.records,
            "segments": json_segments,
        });
        serde_json::to_writer_pretty(&mut out, &doc)
            .map_err(|e| CliError::from(std::io::Error::from(e)))?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", sum.line())?;
    }
    out.flush()?;
    if sum.unreadable > 0 {
        return Err(CliError::io(format!(
            "{} of {} files could not be checked",
            sum.unreadable, sum.segments
        )));
    }
    Ok(Outcome::damaged_if(sum.damaged > 0))
}

#[derive(Default)]
struct Summary {
    segments: u64,
    damaged: u64,
    unreadable: u64,
    records: u64,
    corrupt: u64,
    torn: u64,
    seals: u64,
    log: u64,
}

impl Summary {
    fn add(&mut self, c: &Checked) {
        self.segments += 1;
        if c.error.is_some() {
            self.unreadable += 1;
        }
        if c.damaged {
            self.damaged += 1;
        }
        if let Some(a) = &c.analysis {
            self.records += a.records;
            for i in &a.issues {
                match i.kind {
                    IssueKind::Torn => self.torn += 1,
                    IssueKind::Seal | IssueKind::Index => self.seals += 1,
                    _ => self.corrupt += 1,
                }
            }
        }
        self.log += c.log_issues.len() as u64;
    }

    fn line(&self) -> String {
        if self.damaged == 0 && self.unreadable == 0 {
            return format!(
                "verify: clean: {} segment{}, {} records",
                self.segments,
                plural(self.segments),
                self.records
            );
        }
        let mut parts = Vec::new();
        if self.corrupt > 0 {
            parts.push(format!(
                "{} corrupt region{} in the middle",
                self.corrupt,
                plural(self.corrupt)
            ));
        }
        if self.torn > 0 {
            parts.push(format!("{} torn tail{}", self.torn, plural(self.torn)));
        }
        if self.seals > 0 {
            parts.push(format!("{} damaged seal{}", self.seals, plural(self.seals)));
        }
        if self.log > 0 {
            parts.push(format!(
                "{} problem{} between segments",
                self.log,
                plural(self.log)
            ));
        }
        if self.unreadable > 0 {
            parts.push(format!("{} unreadable", self.unreadable));
        }
        format!(
            "verify: DAMAGED: {} of {} segment{} ({}); {} intact records",
            self.damaged.max(self.unreadable),
            self.segments,
            plural(self.segments),
            parts.join(", "),
            self.records
        )
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

pub fn state_name(a: &Analysis) -> &'static str {
    match a.end {
        End::Sealed => "sealed",
        End::Unsealed => "unsealed",
        End::SealDamaged { .. } => "seal-damaged",
        End::Torn { .. } => "torn-tail",
        End::Corrupt { .. } => "corrupt",
        End::Unreadable => "unreadable",
    }
}

/// `1000 records, seq 0..999`
pub fn records_phrase(a: &Analysis) -> String {
    match (a.first_seq, a.last_seq) {
        (Some(f), Some(l)) => format!("{} record{}, seq {f}..{l}", a.records, plural(a.records)),
        _ => "no records".to_string(),
    }
}

fn print_text(out: &mut impl Write, c: &Checked) -> CliResult<()> {
    let p = paths::show(&c.path);
    if let Some(e) = &c.error {
        writeln!(out, "ERROR    {p}: {e}")?;
        return Ok(());
    }
    let a = c.analysis.as_ref().expect("checked");
    let verdict = if c.damaged { "DAMAGED" } else { "ok" };
    writeln!(
        out,
        "{verdict:<8} {p}: {}, {}, {}",
        state_name(a),
        records_phrase(a),
        human_bytes(a.file_len)
    )?;
    for i in &a.issues {
        writeln!(
            out,
            "  {p}: offset {}: {}: {}",
            i.offset,
            i.kind.name(),
            i.message
        )?;
    }
    if a.more_issues > 0 {
        writeln!(out, "  {p}: {} more problems not listed", a.more_issues)?;
    }
    for l in &c.log_issues {
        writeln!(out, "  {p}: {}", l.message)?;
    }
    for n in &c.notes {
        writeln!(out, "  note: {n}")?;
    }
    Ok(())
}

pub fn to_json(c: &Checked) -> Value {
    let Some(a) = &c.analysis else {
        return json!({
            "path": paths::show(&c.path),
            "status": "unreadable",
            "error": c.error,
        });
    };
    let issues: Vec<Value> = a
        .issues
        .iter()
        .map(|i| {
            json!({
                "kind": i.kind.name(),
                "offset": i.offset,
                "len": i.len,
                "resume": i.resume,
                "message": i.message,
            })
        })
        .chain(
            c.log_issues
                .iter()
                .map(|l| json!({"kind": "log", "message": l.message})),
        )
        .collect();
    json!({
        "path": paths::show(&c.path),
        "status": if c.damaged { "damaged" } else { "ok" },
        "state": state_name(a),
        "locked": c.locked,
        "bytes": a.file_len,
        "records": a.records,
        "first_seq": a.first_seq,
        "last_seq": a.last_seq,
        "issues": issues,
        "more_issues": a.more_issues,
        "notes": c.notes,
    })
}
