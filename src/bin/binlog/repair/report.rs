//! What a repair says as it goes, and what it counts. With `--json` the
//! lines are gathered, each under the segment it is about, into one JSON
//! document printed at the end (`json_document`) instead.

use crate::progress::Progress;
use serde_json::{json, Map, Value};
use std::io::Write;
use std::sync::Mutex;

/// What a repair did, over all segments.
#[derive(Default)]
pub(super) struct RepairCounts {
    pub(super) segments: u64,
    pub(super) changed: u64,
    pub(super) left: u64,
    pub(super) errors: u64,
}

/// The segments reported so far, when the report is JSON (None: text).
/// A static, so that every part of repair that says something (the log
/// effects of a salvage too) reports through `print_line` alike.
static JSON_SEGMENTS: Mutex<Option<Vec<Map<String, Value>>>> = Mutex::new(None);

fn json_segments() -> std::sync::MutexGuard<'static, Option<Vec<Map<String, Value>>>> {
    JSON_SEGMENTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// From now on, report lines are gathered for a JSON document.
pub(super) fn report_as_json() {
    *json_segments() = Some(Vec::new());
}

/// Starts the report of a segment: its check, as `verify --json` gives it.
/// Text reports need nothing here.
pub(super) fn begin_segment(check: Value) {
    if let Some(v) = json_segments().as_mut() {
        let Value::Object(m) = check else {
            unreachable!("a check is an object")
        };
        v.push(m);
    }
}

/// Sets a field of the current segment's JSON report (`action`: what the
/// plan is; `result`: how it ended).
pub(super) fn set_segment_field(key: &str, value: Value) {
    if let Some(seg) = json_segments().as_mut().and_then(|v| v.last_mut()) {
        seg.insert(key.to_string(), value);
    }
}

/// Prints a report line on standard output (above the progress bar). A
/// closed output does not stop a repair half-way: the line is dropped.
/// In a JSON report the line goes to the current segment's `steps`.
pub(super) fn print_line(progress: &Progress, line: &str) {
    if let Some(v) = json_segments().as_mut() {
        if let Some(seg) = v.last_mut() {
            let steps = seg.entry("steps").or_insert_with(|| json!([]));
            if let Value::Array(a) = steps {
                a.push(json!(line.trim_start()));
            }
            return;
        }
    }
    progress.suspend(|| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    });
}

/// The JSON report: the totals and every segment's report.
pub(super) fn json_document(counts: &RepairCounts, dry_run: bool) -> Value {
    let segments = json_segments().take().unwrap_or_default();
    json!({
        "dry_run": dry_run,
        "clean": counts.left == 0 && counts.errors == 0,
        "segments_checked": counts.segments,
        "changed": counts.changed,
        "left_damaged": counts.left,
        "errors": counts.errors,
        "segments": segments,
    })
}
