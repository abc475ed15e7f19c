//! Repairing segments and logs: verify, plan, apply. A
//! [`Plan`](crate::repair::Plan) is made from the verification of a log or
//! of segment files ([`crate::verify`]): for each segment, its
//! [`Verdict`](crate::repair::Verdict) (the same findings verify reports),
//! what it needs ([`Action`](crate::repair::Action)) and the
//! [`Step`](crate::repair::Step)s that would do it.
//! [`apply`](crate::repair::apply) carries the plan out;
//! [`dry_run`](crate::repair::dry_run) walks it, changing nothing.
//!
//! A repair makes every segment readable and sealed again without losing a
//! valid record. For each segment it changes, it first makes a backup copy
//! (synced), `<file>.backup-<UTC time>` beside it or in
//! [`Options::backup_dir`](crate::repair::Options::backup_dir), then:
//! - a torn tail, a damaged or missing seal, or a seal that disagrees with
//!   the records: a copy of the segment is reopened with
//!   [`Writer`](crate::Writer), which saves the torn bytes (kept as
//!   `<segment>.corrupt-<offset>`), cuts them and the old seal, and closed,
//!   which writes a new seal;
//! - corruption in the middle: refused (nothing changes) unless
//!   [`Options::salvage`](crate::repair::Options::salvage), which copies
//!   every run of valid records after the damage into a new segment
//!   `<segment stem>.salvaged-<offset>.binlog` (same types, metadata,
//!   timestamps and sequence numbers), checks the copies, then makes a copy
//!   of the segment up to the damage and seals it. The records lost in the
//!   damaged bytes are a gap in the log, which
//!   [`accept_gap`](crate::repair::accept_gap) records as accepted once
//!   nothing can bring them back.
//!
//! The segment itself is never changed in place: the repaired copy is
//! written beside it as `<segment>.repair-tmp`, synced, and renamed over it,
//! and the directory synced. A reader that has the old file open (mapped)
//! keeps reading it as it was; a crash leaves either the old file or the
//! repaired one under the segment's name. A segment a writer has open is
//! never touched. A compressed segment that is cut or resealed becomes the
//! plain segment beside it (its `.zst` removed; the backup keeps it).
//!
//! ```
//! use binlog::repair::{self, Action};
//! use binlog::{LogOptions, LogWriter};
//! # let dir = std::env::temp_dir().join(format!("binlog-doc-repair-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! let log = LogWriter::open(&dir, "orders", LogOptions::default())?;
//! log.write("order", b"42 widgets")?;
//! log.close()?;
//!
//! let plan = repair::plan(&dir, Some("orders"), &repair::Options::default())?;
//! for s in &plan.segments {
//!     println!("{}: {} ({})", s.verdict.path.display(), s.action.name(), s.why);
//!     for step in &s.steps {
//!         println!("  {}: {}", step.kind.name(), step.message);
//!     }
//! }
//! assert!(plan.segments.iter().all(|s| s.action == Action::None));
//! let summary = repair::apply(&plan, |_| {});
//! assert!(summary.is_clean());
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod compressed;
mod execute;
mod log_effects;
mod plan;
mod replace;
mod verdict;

pub use crate::log::accepted_gaps::AcceptedGap;
pub use verdict::{Analysis, Issue, LogIssue, Run, Verdict};

use crate::error::{Error, Result};
use crate::verify::{SegmentReport, Verify};
use std::path::{Path, PathBuf};

/// How to repair.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Copy the valid records that follow corruption in the middle of a
    /// segment into new segments, then cut the segment before the damage
    /// (instead of refusing).
    pub salvage: bool,
    /// Put backup copies here instead of beside each file.
    pub backup_dir: Option<PathBuf>,
}

named_enum! {
    /// What a segment needs. The numbers are the C ABI's
    /// `BINLOG_PLAN_*` codes; the names (`name`) `none`, `unreadable`,
    /// `refused`, `reseal`, `salvage`.
    pub enum Action in ACTION_NAMES {
        /// Nothing: sealed and intact, or open by a writer and intact.
        None = 0 => c"none",
        /// It cannot be looked at as a segment (an error).
        Unreadable = 1 => c"unreadable",
        /// Damaged, and left as it is (`why` says why).
        Refuse = 2 => c"refused",
        /// Reopened with a writer and closed: cuts a torn tail, rewrites the
        /// seal.
        Reseal = 3 => c"reseal",
        /// The records after mid-file damage copied to new segments, the
        /// segment cut before the damage and resealed (or, its header lost,
        /// left as it is).
        Salvage = 4 => c"salvage",
    }
}

impl Action {
    /// Whether the plan changes files (a backup first).
    pub fn changes(self) -> bool {
        matches!(self, Action::Reseal | Action::Salvage)
    }
}

named_enum! {
    /// What a step does. The numbers are the C ABI's `BINLOG_STEP_*`
    /// codes; the names (`name`) `note`, `backup`, `cut`, `reseal`,
    /// `salvage`, `start-segment`, `gap`, `leave`, `cleanup`, `error`.
    pub enum StepKind in STEP_NAMES {
        /// What is to be fixed.
        Note = 0 => c"note",
        /// A backup copy of the segment.
        Backup = 1 => c"backup",
        /// A cut: a torn tail, or the segment before mid-file damage.
        Cut = 2 => c"cut",
        /// The segment resealed (or, compressed, written as a plain segment).
        Reseal = 3 => c"reseal",
        /// Records copied into a new segment.
        Salvage = 4 => c"salvage",
        /// An empty segment started after the salvaged records, so that the
        /// log's writer numbers new records after them.
        StartSegment = 5 => c"start-segment",
        /// Records lost in the damage: a gap in the log, which [`accept_gap`]
        /// accepts.
        Gap = 6 => c"gap",
        /// A file left as it is, or damage that no repair can undo.
        Leave = 7 => c"leave",
        /// Leftovers of a repair that was stopped, removed.
        Cleanup = 8 => c"cleanup",
        /// A step that failed.
        Error = 9 => c"error",
    }
}

/// A step of a plan (what it would do), or one done by [`apply`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What it does.
    pub kind: StepKind,
    /// What it does, in words, naming the files.
    pub message: String,
}

/// Where the steps done are reported.
pub(super) type Emit<'a> = &'a mut dyn FnMut(Step);

/// Reports a step done: `kind`, in words `message`.
pub(super) fn say(emit: &mut dyn FnMut(Step), kind: StepKind, message: String) {
    emit(Step { kind, message });
}

/// The plan for one segment.
#[derive(Clone, Debug)]
pub struct SegmentPlan {
    /// The segment's verification.
    pub verdict: Verdict,
    /// What it needs.
    pub action: Action,
    /// Why (for [`Action::Salvage`], empty: the steps say it).
    pub why: String,
    /// What a repair would do, in order: the segment's own steps, then
    /// what it does to the log (`StepKind::StartSegment`, `Gap`), then
    /// damage between segments that no repair undoes (`Leave`).
    pub steps: Vec<Step>,
    /// How many of `steps` are the segment's own.
    own_steps: usize,
    /// What a salvage copies and where it cuts.
    salvage: Option<Salvage>,
    /// The first sequence number of the log's next file (None: this is the
    /// log's last file; Some(None): the next one has no header).
    next_first: Option<Option<u64>>,
}

/// What a salvage copies, and where it cuts the segment (None: its header
/// is unreadable, the file is left as it is).
#[derive(Clone, Debug)]
struct Salvage {
    cut: Option<u64>,
    runs: Vec<Run>,
}

/// A repair's plan: every segment of a log, or of the files given, in
/// order, each with what it needs.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The segments, in the log's (or the given) order.
    pub segments: Vec<SegmentPlan>,
    /// The log's directory and name, for a log.
    log: Option<(PathBuf, String)>,
    options: Options,
}

/// How a segment's repair ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Outcome {
    /// Nothing to do.
    Unchanged = 0,
    /// Repaired (in a dry run: would be).
    Repaired = 1,
    /// Damage remains (refused, or a writer has it open).
    LeftDamaged = 2,
    /// It could not be repaired (or looked at).
    Error = 3,
}

/// What happens as a plan is applied (or walked in a dry run), in order.
#[derive(Debug)]
pub enum Event<'a> {
    /// The repair of a segment starts.
    Segment(&'a SegmentPlan),
    /// A step done (in a dry run: one that would be).
    Step(&'a Step),
    /// How the repair of a segment ended; with the error of a repair that
    /// failed (the segment is unchanged unless a step said otherwise). The
    /// steps on the log that follow (until the next `Segment`) belong to
    /// the same segment.
    Ended(&'a SegmentPlan, Outcome, Option<&'a Error>),
}

/// What a repair did, over all segments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Segments looked at.
    pub segments: u64,
    /// Segments repaired (in a dry run: that would be).
    pub changed: u64,
    /// Damage left: segments refused, gaps the log is left with, damage
    /// between segments.
    pub left_damaged: u64,
    /// Segments that could not be repaired, or steps that failed.
    pub errors: u64,
}

impl Summary {
    /// Nothing damaged is left and nothing failed.
    pub fn is_clean(&self) -> bool {
        self.left_damaged == 0 && self.errors == 0
    }
}

/// The plan for what is at `path`, from its verification
/// ([`Verify::path`]): a segment file on its own, or a log directory: log
/// `log` in it, or without a name the one log whose files it holds
/// (`InvalidArgument` if it holds several, `NotFound` if none).
pub fn plan(path: &Path, log: Option<&str>, options: &Options) -> Result<Plan> {
    Ok(match crate::verify::log_at(path, log)? {
        Some(name) => {
            let reports = Verify::log(path, &name)?;
            Plan::of_reports(reports, Some((path.to_path_buf(), name)), options)
        }
        None => Plan::of_reports(Verify::segment(path), None, options),
    })
}

impl Plan {
    /// The plan from the reports of segments (a manifest's report is
    /// skipped), of log `log` (its directory and name) if they are a
    /// log's, in its order.
    pub fn of_reports(
        reports: impl IntoIterator<Item = SegmentReport>,
        log: Option<(PathBuf, String)>,
        options: &Options,
    ) -> Plan {
        let verdicts: Vec<Verdict> = reports
            .into_iter()
            .filter(|r| !r.manifest)
            .map(|r| Verdict::of(&r))
            .collect();
        let firsts: Vec<Option<u64>> = verdicts
            .iter()
            .map(|v| v.analysis.as_ref()?.header.as_ref().map(|h| h.first_seq))
            .collect();
        // Each segment's next file's first sequence number (None after the
        // last file; Some(None) when the next one has no header).
        let next_firsts = firsts.into_iter().skip(1).map(Some).chain([None]);
        let segments = verdicts
            .into_iter()
            .zip(next_firsts)
            .map(|(v, next_first)| plan::plan_segment(v, next_first, log.as_ref(), options))
            .collect();
        Plan {
            segments,
            log,
            options: options.clone(),
        }
    }

    /// Whether applying it changes any file.
    pub fn changes(&self) -> bool {
        self.segments.iter().any(|s| s.action.changes())
    }
}

/// Applies the plan: each segment's steps, with its lock held and the file
/// checked to be the one verified, reporting each step to `on` as it is
/// done. A segment's failure does not stop the others (it is counted in
/// the summary's `errors`).
pub fn apply(plan: &Plan, on: impl FnMut(Event<'_>)) -> Summary {
    walk(plan, false, on)
}

/// Walks the plan as [`apply`] would, changing nothing: each segment's
/// planned steps, and the summary a repair would end with.
pub fn dry_run(plan: &Plan, on: impl FnMut(Event<'_>)) -> Summary {
    walk(plan, true, on)
}

/// Records that log `log`'s records `from..=to` are known to be lost (in
/// the damaged bytes a salvage cut), in the log's `<log>.accepted-gaps`
/// beside its segments, so that verify reports the gap as accepted, not as
/// damage. Changes no segment. `from > to` is refused.
pub fn accept_gap(dir: &Path, log: &str, from: u64, to: u64, reason: &str) -> Result<AcceptedGap> {
    crate::log::accepted_gaps::accept(dir, log, from, to, reason)
}

/// The file that lists log `log`'s accepted gaps (see [`accept_gap`]).
pub fn accepted_gaps_path(dir: &Path, log: &str) -> PathBuf {
    crate::log::accepted_gaps::path(dir, log)
}

/// `apply` and `dry_run`: one segment after another.
fn walk(plan: &Plan, dry: bool, mut on: impl FnMut(Event<'_>)) -> Summary {
    let mut sum = Summary::default();
    for s in &plan.segments {
        sum.segments += 1;
        on(Event::Segment(s));
        let (outcome, err) = match dry {
            true => {
                s.steps[..s.own_steps]
                    .iter()
                    .for_each(|st| on(Event::Step(st)));
                (plan::dry_outcome(s), None)
            }
            false => execute::segment(s, &plan.options, &mut |st| on(Event::Step(&st))),
        };
        match outcome {
            Outcome::Unchanged => {}
            Outcome::Repaired => sum.changed += 1,
            Outcome::LeftDamaged => sum.left_damaged += 1,
            Outcome::Error => sum.errors += 1,
        }
        on(Event::Ended(s, outcome, err.as_ref()));
        let rest = &s.steps[s.own_steps..];
        let (effects, between): (Vec<&Step>, Vec<&Step>) =
            rest.iter().partition(|st| st.kind != StepKind::Leave);
        if let (Outcome::Repaired, Some(log)) = (outcome, &plan.log) {
            // The damage left (a gap), and a failure.
            let (gap, failed) = if dry {
                effects.iter().for_each(|st| on(Event::Step(st)));
                (effects.iter().any(|st| st.kind == StepKind::Gap), false)
            } else {
                log_effects::effects(s, log, false, &mut |st| on(Event::Step(&st)))
            };
            sum.left_damaged += u64::from(gap);
            sum.errors += u64::from(failed);
        }
        for st in between {
            on(Event::Step(st));
            sum.left_damaged += 1;
        }
    }
    sum
}
