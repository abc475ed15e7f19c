//! `repair --accept-gap FROM..TO`: records that a log's records FROM to
//! TO are known to be lost (e.g. in the damaged bytes a salvage cut), in
//! the log's `<log>.accepted-gaps` (see `binlog::__private::log::accepted_gaps`), so
//! that `verify` reports the gap as accepted and the log as clean. No
//! segment changes.

use super::args::RepairArgs;
use crate::error::{CliError, CliResult, Outcome};
use crate::paths;
use binlog::__private::log::accepted_gaps;

/// Accepts the gap `range` of the one log `args.source.paths` names.
pub(super) fn run(args: &RepairArgs, range: &str) -> CliResult<Outcome> {
    let (from, to) = parse_range(range)?;
    // Before anything else, as `accept` would (also under --dry-run).
    accepted_gaps::check_range(from, to)?;
    let source = paths::single(args.source.resolve()?, "repair --accept-gap")?;
    let Some(log) = &source.log else {
        return Err(CliError::usage(format!(
            "repair --accept-gap: {} is not a log directory (a gap is between a log's segments)",
            source.label
        )));
    };
    let reason = args.reason.as_deref().unwrap_or("");
    if args.dry_run {
        println!("would accept gap seq {from}..{to} of {}", source.label);
        return Ok(Outcome::Clean);
    }
    let g = accepted_gaps::accept(&log.dir, &log.name, from, to, reason)?;
    let file = accepted_gaps::path(&log.dir, &log.name);
    println!(
        "accepted gap seq {}..{} of {} ({}), recorded in {}",
        g.from_seq,
        g.to_seq,
        source.label,
        match g.reason.as_str() {
            "" => g.accepted_utc.clone(),
            r => format!("{r}, {}", g.accepted_utc),
        },
        paths::show(&file)
    );
    Ok(Outcome::Clean)
}

/// `A..B` (inclusive) or a single `A`; `binlog::__private::log::accepted_gaps`
/// refuses A > B.
fn parse_range(s: &str) -> CliResult<(u64, u64)> {
    let bad = || CliError::usage(format!("--accept-gap {s:?}: expected FROM..TO or SEQ"));
    let (a, b) = s.split_once("..").unwrap_or((s, s));
    let (a, b) = (
        a.trim().parse::<u64>().map_err(|_| bad())?,
        b.trim().parse::<u64>().map_err(|_| bad())?,
    );
    Ok((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gap_ranges() {
        assert_eq!(parse_range("14..19").unwrap(), (14, 19));
        assert_eq!(parse_range("14").unwrap(), (14, 14));
        assert!(accepted_gaps::check_range(19, 14).is_err());
        assert!(parse_range("a..b").is_err());
    }
}
