//! What a segment needs, from its check: nothing, a reseal (which cuts a
//! torn tail and rewrites the seal), a salvage of the records after
//! mid-file damage, or to be left as it is.

use crate::check::{is_mid_file, Analysis, IntactRun};
use crate::check::{records_phrase, SegmentCheck};
use binlog::verify::FindingKind;

pub(super) enum Plan {
    /// Sealed and intact, or open by a writer and intact.
    NothingToDo(String),
    /// Cannot be looked at (reported as an error).
    Unreadable(String),
    /// Damaged, and left alone (reported as damage).
    LeaveDamaged(String),
    /// Reopen with a writer and close: cuts a torn tail, rewrites the seal.
    Reseal(String),
    /// Copy `runs` to new segments, cut at `cut`, reseal.
    Salvage { cut: u64, runs: Vec<IntactRun> },
    /// The header is unreadable: copy `runs` to new segments, leave the file.
    SalvageHeaderless { runs: Vec<IntactRun> },
}

pub(super) fn plan(c: &SegmentCheck, salvage: bool) -> Plan {
    let Some(a) = &c.analysis else {
        return Plan::Unreadable(c.error.clone().unwrap_or_default());
    };
    if a.end.is_none() {
        // No segment to open: a header cut short, or lost with nothing
        // after it that a salvage could keep.
        let why = a
            .issues
            .first()
            .map_or("unreadable", |i| i.message.as_str());
        return Plan::LeaveDamaged(format!("{why}: nothing a repair can keep"));
    }
    if let Some(p) = plan_for_intact(c, a) {
        return p;
    }
    if c.locked {
        return Plan::LeaveDamaged("a writer has it open: stop the writer, then repair".into());
    }
    // The first damage that a cut would lose records over.
    if let Some(first) = a.issues.iter().find(|i| is_mid_file(i.kind)) {
        return plan_for_mid_file(a, first.offset, first.kind, salvage);
    }
    let why = a
        .issues
        .iter()
        .map(|i| i.kind.name())
        .collect::<Vec<_>>()
        .join(", ");
    Plan::Reseal(if why.is_empty() {
        "not sealed".into()
    } else {
        why
    })
}

/// The plan for an intact segment whose log has no older segment left
/// unsealed, or the newest file of a log with no header yet (None: it
/// needs more).
fn plan_for_intact(c: &SegmentCheck, a: &Analysis) -> Option<Plan> {
    if a.header.is_none() && a.is_clean() {
        // A writer may be creating it: a header written here could clash
        // with the one it writes.
        return Some(Plan::NothingToDo(
            "no header written yet (the newest file of its log, being created); no records".into(),
        ));
    }
    let unsealed_older = c
        .log_issues
        .iter()
        .any(|l| l.kind == FindingKind::NotSealed);
    if !a.is_clean() || unsealed_older {
        return None;
    }
    Some(match (a.is_sealed(), c.locked) {
        (true, _) => Plan::NothingToDo(format!("sealed, {}", records_phrase(a))),
        (false, true) => Plan::NothingToDo(format!(
            "unsealed, a writer has it open; {}",
            records_phrase(a)
        )),
        (false, false) => Plan::Reseal("no seal (its writer stopped without closing it)".into()),
    })
}

/// The plan for a segment damaged in the middle, first at `offset` (an
/// issue of `kind`): a salvage, or (without `--salvage`) left as it is.
fn plan_for_mid_file(a: &Analysis, offset: u64, kind: FindingKind, salvage: bool) -> Plan {
    if !salvage {
        let after: u64 = a
            .runs
            .iter()
            .filter(|r| r.start >= offset)
            .map(|r| r.count)
            .sum();
        return Plan::LeaveDamaged(format!(
            "corruption in the middle at offset {offset}: refused, nothing changed (a cut would \
             lose the {after} valid records after it); `binlog repair --salvage` copies them into \
             a new segment first"
        ));
    }
    if kind == FindingKind::CorruptHeader {
        return Plan::SalvageHeaderless {
            runs: a.runs.clone(),
        };
    }
    let runs = a
        .runs
        .iter()
        .filter(|r| r.start >= offset)
        .copied()
        .collect();
    Plan::Salvage { cut: offset, runs }
}

/// For a segment a salvage cuts (as `plan`, its plan, says): the sequence
/// number after the records it keeps, and the one after the last record
/// salvaged (the same if none is).
pub(super) fn salvage_ends(c: &SegmentCheck, plan: &Plan) -> Option<(u64, u64)> {
    let Plan::Salvage { cut, runs } = plan else {
        return None;
    };
    let cut = *cut;
    let a = c.analysis.as_ref()?;
    let kept = a
        .runs
        .iter()
        .filter(|r| r.end <= cut)
        .map(|r| r.first_seq + r.count)
        .next_back()
        .or(a.header.as_ref().map(|h| h.first_seq))?;
    let salvaged = runs.iter().map(|r| r.first_seq + r.count).max();
    Some((kept, salvaged.unwrap_or(kept)))
}
