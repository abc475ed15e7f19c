//! `repair --accept-gap FROM..TO`: records that a log's records FROM to
//! TO are known to be lost (e.g. in the damaged bytes a salvage cut), in
//! the log's `<log>.accepted-gaps` (`binlog::repair::accept_gap`), so
//! that `verify` reports the gap as accepted and the log as clean. No
//! segment changes.

use super::RepairArgs;
use crate::error::{CliError, CliResult, Outcome};
use crate::paths;
use binlog::repair;

/// Accepts the gap `range` of the one log `args.source.paths` names.
pub(super) fn run(args: &RepairArgs, range: &str) -> CliResult<Outcome> {
    let (from, to) = parse_range(range)?;
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
    let g = repair::accept_gap(&log.dir, &log.name, from, to, reason)?;
    let file = repair::accepted_gaps_path(&log.dir, &log.name);
    let why = match g.reason.as_str() {
        "" => g.accepted_utc.clone(),
        r => format!("{r}, {}", g.accepted_utc),
    };
    let (from, to, file) = (g.from_seq, g.to_seq, paths::show(&file));
    let gap = format!("gap seq {from}..{to} of {}", source.label);
    println!("accepted {gap} ({why}), recorded in {file}");
    Ok(Outcome::Clean)
}

/// `A..B` (inclusive) or a single `A`; A > B is refused (as
/// `repair::accept_gap` would, also under --dry-run).
fn parse_range(s: &str) -> CliResult<(u64, u64)> {
    let bad = || CliError::usage(format!("--accept-gap {s:?}: expected FROM..TO or SEQ"));
    let (a, b) = s.split_once("..").unwrap_or((s, s));
    let number = |n: &str| n.trim().parse::<u64>().map_err(|_| bad());
    let (a, b) = (number(a)?, number(b)?);
    if a > b {
        return Err(CliError::usage(format!(
            "gap {a}..{b}: the first number is larger than the last"
        )));
    }
    Ok((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gap_ranges() {
        assert_eq!(parse_range("14..19").unwrap(), (14, 19));
        assert_eq!(parse_range("14").unwrap(), (14, 14));
        assert!(parse_range("19..14").is_err());
        assert!(parse_range("a..b").is_err());
    }
}
