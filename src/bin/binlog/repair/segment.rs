//! One segment: says what it needs and why, then carries out its plan (or
//! says what it would do, with `--dry-run`), counting the outcome.

use super::args::RepairArgs;
use super::plan::{plan, Plan};
use super::report::{self, print_line, RepairCounts};
use super::{dry_run, execute};
use crate::check::{records_phrase, state_name, to_json, SegmentCheck};
use crate::paths;
use crate::progress::Progress;
use serde_json::json;

/// Repairs one checked segment as planned (or says why not), counting the
/// outcome in `counts`.
pub(super) fn repair_segment(
    c: &SegmentCheck,
    args: &RepairArgs,
    progress: &mut Progress,
    counts: &mut RepairCounts,
) {
    let plan = plan(c, args.salvage);
    let p = paths::show(&c.path);
    let report = |line: String| print_line(progress, &line);
    report::begin_segment(to_json(c));
    match &plan {
        Plan::NothingToDo(why) => {
            report::set_segment_field("action", json!("none"));
            report::set_segment_field("why", json!(why));
            report(format!("ok       {p}: {why}"));
            if !args.dry_run {
                execute::remove_stale_copy(&c.path, &report);
            }
            return;
        }
        Plan::Unreadable(why) => {
            report::set_segment_field("action", json!("none"));
            report::set_segment_field("result", json!("error"));
            report(format!("ERROR    {p}: {why}"));
            counts.errors += 1;
            return;
        }
        Plan::LeaveDamaged(why) => {
            report::set_segment_field("action", json!("refused"));
            report::set_segment_field("why", json!(why));
            report::set_segment_field("result", json!("left-damaged"));
            report(format!("DAMAGED  {p}: {why}"));
            describe_damage(c, &report);
            counts.left += 1;
            return;
        }
        Plan::Reseal(why) => {
            report::set_segment_field("action", json!("reseal"));
            report::set_segment_field("why", json!(why));
        }
        Plan::Salvage { .. } | Plan::SalvageHeaderless { .. } => {
            report::set_segment_field("action", json!("salvage"));
        }
    }
    report(format!("REPAIR   {p}: {}", summary(c)));
    describe_damage(c, &report);
    let a = c.analysis.as_ref().expect("planned from an analysis");
    let result = if args.dry_run {
        dry_run::dry_run(&c.path, a, &plan, args, &report);
        Ok(true)
    } else {
        execute::execute(&c.path, a, &plan, args, &report)
    };
    let result_name = match (&result, args.dry_run) {
        (Ok(true), true) => "would-repair",
        (Ok(true), false) => "repaired",
        (Ok(false), _) => "left-damaged",
        (Err(_), _) => "error",
    };
    report::set_segment_field("result", json!(result_name));
    match result {
        Ok(true) => counts.changed += 1,
        Ok(false) => counts.left += 1,
        Err(e) => {
            report(format!(
                "  error: {e}; {p} is unchanged unless a step above says otherwise"
            ));
            counts.errors += 1;
        }
    }
}

fn summary(c: &SegmentCheck) -> String {
    let a = c.analysis.as_ref().expect("analysed");
    format!("{}, {} valid", state_name(a), records_phrase(a))
}

fn describe_damage(c: &SegmentCheck, report: &impl Fn(String)) {
    let p = paths::show(&c.path);
    if let Some(a) = &c.analysis {
        for i in &a.issues {
            report(format!(
                "  {p}: offset {}: {}: {}",
                i.offset,
                i.kind.name(),
                i.message
            ));
        }
    }
}
