//! A segment's verdict as JSON, as `verify --json` and `repair --json`
//! print it (docs/CLI.md).

use super::Verdict;
use crate::paths;
use serde_json::{json, Value};

/// `{"path", "status", "state", "locked", "bytes", "records", "first_seq",
/// "last_seq", "issues", "more_issues", "notes"}`; an unreadable file:
/// `{"path", "status": "unreadable", "error"}`.
pub fn to_json(c: &Verdict) -> Value {
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
        "state": a.state_name(),
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
