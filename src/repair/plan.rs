//! What a segment needs, from its verdict: nothing, a reseal (which cuts a
//! torn tail and rewrites the seal), a salvage of the records after
//! mid-file damage, or to be left as it is; and the steps that would do it.

use super::replace::backup_name;
use super::verdict::{is_mid_file, Analysis, Issue, LogIssue, Run, Verdict};
use super::Salvage;
use super::{compressed, log_effects, Action, Options, Outcome, SegmentPlan, Step, StepKind};
use crate::reader::Tail;
use crate::verify::FindingKind;
use crate::writer::salvage;
use std::path::{Path, PathBuf};

/// The plan for the segment `v` verified, whose log's next file starts at
/// `next_first` (see `SegmentPlan::next_first`), of `log` if it is a log's.
pub(super) fn plan_segment(
    v: Verdict,
    next_first: Option<Option<u64>>,
    log: Option<&(PathBuf, String)>,
    options: &Options,
) -> SegmentPlan {
    let (action, why, salvage) = decide(&v, options.salvage);
    let mut s = SegmentPlan {
        verdict: v,
        action,
        why,
        steps: Vec::new(),
        own_steps: 0,
        salvage,
        next_first,
    };
    if action.changes() {
        s.steps = planned(&s, options);
    }
    s.own_steps = s.steps.len();
    if let (true, Some(log)) = (action.changes(), log) {
        let mut effects = Vec::new();
        log_effects::effects(&s, log, true, &mut |st| effects.push(st));
        s.steps.extend(effects);
    }
    // Problems between segments (records missing before this one) are not
    // repairable here, whatever the segment itself needed.
    let path = s.verdict.path.display();
    for l in s.verdict.log_issues.iter() {
        let why = match l.finding.kind {
            FindingKind::NotSealed => continue,
            FindingKind::WrongLog => {
                "it belongs to another log, or another place in this one: move it out"
            }
            _ => "the records are gone",
        };
        let message = format!("{path}: {} (not repairable: {why})", l.message);
        s.steps.push(Step {
            kind: StepKind::Leave,
            message,
        });
    }
    s
}

/// How a dry run says a segment's repair ends.
pub(super) fn dry_outcome(s: &SegmentPlan) -> Outcome {
    match s.action {
        Action::None => Outcome::Unchanged,
        Action::Unreadable => Outcome::Error,
        Action::Refuse => Outcome::LeftDamaged,
        Action::Reseal | Action::Salvage => Outcome::Repaired,
    }
}

/// What a segment needs, why, and what a salvage of it copies.
type Decision = (Action, String, Option<Salvage>);

fn decide(c: &Verdict, salvage: bool) -> Decision {
    let Some(a) = &c.analysis else {
        let why = c.error.clone().unwrap_or_default();
        return (Action::Unreadable, why, None);
    };
    if a.end.is_none() {
        // No segment to open: a header cut short, or lost with nothing
        // after it that a salvage could keep.
        let why = a.issues.first().map_or("unreadable", |i| &*i.message);
        let why = format!("{why}: nothing a repair can keep");
        return (Action::Refuse, why, None);
    }
    if let Some((action, why)) = plan_for_intact(c, a) {
        return (action, why, None);
    }
    if c.locked {
        let why = "a writer has it open: stop the writer, then repair";
        return (Action::Refuse, why.into(), None);
    }
    // The first damage that a cut would lose records over.
    if let Some(first) = a.issues.iter().find(|i| is_mid_file(i.kind)) {
        return plan_for_mid_file(a, first, salvage);
    }
    let kinds: Vec<&str> = a.issues.iter().map(|i| i.kind.name()).collect();
    let why = match kinds.is_empty() {
        true => "not sealed".into(),
        false => kinds.join(", "),
    };
    (Action::Reseal, why, None)
}

/// The plan for an intact segment whose log has no older segment left
/// unsealed, or the newest file of a log with no header yet (None: it
/// needs more).
fn plan_for_intact(c: &Verdict, a: &Analysis) -> Option<(Action, String)> {
    if a.header.is_none() && a.is_clean() {
        // A writer may be creating it: a header written here could clash
        // with the one it writes.
        let why = "no header written yet (the newest file of its log, being created); no records";
        return Some((Action::None, why.into()));
    }
    let not_sealed = |l: &LogIssue| l.finding.kind == FindingKind::NotSealed;
    if !a.is_clean() || c.log_issues.iter().any(not_sealed) {
        return None;
    }
    let records = a.records_phrase();
    Some(match (a.is_sealed(), c.locked) {
        (true, _) => (Action::None, format!("sealed, {records}")),
        (false, true) => (
            Action::None,
            format!("unsealed, a writer has it open; {records}"),
        ),
        (false, false) => (
            Action::Reseal,
            "no seal (its writer stopped without closing it)".into(),
        ),
    })
}

/// The plan for a segment damaged in the middle, first by `first`: a
/// salvage, or (without `salvage`) left as it is.
fn plan_for_mid_file(a: &Analysis, first: &Issue, salvage: bool) -> Decision {
    let (offset, kind) = (first.offset, first.kind);
    if !salvage {
        let after = a.records_in_runs(|r| r.start >= offset);
        let why = format!(
            "corruption in the middle at offset {offset}: refused, nothing changed (a cut would \
             lose the {after} valid records after it); `binlog repair --salvage` copies them into \
             a new segment first"
        );
        return (Action::Refuse, why, None);
    }
    // A damaged header: every run is copied, and nothing is cut.
    let cut = (kind != FindingKind::CorruptHeader).then_some(offset);
    let runs = a.runs.iter().filter(|r| cut.is_none() || r.start >= offset);
    let runs = runs.copied().collect();
    (Action::Salvage, String::new(), Some(Salvage { cut, runs }))
}

/// The steps of `s`'s plan (one that changes files).
fn planned(s: &SegmentPlan, options: &Options) -> Vec<Step> {
    let path = &s.verdict.path;
    let p = path.display();
    let a = s.verdict.analysis.as_ref();
    let a = a.expect("planned from an analysis");
    let mut steps = Vec::new();
    let mut step = |kind, message| steps.push(Step { kind, message });
    let headerless = matches!(&s.salvage, Some(Salvage { cut: None, .. }));
    if !headerless {
        let to = backup_name(path, options.backup_dir.as_deref());
        let m = format!("would back up {p} to {}", to.display());
        step(StepKind::Backup, m);
    }
    match (&s.action, &s.salvage) {
        (Action::Reseal, _) => {
            step(StepKind::Note, format!("to fix: {}", s.why));
            if let Some(Tail::Torn { offset, len }) = a.end {
                step(StepKind::Cut, format!("would cut the torn tail: {len} bytes at offset {offset} (kept in {p}.corrupt-{offset})"));
            }
            let m = format!("would reseal {p}: {}", a.records_phrase());
            step(StepKind::Reseal, m);
        }
        (Action::Salvage, Some(Salvage { cut, runs })) => {
            for r in runs {
                step(StepKind::Salvage, would_copy(path, r, cut.is_some()));
            }
            let Some(cut) = cut else {
                let m = format!("would leave {p} as it is (its header is unreadable)");
                step(StepKind::Leave, m);
                return steps;
            };
            let kept = a.records_in_runs(|r| r.end <= *cut);
            step(
                StepKind::Cut,
                format!("would cut {p} at offset {cut} (keeping its first {kept} records) and reseal it"),
            );
        }
        _ => {}
    }
    // A segment cut or resealed: a compressed one becomes a plain one.
    if let Some(m) = compressed::would_replace(path) {
        step(StepKind::Reseal, m);
    }
    steps
}

/// What a salvage would copy of run `r` of segment `path`, and where to.
fn would_copy(path: &Path, r: &Run, with_offsets: bool) -> String {
    let offsets = with_offsets.then(|| format!(", offsets {}..{}", r.start, r.end));
    let offsets = offsets.unwrap_or_default();
    let (n, first, last) = (r.count, r.first_seq, r.first_seq + r.count - 1);
    let into = salvage::free_name(path, r.start);
    let into = into.display();
    format!("would copy {n} records (seq {first}..{last}{offsets}) into {into}")
}
