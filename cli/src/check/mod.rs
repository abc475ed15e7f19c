//! The verdict on each segment, for `verify` and `repair`, from the
//! library's verification (`binlog::verify`, sorted into a
//! `binlog::repair::Verdict`): `check_source` checks a source's segments in
//! order (a signed log's against `remote::TrustArgs`), `to_json` gives a verdict as
//! JSON.

pub use binlog::repair::{Analysis, Issue, Verdict};

use crate::error::{CliError, CliResult};
use crate::paths::{self, Source};
use crate::progress::Progress;
use binlog::repair::LogIssue;
use binlog::verify::{FindingKind, SegmentReport, Verify};
use serde_json::{json, Value};

/// Checks a source's segments in order, with the log's continuity (a
/// log's as its `LogReader` reads them, then its manifest, as the library
/// reports it); calls `each` with each segment's report as it is done.
/// True if the log's position is unknown (its manifest damaged and the
/// only record of it: a writer's open refuses the log), which is printed.
pub fn check_source(
    source: &Source,
    trust: &crate::remote::TrustArgs,
    progress: &mut Progress,
    mut each: impl FnMut(SegmentReport, &mut Progress) -> CliResult<()>,
) -> CliResult<bool> {
    let reports = match &source.log {
        // A log with only its manifest left has no segment file: the
        // library reports its manifest (see
        // `SourceArgs::resolve`).
        Some(l) => Verify::log(&l.dir, &l.name)?,
        None => Verify::files(source.files.clone()),
    };
    let mut position_unknown = false;
    for rep in trust.apply(reports)? {
        if rep.manifest {
            // The library's finding about a log's manifest: damage where
            // it is the only record of the log's position, else a note; a
            // manifest that could not be looked at is an error.
            for f in &rep.findings {
                match f.kind {
                    FindingKind::ManifestDamaged => {
                        progress.suspend(|| eprintln!("damaged: {}", f.message));
                        position_unknown = true;
                    }
                    FindingKind::ManifestUnused => {
                        progress.suspend(|| eprintln!("note: {}", f.message))
                    }
                    _ => return Err(CliError::io(f.message.clone())),
                }
            }
            continue;
        }
        let len = std::fs::metadata(&rep.location).map_or(0, |m| m.len());
        progress.file_done(len);
        each(rep, progress)?;
    }
    Ok(position_unknown)
}

/// `  PATH: offset N: KIND: MESSAGE`: an issue of the segment at `p`, as
/// the text reports print it.
pub fn issue_line(p: &str, i: &Issue) -> String {
    let (at, kind, what) = (i.offset, i.kind.name(), &i.message);
    format!("  {p}: offset {at}: {kind}: {what}")
}

/// A segment's verdict as JSON, as `verify --json` and `repair --json`
/// print it (docs/CLI.md):
/// `{"path", "status", "state", "locked", "bytes", "records", "first_seq",
/// "last_seq", "issues", "more_issues", "notes"}`; an unreadable file:
/// `{"path", "status": "unreadable", "error"}`.
pub fn to_json(c: &Verdict) -> Value {
    let Some(a) = &c.analysis else {
        return json!({
            "path": paths::show(&c.path), "status": "unreadable", "error": c.error,
        });
    };
    let issue = |i: &Issue| {
        json!({"kind": i.kind.name(), "offset": i.offset, "len": i.len, "resume": i.resume,
               "message": i.message})
    };
    let log_issue = |l: &LogIssue| {
        let f = &l.finding;
        json!({"kind": f.kind.name(), "file": paths::show(&f.location), "offset": f.offset,
               "len": f.len, "message": l.message})
    };
    let log_issues = c.log_issues.iter().map(log_issue);
    let issues = a.issues.iter().map(issue).chain(log_issues);
    json!({
        "path": paths::show(&c.path), "status": if c.damaged { "damaged" } else { "ok" },
        "state": a.state_name(), "locked": c.locked, "bytes": a.file_len, "records": a.records,
        "first_seq": a.first_seq, "last_seq": a.last_seq, "issues": issues.collect::<Vec<_>>(),
        "more_issues": a.more_issues, "notes": c.notes,
    })
}
