//! The verdict on each segment, for `verify` and `repair`, from the
//! library's verification (`binlog::verify`, sorted into a
//! `binlog::repair::Verdict`): `log` checks a source's segments in order
//! (a signed log's against `TrustArgs`), `json` gives a verdict as JSON.

mod json;
mod log;

pub use binlog::repair::{Analysis, Issue, Verdict};
pub use json::to_json;
pub use log::{check_source, TrustArgs};

/// `  PATH: offset N: KIND: MESSAGE`: an issue of the segment at `p`, as
/// the text reports print it.
pub fn issue_line(p: &str, i: &Issue) -> String {
    let (at, kind, what) = (i.offset, i.kind.name(), &i.message);
    format!("  {p}: offset {at}: {kind}: {what}")
}
