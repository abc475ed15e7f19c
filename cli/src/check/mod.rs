//! The verdict on each segment, for `verify` and `repair`, from the
//! library's verification (`binlog::verify`, sorted into a
//! `binlog::repair::Verdict`): `log` checks a source's segments in order,
//! `json` gives a verdict as JSON.

mod json;
mod log;

pub use binlog::repair::{Analysis, Issue, Verdict};
pub use json::to_json;
pub use log::check_source;

/// How a segment's records end, as reports name it (docs/CLI.md, `info`).
pub fn state_name(a: &Analysis) -> &'static str {
    a.state_name()
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
