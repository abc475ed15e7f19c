//! `repair --dry-run`: what the plan of a segment would do, changing
//! nothing.

use super::args::RepairArgs;
use super::backup::backup_name;
use super::compressed;
use super::plan::Plan;
use crate::check::records_phrase;
use crate::check::{Analysis, IntactRun};
use crate::paths;
use binlog::__private::writer::salvage;
use binlog::Tail;
use std::path::Path;

pub(super) fn dry_run(
    path: &Path,
    a: &Analysis,
    plan: &Plan,
    args: &RepairArgs,
    report: &impl Fn(String),
) {
    let p = paths::show(path);
    if !matches!(plan, Plan::SalvageHeaderless { .. }) {
        report(format!(
            "  would back up {p} to {}",
            backup_name(path, args.backup_dir.as_deref()).display()
        ));
    }
    match plan {
        Plan::Reseal(why) => {
            report(format!("  to fix: {why}"));
            if let Some(Tail::Torn { offset, len }) = a.end {
                report(format!("  would cut the torn tail: {len} bytes at offset {offset} (kept in {p}.corrupt-{offset})"));
            }
            report(format!("  would reseal {p}: {}", records_phrase(a)));
            report_replace(path, report);
        }
        Plan::Salvage { cut, runs } => {
            for r in runs {
                report(would_copy(path, r, true));
            }
            let kept: u64 = a
                .runs
                .iter()
                .filter(|r| r.end <= *cut)
                .map(|r| r.count)
                .sum();
            report(format!(
                "  would cut {p} at offset {cut} (keeping its first {kept} records) and reseal it"
            ));
            report_replace(path, report);
        }
        Plan::SalvageHeaderless { runs } => {
            for r in runs {
                report(would_copy(path, r, false));
            }
            report(format!(
                "  would leave {p} as it is (its header is unreadable)"
            ));
        }
        _ => {}
    }
}

/// For a compressed segment, that its repaired copy would be plain.
fn report_replace(path: &Path, report: &impl Fn(String)) {
    if let Some(line) = compressed::would_replace(path) {
        report(line);
    }
}

/// What a salvage would copy of run `r` of segment `path`, and where to.
fn would_copy(path: &Path, r: &IntactRun, with_offsets: bool) -> String {
    let offsets = if with_offsets {
        format!(", offsets {}..{}", r.start, r.end)
    } else {
        String::new()
    };
    format!(
        "  would copy {} records (seq {}..{}{offsets}) into {}",
        r.count,
        r.first_seq,
        r.first_seq + r.count - 1,
        salvage::free_name(path, r.start).display()
    )
}
