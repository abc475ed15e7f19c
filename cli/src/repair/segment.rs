//! One segment's part of a repair's report: what it needs and why, the
//! steps done (or, with `--dry-run`, that would be), and how it ended.

use super::report::Report;
use crate::check::{issue_line, to_json, Verdict};
use crate::error::CliError;
use crate::paths;
use binlog::repair::{Action, Event, Outcome, SegmentPlan};
use binlog::Error;
use serde_json::json;

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
