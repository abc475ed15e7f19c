//! What a repair says as it goes, and what it counts. With `--json` the
//! lines are gathered, each under the segment it is about, into one JSON
//! document printed at the end (`json_document`) instead. Each segment's
//! part (`print_event`): what it needs and why, the steps done (or, with
//! `--dry-run`, that would be), and how it ended.

use crate::check::{issue_line, to_json, Verdict};
use crate::error::CliError;
use crate::paths;
use crate::progress::Progress;
use binlog::repair::{Action, Event, Outcome, SegmentPlan, Summary};
use binlog::Error;
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::io::Write;

/// Where a repair's report goes: lines above the progress bar, or the
/// segments of a JSON document. Every part of repair that says something
/// (the log effects of a salvage too) reports through `print_line` alike.
pub(super) struct Report {
    pub(super) progress: Progress,
    /// The segments reported so far, when the report is JSON (None: text).
    /// In a cell, so that the steps of a repair can print lines through a
    /// shared borrow while its segment's fields are set.
    json: Option<RefCell<Vec<Map<String, Value>>>>,
}

impl Report {
    /// A text report, or (`json`) one gathered for a JSON document.
    pub(super) fn new(progress: Progress, json: bool) -> Report {
        Report {
            progress,
            json: json.then(RefCell::default),
        }
    }

    /// Starts the report of a segment: its check, as `verify --json` gives
    /// it (built only for a JSON report; text reports need nothing here).
    pub(super) fn begin_segment(&self, check: impl FnOnce() -> Value) {
        if let Some(v) = &self.json {
            let Value::Object(m) = check() else {
                unreachable!("a check is an object")
            };
            v.borrow_mut().push(m);
        }
    }

    /// Sets a field of the current segment's JSON report (`action`: what
    /// the plan is; `result`: how it ended).
    pub(super) fn set_segment_field(&self, key: &str, value: Value) {
        if let Some(v) = &self.json {
            if let Some(seg) = v.borrow_mut().last_mut() {
                seg.insert(key.to_string(), value);
            }
        }
    }

    /// Prints a report line on standard output (above the progress bar). A
    /// closed output does not stop a repair half-way: the line is dropped.
    /// In a JSON report the line goes to the current segment's `steps`.
    pub(super) fn print_line(&self, line: &str) {
        if let Some(v) = &self.json {
            if let Some(seg) = v.borrow_mut().last_mut() {
                let steps = seg.entry("steps").or_insert_with(|| json!([]));
                if let Value::Array(a) = steps {
                    a.push(json!(line.trim_start()));
                }
                return;
            }
        }
        self.progress.suspend(|| {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}").and_then(|()| out.flush());
        });
    }

    /// The JSON report: the totals and every segment's report (none in a
    /// text report).
    pub(super) fn json_document(self, counts: &Summary, dry_run: bool) -> Value {
        let segments = self.json.map(RefCell::into_inner).unwrap_or_default();
        json!({
            "dry_run": dry_run, "clean": counts.is_clean(), "segments_checked": counts.segments,
            "changed": counts.changed, "left_damaged": counts.left_damaged, "errors": counts.errors,
            "segments": segments,
        })
    }
}

/// Prints one event of a repair (`dry_run`: of a dry run).
pub(super) fn print_event(e: Event<'_>, dry_run: bool, report: &Report) {
    match e {
        Event::Segment(s) => begin(s, report),
        Event::Step(st) => report.print_line(&format!("  {}", st.message)),
        Event::Ended(s, outcome, err) => ended(s, outcome, err, dry_run, report),
    }
}

/// Says what a segment needs and why, and its damage.
fn begin(s: &SegmentPlan, report: &Report) {
    let c = &s.verdict;
    report.begin_segment(|| to_json(c));
    let p = paths::show(&c.path);
    let why = &s.why;
    let action = match s.action {
        Action::Unreadable => "none",
        a => a.name(),
    };
    report.set_segment_field("action", json!(action));
    if !matches!(s.action, Action::Unreadable | Action::Salvage) {
        report.set_segment_field("why", json!(why));
    }
    match s.action {
        Action::None => report.print_line(&format!("ok       {p}: {why}")),
        Action::Unreadable => report.print_line(&format!("ERROR    {p}: {why}")),
        Action::Refuse => {
            report.print_line(&format!("DAMAGED  {p}: {why}"));
            describe_damage(c, report);
        }
        Action::Reseal | Action::Salvage => {
            let a = c.analysis.as_ref().expect("planned from an analysis");
            let summary = format!("{}, {} valid", a.state_name(), a.records_phrase());
            report.print_line(&format!("REPAIR   {p}: {summary}"));
            describe_damage(c, report);
        }
    }
}

/// Says how a segment's repair ended.
fn ended(s: &SegmentPlan, outcome: Outcome, err: Option<&Error>, dry_run: bool, report: &Report) {
    let result = match (outcome, dry_run) {
        (Outcome::Unchanged, _) => return,
        (Outcome::Repaired, true) => "would-repair",
        (Outcome::Repaired, false) => "repaired",
        (Outcome::LeftDamaged, _) => "left-damaged",
        (Outcome::Error, _) => "error",
    };
    report.set_segment_field("result", json!(result));
    if let Some(e) = err {
        let p = paths::show(&s.verdict.path);
        let e = CliError::from(e.clone());
        let line = format!("  error: {e}; {p} is unchanged unless a step above says otherwise");
        report.print_line(&line);
    }
}

fn describe_damage(c: &Verdict, report: &Report) {
    let p = paths::show(&c.path);
    for i in c.analysis.iter().flat_map(|a| &a.issues) {
        report.print_line(&issue_line(&p, i));
    }
}
