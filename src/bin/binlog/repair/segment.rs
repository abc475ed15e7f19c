//! One segment: says what it needs and why, then carries out its plan (or
//! says what it would do, with `--dry-run`), counting the outcome.

use super::args::RepairArgs;
use super::plan::Plan;
use super::report::{RepairCounts, Report};
use super::{dry_run, execute};
use crate::check::{issue_line, records_phrase, state_name, to_json, SegmentCheck};
use crate::paths;
use binlog::verify::RepairAction;
use serde_json::json;

/// How a segment's repair ended, as counted.
enum Ended {
    /// Nothing to do.
    Ok,
    /// Repaired (or, with `--dry-run`, would be).
    Changed,
    LeftDamaged,
    Error,
}

/// Repairs one checked segment as planned (`plan`, its plan) or says why
/// not, counting the outcome in `counts`.
pub(super) fn repair_segment(
    c: &SegmentCheck,
    plan: &Plan,
    args: &RepairArgs,
    report: &Report,
    counts: &mut RepairCounts,
) {
    report.begin_segment(|| to_json(c));
    let ended = match ended_unchanged(c, plan, args, report) {
        Some(ended) => ended,
        None => carry_out(c, plan, args, report),
    };
    match ended {
        Ended::Ok => {}
        Ended::Changed => counts.changed += 1,
        Ended::LeftDamaged => counts.left += 1,
        Ended::Error => counts.errors += 1,
    }
}

/// Reports a plan that changes nothing (how it ended), or notes the
/// action of one that changes the segment (None: to carry out).
fn ended_unchanged(
    c: &SegmentCheck,
    plan: &Plan,
    args: &RepairArgs,
    report: &Report,
) -> Option<Ended> {
    let p = paths::show(&c.path);
    let line = |l: String| report.print_line(&l);
    match plan {
        Plan::NothingToDo(why) => {
            report.set_segment_field("action", json!("none"));
            report.set_segment_field("why", json!(why));
            line(format!("ok       {p}: {why}"));
            if !args.dry_run {
                execute::remove_stale_copy(&c.path, &line);
            }
            Some(Ended::Ok)
        }
        Plan::Unreadable(why) => {
            report.set_segment_field("action", json!("none"));
            report.set_segment_field("result", json!("error"));
            line(format!("ERROR    {p}: {why}"));
            Some(Ended::Error)
        }
        Plan::LeaveDamaged(why) => {
            report.set_segment_field("action", json!("refused"));
            report.set_segment_field("why", json!(why));
            report.set_segment_field("result", json!("left-damaged"));
            line(format!("DAMAGED  {p}: {why}"));
            describe_damage(c, &line);
            Some(Ended::LeftDamaged)
        }
        Plan::Reseal(why) => {
            report.set_segment_field("action", json!(RepairAction::Reseal.name()));
            report.set_segment_field("why", json!(why));
            None
        }
        Plan::Salvage { .. } | Plan::SalvageHeaderless { .. } => {
            report.set_segment_field("action", json!(RepairAction::Salvage.name()));
            None
        }
    }
}

/// Carries out a plan that changes the segment (or says what it would
/// do, with `--dry-run`), reporting how it ended.
fn carry_out(c: &SegmentCheck, plan: &Plan, args: &RepairArgs, report: &Report) -> Ended {
    let p = paths::show(&c.path);
    let line = |l: String| report.print_line(&l);
    line(format!("REPAIR   {p}: {}", summary(c)));
    describe_damage(c, &line);
    let a = c.analysis.as_ref().expect("planned from an analysis");
    let result = if args.dry_run {
        dry_run::dry_run(&c.path, a, plan, args, &line);
        Ok(true)
    } else {
        execute::execute(&c.path, a, plan, args, &line)
    };
    let (result_name, ended) = match (&result, args.dry_run) {
        (Ok(true), true) => ("would-repair", Ended::Changed),
        (Ok(true), false) => ("repaired", Ended::Changed),
        (Ok(false), _) => ("left-damaged", Ended::LeftDamaged),
        (Err(_), _) => ("error", Ended::Error),
    };
    report.set_segment_field("result", json!(result_name));
    if let Err(e) = result {
        line(format!(
            "  error: {e}; {p} is unchanged unless a step above says otherwise"
        ));
    }
    ended
}

fn summary(c: &SegmentCheck) -> String {
    let a = c.analysis.as_ref().expect("analysed");
    format!("{}, {} valid", state_name(a), records_phrase(a))
}

fn describe_damage(c: &SegmentCheck, report: &impl Fn(String)) {
    let p = paths::show(&c.path);
    if let Some(a) = &c.analysis {
        for i in &a.issues {
            report(issue_line(&p, i));
        }
    }
}
