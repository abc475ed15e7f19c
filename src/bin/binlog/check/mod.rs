//! The verdict on each segment, for `verify` and `repair`, from the
//! library's verification (`binlog::verify`): `analysis` is what it found
//! in the segment's bytes, `segment` sorts its findings into damage, notes
//! and problems between segments, `log` checks a source's segments in
//! order.

mod analysis;
mod json;
mod log;
mod segment;

pub use analysis::{is_mid_file, Analysis, IntactRun, Issue};
use binlog::verify::FindingKind;
use binlog::Tail;
pub use json::to_json;
pub use log::check_source;
pub use segment::{check_file, SegmentCheck};

/// How a segment's records end, as reports name it: the newest file of a
/// log being created is `empty` or `truncated` (docs/CLI.md, `info`).
pub fn state_name(a: &Analysis) -> &'static str {
    if a.being_created {
        return if a.file_len == 0 {
            "empty"
        } else {
            "truncated"
        };
    }
    match a.end {
        Some(Tail::Sealed) => "sealed",
        Some(Tail::Unsealed | Tail::Reading) => "unsealed",
        Some(Tail::SealDamaged { .. }) => "seal-damaged",
        Some(Tail::Torn { .. }) => "torn-tail",
        None if a.issues.iter().any(|i| i.kind == FindingKind::Truncated) => "truncated",
        None if a.issues.iter().any(|i| is_mid_file(i.kind)) => "corrupt",
        None => "unreadable",
    }
}

/// `  PATH: offset N: KIND: MESSAGE`: an issue of the segment at `p`, as
/// the text reports print it.
pub fn issue_line(p: &str, i: &Issue) -> String {
    format!(
        "  {p}: offset {}: {}: {}",
        i.offset,
        i.kind.name(),
        i.message
    )
}

/// `1000 records, seq 0..999`
pub fn records_phrase(a: &Analysis) -> String {
    match (a.first_seq, a.last_seq) {
        (Some(f), Some(l)) => format!("{} record{}, seq {f}..{l}", a.records, plural(a.records)),
        _ => "no records".to_string(),
    }
}

/// The plural ending for `n` things.
pub fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
