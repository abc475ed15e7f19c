//! The verdict on each segment, for `verify` and `repair`, from the
//! library's verification (`binlog::verify`, sorted into a
//! `binlog::repair::Verdict`): `log` checks a source's segments in order
//! (a signed log's against `TrustArgs`), `to_json` gives a verdict as JSON.

mod log;

pub use binlog::repair::{Analysis, Issue, Verdict};
pub use log::{check_source, TrustArgs};

use crate::paths;
use binlog::repair::LogIssue;
use serde_json::{json, Value};

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
    let log_issue = |l: &LogIssue| json!({"kind": "log", "message": l.message});
    let log_issues = c.log_issues.iter().map(log_issue);
    let issues = a.issues.iter().map(issue).chain(log_issues);
    json!({
        "path": paths::show(&c.path), "status": if c.damaged { "damaged" } else { "ok" },
        "state": a.state_name(), "locked": c.locked, "bytes": a.file_len, "records": a.records,
        "first_seq": a.first_seq, "last_seq": a.last_seq, "issues": issues.collect::<Vec<_>>(),
        "more_issues": a.more_issues, "notes": c.notes,
    })
}
