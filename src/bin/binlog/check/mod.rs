//! The verdict on each segment, for `verify` and `repair`: a full walk of
//! its bytes (`walk`) and what a writer holding it changes about that
//! (`segment`), and its place in its log (`log`: sealed when newer segments
//! follow, of this log, continuing the sequence of the segment before it).

mod json;
mod log;
mod segment;

pub use json::to_json;
pub use log::check_source;
pub use segment::{check_file, LogIssueKind, Role, SegmentCheck};

use crate::walk::{Analysis, RecordsEnd};

/// How a segment's records end, as reports name it.
pub fn state_name(a: &Analysis) -> &'static str {
    if a.file_len == 0 && a.end != RecordsEnd::Unreadable {
        return crate::file_kind::EMPTY_STATE;
    }
    match a.end {
        RecordsEnd::Sealed => "sealed",
        RecordsEnd::Unsealed => "unsealed",
        RecordsEnd::SealDamaged { .. } => "seal-damaged",
        RecordsEnd::Torn { .. } => "torn-tail",
        RecordsEnd::Corrupt { .. } => "corrupt",
        RecordsEnd::Unreadable => "unreadable",
    }
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
