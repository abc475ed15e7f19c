//! `binlog_repair_*`: the C face of `crate::repair`: a repair's plan for a
//! segment file or a log directory, its segments and their steps, applied
//! or only looked at (a dry run).

use super::prelude::*;
use super::segment_events::c_string;
use crate::repair::{self, Action, Options, Plan, StepKind};

/// What a segment needs (`binlog_repair_segment.action`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum binlog_repair_segment_action {
    /// Nothing: sealed and intact, or open by a writer and intact.
    BINLOG_PLAN_NONE = 0,
    /// Not readable as a segment (an error; `why` says why).
    BINLOG_PLAN_UNREADABLE = 1,
    /// Damaged and left as it is (`why` says why: corruption in the middle
    /// without `salvage`, a writer holding it, nothing to keep).
    BINLOG_PLAN_REFUSE = 2,
    /// Backed up, its torn tail cut, sealed again.
    BINLOG_PLAN_RESEAL = 3,
    /// Backed up, the records after mid-file damage copied into new
    /// segments, cut before the damage and sealed again.
    BINLOG_PLAN_SALVAGE = 4,
}

/// What a step does (`binlog_repair_step.kind`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum binlog_repair_step_kind {
    /// What is to be fixed.
    BINLOG_STEP_NOTE = 0,
    /// A backup copy of the segment.
    BINLOG_STEP_BACKUP = 1,
    /// A cut: a torn tail, or the segment before mid-file damage.
    BINLOG_STEP_CUT = 2,
    /// The segment sealed again (a compressed one as a plain segment).
    BINLOG_STEP_RESEAL = 3,
    /// Records copied into a new segment.
    BINLOG_STEP_SALVAGE = 4,
    /// An empty segment started after the salvaged records.
    BINLOG_STEP_START_SEGMENT = 5,
    /// Records lost in the damage: a gap in the log
    /// (`binlog_repair_accept_gap` accepts it).
    BINLOG_STEP_GAP = 6,
    /// A file left as it is, or damage between segments no repair undoes.
    BINLOG_STEP_LEAVE = 7,
    /// Leftovers of a repair that was stopped, removed.
    BINLOG_STEP_CLEANUP = 8,
    /// A step that failed.
    BINLOG_STEP_ERROR = 9,
}

/// One segment of a plan (`binlog_repair_plan_segment`). `path` and `why`
/// are NUL-terminated and borrowed from the plan: valid until
/// `binlog_repair_plan_free`. `damaged`: it has damage, in its bytes or as
/// a part of its log. `steps`: how many steps `binlog_repair_plan_step`
/// gives for it.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct binlog_repair_segment {
    pub path: *const c_char,
    pub action: binlog_repair_segment_action,
    pub why: *const c_char,
    pub damaged: bool,
    pub steps: usize,
}

/// One step of a segment's plan (`binlog_repair_plan_step`): what applying
/// the plan would do. `message` says it in words, naming the files;
/// borrowed from the plan like the segment's strings.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct binlog_repair_step {
    pub kind: binlog_repair_step_kind,
    pub message: *const c_char,
}

/// What applying a plan did (`binlog_repair_apply`): segments looked at,
/// repaired, damage left (segments refused, gaps left in the log, damage
/// between segments), and segments or steps that failed. Clean when
/// `left_damaged` and `errors` are 0.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct binlog_repair_summary {
    pub segments: u64,
    pub changed: u64,
    pub left_damaged: u64,
    pub errors: u64,
}

/// A repair's plan (`binlog_repair_plan_open`). Read-only once made: its
/// calls may be made from any thread, one `binlog_repair_apply` at a time.
/// Freed with `binlog_repair_plan_free`, which invalidates its strings.
pub struct binlog_repair_plan {
    plan: Plan,
    strings: Vec<SegmentStrings>,
}

/// A segment's path and why, then its steps' messages.
type SegmentStrings = (CString, CString, Vec<CString>);

/// Plans the repair of `path`: a segment file (plain or compressed), or a
/// log directory, then of log `log_name` in it (NULL: of the one log whose
/// files it holds), from its verification (as `binlog_verify_open`
/// resolves it; the same errors). `salvage`: copy the records after
/// corruption in the middle of a segment into new segments and cut before
/// the damage (else such a segment is refused). `backup_dir`: where backup
/// copies go (NULL: beside each file). Nothing is changed. `*out` is
/// written only on success; free it with `binlog_repair_plan_free`.
#[no_mangle]
pub extern "C" fn binlog_repair_plan_open(
    path: *const c_char,
    log_name: *const c_char,
    salvage: bool,
    backup_dir: *const c_char,
    out: *mut *mut binlog_repair_plan,
) -> binlog_result {
    call(|| {
        let p = unsafe { c_path(path, "path") }?;
        let name = unsafe { c_str_or_null(log_name, "log_name") }?;
        let backup_dir = unsafe { c_path_or_null(backup_dir, "backup_dir") }?.map(PathBuf::from);
        need_out(out)?;
        let options = Options {
            salvage,
            backup_dir,
        };
        let plan = repair::plan(p, name, &options)?;
        let text = |s: &str| CString::new(s).unwrap_or_default();
        let strings = plan
            .segments
            .iter()
            .map(|s| {
                let steps = s.steps.iter().map(|st| text(&st.message)).collect();
                (c_string(&s.verdict.path), text(&s.why), steps)
            })
            .collect();
        unsafe { done(out, new_handle(binlog_repair_plan { plan, strings })) }
    })
}

/// How many segments the plan has (`*count`), in the log's order.
#[no_mangle]
pub extern "C" fn binlog_repair_plan_segments(
    plan: *const binlog_repair_plan,
    count: *mut usize,
) -> binlog_result {
    get(plan, "repair plan", count, |p| Ok(p.plan.segments.len()))
}

/// Fills `*out` with segment `index` of the plan;
/// `BINLOG_ERR_INVALID_ARGUMENT` past the last.
#[no_mangle]
pub extern "C" fn binlog_repair_plan_segment(
    plan: *const binlog_repair_plan,
    index: usize,
    out: *mut binlog_repair_segment,
) -> binlog_result {
    get(plan, "repair plan", out, |p| {
        let (s, (path, why, steps)) = p.segment(index)?;
        Ok(binlog_repair_segment {
            path: path.as_ptr(),
            action: action_code(s.action),
            why: why.as_ptr(),
            damaged: s.verdict.damaged || s.verdict.error.is_some(),
            steps: steps.len(),
        })
    })
}

/// Fills `*out` with step `step` of segment `index` of the plan, in the
/// order applying it takes them; `BINLOG_ERR_INVALID_ARGUMENT` past the
/// last.
#[no_mangle]
pub extern "C" fn binlog_repair_plan_step(
    plan: *const binlog_repair_plan,
    index: usize,
    step: usize,
    out: *mut binlog_repair_step,
) -> binlog_result {
    get(plan, "repair plan", out, |p| {
        let (s, (_, _, messages)) = p.segment(index)?;
        let (Some(st), Some(m)) = (s.steps.get(step), messages.get(step)) else {
            let n = s.steps.len();
            return invalid(format!("step {step} of {n}"));
        };
        Ok(binlog_repair_step {
            kind: step_code(st.kind),
            message: m.as_ptr(),
        })
    })
}

/// Applies the plan: for each segment that needs it, with its lock held
/// and the file checked to be the one planned, a backup copy first, then
/// the cut, salvage and reseal; a segment's failure does not stop the
/// others (counted in `errors`). Apply a plan once; plan again to see the
/// result. `*out` (may be NULL) gets the summary.
#[no_mangle]
pub extern "C" fn binlog_repair_apply(
    plan: *const binlog_repair_plan,
    out: *mut binlog_repair_summary,
) -> binlog_result {
    call(|| {
        let p = unsafe { handle(plan, "repair plan") }?;
        let s = repair::apply(&p.plan, |_| {});
        let c = binlog_repair_summary {
            segments: s.segments,
            changed: s.changed,
            left_damaged: s.left_damaged,
            errors: s.errors,
        };
        unsafe { done(out, c) }
    })
}

/// Frees the plan and its strings; NULL is accepted.
#[no_mangle]
pub extern "C" fn binlog_repair_plan_free(plan: *mut binlog_repair_plan) {
    unsafe { free(plan) }
}

/// Records that log `log_name`'s records `from_seq..=to_seq` in directory
/// `dir` are known to be lost (the gap a salvage leaves), in the log's
/// `<log>.accepted-gaps`, so that verification reports the gap as
/// accepted, not as damage. `reason` (NULL: none) is kept with it. No
/// segment changes. `BINLOG_ERR_INVALID_ARGUMENT` if `from_seq > to_seq`.
#[no_mangle]
pub extern "C" fn binlog_repair_accept_gap(
    dir: *const c_char,
    log_name: *const c_char,
    from_seq: u64,
    to_seq: u64,
    reason: *const c_char,
) -> binlog_result {
    call(|| {
        let d = unsafe { c_path(dir, "dir") }?;
        let name = unsafe { c_str(log_name, "log_name") }?;
        let reason = unsafe { c_str_or_null(reason, "reason") }?.unwrap_or("");
        repair::accept_gap(d, name, from_seq, to_seq, reason)?;
        Ok(BINLOG_OK)
    })
}

/// The name of segment action `action` (e.g. "reseal"), a static
/// NUL-terminated string; NULL for a number that is no action.
#[no_mangle]
pub extern "C" fn binlog_repair_segment_action_name(action: u32) -> *const c_char {
    Action::from_number(action).map_or(std::ptr::null(), |a| a.c_name().as_ptr())
}

/// The name of step kind `kind` (e.g. "backup"), a static NUL-terminated
/// string; NULL for a number that is no step kind.
#[no_mangle]
pub extern "C" fn binlog_repair_step_kind_name(kind: u32) -> *const c_char {
    StepKind::from_number(kind).map_or(std::ptr::null(), |k| k.c_name().as_ptr())
}

impl binlog_repair_plan {
    /// Segment `index` and its strings.
    fn segment(&self, index: usize) -> CallResult<(&repair::SegmentPlan, &SegmentStrings)> {
        let n = self.plan.segments.len();
        let found = self.plan.segments.get(index).zip(self.strings.get(index));
        Ok(found.ok_or_else(|| crate::Error::invalid(format!("segment {index} of {n}")))?)
    }
}

fn action_code(a: Action) -> binlog_repair_segment_action {
    // SAFETY: the numbers of binlog_repair_segment_action (tests below).
    unsafe { c_enum(a as u32, 0..=4) }
}

fn step_code(k: StepKind) -> binlog_repair_step_kind {
    // SAFETY: the numbers of binlog_repair_step_kind (tests below).
    unsafe { c_enum(k as u32, 0..=9) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::boundary::enum_names;

    #[test]
    fn actions_and_steps_are_the_c_values_of_their_names() {
        let actions = (0..).map_while(Action::from_number);
        enum_names::check(actions, |a| action_code(*a), "BINLOG_PLAN_");
        let steps = (0..).map_while(StepKind::from_number);
        enum_names::check(steps, |k| step_code(*k), "BINLOG_STEP_");
    }
}
