//! What a repair says as it goes, and what it counts.

use crate::progress::Progress;
use std::io::Write;

/// What a repair did, over all segments.
#[derive(Default)]
pub(super) struct RepairCounts {
    pub(super) segments: u64,
    pub(super) changed: u64,
    pub(super) left: u64,
    pub(super) errors: u64,
}

/// Prints a report line on standard output (above the progress bar). A
/// closed output does not stop a repair half-way: the line is dropped.
pub(super) fn print_line(progress: &Progress, line: &str) {
    progress.suspend(|| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    });
}
