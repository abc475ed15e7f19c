//! The steps a segment's plan would take, as a dry run says them.

use super::backup::backup_name;
use super::salvage::Salvage;
use super::verdict::Run;
use super::{compressed, Action, Options, SegmentPlan, Step, StepKind};
use crate::reader::Tail;
use crate::writer::salvage;
use std::path::Path;

/// The steps of `s`'s plan (one that changes files).
pub(super) fn planned(s: &SegmentPlan, options: &Options) -> Vec<Step> {
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
            if let Some(m) = compressed::would_replace(path) {
                step(StepKind::Reseal, m);
            }
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
            if let Some(m) = compressed::would_replace(path) {
                step(StepKind::Reseal, m);
            }
        }
        _ => {}
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
